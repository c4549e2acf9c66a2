//! The honours round with people in it: a per-school registry of first
//! authors (typed names and members linked, two records of one person merged
//! by the secretariat), and the secretariat's confirmation of the qualitative
//! conditions of seed 000 §五(二) beside "logistics staff of a member unit".

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("authors")
                .col(
                    ColumnDef::new("id")
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new("school_id").big_integer().not_null())
                .col(ColumnDef::new("author_key").string_len(120).not_null())
                .col(ColumnDef::new("name").string_len(128).not_null())
                .col(ColumnDef::new("member_id").big_integer().null())
                .col(ColumnDef::new("merged_into").big_integer().null())
                .col(ColumnDef::new("merge_reason").string_len(500).null())
                .col(ColumnDef::new("merged_by").big_integer().null())
                .col(
                    ColumnDef::new("merged_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new("created_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_authors_school_id")
                        .from("authors", "school_id")
                        .to("schools", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_authors_member_id")
                        .from("authors", "member_id")
                        .to("members", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_authors_merged_into")
                        .from("authors", "merged_into")
                        .to("authors", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_authors_school_key")
                .table("authors")
                .col("school_id")
                .col("author_key")
                .unique()
                .to_owned(),
        )
        .await?;
        // Every first author already credited becomes a registry entry.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO authors (school_id, author_key, name, member_id, created_at)
                 SELECT school_id, author_key,
                        COALESCE(MIN(first_author_name), author_key),
                        MIN(first_author_member_id), MIN(created_at)
                 FROM articles GROUP BY school_id, author_key",
            )
            .await?;
        m.alter_table(
            Table::alter()
                .table("individual_eligibility")
                .add_column(
                    ColumnDef::new("qualities_confirmed")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("individual_eligibility")
                .drop_column("qualities_confirmed")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("authors").to_owned())
            .await
    }
}
