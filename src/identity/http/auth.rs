//! WeChat login, token refresh and logout.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{code_exchange, jwt_secret};
use crate::identity::sessions::{self, LoginRequest, RefreshRequest, TokenResponse};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::state::AppState;

fn client_key(req: &HttpRequest) -> String {
    crate::platform::client::client_ip(req)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Log in with the code from `wx.login()`.
///
/// Creates the member on first login (found by `openid`). Rate limited per
/// client address. The WeChat session key never leaves the server.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`INVALID_LOGIN_CODE` or `LOGIN_CODE_USED`: call `wx.login()` again"),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`"),
        (status = 503, description = "`WECHAT_UNAVAILABLE`, with `Retry-After`"),
    )
)]
#[post("/auth/wechat/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = sessions::login(
        &state.db,
        &state.cache,
        code_exchange(&state),
        jwt_secret(&state),
        &client_key(&req),
        &body,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Exchange a refresh token for new tokens.
///
/// The refresh token is rotated: the old one stops working. Presenting a
/// rotated token again (a stolen copy) revokes its whole family: every
/// session that descends from the same login must log in again.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`REFRESH_TOKEN_INVALID` (unknown, expired or revoked) or `REFRESH_TOKEN_REUSED` (family revoked)"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = sessions::refresh(&state.db, jwt_secret(&state), &body, state.now()).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Log out: the refresh token and its whole family stop working.
///
/// Answers 204 even for an unknown token, so a retry is harmless. The access
/// token stays valid until it expires (at most 15 minutes); the app drops it.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 204, description = "Logged out")))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    db::write(&state.db, |tx| sessions::logout(tx, &body, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}
