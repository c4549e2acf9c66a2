//! Nominations (seed 002): campaigns with their deadline, quotas and
//! exclusion list, late-filing grants, the districts' nominations with their
//! registration form, the per-district quota counters, and the attachments
//! (stored in the database).

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
        m.create_table(
            Table::create()
                .table("campaigns")
                .col(id())
                .col(ColumnDef::new("title").string_len(128).not_null())
                .col(ColumnDef::new("year").integer().not_null())
                // JSON: [{name, kind}]
                .col(ColumnDef::new("categories").text().not_null())
                .col(ColumnDef::new("district_quota").integer().not_null())
                .col(ColumnDef::new("association_quota").integer().not_null())
                .col(ts("district_deadline"))
                .col(ts_null("national_deadline"))
                // JSON: [{name, role, phone, email}]
                .col(ColumnDef::new("contacts").text().not_null())
                // JSON: [{name, unit, note}]
                .col(ColumnDef::new("exclusions").text().not_null())
                .col(
                    ColumnDef::new("forwarded_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new("created_by").big_integer().null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("campaign_late_grants")
                .col(id())
                .col(ColumnDef::new("campaign_id").big_integer().not_null())
                .col(ColumnDef::new("district_id").big_integer().not_null())
                .col(ts("until"))
                .col(ColumnDef::new("reason").string_len(500).not_null())
                .col(ColumnDef::new("granted_by").big_integer().null())
                .col(ts("created_at"))
                .foreign_key(
                    &mut fk("campaign_late_grants", "campaign_id", "campaigns")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(&mut fk("campaign_late_grants", "district_id", "districts"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_campaign_late_grants_campaign")
                .table("campaign_late_grants")
                .col("campaign_id")
                .col("district_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("nominations")
                .col(id())
                .col(ColumnDef::new("campaign_id").big_integer().not_null())
                .col(ColumnDef::new("district_id").big_integer().not_null())
                .col(ColumnDef::new("kind").string_len(16).not_null())
                .col(ColumnDef::new("status").string_len(16).not_null())
                .col(ColumnDef::new("version").integer().not_null())
                // JSON: the registration form (附件二).
                .col(ColumnDef::new("form").text().not_null())
                // Copied from the form for lists, filters and ordering.
                .col(ColumnDef::new("nominee_name").string_len(64).null())
                .col(ColumnDef::new("unit").string_len(128).null())
                .col(ColumnDef::new("category").string_len(32).null())
                .col(ColumnDef::new("phone").string_len(20).null())
                .col(
                    ColumnDef::new("media_honoured")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new("consent")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new("review_reason").string_len(500).null())
                .col(ColumnDef::new("reviewed_by").big_integer().null())
                .col(ts_null("reviewed_at"))
                .col(ts_null("submitted_at"))
                .col(ts_null("forwarded_at"))
                .col(ColumnDef::new("created_by").big_integer().not_null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(
                    &mut fk("nominations", "campaign_id", "campaigns")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(&mut fk("nominations", "district_id", "districts"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_nominations_campaign_order")
                .table("nominations")
                .col("campaign_id")
                .col("media_honoured")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_nominations_campaign_district")
                .table("nominations")
                .col("campaign_id")
                .col("district_id")
                .col("status")
                .to_owned(),
        )
        .await?;
        // One row per campaign and district: how many nominations are
        // submitted (or further). Submitting increments it conditionally, so
        // two leads racing for the last slot cannot both win.
        m.create_table(
            Table::create()
                .table("nomination_quota_slots")
                .col(ColumnDef::new("campaign_id").big_integer().not_null())
                .col(ColumnDef::new("district_id").big_integer().not_null())
                .col(ColumnDef::new("used").integer().not_null().default(0))
                .primary_key(Index::create().col("campaign_id").col("district_id"))
                .foreign_key(
                    &mut fk("nomination_quota_slots", "campaign_id", "campaigns")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(&mut fk(
                    "nomination_quota_slots",
                    "district_id",
                    "districts",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("nomination_attachments")
                .col(id())
                .col(ColumnDef::new("nomination_id").big_integer().not_null())
                .col(ColumnDef::new("kind").string_len(32).not_null())
                .col(ColumnDef::new("content_type").string_len(64).not_null())
                .col(ColumnDef::new("file_name").string_len(255).not_null())
                .col(ColumnDef::new("size").big_integer().not_null())
                .col(ColumnDef::new("sha256").string_len(64).not_null())
                .col(ColumnDef::new("data").blob().not_null())
                .col(ColumnDef::new("created_by").big_integer().not_null())
                .col(ts("created_at"))
                .foreign_key(
                    &mut fk("nomination_attachments", "nomination_id", "nominations")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_nomination_attachments_nomination")
                .table("nomination_attachments")
                .col("nomination_id")
                .col("kind")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "nomination_attachments",
            "nomination_quota_slots",
            "nominations",
            "campaign_late_grants",
            "campaigns",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
