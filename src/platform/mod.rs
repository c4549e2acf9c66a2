//! Shared mechanisms every area uses and nothing area-specific: the error
//! table (problem+json), storage (connect, migrate, the unit of work), cache,
//! clock, settings, decisions on stale views (`STALE_DECISION`, `If-Match`),
//! idempotency, pagination, rate limits, request ids, metrics, telemetry,
//! request extractors and free-text field rules.
//! Nothing here imports an area.

pub mod audit;
pub mod batch;
pub mod cache;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod db_failure;
pub mod decision;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod jobs;
pub mod method_override;
pub mod metrics;
pub mod pagination;
pub mod rate_limit;
pub mod request_id;
pub mod telemetry;
pub mod text;

/// Installs the process-wide TLS crypto provider (ring) once; outbound HTTPS
/// (WeChat, article pages) needs it. Safe to call many times.
pub fn init_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
