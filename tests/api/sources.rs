//! Sources: configuration of the counted sites per kind, column and year
//! (SPEC §A rules 1, 4, 5, 6), managed by the secretariat.

use association::access::roles::Role;
use association::articles::rules::{SourceKind, SourceRules};
use serde_json::{Value, json};

use crate::articles::{STORY_CONTEST, world};
use crate::helpers::{PageSpec, assert_problem, spawn_app};

#[tokio::test]
async fn the_development_seed_configures_the_sources_of_seed_000() {
    let app = spawn_app().await;
    let now = crate::helpers::default_now();
    assert!(
        association::seed::demo_sources(&app.state.db, now)
            .await
            .unwrap()
    );
    assert!(
        !association::seed::demo_sources(&app.state.db, now)
            .await
            .unwrap(),
        "seeded once"
    );
    let all: Value = app.get("/api/v1/sources").await.json().await.unwrap();
    let items = all["items"].as_array().unwrap();
    let by_name = |n: &str| {
        items
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("{n} seeded"))
    };
    let association = by_name("四川省高校后勤协会网");
    assert_eq!(association["kind"], "official");
    assert_eq!(association["hosts"], json!(["www.schqxh.org.cn"]));
    assert_eq!(
        association["columns"],
        json!(["学校后勤动态", "协会新闻", "招投标信息", "理论与实践"])
    );
    assert_eq!(association["years"], json!([]));
    let info = by_name("四川学校后勤与产业信息网");
    assert_eq!(info["columns"], json!(["高校后勤动态"]));
    assert_eq!(
        (&info["years"], &info["from_year"], &info["until_year"]),
        (&json!([]), &json!(2020), &Value::Null),
        "from 2020 on, with no last year"
    );
    assert_eq!(
        by_name("中国教育后勤协会网")["hosts"],
        json!(["www.chinacacm.org"])
    );
    assert_eq!(by_name("中国院校后勤信息网")["kind"], "bonus");
    let media = by_name("省级以上媒体");
    assert_eq!(
        (
            media["kind"].as_str(),
            media["needs_confirmation"].as_bool()
        ),
        (Some("bonus"), Some(true))
    );
    assert!(items.iter().all(|s| s["allow_private_network"] == false));
    // In 2019 only the association's own site counted (and the bonus outlets).
    let y2019: Value = app
        .get("/api/v1/sources?year=2019")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = y2019["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "四川省高校后勤协会网",
            "中国教育后勤协会网",
            "中国院校后勤信息网",
            "省级以上媒体"
        ]
    );
    let y2021: Value = app
        .get("/api/v1/sources?year=2021&page_size=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(y2021["items"].as_array().unwrap().len(), 2);
    let token = y2021["next_page_token"].as_str().unwrap();
    let rest: Value = app
        .get(&format!(
            "/api/v1/sources?year=2021&page_size=10&page_token={token}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn creating_and_changing_a_source_is_audited_and_its_hosts_normalised() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": "四川学校后勤与产业信息网", "kind": "official", "hosts": ["WWW.SCHQW.CN.", "www.schqw.cn", "schqw.cn:8080"], "columns": [" 高校后勤动态 "], "years": [2021, 2020, 2021]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["hosts"], json!(["www.schqw.cn", "schqw.cn:8080"]));
    assert_eq!(s["columns"], json!(["高校后勤动态"]));
    assert_eq!(s["years"], json!([2020, 2021]));
    assert_eq!(s["allow_private_network"], false);
    let id = s["id"].as_i64().unwrap();
    let res = app
        .patch_as(
            &format!("/api/v1/sources/{id}"),
            &admin,
            &json!({"years": [], "reason": "各年度均统计"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["years"], json!([]));
    assert_eq!(
        s["hosts"],
        json!(["www.schqw.cn", "schqw.cn:8080"]),
        "unchanged fields stay"
    );
    let audit = app.audit_of("source", &id.to_string()).await;
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["source.update", "source.create"]
    );
    assert_eq!(audit[0].reason.as_deref(), Some("各年度均统计"));
    assert!(audit[0].before.as_deref().unwrap().contains("2020"));
    let res = app
        .patch_as("/api/v1/sources/999999", &admin, &json!({"years": []}))
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_host_belongs_to_one_source_only_and_bad_configurations_are_refused() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let first = app
        .create_source(
            &admin,
            json!({"name": "中国教育后勤协会网", "kind": "bonus", "hosts": ["www.chinacacm.org"]}),
        )
        .await;
    let res = app
        .post_as("/api/v1/sources", &admin, &json!({"name": "另一个", "kind": "bonus", "hosts": ["example.org", "WWW.chinacacm.org"]}))
        .await;
    let body = assert_problem(res, 409, "SOURCE_HOST_TAKEN").await;
    assert_eq!(body["field"], "/hosts/1");
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": "中国教育后勤协会网", "kind": "bonus"}),
        )
        .await;
    assert_problem(res, 409, "CONFLICT").await;
    let second = app
        .create_source(&admin, json!({"name": "另一个", "kind": "bonus"}))
        .await;
    let res = app
        .patch_as(
            &format!("/api/v1/sources/{second}"),
            &admin,
            &json!({"hosts": ["www.chinacacm.org"]}),
        )
        .await;
    assert_problem(res, 409, "SOURCE_HOST_TAKEN").await;
    let res = app
        .patch_as(
            &format!("/api/v1/sources/{first}"),
            &admin,
            &json!({"hosts": ["www.chinacacm.org", "chinacacm.org"]}),
        )
        .await;
    assert_eq!(res.status(), 200, "a source keeps its own hosts");
    for (body, pointer) in [
        (
            json!({"name": "x", "kind": "official", "hosts": ["http://www.x.cn/path"]}),
            "/hosts/0",
        ),
        (
            json!({"name": "x", "kind": "official", "hosts": ["www.x.cn/a"]}),
            "/hosts/0",
        ),
        (
            json!({"name": "x", "kind": "official", "needs_confirmation": true}),
            "/needs_confirmation",
        ),
        (
            json!({"name": "x", "kind": "official", "years": [1999]}),
            "/years",
        ),
        (
            json!({"name": "x", "kind": "official", "columns": [""]}),
            "/columns",
        ),
        (json!({"name": "x", "kind": "paper"}), "/kind"),
    ] {
        let res = app.post_as("/api/v1/sources", &admin, &body).await;
        let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}");
    }
}

#[tokio::test]
async fn changing_a_source_recomputes_the_points_of_its_articles() {
    let w = world().await;
    let page = PageSpec {
        title: "西南交通大学举办物业服务技能竞赛",
        published: "2020年12月25日",
        column: "高校后勤动态",
        body: STORY_CONTEST,
    };
    let url = w.on_info_site("/Article/2020/9001.html", &page).await;
    let id = w.submit_verified(&url).await["id"].as_i64().unwrap();
    w.approve(id).await;
    assert_eq!(w.points(id).await, (1, 0));
    let path = format!("/api/v1/sources/{}", w.info.source_id);
    let res = w
        .app
        .patch_as(&path, &w.admin, &json!({"years": [2021, 2022]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(w.points(id).await, (0, 0), "2020 no longer counted");
    w.app
        .patch_as(
            &path,
            &w.admin,
            &json!({"years": [2020], "columns": ["其他栏目"]}),
        )
        .await;
    assert_eq!(w.points(id).await, (0, 0), "its column no longer counted");
    w.app
        .patch_as(&path, &w.admin, &json!({"columns": []}))
        .await;
    assert_eq!(w.points(id).await, (1, 0), "every column counts");
    w.app
        .patch_as(&path, &w.admin, &json!({"kind": "bonus"}))
        .await;
    assert_eq!(w.points(id).await, (0, 1), "now a bonus outlet");
    let a = w.article(id).await;
    assert_eq!(a["source"]["kind"], "bonus");
}

// ---------------------------------------------------------------- open-ended years

fn counted(years: &[i32], from: Option<i32>, until: Option<i32>) -> SourceRules {
    SourceRules {
        id: 1,
        name: "四川学校后勤与产业信息网".into(),
        kind: SourceKind::Official,
        hosts: vec![],
        columns: vec![],
        years: years.to_vec(),
        from_year: from,
        until_year: until,
        needs_confirmation: false,
        allow_private_network: false,
    }
}

#[test]
fn a_source_counts_in_its_listed_years_or_its_range_whose_ends_may_be_open() {
    let from_2020 = counted(&[], Some(2020), None);
    assert!(!from_2020.counts_in_year(2019));
    assert!(from_2020.counts_in_year(2020) && from_2020.counts_in_year(2031));
    assert!(from_2020.counts_in_year(2100), "no last year");
    let closed = counted(&[], Some(2020), Some(2030));
    assert!(closed.counts_in_year(2030) && !closed.counts_in_year(2031));
    assert!(!closed.counts_in_year(2019));
    let until = counted(&[], None, Some(2019));
    assert!(until.counts_in_year(2000) && !until.counts_in_year(2020));
    let listed = counted(&[2019, 2021], None, None);
    assert!(listed.counts_in_year(2021) && !listed.counts_in_year(2020));
    let every = counted(&[], None, None);
    assert!(every.counts_in_year(2019) && every.counts_in_year(2099));
}

#[tokio::test]
async fn a_source_counted_from_2020_on_counts_an_article_of_2031_and_a_closed_range_does_not() {
    let mut w = world().await;
    // Early 2032: the 2031 articles are in (sessions of that time).
    w.app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2032-01-10T10:00:00+08:00")
            .unwrap()
            .to_utc(),
    );
    w.admin = w.app.secretariat().await;
    w.writer = w
        .app
        .member_with(Role::Correspondent, Some(w.school_id), None)
        .await;
    let path = format!("/api/v1/sources/{}", w.info.source_id);
    // The range closed at 2030 (as the seed's list once was).
    let res = w
        .app
        .patch_as(&path, &w.admin, &json!({"until_year": 2030}))
        .await;
    assert_eq!(res.status(), 200);
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        (&s["years"], &s["from_year"], &s["until_year"]),
        (&json!([]), &json!(2020), &json!(2030))
    );
    let page = PageSpec {
        title: "西南交通大学举办物业服务技能竞赛",
        published: "2031年12月20日",
        column: "高校后勤动态",
        body: STORY_CONTEST,
    };
    let url = w.on_info_site("/Article/2031/9101.html", &page).await;
    let a = w.submit_verified(&url).await;
    assert_eq!(a["credit_year"], 2031);
    let id = a["id"].as_i64().unwrap();
    w.approve(id).await;
    assert_eq!(w.points(id).await, (0, 0), "outside 2020–2030");
    assert_eq!(w.school_points(2031).await, (0, 0));
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let y2031: Value = w
        .app
        .get("/api/v1/sources?year=2031")
        .await
        .json()
        .await
        .unwrap();
    assert!(!names(&y2031).contains(&"四川学校后勤与产业信息网".to_owned()));

    // From 2020 on, with no last year: 2031 counts, and the article's points follow.
    let res = w
        .app
        .patch_as(
            &path,
            &w.admin,
            &json!({"until_year": null, "reason": "长期统计"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        (&s["from_year"], &s["until_year"]),
        (&json!(2020), &Value::Null)
    );
    assert_eq!(w.points(id).await, (1, 0), "from 2020 on counts 2031");
    assert_eq!(w.school_points(2031).await, (1, 0));
    let y2031: Value = w
        .app
        .get("/api/v1/sources?year=2031")
        .await
        .json()
        .await
        .unwrap();
    assert!(names(&y2031).contains(&"四川学校后勤与产业信息网".to_owned()));
    let y2019: Value = w
        .app
        .get("/api/v1/sources?year=2019")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        names(&y2019),
        ["四川省高校后勤协会网"],
        "in 2019 only the association's own site (rule 5)"
    );
}

#[tokio::test]
async fn counted_years_are_a_list_or_a_range_and_what_is_sent_replaces_the_other() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": "甲网", "kind": "official", "hosts": ["a.example.cn"], "years": [2021], "from_year": 2020}),
        )
        .await;
    let p = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["pointer"], "/years");
    assert_eq!(p["errors"][0]["code"], "exclusive");
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": "甲网", "kind": "official", "hosts": ["a.example.cn"], "from_year": 2025, "until_year": 2024}),
        )
        .await;
    let p = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["pointer"], "/until_year");
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": "甲网", "kind": "official", "hosts": ["a.example.cn"], "from_year": 1999}),
        )
        .await;
    let p = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["pointer"], "/from_year");
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": "甲网", "kind": "official", "hosts": ["a.example.cn"], "from_year": 2020}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let s: Value = res.json().await.unwrap();
    let path = format!("/api/v1/sources/{}", s["id"]);
    // A client that knows only `years` means that list.
    let s: Value = app
        .patch_as(&path, &admin, &json!({"years": [2026]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&s["years"], &s["from_year"], &s["until_year"]),
        (&json!([2026]), &Value::Null, &Value::Null)
    );
    // A range sent replaces the list.
    let s: Value = app
        .patch_as(&path, &admin, &json!({"from_year": 2024}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&s["years"], &s["from_year"], &s["until_year"]),
        (&json!([]), &json!(2024), &Value::Null)
    );
    let res = app
        .patch_as(&path, &admin, &json!({"from_year": 2101}))
        .await;
    let p = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["pointer"], "/from_year");
    let audit = app.audit_of("source", &s["id"].to_string()).await;
    assert!(
        audit[0]
            .after
            .as_deref()
            .unwrap()
            .contains("\"from_year\":2024")
    );
}
