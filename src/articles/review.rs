//! Changing a submitted article (SPEC §A): the secretariat's review
//! (approve, reject, repost, with corrections), merging duplicates as one
//! story, and withdrawal. Each runs in the unit of work with the article's
//! row locked first, recomputes the points of the article's duplicate group
//! and, for the secretariat, writes its audit row.

use actix_web::http::StatusCode;
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::Serialize;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::articles::fingerprint;
use crate::articles::listing::{find_article, no_such_article, one_view};
use crate::articles::model::{
    ArticleView, BATCH_REVIEW_MAX, BatchReviewInput, BatchReviewResult, BatchReviewView,
    MergeInput, ReviewInput,
};
use crate::articles::rules::{self, ArticleStatus, Decision, SourceRules, VerificationStatus};
use crate::articles::totals::{self, PersonKey};
use crate::articles::verify::VerifyPage;
use crate::entity::{article, source};
use crate::identity::lookup::decided_by;
use crate::notifications::{self, events};
use crate::platform::audit::{self, Entry};
use crate::platform::batch;
use crate::platform::clock::{china_date, to_china};
use crate::platform::db::Tx;
use crate::platform::decision::{StaleDecision, revision_reason};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::idempotency::{self, Stored};
use crate::platform::jobs;

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
    reviewed_by: Option<i64>,
    reviewed_at: Option<DateTime<FixedOffset>>,
    /// Approved while the page check was still running.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    approved_on_typed_data: bool,
    /// The page's disagreement with the approved facts, while flagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    page_mismatch: Option<serde_json::Value>,
    /// Set on a deliberate change of an earlier decision (改判): the decision it replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<Revision>,
}

/// The earlier decision a review changed on purpose, as the audit log keeps it.
#[derive(Debug, Serialize)]
struct Revision {
    revises: &'static str,
    decided_by: Option<i64>,
    decided_at: Option<DateTime<FixedOffset>>,
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
            reviewed_by: a.reviewed_by,
            reviewed_at: a.reviewed_at.map(to_china),
            approved_on_typed_data: a.approved_on_typed_data,
            page_mismatch: a
                .page_mismatch
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            revision: None,
        }
    }
}

/// The decision an article's status records, in the vocabulary of the
/// review request, and in Chinese.
fn decision_of(status: ArticleStatus) -> (&'static str, &'static str) {
    match status {
        ArticleStatus::Approved => (Decision::Approve.as_str(), "将该稿件审核为“批准”"),
        ArticleStatus::Rejected => (Decision::Reject.as_str(), "将该稿件退回"),
        ArticleStatus::Repost => (Decision::Repost.as_str(), "将该稿件认定为转载"),
        ArticleStatus::Pending => ("none", "尚未审核该稿件"),
        ArticleStatus::Withdrawn => ("withdraw", "撤回了该稿件"),
    }
}

/// 409 `STALE_DECISION` naming the review in force on `a`.
async fn stale_review(db: &impl ConnectionTrait, a: &article::Model) -> ApiResult<ApiError> {
    let status = ArticleStatus::parse(&a.status).unwrap_or(ArticleStatus::Pending);
    let (decision, label) = decision_of(status);
    Ok(StaleDecision::new(
        decided_by(db, a.reviewed_by).await?,
        decision,
        a.reviewed_at,
        status.as_str(),
        label,
    )
    .reason(a.review_reason.clone())
    .into_error())
}

/// The submitter or a correspondent of the article's school may withdraw it while pending.
fn owns(p: &Principal, a: &article::Model) -> bool {
    a.submitted_by == p.id() || p.school_ids().contains(&a.school_id)
}

/// Reads an article and locks its row until the unit of work ends
/// (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write lock is already held).
async fn lock(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<article::Model>> {
    Ok(article::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?)
}

/// [`lock`], answering 404 `NOT_FOUND` when there is no such article.
async fn lock_article(db: &impl ConnectionTrait, id: i64) -> ApiResult<article::Model> {
    lock(db, id).await?.ok_or_else(no_such_article)
}

/// Locks two articles in ascending id order, whichever is named first, so
/// that a merge of A into B racing one of B into A waits for the other
/// instead of deadlocking. Answers them in the order asked.
async fn lock_pair(
    db: &impl ConnectionTrait,
    x: i64,
    y: i64,
) -> ApiResult<(Option<article::Model>, Option<article::Model>)> {
    let (low, high) = (x.min(y), x.max(y));
    let low_row = lock(db, low).await?;
    let high_row = lock(db, high).await?;
    Ok(if x <= y {
        (low_row, high_row)
    } else {
        (high_row, low_row)
    })
}

// ---------------------------------------------------------------- withdraw

/// Withdraws an article for `p`: its school's correspondents (and its
/// submitter) while pending, the secretariat at any time (audited). Its link
/// is freed for a new submission; withdrawing a withdrawn article is a no-op.
pub async fn withdraw(tx: Tx, p: &Principal, id: i64, now: DateTime<Utc>) -> ApiResult<()> {
    let txn = &*tx;
    let a = lock_article(txn, id).await?;
    let secretariat = p.is_secretariat();
    if !secretariat && !owns(p, &a) {
        return Err(ApiError::forbidden().with_detail("只能撤回本校的稿件。"));
    }
    if a.status == ArticleStatus::Withdrawn.as_str() {
        return Ok(());
    }
    if !secretariat && a.status != ArticleStatus::Pending.as_str() {
        return Err(ApiError::new(ErrorCode::ArticleAlreadyReviewed));
    }
    let mut am: article::ActiveModel = a.clone().into();
    am.status = Set(ArticleStatus::Withdrawn.as_str().to_owned());
    am.url_key = Set(None);
    am.updated_at = Set(now);
    am.update(txn).await?;
    rules::recompute_points(txn, a.id).await?;
    if secretariat {
        let after = find_article(txn, a.id).await?;
        audit::record(
            txn,
            now,
            Entry::by(p, Role::Secretariat, "article.withdraw", "article", a.id),
            Some(&Snapshot::from(&a)),
            Some(&Snapshot::from(&after)),
        )
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- verification

/// Runs the page verification of an article again (the secretariat's, after
/// it failed: the site was down, the page moved). The article is pending
/// verification again and its job is enqueued in this unit of work; the
/// worker stores the new outcome. Audited. Only a failed verification is
/// re-run: a pending one is queued already, a verified one has its facts,
/// a skipped one has no page to fetch (409 `CONFLICT`).
pub async fn rerun_verification(
    tx: Tx,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<ArticleView> {
    let txn = &*tx;
    let a = lock_article(txn, id).await?;
    if a.verification_status != VerificationStatus::Failed.as_str() {
        return Err(ApiError::new(ErrorCode::Conflict).with_detail(format!(
            "只有核验失败的稿件可以重新核验；该稿件的核验状态为 {}。",
            a.verification_status
        )));
    }
    let mut am: article::ActiveModel = a.clone().into();
    am.verification_status = Set(VerificationStatus::Pending.as_str().to_owned());
    am.verification_reason = Set(None);
    am.updated_at = Set(now);
    am.update(txn).await?;
    jobs::enqueue(
        txn,
        &VerifyPage { article_id: a.id },
        jobs::Schedule::default(),
    )
    .await?;
    let after = find_article(txn, a.id).await?;
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "article.verify", "article", a.id),
        Some(&Snapshot::from(&a)),
        Some(&Snapshot::from(&after)),
    )
    .await?;
    one_view(txn, &after, p).await
}

// ---------------------------------------------------------------- review

/// The secretariat's review of an article: approve, reject with a reason, or
/// mark as a repost with a reason, correcting title, column and publication
/// date. Audited; the points of the article's group are recomputed.
///
/// No silent overwrites: a review decides a `pending` article; once it is
/// reviewed, another review answers 409 `STALE_DECISION` naming who decided
/// what — unless it deliberately `revises` the status the article has (with
/// a reason, audited as a revision). Two members reviewing at once: the row
/// lock orders them, the first decides, the second is told.
pub async fn review(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &ReviewInput,
    now: DateTime<Utc>,
) -> ApiResult<ArticleView> {
    apply_review(&*tx, p, id, input, now).await
}

/// The rules of a review's own fields (before any article is read): a
/// reason unless approving, a revision of a reviewed status with a reason,
/// a publication date in range. Answers what the review revises.
fn check_review_fields(
    input: &ReviewInput,
    now: DateTime<Utc>,
) -> ApiResult<Option<ArticleStatus>> {
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
    let revises = match input.revises {
        None => None,
        Some(ArticleStatus::Pending | ArticleStatus::Withdrawn) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/revises",
                "one_of",
                "只能改判已批准、已退回或已认定为转载的稿件（approved、rejected、repost）。",
            )]));
        }
        Some(seen) => {
            revision_reason(input.reason.as_deref(), "/reason")?;
            Some(seen)
        }
    };
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
    Ok(revises)
}

/// [`review`] on a connection of the unit of work (the transaction itself,
/// or a batch item's savepoint).
async fn apply_review(
    txn: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
    input: &ReviewInput,
    now: DateTime<Utc>,
) -> ApiResult<ArticleView> {
    let revises = check_review_fields(input, now)?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let before = lock_article(txn, id).await?;
    if before.status == ArticleStatus::Withdrawn.as_str() {
        return Err(ApiError::new(ErrorCode::ArticleWithdrawn));
    }
    let current = ArticleStatus::parse(&before.status).unwrap_or(ArticleStatus::Pending);
    match (revises, current) {
        (None, ArticleStatus::Pending) => {}
        (Some(_), ArticleStatus::Pending) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/revises",
                "not_reviewed",
                "该稿件尚未审核，请直接审核（不带 revises）。",
            )]));
        }
        (Some(seen), now_status) if seen == now_status => {}
        _ => return Err(stale_review(txn, &before).await?),
    }
    let source_model = source::Entity::find_by_id(before.source_id)
        .one(txn)
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
    // Issue 12 item 9: an approval while the page check is still running
    // stands on the typed facts, and says so; the check, when it finishes,
    // flags a page that disagrees. A review (a revision, once reviewed)
    // decides on a flagged disagreement: the flag is cleared, the audit row
    // keeps it in `before`.
    am.approved_on_typed_data = Set(status == ArticleStatus::Approved
        && before.verification_status == VerificationStatus::Pending.as_str());
    am.page_mismatch = Set(None);
    am.page_mismatch_at = Set(None);
    am.status = Set(status.as_str().to_owned());
    am.review_reason = Set(reason.map(str::to_owned));
    am.reviewed_by = Set(Some(p.id()));
    am.reviewed_at = Set(Some(now));
    am.updated_at = Set(now);
    let updated = am.update(txn).await?;
    if facts_changed {
        rules::refresh_likely_duplicates(txn, &updated, now).await?;
    }
    rules::recompute_points(txn, updated.id).await?;
    if before.credit_year != updated.credit_year {
        // A revision moved the article to another year: the totals of both
        // years, whether or not its points changed.
        totals::refresh(
            txn,
            [&before, &updated].into_iter().filter_map(PersonKey::of),
        )
        .await?;
    }
    let after = find_article(txn, updated.id).await?;
    let mut after_snapshot = Snapshot::from(&after);
    if revises.is_some() {
        after_snapshot.revision = Some(Revision {
            revises: current.as_str(),
            decided_by: before.reviewed_by,
            decided_at: before.reviewed_at.map(to_china),
        });
    }
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "article.review", "article", after.id).reason(reason),
        Some(&Snapshot::from(&before)),
        Some(&after_snapshot),
    )
    .await?;
    // The submitter is told, in this unit of work (a batch's item too).
    notifications::notify(
        txn,
        events::article_reviewed(&after, now).into_iter().collect(),
        now,
    )
    .await?;
    one_view(txn, &after, p).await
}

// ---------------------------------------------------------------- batch review

/// Issue 12 item 6, batch work: the secretariat's reviews of many articles
/// in one call, in order. Not all-or-nothing, and no item half-done: each
/// item runs in a savepoint of the unit of work as [`review`] runs alone —
/// the same checks, the same stale-decision protection (`revises`), the
/// same audit row — and an item refused (a 4xx problem) leaves nothing of
/// itself. A failure of storage (5xx) is no item's problem: the whole batch
/// answers it and nothing is applied (the unit of work retries a deadlock).
/// The batch's articles are locked first, in ascending id order, so two
/// batches touching the same articles wait for each other rather than
/// deadlock.
pub async fn review_batch(
    db: &DatabaseConnection,
    p: &Principal,
    input: &BatchReviewInput,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Stored> {
    check_batch(input, now)?;
    let request_hash = idempotency::fingerprint("POST", "/api/v1/articles/reviews", input)?;
    idempotency::run(
        db,
        now,
        &p.id().to_string(),
        idempotency_key,
        &request_hash,
        |tx| async move { Stored::new(StatusCode::OK, &review_many(tx, p, input, now).await?) },
    )
    .await
}

/// The effect of a batch review in its unit of work (see [`review_batch`]).
async fn review_many(
    tx: Tx,
    p: &Principal,
    input: &BatchReviewInput,
    now: DateTime<Utc>,
) -> ApiResult<BatchReviewView> {
    let txn = &*tx;
    let mut ids: Vec<i64> = input.items.iter().map(|i| i.article_id).collect();
    ids.sort_unstable();
    article::Entity::find()
        .filter(article::Column::Id.is_in(ids))
        .order_by_asc(article::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    let outcomes = batch::each(&tx, &input.items, |sp, item| async move {
        apply_review(&*sp, p, item.article_id, &item.review, now).await
    })
    .await?;
    let mut results = Vec::with_capacity(outcomes.len());
    for (item, o) in input.items.iter().zip(outcomes) {
        results.push(BatchReviewResult {
            article_id: item.article_id,
            ok: o.result.is_some(),
            status: o.status,
            article: o.result,
            problem: o
                .problem
                .map(|p| serde_json::to_value(p).map_err(ApiError::internal))
                .transpose()?,
        });
    }
    Ok(BatchReviewView { results })
}

/// A batch holds 1–200 items, and each item's own fields follow the rules
/// of a single review (`/items/<i>/review/...`): a malformed item makes a
/// malformed request, refused whole before any article is read. An article
/// named twice is reviewed in order: the second meets the first's decision
/// (409 `STALE_DECISION` for that item), as two single calls would.
fn check_batch(input: &BatchReviewInput, now: DateTime<Utc>) -> ApiResult<()> {
    if input.items.is_empty() || input.items.len() > BATCH_REVIEW_MAX {
        return Err(ApiError::validation(vec![FieldError::new(
            "/items",
            "length",
            "一次批量审核 1–200 篇稿件。",
        )]));
    }
    let errors: Vec<FieldError> = input
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| check_review_fields(&item.review, now).err().map(|e| (i, e)))
        .flat_map(|(i, e)| {
            e.errors.into_iter().map(move |f| {
                FieldError::new(
                    &format!("/items/{i}/review{}", f.pointer),
                    &f.code,
                    f.message,
                )
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

// ---------------------------------------------------------------- merge

/// 409 `STALE_DECISION` naming the last merge of the group `a` is in now
/// (its latest `article.merge` in the audit log), with its `duplicate_group_id`.
async fn stale_merge(db: &impl ConnectionTrait, a: &article::Model) -> ApiResult<ApiError> {
    let members: Vec<String> = match a.duplicate_group_id {
        Some(group) => article::Entity::find()
            .select_only()
            .column(article::Column::Id)
            .filter(article::Column::DuplicateGroupId.eq(group))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .map(|id| id.to_string())
            .collect(),
        None => vec![a.id.to_string()],
    };
    let last = audit::latest(db, "article", &members, &["article.merge"]).await?;
    let status = ArticleStatus::parse(&a.status).unwrap_or(ArticleStatus::Pending);
    let error = StaleDecision::new(
        decided_by(db, last.as_ref().and_then(|e| e.actor_id)).await?,
        "merge",
        last.as_ref().map(|e| e.created_at),
        status.as_str(),
        format!("将稿件 {} 与其他稿件合并为同一篇报道", a.id),
    )
    .reason(last.and_then(|e| e.reason))
    .into_error()
    .with_extension("article_id", a.id.into())
    .with_extension("duplicate_group_id", a.duplicate_group_id.into());
    Ok(error)
}

/// The secretariat's merge of article `id` with `input.into_id` as one story:
/// both (and the groups they are in) end up in one duplicate group. Audited.
/// Safe to run again after a rollback: it reads everything it changes inside
/// its unit of work, after locking both articles. With `expected_group_id` /
/// `expected_into_group_id` (the groups as the client read them), a merge
/// made on a stale view answers 409 `STALE_DECISION` and changes nothing.
pub async fn merge(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &MergeInput,
    now: DateTime<Utc>,
) -> ApiResult<ArticleView> {
    let txn = &*tx;
    if input.into_id == id {
        return Err(ApiError::validation(vec![FieldError::new(
            "/into_id",
            "self",
            "不能与自身合并。",
        )]));
    }
    let (a, into) = lock_pair(txn, id, input.into_id).await?;
    let a = a.ok_or_else(no_such_article)?;
    let Some(into) = into else {
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
    if input
        .expected_group_id
        .is_some_and(|seen| seen != a.duplicate_group_id)
    {
        return Err(stale_merge(txn, &a).await?);
    }
    if input
        .expected_into_group_id
        .is_some_and(|seen| seen != into.duplicate_group_id)
    {
        return Err(stale_merge(txn, &into).await?);
    }
    let group = into.duplicate_group_id.unwrap_or(into.id);
    if into.duplicate_group_id.is_none() {
        article::Entity::update_many()
            .col_expr(article::Column::DuplicateGroupId, Expr::val(group))
            .col_expr(article::Column::UpdatedAt, Expr::val(now))
            .filter(article::Column::Id.eq(into.id))
            .exec(txn)
            .await?;
    }
    let moved = article::Entity::update_many()
        .col_expr(article::Column::DuplicateGroupId, Expr::val(group))
        .col_expr(article::Column::UpdatedAt, Expr::val(now));
    match a.duplicate_group_id {
        Some(old) if old != group => {
            moved
                .filter(article::Column::DuplicateGroupId.eq(old))
                .exec(txn)
                .await?;
        }
        Some(_) => {}
        None => {
            moved.filter(article::Column::Id.eq(a.id)).exec(txn).await?;
        }
    }
    rules::recompute_points(txn, a.id).await?;
    let after = find_article(txn, a.id).await?;
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "article.merge", "article", a.id)
            .reason(input.reason.as_deref()),
        Some(&serde_json::json!({"duplicate_group_id": a.duplicate_group_id, "into_id": into.id})),
        Some(&Snapshot::from(&after)),
    )
    .await?;
    notifications::notify(txn, vec![events::article_merged(&after, into.id, now)], now).await?;
    one_view(txn, &after, p).await
}
