//! The honours proposal (推荐名单) and the council's decision
//! (审定). Every change reads `If-Match` (the ETag of the view it was
//! decided on) and answers the new `ETag`; see `platform::decision`.

use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, HeaderValue};
use actix_web::{HttpResponse, get, patch, post, web};
use serde::Serialize;

use crate::access::principal::{Council, Secretariat, SecretariatOrCouncil};
use crate::honours::model::HonoursView;
use crate::honours::proposal::{self, Decision, ProposalPatch, ProposalView, ReturnInput};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::{IfMatch, ValidJson};
use crate::state::AppState;

/// Answers `body` with its `ETag`.
pub(super) fn tagged<T: Serialize>(status: StatusCode, etag: &str, body: &T) -> HttpResponse {
    let mut b = HttpResponse::build(status);
    if let Ok(v) = HeaderValue::from_str(etag) {
        b.insert_header((ETAG, v));
    }
    b.json(body)
}

/// Build the proposal from the latest notice (secretariat).
///
/// The top eligible rows within each cap; a tied group straddling the cap is
/// left out for the secretariat to decide. Rebuilding replaces a draft or a
/// returned proposal (manual changes are lost); a submitted or approved one
/// cannot be rebuilt. A proposal changed by hand since it was built is
/// rebuilt only with `If-Match` (its ETag): otherwise 409 `STALE_DECISION`
/// names the last manual change, and nothing changes.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("If-Match" = Option<String>, Header, description = "The proposal's ETag as you read it (required to rebuild a proposal changed by hand)"),
    ),
    responses(
        (status = 201, body = ProposalView, description = "The proposal built from the standings (within the caps)", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOTICE_NOT_PUBLISHED`"),
        (status = 409, description = "`PROPOSAL_NOT_EDITABLE` or `PROPOSAL_FINAL`; `STALE_DECISION`: changed since your view (old `If-Match`), changed by hand and no `If-Match`, or built by a colleague a moment ago — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`, `etag`; nothing changed"),
        (status = 412, description = "`PRECONDITION_FAILED`: `If-Match` while no proposal exists"),
    )
)]
#[post("/credit-years/{year}/proposal")]
pub async fn build_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        proposal::build(tx, &p, *path, if_match.0.as_deref(), now)
    })
    .await?;
    Ok(tagged(StatusCode::CREATED, &view.etag, &view))
}

/// The proposal of a year, with its `ETag` (secretariat, council).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    responses(
        (status = 200, body = ProposalView, description = "The year's proposal of honours", headers(("ETag" = String, description = "Pass as If-Match to change it"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
    )
)]
#[get("/credit-years/{year}/proposal")]
pub async fn get_proposal(
    state: web::Data<AppState>,
    SecretariatOrCouncil(_viewer): SecretariatOrCouncil,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let view = proposal::get(&state.db, *path).await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Add or remove rows with a reason (secretariat), never above a cap.
///
/// With `If-Match` (the proposal's ETag as you read it), a change made on a
/// stale view answers 409 `STALE_DECISION` naming the last change; nothing changes.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("If-Match" = Option<String>, Header, description = "The proposal's ETag as you read it"),
    ),
    request_body = ProposalPatch,
    responses(
        (status = 200, body = ProposalView, description = "The proposal with the changes applied", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`NOT_ELIGIBLE`: an added row does not meet the conditions of seed 000 (`unmet` names it and each condition); `QUOTA_EXCEEDED`, `PROPOSAL_NOT_EDITABLE` or `PROPOSAL_FINAL`; `STALE_DECISION`: changed since your view (old `If-Match`) — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`, `etag`; nothing changed"),
    )
)]
#[patch("/credit-years/{year}/proposal")]
pub async fn patch_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: ValidJson<ProposalPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        proposal::patch(tx, &p, *path, if_match.0.as_deref(), &body, now)
    })
    .await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Submit the proposal to the council (secretariat). Every objection must be resolved first.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("If-Match" = Option<String>, Header, description = "The proposal's ETag as you read it"),
    ),
    responses(
        (status = 200, body = ProposalView, description = "The proposal submitted to the council", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`NOTICE_WINDOW_OPEN`: the notice window has not closed yet; `OBJECTIONS_PENDING`: an objection is still open; `PROPOSAL_WRONG_STATE`: not a draft or returned list, or the notice was republished since the list was built (rebuild first); `NOT_ELIGIBLE`: a row of the list no longer meets the conditions (`unmet` names each); `PROPOSAL_FINAL`; `STALE_DECISION`: changed since your view (old `If-Match`) — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`, `etag`; nothing changed"),
    )
)]
#[post("/credit-years/{year}/proposal/submit")]
pub async fn submit_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = proposal::decide_in(
        &state.db,
        &p,
        *path,
        if_match.0.as_deref(),
        Decision::Submit,
        now,
    )
    .await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Approve the submitted proposal (council, 审定). Final: it cannot change afterwards.
///
/// Two council members deciding at once are ordered; with `If-Match` the
/// second is answered 409 `STALE_DECISION` naming the first decision.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("If-Match" = Option<String>, Header, description = "The proposal's ETag as you read it"),
    ),
    responses(
        (status = 200, body = ProposalView, description = "The proposal approved by the council (final)", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`: only the council approves; `SEPARATION_OF_DUTIES`: you submitted this list yourself (the attempt is audited)"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`NOT_ELIGIBLE`: a row of the list no longer meets the conditions of seed 000 (`unmet` names each; return the list); `PROPOSAL_WRONG_STATE` or `PROPOSAL_FINAL`; `STALE_DECISION`: changed since your view (old `If-Match`) — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`, `etag`; nothing changed"),
    )
)]
#[post("/credit-years/{year}/proposal/approve")]
pub async fn approve_proposal(
    state: web::Data<AppState>,
    Council(p): Council,
    path: web::Path<i32>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = proposal::decide_in(
        &state.db,
        &p,
        *path,
        if_match.0.as_deref(),
        Decision::Approve,
        now,
    )
    .await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Return the submitted proposal to the secretariat with a note (council).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("If-Match" = Option<String>, Header, description = "The proposal's ETag as you read it"),
    ),
    request_body = ReturnInput,
    responses(
        (status = 200, body = ProposalView, description = "The proposal returned to the secretariat with the council's reason", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`: only the council returns; `SEPARATION_OF_DUTIES`: you submitted this list yourself (the attempt is audited)"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE` or `PROPOSAL_FINAL`; `STALE_DECISION`: changed since your view (old `If-Match`) — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`, `etag`; nothing changed"),
    )
)]
#[post("/credit-years/{year}/proposal/return")]
pub async fn return_proposal(
    state: web::Data<AppState>,
    Council(p): Council,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: ValidJson<ReturnInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = proposal::decide_in(
        &state.db,
        &p,
        *path,
        if_match.0.as_deref(),
        Decision::Return(&body),
        now,
    )
    .await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// The honoured schools and individuals of a year (public once the council approved them).
#[utoipa::path(
    tag = "honours",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    responses((status = 200, body = HonoursView, description = "The honours list approved by the council"), (status = 404, description = "`HONOURS_NOT_APPROVED`"))
)]
#[get("/credit-years/{year}/honours")]
pub async fn get_honours(
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let view = proposal::honours(&state.db, *path).await?;
    Ok(HttpResponse::Ok().json(view))
}
