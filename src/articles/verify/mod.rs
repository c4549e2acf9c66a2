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

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QuerySelect, Set};
use tokio::sync::Semaphore;

use crate::articles::fingerprint;
use crate::articles::rules::{self, ArticleStatus, SourceRules, VerificationStatus};
use crate::entity::article;
use crate::platform::clock::SharedClock;
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult};
pub use fetch::{FetchFailure, FetchOptions, Fetcher};

/// The background job that verifies an article's page (enqueued with the
/// submission, or by the secretariat's re-run of a failed verification).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VerifyPage {
    pub article_id: i64,
}

impl crate::platform::jobs::Job for VerifyPage {
    const QUEUE: &'static str = "articles.verify_page";
    const MAX_ATTEMPTS: u32 = 5;
}

/// Verifies article pages in the background: one per process, sharing one
/// HTTP client and a bound on concurrent fetches. It holds what it needs
/// (storage, clock, the fetcher) so it depends on nothing above it.
#[derive(Clone)]
pub struct Verifier {
    db: DatabaseConnection,
    clock: SharedClock,
    /// Production never fetches private networks, whatever a source says.
    production: bool,
    fetcher: Fetcher,
    permits: Arc<Semaphore>,
}

impl Verifier {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        production: bool,
        options: FetchOptions,
    ) -> anyhow::Result<Self> {
        let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
        Ok(Self {
            db,
            clock,
            production,
            fetcher: Fetcher::new(options)?,
            permits,
        })
    }

    /// Fetches and reads the article's page and stores the outcome.
    pub async fn run(&self, article_id: i64) -> ApiResult<()> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let Some(a) = article::Entity::find_by_id(article_id)
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        if a.verification_status != VerificationStatus::Pending.as_str() {
            return Ok(());
        }
        let source = crate::entity::source::Entity::find_by_id(a.source_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("article {article_id} has no source"))
            })?;
        let mut source = SourceRules::from_model(&source)?;
        if self.production {
            // Never honoured in production, whatever the table says.
            source.allow_private_network = false;
        }
        let outcome = match url::Url::parse(&a.canonical_url) {
            Ok(url) => self.fetcher.fetch(&url, &source).await,
            Err(_) => Err(FetchFailure::UnsupportedScheme("?".into())),
        };
        let now = self.clock.now();
        match outcome {
            Ok(fetched) => {
                // Parsing up to 2 MB of HTML is CPU work: off the async workers.
                let facts = tokio::task::spawn_blocking(move || {
                    let (html, _) = page::decode(&fetched.body, fetched.content_type.as_deref());
                    page::extract(&html, &source)
                })
                .await
                .map_err(ApiError::internal)?;
                let facts = &facts;
                db::write(&self.db, |tx| store_verified(tx, article_id, facts, now)).await
            }
            Err(failure) => {
                tracing::info!(article_id, reason = %failure.reason(), "article page not fetched");
                let reason = failure.reason();
                let reason = reason.as_str();
                db::write(&self.db, |tx| store_failed(tx, article_id, reason, now)).await
            }
        }
    }
}

/// Stores what the page shows. While the article is pending, the page's
/// title, date and column become the article's (the submitter's values stay
/// where the page shows nothing); after review they are only recorded — and
/// when the article was approved on typed data (its check still running)
/// and the page shows another date or column, the disagreement is flagged
/// for the secretariat ([`rules::page_mismatch`]); the approved facts, and
/// so its points and credit year, stay as they are.
async fn store_verified(
    tx: Tx,
    id: i64,
    facts: &page::PageFacts,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let txn = &*tx;
    // Locked: a review of the article waits for this, or this for it.
    let Some(a) = article::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let mismatch = (a.status == ArticleStatus::Approved.as_str() && a.approved_on_typed_data)
        .then(|| {
            rules::page_mismatch(
                rules::CheckedFacts::new(a.published_at, a.column_name.as_deref()),
                rules::CheckedFacts::new(facts.published_at, facts.column.as_deref()),
                now,
            )
        })
        .flatten();
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
    if let Some(m) = &mismatch {
        am.page_mismatch = Set(Some(serde_json::to_string(m).map_err(ApiError::internal)?));
        am.page_mismatch_at = Set(Some(now));
    }
    if a.status == ArticleStatus::Pending.as_str() {
        // Still pending (the row is locked since it was read): the page's
        // facts become the article's, the submitter's where the page shows
        // nothing. A review that got there first keeps its facts.
        let title = facts.title.clone().or(a.declared_title.clone());
        let published_at = facts.published_at.or(a.published_at);
        am.title_norm = Set(title.as_deref().and_then(fingerprint::title_key));
        am.title = Set(title);
        am.column_name = Set(facts.column.clone().or(a.declared_column.clone()));
        am.published_at = Set(published_at);
        am.credit_year = Set(published_at.map(rules::credit_year));
    }
    am.updated_at = Set(now);
    // One update, answering the row as stored (no second read).
    let updated = am.update(txn).await?;
    rules::refresh_likely_duplicates(txn, &updated, now).await?;
    rules::recompute_points(txn, id).await?;
    Ok(())
}

async fn store_failed(tx: Tx, id: i64, reason: &str, now: DateTime<Utc>) -> ApiResult<()> {
    let Some(a) = article::Entity::find_by_id(id).one(&*tx).await? else {
        return Ok(());
    };
    let mut am: article::ActiveModel = a.into();
    am.verification_status = Set(VerificationStatus::Failed.as_str().to_owned());
    am.verification_reason = Set(Some(reason.chars().take(500).collect()));
    am.verified_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(&*tx).await?;
    Ok(())
}
