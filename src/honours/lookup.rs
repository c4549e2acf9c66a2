//! Lookups the use cases of the round share: the year's ranking setting, its
//! latest notice and its proposal.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{credit_year_setting, notice, proposal};
use crate::honours::rules::RankingKey;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

/// The ranking key of the year (default: the total).
pub async fn ranking_key(db: &impl ConnectionTrait, year: i32) -> ApiResult<RankingKey> {
    Ok(credit_year_setting::Entity::find_by_id(year)
        .one(db)
        .await?
        .and_then(|s| RankingKey::parse(&s.ranking_key))
        .unwrap_or_default())
}

/// The latest published version of the year's notice.
pub async fn latest_notice(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<Option<notice::Model>> {
    Ok(notice::Entity::find()
        .filter(notice::Column::Year.eq(year))
        .order_by_desc(notice::Column::Version)
        .one(db)
        .await?)
}

/// 404 `NOTICE_NOT_PUBLISHED`.
pub fn not_published() -> ApiError {
    ApiError::new(ErrorCode::NoticeNotPublished)
}

/// The proposal of the year, if one was built.
pub async fn current_proposal(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<Option<proposal::Model>> {
    Ok(proposal::Entity::find()
        .filter(proposal::Column::Year.eq(year))
        .one(db)
        .await?)
}
