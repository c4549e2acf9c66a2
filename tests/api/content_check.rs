//! WeChat content security on user text others will read (SPEC §C), against
//! a mock WeChat: `risky` is refused with 422 `CONTENT_RISKY` and nothing is
//! stored; `review` is accepted and flagged.

use association::access::roles::Role;
use serde_json::json;
use wiremock::MockServer;

use crate::helpers::{TestApp, assert_problem};

async fn app_with_wechat() -> (TestApp, MockServer) {
    crate::helpers::spawn_app_with_fake_wechat(|_| {}).await
}

async fn checks_made(mock: &MockServer) -> usize {
    mock.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/wxa/msg_sec_check")
        .count()
}

#[tokio::test]
async fn a_risky_article_title_is_refused_and_nothing_is_stored() {
    let (app, mock) = app_with_wechat().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let site = app
        .mock_site(&admin, "四川省高校后勤协会网", "official", &[], &[])
        .await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    let submit = |title: &'static str, page: &'static str| {
        let body = json!({
            "url": site.url(page),
            "title": title,
            "first_author_name": "张三",
            "declared_original": true,
        });
        let app = &app;
        let who = correspondent.clone();
        async move { app.post_as("/api/v1/articles", &who, &body).await }
    };
    let res = submit("违规内容的标题", "/a/1.html").await;
    let body = assert_problem(res, 422, "CONTENT_RISKY").await;
    assert_eq!(body["errors"][0]["pointer"], "/title");
    let list: serde_json::Value = app
        .get_as("/api/v1/articles?scope=all", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
    let res = submit("我校开展食堂安全检查", "/a/2.html").await;
    assert_eq!(res.status(), 201);
    assert_eq!(checks_made(&mock).await, 2);
}

#[tokio::test]
async fn a_risky_nomination_story_is_refused_at_submission() {
    let (app, mock) = app_with_wechat().await;
    let admin = app.secretariat().await;
    let campaign_id = app.seed_campaign(&admin).await;
    let (_, lead) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&lead, campaign_id, "王师傅").await;
    let etag = app.etag_of(&lead, id).await;
    let story = format!("{}违规", "扎根食堂二十年，每天凌晨四点到岗。".repeat(30));
    let res = app
        .patch_form(&lead, id, Some(&etag), json!({"story": story}))
        .await;
    assert_eq!(res.status(), 200);
    let res = app.submit_nomination(&lead, id).await;
    let body = assert_problem(res, 422, "CONTENT_RISKY").await;
    assert_eq!(body["errors"][0]["pointer"], "/form/story");
    let n: serde_json::Value = app
        .get_as(&format!("/api/v1/nominations/{id}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(n["status"], "draft", "not submitted");
    assert!(checks_made(&mock).await >= 1);
}

#[tokio::test]
async fn an_objection_needing_review_is_accepted_and_flagged() {
    let (app, _mock) = app_with_wechat().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    // A counted article so the notice has a row to object to.
    let site = app
        .mock_site(&admin, "四川省高校后勤协会网", "official", &[], &[])
        .await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    let res = app
        .post_as(
            "/api/v1/articles",
            &correspondent,
            &json!({"url": site.url("/a/9.html"), "title": "后勤动态", "first_author_name": "张三",
                    "declared_original": true, "published_on": "2021-05-01"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let article: serde_json::Value = res.json().await.unwrap();
    let id = article["id"].as_i64().unwrap();
    app.verified_article(&admin, id).await;
    let res = app
        .post_as(
            &format!("/api/v1/articles/{id}/review"),
            &admin,
            &json!({"decision": "approve", "published_on": "2021-05-01", "column": "学校后勤动态"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post_as(
            "/api/v1/credit-years/2021/notice",
            &admin,
            &json!({"opens_at": "2021-11-01T00:00:00+08:00", "closes_at": "2021-11-08T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let member = app.login("watcher").await;
    let objection =
        json!({"scope": "schools", "row_key": school_id.to_string(), "text": "请核实，待审内容"});
    let res = app
        .post_as("/api/v1/credit-years/2021/objections", &member, &objection)
        .await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["needs_content_review"], true);
    let risky =
        json!({"scope": "schools", "row_key": school_id.to_string(), "text": "违规的异议内容"});
    let res = app
        .post_as("/api/v1/credit-years/2021/objections", &member, &risky)
        .await;
    assert_eq!(
        assert_problem(res, 422, "CONTENT_RISKY").await["errors"][0]["pointer"],
        "/text"
    );
}
