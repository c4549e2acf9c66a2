//! The public notice (公示) of a year's statistics and the objections (异议) filed during it.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::entity::{notice, notice_row, objection};
use crate::honours::http::standings::{CapFigures, check_year, ranking_key, standing_view};
use crate::honours::rules::Scope;
use crate::honours::standings;
use crate::identity::principal::{Auth, Secretariat};
use crate::identity::roles::Role;
use crate::organisation::lookup::OrgRef;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{format_china_deadline, to_china};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::ValidJson;
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::platform::rate_limit::{self, Rule};
use crate::state::AppState;
use crate::wechat::content_check;

/// Objections per member per hour.
pub const OBJECTION_LIMIT: Rule = Rule {
    name: "objection",
    limit: 10,
    window: std::time::Duration::from_secs(3600),
};

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// When objections may start to be filed.
    pub opens_at: DateTime<FixedOffset>,
    /// When the notice window closes (exclusive; after `opens_at` and in the future).
    pub closes_at: DateTime<FixedOffset>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeFigures {
    pub population: i32,
    pub cap: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeRowView {
    pub rank: i32,
    pub position: i32,
    pub key: String,
    pub name: String,
    pub school: OrgRef,
    pub site_points: i32,
    pub bonus_points: i32,
    pub total: i32,
    pub counted_articles: i32,
    pub within_cap: bool,
    pub tied_at_cutoff: bool,
}

impl From<notice_row::Model> for NoticeRowView {
    fn from(r: notice_row::Model) -> Self {
        Self {
            rank: r.rank,
            position: r.position,
            key: r.row_key,
            name: r.name,
            school: OrgRef {
                id: r.school_id,
                name: r.school_name,
            },
            site_points: r.site_points,
            bonus_points: r.bonus_points,
            total: r.total,
            counted_articles: r.counted_articles,
            within_cap: r.within_cap,
            tied_at_cutoff: r.tied_at_cutoff,
        }
    }
}

/// A published notice: a frozen snapshot of the standings.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub year: i32,
    /// 1 for the first publication; republishing after an upheld objection adds one.
    pub version: i32,
    pub ranking_key: String,
    pub opens_at: DateTime<FixedOffset>,
    pub closes_at: DateTime<FixedOffset>,
    /// Whether objections can be filed now (by the server's clock).
    pub is_open: bool,
    pub server_time: DateTime<FixedOffset>,
    pub published_at: DateTime<FixedOffset>,
    pub schools: NoticeFigures,
    pub individuals: NoticeFigures,
    /// The scope of `items`.
    pub scope: Scope,
    pub items: Vec<NoticeRowView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

pub async fn latest_notice(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<Option<notice::Model>> {
    Ok(notice::Entity::find()
        .filter(notice::Column::Year.eq(year))
        .order_by_desc(notice::Column::Version)
        .one(db)
        .await?)
}

fn not_published() -> ApiError {
    ApiError::new(ErrorCode::NoticeNotPublished)
}

async fn notice_view(
    state: &AppState,
    n: notice::Model,
    scope: Scope,
    params: &PageParams,
) -> ApiResult<NoticeView> {
    let tokens = PageTokens::new(
        &state.page_token_key,
        format!("notice/{}/{}", n.id, scope.as_str()),
    );
    let after: i32 = tokens.cursor(params)?.unwrap_or(0);
    let rows = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(scope.as_str()))
        .filter(notice_row::Column::Position.gt(after))
        .order_by_asc(notice_row::Column::Position)
        .limit(params.size() + 1)
        .all(&state.db)
        .await?;
    let views: Vec<NoticeRowView> = rows.into_iter().map(Into::into).collect();
    let page: Page<NoticeRowView> = tokens.page(views, params.size(), |r| r.position)?;
    let now = state.now();
    Ok(NoticeView {
        year: n.year,
        version: n.version,
        ranking_key: n.ranking_key,
        opens_at: to_china(n.opens_at),
        closes_at: to_china(n.closes_at),
        is_open: n.opens_at <= now && now < n.closes_at,
        server_time: to_china(now),
        published_at: to_china(n.published_at),
        schools: NoticeFigures {
            population: n.school_population,
            cap: n.school_cap,
        },
        individuals: NoticeFigures {
            population: n.individual_population,
            cap: n.individual_cap,
        },
        scope,
        items: page.items,
        next_page_token: page.next_page_token,
    })
}

/// Publish (or republish) the year's statistics for public notice (secretariat).
///
/// Freezes a snapshot of both standings: later review changes do not alter
/// it. Republishing (e.g. after an upheld objection) makes a new version.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = NoticeInput,
    responses((status = 201, body = NoticeView), (status = 403, description = "`FORBIDDEN`"))
)]
#[post("/credit-years/{year}/notice")]
pub async fn publish_notice(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<NoticeInput>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let now = state.now();
    let opens_at = body.opens_at.with_timezone(&Utc);
    let closes_at = body.closes_at.with_timezone(&Utc);
    if closes_at <= opens_at || closes_at <= now {
        return Err(ApiError::validation(vec![FieldError::new(
            "/closes_at",
            "order",
            "公示结束时间须晚于开始时间和当前时间。",
        )]));
    }
    if let Some(p) = crate::honours::http::proposal::current_proposal(&state.db, year).await?
        && p.status == "approved"
    {
        return Err(ApiError::new(ErrorCode::ProposalFinal));
    }
    let txn = state.db.begin().await?;
    let key = ranking_key(&txn, year).await?;
    let version = latest_notice(&txn, year)
        .await?
        .map_or(1, |n| n.version + 1);
    let (school_rows, schools) = standings::page(&txn, year, Scope::Schools, key, 0, None).await?;
    let (people_rows, individuals) =
        standings::page(&txn, year, Scope::Individuals, key, 0, None).await?;
    let schools = schools.map(CapFigures::from).unwrap_or_default();
    let individuals = individuals.map(CapFigures::from).unwrap_or_default();
    let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let n = notice::ActiveModel {
        year: Set(year),
        version: Set(version),
        ranking_key: Set(key.as_str().to_owned()),
        opens_at: Set(opens_at),
        closes_at: Set(closes_at),
        school_population: Set(to_i32(schools.population)),
        school_cap: Set(to_i32(schools.cap)),
        individual_population: Set(to_i32(individuals.population)),
        individual_cap: Set(to_i32(individuals.cap)),
        published_by: Set(Some(p.id())),
        published_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (scope, figures, rows) in [
        (Scope::Schools, &schools, school_rows),
        (Scope::Individuals, &individuals, people_rows),
    ] {
        let models: Vec<notice_row::ActiveModel> = rows
            .into_iter()
            .map(|r| {
                let v = standing_view(r, figures);
                let i = |x: i64| i32::try_from(x).unwrap_or(i32::MAX);
                notice_row::ActiveModel {
                    notice_id: Set(n.id),
                    scope: Set(scope.as_str().to_owned()),
                    position: Set(i(v.position)),
                    rank: Set(i(v.rank)),
                    row_key: Set(v.key),
                    name: Set(v.name),
                    school_id: Set(v.school.id),
                    school_name: Set(v.school.name),
                    site_points: Set(i(v.site_points)),
                    bonus_points: Set(i(v.bonus_points)),
                    total: Set(i(v.total)),
                    counted_articles: Set(i(v.counted_articles)),
                    within_cap: Set(v.within_cap),
                    tied_at_cutoff: Set(v.tied_at_cutoff),
                    ..Default::default()
                }
            })
            .collect();
        for chunk in models.chunks(500) {
            notice_row::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
    }
    let after = serde_json::json!({
        "version": version,
        "opens_at": to_china(opens_at),
        "closes_at": to_china(closes_at),
        "schools": {"population": schools.population, "cap": schools.cap},
        "individuals": {"population": individuals.population, "cap": individuals.cap},
    });
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "notice.publish", "credit_year", year),
        None::<&()>,
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    let view = notice_view(&state, n, Scope::Schools, &PageParams::default()).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `schools` (default) or `individuals`.
    pub scope: Option<Scope>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// The published notice of a year (public, no login): the frozen standings.
#[utoipa::path(
    tag = "honours",
    params(("year" = i32, Path, description = "Credit year"), NoticeQuery),
    responses((status = 200, body = NoticeView), (status = 404, description = "`NOTICE_NOT_PUBLISHED`"))
)]
#[get("/credit-years/{year}/notice")]
pub async fn get_notice(
    state: web::Data<AppState>,
    path: web::Path<i32>,
    q: web::Query<NoticeQuery>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let n = latest_notice(&state.db, year)
        .await?
        .ok_or_else(not_published)?;
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let view = notice_view(&state, n, q.scope.unwrap_or(Scope::Schools), &params).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    pub scope: Scope,
    /// The `key` of the row objected to, as shown in the notice.
    #[validate(length(min = 1, max = 120, message = "请选择异议对象。"))]
    pub row_key: String,
    /// What is wrong (5–1000 characters).
    #[validate(
        length(min = 5, max = 1000, message = "异议内容须为 5–1000 个字。"),
        custom(function = "crate::platform::text::paragraph")
    )]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionView {
    pub id: i64,
    pub year: i32,
    pub notice_version: i32,
    pub scope: String,
    pub row_key: String,
    pub text: String,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    /// WeChat's content check asked for a human review of the text.
    pub needs_content_review: bool,
    pub resolution_reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
}

fn objection_view(o: objection::Model, notice_version: i32) -> ObjectionView {
    ObjectionView {
        id: o.id,
        year: o.year,
        notice_version,
        scope: o.scope,
        row_key: o.row_key,
        text: o.text,
        status: o.status,
        needs_content_review: o.needs_content_review,
        resolution_reason: o.resolution_reason,
        created_at: to_china(o.created_at),
        resolved_at: o.resolved_at.map(to_china),
    }
}

/// File an objection about a row of the notice, during the notice window (members).
///
/// The secretariat and the council do not file objections (they resolve and
/// approve). Outside the window → 409 `OUTSIDE_NOTICE_WINDOW`. The text goes
/// through WeChat's content check where configured.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = ObjectionInput,
    responses(
        (status = 201, body = ObjectionView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOTICE_NOT_PUBLISHED`"),
        (status = 409, description = "`OUTSIDE_NOTICE_WINDOW`"),
        (status = 429, description = "`RATE_LIMITED`"),
        (status = 503, description = "`WECHAT_UNAVAILABLE` (content check)"),
    )
)]
#[post("/credit-years/{year}/objections")]
pub async fn file_objection(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i32>,
    body: ValidJson<ObjectionInput>,
) -> ApiResult<HttpResponse> {
    if p.has(Role::Secretariat) || p.has(Role::Council) {
        return Err(
            ApiError::forbidden().with_detail("秘书处和理事会成员负责处理异议，不能提出异议。")
        );
    }
    let year = check_year(*path)?;
    let now = state.now();
    let n = latest_notice(&state.db, year)
        .await?
        .ok_or_else(not_published)?;
    if !(n.opens_at <= now && now < n.closes_at) {
        return Err(
            ApiError::new(ErrorCode::OutsideNoticeWindow).with_detail(format!(
                "公示期为{}至{}（北京时间），当前不在公示期内，不能提出异议。",
                to_china(n.opens_at).format("%Y年%-m月%-d日 %H:%M"),
                format_china_deadline(n.closes_at)
            )),
        );
    }
    rate_limit::check(&state.cache, OBJECTION_LIMIT, &p.id().to_string()).await?;
    let row_exists = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(body.scope.as_str()))
        .filter(notice_row::Column::RowKey.eq(body.row_key.as_str()))
        .one(&state.db)
        .await?
        .is_some();
    if !row_exists {
        return Err(ApiError::validation(vec![FieldError::new(
            "/row_key",
            "not_found",
            "公示中没有这一行。",
        )]));
    }
    let text = body.text.trim().to_owned();
    let verdict = content_check::check(
        state.wechat.as_ref(),
        &p.member.openid,
        content_check::SCENE_COMMENT,
        &text,
        "/text",
    )
    .await?;
    let needs_review = verdict == content_check::Verdict::NeedsReview;
    let o = objection::ActiveModel {
        year: Set(year),
        notice_id: Set(n.id),
        scope: Set(body.scope.as_str().to_owned()),
        row_key: Set(body.row_key.clone()),
        member_id: Set(p.id()),
        text: Set(text),
        status: Set("open".into()),
        needs_content_review: Set(needs_review),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(HttpResponse::Created().json(objection_view(o, n.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectionQuery {
    /// `open`, `upheld` or `dismissed`.
    pub status: Option<String>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Objections of a year, newest first: members see their own; the secretariat and the council see all.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year"), ObjectionQuery),
    responses((status = 200, body = Page<ObjectionView>))
)]
#[get("/credit-years/{year}/objections")]
pub async fn list_objections(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i32>,
    q: web::Query<ObjectionQuery>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let all = p.has(Role::Secretariat) || p.has(Role::Council);
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(
        &state.page_token_key,
        format!(
            "objections/{year}/{}/{:?}",
            if all { 0 } else { p.id() },
            q.status
        ),
    );
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = objection::Entity::find()
        .filter(objection::Column::Year.eq(year))
        .order_by_desc(objection::Column::Id);
    if !all {
        query = query.filter(objection::Column::MemberId.eq(p.id()));
    }
    if let Some(s) = &q.status {
        query = query.filter(objection::Column::Status.eq(s.as_str()));
    }
    if let Some(b) = before {
        query = query.filter(objection::Column::Id.lt(b));
    }
    let rows = query.limit(params.size() + 1).all(&state.db).await?;
    let mut versions = std::collections::HashMap::new();
    let mut views = Vec::with_capacity(rows.len());
    for o in rows {
        let version = match versions.get(&o.notice_id) {
            Some(v) => *v,
            None => {
                let v = notice::Entity::find_by_id(o.notice_id)
                    .one(&state.db)
                    .await?
                    .map_or(0, |n| n.version);
                versions.insert(o.notice_id, v);
                v
            }
        };
        views.push(objection_view(o, version));
    }
    let page: Page<ObjectionView> = tokens.page(views, params.size(), |o| o.id)?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionDecision {
    Upheld,
    Dismissed,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    pub decision: ObjectionDecision,
    /// Why (2–500 characters; shown to the member who objected).
    #[validate(length(min = 2, max = 500, message = "处理意见须为 2–500 个字。"))]
    pub reason: String,
}

/// Resolve an objection: upheld or dismissed, with a reason (secretariat).
///
/// After an upheld objection the secretariat corrects the articles and may
/// republish the notice.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Objection id")),
    request_body = ResolveInput,
    responses(
        (status = 200, body = ObjectionView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`OBJECTION_ALREADY_RESOLVED`"),
    )
)]
#[post("/objections/{id}/resolve")]
pub async fn resolve_objection(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ResolveInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let txn = state.db.begin().await?;
    let o = objection::Entity::find_by_id(*path)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("异议不存在。"))?;
    if o.status != "open" {
        return Err(ApiError::new(ErrorCode::ObjectionAlreadyResolved));
    }
    let version = notice::Entity::find_by_id(o.notice_id)
        .one(&txn)
        .await?
        .map_or(0, |n| n.version);
    let before = objection_view(o.clone(), version);
    let mut am: objection::ActiveModel = o.into();
    am.status = Set(match body.decision {
        ObjectionDecision::Upheld => "upheld".into(),
        ObjectionDecision::Dismissed => "dismissed".into(),
    });
    am.resolution_reason = Set(Some(body.reason.trim().to_owned()));
    am.resolved_by = Set(Some(p.id()));
    am.resolved_at = Set(Some(now));
    let after = objection_view(am.update(&txn).await?, version);
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
            Role::Secretariat,
            "objection.resolve",
            "objection",
            after.id,
        )
        .reason(Some(body.reason.as_str())),
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(after))
}
