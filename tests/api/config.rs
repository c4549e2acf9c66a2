use std::collections::HashMap;

use association::platform::config::{DEV_JWT_SECRET, Settings};

fn settings(
    pairs: &[(&str, &str)],
) -> Result<Settings, association::platform::config::ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef-prod";

#[test]
fn development_defaults_need_nothing() {
    let s = settings(&[]).unwrap();
    assert!(s.dev_login_enabled());
    assert_eq!(s.bind_addr, "127.0.0.1:8080");
    assert_eq!(
        s.wechat_api_base,
        association::platform::config::DEFAULT_WECHAT_API_BASE
    );
    assert!(s.wechat_api_base.starts_with("https://"));
}

#[test]
fn production_refuses_a_missing_or_development_jwt_secret() {
    let wechat = [("WECHAT_APPID", "wx123"), ("WECHAT_SECRET", "s3cr3t")];
    let mut base = vec![("APP_ENV", "production")];
    base.extend(wechat);
    assert!(settings(&base).is_err(), "missing secret accepted");
    let mut dev = base.clone();
    dev.push(("JWT_SECRET", DEV_JWT_SECRET));
    assert!(settings(&dev).is_err(), "development secret accepted");
    let mut short = base.clone();
    short.push(("JWT_SECRET", "too-short"));
    assert!(settings(&short).is_err(), "short secret accepted");
    let mut good = base.clone();
    good.push(("JWT_SECRET", GOOD_SECRET));
    let s = settings(&good).unwrap();
    assert!(!s.dev_login_enabled());
}

#[test]
fn production_refuses_to_start_without_wechat_credentials() {
    let err = settings(&[("APP_ENV", "production"), ("JWT_SECRET", GOOD_SECRET)]);
    assert!(err.is_err());
}

#[test]
fn debug_output_never_shows_secrets() {
    let s = settings(&[
        ("JWT_SECRET", GOOD_SECRET),
        ("WECHAT_APPID", "wx123"),
        ("WECHAT_SECRET", "the-app-secret"),
        ("DATABASE_URL", "postgres://app:hunter2@db/association"),
        ("REDIS_URL", "redis://:redispass@cache:6379"),
    ])
    .unwrap();
    let printed = format!("{s:?}");
    for secret in [GOOD_SECRET, "the-app-secret", "hunter2", "redispass"] {
        assert!(!printed.contains(secret), "{printed}");
    }
    assert!(printed.contains("wx123"));
}

#[test]
fn unknown_app_env_is_refused() {
    assert!(settings(&[("APP_ENV", "staging")]).is_err());
}
