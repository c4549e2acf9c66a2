//! The application: connect, migrate, bind, serve. Tests run this very path
//! on port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api as routes;
use crate::api::openapi::RouteTable;
use crate::api::ops::OpenApiJson;
use crate::articles::verify::{FetchOptions, Verifier};
use crate::platform::cache::Cache;
use crate::platform::clock::{SharedClock, SystemClock};
use crate::platform::config::Settings;
use crate::platform::metrics::Metrics;
use crate::platform::{db, extract};
use crate::state::AppState;

/// Knobs tests turn; production uses the defaults.
#[derive(Clone)]
pub struct Overrides {
    pub clock: SharedClock,
    /// Prefix of every cache key (tests give each app its own).
    pub cache_prefix: String,
    pub workers: usize,
}

impl Default for Overrides {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            cache_prefix: "association:".into(),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Connections one worker holds at once (the rest wait in the backlog).
pub const MAX_CONNECTIONS: usize = 4096;

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    verifier: Verifier,
    worker: Option<WorkerHandle>,
}

/// The background worker running in this process (`WORKER=in-serve`).
struct WorkerHandle {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl WorkerHandle {
    fn start(state: &AppState, verifier: &Verifier) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(crate::worker::run(
            crate::worker::Context {
                state: state.clone(),
                verifier: verifier.clone(),
            },
            async move {
                let _ = stopped.await;
            },
        ));
        Self { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Err(e)) => {
                tracing::error!(error = ?e, "the background worker stopped with an error")
            }
            Err(e) => tracing::error!(error = ?e, "the background worker panicked"),
            Ok(Ok(())) => {}
        }
    }
}

/// The process's article verifier (the worker's page fetches).
pub fn verifier(state: &AppState) -> anyhow::Result<Verifier> {
    Verifier::new(
        state.db.clone(),
        state.clock.clone(),
        state.settings.is_production(),
        FetchOptions::default(),
    )
}

impl Application {
    pub async fn build(settings: Settings, overrides: Overrides) -> anyhow::Result<Self> {
        let state = build_state(settings, &overrides).await?;
        let listener = TcpListener::bind(&state.settings.bind_addr)
            .with_context(|| format!("cannot bind {}", state.settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let verifier = verifier(&state)?;
        let workers = state.settings.web_workers.unwrap_or(overrides.workers);
        let server = serve(listener, state.clone(), workers)?;
        let worker = state
            .settings
            .jobs
            .in_serve
            .then(|| WorkerHandle::start(&state, &verifier));
        Ok(Self {
            port,
            server,
            state,
            verifier,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The process's article verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Serves until the server stops (a signal), then stops the worker,
    /// letting its running jobs finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(worker) = self.worker {
            worker.stop().await;
        }
        served
    }
}

/// Connects storage and cache (applying migrations) and assembles the state.
pub async fn build_state(settings: Settings, overrides: &Overrides) -> anyhow::Result<AppState> {
    let mut db =
        db::connect_and_migrate_with(settings.database_url.expose_secret(), settings.db_timeouts)
            .await
            .context("cannot open the database or apply the migrations")?;
    let metrics = Metrics::new()?;
    let counter = metrics.clone();
    db.set_metric_callback(move |_| counter.statement());
    let cache = match &settings.redis_url {
        Some(url) => Cache::redis(url.expose_secret(), &overrides.cache_prefix)
            .await
            .context("cannot connect to Redis")?,
        None => Cache::memory(&overrides.cache_prefix),
    };
    let page_token_key: Arc<[u8]> = {
        let mut h = Sha256::new();
        h.update(b"page-token-key\0");
        h.update(settings.jwt_secret.expose_secret().as_bytes());
        Arc::from(&h.finalize()[..])
    };
    let wechat = match (&settings.wechat_appid, &settings.wechat_secret) {
        (Some(appid), Some(secret)) => Some(
            crate::wechat::WeChat::new(
                &settings.wechat_api_base,
                appid.clone(),
                secret.clone(),
                cache.clone(),
            )
            .context("cannot build the WeChat client")?,
        ),
        _ => None,
    };
    Ok(AppState {
        wechat,
        db,
        cache,
        clock: overrides.clock.clone(),
        settings: Arc::new(settings),
        metrics,
        page_token_key,
    })
}

fn serve(listener: TcpListener, state: AppState, workers: usize) -> anyhow::Result<Server> {
    let doc = crate::api::openapi::committed()?;
    let routes = web::Data::new(RouteTable::from_openapi(&doc));
    let integer_query = web::Data::new(crate::api::query::IntegerQueryNames::from_openapi(&doc));
    let doc_json = web::Data::new(OpenApiJson(serde_json::to_string(&doc)?));
    drop(doc);
    let json_limit = state.settings.json_limit;
    let metrics = web::Data::new(state.metrics.clone());
    let access_log = web::Data::new(crate::platform::metrics::AccessLog(
        state.settings.access_log,
    ));
    let limits = web::Data::new(extract::BodyLimits {
        json: state.settings.json_limit,
    });
    let trusted = web::Data::new(state.settings.trusted_proxies.clone());
    let body_timeout = web::Data::new(state.settings.body_timeout);
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(metrics.clone())
            .app_data(access_log.clone())
            .app_data(limits.clone())
            .app_data(trusted.clone())
            .app_data(body_timeout.clone())
            .app_data(routes.clone())
            .app_data(integer_query.clone())
            .app_data(doc_json.clone())
            .app_data(extract::json_config(json_limit))
            .app_data(crate::api::fallback::path_config())
            .app_data(extract::query_config())
            .configure(routes::serve)
            .route(
                "/docs",
                web::get().to(|| async {
                    actix_web::HttpResponse::Found()
                        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .config(Config::new(["/openapi.json"]).validator_url("none")),
            )
            .default_service(web::to(routes::fallback::not_found))
            .wrap(from_fn(crate::access::principal::middleware))
            .wrap(Compress::default())
            .wrap(from_fn(crate::platform::client::body_deadline))
            .wrap(from_fn(crate::platform::metrics::middleware))
            .wrap(from_fn(crate::api::query::middleware))
            .wrap(from_fn(crate::platform::method_override::middleware))
            .wrap(from_fn(crate::platform::request_id::middleware))
    })
    .workers(workers.max(1))
    // Slow and greedy clients: the request head must arrive within 10 s, an
    // idle keep-alive connection is closed after 30 s, a closing connection
    // gets 5 s to go, and a worker holds at most MAX_CONNECTIONS at once
    // (the body has its own deadline: platform::client::body_deadline).
    .client_request_timeout(std::time::Duration::from_secs(10))
    .keep_alive(std::time::Duration::from_secs(30))
    .client_disconnect_timeout(std::time::Duration::from_secs(5))
    .max_connections(MAX_CONNECTIONS)
    .listen(listener)?
    .run();
    Ok(server)
}
