//! The logged-in member's own profile.

use actix_web::{HttpResponse, get, patch, post, web};

use super::code_exchange;
use crate::access::principal::Auth;
use crate::identity::profile::{self, PhoneRequest, UpdateMe};
use crate::identity::views::MeView;
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::state::AppState;

/// The logged-in member, with roles.
#[utoipa::path(tag = "me", security(("bearer_auth" = [])), responses((status = 200, body = MeView, description = "The caller's profile, roles and schools")))]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, Auth(p): Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(profile::me(&state.db, &p).await?))
}

/// Update the logged-in member's profile.
#[utoipa::path(tag = "me", security(("bearer_auth" = [])), request_body = UpdateMe, responses((status = 200, body = MeView, description = "The caller's profile as changed")))]
#[patch("/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: ValidJson<UpdateMe>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| profile::update(tx, &p, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Bind the member's phone number through WeChat's phone-number API (never typed in).
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    request_body = PhoneRequest,
    responses(
        (status = 200, body = MeView, description = "The caller's profile with the phone number bound"),
        (status = 503, description = "`WECHAT_UNAVAILABLE`, with `Retry-After`"),
    )
)]
#[post("/me/phone")]
pub async fn bind_phone(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: ValidJson<PhoneRequest>,
) -> ApiResult<HttpResponse> {
    let view =
        profile::bind_phone(&state.db, code_exchange(&state), &p, &body, state.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}
