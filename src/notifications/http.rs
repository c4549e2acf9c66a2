//! The member's inbox and subscribe-message authorisations.

use actix_web::{HttpResponse, get, post, web};

use crate::access::principal::Auth;
use crate::notifications::inbox::{self, InboxQuery, Marked, NotificationView, UnreadCount};
use crate::notifications::subscriptions::{self, SubscriptionInput, SubscriptionView};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// The caller's notifications, newest first (`unread=true`: only the unread
/// ones). Every event that concerns the caller is here, whether or not a
/// WeChat message was sent for it (`wechat_status`).
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    params(InboxQuery),
    responses((status = 200, body = Page<NotificationView>, description = "One page of the caller's notifications, newest first"))
)]
#[get("/me/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    Auth(p): Auth,
    q: web::Query<InboxQuery>,
) -> ApiResult<HttpResponse> {
    let page = inbox::list(&state.db, &state.page_token_key, &p, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// How many of the caller's notifications are unread (the badge).
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    responses((status = 200, body = UnreadCount, description = "The number of unread notifications"))
)]
#[get("/me/notifications/unread-count")]
pub async fn unread_count(state: web::Data<AppState>, Auth(p): Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(inbox::unread_count(&state.db, &p).await?))
}

/// Mark one of the caller's notifications read (again: no change).
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, body = NotificationView, description = "The notification, read"),
        (status = 404, description = "`NOT_FOUND`: no such notification of the caller"),
    )
)]
#[post("/me/notifications/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| inbox::mark_read(tx, &p, *path, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Mark every unread notification of the caller read.
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    responses((status = 200, body = Marked, description = "How many were marked read"))
)]
#[post("/me/notifications/read-all")]
pub async fn mark_all_read(state: web::Data<AppState>, Auth(p): Auth) -> ApiResult<HttpResponse> {
    let now = state.now();
    let marked = db::write(&state.db, |tx| inbox::mark_all_read(tx, &p, now)).await?;
    Ok(HttpResponse::Ok().json(marked))
}

/// The subscribe-message templates of the mini-program, with the events
/// each tells of and how many messages of it the caller has authorised. Pass
/// the `template_id`s to `wx.requestSubscribeMessage`.
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    responses((status = 200, body = Vec<SubscriptionView>, description = "The configured templates and the caller's authorisations"))
)]
#[get("/me/subscriptions")]
pub async fn list_subscriptions(
    state: web::Data<AppState>,
    Auth(p): Auth,
) -> ApiResult<HttpResponse> {
    let views = subscriptions::list(&state.db, &state.settings.wechat_templates, &p).await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Report the templates the caller accepted in `wx.requestSubscribeMessage`:
/// each adds one authorisation (one message of that template); a message
/// sent consumes one. Answers the templates as `GET /me/subscriptions`.
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    request_body = SubscriptionInput,
    responses(
        (status = 200, body = Vec<SubscriptionView>, description = "The configured templates and the caller's authorisations"),
        (status = 422, description = "`VALIDATION_FAILED`: no template, more than 20, or one that is not configured (`unknown_template` at `/accepted/{i}`)"),
    )
)]
#[post("/me/subscriptions")]
pub async fn accept_subscriptions(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: ValidJson<SubscriptionInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let templates = &state.settings.wechat_templates;
    db::write(&state.db, |tx| {
        subscriptions::accept(tx, templates, &p, &body, now)
    })
    .await?;
    let views = subscriptions::list(&state.db, templates, &p).await?;
    Ok(HttpResponse::Ok().json(views))
}
