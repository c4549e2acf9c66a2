//! What every handler can reach: storage, cache, clock, settings, metrics.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::cache::Cache;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::metrics::Metrics;

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
    /// Fetches article pages for verification (one HTTP client per process).
    pub verifier: crate::verify::Verifier,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
