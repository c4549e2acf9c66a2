//! The background worker: the apalis workers of every queue, on the job
//! tables of the project's database (`platform::jobs`). It runs inside
//! `serve` by default (`WORKER=in-serve`) or alone as `association worker`
//! (then `serve` with `WORKER=off`); any number of processes may run it.

use std::future::Future;
use std::time::Duration;

use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::layers::retry::{HasherRng, RetryPolicy};
use apalis::prelude::*;
use sea_orm::{DatabaseConnection, DbBackend};

use crate::articles::verify::{Verifier, VerifyPage};
use crate::platform::config::JobSettings;
use crate::platform::jobs::Job;

/// What the handlers need, handed to each worker as apalis data.
#[derive(Clone)]
pub struct Context {
    pub verifier: Verifier,
}

/// Runs the workers until `shutdown` resolves, then lets the running jobs
/// finish (up to 30 s).
pub async fn run(
    db: DatabaseConnection,
    ctx: Context,
    settings: JobSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let name = worker_name();
    let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(30));
    let monitor = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool().clone();
            let config = apalis_postgres::Config::default()
                .queue(VerifyPage::QUEUE)
                .heartbeat_interval(settings.heartbeat);
            let storage = apalis_postgres::PostgresStorage::<VerifyPage>::new(&pool)
                .with_config(config)
                .poll_with_interval(settings.poll);
            let verifier = ctx.verifier.clone();
            let name = format!("{}@{name}", VerifyPage::QUEUE);
            monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(storage.clone())
                    .enable_tracing()
                    .catch_panic()
                    .retry(retry_policy(VerifyPage::MAX_ATTEMPTS))
                    .timeout(Duration::from_secs(120))
                    .data(verifier.clone())
                    .build(verify_page)
            })
        }
        _ => {
            let pool = db.get_sqlite_connection_pool().clone();
            let config = apalis_sqlite::Config::default()
                .queue(VerifyPage::QUEUE)
                .heartbeat_interval(settings.heartbeat);
            let storage = apalis_sqlite::SqliteStorage::<VerifyPage>::new(&pool)
                .with_config(config)
                .poll_with_interval(settings.poll);
            let verifier = ctx.verifier.clone();
            let name = format!("{}@{name}", VerifyPage::QUEUE);
            monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(storage.clone())
                    .enable_tracing()
                    .catch_panic()
                    .retry(retry_policy(VerifyPage::MAX_ATTEMPTS))
                    .timeout(Duration::from_secs(120))
                    .data(verifier.clone())
                    .build(verify_page)
            })
        }
    };
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await?;
    Ok(())
}

/// Retries within the worker with exponential back-off (1 s to 5 min,
/// jittered) until the job's attempts are spent; then it stays `Failed`.
fn retry_policy(
    max_attempts: u32,
) -> apalis::layers::retry::BackoffRetryPolicy<
    apalis::layers::retry::backoff::ExponentialBackoff<HasherRng>,
> {
    let backoff = ExponentialBackoffMaker::new(
        Duration::from_secs(1),
        Duration::from_secs(300),
        0.5,
        HasherRng::default(),
    )
    .map(|mut m| m.make_backoff())
    .unwrap_or_else(|_| {
        let mut m = ExponentialBackoffMaker::<HasherRng>::default();
        m.make_backoff()
    });
    RetryPolicy::retries(max_attempts.saturating_sub(1) as usize).with_backoff(backoff)
}

/// A name unique to this process (workers register under it).
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    format!("{host}-{}-{}", std::process::id(), ulid::Ulid::generate())
}

async fn verify_page(job: VerifyPage, verifier: Data<Verifier>) -> Result<(), BoxDynError> {
    verifier
        .run(job.article_id)
        .await
        .map_err(|e| -> BoxDynError { format!("{e}").into() })
}
