//! Reading the audit log: entries newest first, filtered by entity or actor.

use chrono::{DateTime, FixedOffset};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::entity::audit_log;
use crate::platform::clock::to_china;
use crate::platform::error::ApiResult;
use crate::platform::pagination::{Page, PageParams, PageTokens};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// The member who acted; absent for the command line.
    pub actor_id: Option<i64>,
    /// The role they acted in (`secretariat`, `council`, `member`, `command-line`).
    pub actor_role: Option<String>,
    /// e.g. `school.update`, `member.roles`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The entity's fields before the change (absent or null for a creation).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub before: Option<serde_json::Value>,
    /// The entity's fields after the change.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(r: audit_log::Model) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            id: r.id,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: parse(r.before),
            after: parse(r.after),
            reason: r.reason,
            created_at: to_china(r.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<i64>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

/// The audit log, newest first, with filters. `page_key` signs the page
/// tokens.
pub async fn list(
    db: &impl ConnectionTrait,
    page_key: &[u8],
    q: &AuditQuery,
) -> ApiResult<Page<AuditEntry>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(
        page_key,
        format!(
            "audit?t={:?}&e={:?}&a={:?}",
            q.entity_type, q.entity_id, q.actor_id
        ),
    );
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = audit_log::Entity::find().order_by_desc(audit_log::Column::Id);
    if let Some(b) = before {
        query = query.filter(audit_log::Column::Id.lt(b));
    }
    if let Some(t) = &q.entity_type {
        query = query.filter(audit_log::Column::EntityType.eq(t.as_str()));
    }
    if let Some(e) = &q.entity_id {
        query = query.filter(audit_log::Column::EntityId.eq(e.as_str()));
    }
    if let Some(a) = q.actor_id {
        query = query.filter(audit_log::Column::ActorId.eq(a));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let entries: Vec<AuditEntry> = rows.into_iter().map(Into::into).collect();
    tokens.page(entries, params.size(), |e| e.id)
}
