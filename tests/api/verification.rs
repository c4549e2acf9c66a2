//! Server-side verification (SPEC §A rule 8): the server fetches the page
//! only from hosts of configured sources, refuses loopback, private and
//! link-local addresses before connecting, follows no redirect off the
//! source, bounds time and size, decodes GBK, and reads title, date, column
//! and a text fingerprint. A page that cannot be fetched leaves the article
//! pending with the reason.

use std::net::IpAddr;
use std::time::Duration;

use association::articles::fingerprint;
use association::articles::rules::{HostPattern, SourceKind, SourceRules};
use association::articles::verify::address::{self, Refusal};
use association::articles::verify::page;
use association::articles::verify::{FetchFailure, FetchOptions, Fetcher};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::articles::{STORY_CANTEEN, STORY_DORM, World, world};
use crate::helpers::{PageSpec, Session, assert_problem, association_page, gbk, info_site_page};

pub(crate) async fn submit(w: &World, who: &Session, url: &str) -> Value {
    let res = w
        .submit_as(
            who,
            json!({"url": url, "first_author_name": "张三", "declared_original": true}),
        )
        .await;
    assert_eq!(res.status(), 201, "the submitter never sees a fetch error");
    let a: Value = res.json().await.unwrap();
    w.app.verified_article(who, a["id"].as_i64().unwrap()).await
}

pub(crate) fn reason(a: &Value) -> &str {
    a["verification"]["reason"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_page_of_the_association_site_fills_in_title_date_column_and_fingerprint() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/news/2021/1.html",
            &PageSpec {
                title: "四川大学开展冬季食品安全专项检查",
                published: "2021-12-30 16:05",
                column: "学校后勤动态",
                body: STORY_CANTEEN,
            },
        )
        .await;
    let a = submit(&w, &w.writer, &url).await;
    assert_eq!(a["status"], "pending", "verification does not review");
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    assert_eq!(a["title"], "四川大学开展冬季食品安全专项检查");
    assert_eq!(
        a["verification"]["title"],
        "四川大学开展冬季食品安全专项检查"
    );
    assert_eq!(a["column"], "学校后勤动态");
    assert_eq!(a["published_at"], "2021-12-30T16:05:00+08:00");
    assert_eq!(a["credit_year"], 2021);
    let id = a["id"].as_i64().unwrap();
    let row = association::entity::article::Entity::find_by_id(id)
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.fingerprint.map(fingerprint::from_stored),
        fingerprint::simhash(STORY_CANTEEN),
        "the fingerprint is the body text's"
    );
    assert_eq!(
        row.title_norm.as_deref(),
        Some("四川大学开展冬季食品安全专项检查")
    );
}

#[tokio::test]
async fn a_gbk_page_is_decoded() {
    let w = world().await;
    let spec = PageSpec {
        title: "西南财经大学完成学生公寓维修改造",
        published: "2021年8月26日",
        column: "高校后勤动态",
        body: STORY_DORM,
    };
    // Charset only in <meta http-equiv> (GB2312), no charset in the HTTP header.
    let url = w.on_info_site("/Article/2021/8/26.html", &spec).await;
    let a = submit(&w, &w.writer, &url).await;
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    assert_eq!(a["title"], "西南财经大学完成学生公寓维修改造");
    assert_eq!(a["column"], "高校后勤动态");
    assert_eq!(a["published_at"], "2021-08-26T00:00:00+08:00");
    // Charset only in the HTTP header (GBK), and <title> as the only title.
    let html = info_site_page(&spec)
        .replace(
            r#"<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />"#,
            "",
        )
        .replace(
            r#"<div class="arti_title">西南财经大学完成学生公寓维修改造</div>"#,
            "",
        );
    w.info
        .serve(
            "/Article/2021/8/27.html",
            gbk(&html),
            "text/html; charset=GBK",
        )
        .await;
    let b = submit(
        &w,
        &w.colleague().await,
        &w.info.url("/Article/2021/8/27.html"),
    )
    .await;
    assert_eq!(
        b["title"], "西南财经大学完成学生公寓维修改造",
        "site name suffix dropped: {b}"
    );
    assert_eq!(b["column"], "高校后勤动态");
}

impl World {
    /// Another correspondent of the school.
    async fn colleague(&self) -> Session {
        self.app
            .member_with(
                association::access::roles::Role::Correspondent,
                Some(self.school_id),
                None,
            )
            .await
    }
}

#[tokio::test]
async fn a_page_that_cannot_be_fetched_leaves_the_article_pending_with_the_reason() {
    let w = world().await;
    // Nothing is served there: the mock answers 404.
    let a = submit(&w, &w.writer, &w.association.url("/news/missing.html")).await;
    assert_eq!(a["status"], "pending");
    assert_eq!(a["verification"]["status"], "failed");
    assert!(reason(&a).contains("HTTP 404"), "{a}");
    assert!(a["verification"]["checked_at"].is_string());
    // Not a web page.
    w.association
        .serve("/files/plan.pdf", b"%PDF-1.4".to_vec(), "application/pdf")
        .await;
    let b = submit(&w, &w.writer, &w.association.url("/files/plan.pdf")).await;
    assert!(reason(&b).contains("application/pdf"), "{b}");
    // Over 2 MB: not read.
    let big = format!("<html><body>{}</body></html>", "后勤".repeat(1_100_000));
    w.association
        .serve("/big.html", big.into_bytes(), "text/html")
        .await;
    let c = submit(&w, &w.writer, &w.association.url("/big.html")).await;
    assert_eq!(c["verification"]["status"], "failed");
    assert!(reason(&c).contains("2 MB"), "{c}");
}

#[tokio::test]
async fn the_server_refuses_to_fetch_loopback_private_and_file_urls() {
    let w = world().await;
    // A real server on 127.0.0.1, but its source does not allow private networks.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<title>x</title>"))
        .mount(&server)
        .await;
    let loopback = server.address().to_string();
    let private = "10.0.0.1";
    let v6 = "[::1]";
    w.app
        .create_source(
            &w.admin,
            json!({"name": "回环网站", "kind": "bonus", "hosts": [loopback, "localhost"]}),
        )
        .await;
    w.app
        .create_source(
            &w.admin,
            json!({"name": "内网网站", "kind": "bonus", "hosts": [private]}),
        )
        .await;
    w.app
        .create_source(
            &w.admin,
            json!({"name": "IPv6 回环", "kind": "bonus", "hosts": [v6]}),
        )
        .await;
    let a = submit(&w, &w.writer, &format!("http://{loopback}/news/1.html")).await;
    assert_eq!(a["verification"]["status"], "failed");
    assert!(
        reason(&a).contains("本机回环地址") && reason(&a).contains("127.0.0.1"),
        "{a}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        0,
        "refused before any connection"
    );
    let b = submit(&w, &w.writer, &format!("http://{private}/news/2.html")).await;
    assert!(
        reason(&b).contains("内网私有地址") && reason(&b).contains("10.0.0.1"),
        "{b}"
    );
    assert!(reason(&b).contains("未建立连接"));
    let c = submit(&w, &w.writer, &format!("http://{v6}/news/3.html")).await;
    assert!(
        reason(&c).contains("本机回环地址") && reason(&c).contains("::1"),
        "{c}"
    );
    // A host name is resolved first and its addresses checked.
    let d = submit(&w, &w.writer, "http://localhost/news/4.html").await;
    assert!(reason(&d).contains("本机回环地址"), "{d}");
    for a in [&a, &b, &c, &d] {
        assert_eq!(a["status"], "pending");
    }
    let res = w
        .submit_as(&w.writer, json!({"url": "file:///etc/passwd", "first_author_name": "张三", "declared_original": true}))
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["code"], "scheme");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let w = world().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("secret"))
        .mount(&elsewhere)
        .await;
    Mock::given(method("GET"))
        .and(path("/news/moved.html"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/internal", elsewhere.uri())),
        )
        .mount(&w.association.server)
        .await;
    let a = submit(&w, &w.writer, &w.association.url("/news/moved.html")).await;
    assert_eq!(a["verification"]["status"], "failed");
    assert!(reason(&a).contains("不是该来源登记的网站"), "{a}");
    assert_eq!(
        elsewhere.received_requests().await.unwrap().len(),
        0,
        "the other host was never contacted"
    );
    // Not even to the other official site: a redirect stays on the source's own hosts.
    Mock::given(method("GET"))
        .and(path("/news/to-info.html"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", w.info.url("/x.html")))
        .mount(&w.association.server)
        .await;
    let b = submit(&w, &w.writer, &w.association.url("/news/to-info.html")).await;
    assert!(reason(&b).contains("不是该来源登记的网站"), "{b}");
    assert_eq!(w.info.hits().await, 0);
    // Nor to another scheme.
    Mock::given(method("GET"))
        .and(path("/news/file.html"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "file:///etc/passwd"))
        .mount(&w.association.server)
        .await;
    let c = submit(&w, &w.writer, &w.association.url("/news/file.html")).await;
    assert!(reason(&c).contains("file"), "{c}");
}

#[tokio::test]
async fn a_redirect_within_the_source_is_followed_at_most_three_times() {
    let w = world().await;
    let page = association_page(&PageSpec {
        title: "跳转后的稿件",
        published: "2021-03-03 10:00",
        column: "协会新闻",
        body: STORY_DORM,
    });
    w.association
        .serve("/news/new.html", page.into_bytes(), "text/html")
        .await;
    Mock::given(method("GET"))
        .and(path("/news/old.html"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/news/new.html"))
        .mount(&w.association.server)
        .await;
    let a = submit(&w, &w.writer, &w.association.url("/news/old.html")).await;
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    assert_eq!(a["title"], "跳转后的稿件");
    for i in 0..4 {
        Mock::given(method("GET"))
            .and(path(format!("/loop/{i}")))
            .respond_with(
                ResponseTemplate::new(302).insert_header("location", format!("/loop/{}", i + 1)),
            )
            .mount(&w.association.server)
            .await;
    }
    w.association
        .serve("/loop/4", b"<title>end</title>".to_vec(), "text/html")
        .await;
    let b = submit(&w, &w.writer, &w.association.url("/loop/0")).await;
    assert_eq!(b["verification"]["status"], "failed");
    assert!(reason(&b).contains("超过 3 次"), "{b}");
    let c = submit(&w, &w.writer, &w.association.url("/loop/1")).await;
    assert_eq!(
        c["verification"]["status"], "verified",
        "three redirects are fine: {c}"
    );
}

fn rules(hosts: &[&str], allow_private_network: bool) -> SourceRules {
    SourceRules {
        id: 1,
        name: "四川省高校后勤协会网".into(),
        kind: SourceKind::Official,
        hosts: hosts
            .iter()
            .map(|h| HostPattern::parse(h).unwrap())
            .collect(),
        columns: vec!["学校后勤动态".into(), "协会新闻".into()],
        years: vec![],
        from_year: None,
        until_year: None,
        needs_confirmation: false,
        allow_private_network,
    }
}

#[tokio::test]
async fn a_slow_page_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("<title>慢</title>")
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    association::init_tls();
    let fetcher = Fetcher::new(FetchOptions {
        timeout: Duration::from_millis(300),
        ..FetchOptions::default()
    })
    .unwrap();
    let source = rules(&[&server.address().to_string()], true);
    let url = url::Url::parse(&format!("{}/slow.html", server.uri())).unwrap();
    let err = fetcher.fetch(&url, &source).await.unwrap_err();
    assert_eq!(err, FetchFailure::Timeout(Duration::from_millis(300)));
}

#[tokio::test]
async fn a_host_name_is_fetched_through_the_pinned_addresses_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(b"<title>ok</title>".to_vec(), "text/html"),
        )
        .mount(&server)
        .await;
    association::init_tls();
    let fetcher = Fetcher::new(FetchOptions::default()).unwrap();
    let port = server.address().port();
    let source = rules(&[&format!("localhost:{port}")], true);
    let url = url::Url::parse(&format!("http://localhost:{port}/a.html")).unwrap();
    let page = fetcher.fetch(&url, &source).await.unwrap();
    assert_eq!(page.body, b"<title>ok</title>");
    // Without the private-network allowance, the resolved loopback address is refused.
    let strict = rules(&[&format!("localhost:{port}")], false);
    let err = fetcher.fetch(&url, &strict).await.unwrap_err();
    assert!(
        matches!(
            err,
            FetchFailure::Refused {
                refusal: Refusal::Loopback,
                ..
            }
        ),
        "{err:?}"
    );
    // A host of no source is refused before anything else.
    let other = url::Url::parse("http://www.example.com/").unwrap();
    assert_eq!(
        fetcher.fetch(&other, &source).await.unwrap_err(),
        FetchFailure::OffSource("www.example.com".into())
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn loopback_private_link_local_and_embedded_addresses_are_refused() {
    let refused = [
        ("127.0.0.1", Refusal::Loopback),
        ("127.8.9.10", Refusal::Loopback),
        ("10.0.0.1", Refusal::Private),
        ("172.16.0.1", Refusal::Private),
        ("172.31.255.255", Refusal::Private),
        ("192.168.1.1", Refusal::Private),
        ("169.254.169.254", Refusal::LinkLocal),
        ("100.64.0.1", Refusal::SharedAddressSpace),
        ("100.127.255.254", Refusal::SharedAddressSpace),
        ("0.0.0.0", Refusal::Unspecified),
        ("224.0.0.1", Refusal::Multicast),
        ("255.255.255.255", Refusal::Broadcast),
        ("240.0.0.1", Refusal::Reserved),
        ("192.0.2.7", Refusal::Documentation),
        ("::1", Refusal::Loopback),
        ("::", Refusal::Unspecified),
        ("fc00::1", Refusal::Private),
        ("fd12:3456::1", Refusal::Private),
        ("fe80::1", Refusal::LinkLocal),
        ("ff02::1", Refusal::Multicast),
        ("::ffff:127.0.0.1", Refusal::Loopback),
        ("::ffff:10.1.2.3", Refusal::Private),
        ("::ffff:169.254.169.254", Refusal::LinkLocal),
        ("::10.1.2.3", Refusal::Private),
        ("64:ff9b::192.168.0.1", Refusal::Private),
        ("2002:7f00:1::", Refusal::Loopback),
        ("2001:db8::1", Refusal::Documentation),
    ];
    for (ip, expected) in refused {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(address::check(ip, false), Err(expected), "{ip}");
    }
    for ip in [
        "1.1.1.1",
        "114.114.114.114",
        "172.32.0.1",
        "100.128.0.1",
        "2400:3200::1",
        "::ffff:1.2.3.4",
    ] {
        assert_eq!(address::check(ip.parse().unwrap(), false), Ok(()), "{ip}");
    }
    // allow_private_network (tests only) lifts loopback and private ranges, never link-local.
    assert_eq!(address::check("127.0.0.1".parse().unwrap(), true), Ok(()));
    assert_eq!(address::check("10.0.0.1".parse().unwrap(), true), Ok(()));
    assert_eq!(
        address::check("169.254.169.254".parse().unwrap(), true),
        Err(Refusal::LinkLocal)
    );
    assert_eq!(
        address::check("0.0.0.0".parse().unwrap(), true),
        Err(Refusal::Unspecified)
    );
}

#[test]
fn dates_titles_and_breadcrumbs_are_read_as_chinese_sites_write_them() {
    let date = |s: &str| {
        page::parse_date(s).map(|d| association::platform::clock::to_china(d).to_rfc3339())
    };
    assert_eq!(
        date("发布时间：2021-12-31 23:30"),
        Some("2021-12-31T23:30:00+08:00".into())
    );
    assert_eq!(
        date("2021年12月31日"),
        Some("2021-12-31T00:00:00+08:00".into())
    );
    assert_eq!(
        date("日期：2021年6月2日 9:05:30　点击数：3"),
        Some("2021-06-02T09:05:30+08:00".into())
    );
    assert_eq!(date("2021/6/2"), Some("2021-06-02T00:00:00+08:00".into()));
    assert_eq!(
        date("2021-12-31T15:30:00Z"),
        Some("2021-12-31T23:30:00+08:00".into())
    );
    assert_eq!(
        date("2021-12-31T23:30:00+08:00"),
        Some("2021-12-31T23:30:00+08:00".into())
    );
    assert_eq!(date("浏览 12345 次 2021-13-01"), None);
    assert_eq!(date("电话 028-85412345"), None);
    let source = rules(&["www.schqxh.org.cn"], false);
    let html = r#"<html><head><meta property="og:title" content="四川大学后勤开展消防演练"><title>消防演练 - 四川省高校后勤协会网</title></head>
        <body><div class="crumbs"><a>首页</a> » <a>协会新闻</a> » 正文</div><p>正文内容</p></body></html>"#;
    let facts = page::extract(html, &source);
    assert_eq!(facts.title.as_deref(), Some("四川大学后勤开展消防演练"));
    assert_eq!(facts.column.as_deref(), Some("协会新闻"));
    let html = r#"<html><head><title>消防演练 | 首页 - 四川省高校后勤协会网</title></head>
        <body><p>当前位置：<a>首页</a> &gt; <a>通知公告</a> &gt; 消防演练</p></body></html>"#;
    let facts = page::extract(html, &source);
    assert_eq!(facts.title.as_deref(), Some("消防演练"));
    assert_eq!(
        facts.column.as_deref(),
        Some("通知公告"),
        "the last segment that is not the title"
    );
    let (text, encoding) = page::decode(&gbk("<meta charset=\"gbk\"><p>后勤</p>"), None);
    assert_eq!(encoding, "GBK");
    assert!(text.contains("后勤"));
    let (text, encoding) = page::decode("<p>后勤</p>".as_bytes(), Some("text/html"));
    assert_eq!((text.as_str(), encoding), ("<p>后勤</p>", "UTF-8"));
}

#[test]
fn near_identical_texts_have_close_fingerprints_and_different_texts_do_not() {
    let a = fingerprint::simhash(STORY_CANTEEN).unwrap();
    let spaced = format!(
        "  {}  ",
        STORY_CANTEEN.replace('，', ", ").replace('。', ". ")
    );
    assert_eq!(
        fingerprint::simhash(&spaced),
        Some(a),
        "whitespace and punctuation do not matter"
    );
    let b = fingerprint::simhash(STORY_DORM).unwrap();
    assert!(fingerprint::hamming(a, b) > fingerprint::NEAR_DUPLICATE_DISTANCE * 4);
    assert_eq!(fingerprint::simhash("太短的正文"), None);
    assert_eq!(
        fingerprint::title_key("我校召开 2021 年后勤工作会议！"),
        fingerprint::title_key("我校召开2021年后勤工作会议")
    );
    assert_eq!(fingerprint::title_key("ＡＢＣ后勤"), Some("abc后勤".into()));
}

#[test]
fn the_article_text_is_found_without_the_sites_navigation() {
    let source = rules(&["www.schqxh.org.cn"], false);
    let nav: String = (1..=40)
        .map(|i| format!("<li><a href=\"/l/{i}\">栏目导航链接第{i}项</a></li>"))
        .collect();
    let html = format!(
        r#"<html><head><title>公寓改造 - 四川省高校后勤协会网</title></head><body>
        <ul class="menu">{nav}</ul><span class="position-relative">热门</span>
        <div class="breadcrumbs">首页 / 学校后勤动态 / 正文</div>
        <div id="wrap_8"><p>{STORY_DORM}</p><p>（完）</p></div>
        <div class="footer"><p>版权所有 四川省高校后勤协会</p></div></body></html>"#
    );
    let facts = page::extract(&html, &source);
    assert_eq!(
        facts.column.as_deref(),
        Some("学校后勤动态"),
        "a class named position-… is no breadcrumb"
    );
    assert_eq!(
        fingerprint::simhash(&facts.text),
        fingerprint::simhash(&format!("{STORY_DORM}（完）"))
    );
    assert_eq!(facts.title.as_deref(), Some("公寓改造"));
    assert_eq!(facts.published_at, None);
}

// ------------------------------------------------- verification and review agree

/// Serves an association-site page that answers only after `delay` (the
/// page check is still running meanwhile); answers its URL.
async fn slow_page(w: &World, at: &str, published: &str, column: &str, delay: Duration) -> String {
    let html = association_page(&PageSpec {
        title: "我校开展秋季后勤服务质量检查",
        published,
        column,
        body: STORY_CANTEEN,
    });
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(html.into_bytes(), "text/html; charset=utf-8")
                .set_delay(delay),
        )
        .mount(&w.association.server)
        .await;
    w.association.url(at)
}

/// Submits with typed date and column, and approves at once, while the
/// page check is still running; answers the approved article.
async fn approve_on_typed_data(w: &World, url: &str, published_on: &str, column: &str) -> Value {
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "published_on": published_on, "column": column, "declared_original": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    let approved = w.approve(a["id"].as_i64().unwrap()).await;
    assert_eq!(
        approved["verification"]["status"], "pending",
        "approved while the page check runs: {approved}"
    );
    approved
}

async fn mismatch_queue(w: &World) -> Vec<i64> {
    let list: Value = w
        .app
        .get_as("/api/v1/articles?page_mismatch=true", &w.admin)
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn approving_while_the_page_check_runs_records_typed_data_and_a_page_that_disagrees_is_flagged()
 {
    let w = world().await;
    let delay = Duration::from_millis(1500);
    let other = slow_page(&w, "/typed/1.html", "2021-06-01 09:00", "协会新闻", delay).await;
    let next_year = slow_page(
        &w,
        "/typed/2.html",
        "2021-01-01 00:30",
        "学校后勤动态",
        delay,
    )
    .await;
    let same = slow_page(
        &w,
        "/typed/3.html",
        "2021-05-20 10:00",
        "学校后勤动态",
        delay,
    )
    .await;
    let a = approve_on_typed_data(&w, &other, "2021-05-20", "学校后勤动态").await;
    let b = approve_on_typed_data(&w, &next_year, "2020-12-31", "学校后勤动态").await;
    let c = approve_on_typed_data(&w, &same, "2021-05-20", " 学校后勤动态 ").await;
    for x in [&a, &b, &c] {
        assert_eq!(x["review"]["approved_on_typed_data"], true, "{x}");
        assert!(x["page_mismatch"].is_null());
        assert_eq!(x["points"]["site"], 1);
    }
    let id = |v: &Value| v["id"].as_i64().unwrap();
    let a = w.app.verified_article(&w.admin, id(&a)).await;
    let b = w.app.verified_article(&w.admin, id(&b)).await;
    let c = w.app.verified_article(&w.admin, id(&c)).await;
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    let m = &a["page_mismatch"];
    assert_eq!(m["fields"], json!(["published_on", "column"]), "{a}");
    assert_eq!(
        m["approved"],
        json!({"published_on": "2021-05-20", "credit_year": 2021, "column": "学校后勤动态"})
    );
    assert_eq!(
        m["page"],
        json!({"published_on": "2021-06-01", "credit_year": 2021, "column": "协会新闻"})
    );
    assert_eq!(m["credit_year_differs"], false);
    assert!(m["found_at"].as_str().unwrap().ends_with("+08:00"));
    // Not re-credited behind the secretariat's back: the approved facts stand.
    assert_eq!(a["published_at"], "2021-05-20T00:00:00+08:00");
    assert_eq!(a["column"], "学校后勤动态");
    assert_eq!(a["verification"]["column"], "协会新闻");
    assert_eq!(a["points"]["site"], 1);
    // The page's date is in another credit year (China time): flagged, year kept.
    assert_eq!(b["page_mismatch"]["fields"], json!(["published_on"]), "{b}");
    assert_eq!(b["page_mismatch"]["credit_year_differs"], true);
    assert_eq!(b["page_mismatch"]["page"]["credit_year"], 2021);
    assert_eq!(b["credit_year"], 2020);
    // A page that agrees (same China-time day, column up to whitespace): no flag.
    assert!(c["page_mismatch"].is_null(), "{c}");
    assert_eq!(c["review"]["approved_on_typed_data"], true);
    let mut flagged = mismatch_queue(&w).await;
    flagged.sort_unstable();
    assert_eq!(flagged, [id(&a), id(&b)]);
    let res = w
        .app
        .get_as("/api/v1/articles?page_mismatch=true", &w.writer)
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let others: Value = w
        .app
        .get_as("/api/v1/articles?page_mismatch=false", &w.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(others["items"].as_array().unwrap().len(), 1, "{others}");
    // The secretariat decides: a revision on the page's facts clears the flag (audited).
    let res = w
        .review(
            id(&a),
            json!({"decision": "approve", "revises": "approved", "reason": "按网页更正发布日期和栏目",
                   "published_on": "2021-06-01", "column": "协会新闻"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let revised: Value = res.json().await.unwrap();
    assert!(revised["page_mismatch"].is_null(), "{revised}");
    assert_eq!(revised["review"]["approved_on_typed_data"], false);
    assert_eq!(revised["column"], "协会新闻");
    assert_eq!(mismatch_queue(&w).await, [id(&b)]);
    let audit = w.app.audit_of("article", &id(&a).to_string()).await;
    let before: Value = serde_json::from_str(audit[0].before.as_deref().unwrap()).unwrap();
    assert_eq!(
        before["page_mismatch"]["fields"],
        json!(["published_on", "column"])
    );
    assert_eq!(before["approved_on_typed_data"], true);
}

#[tokio::test]
async fn approving_after_the_page_check_is_not_on_typed_data() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/checked.html",
            &PageSpec {
                title: "我校开展秋季后勤服务质量检查",
                published: "2021-06-01 09:00",
                column: "协会新闻",
                body: STORY_CANTEEN,
            },
        )
        .await;
    let a = submit(&w, &w.writer, &url).await;
    let approved = w.approve(a["id"].as_i64().unwrap()).await;
    assert_eq!(approved["review"]["approved_on_typed_data"], false);
    assert!(approved["page_mismatch"].is_null());
    assert_eq!(approved["published_at"], "2021-06-01T09:00:00+08:00");
}

#[test]
fn a_page_mismatch_compares_china_time_days_and_columns_without_whitespace() {
    use association::articles::rules::{CheckedFacts, page_mismatch};
    let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
    let now = chrono::Utc::now();
    let approved = CheckedFacts::new(at("2021-12-31T00:00:00+08:00"), Some("学校后勤动态"));
    // 2021-12-31T23:30 China time is 15:30 UTC: the same day.
    let page = CheckedFacts::new(at("2021-12-31T15:30:00Z"), Some("学校 后勤动态"));
    assert_eq!(page_mismatch(approved.clone(), page, now), None);
    // What the page does not show cannot disagree.
    assert_eq!(
        page_mismatch(approved.clone(), CheckedFacts::new(None, None), now),
        None
    );
    let next_day = CheckedFacts::new(at("2021-12-31T16:30:00Z"), None);
    let m = page_mismatch(approved, next_day, now).unwrap();
    assert_eq!(m.fields, ["published_on"]);
    assert!(m.credit_year_differs, "2022-01-01 China time");
    // A column the page shows where none was approved disagrees.
    let none = CheckedFacts::new(at("2021-05-01T00:00:00+08:00"), None);
    let shown = CheckedFacts::new(None, Some("协会新闻"));
    assert_eq!(page_mismatch(none, shown, now).unwrap().fields, ["column"]);
}

#[tokio::test]
async fn a_gbk_page_declaring_no_charset_is_detected() {
    let w = world().await;
    let spec = PageSpec {
        title: "西南财经大学完成学生公寓维修改造",
        published: "2021年8月26日",
        column: "高校后勤动态",
        body: STORY_DORM,
    };
    // No charset anywhere: not in the HTTP header, no <meta>, no BOM.
    let html = info_site_page(&spec).replace(
        r#"<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />"#,
        "",
    );
    let bytes = gbk(&html);
    assert!(std::str::from_utf8(&bytes).is_err(), "GBK, not UTF-8");
    let (_, encoding) = page::decode(&bytes, Some("text/html"));
    assert_eq!(encoding, "GBK");
    w.info
        .serve("/Article/2021/8/28.html", bytes, "text/html")
        .await;
    let a = submit(&w, &w.writer, &w.info.url("/Article/2021/8/28.html")).await;
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    assert_eq!(a["title"], "西南财经大学完成学生公寓维修改造");
    assert_eq!(
        a["verification"]["title"],
        "西南财经大学完成学生公寓维修改造"
    );
    assert_eq!(a["column"], "高校后勤动态");
    assert_eq!(a["published_at"], "2021-08-26T00:00:00+08:00");
    // A page without declaration that is valid UTF-8 stays UTF-8.
    let (text, encoding) = page::decode("<p>四川高校后勤</p>".as_bytes(), None);
    assert_eq!((text.as_str(), encoding), ("<p>四川高校后勤</p>", "UTF-8"));
}
