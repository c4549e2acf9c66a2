//! Storage: SQLite by default (a file under `data/`), PostgreSQL by
//! `DATABASE_URL`. The same migrations run on both.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr,
};

use crate::platform::error::{ApiError, ApiResult};

/// How long storage waits before giving up (then the caller gets 503).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// SQLite: how long a writer waits for the write lock.
    pub busy: Duration,
    /// How long a request waits for a pooled connection (or a new one).
    pub acquire: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            busy: Duration::from_secs(10),
            acquire: Duration::from_secs(5),
        }
    }
}

/// Opens the database with the default [`Timeouts`].
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, Timeouts::default()).await
}

/// Opens the database, creating the SQLite file's directory when needed.
pub async fn connect_with(url: &str, timeouts: Timeouts) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            DbErr::Custom(format!("cannot create the database directory {dir:?}: {e}"))
        })?;
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.connect_timeout(timeouts.acquire)
        .acquire_timeout(timeouts.acquire)
        .sqlx_logging(false)
        // No ping on every checkout (a round trip per statement outside a
        // transaction); see `needs_ping` for when a connection is tested.
        .test_before_acquire(false);
    if url.starts_with("sqlite:") {
        let busy = timeouts.busy;
        opts.map_sqlx_sqlite_before_acquire(|conn, meta| {
            Box::pin(async move {
                if needs_ping(meta.idle_for) {
                    sea_orm::sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        });
        opts.max_connections(8).map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(busy)
                .foreign_keys(true)
        });
    } else {
        opts.map_sqlx_postgres_before_acquire(|conn, meta| {
            Box::pin(async move {
                if needs_ping(meta.idle_for) {
                    sea_orm::sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        });
        opts.max_connections(20);
    }
    Database::connect(opts).await
}

/// A pooled connection idle this long is pinged before it is handed out (a
/// server, proxy or firewall may have dropped it meanwhile); so is every
/// connection while the database was found unreachable this recently (the
/// connections that died with the server are then dropped, not handed to
/// requests). Otherwise a checkout costs no round trip.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Whether a pooled connection idle for `idle_for` is pinged before use.
pub fn needs_ping(idle_for: Duration) -> bool {
    idle_for >= PING_AFTER_IDLE || crate::platform::db_failure::unavailable_within(PING_AFTER_IDLE)
}

/// Connects and applies every pending migration.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_and_migrate_with(url, Timeouts::default()).await
}

/// Connects with `timeouts` and applies every pending migration.
pub async fn connect_and_migrate_with(
    url: &str,
    timeouts: Timeouts,
) -> Result<DatabaseConnection, DbErr> {
    let db = connect_with(url, timeouts).await?;
    migrate(&db, url, timeouts).await?;
    Ok(db)
}

/// The key of the PostgreSQL advisory lock the migrator runs under
/// (a fixed number, so every release and every replica agree).
pub const MIGRATION_LOCK_KEY: i64 = 0x6173_736f_635f_6d67; // "assoc_mg"

/// Applies every pending migration, safe for any number of processes
/// starting together: the first takes the lock and migrates, the others wait
/// for it and then find nothing to do.
///
/// - PostgreSQL: a session advisory lock on a connection of its own (the
///   migrator runs on that same single connection, so the lock and the DDL
///   share one session).
/// - SQLite: an exclusive lock on the file `<database>.migrate.lock` beside
///   the database (an in-memory database has no other process to race).
pub async fn migrate(db: &DatabaseConnection, url: &str, timeouts: Timeouts) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.max_connections(1)
                .min_connections(1)
                .connect_timeout(timeouts.acquire)
                .sqlx_logging(false);
            let session = Database::connect(opts).await?;
            session
                .execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .await?;
            let mut result = Migrator::up(&session, None).await;
            if result.is_ok() {
                result = crate::platform::jobs::setup(&session).await;
            }
            // Closing the session releases the lock too; unlock first anyway.
            let _ = session
                .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .await;
            let _ = session.close().await;
            result
        }
        _ => {
            let lock = match sqlite_path(url) {
                Some(path) => Some(lock_file(format!("{path}.migrate.lock")).await?),
                None => None,
            };
            let mut result = Migrator::up(db, None).await;
            if result.is_ok() {
                result = crate::platform::jobs::setup(db).await;
            }
            drop(lock);
            result
        }
    }
}

/// Opens and exclusively locks `path` (waiting for another process to
/// release it); the lock lasts as long as the returned file.
async fn lock_file(path: String) -> Result<std::fs::File, DbErr> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| DbErr::Custom(format!("migration lock task failed: {e}")))?
    .map_err(|e| DbErr::Custom(format!("cannot lock the migration lock file: {e}")))
}

/// The file path of a `sqlite:` URL, if it names a file.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_owned())
    }
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match sea_orm::ConnectionTrait::get_database_backend(db) {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// A raw statement written once for both backends: `$1`-style placeholders
/// as PostgreSQL takes them, `?1` for SQLite.
pub fn raw(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Whether an error is a unique-constraint violation (portable across backends).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// `column LIKE '%text%'` with `%`, `_` and `\\` in `text` taken literally.
pub fn contains_literally(
    column: impl sea_orm::ColumnTrait,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    column.like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The transaction a use case runs in, handed out by [`write`] only. The use
/// case owns it for the length of its future and never commits it: the unit
/// of work does, after the use case answered `Ok`.
pub struct Tx(Arc<DatabaseTransaction>);

impl Tx {
    /// A second handle on the same transaction, for a platform mechanism
    /// that writes beside the use case (idempotency records its answer).
    pub(crate) fn share(&self) -> Tx {
        Tx(Arc::clone(&self.0))
    }

    /// Runs `work` in a savepoint of this unit of work: what it wrote stays
    /// when it answers `Ok` and is undone when it answers an error, while the
    /// unit of work goes on (a batch's items, see `platform::batch`).
    pub async fn savepoint<T, F, Fut>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        use sea_orm::TransactionTrait;
        #[allow(clippy::disallowed_methods)] // a savepoint of the unit of work, not a transaction
        let savepoint = Arc::new(self.0.begin().await?);
        let result = work(Tx(Arc::clone(&savepoint))).await;
        let savepoint = Arc::try_unwrap(savepoint).map_err(|_| {
            ApiError::internal(anyhow::anyhow!(
                "a use case kept its savepoint beyond its work"
            ))
        })?;
        match result {
            Ok(value) => {
                savepoint.commit().await?;
                Ok(value)
            }
            Err(e) => {
                let _ = savepoint.rollback().await;
                Err(e)
            }
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.0
    }
}

/// How many times [`write`] runs a unit of work in all when PostgreSQL
/// refuses it as a deadlock victim or a serialization failure.
pub const WRITE_ATTEMPTS: u32 = 5;

/// The one way to write. Runs `work` in a transaction and commits it when
/// `work` answers `Ok`; rolls back otherwise.
///
/// - SQLite: the write lock is taken up front (`BEGIN IMMEDIATE`, waiting up
///   to the busy timeout), so a transaction that reads before it writes
///   cannot fail because another writer committed in between.
/// - PostgreSQL: a deadlock or serialization failure (at any statement or at
///   commit) rolls everything back and runs the whole of `work` again, up to
///   [`WRITE_ATTEMPTS`] times with a short random pause, so nothing
///   half-done is ever retried.
/// - A database that cannot be reached or stays busy answers 503
///   `DATABASE_UNAVAILABLE` with `Retry-After` (by `From<DbErr>`).
///
/// `work` is called once per attempt with a fresh [`Tx`]; it must not keep
/// the transaction beyond its future (it cannot be committed then).
pub async fn write<T, F, Fut>(db: &DatabaseConnection, mut work: F) -> ApiResult<T>
where
    F: FnMut(Tx) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let mut attempt = 1;
    loop {
        let txn = Arc::new(begin_write(db).await?);
        let result = work(Tx(Arc::clone(&txn))).await;
        let txn = Arc::try_unwrap(txn).map_err(|_| {
            ApiError::internal(anyhow::anyhow!(
                "a use case kept its transaction beyond its unit of work"
            ))
        })?;
        let outcome = match result {
            Ok(value) => txn.commit().await.map(|()| value).map_err(ApiError::from),
            Err(e) => {
                // A failed rollback only means the connection is gone; the
                // transaction ends with it either way.
                let _ = txn.rollback().await;
                Err(e)
            }
        };
        match outcome {
            Err(e) if e.is_retryable() && attempt < WRITE_ATTEMPTS => {
                attempt += 1;
                let pause = rand::random_range(5..=25u64) * u64::from(attempt);
                tracing::debug!(attempt, pause_ms = pause, "unit of work retried");
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
}

/// Begins a transaction that is going to write; private to [`write`] (and
/// the few platform mechanisms that manage their own, like idempotency).
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    #[allow(clippy::disallowed_methods)] // the one place a write transaction begins
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
