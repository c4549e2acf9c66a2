//! Cursor pagination (`page_size`, `page_token` → `next_page_token`).
//!
//! A page token is opaque to clients: the JSON of the last row's sort key,
//! bound to the list and its filters and signed with HMAC-SHA256, so a
//! tampered or foreign token answers 400 `INVALID_PAGE_TOKEN` instead of a
//! wrong page. Keyset paging keeps every page as cheap as the first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;
use utoipa::ToSchema;

use crate::platform::error::{ApiError, ApiResult, ErrorCode};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The shape of a page token as [`PageTokens::encode`] writes it: the
/// base64url (no padding) JSON of the cursor, a dot, the base64url of the
/// 16-byte MAC (22 characters); or empty (the first page). A token of that
/// shape that the server did not sign for this list and these filters still
/// answers 400 `INVALID_PAGE_TOKEN`.
pub const PAGE_TOKEN_PATTERN: &str = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$";

/// The page a list request asks for. Built only by [`PageParams::new`], so
/// every list refuses a `page_size` outside 1–[`MAX_PAGE_SIZE`] the same way.
#[derive(Clone, Debug, Default)]
pub struct PageParams {
    page_size: Option<u32>,
    page_token: Option<String>,
}

impl PageParams {
    /// `page_size` outside 1–100 → 400 `INVALID_PARAMETER` naming the bound
    /// (never silently clamped: a client asking for 1000 rows must learn it
    /// gets at most 100).
    pub fn new(page_size: Option<u32>, page_token: Option<String>) -> ApiResult<Self> {
        if let Some(n) = page_size
            && !(1..=MAX_PAGE_SIZE).contains(&u64::from(n))
        {
            return Err(ApiError::new(ErrorCode::InvalidParameter)
                .with_detail(format!(
                    "page_size 须在 1 到 {MAX_PAGE_SIZE} 之间（默认 {DEFAULT_PAGE_SIZE}）。"
                ))
                .with_extension("parameter", "page_size".into())
                .with_extension("minimum", 1.into())
                .with_extension("maximum", MAX_PAGE_SIZE.into()));
        }
        Ok(Self {
            page_size,
            page_token,
        })
    }

    /// Rows per page.
    pub fn size(&self) -> u64 {
        self.page_size.map_or(DEFAULT_PAGE_SIZE, u64::from)
    }

    /// The `next_page_token` of the previous page, if any.
    pub fn token(&self) -> Option<&str> {
        self.page_token.as_deref()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `page_token` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// Signs and checks page tokens for one list (`scope` names the list and its
/// filters, e.g. `members?role=secretariat`).
pub struct PageTokens<'a> {
    key: &'a [u8],
    scope: String,
}

type HmacSha256 = Hmac<Sha256>;

impl<'a> PageTokens<'a> {
    pub fn new(key: &'a [u8], scope: impl Into<String>) -> Self {
        Self {
            key,
            scope: scope.into(),
        }
    }

    fn mac(&self, payload: &[u8]) -> ApiResult<Vec<u8>> {
        let mut mac = HmacSha256::new_from_slice(self.key).map_err(ApiError::internal)?;
        mac.update(self.scope.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        Ok(mac.finalize().into_bytes()[..16].to_vec())
    }

    pub fn encode<C: Serialize>(&self, cursor: &C) -> ApiResult<String> {
        let payload = serde_json::to_vec(cursor).map_err(ApiError::internal)?;
        let mac = self.mac(&payload)?;
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    pub fn decode<C: DeserializeOwned>(&self, token: &str) -> ApiResult<C> {
        let invalid = || ApiError::new(ErrorCode::InvalidPageToken);
        let (p, m) = token.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| invalid())?;
        let mac = URL_SAFE_NO_PAD.decode(m).map_err(|_| invalid())?;
        let mut check = HmacSha256::new_from_slice(self.key).map_err(ApiError::internal)?;
        check.update(self.scope.as_bytes());
        check.update(&[0]);
        check.update(&payload);
        check.verify_truncated_left(&mac).map_err(|_| invalid())?;
        if mac.len() != 16 {
            return Err(invalid());
        }
        serde_json::from_slice(&payload).map_err(|_| invalid())
    }

    /// The cursor of the request, if a token was given.
    pub fn cursor<C: DeserializeOwned>(&self, params: &PageParams) -> ApiResult<Option<C>> {
        params
            .token()
            .filter(|t| !t.is_empty())
            .map(|t| self.decode(t))
            .transpose()
    }

    /// Builds a page from rows fetched with `limit = size + 1`: the extra row
    /// only tells that there is a next page.
    pub fn page<T, C: Serialize>(
        &self,
        mut rows: Vec<T>,
        size: u64,
        cursor_of: impl Fn(&T) -> C,
    ) -> ApiResult<Page<T>> {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => Some(self.encode(&cursor_of(last))?),
            _ => None,
        };
        Ok(Page {
            items: rows,
            next_page_token,
        })
    }
}
