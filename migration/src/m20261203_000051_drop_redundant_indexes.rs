//! Redundant indexes of `articles` dropped (issue 15): every index is
//! written on each insert and update of an article, so one that no query
//! needs only costs.
//!
//! - `idx_articles_credit` (`credit_year, school_id, author_key`) is a
//!   prefix of `idx_articles_standings` (`credit_year, school_id,
//!   author_key, site_points, bonus_points`): whatever it answers, that one
//!   answers, covering the points too. Dropped.
//!
//! Kept, each for a unique rule or a query that needs it: `uq_articles_url_key`
//! (one article per link), `idx_articles_school_year` (a school's articles
//! of a year, by id), `idx_articles_submitter` (a member's own articles),
//! `idx_articles_status` (the review queue), `idx_articles_title` (likely
//! duplicates by title: year, school and title; the standings index shares
//! only its first two columns), `idx_articles_group` (a duplicate group's
//! members), `idx_articles_source` (the articles of a changed source),
//! `idx_articles_fp0`–`fp3` (near-duplicate text by any of four bands),
//! `idx_articles_standings` (standings, notices, proposals and the totals
//! check read the year's points from it alone) and
//! `idx_articles_page_mismatch` (the secretariat's page-mismatch list).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREDIT: &str = "idx_articles_credit";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(CREDIT).table("articles").to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(CREDIT)
                .table("articles")
                .col("credit_year")
                .col("school_id")
                .col("author_key")
                .to_owned(),
        )
        .await
    }
}
