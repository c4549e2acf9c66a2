//! Requests that cost what their SQL costs (issue 15): the statements a
//! request sends, counted by the server itself (`db_statements_total`), stay
//! within the request's budget — no statement whose answer it already has —
//! and the configuration it remembers (the sources) is read again by every
//! process as soon as a change is answered.

use association::identity::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, spawn_app_with, unique};

/// An app with no background worker (nothing but the requests sends SQL).
async fn quiet_app() -> TestApp {
    spawn_app_with(|env| {
        env.insert("WORKER".into(), "off".into());
    })
    .await
}

struct Desk {
    app: TestApp,
    admin: Session,
    writer: Session,
    source_id: i64,
    host: String,
}

/// A school, its correspondent and one official source on `host`.
async fn desk(app: TestApp) -> Desk {
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;
    let writer = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    let host = format!("{}.example.cn", unique("news"));
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &json!({"name": unique("站点"), "kind": "official", "hosts": [host]}),
        )
        .await;
    assert_eq!(res.status(), 201, "source created");
    let source: Value = res.json().await.unwrap();
    Desk {
        app,
        admin,
        writer,
        source_id: source["id"].as_i64().unwrap(),
        host,
    }
}

fn article(host: &str, path: &str) -> Value {
    json!({
        "url": format!("https://{host}/{path}.html"),
        "declared_original": true,
        "title": format!("后勤动态 {path}"),
        "published_on": "2021-10-20",
    })
}

/// The statements sent while `request` runs.
async fn statements_of<T, F: std::future::Future<Output = T>>(
    app: &TestApp,
    request: F,
) -> (u64, T) {
    let before = app.state.metrics.statements();
    let res = request.await;
    (app.state.metrics.statements() - before, res)
}

#[tokio::test]
async fn a_submission_sends_only_the_statements_whose_answer_it_lacks() {
    let d = desk(quiet_app().await).await;
    // The first submission remembers the sources and registers the author.
    let res = d
        .app
        .post_as("/api/v1/articles", &d.writer, &article(&d.host, "a"))
        .await;
    assert_eq!(res.status(), 201);
    let (n, res) = statements_of(
        &d.app,
        d.app
            .post_as("/api/v1/articles", &d.writer, &article(&d.host, "b")),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "pending", "{body}");
    assert_eq!(body["source"]["id"], d.source_id);
    assert!(
        body["school"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert!(
        body["first_author"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    eprintln!("POST /api/v1/articles: {n} statements");
    // The member with their roles (one join); the school; the author
    // registry; the article; its verification job; its likely duplicates by
    // title.
    assert!(n <= 6, "{n} statements for a submission");

    // With an Idempotency-Key: the key is looked up, claimed and answered too.
    let (n, res) = statements_of(
        &d.app,
        d.app
            .authed(reqwest::Method::POST, "/api/v1/articles", &d.writer)
            .header("Idempotency-Key", unique("k"))
            .json(&article(&d.host, "c"))
            .send(),
    )
    .await;
    let res = res.unwrap();
    assert_eq!(res.status(), 201);
    eprintln!("POST /api/v1/articles with an Idempotency-Key: {n} statements");
    // (+1 now and then: expired keys are purged after one request in 256.)
    assert!(n <= 10, "{n} statements for a submission with a key");

    // The same link again: still 409 naming the first, by the unique index.
    let res = d
        .app
        .post_as("/api/v1/articles", &d.writer, &article(&d.host, "b"))
        .await;
    let problem = assert_problem(res, 409, "DUPLICATE_ARTICLE").await;
    assert_eq!(problem["existing_article_id"], body["id"]);
}

#[tokio::test]
async fn me_reads_the_member_and_their_roles_once() {
    let d = desk(quiet_app().await).await;
    let (n, res) = statements_of(&d.app, d.app.get_as("/api/v1/me", &d.writer)).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["roles"][0]["role"], "correspondent", "{me}");
    assert!(me["roles"][0]["school"]["name"].is_string(), "{me}");
    eprintln!("GET /api/v1/me: {n} statements");
    // The member with their roles (one join), the names of their schools.
    assert!(n <= 2, "{n} statements for /me");
}

/// Changes the source's hosts to `[host]` (secretariat) through `base`.
async fn move_source(d: &Desk, base: &str, host: &str) {
    let res = d
        .app
        .client
        .patch(format!("{base}/api/v1/sources/{}", d.source_id))
        .bearer_auth(&d.admin.access_token)
        .json(&json!({"hosts": [host]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "source changed");
}

async fn submit_at(d: &Desk, base: &str, host: &str, path: &str) -> reqwest::Response {
    d.app
        .client
        .post(format!("{base}/api/v1/articles"))
        .bearer_auth(&d.writer.access_token)
        .json(&article(host, path))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_changed_source_rule_applies_to_the_next_submission() {
    let d = desk(quiet_app().await).await;
    let base = d.app.address.clone();
    assert_eq!(submit_at(&d, &base, &d.host, "a").await.status(), 201);
    let moved = format!("{}.example.cn", unique("moved"));
    move_source(&d, &base, &moved).await;
    // The remembered sources are gone with the change: the old host is refused…
    assert_problem(
        submit_at(&d, &base, &d.host, "b").await,
        422,
        "UNKNOWN_SOURCE",
    )
    .await;
    // …and the new one accepted.
    assert_eq!(submit_at(&d, &base, &moved, "c").await.status(), 201);
}

#[tokio::test]
async fn a_source_changed_through_one_process_applies_at_once_in_another() {
    if std::env::var_os("TEST_REDIS_URL").is_none() {
        eprintln!("skipped: processes share what they remember through Redis (TEST_REDIS_URL)");
        return;
    }
    let d = desk(quiet_app().await).await;
    let (one, other) = (d.app.address.clone(), d.app.replica().await);
    // Both processes remember the sources as they are.
    assert_eq!(submit_at(&d, &one, &d.host, "a").await.status(), 201);
    assert_eq!(submit_at(&d, &other, &d.host, "b").await.status(), 201);
    // The clerk changes the source through one process; once answered, the
    // other refuses the old host and takes the new one.
    let moved = format!("{}.example.cn", unique("moved"));
    move_source(&d, &one, &moved).await;
    assert_problem(
        submit_at(&d, &other, &d.host, "c").await,
        422,
        "UNKNOWN_SOURCE",
    )
    .await;
    assert_eq!(submit_at(&d, &other, &moved, "d").await.status(), 201);
    // And back through the other process: the first follows.
    move_source(&d, &other, &d.host).await;
    assert_problem(
        submit_at(&d, &one, &moved, "e").await,
        422,
        "UNKNOWN_SOURCE",
    )
    .await;
    assert_eq!(submit_at(&d, &one, &d.host, "f").await.status(), 201);
}

#[tokio::test]
async fn a_year_setting_changed_through_one_process_applies_at_once_in_another() {
    if std::env::var_os("TEST_REDIS_URL").is_none() {
        eprintln!("skipped: processes share what they remember through Redis (TEST_REDIS_URL)");
        return;
    }
    let d = desk(quiet_app().await).await;
    let (one, other) = (d.app.address.clone(), d.app.replica().await);
    let key_at = |base: String| {
        let d = &d;
        async move {
            let res = d
                .app
                .client
                .get(format!("{base}/api/v1/credit-years/2021/standings"))
                .bearer_auth(&d.admin.access_token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let page: Value = res.json().await.unwrap();
            page["ranking_key"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(key_at(other.clone()).await, "total");
    for (through, key) in [
        (&one, "site_points"),
        (&one, "total"),
        (&other, "site_points"),
    ] {
        let res = d
            .app
            .client
            .put(format!("{through}/api/v1/credit-years/2021/settings"))
            .bearer_auth(&d.admin.access_token)
            .json(&json!({ "ranking_key": key }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            key_at(one.clone()).await,
            key,
            "after {key} through {through}"
        );
        assert_eq!(
            key_at(other.clone()).await,
            key,
            "after {key} through {through}"
        );
    }
}
