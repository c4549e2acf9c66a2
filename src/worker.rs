//! The background worker: the apalis workers of every queue, on the job
//! tables of the project's database (`platform::jobs`). It runs inside
//! `serve` by default (`WORKER=in-serve`) or alone as `association worker`
//! (then `serve` with `WORKER=off`); any number of processes may run it.

use std::future::Future;
use std::time::Duration;

use apalis::layers::retry::backoff::{ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use apalis::layers::retry::{BackoffRetryPolicy, HasherRng, RetryPolicy};
use apalis::prelude::*;
use sea_orm::DbBackend;

use crate::articles::verify::{Verifier, VerifyPage};
use crate::nominations::reminders::{self, RemindDeadlines};
use crate::notifications::SendWeChat;
use crate::platform::jobs::{self, Job, Schedule};
use crate::state::AppState;

/// What the handlers need, handed to each worker as apalis data.
#[derive(Clone)]
pub struct Context {
    pub state: AppState,
    pub verifier: Verifier,
}

/// How long one job may run before it counts as failed.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// Registers the worker of one queue on the storage of the database's
/// backend (the same code for apalis-postgres and apalis-sqlite).
macro_rules! register {
    ($monitor:expr, $ctx:expr, $name:expr, $job:ty, $handler:expr) => {{
        let ctx: Context = $ctx.clone();
        let settings = ctx.state.settings.jobs;
        let name = format!("{}@{}", <$job as Job>::QUEUE, $name);
        match ctx.state.db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = ctx.state.db.get_postgres_connection_pool().clone();
                let config = apalis_postgres::Config::default()
                    .queue(<$job as Job>::QUEUE)
                    .heartbeat_interval(settings.heartbeat);
                let storage = apalis_postgres::PostgresStorage::<$job>::new(&pool)
                    .with_config(config)
                    .poll_with_interval(settings.poll);
                $monitor.register(move |_| {
                    WorkerBuilder::new(name.clone())
                        .backend(storage.clone())
                        // apalis's order: retries, then panics caught
                        // (a panic is retried), the timeout, the tracing.
                        .retry(retry_policy(<$job as Job>::MAX_ATTEMPTS))
                        .catch_panic()
                        .timeout(JOB_TIMEOUT)
                        .enable_tracing()
                        .data(ctx.clone())
                        .build($handler)
                })
            }
            _ => {
                let pool = ctx.state.db.get_sqlite_connection_pool().clone();
                let config = apalis_sqlite::Config::default()
                    .queue(<$job as Job>::QUEUE)
                    .heartbeat_interval(settings.heartbeat);
                let storage = apalis_sqlite::SqliteStorage::<$job>::new(&pool)
                    .with_config(config)
                    .poll_with_interval(settings.poll);
                $monitor.register(move |_| {
                    WorkerBuilder::new(name.clone())
                        .backend(storage.clone())
                        // apalis's order: retries, then panics caught
                        // (a panic is retried), the timeout, the tracing.
                        .retry(retry_policy(<$job as Job>::MAX_ATTEMPTS))
                        .catch_panic()
                        .timeout(JOB_TIMEOUT)
                        .enable_tracing()
                        .data(ctx.clone())
                        .build($handler)
                })
            }
        }
    }};
}

/// Runs the workers until `shutdown` resolves, then lets the running jobs
/// finish (up to 30 s).
pub async fn run(
    ctx: Context,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let name = worker_name();
    let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(30));
    let monitor = register!(monitor, ctx, name, VerifyPage, verify_page);
    let monitor = register!(monitor, ctx, name, SendWeChat, send_wechat);
    let monitor = register!(monitor, ctx, name, RemindDeadlines, remind_deadlines);
    let ticker = tokio::spawn(tick(ctx.state.clone()));
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;
    ticker.abort();
    result?;
    Ok(())
}

/// Enqueues the clock-driven sweeps every `JOB_SWEEP_MS`, keyed by the
/// clock's minute: every process ticks, one sweep per minute runs.
async fn tick(state: AppState) {
    let mut interval = tokio::time::interval(state.settings.jobs.sweep);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let minute = state.now().format("%Y%m%d%H%M").to_string();
        if let Err(e) = jobs::enqueue(
            &state.db,
            &RemindDeadlines {},
            Schedule::keyed(format!("remind:{minute}")),
        )
        .await
        {
            tracing::warn!(error = %e, "the deadline reminders' sweep was not enqueued");
        }
    }
}

/// Retries within the worker with exponential back-off (1 s to 5 min,
/// jittered) until the job's attempts are spent; then it stays `Failed`.
fn retry_policy(max_attempts: u32) -> BackoffRetryPolicy<ExponentialBackoff<HasherRng>> {
    let backoff = ExponentialBackoffMaker::new(
        Duration::from_secs(1),
        Duration::from_secs(300),
        0.5,
        HasherRng::default(),
    )
    .map(|mut m| m.make_backoff())
    .unwrap_or_else(|_| ExponentialBackoffMaker::<HasherRng>::default().make_backoff());
    RetryPolicy::retries(max_attempts.saturating_sub(1) as usize).with_backoff(backoff)
}

/// A name unique to this process (workers register under it).
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    format!("{host}-{}-{}", std::process::id(), ulid::Ulid::generate())
}

fn boxed(e: impl std::fmt::Display) -> BoxDynError {
    e.to_string().into()
}

async fn verify_page(job: VerifyPage, ctx: Data<Context>) -> Result<(), BoxDynError> {
    ctx.verifier.run(job.article_id).await.map_err(boxed)
}

async fn send_wechat(job: SendWeChat, ctx: Data<Context>) -> Result<(), BoxDynError> {
    let state = &ctx.state;
    crate::notifications::send::send(
        &state.db,
        state.wechat.as_ref(),
        &state.settings.wechat_templates,
        job.notification_id,
        state.now(),
    )
    .await
    .map_err(boxed)
}

async fn remind_deadlines(_job: RemindDeadlines, ctx: Data<Context>) -> Result<(), BoxDynError> {
    let state = &ctx.state;
    let now = state.now();
    let told = reminders::sweep(&state.db, now).await.map_err(boxed)?;
    if told > 0 {
        tracing::info!(told, "deadline reminders recorded");
    }
    // Finished work is kept a week (real time: the job tables' own clock).
    let week_ago = chrono::Utc::now() - chrono::Duration::days(7);
    jobs::prune_done(&state.db, week_ago).await.map_err(boxed)?;
    Ok(())
}
