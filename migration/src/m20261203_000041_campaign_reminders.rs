//! Deadline reminders per campaign (issue 14): how many hours before the
//! district deadline its leads are reminded (JSON list of hours, e.g.
//! `[168, 24, 3]`: 7 days, 1 day, 3 hours). Existing campaigns get that default.

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
                .table("campaigns")
                .add_column(
                    ColumnDef::new("reminder_hours")
                        .text()
                        .not_null()
                        .default("[168,24,3]"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("campaigns")
                .drop_column("reminder_hours")
                .to_owned(),
        )
        .await
    }
}
