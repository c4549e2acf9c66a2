//! The national timeline of a campaign (中后协〔2021〕15号 三 活动流程):
//! `campaigns.timeline`, a JSON list of stages `[{name, when, description}]`
//! (`when`: a day, a month or an instant as entered). Existing campaigns
//! have no stages yet.

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
                .add_column(ColumnDef::new("timeline").text().not_null().default("[]"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("campaigns")
                .drop_column("timeline")
                .to_owned(),
        )
        .await
    }
}
