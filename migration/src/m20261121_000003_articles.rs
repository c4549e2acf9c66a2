//! Article credit: the sources the association counts (official sites and
//! bonus outlets), the submitted articles with their verification, review
//! and points, and the likely-duplicate pairs shown to the secretariat.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id() -> ColumnDef {
    ColumnDef::new("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn ts(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn fk(from_table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{col}"))
        .from(from_table, col)
        .to(to, "id")
        .to_owned()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sources")
                .col(id())
                .col(
                    ColumnDef::new("name")
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                // `official` (site points) or `bonus` (bonus points).
                .col(ColumnDef::new("kind").string_len(16).not_null())
                // JSON arrays as text: host names (optionally with a port),
                // counted columns (empty = every column), counted years (empty = every year).
                .col(ColumnDef::new("hosts").text().not_null())
                .col(ColumnDef::new("columns").text().not_null())
                .col(ColumnDef::new("years").text().not_null())
                .col(
                    ColumnDef::new("needs_confirmation")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new("allow_private_network")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("articles")
                .col(id())
                .col(ColumnDef::new("school_id").big_integer().not_null())
                .col(ColumnDef::new("submitted_by").big_integer().not_null())
                .col(
                    ColumnDef::new("first_author_member_id")
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new("first_author_name").string_len(64).null())
                // `member:<id>` or `name:<normalised name>`: groups an individual's articles.
                .col(ColumnDef::new("author_key").string_len(80).not_null())
                .col(ColumnDef::new("url").text().not_null())
                .col(ColumnDef::new("canonical_url").text().not_null())
                // SHA-256 of the canonical URL (scheme-insensitive) while the
                // article is not withdrawn; unique, NULL once withdrawn.
                .col(ColumnDef::new("url_key").string_len(64).null())
                .col(ColumnDef::new("host").text().not_null())
                .col(ColumnDef::new("source_id").big_integer().not_null())
                .col(ColumnDef::new("source_kind").string_len(16).not_null())
                // Effective facts (the page's where verified, else the submitter's,
                // or the secretariat's correction at review).
                .col(ColumnDef::new("title").string_len(300).null())
                .col(ColumnDef::new("title_norm").string_len(300).null())
                .col(ColumnDef::new("column_name").string_len(64).null())
                .col(ts_null("published_at"))
                // The publication year in China time (Asia/Shanghai).
                .col(ColumnDef::new("credit_year").integer().null())
                .col(ColumnDef::new("declared_title").string_len(300).null())
                .col(ColumnDef::new("declared_column").string_len(64).null())
                .col(ColumnDef::new("declared_published_on").date().null())
                .col(ColumnDef::new("declared_original").boolean().not_null())
                // What the server's fetch of the page found.
                .col(
                    ColumnDef::new("verification_status")
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new("verification_reason").string_len(500).null())
                .col(ts_null("verified_at"))
                .col(ColumnDef::new("page_title").string_len(300).null())
                .col(ColumnDef::new("page_column").string_len(64).null())
                .col(ts_null("page_published_at"))
                // SimHash (64 bits) of the page text and its four 16-bit bands.
                .col(ColumnDef::new("fingerprint").big_integer().null())
                .col(ColumnDef::new("fp_band0").integer().null())
                .col(ColumnDef::new("fp_band1").integer().null())
                .col(ColumnDef::new("fp_band2").integer().null())
                .col(ColumnDef::new("fp_band3").integer().null())
                // pending, approved, rejected, repost, withdrawn.
                .col(ColumnDef::new("status").string_len(16).not_null())
                .col(ColumnDef::new("review_reason").string_len(500).null())
                .col(ColumnDef::new("reviewed_by").big_integer().null())
                .col(ts_null("reviewed_at"))
                .col(ColumnDef::new("confirmed_level").string_len(16).null())
                // Articles merged as one story share a group id; the group counts once.
                .col(ColumnDef::new("duplicate_group_id").big_integer().null())
                // Derived by the server (0 or 1): at most one row of a group carries each.
                .col(
                    ColumnDef::new("site_points")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("bonus_points")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("articles", "school_id", "schools"))
                .foreign_key(&mut fk("articles", "submitted_by", "members"))
                .foreign_key(&mut fk("articles", "first_author_member_id", "members"))
                .foreign_key(&mut fk("articles", "source_id", "sources"))
                .to_owned(),
        )
        .await?;
        let mut unique_url = index("uq_articles_url_key", "articles", &["url_key"]);
        m.create_index(unique_url.unique().to_owned()).await?;
        for i in [
            index(
                "idx_articles_school_year",
                "articles",
                &["school_id", "credit_year", "id"],
            ),
            index(
                "idx_articles_submitter",
                "articles",
                &["submitted_by", "id"],
            ),
            index("idx_articles_status", "articles", &["status", "id"]),
            index(
                "idx_articles_credit",
                "articles",
                &["credit_year", "school_id", "author_key"],
            ),
            index(
                "idx_articles_title",
                "articles",
                &["credit_year", "school_id", "title_norm"],
            ),
            index("idx_articles_group", "articles", &["duplicate_group_id"]),
            index("idx_articles_source", "articles", &["source_id", "status"]),
            index("idx_articles_fp0", "articles", &["credit_year", "fp_band0"]),
            index("idx_articles_fp1", "articles", &["credit_year", "fp_band1"]),
            index("idx_articles_fp2", "articles", &["credit_year", "fp_band2"]),
            index("idx_articles_fp3", "articles", &["credit_year", "fp_band3"]),
        ] {
            m.create_index(i).await?;
        }
        m.create_table(
            Table::create()
                .table("article_duplicates")
                .col(ColumnDef::new("article_id").big_integer().not_null())
                .col(ColumnDef::new("other_id").big_integer().not_null())
                // `title` (same normalised title, school and year) or `text` (SimHash).
                .col(ColumnDef::new("reason").string_len(16).not_null())
                .col(ColumnDef::new("distance").integer().null())
                .col(ts("created_at"))
                .primary_key(Index::create().col("article_id").col("other_id"))
                .foreign_key(
                    &mut fk("article_duplicates", "article_id", "articles")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(
                    &mut fk("article_duplicates", "other_id", "articles")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_article_duplicates_other",
            "article_duplicates",
            &["other_id"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["article_duplicates", "articles", "sources"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
