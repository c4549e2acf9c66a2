//! Members and their roles (secretariat).

use std::collections::BTreeSet;

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::entity::{member, member_role};
use crate::identity::http::me::{RoleView, role_views};
use crate::identity::phone::mask_phone;
use crate::identity::principal::Secretariat;
use crate::identity::principal::load_grants;
use crate::identity::roles::{Grant, GrantError, Role};
use crate::organisation::lookup::{require_district, require_school};
use crate::platform::audit::{self, Entry};
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::ValidJson;
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::state::AppState;

/// A member as the secretariat sees them in a list (phone masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub display_name: String,
    pub real_name: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// Masked in lists (138****6978); whole in `GET /members/{id}` for the secretariat.
    pub phone: Option<String>,
    pub roles: Vec<RoleView>,
    pub created_at: DateTime<FixedOffset>,
}

async fn member_view(
    db: &impl sea_orm::ConnectionTrait,
    m: member::Model,
    masked: bool,
) -> ApiResult<MemberView> {
    let mut views = member_views(db, vec![m], masked).await?;
    views
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no view of a member")))
}

/// Views of several members with their roles: one query for all their roles
/// and one per kind of organisation for the names, however many members.
async fn member_views(
    db: &impl sea_orm::ConnectionTrait,
    members: Vec<member::Model>,
    masked: bool,
) -> ApiResult<Vec<MemberView>> {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let mut grants_of: std::collections::HashMap<i64, Vec<Grant>> =
        std::collections::HashMap::new();
    for r in member_role::Entity::find()
        .filter(member_role::Column::MemberId.is_in(ids))
        .all(db)
        .await?
    {
        if let Some(role) = Role::parse(&r.role) {
            grants_of.entry(r.member_id).or_default().push(Grant {
                role,
                school_id: r.school_id,
                district_id: r.district_id,
            });
        }
    }
    for g in grants_of.values_mut() {
        g.sort();
    }
    // All the grants in member order, named in one go, then dealt back out.
    let flat: Vec<Grant> = members
        .iter()
        .flat_map(|m| grants_of.get(&m.id).cloned().unwrap_or_default())
        .collect();
    let mut named = role_views(db, &flat).await?.into_iter();
    Ok(members
        .into_iter()
        .map(|m| {
            let n = grants_of.get(&m.id).map_or(0, Vec::len);
            MemberView {
                id: m.id,
                display_name: m.display_name,
                real_name: m.real_name,
                department: m.department,
                position: m.position,
                phone: m.phone.map(|p| if masked { mask_phone(&p) } else { p }),
                roles: named.by_ref().take(n).collect(),
                created_at: to_china(m.created_at),
            }
        })
        .collect())
}

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
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Members, newest first, with filters (secretariat).
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(MemberQuery),
    responses((status = 200, body = Page<MemberView>), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    Secretariat(_viewer): Secretariat,
    q: web::Query<MemberQuery>,
) -> ApiResult<HttpResponse> {
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let tokens = PageTokens::new(
        &state.page_token_key,
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
                .add(crate::platform::db::contains_literally(
                    member::Column::DisplayName,
                    t,
                ))
                .add(crate::platform::db::contains_literally(
                    member::Column::RealName,
                    t,
                )),
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
    let rows = query.limit(params.size() + 1).all(&state.db).await?;
    let views = member_views(&state.db, rows, true).await?;
    let page: Page<MemberView> = tokens.page(views, params.size(), |m| m.id)?;
    Ok(HttpResponse::Ok().json(page))
}

/// One member, phone in full (secretariat).
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 200, body = MemberView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[get("/members/{id}")]
pub async fn get_member(
    state: web::Data<AppState>,
    Secretariat(_viewer): Secretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let m = member::Entity::find_by_id(*path)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("成员不存在。"))?;
    Ok(HttpResponse::Ok().json(member_view(&state.db, m, false).await?))
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
pub struct RolesInput {
    /// The complete set of roles the member will hold (replaces the current set).
    #[validate(length(max = 20, message = "角色过多。"))]
    pub roles: Vec<GrantInput>,
    /// Why (kept in the audit log).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    pub reason: Option<String>,
}

/// Replace a member's roles (secretariat). Audited with before and after.
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Member id")),
    request_body = RolesInput,
    responses(
        (status = 200, body = MemberView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`LAST_SECRETARIAT`: the association would have no secretariat left"),
    )
)]
#[put("/members/{id}/roles")]
pub async fn put_roles(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<RolesInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let mut wanted = BTreeSet::new();
    let mut errors = Vec::new();
    for (i, g) in body.roles.iter().enumerate() {
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
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let txn = state.db.begin().await?;
    let m = member::Entity::find_by_id(*path)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("成员不存在。"))?;
    for (i, g) in wanted.iter().enumerate() {
        if let Some(s) = g.school_id {
            require_school(&txn, s, &format!("/roles/{i}/school_id")).await?;
        }
        if let Some(d) = g.district_id {
            require_district(&txn, d, &format!("/roles/{i}/district_id")).await?;
        }
    }
    let before = load_grants(&txn, m.id).await?;
    let had_secretariat = before.iter().any(|g| g.role == Role::Secretariat);
    let keeps_secretariat = wanted.iter().any(|g| g.role == Role::Secretariat);
    if had_secretariat && !keeps_secretariat {
        let others = member_role::Entity::find()
            .filter(member_role::Column::Role.eq(Role::Secretariat.as_str()))
            .filter(member_role::Column::MemberId.ne(m.id))
            .count(&txn)
            .await?;
        if others == 0 {
            return Err(ApiError::new(ErrorCode::LastSecretariat));
        }
    }
    member_role::Entity::delete_many()
        .filter(member_role::Column::MemberId.eq(m.id))
        .exec(&txn)
        .await?;
    for g in &wanted {
        member_role::ActiveModel {
            member_id: Set(m.id),
            role: Set(g.role.as_str().to_owned()),
            school_id: Set(g.school_id),
            district_id: Set(g.district_id),
            scope_key: Set(g.scope_key()),
            granted_at: Set(now),
            granted_by: Set(Some(p.id())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let after: Vec<Grant> = wanted.into_iter().collect();
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "member.roles", "member", m.id)
            .reason(body.reason.as_deref()),
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(member_view(&state.db, m, false).await?))
}

/// Grants a role from the command line (`grant-role`), creating the member by
/// openid when they have never logged in. Audited with no actor.
pub async fn grant_role_cli(
    db: &sea_orm::DatabaseConnection,
    openid: &str,
    grant: Grant,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<i64> {
    let txn = db.begin().await?;
    let m = crate::identity::http::auth::find_or_create_member(&txn, openid, None, "管理员", now)
        .await?;
    let exists = member_role::Entity::find()
        .filter(member_role::Column::MemberId.eq(m.id))
        .filter(member_role::Column::Role.eq(grant.role.as_str()))
        .filter(member_role::Column::ScopeKey.eq(grant.scope_key()))
        .one(&txn)
        .await?
        .is_some();
    if !exists {
        member_role::ActiveModel {
            member_id: Set(m.id),
            role: Set(grant.role.as_str().to_owned()),
            school_id: Set(grant.school_id),
            district_id: Set(grant.district_id),
            scope_key: Set(grant.scope_key()),
            granted_at: Set(now),
            granted_by: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
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
            Some(&grant),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(m.id)
}
