//! How a member looks: to themselves ([`MeView`], phone in full) and to the
//! secretariat ([`MemberView`], phone masked in lists), with their roles
//! named after the schools and districts they apply to.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::grants;
use crate::access::roles::{Grant, Role};
use crate::entity::{district, member, school};
use crate::identity::phone::mask_phone;
use crate::organisation::lookup::OrgRef;
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult};

/// A role with the school or district it applies to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub role: Role,
    /// Chinese label of the role (通讯员, 片区负责人, 秘书处, 理事会).
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school: Option<OrgRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<OrgRef>,
}

/// The member as they see themselves (phone in full).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: i64,
    pub display_name: String,
    pub real_name: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// The whole number: only its owner, their district lead and the secretariat see it whole.
    pub phone: Option<String>,
    pub roles: Vec<RoleView>,
    pub created_at: DateTime<FixedOffset>,
}

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

/// Names of the schools and districts the grants refer to.
pub async fn role_views(db: &impl ConnectionTrait, grants: &[Grant]) -> ApiResult<Vec<RoleView>> {
    let school_ids: Vec<i64> = grants.iter().filter_map(|g| g.school_id).collect();
    let district_ids: Vec<i64> = grants.iter().filter_map(|g| g.district_id).collect();
    let schools: HashMap<i64, String> = if school_ids.is_empty() {
        HashMap::new()
    } else {
        school::Entity::find()
            .filter(school::Column::Id.is_in(school_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    };
    let districts: HashMap<i64, String> = if district_ids.is_empty() {
        HashMap::new()
    } else {
        district::Entity::find()
            .filter(district::Column::Id.is_in(district_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    };
    Ok(grants
        .iter()
        .map(|g| RoleView {
            role: g.role,
            label: g.role.label().to_owned(),
            school: g.school_id.map(|id| OrgRef {
                id,
                name: schools.get(&id).cloned().unwrap_or_default(),
            }),
            district: g.district_id.map(|id| OrgRef {
                id,
                name: districts.get(&id).cloned().unwrap_or_default(),
            }),
        })
        .collect())
}

/// The member as they see themselves, with their roles as stored now.
pub async fn me_view(db: &impl ConnectionTrait, m: &member::Model) -> ApiResult<MeView> {
    let grants = grants::load(db, m.id).await?;
    me_view_with(db, m, &grants).await
}

/// The member as they see themselves, with the roles already loaded for
/// this request (the principal's: read once per request, not twice).
pub async fn me_view_with(
    db: &impl ConnectionTrait,
    m: &member::Model,
    grants: &[Grant],
) -> ApiResult<MeView> {
    Ok(MeView {
        id: m.id,
        display_name: m.display_name.clone(),
        real_name: m.real_name.clone(),
        department: m.department.clone(),
        position: m.position.clone(),
        phone: m.phone.clone(),
        roles: role_views(db, grants).await?,
        created_at: to_china(m.created_at),
    })
}

/// One member as the secretariat sees them.
pub async fn member_view(
    db: &impl ConnectionTrait,
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
pub async fn member_views(
    db: &impl ConnectionTrait,
    members: Vec<member::Model>,
    masked: bool,
) -> ApiResult<Vec<MemberView>> {
    let grants_of = grants::load_many(db, members.iter().map(|m| m.id).collect()).await?;
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
