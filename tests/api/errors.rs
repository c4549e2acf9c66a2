use actix_web::ResponseError;
use association::platform::error::{ApiError, ErrorCode};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/no-such-thing").await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn wrong_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(app.url("/api/v1/server-info"))
        .send()
        .await
        .unwrap();
    let allow = res.headers()["allow"].to_str().unwrap().to_owned();
    assert_eq!(allow, "GET, HEAD");
    assert_problem(res, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn internal_error_carries_nothing_internal() {
    let err = ApiError::internal(anyhow::anyhow!(
        "SELECT password FROM secrets: connection refused"
    ));
    let res = err.error_response();
    assert_eq!(res.status(), 500);
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        !text.contains("SELECT") && !text.contains("refused"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["code"], "INTERNAL_ERROR");
    assert_eq!(json["status"], 500);
}

#[test]
fn every_code_has_a_status_title_and_chinese_detail() {
    for &code in ErrorCode::ALL {
        assert!(code.status().as_u16() >= 400);
        assert!(!code.title().is_empty());
        assert!(
            code.default_detail().chars().any(|c| c > '\u{2e80}'),
            "{code:?}"
        );
        // The serialized code is the documented one.
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            serde_json::Value::from(code.as_str())
        );
    }
}

async fn post_raw(
    app: &crate::helpers::TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        "/api/v1/auth/refresh",
        "application/json",
        r#"{"refresh_token": "#,
    )
    .await;
    assert_problem(res, 400, "MALFORMED_JSON").await;
    let res = post_raw(&app, "/api/v1/auth/refresh", "application/json", "").await;
    assert_problem(res, 400, "MALFORMED_JSON").await;
}

#[tokio::test]
async fn invalid_fields_are_422_with_a_pointer_per_field() {
    let app = spawn_app().await;
    for (body, pointer, code) in [
        (r#"{"refresh_token": 5}"#, "/refresh_token", "type"),
        (r#"{}"#, "/refresh_token", "required"),
        (r#"{"refresh_token": ""}"#, "/refresh_token", "length"),
    ] {
        let res = post_raw(&app, "/api/v1/auth/refresh", "application/json", body).await;
        let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
        assert_eq!(problem["errors"][0]["field"], "refresh_token");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn nested_fields_get_nested_pointers() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let res = app
        .put_as(
            &format!("/api/v1/members/{}/roles", admin.member_id),
            &admin,
            &serde_json::json!({"roles": [{"role": "secretariat"}, {"role": "correspondent"}]}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["pointer"], "/roles/1/school_id");
    let res = app
        .put_as(
            &format!("/api/v1/members/{}/roles", admin.member_id),
            &admin,
            &serde_json::json!({"roles": [{"role": "emperor"}]}),
        )
        .await;
    let problem = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["pointer"], "/roles/0/role");
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_media_type_is_415() {
    let app = spawn_app().await;
    let big = format!(r#"{{"refresh_token": "{}"}}"#, "x".repeat(300 * 1024));
    let res = post_raw(&app, "/api/v1/auth/refresh", "application/json", big).await;
    assert_problem(res, 413, "PAYLOAD_TOO_LARGE").await;
    let res = post_raw(
        &app,
        "/api/v1/auth/refresh",
        "text/plain",
        r#"{"refresh_token":"x"}"#,
    )
    .await;
    assert_problem(res, 415, "UNSUPPORTED_MEDIA_TYPE").await;
}

#[tokio::test]
async fn bad_path_and_query_parameters_are_400_problems() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    assert_problem(
        app.get_as("/api/v1/members/not-a-number", &admin).await,
        400,
        "INVALID_PARAMETER",
    )
    .await;
    assert_problem(
        app.get("/api/v1/schools?district_id=abc").await,
        400,
        "INVALID_PARAMETER",
    )
    .await;
    assert_problem(
        app.get("/api/v1/schools?page_size=-1").await,
        400,
        "INVALID_PARAMETER",
    )
    .await;
    assert_problem(
        app.get("/api/v1/schools?page_token=forged").await,
        400,
        "INVALID_PAGE_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn a_lost_database_is_a_503_with_retry_after_a_request_id_and_nothing_internal() {
    let app = spawn_app().await;
    let me = app.login("unlucky").await;
    app.state.db.close_by_ref().await.unwrap();
    let res = app.get_as("/api/v1/me", &me).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["retry-after"], "5");
    let body = assert_problem(res, 503, "DATABASE_UNAVAILABLE").await;
    assert_eq!(body["request_id"], id.as_str());
    let text = body.to_string().to_lowercase();
    for leak in ["select", "sqlx", "pool", "sqlite", "postgres", "closed"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[test]
fn the_logged_cause_is_one_line_with_its_sources_and_no_backtrace() {
    let inner = std::io::Error::other("disk on fire\nsecond line");
    let err = ApiError::internal(anyhow::Error::new(inner).context("cannot store the article"));
    let line = err.cause_chain();
    assert_eq!(line, "cannot store the article: disk on fire second line");
    assert!(!line.contains('\n'));
    assert!(
        !line.contains("backtrace") && !line.contains("at src/"),
        "{line}"
    );
}
