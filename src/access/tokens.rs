//! JWT access tokens and refresh tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Access tokens live 15 minutes.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// Refresh tokens live 30 days, and are rotated on every use.
pub const REFRESH_TTL: Duration = Duration::days(30);
/// How long a refresh token that was just exchanged may be presented again
/// and answer the same new pair instead of counting as reuse: a phone on a
/// bad connection retries a refresh whose answer it never received. The
/// same idea as Auth0's "reuse interval" and Okta's "grace period" for
/// rotating refresh tokens, and the same order of size (30 s). After it,
/// or once the successor has been used, presenting the old token again is
/// reuse and revokes the family.
pub const REFRESH_REUSE_GRACE: Duration = Duration::seconds(30);
pub const ISSUER: &str = "scgxhq-association";
pub const AUDIENCE: &str = "scgxhq-miniprogram";
/// Tolerated clock skew when checking `exp` and `iat`.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

/// What a valid access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub member_id: i64,
    /// The token's id (`jti`), by which a logged-out token is refused.
    pub jti: String,
    /// The last instant (Unix seconds) the token is accepted at: its `exp`
    /// plus the tolerated clock skew.
    pub accepted_until: i64,
}

/// A new access token with a random `jti`, issued `now`.
pub fn issue_access(
    secret: &[u8],
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<String, jsonwebtoken::errors::Error> {
    encode_access(secret, member_id, now, &uuid::Uuid::new_v4().to_string())
}

/// The access token of `member_id` issued at `issued_at` with this `jti`.
/// Deterministic (HS256 over fixed claims): the same inputs give the same
/// token, which is how a refresh retried within the grace answers the very
/// access token the first presentation got.
pub fn encode_access(
    secret: &[u8],
    member_id: i64,
    issued_at: DateTime<Utc>,
    jti: &str,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: member_id.to_string(),
        iat: issued_at.timestamp(),
        exp: (issued_at + ACCESS_TTL).timestamp(),
        jti: jti.to_owned(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
}

/// Verifies signature (HS256 only), issuer and audience, then `exp`/`iat`
/// against the server's clock (not the system's, so tests can pin it).
/// Whether the token was logged out is the cache's to say
/// ([`crate::access::revoked`]).
pub fn verify_access(
    secret: &[u8],
    token: &str,
    now: DateTime<Utc>,
) -> Result<Verified, TokenError> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v.validate_exp = false;
    v.validate_nbf = false;
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &v)
        .map_err(|_| TokenError::Invalid)?;
    let c = data.claims;
    let t = now.timestamp();
    if c.iat > t + LEEWAY_SECS || c.jti.is_empty() {
        return Err(TokenError::Invalid);
    }
    if c.exp + LEEWAY_SECS <= t {
        return Err(TokenError::Expired);
    }
    Ok(Verified {
        member_id: c.sub.parse().map_err(|_| TokenError::Invalid)?,
        jti: c.jti,
        accepted_until: c.exp + LEEWAY_SECS,
    })
}

/// A new refresh token: 256 random bits, base64url.
pub fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Refresh tokens are stored as their SHA-256 only.
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What replaces a refresh token when it is exchanged: the next refresh
/// token and the `jti` of the access token issued with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Successor {
    pub refresh_token: String,
    pub jti: String,
}

/// The successor of `presented`, derived with HMAC-SHA256 under a key
/// derived from the JWT secret: every process of a deployment computes the
/// same one, so a refresh retried within [`REFRESH_REUSE_GRACE`] answers the
/// pair the first presentation got without anything but its hash being
/// stored. Without the secret the successor is as unguessable as a random
/// token (256 bits of HMAC output).
pub fn successor_of(
    jwt_secret: &[u8],
    presented: &str,
) -> Result<Successor, hmac::digest::InvalidLength> {
    let key = Sha256::new()
        .chain_update(b"refresh-successor-key\0")
        .chain_update(jwt_secret)
        .finalize();
    let mac = |label: &[u8]| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key)?;
        m.update(label);
        m.update(presented.as_bytes());
        Ok::<_, hmac::digest::InvalidLength>(m.finalize().into_bytes())
    };
    let refresh = mac(b"refresh\0")?;
    let jti = mac(b"jti\0")?;
    let mut id = [0u8; 16];
    id.copy_from_slice(&jti[..16]);
    Ok(Successor {
        refresh_token: URL_SAFE_NO_PAD.encode(refresh),
        jti: uuid::Builder::from_random_bytes(id).into_uuid().to_string(),
    })
}
