//! Invitation codes: the secretariat issues a code for a role and a school
//! or district; a member redeems it and holds the role.

use association::access::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, spawn_app, unique};

/// One day after the pinned now (2021-11-01T10:00:00+08:00).
const TOMORROW: &str = "2021-11-02T10:00:00+08:00";

async fn body(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// A fresh member with no role (dev login names are at most 32 characters).
async fn fresh_member(app: &TestApp) -> Session {
    app.login(&unique("m")[..16]).await
}

async fn create(app: &TestApp, admin: &Session, input: Value) -> Value {
    let res = app.post_as("/api/v1/invitations", admin, &input).await;
    assert_eq!(res.status(), 201, "create invitation {input}");
    body(res).await
}

async fn redeem(app: &TestApp, who: &Session, code: &str) -> reqwest::Response {
    app.post_as(
        "/api/v1/me/invitations/redeem",
        who,
        &json!({ "code": code }),
    )
    .await
}

/// The invitation as `GET /invitations` lists it.
async fn listed(app: &TestApp, admin: &Session, id: i64) -> Value {
    let res = app.get_as("/api/v1/invitations?page_size=100", admin).await;
    assert_eq!(res.status(), 200);
    body(res).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("invitation {id} listed"))
}

async fn roles_of(app: &TestApp, who: &Session) -> Value {
    let res = app.get_as("/api/v1/me", who).await;
    assert_eq!(res.status(), 200);
    body(res).await["roles"].clone()
}

/// `ABCDEFGH` → `abcd-efgh`.
fn sloppy(code: &str) -> String {
    let lower = code.to_ascii_lowercase();
    format!("{}-{}", &lower[..4], &lower[4..])
}

/// An invitation for a correspondent of a new school; answers it and the school.
async fn correspondent_invitation(app: &TestApp, admin: &Session, max_uses: i32) -> (Value, i64) {
    let (_, school_id) = app.district_and_school(admin).await;
    let inv = create(
        app,
        admin,
        json!({
            "role": "correspondent",
            "school_id": school_id,
            "max_uses": max_uses,
            "expires_at": TOMORROW,
        }),
    )
    .await;
    (inv, school_id)
}

#[tokio::test]
async fn a_member_becomes_a_correspondent_of_a_school_through_an_invitation() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let school_name = body(app.get("/api/v1/schools").await).await["items"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app
        .post_as(
            "/api/v1/invitations",
            &admin,
            &json!({
                "role": "correspondent",
                "school_id": school_id,
                "max_uses": 2,
                "expires_at": TOMORROW,
                "note": "  给宣传部  ",
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let inv = body(res).await;
    let id = inv["id"].as_i64().unwrap();
    let code = inv["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{code}");
    assert!(
        code.chars()
            .all(|c| "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(c)),
        "no look-alike characters: {code}"
    );
    assert_eq!(inv["role"], "correspondent");
    assert_eq!(inv["school_id"], school_id);
    assert_eq!(inv["district_id"], Value::Null);
    assert_eq!(inv["max_uses"], 2);
    assert_eq!(inv["uses"], 0);
    assert_eq!(inv["revoked"], false);
    assert_eq!(inv["note"], "给宣传部");
    assert_eq!(inv["expires_at"], TOMORROW, "{inv}");

    // A member redeems it, typing the code sloppily.
    let first = fresh_member(&app).await;
    let res = redeem(&app, &first, &sloppy(&code)).await;
    assert_eq!(res.status(), 200);
    let me = body(res).await;
    assert_eq!(me["id"], first.member_id);
    let expected_roles = json!([{
        "role": "correspondent",
        "label": "通讯员",
        "school": {"id": school_id, "name": school_name},
    }]);
    assert_eq!(me["roles"], expected_roles);
    assert_eq!(roles_of(&app, &first).await, expected_roles);
    assert_eq!(listed(&app, &admin, id).await["uses"], 1);

    // Redeeming again uses nothing.
    let res = redeem(&app, &first, &code).await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["roles"], expected_roles);
    assert_eq!(listed(&app, &admin, id).await["uses"], 1);

    // A second member takes the last use.
    let second = fresh_member(&app).await;
    assert_eq!(redeem(&app, &second, &code).await.status(), 200);
    assert_eq!(roles_of(&app, &second).await, expected_roles);
    assert_eq!(listed(&app, &admin, id).await["uses"], 2);

    // A third member finds it used up.
    let third = fresh_member(&app).await;
    assert_problem(redeem(&app, &third, &code).await, 409, "INVITATION_USED_UP").await;
    assert_eq!(roles_of(&app, &third).await, json!([]));
    assert_eq!(listed(&app, &admin, id).await["uses"], 2);

    // The grant is recorded against the member.
    let entries = app.audit_of("member", &first.member_id.to_string()).await;
    assert_eq!(entries[0].action, "invitation.redeem");
    assert_eq!(entries[0].actor_id, Some(first.member_id));
}

#[tokio::test]
async fn an_expired_invitation_is_410_invitation_expired() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (inv, _) = correspondent_invitation(&app, &admin, 5).await;
    app.clock
        .advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
    // Log in after the clock moved, so the access token is current.
    let member = fresh_member(&app).await;
    assert_problem(
        redeem(&app, &member, inv["code"].as_str().unwrap()).await,
        410,
        "INVITATION_EXPIRED",
    )
    .await;
    assert_eq!(roles_of(&app, &member).await, json!([]));
}

#[tokio::test]
async fn an_invitation_still_works_just_before_it_expires() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (inv, _) = correspondent_invitation(&app, &admin, 5).await;
    app.clock
        .advance(chrono::Duration::days(1) - chrono::Duration::seconds(1));
    let member = fresh_member(&app).await;
    let res = redeem(&app, &member, inv["code"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_revoked_invitation_is_410_invitation_revoked() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (inv, _) = correspondent_invitation(&app, &admin, 5).await;
    let id = inv["id"].as_i64().unwrap();

    let res = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/invitations/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(listed(&app, &admin, id).await["revoked"], true);

    let member = fresh_member(&app).await;
    assert_problem(
        redeem(&app, &member, inv["code"].as_str().unwrap()).await,
        410,
        "INVITATION_REVOKED",
    )
    .await;
    assert_eq!(roles_of(&app, &member).await, json!([]));

    // Revoking a missing invitation is a 404.
    let res = app
        .authed(
            reqwest::Method::DELETE,
            "/api/v1/invitations/987654",
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn an_unknown_code_is_404_invitation_not_found() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    correspondent_invitation(&app, &admin, 1).await;
    let member = fresh_member(&app).await;
    assert_problem(
        redeem(&app, &member, "ZZZZ-ZZZZ").await,
        404,
        "INVITATION_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn redeeming_is_rate_limited_per_member() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (inv, _) = correspondent_invitation(&app, &admin, 5).await;
    let guesser = fresh_member(&app).await;
    for i in 0..10 {
        let res = redeem(&app, &guesser, &format!("ZZZZZZ{i:02}")).await;
        assert_eq!(res.status(), 404, "attempt {}", i + 1);
    }
    // The 11th attempt within 10 minutes, even with the right code.
    let res = redeem(&app, &guesser, inv["code"].as_str().unwrap()).await;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .expect("retry-after header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    assert_problem(res, 429, "RATE_LIMITED").await;
    assert_eq!(roles_of(&app, &guesser).await, json!([]));

    // Another member is not affected.
    let other = fresh_member(&app).await;
    assert_eq!(
        redeem(&app, &other, inv["code"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

async fn assert_invalid(input: Value, pointer: &str) {
    assert_refused(input, pointer, 422, "VALIDATION_FAILED").await;
}

async fn assert_refused(input: Value, pointer: &str, status: u16, code: &str) {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let mut input = input;
    // Placeholders for the ids of this app's school and district.
    for key in ["school_id", "district_id"] {
        if input[key] == "SCHOOL" {
            input[key] = school_id.into();
        }
        if input[key] == "DISTRICT" {
            input[key] = district_id.into();
        }
    }
    let b = assert_problem(
        app.post_as("/api/v1/invitations", &admin, &input).await,
        status,
        code,
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], pointer, "{input}: {b}");
    let list = body(app.get_as("/api/v1/invitations", &admin).await).await;
    assert_eq!(list["items"], json!([]), "nothing created");
}

#[tokio::test]
async fn a_correspondent_invitation_needs_a_school() {
    assert_invalid(
        json!({"role": "correspondent", "expires_at": TOMORROW}),
        "/school_id",
    )
    .await;
}

#[tokio::test]
async fn a_district_lead_invitation_needs_a_district() {
    assert_invalid(
        json!({"role": "district_lead", "expires_at": TOMORROW}),
        "/district_id",
    )
    .await;
}

#[tokio::test]
async fn an_invitation_must_expire_in_the_future() {
    assert_invalid(
        json!({"role": "correspondent", "school_id": "SCHOOL", "expires_at": "2021-11-01T09:59:59+08:00"}),
        "/expires_at",
    )
    .await;
}

#[tokio::test]
async fn an_invitation_is_for_at_least_one_use() {
    assert_invalid(
        json!({"role": "correspondent", "school_id": "SCHOOL", "max_uses": 0, "expires_at": TOMORROW}),
        "/max_uses",
    )
    .await;
}

#[tokio::test]
async fn an_invitation_for_a_missing_school_is_refused() {
    assert_refused(
        json!({"role": "correspondent", "school_id": 987_654, "expires_at": TOMORROW}),
        "/school_id",
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn only_the_secretariat_issues_invitations() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    assert_problem(
        app.post_as(
            "/api/v1/invitations",
            &correspondent,
            &json!({"role": "correspondent", "school_id": school_id, "expires_at": TOMORROW}),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/invitations", &correspondent).await,
        403,
        "FORBIDDEN",
    )
    .await;
}

#[tokio::test]
async fn creating_and_revoking_an_invitation_is_audited() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (inv, _) = correspondent_invitation(&app, &admin, 3).await;
    let id = inv["id"].as_i64().unwrap();
    app.clock.advance(chrono::Duration::minutes(5));
    let res = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/invitations/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Revoking twice is harmless and recorded once.
    let res = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/invitations/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let entries = app.audit_of("invitation", &id.to_string()).await;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["invitation.revoke", "invitation.create"]);
    for e in &entries {
        assert_eq!(e.actor_id, Some(admin.member_id), "{}", e.action);
        assert_eq!(e.actor_role.as_deref(), Some("secretariat"));
    }
    let (revoke, create) = (&entries[0], &entries[1]);
    assert_eq!(create.created_at, crate::helpers::default_now());
    assert_eq!(
        revoke.created_at,
        crate::helpers::default_now() + chrono::Duration::minutes(5)
    );
    let created: Value = serde_json::from_str(create.after.as_deref().unwrap()).unwrap();
    assert_eq!(created["code"], inv["code"]);
    let before: Value = serde_json::from_str(revoke.before.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(revoke.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (&before["revoked"], &after["revoked"]),
        (&json!(false), &json!(true))
    );
}

#[tokio::test]
async fn a_district_lead_invitation_grants_the_district_lead_role_for_the_district() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let district_name = body(app.get("/api/v1/districts").await).await["items"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let inv = create(
        &app,
        &admin,
        json!({"role": "district_lead", "district_id": district_id, "expires_at": TOMORROW}),
    )
    .await;
    assert_eq!(inv["max_uses"], 1, "one use by default");

    let member = fresh_member(&app).await;
    let res = redeem(&app, &member, inv["code"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        roles_of(&app, &member).await,
        json!([{
            "role": "district_lead",
            "label": "片区负责人",
            "district": {"id": district_id, "name": district_name},
        }])
    );
}
