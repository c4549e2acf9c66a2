//! Client of WeChat's server API (`api.weixin.qq.com`): login (`jscode2session`),
//! the server access token (`stable_token`, cached and shared by all app
//! processes through the [`Cache`]), phone numbers, content checks and
//! subscription messages.
//!
//! WeChat answers HTTP 200 with JSON whether a call succeeded or not; a failure
//! carries a non-zero `errcode`. The app secret travels in the query of
//! `jscode2session` and in the body of `stable_token`, so no error of this
//! module ever carries a request URL or a body (reqwest errors are stripped
//! with `without_url`), and WeChat's own `errmsg` is scrubbed of the secret.

pub mod content_check;
pub mod templates;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use bytes::Bytes;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::platform::cache::{Cache, CacheError};
use crate::platform::error::{ApiError, ErrorCode};

/// Cache key of the server access token (shared by all app processes).
pub const ACCESS_TOKEN_KEY: &str = "wechat:access_token";
/// Cache key of the short lock taken by the process fetching a new token.
pub const ACCESS_TOKEN_LOCK_KEY: &str = "wechat:access_token:lock";

/// `errcode`s meaning the access token is invalid (40001, 40014) or expired (42001).
const TOKEN_ERRCODES: [i64; 3] = [40001, 40014, 42001];

/// Tunables; the defaults suit production, tests shorten them.
#[derive(Clone, Debug)]
pub struct WeChatOptions {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole call (connect, send, read the answer).
    pub timeout: Duration,
    /// How long before WeChat's `expires_in` the cached token is dropped.
    pub token_margin: Duration,
    /// If `expires_in` minus the margin is below this, half of `expires_in` is used.
    pub token_min_ttl: Duration,
    /// Lifetime of the cross-process fetch lock.
    pub lock_ttl: Duration,
    /// How long to wait for another process's token before fetching anyway.
    pub lock_wait: Duration,
    /// How often to look at the cache while waiting.
    pub lock_poll: Duration,
}

impl Default for WeChatOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(8),
            token_margin: Duration::from_secs(300),
            token_min_ttl: Duration::from_secs(60),
            lock_ttl: Duration::from_secs(10),
            lock_wait: Duration::from_secs(3),
            lock_poll: Duration::from_millis(100),
        }
    }
}

/// The WeChat client. Cheap to clone: all clones share one HTTP client,
/// one connection pool and one token mutex.
#[derive(Clone)]
pub struct WeChat {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    appid: String,
    secret: SecretString,
    cache: Cache,
    options: WeChatOptions,
    /// One token fetch at a time in this process.
    token_fetch: tokio::sync::Mutex<()>,
}

impl fmt::Debug for WeChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeChat")
            .field("base", &self.inner.base)
            .field("appid", &self.inner.appid)
            .field("secret", &"[redacted]")
            .field("cache", &self.inner.cache.kind())
            .finish()
    }
}

/// The answer of `jscode2session`.
#[derive(Debug)]
pub struct Session {
    pub openid: String,
    pub unionid: Option<String>,
    /// Never logged: `SecretString`'s `Debug` prints `[REDACTED]`.
    pub session_key: SecretString,
}

/// A user's phone number (`getuserphonenumber`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneInfo {
    /// The number without country code, e.g. `13800138000`.
    pub pure_phone_number: String,
    /// The country code without `+`, e.g. `86`.
    pub country_code: String,
}

/// The verdict of `msg_sec_check` (version 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suggest {
    Pass,
    Review,
    Risky,
}

/// The outcome of sending a subscription message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// The user has no authorisation left for this template (43101): normal,
    /// each authorisation allows one message.
    NotAuthorised,
}

/// What can go wrong talking to WeChat. No variant ever carries the app
/// secret, a request URL, an access token or a session key.
#[derive(Debug, thiserror::Error)]
pub enum WeChatError {
    #[error("WeChat rejected the login code (40029)")]
    InvalidCode,
    #[error("the login code was already used (40163)")]
    CodeUsed,
    #[error("WeChat rate limit reached (45011)")]
    RateLimited,
    #[error("WeChat is busy (-1)")]
    Busy,
    #[error("WeChat API timed out")]
    Timeout(#[source] reqwest::Error),
    #[error("WeChat API unreachable")]
    Unreachable(#[source] reqwest::Error),
    #[error("WeChat answered HTTP status {status}")]
    HttpStatus { status: u16 },
    #[error("WeChat API error {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("unexpected answer from WeChat {endpoint}: {reason}")]
    Malformed {
        endpoint: &'static str,
        reason: String,
    },
    #[error("cache: {0}")]
    Cache(#[from] CacheError),
    #[error("WeChat client setup failed: {0}")]
    Setup(String),
}

impl WeChatError {
    /// Worth trying again later: WeChat busy, limited, slow, unreachable or
    /// failing (5xx), or the token cache down. Not a refused request.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited
            | Self::Busy
            | Self::Timeout(_)
            | Self::Unreachable(_)
            | Self::Cache(_) => true,
            Self::HttpStatus { status } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl From<WeChatError> for ApiError {
    fn from(e: WeChatError) -> Self {
        let (code, retry_after) = match &e {
            WeChatError::InvalidCode => (ErrorCode::InvalidLoginCode, None),
            WeChatError::CodeUsed => (ErrorCode::LoginCodeUsed, None),
            WeChatError::RateLimited => (ErrorCode::RateLimited, Some("60")),
            _ => (ErrorCode::WechatUnavailable, Some("5")),
        };
        let mut api = ApiError::new(code).with_cause(e);
        if let Some(seconds) = retry_after {
            api = api.with_header(RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        api
    }
}

/// The common part of every answer.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: Option<i64>,
    #[serde(default)]
    errmsg: Option<String>,
}

/// An answer read in full: its `errcode` and the body to parse further.
struct Reply {
    endpoint: &'static str,
    errcode: i64,
    errmsg: String,
    body: Bytes,
}

impl Reply {
    fn parse<T: DeserializeOwned>(&self) -> Result<T, WeChatError> {
        serde_json::from_slice(&self.body).map_err(|e| malformed(self.endpoint, &e))
    }
}

/// Describes a parse error without its message: serde's message may quote the
/// offending value (a token, a session key).
fn malformed(endpoint: &'static str, e: &serde_json::Error) -> WeChatError {
    WeChatError::Malformed {
        endpoint,
        reason: format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ),
    }
}

fn transport(e: reqwest::Error) -> WeChatError {
    let e = e.without_url();
    if e.is_timeout() {
        WeChatError::Timeout(e)
    } else {
        WeChatError::Unreachable(e)
    }
}

#[derive(Deserialize)]
struct RawSession {
    openid: String,
    session_key: String,
    #[serde(default)]
    unionid: Option<String>,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct RawPhoneReply {
    phone_info: RawPhone,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPhone {
    pure_phone_number: String,
    country_code: String,
}

#[derive(Deserialize)]
struct RawSecCheck {
    result: RawSecResult,
}

#[derive(Deserialize)]
struct RawSecResult {
    suggest: Suggest,
}

impl WeChat {
    /// A client with the default timeouts (connect 3 s, total 8 s).
    pub fn new(
        base_url: &str,
        appid: String,
        secret: SecretString,
        cache: Cache,
    ) -> Result<Self, WeChatError> {
        Self::with_options(base_url, appid, secret, cache, WeChatOptions::default())
    }

    pub fn with_options(
        base_url: &str,
        appid: String,
        secret: SecretString,
        cache: Cache,
        options: WeChatOptions,
    ) -> Result<Self, WeChatError> {
        crate::platform::init_tls();
        let base = base_url.trim_end_matches('/').to_owned();
        url::Url::parse(&base)
            .map_err(|e| WeChatError::Setup(format!("invalid WeChat API base URL: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A login code is single-use: nothing is ever sent twice.
            .retry(reqwest::retry::never())
            .user_agent(concat!("association/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WeChatError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                appid,
                secret,
                cache,
                options,
                token_fetch: tokio::sync::Mutex::new(()),
            }),
        })
    }

    pub fn appid(&self) -> &str {
        &self.inner.appid
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path)
    }

    /// Exchanges a login code (`wx.login`) for the user's openid and session
    /// key. Never retried: a login code is good for one exchange only.
    pub async fn code2session(&self, js_code: &str) -> Result<Session, WeChatError> {
        const ENDPOINT: &str = "jscode2session";
        let request = self
            .inner
            .http
            .get(self.url("/sns/jscode2session"))
            .query(&[
                ("appid", self.inner.appid.as_str()),
                ("secret", self.inner.secret.expose_secret()),
                ("js_code", js_code),
                ("grant_type", "authorization_code"),
            ]);
        let reply = self.checked(self.send(request, ENDPOINT).await?)?;
        let raw: RawSession = reply.parse()?;
        if raw.openid.is_empty() || raw.session_key.is_empty() {
            return Err(WeChatError::Malformed {
                endpoint: ENDPOINT,
                reason: "empty openid or session_key".into(),
            });
        }
        Ok(Session {
            openid: raw.openid,
            unionid: raw.unionid.filter(|u| !u.is_empty()),
            session_key: SecretString::from(raw.session_key),
        })
    }

    /// The server access token, from the cache or fetched from `stable_token`.
    /// One fetch at a time per process; across processes a short cache lock
    /// lets one process fetch while the others wait for its token.
    pub async fn access_token(&self) -> Result<String, WeChatError> {
        let cache = &self.inner.cache;
        if let Some(token) = cache.get(ACCESS_TOKEN_KEY).await? {
            return Ok(token);
        }
        let _guard = self.inner.token_fetch.lock().await;
        if let Some(token) = cache.get(ACCESS_TOKEN_KEY).await? {
            return Ok(token);
        }
        let options = &self.inner.options;
        let lock_id = uuid::Uuid::new_v4().to_string();
        let locked = cache
            .set_if_absent(ACCESS_TOKEN_LOCK_KEY, &lock_id, options.lock_ttl)
            .await?;
        if !locked {
            // Another process is fetching: wait a little for its token.
            let deadline = tokio::time::Instant::now() + options.lock_wait;
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(options.lock_poll).await;
                if let Some(token) = cache.get(ACCESS_TOKEN_KEY).await? {
                    return Ok(token);
                }
            }
            tracing::warn!("another process holds the WeChat token lock too long; fetching anyway");
        }
        let fetched = self.fetch_access_token().await;
        if let Ok((token, ttl)) = &fetched
            && let Err(e) = cache.set(ACCESS_TOKEN_KEY, token, *ttl).await
        {
            tracing::warn!(error = %e, "could not cache the WeChat access token");
        }
        if locked
            && let Err(e) = cache
                .delete_if_equals(ACCESS_TOKEN_LOCK_KEY, &lock_id)
                .await
        {
            tracing::warn!(error = %e, "could not release the WeChat token lock");
        }
        fetched.map(|(token, _)| token)
    }

    /// Fetches a token; answers it with the time to keep it in the cache.
    async fn fetch_access_token(&self) -> Result<(String, Duration), WeChatError> {
        const ENDPOINT: &str = "stable_token";
        let request = self
            .inner
            .http
            .post(self.url("/cgi-bin/stable_token"))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": self.inner.appid,
                "secret": self.inner.secret.expose_secret(),
                "force_refresh": false,
            }));
        let reply = self.checked(self.send(request, ENDPOINT).await?)?;
        let raw: RawToken = reply.parse()?;
        if raw.access_token.is_empty() || raw.expires_in == 0 {
            return Err(WeChatError::Malformed {
                endpoint: ENDPOINT,
                reason: "empty access_token or zero expires_in".into(),
            });
        }
        let options = &self.inner.options;
        let expires_in = Duration::from_secs(raw.expires_in);
        let ttl = match expires_in.checked_sub(options.token_margin) {
            Some(ttl) if ttl >= options.token_min_ttl => ttl,
            _ => expires_in / 2,
        };
        tracing::info!(
            expires_in = raw.expires_in,
            cached_for_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            "fetched a WeChat access token"
        );
        Ok((raw.access_token, ttl))
    }

    /// POSTs `body` to an endpoint taking `?access_token=`. If WeChat says the
    /// token is invalid or expired, drops it from the cache (only if the cache
    /// still holds that very token: another process may have replaced it) and
    /// tries once more with a fresh one. The reply's `errcode` is not checked.
    async fn post_with_token(
        &self,
        path: &str,
        endpoint: &'static str,
        body: &serde_json::Value,
    ) -> Result<Reply, WeChatError> {
        let mut retried = false;
        loop {
            let token = self.access_token().await?;
            let request = self
                .inner
                .http
                .post(self.url(path))
                .query(&[("access_token", token.as_str())])
                .json(body);
            let reply = self.send(request, endpoint).await?;
            if retried || !TOKEN_ERRCODES.contains(&reply.errcode) {
                return Ok(reply);
            }
            tracing::warn!(
                endpoint,
                errcode = reply.errcode,
                "WeChat refused the access token; dropping it and retrying once"
            );
            self.inner
                .cache
                .delete_if_equals(ACCESS_TOKEN_KEY, &token)
                .await?;
            retried = true;
        }
    }

    /// The user's phone number from a `getPhoneNumber` button code.
    pub async fn phone_number(&self, code: &str) -> Result<PhoneInfo, WeChatError> {
        let reply = self
            .post_with_token(
                "/wxa/business/getuserphonenumber",
                "getuserphonenumber",
                &serde_json::json!({ "code": code }),
            )
            .await?;
        let raw: RawPhoneReply = self.checked(reply)?.parse()?;
        Ok(PhoneInfo {
            pure_phone_number: raw.phone_info.pure_phone_number,
            country_code: raw.phone_info.country_code,
        })
    }

    /// Checks text content (`msg_sec_check` version 2). `scene`: 1 profile,
    /// 2 comment, 3 forum, 4 social log.
    pub async fn msg_sec_check(
        &self,
        openid: &str,
        scene: u8,
        content: &str,
    ) -> Result<Suggest, WeChatError> {
        let reply = self
            .post_with_token(
                "/wxa/msg_sec_check",
                "msg_sec_check",
                &serde_json::json!({
                    "content": content,
                    "version": 2,
                    "scene": scene,
                    "openid": openid,
                }),
            )
            .await?;
        let raw: RawSecCheck = self.checked(reply)?.parse()?;
        Ok(raw.result.suggest)
    }

    /// Sends a subscription message. 43101 (the user has no authorisation
    /// left) is an expected outcome, not an error.
    pub async fn send_subscribe_message(
        &self,
        openid: &str,
        template_id: &str,
        page: Option<&str>,
        data: serde_json::Value,
    ) -> Result<SendOutcome, WeChatError> {
        let mut body = serde_json::json!({
            "touser": openid,
            "template_id": template_id,
            "data": data,
        });
        if let (Some(page), Some(map)) = (page, body.as_object_mut()) {
            map.insert("page".to_owned(), serde_json::Value::from(page));
        }
        let reply = self
            .post_with_token("/cgi-bin/message/subscribe/send", "subscribe_send", &body)
            .await?;
        if reply.errcode == 43101 {
            tracing::debug!("subscription message not sent: no authorisation left (43101)");
            return Ok(SendOutcome::NotAuthorised);
        }
        self.checked(reply)?;
        Ok(SendOutcome::Sent)
    }

    /// Sends a request and reads the whole answer (transport and HTTP errors).
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        endpoint: &'static str,
    ) -> Result<Reply, WeChatError> {
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(
                endpoint,
                status = status.as_u16(),
                "WeChat answered an HTTP error"
            );
            return Err(WeChatError::HttpStatus {
                status: status.as_u16(),
            });
        }
        let body = response.bytes().await.map_err(transport)?;
        let envelope: Envelope =
            serde_json::from_slice(&body).map_err(|e| malformed(endpoint, &e))?;
        Ok(Reply {
            endpoint,
            errcode: envelope.errcode.unwrap_or(0),
            errmsg: envelope.errmsg.unwrap_or_default(),
            body,
        })
    }

    /// Turns a non-zero `errcode` into an error.
    fn checked(&self, reply: Reply) -> Result<Reply, WeChatError> {
        if reply.errcode == 0 {
            return Ok(reply);
        }
        // WeChat's message is not expected to quote the secret; make sure.
        let secret = self.inner.secret.expose_secret();
        let errmsg = if secret.is_empty() {
            reply.errmsg
        } else {
            reply.errmsg.replace(secret, "[redacted]")
        };
        tracing::warn!(
            endpoint = reply.endpoint,
            errcode = reply.errcode,
            errmsg = %errmsg,
            "WeChat API error"
        );
        Err(match reply.errcode {
            40029 => WeChatError::InvalidCode,
            40163 => WeChatError::CodeUsed,
            45011 => WeChatError::RateLimited,
            -1 => WeChatError::Busy,
            errcode => WeChatError::Api { errcode, errmsg },
        })
    }
}
