//! Identity: members, refresh tokens, the organisation (districts, schools),
//! roles, invitations and the audit log.

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
                .table("districts")
                .col(id())
                .col(
                    ColumnDef::new("name")
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("schools")
                .col(id())
                .col(
                    ColumnDef::new("name")
                        .string_len(128)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("district_id").big_integer().not_null())
                .col(ColumnDef::new("active").boolean().not_null().default(true))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("schools", "district_id", "districts"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_schools_district")
                .table("schools")
                .col("district_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("members")
                .col(id())
                .col(
                    ColumnDef::new("openid")
                        .string_len(128)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("unionid").string_len(128).null())
                .col(ColumnDef::new("display_name").string_len(64).not_null())
                .col(ColumnDef::new("real_name").string_len(64).null())
                .col(ColumnDef::new("department").string_len(128).null())
                .col(ColumnDef::new("position").string_len(64).null())
                .col(ColumnDef::new("phone").string_len(20).null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ts_null("last_login_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("member_roles")
                .col(id())
                .col(ColumnDef::new("member_id").big_integer().not_null())
                .col(ColumnDef::new("role").string_len(32).not_null())
                .col(ColumnDef::new("school_id").big_integer().null())
                .col(ColumnDef::new("district_id").big_integer().null())
                // `school:5`, `district:3` or `` — makes (member, role, scope) unique on every backend.
                .col(ColumnDef::new("scope_key").string_len(64).not_null())
                .col(ts("granted_at"))
                .col(ColumnDef::new("granted_by").big_integer().null())
                .foreign_key(
                    &mut fk("member_roles", "member_id", "members")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(&mut fk("member_roles", "school_id", "schools"))
                .foreign_key(&mut fk("member_roles", "district_id", "districts"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_member_roles_scope")
                .table("member_roles")
                .col("member_id")
                .col("role")
                .col("scope_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_member_roles_role")
                .table("member_roles")
                .col("role")
                .col("member_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .col(id())
                .col(ColumnDef::new("member_id").big_integer().not_null())
                .col(ColumnDef::new("family_id").string_len(36).not_null())
                .col(
                    ColumnDef::new("token_hash")
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ts("created_at"))
                .col(ts("expires_at"))
                .col(ts_null("used_at"))
                .col(ts_null("revoked_at"))
                .foreign_key(
                    &mut fk("refresh_tokens", "member_id", "members")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_refresh_tokens_family")
                .table("refresh_tokens")
                .col("family_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("invitations")
                .col(id())
                .col(
                    ColumnDef::new("code")
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("role").string_len(32).not_null())
                .col(ColumnDef::new("school_id").big_integer().null())
                .col(ColumnDef::new("district_id").big_integer().null())
                .col(ColumnDef::new("max_uses").integer().not_null())
                .col(ColumnDef::new("uses").integer().not_null().default(0))
                .col(ts("expires_at"))
                .col(ts_null("revoked_at"))
                .col(ColumnDef::new("note").string_len(200).null())
                .col(ColumnDef::new("created_by").big_integer().null())
                .col(ts("created_at"))
                .foreign_key(&mut fk("invitations", "school_id", "schools"))
                .foreign_key(&mut fk("invitations", "district_id", "districts"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("invitation_redemptions")
                .col(ColumnDef::new("invitation_id").big_integer().not_null())
                .col(ColumnDef::new("member_id").big_integer().not_null())
                .col(ts("redeemed_at"))
                .primary_key(Index::create().col("invitation_id").col("member_id"))
                .foreign_key(&mut fk(
                    "invitation_redemptions",
                    "invitation_id",
                    "invitations",
                ))
                .foreign_key(
                    &mut fk("invitation_redemptions", "member_id", "members")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_log")
                .col(id())
                .col(ColumnDef::new("actor_id").big_integer().null())
                .col(ColumnDef::new("actor_role").string_len(32).null())
                .col(ColumnDef::new("action").string_len(64).not_null())
                .col(ColumnDef::new("entity_type").string_len(32).not_null())
                .col(ColumnDef::new("entity_id").string_len(64).not_null())
                .col(ColumnDef::new("before").text().null())
                .col(ColumnDef::new("after").text().null())
                .col(ColumnDef::new("reason").string_len(500).null())
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_log_entity")
                .table("audit_log")
                .col("entity_type")
                .col("entity_id")
                .col("id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_log",
            "invitation_redemptions",
            "invitations",
            "refresh_tokens",
            "member_roles",
            "members",
            "schools",
            "districts",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
