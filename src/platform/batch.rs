//! Batch calls: many items in one request and one unit of work, each item
//! in a savepoint of it, so a refused item (a 4xx problem) is undone alone
//! while the others are done, and no item is half-done. A failure of storage
//! (5xx, or a deadlock the unit of work retries) is no item's problem: the
//! whole batch answers it and nothing is applied. The answer lists every
//! item in the order sent: its HTTP status and either the result or the
//! problem it would have answered alone (the same problem+json members and codes).

use std::future::Future;

use serde::Serialize;

use crate::platform::db::Tx;
use crate::platform::error::{ApiResult, Problem};

/// Most items one batch call takes.
pub const MAX_ITEMS: usize = 200;

/// What became of one item.
#[derive(Debug, Serialize)]
pub struct Outcome<T> {
    /// 200 when done; else the status of `problem`.
    pub status: u16,
    /// The result when done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// The problem when refused (nothing of this item changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// Runs `work` for each item in order, each in a savepoint of `tx`.
pub async fn each<'a, I, T, F, Fut>(
    tx: &Tx,
    items: &'a [I],
    mut work: F,
) -> ApiResult<Vec<Outcome<T>>>
where
    F: FnMut(Tx, &'a I) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match tx.savepoint(|sp| work(sp, item)).await {
            Ok(value) => out.push(Outcome {
                status: 200,
                result: Some(value),
                problem: None,
            }),
            Err(e) if e.code.status().is_client_error() && !e.is_retryable() => {
                let problem = e.problem(None);
                out.push(Outcome {
                    status: problem.status,
                    result: None,
                    problem: Some(problem),
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
