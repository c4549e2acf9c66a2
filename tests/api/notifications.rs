//! What members are told (issue 14): one notification per event and
//! recipient in the inbox, and a WeChat subscribe message — against a local
//! WeChat mock — where the member authorised the event's template.

use std::collections::BTreeMap;

use association::access::roles::Role;
use association::entity::member;
use association::notifications::{self, Notice};
use association::wechat::templates::{FieldKind, Templates};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use wiremock::MockServer;

use crate::helpers::{Session, TestApp, assert_problem};

const REVIEW_TEMPLATE: &str = "TPL-ARTICLE-REVIEW";

async fn app_with_wechat() -> (TestApp, MockServer) {
    let templates = json!({
        "article.reviewed": {
            "template_id": REVIEW_TEMPLATE,
            "page": "pages/articles/detail",
            "data": {"thing1": "title", "phrase2": "result", "thing3": "reason", "time4": "time"}
        }
    })
    .to_string();
    crate::helpers::spawn_app_with_fake_wechat(move |env| {
        env.insert("WECHAT_TEMPLATES".into(), templates);
    })
    .await
}

/// The subscribe messages WeChat received.
async fn sent(mock: &MockServer) -> Vec<Value> {
    mock.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn openid(app: &TestApp, who: &Session) -> String {
    member::Entity::find_by_id(who.member_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .openid
}

async fn inbox(app: &TestApp, who: &Session) -> Vec<Value> {
    let page: Value = app
        .get_as("/api/v1/me/notifications", who)
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Waits (up to 30 s) until the caller's newest notification is no longer
/// waiting for the worker.
async fn settled(app: &TestApp, who: &Session) -> Vec<Value> {
    for _ in 0..600 {
        let items = inbox(app, who).await;
        if items
            .first()
            .is_some_and(|n| !matches!(n["wechat_status"].as_str(), Some("pending" | "sending")))
        {
            return items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("notification still not handled after 30 s");
}

/// Submits an article of `who`'s school and approves it as `admin`.
async fn approved_article(app: &TestApp, admin: &Session, who: &Session, site: &str) -> i64 {
    let res = app
        .post_as(
            "/api/v1/articles",
            who,
            &json!({"url": site, "title": "我校开展冬季食堂食品安全专项检查工作的通知与总结", "first_author_name": "张三", "declared_original": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    let res = app
        .post_as(
            &format!("/api/v1/articles/{id}/review"),
            admin,
            &json!({"decision": "approve", "published_on": "2021-10-20"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    id
}

#[tokio::test]
async fn an_approved_article_sends_one_message_to_an_authorised_correspondent_and_none_to_an_unauthorised_one()
 {
    let (app, mock) = app_with_wechat().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let site = app
        .mock_site(&admin, "四川省高校后勤协会网", "official", &[], &[])
        .await;
    let authorised = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    let unauthorised = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    // The mini-program lists the templates and reports what was accepted.
    let subs: Value = app
        .get_as("/api/v1/me/subscriptions", &authorised)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs[0]["template_id"], REVIEW_TEMPLATE);
    assert_eq!(subs[0]["events"], json!(["article.reviewed"]));
    assert_eq!(subs[0]["remaining"], 0);
    let res = app
        .post_as(
            "/api/v1/me/subscriptions",
            &authorised,
            &json!({"accepted": [REVIEW_TEMPLATE]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let subs: Value = res.json().await.unwrap();
    assert_eq!(subs[0]["remaining"], 1);

    let a = approved_article(&app, &admin, &authorised, &site.url("/a/1.html")).await;
    approved_article(&app, &admin, &unauthorised, &site.url("/a/2.html")).await;

    let told = settled(&app, &authorised).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["event"], "article.reviewed");
    assert_eq!(told[0]["entity_id"], a);
    assert_eq!(told[0]["wechat_status"], "sent");
    assert_eq!(told[0]["read"], false);
    assert!(
        told[0]["body"].as_str().unwrap().contains("已审核通过"),
        "{told:?}"
    );
    let not_told = settled(&app, &unauthorised).await;
    assert_eq!(not_told.len(), 1, "the inbox has it all the same");
    assert_eq!(not_told[0]["wechat_status"], "not_authorised");

    let messages = sent(&mock).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["touser"], openid(&app, &authorised).await);
    assert_eq!(m["template_id"], REVIEW_TEMPLATE);
    assert_eq!(m["page"], format!("pages/articles/detail?id={a}"));
    // WeChat's limits: a thing is at most 20 characters, a phrase 5 Chinese ones.
    let thing = m["data"]["thing1"]["value"].as_str().unwrap();
    assert_eq!(thing.chars().count(), 20, "{thing}");
    assert!(thing.ends_with('…'));
    assert_eq!(m["data"]["phrase2"]["value"], "通过");
    assert_eq!(m["data"]["time4"]["value"], "2021年11月1日 10:00");
    // The send consumed the one authorisation.
    let subs: Value = app
        .get_as("/api/v1/me/subscriptions", &authorised)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs[0]["remaining"], 0);
}

#[tokio::test]
async fn wechat_saying_43101_is_normal_and_the_inbox_still_has_it() {
    let (app, mock) = app_with_wechat().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let site = app
        .mock_site(&admin, "四川省高校后勤协会网", "official", &[], &[])
        .await;
    let name = format!("refused-{}", &crate::helpers::unique("")[..8]);
    app.grant(&name, Role::Correspondent, Some(school_id), None)
        .await;
    let who = app.login(&name).await;
    app.post_as(
        "/api/v1/me/subscriptions",
        &who,
        &json!({"accepted": [REVIEW_TEMPLATE, REVIEW_TEMPLATE]}),
    )
    .await;
    approved_article(&app, &admin, &who, &site.url("/a/3.html")).await;
    let told = settled(&app, &who).await;
    assert_eq!(told[0]["wechat_status"], "not_authorised");
    assert_eq!(sent(&mock).await.len(), 1, "tried once, not retried");
    let subs: Value = app
        .get_as("/api/v1/me/subscriptions", &who)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs[0]["remaining"], 0, "WeChat knows best: none left");
}

#[tokio::test]
async fn only_configured_templates_can_be_authorised() {
    let (app, _mock) = app_with_wechat().await;
    let who = app.login("someone").await;
    let res = app
        .post_as(
            "/api/v1/me/subscriptions",
            &who,
            &json!({"accepted": [REVIEW_TEMPLATE, "NOT-OURS"]}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/accepted/1");
    assert_eq!(body["errors"][0]["code"], "unknown_template");
    let res = app
        .post_as("/api/v1/me/subscriptions", &who, &json!({"accepted": []}))
        .await;
    assert_problem(res, 422, "VALIDATION_FAILED").await;
    let subs: Value = app
        .get_as("/api/v1/me/subscriptions", &who)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs[0]["remaining"], 0, "nothing recorded");
}

fn notice(member_id: i64, key: &str) -> Notice {
    Notice {
        member_id,
        event: "article.reviewed",
        key: key.to_owned(),
        title: "稿件审核结果：通过".into(),
        body: "您提交的稿件已审核通过。".into(),
        page: None,
        entity: Some(("article", 1)),
        facts: BTreeMap::new(),
    }
}

#[tokio::test]
async fn the_same_event_for_the_same_member_is_recorded_once() {
    let app = crate::helpers::spawn_app().await;
    let who = app.login("twice").await;
    let other = app.login("other").await;
    let db = &app.state.db;
    let now = crate::helpers::default_now();
    // Twice, as two processes or a retried job would.
    let first = notifications::notify(db, vec![notice(who.member_id, "k1")], now)
        .await
        .unwrap();
    let again = notifications::notify(db, vec![notice(who.member_id, "k1")], now)
        .await
        .unwrap();
    assert_eq!((first, again), (1, 0));
    notifications::notify(db, vec![notice(other.member_id, "k1")], now)
        .await
        .unwrap();
    assert_eq!(inbox(&app, &who).await.len(), 1);
    assert_eq!(
        inbox(&app, &other).await.len(),
        1,
        "another member: another record"
    );
}

#[tokio::test]
async fn the_inbox_counts_unread_and_marks_read() {
    let app = crate::helpers::spawn_app().await;
    let who = app.login("reader").await;
    let other = app.login("nosy").await;
    let db = &app.state.db;
    let now = crate::helpers::default_now();
    let notices = (0..3)
        .map(|i| notice(who.member_id, &format!("n{i}")))
        .collect();
    notifications::notify(db, notices, now).await.unwrap();
    let count = |who: Session| {
        let app = &app;
        async move {
            let v: Value = app
                .get_as("/api/v1/me/notifications/unread-count", &who)
                .await
                .json()
                .await
                .unwrap();
            v["unread"].as_u64().unwrap()
        }
    };
    assert_eq!(count(who.clone()).await, 3);
    let items = inbox(&app, &who).await;
    let newest = items[0]["id"].as_i64().unwrap();
    assert!(newest > items[2]["id"].as_i64().unwrap(), "newest first");
    // Another member's notification does not exist for them.
    let res = app
        .post_as(
            &format!("/api/v1/me/notifications/{newest}/read"),
            &other,
            &json!({}),
        )
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
    let res = app
        .post_as(
            &format!("/api/v1/me/notifications/{newest}/read"),
            &who,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["read"], true);
    assert_eq!(read["read_at"], "2021-11-01T10:00:00+08:00");
    assert_eq!(count(who.clone()).await, 2);
    let unread: Value = app
        .get_as("/api/v1/me/notifications?unread=true&page_size=1", &who)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert!(unread["next_page_token"].is_string(), "a second unread one");
    let res = app
        .post_as("/api/v1/me/notifications/read-all", &who, &json!({}))
        .await;
    let marked: Value = res.json().await.unwrap();
    assert_eq!(marked["marked"], 2);
    assert_eq!(count(who).await, 0);
}

#[test]
fn template_values_are_fitted_to_wechat_limits() {
    // thing: at most 20 characters, a longer one cut with an ellipsis.
    let long = "四川大学开展冬季食堂食品安全专项检查工作的总结报告";
    let thing = FieldKind::Thing.fit(long);
    assert_eq!(thing.chars().count(), 20);
    assert_eq!(thing, "四川大学开展冬季食堂食品安全专项检查工…");
    assert_eq!(FieldKind::Thing.fit("食堂检查"), "食堂检查");
    // phrase: at most 5 Chinese characters, nothing else.
    assert_eq!(FieldKind::Phrase.fit("已通过 OK!"), "已通过");
    assert_eq!(FieldKind::Phrase.fit("被认定为转载稿件"), "被认定为转");
    // character_string: 32 digits, letters and symbols.
    assert_eq!(
        FieldKind::CharacterString.fit("编号 NO-2021-0001 号"),
        "NO-2021-0001"
    );
    assert_eq!(FieldKind::CharacterString.fit(&"x".repeat(40)).len(), 32);
    assert_eq!(
        FieldKind::Name.fit("欧阳王李张赵钱孙周吴郑"),
        "欧阳王李张赵钱孙周吴"
    );
    assert_eq!(FieldKind::Number.fit("共 12.5 分"), "12.5");
    assert_eq!(FieldKind::of("thing12"), Some(FieldKind::Thing));
    assert_eq!(
        FieldKind::of("character_string3"),
        Some(FieldKind::CharacterString)
    );
    assert_eq!(FieldKind::of("colour1"), None);
    // The configuration names real field types.
    assert!(Templates::parse(r#"{"e": {"template_id": "t", "data": {"colour1": "x"}}}"#).is_err());
    assert!(Templates::parse(r#"{"e": {"template_id": "", "data": {}}}"#).is_err());
    assert!(
        Templates::parse(r#"{"e": {"template_id": "t", "data": {"thing1": "title"}}}"#).is_ok()
    );
}
