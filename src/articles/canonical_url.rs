//! The canonical form of an article's URL (SPEC §A rule 2: "The URL is
//! canonicalised (scheme, host case, trailing slash, tracking query
//! parameters, fragments) and unique").
//!
//! Parse, don't validate: a [`CanonicalUrl`] can only be built by
//! [`CanonicalUrl::parse`], so a handler holding one holds an http(s) URL
//! of at most 2048 characters in canonical form.

use std::fmt;

use sha2::{Digest, Sha256};

/// Longest accepted URL, as submitted and once canonical.
pub const MAX_URL_LEN: usize = 2048;

/// Why a submitted URL is not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    TooLong,
    Invalid,
    /// Anything but `http` or `https` (`file:`, `ftp:`, `javascript:` …).
    UnsupportedScheme(String),
    NoHost,
    /// `http://user:password@host/`: credentials never belong in an article link.
    Credentials,
}

impl UrlError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong => "length",
            Self::UnsupportedScheme(_) => "scheme",
            Self::Invalid | Self::NoHost | Self::Credentials => "format",
        }
    }

    /// The message shown beside the field (Chinese).
    pub fn message(&self) -> String {
        match self {
            Self::Empty => "请填写文章链接。".into(),
            Self::TooLong => format!("链接不能超过 {MAX_URL_LEN} 个字符。"),
            Self::Invalid => "链接格式不正确，请粘贴文章页面的完整网址。".into(),
            Self::UnsupportedScheme(s) => {
                format!("只接受 http 或 https 开头的网页链接（收到的是 {s}:）。")
            }
            Self::NoHost => "链接缺少网站地址。".into(),
            Self::Credentials => "链接中不能包含用户名或密码。".into(),
        }
    }
}

/// Query parameters that only track how a link was shared, never which page
/// it is, and so are dropped:
///
/// - `utm_*` — Google Analytics campaign tags, added by newsletters and apps;
/// - `spm` — Alibaba/UC tracking of the click position;
/// - `from`, `isappinstalled`, `scene`, `clicktime`, `enterid`, `nsukey` —
///   appended by WeChat when an article is shared to a chat or Moments
///   (`from=singlemessage&isappinstalled=0`);
/// - `share_*`, `share` — share-sheet markers of Chinese apps (`share_token`,
///   `share_source`, `share_medium`);
/// - `fbclid`, `gclid` — click ids of Facebook and Google ads.
pub fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || k.starts_with("share_")
        || matches!(
            k.as_str(),
            "spm"
                | "from"
                | "isappinstalled"
                | "scene"
                | "clicktime"
                | "enterid"
                | "nsukey"
                | "share"
                | "fbclid"
                | "gclid"
        )
}

/// An article URL in canonical form:
///
/// - scheme and host lower-case (the `url` crate does this, and turns
///   internationalised host names into punycode); a trailing dot of the host
///   is dropped;
/// - the default port (80 for http, 443 for https) dropped;
/// - the fragment (`#...`) dropped;
/// - tracking parameters ([`is_tracking_param`]) dropped, the others sorted
///   by name then value, and the query dropped when nothing is left;
/// - a trailing slash of the path dropped, except for the root `/`;
/// - no user name or password.
///
/// Two canonical URLs that differ only by `http`/`https` name the same
/// article: [`CanonicalUrl::key`] ignores the scheme.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalUrl(url::Url);

impl CanonicalUrl {
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(UrlError::Empty);
        }
        if raw.chars().count() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        let mut url = url::Url::parse(raw).map_err(|e| match e {
            url::ParseError::EmptyHost => UrlError::NoHost,
            _ => UrlError::Invalid,
        })?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(UrlError::UnsupportedScheme(other.to_owned())),
        }
        let host = url.host_str().ok_or(UrlError::NoHost)?.to_owned();
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        if let Some(stripped) = host.strip_suffix('.').filter(|h| !h.is_empty()) {
            url.set_host(Some(stripped))
                .map_err(|_| UrlError::Invalid)?;
        }
        url.set_fragment(None);
        let mut pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !k.is_empty() && !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        if pairs.is_empty() {
            url.set_query(None);
        } else {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            url.set_query(Some(&query));
        }
        let path = url.path().to_owned();
        if path.len() > 1 && path.ends_with('/') {
            let trimmed = path.trim_end_matches('/');
            url.set_path(if trimmed.is_empty() { "/" } else { trimmed });
        }
        if url.as_str().len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// The host as written in URLs (`www.schqxh.org.cn`, `127.0.0.1`, `[::1]`).
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The port, when not the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.0.port()
    }

    /// The uniqueness key: SHA-256 (hex) of the canonical URL without its
    /// scheme, so `http://` and `https://` links to one page are one article.
    pub fn key(&self) -> String {
        let s = self.0.as_str();
        let without_scheme = s.split_once("://").map_or(s, |(_, rest)| rest);
        let digest = Sha256::digest(without_scheme.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CanonicalUrl({})", self.0)
    }
}
