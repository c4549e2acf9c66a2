//! Storage of the roles members hold (`member_roles`): reading a member's
//! grants, and granting one. Who may grant what is decided by the use cases
//! (members, invitations); this file only reads and writes rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::access::roles::{Grant, Role};
use crate::entity::{member, member_role};
use crate::platform::error::ApiResult;

fn grant_of(r: &member_role::Model) -> Option<Grant> {
    Role::parse(&r.role).map(|role| Grant {
        role,
        school_id: r.school_id,
        district_id: r.district_id,
    })
}

/// The member's grants, sorted.
pub async fn load(db: &impl ConnectionTrait, member_id: i64) -> ApiResult<Vec<Grant>> {
    let mut of = load_many(db, vec![member_id]).await?;
    Ok(of.remove(&member_id).unwrap_or_default())
}

/// The member with their grants (sorted), in one statement (a left join):
/// every authenticated request reads this, so it costs one round trip.
pub async fn load_member(
    db: &impl ConnectionTrait,
    member_id: i64,
) -> ApiResult<Option<(member::Model, Vec<Grant>)>> {
    let rows = member::Entity::find_by_id(member_id)
        .find_also_related(member_role::Entity)
        .all(db)
        .await?;
    let mut grants: Vec<Grant> = rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().and_then(grant_of))
        .collect();
    grants.sort();
    Ok(rows.into_iter().next().map(|(m, _)| (m, grants)))
}

/// The grants of several members in one query, each member's sorted.
/// Members holding no role are absent.
pub async fn load_many(
    db: &impl ConnectionTrait,
    member_ids: Vec<i64>,
) -> ApiResult<HashMap<i64, Vec<Grant>>> {
    let mut of: HashMap<i64, Vec<Grant>> = HashMap::new();
    for r in member_role::Entity::find()
        .filter(member_role::Column::MemberId.is_in(member_ids))
        .all(db)
        .await?
    {
        if let Some(g) = grant_of(&r) {
            of.entry(r.member_id).or_default().push(g);
        }
    }
    for g in of.values_mut() {
        g.sort();
    }
    Ok(of)
}

/// Whether the member holds this role for this organisation already.
pub async fn holds(db: &impl ConnectionTrait, member_id: i64, grant: &Grant) -> ApiResult<bool> {
    Ok(member_role::Entity::find()
        .filter(member_role::Column::MemberId.eq(member_id))
        .filter(member_role::Column::Role.eq(grant.role.as_str()))
        .filter(member_role::Column::ScopeKey.eq(grant.scope_key()))
        .one(db)
        .await?
        .is_some())
}

/// Gives the member the role; `granted_by` is the member who granted it
/// (none for the command line).
pub async fn insert(
    db: &impl ConnectionTrait,
    member_id: i64,
    grant: &Grant,
    granted_by: Option<i64>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    member_role::ActiveModel {
        member_id: Set(member_id),
        role: Set(grant.role.as_str().to_owned()),
        school_id: Set(grant.school_id),
        district_id: Set(grant.district_id),
        scope_key: Set(grant.scope_key()),
        granted_at: Set(now),
        granted_by: Set(granted_by),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
