//! `Idempotency-Key` (SPEC §E): a phone on a bad connection may send the same
//! POST again; a retry with the same key answers the first status and body
//! and creates nothing. The record is written in the same database
//! transaction as the effect, so a crash between the two cannot leave an
//! effect without its record (and so a duplicate on retry).
//!
//! - The key is scoped per member: two members may use the same key.
//! - The same key with another request body answers 422 `IDEMPOTENCY_KEY_REUSED`.
//! - Records are kept at least [`RETENTION`] (48 h, more than the 24 h promised).
//! - A failed request (any error) stores nothing: the retry runs again.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::entity::idempotency_key::{self, Entity as IdempotencyKeys};
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

/// How long a key is remembered.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(48);

/// Header set on a replayed response.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The response of an effect: status and JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub replayed: bool,
}

impl Stored {
    pub fn new(status: StatusCode, body: &impl Serialize) -> ApiResult<Self> {
        Ok(Self {
            status,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            replayed: false,
        })
    }

    pub fn into_response(self) -> HttpResponse {
        let mut b = HttpResponse::build(self.status);
        if self.replayed {
            b.insert_header((REPLAYED, HeaderValue::from_static("true")));
        }
        b.json(self.body)
    }
}

/// The fingerprint of a request: method, route and body.
pub fn fingerprint(method: &str, route: &str, body: &impl Serialize) -> ApiResult<String> {
    let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(route.as_bytes());
    h.update([0]);
    h.update(&body);
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `effect` in the unit of work ([`db::write`]), once per (scope, key):
/// the key is claimed, the effect runs and its answer is recorded in one
/// transaction. A retry with the same key and body replays the answer.
///
/// Without a key the effect simply runs in the unit of work.
pub async fn run<F, Fut>(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    scope: &str,
    key: Option<&str>,
    request_hash: &str,
    mut effect: F,
) -> ApiResult<Stored>
where
    F: FnMut(Tx) -> Fut,
    Fut: Future<Output = ApiResult<Stored>>,
{
    let Some(key) = key else {
        return db::write(db, effect).await;
    };
    if let Some(done) = lookup(db, now, scope, key, request_hash).await? {
        return Ok(done);
    }
    let contended = AtomicBool::new(false);
    let contended = &contended;
    let result = db::write(db, |tx| {
        let mine = tx.share();
        let work = effect(tx);
        async move {
            // Claim the key first: a concurrent request with the same key
            // waits on this row (PostgreSQL's unique index, SQLite's write
            // lock) and then replays our answer instead of running twice.
            let claim = idempotency_key::ActiveModel {
                scope: Set(scope.to_owned()),
                key: Set(key.to_owned()),
                request_hash: Set(request_hash.to_owned()),
                status_code: Set(0),
                response_body: Set(String::new()),
                created_at: Set(now),
            };
            if let Err(e) = claim.insert(&*mine).await {
                if db::is_unique_violation(&e) {
                    contended.store(true, Ordering::Relaxed);
                }
                return Err(e.into());
            }
            let out = work.await?;
            let body = serde_json::to_string(&out.body).map_err(ApiError::internal)?;
            IdempotencyKeys::update_many()
                .col_expr(
                    idempotency_key::Column::StatusCode,
                    (out.status.as_u16() as i16).into(),
                )
                .col_expr(idempotency_key::Column::ResponseBody, body.into())
                .filter(idempotency_key::Column::Scope.eq(scope))
                .filter(idempotency_key::Column::Key.eq(key))
                .exec(&*mine)
                .await?;
            Ok(out)
        }
    })
    .await;
    match result {
        Ok(out) => {
            if rand::random::<u8>() == 0 {
                purge_expired(db, now).await?;
            }
            Ok(out)
        }
        Err(_) if contended.load(Ordering::Relaxed) => {
            // Either a stale row (expired) or a concurrent twin that committed.
            if let Some(done) = lookup(db, now, scope, key, request_hash).await? {
                return Ok(done);
            }
            purge_one(db, scope, key, now).await?;
            Err(ApiError::new(ErrorCode::IdempotencyKeyInProgress))
        }
        Err(e) => Err(e),
    }
}

async fn lookup(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> ApiResult<Option<Stored>> {
    let Some(row) = IdempotencyKeys::find_by_id((scope.to_owned(), key.to_owned()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.created_at + RETENTION < now {
        return Ok(None);
    }
    if row.request_hash != request_hash {
        return Err(ApiError::new(ErrorCode::IdempotencyKeyReused));
    }
    if row.status_code == 0 {
        return Err(ApiError::new(ErrorCode::IdempotencyKeyInProgress));
    }
    let status = StatusCode::from_u16(row.status_code as u16).map_err(ApiError::internal)?;
    let body = serde_json::from_str(&row.response_body).map_err(ApiError::internal)?;
    Ok(Some(Stored {
        status,
        body,
        replayed: true,
    }))
}

async fn purge_one(
    db: &DatabaseConnection,
    scope: &str,
    key: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    IdempotencyKeys::delete_many()
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::CreatedAt.lt(now - RETENTION))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes records older than the retention.
pub async fn purge_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let res = IdempotencyKeys::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - RETENTION))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
