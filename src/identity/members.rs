//! Members and their roles: the secretariat's list and view of members,
//! replacing a member's roles, and granting one from the command line.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::grants;
use crate::access::principal::Principal;
use crate::access::roles::{Grant, GrantError, Role};
use crate::entity::{member, member_role};
use crate::identity::sessions::find_or_create_member;
use crate::identity::views::{MemberView, member_view, member_views};
use crate::organisation::lookup::{require_district, require_school};
use crate::platform::audit::{self, Entry};
use crate::platform::db::{self, Tx, contains_literally};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Only members holding this role.
    pub role: Option<Role>,
    /// Only correspondents of this school.
    pub school_id: Option<i64>,
    /// Only district leads of this district.
    pub district_id: Option<i64>,
    /// Display or real name contains this text.
    pub q: Option<String>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub role: Role,
    /// Required for `correspondent`.
    pub school_id: Option<i64>,
    /// Required for `district_lead`.
    pub district_id: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "roles": [{"role": "correspondent", "school_id": 1}, {"role": "district_lead", "district_id": 1}],
    "reason": "张晓燕兼任成都片区负责人。"
}))]
pub struct RolesInput {
    /// The complete set of roles the member will hold (replaces the current set; at most 20).
    #[validate(length(max = 20, message = "角色过多。"))]
    #[schema(max_items = 20)]
    pub roles: Vec<GrantInput>,
    /// Why (kept in the audit log).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Members, newest first, with filters (phones masked). `page_key` signs
/// the page tokens.
pub async fn list(
    db: &impl ConnectionTrait,
    page_key: &[u8],
    q: &MemberQuery,
) -> ApiResult<Page<MemberView>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let tokens = PageTokens::new(
        page_key,
        format!(
            "members?r={:?}&s={:?}&d={:?}&q={:?}",
            q.role, q.school_id, q.district_id, text
        ),
    );
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = member::Entity::find().order_by_desc(member::Column::Id);
    if let Some(b) = before {
        query = query.filter(member::Column::Id.lt(b));
    }
    if let Some(t) = text {
        query = query.filter(
            sea_orm::Condition::any()
                .add(contains_literally(member::Column::DisplayName, t))
                .add(contains_literally(member::Column::RealName, t)),
        );
    }
    if q.role.is_some() || q.school_id.is_some() || q.district_id.is_some() {
        let mut sub = sea_orm::sea_query::Query::select();
        sub.column(member_role::Column::MemberId)
            .from(member_role::Entity);
        if let Some(r) = q.role {
            sub.and_where(member_role::Column::Role.eq(r.as_str()));
        }
        if let Some(s) = q.school_id {
            sub.and_where(member_role::Column::SchoolId.eq(s));
        }
        if let Some(d) = q.district_id {
            sub.and_where(member_role::Column::DistrictId.eq(d));
        }
        query = query.filter(member::Column::Id.in_subquery(sub.to_owned()));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let views = member_views(db, rows, true).await?;
    tokens.page(views, params.size(), |m| m.id)
}

async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<member::Model> {
    member::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("成员不存在。"))
}

/// One member, phone in full.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> ApiResult<MemberView> {
    member_view(db, find(db, id).await?, false).await
}

/// The grants asked for, each checked for its shape (422 at the offending
/// field when a role lacks its school or district or has one too many).
fn wanted_grants(roles: &[GrantInput]) -> ApiResult<BTreeSet<Grant>> {
    let mut wanted = BTreeSet::new();
    let mut errors = Vec::new();
    for (i, g) in roles.iter().enumerate() {
        match Grant::new(g.role, g.school_id, g.district_id) {
            Ok(grant) => {
                wanted.insert(grant);
            }
            Err(e) => {
                let field = if e == GrantError::DistrictRequired {
                    "district_id"
                } else {
                    "school_id"
                };
                errors.push(FieldError::new(
                    &format!("/roles/{i}/{field}"),
                    "role_scope",
                    e.message(),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(wanted)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Replaces a member's roles (by the secretariat `p`), audited with before
/// and after. The association always keeps a secretariat: taking the role
/// from its last holder is refused (409 `LAST_SECRETARIAT`).
pub async fn put_roles(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &RolesInput,
    now: DateTime<Utc>,
) -> ApiResult<MemberView> {
    let txn = &*tx;
    let wanted = wanted_grants(&input.roles)?;
    let m = find(txn, id).await?;
    for (i, g) in wanted.iter().enumerate() {
        if let Some(s) = g.school_id {
            require_school(txn, s, &format!("/roles/{i}/school_id")).await?;
        }
        if let Some(d) = g.district_id {
            require_district(txn, d, &format!("/roles/{i}/district_id")).await?;
        }
    }
    let before = grants::load(txn, m.id).await?;
    let had_secretariat = before.iter().any(|g| g.role == Role::Secretariat);
    let keeps_secretariat = wanted.iter().any(|g| g.role == Role::Secretariat);
    if had_secretariat && !keeps_secretariat {
        let others = member_role::Entity::find()
            .filter(member_role::Column::Role.eq(Role::Secretariat.as_str()))
            .filter(member_role::Column::MemberId.ne(m.id))
            .count(txn)
            .await?;
        if others == 0 {
            return Err(ApiError::new(ErrorCode::LastSecretariat));
        }
    }
    member_role::Entity::delete_many()
        .filter(member_role::Column::MemberId.eq(m.id))
        .exec(txn)
        .await?;
    for g in &wanted {
        grants::insert(txn, m.id, g, Some(p.id()), now).await?;
    }
    let after: Vec<Grant> = wanted.into_iter().collect();
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "member.roles", "member", m.id)
            .reason(input.reason.as_deref()),
        Some(&before),
        Some(&after),
    )
    .await?;
    member_view(txn, m, false).await
}

/// Grants a role from the command line (`grant-role`), creating the member by
/// openid when they have never logged in. Audited with no actor. Answers the
/// member's id.
pub async fn grant_role(tx: Tx, openid: &str, grant: &Grant, now: DateTime<Utc>) -> ApiResult<i64> {
    let txn = &*tx;
    let m = find_or_create_member(txn, openid, None, "管理员", now).await?;
    if !grants::holds(txn, m.id, grant).await? {
        grants::insert(txn, m.id, grant, None, now).await?;
        audit::record(
            txn,
            now,
            Entry {
                actor_id: None,
                actor_role: Some("command-line"),
                action: "member.grant_role",
                entity_type: "member",
                entity_id: m.id.to_string(),
                reason: Some("grant-role"),
            },
            None::<&()>,
            Some(grant),
        )
        .await?;
    }
    Ok(m.id)
}

/// [`grant_role`] in its own unit of work, for the command line (and the
/// tests and benches, which grant roles as it does).
pub async fn grant_role_cli(
    db: &DatabaseConnection,
    openid: &str,
    grant: Grant,
    now: DateTime<Utc>,
) -> ApiResult<i64> {
    db::write(db, |tx| grant_role(tx, openid, &grant, now)).await
}
