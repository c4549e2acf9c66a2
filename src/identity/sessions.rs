//! Sessions: logging in with WeChat, rotating refresh tokens (a login and
//! its refreshes are one family), logging out.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::revoked;
use crate::access::tokens::{self, ACCESS_TTL, REFRESH_REUSE_GRACE, REFRESH_TTL, Successor};
use crate::entity::{member, refresh_token};
use crate::identity::codes::{Code, CodeExchange};
use crate::identity::views::{MeView, me_view};
use crate::platform::cache::Cache;
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::platform::rate_limit::{self, Rule};

/// Login attempts per client address.
pub const LOGIN_LIMIT: Rule = Rule {
    name: "login",
    limit: 20,
    window: std::time::Duration::from_secs(60),
};

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[schema(example = json!({"code": "dev:张晓燕"}))]
pub struct LoginRequest {
    /// The `code` from `wx.login()` (single-use, valid 5 minutes; 1–256
    /// characters). In development without WeChat credentials, `dev:<name>`
    /// logs in as a development member called `<name>`.
    #[validate(length(min = 1, max = 256, message = "登录凭证不能为空。"))]
    #[schema(min_length = 1, max_length = 256)]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT (HS256) to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires (900; a few less when a refresh
    /// retried within the grace answers the pair again).
    pub expires_in: i64,
    /// Opaque; exchange at `POST /auth/refresh` (rotated on every use, 30 days;
    /// the same one again for a retry within 30 s).
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub member: MeView,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[schema(example = json!({"refresh_token": "6oQ0Hc2mJ1kq8R4tUvXyZ3aBcDeFgHiJkLmNoPqRsT0"}))]
pub struct RefreshRequest {
    /// The `refresh_token` of the last token response (1–256 characters).
    #[validate(length(min = 1, max = 256, message = "refresh_token 不能为空。"))]
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

/// Logs in with the code from `wx.login()`, rate limited per `client`
/// address: WeChat exchanges the code (outside any transaction: a code is
/// single-use), then the member is found or created and gets new tokens.
pub async fn login(
    db: &DatabaseConnection,
    cache: &Cache,
    codes: CodeExchange<'_>,
    jwt_secret: &[u8],
    client: &str,
    input: &LoginRequest,
    now: DateTime<Utc>,
) -> ApiResult<TokenResponse> {
    rate_limit::check(cache, LOGIN_LIMIT, client).await?;
    let (openid, unionid, name) = match codes.route(input.code.trim()) {
        Code::Dev(name) => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 32 {
                return Err(ApiError::new(ErrorCode::InvalidLoginCode)
                    .with_detail("开发登录凭证须为 dev:<名字>（1–32 个字）。"));
            }
            (format!("dev:{name}"), None, name.to_owned())
        }
        Code::WeChat(wechat, code) => {
            let s = wechat.code2session(code).await?;
            (s.openid, s.unionid, "微信用户".to_owned())
        }
        Code::Unconfigured => {
            return Err(ApiError::new(ErrorCode::InvalidLoginCode)
                .with_detail("未配置微信登录；开发环境请使用 dev:<名字> 登录。"));
        }
    };
    let (openid, unionid, name) = (openid.as_str(), unionid.as_deref(), name.as_str());
    db::write(db, |tx| async move {
        let m = find_or_create_member(&*tx, openid, unionid, name, now).await?;
        let pair = Pair {
            refresh_token: tokens::new_refresh_token(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        issue_tokens(&*tx, jwt_secret, &m, None, pair, now).await
    })
    .await
}

async fn find_member(db: &impl ConnectionTrait, openid: &str) -> ApiResult<Option<member::Model>> {
    Ok(member::Entity::find()
        .filter(member::Column::Openid.eq(openid))
        .one(db)
        .await?)
}

/// Finds the member by `openid`, or creates them; keeps `unionid` when given.
pub async fn find_or_create_member(
    db: &impl ConnectionTrait,
    openid: &str,
    unionid: Option<&str>,
    display_name: &str,
    now: DateTime<Utc>,
) -> ApiResult<member::Model> {
    if let Some(m) = find_member(db, openid).await? {
        let mut am: member::ActiveModel = m.clone().into();
        if unionid.is_some() && m.unionid.as_deref() != unionid {
            am.unionid = Set(unionid.map(str::to_owned));
        }
        am.last_login_at = Set(Some(now));
        return Ok(am.update(db).await?);
    }
    // Does nothing when a concurrent first login of the same person won the
    // race (a failing insert would end the transaction on PostgreSQL).
    member::Entity::insert(member::ActiveModel {
        openid: Set(openid.to_owned()),
        unionid: Set(unionid.map(str::to_owned)),
        display_name: Set(display_name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(Some(now)),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([member::Column::Openid])
    .exec_without_returning(db)
    .await?;
    find_member(db, openid)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("member {openid:?} vanished")))
}

/// What a new pair of tokens is made of: the refresh token (random at
/// login, derived from its predecessor on refresh) and the `jti` of the
/// access token.
struct Pair {
    refresh_token: String,
    jti: String,
}

/// A new access token and a new refresh token (of `family`, or of a new
/// family for a fresh login), issued `now`.
async fn issue_tokens(
    db: &impl ConnectionTrait,
    jwt_secret: &[u8],
    member: &member::Model,
    family: Option<String>,
    pair: Pair,
    now: DateTime<Utc>,
) -> ApiResult<TokenResponse> {
    let access =
        tokens::encode_access(jwt_secret, member.id, now, &pair.jti).map_err(ApiError::internal)?;
    refresh_token::ActiveModel {
        member_id: Set(member.id),
        family_id: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        token_hash: Set(tokens::hash_refresh_token(&pair.refresh_token)),
        created_at: Set(now),
        expires_at: Set(now + REFRESH_TTL),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TTL.num_seconds(),
        refresh_token: pair.refresh_token,
        refresh_expires_in: REFRESH_TTL.num_seconds(),
        member: me_view(db, member).await?,
    })
}

/// What presenting a refresh token came to.
enum Rotation {
    /// The token was good (or its exchange is being retried within the
    /// grace): these replace it.
    Issued(Box<TokenResponse>),
    /// The token had been used before, past the grace: its family is
    /// revoked (and that revocation must be committed, though the caller is
    /// refused).
    Reused { member_id: i64 },
}

/// Exchanges a refresh token for new tokens. The token is rotated: the old
/// one stops working. Presenting it again within [`REFRESH_REUSE_GRACE`]
/// of its exchange, while its successor is unused (a phone retrying a
/// refresh whose answer was lost, or sending it several times at once),
/// answers the same new pair again. Presenting it later (a stolen copy)
/// revokes its whole family.
///
/// The same pair is answered without storing it: the successor refresh
/// token and the access token's `jti` are derived from the presented token
/// ([`tokens::successor_of`]), and the access token is issued at the
/// instant the token was exchanged, so every retry, on any process, signs
/// the very same token. Only hashes are stored, as before.
pub async fn refresh(
    db: &DatabaseConnection,
    jwt_secret: &[u8],
    input: &RefreshRequest,
    now: DateTime<Utc>,
) -> ApiResult<TokenResponse> {
    let presented = input.refresh_token.trim();
    let hash = tokens::hash_refresh_token(presented);
    let next = tokens::successor_of(jwt_secret, presented).map_err(ApiError::internal)?;
    match db::write(db, |tx| rotate(tx, &hash, &next, jwt_secret, now)).await? {
        Rotation::Issued(tokens) => Ok(*tokens),
        Rotation::Reused { member_id } => {
            tracing::warn!(member_id, "refresh token reused; family revoked");
            Err(ApiError::new(ErrorCode::RefreshTokenReused))
        }
    }
}

async fn find_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> ApiResult<Option<refresh_token::Model>> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?)
}

async fn rotate(
    tx: Tx,
    hash: &str,
    next: &Successor,
    jwt_secret: &[u8],
    now: DateTime<Utc>,
) -> ApiResult<Rotation> {
    let txn = &*tx;
    let Some(row) = find_by_hash(txn, hash).await? else {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    }
    // Mark it used, only if nobody else did first. On PostgreSQL a
    // concurrent presentation waits here for the first one's transaction,
    // then finds the row used; on SQLite the write lock is taken up front,
    // so it reads the row used to begin with.
    let used = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if used.rows_affected == 1 {
        let member = member::Entity::find_by_id(row.member_id)
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::RefreshTokenInvalid))?;
        let pair = Pair {
            refresh_token: next.refresh_token.clone(),
            jti: next.jti.clone(),
        };
        let tokens = issue_tokens(txn, jwt_secret, &member, Some(row.family_id), pair, now).await?;
        return Ok(Rotation::Issued(Box::new(tokens)));
    }
    // Used before. Read it again: a statement sees what the first
    // presentation committed.
    let row = refresh_token::Entity::find_by_id(row.id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RefreshTokenInvalid))?;
    if row.revoked_at.is_some() {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    }
    if let Some(again) = within_grace(txn, &row, next, jwt_secret, now).await? {
        return Ok(Rotation::Issued(Box::new(again)));
    }
    revoke_family(txn, &row.family_id, now).await?;
    Ok(Rotation::Reused {
        member_id: row.member_id,
    })
}

/// The pair `row`'s exchange answered, again — if `row` was exchanged at
/// most [`REFRESH_REUSE_GRACE`] ago and its successor is still unused and
/// of the same family (a successor used means its holder got the answer:
/// the old token presented again is a copy). `None` otherwise.
async fn within_grace(
    db: &impl ConnectionTrait,
    row: &refresh_token::Model,
    next: &Successor,
    jwt_secret: &[u8],
    now: DateTime<Utc>,
) -> ApiResult<Option<TokenResponse>> {
    let Some(exchanged) = row.used_at else {
        return Ok(None);
    };
    if now - exchanged > REFRESH_REUSE_GRACE {
        return Ok(None);
    }
    let successor = find_by_hash(db, &tokens::hash_refresh_token(&next.refresh_token)).await?;
    let Some(successor) = successor
        .filter(|s| s.family_id == row.family_id && s.used_at.is_none() && s.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let Some(member) = member::Entity::find_by_id(row.member_id).one(db).await? else {
        return Ok(None);
    };
    let access = tokens::encode_access(jwt_secret, member.id, exchanged, &next.jti)
        .map_err(ApiError::internal)?;
    Ok(Some(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: (exchanged + ACCESS_TTL - now).num_seconds().max(0),
        refresh_token: next.refresh_token.clone(),
        refresh_expires_in: (successor.expires_at - now).num_seconds().max(0),
        member: me_view(db, &member).await?,
    }))
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

/// Logs out: the refresh token and its whole family stop working, and the
/// access token presented with the request (`access_token`, if valid) is
/// refused from now until it expires, by every process (the shared cache).
/// The access token is revoked even when the refresh token is unknown,
/// expired or already revoked. Neither an unknown refresh token nor a
/// missing, invalid or expired access token is an error, so a retry is
/// harmless.
pub async fn logout(
    db: &DatabaseConnection,
    cache: &Cache,
    jwt_secret: &[u8],
    access_token: Option<&str>,
    input: &RefreshRequest,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if let Some(verified) =
        access_token.and_then(|t| tokens::verify_access(jwt_secret, t, now).ok())
    {
        revoked::revoke(cache, &verified, now).await?;
    }
    let hash = tokens::hash_refresh_token(input.refresh_token.trim());
    db::write(db, |tx| revoke_login(tx, &hash, now)).await
}

async fn revoke_login(tx: Tx, hash: &str, now: DateTime<Utc>) -> ApiResult<()> {
    let txn = &*tx;
    if let Some(row) = find_by_hash(txn, hash).await? {
        revoke_family(txn, &row.family_id, now).await?;
    }
    Ok(())
}
