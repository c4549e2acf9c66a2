//! Member units over time (issue 12, item 8): a school that is no longer a
//! member unit (`left_on`) is left out of the standings and the caps of the
//! credit years after it left; it still counts for the year it left in; its
//! articles stay.

use association::organisation::lookup::{member_in, member_in_year};
use chrono::NaiveDate;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::exports::{Year, year_fixture};
use crate::helpers::{assert_problem, unique};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

impl Year {
    async fn leave(&self, school_id: i64, left_on: Value) -> reqwest::Response {
        self.app
            .patch_as(
                &format!("/api/v1/schools/{school_id}"),
                &self.admin,
                &json!({ "left_on": left_on }),
            )
            .await
    }

    async fn ranked(&self, year: i32, scope: &str) -> Value {
        let res = self
            .app
            .get_as(
                &format!("/api/v1/credit-years/{year}/standings?scope={scope}&page_size=100"),
                &self.admin,
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

fn school_ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["school"]["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn a_school_counts_for_a_year_iff_it_was_a_member_on_some_day_of_it() {
    assert!(member_in(None, 2021), "never left");
    assert!(
        member_in(Some(day("2021-01-02")), 2021),
        "left during the year: still counts for it"
    );
    assert!(member_in(Some(day("2021-12-31")), 2021));
    assert!(
        !member_in(Some(day("2021-01-01")), 2021),
        "left on 1 January: not a member any day of the year"
    );
    assert!(
        !member_in(Some(day("2021-06-30")), 2022),
        "nor any later year"
    );
    assert!(member_in(Some(day("2021-01-01")), 2020));
}

#[tokio::test]
async fn a_school_that_left_is_not_ranked_nor_counted_in_the_caps_of_the_years_after_it_left() {
    let y = year_fixture().await;
    let gone = y.school(&unique("甲校")).await;
    y.articles_in(gone, "张三", 2021, 5).await;
    y.articles_in(gone, "张三", 2022, 5).await;
    let mut others = Vec::new();
    for i in 0..5 {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles_in(s, &format!("作者{i}"), 2021, 1).await;
        y.articles_in(s, &format!("作者{i}"), 2022, 1).await;
        others.push(s);
    }
    let schools = y.ranked(2021, "schools").await;
    assert_eq!(
        (schools["population"].as_i64(), schools["cap"].as_i64()),
        (Some(6), Some(1))
    );
    assert_eq!(school_ids(&schools)[0], gone);

    // It left during 2021: it still counts for 2021, not for 2022.
    let res = y.leave(gone, json!("2021-06-30")).await;
    assert_eq!(res.status(), 200);
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        (&s["active"], &s["left_on"]),
        (&json!(false), &json!("2021-06-30"))
    );
    assert_eq!(school_ids(&y.ranked(2021, "schools").await)[0], gone);
    for scope in ["schools", "individuals"] {
        let p = y.ranked(2022, scope).await;
        assert!(!school_ids(&p).contains(&gone), "{scope} of 2022: {p}");
        assert_eq!(p["population"], 5, "{scope}: the caps' population of 2022");
    }
    assert_eq!(y.ranked(2022, "schools").await["cap"], 1);

    // Left on 1 January 2021: not a member on any day of 2021.
    assert_eq!(y.leave(gone, json!("2021-01-01")).await.status(), 200);
    for scope in ["schools", "individuals"] {
        let p = y.ranked(2021, scope).await;
        assert!(!school_ids(&p).contains(&gone), "{scope} of 2021: {p}");
        assert_eq!(p["population"], 5);
        assert_eq!(p["items"][0]["rank"], 1);
        assert_eq!(p["items"].as_array().unwrap().len(), 5);
    }
    // The notice (and so the proposal built from it) follows the standings.
    let notice = y.publish().await;
    assert_eq!(notice["schools"]["population"], 5);
    assert!(!school_ids(&notice).contains(&gone));
    let res = y
        .app
        .get("/api/v1/credit-years/2021/notice?scope=individuals&page_size=100")
        .await;
    let people: Value = res.json().await.unwrap();
    assert!(!school_ids(&people).contains(&gone));

    // Its articles stay stored and readable.
    let res = y
        .app
        .get_as(
            &format!("/api/v1/articles?scope=all&school_id={gone}&page_size=100"),
            &y.admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 10, "{list}");

    // A member again: it counts for every year.
    assert_eq!(y.leave(gone, Value::Null).await.status(), 200);
    assert_eq!(school_ids(&y.ranked(2021, "schools").await)[0], gone);
    assert!(member_in_year(&y.app.state.db, gone, 2022).await.unwrap());
}

#[tokio::test]
async fn member_in_year_answers_the_membership_rule_for_a_stored_school() {
    let y = year_fixture().await;
    let s = y.school(&unique("甲校")).await;
    let db = &y.app.state.db;
    assert!(member_in_year(db, s, 2021).await.unwrap());
    assert_eq!(y.leave(s, json!("2021-01-01")).await.status(), 200);
    assert!(member_in_year(db, s, 2020).await.unwrap());
    assert!(!member_in_year(db, s, 2021).await.unwrap());
    assert_eq!(y.leave(s, json!("2021-01-02")).await.status(), 200);
    assert!(member_in_year(db, s, 2021).await.unwrap());
    assert!(!member_in_year(db, s, 2022).await.unwrap());
    assert!(
        !member_in_year(db, i64::MAX, 2021).await.unwrap(),
        "no such school"
    );
}

#[tokio::test]
async fn leaving_is_recorded_as_a_past_day_and_active_follows_it() {
    let y = year_fixture().await;
    let s = y.school(&unique("甲校")).await;
    let path = format!("/api/v1/schools/{s}");
    // The pinned now is 2021-11-01 (China time): a later day is refused.
    let res = y.leave(s, json!("2021-11-02")).await;
    let p = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(
        (&p["errors"][0]["pointer"], &p["errors"][0]["code"]),
        (&json!("/left_on"), &json!("future"))
    );
    let res = y
        .app
        .patch_as(
            &path,
            &y.admin,
            &json!({"active": true, "left_on": "2021-06-30"}),
        )
        .await;
    let p = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["pointer"], "/active");
    // `active: false` alone: it left today; an earlier day is kept.
    let v: Value = y
        .app
        .patch_as(&path, &y.admin, &json!({"active": false}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&v["active"], &v["left_on"]),
        (&json!(false), &json!("2021-11-01"))
    );
    assert_eq!(y.leave(s, json!("2021-03-01")).await.status(), 200);
    let v: Value = y
        .app
        .patch_as(
            &path,
            &y.admin,
            &json!({"active": false, "name": "甲校（已退出）"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["left_on"], "2021-03-01");
    // `active: true`: a member again.
    let v: Value = y
        .app
        .patch_as(&path, &y.admin, &json!({"active": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((&v["active"], &v["left_on"]), (&json!(true), &Value::Null));
    // Created as a school that already left.
    let res = y
        .app
        .post_as(
            "/api/v1/schools",
            &y.admin,
            &json!({"name": unique("乙校"), "district_id": v["district_id"], "left_on": "2020-09-01"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let b: Value = res.json().await.unwrap();
    assert_eq!(
        (&b["active"], &b["left_on"]),
        (&json!(false), &json!("2020-09-01"))
    );
    // The import lists member units: a listed school that had left is a member again.
    let district: Value = y.app.get("/api/v1/districts").await.json().await.unwrap();
    let district_name = district["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == v["district_id"])
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let csv = format!(
        "学校名称,片区\n{},{district_name}\n",
        b["name"].as_str().unwrap()
    );
    let res = y
        .app
        .client
        .post(y.app.url("/api/v1/schools/import"))
        .bearer_auth(&y.admin.access_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["updated"], 1, "{report}");
    let row = association::entity::school::Entity::find_by_id(b["id"].as_i64().unwrap())
        .one(&y.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.active, row.left_on), (true, None));
    // Every change is audited with before and after.
    let audit = y.app.audit_of("school", &s.to_string()).await;
    assert!(
        audit[0]
            .before
            .as_deref()
            .unwrap()
            .contains("\"left_on\":\"2021-03-01\"")
    );
    assert!(
        audit[0]
            .after
            .as_deref()
            .unwrap()
            .contains("\"left_on\":null")
    );
}
