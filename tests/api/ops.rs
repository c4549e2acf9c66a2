use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_when_database_and_cache_answer() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["cache"], "ok");
}

#[tokio::test]
async fn readyz_answers_503_problem_when_the_database_is_down() {
    let app = spawn_app().await;
    app.state.db.close_by_ref().await.unwrap();
    let body = assert_problem(app.get("/readyz").await, 503, "SERVICE_UNAVAILABLE").await;
    assert_eq!(body["checks"]["database"], "unavailable");
    assert_eq!(body["checks"]["cache"], "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/no/such/route").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
}

#[tokio::test]
async fn request_id_is_accepted_and_answered() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "phone-42.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "phone-42.abc");

    // An unusable id is replaced, never echoed.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "<script>")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(!id.is_empty() && id != "<script>");

    // Problems carry the same id in the body.
    let res = app
        .client
        .get(app.url("/nowhere"))
        .header("X-Request-Id", "trace-7")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 404, "NOT_FOUND").await;
    assert_eq!(body["request_id"], "trace-7");
}

#[tokio::test]
async fn docs_page_is_served_and_loads_nothing_from_the_internet() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    let init = init.text().await.unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    for text in [&html, &init] {
        assert!(
            !text.contains("https://") && !text.contains("http://"),
            "docs page references an outside host: {text}"
        );
    }
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js"] {
        let res = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(res.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn server_info_shows_the_server_clock_in_china_time() {
    let app = spawn_app().await;
    let body: serde_json::Value = app.get("/api/v1/server-info").await.json().await.unwrap();
    assert_eq!(body["server_time"], "2021-11-01T10:00:00+08:00");
    assert_eq!(body["time_zone"], "Asia/Shanghai");
    assert_eq!(body["dev_login"], true);
}
