//! Use cases of the public notice (公示) of a year's statistics and of the
//! objections (异议) filed during it: publish a frozen snapshot of both
//! standings, read it, file, list and resolve objections.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{notice, notice_row, objection, proposal};
use crate::honours::lookup::{current_proposal, latest_notice, not_published, ranking_key};
use crate::honours::model::{check_year, standing_views};
use crate::honours::rules::Scope;
use crate::honours::standings;
use crate::notifications::{self, events};
use crate::organisation::lookup::OrgRef;
use crate::platform::audit::{self, Entry};
use crate::platform::cache::Cache;
use crate::platform::clock::{format_china_deadline, to_china};
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::platform::rate_limit::{self, Rule};
use crate::wechat::{WeChat, content_check};

/// Objections per member per hour.
pub const OBJECTION_LIMIT: Rule = Rule {
    name: "objection",
    limit: 10,
    window: std::time::Duration::from_secs(3600),
};

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "opens_at": "2027-01-05T09:00:00+08:00",
    "closes_at": "2027-01-12T00:00:00+08:00"
}))]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `schools` (default) or `individuals`.
    pub scope: Option<Scope>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

async fn notice_view(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    n: notice::Model,
    scope: Scope,
    params: &PageParams,
    now: DateTime<Utc>,
) -> ApiResult<NoticeView> {
    let tokens = PageTokens::new(
        page_token_key,
        format!("notice/{}/{}", n.id, scope.as_str()),
    );
    let after: i32 = tokens.cursor(params)?.unwrap_or(0);
    let rows = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(scope.as_str()))
        .filter(notice_row::Column::Position.gt(after))
        .order_by_asc(notice_row::Column::Position)
        .limit(params.size() + 1)
        .all(db)
        .await?;
    let views: Vec<NoticeRowView> = rows.into_iter().map(Into::into).collect();
    let page: Page<NoticeRowView> = tokens.page(views, params.size(), |r| r.position)?;
    let is_open = is_open(&n, now);
    Ok(NoticeView {
        year: n.year,
        version: n.version,
        ranking_key: n.ranking_key,
        opens_at: to_china(n.opens_at),
        closes_at: to_china(n.closes_at),
        is_open,
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

/// Whether objections can be filed at `now`: from `opens_at`, before `closes_at`.
fn is_open(n: &notice::Model, now: DateTime<Utc>) -> bool {
    n.opens_at <= now && now < n.closes_at
}

/// Publishes (or republishes, as a new version) the year's statistics for
/// public notice (secretariat): a frozen snapshot of both standings, which
/// later review changes do not alter. Refused once the proposal is approved.
pub async fn publish(
    tx: Tx,
    actor: &Principal,
    year: i32,
    input: &NoticeInput,
    now: DateTime<Utc>,
    page_token_key: &[u8],
) -> ApiResult<NoticeView> {
    let year = check_year(year)?;
    let opens_at = input.opens_at.with_timezone(&Utc);
    let closes_at = input.closes_at.with_timezone(&Utc);
    if closes_at <= opens_at || closes_at <= now {
        return Err(ApiError::validation(vec![FieldError::new(
            "/closes_at",
            "order",
            "公示结束时间须晚于开始时间和当前时间。",
        )]));
    }
    let txn = &*tx;
    match current_proposal(txn, year).await?.map(|p| p.status) {
        Some(s) if s == "approved" => return Err(ApiError::new(ErrorCode::ProposalFinal)),
        Some(s) if s == "submitted" => {
            return Err(ApiError::new(ErrorCode::ProposalNotEditable)
                .with_detail("推荐名单已报理事会审定：须理事会先退回名单，才能重新公示。"));
        }
        _ => {}
    }
    let key = ranking_key(txn, year).await?;
    let version = latest_notice(txn, year).await?.map_or(1, |n| n.version + 1);
    let (school_rows, schools) = standings::page(txn, year, Scope::Schools, key, 0, None).await?;
    let (people_rows, individuals) =
        standings::page(txn, year, Scope::Individuals, key, 0, None).await?;
    let (schools, school_views) = standing_views(school_rows, schools);
    let (individuals, people_views) = standing_views(people_rows, individuals);
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
        published_by: Set(Some(actor.id())),
        published_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (scope, views) in [
        (Scope::Schools, school_views),
        (Scope::Individuals, people_views),
    ] {
        let models: Vec<notice_row::ActiveModel> = views
            .into_iter()
            .map(|v| {
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
                .exec(txn)
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
        txn,
        now,
        Entry::by(
            actor,
            Role::Secretariat,
            "notice.publish",
            "credit_year",
            year,
        ),
        None::<&()>,
        Some(&after),
    )
    .await?;
    notice_view(
        txn,
        page_token_key,
        n,
        Scope::Schools,
        &PageParams::default(),
        now,
    )
    .await
}

/// The latest published notice of a year (public): a page of one scope's frozen standings.
pub async fn get(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    year: i32,
    q: &NoticeQuery,
    now: DateTime<Utc>,
) -> ApiResult<NoticeView> {
    let year = check_year(year)?;
    let n = latest_notice(db, year).await?.ok_or_else(not_published)?;
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    notice_view(
        db,
        page_token_key,
        n,
        q.scope.unwrap_or(Scope::Schools),
        &params,
        now,
    )
    .await
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "scope": "schools",
    "row_key": "1",
    "text": "四川大学本年度在协会网站发表的稿件有两篇未计入，请核实。"
}))]
pub struct ObjectionInput {
    pub scope: Scope,
    /// The `key` of the row objected to, as shown in the notice (1–120 characters).
    #[validate(length(min = 1, max = 120, message = "请选择异议对象。"))]
    #[schema(min_length = 1, max_length = 120)]
    pub row_key: String,
    /// What is wrong (5–1000 characters; line breaks allowed).
    #[validate(
        length(min = 5, max = 1000, message = "异议内容须为 5–1000 个字。"),
        custom(function = "crate::platform::text::paragraph")
    )]
    #[schema(
        min_length = 5,
        max_length = 1000,
        pattern = r"^[^\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
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

/// The version of the notice an objection was filed against (0 if it is gone).
async fn notice_version(db: &impl ConnectionTrait, notice_id: i64) -> ApiResult<i32> {
    Ok(notice::Entity::find_by_id(notice_id)
        .one(db)
        .await?
        .map_or(0, |n| n.version))
}

/// Files an objection about a row of the latest notice, during its window
/// (members; the secretariat and the council resolve instead). Rate-limited
/// per member; the text goes through WeChat's content check where configured.
///
/// The checks (the content check is a call to WeChat) run before the unit of
/// work, which only inserts the objection.
pub async fn file_objection(
    db: &DatabaseConnection,
    cache: &Cache,
    wechat: Option<&WeChat>,
    actor: &Principal,
    year: i32,
    input: &ObjectionInput,
    now: DateTime<Utc>,
) -> ApiResult<ObjectionView> {
    if actor.has(Role::Secretariat) || actor.has(Role::Council) {
        return Err(
            ApiError::forbidden().with_detail("秘书处和理事会成员负责处理异议，不能提出异议。")
        );
    }
    let year = check_year(year)?;
    let n = latest_notice(db, year).await?.ok_or_else(not_published)?;
    if !is_open(&n, now) {
        return Err(
            ApiError::new(ErrorCode::OutsideNoticeWindow).with_detail(format!(
                "公示期为{}至{}（北京时间），当前不在公示期内，不能提出异议。",
                to_china(n.opens_at).format("%Y年%-m月%-d日 %H:%M"),
                format_china_deadline(n.closes_at)
            )),
        );
    }
    rate_limit::check(cache, OBJECTION_LIMIT, &actor.id().to_string()).await?;
    let row_exists = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(input.scope.as_str()))
        .filter(notice_row::Column::RowKey.eq(input.row_key.as_str()))
        .one(db)
        .await?
        .is_some();
    if !row_exists {
        return Err(ApiError::validation(vec![FieldError::new(
            "/row_key",
            "not_found",
            "公示中没有这一行。",
        )]));
    }
    let text = input.text.trim();
    let verdict = content_check::check(
        wechat,
        &actor.member.openid,
        content_check::SCENE_COMMENT,
        text,
        "/text",
    )
    .await?;
    let needs_review = verdict == content_check::Verdict::NeedsReview;
    let o = db::write(db, |tx| {
        let am = objection::ActiveModel {
            year: Set(year),
            notice_id: Set(n.id),
            scope: Set(input.scope.as_str().to_owned()),
            row_key: Set(input.row_key.clone()),
            member_id: Set(actor.id()),
            text: Set(text.to_owned()),
            status: Set("open".into()),
            needs_content_review: Set(needs_review),
            created_at: Set(now),
            ..Default::default()
        };
        async move {
            // Never against a list already sent to (or decided by) the council:
            // the proposal's row is locked, so a submission waits for this.
            let p = proposal::Entity::find()
                .filter(proposal::Column::Year.eq(year))
                .lock_exclusive()
                .one(&*tx)
                .await?;
            match p.as_ref().map(|p| p.status.as_str()) {
                Some("approved") => {
                    return Err(ApiError::new(ErrorCode::ProposalFinal)
                        .with_detail("本年度推荐名单已经理事会审定，不能再提出异议。"));
                }
                Some("submitted") => {
                    return Err(ApiError::new(ErrorCode::ProposalNotEditable)
                        .with_detail("推荐名单已报理事会审定，不能再提出异议。"));
                }
                _ => {}
            }
            let o = am.insert(&*tx).await?;
            let secretariat = events::members_with_role(&*tx, Role::Secretariat).await?;
            notifications::notify(&*tx, events::objection_filed(&secretariat, &o), now).await?;
            Ok(o)
        }
    })
    .await?;
    Ok(objection_view(o, n.version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectionQuery {
    /// `open`, `upheld` or `dismissed`.
    pub status: Option<String>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

/// Objections of a year, newest first: members see their own; the
/// secretariat and the council see all.
pub async fn list_objections(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    viewer: &Principal,
    year: i32,
    q: &ObjectionQuery,
) -> ApiResult<Page<ObjectionView>> {
    let year = check_year(year)?;
    let all = viewer.has(Role::Secretariat) || viewer.has(Role::Council);
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(
        page_token_key,
        format!(
            "objections/{year}/{}/{:?}",
            if all { 0 } else { viewer.id() },
            q.status
        ),
    );
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = objection::Entity::find()
        .filter(objection::Column::Year.eq(year))
        .order_by_desc(objection::Column::Id);
    if !all {
        query = query.filter(objection::Column::MemberId.eq(viewer.id()));
    }
    if let Some(s) = &q.status {
        query = query.filter(objection::Column::Status.eq(s.as_str()));
    }
    if let Some(b) = before {
        query = query.filter(objection::Column::Id.lt(b));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let mut versions = HashMap::new();
    let mut views = Vec::with_capacity(rows.len());
    for o in rows {
        let version = match versions.get(&o.notice_id) {
            Some(v) => *v,
            None => {
                let v = notice_version(db, o.notice_id).await?;
                versions.insert(o.notice_id, v);
                v
            }
        };
        views.push(objection_view(o, version));
    }
    tokens.page(views, params.size(), |o| o.id)
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionDecision {
    Upheld,
    Dismissed,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "decision": "upheld",
    "reason": "经核实，两篇稿件已补计分数。"
}))]
pub struct ResolveInput {
    pub decision: ObjectionDecision,
    /// Why (2–500 characters; shown to the member who objected).
    #[validate(length(min = 2, max = 500, message = "处理意见须为 2–500 个字。"))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// Resolves an open objection as upheld or dismissed, with a reason (secretariat).
pub async fn resolve_objection(
    tx: Tx,
    actor: &Principal,
    id: i64,
    input: &ResolveInput,
    now: DateTime<Utc>,
) -> ApiResult<ObjectionView> {
    let txn = &*tx;
    let o = objection::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("异议不存在。"))?;
    if o.status != "open" {
        return Err(ApiError::new(ErrorCode::ObjectionAlreadyResolved));
    }
    let version = notice_version(txn, o.notice_id).await?;
    let before = objection_view(o.clone(), version);
    let mut am: objection::ActiveModel = o.into();
    am.status = Set(match input.decision {
        ObjectionDecision::Upheld => "upheld".into(),
        ObjectionDecision::Dismissed => "dismissed".into(),
    });
    am.resolution_reason = Set(Some(input.reason.trim().to_owned()));
    am.resolved_by = Set(Some(actor.id()));
    am.resolved_at = Set(Some(now));
    let resolved = am.update(txn).await?;
    notifications::notify(txn, vec![events::objection_resolved(&resolved, now)], now).await?;
    let after = objection_view(resolved, version);
    audit::record(
        txn,
        now,
        Entry::by(
            actor,
            Role::Secretariat,
            "objection.resolve",
            "objection",
            after.id,
        )
        .reason(Some(input.reason.as_str())),
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}
