//! The public notice (公示) of a year's statistics and the objections (异议) filed during it.

use actix_web::{HttpResponse, get, post, web};

use crate::access::principal::{Auth, Secretariat};
use crate::honours::notice::{
    self, NoticeInput, NoticeQuery, NoticeView, ObjectionInput, ObjectionQuery, ObjectionView,
    ResolveInput,
};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Publish (or republish) the year's statistics for public notice (secretariat).
///
/// Freezes a snapshot of both standings: later review changes do not alter
/// it. Republishing (e.g. after an upheld objection) makes a new version.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    request_body = NoticeInput,
    responses((status = 201, body = NoticeView, description = "The notice published (a new version when one existed)"), (status = 403, description = "`FORBIDDEN`"), (status = 409, description = "`PROPOSAL_NOT_EDITABLE`: the year's list is with the council (it must return it first); `PROPOSAL_FINAL`: the list is approved"), (status = 422, description = "`VALIDATION_FAILED`: `/closes_at` not after `opens_at` and now"))
)]
#[post("/credit-years/{year}/notice")]
pub async fn publish_notice(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<NoticeInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        notice::publish(tx, &p, *path, &body, now, &state.page_token_key)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The published notice of a year (public, no login): the frozen standings.
#[utoipa::path(
    tag = "honours",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"), NoticeQuery),
    responses((status = 200, body = NoticeView, description = "The public notice of the year's statistics (its latest version)"), (status = 404, description = "`NOTICE_NOT_PUBLISHED`"))
)]
#[get("/credit-years/{year}/notice")]
pub async fn get_notice(
    state: web::Data<AppState>,
    path: web::Path<i32>,
    q: web::Query<NoticeQuery>,
) -> ApiResult<HttpResponse> {
    let view = notice::get(&state.db, &state.page_token_key, *path, &q, state.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// File an objection about a row of the notice, during the notice window (members).
///
/// The secretariat and the council do not file objections (they resolve and
/// approve). Outside the window → 409 `OUTSIDE_NOTICE_WINDOW`. The text goes
/// through WeChat's content check where configured.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    request_body = ObjectionInput,
    responses(
        (status = 201, body = ObjectionView, description = "The objection filed"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOTICE_NOT_PUBLISHED`"),
        (status = 409, description = "`OUTSIDE_NOTICE_WINDOW`; `PROPOSAL_NOT_EDITABLE`: the year's list is with the council; `PROPOSAL_FINAL`: the list is approved, objections are closed for good"),
        (status = 429, description = "`RATE_LIMITED`"),
        (status = 503, description = "`WECHAT_UNAVAILABLE` (content check)"),
    )
)]
#[post("/credit-years/{year}/objections")]
pub async fn file_objection(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i32>,
    body: ValidJson<ObjectionInput>,
) -> ApiResult<HttpResponse> {
    let view = notice::file_objection(
        &state.db,
        &state.cache,
        state.wechat.as_ref(),
        &p,
        *path,
        &body,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Objections of a year, newest first: members see their own; the secretariat and the council see all.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"), ObjectionQuery),
    responses((status = 200, body = Page<ObjectionView>, description = "One page of the year's objections"))
)]
#[get("/credit-years/{year}/objections")]
pub async fn list_objections(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i32>,
    q: web::Query<ObjectionQuery>,
) -> ApiResult<HttpResponse> {
    let page = notice::list_objections(&state.db, &state.page_token_key, &p, *path, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Resolve an objection: upheld or dismissed, with a reason (secretariat).
///
/// After an upheld objection the secretariat corrects the articles and may
/// republish the notice.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Objection id")),
    request_body = ResolveInput,
    responses(
        (status = 200, body = ObjectionView, description = "The objection with its resolution"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`OBJECTION_ALREADY_RESOLVED`"),
    )
)]
#[post("/objections/{id}/resolve")]
pub async fn resolve_objection(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ResolveInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        notice::resolve_objection(tx, &p, *path, &body, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
