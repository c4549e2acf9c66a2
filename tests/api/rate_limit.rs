use std::time::Duration;

use actix_web::ResponseError;
use association::platform::cache::Cache;
use association::platform::rate_limit::{Rule, check};

use crate::helpers::unique;

const RULE: Rule = Rule {
    name: "test",
    limit: 3,
    window: Duration::from_secs(60),
};

async fn cache() -> Cache {
    let prefix = unique("rl:") + ":";
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) => Cache::redis(&url, &prefix).await.unwrap(),
        Err(_) => Cache::memory(&prefix),
    }
}

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after_and_ratelimit_headers() {
    let cache = cache().await;
    for remaining in [2, 1, 0] {
        let a = check(&cache, RULE, "member-1").await.unwrap();
        assert_eq!(a.remaining, remaining);
    }
    let err = check(&cache, RULE, "member-1").await.unwrap_err();
    let res = err.error_response();
    assert_eq!(res.status(), 429);
    let h = res.headers();
    let retry: u64 = h
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(h.get("ratelimit-limit").unwrap(), "3");
    assert_eq!(h.get("ratelimit-remaining").unwrap(), "0");
    assert_eq!(h.get("ratelimit-policy").unwrap(), "3;w=60");
    assert_eq!(h.get("content-type").unwrap(), "application/problem+json");
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["code"], "RATE_LIMITED");

    // Another key has its own allowance.
    assert!(check(&cache, RULE, "member-2").await.is_ok());
}

#[tokio::test]
async fn the_window_resets_the_count() {
    let cache = cache().await;
    let rule = Rule {
        name: "short",
        limit: 1,
        window: Duration::from_millis(300),
    };
    check(&cache, rule, "k").await.unwrap();
    assert!(check(&cache, rule, "k").await.is_err());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(check(&cache, rule, "k").await.is_ok());
}
