//! Articles (稿件): submission, reading, withdrawal, review and merging of
//! duplicates (SPEC §A). The use cases are `submission`, `listing` and
//! `review`; the points rule lives in `rules`, the page fetch in `verify`.

use actix_web::{HttpResponse, delete, get, post, web};

use crate::access::principal::{ArticleReader, CorrespondentOrSecretariat, Secretariat};
use crate::articles::model::{
    ArticleInput, ArticleQuery, ArticleView, BatchReviewInput, BatchReviewView, MergeInput,
    ReviewInput,
};
use crate::articles::{listing, review, submission};
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::{IdempotencyKey, ValidJson};
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Submit an article (correspondent; the secretariat may submit on behalf of a school).
///
/// The URL is canonicalised and must be new: a link already submitted
/// answers 409 `DUPLICATE_ARTICLE` naming the existing article in
/// `existing_article_id` when the caller may open it (their school's; any
/// for the secretariat), else 409 `ARTICLE_CREDITED_ELSEWHERE` — the article
/// counts for another school, which is not named (no id, school or title).
/// It must be on the site of a configured source (422 `UNKNOWN_SOURCE`
/// lists the accepted sites in `accepted_sources`). Naming no first author (neither
/// `first_author_member_id` nor `first_author_name`) makes the submitting
/// correspondent the first author. The article is created `pending`; the server then
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
        (status = 409, description = "`DUPLICATE_ARTICLE` (with `existing_article_id`: an article of the caller's school, or any for the secretariat), `ARTICLE_CREDITED_ELSEWHERE` (the link was first submitted by another school; nothing about it is named) or `IDEMPOTENCY_KEY_IN_PROGRESS`"),
        (status = 422, description = "`VALIDATION_FAILED`, `UNKNOWN_SOURCE` (with `accepted_sources`), `CONTENT_RISKY` (the title failed WeChat's content check) or `IDEMPOTENCY_KEY_REUSED`"),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`"),
        (status = 503, description = "`WECHAT_UNAVAILABLE`: the content check could not run; retry later"),
    )
)]
#[post("/articles")]
pub async fn submit_article(
    state: web::Data<AppState>,
    CorrespondentOrSecretariat(p): CorrespondentOrSecretariat,
    key: IdempotencyKey,
    body: ValidJson<ArticleInput>,
) -> ApiResult<HttpResponse> {
    let answer = submission::submit(
        &state.db,
        &state.cache,
        state.wechat.as_ref(),
        &p,
        &body,
        key.0.as_deref(),
        state.now(),
    )
    .await?;
    Ok(answer.into_response())
}

/// Articles, newest first, with filters: a correspondent's own (`mine`) or
/// their schools' (`school`); the secretariat and the council read all. The
/// secretariat's review queue is `scope=all&status=pending`, with
/// `likely_duplicate=true` for the pairs that are probably the same story,
/// and `page_mismatch=true` for approved articles whose page, checked after
/// the approval, shows another date or column (both values in
/// `page_mismatch`). Both filters are the secretariat's (403 for others).
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(ArticleQuery),
    responses((status = 200, body = Page<ArticleView>, description = "One page of the articles the caller may see, newest first"), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/articles")]
pub async fn list_articles(
    state: web::Data<AppState>,
    ArticleReader(p): ArticleReader,
    q: web::Query<ArticleQuery>,
) -> ApiResult<HttpResponse> {
    let page = listing::list(&state.db, &state.page_token_key, &p, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One article with its status, verification, points and (for the
/// secretariat) its likely duplicates.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, body = ArticleView, description = "The article, with its status, verification, points and (for the secretariat) its likely duplicates"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[get("/articles/{id}")]
pub async fn get_article(
    state: web::Data<AppState>,
    ArticleReader(p): ArticleReader,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = listing::get(&state.db, &p, *path).await?;
    Ok(HttpResponse::Ok().json(view))
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
    db::write(&state.db, |tx| review::withdraw(tx, &p, *path, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Review an article (secretariat): approve, reject with a reason, or mark as
/// a repost (转载) with a reason. May correct title, column and publication
/// date. Audited; points are recomputed for the article's duplicate group.
///
/// No silent overwrites. A review decides a `pending` article. Once it is
/// reviewed — say two members of the secretariat review it at the same
/// moment, one approving, one rejecting — the later review answers 409
/// `STALE_DECISION` naming the decision in force: `decided_by` {`id`,
/// `display_name`}, `decision` (`approve`, `reject`, `repost`),
/// `decided_at`, `current_status` and `reason`; nothing changes. To change an
/// earlier decision on purpose (改判), send `revises` — the status you saw
/// (`approved`, `rejected` or `repost`) — and a `reason` (422 without one):
/// it is audited as a revision (`after.revision` in the audit log, with the
/// decision it replaced). A `revises` that is no longer the article's
/// status is stale too (409).
///
/// Approving while the page check is still running (`verification.status`
/// `pending`) approves on the typed date and column and records it
/// (`review.approved_on_typed_data`). When the check then finds the page
/// showing another date (China time) or column, the article is flagged with
/// both values in `page_mismatch` (listed with `page_mismatch=true`); its
/// points and credit year stay as approved until the secretariat revises the
/// review (`revises: "approved"` with a reason), which clears the flag.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    request_body = ReviewInput,
    responses(
        (status = 200, body = ArticleView, description = "The article with the decision applied"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`ARTICLE_WITHDRAWN`; `STALE_DECISION`: already reviewed (or `revises` no longer current) — names `decided_by`, `decision`, `decided_at`, `current_status`, `reason`; nothing changed"),
        (status = 422, description = "`VALIDATION_FAILED`: a reason is required (to reject, mark as a repost, or revise), approving needs a publication date / confirmed level, or `/revises` names a status that cannot be revised"),
    )
)]
#[post("/articles/{id}/review")]
pub async fn review_article(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| review::review(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Run the page verification of an article again (secretariat), after it
/// failed (`verification.status` `failed`: the site was down, the page had
/// moved). Answers 202 with the article, its verification `pending` again;
/// the background worker fetches the page and stores the outcome (read the
/// article again to see it). Audited as `article.verify`.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    responses(
        (status = 202, body = ArticleView, description = "The verification is queued again (`verification.status` `pending`)"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT`: the verification has not failed (it is pending, verified, or the article's site is not checked)"),
    )
)]
#[post("/articles/{id}/verification")]
pub async fn rerun_verification(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        review::rerun_verification(tx, &p, *path, now)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Review many articles in one call (secretariat): up to 200 reviews, each
/// exactly as `POST /articles/{id}/review` (its body under `review`, with
/// `revises` for a deliberate change of an earlier decision).
///
/// Answers 200 with one result per item, in the order sent: `ok` with the
/// reviewed `article`, or the `problem` the single review would answer for
/// that item (404 `NOT_FOUND`, 409 `ARTICLE_WITHDRAWN` / `STALE_DECISION`,
/// 422 `VALIDATION_FAILED`) — nothing of that item applied. Not
/// all-or-nothing, but no item is half-done: each item is applied (and
/// audited, as the single review audits) on its own. A failure of storage
/// fails the whole batch (503, nothing applied; send it again).
/// The batch itself is refused with 422 `VALIDATION_FAILED` when it holds
/// no item or more than 200 (`/items`), or names an article twice
/// (`duplicate` on `/items/{i}/article_id`). `Idempotency-Key` is honoured:
/// a retry with the same key answers the first results and applies nothing.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key answers the first result (1–255 visible ASCII characters, e.g. a UUID)")),
    request_body = BatchReviewInput,
    responses(
        (status = 200, body = BatchReviewView, description = "One result per item, in order (or, with `Idempotent-Replayed: true`, the first answer to this key)"),
        (status = 403, description = "`FORBIDDEN`: not the secretariat"),
        (status = 409, description = "`IDEMPOTENCY_KEY_IN_PROGRESS`"),
        (status = 422, description = "`VALIDATION_FAILED`: no item or more than 200 (`/items`), an article named twice (`duplicate`), or an invalid field of an item; `IDEMPOTENCY_KEY_REUSED`"),
    )
)]
#[post("/articles/reviews")]
pub async fn review_articles(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    key: IdempotencyKey,
    body: ValidJson<BatchReviewInput>,
) -> ApiResult<HttpResponse> {
    let answer = review::review_batch(&state.db, &p, &body, key.0.as_deref(), state.now()).await?;
    Ok(answer.into_response())
}

/// Merge an article with another as one story (secretariat): both (and the
/// groups they are already in) end up in one duplicate group, which counts
/// once. Audited.
///
/// State precondition: send `expected_group_id` and `expected_into_group_id`
/// — the two articles' `duplicate_group_id` as you read them (`null`: not
/// merged). When a colleague merged either article elsewhere since, the
/// merge answers 409 `STALE_DECISION` naming the last merge (`decided_by`,
/// `decision: "merge"`, `decided_at`, `reason`, with `article_id` and its
/// current `duplicate_group_id`) and changes nothing.
#[utoipa::path(
    tag = "articles",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Article id")),
    request_body = MergeInput,
    responses(
        (status = 200, body = ArticleView, description = "The article, now in the duplicate group of `into_id`"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`ARTICLE_WITHDRAWN`; `STALE_DECISION`: an article's group is no longer the expected one — names the last merge (`decided_by`, `decision`, `decided_at`, `reason`, `article_id`, `duplicate_group_id`); nothing changed"),
    )
)]
#[post("/articles/{id}/merge")]
pub async fn merge_article(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<MergeInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| review::merge(tx, &p, *path, &body, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}
