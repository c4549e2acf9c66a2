//! Access tokens refused before they expire: logging out records the token's
//! `jti` in the shared cache (Redis with several processes, the in-process
//! cache for one), with a time to live of the token's remaining lifetime, and
//! the authentication middleware refuses a token whose `jti` is there. So a
//! logged-out token stops working at once, on every process, and the cache
//! holds nothing longer than an access token lives.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::tokens::Verified;
use crate::platform::cache::{Cache, CacheResult};

fn key(jti: &str) -> String {
    format!("access:revoked:{jti}")
}

/// Refuses this access token from now until it would expire anyway. A token
/// already past its acceptance needs nothing.
pub async fn revoke(cache: &Cache, token: &Verified, now: DateTime<Utc>) -> CacheResult<()> {
    let left = token.accepted_until - now.timestamp();
    let Ok(left) = u64::try_from(left) else {
        return Ok(());
    };
    if left == 0 {
        return Ok(());
    }
    cache
        .set(&key(&token.jti), "1", Duration::from_secs(left))
        .await
}

/// Whether the token with this `jti` was logged out.
pub async fn is_revoked(cache: &Cache, jti: &str) -> CacheResult<bool> {
    Ok(cache.get(&key(jti)).await?.is_some())
}
