//! Benchmark: the peak memory of 10 concurrent `form.docx` builds through
//! the application, for nominations whose photo is a 4000 × 3000 JPEG —
//! with the form-sized copy made at upload, beside the same builds from
//! photos stored without a copy (rows from before the copy was kept: the
//! form then decodes each original under the image limits).
//!
//!     cargo bench --bench form_memory                  (release)
//!     cargo bench --profile dev --bench form_memory    (debug profile; slower, same memory)
//!
//! Runs on an embedded SQLite file in the temp directory. The parent process
//! seeds the nominations through the API (uploads included), then runs each
//! case in a fresh child process of this same binary, so that each reports
//! its own peak resident set (`VmHWM` of `/proc/self/status`, Linux): after
//! start-up, and after the 10 concurrent requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Read;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use association::identity::roles::{Grant, Role};
use association::platform::clock::FixedClock;
use association::platform::config::Settings;
use association::startup::{Application, Overrides};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;

const FORMS: usize = 10;
const PHOTO: (u32, u32) = (4000, 3000);
const SECRET: &str = "bench-secret-bench-secret-bench-secret";

fn now() -> DateTime<Utc> {
    // Before the seed campaign's deadline (2021-11-04, China time).
    Utc.with_ymd_and_hms(2021, 11, 1, 2, 0, 0).single().unwrap()
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .expect("a field of /proc/self/status")
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn start(db_url: &str) -> (String, AppHandle) {
    let env = HashMap::from([
        ("APP_ENV".to_owned(), "development".to_owned()),
        ("DATABASE_URL".to_owned(), db_url.to_owned()),
        ("BIND_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("JWT_SECRET".to_owned(), SECRET.to_owned()),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
    ]);
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
    let secret = settings.jwt_secret.expose_secret().as_bytes().to_vec();
    let app = Application::build(
        settings,
        Overrides {
            clock: Arc::new(FixedClock::new(now())),
            cache_prefix: "bench:".into(),
            workers: 2,
        },
    )
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    (base, AppHandle { state, secret })
}

struct AppHandle {
    state: association::state::AppState,
    secret: Vec<u8>,
}

impl AppHandle {
    async fn token(&self, openid: &str, grant: Grant) -> String {
        let member =
            association::identity::members::grant_role_cli(&self.state.db, openid, grant, now())
                .await
                .unwrap();
        association::identity::tokens::issue_access(&self.secret, member, now()).unwrap()
    }
}

/// A photo-like 4000 × 3000 JPEG (gradients, stripes and noise), under the 2 MB photo limit.
fn photo() -> Vec<u8> {
    let (w, h) = PHOTO;
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as u8;
        image::Rgb([
            (x * 200 / w) as u8 + noise,
            (y * 200 / h) as u8 + noise,
            (if (x / 40 + y / 40) % 2 == 0 { 60 } else { 180 }) + noise,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70)
        .encode_image(&img)
        .unwrap();
    assert!(out.len() <= 2 * 1024 * 1024, "{} bytes", out.len());
    out
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: serde_json::Value) -> i64 {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {body}");
    body["id"].as_i64().unwrap()
}

/// The parent: seeds 10 nominations with a large photo through the API,
/// then measures each case in a child process.
async fn parent() {
    association::init_tls();
    let dir = std::env::temp_dir().join("association-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("form-memory-{}.db", std::process::id()));
    let db_url = format!("sqlite://{}?mode=rwc", path.display());
    let (base, app) = start(&db_url).await;
    let client = reqwest::Client::new();
    let admin = app
        .token(
            "bench-admin",
            Grant::new(Role::Secretariat, None, None).unwrap(),
        )
        .await;
    let campaign = post(
        &client,
        &format!("{base}/api/v1/campaigns"),
        &admin,
        serde_json::json!({
            "title": "2021年度最美后勤人",
            "year": 2021,
            "deadline": "2021-11-04T00:00:00+08:00",
            "national_deadline": "2021-12-11T00:00:00+08:00",
        }),
    )
    .await;
    let district = post(
        &client,
        &format!("{base}/api/v1/districts"),
        &admin,
        serde_json::json!({"name": "成都片区"}),
    )
    .await;
    let lead = app
        .token(
            "bench-lead",
            Grant::new(Role::DistrictLead, None, Some(district)).unwrap(),
        )
        .await;
    let photo = photo();
    println!(
        "photo: {}×{} JPEG, {} KB; {FORMS} nominations",
        PHOTO.0,
        PHOTO.1,
        photo.len() / 1024
    );
    let names = [
        "王甲", "王乙", "王丙", "王丁", "王戊", "王己", "王庚", "王辛", "王壬", "王癸",
    ];
    let mut ids = Vec::new();
    let t = Instant::now();
    for name in names.iter().take(FORMS) {
        let id = post(
            &client,
            &format!("{base}/api/v1/campaigns/{campaign}/nominations"),
            &lead,
            serde_json::json!({"kind": "person", "form": {"name": name, "unit": "四川大学"}}),
        )
        .await;
        let part = reqwest::multipart::Part::bytes(photo.clone())
            .file_name("照片.jpg")
            .mime_str("image/jpeg")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("kind", "photo")
            .part("file", part);
        let res = client
            .post(format!("{base}/api/v1/nominations/{id}/attachments"))
            .bearer_auth(&lead)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        ids.push(id);
    }
    println!(
        "seeded through the API (uploads make the copies) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let with_copy = child(&db_url, &admin, &ids, "with the form-sized copy");
    app.state
        .db
        .execute_unprepared("UPDATE nomination_attachments SET form_copy = NULL")
        .await
        .unwrap();
    let originals = child(&db_url, &admin, &ids, "decoding the originals");
    println!();
    println!(
        "{FORMS} concurrent GET form.docx, {}×{} photos ({} decodes at a time)",
        PHOTO.0,
        PHOTO.1,
        std::thread::available_parallelism().map_or(2, |n| n.get())
    );
    println!("| case | RSS after start-up | peak RSS (VmHWM) | peak − start-up | wall time |");
    println!("| --- | --- | --- | --- | --- |");
    for line in [with_copy, originals] {
        println!("{line}");
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// Runs one case in a fresh process of this binary; answers its table row.
fn child(db_url: &str, token: &str, ids: &str, case: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("FORM_MEMORY_CASE", case)
        .env("FORM_MEMORY_DB", db_url)
        .env("FORM_MEMORY_TOKEN", token)
        .env("FORM_MEMORY_IDS", ids)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("| "))
        .expect("a row from the child")
        .to_owned()
}

/// The child: starts the application on the seeded database, then builds
/// the forms concurrently and reports its memory.
async fn measure(case: String) {
    association::init_tls();
    let db_url = std::env::var("FORM_MEMORY_DB").unwrap();
    let token = std::env::var("FORM_MEMORY_TOKEN").unwrap();
    let ids: Vec<i64> = std::env::var("FORM_MEMORY_IDS")
        .unwrap()
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let (base, _app) = start(&db_url).await;
    let client = reqwest::Client::new();
    let (rss_start, _) = memory_kib();
    let t = Instant::now();
    let forms = futures_util::future::join_all(ids.iter().map(|id| {
        let req = client
            .get(format!("{base}/api/v1/nominations/{id}/form.docx"))
            .bearer_auth(&token);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        }
    }))
    .await;
    let wall = t.elapsed();
    let (_, peak) = memory_kib();
    // Every form embeds the photo, small.
    for docx in &forms {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx.to_vec())).unwrap();
        let name = zip
            .file_names()
            .find(|n| n.starts_with("word/media/") && !n.ends_with('/'))
            .expect("a photo in the form")
            .to_owned();
        let mut png = Vec::new();
        zip.by_name(&name).unwrap().read_to_end(&mut png).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert!(img.width() <= 413 && img.height() <= 579);
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "| {case} | {:.0} MiB | {:.0} MiB | {:.0} MiB | {:.2} s |",
        mib(rss_start),
        mib(peak),
        mib(peak.saturating_sub(rss_start)),
        wall.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    match std::env::var("FORM_MEMORY_CASE") {
        Ok(case) => measure(case).await,
        Err(_) => parent().await,
    }
}
