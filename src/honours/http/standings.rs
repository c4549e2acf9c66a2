//! Standings of a credit year, the per-year ranking setting, and the Excel export.

use actix_web::http::header;
use actix_web::{HttpResponse, get, put, web};

use crate::access::principal::{Auth, Secretariat, SecretariatOrCouncil};
use crate::honours::ranking::{self, StandingsPage, StandingsQuery, YearSettings};
use crate::honours::workbook::XLSX_CONTENT_TYPE;
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::state::AppState;

/// Live standings of a credit year, with the cap figures (correspondents, secretariat, council).
///
/// Computed in SQL from the articles' points; ranks are standard competition
/// ranks. Rows tied across the cut-off are flagged.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (China time) (2000–2100)"), StandingsQuery),
    responses((status = 200, body = StandingsPage, description = "One page of the standings with the year's figures (population, caps, cut-off)"), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/credit-years/{year}/standings")]
pub async fn get_standings(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i32>,
    q: web::Query<StandingsQuery>,
) -> ApiResult<HttpResponse> {
    let page = ranking::page(&state.db, &state.page_token_key, &p, *path, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Set the ranking key of a credit year (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    request_body = YearSettings,
    responses((status = 200, body = YearSettings, description = "The year's settings as recorded"), (status = 403, description = "`FORBIDDEN`"))
)]
#[put("/credit-years/{year}/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<YearSettings>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let settings = db::write(&state.db, |tx| {
        ranking::set_ranking_key(tx, &p, *path, &body, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// The standings and the honours list as an Excel workbook (secretariat, council).
///
/// Sheets 学校排名 and 个人排名 (Chinese headers, frozen header row, the
/// year's population, cap and cut-off above the table) and, once a proposal
/// exists, 表彰名单.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, description = "`FORBIDDEN`"),
    )
)]
#[get("/credit-years/{year}/standings.xlsx")]
pub async fn standings_xlsx(
    state: web::Data<AppState>,
    SecretariatOrCouncil(_viewer): SecretariatOrCouncil,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let file = ranking::workbook(&state.db, *path, state.now()).await?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX_CONTENT_TYPE)
        .insert_header((header::CONTENT_DISPOSITION, file.content_disposition))
        .body(file.bytes))
}
