//! Benchmark: the standings of a year with 1,000,000 articles from 3,000
//! schools and 100,000 authors, on PostgreSQL — through the API and, beside
//! it, the same SQL run bare in psql.
//!
//!     cargo bench --bench standings
//!
//! Needs PostgreSQL (`BENCH_DATABASE_URL`, default
//! `postgres://root@127.0.0.1:5432/test`, a role that may create databases)
//! and `psql` on the PATH. Creates a scratch database and drops it afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use association::access::roles::{Grant, Role};
use association::honours::rules::{RankingKey, Scope};
use association::platform::clock::SystemClock;
use association::platform::config::Settings;
use association::startup::{Application, Overrides};
use sea_orm::{ConnectionTrait, Database};
use secrecy::ExposeSecret;

const ARTICLES: i64 = 1_000_000;
const SCHOOLS: i64 = 3_000;
const AUTHORS: i64 = 100_000;
const RUNS: usize = 15;

fn stats(mut xs: Vec<Duration>) -> String {
    xs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "min {:8.1} ms   median {:8.1} ms   p95 {:8.1} ms",
        ms(xs[0]),
        ms(xs[xs.len() / 2]),
        ms(xs[(xs.len() * 95 / 100).min(xs.len() - 1)])
    )
}

fn psql_times(url: &str, sql: &str) -> Vec<Duration> {
    // One psql session: timing on, work_mem, a warm-up, then the runs; `-c` takes one
    // command each, in order.
    let mut args = vec![
        "-X".to_owned(),
        "-q".to_owned(),
        url.to_owned(),
        "-c".to_owned(),
        "\\timing on".to_owned(),
        // The same work_mem the server gives this statement.
        "-c".to_owned(),
        "SET work_mem = '64MB'".to_owned(),
    ];
    for _ in 0..=RUNS {
        args.push("-c".to_owned());
        args.push(sql.to_owned());
    }
    let out = Command::new("psql")
        .args(&args)
        .output()
        .expect("psql on the PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|ms| ms.parse::<f64>().ok())
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .skip(2) // SET work_mem, then the warm-up
        .collect()
}

#[tokio::main]
async fn main() {
    association::init_tls();
    let admin_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".to_owned());
    let name = format!("bench_standings_{}", std::process::id());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let url = url.to_string();

    let result = std::panic::AssertUnwindSafe(run(&url));
    let outcome = futures_util::FutureExt::catch_unwind(result).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn run(url: &str) {
    let db = association::platform::db::connect_and_migrate(url)
        .await
        .unwrap();
    let t = Instant::now();
    let seed = format!(
        "INSERT INTO districts (name, created_at, updated_at)
           SELECT '片区' || i, now(), now() FROM generate_series(1, 30) i;
         INSERT INTO schools (name, district_id, active, created_at, updated_at)
           SELECT '学校' || i, 1 + i % 30, true, now(), now() FROM generate_series(1, {SCHOOLS}) i;
         INSERT INTO members (openid, display_name, created_at, updated_at)
           VALUES ('bench-submitter', '提交人', now(), now());
         INSERT INTO sources (name, kind, hosts, columns, years, needs_confirmation, allow_private_network, created_at, updated_at)
           VALUES ('四川省高校后勤协会网', 'official', '[\"www.example.cn\"]', '[]', '[]', false, false, now(), now());
         INSERT INTO articles (school_id, submitted_by, first_author_name, author_key, url, canonical_url, url_key,
                               host, source_id, source_kind, credit_year, declared_original, verification_status,
                               status, site_points, bonus_points, created_at, updated_at)
           SELECT 1 + (i % {AUTHORS}) % {SCHOOLS}, 1, '作者' || (i % {AUTHORS}), 'name:作者' || (i % {AUTHORS}),
                  'https://www.example.cn/a/' || i || '.html', 'https://www.example.cn/a/' || i || '.html', md5(i::text),
                  'www.example.cn', 1, 'official', 2021, true, 'verified',
                  CASE WHEN i % 20 = 0 THEN 'rejected' ELSE 'approved' END,
                  CASE WHEN i % 20 = 0 OR i % 13 = 0 THEN 0 ELSE 1 END,
                  CASE WHEN i % 29 = 0 THEN 1 ELSE 0 END,
                  now(), now()
           FROM generate_series(1, {ARTICLES}) i;
         ANALYZE;"
    );
    db.execute_unprepared(&seed).await.unwrap();
    println!(
        "seeded {ARTICLES} articles, {SCHOOLS} schools, {AUTHORS} authors in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let env = std::collections::HashMap::from([
        ("DATABASE_URL".to_owned(), url.to_owned()),
        ("BIND_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "JWT_SECRET".to_owned(),
            "bench-secret-bench-secret-bench-secret".to_owned(),
        ),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
    ]);
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
    let secret = settings.jwt_secret.expose_secret().as_bytes().to_vec();
    let app = Application::build(
        settings,
        Overrides {
            clock: Arc::new(SystemClock),
            cache_prefix: "bench:".into(),
            workers: 2,
        },
    )
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let grant = Grant::new(Role::Secretariat, None, None).unwrap();
    let member = association::identity::members::grant_role_cli(
        &state.db,
        "bench-admin",
        grant,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let token =
        association::access::tokens::issue_access(&secret, member, chrono::Utc::now()).unwrap();
    let client = reqwest::Client::new();

    for scope in [Scope::Schools, Scope::Individuals] {
        let path = format!(
            "{base}/api/v1/credit-years/2021/standings?scope={}&page_size=20",
            scope.as_str()
        );
        let mut api = Vec::new();
        for i in 0..=RUNS {
            let t = Instant::now();
            let res = client.get(&path).bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let body: serde_json::Value = res.json().await.unwrap();
            if i == 0 {
                println!(
                    "\n{}: population {}, cap {}, first row {} with {} points",
                    scope.as_str(),
                    body["population"],
                    body["cap"],
                    body["items"][0]["name"],
                    body["items"][0]["total"]
                );
                continue; // warm-up
            }
            api.push(t.elapsed());
        }
        println!("  API  GET standings (first page)         {}", stats(api));
        let sql = association::honours::standings::statement_for_benchmark(
            2021,
            scope,
            RankingKey::Total,
            20,
        );
        println!(
            "  psql the same statement, bare           {}",
            stats(psql_times(url, &sql))
        );
    }
}
