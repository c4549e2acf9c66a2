//! HTTP handlers, one file per area. Every handler is registered with
//! `.service(...)` inside a utoipa scope so that it lands in the spec.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod fallback;
pub mod meta;
pub mod ops;

/// All routes: operations at the root, the API under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json)
        .service(utoipa_actix_web::scope("/api/v1").configure(api_v1));
}

fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(meta::server_info);
}
