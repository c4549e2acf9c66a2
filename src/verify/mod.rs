//! Server-side verification of a submitted article (SPEC §A rule 8): after
//! the submission is committed, the server fetches the page in the
//! background ([`fetch`], only from hosts of configured sources), reads its
//! title, publication date, column and text ([`page`]) and stores them with a
//! text fingerprint. A page that cannot be fetched leaves the article pending
//! with the reason; the submitter never sees an error for it.

pub mod address;
pub mod fetch;
pub mod page;

use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use tokio::sync::Semaphore;

use crate::domain::articles::{self, ArticleStatus, SourceRules, VerificationStatus};
use crate::domain::fingerprint;
use crate::entity::article;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use fetch::{FetchFailure, FetchOptions, Fetcher};

/// The fetcher shared by the process, with a bound on concurrent fetches.
#[derive(Clone, Debug)]
pub struct Verifier {
    pub fetcher: Fetcher,
    permits: Arc<Semaphore>,
}

impl Verifier {
    pub fn new(options: FetchOptions) -> anyhow::Result<Self> {
        let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
        Ok(Self {
            fetcher: Fetcher::new(options)?,
            permits,
        })
    }
}

/// Starts the verification of an article in the background (call it after
/// the submission's transaction committed).
pub fn spawn(state: AppState, article_id: i64) {
    tokio::spawn(async move {
        if let Err(e) = run(&state, article_id).await {
            tracing::warn!(article_id, error = ?e, "article verification could not be stored");
        }
    });
}

/// How many interrupted verifications [`resume_pending`] restarts at most.
pub const RESUME_LIMIT: u64 = 1000;

/// Restarts the verifications a previous run of the server did not finish
/// (the process stopped between a submission and its fetch), oldest first.
/// Answers how many were started.
pub async fn resume_pending(state: &AppState) -> ApiResult<usize> {
    let ids: Vec<i64> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(article::Column::VerificationStatus.eq(VerificationStatus::Pending.as_str()))
        .order_by_asc(article::Column::Id)
        .limit(RESUME_LIMIT)
        .into_tuple()
        .all(&state.db)
        .await?;
    for id in &ids {
        spawn(state.clone(), *id);
    }
    Ok(ids.len())
}

/// Fetches and reads the article's page and stores the outcome.
pub async fn run(state: &AppState, article_id: i64) -> ApiResult<()> {
    let _permit = state
        .verifier
        .permits
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let Some(a) = article::Entity::find_by_id(article_id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    if a.verification_status != VerificationStatus::Pending.as_str() {
        return Ok(());
    }
    let source = crate::entity::source::Entity::find_by_id(a.source_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("article {article_id} has no source")))?;
    let mut source = SourceRules::from_model(&source)?;
    if state.settings.is_production() {
        // Never honoured in production, whatever the table says.
        source.allow_private_network = false;
    }
    let outcome = match url::Url::parse(&a.canonical_url) {
        Ok(url) => state.verifier.fetcher.fetch(&url, &source).await,
        Err(_) => Err(FetchFailure::UnsupportedScheme("?".into())),
    };
    match outcome {
        Ok(fetched) => {
            // Parsing up to 2 MB of HTML is CPU work: off the async workers.
            let facts = tokio::task::spawn_blocking(move || {
                let (html, _) = page::decode(&fetched.body, fetched.content_type.as_deref());
                page::extract(&html, &source)
            })
            .await
            .map_err(ApiError::internal)?;
            store_verified(state, article_id, facts).await
        }
        Err(failure) => {
            tracing::info!(article_id, reason = %failure.reason(), "article page not fetched");
            store_failed(state, article_id, &failure.reason()).await
        }
    }
}

/// Stores what the page shows. While the article is pending, the page's
/// title, date and column become the article's (the submitter's values stay
/// where the page shows nothing); after review they are only recorded.
async fn store_verified(state: &AppState, id: i64, facts: page::PageFacts) -> ApiResult<()> {
    let now = state.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(a) = article::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(());
    };
    let fp = fingerprint::simhash(&facts.text);
    let bands = fp.map(fingerprint::bands);
    let mut am: article::ActiveModel = a.clone().into();
    am.verification_status = Set(VerificationStatus::Verified.as_str().to_owned());
    am.verification_reason = Set(None);
    am.verified_at = Set(Some(now));
    am.page_title = Set(facts.title.clone());
    am.page_column = Set(facts.column.clone());
    am.page_published_at = Set(facts.published_at);
    am.fingerprint = Set(fp.map(fingerprint::to_stored));
    am.fp_band0 = Set(bands.map(|b| b[0]));
    am.fp_band1 = Set(bands.map(|b| b[1]));
    am.fp_band2 = Set(bands.map(|b| b[2]));
    am.fp_band3 = Set(bands.map(|b| b[3]));
    am.updated_at = Set(now);
    am.update(&txn).await?;
    if a.status == ArticleStatus::Pending.as_str() {
        let title = facts.title.or(a.declared_title.clone());
        let published_at = facts.published_at.or(a.published_at);
        // Only while still pending: a review that got there first keeps its facts.
        article::Entity::update_many()
            .col_expr(
                article::Column::TitleNorm,
                Expr::val(title.as_deref().and_then(fingerprint::title_key)),
            )
            .col_expr(article::Column::Title, Expr::val(title))
            .col_expr(
                article::Column::ColumnName,
                Expr::val(facts.column.or(a.declared_column.clone())),
            )
            .col_expr(article::Column::PublishedAt, Expr::val(published_at))
            .col_expr(
                article::Column::CreditYear,
                Expr::val(published_at.map(articles::credit_year)),
            )
            .filter(article::Column::Id.eq(id))
            .filter(article::Column::Status.eq(ArticleStatus::Pending.as_str()))
            .exec(&txn)
            .await?;
    }
    let updated = article::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(ApiError::not_found)?;
    articles::refresh_likely_duplicates(&txn, &updated, now).await?;
    articles::recompute_points(&txn, id).await?;
    txn.commit().await?;
    Ok(())
}

async fn store_failed(state: &AppState, id: i64, reason: &str) -> ApiResult<()> {
    let now = state.now();
    let Some(a) = article::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(());
    };
    let mut am: article::ActiveModel = a.into();
    am.verification_status = Set(VerificationStatus::Failed.as_str().to_owned());
    am.verification_reason = Set(Some(reason.chars().take(500).collect()));
    am.verified_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(&state.db).await?;
    Ok(())
}
