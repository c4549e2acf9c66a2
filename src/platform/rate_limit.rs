//! Rate limiting by key (fixed window counters in the cache, shared by every
//! app process through Redis). Over the limit → 429 `RATE_LIMITED` with
//! `Retry-After` and the `RateLimit-*` headers of the IETF draft.

use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue, RETRY_AFTER};

use crate::platform::cache::Cache;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// Names the limit in cache keys and the `RateLimit-Policy` header.
    pub name: &'static str,
    pub limit: u32,
    pub window: Duration,
}

/// What is left of a limit after a request was let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    pub remaining: u32,
    pub reset: Duration,
}

/// Counts one request for `key` against `rule`; refuses it when over the limit.
pub async fn check(cache: &Cache, rule: Rule, key: &str) -> ApiResult<Allowance> {
    let counter = cache
        .incr(&format!("rl:{}:{}", rule.name, key), rule.window)
        .await?;
    let reset_secs = counter.ttl.as_secs() + u64::from(counter.ttl.subsec_nanos() > 0);
    let reset_secs = reset_secs.max(1);
    if counter.value > i64::from(rule.limit) {
        let h = |s: String| HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static("1"));
        return Err(ApiError::new(ErrorCode::RateLimited)
            .with_detail(format!("操作过于频繁，请 {reset_secs} 秒后再试。"))
            .with_header(RETRY_AFTER, h(reset_secs.to_string()))
            .with_header(
                HeaderName::from_static("ratelimit-limit"),
                h(rule.limit.to_string()),
            )
            .with_header(
                HeaderName::from_static("ratelimit-remaining"),
                HeaderValue::from_static("0"),
            )
            .with_header(
                HeaderName::from_static("ratelimit-reset"),
                h(reset_secs.to_string()),
            )
            .with_header(
                HeaderName::from_static("ratelimit-policy"),
                h(format!("{};w={}", rule.limit, rule.window.as_secs())),
            ));
    }
    let used = u32::try_from(counter.value).unwrap_or(u32::MAX);
    Ok(Allowance {
        remaining: rule.limit.saturating_sub(used),
        reset: Duration::from_secs(reset_secs),
    })
}
