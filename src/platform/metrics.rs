//! Prometheus metrics: request counts and latency histograms by route and status.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::platform::jobs::QueueCount;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    jobs: IntGaugeVec,
    jobs_age: IntGaugeVec,
    statements: IntCounter,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method, route and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new(
                "background_jobs",
                "Background jobs by queue and state (Pending, Queued, Running, Done, Failed: to be retried, Dead)",
            ),
            &["queue", "state"],
        )?;
        let jobs_age = IntGaugeVec::new(
            Opts::new(
                "background_jobs_oldest_age_seconds",
                "Seconds since the oldest job of a queue in a state was due",
            ),
            &["queue", "state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        let statements = IntCounter::new(
            "db_statements_total",
            "SQL statements sent to the database (BEGIN, COMMIT and savepoints not counted)",
        )?;
        registry.register(Box::new(jobs_age.clone()))?;
        registry.register(Box::new(statements.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            jobs,
            jobs_age,
            statements,
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// Counts one SQL statement (see `startup::build_state`).
    pub fn statement(&self) {
        self.statements.inc();
    }

    /// SQL statements sent since the process started.
    pub fn statements(&self) -> u64 {
        self.statements.get()
    }

    /// The job counts as read now (states no longer present disappear).
    pub fn set_jobs(&self, counts: &[QueueCount]) {
        self.jobs.reset();
        self.jobs_age.reset();
        for c in counts {
            let labels = [c.queue.as_str(), c.status.as_str()];
            self.jobs.with_label_values(&labels).set(c.jobs);
            self.jobs_age
                .with_label_values(&labels)
                .set(c.oldest_age_seconds);
        }
    }

    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// The paths of the health and metrics probes: counted, never logged (a
/// probe every few seconds would fill the log with nothing).
pub const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Whether the access log is on (`ACCESS_LOG`, default on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessLog(pub bool);

impl AccessLog {
    /// Whether a request for `path` writes its access log line: every
    /// request while the access log is on, except the probes.
    pub fn logs(self, path: &str) -> bool {
        self.0 && !PROBES.contains(&path)
    }
}

/// Records every request; the route label is the matched pattern (never the
/// raw path, so ids do not explode the label set). Writes one access log
/// line per request (see [`AccessLog::logs`]).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let access_log = req
        .app_data::<web::Data<AccessLog>>()
        .map_or(AccessLog(true), |a| *a.get_ref());
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = start.elapsed();
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    if !access_log.logs(res.request().path()) {
        return Ok(res);
    }
    tracing::info!(
        method,
        route,
        path = res.request().path(),
        client = crate::platform::client::client_ip(res.request())
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        request_id = crate::platform::request_id::current().unwrap_or_default(),
        "request"
    );
    Ok(res)
}
