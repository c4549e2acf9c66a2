//! Campaigns (评选活动, seed 002): the secretariat creates and edits them,
//! grants late filing, lists the nominations, forwards the chosen ones to the
//! national association and exports their package. Anyone reads a campaign.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};

use super::responses::{Once, download, once_per_key};
use crate::access::principal::{Auth, DistrictLead, MaybeAuth, Secretariat};
use crate::nominations::model::{
    CampaignInput, CampaignPatch, CampaignQuery, CampaignView, FileBody, ForwardInput,
    ForwardResult, LateGrantInput, LateGrantView, NominationCreate, NominationQuery,
    NominationSummary, NominationView,
};
use crate::nominations::{campaigns, filing, package};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::{IdempotencyKey, ValidJson};
use crate::platform::idempotency;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Create a campaign (secretariat). Audited.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    request_body = CampaignInput,
    responses((status = 201, body = CampaignView, description = "The campaign created"), (status = 403, description = "`FORBIDDEN`"))
)]
#[post("/campaigns")]
pub async fn create_campaign(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<CampaignInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| campaigns::create(tx, &p, &body, now)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Campaigns, newest first. Public; with a token each campaign also says
/// what it means for the caller (`open_for_me`, `closes_for_me`,
/// `for_my_districts`, `my_nominations`).
#[utoipa::path(
    tag = "campaigns",
    security((), ("bearer_auth" = [])),
    params(CampaignQuery),
    responses(
        (status = 200, body = Page<CampaignView>, description = "One page of campaigns, newest first"),
        (status = 401, description = "`UNAUTHENTICATED`: a token was sent and is invalid, expired or logged out (send none to read anonymously)"),
    )
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    MaybeAuth(p): MaybeAuth,
    q: web::Query<CampaignQuery>,
) -> ApiResult<HttpResponse> {
    let page = campaigns::list(
        &state.db,
        &state.page_token_key,
        &q,
        p.as_ref(),
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One campaign, with `server_time` and the deadline for a true countdown,
/// and its timeline (the district deadline, then the national stages).
/// Public; with a token it also says what it means for the caller: whether
/// filing is open for one of their districts (`open_for_me`, a late grant
/// counted), when it closes for them, and their nominations' checklists.
#[utoipa::path(
    tag = "campaigns",
    security((), ("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    responses(
        (status = 200, body = CampaignView, description = "The campaign"),
        (status = 401, description = "`UNAUTHENTICATED`: a token was sent and is invalid, expired or logged out (send none to read anonymously)"),
        (status = 404, description = "`NOT_FOUND`"),
    )
)]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    state: web::Data<AppState>,
    MaybeAuth(p): MaybeAuth,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = campaigns::get(&state.db, *path, p.as_ref(), state.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change a campaign (secretariat). Audited with before and after.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = CampaignPatch,
    responses((status = 200, body = CampaignView, description = "The campaign as changed"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[patch("/campaigns/{id}")]
pub async fn update_campaign(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<CampaignPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| campaigns::update(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Let one district file after the deadline until a stated instant
/// (secretariat). Audited; shown in the campaign read.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = LateGrantInput,
    responses((status = 201, body = LateGrantView, description = "The late grant: the district may file until `until`"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[post("/campaigns/{id}/late-grants")]
pub async fn create_late_grant(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<LateGrantInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        campaigns::grant_late(tx, &p, *path, &body, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Start a nomination (draft) for the lead's own district. `Idempotency-Key`
/// honoured. Only before the deadline (409 `DEADLINE_PASSED`); at most
/// `NOMINATION_DRAFT_LIMIT` (3) open drafts per district and campaign (409
/// `DRAFT_LIMIT`, naming them). The form so far is saved as an edit is (see
/// `PATCH /nominations/{id}`): the fields that break their rule are answered
/// in `warnings`.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Campaign id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (a UUID)"),
    ),
    request_body = NominationCreate,
    responses(
        (status = 201, body = NominationView, description = "The draft nomination created (its `ETag` is the one to send with `If-Match`)", headers(("ETag" = String, description = "Pass as If-Match to edit"))),
        (status = 403, description = "`FORBIDDEN`: not the lead of that district"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `DRAFT_LIMIT`: the district has as many open drafts as allowed"),
        (status = 422, description = "`VALIDATION_FAILED`: `district_id` needed (the lead leads several), or a form field of the wrong JSON type or unknown to the form (each in `errors[]`)"),
    )
)]
#[post("/campaigns/{id}/nominations")]
pub async fn create_nomination(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    key: IdempotencyKey,
    path: web::Path<i64>,
    body: ValidJson<NominationCreate>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let campaign_id = *path;
    let limit = state.settings.nomination_draft_limit;
    let new = filing::prepare(&state.db, &p, campaign_id, &body).await?;
    let once = Once {
        member_id: p.id(),
        key: &key,
        fingerprint: idempotency::fingerprint(
            "POST",
            &format!("/campaigns/{campaign_id}/nominations"),
            &*body,
        )?,
    };
    once_per_key(&state.db, now, once, StatusCode::CREATED, |tx| {
        filing::create(tx, &p, &new, &body, limit, now)
    })
    .await
}

/// The nominations of a campaign: media-honoured nominees first ("受到过各级各类
/// 媒体平台表彰与奖励具有优先入围资质"), then by filing order. The secretariat
/// sees all; a district lead only their own district's. Phones masked.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id"), NominationQuery),
    responses(
        (status = 200, body = Page<NominationSummary>, description = "One page of the campaign's nominations the caller may see"),
        (status = 403, description = "`FORBIDDEN`: neither the secretariat nor a lead of that district"),
        (status = 404, description = "`NOT_FOUND`"),
    )
)]
#[get("/campaigns/{id}/nominations")]
pub async fn list_nominations(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i64>,
    q: web::Query<NominationQuery>,
) -> ApiResult<HttpResponse> {
    let page = filing::list(&state.db, &state.page_token_key, &p, *path, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Forward nominees to the national association (secretariat): at most the
/// association quota in total (409 `QUOTA_EXCEEDED`), only shortlisted ones
/// (409 `CONFLICT`), only with the nominee's consent (409
/// `CONSENT_REQUIRED`). All or nothing; audited per nomination.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = ForwardInput,
    responses(
        (status = 200, body = ForwardResult, description = "The nominations forwarded to the national association"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`QUOTA_EXCEEDED`, `CONSENT_REQUIRED`, or `CONFLICT` (not shortlisted)"),
    )
)]
#[post("/campaigns/{id}/forward")]
pub async fn forward(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ForwardInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let result = db::write(&state.db, |tx| package::forward(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// The package of the forwarded nominees (secretariat): per nominee a folder
/// with the registration form (`.docx`) and the attachments. A nominee who
/// withdrew their consent after forwarding is left out (PIPL). 409
/// `CONFLICT` when there is nothing to export.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "A zip archive", content_type = "application/zip", body = FileBody),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT`: nothing forwarded yet"),
    )
)]
#[get("/campaigns/{id}/export.zip")]
pub async fn export_zip(
    state: web::Data<AppState>,
    Secretariat(_admin): Secretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let file = package::export(&state.db, *path).await?;
    Ok(download(file, &[]))
}
