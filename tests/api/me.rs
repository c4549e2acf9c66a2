//! The member's own profile and phone, and the secretariat's view of members
//! and their roles.

use association::access::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, spawn_app, unique};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// A fresh member with no role (dev login names are at most 32 characters).
async fn fresh_member(app: &TestApp) -> Session {
    app.login(&unique("m")[..16]).await
}

async fn me(app: &TestApp, who: &Session) -> Value {
    let res = app.get_as("/api/v1/me", who).await;
    assert_eq!(res.status(), 200);
    body(res).await
}

/// Ids listed by `GET /members` with this query (as the secretariat).
async fn member_ids(app: &TestApp, admin: &Session, query: &str) -> Vec<i64> {
    let res = app
        .get_as(&format!("/api/v1/members?page_size=100{query}"), admin)
        .await;
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert!(page.get("next_page_token").is_none(), "{page}");
    let mut ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn me_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me").await;
    let challenge = res
        .headers()
        .get("www-authenticate")
        .expect("www-authenticate header")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert_problem(res, 401, "UNAUTHENTICATED").await;

    // A token that is not one is refused the same way.
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer")),
    );
    assert_problem(res, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn patching_me_updates_the_profile() {
    let app = spawn_app().await;
    let who = fresh_member(&app).await;
    let before = me(&app, &who).await;
    assert_eq!(before["id"], who.member_id);
    assert_eq!(before["phone"], Value::Null);
    assert_eq!(before["roles"], json!([]));

    let res = app
        .patch_as(
            "/api/v1/me",
            &who,
            &json!({
                "display_name": " 小王 ",
                "real_name": "王小明",
                "department": "后勤管理处",
                "position": "科长",
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let patched = body(res).await;
    assert_eq!(patched["display_name"], "小王", "trimmed");
    assert_eq!(patched["real_name"], "王小明");
    assert_eq!(patched["department"], "后勤管理处");
    assert_eq!(patched["position"], "科长");
    assert_eq!(me(&app, &who).await, patched, "reads back");

    // Absent fields stay; an empty string clears an optional field.
    let res = app
        .patch_as("/api/v1/me", &who, &json!({"position": ""}))
        .await;
    assert_eq!(res.status(), 200);
    let now = me(&app, &who).await;
    assert_eq!(now["position"], Value::Null);
    assert_eq!(now["display_name"], "小王");
    assert_eq!(now["real_name"], "王小明");
    assert_eq!(now["department"], "后勤管理处");
}

#[tokio::test]
async fn an_empty_display_name_is_422_pointing_at_display_name() {
    let app = spawn_app().await;
    let who = fresh_member(&app).await;
    let before = me(&app, &who).await;
    for name in ["", "   "] {
        let b = assert_problem(
            app.patch_as(
                "/api/v1/me",
                &who,
                &json!({"display_name": name, "real_name": "王小明"}),
            )
            .await,
            422,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(b["errors"][0]["pointer"], "/display_name", "{name:?}: {b}");
    }
    assert_eq!(me(&app, &who).await, before, "nothing changed");
}

#[tokio::test]
async fn a_department_over_64_characters_is_422_pointing_at_department() {
    let app = spawn_app().await;
    let who = fresh_member(&app).await;
    let b = assert_problem(
        app.patch_as("/api/v1/me", &who, &json!({"department": "后".repeat(65)}))
            .await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], "/department", "{b}");
    assert_eq!(me(&app, &who).await["department"], Value::Null);

    // 64 characters (192 bytes) are fine: the limit counts characters.
    let res = app
        .patch_as("/api/v1/me", &who, &json!({"department": "后".repeat(64)}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(&app, &who).await["department"], "后".repeat(64));
}

#[tokio::test]
async fn an_unknown_field_in_a_profile_update_is_422() {
    let app = spawn_app().await;
    let who = fresh_member(&app).await;
    let before = me(&app, &who).await;
    let b = assert_problem(
        app.patch_as(
            "/api/v1/me",
            &who,
            &json!({"display_name": "小王", "phone": "13812346978"}),
        )
        .await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert!(
        b["errors"][0]["pointer"].as_str().is_some(),
        "a pointer: {b}"
    );
    assert_eq!(me(&app, &who).await, before, "nothing changed");
}

#[tokio::test]
async fn a_bound_phone_is_whole_for_its_owner_and_masked_in_the_member_list() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let who = fresh_member(&app).await;

    let res = app
        .post_as(
            "/api/v1/me/phone",
            &who,
            &json!({"code": "dev:13812346978"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["phone"], "13812346978");
    assert_eq!(me(&app, &who).await["phone"], "13812346978");

    let list = body(app.get_as("/api/v1/members?page_size=100", &admin).await).await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == who.member_id)
        .cloned()
        .unwrap_or_else(|| panic!("member listed: {list}"));
    assert_eq!(listed["phone"], "138****6978");
    assert!(
        !list.to_string().contains("13812346978"),
        "no whole number anywhere in the list"
    );

    let res = app
        .get_as(&format!("/api/v1/members/{}", who.member_id), &admin)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["phone"], "13812346978");

    // Stored as the bare number.
    let stored = {
        use sea_orm::EntityTrait;
        association::entity::member::Entity::find_by_id(who.member_id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(stored.phone.as_deref(), Some("13812346978"));
}

#[tokio::test]
async fn only_a_mainland_mobile_number_is_bound() {
    let app = spawn_app().await;
    let who = fresh_member(&app).await;
    for bad in ["dev:12345", "dev:12812346978", "dev:1381234697x"] {
        assert_problem(
            app.post_as("/api/v1/me/phone", &who, &json!({"code": bad}))
                .await,
            422,
            "VALIDATION_FAILED",
        )
        .await;
    }
    assert_eq!(me(&app, &who).await["phone"], Value::Null, "nothing stored");

    // A bad number does not replace a good one either.
    let res = app
        .post_as(
            "/api/v1/me/phone",
            &who,
            &json!({"code": "dev:+8613812346978"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(&app, &who).await["phone"], "13812346978");
    assert_problem(
        app.post_as("/api/v1/me/phone", &who, &json!({"code": "dev:12345"}))
            .await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(me(&app, &who).await["phone"], "13812346978");
}

#[tokio::test]
async fn the_secretariat_replaces_a_members_roles_with_before_and_after_audited() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let who = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;

    let res = app
        .put_as(
            &format!("/api/v1/members/{}/roles", who.member_id),
            &admin,
            &json!({
                "roles": [
                    {"role": "district_lead", "district_id": district_id},
                    {"role": "council"},
                ],
                "reason": "换届",
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let view = body(res).await;
    let roles: Vec<&str> = view["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["district_lead", "council"], "{view}");
    assert_eq!(view["roles"][0]["district"]["id"], district_id);

    // The member sees the new roles at once, with the same token.
    let mine = me(&app, &who).await["roles"].clone();
    assert_eq!(mine, view["roles"]);

    let entries = app.audit_of("member", &who.member_id.to_string()).await;
    let e = &entries[0];
    assert_eq!(e.action, "member.roles");
    assert_eq!(e.actor_id, Some(admin.member_id));
    assert_eq!(e.reason.as_deref(), Some("换届"));
    let before: Value = serde_json::from_str(e.before.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        before,
        json!([{"role": "correspondent", "school_id": school_id, "district_id": null}])
    );
    assert_eq!(
        after,
        json!([
            {"role": "district_lead", "school_id": null, "district_id": district_id},
            {"role": "council", "school_id": null, "district_id": null},
        ])
    );
}

#[tokio::test]
async fn the_last_secretariat_cannot_remove_their_own_secretariat_role() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let path = format!("/api/v1/members/{}/roles", admin.member_id);

    assert_problem(
        app.put_as(&path, &admin, &json!({"roles": [{"role": "council"}]}))
            .await,
        409,
        "LAST_SECRETARIAT",
    )
    .await;
    // Still secretariat, roles untouched.
    assert_eq!(app.get_as("/api/v1/members", &admin).await.status(), 200);
    assert_eq!(
        me(&app, &admin).await["roles"],
        json!([{"role": "secretariat", "label": "秘书处"}])
    );

    // With another secretariat member, stepping down is allowed.
    let successor = app.secretariat().await;
    let res = app.put_as(&path, &admin, &json!({"roles": []})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(&app, &admin).await["roles"], json!([]));
    // And the one left is the last again.
    assert_problem(
        app.put_as(
            &format!("/api/v1/members/{}/roles", successor.member_id),
            &successor,
            &json!({"roles": []}),
        )
        .await,
        409,
        "LAST_SECRETARIAT",
    )
    .await;
}

#[tokio::test]
async fn members_filter_by_role() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    let lead = app
        .member_with(Role::DistrictLead, None, Some(district_id))
        .await;
    let council = app.member_with(Role::Council, None, None).await;
    let plain = fresh_member(&app).await;

    let mut all = vec![
        admin.member_id,
        correspondent.member_id,
        lead.member_id,
        council.member_id,
        plain.member_id,
    ];
    all.sort_unstable();
    assert_eq!(member_ids(&app, &admin, "").await, all);
    assert_eq!(
        member_ids(&app, &admin, "&role=correspondent").await,
        [correspondent.member_id]
    );
    assert_eq!(
        member_ids(&app, &admin, "&role=district_lead").await,
        [lead.member_id]
    );
    assert_eq!(
        member_ids(&app, &admin, "&role=council").await,
        [council.member_id]
    );
    assert_eq!(
        member_ids(&app, &admin, "&role=secretariat").await,
        [admin.member_id]
    );
    assert_eq!(
        member_ids(&app, &admin, &format!("&school_id={school_id}")).await,
        [correspondent.member_id]
    );

    // Only the secretariat lists members.
    assert_problem(app.get_as("/api/v1/members", &lead).await, 403, "FORBIDDEN").await;
    assert_problem(
        app.get_as(&format!("/api/v1/members/{}", plain.member_id), &plain)
            .await,
        403,
        "FORBIDDEN",
    )
    .await;
}

#[tokio::test]
async fn the_member_list_shows_each_members_own_roles_with_their_names() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let lead = app
        .member_with(Role::DistrictLead, None, Some(district_id))
        .await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    app.grant(
        &format!("plain-{}", lead.member_id),
        Role::Council,
        None,
        None,
    )
    .await;
    let page: serde_json::Value = app
        .get_as("/api/v1/members?page_size=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    let find = |id: i64| items.iter().find(|m| m["id"] == id).unwrap().clone();
    let l = find(lead.member_id);
    assert_eq!(l["roles"].as_array().unwrap().len(), 1);
    assert_eq!(l["roles"][0]["role"], "district_lead");
    assert_eq!(l["roles"][0]["district"]["id"], district_id);
    assert!(
        !l["roles"][0]["district"]["name"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let c = find(correspondent.member_id);
    assert_eq!(c["roles"].as_array().unwrap().len(), 1);
    assert_eq!(c["roles"][0]["school"]["id"], school_id);
    let a = find(admin.member_id);
    assert_eq!(a["roles"][0]["role"], "secretariat");
}
