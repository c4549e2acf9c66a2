//! Test harness: each test starts the real application on port 0 with its own
//! fresh database — a temp SQLite file, or a new PostgreSQL database (dropped
//! afterwards) when `TEST_DATABASE_URL` is set — and the Redis cache when
//! `TEST_REDIS_URL` is set (with a key prefix of its own).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use association::clock::FixedClock;
use association::config::Settings;
use association::startup::{Application, Overrides};
use association::state::AppState;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database};

#[allow(dead_code)] // fields used by later capability tests
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: FixedClock,
    pub state: AppState,
    pub db: TestDb,
}

/// The default pinned "now": 2021-11-01 10:00 China time.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 11, 1, 2, 0, 0).single().unwrap()
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app; `configure` may change the environment it reads.
pub async fn spawn_app_with(configure: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    association::init_tls();
    let db = TestDb::create().await;
    let mut env = HashMap::from([
        ("APP_ENV".to_owned(), "development".to_owned()),
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("BIND_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "JWT_SECRET".to_owned(),
            unique("test-secret-at-least-32-bytes-long-"),
        ),
    ]);
    if let Ok(redis) = std::env::var("TEST_REDIS_URL") {
        env.insert("REDIS_URL".to_owned(), redis);
    }
    configure(&mut env);
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("test settings");
    let clock = FixedClock::new(default_now());
    let overrides = Overrides {
        clock: Arc::new(clock.clone()),
        cache_prefix: unique("test:") + ":",
        workers: 2,
    };
    let app = Application::build(settings, overrides)
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        state,
        db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }
}

/// Asserts a problem+json answer with this status and code; returns the body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.unwrap();
    assert_eq!(ct, "application/problem+json", "content type; body: {text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], code, "code; body: {body}");
    assert_eq!(body["status"], status, "status member; body: {body}");
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// A fresh database for one test.
pub struct TestDb {
    pub url: String,
    kind: DbKind,
}

enum DbKind {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = unique("test_");
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("admin connection");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    kind: DbKind::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = std::env::temp_dir().join("association-tests");
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join(format!("{}.db", unique("")));
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    kind: DbKind::Sqlite(path),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, DbKind::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.kind {
            DbKind::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            DbKind::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop needs its own runtime: the test's runtime is shutting down.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
