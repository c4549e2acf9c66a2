//! Facts about the server that the mini-program needs.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::clock::to_china;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct ServerInfo {
    /// The server's clock in China time. Deadlines are compared with this,
    /// never with the phone's clock: show countdowns from it.
    pub server_time: DateTime<FixedOffset>,
    /// Always `Asia/Shanghai`.
    pub time_zone: String,
    /// The API version.
    pub version: String,
    /// Whether the development login (`dev:<name>` codes) is on.
    pub dev_login: bool,
}

/// The server's clock and version.
#[utoipa::path(tag = "meta", responses((status = 200, body = ServerInfo, description = "The server's clock and version")))]
#[get("/server-info")]
pub async fn server_info(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ServerInfo {
        server_time: to_china(state.now()),
        time_zone: "Asia/Shanghai".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        dev_login: state.settings.dev_login_enabled(),
    })
}
