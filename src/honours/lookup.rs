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

/// Eligibility records back the list the council decides on: once the
/// proposal is submitted they change only after the council returns it
/// (409 `PROPOSAL_NOT_EDITABLE`), and never once it is approved (409 `PROPOSAL_FINAL`).
pub async fn refuse_once_submitted(db: &impl ConnectionTrait, year: i32) -> ApiResult<()> {
    match current_proposal(db, year).await?.map(|p| p.status) {
        Some(s) if s == "approved" => Err(ApiError::new(ErrorCode::ProposalFinal)
            .with_detail("本年度推荐名单已经理事会审定，评选条件的登记不能再更改。")),
        Some(s) if s == "submitted" => Err(ApiError::new(ErrorCode::ProposalNotEditable)
            .with_detail(
                "推荐名单已报理事会审定，评选条件的登记暂不能更改；如需更改，请理事会先退回名单。",
            )),
        _ => Ok(()),
    }
}
