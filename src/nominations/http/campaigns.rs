//! Campaigns (评选活动, seed 002): the secretariat creates and edits them,
//! grants late filing, lists the nominations, forwards the chosen ones to the
//! national association and exports their package. Anyone reads a campaign.

use std::collections::HashMap;
use std::io::Write;

use actix_web::http::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, ContentDisposition, DispositionParam, DispositionType, ETAG,
    ExtendedValue, HeaderValue,
};
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::entity::{campaign, campaign_late_grant as grant, district, nomination};
use crate::identity::principal::{Auth, DistrictLead, Secretariat};
use crate::identity::roles::Role;
use crate::nominations::http::nominations::{
    NominationSummary, NominationView, district_names, form_document, nomination_view, parse_form,
    summary,
};
use crate::nominations::rules::{
    self as rules, Category, Contact, Exclusion, NominationStatus, NomineeKind, RegistrationForm,
};
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{format_china_deadline, to_china};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::{IdempotencyKey, ValidJson};
use crate::platform::idempotency::{self, Stored};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::state::AppState;

// ---------------------------------------------------------------------------
// Views and inputs.

/// A late-filing grant: one district may file until `until`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LateGrantView {
    pub id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub until: DateTime<FixedOffset>,
    /// `until` as people say it, e.g. `2021年11月5日 18:00`.
    pub until_display: String,
    pub reason: String,
    pub granted_at: DateTime<FixedOffset>,
}

/// A campaign as anyone reads it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: i64,
    /// e.g. 2021年度最美后勤人
    pub title: String,
    pub year: i32,
    pub categories: Vec<Category>,
    /// Nominations each district may submit (1).
    pub district_quota: i32,
    /// Nominees the association forwards to the national level (2).
    pub association_quota: i32,
    /// How many are forwarded so far.
    pub forwarded_count: i32,
    /// The district deadline instant (exclusive), in China time, e.g. `2021-11-04T00:00:00+08:00`.
    pub deadline: DateTime<FixedOffset>,
    /// The deadline as people say it: `2021年11月3日 24:00`.
    pub deadline_display: String,
    /// The national deadline (information only).
    pub national_deadline: Option<DateTime<FixedOffset>>,
    pub national_deadline_display: Option<String>,
    /// The published contacts of the notice (not personal data of nominees).
    pub contacts: Vec<Contact>,
    /// Earlier honourees who may not take part (name and unit).
    pub exclusions: Vec<Exclusion>,
    pub late_grants: Vec<LateGrantView>,
    /// Whether filing is open by the server's clock (late grants aside).
    pub open: bool,
    /// The server's clock in China time: count down from this, never the phone's clock.
    pub server_time: DateTime<FixedOffset>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

fn to_json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

fn grant_view(g: grant::Model, names: &HashMap<i64, String>) -> LateGrantView {
    LateGrantView {
        id: g.id,
        district_id: g.district_id,
        district_name: names.get(&g.district_id).cloned().unwrap_or_default(),
        until: to_china(g.until),
        until_display: format_china_deadline(g.until),
        reason: g.reason,
        granted_at: to_china(g.created_at),
    }
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

pub(crate) async fn campaign_view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    c: campaign::Model,
) -> ApiResult<CampaignView> {
    campaign_views(db, now, vec![c])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("campaign view missing")))
}

pub(crate) async fn find_campaign(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("评选活动不存在。"))
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

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// e.g. 2021年度最美后勤人 (2–64 characters).
    #[validate(
        length(min = 2, max = 64, message = "标题须为 2–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub title: String,
    #[validate(range(min = 2000, max = 2100, message = "年度须为 2000–2100。"))]
    pub year: i32,
    /// Default: 敬业美, 匠心美, 乐群美 (persons) and 最美服务团队 (teams).
    #[validate(length(min = 1, max = 10, message = "类别须为 1–10 个。"))]
    pub categories: Option<Vec<Category>>,
    /// Default 1.
    #[validate(range(min = 1, max = 20, message = "片区名额须为 1–20。"))]
    pub district_quota: Option<i32>,
    /// Default 2.
    #[validate(range(min = 1, max = 50, message = "协会报送名额须为 1–50。"))]
    pub association_quota: Option<i32>,
    /// The district deadline instant, exclusive (e.g. `2021-11-04T00:00:00+08:00` for "11月3日前").
    pub deadline: DateTime<FixedOffset>,
    /// The national deadline (information).
    pub national_deadline: Option<DateTime<FixedOffset>>,
    #[validate(length(max = 10, message = "联系人最多 10 个。"))]
    pub contacts: Option<Vec<Contact>>,
    #[validate(length(max = 500, message = "排除名单最多 500 条。"))]
    pub exclusions: Option<Vec<Exclusion>>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    #[validate(
        length(min = 2, max = 64, message = "标题须为 2–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub title: Option<String>,
    #[validate(range(min = 2000, max = 2100, message = "年度须为 2000–2100。"))]
    pub year: Option<i32>,
    #[validate(length(min = 1, max = 10, message = "类别须为 1–10 个。"))]
    pub categories: Option<Vec<Category>>,
    #[validate(range(min = 1, max = 20, message = "片区名额须为 1–20。"))]
    pub district_quota: Option<i32>,
    #[validate(range(min = 1, max = 50, message = "协会报送名额须为 1–50。"))]
    pub association_quota: Option<i32>,
    pub deadline: Option<DateTime<FixedOffset>>,
    pub national_deadline: Option<DateTime<FixedOffset>>,
    #[validate(length(max = 10, message = "联系人最多 10 个。"))]
    pub contacts: Option<Vec<Contact>>,
    #[validate(length(max = 500, message = "排除名单最多 500 条。"))]
    pub exclusions: Option<Vec<Exclusion>>,
}

fn chars_in(s: &str, min: usize, max: usize) -> bool {
    let n = s.trim().chars().count();
    (min..=max).contains(&n) && !s.chars().any(char::is_control)
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

fn fail_if(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

// ---------------------------------------------------------------------------
// Campaigns.

/// Create a campaign (secretariat). Audited.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    request_body = CampaignInput,
    responses((status = 201, body = CampaignView), (status = 403, description = "`FORBIDDEN`"))
)]
#[post("/campaigns")]
pub async fn create_campaign(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<CampaignInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let body = body.0;
    let mut categories = body.categories.unwrap_or_else(rules::default_categories);
    let mut contacts = body.contacts.unwrap_or_default();
    let mut exclusions = body.exclusions.unwrap_or_default();
    let deadline = body.deadline.with_timezone(&Utc);
    let national = body.national_deadline.map(|d| d.with_timezone(&Utc));
    let mut errors = check_lists(Some(&categories), Some(&contacts), Some(&exclusions));
    errors.extend(check_deadlines(deadline, national));
    fail_if(errors)?;
    trim_lists(&mut categories, &mut contacts, &mut exclusions);
    let txn = state.db.begin().await?;
    let c = campaign::ActiveModel {
        title: Set(body.title.trim().to_owned()),
        year: Set(body.year),
        categories: Set(to_json(&categories)?),
        district_quota: Set(body.district_quota.unwrap_or(rules::DEFAULT_DISTRICT_QUOTA)),
        association_quota: Set(body
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
    .insert(&txn)
    .await?;
    let view = campaign_view(&txn, now, c).await?;
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
            Role::Secretariat,
            "campaign.create",
            "campaign",
            view.id,
        ),
        None::<&()>,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only campaigns of this year.
    pub year: Option<i32>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Campaigns, newest first. Public.
#[utoipa::path(tag = "campaigns", params(CampaignQuery), responses((status = 200, body = Page<CampaignView>)))]
#[get("/campaigns")]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    q: web::Query<CampaignQuery>,
) -> ApiResult<HttpResponse> {
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(&state.page_token_key, format!("campaigns?y={:?}", q.year));
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = campaign::Entity::find().order_by_desc(campaign::Column::Id);
    if let Some(y) = q.year {
        query = query.filter(campaign::Column::Year.eq(y));
    }
    if let Some(b) = before {
        query = query.filter(campaign::Column::Id.lt(b));
    }
    let rows = query.limit(params.size() + 1).all(&state.db).await?;
    let views = campaign_views(&state.db, state.now(), rows).await?;
    Ok(HttpResponse::Ok().json(tokens.page(views, params.size(), |c| c.id)?))
}

/// One campaign, with `server_time` and the deadline for a true countdown. Public.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = CampaignView), (status = 404, description = "`NOT_FOUND`"))
)]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let c = find_campaign(&state.db, *path).await?;
    Ok(HttpResponse::Ok().json(campaign_view(&state.db, state.now(), c).await?))
}

/// Lock a campaign's row for the rest of the transaction (a write: on SQLite
/// it takes the write lock, on PostgreSQL the row lock). 404 when missing.
async fn lock_campaign(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
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

/// Change a campaign (secretariat). Audited with before and after.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = CampaignPatch,
    responses((status = 200, body = CampaignView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[patch("/campaigns/{id}")]
pub async fn update_campaign(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<CampaignPatch>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let body = body.0;
    fail_if(check_lists(
        body.categories.as_deref(),
        body.contacts.as_deref(),
        body.exclusions.as_deref(),
    ))?;
    let txn = state.db.begin().await?;
    lock_campaign(&txn, *path).await?;
    let before_row = find_campaign(&txn, *path).await?;
    let deadline = body
        .deadline
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(before_row.district_deadline);
    let national = body
        .national_deadline
        .map(|d| d.with_timezone(&Utc))
        .or(before_row.national_deadline);
    fail_if(check_deadlines(deadline, national))?;
    let before = campaign_view(&txn, now, before_row.clone()).await?;
    let mut am: campaign::ActiveModel = before_row.into();
    if let Some(t) = &body.title {
        am.title = Set(t.trim().to_owned());
    }
    if let Some(y) = body.year {
        am.year = Set(y);
    }
    let mut categories = body.categories.unwrap_or(before.categories.clone());
    let mut contacts = body.contacts.unwrap_or(before.contacts.clone());
    let mut exclusions = body.exclusions.unwrap_or(before.exclusions.clone());
    trim_lists(&mut categories, &mut contacts, &mut exclusions);
    am.categories = Set(to_json(&categories)?);
    am.contacts = Set(to_json(&contacts)?);
    am.exclusions = Set(to_json(&exclusions)?);
    if let Some(q) = body.district_quota {
        am.district_quota = Set(q);
    }
    if let Some(q) = body.association_quota {
        am.association_quota = Set(q);
    }
    am.district_deadline = Set(deadline);
    am.national_deadline = Set(national);
    am.updated_at = Set(now);
    let after_row = am.update(&txn).await?;
    let after = campaign_view(&txn, now, after_row).await?;
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
            Role::Secretariat,
            "campaign.update",
            "campaign",
            after.id,
        ),
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(after))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LateGrantInput {
    /// The district allowed to file late.
    pub district_id: i64,
    /// Until when (exclusive); later than the campaign's deadline and than now.
    pub until: DateTime<FixedOffset>,
    /// Why (kept in the audit log and shown in the campaign).
    #[validate(length(min = 1, max = 500, message = "请填写原因（不超过 500 个字）。"))]
    pub reason: String,
}

/// Let one district file after the deadline until a stated instant
/// (secretariat). Audited; shown in the campaign read.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = LateGrantInput,
    responses((status = 201, body = LateGrantView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[post("/campaigns/{id}/late-grants")]
pub async fn create_late_grant(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<LateGrantInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let until = body.until.with_timezone(&Utc);
    if body.reason.trim().is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            "请填写原因。",
        )]));
    }
    let txn = state.db.begin().await?;
    lock_campaign(&txn, *path).await?;
    let c = find_campaign(&txn, *path).await?;
    let mut errors = Vec::new();
    if district::Entity::find_by_id(body.district_id)
        .one(&txn)
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
        district_id: Set(body.district_id),
        until: Set(until),
        reason: Set(body.reason.trim().to_owned()),
        granted_by: Set(Some(p.id())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let names = district_names(&txn).await?;
    let view = grant_view(g, &names);
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
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
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

// ---------------------------------------------------------------------------
// Nominations of a campaign.

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NominationCreate {
    /// `person` or `team`.
    pub kind: NomineeKind,
    /// The district filing; may be left out by a lead of one district.
    pub district_id: Option<i64>,
    /// The registration form so far (a draft may be incomplete).
    pub form: Option<RegistrationForm>,
}

/// Start a nomination (draft) for the lead's own district. `Idempotency-Key`
/// honoured. Only before the deadline (409 `DEADLINE_PASSED`).
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(
        ("id" = i64, Path, description = "Campaign id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (a UUID)"),
    ),
    request_body = NominationCreate,
    responses(
        (status = 201, body = NominationView, headers(("ETag" = String, description = "Pass as If-Match to edit"))),
        (status = 403, description = "`FORBIDDEN`: not the lead of that district"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`DEADLINE_PASSED`"),
    )
)]
#[post("/campaigns/{id}/nominations")]
pub async fn create_nomination(
    state: web::Data<AppState>,
    DistrictLead(p): DistrictLead,
    key: IdempotencyKey,
    path: web::Path<i64>,
    body: ValidJson<NominationCreate>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let campaign_id = *path;
    let body = body.0;
    let mine = p.district_ids();
    let district_id = match (body.district_id, mine.as_slice()) {
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
    let c = find_campaign(&state.db, campaign_id).await?;
    let until = grant_until(&state.db, campaign_id, district_id).await?;
    let categories: Vec<Category> = json_col(&c.categories)?;
    let form = body.form.clone().unwrap_or_default();
    let fingerprint = idempotency::fingerprint(
        "POST",
        &format!("/campaigns/{campaign_id}/nominations"),
        &body,
    )?;
    let member_id = p.id();
    let stored = idempotency::run(
        &state.db,
        now,
        &member_id.to_string(),
        key.0.as_deref(),
        &fingerprint,
        |tx| {
            let (c, body, categories) = (&c, &body, &categories);
            let mut form = form.clone();
            async move {
                let txn = &*tx;
                rules::check_filing_open(now, c.district_deadline, until)?;
                let errors = rules::check_fields(
                    &form,
                    body.kind,
                    &categories,
                    crate::platform::clock::china_date(now),
                );
                fail_if(errors)?;
                rules::normalise(&mut form);
                let n = nomination::ActiveModel {
                    campaign_id: Set(campaign_id),
                    district_id: Set(district_id),
                    kind: Set(body.kind.as_str().to_owned()),
                    status: Set(NominationStatus::Draft.as_str().to_owned()),
                    version: Set(1),
                    form: Set(to_json(&form)?),
                    nominee_name: Set(rules::nominee_name(&form, body.kind).map(str::to_owned)),
                    unit: Set(form.unit.clone()),
                    category: Set(form.category.clone()),
                    phone: Set(rules::nominee_phone(&form, body.kind).map(str::to_owned)),
                    media_honoured: Set(rules::media_honoured(&form)),
                    consent: Set(form.consent == Some(true)),
                    created_by: Set(member_id),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                let view = nomination_view(txn, now, n).await?;
                Stored::new(actix_web::http::StatusCode::CREATED, &view)
            }
        },
    )
    .await?;
    let etag = stored.body["etag"].as_str().map(str::to_owned);
    let mut res = stored.into_response();
    if let Some(v) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        res.headers_mut().insert(ETAG, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NominationQuery {
    /// Only nominations in this status.
    pub status: Option<NominationStatus>,
    /// Only this district's (a district lead sees only their own districts').
    pub district_id: Option<i64>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// The nominations of a campaign: media-honoured nominees first ("受到过各级各类
/// 媒体平台表彰与奖励具有优先入围资质"), then by filing order. The secretariat
/// sees all; a district lead only their own district's. Phones masked.
#[utoipa::path(
    tag = "nominations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id"), NominationQuery),
    responses(
        (status = 200, body = Page<NominationSummary>),
        (status = 403, description = "`FORBIDDEN`: neither the secretariat nor a lead of that district"),
        (status = 404, description = "`NOT_FOUND`"),
    )
)]
#[get("/campaigns/{id}/nominations")]
pub async fn list_nominations(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i64>,
    q: web::Query<NominationQuery>,
) -> ApiResult<HttpResponse> {
    let campaign_id = *path;
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
    find_campaign(&state.db, campaign_id).await?;
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(
        &state.page_token_key,
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
    let rows = query.limit(params.size() + 1).all(&state.db).await?;
    let names = district_names(&state.db).await?;
    let items: Vec<NominationSummary> = rows.into_iter().map(|n| summary(n, &names)).collect();
    let page: Page<NominationSummary> =
        tokens.page(items, params.size(), |n| (n.media_honoured, n.id))?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardInput {
    /// Shortlisted nominations of this campaign to forward (with those
    /// forwarded before, at most the association quota).
    #[validate(length(min = 1, max = 20, message = "请选择 1–20 名候选人。"))]
    pub nomination_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForwardResult {
    /// Every nomination of the campaign forwarded so far.
    pub forwarded: Vec<NominationSummary>,
    pub forwarded_count: i32,
    pub association_quota: i32,
}

/// Forward nominees to the national association (secretariat): at most the
/// association quota in total (409 `QUOTA_EXCEEDED`), only shortlisted ones
/// (409 `CONFLICT`), only with the nominee's consent (409
/// `CONSENT_REQUIRED`). All or nothing; audited per nomination.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = ForwardInput,
    responses(
        (status = 200, body = ForwardResult),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`QUOTA_EXCEEDED`, `CONSENT_REQUIRED`, or `CONFLICT` (not shortlisted)"),
    )
)]
#[post("/campaigns/{id}/forward")]
pub async fn forward(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ForwardInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let campaign_id = *path;
    let mut ids = body.nomination_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let txn = state.db.begin().await?;
    lock_campaign(&txn, campaign_id).await?;
    let c = find_campaign(&txn, campaign_id).await?;
    let rows = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .filter(nomination::Column::Id.is_in(ids.clone()))
        .all(&txn)
        .await?;
    let missing: Vec<FieldError> = body
        .nomination_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !rows.iter().any(|n| n.id == **id))
        .map(|(i, _)| {
            FieldError::new(
                &format!("/nomination_ids/{i}"),
                "not_found",
                "该评选活动中没有这条推荐。",
            )
        })
        .collect();
    fail_if(missing)?;
    let label = |n: &nomination::Model| {
        n.nominee_name
            .clone()
            .unwrap_or_else(|| format!("#{}", n.id))
    };
    let mut adding = Vec::new();
    for n in &rows {
        match NominationStatus::parse(&n.status) {
            Some(NominationStatus::Forwarded) => {}
            Some(NominationStatus::Shortlisted) => adding.push(n),
            other => {
                return Err(ApiError::new(ErrorCode::Conflict).with_detail(format!(
                    "只能报送入围的候选人：{}当前为“{}”。",
                    label(n),
                    other.map(NominationStatus::label).unwrap_or("未知")
                )));
            }
        }
    }
    let without: Vec<String> = adding
        .iter()
        .filter(|n| !n.consent)
        .map(|n| label(n))
        .collect();
    if !without.is_empty() {
        return Err(
            ApiError::new(ErrorCode::ConsentRequired).with_detail(format!(
                "{}未同意报送至中国教育后勤协会及公开事迹和照片，不能报送。",
                without.join("、")
            )),
        );
    }
    rules::check_association_quota(c.forwarded_count, adding.len(), c.association_quota)?;
    let n_adding = i32::try_from(adding.len()).map_err(ApiError::internal)?;
    if n_adding > 0 {
        let res = campaign::Entity::update_many()
            .col_expr(
                campaign::Column::ForwardedCount,
                Expr::col(campaign::Column::ForwardedCount).add(n_adding),
            )
            .filter(campaign::Column::Id.eq(campaign_id))
            .filter(
                Expr::col(campaign::Column::ForwardedCount)
                    .add(n_adding)
                    .lte(Expr::col(campaign::Column::AssociationQuota)),
            )
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(ApiError::new(ErrorCode::QuotaExceeded));
        }
    }
    for n in adding {
        let before = serde_json::json!({"status": n.status, "consent": n.consent});
        let res = nomination::Entity::update_many()
            .col_expr(
                nomination::Column::Status,
                Expr::value(NominationStatus::Forwarded.as_str()),
            )
            .col_expr(
                nomination::Column::Version,
                Expr::col(nomination::Column::Version).add(1),
            )
            .col_expr(nomination::Column::ForwardedAt, Expr::value(now))
            .col_expr(nomination::Column::UpdatedAt, Expr::value(now))
            .filter(nomination::Column::Id.eq(n.id))
            .filter(nomination::Column::Status.eq(NominationStatus::Shortlisted.as_str()))
            .filter(nomination::Column::Consent.eq(true))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(
                ApiError::new(ErrorCode::Conflict).with_detail("推荐状态已变化，请刷新后重试。")
            );
        }
        audit::record(
            &txn,
            now,
            Entry::by(
                &p,
                Role::Secretariat,
                "nomination.forward",
                "nomination",
                n.id,
            ),
            Some(&before),
            Some(&serde_json::json!({"status": "forwarded"})),
        )
        .await?;
    }
    let forwarded = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .filter(nomination::Column::Status.eq(NominationStatus::Forwarded.as_str()))
        .order_by_asc(nomination::Column::Id)
        .all(&txn)
        .await?;
    let c = find_campaign(&txn, campaign_id).await?;
    let names = district_names(&txn).await?;
    let result = ForwardResult {
        forwarded: forwarded.into_iter().map(|n| summary(n, &names)).collect(),
        forwarded_count: c.forwarded_count,
        association_quota: c.association_quota,
    };
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(result))
}

/// A file or folder name without characters Windows refuses.
pub(crate) fn safe_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('.').to_owned();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned.chars().take(80).collect()
    }
}

pub(crate) fn attachment_disposition(file_name: &str, fallback: &str) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(fallback.to_owned()),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: actix_web::http::header::Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file_name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// The package of the forwarded nominees (secretariat): per nominee a folder
/// with the registration form (`.docx`) and the attachments. A nominee who
/// withdrew their consent after forwarding is left out (PIPL). 409
/// `CONFLICT` when there is nothing to export.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "A zip archive", content_type = "application/zip", body = crate::nominations::http::nominations::FileBody),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT`: nothing forwarded yet"),
    )
)]
#[get("/campaigns/{id}/export.zip")]
pub async fn export_zip(
    state: web::Data<AppState>,
    Secretariat(_admin): Secretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    use crate::entity::nomination_attachment as att;
    let c = find_campaign(&state.db, *path).await?;
    let forwarded = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(c.id))
        .filter(nomination::Column::Status.eq(NominationStatus::Forwarded.as_str()))
        .filter(nomination::Column::Consent.eq(true))
        .order_by_asc(nomination::Column::Id)
        .all(&state.db)
        .await?;
    if forwarded.is_empty() {
        return Err(ApiError::new(ErrorCode::Conflict)
            .with_detail("尚未报送任何候选人，没有可导出的材料。"));
    }
    let names = district_names(&state.db).await?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zip_err = |e: zip::result::ZipError| ApiError::internal(e);
    for (i, n) in forwarded.iter().enumerate() {
        let district_name = names.get(&n.district_id).cloned().unwrap_or_default();
        let nominee = n
            .nominee_name
            .clone()
            .unwrap_or_else(|| format!("推荐{}", n.id));
        let folder = safe_name(&format!("{:02}-{}-{}", i + 1, district_name, nominee));
        let files = att::Entity::find()
            .filter(att::Column::NominationId.eq(n.id))
            .order_by_asc(att::Column::Id)
            .all(&state.db)
            .await?;
        let form = parse_form(n)?;
        let kind = NomineeKind::parse(&n.kind).unwrap_or(NomineeKind::Person);
        let photo = files
            .iter()
            .find(|f| f.kind == "photo")
            .map(|f| f.data.as_slice());
        let docx = form_document(&c, &district_name, kind, &form, photo)?;
        zip.start_file(
            format!("{folder}/{}-报名表.docx", safe_name(&nominee)),
            options,
        )
        .map_err(zip_err)?;
        zip.write_all(&docx).map_err(ApiError::internal)?;
        let mut certificates = 0;
        for f in &files {
            let ext = rules::FileType::from_mime(&f.content_type)
                .map(rules::FileType::extension)
                .unwrap_or("bin");
            let name = match f.kind.as_str() {
                "photo" => format!("一寸免冠照.{ext}"),
                "certificate" => {
                    certificates += 1;
                    format!("荣誉证书{certificates}.{ext}")
                }
                _ => format!("盖章报名表扫描件.{ext}"),
            };
            zip.start_file(format!("{folder}/{name}"), options)
                .map_err(zip_err)?;
            zip.write_all(&f.data).map_err(ApiError::internal)?;
        }
    }
    let bytes = zip.finish().map_err(zip_err)?.into_inner();
    let file_name = format!("{}-报送材料.zip", safe_name(&c.title));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/zip"))
        .insert_header((
            CONTENT_DISPOSITION,
            attachment_disposition(&file_name, &format!("campaign-{}-export.zip", c.id)),
        ))
        .body(bytes))
}
