//! The organisation: districts (片区) and schools (会员单位).

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa::ToSchema;

use crate::access::principal::Secretariat;
use crate::organisation::districts::{self, DistrictInput, DistrictView, ListQuery};
use crate::organisation::schools::{
    self, ImportReport, SchoolInput, SchoolPatch, SchoolQuery, SchoolView,
};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::{FileOrBody, ValidJson};
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Districts, by id. Public.
#[utoipa::path(tag = "organisation", params(ListQuery), responses((status = 200, body = Page<DistrictView>, description = "One page of districts, by id")))]
#[get("/districts")]
pub async fn list_districts(
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let page = districts::list(&state.db, &state.page_token_key, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a district (secretariat).
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    request_body = DistrictInput,
    responses((status = 201, body = DistrictView, description = "The district created"), (status = 403, description = "`FORBIDDEN`"), (status = 409, description = "`CONFLICT`: the name is taken"))
)]
#[post("/districts")]
pub async fn create_district(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<DistrictInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| districts::create(tx, &p, &body, now)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Rename a district (secretariat).
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "District id")),
    request_body = DistrictInput,
    responses((status = 200, body = DistrictView, description = "The district as renamed"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"), (status = 409, description = "`CONFLICT`: the name is taken"))
)]
#[patch("/districts/{id}")]
pub async fn update_district(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<DistrictInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| districts::rename(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Schools (member units), by id, with filters. Public.
#[utoipa::path(tag = "organisation", params(SchoolQuery), responses((status = 200, body = Page<SchoolView>, description = "One page of schools, by id")))]
#[get("/schools")]
pub async fn list_schools(
    state: web::Data<AppState>,
    q: web::Query<SchoolQuery>,
) -> ApiResult<HttpResponse> {
    let page = schools::list(&state.db, &state.page_token_key, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a school (secretariat).
///
/// A member unit unless `left_on` (or `active: false`, leaving today) says
/// otherwise; see `PATCH /schools/{id}`.
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    request_body = SchoolInput,
    responses((status = 201, body = SchoolView, description = "The school created"), (status = 403, description = "`FORBIDDEN`"), (status = 409, description = "`CONFLICT`: the name is taken"), (status = 422, description = "`VALIDATION_FAILED`: `/left_on` `future` (a day still to come), `/active` `conflict` (true with a leaving day)"))
)]
#[post("/schools")]
pub async fn create_school(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<SchoolInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| schools::create(tx, &p, &body, now)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Change a school (secretariat): its name, district or membership.
///
/// Membership over time: `left_on` is the first day (China time, today or
/// earlier) the school is no longer a member unit. It then counts for a
/// credit year Y only when it was a member on some day of Y (`left_on` after
/// 1 January of Y): a school that left during Y still counts for Y and no
/// later year. It is left out of those years' standings, caps' population,
/// notice and proposal; its articles stay readable. `active` is derived
/// (`left_on` is null) and kept as a shorthand: `active: false` alone
/// records leaving today (an earlier `left_on` stays), `active: true` or
/// `left_on: null` makes it a member again. A day still to come → 422
/// `/left_on` `future`; `active` contradicting `left_on` → 422 `/active` `conflict`.
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "School id")),
    request_body = SchoolPatch,
    responses((status = 200, body = SchoolView, description = "The school as changed"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"), (status = 409, description = "`CONFLICT`: the name is taken"), (status = 422, description = "`VALIDATION_FAILED`: `/left_on` `future` (a day still to come), `/active` `conflict` (true with a leaving day)"))
)]
#[patch("/schools/{id}")]
pub async fn update_school(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<SchoolPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| schools::update(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

const IMPORT_LIMIT: usize = 2 * 1024 * 1024;

/// The schools CSV as a form upload: one `file` part, nothing else (another
/// part is refused like an unknown field of a JSON body).
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"file": "学校名称,片区\n四川大学,成都片区\n"}))]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The CSV file (UTF-8 with or without BOM, or GB18030), at most 2 MB.
    #[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
    file: Vec<u8>,
}

/// Import schools from CSV (secretariat).
///
/// Columns `学校名称` (or `name`) and `片区` (or `district`, an existing
/// district's name); UTF-8 with or without BOM, or GB18030 as Excel saves it
/// in China. A school whose name exists is updated (its district; one that
/// had left is a member again, `left_on` cleared), others are created.
/// Schools not in the file are left as they are. When any row is invalid, nothing is imported: 422
/// `IMPORT_REJECTED` with the per-row report in `rows`.
#[utoipa::path(
    tag = "organisation",
    security(("bearer_auth" = [])),
    request_body(
        description = "CSV with a header row: the file as the body (`text/csv`), or as the `file` part of a form (what `wx.uploadFile` and a browser send)",
        content(
            (String = "text/csv", example = "学校名称,片区\n四川大学,成都片区\n西南石油大学,成都片区\n"),
            (ImportUpload = "multipart/form-data"),
        ),
    ),
    responses(
        (status = 200, body = ImportReport, description = "Imported: the per-row report and the counts"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE` (over 2 MB)"),
        (status = 422, description = "`IMPORT_REJECTED`: nothing imported; `rows` is the per-row report"),
    )
)]
#[post("/schools/import")]
pub async fn import_schools(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: FileOrBody<IMPORT_LIMIT>,
) -> ApiResult<HttpResponse> {
    let report = schools::import(&state.db, &p, &body.0, state.now()).await?;
    Ok(HttpResponse::Ok().json(report))
}
