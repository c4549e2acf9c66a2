//! The same tests for both cache implementations: the in-process one always,
//! Redis when `TEST_REDIS_URL` is set.

use std::time::Duration;

use association::platform::cache::Cache;

use crate::helpers::unique;

async fn caches() -> Vec<Cache> {
    let prefix = unique("cache-test:") + ":";
    let mut out = vec![Cache::memory(&prefix)];
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        out.push(Cache::redis(&url, &prefix).await.unwrap());
    }
    out
}

#[tokio::test]
async fn get_and_set_with_ttl() {
    for cache in caches().await {
        assert_eq!(cache.get("a").await.unwrap(), None, "{}", cache.kind());
        cache
            .set("a", "1", Duration::from_millis(150))
            .await
            .unwrap();
        assert_eq!(cache.get("a").await.unwrap().as_deref(), Some("1"));
        cache
            .set("a", "2", Duration::from_millis(150))
            .await
            .unwrap();
        assert_eq!(cache.get("a").await.unwrap().as_deref(), Some("2"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            cache.get("a").await.unwrap(),
            None,
            "{} kept an expired key",
            cache.kind()
        );
    }
}

#[tokio::test]
async fn set_if_absent_sets_once() {
    for cache in caches().await {
        let ttl = Duration::from_secs(10);
        assert!(cache.set_if_absent("lock", "me", ttl).await.unwrap());
        assert!(!cache.set_if_absent("lock", "you", ttl).await.unwrap());
        assert_eq!(cache.get("lock").await.unwrap().as_deref(), Some("me"));
        cache.delete("lock").await.unwrap();
        assert!(
            cache.set_if_absent("lock", "you", ttl).await.unwrap(),
            "{}",
            cache.kind()
        );
    }
}

#[tokio::test]
async fn counters_are_atomic_and_expire() {
    for cache in caches().await {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let c = cache.clone();
            tasks.push(tokio::spawn(async move {
                c.incr("hits", Duration::from_millis(400)).await.unwrap()
            }));
        }
        let mut values = Vec::new();
        for t in tasks {
            values.push(t.await.unwrap().value);
        }
        values.sort_unstable();
        assert_eq!(values, (1..=50).collect::<Vec<_>>(), "{}", cache.kind());
        let c = cache
            .incr("hits", Duration::from_millis(400))
            .await
            .unwrap();
        assert_eq!(c.value, 51);
        assert!(c.ttl <= Duration::from_millis(400) && c.ttl > Duration::ZERO);
        tokio::time::sleep(Duration::from_millis(600)).await;
        let c = cache
            .incr("hits", Duration::from_millis(400))
            .await
            .unwrap();
        assert_eq!(c.value, 1, "{} counter did not expire", cache.kind());
    }
}

#[tokio::test]
async fn delete_if_equals_only_deletes_the_expected_value() {
    for cache in caches().await {
        let ttl = Duration::from_secs(10);
        cache.set("token", "new", ttl).await.unwrap();
        assert!(!cache.delete_if_equals("token", "old").await.unwrap());
        assert_eq!(cache.get("token").await.unwrap().as_deref(), Some("new"));
        assert!(
            cache.delete_if_equals("token", "new").await.unwrap(),
            "{}",
            cache.kind()
        );
        assert_eq!(cache.get("token").await.unwrap(), None);
    }
}

#[tokio::test]
async fn prefixes_keep_apps_apart() {
    for cache in caches().await {
        let other = match cache.kind() {
            "redis" => Cache::redis(&std::env::var("TEST_REDIS_URL").unwrap(), "other:")
                .await
                .unwrap(),
            _ => Cache::memory("other:"),
        };
        cache
            .set("shared", "mine", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(other.get("shared").await.unwrap(), None);
    }
}
