//! Schools (会员单位): listing them, creating and changing them, and the
//! CSV import of the member list (secretariat).
//!
//! **Membership over time.** A school that is no longer a member unit has
//! `left_on`: the first day (China time) it is not a member. It counts for
//! the credit years in which it was a member on some day
//! ([`crate::organisation::lookup::member_in`]); its articles stay. `left_on`
//! is a day that has come (today or earlier): the secretariat records a
//! departure when it happens. `active` is kept equal to "no `left_on`" and
//! remains as a shorthand: `active: false` alone records a departure as of
//! today (an earlier `left_on` is kept); `active: true` (or `left_on: null`)
//! makes the school a member again, in every year (one membership period is
//! kept, not a history). The CSV import lists member units: a listed school
//! is a member (its `left_on` is cleared); schools not listed are left as they are.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
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
use crate::platform::clock::china_date;
use crate::platform::db::{self, Tx, contains_literally};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SchoolView {
    pub id: i64,
    pub name: String,
    pub district_id: i64,
    /// Whether the school is a member unit now (it has no `left_on`).
    pub active: bool,
    /// The first day (China time) it is no longer a member unit; null: a
    /// member. It counts for credit year Y iff `left_on` is null or after
    /// 1 January of Y (it was a member on some day of Y).
    pub left_on: Option<NaiveDate>,
}

impl From<school::Model> for SchoolView {
    fn from(s: school::Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            district_id: s.district_id,
            active: s.left_on.is_none(),
            left_on: s.left_on,
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
#[schema(example = json!({"name": "成都大学", "district_id": 1}))]
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
    /// Defaults to true; `false` records that it left today (China time).
    pub active: Option<bool>,
    /// The first day it is no longer a member unit (today or earlier, China
    /// time); absent or null: a member.
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "四川大学（望江校区）", "left_on": "2021-07-01"}))]
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
    /// `false`: it left today (China time), unless `left_on` is already
    /// set (kept). `true`: a member again (`left_on` cleared).
    pub active: Option<bool>,
    /// The first day it is no longer a member unit (today or earlier, China
    /// time); `null`: a member again. Absent: unchanged. Given with
    /// `active`, the two must agree.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<NaiveDate>)]
    pub left_on: Option<Option<NaiveDate>>,
}

/// A field that is present (even as `null`) is `Some`; absent is `None` (by `default`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The `left_on` a create or change asks for, from `active` and `left_on`
/// as sent (see the module comment); `None`: unchanged. 422 at `/left_on`
/// for a day still to come, at `/active` when the two disagree.
fn membership(
    active: Option<bool>,
    left_on: Option<Option<NaiveDate>>,
    current: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<Option<Option<NaiveDate>>> {
    let disagree = || {
        ApiError::validation(vec![FieldError::new(
            "/active",
            "conflict",
            "“是否会员单位”与退出日期不一致：有退出日期的学校不是会员单位。",
        )])
    };
    match (active, left_on) {
        (_, Some(Some(d))) if d > today => Err(ApiError::validation(vec![FieldError::new(
            "/left_on",
            "future",
            "退出日期不能晚于今天（北京时间），请在退出后再登记。",
        )])),
        (Some(true), Some(Some(_))) | (Some(false), Some(None)) => Err(disagree()),
        (_, Some(l)) => Ok(Some(l)),
        (Some(false), None) => Ok(Some(current.or(Some(today)))),
        (Some(true), None) => Ok(Some(None)),
        (None, None) => Ok(None),
    }
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

/// The row of a new school; `left_on` set when it is no longer a member.
pub fn new_school(
    name: String,
    district_id: i64,
    left_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> school::ActiveModel {
    school::ActiveModel {
        name: Set(name),
        district_id: Set(district_id),
        active: Set(left_on.is_none()),
        left_on: Set(left_on),
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
    let left_on =
        membership(input.active, input.left_on.map(Some), None, china_date(now))?.flatten();
    let s = new_school(
        input.name.trim().to_owned(),
        input.district_id,
        left_on,
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

/// Changes a school's name, district or membership (`left_on`, `active`;
/// by the secretariat `p`), audited with before and after.
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
    if let Some(left_on) = membership(input.active, input.left_on, before.left_on, china_date(now))?
    {
        am.active = Set(left_on.is_none());
        am.left_on = Set(left_on);
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
            Some(s) if s.district_id == district_id && s.left_on.is_none() => {
                report.status = RowStatus::Unchanged;
                unchanged += 1;
            }
            Some(s) => {
                let mut am: school::ActiveModel = s.clone().into();
                am.district_id = Set(district_id);
                am.active = Set(true);
                am.left_on = Set(None);
                am.updated_at = Set(now);
                am.update(txn).await?;
                report.status = RowStatus::Updated;
                updated += 1;
            }
            None => {
                new_school(row.name.clone(), district_id, None, now)
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
