//! Attachments of a nomination (seed 002: "一寸免冠照", "两份最高荣誉证书扫描件",
//! the stamped form's scan): uploaded by the lead of its district to a draft
//! before the deadline, read by the lead and the secretariat. The type is
//! read from the content, never from the name; a picture is read under the
//! limits of `images` (422 `IMAGE_TOO_LARGE`), and the photo is kept with
//! its form-sized copy. Each file has its place among those of its kind
//! (`page`: the scan's pages, the two certificates); an upload takes the
//! next place or is refused, replacing a file is its own request.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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
/// kind (415 otherwise); a draft before the deadline; in the next place of
/// its kind (`rules::page_for_new_file`): a photo already there is 409
/// `ATTACHMENT_EXISTS`, a kind already full 409 `CONFLICT` — an upload
/// never replaces anything.
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
    let stored = stored_files(txn, id, upload.kind).await?;
    let page = rules::page_for_new_file(upload.kind, &stored, file_type)?;
    let file_name = stored_file_name(&upload.file_name, upload.kind, file_type);
    let row = att::ActiveModel {
        nomination_id: Set(id),
        kind: Set(upload.kind.as_str().to_owned()),
        page: Set(page),
        content_type: Set(file_type.mime().to_owned()),
        file_name: Set(file_name),
        size: Set(size_of(&upload.bytes)?),
        sha256: Set(sha256_hex(&upload.bytes)),
        data: Set(upload.bytes.clone()),
        form_copy: Set(checked.form_copy.clone()),
        created_by: Set(p.id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    touch(txn, n, now).await?;
    Ok(view_of(row))
}

/// The kind of attachment `attachment_id` of nomination `id` if `p` may
/// replace it (404, 403): checked before the body is read, whose limit is
/// the kind's.
pub async fn may_replace(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
    attachment_id: i64,
) -> ApiResult<AttachmentKind> {
    nomination_to_file(db, p, id).await?;
    let kind: Option<String> = att::Entity::find_by_id(attachment_id)
        .filter(att::Column::NominationId.eq(id))
        .select_only()
        .column(att::Column::Kind)
        .into_tuple()
        .one(db)
        .await?;
    kind.as_deref()
        .and_then(AttachmentKind::parse)
        .ok_or_else(|| ApiError::not_found().with_detail("附件不存在。"))
}

/// Replaces the file of attachment `attachment_id` (the lead of its
/// district; a draft, before the deadline): the same id, kind and page, the
/// new bytes under the rules of the kind (415 for a type the kind does not
/// take; a PDF does not replace one page of a scan of several images, 409
/// `CONFLICT`). The upload's own kind is the stored one.
pub async fn replace(
    tx: Tx,
    p: &Principal,
    id: i64,
    attachment_id: i64,
    checked: &CheckedUpload,
    now: DateTime<Utc>,
) -> ApiResult<AttachmentView> {
    let txn = &*tx;
    let upload = &checked.upload;
    let n = locked_nomination(txn, id).await?;
    may_file(p, &n)?;
    let old = find_attachment(txn, id, attachment_id).await?;
    let kind = AttachmentKind::parse(&old.kind).unwrap_or(upload.kind);
    let file_type = rules::check_attachment_type(kind, kind_of(&n), rules::sniff(&upload.bytes))?;
    must_be_draft(&n, "更改附件")?;
    check_open(txn, now, &n).await?;
    let others: Vec<rules::StoredFile> = stored_files(txn, id, kind)
        .await?
        .into_iter()
        .filter(|f| f.id != attachment_id)
        .collect();
    rules::check_replacement(kind, &others, file_type)?;
    let mut am: att::ActiveModel = old.into();
    am.content_type = Set(file_type.mime().to_owned());
    am.file_name = Set(stored_file_name(&upload.file_name, kind, file_type));
    am.size = Set(size_of(&upload.bytes)?);
    am.sha256 = Set(sha256_hex(&upload.bytes));
    am.data = Set(upload.bytes.clone());
    am.form_copy = Set(checked.form_copy.clone());
    am.created_by = Set(p.id());
    am.created_at = Set(now);
    let row = am.update(txn).await?;
    touch(txn, n, now).await?;
    Ok(view_of(row))
}

/// The files of `kind` a nomination has, by page.
async fn stored_files(
    db: &impl ConnectionTrait,
    id: i64,
    kind: AttachmentKind,
) -> ApiResult<Vec<rules::StoredFile>> {
    let rows: Vec<(i64, i32, String)> = att::Entity::find()
        .filter(att::Column::NominationId.eq(id))
        .filter(att::Column::Kind.eq(kind.as_str()))
        .select_only()
        .columns([att::Column::Id, att::Column::Page, att::Column::ContentType])
        .order_by_asc(att::Column::Page)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, page, content_type)| rules::StoredFile {
            id,
            page,
            file_type: rules::FileType::from_mime(&content_type),
        })
        .collect())
}

fn view_of(row: att::Model) -> AttachmentView {
    AttachmentView {
        id: row.id,
        kind: AttachmentKind::parse(&row.kind).unwrap_or(AttachmentKind::Certificate),
        page: row.page,
        content_type: row.content_type,
        file_name: row.file_name,
        size: row.size,
        sha256: row.sha256,
        created_at: to_china(row.created_at),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn size_of(bytes: &[u8]) -> ApiResult<i64> {
    i64::try_from(bytes.len()).map_err(ApiError::internal)
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

/// Deletes an attachment of a draft, before the deadline; the later pages
/// of its kind move up one place.
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
    let gone = find_attachment(txn, id, attachment_id).await?;
    must_be_draft(&n, "更改附件")?;
    check_open(txn, now, &n).await?;
    att::Entity::delete_by_id(attachment_id).exec(txn).await?;
    // The later files of its kind move up one place, in page order, so the
    // pages stay 1, 2, … without a gap and never meet on the unique index.
    let kind = AttachmentKind::parse(&gone.kind).unwrap_or(AttachmentKind::Certificate);
    for later in stored_files(txn, id, kind).await? {
        if later.page > gone.page {
            att::Entity::update_many()
                .col_expr(att::Column::Page, Expr::value(later.page - 1))
                .filter(att::Column::Id.eq(later.id))
                .exec(txn)
                .await?;
        }
    }
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
