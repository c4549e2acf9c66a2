//! Articles (稿件): submission, reading, withdrawal, review and merging of
//! duplicates (SPEC §A). The points rule lives in `domain::articles`; the
//! page fetch in `verify`.

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::articles::canonical_url::CanonicalUrl;
use crate::articles::fingerprint;
use crate::articles::rules::{
    self, ArticleStatus, Decision, OutletLevel, SourceKind, SourceRules, VerificationStatus,
};
use crate::articles::verify::Verifier;
use crate::entity::{article, article_duplicate, member, member_role, school, source};
use crate::identity::principal::{
    ArticleReader, CorrespondentOrSecretariat, Principal, Secretariat,
};
use crate::identity::roles::Role;
use crate::organisation::lookup::OrgRef;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{china_date, to_china};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::{IdempotencyKey, ValidJson};
use crate::platform::idempotency::{self, Stored};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::platform::rate_limit::{self, Rule};
use crate::state::AppState;

/// Submissions per member (a burst on a deadline evening is fine, a script is not).
pub const SUBMIT_LIMIT: Rule = Rule {
    name: "article-submit",
    limit: 30,
    window: std::time::Duration::from_secs(60),
};

// ---------------------------------------------------------------- views

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceRef {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuthorView {
    /// The first author's member id, when they are a member of the school.
    pub member_id: Option<i64>,
    /// Real name (or display name) of the member, or the name given.
    pub name: String,
}

/// What the submitter said.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeclaredView {
    pub title: Option<String>,
    pub column: Option<String>,
    pub published_on: Option<NaiveDate>,
}

/// The server's fetch of the page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VerificationView {
    pub status: VerificationStatus,
    /// Why the page could not be fetched (Chinese), for `failed` and `skipped`.
    pub reason: Option<String>,
    pub checked_at: Option<DateTime<FixedOffset>>,
    /// What the page shows.
    pub title: Option<String>,
    pub column: Option<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub reason: Option<String>,
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    /// The outlet level confirmed by the secretariat (provincial-or-higher media).
    pub confirmed_level: Option<OutletLevel>,
}

/// Points this article carries (0 or 1 each; a merged group counts once, so
/// only one article of a group carries each kind).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointsView {
    pub site: i32,
    pub bonus: i32,
}

/// Another article that is probably the same story (secretariat only).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DuplicateRef {
    pub article_id: i64,
    /// `title` (same normalised title, school and year) or `text` (near-identical page text).
    pub reason: String,
    /// SimHash distance in bits (for `text`).
    pub distance: Option<i32>,
    pub title: Option<String>,
    pub school_id: i64,
    pub status: ArticleStatus,
    pub canonical_url: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: i64,
    /// The link as submitted.
    pub url: String,
    /// The canonical link (unique).
    pub canonical_url: String,
    pub school: OrgRef,
    pub source: SourceRef,
    /// The title (the page's once verified, else the submitter's; the secretariat may correct it).
    pub title: Option<String>,
    pub column: Option<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
    /// The year the article counts for: its publication date in China time.
    pub credit_year: Option<i32>,
    pub first_author: AuthorView,
    pub submitted_by: i64,
    pub declared_original: bool,
    pub declared: DeclaredView,
    pub status: ArticleStatus,
    pub review: ReviewView,
    pub verification: VerificationView,
    pub points: PointsView,
    /// Articles merged as one story share this id.
    pub duplicate_group_id: Option<i64>,
    /// Likely duplicates not yet merged (shown to the secretariat only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likely_duplicate_of: Option<Vec<DuplicateRef>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// Names the views need, loaded once per page.
#[derive(Default)]
struct Names {
    schools: HashMap<i64, String>,
    sources: HashMap<i64, (String, SourceKind)>,
    members: HashMap<i64, String>,
    duplicates: Option<HashMap<i64, Vec<DuplicateRef>>>,
}

async fn names(
    db: &impl ConnectionTrait,
    rows: &[article::Model],
    with_duplicates: bool,
) -> ApiResult<Names> {
    if rows.is_empty() {
        return Ok(Names::default());
    }
    let school_ids: HashSet<i64> = rows.iter().map(|a| a.school_id).collect();
    let source_ids: HashSet<i64> = rows.iter().map(|a| a.source_id).collect();
    let member_ids: HashSet<i64> = rows
        .iter()
        .filter_map(|a| a.first_author_member_id)
        .collect();
    let schools = school::Entity::find()
        .filter(school::Column::Id.is_in(school_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut sources = HashMap::new();
    for s in source::Entity::find()
        .filter(source::Column::Id.is_in(source_ids))
        .all(db)
        .await?
    {
        let kind = SourceKind::parse(&s.kind).unwrap_or(SourceKind::Official);
        sources.insert(s.id, (s.name, kind));
    }
    let members = if member_ids.is_empty() {
        HashMap::new()
    } else {
        member::Entity::find()
            .filter(member::Column::Id.is_in(member_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.real_name.unwrap_or(m.display_name)))
            .collect()
    };
    let duplicates = if with_duplicates {
        Some(likely_duplicates_of(db, rows).await?)
    } else {
        None
    };
    Ok(Names {
        schools,
        sources,
        members,
        duplicates,
    })
}

/// Unresolved likely duplicates of these articles: the other article is not
/// withdrawn and not already in the same duplicate group.
async fn likely_duplicates_of(
    db: &impl ConnectionTrait,
    rows: &[article::Model],
) -> ApiResult<HashMap<i64, Vec<DuplicateRef>>> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let pairs = article_duplicate::Entity::find()
        .filter(article_duplicate::Column::ArticleId.is_in(ids))
        .order_by_asc(article_duplicate::Column::OtherId)
        .all(db)
        .await?;
    let other_ids: HashSet<i64> = pairs.iter().map(|p| p.other_id).collect();
    let others: HashMap<i64, article::Model> = if other_ids.is_empty() {
        HashMap::new()
    } else {
        article::Entity::find()
            .filter(article::Column::Id.is_in(other_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    let groups: HashMap<i64, Option<i64>> =
        rows.iter().map(|a| (a.id, a.duplicate_group_id)).collect();
    let mut out: HashMap<i64, Vec<DuplicateRef>> = HashMap::new();
    for p in pairs {
        let Some(o) = others.get(&p.other_id) else {
            continue;
        };
        let same_group = matches!(
            (groups.get(&p.article_id).copied().flatten(), o.duplicate_group_id),
            (Some(a), Some(b)) if a == b
        );
        if same_group || o.status == ArticleStatus::Withdrawn.as_str() {
            continue;
        }
        out.entry(p.article_id).or_default().push(DuplicateRef {
            article_id: o.id,
            reason: p.reason,
            distance: p.distance,
            title: o.title.clone(),
            school_id: o.school_id,
            status: ArticleStatus::parse(&o.status).unwrap_or(ArticleStatus::Pending),
            canonical_url: o.canonical_url.clone(),
        });
    }
    Ok(out)
}

fn view(a: &article::Model, n: &Names) -> ArticleView {
    let (source_name, kind) = n
        .sources
        .get(&a.source_id)
        .cloned()
        .unwrap_or_else(|| (String::new(), SourceKind::Official));
    let author_name = match (a.first_author_member_id, &a.first_author_name) {
        (Some(id), _) => n.members.get(&id).cloned().unwrap_or_default(),
        (None, Some(name)) => name.clone(),
        (None, None) => String::new(),
    };
    ArticleView {
        id: a.id,
        url: a.url.clone(),
        canonical_url: a.canonical_url.clone(),
        school: OrgRef {
            id: a.school_id,
            name: n.schools.get(&a.school_id).cloned().unwrap_or_default(),
        },
        source: SourceRef {
            id: a.source_id,
            name: source_name,
            kind,
        },
        title: a.title.clone(),
        column: a.column_name.clone(),
        published_at: a.published_at.map(to_china),
        credit_year: a.credit_year,
        first_author: AuthorView {
            member_id: a.first_author_member_id,
            name: author_name,
        },
        submitted_by: a.submitted_by,
        declared_original: a.declared_original,
        declared: DeclaredView {
            title: a.declared_title.clone(),
            column: a.declared_column.clone(),
            published_on: a.declared_published_on,
        },
        status: ArticleStatus::parse(&a.status).unwrap_or(ArticleStatus::Pending),
        review: ReviewView {
            reason: a.review_reason.clone(),
            reviewed_at: a.reviewed_at.map(to_china),
            confirmed_level: a.confirmed_level.as_deref().and_then(OutletLevel::parse),
        },
        verification: VerificationView {
            status: VerificationStatus::parse(&a.verification_status)
                .unwrap_or(VerificationStatus::Pending),
            reason: a.verification_reason.clone(),
            checked_at: a.verified_at.map(to_china),
            title: a.page_title.clone(),
            column: a.page_column.clone(),
            published_at: a.page_published_at.map(to_china),
        },
        points: PointsView {
            site: a.site_points,
            bonus: a.bonus_points,
        },
        duplicate_group_id: a.duplicate_group_id,
        likely_duplicate_of: n
            .duplicates
            .as_ref()
            .map(|d| d.get(&a.id).cloned().unwrap_or_default()),
        created_at: to_china(a.created_at),
        updated_at: to_china(a.updated_at),
    }
}

async fn one_view(
    db: &impl ConnectionTrait,
    a: &article::Model,
    viewer: &Principal,
) -> ApiResult<ArticleView> {
    let n = names(db, std::slice::from_ref(a), viewer.is_secretariat()).await?;
    Ok(view(a, &n))
}

// ---------------------------------------------------------------- access

/// SPEC §D: the secretariat and the council read every article.
fn reads_all(p: &Principal) -> bool {
    p.is_secretariat() || p.has(Role::Council)
}

/// A correspondent reads their own articles and their schools' articles.
fn can_read(p: &Principal, a: &article::Model) -> bool {
    reads_all(p)
        || p.school_ids().contains(&a.school_id)
        || a.submitted_by == p.id()
        || a.first_author_member_id == Some(p.id())
}

/// The submitter or a correspondent of the article's school may withdraw it while pending.
fn owns(p: &Principal, a: &article::Model) -> bool {
    a.submitted_by == p.id() || p.school_ids().contains(&a.school_id)
}

async fn find_article(db: &impl ConnectionTrait, id: i64) -> ApiResult<article::Model> {
    article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("稿件不存在。"))
}

// ---------------------------------------------------------------- submit

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// The article's link on the site (http or https, at most 2048 characters).
    #[validate(length(min = 1, max = 2048, message = "链接须为 1–2048 个字符。"))]
    pub url: String,
    /// The title as published (the server fills it in from the page where it can).
    #[validate(
        length(min = 1, max = 200, message = "标题须为 1–200 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub title: Option<String>,
    /// The column (栏目), e.g. 学校后勤动态.
    #[validate(
        length(min = 1, max = 64, message = "栏目须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub column: Option<String>,
    /// The publication date on the site (China time).
    pub published_on: Option<NaiveDate>,
    /// The first author (第一作者) when they are a correspondent of the school …
    pub first_author_member_id: Option<i64>,
    /// … or their name (exactly one of the two).
    #[validate(
        length(min = 1, max = 32, message = "作者姓名须为 1–32 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub first_author_name: Option<String>,
    /// The submitter declares the article original (reposts from other media earn nothing). Must be `true`.
    pub declared_original: bool,
    /// Required when the submitter is a correspondent of several schools, or
    /// the secretariat submitting on behalf of a school.
    pub school_id: Option<i64>,
    /// Only needed for a link of provincial-or-higher media (a source that
    /// needs confirmation) whose site is not a configured host.
    pub source_id: Option<i64>,
}

fn resolve_school(p: &Principal, requested: Option<i64>) -> ApiResult<i64> {
    let mine = p.school_ids();
    match requested {
        Some(id) if mine.contains(&id) || p.is_secretariat() => Ok(id),
        Some(_) => Err(ApiError::forbidden().with_detail("只能为本校提交稿件。")),
        None if mine.len() == 1 => Ok(mine[0]),
        None if mine.is_empty() => Err(ApiError::validation(vec![FieldError::new(
            "/school_id",
            "required",
            "代学校提交时须指定学校（school_id）。",
        )])),
        None => Err(ApiError::validation(vec![FieldError::new(
            "/school_id",
            "required",
            "您是多所学校的通讯员，请指定学校（school_id）。",
        )])),
    }
}

fn unknown_source(sources: &[SourceRules], host: &str) -> ApiError {
    let sites: Vec<String> = sources
        .iter()
        .filter(|s| !s.hosts.is_empty())
        .map(|s| format!("{}（{}）", s.name, s.host_entries().join("、")))
        .collect();
    let open: Vec<String> = sources
        .iter()
        .filter(|s| s.needs_confirmation)
        .map(|s| format!("“{}”（source_id={}）", s.name, s.id))
        .collect();
    let mut detail = format!(
        "链接所在网站（{host}）不在协会认可的网站之列。可提交的网站：{}。",
        if sites.is_empty() {
            "暂无".to_owned()
        } else {
            sites.join("；")
        }
    );
    if !open.is_empty() {
        detail.push_str(&format!(
            "省级以上媒体的报道请选择来源{}后提交，由秘书处确认。",
            open.join("或")
        ));
    }
    let accepted: Vec<serde_json::Value> = sources
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "name": s.name,
                "kind": s.kind.as_str(),
                "hosts": s.host_entries(),
                "needs_confirmation": s.needs_confirmation,
            })
        })
        .collect();
    ApiError::new(ErrorCode::UnknownSource)
        .with_detail(detail)
        .with_extension("accepted_sources", accepted.into())
}

fn duplicate(existing_id: i64) -> ApiError {
    ApiError::new(ErrorCode::DuplicateArticle)
        .with_detail(format!(
            "这篇文章已经提交过（稿件编号 {existing_id}），请勿重复提交。"
        ))
        .with_extension("existing_article_id", existing_id.into())
}

/// Submit an article (correspondent; the secretariat may submit on behalf of a school).
///
/// The URL is canonicalised and must be new (409 `DUPLICATE_ARTICLE` names
/// the existing article in `existing_article_id`) and on the site of a
/// configured source (422 `UNKNOWN_SOURCE` lists the accepted sites in
/// `accepted_sources`). The article is created `pending`; the server then
/// fetches the page in the background and fills in title, publication date,
/// column and a text fingerprint — poll `GET /articles/{id}`
/// (`verification.status`). A page that cannot be fetched is never an error
/// here: the article stays pending with `verification.reason`.
/// `Idempotency-Key` is honoured: a retry with the same key answers the first
/// result and creates nothing. Rate limited per member (30 per minute).
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key answers the first result (1–255 visible ASCII characters, e.g. a UUID)")),
    request_body = ArticleInput,
    responses(
        (status = 201, body = ArticleView, description = "Created (or, with `Idempotent-Replayed: true`, the first answer to this key)"),
        (status = 403, description = "`FORBIDDEN`: not a correspondent of the school"),
        (status = 409, description = "`DUPLICATE_ARTICLE` (with `existing_article_id`) or `IDEMPOTENCY_KEY_IN_PROGRESS`"),
        (status = 422, description = "`VALIDATION_FAILED`, `UNKNOWN_SOURCE` (with `accepted_sources`), `CONTENT_RISKY` (the title failed WeChat's content check) or `IDEMPOTENCY_KEY_REUSED`"),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`"),
        (status = 503, description = "`WECHAT_UNAVAILABLE`: the content check could not run; retry later"),
    )
)]
#[post("/articles")]
pub async fn submit_article(
    state: web::Data<AppState>,
    verifier: web::Data<Verifier>,
    CorrespondentOrSecretariat(p): CorrespondentOrSecretariat,
    key: IdempotencyKey,
    body: ValidJson<ArticleInput>,
) -> ApiResult<HttpResponse> {
    rate_limit::check(&state.cache, SUBMIT_LIMIT, &p.id().to_string()).await?;
    let input = body.0;
    let now = state.now();
    let url = check_submission(&input, now)?;
    let school_id = resolve_school(&p, input.school_id)?;
    if school::Entity::find_by_id(school_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "/school_id",
            "not_found",
            "学校不存在。",
        )]));
    }
    if let Some(author) = input.first_author_member_id {
        check_first_author(&state.db, author, school_id).await?;
    }
    let sources = rules::load_sources(&state.db).await?;
    let (source, fetchable) = resolve_source(&sources, &url, input.source_id)?;
    // A title typed by the submitter is shown to others: WeChat's content check.
    if let Some(title) = input.title.as_deref() {
        crate::wechat::content_check::check(
            state.wechat.as_ref(),
            &p.member.openid,
            crate::wechat::content_check::SCENE_FORUM,
            title,
            "/title",
        )
        .await?;
    }
    let request_hash = idempotency::fingerprint("POST", "/api/v1/articles", &input)?;
    let new = new_article(&input, &url, school_id, p.id(), &source, fetchable, now);
    let url_key = url.key();
    let viewer = p.clone();
    let stored = idempotency::run(
        &state.db,
        now,
        &p.id().to_string(),
        key.0.as_deref(),
        &request_hash,
        |tx| {
            let new = new.clone();
            let (url_key, viewer) = (&url_key, &viewer);
            async move {
                let txn = &*tx;
                let a = insert_unique(txn, new, url_key).await?;
                rules::refresh_likely_duplicates(txn, &a, now).await?;
                let view = one_view(txn, &a, viewer).await?;
                Stored::new(StatusCode::CREATED, &view)
            }
        },
    )
    .await?;
    if !stored.replayed
        && stored.status == StatusCode::CREATED
        && fetchable
        && let Some(id) = stored.body.get("id").and_then(serde_json::Value::as_i64)
    {
        verifier.spawn(id);
    }
    Ok(stored.into_response())
}

/// The field rules of a submission; answers the canonical URL.
fn check_submission(input: &ArticleInput, now: DateTime<chrono::Utc>) -> ApiResult<CanonicalUrl> {
    let mut errors = Vec::new();
    if !input.declared_original {
        errors.push(FieldError::new(
            "/declared_original",
            "declaration",
            "须声明稿件为本校原创（转载自其他媒体的稿件不计分）。",
        ));
    }
    let url = CanonicalUrl::parse(&input.url)
        .map_err(|e| errors.push(FieldError::new("/url", e.code(), e.message())))
        .ok();
    match (&input.first_author_member_id, &input.first_author_name) {
        (Some(_), Some(_)) => errors.push(FieldError::new(
            "/first_author_name",
            "exclusive",
            "第一作者请二选一：本校成员（first_author_member_id）或姓名（first_author_name）。",
        )),
        (None, None) => errors.push(FieldError::new(
            "/first_author_name",
            "required",
            "请填写第一作者。",
        )),
        _ => {}
    }
    if let Some(d) = input.published_on {
        if d > china_date(now) {
            errors.push(FieldError::new(
                "/published_on",
                "future",
                "发布日期不能晚于今天。",
            ));
        } else if d.year() < 2000 {
            errors.push(FieldError::new(
                "/published_on",
                "range",
                "发布日期不正确。",
            ));
        }
    }
    match url {
        Some(url) if errors.is_empty() => Ok(url),
        _ => Err(ApiError::validation(errors)),
    }
}

/// The first author, when a member, must be a correspondent of the school.
async fn check_first_author(
    db: &impl ConnectionTrait,
    author: i64,
    school_id: i64,
) -> ApiResult<()> {
    let member_of_school = member_role::Entity::find()
        .filter(member_role::Column::MemberId.eq(author))
        .filter(member_role::Column::Role.eq(Role::Correspondent.as_str()))
        .filter(member_role::Column::SchoolId.eq(school_id))
        .one(db)
        .await?
        .is_some();
    if member_of_school {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new(
            "/first_author_member_id",
            "not_member",
            "第一作者须是本校的成员；否则请填写姓名（first_author_name）。",
        )]))
    }
}

/// The source of a link: the one whose host it is on; or, for a link on any
/// other site, a source that needs confirmation named by `source_id` (then
/// the page is not fetched). Answers the source and whether to fetch.
fn resolve_source(
    sources: &[SourceRules],
    url: &CanonicalUrl,
    source_id: Option<i64>,
) -> ApiResult<(SourceRules, bool)> {
    let port = url.as_url().port_or_known_default();
    match (rules::source_for(sources, url.host(), port), source_id) {
        (Some(s), None) => Ok((s.clone(), true)),
        (Some(s), Some(id)) if s.id == id => Ok((s.clone(), true)),
        (Some(s), Some(_)) => Err(ApiError::validation(vec![FieldError::new(
            "/source_id",
            "mismatch",
            format!("该链接属于“{}”，与所选来源不符。", s.name),
        )])),
        (None, Some(id)) => match sources.iter().find(|s| s.id == id) {
            Some(s) if s.needs_confirmation => Ok((s.clone(), false)),
            Some(_) => Err(unknown_source(sources, url.host())),
            None => Err(ApiError::validation(vec![FieldError::new(
                "/source_id",
                "not_found",
                "来源不存在。",
            )])),
        },
        (None, None) => Err(unknown_source(sources, url.host())),
    }
}

/// A new pending article; its effective facts are the submitter's until the page is read.
fn new_article(
    input: &ArticleInput,
    url: &CanonicalUrl,
    school_id: i64,
    submitter: i64,
    source: &SourceRules,
    fetchable: bool,
    now: DateTime<chrono::Utc>,
) -> article::ActiveModel {
    let trimmed = |s: &Option<String>| s.as_deref().map(str::trim).map(str::to_owned);
    let (title, column, author_name) = (
        trimmed(&input.title),
        trimmed(&input.column),
        trimmed(&input.first_author_name),
    );
    let published_at = input.published_on.and_then(rules::published_at_of_day);
    let verification = if fetchable {
        VerificationStatus::Pending
    } else {
        VerificationStatus::Skipped
    };
    article::ActiveModel {
        school_id: Set(school_id),
        submitted_by: Set(submitter),
        first_author_member_id: Set(input.first_author_member_id),
        author_key: Set(rules::author_key(
            input.first_author_member_id,
            author_name.as_deref(),
        )),
        first_author_name: Set(author_name),
        url: Set(input.url.trim().to_owned()),
        canonical_url: Set(url.as_str().to_owned()),
        url_key: Set(Some(url.key())),
        host: Set(url.host().to_owned()),
        source_id: Set(source.id),
        source_kind: Set(source.kind.as_str().to_owned()),
        title_norm: Set(title.as_deref().and_then(fingerprint::title_key)),
        title: Set(title.clone()),
        column_name: Set(column.clone()),
        published_at: Set(published_at),
        credit_year: Set(published_at.map(rules::credit_year)),
        declared_title: Set(title),
        declared_column: Set(column),
        declared_published_on: Set(input.published_on),
        declared_original: Set(input.declared_original),
        verification_status: Set(verification.as_str().to_owned()),
        verification_reason: Set((!fetchable)
            .then(|| "该链接的网站不在自动核验的网站之列，由秘书处人工核实。".to_owned())),
        status: Set(ArticleStatus::Pending.as_str().to_owned()),
        site_points: Set(0),
        bonus_points: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Inserts the article unless its URL is taken (409 `DUPLICATE_ARTICLE`
/// naming the existing one). The insert runs in a savepoint so that a
/// concurrent twin's unique violation leaves the transaction usable
/// (PostgreSQL aborts a transaction on any error) to look up the twin.
async fn insert_unique(
    txn: &sea_orm::DatabaseTransaction,
    new: article::ActiveModel,
    url_key: &str,
) -> ApiResult<article::Model> {
    let existing = || {
        article::Entity::find()
            .filter(article::Column::UrlKey.eq(url_key))
            .one(txn)
    };
    if let Some(x) = existing().await? {
        return Err(duplicate(x.id));
    }
    let savepoint = txn.begin().await?;
    match new.insert(&savepoint).await {
        Ok(a) => {
            savepoint.commit().await?;
            Ok(a)
        }
        Err(e) if crate::platform::db::is_unique_violation(&e) => {
            savepoint.rollback().await?;
            match existing().await? {
                Some(x) => Err(duplicate(x.id)),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- read

/// Whose articles a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Articles I submitted or am first author of.
    Mine,
    /// Articles of my schools (secretariat and council: every school, or `school_id`).
    School,
    /// Every article (secretariat and council).
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Default: `all` for the secretariat and the council, `mine` for others.
    pub scope: Option<Scope>,
    /// Credit year (publication year in China time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub status: Option<ArticleStatus>,
    /// Only this school (one of mine for a correspondent).
    pub school_id: Option<i64>,
    /// `true`: only articles with an unresolved likely duplicate (secretariat only).
    pub likely_duplicate: Option<bool>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Articles, newest first, with filters: a correspondent's own (`mine`) or
/// their schools' (`school`); the secretariat and the council read all. The
/// secretariat's review queue is `scope=all&status=pending`, with
/// `likely_duplicate=true` for the pairs that are probably the same story.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(ArticleQuery),
    responses((status = 200, body = Page<ArticleView>), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/articles")]
pub async fn list_articles(
    state: web::Data<AppState>,
    ArticleReader(p): ArticleReader,
    q: web::Query<ArticleQuery>,
) -> ApiResult<HttpResponse> {
    if q.likely_duplicate.is_some() && !p.is_secretariat() {
        return Err(ApiError::forbidden().with_detail("仅秘书处可以查看疑似重复稿件。"));
    }
    let scope = q.scope.unwrap_or(if reads_all(&p) {
        Scope::All
    } else {
        Scope::Mine
    });
    let mut cond = Condition::all();
    match scope {
        Scope::Mine => {
            cond = cond.add(
                Condition::any()
                    .add(article::Column::SubmittedBy.eq(p.id()))
                    .add(article::Column::FirstAuthorMemberId.eq(p.id())),
            );
            if let Some(s) = q.school_id {
                cond = cond.add(article::Column::SchoolId.eq(s));
            }
        }
        Scope::School if reads_all(&p) => {
            if let Some(s) = q.school_id {
                cond = cond.add(article::Column::SchoolId.eq(s));
            }
        }
        Scope::School => {
            let mine = p.school_ids();
            match q.school_id {
                Some(s) if mine.contains(&s) => cond = cond.add(article::Column::SchoolId.eq(s)),
                Some(_) => {
                    return Err(ApiError::forbidden().with_detail("只能查看本校的稿件。"));
                }
                None => cond = cond.add(article::Column::SchoolId.is_in(mine)),
            }
        }
        Scope::All if reads_all(&p) => {
            if let Some(s) = q.school_id {
                cond = cond.add(article::Column::SchoolId.eq(s));
            }
        }
        Scope::All => {
            return Err(ApiError::forbidden().with_detail("仅秘书处和理事会可以查看全部稿件。"));
        }
    }
    if let Some(y) = q.year {
        cond = cond.add(article::Column::CreditYear.eq(y));
    }
    if let Some(s) = q.status {
        cond = cond.add(article::Column::Status.eq(s.as_str()));
    }
    match q.likely_duplicate {
        Some(true) => cond = cond.add(Expr::cust(rules::has_open_duplicate_sql())),
        Some(false) => {
            cond = cond.add(Expr::cust(format!(
                "NOT {}",
                rules::has_open_duplicate_sql()
            )))
        }
        None => {}
    }
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(
        &state.page_token_key,
        format!(
            "articles?m={}&sc={:?}&y={:?}&st={:?}&s={:?}&d={:?}",
            p.id(),
            scope,
            q.year,
            q.status,
            q.school_id,
            q.likely_duplicate
        ),
    );
    let before: Option<i64> = tokens.cursor(&params)?;
    if let Some(b) = before {
        cond = cond.add(article::Column::Id.lt(b));
    }
    let rows = article::Entity::find()
        .filter(cond)
        .order_by_desc(article::Column::Id)
        .limit(params.size() + 1)
        .all(&state.db)
        .await?;
    let n = names(&state.db, &rows, p.is_secretariat()).await?;
    let views: Vec<ArticleView> = rows.iter().map(|a| view(a, &n)).collect();
    let page: Page<ArticleView> = tokens.page(views, params.size(), |a| a.id)?;
    Ok(HttpResponse::Ok().json(page))
}

/// One article with its status, verification, points and (for the
/// secretariat) its likely duplicates.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, body = ArticleView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[get("/articles/{id}")]
pub async fn get_article(
    state: web::Data<AppState>,
    ArticleReader(p): ArticleReader,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let a = find_article(&state.db, *path).await?;
    if !can_read(&p, &a) {
        return Err(ApiError::forbidden().with_detail("只能查看本校的稿件。"));
    }
    Ok(HttpResponse::Ok().json(one_view(&state.db, &a, &p).await?))
}

// ---------------------------------------------------------------- withdraw

/// A snapshot of what review, merge and withdrawal change, for the audit log.
#[derive(Debug, Serialize)]
struct Snapshot {
    status: String,
    title: Option<String>,
    column: Option<String>,
    published_at: Option<DateTime<FixedOffset>>,
    credit_year: Option<i32>,
    confirmed_level: Option<String>,
    duplicate_group_id: Option<i64>,
    site_points: i32,
    bonus_points: i32,
}

impl From<&article::Model> for Snapshot {
    fn from(a: &article::Model) -> Self {
        Self {
            status: a.status.clone(),
            title: a.title.clone(),
            column: a.column_name.clone(),
            published_at: a.published_at.map(to_china),
            credit_year: a.credit_year,
            confirmed_level: a.confirmed_level.clone(),
            duplicate_group_id: a.duplicate_group_id,
            site_points: a.site_points,
            bonus_points: a.bonus_points,
        }
    }
}

/// Withdraw an article. Its school's correspondents (and its submitter)
/// withdraw it while pending; once reviewed only the secretariat can (409
/// `ARTICLE_ALREADY_REVIEWED` for others). A withdrawn link can be submitted
/// again. Withdrawing a withdrawn article is a no-op.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`ARTICLE_ALREADY_REVIEWED`: only the secretariat changes a reviewed article"),
    )
)]
#[delete("/articles/{id}")]
pub async fn withdraw_article(
    state: web::Data<AppState>,
    CorrespondentOrSecretariat(p): CorrespondentOrSecretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let a = find_article(&txn, *path).await?;
    let secretariat = p.is_secretariat();
    if !secretariat && !owns(&p, &a) {
        return Err(ApiError::forbidden().with_detail("只能撤回本校的稿件。"));
    }
    if a.status == ArticleStatus::Withdrawn.as_str() {
        return Ok(HttpResponse::NoContent().finish());
    }
    if !secretariat && a.status != ArticleStatus::Pending.as_str() {
        return Err(ApiError::new(ErrorCode::ArticleAlreadyReviewed));
    }
    let mut am: article::ActiveModel = a.clone().into();
    am.status = Set(ArticleStatus::Withdrawn.as_str().to_owned());
    am.url_key = Set(None);
    am.updated_at = Set(now);
    am.update(&txn).await?;
    rules::recompute_points(&txn, a.id).await?;
    if secretariat {
        let after = find_article(&txn, a.id).await?;
        audit::record(
            &txn,
            now,
            Entry::by(&p, Role::Secretariat, "article.withdraw", "article", a.id),
            Some(&Snapshot::from(&a)),
            Some(&Snapshot::from(&after)),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- review

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub decision: Decision,
    /// Required for `reject` and `repost` (shown to the school); at most 500 characters.
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    pub reason: Option<String>,
    /// Required to approve an article of a source that needs confirmation
    /// (provincial-or-higher media): the outlet's level.
    pub confirmed_level: Option<OutletLevel>,
    /// Corrects the publication date (China time), e.g. when the page could not be fetched.
    pub published_on: Option<NaiveDate>,
    /// Corrects the column.
    #[validate(
        length(min = 1, max = 64, message = "栏目须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub column: Option<String>,
    /// Corrects the title.
    #[validate(
        length(min = 1, max = 200, message = "标题须为 1–200 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub title: Option<String>,
}

/// Review an article (secretariat): approve, reject with a reason, or mark as
/// a repost (转载) with a reason. May correct title, column and publication
/// date. A reviewed article can be reviewed again. Audited; points are
/// recomputed for the article's duplicate group.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    request_body = ReviewInput,
    responses(
        (status = 200, body = ArticleView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`ARTICLE_WITHDRAWN`"),
        (status = 422, description = "`VALIDATION_FAILED`: a reason is required, or approving needs a publication date / confirmed level"),
    )
)]
#[post("/articles/{id}/review")]
pub async fn review_article(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if input.decision != Decision::Approve && reason.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            "退回或认定为转载时须说明原因。",
        )]));
    }
    let now = state.now();
    if input
        .published_on
        .is_some_and(|d| d > china_date(now) || d.year() < 2000)
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "/published_on",
            "range",
            "发布日期须在 2000 年之后且不晚于今天。",
        )]));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let before = find_article(&txn, *path).await?;
    if before.status == ArticleStatus::Withdrawn.as_str() {
        return Err(ApiError::new(ErrorCode::ArticleWithdrawn));
    }
    let source_model = source::Entity::find_by_id(before.source_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("article without source")))?;
    let source = SourceRules::from_model(&source_model)?;
    let mut am: article::ActiveModel = before.clone().into();
    let mut credit_year = before.credit_year;
    let mut facts_changed = false;
    if let Some(d) = input.published_on {
        let at = rules::published_at_of_day(d);
        credit_year = at.map(rules::credit_year);
        am.published_at = Set(at);
        am.credit_year = Set(credit_year);
        facts_changed = true;
    }
    if let Some(c) = &input.column {
        am.column_name = Set(Some(c.trim().to_owned()));
    }
    if let Some(t) = &input.title {
        let t = t.trim().to_owned();
        am.title_norm = Set(fingerprint::title_key(&t));
        am.title = Set(Some(t));
        facts_changed = true;
    }
    let status = match input.decision {
        Decision::Approve => {
            let mut errors = Vec::new();
            if credit_year.is_none() {
                errors.push(FieldError::new(
                    "/published_on",
                    "required",
                    "发布日期未知，批准前请填写发布日期（published_on）。",
                ));
            }
            if source.needs_confirmation
                && input.confirmed_level.is_none()
                && before.confirmed_level.is_none()
            {
                errors.push(FieldError::new(
                    "/confirmed_level",
                    "required",
                    format!(
                        "“{}”的稿件须确认媒体级别（省级或国家级）后才能批准。",
                        source.name
                    ),
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            ArticleStatus::Approved
        }
        Decision::Reject => ArticleStatus::Rejected,
        Decision::Repost => ArticleStatus::Repost,
    };
    if let Some(level) = input.confirmed_level {
        am.confirmed_level = Set(Some(level.as_str().to_owned()));
    }
    am.status = Set(status.as_str().to_owned());
    am.review_reason = Set(reason.map(str::to_owned));
    am.reviewed_by = Set(Some(p.id()));
    am.reviewed_at = Set(Some(now));
    am.updated_at = Set(now);
    let updated = am.update(&txn).await?;
    if facts_changed {
        rules::refresh_likely_duplicates(&txn, &updated, now).await?;
    }
    rules::recompute_points(&txn, updated.id).await?;
    let after = find_article(&txn, updated.id).await?;
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "article.review", "article", after.id).reason(reason),
        Some(&Snapshot::from(&before)),
        Some(&Snapshot::from(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(one_view(&state.db, &after, &p).await?))
}

// ---------------------------------------------------------------- merge

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The article this one is the same story as.
    pub into_id: i64,
    /// Why (kept in the audit log).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    pub reason: Option<String>,
}

/// Merge an article with another as one story (secretariat): both (and the
/// groups they are already in) end up in one duplicate group, which counts
/// once. Audited.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    request_body = MergeInput,
    responses(
        (status = 200, body = ArticleView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`ARTICLE_WITHDRAWN`"),
    )
)]
#[post("/articles/{id}/merge")]
pub async fn merge_article(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<MergeInput>,
) -> ApiResult<HttpResponse> {
    let id = *path;
    if body.into_id == id {
        return Err(ApiError::validation(vec![FieldError::new(
            "/into_id",
            "self",
            "不能与自身合并。",
        )]));
    }
    let now = state.now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let a = find_article(&txn, id).await?;
    let Some(into) = article::Entity::find_by_id(body.into_id).one(&txn).await? else {
        return Err(ApiError::validation(vec![FieldError::new(
            "/into_id",
            "not_found",
            "要合并到的稿件不存在。",
        )]));
    };
    if a.status == ArticleStatus::Withdrawn.as_str()
        || into.status == ArticleStatus::Withdrawn.as_str()
    {
        return Err(
            ApiError::new(ErrorCode::ArticleWithdrawn).with_detail("已撤回的稿件不能合并。")
        );
    }
    let group = into.duplicate_group_id.unwrap_or(into.id);
    if into.duplicate_group_id.is_none() {
        article::Entity::update_many()
            .col_expr(article::Column::DuplicateGroupId, Expr::val(group))
            .col_expr(article::Column::UpdatedAt, Expr::val(now))
            .filter(article::Column::Id.eq(into.id))
            .exec(&txn)
            .await?;
    }
    let moved = article::Entity::update_many()
        .col_expr(article::Column::DuplicateGroupId, Expr::val(group))
        .col_expr(article::Column::UpdatedAt, Expr::val(now));
    match a.duplicate_group_id {
        Some(old) if old != group => {
            moved
                .filter(article::Column::DuplicateGroupId.eq(old))
                .exec(&txn)
                .await?;
        }
        Some(_) => {}
        None => {
            moved
                .filter(article::Column::Id.eq(a.id))
                .exec(&txn)
                .await?;
        }
    }
    rules::recompute_points(&txn, a.id).await?;
    let after = find_article(&txn, a.id).await?;
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "article.merge", "article", a.id)
            .reason(body.reason.as_deref()),
        Some(&serde_json::json!({"duplicate_group_id": a.duplicate_group_id, "into_id": into.id})),
        Some(&Snapshot::from(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(one_view(&state.db, &after, &p).await?))
}
