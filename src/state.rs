//! What every handler can reach: storage, cache, clock, settings, metrics,
//! the WeChat client. Use cases never take it: a handler passes them what
//! they need.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::platform::cache::Cache;
use crate::platform::clock::SharedClock;
use crate::platform::config::Settings;
use crate::platform::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: Cache,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    /// The WeChat client; absent when no WeChat app is configured (development).
    pub wechat: Option<crate::wechat::WeChat>,
    /// Key that signs page tokens (derived from the JWT secret).
    pub page_token_key: Arc<[u8]>,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
