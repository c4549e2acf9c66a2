//! Backend of the WeChat mini-program of the Sichuan Provincial Association of
//! University Logistics (四川省高校后勤协会). See `README.md` and the spec.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content_check;
pub mod db;
pub mod domain;
pub mod entity;
pub mod error;
pub mod export;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod verify;
pub mod wechat;

/// Installs the process-wide TLS crypto provider (ring) once; outbound HTTPS
/// (WeChat) needs it. Safe to call many times.
pub fn init_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
