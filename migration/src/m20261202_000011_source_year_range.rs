//! Sources count for open-ended year ranges: `sources.from_year` and
//! `sources.until_year` (inclusive; null = open at that end). A source's
//! counted years are its `years` list when that is not empty, else the
//! range; a list and a range are never both set, and all empty = every year.
//!
//! The development seed wrote the info site's "from 2020 on" as the list
//! 2020–2030 (it would silently stop counting in 2031): a source with
//! exactly that list becomes `from_year = 2020` with an empty list. Going
//! down, a range becomes the list of its years (an open end up to 2100,
//! the last credit year the API takes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the development seed wrote for "from 2020 on".
const SEEDED_LIST: &str = "[2020,2021,2022,2023,2024,2025,2026,2027,2028,2029,2030]";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["from_year", "until_year"] {
            m.alter_table(
                Table::alter()
                    .table("sources")
                    .add_column(ColumnDef::new(col).integer().null())
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm_migration::sea_orm::DbBackend::Postgres => {
                    "UPDATE sources SET from_year = 2020, years = '[]' WHERE years = $1"
                }
                _ => "UPDATE sources SET from_year = 2020, years = '[]' WHERE years = ?",
            },
            [SEEDED_LIST.into()],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, from_year, until_year FROM sources
                 WHERE from_year IS NOT NULL OR until_year IS NOT NULL",
            ))
            .await?;
        let update = match backend {
            sea_orm_migration::sea_orm::DbBackend::Postgres => {
                "UPDATE sources SET years = $1 WHERE id = $2"
            }
            _ => "UPDATE sources SET years = ? WHERE id = ?",
        };
        for r in rows {
            let id: i64 = r.try_get("", "id")?;
            let from: Option<i32> = r.try_get("", "from_year")?;
            let until: Option<i32> = r.try_get("", "until_year")?;
            let years: Vec<String> = (from.unwrap_or(2000)..=until.unwrap_or(2100))
                .map(|y| y.to_string())
                .collect();
            let list = format!("[{}]", years.join(","));
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                update,
                [list.into(), id.into()],
            ))
            .await?;
        }
        for col in ["until_year", "from_year"] {
            m.alter_table(Table::alter().table("sources").drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
