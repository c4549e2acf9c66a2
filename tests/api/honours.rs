//! The honours round (seed 000 §四, §六(三)): standings, caps, ties, the
//! public notice, objections, eligibility, the proposal and the council.
//!
//! Articles are put in place directly with their points (the points rules
//! themselves are tested in `articles`), so each test states the standings it needs.

use association::access::roles::Role;
use association::honours::rules::{Candidate, auto_select, cutoff, honours_cap};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, default_now, spawn_app, unique};

// ------------------------------------------------------------------ fixture

struct Year {
    app: TestApp,
    admin: Session,
    source_id: i64,
    district_id: i64,
}

async fn year_fixture() -> Year {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let now = default_now();
    let source = association::entity::source::ActiveModel {
        name: Set(unique("站点")),
        kind: Set("official".into()),
        hosts: Set(json!([format!("{}.example.cn", unique("h"))]).to_string()),
        columns: Set("[]".into()),
        years: Set("[]".into()),
        needs_confirmation: Set(false),
        allow_private_network: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    Year {
        app,
        admin,
        source_id: source.id,
        district_id,
    }
}

impl Year {
    async fn school(&self, name: &str) -> i64 {
        let s: Value = self
            .app
            .post_as(
                "/api/v1/schools",
                &self.admin,
                &json!({"name": name, "district_id": self.district_id}),
            )
            .await
            .json()
            .await
            .unwrap();
        s["id"].as_i64().expect("school created")
    }

    /// One approved article of `year` with these points, by `author` (a name) of `school`.
    async fn article(&self, school_id: i64, author: &str, year: i32, site: i32, bonus: i32) {
        let now = default_now();
        let url = format!("https://news.example.cn/{}.html", unique("a"));
        association::entity::article::ActiveModel {
            school_id: Set(school_id),
            submitted_by: Set(self.admin.member_id),
            first_author_name: Set(Some(author.to_owned())),
            author_key: Set(association::articles::rules::author_key(None, Some(author))),
            url: Set(url.clone()),
            canonical_url: Set(url.clone()),
            url_key: Set(Some(unique("k"))),
            host: Set("news.example.cn".into()),
            source_id: Set(self.source_id),
            source_kind: Set("official".into()),
            title: Set(Some(unique("标题"))),
            credit_year: Set(Some(year)),
            declared_original: Set(true),
            verification_status: Set("verified".into()),
            status: Set("approved".into()),
            site_points: Set(site),
            bonus_points: Set(bonus),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.app.state.db)
        .await
        .unwrap();
        self.app.articles_loaded().await;
    }

    /// `n` articles of one site point each.
    async fn articles(&self, school_id: i64, author: &str, n: usize) {
        for _ in 0..n {
            self.article(school_id, author, 2021, 1, 0).await;
        }
    }

    async fn standings(&self, who: &Session, scope: &str) -> Value {
        let res = self
            .app
            .get_as(
                &format!("/api/v1/credit-years/2021/standings?scope={scope}&page_size=100"),
                who,
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn publish(&self, opens: &str, closes: &str) -> reqwest::Response {
        self.app
            .post_as(
                "/api/v1/credit-years/2021/notice",
                &self.admin,
                &json!({"opens_at": opens, "closes_at": closes}),
            )
            .await
    }

    /// Publishes a notice open from the pinned now for a week.
    async fn publish_now(&self) -> Value {
        let res = self
            .publish("2021-11-01T00:00:00+08:00", "2021-11-08T00:00:00+08:00")
            .await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    async fn eligible_school(&self, school_id: i64) {
        let res = self
            .app
            .put_as(
                &format!("/api/v1/credit-years/2021/eligibility/{school_id}"),
                &self.admin,
                &json!({"mechanism": true, "process": true, "archive": true, "dedicated_staff": true, "note": "材料齐全"}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
}

fn keys(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_owned())
        .collect()
}

// ------------------------------------------------------------------ caps

#[test]
fn the_cap_is_the_floor_of_20_percent_of_schools_and_10_percent_of_people() {
    assert_eq!(honours_cap(23, 20), 4);
    assert_eq!(honours_cap(9, 20), 1);
    assert_eq!(honours_cap(4, 20), 0);
    assert_eq!(honours_cap(57, 10), 5);
    assert_eq!(honours_cap(0, 20), 0);
}

#[test]
fn a_tied_group_straddling_the_cutoff_is_left_out_of_the_automatic_selection() {
    let c = |key: &str, rank: i64| Candidate {
        key: key.into(),
        rank,
        eligible: true,
    };
    // Ranks 1, 2, 2, 4 with a cap of 2: the two rank-2 rows straddle the cut-off.
    let rows = [c("a", 1), c("b", 2), c("c", 2), c("d", 4)];
    let cut = cutoff(&[1, 2, 2, 4], 2);
    assert_eq!(cut.cutoff_rank, Some(2));
    assert_eq!(cut.tied_rank, Some(2));
    assert_eq!(auto_select(&rows, 2), vec!["a".to_owned()]);
    // With a cap of 3 the tied group fits whole.
    assert_eq!(auto_select(&rows, 3), vec!["a", "b", "c"]);
    // An ineligible row makes room for the next eligible one.
    let mut rows = rows.to_vec();
    rows[0].eligible = false;
    assert_eq!(auto_select(&rows, 2), vec!["b".to_owned(), "c".to_owned()]);
}

#[tokio::test]
async fn the_cap_examples_hold_through_the_api_23_schools_give_4_and_57_people_give_5() {
    let y = year_fixture().await;
    let mut schools = Vec::new();
    for i in 0..23 {
        schools.push(y.school(&format!("学校{i:02}{}", &unique("")[..6])).await);
    }
    // 57 people across the 23 schools, each with one counted article.
    for p in 0..57 {
        y.article(schools[p % 23], &format!("作者{p}"), 2021, 1, 0)
            .await;
    }
    let s = y.standings(&y.admin, "schools").await;
    assert_eq!(s["population"], 23);
    assert_eq!(s["cap"], 4);
    let i = y.standings(&y.admin, "individuals").await;
    assert_eq!(i["population"], 57);
    assert_eq!(i["cap"], 5);
}

#[tokio::test]
async fn bonus_only_schools_are_ranked_but_not_counted_in_the_population() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    let b = y.school(&unique("乙校")).await;
    y.article(a, "张三", 2021, 1, 0).await;
    y.article(b, "李四", 2021, 0, 1).await;
    let s = y.standings(&y.admin, "schools").await;
    assert_eq!(
        s["population"], 1,
        "only official-site publishers make the population"
    );
    assert_eq!(s["items"].as_array().unwrap().len(), 2);
}

// ------------------------------------------------------------------ standings

#[tokio::test]
async fn standings_rank_schools_and_first_authors_with_competition_ranking() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    let b = y.school(&unique("乙校")).await;
    let c = y.school(&unique("丙校")).await;
    let d = y.school(&unique("丁校")).await;
    y.articles(a, "张三", 4).await;
    y.article(a, "张三", 2021, 0, 1).await; // a: site 4 + bonus 1 = 5
    y.articles(b, "李四", 3).await; // b: 3
    y.articles(c, "王五", 2).await;
    y.article(c, "赵六", 2021, 1, 0).await; // c: 3
    y.articles(d, "钱七", 1).await; // d: 1
    y.article(d, "钱七", 2020, 1, 0).await; // another year: not counted in 2021
    let s = y.standings(&y.admin, "schools").await;
    let items = s["items"].as_array().unwrap();
    let ranks: Vec<i64> = items.iter().map(|r| r["rank"].as_i64().unwrap()).collect();
    assert_eq!(ranks, vec![1, 2, 2, 4]);
    assert_eq!(items[0]["school"]["id"], a);
    assert_eq!(items[0]["site_points"], 4);
    assert_eq!(items[0]["bonus_points"], 1);
    assert_eq!(items[0]["total"], 5);
    assert_eq!(items[0]["counted_articles"], 5);
    assert_eq!(items[3]["total"], 1);
    assert_eq!(s["ranking_key"], "total");

    let i = y.standings(&y.admin, "individuals").await;
    let people = i["items"].as_array().unwrap();
    assert_eq!(people[0]["name"], "张三");
    assert_eq!(people[0]["total"], 5);
    assert_eq!(people[1]["name"], "李四");
    assert_eq!(people[1]["rank"], 2);
    assert!(
        !i.to_string().contains("phone"),
        "no contact data in standings"
    );
}

#[tokio::test]
async fn the_ranking_key_is_a_per_year_setting() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    let b = y.school(&unique("乙校")).await;
    y.articles(a, "张三", 2).await;
    y.article(a, "张三", 2021, 0, 1).await; // a: site 2, total 3
    y.articles(b, "李四", 3).await; // b: site 3, total 3
    let s = y.standings(&y.admin, "schools").await;
    assert_eq!(s["items"][0]["rank"], 1);
    assert_eq!(s["items"][1]["rank"], 1, "tied on the total");
    let res = y
        .app
        .put_as(
            "/api/v1/credit-years/2021/settings",
            &y.admin,
            &json!({"ranking_key": "site_points"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let s = y.standings(&y.admin, "schools").await;
    assert_eq!(s["ranking_key"], "site_points");
    assert_eq!(s["items"][0]["school"]["id"], b);
    assert_eq!(s["items"][1]["rank"], 2);
}

#[tokio::test]
async fn standings_are_paginated_by_position() {
    let y = year_fixture().await;
    for i in 0..5 {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), i + 1).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/credit-years/2021/standings?page_size=2".to_owned();
    loop {
        let page: Value = y.app.get_as(&path, &y.admin).await.json().await.unwrap();
        for r in page["items"].as_array().unwrap() {
            seen.push(r["total"].as_i64().unwrap());
        }
        match page["next_page_token"].as_str() {
            Some(t) => {
                path = format!("/api/v1/credit-years/2021/standings?page_size=2&page_token={t}")
            }
            None => break,
        }
    }
    assert_eq!(seen, vec![5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn correspondents_may_read_standings_but_plain_members_may_not() {
    let y = year_fixture().await;
    let school = y.school(&unique("甲校")).await;
    y.articles(school, "张三", 1).await;
    let correspondent = y
        .app
        .member_with(Role::Correspondent, Some(school), None)
        .await;
    assert_eq!(
        y.standings(&correspondent, "schools").await["items"][0]["total"],
        1
    );
    let plain = y.app.login("plain").await;
    let res = y
        .app
        .get_as("/api/v1/credit-years/2021/standings", &plain)
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let res = y.app.get("/api/v1/credit-years/2021/standings").await;
    assert_problem(res, 401, "UNAUTHENTICATED").await;
}

// ------------------------------------------------------------------ ties

#[tokio::test]
async fn ties_straddling_the_cutoff_are_flagged_and_left_out_of_the_proposal() {
    let y = year_fixture().await;
    // 10 schools → cap 2. Totals 9, 8, 8, then 1s: the two 8s straddle the cap.
    let mut ids = Vec::new();
    for (i, n) in [9, 8, 8, 1, 1, 1, 1, 1, 1, 1].iter().enumerate() {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), *n).await;
        y.eligible_school(s).await;
        ids.push(s);
    }
    let s = y.standings(&y.admin, "schools").await;
    assert_eq!(s["cap"], 2);
    assert_eq!(s["cutoff_rank"], 2);
    assert_eq!(s["tied_rank"], 2);
    let items = s["items"].as_array().unwrap();
    assert_eq!(items[0]["within_cap"], true);
    assert_eq!(items[1]["tied_at_cutoff"], true);
    assert_eq!(items[2]["tied_at_cutoff"], true);
    assert_eq!(
        items[1]["within_cap"], false,
        "a tied row is never counted inside the cap"
    );
    assert_eq!(items[3]["tied_at_cutoff"], false);

    y.publish_now().await;
    let res = y
        .app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await;
    assert_eq!(res.status(), 201);
    let proposal: Value = res.json().await.unwrap();
    assert_eq!(
        keys(&proposal["schools"]["entries"]),
        vec![ids[0].to_string()]
    );

    // The secretariat picks one of the tied schools, with a recorded reason.
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({"add": [{"scope": "schools", "key": ids[1].to_string(), "reason": "信息报送更及时"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let proposal: Value = res.json().await.unwrap();
    let entries = proposal["schools"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["manual"], true);
    assert_eq!(entries[1]["reason"], "信息报送更及时");
}

// ------------------------------------------------------------------ notice

#[tokio::test]
async fn a_change_after_the_notice_does_not_alter_the_snapshot() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    y.articles(a, "张三", 2).await;
    y.publish_now().await;
    // A review after publication changes the live standings...
    y.articles(a, "张三", 3).await;
    use association::entity::article;
    article::Entity::update_many()
        .col_expr(
            article::Column::SitePoints,
            sea_orm::sea_query::Expr::value(0),
        )
        .filter(article::Column::SchoolId.eq(a))
        .exec(&y.app.state.db)
        .await
        .unwrap();
    y.article(a, "张三", 2021, 1, 0).await;
    let live = y.standings(&y.admin, "schools").await;
    assert_eq!(live["items"][0]["total"], 1);
    // ...but not the notice, which anyone can read without logging in.
    let notice: Value = y
        .app
        .get("/api/v1/credit-years/2021/notice")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notice["version"], 1);
    assert_eq!(notice["items"][0]["total"], 2);
    assert_eq!(notice["items"][0]["school"]["id"], a);
    assert_eq!(notice["schools"]["population"], 1);
    let people: Value = y
        .app
        .get("/api/v1/credit-years/2021/notice?scope=individuals")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(people["items"][0]["name"], "张三");
}

#[tokio::test]
async fn no_notice_yet_is_404_and_a_window_must_close_after_it_opens() {
    let y = year_fixture().await;
    assert_problem(
        y.app.get("/api/v1/credit-years/2021/notice").await,
        404,
        "NOTICE_NOT_PUBLISHED",
    )
    .await;
    let res = y
        .publish("2021-11-05T00:00:00+08:00", "2021-11-04T00:00:00+08:00")
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/closes_at");
    assert_problem(
        y.app.get("/api/v1/credit-years/1999/notice").await,
        400,
        "INVALID_PARAMETER",
    )
    .await;
}

#[tokio::test]
async fn an_objection_outside_the_notice_window_is_409() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    y.articles(a, "张三", 2).await;
    let res = y
        .publish("2021-11-02T00:00:00+08:00", "2021-11-09T00:00:00+08:00")
        .await;
    assert_eq!(res.status(), 201);
    let member = y.app.login("watcher").await;
    let body = json!({"scope": "schools", "row_key": a.to_string(), "text": "该校有两篇稿件为转载，不应计分。"});
    // Before it opens (the pinned now is 1 November).
    let res = y
        .app
        .post_as("/api/v1/credit-years/2021/objections", &member, &body)
        .await;
    let problem = assert_problem(res, 409, "OUTSIDE_NOTICE_WINDOW").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("2021年11月8日 24:00"),
        "{problem}"
    );
    // During it.
    y.app.clock.set(default_now() + Duration::days(2));
    let member = y.app.refreshed(&member).await;
    let res = y
        .app
        .post_as("/api/v1/credit-years/2021/objections", &member, &body)
        .await;
    assert_eq!(res.status(), 201);
    // After it closes.
    y.app.clock.set(default_now() + Duration::days(8));
    let member = y.app.refreshed(&member).await;
    let res = y
        .app
        .post_as("/api/v1/credit-years/2021/objections", &member, &body)
        .await;
    assert_problem(res, 409, "OUTSIDE_NOTICE_WINDOW").await;
}

#[tokio::test]
async fn objections_are_filed_seen_by_their_author_and_resolved_by_the_secretariat() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    y.articles(a, "张三", 2).await;
    y.publish_now().await;
    let member = y.app.login("watcher").await;
    let other = y.app.login("other").await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/objections",
            &member,
            &json!({"scope": "schools", "row_key": a.to_string(), "text": "该校有一篇稿件为转载。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let objection: Value = res.json().await.unwrap();
    assert_eq!(objection["status"], "open");
    // An unknown row is a 404 with a pointer.
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/objections",
            &member,
            &json!({"scope": "schools", "row_key": "999999", "text": "没有这一行的学校。"}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 404, "NOT_FOUND").await["errors"][0]["pointer"],
        "/row_key"
    );
    // The secretariat resolves objections; it does not file them.
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/objections",
            &y.admin,
            &json!({"scope": "schools", "row_key": a.to_string(), "text": "秘书处不能提异议。"}),
        )
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    // Each member sees their own; the secretariat sees all.
    let mine: Value = y
        .app
        .get_as("/api/v1/credit-years/2021/objections", &member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let theirs: Value = y
        .app
        .get_as("/api/v1/credit-years/2021/objections", &other)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let all: Value = y
        .app
        .get_as("/api/v1/credit-years/2021/objections", &y.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);

    let id = objection["id"].as_i64().unwrap();
    let res = y
        .app
        .post_as(
            &format!("/api/v1/objections/{id}/resolve"),
            &y.admin,
            &json!({"decision": "upheld", "reason": "经核实，已将转载稿件标记为转载。"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let resolved: Value = res.json().await.unwrap();
    assert_eq!(resolved["status"], "upheld");
    let res = y
        .app
        .post_as(
            &format!("/api/v1/objections/{id}/resolve"),
            &y.admin,
            &json!({"decision": "dismissed", "reason": "再次处理"}),
        )
        .await;
    assert_problem(res, 409, "OBJECTION_ALREADY_RESOLVED").await;
    let log = y.app.audit_of("objection", &id.to_string()).await;
    assert_eq!(log[0].action, "objection.resolve");

    // After an upheld objection the secretariat may republish.
    let republished = y.publish_now().await;
    assert_eq!(republished["version"], 2);
}

// ------------------------------------------------------------------ proposal

#[tokio::test]
async fn ineligible_schools_are_left_out_of_the_automatic_proposal() {
    let y = year_fixture().await;
    let mut ids = Vec::new();
    for (i, n) in [5, 4, 3, 1, 1, 1, 1, 1, 1, 1].iter().enumerate() {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), *n).await;
        ids.push(s);
    }
    // The top school lacks dedicated staff; the next two qualify.
    let res = y
        .app
        .put_as(
            &format!("/api/v1/credit-years/2021/eligibility/{}", ids[0]),
            &y.admin,
            &json!({"mechanism": true, "process": true, "archive": true, "dedicated_staff": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    y.eligible_school(ids[1]).await;
    y.eligible_school(ids[2]).await;
    // Individuals must be confirmed as logistics staff.
    let people = y.standings(&y.admin, "individuals").await;
    let top_person = people["items"][0]["key"].as_str().unwrap().to_owned();
    let encoded: String = url::form_urlencoded::byte_serialize(top_person.as_bytes()).collect();
    let res = y
        .app
        .put_as(
            &format!("/api/v1/credit-years/2021/individual-eligibility/{encoded}"),
            &y.admin,
            &json!({"logistics_staff": true, "qualities_confirmed": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    y.publish_now().await;
    let proposal: Value = y
        .app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(proposal["schools"]["cap"], 2);
    assert_eq!(
        keys(&proposal["schools"]["entries"]),
        vec![ids[1].to_string(), ids[2].to_string()]
    );
    assert_eq!(proposal["individuals"]["cap"], 1);
    assert_eq!(keys(&proposal["individuals"]["entries"]), vec![top_person]);
}

#[tokio::test]
async fn a_proposal_above_a_cap_is_refused() {
    let y = year_fixture().await;
    let mut ids = Vec::new();
    for (i, n) in [5, 4, 3, 1, 1].iter().enumerate() {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), *n).await;
        y.eligible_school(s).await;
        ids.push(s);
    }
    y.publish_now().await;
    let proposal: Value = y
        .app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(proposal["schools"]["cap"], 1);
    assert_eq!(
        keys(&proposal["schools"]["entries"]),
        vec![ids[0].to_string()]
    );
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({"add": [{"scope": "schools", "key": ids[1].to_string(), "reason": "贡献突出"}]}),
        )
        .await;
    let problem = assert_problem(res, 409, "QUOTA_EXCEEDED").await;
    assert!(problem["detail"].as_str().unwrap().contains('1'));
    // Nothing changed.
    let now: Value = y
        .app
        .get_as("/api/v1/credit-years/2021/proposal", &y.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&now["schools"]["entries"]), vec![ids[0].to_string()]);
    assert_eq!(now["version"], proposal["version"]);
    // A swap within the cap is fine, and needs a reason.
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({"remove": [{"scope": "schools", "key": ids[0].to_string(), "reason": ""}]}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422, "VALIDATION_FAILED").await["errors"][0]["pointer"],
        "/remove/0/reason"
    );
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({
                "remove": [{"scope": "schools", "key": ids[0].to_string(), "reason": "材料不全"}],
                "add": [{"scope": "schools", "key": ids[1].to_string(), "reason": "递补"}]
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn only_the_council_approves_and_an_approved_list_is_final_and_public() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    for i in 0..4 {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), 1).await;
    }
    y.articles(a, "张三", 3).await;
    y.eligible_school(a).await;
    y.publish_now().await;
    y.app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await;
    assert_problem(
        y.app.get("/api/v1/credit-years/2021/honours").await,
        404,
        "HONOURS_NOT_APPROVED",
    )
    .await;

    let council = y.app.member_with(Role::Council, None, None).await;
    // Not yet submitted: the council cannot approve a draft.
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/approve",
            &council,
            &json!({}),
        )
        .await;
    assert_problem(res, 409, "PROPOSAL_WRONG_STATE").await;
    y.app.close_notice_window(2021).await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/submit",
            &y.admin,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The secretariat cannot approve its own proposal.
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/approve",
            &y.admin,
            &json!({}),
        )
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/approve",
            &council,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let approved: Value = res.json().await.unwrap();
    assert_eq!(approved["status"], "approved");

    // Final: no edit, no rebuild, no second decision.
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({"remove": [{"scope": "schools", "key": a.to_string(), "reason": "撤销"}]}),
        )
        .await;
    assert_problem(res, 409, "PROPOSAL_FINAL").await;
    let res = y
        .app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await;
    assert_problem(res, 409, "PROPOSAL_FINAL").await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/return",
            &council,
            &json!({"note": "再议"}),
        )
        .await;
    assert_problem(res, 409, "PROPOSAL_FINAL").await;

    // Public once approved.
    let honours: Value = y
        .app
        .get("/api/v1/credit-years/2021/honours")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&honours["schools"]), vec![a.to_string()]);
    let log = y.app.audit_of("proposal", "2021").await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["proposal.approve", "proposal.submit", "proposal.build"]
    );
    assert_eq!(log[0].actor_id, Some(council.member_id));
    assert_eq!(log[0].actor_role.as_deref(), Some("council"));
}

#[tokio::test]
async fn a_returned_proposal_can_be_edited_and_resubmitted() {
    let y = year_fixture().await;
    let mut ids = Vec::new();
    for (i, n) in [5, 4, 3, 2, 1].iter().enumerate() {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), *n).await;
        y.eligible_school(s).await;
        ids.push(s);
    }
    y.publish_now().await;
    y.app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await;
    y.app.close_notice_window(2021).await;
    y.app
        .post_as(
            "/api/v1/credit-years/2021/proposal/submit",
            &y.admin,
            &json!({}),
        )
        .await;
    // Submitted: the secretariat can no longer edit.
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({"remove": [{"scope": "schools", "key": ids[0].to_string(), "reason": "调整"}]}),
        )
        .await;
    assert_problem(res, 409, "PROPOSAL_NOT_EDITABLE").await;
    let council = y.app.member_with(Role::Council, None, None).await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/return",
            &council,
            &json!({"note": ""}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422, "VALIDATION_FAILED").await["errors"][0]["pointer"],
        "/note"
    );
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/return",
            &council,
            &json!({"note": "请核实甲校的专职人员情况"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let returned: Value = res.json().await.unwrap();
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["return_note"], "请核实甲校的专职人员情况");
    let res = y
        .app
        .patch_as(
            "/api/v1/credit-years/2021/proposal",
            &y.admin,
            &json!({
                "remove": [{"scope": "schools", "key": ids[0].to_string(), "reason": "无专职人员"}],
                "add": [{"scope": "schools", "key": ids[1].to_string(), "reason": "递补"}]
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/submit",
            &y.admin,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/approve",
            &council,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let honours: Value = y
        .app
        .get("/api/v1/credit-years/2021/honours")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&honours["schools"]), vec![ids[1].to_string()]);
}

#[tokio::test]
async fn the_proposal_is_not_submitted_while_objections_are_open() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    y.articles(a, "张三", 2).await;
    y.publish_now().await;
    let member = y.app.login("watcher").await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/objections",
            &member,
            &json!({"scope": "schools", "row_key": a.to_string(), "text": "请核实该校的稿件数量。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let objection: Value = res.json().await.unwrap();
    y.app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await;
    let empty = json!({});
    let submit = || {
        y.app.post_as(
            "/api/v1/credit-years/2021/proposal/submit",
            &y.admin,
            &empty,
        )
    };
    // Seed 000's order: first the window closes …
    assert_problem(submit().await, 409, "NOTICE_WINDOW_OPEN").await;
    y.app.close_notice_window(2021).await;
    // … then every objection is resolved.
    assert_problem(submit().await, 409, "OBJECTIONS_PENDING").await;
    let id = objection["id"].as_i64().unwrap();
    y.app
        .post_as(
            &format!("/api/v1/objections/{id}/resolve"),
            &y.admin,
            &json!({"decision": "dismissed", "reason": "经核实无误"}),
        )
        .await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/submit",
            &y.admin,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

// ------------------------------------------------------------------ Excel

#[tokio::test]
async fn the_excel_export_has_chinese_headers_a_frozen_header_row_and_the_cap_figures() {
    use std::io::Read;
    let y = year_fixture().await;
    for (i, n) in [3, 2, 1, 1, 1].iter().enumerate() {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), *n).await;
    }
    let res = y
        .app
        .get_as("/api/v1/credit-years/2021/standings.xlsx", &y.admin)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let workbook = read("xl/workbook.xml");
    assert!(
        workbook.contains("学校排名") && workbook.contains("个人排名"),
        "{workbook}"
    );
    let strings = read("xl/sharedStrings.xml");
    for header in [
        "名次",
        "所属学校",
        "网站积分",
        "附加分",
        "总分",
        "计分稿件数",
    ] {
        assert!(strings.contains(header), "{header} missing");
    }
    assert!(
        strings.contains("官方网站发文学校总数 5，名额上限 1（不超过 20%"),
        "{strings}"
    );
    let sheet = read("xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="5""#) && sheet.contains(r#"state="frozen""#),
        "header row not frozen"
    );
    // Correspondents read standings but do not export them.
    let school = y.school(&unique("丙校")).await;
    let correspondent = y
        .app
        .member_with(Role::Correspondent, Some(school), None)
        .await;
    let res = y
        .app
        .get_as("/api/v1/credit-years/2021/standings.xlsx", &correspondent)
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn an_individual_is_proposed_only_once_confirmed_as_logistics_staff_of_a_member_school() {
    let y = year_fixture().await;
    let school = y.school(&unique("甲校")).await;
    // Ten people → a cap of one; the top author is not (yet) confirmed.
    for (i, n) in [5, 4, 3, 2, 1, 1, 1, 1, 1, 1].iter().enumerate() {
        y.article(school, &format!("作者{i}"), 2021, *n, 0).await;
    }
    let people = y.standings(&y.admin, "individuals").await;
    assert_eq!(people["cap"], 1);
    let second = people["items"][1]["key"].as_str().unwrap().to_owned();
    y.publish_now().await;
    let proposal: Value = y
        .app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        proposal["individuals"]["entries"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nobody confirmed, nobody proposed"
    );
    let encoded: String = url::form_urlencoded::byte_serialize(second.as_bytes()).collect();
    let res = y
        .app
        .put_as(
            &format!("/api/v1/credit-years/2021/individual-eligibility/{encoded}"),
            &y.admin,
            &json!({"logistics_staff": true, "qualities_confirmed": true, "note": "后勤处在编职工"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let proposal: Value = y
        .app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        keys(&proposal["individuals"]["entries"]),
        vec![second.clone()]
    );
    let log = y.app.audit_of("individual", &second).await;
    assert_eq!(log[0].action, "eligibility.individual");
}

/// The events recorded for a member, oldest first.
async fn events_of(app: &crate::helpers::TestApp, member_id: i64) -> Vec<String> {
    use association::entity::notification;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member_id))
        .order_by_asc(notification::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.event)
        .collect()
}

#[tokio::test]
async fn the_secretariat_the_council_and_the_objector_hear_what_waits_for_them() {
    let y = year_fixture().await;
    let a = y.school(&unique("甲校")).await;
    y.articles(a, "张三", 3).await;
    y.eligible_school(a).await;
    y.publish_now().await;
    let council = y.app.member_with(Role::Council, None, None).await;
    let member = y.app.login("objector").await;
    // An objection: the secretariat hears of it, the objector of its resolution.
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/objections",
            &member,
            &json!({"scope": "schools", "row_key": a.to_string(), "text": "该校有一篇稿件为转载。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(
        events_of(&y.app, y.admin.member_id).await,
        ["objection.filed"]
    );
    let res = y
        .app
        .post_as(
            &format!("/api/v1/objections/{id}/resolve"),
            &y.admin,
            &json!({"decision": "dismissed", "reason": "经核实，该稿件为本校原创。"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        events_of(&y.app, member.member_id).await,
        ["objection.resolved"]
    );
    // The list: the council hears it waits for them, the secretariat that it came back.
    y.app
        .post_as("/api/v1/credit-years/2021/proposal", &y.admin, &json!({}))
        .await;
    y.app.close_notice_window(2021).await;
    let admin = y.app.refreshed(&y.admin).await;
    let council = y.app.refreshed(&council).await;
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/submit",
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        events_of(&y.app, council.member_id).await,
        ["proposal.waiting"]
    );
    let res = y
        .app
        .post_as(
            "/api/v1/credit-years/2021/proposal/return",
            &council,
            &json!({"note": "请补充甲校的稿件说明。"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        events_of(&y.app, admin.member_id).await,
        ["objection.filed", "proposal.returned"]
    );
    assert!(
        events_of(&y.app, member.member_id).await.len() == 1,
        "the objector hears no more"
    );
}
