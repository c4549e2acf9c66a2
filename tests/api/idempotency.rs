//! `Idempotency-Key`: the mechanism that article submission and nominations
//! plug into, tested with a scratch table as the effect.

use actix_web::http::StatusCode;
use association::platform::error::{ApiError, ErrorCode};
use association::platform::idempotency::{self, Stored};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::{TestApp, default_now, spawn_app};

async fn scratch(app: &TestApp) -> DatabaseConnection {
    let db = app.state.db.clone();
    db.execute_unprepared("CREATE TABLE scratch_effects (note TEXT NOT NULL)")
        .await
        .unwrap();
    db
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Submits `note` once under `key` for `scope`; the effect inserts a row.
async fn submit(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    scope: &str,
    key: Option<&str>,
    note: &str,
) -> Result<Stored, ApiError> {
    let hash = idempotency::fingerprint("POST", "/scratch", &note).unwrap();
    idempotency::run(db, now, scope, key, &hash, |tx| async move {
        {
            let txn = &*tx;
            let backend = txn.get_database_backend();
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "INSERT INTO scratch_effects (note) VALUES ($1)"
                    }
                    _ => "INSERT INTO scratch_effects (note) VALUES (?)",
                },
                [note.into()],
            ))
            .await?;
            Stored::new(
                StatusCode::CREATED,
                &serde_json::json!({ "note": note, "n": rand::random::<u32>() }),
            )
        }
    })
    .await
}

#[tokio::test]
async fn a_retry_with_the_same_key_answers_the_first_result_and_creates_nothing() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    let first = submit(&db, default_now(), "member-1", Some("key-1"), "hello")
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = submit(&db, default_now(), "member-1", Some("key-1"), "hello")
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body, "the replay answers the first body");
    assert_eq!(count(&db, "scratch_effects").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    submit(&db, default_now(), "member-1", Some("key-1"), "hello")
        .await
        .unwrap();
    let err = submit(&db, default_now(), "member-1", Some("key-1"), "other")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::IdempotencyKeyReused);
    assert_eq!(err.code.status(), 422);
    assert_eq!(count(&db, "scratch_effects").await, 1);
}

#[tokio::test]
async fn keys_are_scoped_per_member() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    submit(&db, default_now(), "member-1", Some("same"), "a")
        .await
        .unwrap();
    let other = submit(&db, default_now(), "member-2", Some("same"), "b")
        .await
        .unwrap();
    assert!(!other.replayed);
    assert_eq!(count(&db, "scratch_effects").await, 2);
}

#[tokio::test]
async fn without_a_key_every_request_runs() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    submit(&db, default_now(), "member-1", None, "a")
        .await
        .unwrap();
    submit(&db, default_now(), "member-1", None, "a")
        .await
        .unwrap();
    assert_eq!(count(&db, "scratch_effects").await, 2);
}

#[tokio::test]
async fn a_failed_effect_leaves_neither_the_effect_nor_the_key() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    let hash = idempotency::fingerprint("POST", "/scratch", &"x").unwrap();
    let err = idempotency::run(&db, default_now(), "m", Some("k"), &hash, |txn| {
        Box::pin(async move {
            txn.execute_unprepared("INSERT INTO scratch_effects (note) VALUES ('half-written')")
                .await?;
            Err(ApiError::new(ErrorCode::Conflict))
        })
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(
        count(&db, "scratch_effects").await,
        0,
        "the effect was rolled back"
    );
    assert_eq!(
        count(&db, "idempotency_keys").await,
        0,
        "no key was recorded"
    );
    // The retry runs for real.
    let ok = submit(&db, default_now(), "m", Some("k"), "x")
        .await
        .unwrap();
    assert!(!ok.replayed);
    assert_eq!(count(&db, "scratch_effects").await, 1);
}

#[tokio::test]
async fn concurrent_twins_run_the_effect_once() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            submit(&db, default_now(), "member-1", Some("twin"), "same").await
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(stored) => bodies.push(stored.body),
            // A twin still in flight is told so (409), never run twice.
            Err(e) => assert_eq!(e.code, ErrorCode::IdempotencyKeyInProgress),
        }
    }
    assert!(!bodies.is_empty());
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert_eq!(count(&db, "scratch_effects").await, 1);
}

#[tokio::test]
async fn keys_are_kept_at_least_24_hours() {
    let app = spawn_app().await;
    let db = scratch(&app).await;
    let t0 = default_now();
    submit(&db, t0, "m", Some("k"), "x").await.unwrap();
    let day_later = t0 + chrono::Duration::hours(25);
    assert!(
        submit(&db, day_later, "m", Some("k"), "x")
            .await
            .unwrap()
            .replayed
    );
    assert_eq!(count(&db, "scratch_effects").await, 1);
    // Long after the retention the key is forgotten and may be reused.
    let much_later = t0 + chrono::Duration::hours(72);
    assert_eq!(
        idempotency::purge_expired(&db, much_later).await.unwrap(),
        1
    );
    assert!(
        !submit(&db, much_later, "m", Some("k"), "x")
            .await
            .unwrap()
            .replayed
    );
}
