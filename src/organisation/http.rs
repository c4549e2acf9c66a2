//! The organisation: districts (片区) and schools (会员单位).

use std::collections::HashMap;

use actix_web::{HttpResponse, get, patch, post, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::entity::{district, school};
use crate::identity::principal::Secretariat;
use crate::identity::roles::Role;
use crate::organisation::lookup::require_district;
use crate::organisation::school_import::{self, RowReport};
use crate::platform::audit::{self, Entry};
use crate::platform::db::contains_literally;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::platform::extract::{RawBody, ValidJson};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::state::AppState;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DistrictView {
    pub id: i64,
    pub name: String,
}

impl From<district::Model> for DistrictView {
    fn from(d: district::Model) -> Self {
        Self {
            id: d.id,
            name: d.name,
        }
    }
}

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

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistrictInput {
    /// e.g. 成都片区 (1–32 characters, unique).
    #[validate(
        length(min = 1, max = 32, message = "片区名称须为 1–32 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub name: String,
}

fn name_taken(pointer: &str, what: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_detail(format!("已有同名{what}。"))
        .with_extension("field", pointer.into())
}

fn db_conflict(e: sea_orm::DbErr, pointer: &str, what: &str) -> ApiError {
    if crate::platform::db::is_unique_violation(&e) {
        name_taken(pointer, what)
    } else {
        e.into()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Districts, by id. Public.
#[utoipa::path(tag = "organisation", params(ListQuery), responses((status = 200, body = Page<DistrictView>)))]
#[get("/districts")]
pub async fn list_districts(
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(&state.page_token_key, "districts");
    let after: Option<i64> = tokens.cursor(&params)?;
    let mut query = district::Entity::find().order_by_asc(district::Column::Id);
    if let Some(after) = after {
        query = query.filter(district::Column::Id.gt(after));
    }
    let rows = query.limit(params.size() + 1).all(&state.db).await?;
    let rows: Vec<DistrictView> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(tokens.page(rows, params.size(), |d| d.id)?))
}

/// Create a district (secretariat).
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    request_body = DistrictInput,
    responses((status = 201, body = DistrictView), (status = 403, description = "`FORBIDDEN`"), (status = 409, description = "`CONFLICT`: the name is taken"))
)]
#[post("/districts")]
pub async fn create_district(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<DistrictInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let txn = state.db.begin().await?;
    let d = district::ActiveModel {
        name: Set(body.name.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| db_conflict(e, "/name", "片区"))?;
    let view = DistrictView::from(d);
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
            Role::Secretariat,
            "district.create",
            "district",
            view.id,
        ),
        None::<&()>,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// Rename a district (secretariat).
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "District id")),
    request_body = DistrictInput,
    responses((status = 200, body = DistrictView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"), (status = 409, description = "`CONFLICT`: the name is taken"))
)]
#[patch("/districts/{id}")]
pub async fn update_district(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<DistrictInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let txn = state.db.begin().await?;
    let before = district::Entity::find_by_id(*path)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("片区不存在。"))?;
    let mut am: district::ActiveModel = before.clone().into();
    am.name = Set(body.name.trim().to_owned());
    am.updated_at = Set(now);
    let after = am
        .update(&txn)
        .await
        .map_err(|e| db_conflict(e, "/name", "片区"))?;
    let (before, after) = (DistrictView::from(before), DistrictView::from(after));
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
            Role::Secretariat,
            "district.update",
            "district",
            after.id,
        ),
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(after))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchoolQuery {
    /// Only schools of this district.
    pub district_id: Option<i64>,
    /// Name contains this text.
    pub q: Option<String>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Schools (member units), by id, with filters. Public.
#[utoipa::path(tag = "organisation", params(SchoolQuery), responses((status = 200, body = Page<SchoolView>)))]
#[get("/schools")]
pub async fn list_schools(
    state: web::Data<AppState>,
    q: web::Query<SchoolQuery>,
) -> ApiResult<HttpResponse> {
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let tokens = PageTokens::new(
        &state.page_token_key,
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
    let rows = query.limit(params.size() + 1).all(&state.db).await?;
    let rows: Vec<SchoolView> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(tokens.page(rows, params.size(), |s| s.id)?))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolInput {
    /// Full name, e.g. 四川大学 (1–64 characters, unique).
    #[validate(
        length(min = 1, max = 64, message = "学校名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub name: String,
    pub district_id: i64,
    /// Defaults to true.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolPatch {
    #[validate(
        length(min = 1, max = 64, message = "学校名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub name: Option<String>,
    pub district_id: Option<i64>,
    pub active: Option<bool>,
}

/// Create a school (secretariat).
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    request_body = SchoolInput,
    responses((status = 201, body = SchoolView), (status = 403, description = "`FORBIDDEN`"), (status = 409, description = "`CONFLICT`: the name is taken"))
)]
#[post("/schools")]
pub async fn create_school(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<SchoolInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let txn = state.db.begin().await?;
    require_district(&txn, body.district_id, "/district_id").await?;
    let s = school::ActiveModel {
        name: Set(body.name.trim().to_owned()),
        district_id: Set(body.district_id),
        active: Set(body.active.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| db_conflict(e, "/name", "学校"))?;
    let view = SchoolView::from(s);
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "school.create", "school", view.id),
        None::<&()>,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// Change a school (secretariat).
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "School id")),
    request_body = SchoolPatch,
    responses((status = 200, body = SchoolView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"), (status = 409, description = "`CONFLICT`: the name is taken"))
)]
#[patch("/schools/{id}")]
pub async fn update_school(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<SchoolPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let txn = state.db.begin().await?;
    let before = school::Entity::find_by_id(*path)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("学校不存在。"))?;
    let mut am: school::ActiveModel = before.clone().into();
    if let Some(n) = &body.name {
        am.name = Set(n.trim().to_owned());
    }
    if let Some(d) = body.district_id {
        require_district(&txn, d, "/district_id").await?;
        am.district_id = Set(d);
    }
    if let Some(a) = body.active {
        am.active = Set(a);
    }
    am.updated_at = Set(now);
    let after = am
        .update(&txn)
        .await
        .map_err(|e| db_conflict(e, "/name", "学校"))?;
    let (before, after) = (SchoolView::from(before), SchoolView::from(after));
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "school.update", "school", after.id),
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(after))
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

const IMPORT_LIMIT: usize = 2 * 1024 * 1024;

/// Import schools from CSV (secretariat).
///
/// Columns `学校名称` (or `name`) and `片区` (or `district`, an existing
/// district's name); UTF-8 with or without BOM, or GB18030 as Excel saves it
/// in China. A school whose name exists is updated (its district), others are
/// created. When any row is invalid, nothing is imported: 422
/// `IMPORT_REJECTED` with the per-row report in `rows`.
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row"),
    responses(
        (status = 200, body = ImportReport),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE` (over 2 MB)"),
        (status = 422, description = "`IMPORT_REJECTED`: nothing imported; `rows` is the per-row report"),
    )
)]
#[post("/schools/import")]
pub async fn import_schools(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: RawBody<IMPORT_LIMIT>,
) -> ApiResult<HttpResponse> {
    let rows = school_import::parse(&body.0)
        .map_err(|e| ApiError::new(ErrorCode::ImportRejected).with_detail(e.message()))?;
    if rows.is_empty() {
        return Err(ApiError::new(ErrorCode::ImportRejected).with_detail("文件中没有数据行。"));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let districts: HashMap<String, i64> = district::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| (d.name, d.id))
        .collect();
    let (mut reports, ok) = school_import::check(&rows, &districts);
    if !ok {
        let rows = serde_json::to_value(&reports).map_err(ApiError::internal)?;
        return Err(ApiError::new(ErrorCode::ImportRejected).with_extension("rows", rows));
    }
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let existing: HashMap<String, school::Model> = school::Entity::find()
        .filter(school::Column::Name.is_in(names))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for (row, report) in rows.iter().zip(reports.iter_mut()) {
        let district_id = districts[&row.district];
        match existing.get(&row.name) {
            Some(s) if s.district_id == district_id && s.active => {
                report.status = "unchanged".into();
                unchanged += 1;
            }
            Some(s) => {
                let mut am: school::ActiveModel = s.clone().into();
                am.district_id = Set(district_id);
                am.active = Set(true);
                am.updated_at = Set(now);
                am.update(&txn).await?;
                report.status = "updated".into();
                updated += 1;
            }
            None => {
                school::ActiveModel {
                    name: Set(row.name.clone()),
                    district_id: Set(district_id),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                report.status = "created".into();
                created += 1;
            }
        }
    }
    let report = ImportReport {
        created,
        updated,
        unchanged,
        rows: reports,
    };
    let summary =
        serde_json::json!({"created": created, "updated": updated, "unchanged": unchanged});
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "school.import", "school", "import"),
        None::<&()>,
        Some(&summary),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(report))
}
