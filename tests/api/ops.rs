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

/// The log of a server process (JSON lines) after a probe of each kind and
/// one API request, with `access_log` as `ACCESS_LOG`.
async fn log_after_probes_and_a_request(access_log: &str) -> Vec<serde_json::Value> {
    association::init_tls();
    let db = crate::helpers::TestDb::create().await;
    let log = std::env::temp_dir().join(format!(
        "association-access-log-{}.log",
        uuid::Uuid::new_v4().simple()
    ));
    let server = crate::replicas::start_with(
        &db.url,
        &log,
        &[("RUST_LOG", "info"), ("ACCESS_LOG", access_log)],
    );
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not ready within 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/districts"] {
        assert_eq!(
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn access_lines(log: &[serde_json::Value]) -> Vec<&str> {
    log.iter()
        .filter(|l| l["message"] == "request")
        .filter_map(|l| l["path"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_probes_are_not_logged_and_an_api_request_is() {
    let log = log_after_probes_and_a_request("on").await;
    assert_eq!(access_lines(&log), ["/api/v1/districts"], "{log:?}");
    let line = log.iter().find(|l| l["message"] == "request").unwrap();
    assert_eq!(line["status"], 200);
    assert_eq!(line["route"], "/api/v1/districts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_can_be_turned_off() {
    let log = log_after_probes_and_a_request("off").await;
    assert!(access_lines(&log).is_empty(), "{log:?}");
    assert!(
        log.iter().any(|l| l["message"] == "listening"),
        "the rest of the log is still written: {log:?}"
    );
}
