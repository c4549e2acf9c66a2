//! Eligibility records (seed 000 §五): a school's checklist and a person's
//! confirmation, one at a time or many in one call, and read back. Every
//! change reads `If-Match` (the ETag of the record it was decided on) and
//! answers the new `ETag`; see `platform::decision`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};

use super::proposal::tagged;
use crate::access::principal::Secretariat;
use crate::honours::eligibility::{
    self, IndividualBatch, IndividualEligibility, IndividualEligibilityView, IndividualResults,
    SchoolChecklistBatch, SchoolChecklistResults, SchoolEligibility, SchoolEligibilityView,
};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::{IfMatch, ValidJson};
use crate::state::AppState;

/// A school's recorded eligibility checklist for a year, with its `ETag` (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"), ("school_id" = i64, Path, description = "School id")),
    responses(
        (status = 200, body = SchoolEligibilityView, description = "The school's checklist for the year (all unticked when never recorded)", headers(("ETag" = String, description = "Pass as If-Match to change it"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: not recorded yet"),
    )
)]
#[get("/credit-years/{year}/eligibility/{school_id}")]
pub async fn get_school_eligibility(
    state: web::Data<AppState>,
    Secretariat(_p): Secretariat,
    path: web::Path<(i32, i64)>,
) -> ApiResult<HttpResponse> {
    let (year, school_id) = *path;
    let view = eligibility::get_school(&state.db, year, school_id).await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Record the eligibility checklist of a school for a year (secretariat).
///
/// The first record needs no precondition. Changing a recorded checklist
/// needs `If-Match` with its ETag (from `GET` or the last answer) and a
/// `reason` (audited). Without `If-Match` on a recorded checklist — e.g. a
/// colleague recorded it a moment ago — or with an old ETag: 409
/// `STALE_DECISION` naming `decided_by` {`id`, `display_name`}, `decision`
/// (`eligible` / `not_eligible`), `decided_at` and the current `etag`;
/// nothing changes.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("school_id" = i64, Path, description = "School id"),
        ("If-Match" = Option<String>, Header, description = "To change a recorded checklist: its ETag"),
    ),
    request_body = SchoolEligibility,
    responses(
        (status = 200, body = SchoolEligibilityView, description = "The school's checklist as recorded", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no such school"),
        (status = 409, description = "`STALE_DECISION`: already recorded (no `If-Match`) or changed since (old ETag) — names `decided_by`, `decision`, `decided_at`, `etag`; nothing changed. `PROPOSAL_NOT_EDITABLE`: the year's list is with the council; `PROPOSAL_FINAL`: approved"),
        (status = 412, description = "`PRECONDITION_FAILED`: `If-Match` on a checklist never recorded"),
        (status = 422, description = "`VALIDATION_FAILED`: a change needs a `reason` (`/reason`)"),
    )
)]
#[put("/credit-years/{year}/eligibility/{school_id}")]
pub async fn put_school_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i32, i64)>,
    if_match: IfMatch,
    body: ValidJson<SchoolEligibility>,
) -> ApiResult<HttpResponse> {
    let (year, school_id) = *path;
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        eligibility::set_school(tx, &p, year, school_id, if_match.0.as_deref(), &body, now)
    })
    .await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// A person's recorded confirmation as logistics staff for a year, with its `ETag` (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"), ("key" = String, Path, description = "Row key of the person")),
    responses(
        (status = 200, body = IndividualEligibilityView, description = "The person's eligibility record for the year", headers(("ETag" = String, description = "Pass as If-Match to change it"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: not recorded yet"),
    )
)]
#[get("/credit-years/{year}/individual-eligibility/{key}")]
pub async fn get_individual_eligibility(
    state: web::Data<AppState>,
    Secretariat(_p): Secretariat,
    path: web::Path<(i32, String)>,
) -> ApiResult<HttpResponse> {
    let (year, key) = path.into_inner();
    let view = eligibility::get_individual(&state.db, year, &key).await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Confirm (or not) a person of the standings as logistics staff of a member school (secretariat).
///
/// `key` is the row key of the individuals' standings (`<school_id>/<author_key>`, URL-encoded).
/// As for a school's checklist: the first record needs no precondition; a
/// change needs `If-Match` and a `reason`; stale → 409 `STALE_DECISION`
/// (`decision`: `logistics_staff` / `not_logistics_staff`).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)"),
        ("key" = String, Path, description = "Row key of the person"),
        ("If-Match" = Option<String>, Header, description = "To change a recorded confirmation: its ETag"),
    ),
    request_body = IndividualEligibility,
    responses(
        (status = 200, body = IndividualEligibilityView, description = "The person's eligibility as recorded", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: the key names nobody credited with an article of the year"),
        (status = 409, description = "`STALE_DECISION`: already recorded (no `If-Match`) or changed since (old ETag) — names `decided_by`, `decision`, `decided_at`, `etag`; nothing changed. `PROPOSAL_NOT_EDITABLE`: the year's list is with the council; `PROPOSAL_FINAL`: approved"),
        (status = 412, description = "`PRECONDITION_FAILED`: `If-Match` on a confirmation never recorded"),
        (status = 422, description = "`VALIDATION_FAILED`: a change needs a `reason` (`/reason`)"),
    )
)]
#[put("/credit-years/{year}/individual-eligibility/{key}")]
pub async fn put_individual_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i32, String)>,
    if_match: IfMatch,
    body: ValidJson<IndividualEligibility>,
) -> ApiResult<HttpResponse> {
    let (year, key) = path.into_inner();
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        eligibility::set_individual(tx, &p, year, &key, if_match.0.as_deref(), &body, now)
    })
    .await?;
    Ok(tagged(StatusCode::OK, &view.etag, &view))
}

/// Every school checklist recorded for a year (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    responses(
        (status = 200, body = Vec<SchoolEligibilityView>, description = "The recorded checklists, by school id (schools never recorded are absent: the standings' `why` names them `checklist_not_recorded`)"),
        (status = 403, description = "`FORBIDDEN`"),
    )
)]
#[get("/credit-years/{year}/school-eligibility")]
pub async fn list_school_eligibility(
    state: web::Data<AppState>,
    Secretariat(_p): Secretariat,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let list = eligibility::list_schools(&state.db, *path).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Record many schools' checklists in one call (secretariat).
///
/// Each item is recorded as `PUT /credit-years/{year}/eligibility/{school_id}`
/// would record it — in its own unit of work, audited, with `if_match` and
/// `reason` to change a recorded checklist — so a refused item leaves the
/// others recorded and is itself unchanged. The answer lists every item in
/// the order sent with its `status` and its `result` or `problem` (the same
/// problem+json members and codes as the single call). Sending the same batch
/// again changes nothing twice: recorded items answer 409 `STALE_DECISION`.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    request_body = SchoolChecklistBatch,
    responses(
        (status = 200, body = SchoolChecklistResults, description = "One outcome per item, in order: `status` 200 with `result`, or the item's `problem` (`NOT_FOUND`, `STALE_DECISION`, `PRECONDITION_FAILED`, `VALIDATION_FAILED`, `PROPOSAL_NOT_EDITABLE`, `PROPOSAL_FINAL`)"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 422, description = "`VALIDATION_FAILED`: 1–200 items (`/items`), the field rules of each item (`/items/<i>/…`)"),
    )
)]
#[post("/credit-years/{year}/school-eligibility")]
pub async fn batch_school_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<SchoolChecklistBatch>,
) -> ApiResult<HttpResponse> {
    let results: SchoolChecklistResults =
        eligibility::set_schools(&state.db, &p, *path, &body, state.now()).await?;
    Ok(HttpResponse::Ok().json(results))
}

/// Every person's confirmation recorded for a year (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    responses(
        (status = 200, body = Vec<IndividualEligibilityView>, description = "The recorded confirmations, by key"),
        (status = 403, description = "`FORBIDDEN`"),
    )
)]
#[get("/credit-years/{year}/individual-eligibility")]
pub async fn list_individual_eligibility(
    state: web::Data<AppState>,
    Secretariat(_p): Secretariat,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let list = eligibility::list_individuals(&state.db, *path).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Record many people's confirmations in one call (secretariat).
///
/// The keys travel in the body as the standings give them (no URL
/// encoding). Each item as `PUT /credit-years/{year}/individual-eligibility/{key}`
/// would record it, in its own unit of work and audited; the answer lists
/// every item in order with its `status` and `result` or `problem`.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Credit year (2000–2100)")),
    request_body = IndividualBatch,
    responses(
        (status = 200, body = IndividualResults, description = "One outcome per item, in order: `status` 200 with `result`, or the item's `problem` (`NOT_FOUND`: nobody credited with that key this year; `STALE_DECISION`, `PRECONDITION_FAILED`, `VALIDATION_FAILED`, `INVALID_PARAMETER`, `PROPOSAL_NOT_EDITABLE`, `PROPOSAL_FINAL`)"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 422, description = "`VALIDATION_FAILED`: 1–200 items (`/items`), the field rules of each item (`/items/<i>/…`)"),
    )
)]
#[post("/credit-years/{year}/individual-eligibility")]
pub async fn batch_individual_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<IndividualBatch>,
) -> ApiResult<HttpResponse> {
    let results: IndividualResults =
        eligibility::set_individuals(&state.db, &p, *path, &body, state.now()).await?;
    Ok(HttpResponse::Ok().json(results))
}
