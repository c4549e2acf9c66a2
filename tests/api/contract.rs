//! What the front end's tools need from the server beyond the spec's shapes
//! (issue 11): a PATCH a mini-program can send, the CSV import as a form
//! upload, integers written as `433.0`, 405 on the import's other methods,
//! the headers every answer carries.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, unique};

#[tokio::test]
async fn wx_request_edits_with_post_and_the_method_override() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let name = unique("改名").chars().take(16).collect::<String>();
    let res = app
        .authed(
            reqwest::Method::POST,
            &format!("/api/v1/districts/{district_id}"),
            &admin,
        )
        .header("X-HTTP-Method-Override", "PATCH")
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], name.as_str());
    let list: Value = app
        .get_as("/api/v1/districts?page_size=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == district_id && d["name"] == name.as_str())
    );
}

#[tokio::test]
async fn a_method_override_other_than_post_to_patch_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for (method, value) in [
        (reqwest::Method::POST, "DELETE"),
        (reqwest::Method::POST, "PUT"),
        (reqwest::Method::PUT, "PATCH"),
        (reqwest::Method::GET, "PATCH"),
    ] {
        let res = app
            .authed(method.clone(), "/api/v1/districts", &admin)
            .header("X-HTTP-Method-Override", value)
            .json(&json!({ "name": "覆盖片区" }))
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "INVALID_PARAMETER").await;
    }
    let list: Value = app
        .get_as("/api/v1/districts?page_size=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "覆盖片区")
    );
}

#[tokio::test]
async fn the_school_import_takes_the_csv_as_a_form_upload() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let district = unique("片区").chars().take(12).collect::<String>();
    app.post_as("/api/v1/districts", &admin, &json!({ "name": district }))
        .await;
    let school = unique("学院");
    let csv = format!("学校名称,片区\r\n{school},{district}\r\n");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes())
            .file_name("schools.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let res = app
        .authed(reqwest::Method::POST, "/api/v1/schools/import", &admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["rows"][0]["status"], "created", "{report}");
    let schools: Value = app
        .get_as("/api/v1/schools?page_size=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        schools["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == school.as_str())
    );
}

#[tokio::test]
async fn a_form_upload_with_another_part_is_refused_naming_it() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let form = reqwest::multipart::Form::new()
        .text("file", "学校名称,片区\n")
        .text("note", "from wx.uploadFile");
    let res = app
        .authed(reqwest::Method::POST, "/api/v1/schools/import", &admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["pointer"], "/note");
}

#[tokio::test]
async fn a_form_upload_without_any_part_is_a_malformed_multipart() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let res = app
        .authed(reqwest::Method::POST, "/api/v1/schools/import", &admin)
        .multipart(reqwest::multipart::Form::new())
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "MALFORMED_MULTIPART").await;
}

#[tokio::test]
async fn other_methods_on_the_import_answer_405_with_allow() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for method in [
        reqwest::Method::PATCH,
        reqwest::Method::PUT,
        reqwest::Method::GET,
    ] {
        let res = app
            .authed(method.clone(), "/api/v1/schools/import", &admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers().get("allow").map(|v| v.to_str().unwrap()),
            Some("POST"),
            "{method}"
        );
        assert_problem(res, 405, "METHOD_NOT_ALLOWED").await;
    }
}

#[tokio::test]
async fn integers_written_with_a_fraction_are_integers() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let res = app
        .post_as(
            "/api/v1/schools",
            &admin,
            &json!({ "name": unique("学校"), "district_id": district_id as f64 }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let school: Value = res.json().await.unwrap();
    assert_eq!(school["district_id"], district_id, "{school}");
    // A real fraction is still not an integer.
    let res = app
        .post_as(
            "/api/v1/schools",
            &admin,
            &json!({ "name": unique("学校"), "district_id": district_id as f64 + 0.5 }),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["pointer"], "/district_id");
}

#[tokio::test]
async fn every_answer_carries_its_request_id() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/healthz", 200),
        ("/api/v1/districts", 200),
        ("/api/v1/me", 401),
        ("/api/v1/nowhere", 404),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        assert!(res.headers().contains_key("x-request-id"), "{path}");
    }
}

/// The role decides the scope a grant needs (a rule no schema states; the
/// schemathesis config names this test): a correspondent needs a school, a
/// district lead a district, the council neither — refused with a pointer,
/// and the member's roles stay as they were.
#[tokio::test]
async fn a_roles_scope_follows_the_role() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let who = app.login("范围测试").await;
    let path = format!("/api/v1/members/{}/roles", who.member_id);
    let before: Value = app
        .get_as(&format!("/api/v1/members/{}", who.member_id), &admin)
        .await
        .json()
        .await
        .unwrap();
    for (roles, pointer) in [
        (json!([{ "role": "correspondent" }]), "/roles/0/school_id"),
        (json!([{ "role": "district_lead" }]), "/roles/0/district_id"),
        (
            json!([{ "role": "council" }, { "role": "council", "school_id": school_id }]),
            "/roles/1/school_id",
        ),
        (
            json!([{ "role": "secretariat", "district_id": district_id }]),
            "/roles/0/school_id",
        ),
    ] {
        let res = app
            .put_as(&path, &admin, &json!({ "roles": roles, "reason": "测试" }))
            .await;
        let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{roles}: {problem}"
        );
        assert_eq!(problem["errors"][0]["code"], "role_scope", "{problem}");
    }
    let member: Value = app
        .get_as(&format!("/api/v1/members/{}", who.member_id), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["roles"], before["roles"], "nothing changed");
}

/// A field given twice is refused rather than one of the two kept silently
/// (integers written `433.0` are still read as integers).
#[tokio::test]
async fn a_field_given_twice_is_refused() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let res = app
        .authed(reqwest::Method::POST, "/api/v1/districts", &admin)
        .header("content-type", "application/json")
        .body(r#"{"name": "甲片区", "name": "乙片区"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "VALIDATION_FAILED").await;
    let list: Value = app
        .get_as("/api/v1/districts?page_size=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "甲片区" || d["name"] == "乙片区")
    );
}

#[tokio::test]
async fn integer_query_parameters_written_with_a_fraction_are_integers() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let res = app
        .get_as(
            &format!("/api/v1/articles?school_id={school_id}.0&year=2026.0&page_size=5.0"),
            &admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app.get_as("/api/v1/articles?school_id=1.5", &admin).await;
    assert_problem(res, 400, "INVALID_PARAMETER").await;
}

/// A 16-digit integer written with `.0` is that integer: the float is read
/// exactly (schemathesis sent `"school_id": 2028700486881773.0`, which an
/// inexact parse makes 2028700486881772.8, "not an integer").
#[tokio::test]
async fn a_large_integer_written_with_a_fraction_is_that_integer() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let res = app
        .authed(reqwest::Method::POST, "/api/v1/schools", &admin)
        .header("content-type", "application/json")
        .body(r#"{"name": "大数学校", "district_id": 2028700486881773.0}"#)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 404, "NOT_FOUND").await;
    assert_eq!(problem["errors"][0]["pointer"], "/district_id");
}
