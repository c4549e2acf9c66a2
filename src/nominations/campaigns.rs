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
use crate::entity::{campaign, campaign_late_grant as grant, district, nomination};
use crate::nominations::lookup::{
    attachment_metas_of, district_names, find_campaign, lock_campaign, problems_of,
};
use crate::nominations::model::{
    AttachmentMeta, CampaignInput, CampaignPatch, CampaignQuery, CampaignView, ClosesForMe,
    DistrictWindow, LateGrantInput, LateGrantView, MyNomination, fail_if, grant_view, json_col,
    kind_of, parse_form, status_of, timeline, to_json,
};
use crate::nominations::rules::{self as rules, Category, Contact, Exclusion, Stage};
use crate::notifications::{self, events};
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{DayOrInstant, format_china_deadline, last_open_day, to_china};
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
    caller: Option<&Principal>,
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
    let views = campaign_views(db, now, rows, caller).await?;
    tokens.page(views, params.size(), |c| c.id)
}

/// One campaign, with the server's clock for a true countdown; with a
/// caller, what it means for them.
pub async fn get(
    db: &impl ConnectionTrait,
    id: i64,
    caller: Option<&Principal>,
    now: DateTime<Utc>,
) -> ApiResult<CampaignView> {
    let c = find_campaign(db, id).await?;
    campaign_view(db, now, c, caller).await
}

/// The views of these campaigns in a bounded number of queries: their
/// grants, the district names, and for a caller the nominations of their
/// districts in these campaigns and those nominations' attachments.
async fn campaign_views(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: Vec<campaign::Model>,
    caller: Option<&Principal>,
) -> ApiResult<Vec<CampaignView>> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let grants = grant::Entity::find()
        .filter(grant::Column::CampaignId.is_in(ids.clone()))
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
    let mut mine = match caller {
        Some(p) => Some(my_nominations(db, &ids, p).await?),
        None => None,
    };
    rows.into_iter()
        .map(|c| {
            let late_grants = by_campaign.remove(&c.id).unwrap_or_default();
            let stages: Vec<Stage> = json_col(&c.timeline)?;
            let mut view = CampaignView {
                id: c.id,
                title: c.title.clone(),
                year: c.year,
                categories: json_col(&c.categories)?,
                district_quota: c.district_quota,
                association_quota: c.association_quota,
                forwarded_count: c.forwarded_count,
                deadline: to_china(c.district_deadline),
                deadline_display: format_china_deadline(c.district_deadline),
                deadline_last_day: last_open_day(c.district_deadline),
                national_deadline: c.national_deadline.map(to_china),
                national_deadline_display: c.national_deadline.map(format_china_deadline),
                national_deadline_last_day: c.national_deadline.map(last_open_day),
                timeline: timeline(c.district_deadline, &stages),
                reminder_hours: json_col(&c.reminder_hours)?,
                contacts: json_col(&c.contacts)?,
                exclusions: json_col(&c.exclusions)?,
                late_grants,
                open: now < c.district_deadline,
                server_time: to_china(now),
                created_at: to_china(c.created_at),
                updated_at: to_china(c.updated_at),
                open_for_me: None,
                closes_for_me: None,
                for_my_districts: None,
                my_nominations: None,
            };
            if let (Some(p), Some(mine)) = (caller, mine.as_mut()) {
                for_caller(&mut view, &c, p, &names, mine.remove(&c.id), now)?;
            }
            Ok(view)
        })
        .collect()
}

/// The caller's part of a campaign's view: when filing closes for each
/// district they lead (the deadline, or a later grant), whether one is open
/// now, and their districts' nominations with their checklists.
fn for_caller(
    view: &mut CampaignView,
    c: &campaign::Model,
    p: &Principal,
    names: &HashMap<i64, String>,
    nominations: Option<Vec<(nomination::Model, Vec<AttachmentMeta>)>>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut districts = p.district_ids();
    districts.sort_unstable();
    districts.dedup();
    let mut windows = Vec::new();
    let mut latest: Option<(DateTime<Utc>, i64, Option<&LateGrantView>)> = None;
    for d in districts {
        let grant = view
            .late_grants
            .iter()
            .filter(|g| g.district_id == d)
            .max_by_key(|g| g.until);
        let until = grant.map(|g| g.until.with_timezone(&Utc));
        let closes = rules::filing_closes_at(c.district_deadline, until);
        windows.push(DistrictWindow {
            district_id: d,
            district_name: names.get(&d).cloned().unwrap_or_default(),
            closes_at: to_china(closes),
            closes_at_display: format_china_deadline(closes),
            closes_last_day: last_open_day(closes),
            late_grant_until: grant.map(|g| g.until),
            open: now < closes,
        });
        if latest.is_none_or(|(at, _, _)| closes > at) {
            let setting = grant.filter(|g| g.until.with_timezone(&Utc) == closes);
            latest = Some((closes, d, setting));
        }
    }
    view.closes_for_me = latest.map(|(at, district_id, g)| ClosesForMe {
        district_id,
        closes_at: to_china(at),
        closes_at_display: format_china_deadline(at),
        closes_last_day: last_open_day(at),
        late_grant: g.cloned(),
    });
    view.open_for_me = Some(windows.iter().any(|w| w.open));
    view.for_my_districts = Some(windows);
    let mut mine = Vec::new();
    for (n, metas) in nominations.unwrap_or_default() {
        let form = parse_form(&n)?;
        let kind = kind_of(&n);
        let problems = problems_of(c, &form, kind, &metas, now)?;
        let honours = form.honours.as_ref().map_or(0, Vec::len);
        let status = status_of(&n);
        mine.push(MyNomination {
            id: n.id,
            district_id: n.district_id,
            kind,
            nominee_name: rules::nominee_name(&form, kind).map(str::to_owned),
            status,
            status_label: status.label().to_owned(),
            ready_to_submit: problems.is_empty(),
            checklist: rules::checklist(kind, &problems, honours),
        });
    }
    view.my_nominations = Some(mine);
    Ok(())
}

/// The nominations of the caller's districts in these campaigns, with
/// their attachments' metadata, by campaign: two queries.
async fn my_nominations(
    db: &impl ConnectionTrait,
    campaign_ids: &[i64],
    p: &Principal,
) -> ApiResult<HashMap<i64, Vec<(nomination::Model, Vec<AttachmentMeta>)>>> {
    let districts = p.district_ids();
    if districts.is_empty() || campaign_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(nomination::Column::DistrictId.is_in(districts))
        .order_by_asc(nomination::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let mut metas = attachment_metas_of(db, &ids).await?;
    let mut out: HashMap<i64, Vec<_>> = HashMap::new();
    for n in rows {
        let files = metas.remove(&n.id).unwrap_or_default();
        out.entry(n.campaign_id).or_default().push((n, files));
    }
    Ok(out)
}

async fn campaign_view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    c: campaign::Model,
    caller: Option<&Principal>,
) -> ApiResult<CampaignView> {
    campaign_views(db, now, vec![c], caller)
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
    let mut stages = input.stages.clone().unwrap_or_default();
    let deadline = input.deadline.instant();
    let national = input.national_deadline.map(DayOrInstant::instant);
    let mut errors = check_lists(Some(&categories), Some(&contacts), Some(&exclusions));
    errors.extend(check_deadlines(deadline, national));
    errors.extend(check_stages(&stages));
    errors.extend(rules::stage_order(&stages, deadline));
    let reminder_hours = input
        .reminder_hours
        .clone()
        .unwrap_or_else(|| crate::nominations::reminders::DEFAULT_HOURS.to_vec());
    errors.extend(check_reminder_hours(&reminder_hours));
    fail_if(errors)?;
    trim_lists(&mut categories, &mut contacts, &mut exclusions);
    trim_stages(&mut stages);
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
        timeline: Set(to_json(&stages)?),
        reminder_hours: Set(to_json(&sorted_hours(reminder_hours))?),
        forwarded_count: Set(0),
        created_by: Set(Some(p.id())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let view = campaign_view(txn, now, c, None).await?;
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
    let mut errors = check_lists(
        input.categories.as_deref(),
        input.contacts.as_deref(),
        input.exclusions.as_deref(),
    );
    errors.extend(check_stages(input.stages.as_deref().unwrap_or_default()));
    errors.extend(check_reminder_hours(
        input.reminder_hours.as_deref().unwrap_or_default(),
    ));
    fail_if(errors)?;
    lock_campaign(txn, id).await?;
    let before_row = find_campaign(txn, id).await?;
    let deadline = input
        .deadline
        .map(DayOrInstant::instant)
        .unwrap_or(before_row.district_deadline);
    let national = input
        .national_deadline
        .map(DayOrInstant::instant)
        .or(before_row.national_deadline);
    let mut errors = check_deadlines(deadline, national);
    let mut stages = match &input.stages {
        Some(given) => {
            errors.extend(rules::stage_order(given, deadline));
            given.clone()
        }
        None => {
            // The stored stages stay: a deadline moved past them is the
            // deadline's error.
            let stored: Vec<Stage> = json_col(&before_row.timeline)?;
            if let Some(e) = rules::stage_order(&stored, deadline).first() {
                errors.push(FieldError::new(
                    "/deadline",
                    "order",
                    format!("推荐截止时间不能晚于已有的全国阶段：{}", e.message),
                ));
            }
            stored
        }
    };
    fail_if(errors)?;
    trim_stages(&mut stages);
    let before = campaign_view(txn, now, before_row.clone(), None).await?;
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
    am.timeline = Set(to_json(&stages)?);
    if let Some(hours) = &input.reminder_hours {
        am.reminder_hours = Set(to_json(&sorted_hours(hours.clone()))?);
    }
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
    let after = campaign_view(txn, now, after_row, None).await?;
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
    let until = input.until.instant();
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

/// Reminders: 1–720 hours before the deadline, each once.
fn check_reminder_hours(hours: &[u32]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, h) in hours.iter().enumerate() {
        if !(1..=720).contains(h) {
            errors.push(FieldError::new(
                &format!("/reminder_hours/{i}"),
                "range",
                "提醒时间为截止前 1 至 720 小时。",
            ));
        } else if hours[..i].contains(h) {
            errors.push(FieldError::new(
                &format!("/reminder_hours/{i}"),
                "duplicate",
                "同一提醒时间只能写一次。",
            ));
        }
    }
    errors
}

/// The reminders, earliest first (the most hours before the deadline).
fn sorted_hours(mut hours: Vec<u32>) -> Vec<u32> {
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours
}

/// Field rules of the stages: a name of 1–32 characters, a description of
/// at most 200 (the order is `rules::stage_order`).
fn check_stages(stages: &[Stage]) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (i, s) in stages.iter().enumerate() {
        if !chars_in(&s.name, 1, 32) {
            out.push(FieldError::new(
                &format!("/stages/{i}/name"),
                "length",
                "阶段名称须为 1–32 个字。",
            ));
        }
        if s.description
            .as_deref()
            .is_some_and(|d| !chars_in(d, 0, 200))
        {
            out.push(FieldError::new(
                &format!("/stages/{i}/description"),
                "length",
                "阶段说明不能超过 200 个字。",
            ));
        }
    }
    out
}

fn trim_stages(stages: &mut [Stage]) {
    for s in stages {
        s.name = s.name.trim().to_owned();
        if let Some(d) = &mut s.description {
            *d = d.trim().to_owned();
        }
    }
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
