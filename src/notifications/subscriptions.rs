//! One-time authorisations of subscribe messages. In the mini-program,
//! `wx.requestSubscribeMessage({tmplIds})` asks the member; each template
//! they accept allows the app one message of it. The mini-program reports
//! what was accepted (`POST /me/subscriptions`); each send consumes one.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::principal::Principal;
use crate::entity::wechat_subscription;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, FieldError};
use crate::wechat::templates::Templates;

/// At most this many authorisations are kept per template (WeChat keeps
/// accumulating them; the number only bounds what a client can claim).
pub const MAX_REMAINING: i32 = 50;

/// The templates accepted in one `wx.requestSubscribeMessage`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"accepted": ["bDmywsp2oEHjwAadTGKkUHpC0RgBVPvfAXnokzB4C7M"]}))]
pub struct SubscriptionInput {
    /// The template ids the member accepted (`accept` in the result of
    /// `wx.requestSubscribeMessage`); 1–20 of the configured ones.
    #[schema(min_items = 1, max_items = 20)]
    #[validate(length(min = 1, max = 20, message = "请列出 1 至 20 个模板。"))]
    pub accepted: Vec<String>,
}

/// One configured template and the caller's authorisations of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// The template id to pass to `wx.requestSubscribeMessage`.
    pub template_id: String,
    /// The events it tells of.
    pub events: Vec<String>,
    /// Messages of this template the app may still send the caller.
    pub remaining: i32,
}

/// The configured templates with the caller's authorisations.
pub async fn list(
    db: &impl ConnectionTrait,
    templates: &Templates,
    p: &Principal,
) -> ApiResult<Vec<SubscriptionView>> {
    let held = wechat_subscription::Entity::find()
        .filter(wechat_subscription::Column::MemberId.eq(p.id()))
        .all(db)
        .await?;
    let mut views: Vec<SubscriptionView> = Vec::new();
    for (event, t) in templates.iter() {
        match views.iter_mut().find(|v| v.template_id == t.template_id) {
            Some(v) => v.events.push(event.to_owned()),
            None => views.push(SubscriptionView {
                template_id: t.template_id.clone(),
                events: vec![event.to_owned()],
                remaining: held
                    .iter()
                    .find(|h| h.template_id == t.template_id)
                    .map_or(0, |h| h.remaining),
            }),
        }
    }
    Ok(views)
}

/// Records one more authorisation of each accepted template.
pub async fn accept(
    tx: Tx,
    templates: &Templates,
    p: &Principal,
    input: &SubscriptionInput,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut errors = Vec::new();
    for (i, id) in input.accepted.iter().enumerate() {
        if !templates.knows_template(id) {
            errors.push(FieldError::new(
                &format!("/accepted/{i}"),
                "unknown_template",
                "不是本小程序配置的订阅消息模板。",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let ids: BTreeSet<&str> = input.accepted.iter().map(String::as_str).collect();
    for id in ids {
        wechat_subscription::Entity::insert(wechat_subscription::ActiveModel {
            member_id: Set(p.id()),
            template_id: Set(id.to_owned()),
            remaining: Set(1),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                wechat_subscription::Column::MemberId,
                wechat_subscription::Column::TemplateId,
            ])
            .value(
                wechat_subscription::Column::Remaining,
                Expr::cust(format!(
                    "CASE WHEN wechat_subscriptions.remaining < {MAX_REMAINING} THEN wechat_subscriptions.remaining + 1 ELSE {MAX_REMAINING} END"
                )),
            )
            .value(wechat_subscription::Column::UpdatedAt, Expr::val(now))
            .to_owned(),
        )
        .exec_without_returning(&*tx)
        .await?;
    }
    Ok(())
}

/// Takes one authorisation of `template_id` from `member_id`; false when
/// none is left.
pub async fn consume(
    db: &impl ConnectionTrait,
    member_id: i64,
    template_id: &str,
) -> ApiResult<bool> {
    let done = wechat_subscription::Entity::update_many()
        .col_expr(
            wechat_subscription::Column::Remaining,
            Expr::col(wechat_subscription::Column::Remaining).sub(1),
        )
        .filter(wechat_subscription::Column::MemberId.eq(member_id))
        .filter(wechat_subscription::Column::TemplateId.eq(template_id))
        .filter(wechat_subscription::Column::Remaining.gt(0))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Gives back an authorisation a failed send did not use.
pub async fn restore(
    db: &impl ConnectionTrait,
    member_id: i64,
    template_id: &str,
) -> ApiResult<()> {
    wechat_subscription::Entity::update_many()
        .col_expr(
            wechat_subscription::Column::Remaining,
            Expr::col(wechat_subscription::Column::Remaining).add(1),
        )
        .filter(wechat_subscription::Column::MemberId.eq(member_id))
        .filter(wechat_subscription::Column::TemplateId.eq(template_id))
        .exec(db)
        .await?;
    Ok(())
}

/// WeChat said 43101: the member has none left, whatever was counted.
pub async fn spent(db: &impl ConnectionTrait, member_id: i64, template_id: &str) -> ApiResult<()> {
    wechat_subscription::Entity::update_many()
        .col_expr(wechat_subscription::Column::Remaining, Expr::val(0))
        .filter(wechat_subscription::Column::MemberId.eq(member_id))
        .filter(wechat_subscription::Column::TemplateId.eq(template_id))
        .exec(db)
        .await?;
    Ok(())
}
