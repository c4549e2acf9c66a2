//! Campaigns (评选活动, seed 002): created and edited by the secretariat
//! (audited), read by anyone with the server's clock and the deadline.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, seed_campaign_body, spawn_app};

#[tokio::test]
async fn the_seed_campaign_reads_with_server_time_and_the_deadline_in_china_time() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let id = app.seed_campaign(&admin).await;
    // Anyone reads a campaign, without logging in.
    let res = app.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["title"], "2021年度最美后勤人");
    assert_eq!(c["deadline"], "2021-11-04T00:00:00+08:00");
    assert_eq!(c["deadline_display"], "2021年11月3日 24:00");
    assert_eq!(c["national_deadline_display"], "2021年12月10日 24:00");
    assert_eq!(c["server_time"], "2021-11-01T10:00:00+08:00");
    assert_eq!(c["open"], true);
    assert_eq!(c["district_quota"], 1);
    assert_eq!(c["association_quota"], 2);
    let categories: Vec<(String, String)> = c["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_owned(),
                x["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            ("敬业美", "person"),
            ("匠心美", "person"),
            ("乐群美", "person"),
            ("最美服务团队", "team")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(c["exclusions"][0]["note"], "2020年度感动人物");
    assert_eq!(c["contacts"][0]["name"], "郑云泽");
    // The countdown follows the server's clock.
    app.clock.set(crate::helpers::china("2021-11-04T00:00:00"));
    let c: Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["open"], false);
    assert_eq!(c["server_time"], "2021-11-04T00:00:00+08:00");
    let list: Value = app
        .get("/api/v1/campaigns?year=2021")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], id);
    let list: Value = app
        .get("/api/v1/campaigns?year=2020")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn creating_and_editing_a_campaign_is_the_secretariats_and_audited() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let member = app.login("someone").await;
    let res = app
        .post_as("/api/v1/campaigns", &member, &seed_campaign_body())
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let id = app.seed_campaign(&admin).await;
    let audit = app.audit_of("campaign", &id.to_string()).await;
    assert_eq!(audit[0].action, "campaign.create");

    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{id}"),
            &admin,
            &json!({"deadline": "2021-11-05T00:00:00+08:00", "exclusions": [{"name": "赵往届", "unit": "西南科技大学"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["deadline_display"], "2021年11月4日 24:00");
    assert_eq!(c["exclusions"][0]["name"], "赵往届");
    assert_eq!(c["title"], "2021年度最美后勤人");
    let audit = app.audit_of("campaign", &id.to_string()).await;
    assert_eq!(audit[0].action, "campaign.update");
    assert!(
        audit[0]
            .before
            .as_deref()
            .unwrap()
            .contains("2021-11-04T00:00:00+08:00")
    );
    assert!(
        audit[0]
            .after
            .as_deref()
            .unwrap()
            .contains("2021-11-05T00:00:00+08:00")
    );
}

#[tokio::test]
async fn campaign_fields_are_validated() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let mut body = seed_campaign_body();
    body["national_deadline"] = json!("2021-11-01T00:00:00+08:00");
    body["categories"] =
        json!([{"name": "敬业美", "kind": "person"}, {"name": "敬业美", "kind": "person"}]);
    body["exclusions"] = json!([{"name": "", "unit": "四川大学"}]);
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for p in [
        "/national_deadline",
        "/categories/1/name",
        "/exclusions/0/name",
    ] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
    let mut body = seed_campaign_body();
    body["district_quota"] = json!(0);
    let res = app.post_as("/api/v1/campaigns", &admin, &body).await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["pointer"], "/district_quota");
}

#[tokio::test]
async fn a_late_grant_must_end_after_the_deadline_and_name_a_district() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let id = app.seed_campaign(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/late-grants"),
            &admin,
            &json!({"district_id": 999_999, "until": "2021-11-03T12:00:00+08:00", "reason": "补报"}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/district_id", "/until"]);
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{}/late-grants", id + 1000),
            &admin,
            &json!({"district_id": 1, "until": "2021-11-05T12:00:00+08:00", "reason": "补报"}),
        )
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn the_development_seed_adds_a_campaign_whose_deadline_lies_ahead() {
    let app = spawn_app().await;
    let now = chrono::Utc::now();
    assert!(
        association::seed::demo_campaign(&app.state.db, now)
            .await
            .unwrap()
    );
    assert!(
        !association::seed::demo_campaign(&app.state.db, now)
            .await
            .unwrap()
    );
    let list: Value = app.get("/api/v1/campaigns").await.json().await.unwrap();
    let c = &list["items"][0];
    assert!(
        c["title"].as_str().unwrap().ends_with("年度最美后勤人"),
        "{c}"
    );
    let deadline = chrono::DateTime::parse_from_rfc3339(c["deadline"].as_str().unwrap()).unwrap();
    assert!(deadline > now + chrono::Duration::days(29), "{deadline}");
    assert!(
        c["deadline_display"].as_str().unwrap().ends_with("24:00"),
        "{c}"
    );
    assert_eq!(c["categories"].as_array().unwrap().len(), 4);
}
