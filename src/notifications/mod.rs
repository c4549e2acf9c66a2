//! What members are told (issue 14): each event is one notification record
//! per recipient — the in-app inbox (`GET /me/notifications`) — and, where
//! the member authorised the event's template, a WeChat subscribe message
//! sent by the background worker.
//!
//! - [`notify`] runs in the unit of work of the change that causes the event
//!   (a review, a grant), so a rolled-back change tells nobody and a
//!   committed one always tells. The record is unique per (recipient, key):
//!   an event recorded twice — two processes, a retried job — is told once.
//! - The message is a job ([`SendWeChat`]); one send consumes one of the
//!   member's one-time authorisations ([`subscriptions`]); WeChat's 43101 (no
//!   authorisation left) is a normal outcome, the inbox still has it.

pub mod events;
pub mod http;
pub mod inbox;
pub mod send;
pub mod subscriptions;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::entity::notification;
use crate::platform::error::{ApiError, ApiResult};
use crate::platform::jobs::{self, Job, Schedule};

/// One event for one member.
#[derive(Clone, Debug)]
pub struct Notice {
    pub member_id: i64,
    /// The event, e.g. `article.reviewed` (its WeChat template is configured per event).
    pub event: &'static str,
    /// What makes it one event: the same key for the same member is recorded once.
    pub key: String,
    pub title: String,
    pub body: String,
    /// The mini-program page to open (the entity's id is added).
    pub page: Option<String>,
    pub entity: Option<(&'static str, i64)>,
    /// The values a template's fields show (title, result, reason, time…).
    pub facts: BTreeMap<String, String>,
}

/// The WeChat side of a notification.
pub mod wechat_status {
    /// Waiting for the worker.
    pub const PENDING: &str = "pending";
    /// An authorisation was consumed and the message is on its way.
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    /// The member has no authorisation for the template (or WeChat said 43101).
    pub const NOT_AUTHORISED: &str = "not_authorised";
    /// No template is configured for the event, or no WeChat app (development).
    pub const NOT_CONFIGURED: &str = "not_configured";
    /// WeChat refused it for good (after the retries).
    pub const FAILED: &str = "failed";
    /// Still queued when it stopped being worth sending (a reminder at the deadline).
    pub const EXPIRED: &str = "expired";
}

/// The job that sends a notification's subscribe message.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SendWeChat {
    pub notification_id: i64,
}

impl Job for SendWeChat {
    const QUEUE: &'static str = "notifications.wechat";
    const MAX_ATTEMPTS: u32 = 5;
}

/// Records `notices` in the unit of work and enqueues their messages; a
/// notice already recorded for its member and key is left as it is.
/// Answers how many were new.
pub async fn notify(
    txn: &impl ConnectionTrait,
    notices: Vec<Notice>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let mut new = 0;
    for n in notices {
        let facts = serde_json::to_string(&n.facts).map_err(ApiError::internal)?;
        let am = notification::ActiveModel {
            member_id: Set(n.member_id),
            event: Set(n.event.to_owned()),
            dedup_key: Set(n.key.clone()),
            title: Set(n.title.chars().take(200).collect()),
            body: Set(n.body),
            page: Set(n.page),
            entity_type: Set(n.entity.map(|(t, _)| t.to_owned())),
            entity_id: Set(n.entity.map(|(_, id)| id)),
            facts: Set(facts),
            wechat_status: Set(wechat_status::PENDING.to_owned()),
            created_at: Set(now),
            ..Default::default()
        };
        // One statement: the id of a new record, nothing for one already there.
        let id = match notification::Entity::insert(am)
            .on_conflict(
                OnConflict::columns([
                    notification::Column::MemberId,
                    notification::Column::DedupKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec(txn)
            .await
        {
            Ok(r) => r.last_insert_id,
            Err(sea_orm::DbErr::RecordNotInserted) => continue,
            Err(e) => return Err(e.into()),
        };
        jobs::enqueue(
            txn,
            &SendWeChat {
                notification_id: id,
            },
            Schedule::keyed(format!("notification:{id}")),
        )
        .await?;
        new += 1;
    }
    Ok(new)
}
