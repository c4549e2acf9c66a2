//! What the use cases of the area share: rows by id, the row locks a change
//! begins with, who may read or file a nomination, the deadline and draft
//! checks, and the nomination view assembled from its rows.
//!
//! Every change to a nomination runs in a unit of work that first locks the
//! nomination's row ([`lock_nomination`], an UPDATE): on SQLite that takes
//! the write lock, on PostgreSQL the row lock, so what is read afterwards
//! cannot change under the decision. Changes to a campaign's counters begin
//! with [`lock_campaign`] the same way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::access::principal::Principal;
use crate::entity::nomination_attachment as att;
use crate::entity::{campaign, campaign_late_grant as grant, district, nomination};
use crate::nominations::model::{
    AttachmentMeta, NominationView, json_col, kind_of, parse_form, status_of,
};
use crate::nominations::rules::{
    self, AttachmentKind, Category, Contact, Exclusion, NominationStatus, NomineeKind,
    RegistrationForm,
};
use crate::platform::clock::{china_date, format_china_deadline, to_china};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

// ---------------------------------------------------------------------------
// Campaigns and districts.

pub(crate) async fn find_campaign(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("评选活动不存在。"))
}

/// Lock a campaign's row for the rest of the transaction (a write: on SQLite
/// it takes the write lock, on PostgreSQL the row lock). 404 when missing.
pub(crate) async fn lock_campaign(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    let res = campaign::Entity::update_many()
        .col_expr(
            campaign::Column::ForwardedCount,
            Expr::col(campaign::Column::ForwardedCount),
        )
        .filter(campaign::Column::Id.eq(id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::not_found().with_detail("评选活动不存在。"));
    }
    Ok(())
}

/// The latest late-filing instant granted to a district in a campaign.
pub(crate) async fn grant_until(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    district_id: i64,
) -> ApiResult<Option<DateTime<Utc>>> {
    let grants = grant::Entity::find()
        .filter(grant::Column::CampaignId.eq(campaign_id))
        .filter(grant::Column::DistrictId.eq(district_id))
        .all(db)
        .await?;
    Ok(grants.into_iter().map(|g| g.until).max())
}

/// Every district's name by id.
pub(crate) async fn district_names(db: &impl ConnectionTrait) -> ApiResult<HashMap<i64, String>> {
    Ok(district::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// One district's name (empty when it is gone).
pub(crate) async fn district_name(db: &impl ConnectionTrait, id: i64) -> ApiResult<String> {
    Ok(district::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|d| d.name)
        .unwrap_or_default())
}

// ---------------------------------------------------------------------------
// Nominations and their attachments.

pub(crate) async fn find_nomination(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<nomination::Model> {
    nomination::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("推荐不存在。"))
}

/// Locks the nomination's row for the rest of the transaction; 404 if missing.
pub(crate) async fn lock_nomination(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
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

/// The nomination as it is once its row is locked ([`lock_nomination`]).
pub(crate) async fn locked_nomination(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<nomination::Model> {
    lock_nomination(db, id).await?;
    find_nomination(db, id).await
}

/// The nomination `id` if `p` may file it (404, 403 otherwise).
pub(crate) async fn nomination_to_file(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> ApiResult<nomination::Model> {
    let n = find_nomination(db, id).await?;
    may_file(p, &n)?;
    Ok(n)
}

/// The nomination `id` if `p` may read it (404, 403 otherwise).
pub(crate) async fn nomination_to_read(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> ApiResult<nomination::Model> {
    let n = find_nomination(db, id).await?;
    may_read(p, &n)?;
    Ok(n)
}

/// The attachments' rows without their bytes: the columns of [`AttachmentMeta`].
fn metas_query() -> sea_orm::Select<att::Entity> {
    att::Entity::find().select_only().columns([
        att::Column::Id,
        att::Column::Kind,
        att::Column::Page,
        att::Column::ContentType,
        att::Column::FileName,
        att::Column::Size,
        att::Column::Sha256,
        att::Column::CreatedAt,
    ])
}

/// The attachments of a nomination without their bytes, by kind
/// (`certificate`, `photo`, `registration_scan`) then page.
pub(crate) async fn attachment_metas(
    db: &impl ConnectionTrait,
    nomination_id: i64,
) -> ApiResult<Vec<AttachmentMeta>> {
    Ok(metas_query()
        .filter(att::Column::NominationId.eq(nomination_id))
        .order_by_asc(att::Column::Kind)
        .order_by_asc(att::Column::Page)
        .into_model::<AttachmentMeta>()
        .all(db)
        .await?)
}

/// The attachments of these nominations (without bytes), by nomination:
/// one query, whatever their number.
pub(crate) async fn attachment_metas_of(
    db: &impl ConnectionTrait,
    nomination_ids: &[i64],
) -> ApiResult<HashMap<i64, Vec<AttachmentMeta>>> {
    #[derive(sea_orm::FromQueryResult)]
    struct Owned {
        nomination_id: i64,
        #[sea_orm(nested)]
        meta: AttachmentMeta,
    }
    let mut out: HashMap<i64, Vec<AttachmentMeta>> = HashMap::new();
    if nomination_ids.is_empty() {
        return Ok(out);
    }
    let rows = metas_query()
        .column(att::Column::NominationId)
        .filter(att::Column::NominationId.is_in(nomination_ids.iter().copied()))
        .order_by_asc(att::Column::Kind)
        .order_by_asc(att::Column::Page)
        .into_model::<Owned>()
        .all(db)
        .await?;
    for r in rows {
        out.entry(r.nomination_id).or_default().push(r.meta);
    }
    Ok(out)
}

pub(crate) async fn find_attachment(
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

pub(crate) async fn nomination_view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    n: nomination::Model,
) -> ApiResult<NominationView> {
    let c = find_campaign(db, n.campaign_id).await?;
    let until = grant_until(db, n.campaign_id, n.district_id).await?;
    let closes = rules::filing_closes_at(c.district_deadline, until);
    let district_name = district_name(db, n.district_id).await?;
    let metas = attachment_metas(db, n.id).await?;
    let form = parse_form(&n)?;
    let kind = kind_of(&n);
    let problems = problems_of(&c, &form, kind, &metas, now)?;
    let checklist = rules::checklist(kind, &problems, form.honours.as_ref().map_or(0, Vec::len));
    let attachments = metas.into_iter().map(Into::into).collect();
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
        form,
        attachments,
        warnings: Vec::new(),
        ready_to_submit: problems.is_empty(),
        problems,
        checklist,
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

/// How many files of each kind these rows are.
pub(crate) fn file_counts(metas: &[AttachmentMeta]) -> rules::FileCounts {
    let count = |k: AttachmentKind| metas.iter().filter(|a| a.kind == k.as_str()).count();
    rules::FileCounts {
        photos: count(AttachmentKind::Photo),
        certificates: count(AttachmentKind::Certificate),
        registration_scans: count(AttachmentKind::RegistrationScan),
    }
}

/// What submitting the nomination now would refuse: its field and file
/// problems (`rules::submission_problems`) and the exclusion list.
pub(crate) fn problems_of(
    c: &campaign::Model,
    form: &RegistrationForm,
    kind: NomineeKind,
    metas: &[AttachmentMeta],
    now: DateTime<Utc>,
) -> ApiResult<Vec<FieldError>> {
    let categories: Vec<Category> = json_col(&c.categories)?;
    let exclusions: Vec<Exclusion> = json_col(&c.exclusions)?;
    let mut problems =
        rules::submission_problems(form, kind, &categories, china_date(now), file_counts(metas));
    if let Some(p) = rules::previously_honoured_problem(&exclusions, form, kind) {
        problems.push(p);
    }
    Ok(problems)
}

// ---------------------------------------------------------------------------
// Access and the state of a nomination.

/// Reading a nomination: the lead of its district, or the secretariat.
pub(crate) fn may_read(p: &Principal, n: &nomination::Model) -> ApiResult<()> {
    if p.is_secretariat() || p.district_ids().contains(&n.district_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden().with_detail("仅本片区负责人和秘书处可以查看该推荐。"))
    }
}

/// Filing (edit, submit, withdraw, attachments): the lead of its district only.
pub(crate) fn may_file(p: &Principal, n: &nomination::Model) -> ApiResult<()> {
    if p.district_ids().contains(&n.district_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden().with_detail("只能为本片区填报推荐。"))
    }
}

/// The deadline rule for this nomination's district.
pub(crate) async fn check_open(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    n: &nomination::Model,
) -> ApiResult<campaign::Model> {
    let c = find_campaign(db, n.campaign_id).await?;
    let until = grant_until(db, n.campaign_id, n.district_id).await?;
    let contacts: Vec<Contact> = json_col(&c.contacts)?;
    rules::check_filing_open(now, c.district_deadline, until, contacts.first())?;
    Ok(c)
}

pub(crate) fn must_be_draft(n: &nomination::Model, action: &str) -> ApiResult<()> {
    match status_of(n) {
        NominationStatus::Draft => Ok(()),
        NominationStatus::Submitted => Err(ApiError::new(ErrorCode::Conflict).with_detail(
            format!("推荐已提交，不能{action}；如需修改，请先撤回为草稿。"),
        )),
        other => Err(ApiError::new(ErrorCode::Conflict)
            .with_detail(format!("推荐当前为“{}”，不能{action}。", other.label()))),
    }
}
