//! Frontline staff (seed 002 二(二) "被推荐对象主要来自学校后勤管理服务一线的员工和团队"):
//! `nominations.frontline`, copied from the form's `frontline` like the
//! other listed columns, so the secretariat's review list can show and
//! filter it. Null until the form says. Existing forms say nothing yet.

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
                .table("nominations")
                .add_column(ColumnDef::new("frontline").boolean().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("nominations")
                .drop_column("frontline")
                .to_owned(),
        )
        .await
    }
}
