//! WeChat login, token refresh and logout.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{code_exchange, jwt_secret};
use crate::access::principal::bearer_token;
use crate::identity::sessions::{self, LoginRequest, RefreshRequest, TokenResponse};
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
        (status = 200, body = TokenResponse, description = "Logged in: an access token and a refresh token"),
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
/// The refresh token is rotated: the old one stops working. A phone on a bad
/// connection may send the same refresh again (or several at once): within
/// 30 seconds of the first exchange, and while the new refresh token has not
/// been used, the old one answers the very same new pair (the same
/// `access_token` and `refresh_token`; `expires_in` and `refresh_expires_in`
/// count from now). Presenting it later, or after the new one was used (a
/// stolen copy), revokes its whole family: every session that descends from
/// the same login must log in again.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse, description = "New tokens (the same pair again for a retry within 30 s)"),
        (status = 401, description = "`REFRESH_TOKEN_INVALID` (unknown, expired or revoked) or `REFRESH_TOKEN_REUSED` (presented again after the 30-second grace, or after its successor was used: family revoked)"),
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

/// Log out: the refresh token and its whole family stop working, and so
/// does the access token sent with the request, at once.
///
/// Send the access token as `Authorization: Bearer …` (optional, but without
/// it the access token keeps working until it expires, at most 15 minutes):
/// from this answer on, every server refuses it with 401 `UNAUTHENTICATED`,
/// even when the refresh token was already unknown, expired or revoked.
/// Other logins of the same member are untouched. Answers 204 even for an
/// unknown refresh token or an expired, invalid or already logged-out access
/// token, so a retry is harmless.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    security((), ("bearer_auth" = [])),
    responses((status = 204, description = "Logged out"))
)]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    sessions::logout(
        &state.db,
        &state.cache,
        jwt_secret(&state),
        bearer_token(&req),
        &body,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
