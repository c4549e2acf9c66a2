//! Batch calls: many items in one request, each in its own unit of work, so
//! one refused item leaves the others done and no item half-done. The
//! answer lists every item in the order sent: its HTTP status and either
//! the result or the problem it would have answered alone (the same
//! problem+json members and codes).

use std::future::Future;

use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::platform::db::{self, Tx};
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

impl<T> Outcome<T> {
    pub fn of(result: ApiResult<T>) -> Self {
        match result {
            Ok(value) => Self {
                status: 200,
                result: Some(value),
                problem: None,
            },
            Err(e) => {
                let problem = e.problem(None);
                if e.code.status().is_server_error() {
                    tracing::error!(
                        code = e.code.as_str(),
                        cause = %e.cause_chain(),
                        "batch item failed"
                    );
                }
                Self {
                    status: problem.status,
                    result: None,
                    problem: Some(problem),
                }
            }
        }
    }

    pub fn is_done(&self) -> bool {
        self.result.is_some()
    }
}

/// Runs `work` for each item, one unit of work per item, in order.
pub async fn each<'a, I, T, F, Fut>(
    db: &DatabaseConnection,
    items: &'a [I],
    mut work: F,
) -> Vec<Outcome<T>>
where
    F: FnMut(Tx, &'a I) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(Outcome::of(db::write(db, |tx| work(tx, item)).await));
    }
    out
}
