//! Recording into the append-only audit log: every mutation by the secretariat or the council
//! (who, what, when, before/after, reason). Written in the same transaction
//! as the change it records.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;

use crate::entity::audit_log;
use crate::platform::error::{ApiError, ApiResult};

/// Who acted, as the log names them. Implemented by the authenticated
/// caller (`access::Principal`), so the log depends on no area.
pub trait Actor {
    /// The role an action can be taken in.
    type Role;
    fn actor_id(&self) -> i64;
    /// The role to name for an action meant for `role` (the role itself when
    /// the actor holds it).
    fn acting_role(&self, role: Self::Role) -> &'static str;
}

pub struct Entry<'a> {
    pub actor_id: Option<i64>,
    pub actor_role: Option<&'a str>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub reason: Option<&'a str>,
}

pub async fn record<B: Serialize, A: Serialize>(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    entry: Entry<'_>,
    before: Option<&B>,
    after: Option<&A>,
) -> ApiResult<()> {
    audit_log::ActiveModel {
        actor_id: Set(entry.actor_id),
        actor_role: Set(entry.actor_role.map(str::to_owned)),
        action: Set(entry.action.to_owned()),
        entity_type: Set(entry.entity_type.to_owned()),
        entity_id: Set(entry.entity_id),
        before: Set(to_json(before)?),
        after: Set(to_json(after)?),
        reason: Set(entry.reason.map(str::to_owned)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn to_json<T: Serialize>(v: Option<&T>) -> ApiResult<Option<String>> {
    v.map(serde_json::to_string)
        .transpose()
        .map_err(ApiError::internal)
}

impl<'a> Entry<'a> {
    /// An entry for an action by `actor` in `role`.
    pub fn by<A: Actor>(
        actor: &A,
        role: A::Role,
        action: &'a str,
        entity_type: &'a str,
        entity_id: impl ToString,
    ) -> Self {
        Self {
            actor_id: Some(actor.actor_id()),
            actor_role: Some(actor.acting_role(role)),
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            reason: None,
        }
    }

    pub fn reason(mut self, reason: Option<&'a str>) -> Self {
        self.reason = reason;
        self
    }
}

/// The latest entry of the log about one of `entity_ids` (of `entity_type`)
/// with one of `actions`: who last changed a thing, and how.
pub async fn latest(
    db: &impl ConnectionTrait,
    entity_type: &str,
    entity_ids: &[String],
    actions: &[&str],
) -> ApiResult<Option<audit_log::Model>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    if entity_ids.is_empty() || actions.is_empty() {
        return Ok(None);
    }
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq(entity_type))
        .filter(audit_log::Column::EntityId.is_in(entity_ids.iter().map(String::as_str)))
        .filter(audit_log::Column::Action.is_in(actions.iter().copied()))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await?)
}
