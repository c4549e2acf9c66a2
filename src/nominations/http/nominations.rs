//! Nominations (推荐, seed 002): a district lead fills in the registration
//! form of 附件二 for their own district, uploads the photo and scans, prints
//! the Word form, and submits before the deadline; the secretariat reviews.
//! The `If-Match` header is read here and the multipart body of an upload in
//! `multipart`; the rest is the area's use cases.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};

use super::multipart;
use super::responses::{Once, download, once_per_key, with_etag};
use crate::access::principal::{Auth, DistrictLead, Secretariat};
use crate::nominations::model::{
    AttachmentReplacement, AttachmentUpload, AttachmentView, FileBody, NominationPatch,
    NominationView, ReviewInput,
};
use crate::nominations::review::decide;
use crate::nominations::{attachments, filing, form};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::{IdempotencyKey, IfMatch, ValidJson};
use crate::platform::idempotency;
use crate::state::AppState;

/// One nomination in full with its `ETag` (the lead of its district and the secretariat).
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    responses(
        (status = 200, body = NominationView, description = "The nomination (its `ETag` is the one to send with `If-Match`)", headers(("ETag" = String, description = "Pass as If-Match to edit"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
    )
)]
#[get("/nominations/{id}")]
pub async fn get_nomination(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = filing::get(&state.db, &p, *path, state.now()).await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Edit a draft (the lead of its district), with `If-Match` set to the
/// current `ETag`: 428 `PRECONDITION_REQUIRED` without it, 412
/// `PRECONDITION_FAILED` when someone changed it since. Only before the
/// deadline (409 `DEADLINE_PASSED`). Every field that meets its rule is
/// saved; each that does not keeps its earlier value and is answered in
/// `warnings` (pointer, code, message), so one mistyped field never loses
/// the others. An age sent as `"45"` is 45; `138 1234 6978` is
/// `13812346978`. A field of another JSON type, or one the form does not
/// have, refuses the whole edit (422, every such field listed). The answer's
/// `problems` and `checklist` say what submitting still needs. The nominee's
/// consent alone (`{"form": {"consent": false}}`, or `true` to give it
/// again) may be changed at any stage and time (PIPL); each change is
/// audited.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("If-Match" = Option<String>, Header, description = "The current ETag, as the last read or save answered it. Needed: without it the answer is 428 `PRECONDITION_REQUIRED` (RFC 6585), so two phones never overwrite each other"),
    ),
    request_body = NominationPatch,
    responses(
        (status = 200, body = NominationView, description = "The nomination as changed (with its new `ETag`)", headers(("ETag" = String, description = "The new ETag"))),
        (status = 400, description = "`INVALID_PARAMETER`: an If-Match that is blank or not visible ASCII"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `CONFLICT` (not a draft)"),
        (status = 412, description = "`PRECONDITION_FAILED`: stale If-Match"),
        (status = 422, description = "`VALIDATION_FAILED`: a field of the wrong JSON type or unknown to the form (nothing saved; each in `errors[]`)"),
        (status = 428, description = "`PRECONDITION_REQUIRED`: If-Match missing"),
    )
)]
#[patch("/nominations/{id}")]
pub async fn patch_nomination(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<i64>,
    IfMatch(expected): IfMatch,
    body: ValidJson<NominationPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        filing::patch(tx, &p, *path, expected.as_deref(), &body.form, now)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Delete a draft (the lead of its district) with its attachments, before
/// the deadline; audited. A submitted nomination is withdrawn first.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    responses(
        (status = 204, description = "The draft and its attachments deleted"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `CONFLICT` (not a draft)"),
    )
)]
#[delete("/nominations/{id}")]
pub async fn delete_nomination(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    db::write(&state.db, |tx| filing::delete(tx, &p, *path, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Submit the nomination (the lead of its district): only before the
/// deadline (409 `DEADLINE_PASSED`); the form and attachments complete (422
/// with a pointer per missing or invalid field); not on the exclusion list
/// (409 `PREVIOUSLY_HONOURED`); within the district's quota (409
/// `QUOTA_EXCEEDED`). `Idempotency-Key` honoured.
#[utoipa::path(
    operation_id = "submit_nomination",
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (a UUID)"),
    ),
    responses(
        (status = 200, body = NominationView, description = "The nomination submitted (it counts against the district's quota)", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, `QUOTA_EXCEEDED`, `PREVIOUSLY_HONOURED`, or `CONFLICT` (not a draft)"),
        (status = 422, description = "`VALIDATION_FAILED`: the form or the attachments are incomplete (every missing field and file in `errors[]`; `/attachments/certificate` `count`: two certificate scans are needed, or one per honour listed when fewer than two); `CONTENT_RISKY`: the story failed WeChat's content check"),
        (status = 503, description = "`WECHAT_UNAVAILABLE`: the content check could not run; retry later"),
    )
)]
#[post("/nominations/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    key: IdempotencyKey,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = *path;
    filing::check_before_submit(&state.db, state.wechat.as_ref(), &p, id).await?;
    let once = Once {
        member_id: p.id(),
        key: &key,
        fingerprint: idempotency::fingerprint(
            "POST",
            &format!("/nominations/{id}/submit"),
            &serde_json::Value::Null,
        )?,
    };
    once_per_key(&state.db, now, once, StatusCode::OK, |tx| {
        filing::submit(tx, &p, id, now)
    })
    .await
}

/// Withdraw a submitted nomination back to draft (the lead of its district),
/// before the deadline; its quota slot is freed.
#[utoipa::path(
    operation_id = "withdraw_nomination",
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    responses(
        (status = 200, body = NominationView, description = "The nomination withdrawn (its quota slot is free again)", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `CONFLICT` (not submitted, or already reviewed)"),
    )
)]
#[post("/nominations/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| filing::withdraw(tx, &p, *path, now)).await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Upload an attachment (the lead of its district; a draft, before the
/// deadline): multipart parts `kind` (photo | certificate |
/// registration_scan) and `file`, nothing else (422 naming another part).
/// The type is read from the content, never the name (415 otherwise);
/// photo at most 2 MB, scans 10 MB each (413); a JPEG or PNG at most 16
/// megapixels, no side over 8192 pixels (422 `IMAGE_TOO_LARGE`). Each file
/// takes the next `page` of its kind: the stamped form's scan is up to 10
/// pages as JPEG or PNG images, uploaded in order, or one PDF; at most 2
/// certificates; one photo. An upload never replaces anything: a photo
/// already uploaded is 409 `ATTACHMENT_EXISTS` (`existing_attachment_id`),
/// a kind already full 409 `CONFLICT` (`maximum`); replace a file with
/// `PUT …/attachments/{attachment_id}`.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentView, description = "The attachment stored, in the next page of its kind"),
        (status = 400, description = "`MALFORMED_MULTIPART`"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`; `ATTACHMENT_EXISTS`: a photo is already uploaded (`existing_attachment_id`: replace or delete it); `CONFLICT`: not a draft, or the kind is full — `maximum` 2 certificates, 10 scan pages as images, or 1 when the scan is a PDF (a PDF stands alone: not beside images, nothing beside it)"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`"),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: not multipart, or a file of the wrong type"),
        (status = 422, description = "`IMAGE_TOO_LARGE` (`errors[0].pointer` = `/file`): a picture over 16 megapixels or with a side over 8192 pixels; `VALIDATION_FAILED`: `kind` missing or unknown, no file or an empty one, a part other than `kind` and `file` (`unknown`) or one sent twice (`duplicate`), or a photo for a team"),
    )
)]
#[post("/nominations/{id}/attachments")]
pub async fn upload_attachment(
    req: HttpRequest,
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<i64>,
    payload: Multipart,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = *path;
    // Who may upload is known before the body is read; the body is read
    // before the unit of work, never while holding the write lock.
    attachments::may_upload(&state.db, &p, id).await?;
    multipart::refuse_declared_oversize(&req)?;
    let upload = multipart::read_upload(payload).await?;
    let upload = attachments::check_picture(upload).await?;
    let view = db::write(&state.db, |tx| {
        attachments::upload(tx, &p, id, &upload, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Replace the file of an attachment (the lead of its district; a draft,
/// before the deadline): multipart part `file` alone. The attachment keeps
/// its id, kind and `page`; the new file meets the rules of its kind (type
/// read from the content, 415; size, 413; pixels, 422 `IMAGE_TOO_LARGE`). A
/// PDF replaces a scan only when the scan is that one file (409 `CONFLICT`,
/// `maximum` 1, for one page among images).
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("attachment_id" = i64, Path, description = "Attachment id"),
    ),
    request_body(content = AttachmentReplacement, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = AttachmentView, description = "The attachment with its new file (same id and page)"),
        (status = 400, description = "`MALFORMED_MULTIPART`"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`; `CONFLICT`: not a draft, or a PDF for one page of a scan of several images (`maximum` 1)"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`"),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: not multipart, or a file of a type the attachment's kind does not take"),
        (status = 422, description = "`IMAGE_TOO_LARGE` (`errors[0].pointer` = `/file`); `VALIDATION_FAILED`: no file or an empty one, or a part other than `file` (`unknown`) or one sent twice (`duplicate`)"),
    )
)]
#[put("/nominations/{id}/attachments/{attachment_id}")]
pub async fn replace_attachment(
    req: HttpRequest,
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<(i64, i64)>,
    payload: Multipart,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let (id, attachment_id) = *path;
    let kind = attachments::may_replace(&state.db, &p, id, attachment_id).await?;
    multipart::refuse_declared_oversize(&req)?;
    let upload = multipart::read_replacement(payload, kind).await?;
    let upload = attachments::check_picture(upload).await?;
    let view = db::write(&state.db, |tx| {
        attachments::replace(tx, &p, id, attachment_id, &upload, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Download an attachment (the lead of its district and the secretariat),
/// with the content type sniffed at upload.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("attachment_id" = i64, Path, description = "Attachment id"),
    ),
    responses(
        (status = 200, description = "The file, of the type sniffed at upload", content((FileBody = "image/jpeg"), (FileBody = "image/png"), (FileBody = "application/pdf")), headers(("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
    )
)]
#[get("/nominations/{id}/attachments/{attachment_id}")]
pub async fn get_attachment(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (id, attachment_id) = *path;
    let file = attachments::get(&state.db, &p, id, attachment_id).await?;
    Ok(download(
        file,
        &[
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
    ))
}

/// Delete an attachment (the lead of its district; a draft, before the
/// deadline). The later files of its kind move up one page.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("attachment_id" = i64, Path, description = "Attachment id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `CONFLICT` (not a draft)"),
    )
)]
#[delete("/nominations/{id}/attachments/{attachment_id}")]
pub async fn delete_attachment(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let (id, attachment_id) = *path;
    db::write(&state.db, |tx| {
        attachments::delete(tx, &p, id, attachment_id, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The filled registration form (附件二) as a Word document, to print,
/// stamp and scan (the lead of its district and the secretariat). The photo
/// is embedded when uploaded.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    responses(
        (status = 200, description = "The .docx", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body = FileBody),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
    )
)]
#[get("/nominations/{id}/form.docx")]
pub async fn form_docx(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let file = form::docx(&state.db, &p, *path).await?;
    Ok(download(
        file,
        &[(header::CACHE_CONTROL, "private, no-store")],
    ))
}

/// Review a submitted nomination (secretariat): shortlist, reject with a
/// reason, or disqualify for fraud with a reason — "对推荐过程中弄虚作假、徇私
/// 舞弊的，一经查实，取消参与资格" (final). Audited.
///
/// No silent overwrites. A review decides a `submitted` nomination; once it
/// is reviewed (say, by a colleague a moment ago), a review answers 409
/// `STALE_DECISION` with `decided_by` {`id`, `display_name`}, `decision`
/// (`shortlist`, `reject`, `disqualify`), `decided_at`, `current_status`, `reason`
/// and the current `etag`, and changes nothing. To change an earlier
/// decision on purpose (改判), send `revises` — the status you saw
/// (`shortlisted` or `rejected`) — and a `reason` (422 without one): it is
/// audited as a revision (`after.revision` in the audit log). `If-Match`
/// with the ETag of the view you read is honoured as well: stale → 409
/// `STALE_DECISION` (412 `PRECONDITION_FAILED` when the change since was the
/// district's, not a review).
#[utoipa::path(
    operation_id = "review_nomination",
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("If-Match" = Option<String>, Header, description = "Optional: the ETag of the nomination as you read it"),
    ),
    request_body = ReviewInput,
    responses(
        (status = 200, body = NominationView, description = "The nomination with the decision applied", headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT`: a draft, forwarded, or disqualified; `STALE_DECISION`: already reviewed (or `revises` / `If-Match` no longer current) — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`, `etag`; nothing changed"),
        (status = 412, description = "`PRECONDITION_FAILED`: stale `If-Match` after a change by the district"),
        (status = 422, description = "`VALIDATION_FAILED`: a reason is required to reject, disqualify or revise (`/reason`); `/revises` names a status that cannot be revised"),
    )
)]
#[post("/nominations/{id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        decide(tx, &p, *path, if_match.0.as_deref(), &body, now)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}
