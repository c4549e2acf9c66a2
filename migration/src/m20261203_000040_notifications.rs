//! Notifications (issue 14): one record per event and recipient — the in-app
//! inbox — with the state of its WeChat subscribe message; and the one-time
//! authorisations a member gave in `wx.requestSubscribeMessage`, counted per
//! template (one send consumes one).

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
                .table("notifications")
                .col(
                    ColumnDef::new("id")
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new("member_id").big_integer().not_null())
                .col(ColumnDef::new("event").string_len(64).not_null())
                // Unique per recipient: the same event is recorded (and sent) once.
                .col(ColumnDef::new("dedup_key").string_len(200).not_null())
                .col(ColumnDef::new("title").string_len(200).not_null())
                .col(ColumnDef::new("body").text().not_null())
                .col(ColumnDef::new("page").string_len(300).null())
                .col(ColumnDef::new("entity_type").string_len(40).null())
                .col(ColumnDef::new("entity_id").big_integer().null())
                // The values a WeChat template's fields are filled from (JSON).
                .col(ColumnDef::new("facts").text().not_null())
                .col(ColumnDef::new("wechat_status").string_len(20).not_null())
                .col(
                    ColumnDef::new("wechat_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new("read_at").timestamp_with_time_zone().null())
                .col(
                    ColumnDef::new("created_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_member_id")
                        .from("notifications", "member_id")
                        .to("members", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_notifications_member_key")
                .table("notifications")
                .col("member_id")
                .col("dedup_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notifications_inbox")
                .table("notifications")
                .col("member_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("wechat_subscriptions")
                .col(ColumnDef::new("member_id").big_integer().not_null())
                .col(ColumnDef::new("template_id").string_len(128).not_null())
                .col(ColumnDef::new("remaining").integer().not_null())
                .col(
                    ColumnDef::new("updated_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(Index::create().col("member_id").col("template_id"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_wechat_subscriptions_member_id")
                        .from("wechat_subscriptions", "member_id")
                        .to("members", "id"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("wechat_subscriptions").to_owned())
            .await?;
        m.drop_table(Table::drop().table("notifications").to_owned())
            .await
    }
}
