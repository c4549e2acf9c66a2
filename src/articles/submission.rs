//! Submitting an article (SPEC §A): the link is canonicalised and must be
//! new and on the site of a configured source, the first author checked, a
//! typed title put through WeChat's content check; the article is inserted
//! `pending` once per `Idempotency-Key`, and its page is then verified in the
//! background. The data goes down once: the use case → canonical URL, rules,
//! idempotency, storage.

use actix_web::http::StatusCode;
use chrono::{DateTime, Datelike, Utc};
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::articles::authors;
use crate::articles::canonical_url::CanonicalUrl;
use crate::articles::fingerprint;
use crate::articles::listing::{Known, can_read, submitted_view};
use crate::articles::model::{AcceptedSource, ArticleInput};
use crate::articles::rules::{self, ArticleStatus, SourceRules, VerificationStatus};
use crate::articles::sources;
use crate::articles::verify::VerifyPage;
use crate::entity::{article, member_role, school};
use crate::platform::cache::Cache;
use crate::platform::clock::china_date;
use crate::platform::db::{Tx, is_unique_violation};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::idempotency::{self, Stored};
use crate::platform::jobs::{self, Schedule};
use crate::platform::rate_limit::{self, Rule};
use crate::wechat::WeChat;
use crate::wechat::content_check;

/// Submissions per member (a burst on a deadline evening is fine, a script is not).
pub const SUBMIT_LIMIT: Rule = Rule {
    name: "article-submit",
    limit: 30,
    window: std::time::Duration::from_secs(60),
};

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
    let accepted: Vec<AcceptedSource> = sources
        .iter()
        .map(|s| AcceptedSource {
            id: s.id,
            name: s.name.clone(),
            kind: s.kind,
            hosts: s.host_entries(),
            needs_confirmation: s.needs_confirmation,
        })
        .collect();
    ApiError::new(ErrorCode::UnknownSource)
        .with_detail(detail)
        .with_extension(
            "accepted_sources",
            serde_json::to_value(accepted).unwrap_or_default(),
        )
}

/// SPEC §A rule 2 ("a second submission of the same article answers `409`
/// and names the existing one") within §D ("nothing about other … schools'
/// private data leaks"): 409 `DUPLICATE_ARTICLE` naming the existing article
/// (`existing_article_id`) when the submitter may open it (their school's,
/// or the secretariat); otherwise 409 `ARTICLE_CREDITED_ELSEWHERE`, saying it
/// counts for another school, with no id, school or title.
fn duplicate(existing: &article::Model, submitter: &Principal) -> ApiError {
    if !can_read(submitter, existing) {
        return ApiError::new(ErrorCode::ArticleCreditedElsewhere);
    }
    let existing_id = existing.id;
    ApiError::new(ErrorCode::DuplicateArticle)
        .with_detail(format!(
            "这篇文章已经提交过（稿件编号 {existing_id}），请勿重复提交。"
        ))
        .with_extension("existing_article_id", existing_id.into())
}

/// Submits an article for `p` (a correspondent, or the secretariat on behalf
/// of a school): rate limit, field rules, school, first author, source,
/// content check, then the insert in the unit of work once per
/// `idempotency_key`.
///
/// Every statement asks what the request does not know yet: the sources are
/// the remembered configuration ([`sources::current`]), the submitter's own
/// roles come with the principal, the link's uniqueness is the unique index's
/// answer, and the 201 view is built from the rows at hand.
pub async fn submit(
    db: &DatabaseConnection,
    cache: &Cache,
    wechat: Option<&WeChat>,
    p: &Principal,
    input: &ArticleInput,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Stored> {
    rate_limit::check(cache, SUBMIT_LIMIT, &p.id().to_string()).await?;
    let url = check_submission(input, now)?;
    let school_id = resolve_school(p, input.school_id)?;
    let Some(school) = school::Entity::find_by_id(school_id).one(db).await? else {
        return Err(ApiError::validation(vec![FieldError::new(
            "/school_id",
            "not_found",
            "学校不存在。",
        )]));
    };
    let first_author = first_author_of(p, input, school_id)?;
    if let Some(author) = first_author {
        check_first_author(db, p, author, school_id).await?;
    }
    let sources = sources::current(cache, db).await?;
    let (source, fetchable) = resolve_source(&sources, &url, input.source_id)?;
    // A title typed by the submitter is shown to others: WeChat's content check.
    if let Some(title) = input.title.as_deref() {
        content_check::check(
            wechat,
            &p.member.openid,
            content_check::SCENE_FORUM,
            title,
            "/title",
        )
        .await?;
    }
    let request_hash = idempotency::fingerprint("POST", "/api/v1/articles", input)?;
    let input = &ArticleInput {
        first_author_member_id: first_author,
        ..input.clone()
    };
    let new = new_article(input, &url, school_id, p.id(), &source, fetchable, now);
    let known = || Known {
        school_name: school.name.clone(),
        source_name: source.name.clone(),
        source_kind: source.kind,
        // The submitter's name is at hand; another member's is read.
        author_name: (first_author == Some(p.id())).then(|| {
            p.member
                .real_name
                .clone()
                .unwrap_or(p.member.display_name.clone())
        }),
        has_duplicates: false,
    };
    let taken = AtomicBool::new(false);
    let taken = &taken;
    let answer = idempotency::run(
        db,
        now,
        &p.id().to_string(),
        idempotency_key,
        &request_hash,
        |tx| {
            let first_author = (
                input.first_author_member_id,
                input
                    .first_author_name
                    .as_deref()
                    .map(str::trim)
                    .map(str::to_owned),
            );
            create(
                tx,
                new.clone(),
                school_id,
                first_author,
                known(),
                p,
                taken,
                now,
            )
        },
    )
    .await;
    match answer {
        Err(_) if taken.load(Ordering::Relaxed) => Err(link_taken(db, &url.key(), p).await),
        other => other,
    }
}

/// The effect of a submission in its unit of work: the article, its likely
/// duplicates, and its view as the 201 answer. A link already taken is the
/// unique index's answer: `taken` is set and the unit of work rolled back.
#[allow(clippy::too_many_arguments)]
async fn create(
    tx: Tx,
    new: article::ActiveModel,
    school_id: i64,
    first_author: (Option<i64>, Option<String>),
    mut known: Known,
    viewer: &Principal,
    taken: &AtomicBool,
    now: DateTime<Utc>,
) -> ApiResult<Stored> {
    let txn = &*tx;
    // The first author as a person of the school's registry.
    let mut new = new;
    let (member_id, typed) = first_author;
    let credited = authors::resolve(txn, school_id, member_id, typed.as_deref(), now).await?;
    if credited.member_id.is_some_and(|m| Some(m) != member_id) {
        // A typed name linked to a member: their name is read for the view.
        known.author_name = None;
    }
    new.author_key = Set(credited.author_key);
    new.first_author_member_id = Set(credited.member_id.or(member_id));
    let a = match new.insert(txn).await {
        Ok(a) => a,
        Err(e) if is_unique_violation(&e) => {
            // `url_key` is the one unique rule of an article.
            taken.store(true, Ordering::Relaxed);
            return Err(ApiError::new(ErrorCode::DuplicateArticle));
        }
        Err(e) => return Err(e.into()),
    };
    if a.verification_status == VerificationStatus::Pending.as_str() {
        // In the unit of work: the job exists exactly when the article does.
        jobs::enqueue(txn, &VerifyPage { article_id: a.id }, Schedule::default()).await?;
    }
    // A new article has no pairs stored yet: nothing to replace.
    known.has_duplicates = rules::add_likely_duplicates(txn, &a, now).await? > 0;
    let view = submitted_view(txn, &a, viewer, known).await?;
    Stored::new(StatusCode::CREATED, &view)
}

/// The answer to a link already submitted (the unique index refused the
/// insert; the unit of work was rolled back): 409 [`duplicate`] naming the
/// article that holds it.
async fn link_taken(db: &DatabaseConnection, url_key: &str, submitter: &Principal) -> ApiError {
    match article::Entity::find()
        .filter(article::Column::UrlKey.eq(url_key))
        .one(db)
        .await
    {
        Ok(Some(existing)) => duplicate(&existing, submitter),
        // Withdrawn in between: the link is free again.
        Ok(None) => ApiError::new(ErrorCode::Conflict).with_detail("该链接刚被撤回，请重新提交。"),
        Err(e) => e.into(),
    }
}

/// The field rules of a submission; answers the canonical URL.
fn check_submission(input: &ArticleInput, now: DateTime<Utc>) -> ApiResult<CanonicalUrl> {
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
    // Neither given: the submitter is the first author (see `first_author_of`).
    if input.first_author_member_id.is_some() && input.first_author_name.is_some() {
        errors.push(FieldError::new(
            "/first_author_name",
            "exclusive",
            "第一作者请二选一：本校成员（first_author_member_id）或姓名（first_author_name）。",
        ));
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

/// The first author as a member id: the one named, none when a name is
/// given — or, when neither is given, the submitter ("I am the first
/// author"), provided they are a correspondent of the school. Anyone else
/// (the secretariat submitting for a school it is no correspondent of) must
/// name the author: 422 `required` on `/first_author_name`.
fn first_author_of(p: &Principal, input: &ArticleInput, school_id: i64) -> ApiResult<Option<i64>> {
    match (input.first_author_member_id, &input.first_author_name) {
        (Some(id), _) => Ok(Some(id)),
        (None, Some(_)) => Ok(None),
        (None, None) if p.school_ids().contains(&school_id) => Ok(Some(p.id())),
        (None, None) => Err(ApiError::validation(vec![FieldError::new(
            "/first_author_name",
            "required",
            "您不是该校的通讯员，代学校提交时请填写第一作者：本校成员（first_author_member_id）或姓名（first_author_name）。",
        )])),
    }
}

/// The first author, when a member, must be a correspondent of the school
/// (the submitter's roles are the principal's; another member's are read).
async fn check_first_author(
    db: &impl ConnectionTrait,
    p: &Principal,
    author: i64,
    school_id: i64,
) -> ApiResult<()> {
    let member_of_school = if author == p.id() {
        p.school_ids().contains(&school_id)
    } else {
        member_role::Entity::find()
            .filter(member_role::Column::MemberId.eq(author))
            .filter(member_role::Column::Role.eq(Role::Correspondent.as_str()))
            .filter(member_role::Column::SchoolId.eq(school_id))
            .one(db)
            .await?
            .is_some()
    };
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
    now: DateTime<Utc>,
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
