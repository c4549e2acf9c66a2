//! Eligibility, the honours proposal (推荐名单) and the council's decision (审定).

use actix_web::{HttpResponse, get, patch, post, put, web};

use crate::access::principal::{Council, Secretariat, SecretariatOrCouncil};
use crate::honours::eligibility::{self, IndividualEligibility, SchoolEligibility};
use crate::honours::model::HonoursView;
use crate::honours::proposal::{self, Decision, ProposalPatch, ProposalView, ReturnInput};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::state::AppState;

/// Record the eligibility checklist of a school for a year (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year"), ("school_id" = i64, Path, description = "School id")),
    request_body = SchoolEligibility,
    responses((status = 200, body = SchoolEligibility), (status = 403, description = "`FORBIDDEN`"))
)]
#[put("/credit-years/{year}/eligibility/{school_id}")]
pub async fn put_school_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i32, i64)>,
    body: ValidJson<SchoolEligibility>,
) -> ApiResult<HttpResponse> {
    let (year, school_id) = *path;
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        eligibility::set_school(tx, &p, year, school_id, &body, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm (or not) a person of the standings as logistics staff of a member school (secretariat).
///
/// `key` is the row key of the individuals' standings (`<school_id>/<author_key>`, URL-encoded).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year"), ("key" = String, Path, description = "Row key of the person")),
    request_body = IndividualEligibility,
    responses((status = 200, body = IndividualEligibility), (status = 403, description = "`FORBIDDEN`"))
)]
#[put("/credit-years/{year}/individual-eligibility/{key}")]
pub async fn put_individual_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i32, String)>,
    body: ValidJson<IndividualEligibility>,
) -> ApiResult<HttpResponse> {
    let (year, key) = path.into_inner();
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        eligibility::set_individual(tx, &p, year, &key, &body, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Build the proposal from the latest notice (secretariat).
///
/// The top eligible rows within each cap; a tied group straddling the cap is
/// left out for the secretariat to decide. Rebuilding replaces a draft or a
/// returned proposal (manual changes are lost); a submitted or approved one
/// cannot be rebuilt.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 201, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOTICE_NOT_PUBLISHED`"),
        (status = 409, description = "`PROPOSAL_NOT_EDITABLE` or `PROPOSAL_FINAL`"),
    )
)]
#[post("/credit-years/{year}/proposal")]
pub async fn build_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| proposal::build(tx, &p, *path, now)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The proposal of a year (secretariat, council).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses((status = 200, body = ProposalView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`: no proposal yet"))
)]
#[get("/credit-years/{year}/proposal")]
pub async fn get_proposal(
    state: web::Data<AppState>,
    SecretariatOrCouncil(_viewer): SecretariatOrCouncil,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let view = proposal::get(&state.db, *path).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Add or remove rows with a reason (secretariat), never above a cap.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = ProposalPatch,
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`QUOTA_EXCEEDED`, `PROPOSAL_NOT_EDITABLE` or `PROPOSAL_FINAL`"),
    )
)]
#[patch("/credit-years/{year}/proposal")]
pub async fn patch_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<ProposalPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| proposal::patch(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Submit the proposal to the council (secretariat). Every objection must be resolved first.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE`, `PROPOSAL_FINAL` or `OBJECTIONS_PENDING`"),
    )
)]
#[post("/credit-years/{year}/proposal/submit")]
pub async fn submit_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        proposal::decide(tx, &p, *path, Decision::Submit, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Approve the submitted proposal (council, 审定). Final: it cannot change afterwards.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`: only the council approves"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE` or `PROPOSAL_FINAL`"),
    )
)]
#[post("/credit-years/{year}/proposal/approve")]
pub async fn approve_proposal(
    state: web::Data<AppState>,
    Council(p): Council,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        proposal::decide(tx, &p, *path, Decision::Approve, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Return the submitted proposal to the secretariat with a note (council).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = ReturnInput,
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`: only the council returns"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE` or `PROPOSAL_FINAL`"),
    )
)]
#[post("/credit-years/{year}/proposal/return")]
pub async fn return_proposal(
    state: web::Data<AppState>,
    Council(p): Council,
    path: web::Path<i32>,
    body: ValidJson<ReturnInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        proposal::decide(tx, &p, *path, Decision::Return(&body), now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The honoured schools and individuals of a year (public once the council approved them).
#[utoipa::path(
    tag = "honours",
    params(("year" = i32, Path, description = "Credit year")),
    responses((status = 200, body = HonoursView), (status = 404, description = "`HONOURS_NOT_APPROVED`"))
)]
#[get("/credit-years/{year}/honours")]
pub async fn get_honours(
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let view = proposal::honours(&state.db, *path).await?;
    Ok(HttpResponse::Ok().json(view))
}
