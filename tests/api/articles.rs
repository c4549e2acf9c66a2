//! Article credit (seed 000 §六, SPEC §A): submission, canonical URLs,
//! duplicates, review, withdrawal, reading and the points rules. Pages are
//! served by local mock servers of the two official sites (and the bonus
//! outlets); nothing leaves the machine.

use association::access::roles::Role;
use association::articles::canonical_url::{CanonicalUrl, UrlError};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    MockSite, PageSpec, Session, TestApp, assert_problem, association_page, gbk, info_site_page,
    spawn_app,
};

pub const ASSOCIATION_COLUMNS: &[&str] = &["学校后勤动态", "协会新闻", "招投标信息", "理论与实践"];

pub const STORY_CANTEEN: &str = "12月30日，四川大学后勤保障部联合学校食品安全委员会开展冬季食品安全专项检查。检查组深入各校区学生食堂、教工食堂及校园超市，重点查看了食材采购索证索票、冷链储存、加工操作规范和餐具清洗消毒等环节，对发现的问题当场反馈并限期整改。后勤保障部负责人表示，将持续完善食品安全长效机制，切实保障师生饮食安全。";
pub const STORY_CONTEST: &str = "为提升校园物业服务水平，西南交通大学后勤集团于12月下旬组织开展物业服务技能竞赛。来自各校区的六十余名保洁、绿化和维修员工参加了理论考试与实操比拼，比赛内容涵盖地面清洁、垃圾分类、花木修剪和水电维修等项目。通过以赛促学、以赛促练，进一步增强了员工的服务意识和业务能力。";
pub const STORY_ENERGY: &str = "近日，电子科技大学后勤保障处启动节约型校园建设专项行动，在学生公寓和教学楼推广智能水电计量系统，对公共区域照明实行分时段控制，并在食堂开展“光盘行动”宣传。据统计，行动开展以来学校月均用电量同比下降百分之八，节能降耗成效初步显现，师生节约意识明显增强。";
pub const STORY_DORM: &str = "西南财经大学后勤服务总公司近期完成学生公寓维修改造工程，共改造宿舍四百余间，更换老旧门窗、热水器和上下床铺，新增公共洗衣房和自习室。工程严格落实安全文明施工要求，赶在新生入学前全部完工。学生们纷纷表示，住宿条件明显改善，生活更加舒适便利。";

/// A school with a correspondent, and the two official sites as mock servers
/// (configured as in the seed: the info site counts from 2020 on).
pub struct World {
    pub app: TestApp,
    pub admin: Session,
    pub school_id: i64,
    pub writer: Session,
    pub association: MockSite,
    pub info: MockSite,
}

pub async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let writer = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    let association = app
        .mock_site(
            &admin,
            "四川省高校后勤协会网",
            "official",
            ASSOCIATION_COLUMNS,
            &[],
        )
        .await;
    // Counted from 2020 on, open-ended (as the seed configures it).
    let info = app
        .mock_site_counting(
            &admin,
            "四川学校后勤与产业信息网",
            "official",
            &["高校后勤动态"],
            json!({"from_year": 2020}),
        )
        .await;
    World {
        app,
        admin,
        school_id,
        writer,
        association,
        info,
    }
}

impl World {
    /// Serves an article page on the association's site; answers its URL.
    pub async fn on_association_site(&self, path: &str, page: &PageSpec<'_>) -> String {
        self.association
            .serve(
                path,
                association_page(page).into_bytes(),
                "text/html; charset=utf-8",
            )
            .await;
        self.association.url(path)
    }

    /// Serves an article page on the info site (GBK, charset only in `<meta>`); answers its URL.
    pub async fn on_info_site(&self, path: &str, page: &PageSpec<'_>) -> String {
        self.info
            .serve(path, gbk(&info_site_page(page)), "text/html")
            .await;
        self.info.url(path)
    }

    pub async fn submit_as(&self, who: &Session, body: Value) -> reqwest::Response {
        self.app.post_as("/api/v1/articles", who, &body).await
    }

    /// Submits `url` as the school's correspondent (first author: themself) and
    /// waits for the server's verification; answers the article.
    pub async fn submit_verified(&self, url: &str) -> Value {
        let res = self
            .submit_as(
                &self.writer,
                json!({"url": url, "first_author_member_id": self.writer.member_id, "declared_original": true}),
            )
            .await;
        let body: Value = res.json().await.unwrap();
        let id = body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("submitted: {body}"));
        self.app.verified_article(&self.writer, id).await
    }

    pub async fn review(&self, id: i64, body: Value) -> reqwest::Response {
        self.app
            .post_as(&format!("/api/v1/articles/{id}/review"), &self.admin, &body)
            .await
    }

    pub async fn approve(&self, id: i64) -> Value {
        let res = self.review(id, json!({"decision": "approve"})).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "approved: {body}");
        body
    }

    pub async fn merge(&self, id: i64, into: i64) -> Value {
        let res = self
            .app
            .post_as(
                &format!("/api/v1/articles/{id}/merge"),
                &self.admin,
                &json!({"into_id": into}),
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn article(&self, id: i64) -> Value {
        self.app
            .get_as(&format!("/api/v1/articles/{id}"), &self.admin)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Points of an article: (site, bonus).
    pub async fn points(&self, id: i64) -> (i64, i64) {
        let a = self.article(id).await;
        (
            a["points"]["site"].as_i64().unwrap(),
            a["points"]["bonus"].as_i64().unwrap(),
        )
    }

    /// The standings query the honours round runs: the school's points in a year.
    pub async fn school_points(&self, year: i32) -> (i64, i64) {
        let db = &self.app.state.db;
        let sql = format!(
            "SELECT COALESCE(SUM(site_points), 0) AS site, COALESCE(SUM(bonus_points), 0) AS bonus \
             FROM articles WHERE school_id = {} AND credit_year = {year}",
            self.school_id
        );
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        // Every change of points went through the mechanism that keeps the
        // standings totals: they match a recount of the articles.
        let differences = association::articles::totals::check(db, None)
            .await
            .unwrap();
        assert!(
            differences.is_empty(),
            "the kept totals differ from the articles: {differences:?}"
        );
        (
            row.try_get::<i64>("", "site").unwrap(),
            row.try_get::<i64>("", "bonus").unwrap(),
        )
    }
}

fn spec<'a>(title: &'a str, published: &'a str, column: &'a str, body: &'a str) -> PageSpec<'a> {
    PageSpec {
        title,
        published,
        column,
        body,
    }
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

// ---------------------------------------------------------------- canonical URLs

#[test]
fn canonical_urls_drop_tracking_parameters_fragments_default_ports_and_trailing_slashes() {
    let cases = [
        (
            "HTTP://WWW.SCHQXH.ORG.CN:80/News/2021/1234.html",
            "http://www.schqxh.org.cn/News/2021/1234.html",
        ),
        (
            "https://www.schqxh.org.cn:443/a/",
            "https://www.schqxh.org.cn/a",
        ),
        (
            "https://www.schqxh.org.cn/a/b///",
            "https://www.schqxh.org.cn/a/b",
        ),
        ("https://www.schqxh.org.cn/", "https://www.schqxh.org.cn/"),
        ("https://www.schqxh.org.cn", "https://www.schqxh.org.cn/"),
        (
            "https://www.schqxh.org.cn./x.html",
            "https://www.schqxh.org.cn/x.html",
        ),
        (
            "https://www.schqxh.org.cn/x.html#comments",
            "https://www.schqxh.org.cn/x.html",
        ),
        (
            "https://www.schqxh.org.cn/show.asp?utm_source=wx&id=9&utm_medium=s&spm=a.b&from=singlemessage&isappinstalled=0",
            "https://www.schqxh.org.cn/show.asp?id=9",
        ),
        (
            "https://www.schqxh.org.cn/show.asp?page=2&id=9&share_token=abc&scene=1&nsukey=x",
            "https://www.schqxh.org.cn/show.asp?id=9&page=2",
        ),
        (
            "https://www.schqxh.org.cn/show.asp?utm_campaign=x",
            "https://www.schqxh.org.cn/show.asp",
        ),
        (
            "  https://www.schqxh.org.cn:8080/x  ",
            "https://www.schqxh.org.cn:8080/x",
        ),
        (
            "https://四川.中国/新闻",
            "https://xn--wbsy6n.xn--fiqs8s/%E6%96%B0%E9%97%BB",
        ),
    ];
    for (raw, expected) in cases {
        assert_eq!(
            CanonicalUrl::parse(raw).unwrap().as_str(),
            expected,
            "{raw}"
        );
    }
    let a = CanonicalUrl::parse("http://www.schqxh.org.cn/x.html?b=2&a=1").unwrap();
    let b = CanonicalUrl::parse("https://WWW.schqxh.org.cn/x.html/?a=1&b=2#top").unwrap();
    assert_eq!(
        a.key(),
        b.key(),
        "http and https links to one page are one article"
    );
    let c = CanonicalUrl::parse("https://www.schqxh.org.cn/y.html").unwrap();
    assert_ne!(a.key(), c.key());
}

#[test]
fn only_http_and_https_links_are_accepted() {
    assert_eq!(
        CanonicalUrl::parse("file:///etc/passwd").unwrap_err(),
        UrlError::UnsupportedScheme("file".into())
    );
    assert!(matches!(
        CanonicalUrl::parse("javascript:alert(1)"),
        Err(UrlError::UnsupportedScheme(_))
    ));
    assert!(matches!(
        CanonicalUrl::parse("ftp://www.schqxh.org.cn/a"),
        Err(UrlError::UnsupportedScheme(_))
    ));
    assert_eq!(
        CanonicalUrl::parse("https://user:pw@www.schqxh.org.cn/").unwrap_err(),
        UrlError::Credentials
    );
    assert_eq!(
        CanonicalUrl::parse("www.schqxh.org.cn/a.html").unwrap_err(),
        UrlError::Invalid
    );
    assert_eq!(CanonicalUrl::parse("   ").unwrap_err(), UrlError::Empty);
    let long = format!("https://www.schqxh.org.cn/{}", "a".repeat(2048));
    assert_eq!(CanonicalUrl::parse(&long).unwrap_err(), UrlError::TooLong);
}

// ---------------------------------------------------------------- submission

#[tokio::test]
async fn the_same_article_submitted_twice_is_409_naming_the_first() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/news/2021/1001.html",
            &spec(
                "四川大学开展冬季食品安全专项检查",
                "2021-12-30 10:00",
                "学校后勤动态",
                STORY_CANTEEN,
            ),
        )
        .await;
    let first = w.submit_verified(&url).await;
    assert_eq!(first["status"], "pending");
    // The same page again, as a phone shares it: tracking tags, fragment, upper-case host, https.
    let again = format!(
        "{}?utm_source=wechat&from=timeline&isappinstalled=0#top",
        url.replace("http://127.0.0.1", "HTTPS://127.0.0.1")
    );
    let colleague = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    let res = w
        .submit_as(
            &colleague,
            json!({"url": again, "first_author_name": "张三", "declared_original": true}),
        )
        .await;
    let body = assert_problem(res, 409, "DUPLICATE_ARTICLE").await;
    assert_eq!(body["existing_article_id"], first["id"]);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&first["id"].to_string())
    );
}

#[tokio::test]
async fn a_link_another_school_submitted_is_409_credited_elsewhere_naming_nothing_of_it() {
    let w = world().await;
    let url = w.association.url("/news/2021/1101.html");
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "title": "我校召开后勤工作会议", "declared_original": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    let (_, other_school) = w.app.district_and_school(&w.admin).await;
    let outsider = w
        .app
        .member_with(Role::Correspondent, Some(other_school), None)
        .await;
    let res = w
        .submit_as(
            &outsider,
            json!({"url": url, "first_author_name": "李四", "declared_original": true}),
        )
        .await;
    let body = assert_problem(res, 409, "ARTICLE_CREDITED_ELSEWHERE").await;
    assert!(
        body.get("existing_article_id").is_none(),
        "no id the caller cannot open: {body}"
    );
    let text = body.to_string();
    assert!(
        !text.contains(&format!("稿件编号 {}", first["id"]))
            && !text.contains("我校召开后勤工作会议")
            && !text.contains(first["school"]["name"].as_str().unwrap()),
        "nothing of the other school's article leaks: {body}"
    );
    // The secretariat may open any article: it is named.
    let res = w
        .submit_as(
            &w.admin,
            json!({"url": url, "first_author_name": "李四", "declared_original": true, "school_id": other_school}),
        )
        .await;
    let body = assert_problem(res, 409, "DUPLICATE_ARTICLE").await;
    assert_eq!(body["existing_article_id"], first["id"]);
}

#[tokio::test]
async fn retries_with_the_same_idempotency_key_create_one_article() {
    let w = world().await;
    let url = w.association.url("/news/2021/1002.html");
    let body = json!({"url": url, "first_author_name": "李四", "declared_original": true, "published_on": "2021-10-08"});
    let send = |key: &'static str, body: Value| {
        let app = &w.app;
        let writer = &w.writer;
        async move {
            app.authed(reqwest::Method::POST, "/api/v1/articles", writer)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("9b2f6c1e-0d4a-4e8b-a1f3-6c2d8e9f0a11", body.clone()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let retry = send("9b2f6c1e-0d4a-4e8b-a1f3-6c2d8e9f0a11", body.clone()).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(
        retry["id"], first["id"],
        "the retry answers the first article"
    );
    let list: Value = w
        .app
        .get_as("/api/v1/articles?scope=all", &w.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "one article was created"
    );
    let mut other = body.clone();
    other["first_author_name"] = json!("王五");
    assert_problem(
        send("9b2f6c1e-0d4a-4e8b-a1f3-6c2d8e9f0a11", other).await,
        422,
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
    let res = send("another-key-for-the-same-link", body).await;
    assert_problem(res, 409, "DUPLICATE_ARTICLE").await;
}

#[tokio::test]
async fn concurrent_submissions_of_one_link_create_one_article() {
    let w = world().await;
    let colleague = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    for i in 0..5 {
        let body = json!({"url": w.association.url(&format!("/race/{i}.html")), "first_author_name": "张三", "declared_original": true});
        let (a, b) = tokio::join!(
            w.submit_as(&w.writer, body.clone()),
            w.submit_as(&colleague, body)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "one article, one DUPLICATE_ARTICLE");
    }
}

#[tokio::test]
async fn a_link_of_no_source_is_422_listing_the_accepted_sites() {
    let w = world().await;
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": "https://www.example.com/news/1.html", "first_author_name": "张三", "declared_original": true}),
        )
        .await;
    let body = assert_problem(res, 422, "UNKNOWN_SOURCE").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("www.example.com") && detail.contains("四川省高校后勤协会网"),
        "{detail}"
    );
    let names: Vec<&str> = body["accepted_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["四川省高校后勤协会网", "四川学校后勤与产业信息网"]);
    // Another port of a configured host is another site.
    let res = w
        .submit_as(&w.writer, json!({"url": "http://127.0.0.1:9/news/1.html", "first_author_name": "张三", "declared_original": true}))
        .await;
    assert_problem(res, 422, "UNKNOWN_SOURCE").await;
}

#[tokio::test]
async fn the_article_must_be_declared_original_and_name_at_most_one_first_author() {
    let w = world().await;
    let url = w.association.url("/news/1.html");
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "first_author_name": "张三", "declared_original": false}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/declared_original");
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "declared_original": true, "first_author_name": "张三", "first_author_member_id": w.writer.member_id}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/first_author_name");
    assert_eq!(body["errors"][0]["code"], "exclusive", "both given: {body}");
    let res = w
        .submit_as(&w.writer, json!({"url": "file:///etc/passwd", "declared_original": true, "first_author_name": "张三"}))
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/url");
    assert_eq!(body["errors"][0]["code"], "scheme");
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "declared_original": true, "first_author_name": "张三", "published_on": "2021-11-02"}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(
        body["errors"][0]["pointer"], "/published_on",
        "a date after today (2021-11-01) is refused"
    );
}

#[tokio::test]
async fn a_correspondent_naming_no_first_author_is_the_first_author() {
    let w = world().await;
    let url = w.association.url("/news/self.html");
    let res = w
        .submit_as(&w.writer, json!({"url": url, "declared_original": true}))
        .await;
    assert_eq!(res.status(), 201, "neither member nor name: the submitter");
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["first_author"]["member_id"], w.writer.member_id);
    assert_eq!(a["submitted_by"], w.writer.member_id);
    let stored = w.article(id_of(&a)).await;
    assert_eq!(stored["first_author"]["member_id"], w.writer.member_id);
    // The secretariat is no correspondent of the school: it must name the author.
    let res = w
        .submit_as(
            &w.admin,
            json!({"url": w.association.url("/news/self-2.html"), "declared_original": true, "school_id": w.school_id}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/first_author_name");
    assert_eq!(body["errors"][0]["code"], "required");
    let res = w
        .submit_as(
            &w.admin,
            json!({"url": w.association.url("/news/self-2.html"), "declared_original": true, "school_id": w.school_id, "first_author_name": "张三"}),
        )
        .await;
    assert_eq!(res.status(), 201, "with a name it is accepted");
}

#[tokio::test]
async fn the_first_author_must_be_a_member_of_the_school() {
    let w = world().await;
    let (_, other_school) = w.app.district_and_school(&w.admin).await;
    let outsider = w
        .app
        .member_with(Role::Correspondent, Some(other_school), None)
        .await;
    let url = w.association.url("/news/2.html");
    let res = w
        .submit_as(&w.writer, json!({"url": url, "declared_original": true, "first_author_member_id": outsider.member_id}))
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/first_author_member_id");
    let colleague = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    let res = w
        .submit_as(&w.writer, json!({"url": url, "declared_original": true, "first_author_member_id": colleague.member_id}))
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["first_author"]["member_id"], colleague.member_id);
    assert_eq!(a["submitted_by"], w.writer.member_id);
}

#[tokio::test]
async fn a_correspondent_of_several_schools_names_the_school_and_the_secretariat_submits_for_any() {
    let w = world().await;
    let (_, second) = w.app.district_and_school(&w.admin).await;
    let (_, third) = w.app.district_and_school(&w.admin).await;
    let name = "two-schools";
    w.app
        .grant(name, Role::Correspondent, Some(w.school_id), None)
        .await;
    w.app
        .grant(name, Role::Correspondent, Some(second), None)
        .await;
    let both = w.app.login(name).await;
    let body = |path: &str, school: Option<i64>| {
        let mut b = json!({"url": w.association.url(path), "first_author_name": "赵六", "declared_original": true});
        if let Some(s) = school {
            b["school_id"] = json!(s);
        }
        b
    };
    let res = w.submit_as(&both, body("/a.html", None)).await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["pointer"], "/school_id");
    let res = w.submit_as(&both, body("/a.html", Some(second))).await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["school"]["id"], second);
    assert_problem(
        w.submit_as(&both, body("/b.html", Some(third))).await,
        403,
        "FORBIDDEN",
    )
    .await;
    let res = w.submit_as(&w.admin, body("/c.html", None)).await;
    assert_problem(res, 422, "VALIDATION_FAILED").await;
    let res = w.submit_as(&w.admin, body("/c.html", Some(third))).await;
    assert_eq!(
        res.status(),
        201,
        "the secretariat submits on behalf of any school"
    );
    // A school that does not exist: 404, naming the field.
    let res = w.submit_as(&w.admin, body("/d.html", Some(999_999))).await;
    let problem = assert_problem(res, 404, "NOT_FOUND").await;
    assert_eq!(problem["errors"][0]["pointer"], "/school_id");
}

#[tokio::test]
async fn submissions_are_rate_limited_per_member() {
    let w = world().await;
    let body = json!({"url": "https://www.example.com/x.html", "first_author_name": "张三", "declared_original": true});
    for _ in 0..30 {
        assert_problem(
            w.submit_as(&w.writer, body.clone()).await,
            422,
            "UNKNOWN_SOURCE",
        )
        .await;
    }
    let res = w.submit_as(&w.writer, body.clone()).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, 429, "RATE_LIMITED").await;
    let colleague = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    assert_problem(w.submit_as(&colleague, body).await, 422, "UNKNOWN_SOURCE").await;
}

// ---------------------------------------------------------------- points

#[tokio::test]
async fn each_counted_article_earns_one_site_point_to_its_school_and_first_author() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/news/2021/2001.html",
            &spec(
                "西南交通大学举办物业服务技能竞赛",
                "2021-10-20 09:00",
                "学校后勤动态",
                STORY_CONTEST,
            ),
        )
        .await;
    let a = w.submit_verified(&url).await;
    assert_eq!(
        a["points"],
        json!({"site": 0, "bonus": 0}),
        "pending earns nothing yet"
    );
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": w.association.url("/news/2021/2002.html"), "first_author_name": " 王 小 明 ", "declared_original": true, "published_on": "2021-10-21", "column": "协会新闻"}),
        )
        .await;
    let b: Value = res.json().await.unwrap();
    let b = w.app.verified_article(&w.writer, id_of(&b)).await;
    assert_eq!(b["verification"]["status"], "failed", "no page there: {b}");
    let approved = w.approve(id_of(&a)).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["points"], json!({"site": 1, "bonus": 0}));
    w.approve(id_of(&b)).await;
    assert_eq!(w.points(id_of(&b)).await, (1, 0));
    assert_eq!(w.school_points(2021).await, (2, 0));
    let db = &w.app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT author_key, SUM(site_points) AS site FROM articles GROUP BY author_key ORDER BY author_key".to_owned(),
        ))
        .await
        .unwrap();
    let by_author: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "author_key").unwrap(),
                r.try_get::<i64>("", "site").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_author,
        [
            (format!("member:{}", w.writer.member_id), 1),
            ("name:王小明".to_owned(), 1)
        ]
    );
}

#[tokio::test]
async fn the_same_story_on_both_official_sites_counts_once() {
    let w = world().await;
    let on_association = w
        .on_association_site(
            "/news/2021/3001.html",
            &spec(
                "四川大学开展冬季食品安全专项检查",
                "2021-06-01 16:20",
                "学校后勤动态",
                STORY_CANTEEN,
            ),
        )
        .await;
    // The info site carries the same story under its own title and layout, in GBK.
    let on_info = w
        .on_info_site(
            "/Article/2021/6/3001.html",
            &spec(
                "四川大学开展食品安全专项检查工作",
                "2021年6月2日",
                "高校后勤动态",
                STORY_CANTEEN,
            ),
        )
        .await;
    let a = w.submit_verified(&on_association).await;
    let b = w.submit_verified(&on_info).await;
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    assert_eq!(b["verification"]["status"], "verified", "{b}");
    let (a, b) = (id_of(&a), id_of(&b));
    // The secretariat sees them as likely duplicates on both articles (near-identical text).
    let seen_a = w.article(a).await;
    assert_eq!(
        seen_a["likely_duplicate_of"][0]["article_id"], b,
        "{seen_a}"
    );
    assert_eq!(seen_a["likely_duplicate_of"][0]["reason"], "text");
    assert_eq!(
        w.article(b).await["likely_duplicate_of"][0]["article_id"],
        a
    );
    w.approve(a).await;
    w.approve(b).await;
    assert_eq!(
        w.school_points(2021).await,
        (2, 0),
        "two stories until merged"
    );
    let merged = w.merge(b, a).await;
    assert_eq!(merged["duplicate_group_id"], a);
    assert_eq!(
        merged["likely_duplicate_of"],
        json!([]),
        "merged pairs leave the list"
    );
    assert_eq!(w.points(a).await, (1, 0));
    assert_eq!(w.points(b).await, (0, 0));
    assert_eq!(
        w.school_points(2021).await,
        (1, 0),
        "the same story counts once"
    );
    // Withdrawing the counted one moves the story's point to the other.
    let res = w
        .app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/articles/{a}"),
            &w.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(w.points(b).await, (1, 0));
    assert_eq!(w.school_points(2021).await, (1, 0));
    let audit = w.app.audit_of("article", &b.to_string()).await;
    assert_eq!(audit[0].action, "article.merge");
}

#[tokio::test]
async fn a_repost_counts_nothing() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/news/2021/4001.html",
            &spec(
                "电子科技大学启动节约型校园建设专项行动",
                "2021-09-15 08:30",
                "学校后勤动态",
                STORY_ENERGY,
            ),
        )
        .await;
    let id = id_of(&w.submit_verified(&url).await);
    let res = w.review(id, json!({"decision": "repost"})).await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/reason");
    let res = w
        .review(
            id,
            json!({"decision": "repost", "reason": "转载自四川日报"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["status"], "repost");
    assert_eq!(a["review"]["reason"], "转载自四川日报");
    assert_eq!(a["points"], json!({"site": 0, "bonus": 0}));
    assert_eq!(w.school_points(2021).await, (0, 0));
    // The secretariat may change its decision: approved it counts, marked a repost again it does not.
    // (A change of an earlier decision is explicit: `revises` names the status it changes, with a reason.)
    let res = w
        .review(
            id,
            json!({"decision": "approve", "revises": "repost", "reason": "经核实为原创"}),
        )
        .await;
    assert_eq!(res.status(), 200, "approved: {}", res.text().await.unwrap());
    assert_eq!(w.points(id).await, (1, 0));
    w.review(
        id,
        json!({"decision": "repost", "revises": "approved", "reason": "经核实为转载"}),
    )
    .await;
    assert_eq!(w.points(id).await, (0, 0));
    let audit = w.app.audit_of("article", &id.to_string()).await;
    assert_eq!(audit.len(), 3);
    assert_eq!(audit[0].action, "article.review");
    assert_eq!(audit[0].reason.as_deref(), Some("经核实为转载"));
    assert!(audit[0].before.as_deref().unwrap().contains("approved"));
}

#[tokio::test]
async fn in_2019_only_the_association_site_counts() {
    let w = world().await;
    let on_association = w
        .on_association_site(
            "/news/2019/5001.html",
            &spec(
                "西南财经大学完成学生公寓维修改造",
                "2019-08-26 10:00",
                "学校后勤动态",
                STORY_DORM,
            ),
        )
        .await;
    let on_info_2019 = w
        .on_info_site(
            "/Article/2019/5002.html",
            &spec(
                "西南交通大学举办物业服务技能竞赛",
                "2019年12月20日",
                "高校后勤动态",
                STORY_CONTEST,
            ),
        )
        .await;
    let on_info_2020 = w
        .on_info_site(
            "/Article/2020/5003.html",
            &spec(
                "电子科技大学启动节约型校园建设",
                "2020年1月6日",
                "高校后勤动态",
                STORY_ENERGY,
            ),
        )
        .await;
    let a = w.submit_verified(&on_association).await;
    let b = w.submit_verified(&on_info_2019).await;
    let c = w.submit_verified(&on_info_2020).await;
    assert_eq!(
        (
            a["credit_year"].as_i64(),
            b["credit_year"].as_i64(),
            c["credit_year"].as_i64()
        ),
        (Some(2019), Some(2019), Some(2020))
    );
    for x in [&a, &b, &c] {
        w.approve(id_of(x)).await;
    }
    assert_eq!(
        w.points(id_of(&a)).await,
        (1, 0),
        "the association's own site counts in 2019"
    );
    assert_eq!(
        w.points(id_of(&b)).await,
        (0, 0),
        "the info site does not count in 2019"
    );
    assert_eq!(
        w.points(id_of(&c)).await,
        (1, 0),
        "the info site counts from 2020"
    );
    assert_eq!(w.school_points(2019).await, (1, 0));
    let sources: Value = w
        .app
        .get("/api/v1/sources?year=2019")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = sources["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["四川省高校后勤协会网"]);
}

#[tokio::test]
async fn an_uncounted_column_earns_nothing() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/news/2021/6001.html",
            &spec(
                "关于做好2021年寒假放假工作的通知",
                "2021-10-10 09:00",
                "通知公告",
                STORY_DORM,
            ),
        )
        .await;
    // The submitter says 学校后勤动态; the page's breadcrumb says 通知公告, and the page wins.
    let res = w
        .submit_as(&w.writer, json!({"url": url, "first_author_name": "张三", "declared_original": true, "column": "学校后勤动态"}))
        .await;
    let id = id_of(&res.json::<Value>().await.unwrap());
    let a = w.app.verified_article(&w.writer, id).await;
    assert_eq!(a["column"], "通知公告");
    assert_eq!(a["declared"]["column"], "学校后勤动态");
    w.approve(id).await;
    assert_eq!(w.points(id).await, (0, 0));
    // A counted column of the info site on the association's site is not counted there either.
    let url = w
        .on_association_site(
            "/news/2021/6002.html",
            &spec(
                "西南交通大学举办物业服务技能竞赛",
                "2021-10-11 09:00",
                "高校后勤动态",
                STORY_CONTEST,
            ),
        )
        .await;
    let b = id_of(&w.submit_verified(&url).await);
    w.approve(b).await;
    assert_eq!(w.points(b).await, (0, 0));
    // The secretariat corrects the column at review: then it counts.
    // (The article is approved already: the correction is an explicit revision with a reason.)
    let res = w
        .review(
            b,
            json!({"decision": "approve", "column": "学校后勤动态", "revises": "approved", "reason": "栏目更正"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(w.points(b).await, (1, 0));
}

#[tokio::test]
async fn the_year_is_china_time() {
    let w = world().await;
    let late = w
        .on_association_site(
            "/news/2021/7001.html",
            &spec(
                "四川大学开展冬季食品安全专项检查",
                "2021-12-31 23:30",
                "学校后勤动态",
                STORY_CANTEEN,
            ),
        )
        .await;
    let new_year = w
        .on_association_site(
            "/news/2022/7002.html",
            &spec(
                "西南交通大学举办物业服务技能竞赛",
                "2022-01-01 00:10",
                "学校后勤动态",
                STORY_CONTEST,
            ),
        )
        .await;
    // A page stating the instant in UTC: 15:30Z is 23:30 in China, still 2021.
    let utc_page = association_page(&spec("电子科技大学启动节约型校园建设专项行动", "", "学校后勤动态", STORY_ENERGY)).replace(
        "<meta charset=\"utf-8\">",
        "<meta charset=\"utf-8\"><meta property=\"article:published_time\" content=\"2021-12-31T15:30:00Z\">",
    );
    w.association
        .serve("/news/2021/7003.html", utc_page.into_bytes(), "text/html")
        .await;
    let a = w.submit_verified(&late).await;
    let b = w.submit_verified(&new_year).await;
    let c = w
        .submit_verified(&w.association.url("/news/2021/7003.html"))
        .await;
    assert_eq!(a["published_at"], "2021-12-31T23:30:00+08:00");
    assert_eq!(a["credit_year"], 2021);
    assert_eq!(b["credit_year"], 2022);
    assert_eq!(c["published_at"], "2021-12-31T23:30:00+08:00");
    assert_eq!(c["credit_year"], 2021);
    for x in [&a, &b, &c] {
        w.approve(id_of(x)).await;
    }
    assert_eq!(w.school_points(2021).await, (2, 0));
    assert_eq!(w.school_points(2022).await, (1, 0));
    let list: Value = w
        .app
        .get_as("/api/v1/articles?scope=school&year=2021", &w.writer)
        .await
        .json()
        .await
        .unwrap();
    let mut ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    ids.sort();
    assert_eq!(ids, [id_of(&a), id_of(&c)]);
}

#[tokio::test]
async fn at_most_one_bonus_point_per_story() {
    let w = world().await;
    let cacm = w
        .app
        .mock_site(&w.admin, "中国教育后勤协会网", "bonus", &[], &[])
        .await;
    let hq = w
        .app
        .mock_site(&w.admin, "中国院校后勤信息网", "bonus", &[], &[])
        .await;
    let page = |title: &str| {
        association_page(&spec(title, "2021-07-08 11:00", "院校动态", STORY_ENERGY)).into_bytes()
    };
    cacm.serve(
        "/news/8001.html",
        page("电子科技大学推进节约型校园建设"),
        "text/html",
    )
    .await;
    hq.serve(
        "/news/8002.html",
        page("电子科大节约型校园建设见成效"),
        "text/html",
    )
    .await;
    let official = w
        .on_association_site(
            "/news/2021/8003.html",
            &spec(
                "电子科技大学启动节约型校园建设专项行动",
                "2021-07-07 09:00",
                "学校后勤动态",
                STORY_ENERGY,
            ),
        )
        .await;
    let a = id_of(&w.submit_verified(&cacm.url("/news/8001.html")).await);
    let b = id_of(&w.submit_verified(&hq.url("/news/8002.html")).await);
    let c = id_of(&w.submit_verified(&official).await);
    for id in [a, b, c] {
        w.approve(id).await;
    }
    assert_eq!(w.points(a).await, (0, 1));
    assert_eq!(w.points(b).await, (0, 1));
    assert_eq!(
        w.school_points(2021).await,
        (1, 2),
        "not yet known to be one story"
    );
    let likely: Vec<i64> = w.article(a).await["likely_duplicate_of"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["article_id"].as_i64().unwrap())
        .collect();
    assert_eq!(likely, [b, c]);
    w.merge(b, a).await;
    assert_eq!(
        w.school_points(2021).await,
        (1, 1),
        "one story carried by two bonus outlets: one bonus point"
    );
    w.merge(c, a).await;
    assert_eq!(
        w.points(c).await,
        (1, 0),
        "the official site's publication still earns its site point"
    );
    assert_eq!(w.points(a).await, (0, 1));
    assert_eq!(w.school_points(2021).await, (1, 1));
}

#[tokio::test]
async fn provincial_media_count_once_the_secretariat_confirms_the_level() {
    let w = world().await;
    let media = w
        .app
        .create_source(
            &w.admin,
            json!({"name": "省级以上媒体", "kind": "bonus", "needs_confirmation": true}),
        )
        .await;
    // Any site, submitted under that source; never fetched by the server.
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": "https://www.scdaily.example/2021/03/05/content_1.html", "source_id": media, "first_author_name": "张三", "declared_original": true, "published_on": "2021-03-05"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["verification"]["status"], "skipped");
    assert!(
        a["verification"]["reason"]
            .as_str()
            .unwrap()
            .contains("人工")
    );
    let id = id_of(&a);
    let res = w.review(id, json!({"decision": "approve"})).await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/confirmed_level");
    let res = w
        .review(
            id,
            json!({"decision": "approve", "confirmed_level": "provincial"}),
        )
        .await;
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["review"]["confirmed_level"], "provincial");
    assert_eq!(a["points"], json!({"site": 0, "bonus": 1}));
    // A source that does not need confirmation does not take links of other sites.
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": "https://www.scdaily.example/2.html", "source_id": w.association.source_id, "first_author_name": "张三", "declared_original": true}),
        )
        .await;
    assert_problem(res, 422, "UNKNOWN_SOURCE").await;
}

// ---------------------------------------------------------------- duplicates and the queue

#[tokio::test]
async fn the_same_title_from_the_same_school_in_a_year_is_a_likely_duplicate() {
    let w = world().await;
    let submit = |path: &'static str, title: &'static str| {
        let w = &w;
        async move {
            let res = w
                .submit_as(
                    &w.writer,
                    json!({"url": w.association.url(path), "title": title, "first_author_name": "张三", "declared_original": true, "published_on": "2021-05-20"}),
                )
                .await;
            let a: Value = res.json().await.unwrap();
            w.app.verified_article(&w.writer, id_of(&a)).await
        }
    };
    let a = id_of(&submit("/a.html", "我校召开2021年后勤工作会议").await);
    let b = id_of(&submit("/b.html", "我校召开 2021 年后勤工作会议！").await);
    let c = id_of(&submit("/c.html", "我校召开后勤安全工作会议").await);
    let seen = w.article(b).await;
    assert_eq!(
        seen["likely_duplicate_of"],
        json!([{"article_id": a, "reason": "title", "distance": null, "title": "我校召开2021年后勤工作会议", "school_id": w.school_id, "status": "pending", "canonical_url": w.association.url("/a.html")}])
    );
    assert_eq!(w.article(c).await["likely_duplicate_of"], json!([]));
    // The school's correspondent does not see the secretariat's duplicate hints.
    let own: Value = w
        .app
        .get_as(&format!("/api/v1/articles/{b}"), &w.writer)
        .await
        .json()
        .await
        .unwrap();
    assert!(own.get("likely_duplicate_of").is_none(), "{own}");
    assert_problem(
        w.app
            .get_as(
                "/api/v1/articles?scope=school&likely_duplicate=true",
                &w.writer,
            )
            .await,
        403,
        "FORBIDDEN",
    )
    .await;
    // The queue shows the pair until it is merged.
    async fn queue(w: &World) -> Vec<i64> {
        let q: Value = w
            .app
            .get_as(
                "/api/v1/articles?scope=all&status=pending&likely_duplicate=true",
                &w.admin,
            )
            .await
            .json()
            .await
            .unwrap();
        let mut ids: Vec<i64> = q["items"].as_array().unwrap().iter().map(id_of).collect();
        ids.sort();
        ids
    }
    assert_eq!(queue(&w).await, [a, b]);
    w.merge(a, b).await;
    assert_eq!(queue(&w).await, Vec::<i64>::new());
    let rest: Value = w
        .app
        .get_as(
            "/api/v1/articles?scope=all&likely_duplicate=false",
            &w.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    // Another school's article with the same title is not flagged by title.
    let (_, other_school) = w.app.district_and_school(&w.admin).await;
    let other = w
        .app
        .member_with(Role::Correspondent, Some(other_school), None)
        .await;
    let res = w
        .submit_as(&other, json!({"url": w.association.url("/d.html"), "title": "我校召开2021年后勤工作会议", "first_author_name": "李四", "declared_original": true, "published_on": "2021-05-21"}))
        .await;
    let d = w
        .app
        .verified_article(&other, id_of(&res.json::<Value>().await.unwrap()))
        .await;
    assert_eq!(w.article(id_of(&d)).await["likely_duplicate_of"], json!([]));
}

#[tokio::test]
async fn the_review_queue_filters_by_status_school_and_year_and_paginates() {
    let w = world().await;
    let (_, other_school) = w.app.district_and_school(&w.admin).await;
    let other = w
        .app
        .member_with(Role::Correspondent, Some(other_school), None)
        .await;
    let mut ours = Vec::new();
    for (i, day) in ["2021-03-01", "2021-03-02", "2021-03-03", "2020-12-31"]
        .iter()
        .enumerate()
    {
        let res = w
            .submit_as(&w.writer, json!({"url": w.association.url(&format!("/q/{i}.html")), "first_author_name": "张三", "declared_original": true, "published_on": day}))
            .await;
        ours.push(id_of(&res.json::<Value>().await.unwrap()));
    }
    let res = w
        .submit_as(&other, json!({"url": w.association.url("/q/x.html"), "first_author_name": "李四", "declared_original": true, "published_on": "2021-03-04"}))
        .await;
    let theirs = id_of(&res.json::<Value>().await.unwrap());
    for id in ours.iter().chain([&theirs]) {
        w.app.verified_article(&w.admin, *id).await;
    }
    w.approve(ours[0]).await;
    let path = format!(
        "/api/v1/articles?scope=all&status=pending&school_id={}&year=2021&page_size=1",
        w.school_id
    );
    let first: Value = w.app.get_as(&path, &w.admin).await.json().await.unwrap();
    assert_eq!(
        first["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [ours[2]]
    );
    let token = first["next_page_token"].as_str().unwrap();
    let second: Value = w
        .app
        .get_as(&format!("{path}&page_token={token}"), &w.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        second["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [ours[1]]
    );
    assert!(second.get("next_page_token").is_none());
    let all_pending: Value = w
        .app
        .get_as("/api/v1/articles?status=pending", &w.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all_pending["items"].as_array().unwrap().len(),
        4,
        "scope=all is the secretariat's default"
    );
    let res = w
        .app
        .get_as(&format!("{path}&page_token=forged.token"), &w.admin)
        .await;
    assert_problem(res, 400, "INVALID_PAGE_TOKEN").await;
}

// ---------------------------------------------------------------- review, withdrawal, reading

#[tokio::test]
async fn approving_needs_a_publication_date_and_the_secretariat_may_supply_it() {
    let w = world().await;
    let res = w
        .submit_as(&w.writer, json!({"url": w.association.url("/gone.html"), "title": "我校开展消防演练", "first_author_name": "张三", "declared_original": true}))
        .await;
    let id = id_of(&res.json::<Value>().await.unwrap());
    let a = w.app.verified_article(&w.writer, id).await;
    assert_eq!(a["verification"]["status"], "failed");
    let res = w.review(id, json!({"decision": "approve"})).await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/published_on");
    let res = w
        .review(
            id,
            json!({"decision": "approve", "published_on": "2021-04-02", "column": "学校后勤动态"}),
        )
        .await;
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["credit_year"], 2021);
    assert_eq!(a["published_at"], "2021-04-02T00:00:00+08:00");
    assert_eq!(a["points"]["site"], 1);
    let res = w
        .review(id, json!({"decision": "reject", "reason": "  "}))
        .await;
    assert_problem(res, 422, "VALIDATION_FAILED").await;
    // Changing the approval is an explicit revision (`revises`, with a reason).
    let res = w
        .review(
            id,
            json!({"decision": "reject", "revises": "approved", "reason": "非本校稿件"}),
        )
        .await;
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["status"], "rejected");
    assert_eq!(a["points"]["site"], 0);
    let audit = w.app.audit_of("article", &id.to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].actor_id, Some(w.admin.member_id));
    assert_eq!(audit[0].actor_role.as_deref(), Some("secretariat"));
    let res = w
        .app
        .post_as(
            "/api/v1/articles/999999/review",
            &w.admin,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_correspondent_withdraws_a_pending_article_and_may_submit_it_again() {
    let w = world().await;
    let url = w.association.url("/w.html");
    let body = json!({"url": url, "first_author_name": "张三", "declared_original": true, "published_on": "2021-05-01"});
    let id = id_of(
        &w.submit_as(&w.writer, body.clone())
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    let (_, other_school) = w.app.district_and_school(&w.admin).await;
    let outsider = w
        .app
        .member_with(Role::Correspondent, Some(other_school), None)
        .await;
    let path = format!("/api/v1/articles/{id}");
    let delete = |who: &Session| w.app.authed(reqwest::Method::DELETE, &path, who).send();
    assert_problem(delete(&outsider).await.unwrap(), 403, "FORBIDDEN").await;
    let colleague = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    assert_eq!(
        delete(&colleague).await.unwrap().status(),
        204,
        "a correspondent of the same school withdraws it"
    );
    assert_eq!(
        delete(&w.writer).await.unwrap().status(),
        204,
        "withdrawing again is a no-op"
    );
    let a: Value = w.app.get_as(&path, &w.writer).await.json().await.unwrap();
    assert_eq!(a["status"], "withdrawn");
    let res = w.review(id, json!({"decision": "approve"})).await;
    assert_problem(res, 409, "ARTICLE_WITHDRAWN").await;
    let res = w.submit_as(&w.writer, body).await;
    assert_eq!(res.status(), 201, "a withdrawn link can be submitted again");
}

#[tokio::test]
async fn after_review_only_the_secretariat_changes_it() {
    let w = world().await;
    let res = w
        .submit_as(&w.writer, json!({"url": w.association.url("/r.html"), "first_author_name": "张三", "declared_original": true, "published_on": "2021-05-01", "column": "协会新闻"}))
        .await;
    let id = id_of(&res.json::<Value>().await.unwrap());
    w.app.verified_article(&w.writer, id).await;
    w.approve(id).await;
    assert_eq!(w.points(id).await, (1, 0));
    let path = format!("/api/v1/articles/{id}");
    let res = w
        .app
        .authed(reqwest::Method::DELETE, &path, &w.writer)
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "ARTICLE_ALREADY_REVIEWED").await;
    let res = w
        .app
        .authed(reqwest::Method::DELETE, &path, &w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(w.points(id).await, (0, 0));
    let audit = w.app.audit_of("article", &id.to_string()).await;
    assert_eq!(audit[0].action, "article.withdraw");
}

#[tokio::test]
async fn a_correspondent_reads_own_and_school_articles_and_the_council_reads_all() {
    let w = world().await;
    let colleague = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    let (_, other_school) = w.app.district_and_school(&w.admin).await;
    let outsider = w
        .app
        .member_with(Role::Correspondent, Some(other_school), None)
        .await;
    let council = w.app.member_with(Role::Council, None, None).await;
    let res = w
        .submit_as(&w.writer, json!({"url": w.association.url("/mine.html"), "first_author_name": "张三", "declared_original": true}))
        .await;
    let id = id_of(&res.json::<Value>().await.unwrap());
    let ids = |v: Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>()
    };
    let list = |who: &Session, q: &str| {
        let app = &w.app;
        let path = format!("/api/v1/articles{q}");
        let who = who.clone();
        async move { app.get_as(&path, &who).await }
    };
    assert_eq!(
        ids(list(&w.writer, "").await.json().await.unwrap()),
        [id],
        "mine by default"
    );
    assert_eq!(
        ids(list(&colleague, "?scope=mine").await.json().await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(list(&colleague, "?scope=school")
            .await
            .json()
            .await
            .unwrap()),
        [id]
    );
    assert_eq!(
        ids(list(&outsider, "?scope=school").await.json().await.unwrap()),
        Vec::<i64>::new()
    );
    assert_problem(
        list(
            &outsider,
            &format!("?scope=school&school_id={}", w.school_id),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_problem(list(&w.writer, "?scope=all").await, 403, "FORBIDDEN").await;
    assert_eq!(
        ids(list(&council, "?scope=all").await.json().await.unwrap()),
        [id]
    );
    assert_eq!(
        ids(list(
            &council,
            &format!("?scope=school&school_id={}", w.school_id)
        )
        .await
        .json()
        .await
        .unwrap()),
        [id]
    );
    let res = w
        .app
        .get_as(&format!("/api/v1/articles/{id}"), &colleague)
        .await;
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["school"]["id"], w.school_id);
    assert!(a["points"].is_object() && a["status"].is_string());
    let res = w
        .app
        .get_as(&format!("/api/v1/articles/{id}"), &outsider)
        .await;
    let body = assert_problem(res, 403, "FORBIDDEN").await;
    assert!(
        !body.to_string().contains("mine.html"),
        "nothing of another school leaks"
    );
    let res = w
        .app
        .get_as(&format!("/api/v1/articles/{id}"), &council)
        .await;
    let seen: Value = res.json().await.unwrap();
    assert!(
        seen.get("likely_duplicate_of").is_none(),
        "duplicates are the secretariat's"
    );
    let plain = w.app.login("plain-member").await;
    assert_problem(list(&plain, "").await, 403, "FORBIDDEN").await;
    assert_problem(
        w.app.get_as("/api/v1/articles/999999", &w.writer).await,
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn merging_checks_both_articles() {
    let w = world().await;
    let res = w
        .submit_as(&w.writer, json!({"url": w.association.url("/m1.html"), "first_author_name": "张三", "declared_original": true}))
        .await;
    let a = id_of(&res.json::<Value>().await.unwrap());
    let path = format!("/api/v1/articles/{a}/merge");
    let res = w.app.post_as(&path, &w.admin, &json!({"into_id": a})).await;
    assert_problem(res, 422, "VALIDATION_FAILED").await;
    let res = w
        .app
        .post_as(&path, &w.admin, &json!({"into_id": 999_999}))
        .await;
    let body = assert_problem(res, 404, "NOT_FOUND").await;
    assert_eq!(body["errors"][0]["pointer"], "/into_id");
    let res = w
        .app
        .post_as(
            "/api/v1/articles/999999/merge",
            &w.admin,
            &json!({"into_id": a}),
        )
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
    // Merging groups: a+b and c+d become one group.
    let mut ids = vec![a];
    for p in ["/m2.html", "/m3.html", "/m4.html"] {
        let res = w
            .submit_as(&w.writer, json!({"url": w.association.url(p), "first_author_name": "张三", "declared_original": true}))
            .await;
        ids.push(id_of(&res.json::<Value>().await.unwrap()));
    }
    w.merge(ids[1], ids[0]).await;
    w.merge(ids[3], ids[2]).await;
    w.merge(ids[2], ids[1]).await;
    for id in &ids {
        assert_eq!(w.article(*id).await["duplicate_group_id"], ids[0]);
    }
}

// ---------------------------------------------------------------- batch review

impl World {
    /// A pending article of the school (no page behind it); answers its id.
    async fn pending(&self, path: &str) -> i64 {
        let res = self
            .submit_as(
                &self.writer,
                json!({"url": self.association.url(path), "declared_original": true,
                       "published_on": "2021-05-01", "column": "协会新闻"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        id_of(&res.json().await.unwrap())
    }

    async fn review_batch(&self, key: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.app.authed(
            reqwest::Method::POST,
            "/api/v1/articles/reviews",
            &self.admin,
        );
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.json(body).send().await.unwrap()
    }

    async fn review_audits(&self, id: i64) -> usize {
        self.app
            .audit_of("article", &id.to_string())
            .await
            .iter()
            .filter(|e| e.action == "article.review")
            .count()
    }
}

#[tokio::test]
async fn a_batch_review_applies_each_item_on_its_own_audited_as_a_single_review() {
    let w = world().await;
    let (a, b, c) = (
        w.pending("/batch/a.html").await,
        w.pending("/batch/b.html").await,
        w.pending("/batch/c.html").await,
    );
    // A colleague approved c meanwhile: rejecting it without `revises` is stale.
    w.approve(c).await;
    let body = json!({"items": [
        {"article_id": a, "review": {"decision": "approve"}},
        {"article_id": c, "review": {"decision": "reject", "reason": "不是本校稿件。"}},
        {"article_id": b, "review": {"decision": "reject", "reason": "链接打开后不是本校后勤稿件。"}},
    ]});
    let res = w.review_batch(Some("batch-review-1"), &body).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let ids: Vec<i64> = results
        .iter()
        .map(|r| r["article_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [a, c, b], "in the order sent");
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["status"], 200);
    assert_eq!(results[0]["article"]["status"], "approved");
    assert!(results[0]["problem"].is_null());
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["status"], 409);
    assert!(results[1]["article"].is_null());
    assert_eq!(results[1]["problem"]["code"], "STALE_DECISION");
    assert_eq!(results[1]["problem"]["current_status"], "approved");
    assert!(!results[1]["problem"]["detail"].as_str().unwrap().is_empty());
    assert_eq!(results[2]["article"]["status"], "rejected");
    // Stored, and audited once per applied item, as the single review audits.
    assert_eq!(w.article(a).await["status"], "approved");
    assert_eq!(w.article(b).await["status"], "rejected");
    assert_eq!(
        w.article(c).await["status"],
        "approved",
        "the stale item changed nothing"
    );
    assert_eq!(w.points(a).await, (1, 0));
    assert_eq!(w.review_audits(a).await, 1);
    assert_eq!(w.review_audits(b).await, 1);
    assert_eq!(w.review_audits(c).await, 1, "only the colleague's approval");
    // A retry with the same key answers the first results and applies nothing.
    let res = w.review_batch(Some("batch-review-1"), &body).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let replay: Value = res.json().await.unwrap();
    assert_eq!(replay["results"], out["results"]);
    assert_eq!(w.review_audits(a).await, 1);
    // An article that does not exist is that item's 404; the others apply.
    let d = w.pending("/batch/d.html").await;
    let res = w
        .review_batch(
            None,
            &json!({"items": [
                {"article_id": 999_999, "review": {"decision": "approve"}},
                {"article_id": d, "review": {"decision": "approve"}},
                {"article_id": b, "review": {"decision": "approve", "revises": "rejected", "reason": "复核后确认为本校稿件。"}},
            ]}),
        )
        .await;
    let out: Value = res.json().await.unwrap();
    let statuses: Vec<i64> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [404, 200, 200], "{out}");
    assert_eq!(out["results"][0]["problem"]["code"], "NOT_FOUND");
    assert_eq!(w.article(b).await["status"], "approved", "revised");
    assert_eq!(w.review_audits(b).await, 2);
}

#[tokio::test]
async fn a_batch_review_holds_1_to_200_distinct_articles_and_is_the_secretariats() {
    let w = world().await;
    let a = w.pending("/batch/x.html").await;
    let item = |id: i64| json!({"article_id": id, "review": {"decision": "approve"}});
    let res = w.review_batch(None, &json!({"items": []})).await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/items");
    let many: Vec<Value> = (1..=201).map(item).collect();
    let res = w.review_batch(None, &json!({ "items": many })).await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/items");
    // A rule of an item's own fields refuses the whole batch, before any article is read.
    let res = w
        .review_batch(
            None,
            &json!({"items": [item(a), {"article_id": a, "review": {"decision": "repost"}}]}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/items/1/review/reason");
    assert_eq!(w.article(a).await["status"], "pending", "nothing applied");
    let res = w
        .app
        .post_as(
            "/api/v1/articles/reviews",
            &w.writer,
            &json!({"items": [item(a)]}),
        )
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    // An invalid field of an item refuses the batch, naming the item's field.
    let res = w
        .review_batch(
            None,
            &json!({"items": [{"article_id": a, "review": {"decision": "approve", "reason": "长".repeat(501)}}]}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/items/0/review/reason");
    let res = w
        .review_batch(
            None,
            &json!({"items": (1..=200).map(item).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(res.status(), 200, "200 items is the bound");
    // Named twice: reviewed in order, the second meets the first's decision.
    let b = w.pending("/batch/y.html").await;
    let res = w
        .review_batch(None, &json!({"items": [item(b), item(b)]}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], 200);
    assert_eq!(body["results"][1]["problem"]["code"], "STALE_DECISION");
}
