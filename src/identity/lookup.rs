//! Lookups other areas make of members: who made a decision, by name.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::entity::member;
use crate::platform::decision::DecidedBy;
use crate::platform::error::ApiResult;

/// The member `id` as a decision names them (None when there is no id, or
/// no such member).
pub async fn decided_by(
    db: &impl ConnectionTrait,
    id: Option<i64>,
) -> ApiResult<Option<DecidedBy>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(member::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| DecidedBy {
            id: m.id,
            display_name: m.display_name,
        }))
}
