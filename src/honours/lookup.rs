//! Lookups the use cases of the round share: the year's ranking setting, its
//! latest notice and its proposal.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{credit_year_setting, notice, proposal};
use crate::honours::rules::RankingKey;
use crate::platform::cache::Cache;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

/// The ranking key of the year (default: the total).
pub async fn ranking_key(db: &impl ConnectionTrait, year: i32) -> ApiResult<RankingKey> {
    Ok(credit_year_setting::Entity::find_by_id(year)
        .one(db)
        .await?
        .and_then(|s| RankingKey::parse(&s.ranking_key))
        .unwrap_or_default())
}

/// The name the credit-year settings are remembered under in each process
/// (see [`Cache::remembered`]).
const YEAR_SETTINGS: &str = "credit-year-settings";

/// The ranking key of the year as configured now, from the settings of every
/// year remembered per process (a handful of rows) until a change
/// ([`year_settings_changed`]) or for [`crate::platform::cache::MEMO_MAX_AGE`]
/// at most. A unit of work that must see its own writes reads
/// [`ranking_key`] instead.
pub async fn current_ranking_key(
    cache: &Cache,
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<RankingKey> {
    let keys = cache
        .remembered(YEAR_SETTINGS, || async {
            let rows = credit_year_setting::Entity::find().all(db).await?;
            Ok::<_, ApiError>(
                rows.into_iter()
                    .filter_map(|s| Some((s.year, RankingKey::parse(&s.ranking_key)?)))
                    .collect::<HashMap<i32, RankingKey>>(),
            )
        })
        .await?;
    Ok(keys.get(&year).copied().unwrap_or_default())
}

/// After a change of a year's settings was committed, before it is
/// answered: every process reads them again (503 when the shared cache
/// cannot be told; the change is saved, sending it again is safe).
pub async fn year_settings_changed(cache: &Cache) -> ApiResult<()> {
    Ok(cache.invalidate(YEAR_SETTINGS).await?)
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
