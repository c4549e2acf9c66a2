//! What a storage error means, by driver codes (never message text): the
//! one place that tells an unreachable or busy database from a retryable
//! conflict and from a bug.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::DbErr;

/// What a storage failure means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot be reached (refused, closed, pool acquire timed
    /// out, shutting down): answer 503 with `Retry-After`.
    Unavailable,
    /// The database is there but busy: SQLite's lock wait ran out.
    Busy,
    /// PostgreSQL chose this transaction as a deadlock victim or could not
    /// serialize it: running the whole unit of work again is safe.
    Retryable,
    /// Anything else: a bug or a constraint, not the database's state.
    Other,
}

/// Classifies a storage error (driver codes, never message text).
pub fn classify(e: &DbErr) -> Failure {
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    let runtime = match e {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            return Failure::Unavailable;
        }
        DbErr::Conn(_) => return Failure::Unavailable,
        DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return Failure::Other,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return Failure::Other;
    };
    use sea_orm::sqlx::Error as SqlxError;
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => Failure::Unavailable,
        SqlxError::Database(d) => match d.code().as_deref() {
            // PostgreSQL: serialization_failure, deadlock_detected.
            Some("40001" | "40P01") => Failure::Retryable,
            // admin_shutdown, crash_shutdown, cannot_connect_now,
            // too_many_connections; class 08 is a connection exception.
            Some("57P01" | "57P02" | "57P03" | "53300") => Failure::Unavailable,
            Some(c) if c.starts_with("08") => Failure::Unavailable,
            // SQLite: SQLITE_BUSY (and its extended codes), SQLITE_LOCKED.
            Some("5" | "6" | "261" | "262" | "517" | "773") => Failure::Busy,
            _ => Failure::Other,
        },
        _ => Failure::Other,
    }
}

/// When this process last found the database unreachable, in milliseconds
/// since [`EPOCH`] plus one (0: never).
static LAST_UNAVAILABLE: AtomicU64 = AtomicU64::new(0);
static EPOCH: OnceLock<Instant> = OnceLock::new();

fn since_epoch() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Notes that the database was found unreachable just now: for a while,
/// pooled connections are tested before they are handed out again (see
/// `platform::db::PING_AFTER_IDLE`), so connections that died with the
/// server are dropped instead of failing the requests that would get them.
pub fn note_unavailable() {
    LAST_UNAVAILABLE.store(since_epoch().saturating_add(1), Ordering::Relaxed);
}

/// Whether the database was found unreachable within the last `window`.
pub fn unavailable_within(window: Duration) -> bool {
    match LAST_UNAVAILABLE.load(Ordering::Relaxed) {
        0 => false,
        at => {
            let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
            since_epoch().saturating_add(1).saturating_sub(at) <= window
        }
    }
}
