//! Test harness: each test starts the real application on port 0 with its own
//! fresh database — a temp SQLite file, or a new PostgreSQL database (dropped
//! afterwards) when `TEST_DATABASE_URL` is set — and the Redis cache when
//! `TEST_REDIS_URL` is set (with a key prefix of its own).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use association::access::roles::{Grant, Role};
use association::platform::clock::FixedClock;
use association::platform::config::Settings;
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
    pub verifier: association::articles::verify::Verifier,
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
    if std::env::var_os("TEST_LOG").is_some() {
        // `TEST_LOG=1 RUST_LOG=apalis=debug cargo nextest run …` shows the server's log.
        association::platform::telemetry::init(
            association::platform::config::Environment::Development,
        );
    }
    let db = TestDb::create().await;
    let mut env = HashMap::from([
        ("APP_ENV".to_owned(), "development".to_owned()),
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("BIND_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "JWT_SECRET".to_owned(),
            unique("test-secret-at-least-32-bytes-long-"),
        ),
        // Jobs are picked up within 50 ms (the default polls every second).
        ("JOB_POLL_MS".to_owned(), "50".to_owned()),
        // A worker that stops beating for 2 s has its jobs picked up again.
        ("JOB_HEARTBEAT_MS".to_owned(), "1000".to_owned()),
        // The clock-driven sweeps (deadline reminders) every 200 ms.
        ("JOB_SWEEP_MS".to_owned(), "200".to_owned()),
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
    let verifier = app.verifier().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        state,
        verifier,
        db,
    }
}

impl TestApp {
    /// After a test wrote articles with their points straight into the
    /// database (beside every use case), the kept standings totals are
    /// rebuilt from them, as `check-totals --repair` does.
    pub async fn articles_loaded(&self) {
        association::articles::totals::rebuild(&self.state.db, None)
            .await
            .expect("totals rebuilt");
    }

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

/// A logged-in member as the tests drive them.
#[derive(Clone, Debug)]
pub struct Session {
    pub member_id: i64,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    /// Logs in through the development login as `name` (openid `dev:<name>`).
    pub async fn login(&self, name: &str) -> Session {
        let res = self
            .client
            .post(self.url("/api/v1/auth/wechat/login"))
            .json(&serde_json::json!({ "code": format!("dev:{name}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login of {name}");
        let body: serde_json::Value = res.json().await.unwrap();
        Session {
            member_id: body["member"]["id"].as_i64().unwrap(),
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Grants a role straight in the database (as `grant-role` does).
    pub async fn grant(
        &self,
        name: &str,
        role: Role,
        school_id: Option<i64>,
        district_id: Option<i64>,
    ) {
        let grant = Grant::new(role, school_id, district_id).unwrap();
        association::identity::members::grant_role_cli(
            &self.state.db,
            &format!("dev:{name}"),
            grant,
            default_now(),
        )
        .await
        .unwrap();
    }

    /// A logged-in member holding `role` (for the school / district given).
    pub async fn member_with(
        &self,
        role: Role,
        school_id: Option<i64>,
        district_id: Option<i64>,
    ) -> Session {
        let name = format!("{}-{}", role.as_str(), &unique("")[..12]);
        self.grant(&name, role, school_id, district_id).await;
        self.login(&name).await
    }

    /// A secretariat member.
    pub async fn secretariat(&self) -> Session {
        self.member_with(Role::Secretariat, None, None).await
    }

    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Session,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&who.access_token)
    }

    pub async fn get_as(&self, path: &str, who: &Session) -> reqwest::Response {
        self.authed(reqwest::Method::GET, path, who)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_as(
        &self,
        path: &str,
        who: &Session,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.authed(reqwest::Method::POST, path, who)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_as(
        &self,
        path: &str,
        who: &Session,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.authed(reqwest::Method::PATCH, path, who)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_as(
        &self,
        path: &str,
        who: &Session,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.authed(reqwest::Method::PUT, path, who)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a district and a school in it (as the secretariat); answers their ids.
    pub async fn district_and_school(&self, admin: &Session) -> (i64, i64) {
        let d: serde_json::Value = self
            .post_as(
                "/api/v1/districts",
                admin,
                &serde_json::json!({"name": unique("片区").chars().take(12).collect::<String>()}),
            )
            .await
            .json()
            .await
            .unwrap();
        let district_id = d["id"].as_i64().expect("district created");
        let s: serde_json::Value = self
            .post_as(
                "/api/v1/schools",
                admin,
                &serde_json::json!({"name": unique("学校"), "district_id": district_id}),
            )
            .await
            .json()
            .await
            .unwrap();
        (district_id, s["id"].as_i64().expect("school created"))
    }

    /// Audit entries for an entity, newest first.
    pub async fn audit_of(
        &self,
        entity_type: &str,
        entity_id: &str,
    ) -> Vec<association::entity::audit_log::Model> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        association::entity::audit_log::Entity::find()
            .filter(association::entity::audit_log::Column::EntityType.eq(entity_type))
            .filter(association::entity::audit_log::Column::EntityId.eq(entity_id))
            .order_by_desc(association::entity::audit_log::Column::Id)
            .all(&self.state.db)
            .await
            .unwrap()
    }
}

// ---------------------------------------------------------------------------
// Nominations (campaigns, filing, attachments).

/// The campaign of seed 002: deadline "11月3日前" = 2021-11-04T00:00:00+08:00.
pub fn seed_campaign_body() -> serde_json::Value {
    serde_json::json!({
        "title": "2021年度最美后勤人",
        "year": 2021,
        "deadline": "2021-11-04T00:00:00+08:00",
        "national_deadline": "2021-12-11T00:00:00+08:00",
        "contacts": [{"name": "郑云泽", "role": "协会秘书处联系人", "phone": "18583246978", "email": "scgxhq88888@sina.com"}],
        "exclusions": [{"name": "李感动", "unit": "四川大学", "note": "2020年度感动人物"}]
    })
}

/// A small image encoded as PNG or JPEG.
pub fn image_bytes(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(30, 42, |x, y| {
        image::Rgb([(x * 8) as u8, (y * 6) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A minimal PDF.
pub fn pdf_bytes() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

/// A complete person form (a story of 320 characters).
pub fn person_form(name: &str, unit: &str) -> serde_json::Value {
    serde_json::json!({
        "category": "敬业美",
        "name": name,
        "gender": "女",
        "ethnicity": "彝族",
        "age": 45,
        "political_status": "中共党员",
        "phone": "13812346978",
        "email": "nominee@example.com",
        "unit": unit,
        "department": "后勤保障处饮食服务中心",
        "position": "主任／高级工程师",
        "frontline": true,
        "frontline_post": "学生食堂面点师",
        "address": "四川省成都市武侯区一环路南一段24号",
        "postcode": "610065",
        "story": "她扎根后勤一线二十年，".repeat(32),
        "honours": [{"title": "四川省教育后勤先进个人", "awarded_by": "四川省高校后勤协会", "date": "2020-12-18", "level": "省级"}],
        "unit_opinion": "同意推荐。",
        "consent": true
    })
}

/// A complete team form.
pub fn team_form(team_name: &str, unit: &str) -> serde_json::Value {
    serde_json::json!({
        "category": "最美服务团队",
        "team_name": team_name,
        "unit": unit,
        "department": "后勤服务总公司",
        "contact_name": "王清",
        "contact_phone": "13718918500",
        "member_count": 36,
        "frontline": true,
        "frontline_post": "学生公寓管理服务",
        "email": "team@example.com",
        "address": "四川省成都市郫都区犀安路999号",
        "postcode": "611731",
        "story": "团队坚守服务育人理念，".repeat(32),
        "honours": [{"title": "最美服务团队", "awarded_by": "四川日报", "date": "2021-05-04", "level": "媒体"}],
        "unit_opinion": "同意推荐。",
        "consent": true
    })
}

impl TestApp {
    /// Creates the seed's campaign as `admin`; answers its id.
    pub async fn seed_campaign(&self, admin: &Session) -> i64 {
        let res = self
            .post_as("/api/v1/campaigns", admin, &seed_campaign_body())
            .await;
        assert_eq!(res.status(), 201, "campaign created");
        let body: serde_json::Value = res.json().await.unwrap();
        body["id"].as_i64().unwrap()
    }

    /// A district (with a school) and a lead of it.
    pub async fn district_with_lead(&self, admin: &Session) -> (i64, Session) {
        let (district_id, _) = self.district_and_school(admin).await;
        let lead = self
            .member_with(Role::DistrictLead, None, Some(district_id))
            .await;
        (district_id, lead)
    }

    /// Starts a draft with this form; answers the nomination id.
    pub async fn draft(
        &self,
        lead: &Session,
        campaign_id: i64,
        kind: &str,
        form: serde_json::Value,
    ) -> i64 {
        let res = self
            .post_as(
                &format!("/api/v1/campaigns/{campaign_id}/nominations"),
                lead,
                &serde_json::json!({"kind": kind, "form": form}),
            )
            .await;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 201, "draft created: {body}");
        body["id"].as_i64().unwrap()
    }

    /// Uploads a file as an attachment.
    pub async fn upload(
        &self,
        who: &Session,
        nomination_id: i64,
        kind: &str,
        file_name: &str,
        declared_type: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(declared_type)
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .part("file", part);
        self.authed(
            reqwest::Method::POST,
            &format!("/api/v1/nominations/{nomination_id}/attachments"),
            who,
        )
        .multipart(form)
        .send()
        .await
        .unwrap()
    }

    /// Uploads the complete set: photo (persons), a certificate, the stamped scan.
    pub async fn upload_all(&self, who: &Session, nomination_id: i64, person: bool) {
        if person {
            let res = self
                .upload(
                    who,
                    nomination_id,
                    "photo",
                    "照片.png",
                    "image/png",
                    image_bytes(image::ImageFormat::Png),
                )
                .await;
            assert_eq!(res.status(), 201, "photo: {}", res.text().await.unwrap());
        }
        let res = self
            .upload(
                who,
                nomination_id,
                "certificate",
                "证书.pdf",
                "application/pdf",
                pdf_bytes(),
            )
            .await;
        assert_eq!(
            res.status(),
            201,
            "certificate: {}",
            res.text().await.unwrap()
        );
        let res = self
            .upload(
                who,
                nomination_id,
                "registration_scan",
                "报名表.jpg",
                "image/jpeg",
                image_bytes(image::ImageFormat::Jpeg),
            )
            .await;
        assert_eq!(res.status(), 201, "scan: {}", res.text().await.unwrap());
    }

    /// A complete person nomination with its attachments, not yet submitted.
    pub async fn complete_draft(&self, lead: &Session, campaign_id: i64, name: &str) -> i64 {
        let id = self
            .draft(
                lead,
                campaign_id,
                "person",
                person_form(name, "电子科技大学"),
            )
            .await;
        self.upload_all(lead, id, true).await;
        id
    }

    pub async fn submit_nomination(&self, lead: &Session, nomination_id: i64) -> reqwest::Response {
        self.post_as(
            &format!("/api/v1/nominations/{nomination_id}/submit"),
            lead,
            &serde_json::json!({}),
        )
        .await
    }

    /// Reviews as the secretariat; asserts success.
    pub async fn review_nomination(
        &self,
        admin: &Session,
        nomination_id: i64,
        decision: &str,
        reason: Option<&str>,
    ) {
        let res = self
            .post_as(
                &format!("/api/v1/nominations/{nomination_id}/review"),
                admin,
                &serde_json::json!({"decision": decision, "reason": reason}),
            )
            .await;
        assert_eq!(res.status(), 200, "review: {}", res.text().await.unwrap());
    }

    /// The current ETag of a nomination.
    pub async fn etag_of(&self, who: &Session, nomination_id: i64) -> String {
        let res = self
            .get_as(&format!("/api/v1/nominations/{nomination_id}"), who)
            .await;
        assert_eq!(res.status(), 200);
        res.headers()["etag"].to_str().unwrap().to_owned()
    }

    /// PATCHes a nomination's form with `If-Match`.
    pub async fn patch_form(
        &self,
        who: &Session,
        nomination_id: i64,
        if_match: Option<&str>,
        form: serde_json::Value,
    ) -> reqwest::Response {
        let mut req = self
            .authed(
                reqwest::Method::PATCH,
                &format!("/api/v1/nominations/{nomination_id}"),
                who,
            )
            .json(&serde_json::json!({"form": form}));
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send().await.unwrap()
    }
}

/// An instant in China time, e.g. `china("2021-11-03T23:59:59")`.
pub fn china(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{local}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

impl TestApp {
    /// The same member with a fresh access token (after moving the clock
    /// past the 15-minute access token), through `POST /auth/refresh`.
    pub async fn refreshed(&self, who: &Session) -> Session {
        let res = self
            .client
            .post(self.url("/api/v1/auth/refresh"))
            .json(&serde_json::json!({"refresh_token": who.refresh_token}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "refresh");
        let body: serde_json::Value = res.json().await.unwrap();
        Session {
            member_id: who.member_id,
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

// ------------------------------------------------------------------ articles

/// A site of a source, served by a local mock server (127.0.0.1, so its
/// source is configured with `allow_private_network`).
pub struct MockSite {
    pub server: wiremock::MockServer,
    pub source_id: i64,
}

impl MockSite {
    /// The address of a page of this site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.uri(), path)
    }

    /// Serves `body` at `path` with this content type.
    pub async fn serve(&self, path: &str, body: Vec<u8>, content_type: &str) {
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .and(wiremock::matchers::path(path))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(body, content_type))
            .mount(&self.server)
            .await;
    }

    /// Requests the site received.
    pub async fn hits(&self) -> usize {
        self.server.received_requests().await.map_or(0, |r| r.len())
    }
}

/// What a mock article page shows.
pub struct PageSpec<'a> {
    pub title: &'a str,
    /// As the page's info line shows it, e.g. `2021-12-31 23:30`.
    pub published: &'a str,
    pub column: &'a str,
    pub body: &'a str,
}

/// A page as 四川省高校后勤协会网 shows an article (UTF-8): breadcrumb
/// `当前位置：首页 > 栏目 > 正文`, title, `发布时间：…` info line, body.
pub fn association_page(p: &PageSpec<'_>) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title}-四川省高校后勤协会</title>
<meta name="keywords" content="四川省高校后勤协会,高校后勤">
<link rel="stylesheet" href="/css/style.css"><script src="/js/jquery.min.js"></script>
<script>var _hmt = _hmt || []; document.title = "不要读我";</script>
</head><body>
<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="四川省高校后勤协会"></a></div>
<ul class="nav"><li><a href="/">网站首页</a></li><li><a href="/list/1.html">学校后勤动态</a></li><li><a href="/list/2.html">协会新闻</a></li><li><a href="/list/3.html">招投标信息</a></li><li><a href="/list/4.html">理论与实践</a></li><li><a href="/list/5.html">通知公告</a></li></ul></div>
<div class="main"><div class="position"><span>当前位置：</span><a href="/">首页</a> &gt; <a href="/list/1.html">{column}</a> &gt; 正文</div>
<div class="article"><h1 class="article-title">{title}</h1>
<div class="info">发布时间：{published}&nbsp;&nbsp;来源：学校后勤&nbsp;&nbsp;浏览次数：<span id="hits">128</span></div>
<div class="article-content"><p>{body}</p></div><p class="editor" style="text-align:right">（责任编辑：协会秘书处）</p></div></div>
<div class="footer">版权所有：四川省高校后勤协会 蜀ICP备00000000号</div>
</body></html>"#,
        title = p.title,
        published = p.published,
        column = p.column,
        body = p.body
    )
}

/// A page as 四川学校后勤与产业信息网 shows an article: GB2312 declared only in
/// `<meta http-equiv>`, breadcrumb `您现在的位置：首页 >> 栏目 >> 正文`, the
/// date as `2021年12月31日`, site name after `_` in `<title>`. Answered as
/// GBK bytes (encode with [`gbk`]).
pub fn info_site_page(p: &PageSpec<'_>) -> String {
    format!(
        r#"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{title}_四川学校后勤与产业信息网</title>
<style type="text/css">body {{ font-size: 12px; }}</style>
</head><body>
<table width="1000" border="0" align="center"><tr><td class="top"><img src="/images/banner.jpg" /></td></tr></table>
<table width="1000" border="0" align="center"><tr><td class="dqwz">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/Article/List_12.html">{column}</a> &gt;&gt; 正文</td></tr></table>
<table width="1000" border="0" align="center"><tr><td>
<div class="arti_title">{title}</div>
<div class="arti_info">作者：后勤集团　日期：{published}　点击数：56</div>
<div class="v_news_content"><p>{body}</p></div>
</td></tr></table>
<div class="copyright">四川学校后勤与产业信息网 版权所有</div>
</body></html>"#,
        title = p.title,
        published = p.published,
        column = p.column,
        body = p.body
    )
}

/// Text in GBK bytes.
pub fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "text not representable in GBK");
    bytes.into_owned()
}

impl TestApp {
    /// Creates a source as the secretariat; answers its id.
    pub async fn create_source(&self, admin: &Session, body: serde_json::Value) -> i64 {
        let res = self.post_as("/api/v1/sources", admin, &body).await;
        let status = res.status();
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 201, "source created: {v}");
        v["id"].as_i64().unwrap()
    }

    /// A mock site of a new source (host `127.0.0.1:<port>`, private network allowed).
    pub async fn mock_site(
        &self,
        admin: &Session,
        name: &str,
        kind: &str,
        columns: &[&str],
        years: &[i32],
    ) -> MockSite {
        self.mock_site_counting(
            admin,
            name,
            kind,
            columns,
            serde_json::json!({"years": years}),
        )
        .await
    }

    /// A mock site of a new source counting the years `counted` says
    /// (`{"years": [...]}` or `{"from_year": 2020}`, …).
    pub async fn mock_site_counting(
        &self,
        admin: &Session,
        name: &str,
        kind: &str,
        columns: &[&str],
        counted: serde_json::Value,
    ) -> MockSite {
        let server = wiremock::MockServer::start().await;
        let host = server.address().to_string();
        let mut body = serde_json::json!({
            "name": name, "kind": kind, "hosts": [host], "columns": columns,
            "allow_private_network": true
        });
        if let (Some(b), Some(c)) = (body.as_object_mut(), counted.as_object()) {
            b.extend(c.clone());
        }
        let source_id = self.create_source(admin, body).await;
        MockSite { server, source_id }
    }

    /// Polls an article (≤ 5 s) until its verification is no longer pending.
    pub async fn verified_article(&self, who: &Session, id: i64) -> serde_json::Value {
        // Up to 20 s: the worker polls every 50 ms, but a loaded machine is slow.
        for _ in 0..400 {
            let a: serde_json::Value = self
                .get_as(&format!("/api/v1/articles/{id}"), who)
                .await
                .json()
                .await
                .unwrap();
            if a["verification"]["status"] != "pending" {
                return a;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("article {id} still unverified after 20 s");
    }
}

// --------------------------------------------------------------- concurrency

/// Starts the app on `database_url` (not the suite's fresh database: e.g. a
/// private PostgreSQL cluster a test stops and starts) with `extra`
/// environment. The suite's [`TestDb`] is still made and dropped, unused.
pub async fn spawn_app_on(database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let url = database_url.to_owned();
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    spawn_app_with(move |env| {
        env.insert("DATABASE_URL".to_owned(), url);
        env.extend(extra);
    })
    .await
}

// ------------------------------------------------------------------ processes

impl TestApp {
    /// Another process of the same deployment, started beside this one: the
    /// same database, secrets and (pinned) clock, and the same cache when it
    /// is Redis (the in-process cache is per process by nature). Answers its
    /// base URL.
    pub async fn replica(&self) -> String {
        let settings = (*self.state.settings).clone();
        let overrides = Overrides {
            clock: Arc::new(self.clock.clone()),
            cache_prefix: self.state.cache.prefix().to_owned(),
            workers: 1,
        };
        let app = Application::build(settings, overrides)
            .await
            .expect("replica starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }
}

impl TestApp {
    /// Ends the notice window of `year` a minute ago (the pinned clock stays,
    /// so sessions stay valid): seed 000's order needs it closed before the
    /// list goes to the council.
    pub async fn close_notice_window(&self, year: i32) {
        use association::platform::clock::Clock;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        let ended = self.clock.now() - chrono::Duration::minutes(1);
        association::entity::notice::Entity::update_many()
            .col_expr(
                association::entity::notice::Column::OpensAt,
                Expr::value(ended - chrono::Duration::days(7)),
            )
            .col_expr(
                association::entity::notice::Column::ClosesAt,
                Expr::value(ended),
            )
            .filter(association::entity::notice::Column::Year.eq(year))
            .exec(&self.state.db)
            .await
            .unwrap();
    }
}

// ------------------------------------------------------------- a fake WeChat

/// A local WeChat: logs in whoever sends `js_code` as the openid of the same
/// text (so the development names of the helpers keep working), hands out an
/// access token, judges text content (违规 → risky, 待审 → review, anything
/// else → pass) and accepts subscribe messages — except for an openid
/// containing `refused`, answered 43101 (no authorisation).
pub struct FakeWeChat;

impl wiremock::Respond for FakeWeChat {
    fn respond(&self, req: &wiremock::Request) -> wiremock::ResponseTemplate {
        use serde_json::json;
        use wiremock::ResponseTemplate;
        match req.url.path() {
            "/sns/jscode2session" => {
                let code = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "js_code")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"openid": code, "session_key": "c2Vzc2lvbg=="}))
            }
            "/cgi-bin/stable_token" => ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "ACCESS", "expires_in": 7200})),
            "/wxa/msg_sec_check" => {
                let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                let content = body["content"].as_str().unwrap_or_default();
                let suggest = if content.contains("违规") {
                    "risky"
                } else if content.contains("待审") {
                    "review"
                } else {
                    "pass"
                };
                ResponseTemplate::new(200).set_body_json(json!({
                    "errcode": 0, "errmsg": "ok",
                    "result": {"suggest": suggest, "label": 100},
                    "detail": [], "trace_id": "t"
                }))
            }
            "/cgi-bin/message/subscribe/send" => {
                let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                if body["touser"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("refused")
                {
                    ResponseTemplate::new(200).set_body_json(
                        json!({"errcode": 43101, "errmsg": "user refuse to accept the msg"}),
                    )
                } else {
                    ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"}))
                }
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

/// Starts the app against a [`FakeWeChat`] (`configure` may add settings).
pub async fn spawn_app_with_fake_wechat(
    configure: impl FnOnce(&mut HashMap<String, String>),
) -> (TestApp, wiremock::MockServer) {
    let mock = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/sns/jscode2session"))
        .respond_with(FakeWeChat)
        .mount(&mock)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(FakeWeChat)
        .mount(&mock)
        .await;
    let base = mock.uri();
    let app = spawn_app_with(move |env| {
        env.insert("WECHAT_APPID".into(), "wx-test".into());
        env.insert("WECHAT_SECRET".into(), "test-secret".into());
        env.insert("WECHAT_API_BASE".into(), base);
        configure(env);
    })
    .await;
    (app, mock)
}
