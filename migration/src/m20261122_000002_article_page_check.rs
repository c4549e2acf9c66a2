//! Verification and review agree (issue 12 item 9): whether an article was
//! approved while its page check was still running (on the typed date and
//! column), and — when the page later showed another date or column — the
//! disagreement the secretariat is to look at, with both values (JSON) and
//! when it was found (indexed: the secretariat's list filters on it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_articles_page_mismatch";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One change per ALTER TABLE (SQLite).
        m.alter_table(
            Table::alter()
                .table("articles")
                .add_column(
                    ColumnDef::new("approved_on_typed_data")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("articles")
                .add_column(ColumnDef::new("page_mismatch").text().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("articles")
                .add_column(
                    ColumnDef::new("page_mismatch_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table("articles")
                .col("page_mismatch_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table("articles").to_owned())
            .await?;
        for column in [
            "page_mismatch_at",
            "page_mismatch",
            "approved_on_typed_data",
        ] {
            m.alter_table(
                Table::alter()
                    .table("articles")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
