//! JWT access tokens and refresh tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Access tokens live 15 minutes.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// Refresh tokens live 30 days, and are rotated on every use.
pub const REFRESH_TTL: Duration = Duration::days(30);
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

pub fn issue_access(
    secret: &[u8],
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: member_id.to_string(),
        iat: now.timestamp(),
        exp: (now + ACCESS_TTL).timestamp(),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
}

/// Verifies signature (HS256 only), issuer and audience, then `exp`/`iat`
/// against the server's clock (not the system's, so tests can pin it).
pub fn verify_access(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<i64, TokenError> {
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
    c.sub.parse().map_err(|_| TokenError::Invalid)
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
