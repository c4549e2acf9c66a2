//! Fetching an article page safely (SPEC §A rule 8: "only hosts of
//! configured sources — never any other host, no redirects off them, bounded
//! time and size").
//!
//! - One shared HTTP client, with no proxy, no connection reuse and no
//!   automatic redirects.
//! - Before each request (the first and each redirect hop, at most
//!   [`FetchOptions::max_redirects`]): the scheme must be http or https and
//!   the host one of the hosts of the article's source; the host is resolved
//!   and every address checked ([`super::address`]) before any connection.
//! - The connection is then pinned to the checked addresses: the client's
//!   resolver answers only from the addresses the fetch checked and pinned
//!   ([`PinnedResolver`]); an IP-literal host is connected to as written. So
//!   a DNS answer that changes between the check and the connection (DNS
//!   rebinding) cannot lead the server elsewhere.
//! - The whole fetch has [`FetchOptions::timeout`] (10 s) and the body is read
//!   in chunks and abandoned past [`FetchOptions::max_bytes`] (2 MB).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use url::{Host, Url};

use super::address::{self, Refusal};
use crate::articles::rules::SourceRules;

#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The whole fetch, redirects included.
    pub timeout: Duration,
    /// Opening one connection.
    pub connect_timeout: Duration,
    /// Largest body read.
    pub max_bytes: usize,
    /// Redirects followed by hand, each re-checked.
    pub max_redirects: usize,
    /// Pages fetched at once by this process.
    pub concurrency: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_bytes: 2 * 1024 * 1024,
            max_redirects: 3,
            concurrency: 8,
        }
    }
}

/// Why a page was not fetched (its [`reason`](FetchFailure::reason) is shown
/// to the submitter and the secretariat).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchFailure {
    UnsupportedScheme(String),
    /// The host (of the link or a redirect) is not a host of the article's source.
    OffSource(String),
    Refused {
        host: String,
        ip: IpAddr,
        refusal: Refusal,
    },
    Unresolvable(String),
    TooManyRedirects(usize),
    BadRedirect,
    Status(u16),
    NotHtml(String),
    TooLarge(usize),
    Timeout(Duration),
    Connect(String),
}

impl FetchFailure {
    pub fn reason(&self) -> String {
        match self {
            Self::UnsupportedScheme(s) => {
                format!("只能访问 http 或 https 网页（收到 {s}:），未访问。")
            }
            Self::OffSource(h) => format!(
                "网址的网站（{h}）不是该来源登记的网站，服务器未访问（包括跳转到其他网站的情形）。"
            ),
            Self::Refused { host, ip, refusal } => format!(
                "网站 {host} 解析到{}（{ip}），服务器拒绝访问，未建立连接。",
                refusal.label()
            ),
            Self::Unresolvable(h) => format!("无法解析网站地址 {h}。"),
            Self::TooManyRedirects(n) => format!("页面跳转超过 {n} 次，未继续访问。"),
            Self::BadRedirect => "页面跳转地址无效。".into(),
            Self::Status(code) => format!("网站返回 HTTP {code}，未取得页面。"),
            Self::NotHtml(ct) => format!("链接不是网页（内容类型 {ct}）。"),
            Self::TooLarge(max) => format!("页面超过 {} MB，未读取。", max / (1024 * 1024)),
            Self::Timeout(t) => format!("{} 秒内未能取回页面。", t.as_secs()),
            Self::Connect(e) => format!("无法连接网站：{e}"),
        }
    }
}

/// A fetched page.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub final_url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Host name → addresses checked by a running fetch (with a count of the
/// fetches holding the pin).
#[derive(Debug, Default)]
struct Pins(Mutex<HashMap<String, (Vec<SocketAddr>, usize)>>);

impl Pins {
    fn get(&self, host: &str) -> Option<Vec<SocketAddr>> {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(host).map(|(a, _)| a.clone()))
    }
}

/// Removes its pin when the fetch ends.
struct PinGuard {
    pins: Arc<Pins>,
    host: String,
}

impl Drop for PinGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = self.pins.0.lock()
            && let Some((_, n)) = m.get_mut(&self.host)
        {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.host);
            }
        }
    }
}

fn pin(pins: &Arc<Pins>, host: &str, addrs: Vec<SocketAddr>) -> PinGuard {
    if let Ok(mut m) = pins.0.lock() {
        let entry = m.entry(host.to_owned()).or_insert((Vec::new(), 0));
        // Concurrent fetches of one host each checked their addresses: any of them is safe.
        for a in addrs {
            if !entry.0.contains(&a) {
                entry.0.push(a);
            }
        }
        entry.1 += 1;
    }
    PinGuard {
        pins: pins.clone(),
        host: host.to_owned(),
    }
}

/// The client's only resolver: answers with the addresses a fetch checked and
/// pinned, and refuses every other name, so the client never resolves a
/// name by itself.
#[derive(Debug)]
pub struct PinnedResolver(Arc<Pins>);

impl Resolve for PinnedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let found = self.0.get(name.as_str());
        let host = name.as_str().to_owned();
        Box::pin(async move {
            match found {
                Some(addrs) if !addrs.is_empty() => Ok(Box::new(addrs.into_iter()) as Addrs),
                _ => Err(format!("{host} was not checked before connecting").into()),
            }
        })
    }
}

/// The page fetcher: one HTTP client for the process.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    pins: Arc<Pins>,
    pub options: FetchOptions,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("options", &self.options)
            .finish()
    }
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> anyhow::Result<Self> {
        crate::platform::init_tls();
        let pins = Arc::new(Pins::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .pool_max_idle_per_host(0)
            .retry(reqwest::retry::never())
            .referer(false)
            .dns_resolver(Arc::new(PinnedResolver(pins.clone())))
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!(
                "Mozilla/5.0 (compatible; association-article-check/",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the page fetcher: {e}"))?;
        Ok(Self {
            client,
            pins,
            options,
        })
    }

    /// Fetches `url`, which must be on a host of `source`, following at most
    /// `max_redirects` redirects that stay on the source's hosts.
    pub async fn fetch(&self, url: &Url, source: &SourceRules) -> Result<Fetched, FetchFailure> {
        match tokio::time::timeout(self.options.timeout, self.fetch_hops(url, source)).await {
            Ok(out) => out,
            Err(_) => Err(FetchFailure::Timeout(self.options.timeout)),
        }
    }

    async fn fetch_hops(&self, url: &Url, source: &SourceRules) -> Result<Fetched, FetchFailure> {
        let mut current = url.clone();
        for hop in 0..=self.options.max_redirects {
            let (addrs, host) = checked_addresses(&current, source).await?;
            let _pin = match current.host() {
                Some(Host::Domain(d)) => Some(pin(&self.pins, d, addrs)),
                _ => None,
            };
            let response = self
                .client
                .get(current.clone())
                .header("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
                .header("accept-language", "zh-CN,zh;q=0.9")
                .send()
                .await
                .map_err(|e| connect_failure(&e, &host, self.options.timeout))?;
            let status = response.status();
            if status.is_redirection() {
                if hop == self.options.max_redirects {
                    return Err(FetchFailure::TooManyRedirects(self.options.max_redirects));
                }
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(FetchFailure::BadRedirect)?;
                let mut next = current
                    .join(location)
                    .map_err(|_| FetchFailure::BadRedirect)?;
                next.set_fragment(None);
                current = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchFailure::Status(status.as_u16()));
            }
            return self.read_page(current, response).await;
        }
        Err(FetchFailure::TooManyRedirects(self.options.max_redirects))
    }

    async fn read_page(
        &self,
        url: Url,
        mut response: reqwest::Response,
    ) -> Result<Fetched, FetchFailure> {
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(ct) = &content_type {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let html = essence.is_empty()
                || essence == "text/html"
                || essence == "application/xhtml+xml"
                || essence == "text/plain"
                || essence == "application/octet-stream";
            if !html {
                return Err(FetchFailure::NotHtml(essence));
            }
        }
        let max = self.options.max_bytes;
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(FetchFailure::TooLarge(max));
        }
        let mut body = Vec::with_capacity(declared.unwrap_or(64 * 1024).min(max));
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                connect_failure(&e, url.host_str().unwrap_or_default(), self.options.timeout)
            })?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > max {
                return Err(FetchFailure::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            final_url: url,
            content_type,
            body,
        })
    }
}

fn connect_failure(e: &reqwest::Error, host: &str, timeout: Duration) -> FetchFailure {
    if e.is_timeout() {
        return FetchFailure::Timeout(timeout);
    }
    let what = if e.is_connect() {
        "连接失败"
    } else if e.is_body() || e.is_decode() {
        "读取页面失败"
    } else {
        "请求失败"
    };
    FetchFailure::Connect(format!("{host} {what}"))
}

/// Checks a hop before any connection: scheme, host of the source, and every
/// resolved address. Answers the addresses to pin and the host for messages.
pub async fn checked_addresses(
    url: &Url,
    source: &SourceRules,
) -> Result<(Vec<SocketAddr>, String), FetchFailure> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchFailure::UnsupportedScheme(url.scheme().to_owned()));
    }
    let host_str = url.host_str().unwrap_or_default().to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchFailure::UnsupportedScheme(url.scheme().to_owned()))?;
    if source.host_match(&host_str, Some(port)).is_none() {
        return Err(FetchFailure::OffSource(host_str));
    }
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(d)) => tokio::net::lookup_host((d, port))
            .await
            .map_err(|_| FetchFailure::Unresolvable(host_str.clone()))?
            .collect(),
        None => return Err(FetchFailure::Unresolvable(host_str)),
    };
    if addrs.is_empty() {
        return Err(FetchFailure::Unresolvable(host_str));
    }
    for a in &addrs {
        address::check(a.ip(), source.allow_private_network).map_err(|refusal| {
            FetchFailure::Refused {
                host: host_str.clone(),
                ip: a.ip(),
                refusal,
            }
        })?;
    }
    Ok((addrs, host_str))
}
