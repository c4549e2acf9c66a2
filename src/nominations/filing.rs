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
use std::collections::HashMap;

use crate::entity::{
    campaign, nomination, nomination_attachment as attachment, nomination_quota_slot as slot,
};
use crate::nominations::draft::{self, Context};
use crate::nominations::lookup::{
    attachment_metas, check_open, district_names, file_counts, find_campaign, grant_until,
    locked_nomination, may_file, must_be_draft, nomination_to_file, nomination_to_read,
    nomination_view,
};
use crate::nominations::model::{
    NominationCreate, NominationQuery, NominationSummary, NominationView, json_col, kind_of,
    parse_form, status_of, summary, to_json,
};
use crate::nominations::rules::{
    self as rules, Category, Exclusion, NominationStatus, NomineeKind, RegistrationForm,
};
use crate::platform::audit::{self, Entry};
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
            "campaign-nominations?c={campaign_id}&s={:?}&d={:?}&f={:?}&m={}",
            q.status,
            districts,
            q.frontline,
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
    if let Some(f) = q.frontline {
        query = query.filter(nomination::Column::Frontline.eq(f));
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
/// `DEADLINE_PASSED`), at most `draft_limit` open drafts per district and
/// campaign (409 `DRAFT_LIMIT`), its form so far read as a draft's edit is
/// (`draft::apply`: the fields that break their rule are answered in
/// `warnings`, not saved).
pub async fn create(
    tx: Tx,
    p: &Principal,
    new: &NewNomination,
    input: &NominationCreate,
    draft_limit: u32,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    let c = &new.campaign;
    let contacts: Vec<rules::Contact> = json_col(&c.contacts)?;
    rules::check_filing_open(now, c.district_deadline, new.grant_until, contacts.first())?;
    let edited = draft::apply(
        &RegistrationForm::default(),
        &input.form.clone().unwrap_or_default(),
        Context {
            kind: input.kind,
            categories: &new.categories,
            today: china_date(now),
        },
    )?;
    // The district's counter row serialises its creates, so two phones
    // cannot both take the last draft.
    lock_district_slot(txn, c.id, new.district_id).await?;
    check_draft_limit(txn, c.id, new.district_id, draft_limit).await?;
    let form = edited.form;
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
        frontline: Set(form.frontline),
        created_by: Set(p.id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if let Some(consent) = form.consent {
        record_consent(txn, p, &n, None, consent, now).await?;
    }
    let mut view = nomination_view(txn, now, n).await?;
    view.warnings = warnings_of(edited.warnings, &view);
    Ok(view)
}

/// At most `limit` open drafts per district and campaign (a create retried
/// without `Idempotency-Key` must not pile up drafts): 409 `DRAFT_LIMIT`,
/// naming the drafts there are.
async fn check_draft_limit(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    district_id: i64,
    limit: u32,
) -> ApiResult<()> {
    let drafts = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .filter(nomination::Column::DistrictId.eq(district_id))
        .filter(nomination::Column::Status.eq(NominationStatus::Draft.as_str()))
        .order_by_asc(nomination::Column::Id)
        .all(db)
        .await?;
    if drafts.len() < limit as usize {
        return Ok(());
    }
    let names: Vec<String> = drafts
        .iter()
        .map(|d| match d.nominee_name.as_deref() {
            Some(n) => format!("#{}（{n}）", d.id),
            None => format!("#{}", d.id),
        })
        .collect();
    Err(ApiError::new(ErrorCode::DraftLimit).with_detail(format!(
        "本片区在本次活动中已有 {} 份草稿（{}），最多 {limit} 份。请继续填写已有草稿，或删除不用的草稿后再新建。",
        drafts.len(),
        names.join("、")
    )))
}

/// A save's warnings: the fields not saved, and the exclusion list.
fn warnings_of(mut not_saved: Vec<FieldError>, view: &NominationView) -> Vec<FieldError> {
    not_saved.extend(
        view.problems
            .iter()
            .filter(|e| e.code == "previously_honoured")
            .cloned(),
    );
    not_saved
}

/// Deletes a draft with its attachments (the lead of its district), before
/// the deadline; audited. A submitted nomination is withdrawn first.
pub async fn delete(tx: Tx, p: &Principal, id: i64, now: DateTime<Utc>) -> ApiResult<()> {
    let txn = &*tx;
    nomination_to_file(txn, p, id).await?;
    let n = locked_nomination(txn, id).await?;
    must_be_draft(&n, "删除")?;
    check_open(txn, now, &n).await?;
    attachment::Entity::delete_many()
        .filter(attachment::Column::NominationId.eq(id))
        .exec(txn)
        .await?;
    nomination::Entity::delete_by_id(id).exec(txn).await?;
    audit::record(
        txn,
        now,
        Entry::by(p, Role::DistrictLead, "nomination.delete", "nomination", id),
        Some(&summary(n, &HashMap::new())),
        None::<&()>,
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Editing.

/// A patch that only gives or withdraws the nominee's consent.
fn consent_only(patch: &serde_json::Map<String, serde_json::Value>) -> Option<bool> {
    match (patch.len(), patch.get("consent")) {
        (1, Some(serde_json::Value::Bool(b))) => Some(*b),
        _ => None,
    }
}

/// Edits a draft by a JSON merge patch of its form, given the `ETag` the
/// caller last saw (`if_match`: 428 `PRECONDITION_REQUIRED` without it, 412
/// `PRECONDITION_FAILED` when stale). Only a draft, before the deadline. The
/// fields are saved one by one (`draft::apply`): those that break their rule
/// are answered in `warnings` and keep their earlier value.
///
/// The nominee's consent alone (`{"consent": false}` or `true`) may be
/// withdrawn, or given again, at any stage and time (PIPL: withdrawing is
/// always possible, and the nominee may change their mind again). Each
/// change of consent is audited (`nomination.consent_withdrawn` /
/// `nomination.consent_given`, before and after).
pub async fn patch(
    tx: Tx,
    p: &Principal,
    id: i64,
    if_match: Option<&str>,
    form_patch: &serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    // A body of the wrong shape is answered before anything is looked up.
    let parsed = draft::parse(form_patch)?;
    nomination_to_file(txn, p, id).await?;
    let expected = if_match.ok_or_else(|| ApiError::new(ErrorCode::PreconditionRequired))?;
    let n = locked_nomination(txn, id).await?;
    if !rules::if_match_satisfied(expected, &rules::etag(n.id, n.version)) {
        return Err(ApiError::new(ErrorCode::PreconditionFailed));
    }
    let kind = kind_of(&n);
    let before = parse_form(&n)?;
    let mut form = before.clone();
    let mut not_saved = Vec::new();
    if let Some(consent) = consent_only(form_patch) {
        form.consent = Some(consent);
    } else {
        must_be_draft(&n, "修改")?;
        let c = check_open(txn, now, &n).await?;
        let categories: Vec<Category> = json_col(&c.categories)?;
        let edited = parsed.apply(
            &form,
            Context {
                kind,
                categories: &categories,
                today: china_date(now),
            },
        )?;
        form = edited.form;
        not_saved = edited.warnings;
    }
    let mut am: nomination::ActiveModel = n.clone().into();
    am.form = Set(to_json(&form)?);
    am.nominee_name = Set(rules::nominee_name(&form, kind).map(str::to_owned));
    am.unit = Set(form.unit.clone());
    am.category = Set(form.category.clone());
    am.phone = Set(rules::nominee_phone(&form, kind).map(str::to_owned));
    am.media_honoured = Set(rules::media_honoured(&form));
    am.consent = Set(form.consent == Some(true));
    am.frontline = Set(form.frontline);
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after = am.update(txn).await?;
    if let Some(consent) = form.consent.filter(|c| before.consent != Some(*c)) {
        record_consent(txn, p, &after, before.consent, consent, now).await?;
    }
    let mut view = nomination_view(txn, now, after).await?;
    view.warnings = warnings_of(not_saved, &view);
    Ok(view)
}

/// The audit record of a change of the nominee's consent: who recorded it,
/// when, from what (`null`: never said) to what, and at which stage.
async fn record_consent(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: &nomination::Model,
    before: Option<bool>,
    after: bool,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let action = if after {
        "nomination.consent_given"
    } else {
        "nomination.consent_withdrawn"
    };
    audit::record(
        db,
        now,
        Entry::by(p, Role::DistrictLead, action, "nomination", n.id),
        Some(&serde_json::json!({ "consent": before })),
        Some(&serde_json::json!({ "consent": after, "status": n.status })),
    )
    .await?;
    Ok(())
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
    let metas = attachment_metas(txn, id).await?;
    let errors = rules::submission_problems(
        &form,
        kind,
        &categories,
        china_date(now),
        file_counts(&metas),
    );
    if !errors.is_empty() {
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

/// Gives a slot back: a submitted nomination withdrawn to draft, or a
/// nominee disqualified (see `review::decide`).
pub(crate) async fn release_district_slot(
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

/// Locks the district's counter row for the rest of the transaction (a
/// write: the write lock on SQLite, the row lock on PostgreSQL), creating it
/// if missing.
async fn lock_district_slot(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    district_id: i64,
) -> ApiResult<()> {
    ensure_slot_row(db, campaign_id, district_id).await?;
    slot::Entity::update_many()
        .col_expr(slot::Column::Used, Expr::col(slot::Column::Used))
        .filter(slot::Column::CampaignId.eq(campaign_id))
        .filter(slot::Column::DistrictId.eq(district_id))
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
