use actix_web::ResponseError;
use association::error::{ApiError, ErrorCode};

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
    use ErrorCode::*;
    for code in [
        MalformedJson,
        UnsupportedMediaType,
        InvalidParameter,
        ValidationFailed,
        PayloadTooLarge,
        NotFound,
        MethodNotAllowed,
        InvalidPageToken,
        IdempotencyKeyInvalid,
        IdempotencyKeyReused,
        IdempotencyKeyInProgress,
        RateLimited,
        Unauthenticated,
        Forbidden,
        Conflict,
        ServiceUnavailable,
        Internal,
    ] {
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
