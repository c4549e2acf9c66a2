//! Campaigns (评选活动, seed 002): the secretariat creates and edits them and
//! grants a district late filing; anyone reads them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{campaign, campaign_late_grant as grant, district};
use crate::nominations::lookup::{district_names, find_campaign, lock_campaign};
use crate::nominations::model::{
    CampaignInput, CampaignPatch, CampaignQuery, CampaignView, LateGrantInput, LateGrantView,
    fail_if, grant_view, json_col, to_json,
};
use crate::nominations::rules::{self as rules, Category, Contact, Exclusion};
use crate::notifications::{self, events};
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{format_china_deadline, to_china};
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::platform::text;

// ---------------------------------------------------------------------------
// Reading.

/// Campaigns, newest first (a page of them).
pub async fn list(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    q: &CampaignQuery,
    now: DateTime<Utc>,
) -> ApiResult<Page<CampaignView>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(page_token_key, format!("campaigns?y={:?}", q.year));
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = campaign::Entity::find().order_by_desc(campaign::Column::Id);
    if let Some(y) = q.year {
        query = query.filter(campaign::Column::Year.eq(y));
    }
    if let Some(b) = before {
        query = query.filter(campaign::Column::Id.lt(b));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let views = campaign_views(db, now, rows).await?;
    tokens.page(views, params.size(), |c| c.id)
}

/// One campaign, with the server's clock for a true countdown.
pub async fn get(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<CampaignView> {
    let c = find_campaign(db, id).await?;
    campaign_view(db, now, c).await
}

async fn campaign_views(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: Vec<campaign::Model>,
) -> ApiResult<Vec<CampaignView>> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let grants = grant::Entity::find()
        .filter(grant::Column::CampaignId.is_in(ids))
        .order_by_asc(grant::Column::Id)
        .all(db)
        .await?;
    let names = district_names(db).await?;
    let mut by_campaign: HashMap<i64, Vec<LateGrantView>> = HashMap::new();
    for g in grants {
        by_campaign
            .entry(g.campaign_id)
            .or_default()
            .push(grant_view(g, &names));
    }
    rows.into_iter()
        .map(|c| {
            Ok(CampaignView {
                id: c.id,
                title: c.title,
                year: c.year,
                categories: json_col(&c.categories)?,
                district_quota: c.district_quota,
                association_quota: c.association_quota,
                forwarded_count: c.forwarded_count,
                deadline: to_china(c.district_deadline),
                deadline_display: format_china_deadline(c.district_deadline),
                national_deadline: c.national_deadline.map(to_china),
                national_deadline_display: c.national_deadline.map(format_china_deadline),
                contacts: json_col(&c.contacts)?,
                exclusions: json_col(&c.exclusions)?,
                late_grants: by_campaign.remove(&c.id).unwrap_or_default(),
                open: now < c.district_deadline,
                server_time: to_china(now),
                created_at: to_china(c.created_at),
                updated_at: to_china(c.updated_at),
            })
        })
        .collect()
}

async fn campaign_view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    c: campaign::Model,
) -> ApiResult<CampaignView> {
    campaign_views(db, now, vec![c])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("campaign view missing")))
}

// ---------------------------------------------------------------------------
// Changes (secretariat, audited).

/// Creates a campaign with the seed's defaults for what is left out.
pub async fn create(
    tx: Tx,
    p: &Principal,
    input: &CampaignInput,
    now: DateTime<Utc>,
) -> ApiResult<CampaignView> {
    let txn = &*tx;
    let mut categories = input
        .categories
        .clone()
        .unwrap_or_else(rules::default_categories);
    let mut contacts = input.contacts.clone().unwrap_or_default();
    let mut exclusions = input.exclusions.clone().unwrap_or_default();
    let deadline = input.deadline.with_timezone(&Utc);
    let national = input.national_deadline.map(|d| d.with_timezone(&Utc));
    let mut errors = check_lists(Some(&categories), Some(&contacts), Some(&exclusions));
    errors.extend(check_deadlines(deadline, national));
    fail_if(errors)?;
    trim_lists(&mut categories, &mut contacts, &mut exclusions);
    let c = campaign::ActiveModel {
        title: Set(input.title.trim().to_owned()),
        year: Set(input.year),
        categories: Set(to_json(&categories)?),
        district_quota: Set(input
            .district_quota
            .unwrap_or(rules::DEFAULT_DISTRICT_QUOTA)),
        association_quota: Set(input
            .association_quota
            .unwrap_or(rules::DEFAULT_ASSOCIATION_QUOTA)),
        district_deadline: Set(deadline),
        national_deadline: Set(national),
        contacts: Set(to_json(&contacts)?),
        exclusions: Set(to_json(&exclusions)?),
        forwarded_count: Set(0),
        created_by: Set(Some(p.id())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let view = campaign_view(txn, now, c).await?;
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "campaign.create", "campaign", view.id),
        None::<&()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// Changes a campaign; audited with before and after.
pub async fn update(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &CampaignPatch,
    now: DateTime<Utc>,
) -> ApiResult<CampaignView> {
    let txn = &*tx;
    fail_if(check_lists(
        input.categories.as_deref(),
        input.contacts.as_deref(),
        input.exclusions.as_deref(),
    ))?;
    lock_campaign(txn, id).await?;
    let before_row = find_campaign(txn, id).await?;
    let deadline = input
        .deadline
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(before_row.district_deadline);
    let national = input
        .national_deadline
        .map(|d| d.with_timezone(&Utc))
        .or(before_row.national_deadline);
    fail_if(check_deadlines(deadline, national))?;
    let before = campaign_view(txn, now, before_row.clone()).await?;
    let mut am: campaign::ActiveModel = before_row.into();
    if let Some(t) = &input.title {
        am.title = Set(t.trim().to_owned());
    }
    if let Some(y) = input.year {
        am.year = Set(y);
    }
    let mut categories = input
        .categories
        .clone()
        .unwrap_or(before.categories.clone());
    let mut contacts = input.contacts.clone().unwrap_or(before.contacts.clone());
    let mut exclusions = input
        .exclusions
        .clone()
        .unwrap_or(before.exclusions.clone());
    trim_lists(&mut categories, &mut contacts, &mut exclusions);
    am.categories = Set(to_json(&categories)?);
    am.contacts = Set(to_json(&contacts)?);
    am.exclusions = Set(to_json(&exclusions)?);
    if let Some(q) = input.district_quota {
        am.district_quota = Set(q);
    }
    if let Some(q) = input.association_quota {
        am.association_quota = Set(q);
    }
    am.district_deadline = Set(deadline);
    am.national_deadline = Set(national);
    am.updated_at = Set(now);
    let after_row = am.update(txn).await?;
    let after = campaign_view(txn, now, after_row).await?;
    audit::record(
        txn,
        now,
        Entry::by(
            p,
            Role::Secretariat,
            "campaign.update",
            "campaign",
            after.id,
        ),
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Lets one district file after the deadline until a stated instant; audited.
pub async fn grant_late(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &LateGrantInput,
    now: DateTime<Utc>,
) -> ApiResult<LateGrantView> {
    let txn = &*tx;
    let until = input.until.with_timezone(&Utc);
    if input.reason.trim().is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            "请填写原因。",
        )]));
    }
    lock_campaign(txn, id).await?;
    let c = find_campaign(txn, id).await?;
    let mut errors = Vec::new();
    if district::Entity::find_by_id(input.district_id)
        .one(txn)
        .await?
        .is_none()
    {
        errors.push(FieldError::new("/district_id", "not_found", "片区不存在。"));
    }
    if until <= c.district_deadline || until <= now {
        errors.push(FieldError::new(
            "/until",
            "order",
            format!(
                "延期截止时间须晚于推荐截止时间（{}）和当前时间。",
                format_china_deadline(c.district_deadline)
            ),
        ));
    }
    fail_if(errors)?;
    let g = grant::ActiveModel {
        campaign_id: Set(c.id),
        district_id: Set(input.district_id),
        until: Set(until),
        reason: Set(input.reason.trim().to_owned()),
        granted_by: Set(Some(p.id())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let names = district_names(txn).await?;
    let view = grant_view(g, &names);
    audit::record(
        txn,
        now,
        Entry::by(
            p,
            Role::Secretariat,
            "campaign.late_grant",
            "campaign",
            c.id,
        )
        .reason(Some(&view.reason)),
        None::<&()>,
        Some(&view),
    )
    .await?;
    let leads = events::district_leads(txn, input.district_id).await?;
    notifications::notify(txn, events::late_grant(&leads, &c, view.id, until), now).await?;
    Ok(view)
}

// ---------------------------------------------------------------------------
// Field rules of a campaign's input.

/// A campaign's list text: at most `max` characters; with `min` ≥ 1 a
/// single line that is not blank (`text::single_line`), else one that may be
/// empty (`text::optional_line`). Counted as sent, as the spec's
/// `maxLength` counts.
fn chars_in(s: &str, min: usize, max: usize) -> bool {
    let n = s.chars().count();
    let text = if min > 0 {
        text::single_line(s)
    } else {
        text::optional_line(s)
    };
    (min..=max).contains(&n) && text.is_ok()
}

/// Field rules of the lists of a campaign.
fn check_lists(
    categories: Option<&[Category]>,
    contacts: Option<&[Contact]>,
    exclusions: Option<&[Exclusion]>,
) -> Vec<FieldError> {
    let mut out = Vec::new();
    if let Some(cats) = categories {
        for (i, c) in cats.iter().enumerate() {
            if !chars_in(&c.name, 1, 16) {
                out.push(FieldError::new(
                    &format!("/categories/{i}/name"),
                    "length",
                    "类别名称须为 1–16 个字。",
                ));
            } else if cats[..i].iter().any(|o| o.name.trim() == c.name.trim()) {
                out.push(FieldError::new(
                    &format!("/categories/{i}/name"),
                    "unique",
                    "类别名称重复。",
                ));
            }
        }
    }
    for (i, c) in contacts.unwrap_or_default().iter().enumerate() {
        if !chars_in(&c.name, 1, 20) {
            out.push(FieldError::new(
                &format!("/contacts/{i}/name"),
                "length",
                "联系人姓名须为 1–20 个字。",
            ));
        }
        if c.role.as_deref().is_some_and(|r| !chars_in(r, 0, 40)) {
            out.push(FieldError::new(
                &format!("/contacts/{i}/role"),
                "length",
                "联系人职责不能超过 40 个字。",
            ));
        }
        if let Some(p) = &c.phone {
            let ok = (5..=20).contains(&p.trim().len())
                && p.trim()
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || "+- ".contains(ch));
            if !ok {
                out.push(FieldError::new(
                    &format!("/contacts/{i}/phone"),
                    "format",
                    "联系电话格式不正确。",
                ));
            }
        }
        if let Some(e) = &c.email
            && !validator::ValidateEmail::validate_email(&e.trim())
        {
            out.push(FieldError::new(
                &format!("/contacts/{i}/email"),
                "email",
                "邮箱格式不正确。",
            ));
        }
    }
    for (i, e) in exclusions.unwrap_or_default().iter().enumerate() {
        if !chars_in(&e.name, 1, 50) {
            out.push(FieldError::new(
                &format!("/exclusions/{i}/name"),
                "length",
                "姓名（或团队名称）须为 1–50 个字。",
            ));
        }
        if !chars_in(&e.unit, 1, 128) {
            out.push(FieldError::new(
                &format!("/exclusions/{i}/unit"),
                "length",
                "单位名称须为 1–128 个字。",
            ));
        }
        if e.note.as_deref().is_some_and(|n| !chars_in(n, 0, 100)) {
            out.push(FieldError::new(
                &format!("/exclusions/{i}/note"),
                "length",
                "备注不能超过 100 个字。",
            ));
        }
    }
    out
}

fn check_deadlines(deadline: DateTime<Utc>, national: Option<DateTime<Utc>>) -> Vec<FieldError> {
    match national {
        Some(n) if n < deadline => vec![FieldError::new(
            "/national_deadline",
            "order",
            "全国截止时间不能早于片区推荐截止时间。",
        )],
        _ => Vec::new(),
    }
}

fn trim_lists(categories: &mut [Category], contacts: &mut [Contact], exclusions: &mut [Exclusion]) {
    for c in categories {
        c.name = c.name.trim().to_owned();
    }
    for c in contacts {
        c.name = c.name.trim().to_owned();
        for v in [&mut c.role, &mut c.phone, &mut c.email]
            .into_iter()
            .flatten()
        {
            *v = v.trim().to_owned();
        }
    }
    for e in exclusions {
        e.name = e.name.trim().to_owned();
        e.unit = e.unit.trim().to_owned();
        if let Some(n) = &mut e.note {
            *n = n.trim().to_owned();
        }
    }
}
