//! The form-sized copy of a photo, made at upload: the PNG the registration
//! form (附件二) embeds, so building `form.docx` or the export package never
//! decodes the original. Empty for other attachments and for photos
//! uploaded before this migration (the form then decodes the original).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("nomination_attachments")
                .add_column(ColumnDef::new("form_copy").blob().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("nomination_attachments")
                .drop_column("form_copy")
                .to_owned(),
        )
        .await
    }
}
