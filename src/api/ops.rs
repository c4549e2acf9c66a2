//! Operations: liveness, readiness, metrics, the spec.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health, description = "The process answers")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`
    pub status: String,
    /// `ok` per dependency.
    pub database: String,
    pub cache: String,
}

/// Readiness: the database and the cache answer. 503 problem when one does not.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Readiness, description = "The database and the cache answer"),
        (status = 503, description = "The database or the cache is down (`SERVICE_UNAVAILABLE`); `checks` says which"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let db = state.db.ping().await;
    let cache = state.cache.ping().await;
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    if db.is_ok() && cache.is_ok() {
        return Ok(HttpResponse::Ok().json(Readiness {
            status: "ready".into(),
            database: "ok".into(),
            cache: "ok".into(),
        }));
    }
    let checks = serde_json::json!({
        "database": word(db.is_ok()),
        "cache": word(cache.is_ok()),
    });
    let mut err = ApiError::new(ErrorCode::ServiceUnavailable)
        .with_detail("服务暂未就绪（数据库或缓存不可用）。")
        .with_extension("checks", checks);
    if let Err(e) = db {
        crate::platform::db_failure::note_unavailable();
        err = err.with_cause(e);
    } else if let Err(e) = cache {
        err = err.with_cause(e);
    }
    tracing::warn!(error = %err, "not ready");
    Err(err)
}

/// Prometheus metrics: request counts and latency histograms by route and
/// status; background jobs by queue and state with the age of the oldest
/// (`background_jobs`, `background_jobs_oldest_age_seconds`; left out when
/// the database does not answer — `/readyz` says so).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String, description = "Prometheus metrics in the text exposition format"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    match crate::platform::jobs::counts(&state.db).await {
        Ok(counts) => state.metrics.set_jobs(&counts),
        Err(e) => tracing::warn!(error = %e, "job counts not read for /metrics"),
    }
    let text = state.metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// This API's OpenAPI 3.1 document (the same as `openapi/openapi.json`).
#[utoipa::path(tag = "operations", responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = std::collections::HashMap<String, serde_json::Value>)))]
#[get("/openapi.json")]
pub async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The serialized document, built once at start.
pub struct OpenApiJson(pub String);
