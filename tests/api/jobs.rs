//! Background work on the job engine (issue 14): page verification is a job
//! enqueued with the submission, run by any worker of any process once, picked
//! up again when its worker dies, and re-run by the secretariat after it failed.

use association::platform::jobs;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::articles::{STORY_CANTEEN, STORY_DORM, world};
use crate::helpers::{PageSpec, assert_problem, spawn_app_on};
use crate::verification::submit;

const QUEUE: &str = "articles.verify_page";

/// The verification jobs by state, e.g. `[("Done", 1)]`.
async fn verify_jobs(db: &impl ConnectionTrait) -> Vec<(String, i64)> {
    jobs::counts(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.queue == QUEUE)
        .map(|c| (c.status, c.jobs))
        .collect()
}

/// Waits (up to 30 s) until the verification jobs are in these states: the
/// worker acknowledges a job just after its effect is stored.
async fn settled_jobs(db: &impl ConnectionTrait, expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(s, n)| ((*s).to_owned(), *n))
        .collect();
    let mut seen = Vec::new();
    for _ in 0..600 {
        seen = verify_jobs(db).await;
        if seen == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    seen
}

fn page<'a>(title: &'a str, body: &'a str) -> PageSpec<'a> {
    PageSpec {
        title,
        published: "2021-10-26 10:00",
        column: "学校后勤动态",
        body,
    }
}

#[tokio::test]
async fn a_submission_enqueues_its_verification_in_the_same_transaction() {
    let w = world().await;
    let url = w
        .on_association_site("/news/jobs/1.html", &page("食堂改造完成", STORY_CANTEEN))
        .await;
    let a = submit(&w, &w.writer, &url).await;
    assert_eq!(a["verification"]["status"], "verified", "{a}");
    // The same link again is refused (409): its transaction, and so its
    // job, never happened.
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "first_author_name": "张三", "declared_original": true}),
        )
        .await;
    assert_problem(res, 409, "DUPLICATE_ARTICLE").await;
    assert_eq!(
        settled_jobs(&w.app.state.db, &[("Done", 1)]).await,
        vec![("Done".to_owned(), 1)],
        "one job, done"
    );
    assert_eq!(w.association.hits().await, 1, "the page was fetched once");
    // The backlog in /metrics.
    let text = w.app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(&format!(
            r#"background_jobs{{queue="{QUEUE}",state="Done"}} 1"#
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"background_jobs_oldest_age_seconds{{queue="{QUEUE}",state="Done"}}"#
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_verification_is_run_again_by_the_secretariat() {
    let w = world().await;
    // Nothing is served there yet: 404, the verification fails.
    let url = w.association.url("/news/jobs/later.html");
    let a = submit(&w, &w.writer, &url).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["verification"]["status"], "failed", "{a}");
    let path = format!("/api/v1/articles/{id}/verification");
    // Only the secretariat re-runs it.
    let res = w.app.post_as(&path, &w.writer, &json!({})).await;
    assert_problem(res, 403, "FORBIDDEN").await;
    // The page is there now.
    w.on_association_site("/news/jobs/later.html", &page("公寓维修改造", STORY_DORM))
        .await;
    let res = w.app.post_as(&path, &w.admin, &json!({})).await;
    assert_eq!(res.status(), 202);
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["verification"]["status"], "pending", "{queued}");
    let again = w.app.verified_article(&w.admin, id).await;
    assert_eq!(again["verification"]["status"], "verified", "{again}");
    assert_eq!(again["title"], "公寓维修改造");
    // A verified article has nothing to re-run.
    let res = w.app.post_as(&path, &w.admin, &json!({})).await;
    assert_problem(res, 409, "CONFLICT").await;
    let res = w
        .app
        .post_as("/api/v1/articles/999999/verification", &w.admin, &json!({}))
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
    // Audited.
    let log: Value = w
        .app
        .get_as(
            &format!("/api/v1/audit-log?entity_type=article&entity_id={id}"),
            &w.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let reruns = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "article.verify")
        .count();
    assert_eq!(reruns, 1, "{log}");
}

#[tokio::test]
async fn two_workers_on_one_database_run_each_job_once() {
    let w = world().await;
    // A second process on the same database: its worker shares the queue.
    let _second = spawn_app_on(&w.app.db.url, &[]).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let url = w
            .on_association_site(
                &format!("/news/jobs/shared-{i}.html"),
                &page("后勤服务工作动态", STORY_CANTEEN),
            )
            .await;
        let res = w
            .submit_as(
                &w.writer,
                json!({"url": url, "first_author_name": "张三", "declared_original": true}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let a: Value = res.json().await.unwrap();
        ids.push(a["id"].as_i64().unwrap());
    }
    for id in ids {
        let a = w.app.verified_article(&w.writer, id).await;
        assert_eq!(a["verification"]["status"], "verified", "{a}");
    }
    assert_eq!(w.association.hits().await, 6, "each page fetched once");
    assert_eq!(
        settled_jobs(&w.app.state.db, &[("Done", 6)]).await,
        vec![("Done".to_owned(), 6)]
    );
}

#[tokio::test]
async fn a_job_whose_worker_died_is_picked_up_again() {
    let w = world().await;
    let url = w
        .on_association_site(
            "/news/jobs/orphan.html",
            &page("食堂改造完成", STORY_CANTEEN),
        )
        .await;
    let a = submit(&w, &w.writer, &url).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(w.association.hits().await, 1);
    // As if a worker had taken the job and died mid-job: the article is
    // pending again and its job is Running, locked by a worker whose last
    // heartbeat is a minute old.
    let db = &w.app.state.db;
    let backend = db.get_database_backend();
    db.execute_unprepared(&format!(
        "UPDATE articles SET verification_status = 'pending' WHERE id = {id}"
    ))
    .await
    .unwrap();
    let job = format!("{{\"article_id\":{id}}}");
    let id_text = ulid::Ulid::generate().to_string();
    let statements = match backend {
        DbBackend::Postgres => vec![
            format!(
                "INSERT INTO apalis.workers (id, worker_type, storage_name, layers, last_seen) \
                 VALUES ('dead-worker', '{QUEUE}', 'PostgresStorage', '', now() - interval '60 seconds')"
            ),
            format!(
                "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority, lock_by, lock_at) \
                 VALUES ('{id_text}', '{QUEUE}', convert_to('{job}', 'UTF8'), 'Running', 1, 5, now(), 0, 'dead-worker', now() - interval '60 seconds')"
            ),
        ],
        _ => vec![
            format!(
                "INSERT INTO Workers (id, worker_type, storage_name, layers, last_seen, started_at) \
                 VALUES ('dead-worker', '{QUEUE}', 'SqliteStorage', '', strftime('%s', 'now') - 60, strftime('%s', 'now') - 120)"
            ),
            format!(
                "INSERT INTO Jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority, lock_by, lock_at) \
                 VALUES ('{id_text}', '{QUEUE}', CAST('{job}' AS BLOB), 'Running', 1, 5, strftime('%s', 'now'), 0, 'dead-worker', strftime('%s', 'now') - 60)"
            ),
        ],
    };
    for sql in statements {
        db.execute_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    let again = w.app.verified_article(&w.writer, id).await;
    assert_eq!(again["verification"]["status"], "verified", "{again}");
    assert_eq!(
        w.association.hits().await,
        2,
        "fetched again by a live worker"
    );
    assert_eq!(
        settled_jobs(db, &[("Done", 2)]).await,
        vec![("Done".to_owned(), 2)]
    );
}
