//! A campaign for humans (issue 13): deadlines entered as days, the national
//! timeline (中后协〔2021〕15号 三), a `DEADLINE_PASSED` that says whom to call,
//! and what the campaign means for the district lead reading it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, china, person_form, seed_campaign_body, spawn_app};

/// The national stages of seed 002 (中后协〔2021〕15号 三).
fn national_stages() -> Value {
    json!([
        {"name": "征集申报", "when": "2021-12-10", "description": "第一阶段：完成候选人征集申报"},
        {"name": "材料审核", "when": "2022-01-20", "description": "第二阶段：完成候选人材料审核"},
        {"name": "信息确认与公示", "when": "2022-02-20"},
        {"name": "通报及事迹宣讲", "when": "2022-04", "description": "第四阶段：通报及事迹宣讲"}
    ])
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect()
}

async fn campaign_with(app: &TestApp, body: Value) -> Value {
    let admin = app.secretariat().await;
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    let status = res.status();
    let c: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{c}");
    c
}

#[tokio::test]
async fn a_date_deadline_is_the_end_of_that_china_day() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let mut body = seed_campaign_body();
    body["deadline"] = json!("2021-11-03");
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    assert_eq!(res.status(), 201);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["deadline"], "2021-11-04T00:00:00+08:00");
    assert_eq!(c["deadline_last_day"], "2021-11-03");
    let id = c["id"].as_i64().unwrap();
    let (_, lead) = app.district_with_lead(&admin).await;

    app.clock.set(china("2021-11-03T23:59:59"));
    let lead = app.refreshed(&lead).await;
    app.draft(&lead, id, "person", json!({"name": "张晓燕"}))
        .await;

    app.clock.set(china("2021-11-04T00:00:00"));
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/nominations"),
            &lead,
            &json!({"kind": "person"}),
        )
        .await;
    let problem = assert_problem(res, 409, "DEADLINE_PASSED").await;
    assert_eq!(problem["deadline"], "2021-11-04T00:00:00+08:00");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("2021年11月3日 24:00"),
        "{problem}"
    );
}

#[tokio::test]
async fn reads_show_every_deadline_as_an_instant_and_as_its_last_day() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let mut body = seed_campaign_body();
    body["national_deadline"] = json!("2021-12-10");
    let c = campaign_with(&app, body).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["deadline"], "2021-11-04T00:00:00+08:00");
    assert_eq!(c["deadline_last_day"], "2021-11-03");
    assert_eq!(c["national_deadline"], "2021-12-11T00:00:00+08:00");
    assert_eq!(c["national_deadline_last_day"], "2021-12-10");
    assert_eq!(c["national_deadline_display"], "2021年12月10日 24:00");

    // A late grant's end as a day, and as an instant in the day.
    let (district_id, _) = app.district_with_lead(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/late-grants"),
            &admin,
            &json!({"district_id": district_id, "until": "2021-11-05", "reason": "校庆顺延"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let g: Value = res.json().await.unwrap();
    assert_eq!(g["until"], "2021-11-06T00:00:00+08:00");
    assert_eq!(g["until_last_day"], "2021-11-05");
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/late-grants"),
            &admin,
            &json!({"district_id": district_id, "until": "2021-11-07T10:00:00Z", "reason": "再顺延"}),
        )
        .await;
    let g: Value = res.json().await.unwrap();
    assert_eq!(g["until"], "2021-11-07T18:00:00+08:00");
    assert_eq!(g["until_last_day"], "2021-11-07");

    // PATCH takes a day too; the read shows both forms.
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"deadline": "2021-11-04"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let c: Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["deadline"], "2021-11-05T00:00:00+08:00");
    assert_eq!(c["deadline_last_day"], "2021-11-04");
    assert_eq!(c["deadline_display"], "2021年11月4日 24:00");
    assert_eq!(c["late_grants"][0]["until_last_day"], "2021-11-05");
}

#[tokio::test]
async fn a_bad_date_is_422_at_its_field() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for (field, value, code) in [
        ("deadline", "2021-13-03", "format"),
        ("deadline", "1999-11-03", "format"),
        ("deadline", "11月3日", "format"),
        ("national_deadline", "2101-01-01", "format"),
        ("deadline", "2021-11-04T00:00:00", "format"),
    ] {
        let mut body = seed_campaign_body();
        body[field] = json!(value);
        let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
        let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
        assert_eq!(
            problem["errors"][0]["pointer"],
            format!("/{field}"),
            "{value}"
        );
        assert_eq!(problem["errors"][0]["code"], code, "{value}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        if value.starts_with("1999") || value.starts_with("2101") {
            assert!(message.contains("2000–2100"), "{message}");
        } else {
            assert!(message.contains("2021-11-03"), "{message}");
        }
    }
    let id = app.seed_campaign(&admin).await;
    let (district_id, _) = app.district_with_lead(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/late-grants"),
            &admin,
            &json!({"district_id": district_id, "until": "2021-02-30", "reason": "补报"}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/until"]);
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"stages": [{"name": "通报", "when": "2022-13"}]}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/stages/0/when"]);
}

#[tokio::test]
async fn the_timeline_shows_the_district_deadline_first_then_the_national_stages() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let mut body = seed_campaign_body();
    body["stages"] = national_stages();
    let c = campaign_with(&app, body).await;
    let id = c["id"].as_i64().unwrap();
    let c: Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let timeline = c["timeline"].as_array().unwrap();
    let names: Vec<&str> = timeline
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "片区推荐截止",
            "征集申报",
            "材料审核",
            "信息确认与公示",
            "通报及事迹宣讲"
        ]
    );
    assert_eq!(timeline[0]["kind"], "district_deadline");
    assert_eq!(timeline[0]["ends_at"], "2021-11-04T00:00:00+08:00");
    assert_eq!(timeline[0]["last_day"], "2021-11-03");
    assert_eq!(timeline[1]["kind"], "national_stage");
    assert_eq!(timeline[1]["when"], "2021-12-10");
    assert_eq!(timeline[1]["precision"], "day");
    assert_eq!(timeline[1]["ends_at"], "2021-12-11T00:00:00+08:00");
    assert_eq!(timeline[1]["display"], "2021年12月10日");
    assert_eq!(timeline[1]["description"], "第一阶段：完成候选人征集申报");
    assert_eq!(timeline[4]["when"], "2022-04");
    assert_eq!(timeline[4]["precision"], "month");
    assert_eq!(timeline[4]["ends_at"], "2022-05-01T00:00:00+08:00");
    assert_eq!(timeline[4]["last_day"], "2022-04-30");
    assert_eq!(timeline[4]["display"], "2022年4月");

    // PATCH replaces the list.
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"stages": [{"name": "通报及事迹宣讲", "when": "2022-04-15T09:00:00+08:00"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    let timeline = c["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[1]["precision"], "instant");
    assert_eq!(timeline[1]["display"], "2022年4月15日 09:00");
    // A PATCH of another field keeps them.
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"district_quota": 2}),
        )
        .await;
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["timeline"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn stages_out_of_order_before_the_deadline_or_more_than_ten_are_422_with_the_pointer() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    // Out of order: the review before the materials.
    let mut body = seed_campaign_body();
    body["stages"] = json!([
        {"name": "征集申报", "when": "2021-12-10"},
        {"name": "材料审核", "when": "2021-12-09"},
        {"name": "通报及事迹宣讲", "when": "2022-04"}
    ]);
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/stages/1/when"]);
    assert_eq!(problem["errors"][0]["code"], "order");
    // Before the district deadline (the last day of filing is 2021-11-03).
    let mut body = seed_campaign_body();
    body["stages"] = json!([{"name": "征集申报", "when": "2021-11-02"}]);
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/stages/0/when"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("片区推荐截止时间"),
        "{problem}"
    );
    // On the deadline's own day is not before it.
    let mut body = seed_campaign_body();
    body["stages"] = json!([{"name": "片区汇总", "when": "2021-11-03"}]);
    campaign_with(&app, body).await;
    // More than ten.
    let mut body = seed_campaign_body();
    body["stages"] = (0..11)
        .map(|i| json!({"name": format!("阶段{i}"), "when": "2021-12-10"}))
        .collect();
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/stages"]);
    // A deadline moved past the stored stages is the deadline's error.
    let mut body = seed_campaign_body();
    body["stages"] = national_stages();
    let id = campaign_with(&app, body).await["id"].as_i64().unwrap();
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"deadline": "2021-12-31", "national_deadline": "2021-12-31"}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/deadline"]);
    // A PATCH with stages before the stored deadline: at the stage.
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"stages": [{"name": "材料审核", "when": "2021-10"}]}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(pointers(&problem), ["/stages/0/when"]);
}

#[tokio::test]
async fn the_demo_seed_has_the_national_stages() {
    let app = spawn_app().await;
    let now = crate::helpers::default_now();
    assert!(
        association::seed::demo_campaign(&app.state.db, now)
            .await
            .unwrap()
    );
    let list: Value = app.get("/api/v1/campaigns").await.json().await.unwrap();
    let c = &list["items"][0];
    let timeline = c["timeline"].as_array().unwrap();
    let names: Vec<&str> = timeline
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "片区推荐截止",
            "征集申报",
            "材料审核",
            "信息确认与公示",
            "通报及事迹宣讲"
        ]
    );
    // As far apart as in the notice: 11月3日 → 12月10日 → 1月20日 → 2月20日 → 4月.
    // With "now" 2021-11-01 the demo's last day of filing is 2021-12-01.
    assert_eq!(c["deadline_last_day"], "2021-12-01");
    let whens: Vec<&str> = timeline[1..]
        .iter()
        .map(|e| e["when"].as_str().unwrap())
        .collect();
    assert_eq!(whens, ["2022-01-07", "2022-02-17", "2022-03-20", "2022-05"]);
    assert_eq!(c["national_deadline_last_day"], "2022-01-07");
    assert!(
        timeline[2]["description"]
            .as_str()
            .unwrap()
            .contains("材料审核"),
        "{c}"
    );
}

#[tokio::test]
async fn deadline_passed_names_the_contact_and_says_a_late_grant_is_possible() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let id = app.seed_campaign(&admin).await;
    let (_, lead) = app.district_with_lead(&admin).await;
    let nomination = app
        .draft(&lead, id, "person", json!({"name": "张晓燕"}))
        .await;
    app.clock.set(china("2021-11-04T00:00:01"));
    let lead = app.refreshed(&lead).await;
    let res = app
        .patch_form(&lead, nomination, Some("*"), json!({"name": "张晓艳"}))
        .await;
    let problem = assert_problem(res, 409, "DEADLINE_PASSED").await;
    assert_eq!(problem["contact"]["name"], "郑云泽");
    assert_eq!(problem["contact"]["phone"], "18583246978");
    let detail = problem["detail"].as_str().unwrap();
    for part in ["郑云泽", "18583246978", "如需延期", "申请", "延期填报"] {
        assert!(detail.contains(part), "{part} missing in {detail}");
    }
    // A campaign without contacts still says whom to ask.
    let mut body = seed_campaign_body();
    body["title"] = json!("2021年度最美后勤人（无联系人）");
    body["contacts"] = json!([]);
    let admin = app.refreshed(&admin).await;
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    assert_eq!(res.status(), 201);
    let bare = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{bare}/nominations"),
            &lead,
            &json!({"kind": "person"}),
        )
        .await;
    let problem = assert_problem(res, 409, "DEADLINE_PASSED").await;
    assert!(problem.get("contact").is_none(), "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("协会秘书处"),
        "{problem}"
    );
}

#[tokio::test]
async fn open_for_me_is_true_for_a_district_with_an_active_grant_and_false_for_another() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let id = app.seed_campaign(&admin).await;
    let (granted, lead_a) = app.district_with_lead(&admin).await;
    let (other, lead_b) = app.district_with_lead(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/late-grants"),
            &admin,
            &json!({"district_id": granted, "until": "2021-11-10", "reason": "校庆顺延"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let grant_id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.clock.set(china("2021-11-05T09:00:00"));
    let (lead_a, lead_b) = (app.refreshed(&lead_a).await, app.refreshed(&lead_b).await);
    let path = format!("/api/v1/campaigns/{id}");

    let a: Value = app.get_as(&path, &lead_a).await.json().await.unwrap();
    assert_eq!(a["open"], false);
    assert_eq!(a["open_for_me"], true);
    assert_eq!(a["closes_for_me"]["district_id"], granted);
    assert_eq!(a["closes_for_me"]["closes_at"], "2021-11-11T00:00:00+08:00");
    assert_eq!(a["closes_for_me"]["closes_last_day"], "2021-11-10");
    assert_eq!(a["closes_for_me"]["late_grant"]["id"], grant_id);
    assert_eq!(a["for_my_districts"][0]["district_id"], granted);
    assert_eq!(a["for_my_districts"][0]["open"], true);
    assert_eq!(
        a["for_my_districts"][0]["late_grant_until"],
        "2021-11-11T00:00:00+08:00"
    );

    let b: Value = app.get_as(&path, &lead_b).await.json().await.unwrap();
    assert_eq!(b["open_for_me"], false);
    assert_eq!(b["closes_for_me"]["district_id"], other);
    assert_eq!(b["closes_for_me"]["closes_at"], "2021-11-04T00:00:00+08:00");
    assert!(b["closes_for_me"]["late_grant"].is_null(), "{b}");
    assert_eq!(b["for_my_districts"][0]["open"], false);
    assert!(b["for_my_districts"][0]["late_grant_until"].is_null());

    // The list carries the same for the caller.
    let list: Value = app
        .get_as("/api/v1/campaigns", &lead_a)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["open_for_me"], true);

    // Anonymous: the campaign without the caller's part.
    let anon: Value = app.get(&path).await.json().await.unwrap();
    for field in [
        "open_for_me",
        "closes_for_me",
        "for_my_districts",
        "my_nominations",
    ] {
        assert!(anon.get(field).is_none(), "{field} in {anon}");
    }
    // A member who leads nothing: not open for them, no districts.
    let member = app.login("reader").await;
    let m: Value = app.get_as(&path, &member).await.json().await.unwrap();
    assert_eq!(m["open_for_me"], false);
    assert_eq!(m["for_my_districts"], json!([]));
    assert_eq!(m["my_nominations"], json!([]));
    // A bad token is 401, as everywhere.
    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn my_nominations_carry_the_checklist_of_each_nomination() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let id = app.seed_campaign(&admin).await;
    let (district_id, lead) = app.district_with_lead(&admin).await;
    let (_, other_lead) = app.district_with_lead(&admin).await;
    let nomination = app
        .draft(&lead, id, "person", person_form("张晓燕", "电子科技大学"))
        .await;
    let path = format!("/api/v1/campaigns/{id}");

    let c: Value = app.get_as(&path, &lead).await.json().await.unwrap();
    let mine = c["my_nominations"].as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], nomination);
    assert_eq!(mine[0]["district_id"], district_id);
    assert_eq!(mine[0]["kind"], "person");
    assert_eq!(mine[0]["nominee_name"], "张晓燕");
    assert_eq!(mine[0]["status"], "draft");
    assert_eq!(mine[0]["ready_to_submit"], false);
    let scan = mine[0]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "registration_scan")
        .unwrap();
    assert_eq!(scan["done"], false);
    assert!(
        scan["label"].as_str().unwrap().contains("加盖单位公章"),
        "{scan}"
    );
    // The same checklist as the nomination's own.
    let n: Value = app
        .get_as(&format!("/api/v1/nominations/{nomination}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["checklist"], n["checklist"]);

    app.upload_all(&lead, nomination, true).await;
    let c: Value = app.get_as(&path, &lead).await.json().await.unwrap();
    let mine = &c["my_nominations"][0];
    assert_eq!(mine["ready_to_submit"], true, "{mine}");
    assert!(
        mine["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["done"] == true),
        "{mine}"
    );
    // Another district's lead does not see it.
    let c: Value = app.get_as(&path, &other_lead).await.json().await.unwrap();
    assert_eq!(c["my_nominations"], json!([]));
}
