//! Lookups other areas make of the organisation: does a school or district
//! exist, and their names for display.

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

/// Of `ids`, the schools that are member units in credit year `year`.
pub async fn members_in_year(
    db: &impl sea_orm::ConnectionTrait,
    _year: i32,
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
            if s.active {
                out.insert(s.id);
            }
        }
    }
    Ok(out)
}
