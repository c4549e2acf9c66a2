//! Filing and reviewing nominations (seed 002, SPEC §B): the deadline, the
//! quotas, own district only, the registration form, the exclusion list,
//! ETag / If-Match, idempotency, review and forwarding.

use association::access::roles::Role;
use association::nominations::rules::{ETHNIC_GROUPS, POLITICAL_STATUSES};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, china, person_form, spawn_app, team_form};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// A campaign, a district with its lead, and a complete draft.
async fn filed(
    app: &TestApp,
) -> (
    crate::helpers::Session,
    i64,
    crate::helpers::Session,
    i64,
    i64,
) {
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (district, lead) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&lead, campaign, "张敬业").await;
    (admin, campaign, lead, district, id)
}

#[tokio::test]
async fn one_second_before_the_deadline_is_accepted() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, _district, id) = filed(&app).await;
    app.clock.set(china("2021-11-03T23:59:59"));
    let lead = app.refreshed(&lead).await;
    let res = app.submit_nomination(&lead, id).await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["submitted_at"], "2021-11-03T23:59:59+08:00");
    assert_eq!(body["closes_at_display"], "2021年11月3日 24:00");
}

#[tokio::test]
async fn the_deadline_instant_itself_is_refused_with_the_deadline_in_china_time() {
    let app = spawn_app().await;
    let (_admin, campaign, lead, _district, id) = filed(&app).await;
    let etag = app.etag_of(&lead, id).await;
    app.clock.set(china("2021-11-04T00:00:00"));
    let lead = app.refreshed(&lead).await;

    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        409,
        "DEADLINE_PASSED",
    )
    .await;
    assert_eq!(
        body["detail"],
        "推荐截止时间为2021年11月3日 24:00（北京时间），已截止。\
         如需延期，请联系协会秘书处联系人郑云泽（18583246978）申请，秘书处可批准本片区延期填报。"
    );
    assert_eq!(body["deadline"], "2021-11-04T00:00:00+08:00");
    // Creating, editing and uploading are closed too.
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead,
            &json!({"kind": "person"}),
        )
        .await;
    assert_problem(res, 409, "DEADLINE_PASSED").await;
    let res = app
        .patch_form(&lead, id, Some(&etag), json!({"age": 46}))
        .await;
    assert_problem(res, 409, "DEADLINE_PASSED").await;
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "c.pdf",
            "application/pdf",
            crate::helpers::pdf_bytes(),
        )
        .await;
    assert_problem(res, 409, "DEADLINE_PASSED").await;
    // Still a draft.
    let view = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead)
            .await,
    )
    .await;
    assert_eq!(view["status"], "draft");
}

#[tokio::test]
async fn withdrawing_after_the_deadline_is_refused_and_before_it_returns_to_draft() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, _district, id) = filed(&app).await;
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/withdraw"),
            &lead,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["status"], "draft");
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    app.clock.set(china("2021-11-04T00:00:00"));
    let lead = app.refreshed(&lead).await;
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/withdraw"),
            &lead,
            &json!({}),
        )
        .await;
    assert_problem(res, 409, "DEADLINE_PASSED").await;
}

#[tokio::test]
async fn one_nomination_per_district() {
    let app = spawn_app().await;
    let (_admin, campaign, lead, _district, first) = filed(&app).await;
    let second = app.complete_draft(&lead, campaign, "李匠心").await;
    assert_eq!(app.submit_nomination(&lead, first).await.status(), 200);
    let body = assert_problem(
        app.submit_nomination(&lead, second).await,
        409,
        "QUOTA_EXCEEDED",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("限推荐1名"),
        "{body}"
    );
    // Withdrawing the first frees the slot.
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{first}/withdraw"),
            &lead,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.submit_nomination(&lead, second).await.status(), 200);
}

#[tokio::test]
async fn a_lead_files_for_their_own_district_only() {
    let app = spawn_app().await;
    let (admin, campaign, lead_a, district_a, id) = filed(&app).await;
    let (_district_b, lead_b) = app.district_with_lead(&admin).await;

    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead_b,
            &json!({"kind": "person", "district_id": district_a}),
        )
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let etag = app.etag_of(&lead_a, id).await;
    assert_problem(
        app.patch_form(&lead_b, id, Some(&etag), json!({"age": 50}))
            .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_problem(app.submit_nomination(&lead_b, id).await, 403, "FORBIDDEN").await;
    let body = assert_problem(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead_b)
            .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert!(
        !body.to_string().contains("张敬业"),
        "no data of others: {body}"
    );
    let res = app
        .get_as(
            &format!("/api/v1/campaigns/{campaign}/nominations?district_id={district_a}"),
            &lead_b,
        )
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    // Their own list does not show the other district's nomination.
    let list = json_of(
        app.get_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead_b,
        )
        .await,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let list = json_of(
        app.get_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead_a,
        )
        .await,
    )
    .await;
    assert_eq!(list["items"][0]["id"], id);
    // The secretariat reviews but does not file.
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &admin,
            &json!({"kind": "person", "district_id": district_a}),
        )
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    assert_problem(app.submit_nomination(&admin, id).await, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn a_nominee_on_the_exclusion_list_cannot_be_submitted() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    // Same name and unit as the 2020年度感动人物 entry, white space aside.
    let id = app
        .draft(
            &lead,
            campaign,
            "person",
            person_form("李 感动", " 四川 大学"),
        )
        .await;
    app.upload_all(&lead, id, true).await;
    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        409,
        "PREVIOUSLY_HONOURED",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("2020年度感动人物"),
        "{body}"
    );
    let view = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead)
            .await,
    )
    .await;
    assert_eq!(view["status"], "draft");
}

#[tokio::test]
async fn a_stale_if_match_is_412() {
    let app = spawn_app().await;
    let (admin, _campaign, lead, district, id) = filed(&app).await;
    let other_lead = app
        .member_with(Role::DistrictLead, None, Some(district))
        .await;
    let etag = app.etag_of(&lead, id).await;
    assert_eq!(etag, format!("\"n-{id}-v1\""));
    // The other lead of the district saves first.
    let res = app
        .patch_form(&other_lead, id, Some(&etag), json!({"age": 50}))
        .await;
    assert_eq!(res.status(), 200);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    // The first lead's edit, based on the old version, is refused.
    let res = app
        .patch_form(&lead, id, Some(&etag), json!({"age": 51}))
        .await;
    assert_problem(res, 412, "PRECONDITION_FAILED").await;
    let view = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &admin)
            .await,
    )
    .await;
    assert_eq!(view["form"]["age"], 50);
    assert_eq!(view["etag"], new_etag);
}

#[tokio::test]
async fn a_missing_if_match_is_428() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, _district, id) = filed(&app).await;
    let res = app.patch_form(&lead, id, None, json!({"age": 50})).await;
    assert_problem(res, 428, "PRECONDITION_REQUIRED").await;
}

#[tokio::test]
async fn an_edit_merges_into_the_draft_and_null_clears_a_field() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app
        .draft(&lead, campaign, "person", json!({"name": "王乐群"}))
        .await;
    let etag = app.etag_of(&lead, id).await;
    let res = app
        .patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"gender": "男", "phone": "+86 13812346978".replace(' ', ""), "name": null}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["form"]["gender"], "男");
    assert_eq!(body["form"]["phone"], "13812346978");
    assert!(body["form"]["name"].is_null(), "{body}");
    assert_eq!(body["version"], 2);
}

#[tokio::test]
async fn the_registration_form_is_validated_field_by_field() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app.draft(&lead, campaign, "person", json!({})).await;
    let etag = app.etag_of(&lead, id).await;
    let bad = json!({
        "name": "王",
        "gender": "未知",
        "ethnicity": "汉",
        "age": 17,
        "political_status": "党员",
        "phone": "12345",
        "email": "not-an-email",
        "postcode": "61006",
        "category": "最美服务团队",
        "story": "长".repeat(3001),
        "honours": [{"title": "先进个人", "awarded_by": "某协会", "date": "2020-13-01", "level": "区级"}],
        "member_count": 10
    });
    let mut with_good = bad.clone();
    with_good["unit"] = json!("四川大学");
    with_good["department"] = json!("后勤保障处");
    let res = app.patch_form(&lead, id, Some(&etag), with_good).await;
    // A draft saves what is right and answers the rest as warnings.
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["form"]["unit"], "四川大学");
    assert_eq!(body["form"]["department"], "后勤保障处");
    assert!(body["form"]["name"].is_null(), "{}", body["form"]);
    assert!(body["form"]["age"].is_null());
    let pointers: Vec<&str> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for p in [
        "/form/name",
        "/form/gender",
        "/form/ethnicity",
        "/form/age",
        "/form/political_status",
        "/form/phone",
        "/form/email",
        "/form/postcode",
        "/form/category",
        "/form/story",
        "/form/honours/0/date",
        "/form/honours/0/level",
        "/form/member_count",
    ] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
    assert!(!pointers.contains(&"/form/unit"), "{pointers:?}");
    assert!(
        body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty()))
    );
    // The same rules, strictly, on the saved form when submitting: the
    // fields left empty are missing.
    let etag = app.etag_of(&lead, id).await;
    // An age typed as words is a warning at its own field; the phone typed
    // with it is saved.
    let res = app
        .patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"age": "forty", "phone": "138 1234 6978"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["warnings"][0]["pointer"], "/form/age");
    assert_eq!(body["warnings"][0]["code"], "integer");
    assert_eq!(body["form"]["phone"], "13812346978");
    // A field of another JSON type, or one the form does not have, refuses
    // the whole edit, each at its pointer, and nothing is saved.
    let etag = app.etag_of(&lead, id).await;
    let res = app
        .patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"age": true, "honours": "省级先进", "nickname": "小王", "email": "a@example.com"}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/form/age", "/form/honours", "/form/nickname"],
        "{body}"
    );
    let view = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead)
            .await,
    )
    .await;
    assert_eq!(view["version"], 3);
    assert!(view["form"]["email"].is_null());
}

#[tokio::test]
async fn a_future_honour_and_an_age_of_seventy_one_are_refused_while_seventy_is_accepted() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app.draft(&lead, campaign, "person", json!({})).await;
    let etag = app.etag_of(&lead, id).await;
    let res = app
        .patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"age": 71, "honours": [{"title": "先进个人", "awarded_by": "某协会", "date": "2021-11-02", "level": "校级"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert!(body["form"]["age"].is_null());
    assert!(body["form"]["honours"].is_null());
    let codes: Vec<(String, String)> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        codes.contains(&("/form/age".into(), "range".into())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("/form/honours/0/date".into(), "future".into())),
        "{codes:?}"
    );
    let etag = app.etag_of(&lead, id).await;
    let res = app
        .patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"age": 70, "ethnicity": "藏族", "political_status": "九三学社社员"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["warnings"], json!([]));
    assert_eq!(body["form"]["age"], 70);
}

#[tokio::test]
async fn submitting_an_incomplete_form_lists_every_missing_field_and_attachment() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let mut form = person_form("赵完整", "西南交通大学");
    form["story"] = json!("太短的事迹");
    form["consent"] = json!(false);
    form.as_object_mut().unwrap().remove("ethnicity");
    let id = app.draft(&lead, campaign, "person", form).await;
    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for p in [
        "/form/ethnicity",
        "/form/story",
        "/form/consent",
        "/attachments/photo",
        "/attachments/certificate",
        "/attachments/registration_scan",
    ] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
    assert!(!pointers.contains(&"/form/name"), "{pointers:?}");
}

#[tokio::test]
async fn a_team_gives_team_name_unit_contact_and_member_count() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    // Person fields and a person's category are not saved on a team.
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead,
            &json!({"kind": "team", "form": {"gender": "男", "category": "敬业美", "member_count": 1, "team_name": "宿管团队"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body = json_of(res).await;
    assert_eq!(body["form"]["team_name"], "宿管团队");
    assert!(body["form"]["gender"].is_null());
    let pointers: Vec<&str> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/form/gender"), "{pointers:?}");
    assert!(pointers.contains(&"/form/category"), "{pointers:?}");
    assert!(pointers.contains(&"/form/member_count"), "{pointers:?}");
    // A complete team needs no photo.
    let id = app
        .draft(
            &lead,
            campaign,
            "team",
            team_form("饮食服务中心团队", "西南交通大学"),
        )
        .await;
    app.upload_all(&lead, id, false).await;
    let res = app.submit_nomination(&lead, id).await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["kind"], "team");
    assert_eq!(body["media_honoured"], true);
}

#[test]
fn the_56_ethnic_groups_and_the_political_statuses_are_fixed_lists() {
    assert_eq!(ETHNIC_GROUPS.len(), 56);
    let unique: std::collections::BTreeSet<_> = ETHNIC_GROUPS.iter().collect();
    assert_eq!(unique.len(), 56);
    for e in ["汉族", "彝族", "藏族", "羌族", "基诺族"] {
        assert!(ETHNIC_GROUPS.contains(&e), "{e}");
    }
    assert_eq!(POLITICAL_STATUSES.len(), 13);
    assert!(POLITICAL_STATUSES.contains(&"群众"));
}

#[tokio::test]
async fn create_and_submit_honour_the_idempotency_key() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let create = || {
        app.authed(
            reqwest::Method::POST,
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead,
        )
        .header("idempotency-key", "create-1")
        .json(&json!({"kind": "person", "form": person_form("孙重试", "西华大学")}))
    };
    let first = create().send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().contains_key("etag"));
    let first = json_of(first).await;
    let again = create().send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again).await["id"], first["id"]);
    let list = json_of(
        app.get_as(&format!("/api/v1/campaigns/{campaign}/nominations"), &lead)
            .await,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let id = first["id"].as_i64().unwrap();
    app.upload_all(&lead, id, true).await;
    let submit = || {
        app.authed(
            reqwest::Method::POST,
            &format!("/api/v1/nominations/{id}/submit"),
            &lead,
        )
        .header("idempotency-key", "submit-1")
    };
    let a = submit().send().await.unwrap();
    assert_eq!(a.status(), 200);
    let b = submit().send().await.unwrap();
    assert_eq!(b.status(), 200, "a retry answers the first result, not 409");
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(b).await["status"], "submitted");
}

#[tokio::test]
async fn two_leads_racing_for_the_last_quota_slot_exactly_one_wins() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (district, lead_a) = app.district_with_lead(&admin).await;
    let lead_b = app
        .member_with(Role::DistrictLead, None, Some(district))
        .await;
    let a = app.complete_draft(&lead_a, campaign, "甲候选").await;
    let b = app.complete_draft(&lead_b, campaign, "乙候选").await;
    for round in 0..3 {
        let (ra, rb) = tokio::join!(
            app.submit_nomination(&lead_a, a),
            app.submit_nomination(&lead_b, b)
        );
        let statuses = [ra.status().as_u16(), rb.status().as_u16()];
        let mut sorted = statuses;
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 409], "round {round}: {statuses:?}");
        let (winner, loser_res) = if statuses[0] == 200 { (a, rb) } else { (b, ra) };
        assert_problem(loser_res, 409, "QUOTA_EXCEEDED").await;
        let list = json_of(
            app.get_as(
                &format!("/api/v1/campaigns/{campaign}/nominations?status=submitted"),
                &admin,
            )
            .await,
        )
        .await;
        let ids: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![winner], "round {round}");
        let lead_of_winner = if winner == a { &lead_a } else { &lead_b };
        let res = app
            .post_as(
                &format!("/api/v1/nominations/{winner}/withdraw"),
                lead_of_winner,
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test]
async fn a_late_filing_grant_lets_one_district_file_after_the_deadline() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (district_a, lead_a) = app.district_with_lead(&admin).await;
    let (_district_b, lead_b) = app.district_with_lead(&admin).await;
    let a = app.complete_draft(&lead_a, campaign, "周延期").await;
    let b = app.complete_draft(&lead_b, campaign, "吴未延").await;
    app.clock.set(china("2021-11-04T09:00:00"));
    let (admin, lead_a, lead_b) = (
        app.refreshed(&admin).await,
        app.refreshed(&lead_a).await,
        app.refreshed(&lead_b).await,
    );
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/late-grants"),
            &admin,
            &json!({"district_id": district_a, "until": "2021-11-05T18:00:00+08:00", "reason": "片区负责人出差，补报"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let grant = json_of(res).await;
    assert_eq!(grant["until_display"], "2021年11月5日 18:00");
    let audit = app.audit_of("campaign", &campaign.to_string()).await;
    assert_eq!(audit[0].action, "campaign.late_grant");
    assert_eq!(audit[0].reason.as_deref(), Some("片区负责人出差，补报"));
    let read = json_of(app.get(&format!("/api/v1/campaigns/{campaign}")).await).await;
    assert_eq!(read["late_grants"][0]["district_id"], district_a);

    assert_eq!(app.submit_nomination(&lead_a, a).await.status(), 200);
    assert_problem(
        app.submit_nomination(&lead_b, b).await,
        409,
        "DEADLINE_PASSED",
    )
    .await;
    // The grant ends at its instant.
    app.clock.set(china("2021-11-05T18:00:00"));
    let lead_a = app.refreshed(&lead_a).await;
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{a}/withdraw"),
            &lead_a,
            &json!({}),
        )
        .await;
    let body = assert_problem(res, 409, "DEADLINE_PASSED").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("2021年11月5日 18:00"),
        "{body}"
    );
}

#[tokio::test]
async fn media_honoured_nominees_come_first_and_lists_mask_phones_and_hide_ethnicity() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d1, lead1) = app.district_with_lead(&admin).await;
    let (_d2, lead2) = app.district_with_lead(&admin).await;
    let plain = app
        .draft(
            &lead1,
            campaign,
            "person",
            person_form("陈普通", "四川师范大学"),
        )
        .await;
    let mut form = person_form("林媒体", "成都理工大学");
    form["honours"] = json!([{"title": "感动校园人物", "awarded_by": "四川日报", "date": "2021-03-01", "level": "媒体"}]);
    let media = app.draft(&lead2, campaign, "person", form).await;
    let list = json_of(
        app.get_as(&format!("/api/v1/campaigns/{campaign}/nominations"), &admin)
            .await,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], media);
    assert_eq!(items[1]["id"], plain);
    assert_eq!(items[0]["phone"], "138****6978");
    let text = list.to_string();
    assert!(
        !text.contains("13812346978") && !text.contains("彝族") && !text.contains("中共党员"),
        "{text}"
    );
    // Pages follow the same order.
    let page = json_of(
        app.get_as(
            &format!("/api/v1/campaigns/{campaign}/nominations?page_size=1"),
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!(page["items"][0]["id"], media);
    let token = page["next_page_token"].as_str().unwrap();
    let next = json_of(
        app.get_as(
            &format!("/api/v1/campaigns/{campaign}/nominations?page_size=1&page_token={token}"),
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!(next["items"][0]["id"], plain);
    assert!(next["next_page_token"].is_null());
    // The full read (lead and secretariat only) has the whole phone.
    let full = json_of(
        app.get_as(&format!("/api/v1/nominations/{plain}"), &admin)
            .await,
    )
    .await;
    assert_eq!(full["form"]["phone"], "13812346978");
    // Council and correspondents do not read nominations.
    let council = app.member_with(Role::Council, None, None).await;
    assert_problem(
        app.get_as(&format!("/api/v1/nominations/{plain}"), &council)
            .await,
        403,
        "FORBIDDEN",
    )
    .await;
}

#[tokio::test]
async fn reject_and_disqualify_need_a_reason_and_disqualification_is_final() {
    let app = spawn_app().await;
    let (admin, _campaign, lead, _district, id) = filed(&app).await;
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/review"),
            &admin,
            &json!({"decision": "shortlist"}),
        )
        .await;
    assert_problem(res, 409, "CONFLICT").await; // a draft is not reviewed
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/review"),
            &admin,
            &json!({"decision": "reject"}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/reason");
    app.review_nomination(&admin, id, "reject", Some("事迹不够突出"))
        .await;
    // Changing the rejection is an explicit revision (`revises`, with a reason).
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/review"),
            &admin,
            &json!({"decision": "disqualify", "revises": "rejected", "reason": "证书弄虚作假"}),
        )
        .await;
    assert_eq!(res.status(), 200, "review: {}", res.text().await.unwrap());
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/review"),
            &admin,
            &json!({"decision": "shortlist"}),
        )
        .await;
    assert_problem(res, 409, "CONFLICT").await;
    let view = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead)
            .await,
    )
    .await;
    assert_eq!(view["status"], "disqualified");
    assert_eq!(view["review_reason"], "证书弄虚作假");
    let audit = app.audit_of("nomination", &id.to_string()).await;
    assert_eq!(audit[0].action, "nomination.review");
    assert_eq!(audit[0].reason.as_deref(), Some("证书弄虚作假"));
    assert!(audit[0].before.as_deref().unwrap().contains("rejected"));
    // A reviewed nomination cannot be withdrawn by the district.
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/withdraw"),
            &lead,
            &json!({}),
        )
        .await;
    assert_problem(res, 409, "CONFLICT").await;
}

/// Three districts submit; the secretariat shortlists all three.
async fn three_shortlisted(
    app: &TestApp,
) -> (
    crate::helpers::Session,
    i64,
    Vec<(i64, crate::helpers::Session)>,
) {
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let mut out = Vec::new();
    for name in ["一号候选", "二号候选", "三号候选"] {
        let (_d, lead) = app.district_with_lead(&admin).await;
        let id = app.complete_draft(&lead, campaign, name).await;
        assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
        app.review_nomination(&admin, id, "shortlist", None).await;
        out.push((id, lead));
    }
    (admin, campaign, out)
}

#[tokio::test]
async fn forward_at_most_two() {
    let app = spawn_app().await;
    let (admin, campaign, noms) = three_shortlisted(&app).await;
    let ids: Vec<i64> = noms.iter().map(|(id, _)| *id).collect();
    let path = format!("/api/v1/campaigns/{campaign}/forward");
    let res = app
        .post_as(&path, &admin, &json!({"nomination_ids": ids}))
        .await;
    assert_problem(res, 409, "QUOTA_EXCEEDED").await;
    let res = app
        .post_as(&path, &admin, &json!({"nomination_ids": [ids[0], ids[1]]}))
        .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["forwarded_count"], 2);
    assert_eq!(body["forwarded"].as_array().unwrap().len(), 2);
    let res = app
        .post_as(&path, &admin, &json!({"nomination_ids": [ids[2]]}))
        .await;
    assert_problem(res, 409, "QUOTA_EXCEEDED").await;
    // Forwarding again what is forwarded changes nothing.
    let res = app
        .post_as(&path, &admin, &json!({"nomination_ids": [ids[0]]}))
        .await;
    assert_eq!(res.status(), 200);
    let read = json_of(app.get(&format!("/api/v1/campaigns/{campaign}")).await).await;
    assert_eq!(read["forwarded_count"], 2);
    let third = json_of(
        app.get_as(&format!("/api/v1/nominations/{}", ids[2]), &admin)
            .await,
    )
    .await;
    assert_eq!(third["status"], "shortlisted");
    let audit = app.audit_of("nomination", &ids[0].to_string()).await;
    assert_eq!(audit[0].action, "nomination.forward");
}

#[tokio::test]
async fn only_shortlisted_nominations_are_forwarded() {
    let app = spawn_app().await;
    let (admin, campaign, lead, _district, id) = filed(&app).await;
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [id]}),
        )
        .await;
    assert_problem(res, 409, "CONFLICT").await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [id + 1000]}),
        )
        .await;
    let body = assert_problem(res, 404, "NOT_FOUND").await;
    assert_eq!(body["errors"][0]["pointer"], "/nomination_ids/0");
}

#[tokio::test]
async fn forwarding_requires_consent() {
    let app = spawn_app().await;
    let (admin, campaign, noms) = three_shortlisted(&app).await;
    let (id, lead) = &noms[0];
    // The nominee withdraws consent (possible at any stage, PIPL).
    let etag = app.etag_of(lead, *id).await;
    let res = app
        .patch_form(lead, *id, Some(&etag), json!({"consent": false}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [id, noms[1].0]}),
        )
        .await;
    let body = assert_problem(res, 409, "CONSENT_REQUIRED").await;
    assert!(
        body["detail"].as_str().unwrap().contains("一号候选"),
        "{body}"
    );
    // Nothing was forwarded.
    let read = json_of(app.get(&format!("/api/v1/campaigns/{campaign}")).await).await;
    assert_eq!(read["forwarded_count"], 0);
    let other = json_of(
        app.get_as(&format!("/api/v1/nominations/{}", noms[1].0), &admin)
            .await,
    )
    .await;
    assert_eq!(other["status"], "shortlisted");
}

/// 附件二 特别说明三 "附两份最高荣誉证书扫描件": two certificate scans, or one
/// per honour the form lists when it lists fewer than two.
#[tokio::test]
async fn a_nomination_listing_two_honours_needs_two_certificate_scans() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let mut form = person_form("钱两证", "西南财经大学");
    form["honours"] = json!([
        {"title": "四川省教育后勤先进个人", "awarded_by": "四川省高校后勤协会", "date": "2020-12-18", "level": "省级"},
        {"title": "成都市劳动模范", "awarded_by": "成都市人民政府", "date": "2019-04-30", "level": "市级"}
    ]);
    let id = app.draft(&lead, campaign, "person", form).await;
    app.upload_all(&lead, id, true).await;
    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    let certificate = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["pointer"] == "/attachments/certificate")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(certificate["code"], "count");
    assert!(
        certificate["message"]
            .as_str()
            .unwrap()
            .contains("还差 1 份")
    );
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "证书二.pdf",
            "application/pdf",
            crate::helpers::pdf_bytes(),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
}

/// 附件二 特别说明三, the other half of the reading: a form that lists fewer
/// than two honours (here one) needs as many certificate scans as it lists.
#[tokio::test]
async fn a_nomination_listing_one_honour_needs_one_certificate_scan() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let form = person_form("孙一证", "西华大学");
    assert_eq!(form["honours"].as_array().unwrap().len(), 1);
    let id = app.draft(&lead, campaign, "person", form).await;
    for (kind, name, bytes) in [
        (
            "photo",
            "照片.png",
            crate::helpers::image_bytes(image::ImageFormat::Png),
        ),
        (
            "registration_scan",
            "报名表.pdf",
            crate::helpers::pdf_bytes(),
        ),
    ] {
        let res = app
            .upload(&lead, id, kind, name, "application/octet-stream", bytes)
            .await;
        assert_eq!(res.status(), 201);
    }
    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["pointer"], "/attachments/certificate");
    assert_eq!(errors[0]["code"], "required");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("须附 1 份"),
        "{body}"
    );
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "证书.pdf",
            "application/pdf",
            crate::helpers::pdf_bytes(),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
}
