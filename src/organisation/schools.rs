//! Schools (会员单位): listing them, creating and changing them, and the
//! CSV import of the member list (secretariat).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{district, school};
use crate::organisation::lookup::require_district;
use crate::organisation::names::name_conflict;
use crate::organisation::school_import::{self, Row, RowReport, RowStatus};
use crate::platform::audit::{self, Entry};
use crate::platform::db::{self, Tx, contains_literally};
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::platform::pagination::{Page, PageParams, PageTokens};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SchoolView {
    pub id: i64,
    pub name: String,
    pub district_id: i64,
    /// Whether the school is a current member unit.
    pub active: bool,
}

impl From<school::Model> for SchoolView {
    fn from(s: school::Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            district_id: s.district_id,
            active: s.active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchoolQuery {
    /// Only schools of this district.
    pub district_id: Option<i64>,
    /// Name contains this text.
    pub q: Option<String>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "成都大学", "district_id": 1, "active": true}))]
pub struct SchoolInput {
    /// Full name, e.g. 四川大学 (1–64 characters, unique).
    #[validate(
        length(min = 1, max = 64, message = "学校名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
    pub district_id: i64,
    /// Defaults to true.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "四川大学（望江校区）"}))]
pub struct SchoolPatch {
    /// 1–64 characters, unique.
    #[validate(
        length(min = 1, max = 64, message = "学校名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: Option<String>,
    pub district_id: Option<i64>,
    pub active: Option<bool>,
}

/// The outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// One entry per data row, in file order.
    pub rows: Vec<RowReport>,
}

/// The row of a new school.
pub fn new_school(
    name: String,
    district_id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> school::ActiveModel {
    school::ActiveModel {
        name: Set(name),
        district_id: Set(district_id),
        active: Set(active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Schools, by id, with filters. `page_key` signs the page tokens.
pub async fn list(
    db: &impl ConnectionTrait,
    page_key: &[u8],
    q: &SchoolQuery,
) -> ApiResult<Page<SchoolView>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let tokens = PageTokens::new(
        page_key,
        format!("schools?d={:?}&q={:?}", q.district_id, text),
    );
    let after: Option<i64> = tokens.cursor(&params)?;
    let mut query = school::Entity::find().order_by_asc(school::Column::Id);
    if let Some(d) = q.district_id {
        query = query.filter(school::Column::DistrictId.eq(d));
    }
    if let Some(t) = text {
        query = query.filter(contains_literally(school::Column::Name, t));
    }
    if let Some(after) = after {
        query = query.filter(school::Column::Id.gt(after));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let rows: Vec<SchoolView> = rows.into_iter().map(Into::into).collect();
    tokens.page(rows, params.size(), |s| s.id)
}

/// Creates a school of an existing district (by the secretariat `p`),
/// audited; its name is unique.
pub async fn create(
    tx: Tx,
    p: &Principal,
    input: &SchoolInput,
    now: DateTime<Utc>,
) -> ApiResult<SchoolView> {
    let txn = &*tx;
    require_district(txn, input.district_id, "/district_id").await?;
    let s = new_school(
        input.name.trim().to_owned(),
        input.district_id,
        input.active.unwrap_or(true),
        now,
    )
    .insert(txn)
    .await
    .map_err(|e| name_conflict(e, "/name", "学校"))?;
    let view = SchoolView::from(s);
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "school.create", "school", view.id),
        None::<&()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// Changes a school's name, district or membership (by the secretariat
/// `p`), audited with before and after.
pub async fn update(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &SchoolPatch,
    now: DateTime<Utc>,
) -> ApiResult<SchoolView> {
    let txn = &*tx;
    let before = school::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("学校不存在。"))?;
    let mut am: school::ActiveModel = before.clone().into();
    if let Some(n) = &input.name {
        am.name = Set(n.trim().to_owned());
    }
    if let Some(d) = input.district_id {
        require_district(txn, d, "/district_id").await?;
        am.district_id = Set(d);
    }
    if let Some(a) = input.active {
        am.active = Set(a);
    }
    am.updated_at = Set(now);
    let after = am
        .update(txn)
        .await
        .map_err(|e| name_conflict(e, "/name", "学校"))?;
    let (before, after) = (SchoolView::from(before), SchoolView::from(after));
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "school.update", "school", after.id),
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Imports schools from CSV (by the secretariat `p`): a school whose name
/// exists is updated (its district), others are created. The file is read
/// before the write begins; when any row is invalid nothing is imported
/// (422 `IMPORT_REJECTED` with the per-row report in `rows`).
pub async fn import(
    db: &DatabaseConnection,
    p: &Principal,
    csv: &[u8],
    now: DateTime<Utc>,
) -> ApiResult<ImportReport> {
    let rows = school_import::parse(csv)
        .map_err(|e| ApiError::new(ErrorCode::ImportRejected).with_detail(e.message()))?;
    if rows.is_empty() {
        return Err(ApiError::new(ErrorCode::ImportRejected).with_detail("文件中没有数据行。"));
    }
    db::write(db, |tx| import_rows(tx, p, &rows, now)).await
}

async fn import_rows(
    tx: Tx,
    p: &Principal,
    rows: &[Row],
    now: DateTime<Utc>,
) -> ApiResult<ImportReport> {
    let txn = &*tx;
    let districts: HashMap<String, i64> = district::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|d| (d.name, d.id))
        .collect();
    let (mut reports, ok) = school_import::check(rows, &districts);
    if !ok {
        let rows = serde_json::to_value(&reports).map_err(ApiError::internal)?;
        return Err(ApiError::new(ErrorCode::ImportRejected).with_extension("rows", rows));
    }
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let existing: HashMap<String, school::Model> = school::Entity::find()
        .filter(school::Column::Name.is_in(names))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for (row, report) in rows.iter().zip(reports.iter_mut()) {
        let district_id = districts[&row.district];
        match existing.get(&row.name) {
            Some(s) if s.district_id == district_id && s.active => {
                report.status = RowStatus::Unchanged;
                unchanged += 1;
            }
            Some(s) => {
                let mut am: school::ActiveModel = s.clone().into();
                am.district_id = Set(district_id);
                am.active = Set(true);
                am.updated_at = Set(now);
                am.update(txn).await?;
                report.status = RowStatus::Updated;
                updated += 1;
            }
            None => {
                new_school(row.name.clone(), district_id, true, now)
                    .insert(txn)
                    .await?;
                report.status = RowStatus::Created;
                created += 1;
            }
        }
    }
    let summary =
        serde_json::json!({"created": created, "updated": updated, "unchanged": unchanged});
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "school.import", "school", "import"),
        None::<&()>,
        Some(&summary),
    )
    .await?;
    Ok(ImportReport {
        created,
        updated,
        unchanged,
        rows: reports,
    })
}
