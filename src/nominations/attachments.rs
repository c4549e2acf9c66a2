//! Attachments of a nomination (seed 002: "一寸免冠照", "两份最高荣誉证书扫描件",
//! the stamped form's scan): uploaded by the lead of its district to a draft
//! before the deadline, read by the lead and the secretariat. The type is
//! read from the content, never from the name; a picture is read under the
//! limits of `images` (422 `IMAGE_TOO_LARGE`), and the photo is kept with
//! its form-sized copy.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::access::principal::Principal;
use crate::entity::{nomination, nomination_attachment as att};
use crate::nominations::images::{self, FormPhoto, ImageProblem};
use crate::nominations::lookup::{
    check_open, find_attachment, locked_nomination, may_file, must_be_draft, nomination_to_file,
    nomination_to_read,
};
use crate::nominations::model::{AttachmentView, Download, Upload, kind_of, safe_name};
use crate::nominations::rules::{self as rules, AttachmentKind};
use crate::platform::clock::to_china;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Whether `p` may upload to nomination `id` (404, 403): checked before the
/// upload's body is read.
pub async fn may_upload(db: &impl ConnectionTrait, p: &Principal, id: i64) -> ApiResult<()> {
    nomination_to_file(db, p, id).await.map(drop)
}

/// An upload whose picture, if it is one, was read under the limits: what
/// [`upload`] stores. Made by [`check_picture`] only.
#[derive(Debug)]
pub struct CheckedUpload {
    upload: Upload,
    /// The photo's form-sized copy (PNG).
    form_copy: Option<Vec<u8>>,
}

/// Reads an upload that is a JPEG or PNG under the image limits — more than
/// 16 megapixels (or a side over 8192 pixels) is 422 `IMAGE_TOO_LARGE` at
/// `/file`, and nothing is stored — and makes the photo's form-sized copy.
/// A scan's size is read from its header, a photo is decoded once, on the
/// blocking pool and before the unit of work, so no write lock is held
/// meanwhile. What is no picture is judged by [`upload`]; a picture that
/// cannot be decoded is stored as before, without a copy (the form then
/// shows the placeholder).
pub async fn check_picture(upload: Upload) -> ApiResult<CheckedUpload> {
    let picture = matches!(
        rules::sniff(&upload.bytes),
        Some(rules::FileType::Jpeg | rules::FileType::Png)
    );
    let checked = if !picture {
        Ok(None)
    } else if upload.kind == AttachmentKind::Photo {
        let bytes = upload.bytes.clone();
        images::decoding(move || FormPhoto::from_original(&bytes))
            .await?
            .map(|photo| Some(photo.png))
    } else {
        images::check(&upload.bytes).map(|_| None)
    };
    let form_copy = match checked {
        Ok(copy) => copy,
        Err(ImageProblem::TooLarge { size }) => return Err(too_large(upload.kind, size)),
        Err(e @ ImageProblem::Unreadable(_)) => {
            tracing::info!(error = %e, kind = upload.kind.as_str(), "picture stored undecoded");
            None
        }
    };
    Ok(CheckedUpload { upload, form_copy })
}

/// 422 `IMAGE_TOO_LARGE` at the uploaded field.
fn too_large(kind: AttachmentKind, size: Option<(u32, u32)>) -> ApiError {
    let got = size.map_or_else(String::new, |(w, h)| format!("，上传的图片为 {w}×{h} 像素"));
    let message = format!(
        "{}不能超过 {} 万像素（每边不超过 {} 像素）{got}，请缩小后重新上传。",
        kind.label(),
        images::MAX_PIXELS / 10_000,
        images::MAX_SIDE
    );
    let mut e = ApiError::new(ErrorCode::ImageTooLarge).with_detail(message.clone());
    e.errors = vec![FieldError::new("/file", "image_too_large", message)];
    e
}

/// Stores an upload: its type sniffed from the bytes and allowed for its
/// kind (415 otherwise); a draft before the deadline; a new photo or scan
/// replaces the old one; at most 2 certificates (409 `CONFLICT`).
pub async fn upload(
    tx: Tx,
    p: &Principal,
    id: i64,
    checked: &CheckedUpload,
    now: DateTime<Utc>,
) -> ApiResult<AttachmentView> {
    let txn = &*tx;
    let upload = &checked.upload;
    let n = locked_nomination(txn, id).await?;
    may_file(p, &n)?;
    let file_type =
        rules::check_attachment_type(upload.kind, kind_of(&n), rules::sniff(&upload.bytes))?;
    must_be_draft(&n, "更改附件")?;
    check_open(txn, now, &n).await?;
    let existing = att::Entity::find()
        .filter(att::Column::NominationId.eq(id))
        .filter(att::Column::Kind.eq(upload.kind.as_str()))
        .count(txn)
        .await?;
    if upload.kind == AttachmentKind::Certificate {
        if existing >= upload.kind.max_count() as u64 {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_detail("最多上传两份最高荣誉证书，请先删除一份。"));
        }
    } else {
        att::Entity::delete_many()
            .filter(att::Column::NominationId.eq(id))
            .filter(att::Column::Kind.eq(upload.kind.as_str()))
            .exec(txn)
            .await?;
    }
    let sha = Sha256::digest(&upload.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let size = i64::try_from(upload.bytes.len()).map_err(ApiError::internal)?;
    let file_name = stored_file_name(&upload.file_name, upload.kind, file_type);
    let row = att::ActiveModel {
        nomination_id: Set(id),
        kind: Set(upload.kind.as_str().to_owned()),
        content_type: Set(file_type.mime().to_owned()),
        file_name: Set(file_name),
        size: Set(size),
        sha256: Set(sha),
        data: Set(upload.bytes.clone()),
        form_copy: Set(checked.form_copy.clone()),
        created_by: Set(p.id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    touch(txn, n, now).await?;
    Ok(AttachmentView {
        id: row.id,
        kind: upload.kind,
        content_type: row.content_type,
        file_name: row.file_name,
        size: row.size,
        sha256: row.sha256,
        created_at: to_china(row.created_at),
    })
}

/// The stored name: the client's name without its path, with the extension
/// of the sniffed type.
fn stored_file_name(given: &str, kind: AttachmentKind, t: rules::FileType) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let stem = safe_name(stem);
    let stem = if stem == "_" {
        kind.label().to_owned()
    } else {
        stem
    };
    format!("{stem}.{}", t.extension())
}

/// An attachment's file (the lead of its district and the secretariat),
/// with the content type sniffed at upload.
pub async fn get(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
    attachment_id: i64,
) -> ApiResult<Download> {
    nomination_to_read(db, p, id).await?;
    let a = find_attachment(db, id, attachment_id).await?;
    let fallback_name = format!(
        "attachment-{}.{}",
        a.id,
        rules::FileType::from_mime(&a.content_type).map_or("bin", rules::FileType::extension)
    );
    Ok(Download {
        content_type: a.content_type,
        file_name: a.file_name,
        fallback_name,
        bytes: a.data,
    })
}

/// Deletes an attachment of a draft, before the deadline.
pub async fn delete(
    tx: Tx,
    p: &Principal,
    id: i64,
    attachment_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let txn = &*tx;
    nomination_to_file(txn, p, id).await?;
    let n = locked_nomination(txn, id).await?;
    find_attachment(txn, id, attachment_id).await?;
    must_be_draft(&n, "更改附件")?;
    check_open(txn, now, &n).await?;
    att::Entity::delete_by_id(attachment_id).exec(txn).await?;
    touch(txn, n, now).await
}

/// The nomination changed at `now` (its attachments did).
async fn touch(
    db: &impl ConnectionTrait,
    n: nomination::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut am: nomination::ActiveModel = n.into();
    am.updated_at = Set(now);
    am.update(db).await?;
    Ok(())
}
