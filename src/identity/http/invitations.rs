//! Invitation codes: the secretariat issues a code for a role and an
//! organisation; a member redeems it to get the role.

use actix_web::{HttpResponse, delete, get, post, web};

use crate::access::principal::{Auth, Secretariat};
use crate::identity::invitations::{
    self, InvitationInput, InvitationQuery, InvitationView, RedeemRequest,
};
use crate::identity::views::MeView;
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Issue an invitation code (secretariat).
#[utoipa::path(
    tag = "invitations",
    security(("bearer_auth" = [])),
    request_body = InvitationInput,
    responses((status = 201, body = InvitationView, description = "The invitation with its code (shown once)"), (status = 403, description = "`FORBIDDEN`"))
)]
#[post("/invitations")]
pub async fn create_invitation(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<InvitationInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| invitations::create(tx, &p, &body, now)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Invitation codes, newest first (secretariat).
#[utoipa::path(
    tag = "invitations",
    security(("bearer_auth" = [])),
    params(InvitationQuery),
    responses((status = 200, body = Page<InvitationView>, description = "One page of invitations, newest first"), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    Secretariat(_viewer): Secretariat,
    q: web::Query<InvitationQuery>,
) -> ApiResult<HttpResponse> {
    let page = invitations::list(&state.db, &state.page_token_key, &q, state.now()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Revoke an invitation code (secretariat). Roles already granted stay.
#[utoipa::path(
    tag = "invitations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Invitation id")),
    responses((status = 204, description = "Revoked"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[delete("/invitations/{id}")]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    db::write(&state.db, |tx| invitations::revoke(tx, &p, *path, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Redeem an invitation code: the member gets its role for its school or district.
///
/// Redeeming a code whose role the member already holds answers 200 and uses nothing.
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    request_body = RedeemRequest,
    responses(
        (status = 200, body = MeView, description = "The caller's profile with the invitation's role granted"),
        (status = 404, description = "`INVITATION_NOT_FOUND`"),
        (status = 409, description = "`INVITATION_USED_UP`"),
        (status = 410, description = "`INVITATION_EXPIRED` or `INVITATION_REVOKED`"),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`"),
    )
)]
#[post("/me/invitations/redeem")]
pub async fn redeem(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: ValidJson<RedeemRequest>,
) -> ApiResult<HttpResponse> {
    let view = invitations::redeem(&state.db, &state.cache, &p, &body, state.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}
