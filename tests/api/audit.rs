//! The audit log: every secretariat mutation is recorded with who, what,
//! when, before/after and reason; the secretariat and the council read it.

use association::access::roles::Role;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn secretariat_mutations_are_recorded_with_before_after_and_reason() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let res = app
        .patch_as(
            &format!("/api/v1/districts/{district_id}"),
            &admin,
            &json!({"name": "新名片区"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let target = app.login("promoted").await;
    let res = app
        .put_as(
            &format!("/api/v1/members/{}/roles", target.member_id),
            &admin,
            &json!({"roles": [{"role": "council"}], "reason": "理事会换届"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let council = app.member_with(Role::Council, None, None).await;
    let page: serde_json::Value = app
        .get_as(
            &format!("/api/v1/audit-log?entity_type=district&entity_id={district_id}"),
            &council,
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = page["items"].as_array().unwrap();
    assert_eq!(entries[0]["action"], "district.update");
    assert_eq!(entries[0]["actor_id"], admin.member_id);
    assert_eq!(entries[0]["actor_role"], "secretariat");
    assert_eq!(entries[0]["after"]["name"], "新名片区");
    assert_eq!(entries[1]["action"], "district.create");
    assert!(
        entries[0]["created_at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    let roles: serde_json::Value = app
        .get_as(
            &format!(
                "/api/v1/audit-log?entity_type=member&entity_id={}",
                target.member_id
            ),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(roles["items"][0]["action"], "member.roles");
    assert_eq!(roles["items"][0]["reason"], "理事会换届");
    assert_eq!(roles["items"][0]["before"], json!([]));
    assert_eq!(roles["items"][0]["after"][0]["role"], "council");
}

#[tokio::test]
async fn the_audit_log_is_paginated_newest_first() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for _ in 0..3 {
        app.district_and_school(&admin).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            Some(t) => format!("/api/v1/audit-log?page_size=2&page_token={t}"),
            None => "/api/v1/audit-log?page_size=2".to_owned(),
        };
        let page: serde_json::Value = app.get_as(&path, &admin).await.json().await.unwrap();
        for e in page["items"].as_array().unwrap() {
            seen.push(e["id"].as_i64().unwrap());
        }
        match page["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert!(seen.len() >= 6, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats: {seen:?}"
    );
}

#[tokio::test]
async fn correspondents_and_members_cannot_read_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    assert_problem(
        app.get_as("/api/v1/audit-log", &correspondent).await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_problem(app.get("/api/v1/audit-log").await, 401, "UNAUTHENTICATED").await;
}
