//! Nominations (推荐, seed 002): a district lead fills in the registration
//! form of 附件二 for their own district, uploads the photo and scans, prints
//! the Word form, and submits before the deadline; the secretariat reviews.
//!
//! Every change to a nomination runs in a transaction that first locks the
//! nomination's row (an UPDATE): on SQLite that takes the write lock, on
//! PostgreSQL the row lock, so what is read afterwards cannot change under
//! the decision.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, FixedOffset, Utc};
use futures_util::StreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use validator::Validate;

use crate::entity::{campaign, district, nomination, nomination_attachment as att};
use crate::identity::phone::mask_phone;
use crate::identity::principal::{Auth, DistrictLead, Principal, Secretariat};
use crate::identity::roles::Role;
use crate::nominations::http::campaigns::{
    attachment_disposition, find_campaign, grant_until, json_col, safe_name,
};
use crate::nominations::registration_form::{self, FormDocument};
use crate::nominations::rules::{
    self as rules, AttachmentKind, Category, Exclusion, NominationStatus, NomineeKind,
    RegistrationForm,
};
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{format_china_deadline, to_china};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::{IdempotencyKey, ValidJson};
use crate::platform::idempotency::{self, Stored};
use crate::state::AppState;

// ---------------------------------------------------------------------------
// Views.

/// An attachment's row without its bytes.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AttachmentMeta {
    pub id: i64,
    pub kind: String,
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// An attachment of a nomination.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub kind: AttachmentKind,
    /// Sniffed from the content: `image/jpeg`, `image/png` or `application/pdf`.
    pub content_type: String,
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    pub created_at: DateTime<FixedOffset>,
}

impl From<AttachmentMeta> for AttachmentView {
    fn from(a: AttachmentMeta) -> Self {
        Self {
            id: a.id,
            kind: AttachmentKind::parse(&a.kind).unwrap_or(AttachmentKind::Certificate),
            content_type: a.content_type,
            file_name: a.file_name,
            size: a.size,
            sha256: a.sha256,
            created_at: to_china(a.created_at),
        }
    }
}

/// A nomination in full, for the lead of its district and the secretariat
/// (never public). The `ETag` versions the form and the status.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NominationView {
    pub id: i64,
    pub campaign_id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub kind: NomineeKind,
    pub status: NominationStatus,
    /// The status in Chinese, e.g. 草稿.
    pub status_label: String,
    pub version: i32,
    /// The same as the `ETag` header: pass it as `If-Match` to edit.
    pub etag: String,
    pub form: RegistrationForm,
    pub attachments: Vec<AttachmentView>,
    /// Has an honour from a media platform (priority in review).
    pub media_honoured: bool,
    /// The secretariat's reason for a rejection or disqualification.
    pub review_reason: Option<String>,
    /// When this district's filing closes (the deadline, or a late grant).
    pub closes_at: DateTime<FixedOffset>,
    /// `closes_at` as people say it, e.g. `2021年11月3日 24:00`.
    pub closes_at_display: String,
    /// The server's clock in China time.
    pub server_time: DateTime<FixedOffset>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    pub forwarded_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// A nomination in a list: the phone masked; no ethnicity, political status
/// or story.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NominationSummary {
    pub id: i64,
    pub campaign_id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub kind: NomineeKind,
    pub status: NominationStatus,
    pub status_label: String,
    pub category: Option<String>,
    /// The person's or the team's name.
    pub nominee_name: Option<String>,
    pub unit: Option<String>,
    /// Masked: 138****6978.
    pub phone: Option<String>,
    /// Has an honour from a media platform (listed first).
    pub media_honoured: bool,
    pub consent: bool,
    pub review_reason: Option<String>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub updated_at: DateTime<FixedOffset>,
}

fn status_of(n: &nomination::Model) -> NominationStatus {
    NominationStatus::parse(&n.status).unwrap_or(NominationStatus::Draft)
}

fn kind_of(n: &nomination::Model) -> NomineeKind {
    NomineeKind::parse(&n.kind).unwrap_or(NomineeKind::Person)
}

pub(crate) async fn district_names(db: &impl ConnectionTrait) -> ApiResult<HashMap<i64, String>> {
    Ok(district::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

pub(crate) fn summary(n: nomination::Model, names: &HashMap<i64, String>) -> NominationSummary {
    let status = status_of(&n);
    NominationSummary {
        id: n.id,
        campaign_id: n.campaign_id,
        district_id: n.district_id,
        district_name: names.get(&n.district_id).cloned().unwrap_or_default(),
        kind: kind_of(&n),
        status,
        status_label: status.label().to_owned(),
        category: n.category,
        nominee_name: n.nominee_name,
        unit: n.unit,
        phone: n.phone.as_deref().map(mask_phone),
        media_honoured: n.media_honoured,
        consent: n.consent,
        review_reason: n.review_reason,
        submitted_at: n.submitted_at.map(to_china),
        updated_at: to_china(n.updated_at),
    }
}

pub(crate) fn parse_form(n: &nomination::Model) -> ApiResult<RegistrationForm> {
    json_col(&n.form)
}

async fn attachment_metas(
    db: &impl ConnectionTrait,
    nomination_id: i64,
) -> ApiResult<Vec<AttachmentMeta>> {
    Ok(att::Entity::find()
        .select_only()
        .columns([
            att::Column::Id,
            att::Column::Kind,
            att::Column::ContentType,
            att::Column::FileName,
            att::Column::Size,
            att::Column::Sha256,
            att::Column::CreatedAt,
        ])
        .filter(att::Column::NominationId.eq(nomination_id))
        .order_by_asc(att::Column::Id)
        .into_model::<AttachmentMeta>()
        .all(db)
        .await?)
}

pub(crate) async fn nomination_view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    n: nomination::Model,
) -> ApiResult<NominationView> {
    let c = find_campaign(db, n.campaign_id).await?;
    let until = grant_until(db, n.campaign_id, n.district_id).await?;
    let closes = rules::filing_closes_at(c.district_deadline, until);
    let district_name = district::Entity::find_by_id(n.district_id)
        .one(db)
        .await?
        .map(|d| d.name)
        .unwrap_or_default();
    let attachments = attachment_metas(db, n.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let status = status_of(&n);
    Ok(NominationView {
        id: n.id,
        campaign_id: n.campaign_id,
        district_id: n.district_id,
        district_name,
        kind: kind_of(&n),
        status,
        status_label: status.label().to_owned(),
        version: n.version,
        etag: rules::etag(n.id, n.version),
        form: parse_form(&n)?,
        attachments,
        media_honoured: n.media_honoured,
        review_reason: n.review_reason,
        closes_at: to_china(closes),
        closes_at_display: format_china_deadline(closes),
        server_time: to_china(now),
        submitted_at: n.submitted_at.map(to_china),
        reviewed_at: n.reviewed_at.map(to_china),
        forwarded_at: n.forwarded_at.map(to_china),
        created_at: to_china(n.created_at),
        updated_at: to_china(n.updated_at),
    })
}

/// Answers a view with its `ETag`.
fn with_etag(status: StatusCode, view: &NominationView) -> HttpResponse {
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

pub(crate) fn form_document(
    c: &campaign::Model,
    district_name: &str,
    kind: NomineeKind,
    form: &RegistrationForm,
    photo: Option<&[u8]>,
) -> ApiResult<Vec<u8>> {
    registration_form::render(&FormDocument {
        campaign_title: &c.title,
        district_name,
        kind,
        form,
        photo,
    })
    .map_err(ApiError::internal)
}

// ---------------------------------------------------------------------------
// Access.

async fn find_nomination(db: &impl ConnectionTrait, id: i64) -> ApiResult<nomination::Model> {
    nomination::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("推荐不存在。"))
}

/// Reading a nomination: the lead of its district, or the secretariat.
fn may_read(p: &Principal, n: &nomination::Model) -> ApiResult<()> {
    if p.is_secretariat() || p.district_ids().contains(&n.district_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden().with_detail("仅本片区负责人和秘书处可以查看该推荐。"))
    }
}

/// Filing (edit, submit, withdraw, attachments): the lead of its district only.
fn may_file(p: &Principal, n: &nomination::Model) -> ApiResult<()> {
    if p.district_ids().contains(&n.district_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden().with_detail("只能为本片区填报推荐。"))
    }
}

/// Locks the nomination's row for the rest of the transaction; 404 if missing.
async fn lock_nomination(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    let res = nomination::Entity::update_many()
        .col_expr(
            nomination::Column::Version,
            Expr::col(nomination::Column::Version),
        )
        .filter(nomination::Column::Id.eq(id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found().with_detail("推荐不存在。"));
    }
    Ok(())
}

/// The deadline rule for this nomination's district.
async fn check_open(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    n: &nomination::Model,
) -> ApiResult<campaign::Model> {
    let c = find_campaign(db, n.campaign_id).await?;
    let until = grant_until(db, n.campaign_id, n.district_id).await?;
    rules::check_filing_open(now, c.district_deadline, until)?;
    Ok(c)
}

fn must_be_draft(n: &nomination::Model, action: &str) -> ApiResult<()> {
    match status_of(n) {
        NominationStatus::Draft => Ok(()),
        NominationStatus::Submitted => Err(ApiError::new(ErrorCode::Conflict).with_detail(
            format!("推荐已提交，不能{action}；如需修改，请先撤回为草稿。"),
        )),
        other => Err(ApiError::new(ErrorCode::Conflict)
            .with_detail(format!("推荐当前为“{}”，不能{action}。", other.label()))),
    }
}

// ---------------------------------------------------------------------------
// Read and edit.

/// One nomination in full with its `ETag` (the lead of its district and the secretariat).
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    responses(
        (status = 200, body = NominationView, headers(("ETag" = String, description = "Pass as If-Match to edit"))),
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
    let n = find_nomination(&state.db, *path).await?;
    may_read(&p, &n)?;
    let view = nomination_view(&state.db, state.now(), n).await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// A change to the form: a JSON merge patch (RFC 7396) of `form` — given
/// fields replace, `null` clears, arrays (`honours`) are replaced whole.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NominationPatch {
    #[schema(value_type = RegistrationForm)]
    pub form: serde_json::Map<String, serde_json::Value>,
}

impl Validate for NominationPatch {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

fn if_match(req: &HttpRequest) -> ApiResult<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::new(ErrorCode::PreconditionRequired))
}

fn is_consent_withdrawal(patch: &serde_json::Map<String, serde_json::Value>) -> bool {
    patch.len() == 1 && patch.get("consent") == Some(&serde_json::Value::Bool(false))
}

/// Edit a draft (the lead of its district), with `If-Match` set to the
/// current `ETag`: 428 `PRECONDITION_REQUIRED` without it, 412
/// `PRECONDITION_FAILED` when someone changed it since. Only before the
/// deadline (409 `DEADLINE_PASSED`). The nominee's consent may be withdrawn
/// (`{"form": {"consent": false}}`) at any stage and time (PIPL).
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("If-Match" = String, Header, description = "The current ETag"),
    ),
    request_body = NominationPatch,
    responses(
        (status = 200, body = NominationView, headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `CONFLICT` (not a draft)"),
        (status = 412, description = "`PRECONDITION_FAILED`: stale If-Match"),
        (status = 428, description = "`PRECONDITION_REQUIRED`: If-Match missing"),
    )
)]
#[patch("/nominations/{id}")]
pub async fn patch_nomination(
    req: HttpRequest,
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    path: web::Path<i64>,
    body: ValidJson<NominationPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = *path;
    let pre = find_nomination(&state.db, id).await?;
    may_file(&p, &pre)?;
    let expected = if_match(&req)?;
    let txn = state.db.begin().await?;
    lock_nomination(&txn, id).await?;
    let n = find_nomination(&txn, id).await?;
    if !rules::if_match_satisfied(&expected, &rules::etag(n.id, n.version)) {
        return Err(ApiError::new(ErrorCode::PreconditionFailed));
    }
    let kind = kind_of(&n);
    let mut form = parse_form(&n)?;
    if is_consent_withdrawal(&body.form) {
        form.consent = Some(false);
    } else {
        must_be_draft(&n, "修改")?;
        let c = check_open(&txn, now, &n).await?;
        let mut merged = serde_json::to_value(&form).map_err(ApiError::internal)?;
        if let Some(obj) = merged.as_object_mut() {
            obj.retain(|_, v| !serde_json::Value::is_null(v));
            for (k, v) in &body.form {
                if serde_json::Value::is_null(v) {
                    obj.remove(k);
                } else {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        let bytes = serde_json::to_vec(&merged).map_err(ApiError::internal)?;
        form =
            crate::platform::extract::parse_json::<RegistrationForm>(&bytes).map_err(|mut e| {
                e.errors = e
                    .errors
                    .iter()
                    .map(|f| {
                        FieldError::new(&format!("/form{}", f.pointer), &f.code, f.message.clone())
                    })
                    .collect();
                e
            })?;
        let categories: Vec<Category> = json_col(&c.categories)?;
        let errors = rules::check_fields(
            &form,
            kind,
            &categories,
            crate::platform::clock::china_date(now),
        );
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        rules::normalise(&mut form);
    }
    let mut am: nomination::ActiveModel = n.clone().into();
    am.form = Set(serde_json::to_string(&form).map_err(ApiError::internal)?);
    am.nominee_name = Set(rules::nominee_name(&form, kind).map(str::to_owned));
    am.unit = Set(form.unit.clone());
    am.category = Set(form.category.clone());
    am.phone = Set(rules::nominee_phone(&form, kind).map(str::to_owned));
    am.media_honoured = Set(rules::media_honoured(&form));
    am.consent = Set(form.consent == Some(true));
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after = am.update(&txn).await?;
    let view = nomination_view(&txn, now, after).await?;
    txn.commit().await?;
    Ok(with_etag(StatusCode::OK, &view))
}

// ---------------------------------------------------------------------------
// Submit and withdraw.

/// Submit the nomination (the lead of its district): only before the
/// deadline (409 `DEADLINE_PASSED`); the form and attachments complete (422
/// with a pointer per missing or invalid field); not on the exclusion list
/// (409 `PREVIOUSLY_HONOURED`); within the district's quota (409
/// `QUOTA_EXCEEDED`). `Idempotency-Key` honoured.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Nomination id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (a UUID)"),
    ),
    responses(
        (status = 200, body = NominationView, headers(("ETag" = String, description = "The new ETag"))),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, `QUOTA_EXCEEDED`, `PREVIOUSLY_HONOURED`, or `CONFLICT` (not a draft)"),
        (status = 422, description = "`VALIDATION_FAILED`: the form or the attachments are incomplete; `CONTENT_RISKY`: the story failed WeChat's content check"),
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
    let pre = find_nomination(&state.db, id).await?;
    may_file(&p, &pre)?;
    // The story will be published: WeChat's content check, before the
    // submit transaction (no network call while holding the write lock).
    if let Some(story) = parse_form(&pre)?.story.as_deref() {
        crate::wechat::content_check::check(
            state.wechat.as_ref(),
            &p.member.openid,
            crate::wechat::content_check::SCENE_FORUM,
            story,
            "/form/story",
        )
        .await?;
    }
    let fingerprint = idempotency::fingerprint(
        "POST",
        &format!("/nominations/{id}/submit"),
        &serde_json::Value::Null,
    )?;
    let stored =
        idempotency::run(
            &state.db,
            now,
            &p.id().to_string(),
            key.0.as_deref(),
            &fingerprint,
            |tx| async move {
                {
                    let txn = &*tx;
                    lock_nomination(txn, id).await?;
                    let n = find_nomination(txn, id).await?;
                    must_be_draft(&n, "再次提交")?;
                    let c = check_open(txn, now, &n).await?;
                    let kind = kind_of(&n);
                    let form = parse_form(&n)?;
                    let categories: Vec<Category> = json_col(&c.categories)?;
                    let mut errors = rules::check_fields(
                        &form,
                        kind,
                        &categories,
                        crate::platform::clock::china_date(now),
                    );
                    for e in rules::missing_fields(&form, kind) {
                        if !errors.iter().any(|x| x.pointer == e.pointer) {
                            errors.push(e);
                        }
                    }
                    let metas = attachment_metas(txn, id).await?;
                    let count =
                        |k: AttachmentKind| metas.iter().filter(|a| a.kind == k.as_str()).count();
                    errors.extend(rules::missing_attachments(
                        kind,
                        count(AttachmentKind::Photo),
                        count(AttachmentKind::Certificate),
                        count(AttachmentKind::RegistrationScan),
                    ));
                    if !errors.is_empty() {
                        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
                        return Err(ApiError::validation(errors)
                            .with_detail("报名表或附件不完整，请补全标注的内容后再提交。"));
                    }
                    let exclusions: Vec<Exclusion> = json_col(&c.exclusions)?;
                    let name = rules::nominee_name(&form, kind).unwrap_or_default();
                    let unit = form.unit.as_deref().unwrap_or_default();
                    if let Some(e) = rules::previously_honoured(&exclusions, name, unit) {
                        let honour = e.note.clone().unwrap_or_else(|| "往届表彰".to_owned());
                        return Err(ApiError::new(ErrorCode::PreviouslyHonoured).with_detail(
                            format!("{unit}{name}已获得“{honour}”，按通知要求不再参与本次推举。"),
                        ));
                    }
                    rules::claim_district_slot(txn, n.campaign_id, n.district_id, c.district_quota)
                        .await?;
                    let mut am: nomination::ActiveModel = n.clone().into();
                    am.status = Set(NominationStatus::Submitted.as_str().to_owned());
                    am.submitted_at = Set(Some(now));
                    am.version = Set(n.version + 1);
                    am.updated_at = Set(now);
                    let after = am.update(txn).await?;
                    let view = nomination_view(txn, now, after).await?;
                    Stored::new(StatusCode::OK, &view)
                }
            },
        )
        .await?;
    Ok(stored_with_etag(stored))
}

/// Withdraw a submitted nomination back to draft (the lead of its district),
/// before the deadline; its quota slot is freed.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    responses(
        (status = 200, body = NominationView, headers(("ETag" = String, description = "The new ETag"))),
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
    let id = *path;
    let pre = find_nomination(&state.db, id).await?;
    may_file(&p, &pre)?;
    let txn = state.db.begin().await?;
    lock_nomination(&txn, id).await?;
    let n = find_nomination(&txn, id).await?;
    match status_of(&n) {
        NominationStatus::Submitted => {}
        NominationStatus::Draft => {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail("推荐尚未提交，无需撤回。"));
        }
        other => {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail(format!(
                "推荐已经秘书处评审（{}），不能撤回。",
                other.label()
            )));
        }
    }
    check_open(&txn, now, &n).await?;
    rules::release_district_slot(&txn, n.campaign_id, n.district_id).await?;
    let mut am: nomination::ActiveModel = n.clone().into();
    am.status = Set(NominationStatus::Draft.as_str().to_owned());
    am.submitted_at = Set(None);
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after = am.update(&txn).await?;
    let view = nomination_view(&txn, now, after).await?;
    txn.commit().await?;
    Ok(with_etag(StatusCode::OK, &view))
}

// ---------------------------------------------------------------------------
// Attachments.

/// A file's bytes (documentation of binary responses).
pub struct FileBody;

impl utoipa::PartialSchema for FileBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes"))
            .build()
            .into()
    }
}

impl ToSchema for FileBody {}

/// The multipart body of an upload (documentation).
#[derive(Debug, ToSchema)]
pub struct AttachmentUpload {
    pub kind: AttachmentKind,
    /// The file; its type is read from its content (photo: JPEG or PNG, at
    /// most 2 MB; scans: PDF, JPEG or PNG, at most 10 MB).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

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

struct Upload {
    kind: AttachmentKind,
    file_name: String,
    bytes: Vec<u8>,
}

/// Reads `kind` and `file` from the multipart body, with bounded sizes.
async fn read_upload(mut mp: Multipart) -> ApiResult<Upload> {
    let mut kind: Option<AttachmentKind> = None;
    let mut kind_raw: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut oversized = false;
    let mut total = 0usize;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let limit = match name.as_str() {
            "kind" => 64,
            "file" => kind.map_or(rules::SCAN_MAX_BYTES, AttachmentKind::max_bytes),
            _ => 0,
        };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            total += chunk.len();
            if total > DRAIN_LIMIT {
                return Err(too_large(kind));
            }
            if buf.len() + chunk.len() > limit {
                oversized |= name == "file" || name == "kind";
                continue;
            }
            if !oversized {
                buf.extend_from_slice(&chunk);
            }
        }
        match name.as_str() {
            "kind" => {
                let raw = String::from_utf8_lossy(&buf).trim().to_owned();
                kind = AttachmentKind::parse(&raw);
                kind_raw = Some(raw);
            }
            "file" => file = Some((file_name.unwrap_or_default(), buf)),
            _ => {}
        }
    }
    if oversized || total > UPLOAD_LIMIT {
        return Err(too_large(kind));
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

/// Upload an attachment (the lead of its district; a draft, before the
/// deadline): multipart fields `kind` (photo | certificate |
/// registration_scan) and `file`. The type is read from the content, never
/// the name (415 otherwise); photo at most 2 MB, scans 10 MB (413). A new
/// photo or scan replaces the old one; at most 2 certificates.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`, or `CONFLICT` (not a draft, or 2 certificates already)"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`"),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: not multipart, or a file of the wrong type"),
        (status = 400, description = "`MALFORMED_MULTIPART`"),
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
    let pre = find_nomination(&state.db, id).await?;
    may_file(&p, &pre)?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large(None));
    }
    let upload = read_upload(payload).await?;
    let file_type =
        rules::check_attachment_type(upload.kind, kind_of(&pre), rules::sniff(&upload.bytes))?;
    let txn = state.db.begin().await?;
    lock_nomination(&txn, id).await?;
    let n = find_nomination(&txn, id).await?;
    must_be_draft(&n, "更改附件")?;
    check_open(&txn, now, &n).await?;
    let existing = att::Entity::find()
        .filter(att::Column::NominationId.eq(id))
        .filter(att::Column::Kind.eq(upload.kind.as_str()))
        .count(&txn)
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
            .exec(&txn)
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
        data: Set(upload.bytes),
        created_by: Set(p.id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut am: nomination::ActiveModel = n.into();
    am.updated_at = Set(now);
    am.update(&txn).await?;
    txn.commit().await?;
    let view = AttachmentView {
        id: row.id,
        kind: upload.kind,
        content_type: row.content_type,
        file_name: row.file_name,
        size: row.size,
        sha256: row.sha256,
        created_at: to_china(row.created_at),
    };
    Ok(HttpResponse::Created().json(view))
}

async fn find_attachment(
    db: &impl ConnectionTrait,
    nomination_id: i64,
    attachment_id: i64,
) -> ApiResult<att::Model> {
    att::Entity::find_by_id(attachment_id)
        .filter(att::Column::NominationId.eq(nomination_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("附件不存在。"))
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
        (status = 200, description = "The file", content_type = "application/octet-stream", body = FileBody),
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
    let n = find_nomination(&state.db, id).await?;
    may_read(&p, &n)?;
    let a = find_attachment(&state.db, id, attachment_id).await?;
    let fallback = format!(
        "attachment-{}.{}",
        a.id,
        rules::FileType::from_mime(&a.content_type).map_or("bin", rules::FileType::extension)
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, a.content_type.clone()))
        .insert_header((
            CONTENT_DISPOSITION,
            attachment_disposition(&a.file_name, &fallback),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(a.data))
}

/// Delete an attachment (the lead of its district; a draft, before the deadline).
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
    let pre = find_nomination(&state.db, id).await?;
    may_file(&p, &pre)?;
    let txn = state.db.begin().await?;
    lock_nomination(&txn, id).await?;
    let n = find_nomination(&txn, id).await?;
    find_attachment(&txn, id, attachment_id).await?;
    must_be_draft(&n, "更改附件")?;
    check_open(&txn, now, &n).await?;
    att::Entity::delete_by_id(attachment_id).exec(&txn).await?;
    let mut am: nomination::ActiveModel = n.into();
    am.updated_at = Set(now);
    am.update(&txn).await?;
    txn.commit().await?;
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
    let n = find_nomination(&state.db, *path).await?;
    may_read(&p, &n)?;
    let c = find_campaign(&state.db, n.campaign_id).await?;
    let district_name = district::Entity::find_by_id(n.district_id)
        .one(&state.db)
        .await?
        .map(|d| d.name)
        .unwrap_or_default();
    let photo = att::Entity::find()
        .filter(att::Column::NominationId.eq(n.id))
        .filter(att::Column::Kind.eq(AttachmentKind::Photo.as_str()))
        .one(&state.db)
        .await?;
    let form = parse_form(&n)?;
    let bytes = form_document(
        &c,
        &district_name,
        kind_of(&n),
        &form,
        photo.as_ref().map(|a| a.data.as_slice()),
    )?;
    let nominee = n
        .nominee_name
        .clone()
        .unwrap_or_else(|| format!("推荐{}", n.id));
    Ok(HttpResponse::Ok()
        .insert_header((
            CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ))
        .insert_header((
            CONTENT_DISPOSITION,
            attachment_disposition(
                &format!("{}-报名表.docx", safe_name(&nominee)),
                &format!("nomination-{}-form.docx", n.id),
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

// ---------------------------------------------------------------------------
// Review.

/// The secretariat's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Keep for forwarding (入围).
    Shortlist,
    /// Not kept (reason required).
    Reject,
    /// Fraud (弄虚作假, reason required); final.
    Disqualify,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: ReviewDecision,
    /// Required to reject or disqualify (at most 500 characters).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    pub reason: Option<String>,
}

/// Review a submitted nomination (secretariat): shortlist, reject with a
/// reason, or disqualify for fraud with a reason — "对推荐过程中弄虚作假、徇私
/// 舞弊的，一经查实，取消参与资格" (final). Audited.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Nomination id")),
    request_body = ReviewInput,
    responses(
        (status = 200, body = NominationView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT`: a draft, forwarded, or disqualified"),
    )
)]
#[post("/nominations/{id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = *path;
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if body.decision != ReviewDecision::Shortlist && reason.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            "不入围或取消资格须填写原因。",
        )]));
    }
    let txn = state.db.begin().await?;
    lock_nomination(&txn, id).await?;
    let n = find_nomination(&txn, id).await?;
    match status_of(&n) {
        NominationStatus::Submitted
        | NominationStatus::Shortlisted
        | NominationStatus::Rejected => {}
        NominationStatus::Draft => {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail("推荐尚未提交，不能评审。"));
        }
        NominationStatus::Disqualified => {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_detail("该推荐已因弄虚作假被取消资格，不能再更改。"));
        }
        NominationStatus::Forwarded => {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_detail("该推荐已报送中国教育后勤协会，不能再更改。"));
        }
    }
    let status = match body.decision {
        ReviewDecision::Shortlist => NominationStatus::Shortlisted,
        ReviewDecision::Reject => NominationStatus::Rejected,
        ReviewDecision::Disqualify => NominationStatus::Disqualified,
    };
    let before = serde_json::json!({"status": n.status, "review_reason": n.review_reason});
    let mut am: nomination::ActiveModel = n.clone().into();
    am.status = Set(status.as_str().to_owned());
    am.review_reason = Set(reason.clone());
    am.reviewed_by = Set(Some(p.id()));
    am.reviewed_at = Set(Some(now));
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after_row = am.update(&txn).await?;
    let after = serde_json::json!({"status": status, "review_reason": reason});
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "nomination.review", "nomination", id)
            .reason(reason.as_deref()),
        Some(&before),
        Some(&after),
    )
    .await?;
    let view = nomination_view(&txn, now, after_row).await?;
    txn.commit().await?;
    Ok(with_etag(StatusCode::OK, &view))
}
