//! Filing (推荐, seed 002): a district lead starts a nomination for their own
//! district, fills in the registration form of 附件二, and submits it before
//! the deadline within the district's quota, or withdraws it back to draft.
//! Also the reads of nominations: one in full, and a campaign's list.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{campaign, nomination, nomination_quota_slot as slot};
use crate::nominations::lookup::{
    attachment_metas, check_open, district_names, find_campaign, grant_until, locked_nomination,
    may_file, must_be_draft, nomination_to_file, nomination_to_read, nomination_view,
};
use crate::nominations::model::{
    NominationCreate, NominationQuery, NominationSummary, NominationView, fail_if, json_col,
    kind_of, parse_form, status_of, summary, to_json,
};
use crate::nominations::rules::{
    self as rules, AttachmentKind, Category, Exclusion, NominationStatus, NomineeKind,
    RegistrationForm,
};
use crate::platform::clock::china_date;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::wechat::WeChat;

// ---------------------------------------------------------------------------
// Reading.

/// One nomination in full (the lead of its district and the secretariat).
pub async fn get(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let n = nomination_to_read(db, p, id).await?;
    nomination_view(db, now, n).await
}

/// The nominations of a campaign, media-honoured nominees first, then by
/// filing order: all for the secretariat, their own districts' for a lead.
pub async fn list(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    p: &Principal,
    campaign_id: i64,
    q: &NominationQuery,
) -> ApiResult<Page<NominationSummary>> {
    let districts: Option<Vec<i64>> = if p.is_secretariat() {
        q.district_id.map(|d| vec![d])
    } else if p.has(Role::DistrictLead) {
        let mine = p.district_ids();
        match q.district_id {
            Some(d) if !mine.contains(&d) => {
                return Err(ApiError::forbidden().with_detail("只能查看本片区的推荐。"));
            }
            Some(d) => Some(vec![d]),
            None => Some(mine),
        }
    } else {
        return Err(ApiError::forbidden().with_detail("仅秘书处和片区负责人可以查看推荐。"));
    };
    find_campaign(db, campaign_id).await?;
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(
        page_token_key,
        format!(
            "campaign-nominations?c={campaign_id}&s={:?}&d={:?}&m={}",
            q.status,
            districts,
            p.id()
        ),
    );
    let after: Option<(bool, i64)> = tokens.cursor(&params)?;
    let mut query = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .order_by_desc(nomination::Column::MediaHonoured)
        .order_by_asc(nomination::Column::Id);
    if let Some(ds) = &districts {
        query = query.filter(nomination::Column::DistrictId.is_in(ds.clone()));
    }
    if let Some(s) = q.status {
        query = query.filter(nomination::Column::Status.eq(s.as_str()));
    }
    if let Some((media, id)) = after {
        // Keyset after (media, id) in the order (media desc, id asc).
        let mut cond = Condition::any().add(
            Condition::all()
                .add(nomination::Column::MediaHonoured.eq(media))
                .add(nomination::Column::Id.gt(id)),
        );
        if media {
            cond = cond.add(nomination::Column::MediaHonoured.eq(false));
        }
        query = query.filter(cond);
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let names = district_names(db).await?;
    let items: Vec<NominationSummary> = rows.into_iter().map(|n| summary(n, &names)).collect();
    tokens.page(items, params.size(), |n| (n.media_honoured, n.id))
}

// ---------------------------------------------------------------------------
// Starting a nomination.

/// A nomination about to be started: the district it is filed for (the
/// caller leads it) and its campaign. Made by [`prepare`] only.
pub struct NewNomination {
    campaign: campaign::Model,
    district_id: i64,
    grant_until: Option<DateTime<Utc>>,
    categories: Vec<Category>,
}

/// What starting a nomination needs before its unit of work: the district
/// (the one the lead leads, or the one they chose; 422 when they lead
/// several and chose none, 403 when not theirs) and the campaign (404).
pub async fn prepare(
    db: &impl ConnectionTrait,
    p: &Principal,
    campaign_id: i64,
    input: &NominationCreate,
) -> ApiResult<NewNomination> {
    let mine = p.district_ids();
    let district_id = match (input.district_id, mine.as_slice()) {
        (Some(d), _) => d,
        (None, [only]) => *only,
        (None, _) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/district_id",
                "required",
                "您负责多个片区，请选择为哪个片区推荐。",
            )]));
        }
    };
    if !mine.contains(&district_id) {
        return Err(ApiError::forbidden().with_detail("只能为本片区填报推荐。"));
    }
    let campaign = find_campaign(db, campaign_id).await?;
    let grant_until = grant_until(db, campaign_id, district_id).await?;
    let categories: Vec<Category> = json_col(&campaign.categories)?;
    Ok(NewNomination {
        campaign,
        district_id,
        grant_until,
        categories,
    })
}

/// Starts a nomination (a draft) before the deadline (409
/// `DEADLINE_PASSED`), its form so far checked field by field (422).
pub async fn create(
    tx: Tx,
    p: &Principal,
    new: &NewNomination,
    input: &NominationCreate,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    let c = &new.campaign;
    rules::check_filing_open(now, c.district_deadline, new.grant_until)?;
    let mut form = input.form.clone().unwrap_or_default();
    fail_if(rules::check_fields(
        &form,
        input.kind,
        &new.categories,
        china_date(now),
    ))?;
    rules::normalise(&mut form);
    let n = nomination::ActiveModel {
        campaign_id: Set(c.id),
        district_id: Set(new.district_id),
        kind: Set(input.kind.as_str().to_owned()),
        status: Set(NominationStatus::Draft.as_str().to_owned()),
        version: Set(1),
        form: Set(to_json(&form)?),
        nominee_name: Set(rules::nominee_name(&form, input.kind).map(str::to_owned)),
        unit: Set(form.unit.clone()),
        category: Set(form.category.clone()),
        phone: Set(rules::nominee_phone(&form, input.kind).map(str::to_owned)),
        media_honoured: Set(rules::media_honoured(&form)),
        consent: Set(form.consent == Some(true)),
        created_by: Set(p.id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    nomination_view(txn, now, n).await
}

// ---------------------------------------------------------------------------
// Editing.

fn is_consent_withdrawal(patch: &serde_json::Map<String, serde_json::Value>) -> bool {
    patch.len() == 1 && patch.get("consent") == Some(&serde_json::Value::Bool(false))
}

/// Edits a draft by a JSON merge patch of its form, given the `ETag` the
/// caller last saw (`if_match`: 428 `PRECONDITION_REQUIRED` without it, 412
/// `PRECONDITION_FAILED` when stale). Only before the deadline. The
/// nominee's consent may be withdrawn at any stage and time (PIPL).
pub async fn patch(
    tx: Tx,
    p: &Principal,
    id: i64,
    if_match: Option<&str>,
    form_patch: &serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    nomination_to_file(txn, p, id).await?;
    let expected = if_match.ok_or_else(|| ApiError::new(ErrorCode::PreconditionRequired))?;
    let n = locked_nomination(txn, id).await?;
    if !rules::if_match_satisfied(expected, &rules::etag(n.id, n.version)) {
        return Err(ApiError::new(ErrorCode::PreconditionFailed));
    }
    let kind = kind_of(&n);
    let mut form = parse_form(&n)?;
    if is_consent_withdrawal(form_patch) {
        form.consent = Some(false);
    } else {
        must_be_draft(&n, "修改")?;
        let c = check_open(txn, now, &n).await?;
        form = merge(&form, form_patch)?;
        let categories: Vec<Category> = json_col(&c.categories)?;
        fail_if(rules::check_fields(
            &form,
            kind,
            &categories,
            china_date(now),
        ))?;
        rules::normalise(&mut form);
    }
    let mut am: nomination::ActiveModel = n.clone().into();
    am.form = Set(to_json(&form)?);
    am.nominee_name = Set(rules::nominee_name(&form, kind).map(str::to_owned));
    am.unit = Set(form.unit.clone());
    am.category = Set(form.category.clone());
    am.phone = Set(rules::nominee_phone(&form, kind).map(str::to_owned));
    am.media_honoured = Set(rules::media_honoured(&form));
    am.consent = Set(form.consent == Some(true));
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after = am.update(txn).await?;
    nomination_view(txn, now, after).await
}

/// The form with a JSON merge patch (RFC 7396) applied: given fields
/// replace, `null` clears, arrays are replaced whole. A field of the wrong
/// shape answers 422 at `/form/...`.
fn merge(
    form: &RegistrationForm,
    form_patch: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<RegistrationForm> {
    let mut merged = serde_json::to_value(form).map_err(ApiError::internal)?;
    if let Some(obj) = merged.as_object_mut() {
        obj.retain(|_, v| !serde_json::Value::is_null(v));
        for (k, v) in form_patch {
            if serde_json::Value::is_null(v) {
                obj.remove(k);
            } else {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    let bytes = serde_json::to_vec(&merged).map_err(ApiError::internal)?;
    crate::platform::extract::parse_json::<RegistrationForm>(&bytes).map_err(|mut e| {
        e.errors = e
            .errors
            .iter()
            .map(|f| FieldError::new(&format!("/form{}", f.pointer), &f.code, f.message.clone()))
            .collect();
        e
    })
}

// ---------------------------------------------------------------------------
// Submit and withdraw.

/// What submitting checks before its unit of work: the caller files for
/// this nomination (404, 403), and the story, which will be published,
/// passes WeChat's content check (a network call, so never while holding
/// the write lock).
pub async fn check_before_submit(
    db: &impl ConnectionTrait,
    wechat: Option<&WeChat>,
    p: &Principal,
    id: i64,
) -> ApiResult<()> {
    let n = nomination_to_file(db, p, id).await?;
    if let Some(story) = parse_form(&n)?.story.as_deref() {
        crate::wechat::content_check::check(
            wechat,
            &p.member.openid,
            crate::wechat::content_check::SCENE_FORUM,
            story,
            "/form/story",
        )
        .await?;
    }
    Ok(())
}

/// Submits a draft: only before the deadline; the form and attachments
/// complete (422 with a pointer per missing or invalid field); not on the
/// exclusion list (409 `PREVIOUSLY_HONOURED`); within the district's quota
/// (409 `QUOTA_EXCEEDED`).
pub async fn submit(
    tx: Tx,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    let n = locked_nomination(txn, id).await?;
    may_file(p, &n)?;
    must_be_draft(&n, "再次提交")?;
    let c = check_open(txn, now, &n).await?;
    let kind = kind_of(&n);
    let form = parse_form(&n)?;
    let categories: Vec<Category> = json_col(&c.categories)?;
    let mut errors = rules::check_fields(&form, kind, &categories, china_date(now));
    for e in rules::missing_fields(&form, kind) {
        if !errors.iter().any(|x| x.pointer == e.pointer) {
            errors.push(e);
        }
    }
    let metas = attachment_metas(txn, id).await?;
    let count = |k: AttachmentKind| metas.iter().filter(|a| a.kind == k.as_str()).count();
    errors.extend(rules::missing_attachments(
        kind,
        count(AttachmentKind::Photo),
        count(AttachmentKind::Certificate),
        form.honours.as_ref().map_or(0, Vec::len),
        count(AttachmentKind::RegistrationScan),
    ));
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        return Err(ApiError::validation(errors)
            .with_detail("报名表或附件不完整，请补全标注的内容后再提交。"));
    }
    check_not_honoured(&c, &form, kind)?;
    claim_district_slot(txn, n.campaign_id, n.district_id, c.district_quota).await?;
    let mut am: nomination::ActiveModel = n.clone().into();
    am.status = Set(NominationStatus::Submitted.as_str().to_owned());
    am.submitted_at = Set(Some(now));
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after = am.update(txn).await?;
    nomination_view(txn, now, after).await
}

/// 409 `PREVIOUSLY_HONOURED` when the nominee is on the campaign's exclusion list.
fn check_not_honoured(
    c: &campaign::Model,
    form: &RegistrationForm,
    kind: NomineeKind,
) -> ApiResult<()> {
    let exclusions: Vec<Exclusion> = json_col(&c.exclusions)?;
    let name = rules::nominee_name(form, kind).unwrap_or_default();
    let unit = form.unit.as_deref().unwrap_or_default();
    match rules::previously_honoured(&exclusions, name, unit) {
        None => Ok(()),
        Some(e) => {
            let honour = e.note.clone().unwrap_or_else(|| "往届表彰".to_owned());
            Err(
                ApiError::new(ErrorCode::PreviouslyHonoured).with_detail(format!(
                    "{unit}{name}已获得“{honour}”，按通知要求不再参与本次推举。"
                )),
            )
        }
    }
}

/// Withdraws a submitted nomination back to draft before the deadline; its
/// quota slot is freed.
pub async fn withdraw(
    tx: Tx,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    nomination_to_file(txn, p, id).await?;
    let n = locked_nomination(txn, id).await?;
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
    check_open(txn, now, &n).await?;
    release_district_slot(txn, n.campaign_id, n.district_id).await?;
    let mut am: nomination::ActiveModel = n.clone().into();
    am.status = Set(NominationStatus::Draft.as_str().to_owned());
    am.submitted_at = Set(None);
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after = am.update(txn).await?;
    nomination_view(txn, now, after).await
}

// ---------------------------------------------------------------------------
// The district quota.

/// "请各片区在11月3日前推荐1名(个人或团体)": takes one of the district's
/// slots in the campaign, inside the submit transaction. The slot counter row
/// is incremented only while it is below the quota (a conditional UPDATE), so
/// of two leads racing for the last slot exactly one wins, on SQLite (one
/// writer at a time) and on PostgreSQL (the row lock makes the second UPDATE
/// re-check `used < quota` after the first commits). 409 `QUOTA_EXCEEDED`
/// otherwise.
async fn claim_district_slot(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    district_id: i64,
    quota: i32,
) -> ApiResult<()> {
    ensure_slot_row(db, campaign_id, district_id).await?;
    let res = slot::Entity::update_many()
        .col_expr(slot::Column::Used, Expr::col(slot::Column::Used).add(1))
        .filter(slot::Column::CampaignId.eq(campaign_id))
        .filter(slot::Column::DistrictId.eq(district_id))
        .filter(slot::Column::Used.lt(quota))
        .exec(db)
        .await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::QuotaExceeded).with_detail(format!(
            "每个片区限推荐{quota}名（个人或团体），本片区已提交{quota}名。如需更换，请先撤回已提交的推荐。"
        )))
    }
}

/// Gives a slot back (a submitted nomination withdrawn to draft).
async fn release_district_slot(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    district_id: i64,
) -> ApiResult<()> {
    slot::Entity::update_many()
        .col_expr(slot::Column::Used, Expr::col(slot::Column::Used).sub(1))
        .filter(slot::Column::CampaignId.eq(campaign_id))
        .filter(slot::Column::DistrictId.eq(district_id))
        .filter(slot::Column::Used.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Creates the counter row if missing. A write, so on SQLite it takes the
/// write lock at the start of the transaction.
async fn ensure_slot_row(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    district_id: i64,
) -> ApiResult<()> {
    slot::Entity::insert(slot::ActiveModel {
        campaign_id: Set(campaign_id),
        district_id: Set(district_id),
        used: Set(0),
    })
    .on_conflict(
        OnConflict::columns([slot::Column::CampaignId, slot::Column::DistrictId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
