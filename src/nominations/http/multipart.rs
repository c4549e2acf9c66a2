//! The multipart body of an upload (fields `kind` and `file`) or of a
//! replacement (`file`), read with bounded sizes: what is too large answers
//! 413 `PAYLOAD_TOO_LARGE`, what is not multipart 415, a broken body 400
//! `MALFORMED_MULTIPART`, a part the form does not have 422.

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header;
use futures_util::StreamExt;

use crate::nominations::model::Upload;
use crate::nominations::rules::{self as rules, AttachmentKind};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// The whole request may not exceed this (the largest file plus the form's overhead).
const UPLOAD_LIMIT: usize = rules::SCAN_MAX_BYTES + 64 * 1024;
/// Beyond the limit the rest of the body is read and dropped up to this, so
/// the phone gets the 413 rather than a reset connection.
const DRAIN_LIMIT: usize = 32 * 1024 * 1024;

fn too_large(kind: Option<AttachmentKind>) -> ApiError {
    let detail = match kind {
        Some(AttachmentKind::Photo) => "一寸免冠照不能超过 2 MB。".to_owned(),
        Some(k) => format!("{}不能超过 10 MB。", k.label()),
        None => "上传的文件不能超过 10 MB。".to_owned(),
    };
    ApiError::new(ErrorCode::PayloadTooLarge).with_detail(detail)
}

fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    use actix_multipart::MultipartError as M;
    let code = match e {
        M::ContentTypeMissing | M::ContentTypeParse | M::ContentTypeIncompatible => {
            ErrorCode::UnsupportedMediaType
        }
        _ => ErrorCode::MalformedMultipart,
    };
    let err = ApiError::new(code).with_cause(anyhow::anyhow!("multipart: {e}"));
    if code == ErrorCode::UnsupportedMediaType {
        err.with_detail("请以 multipart/form-data 上传文件。")
    } else {
        err
    }
}

/// Reads `kind` and `file` from the multipart body of an upload, with
/// bounded sizes. Any other part, or a part sent twice, is refused like an
/// unknown field of a JSON body (422 naming it; the spec says
/// `additionalProperties: false`).
pub(super) async fn read_upload(mp: Multipart) -> ApiResult<Upload> {
    read_parts(mp, None).await
}

/// Reads the `file` of a replacement of an attachment of `kind` (nothing
/// else: a `kind` part is refused as unknown, the kind is the stored one).
pub(super) async fn read_replacement(mp: Multipart, kind: AttachmentKind) -> ApiResult<Upload> {
    read_parts(mp, Some(kind)).await
}

/// The parts a body may hold: `kind` (unless the kind is known) and `file`.
fn part_allowed(name: &str, known: Option<AttachmentKind>) -> bool {
    name == "file" || (name == "kind" && known.is_none())
}

/// The JSON Pointer of a part (RFC 6901 escapes).
fn pointer_of(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// 422 for a part the form does not have, or one sent twice.
fn unexpected_part(name: &str, repeated: bool) -> FieldError {
    let pointer = pointer_of(name);
    if repeated {
        FieldError::new(&pointer, "duplicate", format!("字段 {name} 只能上传一次。"))
    } else {
        FieldError::new(
            &pointer,
            "unknown",
            format!("上传表单没有字段 {name}，请只上传 kind 和 file。"),
        )
    }
}

async fn read_parts(mut mp: Multipart, known: Option<AttachmentKind>) -> ApiResult<Upload> {
    let mut kind: Option<AttachmentKind> = known;
    let mut kind_raw: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut unexpected: Vec<FieldError> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut oversized = false;
    let mut total = 0usize;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let wanted = part_allowed(&name, known) && !seen.contains(&name);
        if !wanted && !unexpected.iter().any(|e| e.pointer == pointer_of(&name)) {
            unexpected.push(unexpected_part(&name, seen.contains(&name)));
        }
        seen.push(name.clone());
        let limit = match name.as_str() {
            _ if !wanted => 0,
            "kind" => 64,
            _ => kind.map_or(rules::SCAN_MAX_BYTES, AttachmentKind::max_bytes),
        };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            total += chunk.len();
            if total > DRAIN_LIMIT {
                return Err(too_large(kind));
            }
            if buf.len() + chunk.len() > limit {
                oversized |= wanted;
                continue;
            }
            if !oversized {
                buf.extend_from_slice(&chunk);
            }
        }
        match name.as_str() {
            _ if !wanted => {}
            "kind" => {
                let raw = String::from_utf8_lossy(&buf).trim().to_owned();
                kind = AttachmentKind::parse(&raw);
                kind_raw = Some(raw);
            }
            _ => file = Some((file_name.unwrap_or_default(), buf)),
        }
    }
    if oversized || total > UPLOAD_LIMIT {
        return Err(too_large(kind));
    }
    if !unexpected.is_empty() {
        return Err(ApiError::validation(unexpected));
    }
    let kind = match (kind, kind_raw) {
        (Some(k), _) => k,
        (None, raw) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/kind",
                if raw.is_some() { "one_of" } else { "required" },
                "kind 须为 photo（一寸免冠照）、certificate（荣誉证书）或 registration_scan（盖章报名表扫描件）。",
            )]));
        }
    };
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(ApiError::validation(vec![FieldError::new(
            "/file",
            "required",
            "请选择要上传的文件。",
        )]));
    };
    // A photo over its own bound, when `file` came before `kind`.
    if bytes.len() > kind.max_bytes() {
        return Err(too_large(Some(kind)));
    }
    Ok(Upload {
        kind,
        file_name,
        bytes,
    })
}

/// 413 before reading when the declared length is beyond what is ever read.
pub(super) fn refuse_declared_oversize(req: &HttpRequest) -> ApiResult<()> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large(None));
    }
    Ok(())
}
