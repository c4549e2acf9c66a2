//! The member's inbox: their notifications, newest first, unread ones
//! counted, each marked read by its reader.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::principal::Principal;
use crate::entity::notification;
use crate::platform::clock::to_china;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult};
use crate::platform::pagination::{Page, PageParams, PageTokens};

/// One notification as its recipient reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// The event, e.g. `article.reviewed`, `nomination.reviewed`,
    /// `campaign.deadline_reminder` (README: the notification events).
    pub event: String,
    pub title: String,
    pub body: String,
    /// The mini-program page it opens, with the entity's id (`?id=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<i64>,
    /// The WeChat subscribe message: `pending`, `sending`, `sent`,
    /// `not_authorised` (no authorisation for its template: the inbox is
    /// where it is read), `not_configured`, `failed`, or `expired` (a
    /// reminder still queued at the deadline is not sent).
    pub wechat_status: String,
    pub read: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<notification::Model> for NotificationView {
    fn from(n: notification::Model) -> Self {
        let page = n.page.map(|p| match n.entity_id {
            Some(id) => format!("{p}?id={id}"),
            None => p,
        });
        Self {
            id: n.id,
            event: n.event,
            title: n.title,
            body: n.body,
            page,
            entity_type: n.entity_type,
            entity_id: n.entity_id,
            wechat_status: n.wechat_status,
            read: n.read_at.is_some(),
            read_at: n.read_at.map(to_china),
            created_at: to_china(n.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only the unread ones.
    pub unread: Option<bool>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

/// How many notifications the member has not read.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: u64,
}

/// How many notifications were marked read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// The caller's notifications, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    page_key: &[u8],
    p: &Principal,
    q: &InboxQuery,
) -> ApiResult<Page<NotificationView>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let unread = q.unread.unwrap_or(false);
    let tokens = PageTokens::new(page_key, format!("inbox?m={}&u={unread}", p.id()));
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(p.id()))
        .order_by_desc(notification::Column::Id);
    if let Some(b) = before {
        query = query.filter(notification::Column::Id.lt(b));
    }
    if unread {
        query = query.filter(notification::Column::ReadAt.is_null());
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let views: Vec<NotificationView> = rows.into_iter().map(Into::into).collect();
    tokens.page(views, params.size(), |n| n.id)
}

pub async fn unread_count(db: &impl ConnectionTrait, p: &Principal) -> ApiResult<UnreadCount> {
    let unread = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(p.id()))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?;
    Ok(UnreadCount { unread })
}

/// Marks one of the caller's notifications read (again: no change). Another
/// member's is 404, as if it did not exist.
pub async fn mark_read(
    tx: Tx,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<NotificationView> {
    let txn = &*tx;
    let n = notification::Entity::find_by_id(id)
        .filter(notification::Column::MemberId.eq(p.id()))
        .one(txn)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if n.read_at.is_some() {
        return Ok(n.into());
    }
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::val(Some(now)))
        .filter(notification::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let mut n = n;
    n.read_at = Some(now);
    Ok(n.into())
}

/// Marks every unread notification of the caller read.
pub async fn mark_all_read(tx: Tx, p: &Principal, now: DateTime<Utc>) -> ApiResult<Marked> {
    let done = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::val(Some(now)))
        .filter(notification::Column::MemberId.eq(p.id()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&*tx)
        .await?;
    Ok(Marked {
        marked: done.rows_affected,
    })
}
