//! The worker's side: sends a notification's subscribe message when the
//! member holds an authorisation of its event's template.
//!
//! At most once per notification: the authorisation is consumed and the
//! record marked `sending` in one transaction before WeChat is called; a
//! send that fails for a reason worth retrying gives the authorisation back
//! and the job is retried with back-off; 43101 ends it as `not_authorised`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entity::{member, notification};
use crate::notifications::{subscriptions, wechat_status};
use crate::platform::db;
use crate::platform::error::{ApiError, ApiResult};
use crate::wechat::templates::Templates;
use crate::wechat::{SendOutcome, WeChat};

/// Sends notification `id`'s message (a no-op when it is no longer pending).
pub async fn send(
    db: &DatabaseConnection,
    wechat: Option<&WeChat>,
    templates: &Templates,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(n) = notification::Entity::find_by_id(id).one(db).await? else {
        return Ok(());
    };
    let resumed = match n.wechat_status.as_str() {
        wechat_status::PENDING => false,
        // A worker died between consuming and sending: send, without
        // consuming a second authorisation.
        wechat_status::SENDING => true,
        _ => return Ok(()),
    };
    let facts: BTreeMap<String, String> = serde_json::from_str(&n.facts).unwrap_or_default();
    let expired = facts
        .get(crate::notifications::events::EXPIRES_AT)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| now >= t);
    if expired && !resumed {
        return set_status(db, id, wechat_status::EXPIRED, now).await;
    }
    let (Some(wechat), Some(template)) = (wechat, templates.for_event(&n.event)) else {
        return set_status(db, id, wechat_status::NOT_CONFIGURED, now).await;
    };
    let template_id = template.template_id.clone();
    if !resumed {
        let member_id = n.member_id;
        let tid = template_id.as_str();
        let consumed = db::write(db, |tx| async move {
            let consumed = subscriptions::consume(&*tx, member_id, tid).await?;
            let status = if consumed {
                wechat_status::SENDING
            } else {
                wechat_status::NOT_AUTHORISED
            };
            mark(&*tx, id, wechat_status::PENDING, status, now).await?;
            Ok(consumed)
        })
        .await?;
        if !consumed {
            return Ok(());
        }
    }
    let openid = member::Entity::find_by_id(n.member_id)
        .one(db)
        .await?
        .map(|m| m.openid)
        .ok_or_else(ApiError::not_found)?;
    let page = template
        .page
        .clone()
        .or(n.page.clone())
        .map(|p| match n.entity_id {
            Some(eid) => format!("{p}?id={eid}"),
            None => p,
        });
    match wechat
        .send_subscribe_message(
            &openid,
            &template_id,
            page.as_deref(),
            template.data(&facts),
        )
        .await
    {
        Ok(SendOutcome::Sent) => set_status(db, id, wechat_status::SENT, now).await,
        Ok(SendOutcome::NotAuthorised) => {
            subscriptions::spent(db, n.member_id, &template_id).await?;
            set_status(db, id, wechat_status::NOT_AUTHORISED, now).await
        }
        Err(e) if e.is_transient() => {
            // Not sent: the authorisation is still the member's; try again.
            let member_id = n.member_id;
            let tid = template_id.as_str();
            db::write(db, |tx| async move {
                subscriptions::restore(&*tx, member_id, tid).await?;
                mark(
                    &*tx,
                    id,
                    wechat_status::SENDING,
                    wechat_status::PENDING,
                    now,
                )
                .await
            })
            .await?;
            Err(ApiError::internal(anyhow::anyhow!(
                "subscribe message not sent: {e}"
            )))
        }
        Err(e) => {
            tracing::warn!(notification_id = id, error = %e, "WeChat refused the subscribe message");
            set_status(db, id, wechat_status::FAILED, now).await
        }
    }
}

async fn mark(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    notification::Entity::update_many()
        .col_expr(notification::Column::WechatStatus, Expr::val(to))
        .col_expr(notification::Column::WechatAt, Expr::val(Some(now)))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::WechatStatus.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

async fn set_status(
    db: &DatabaseConnection,
    id: i64,
    to: &'static str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    db::write(db, |tx| async move {
        notification::Entity::update_many()
            .col_expr(notification::Column::WechatStatus, Expr::val(to))
            .col_expr(notification::Column::WechatAt, Expr::val(Some(now)))
            .filter(notification::Column::Id.eq(id))
            .exec(&*tx)
            .await?;
        Ok(())
    })
    .await
}
