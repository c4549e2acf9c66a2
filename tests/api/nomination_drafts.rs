//! Issue 13: nominations as seed 002 says them, for a district lead on a
//! phone — frontline staff, drafts that save, early warnings and the
//! checklist, consent given again, the draft limit, the disqualified
//! nominee's slot.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, china, person_form, spawn_app, spawn_app_with};

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn pointers(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect()
}

fn step<'a>(view: &'a Value, key: &str) -> &'a Value {
    view["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no step {key} in {}", view["checklist"]))
}

#[tokio::test]
async fn nominees_mainly_from_frontline_staff_the_form_says_so_and_the_secretariat_filters_it() {
    // 二(二) "被推荐对象主要来自学校后勤管理服务一线的员工和团队".
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let mut form = person_form("一线甲", "四川大学");
    form.as_object_mut().unwrap().remove("frontline");
    form.as_object_mut().unwrap().remove("frontline_post");
    let id = app.draft(&lead, campaign, "person", form).await;
    app.upload_all(&lead, id, true).await;
    // Required to submit.
    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(pointers(&body["errors"]), ["/form/frontline"]);
    // Frontline staff name their post.
    let etag = app.etag_of(&lead, id).await;
    let view = json_of(
        app.patch_form(&lead, id, Some(&etag), json!({"frontline": true}))
            .await,
    )
    .await;
    assert_eq!(pointers(&view["problems"]), ["/form/frontline_post"]);
    assert_eq!(step(&view, "frontline")["done"], false);
    let etag = app.etag_of(&lead, id).await;
    let view = json_of(
        app.patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"frontline_post": " 学生公寓管理员 "}),
        )
        .await,
    )
    .await;
    assert_eq!(view["form"]["frontline_post"], "学生公寓管理员");
    assert_eq!(view["ready_to_submit"], true);
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    // "主要": not only — a nominee who is not frontline staff may be filed.
    let (_d2, lead2) = app.district_with_lead(&admin).await;
    let mut form = person_form("管理乙", "西南交通大学");
    form["frontline"] = json!(false);
    form.as_object_mut().unwrap().remove("frontline_post");
    let other = app.draft(&lead2, campaign, "person", form).await;
    app.upload_all(&lead2, other, true).await;
    assert_eq!(app.submit_nomination(&lead2, other).await.status(), 200);
    // The secretariat sees and filters it.
    let list = |q: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            json_of(
                app.get_as(
                    &format!("/api/v1/campaigns/{campaign}/nominations{q}"),
                    admin,
                )
                .await,
            )
            .await
        }
    };
    let frontline = list("?frontline=true").await;
    let items = frontline["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["frontline"], true);
    assert_eq!(items[0]["frontline_post"], "学生公寓管理员");
    let not = list("?frontline=false").await;
    assert_eq!(not["items"][0]["id"], other);
    assert_eq!(not["items"][0]["frontline"], false);
    assert_eq!(list("").await["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_draft_saved_in_several_sittings_keeps_every_good_field() {
    // "请申报人认真填写真实有效的……报名信息": a mistyped field is answered,
    // the fields typed with it are kept.
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead,
            &json!({"kind": "person", "form": {
                "name": "张晓燕", "age": "45", "phone": "138 1234 6978",
                "email": "zhang@", "postcode": "61006"
            }}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let view = json_of(res).await;
    assert_eq!(view["form"]["name"], "张晓燕");
    assert_eq!(view["form"]["age"], 45);
    assert_eq!(view["form"]["phone"], "13812346978");
    assert!(view["form"]["email"].is_null());
    assert_eq!(
        pointers(&view["warnings"]),
        ["/form/email", "/form/postcode"]
    );
    let id = view["id"].as_i64().unwrap();
    // Second sitting: the dashes of a landline habit, the corrected fields.
    let etag = app.etag_of(&lead, id).await;
    let view = json_of(
        app.patch_form(
            &lead,
            id,
            Some(&etag),
            json!({"phone": "138-1234-6979", "email": "zhang@scu.edu.cn", "postcode": "610065", "age": "4五"}),
        )
        .await,
    )
    .await;
    assert_eq!(view["form"]["phone"], "13812346979");
    assert_eq!(view["form"]["email"], "zhang@scu.edu.cn");
    assert_eq!(view["form"]["postcode"], "610065");
    assert_eq!(view["form"]["age"], 45, "the earlier age is kept");
    assert_eq!(pointers(&view["warnings"]), ["/form/age"]);
    // A read answers no warnings (they belong to the save), and the saved
    // form is what the next sitting finds.
    let read = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead)
            .await,
    )
    .await;
    assert_eq!(read["warnings"], json!([]));
    assert_eq!(read["form"], view["form"]);
    // Submit stays strict: what is still missing is listed.
    let body = assert_problem(
        app.submit_nomination(&lead, id).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    let missing = pointers(&body["errors"]);
    assert!(missing.contains(&"/form/gender".to_owned()), "{missing:?}");
    assert!(!missing.contains(&"/form/email".to_owned()), "{missing:?}");
    assert_eq!(pointers(&read["problems"]), missing);
}

#[tokio::test]
async fn the_lead_learns_at_every_save_what_submitting_needs_stamped_scan_included() {
    // 附件二 特别说明三 "《报名表》需加盖单位公章，并附两份最高荣誉证书扫描件" and
    // 特别说明五, the exclusion list — told at every save, not at the last minute.
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/nominations"),
            &lead,
            &json!({"kind": "person", "form": person_form("李感动", "四川大学")}),
        )
        .await;
    let view = json_of(res).await;
    let id = view["id"].as_i64().unwrap();
    // On the exclusion list: a warning at once, and a problem until fixed.
    assert_eq!(view["warnings"][0]["pointer"], "/form/name");
    assert_eq!(view["warnings"][0]["code"], "previously_honoured");
    assert_eq!(step(&view, "not_previously_honoured")["done"], false);
    assert_eq!(step(&view, "form")["done"], true);
    let scan = step(&view, "registration_scan");
    assert_eq!(scan["done"], false);
    assert!(
        scan["label"].as_str().unwrap().contains("盖单位公章"),
        "{scan}"
    );
    assert_eq!(scan["pointers"], json!(["/attachments/registration_scan"]));
    assert_eq!(view["ready_to_submit"], false);
    // Another nominee: the warning goes; the files are still to come.
    let etag = app.etag_of(&lead, id).await;
    let view = json_of(
        app.patch_form(&lead, id, Some(&etag), json!({"name": "王一线"}))
            .await,
    )
    .await;
    assert_eq!(view["warnings"], json!([]));
    assert_eq!(step(&view, "not_previously_honoured")["done"], true);
    assert_eq!(
        pointers(&view["problems"]),
        [
            "/attachments/certificate",
            "/attachments/photo",
            "/attachments/registration_scan"
        ]
    );
    app.upload_all(&lead, id, true).await;
    let read = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &lead)
            .await,
    )
    .await;
    assert_eq!(read["problems"], json!([]));
    assert!(
        read["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["done"] == true)
    );
    assert_eq!(read["ready_to_submit"], true);
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
}

#[tokio::test]
async fn consent_withdrawn_may_be_given_again_and_both_are_recorded() {
    // SPEC §B.8 consent, PIPL: withdrawn at any time, and given again.
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&lead, campaign, "赵同意").await;
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    app.review_nomination(&admin, id, "shortlist", None).await;
    // After the deadline, on a shortlisted nomination.
    app.clock.set(china("2021-11-20T10:00:00"));
    let lead = app.refreshed(&lead).await;
    let admin = app.refreshed(&admin).await;
    let etag = app.etag_of(&lead, id).await;
    let view = json_of(
        app.patch_form(&lead, id, Some(&etag), json!({"consent": false}))
            .await,
    )
    .await;
    assert_eq!(view["form"]["consent"], false);
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [id]}),
        )
        .await;
    assert_problem(res, 409, "CONSENT_REQUIRED").await;
    let etag = app.etag_of(&lead, id).await;
    let view = json_of(
        app.patch_form(&lead, id, Some(&etag), json!({"consent": true}))
            .await,
    )
    .await;
    assert_eq!(view["form"]["consent"], true);
    assert_eq!(view["status"], "shortlisted");
    let audit = app.audit_of("nomination", &id.to_string()).await;
    let consent: Vec<&str> = audit
        .iter()
        .filter(|e| e.action.starts_with("nomination.consent_"))
        .map(|e| e.action.as_str())
        .collect();
    // Newest first: given again, withdrawn, given with the form.
    assert_eq!(
        consent,
        [
            "nomination.consent_given",
            "nomination.consent_withdrawn",
            "nomination.consent_given"
        ]
    );
    assert_eq!(audit[0].actor_id, Some(lead.member_id));
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [id]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Anything else than consent stays closed after the deadline.
    let etag = app.etag_of(&lead, id).await;
    let res = app
        .patch_form(&lead, id, Some(&etag), json!({"consent": true, "age": 50}))
        .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn at_most_three_open_drafts_per_district_and_a_draft_may_be_deleted() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.draft(&lead, campaign, "person", json!({})).await);
    }
    let path = format!("/api/v1/campaigns/{campaign}/nominations");
    let res = app.post_as(&path, &lead, &json!({"kind": "team"})).await;
    let body = assert_problem(res, 409, "DRAFT_LIMIT").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("#{}", ids[0])),
        "{body}"
    );
    // Another district is not affected.
    let (_d2, other) = app.district_with_lead(&admin).await;
    app.draft(&other, campaign, "person", json!({})).await;
    // Deleting one makes room; a deleted draft is gone with its files.
    let res = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/nominations/{}", ids[0]),
            &lead,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .get_as(&format!("/api/v1/nominations/{}", ids[0]), &lead)
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
    assert_eq!(
        app.audit_of("nomination", &ids[0].to_string()).await[0].action,
        "nomination.delete"
    );
    assert_eq!(
        app.post_as(&path, &lead, &json!({"kind": "team"}))
            .await
            .status(),
        201
    );
    // A submitted nomination is not a draft: it cannot be deleted.
    let (_d3, third) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&third, campaign, "钱已交").await;
    assert_eq!(app.submit_nomination(&third, id).await.status(), 200);
    let res = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/nominations/{id}"),
            &third,
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "CONFLICT").await;
}

#[tokio::test]
async fn the_draft_limit_is_configurable_and_holds_when_two_phones_create_at_once() {
    let app = spawn_app_with(|env| {
        env.insert("NOMINATION_DRAFT_LIMIT".into(), "1".into());
    })
    .await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let path = format!("/api/v1/campaigns/{campaign}/nominations");
    let body = json!({"kind": "person", "form": {"name": "并发甲"}});
    let (a, b) = tokio::join!(
        app.post_as(&path, &lead, &body),
        app.post_as(&path, &lead, &body)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let list = json_of(app.get_as(&path, &lead).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_disqualified_nominee_frees_the_districts_slot_a_rejected_one_does_not() {
    // "对推荐过程中弄虚作假……一经查实，取消参与资格": the nominee loses the
    // right to take part, the district keeps its "推荐1名" (README).
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let fraud = app.complete_draft(&lead, campaign, "孙造假").await;
    assert_eq!(app.submit_nomination(&lead, fraud).await.status(), 200);
    let replacement = app.complete_draft(&lead, campaign, "周诚实").await;
    assert_problem(
        app.submit_nomination(&lead, replacement).await,
        409,
        "QUOTA_EXCEEDED",
    )
    .await;
    app.review_nomination(&admin, fraud, "disqualify", Some("证书系伪造"))
        .await;
    assert_eq!(
        app.submit_nomination(&lead, replacement).await.status(),
        200
    );
    // A rejection is the review's answer: the slot stays taken.
    let (_d2, lead2) = app.district_with_lead(&admin).await;
    let first = app.complete_draft(&lead2, campaign, "吴落选").await;
    assert_eq!(app.submit_nomination(&lead2, first).await.status(), 200);
    app.review_nomination(&admin, first, "reject", Some("事迹不够突出"))
        .await;
    let second = app.complete_draft(&lead2, campaign, "郑再报").await;
    assert_problem(
        app.submit_nomination(&lead2, second).await,
        409,
        "QUOTA_EXCEEDED",
    )
    .await;
}
