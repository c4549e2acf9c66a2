//! Use cases of the people of the individuals' standings: read a school's
//! registry of first authors, and merge two records of one person (the
//! secretariat, with a reason) so the standings count them once.
//!
//! A merge also carries the person's eligibility records: a year where only
//! the merged record was confirmed keeps that confirmation under the
//! person's key; where both were, the kept author's record stands.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::articles::authors::{self, AuthorView, MergeAuthors};
use crate::entity::individual_eligibility;
use crate::organisation::lookup::require_school;
use crate::platform::audit::{self, Entry};
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult};

/// The registry of a school (the secretariat and the council; a
/// correspondent for their own school).
pub async fn registry(
    db: &impl ConnectionTrait,
    viewer: &Principal,
    school_id: i64,
) -> ApiResult<Vec<AuthorView>> {
    let allowed = viewer.has(Role::Secretariat)
        || viewer.has(Role::Council)
        || (viewer.has(Role::Correspondent) && viewer.school_ids().contains(&school_id));
    if !allowed {
        return Err(
            ApiError::forbidden().with_detail("仅本校通讯员、秘书处和理事会可以查看作者登记。")
        );
    }
    require_school(db, school_id, "/school_id")
        .await
        .map_err(|_| ApiError::not_found().with_detail("学校不存在。"))?;
    authors::list(db, school_id).await
}

/// Merges author `from` into `input.into` (secretariat), audited with both
/// records and the reason; answers the author kept.
pub async fn merge(
    tx: Tx,
    actor: &Principal,
    school_id: i64,
    from: i64,
    input: &MergeAuthors,
    now: DateTime<Utc>,
) -> ApiResult<AuthorView> {
    let txn = &*tx;
    let merged = authors::merge(txn, actor.id(), school_id, from, input, now).await?;
    let old_key = format!("{school_id}/{}", merged.from.author_key);
    let new_key = format!("{school_id}/{}", merged.into.author_key);
    carry_eligibility(txn, &old_key, &new_key).await?;
    let before = authors::one(txn, merged.from.id).await?;
    let after = authors::one(txn, merged.into.id).await?;
    audit::record(
        txn,
        now,
        Entry::by(actor, Role::Secretariat, "author.merge", "author", from)
            .reason(Some(input.reason.trim())),
        Some(&serde_json::json!({
            "from": merged.from.author_key,
            "into": merged.into.author_key,
        })),
        Some(&serde_json::json!({
            "merged_into": after.id,
            "articles_moved": merged.articles_moved,
            "alias": before,
        })),
    )
    .await?;
    Ok(after)
}

/// Moves the eligibility records of `old_key` to `new_key` in the years
/// where `new_key` has none; drops the rest (the kept author's stand).
async fn carry_eligibility(
    db: &impl ConnectionTrait,
    old_key: &str,
    new_key: &str,
) -> ApiResult<()> {
    let taken: Vec<i32> = individual_eligibility::Entity::find()
        .filter(individual_eligibility::Column::RowKey.eq(new_key))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.year)
        .collect();
    individual_eligibility::Entity::delete_many()
        .filter(individual_eligibility::Column::RowKey.eq(old_key))
        .filter(individual_eligibility::Column::Year.is_in(taken))
        .exec(db)
        .await?;
    individual_eligibility::Entity::update_many()
        .col_expr(individual_eligibility::Column::RowKey, Expr::value(new_key))
        .filter(individual_eligibility::Column::RowKey.eq(old_key))
        .exec(db)
        .await?;
    Ok(())
}
