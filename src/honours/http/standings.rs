//! Standings of a credit year, the per-year ranking setting, and the Excel
//! exports (the live standings; a notice version).

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, get, put, web};

use crate::access::principal::{Auth, Secretariat, SecretariatOrCouncil};
use crate::honours::lookup;
use crate::honours::ranking::{
    self, NoticeFileQuery, StandingsFile, StandingsPage, StandingsQuery, YearSettings,
};
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
    let page = ranking::page(
        &state.db,
        &state.cache,
        &state.page_token_key,
        &p,
        *path,
        &q,
    )
    .await?;
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
    lookup::year_settings_changed(&state.cache).await?;
    Ok(HttpResponse::Ok().json(settings))
}

fn download(file: StandingsFile) -> HttpResponse {
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(file.fallback_name),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file.file_name.into_bytes(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type(XLSX_CONTENT_TYPE)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(file.bytes)
}

/// The live standings as an Excel workbook (secretariat, council).
///
/// Sheets 学校排名 and 个人排名: the first rows say the figures are live
/// (`数据来源：实时数据，计算时间 …`), then the year's population, cap and
/// cut-off, then the table (Chinese headers, frozen header row). Never
/// mixed with a notice: the frozen figures, and the honours list approved
/// from them, are in `GET /credit-years/{year}/notice.xlsx`. Prints on A4
/// landscape, one page wide, the header rows repeated on every page.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    responses(
        (status = 200, description = "The workbook of the live standings", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
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
    Ok(download(file))
}

/// One version of the public notice as an Excel workbook (public, no login, like the notice).
///
/// Sheets 学校排名 and 个人排名 with the notice's frozen rows: the first rows
/// say which version (`数据来源：公示第 N 版，发布时间 …，公示期 …`), then its
/// population, cap and cut-off. Once the council approved a proposal built
/// from this version, a third sheet 表彰名单 lists the honoured schools and
/// individuals. `version` absent: the latest version. Prints on A4
/// landscape, one page wide, the header rows repeated on every page.
/// No notice for the year, or no such version → 404 `NOTICE_NOT_PUBLISHED`.
#[utoipa::path(
    tag = "honours",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"), NoticeFileQuery),
    responses(
        (status = 200, description = "The workbook of the notice version", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, description = "`NOTICE_NOT_PUBLISHED`: the year has no notice, or not that version"),
    )
)]
#[get("/credit-years/{year}/notice.xlsx")]
pub async fn notice_xlsx(
    state: web::Data<AppState>,
    path: web::Path<i32>,
    q: web::Query<NoticeFileQuery>,
) -> ApiResult<HttpResponse> {
    let file = ranking::notice_workbook(&state.db, *path, &q).await?;
    Ok(download(file))
}
