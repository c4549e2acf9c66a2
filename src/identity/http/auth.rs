//! WeChat login, token refresh and logout.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::entity::{member, refresh_token};
use crate::identity::http::me::{MeView, me_view};
use crate::identity::tokens::{self, ACCESS_TTL, REFRESH_TTL};
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::platform::extract::ValidJson;
use crate::platform::rate_limit::{self, Rule};
use crate::state::AppState;

/// Login attempts per client address.
pub const LOGIN_LIMIT: Rule = Rule {
    name: "login",
    limit: 20,
    window: std::time::Duration::from_secs(60),
};

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
pub struct LoginRequest {
    /// The `code` from `wx.login()` (single-use, valid 5 minutes). In
    /// development without WeChat credentials, `dev:<name>` logs in as a
    /// development member called `<name>`.
    #[validate(length(min = 1, max = 256, message = "登录凭证不能为空。"))]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT (HS256) to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires (900).
    pub expires_in: i64,
    /// Opaque; exchange at `POST /auth/refresh` (rotated on every use, 30 days).
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub member: MeView,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256, message = "refresh_token 不能为空。"))]
    pub refresh_token: String,
}

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
    rate_limit::check(&state.cache, LOGIN_LIMIT, &client_key(&req)).await?;
    let code = body.code.trim();
    let (openid, unionid, name) = match (
        code.strip_prefix("dev:"),
        state.settings.dev_login_enabled(),
    ) {
        (Some(name), true) => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 32 {
                return Err(ApiError::new(ErrorCode::InvalidLoginCode)
                    .with_detail("开发登录凭证须为 dev:<名字>（1–32 个字）。"));
            }
            (format!("dev:{name}"), None, name.to_owned())
        }
        _ => match &state.wechat {
            Some(wechat) => {
                let s = wechat.code2session(code).await?;
                (s.openid, s.unionid, "微信用户".to_owned())
            }
            None => {
                return Err(ApiError::new(ErrorCode::InvalidLoginCode)
                    .with_detail("未配置微信登录；开发环境请使用 dev:<名字> 登录。"));
            }
        },
    };
    let now = state.now();
    let member = find_or_create_member(&state.db, &openid, unionid, &name, now).await?;
    let tokens = issue_tokens(&state, &member, None, now).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Finds the member by `openid`, or creates them; keeps `unionid` when given.
pub async fn find_or_create_member(
    db: &impl ConnectionTrait,
    openid: &str,
    unionid: Option<String>,
    display_name: &str,
    now: DateTime<Utc>,
) -> ApiResult<member::Model> {
    let existing = member::Entity::find()
        .filter(member::Column::Openid.eq(openid))
        .one(db)
        .await?;
    if let Some(m) = existing {
        let mut am: member::ActiveModel = m.clone().into();
        if unionid.is_some() && m.unionid != unionid {
            am.unionid = Set(unionid);
        }
        am.last_login_at = Set(Some(now));
        return Ok(am.update(db).await?);
    }
    let inserted = member::ActiveModel {
        openid: Set(openid.to_owned()),
        unionid: Set(unionid.clone()),
        display_name: Set(display_name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(m) => Ok(m),
        // A concurrent first login of the same person won the race.
        Err(e) if crate::platform::db::is_unique_violation(&e) => member::Entity::find()
            .filter(member::Column::Openid.eq(openid))
            .one(db)
            .await?
            .ok_or_else(|| ApiError::internal(e)),
        Err(e) => Err(e.into()),
    }
}

async fn issue_tokens(
    state: &AppState,
    member: &member::Model,
    family: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<TokenResponse> {
    let access = tokens::issue_access(
        state.settings.jwt_secret.expose_secret().as_bytes(),
        member.id,
        now,
    )
    .map_err(ApiError::internal)?;
    let refresh_secret = tokens::new_refresh_token();
    refresh_token::ActiveModel {
        member_id: Set(member.id),
        family_id: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        token_hash: Set(tokens::hash_refresh_token(&refresh_secret)),
        created_at: Set(now),
        expires_at: Set(now + REFRESH_TTL),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TTL.num_seconds(),
        refresh_token: refresh_secret,
        refresh_expires_in: REFRESH_TTL.num_seconds(),
        member: me_view(&state.db, member).await?,
    })
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
    let now = state.now();
    let hash = tokens::hash_refresh_token(body.refresh_token.trim());
    let txn = state.db.begin().await?;
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
    else {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    }
    // Mark it used, only if nobody else did first (two phones racing with one token).
    let used = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        revoke_family(&txn, &row.family_id, now).await?;
        txn.commit().await?;
        tracing::warn!(
            member_id = row.member_id,
            "refresh token reused; family revoked"
        );
        return Err(ApiError::new(ErrorCode::RefreshTokenReused));
    }
    txn.commit().await?;
    let member = member::Entity::find_by_id(row.member_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RefreshTokenInvalid))?;
    let tokens = issue_tokens(&state, &member, Some(row.family_id), now).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

async fn revoke_family(
    db: &impl ConnectionTrait,
    family: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
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
    let hash = tokens::hash_refresh_token(body.refresh_token.trim());
    if let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&state.db)
        .await?
    {
        revoke_family(&state.db, &row.family_id, state.now()).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
