//! Lookups other areas make of the organisation: does a school or district
//! exist, their names for display, and whether a school was a member unit
//! in a credit year.

use chrono::NaiveDate;
use sea_orm::EntityTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::entity::{district, school};
use crate::platform::error::{ApiError, ApiResult, FieldError};

/// A school or district by id and name.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

/// 422 at `pointer` unless the district exists.
pub async fn require_district(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    pointer: &str,
) -> ApiResult<()> {
    if district::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            pointer,
            "not_found",
            "片区不存在。",
        )]));
    }
    Ok(())
}

/// 422 at `pointer` unless the school exists.
pub async fn require_school(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    pointer: &str,
) -> ApiResult<()> {
    if school::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            pointer,
            "not_found",
            "学校不存在。",
        )]));
    }
    Ok(())
}

/// The first day of a credit year (China time), the day the membership rule
/// compares `left_on` with.
pub fn first_day_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// Seed 000 §四: the honours are for 协会学校会员单位 (member units) and
/// their staff. **A school counts for credit year Y iff it was a member on
/// some day of Y**: it has not left (`left_on` is null) or it left after
/// 1 January of Y (`left_on > Y-01-01`; `left_on` is the first day it is no
/// longer a member). A school that left during Y still counts for Y; one
/// that left on or before 1 January of Y does not count for Y or any later
/// year. Its stored articles stay.
pub fn member_in(left_on: Option<NaiveDate>, year: i32) -> bool {
    left_on.is_none_or(|d| d > first_day_of(year))
}

/// [`member_in`] as SQL, for a statement that has the school's row as
/// `alias` and the year's [`first_day_of`] bound as `first_day` (e.g. `$4`):
/// the one condition the standings, the caps' population and everything
/// built on them (workbook, notice, proposal) use.
pub fn member_in_sql(alias: &str, first_day: &str) -> String {
    format!("({alias}.left_on IS NULL OR {alias}.left_on > {first_day})")
}

/// Whether the school was a member unit in credit year `year` ([`member_in`]);
/// false for a school that does not exist.
pub async fn member_in_year(
    db: &impl sea_orm::ConnectionTrait,
    school_id: i64,
    year: i32,
) -> ApiResult<bool> {
    Ok(school::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .is_some_and(|s| member_in(s.left_on, year)))
}

/// Of `ids`, the schools that are member units in credit year `year`
/// ([`member_in`]), in one read per thousand ids.
pub async fn members_in_year(
    db: &impl sea_orm::ConnectionTrait,
    year: i32,
    ids: &std::collections::HashSet<i64>,
) -> ApiResult<std::collections::HashSet<i64>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut out = std::collections::HashSet::new();
    let ids: Vec<i64> = ids.iter().copied().collect();
    for chunk in ids.chunks(1000) {
        for s in school::Entity::find()
            .filter(school::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            if member_in(s.left_on, year) {
                out.insert(s.id);
            }
        }
    }
    Ok(out)
}
