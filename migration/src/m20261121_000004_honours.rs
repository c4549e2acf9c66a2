//! The honours round: per-year settings, the public notice (a frozen
//! snapshot), objections, eligibility, and the proposal the council approves.

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

fn text(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().to_owned()
}

fn text_null(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).null().to_owned()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().to_owned()
}

fn big(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn fk(from_table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{col}"))
        .from(from_table, col)
        .to(to, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Standings read only these columns: an index that answers them alone.
        m.create_index(
            Index::create()
                .name("idx_articles_standings")
                .table("articles")
                .col("credit_year")
                .col("school_id")
                .col("author_key")
                .col("site_points")
                .col("bonus_points")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("credit_year_settings")
                .col(ColumnDef::new("year").integer().not_null().primary_key())
                .col(text("ranking_key", 16))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("notices")
                .col(id())
                .col(int("year"))
                .col(int("version"))
                .col(text("ranking_key", 16))
                .col(ts("opens_at"))
                .col(ts("closes_at"))
                .col(int("school_population"))
                .col(int("school_cap"))
                .col(int("individual_population"))
                .col(int("individual_cap"))
                .col(ColumnDef::new("published_by").big_integer().null())
                .col(ts("published_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_notices_year_version")
                .table("notices")
                .col("year")
                .col("version")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("notice_rows")
                .col(id())
                .col(big("notice_id"))
                .col(text("scope", 16))
                .col(int("position"))
                .col(int("rank"))
                .col(text("row_key", 120))
                .col(text("name", 128))
                .col(big("school_id"))
                .col(text("school_name", 128))
                .col(int("site_points"))
                .col(int("bonus_points"))
                .col(int("total"))
                .col(int("counted_articles"))
                .col(ColumnDef::new("within_cap").boolean().not_null())
                .col(ColumnDef::new("tied_at_cutoff").boolean().not_null())
                .foreign_key(
                    &mut fk("notice_rows", "notice_id", "notices")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_notice_rows_position")
                .table("notice_rows")
                .col("notice_id")
                .col("scope")
                .col("position")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notice_rows_key")
                .table("notice_rows")
                .col("notice_id")
                .col("scope")
                .col("row_key")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("objections")
                .col(id())
                .col(int("year"))
                .col(big("notice_id"))
                .col(text("scope", 16))
                .col(text("row_key", 120))
                .col(big("member_id"))
                .col(ColumnDef::new("text").text().not_null())
                .col(text("status", 16))
                .col(
                    ColumnDef::new("needs_content_review")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(text_null("resolution_reason", 500))
                .col(ColumnDef::new("resolved_by").big_integer().null())
                .col(ts_null("resolved_at"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("objections", "notice_id", "notices"))
                .foreign_key(&mut fk("objections", "member_id", "members"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_objections_year")
                .table("objections")
                .col("year")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("school_eligibility")
                .col(int("year"))
                .col(big("school_id"))
                .col(ColumnDef::new("mechanism").boolean().not_null())
                .col(ColumnDef::new("process").boolean().not_null())
                .col(ColumnDef::new("archive").boolean().not_null())
                .col(ColumnDef::new("dedicated_staff").boolean().not_null())
                .col(text_null("note", 500))
                .col(ColumnDef::new("updated_by").big_integer().null())
                .col(ts("updated_at"))
                .primary_key(Index::create().col("year").col("school_id"))
                .foreign_key(&mut fk("school_eligibility", "school_id", "schools"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("individual_eligibility")
                .col(int("year"))
                .col(text("row_key", 120))
                .col(ColumnDef::new("logistics_staff").boolean().not_null())
                .col(text_null("note", 500))
                .col(ColumnDef::new("updated_by").big_integer().null())
                .col(ts("updated_at"))
                .primary_key(Index::create().col("year").col("row_key"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("proposals")
                .col(id())
                .col(ColumnDef::new("year").integer().not_null().unique_key())
                .col(big("notice_id"))
                .col(text("status", 16))
                .col(int("version"))
                .col(text_null("return_note", 500))
                .col(ColumnDef::new("submitted_by").big_integer().null())
                .col(ts_null("submitted_at"))
                .col(ColumnDef::new("decided_by").big_integer().null())
                .col(ts_null("decided_at"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("proposals", "notice_id", "notices"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("proposal_entries")
                .col(id())
                .col(big("proposal_id"))
                .col(text("scope", 16))
                .col(text("row_key", 120))
                .col(text("name", 128))
                .col(big("school_id"))
                .col(text("school_name", 128))
                .col(int("rank"))
                .col(int("total"))
                .col(ColumnDef::new("manual").boolean().not_null())
                .col(text_null("reason", 500))
                .foreign_key(
                    &mut fk("proposal_entries", "proposal_id", "proposals")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_proposal_entries_row")
                .table("proposal_entries")
                .col("proposal_id")
                .col("scope")
                .col("row_key")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "proposal_entries",
            "proposals",
            "individual_eligibility",
            "school_eligibility",
            "objections",
            "notice_rows",
            "notices",
            "credit_year_settings",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_articles_standings")
                .table("articles")
                .to_owned(),
        )
        .await
    }
}
