//! Member units over time: the day a school stopped being a member unit
//! (`schools.left_on`, a calendar day in China time; null = still a member).
//! A school counts for credit year Y iff it was a member on some day of Y:
//! `left_on IS NULL OR left_on > 'Y-01-01'`.
//!
//! `active` stays, kept equal to `left_on IS NULL` by the server. Schools
//! already inactive get the China-time day of their last change
//! (`updated_at`) as `left_on`: the best record there is of when they were
//! set inactive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

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
                .table("schools")
                .add_column(ColumnDef::new("left_on").date().null())
                .to_owned(),
        )
        .await?;
        // China has kept UTC+8 all year since 1992.
        let backfill = match m.get_database_backend() {
            DbBackend::Postgres => {
                "UPDATE schools SET left_on = (updated_at AT TIME ZONE 'Asia/Shanghai')::date
                 WHERE active = false"
            }
            _ => "UPDATE schools SET left_on = date(updated_at, '+8 hours') WHERE active = 0",
        };
        m.get_connection().execute_unprepared(backfill).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("schools")
                .drop_column("left_on")
                .to_owned(),
        )
        .await
    }
}
