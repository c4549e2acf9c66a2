//! Cursor pagination (`page_size`, `page_token` → `next_page_token`).
//!
//! A page token is opaque to clients: the JSON of the last row's sort key,
//! bound to the list and its filters and signed with HMAC-SHA256, so a
//! tampered or foreign token answers 400 `INVALID_PAGE_TOKEN` instead of a
//! wrong page. Keyset paging keeps every page as cheap as the first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};

use crate::platform::error::{ApiError, ApiResult, ErrorCode};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page, 1–100 (default 20; larger values are treated as 100).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

impl PageParams {
    pub fn size(&self) -> u64 {
        match self.page_size {
            None | Some(0) => DEFAULT_PAGE_SIZE,
            Some(n) => u64::from(n).min(MAX_PAGE_SIZE),
        }
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
            .page_token
            .as_deref()
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
