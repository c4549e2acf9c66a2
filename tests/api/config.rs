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

#[test]
fn secrets_can_be_read_from_files_named_by_file_variables() {
    let dir = std::env::temp_dir().join(format!("association-secrets-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwt = dir.join("jwt");
    let db = dir.join("db");
    std::fs::write(&jwt, format!("{GOOD_SECRET}\n")).unwrap();
    std::fs::write(&db, "postgres://app:pw@db:5432/association\n").unwrap();
    let s = settings(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET_FILE", jwt.to_str().unwrap()),
        ("DATABASE_URL_FILE", db.to_str().unwrap()),
        ("WECHAT_APPID", "wx1"),
        ("WECHAT_SECRET", "s"),
    ])
    .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        s.jwt_secret.expose_secret(),
        GOOD_SECRET,
        "trailing newline dropped"
    );
    assert_eq!(
        s.database_url.expose_secret(),
        "postgres://app:pw@db:5432/association"
    );
    // Both forms at once is a mistake, as is a missing or empty file.
    let both = settings(&[
        ("JWT_SECRET", GOOD_SECRET),
        ("JWT_SECRET_FILE", jwt.to_str().unwrap()),
    ]);
    assert!(
        both.unwrap_err()
            .0
            .contains("either JWT_SECRET or JWT_SECRET_FILE")
    );
    assert!(settings(&[("WECHAT_SECRET_FILE", "/nonexistent/secret")]).is_err());
    std::fs::write(&jwt, "\n").unwrap();
    assert!(settings(&[("JWT_SECRET_FILE", jwt.to_str().unwrap())]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trusted_proxies_and_the_body_timeout_are_read_and_checked() {
    let s = settings(&[
        ("TRUSTED_PROXIES", "172.18.0.0/16"),
        ("BODY_TIMEOUT_MS", "5000"),
    ])
    .unwrap();
    assert!(s.trusted_proxies.contains("172.18.0.5".parse().unwrap()));
    assert!(!s.trusted_proxies.contains("172.19.0.5".parse().unwrap()));
    assert_eq!(s.body_timeout.0, std::time::Duration::from_secs(5));
    assert!(
        settings(&[]).unwrap().trusted_proxies.is_empty(),
        "empty by default"
    );
    assert!(settings(&[("TRUSTED_PROXIES", "everyone")]).is_err());
    assert!(settings(&[("BODY_TIMEOUT_MS", "0")]).is_err());
}

#[test]
fn the_access_log_is_on_unless_turned_off() {
    assert!(settings(&[]).unwrap().access_log, "on by default");
    assert!(settings(&[("ACCESS_LOG", "on")]).unwrap().access_log);
    assert!(!settings(&[("ACCESS_LOG", "OFF")]).unwrap().access_log);
    assert!(
        settings(&[("ACCESS_LOG", "")]).unwrap().access_log,
        "empty: the default"
    );
    let err = settings(&[("ACCESS_LOG", "maybe")]).unwrap_err();
    assert!(err.0.contains("ACCESS_LOG"), "{}", err.0);
}

#[test]
fn web_workers_are_a_number_or_sized_to_the_machine() {
    assert_eq!(settings(&[]).unwrap().web_workers, None);
    assert_eq!(
        settings(&[("WEB_WORKERS", "2")]).unwrap().web_workers,
        Some(2)
    );
    for bad in ["0", "-1", "many", "1000"] {
        let err = settings(&[("WEB_WORKERS", bad)]).unwrap_err();
        assert!(err.0.contains("WEB_WORKERS"), "{bad}: {}", err.0);
    }
}

#[test]
fn health_and_metrics_probes_write_no_access_log_line() {
    use association::platform::metrics::AccessLog;
    for probe in ["/healthz", "/readyz", "/metrics"] {
        assert!(!AccessLog(true).logs(probe), "{probe}");
    }
    assert!(AccessLog(true).logs("/api/v1/districts"));
    assert!(
        AccessLog(true).logs("/healthz/x"),
        "only the probes themselves"
    );
    assert!(!AccessLog(false).logs("/api/v1/districts"));
}
