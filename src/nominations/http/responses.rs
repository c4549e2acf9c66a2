//! How the nominations' handlers answer: a nomination with its `ETag`, a
//! use case run once per `Idempotency-Key`, a file to download.

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, ContentDisposition, DispositionParam, DispositionType, ETAG,
    ExtendedValue, HeaderName, HeaderValue,
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::nominations::model::{Download, NominationView};
use crate::platform::db::Tx;
use crate::platform::error::ApiResult;
use crate::platform::extract::IdempotencyKey;
use crate::platform::idempotency::{self, Stored};

/// Answers a view with its `ETag`.
pub(super) fn with_etag(status: StatusCode, view: &NominationView) -> HttpResponse {
    let mut b = HttpResponse::build(status);
    if let Ok(v) = HeaderValue::from_str(&view.etag) {
        b.insert_header((ETAG, v));
    }
    b.json(view)
}

fn stored_with_etag(stored: Stored) -> HttpResponse {
    let etag = stored.body["etag"].as_str().map(str::to_owned);
    let mut res = stored.into_response();
    if let Some(v) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

/// A request that honours `Idempotency-Key`: the member's key and the
/// fingerprint of the request (method, route, body).
pub(super) struct Once<'a> {
    pub member_id: i64,
    pub key: &'a IdempotencyKey,
    pub fingerprint: String,
}

/// Runs a use case that answers a nomination in the unit of work, once per
/// member and `Idempotency-Key`: a retry replays the first answer. Answers
/// `status` with the view and its `ETag`.
pub(super) async fn once_per_key<F, Fut>(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    once: Once<'_>,
    status: StatusCode,
    mut work: F,
) -> ApiResult<HttpResponse>
where
    F: FnMut(Tx) -> Fut,
    Fut: Future<Output = ApiResult<NominationView>>,
{
    let stored = idempotency::run(
        db,
        now,
        &once.member_id.to_string(),
        once.key.0.as_deref(),
        &once.fingerprint,
        |tx| {
            let view = work(tx);
            async move { Stored::new(status, &view.await?) }
        },
    )
    .await?;
    Ok(stored_with_etag(stored))
}

/// Answers a file as an attachment (its name in UTF-8 and an ASCII
/// fallback), with `headers` after the type and the disposition.
pub(super) fn download(file: Download, headers: &[(HeaderName, &'static str)]) -> HttpResponse {
    let mut b = HttpResponse::Ok();
    b.insert_header((CONTENT_TYPE, file.content_type))
        .insert_header((
            CONTENT_DISPOSITION,
            attachment_disposition(&file.file_name, &file.fallback_name),
        ));
    for (name, value) in headers {
        b.insert_header((name.clone(), *value));
    }
    b.body(file.bytes)
}

fn attachment_disposition(file_name: &str, fallback: &str) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(fallback.to_owned()),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: actix_web::http::header::Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file_name.as_bytes().to_vec(),
            }),
        ],
    }
}
