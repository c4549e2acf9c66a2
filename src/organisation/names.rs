//! District and school names are unique: a taken name answers 409
//! `CONFLICT` naming the field, whichever way the storage noticed it.

use crate::platform::error::{ApiError, ErrorCode};

/// 409 `CONFLICT` for a name already taken by another `what` (片区, 学校).
fn name_taken(pointer: &str, what: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_detail(format!("已有同名{what}。"))
        .with_extension("field", pointer.into())
}

/// A storage error of a write that sets a name: the unique constraint
/// becomes [`name_taken`], anything else stays what it is.
pub fn name_conflict(e: sea_orm::DbErr, pointer: &str, what: &str) -> ApiError {
    if crate::platform::db::is_unique_violation(&e) {
        name_taken(pointer, what)
    } else {
        e.into()
    }
}
