//! Background jobs on apalis, stored in the project's own database (its
//! PostgreSQL storage in production, its SQLite storage for the embedded
//! default, both on the sqlx that sea-orm uses).
//!
//! - A job is enqueued in the transaction of the change that causes it
//!   ([`enqueue`] on the unit of work's [`Tx`](crate::platform::db::Tx)), so
//!   a rolled-back change has no job and a committed one always has it.
//! - Any number of processes run workers on the same tables: apalis locks a
//!   job for one worker at a time, re-enqueues the jobs of a worker whose
//!   heartbeat stopped, retries a failed job with back-off and leaves it
//!   `Failed` (dead) once its attempts are spent.
//! - An idempotency key makes a second enqueue of the same job a no-op
//!   (unique per queue and key).
//!
//! The workers themselves are assembled in `crate::worker`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A kind of background work: its queue and how often it is tried.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    /// The queue's name (the `job_type` column), e.g. `articles.verify_page`.
    const QUEUE: &'static str;
    /// Attempts in all before the job is dead.
    const MAX_ATTEMPTS: u32 = 5;
}

/// When a job may run and what makes it unique.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// Not before this instant (now when absent).
    pub run_at: Option<DateTime<Utc>>,
    /// A second job with the same key in the same queue is not enqueued.
    pub key: Option<String>,
}

impl Schedule {
    pub fn keyed(key: impl Into<String>) -> Self {
        Self {
            run_at: None,
            key: Some(key.into()),
        }
    }
}

/// Creates apalis's tables (its own migrations; call under the migration
/// lock, see `platform::db::migrate`).
pub async fn setup(db: &DatabaseConnection) -> Result<(), DbErr> {
    let result = match db.get_database_backend() {
        DbBackend::Postgres => {
            apalis_postgres::PostgresStorage::migrations()
                .run(db.get_postgres_connection_pool())
                .await
        }
        DbBackend::Sqlite => {
            apalis_sqlite::SqliteStorage::migrations()
                .run(db.get_sqlite_connection_pool())
                .await
        }
        other => return Err(DbErr::Custom(format!("no job storage for {other:?}"))),
    };
    result.map_err(|e| DbErr::Custom(format!("cannot create the job tables: {e}")))
}

/// Enqueues `job` on `conn` — the unit of work's transaction, so the job
/// exists exactly when the change that causes it is committed. Answers
/// whether it was enqueued (false: a job with the same key exists).
pub async fn enqueue<J: Job>(
    conn: &impl ConnectionTrait,
    job: &J,
    schedule: Schedule,
) -> Result<bool, DbErr> {
    let id = ulid::Ulid::generate().to_string();
    let payload =
        serde_json::to_vec(job).map_err(|e| DbErr::Custom(format!("job payload: {e}")))?;
    let run_at = schedule.run_at.map(|t| t.timestamp());
    let max_attempts = i64::from(J::MAX_ATTEMPTS);
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority, idempotency_key) \
             VALUES ($1, $2, $3, 'Pending', 0, $4, COALESCE(to_timestamp($5), now()), 0, $6) \
             ON CONFLICT (job_type, idempotency_key) DO NOTHING"
        }
        _ => {
            "INSERT INTO Jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority, idempotency_key) \
             VALUES ($1, $2, $3, 'Pending', 0, $4, COALESCE($5, strftime('%s', 'now')), 0, $6) \
             ON CONFLICT (job_type, idempotency_key) DO NOTHING"
        }
    };
    let run_at: sea_orm::Value = match backend {
        DbBackend::Postgres => run_at.map(|s| s as f64).into(),
        _ => run_at.into(),
    };
    let result = conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                id.into(),
                J::QUEUE.into(),
                payload.into(),
                max_attempts.into(),
                run_at,
                schedule.key.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// How many jobs a queue holds in one state, and the age of its oldest.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct QueueCount {
    pub queue: String,
    pub status: String,
    pub jobs: i64,
    /// Seconds since the oldest of them was due.
    pub oldest_age_seconds: i64,
}

/// Jobs by queue and state (for `/metrics`): Pending, Queued, Running, Done,
/// Failed (with attempts left: waiting for a retry), Dead (failed for good
/// or killed).
pub async fn counts(db: &impl ConnectionTrait) -> Result<Vec<QueueCount>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT job_type AS queue, \
                    CASE WHEN status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts) THEN 'Dead' ELSE status END AS status, \
                    COUNT(*)::bigint AS jobs, \
                    COALESCE(MAX(GREATEST(0, EXTRACT(EPOCH FROM now() - run_at)))::bigint, 0) AS oldest_age_seconds \
             FROM apalis.jobs GROUP BY 1, 2 ORDER BY 1, 2"
        }
        _ => {
            "SELECT job_type AS queue, \
                    CASE WHEN status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts) THEN 'Dead' ELSE status END AS status, \
                    COUNT(*) AS jobs, \
                    COALESCE(MAX(MAX(0, CAST(strftime('%s', 'now') AS INTEGER) - run_at)), 0) AS oldest_age_seconds \
             FROM Jobs GROUP BY 1, 2 ORDER BY 1, 2"
        }
    };
    QueueCount::find_by_statement(Statement::from_string(backend, sql))
        .all(db)
        .await
}

/// Deletes the jobs done before `before` (the record of finished work; the
/// failed and dead ones stay for the operator).
pub async fn prune_done(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let stmt = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "DELETE FROM apalis.jobs WHERE status = 'Done' AND done_at < to_timestamp($1)",
            [(before.timestamp() as f64).into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "DELETE FROM Jobs WHERE status = 'Done' AND done_at < $1",
            [before.timestamp().into()],
        ),
    };
    Ok(db.execute_raw(stmt).await?.rows_affected())
}
