//! Settings from the environment (SPEC §G). A `.env` file is read by `main`
//! before these are parsed. Secrets are wrapped so `Debug` never prints them.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// The development JWT secret used when `JWT_SECRET` is unset outside production.
pub const DEV_JWT_SECRET: &str = "development-only-secret-do-not-use-in-production!";

/// WeChat's server API (tests point `WECHAT_API_BASE` at a local mock instead).
pub const DEFAULT_WECHAT_API_BASE: &str = "https://api.weixin.qq.com";

/// Default SQLite database, created under `data/` on first run.
/// Variables that may instead be read from a file named by `<NAME>_FILE`.
pub const SECRET_FILE_VARIABLES: &[&str] =
    &["JWT_SECRET", "WECHAT_SECRET", "DATABASE_URL", "REDIS_URL"];

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/association.db?mode=rwc";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "development" | "dev" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            other => Err(ConfigError(format!(
                "APP_ENV must be `development` or `production`, not `{other}`"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

#[derive(Clone)]
pub struct Settings {
    pub env: Environment,
    pub database_url: SecretString,
    pub redis_url: Option<SecretString>,
    pub jwt_secret: SecretString,
    pub wechat_appid: Option<String>,
    pub wechat_secret: Option<SecretString>,
    pub wechat_api_base: String,
    pub bind_addr: String,
    /// Largest accepted JSON body, in bytes.
    pub json_limit: usize,
    /// Storage timeouts (`DATABASE_BUSY_TIMEOUT_MS`, `DATABASE_ACQUIRE_TIMEOUT_MS`).
    pub db_timeouts: crate::platform::db::Timeouts,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: crate::platform::client::TrustedProxies,
    /// How long a request body may take to arrive (`BODY_TIMEOUT_MS`, 30 s).
    pub body_timeout: crate::platform::client::BodyTimeout,
    /// Open drafts a district may have in one campaign
    /// (`NOMINATION_DRAFT_LIMIT`, 3).
    pub nomination_draft_limit: u32,
    /// The background worker (`WORKER`, `JOB_POLL_MS`, `JOB_HEARTBEAT_MS`).
    pub jobs: JobSettings,
    /// Subscribe-message templates per event (`WECHAT_TEMPLATES`, JSON).
    pub wechat_templates: crate::wechat::templates::Templates,
    /// One log line per request (`ACCESS_LOG=on|off`, default on); the
    /// health and metrics probes never write one.
    pub access_log: bool,
    /// HTTP worker threads (`WEB_WORKERS`; default: one per CPU the process
    /// may use).
    pub web_workers: Option<usize>,
}

/// Where background jobs run and how often a worker looks for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobSettings {
    /// `WORKER=in-serve` (default): `serve` runs the workers too;
    /// `WORKER=off`: it only enqueues (run `association worker` beside it).
    pub in_serve: bool,
    /// How often an idle worker polls its queue (`JOB_POLL_MS`, default 1000).
    pub poll: std::time::Duration,
    /// A worker's heartbeat (`JOB_HEARTBEAT_MS`, default 15000); a job whose
    /// worker missed its heartbeats is picked up by another.
    pub heartbeat: std::time::Duration,
    /// How often a worker enqueues the clock-driven sweeps, e.g. deadline
    /// reminders (`JOB_SWEEP_MS`, default 60000; one per clock minute
    /// whatever the number of processes).
    pub sweep: std::time::Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            in_serve: true,
            poll: std::time::Duration::from_secs(1),
            heartbeat: std::time::Duration::from_secs(15),
            sweep: std::time::Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field(
                "database_url",
                &redact_url(self.database_url.expose_secret()),
            )
            .field(
                "redis_url",
                &self
                    .redis_url
                    .as_ref()
                    .map(|u| redact_url(u.expose_secret())),
            )
            .field("jwt_secret", &"[redacted]")
            .field("wechat_appid", &self.wechat_appid)
            .field(
                "wechat_secret",
                &self.wechat_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("wechat_api_base", &self.wechat_api_base)
            .field("bind_addr", &self.bind_addr)
            .field("json_limit", &self.json_limit)
            .field("nomination_draft_limit", &self.nomination_draft_limit)
            .field("db_timeouts", &self.db_timeouts)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("body_timeout", &self.body_timeout)
            .field("jobs", &self.jobs)
            .field("wechat_templates", &self.wechat_templates)
            .field("access_log", &self.access_log)
            .field("web_workers", &self.web_workers)
            .finish()
    }
}

/// Hides the password of a connection URL (`postgres://user:***@host/db`).
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "[unparseable url]".to_owned(),
    }
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let plain = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        // `NAME_FILE` names a file holding the value (Docker/Compose secrets),
        // for the values that must not sit in the environment or compose file.
        let from_file = |k: &str| -> Result<Option<String>, ConfigError> {
            let Some(path) = plain(&format!("{k}_FILE")) else {
                return Ok(None);
            };
            if plain(k).is_some() {
                return Err(ConfigError(format!("set either {k} or {k}_FILE, not both")));
            }
            let text = std::fs::read_to_string(path.trim())
                .map_err(|e| ConfigError(format!("{k}_FILE: cannot read {path}: {e}")))?;
            let value = text.trim_end_matches(['\n', '\r']).to_owned();
            if value.trim().is_empty() {
                return Err(ConfigError(format!("{k}_FILE: {path} is empty")));
            }
            Ok(Some(value))
        };
        let mut files = std::collections::HashMap::new();
        for k in SECRET_FILE_VARIABLES {
            if let Some(v) = from_file(k)? {
                files.insert(*k, v);
            }
        }
        let get = |k: &str| files.get(k).cloned().or_else(|| plain(k));
        let env = Environment::parse(&get("APP_ENV").unwrap_or_default())?;
        let jwt_secret = match (get("JWT_SECRET"), env) {
            (Some(s), _) => s,
            (None, Environment::Development) => DEV_JWT_SECRET.to_owned(),
            (None, Environment::Production) => {
                return Err(ConfigError(
                    "JWT_SECRET must be set in production (at least 32 bytes)".into(),
                ));
            }
        };
        if env == Environment::Production {
            if jwt_secret == DEV_JWT_SECRET {
                return Err(ConfigError(
                    "JWT_SECRET is the development secret; refusing to start in production".into(),
                ));
            }
            if jwt_secret.len() < 32 {
                return Err(ConfigError(
                    "JWT_SECRET must be at least 32 bytes in production".into(),
                ));
            }
        }
        let wechat_appid = get("WECHAT_APPID");
        let wechat_secret = get("WECHAT_SECRET").map(SecretString::from);
        if env == Environment::Production && (wechat_appid.is_none() || wechat_secret.is_none()) {
            return Err(ConfigError(
                "WECHAT_APPID and WECHAT_SECRET must be set in production; the development login is refused".into(),
            ));
        }
        let json_limit = match get("JSON_LIMIT_BYTES") {
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError("JSON_LIMIT_BYTES must be a number of bytes".into()))?,
            None => 256 * 1024,
        };
        let mut db_timeouts = crate::platform::db::Timeouts::default();
        if let Some(v) = get("DATABASE_BUSY_TIMEOUT_MS") {
            db_timeouts.busy = millis("DATABASE_BUSY_TIMEOUT_MS", &v)?;
        }
        if let Some(v) = get("DATABASE_ACQUIRE_TIMEOUT_MS") {
            db_timeouts.acquire = millis("DATABASE_ACQUIRE_TIMEOUT_MS", &v)?;
        }
        let trusted_proxies = crate::platform::client::TrustedProxies::parse(
            &get("TRUSTED_PROXIES").unwrap_or_default(),
        )
        .map_err(|e| ConfigError(format!("TRUSTED_PROXIES: {e}")))?;
        let mut body_timeout = crate::platform::client::BodyTimeout::default();
        if let Some(v) = get("BODY_TIMEOUT_MS") {
            body_timeout.0 = millis("BODY_TIMEOUT_MS", &v)?;
        }
        let nomination_draft_limit = match get("NOMINATION_DRAFT_LIMIT") {
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    ConfigError("NOMINATION_DRAFT_LIMIT must be a number from 1 to 100".into())
                })?,
            None => 3,
        };
        let mut jobs = JobSettings::default();
        match get("WORKER")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("in-serve") => {}
            Some("off") => jobs.in_serve = false,
            Some(other) => {
                return Err(ConfigError(format!(
                    "WORKER must be `in-serve` or `off`, not `{other}`"
                )));
            }
        }
        if let Some(v) = get("JOB_POLL_MS") {
            jobs.poll = millis("JOB_POLL_MS", &v)?;
        }
        if let Some(v) = get("JOB_HEARTBEAT_MS") {
            jobs.heartbeat = millis("JOB_HEARTBEAT_MS", &v)?;
        }
        if let Some(v) = get("JOB_SWEEP_MS") {
            jobs.sweep = millis("JOB_SWEEP_MS", &v)?;
        }
        let wechat_templates = match get("WECHAT_TEMPLATES") {
            Some(v) => crate::wechat::templates::Templates::parse(&v)
                .map_err(|e| ConfigError(format!("WECHAT_TEMPLATES: {e}")))?,
            None => Default::default(),
        };
        let access_log = match get("ACCESS_LOG")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(ConfigError(format!(
                    "ACCESS_LOG must be `on` or `off`, not `{other}`"
                )));
            }
        };
        let web_workers = match get("WEB_WORKERS") {
            Some(v) => Some(
                v.trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or_else(|| {
                        ConfigError("WEB_WORKERS must be a number from 1 to 256".into())
                    })?,
            ),
            None => None,
        };
        Ok(Self {
            env,
            jobs,
            access_log,
            web_workers,
            wechat_templates,
            db_timeouts,
            nomination_draft_limit,
            trusted_proxies,
            body_timeout,
            database_url: SecretString::from(
                get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            ),
            redis_url: get("REDIS_URL").map(SecretString::from),
            jwt_secret: SecretString::from(jwt_secret),
            wechat_appid,
            wechat_secret,
            wechat_api_base: get("WECHAT_API_BASE")
                .unwrap_or_else(|| DEFAULT_WECHAT_API_BASE.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            bind_addr: get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            json_limit,
        })
    }
}

fn millis(name: &str, v: &str) -> Result<std::time::Duration, ConfigError> {
    match v.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(std::time::Duration::from_millis(ms)),
        _ => Err(ConfigError(format!(
            "{name} must be a positive number of milliseconds"
        ))),
    }
}

impl Settings {
    /// The built-in development login (`dev:<name>` codes) is on only in
    /// development and only when no WeChat app is configured.
    pub fn dev_login_enabled(&self) -> bool {
        self.env == Environment::Development && self.wechat_appid.is_none()
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}
