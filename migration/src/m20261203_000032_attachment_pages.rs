//! Pages of an attachment kind (issue 13 item 6): the stamped form's scan
//! may be several pages (up to 10 images, or one PDF), and the certificates
//! are two files. `nomination_attachments.page` is a file's place among
//! those of its kind (1, 2, …), unique over nomination, kind and page, so a
//! second upload can never take the place of the first silently. Existing
//! rows are numbered in the order they were uploaded: a photo or a scan
//! (one each until now) is page 1, a second certificate page 2.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "uq_nomination_attachments_page";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("nomination_attachments")
                .add_column(ColumnDef::new("page").integer().not_null().default(1))
                .to_owned(),
        )
        .await?;
        // Each file's place among the earlier ones of its kind (both
        // SQLite and PostgreSQL read the correlated subquery).
        m.get_connection()
            .execute_unprepared(
                "UPDATE nomination_attachments SET page = (\
                 SELECT COUNT(*) FROM nomination_attachments AS earlier \
                 WHERE earlier.nomination_id = nomination_attachments.nomination_id \
                 AND earlier.kind = nomination_attachments.kind \
                 AND earlier.id <= nomination_attachments.id)",
            )
            .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table("nomination_attachments")
                .col("nomination_id")
                .col("kind")
                .col("page")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(INDEX)
                .table("nomination_attachments")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("nomination_attachments")
                .drop_column("page")
                .to_owned(),
        )
        .await
    }
}
