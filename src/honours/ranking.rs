//! Use cases of the standings: read a page of a year's live standings with
//! the cap figures, set the year's ranking key, and export both standings
//! (and the honours list once approved) as a workbook.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::credit_year_setting;
use crate::honours::lookup::ranking_key;
use crate::honours::model::{
    CapFigures, StandingView, check_year, explain_conditions, standing_view, standing_views,
};
use crate::honours::proposal::honours_list;
use crate::honours::rules::{RankingKey, Scope, honours_cap};
use crate::honours::standings;
use crate::honours::workbook::standings_workbook;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::to_china;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult};
use crate::platform::pagination::{PageParams, PageTokens};

#[derive(Debug, Serialize, ToSchema)]
pub struct StandingsPage {
    pub year: i32,
    pub scope: Scope,
    pub ranking_key: RankingKey,
    #[serde(flatten)]
    pub figures: CapFigures,
    pub items: Vec<StandingView>,
    /// Pass as `page_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandingsQuery {
    /// `schools` (default) or `individuals` (first authors).
    pub scope: Option<Scope>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ranking_key": "total"}))]
pub struct YearSettings {
    /// What the standings of the year are ranked by.
    pub ranking_key: RankingKey,
}

/// Computes the cap figures of a scope from the live standings.
async fn cap_figures(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    key: RankingKey,
) -> ApiResult<CapFigures> {
    let population = standings::population(db, year, scope).await?;
    let cap = honours_cap(population, scope.cap_percent());
    let ranks = standings::ranks_at(db, year, scope, key, cap).await?;
    // The ranks at positions cap and cap + 1: the cut-off, and whether the
    // group there straddles it.
    let cutoff_rank = ranks.first().copied();
    let tied_rank = match (ranks.first(), ranks.get(1)) {
        (Some(a), Some(b)) if a == b => Some(*a),
        _ => None,
    };
    Ok(CapFigures {
        population,
        cap,
        cutoff_rank,
        tied_rank,
    })
}

fn may_read_standings(p: &Principal) -> ApiResult<()> {
    if p.has(Role::Correspondent) || p.has(Role::Secretariat) || p.has(Role::Council) {
        Ok(())
    } else {
        Err(ApiError::forbidden().with_detail("仅通讯员、秘书处和理事会可以查看积分排名。"))
    }
}

/// A page of the live standings of a credit year, with the cap figures
/// (correspondents, secretariat, council).
pub async fn page(
    db: &(impl ConnectionTrait + TransactionTrait),
    page_token_key: &[u8],
    viewer: &Principal,
    year: i32,
    q: &StandingsQuery,
) -> ApiResult<StandingsPage> {
    may_read_standings(viewer)?;
    let year = check_year(year)?;
    let scope = q.scope.unwrap_or(Scope::Schools);
    let key = ranking_key(db, year).await?;
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(
        page_token_key,
        format!("standings/{year}/{}/{}", scope.as_str(), key.as_str()),
    );
    let after: i64 = tokens.cursor(&params)?.unwrap_or(0);
    let (rows, figures) =
        standings::page(db, year, scope, key, after, Some(params.size() + 1)).await?;
    let figures = match figures {
        Some(f) => f.into(),
        // Past the last row: the figures alone.
        None => cap_figures(db, year, scope, key).await?,
    };
    let mut views: Vec<StandingView> = rows
        .into_iter()
        .map(|r| standing_view(r, &figures))
        .collect();
    if viewer.has(Role::Secretariat) || viewer.has(Role::Council) {
        explain_conditions(db, year, scope, figures.cap, &mut views).await?;
    }
    let page = tokens.page(views, params.size(), |v| v.position)?;
    Ok(StandingsPage {
        year,
        scope,
        ranking_key: key,
        figures,
        items: page.items,
        next_page_token: page.next_page_token,
    })
}

/// Sets the ranking key of a credit year (secretariat), audited with the key before.
pub async fn set_ranking_key(
    tx: Tx,
    actor: &Principal,
    year: i32,
    input: &YearSettings,
    now: DateTime<Utc>,
) -> ApiResult<YearSettings> {
    let year = check_year(year)?;
    let txn = &*tx;
    let before = ranking_key(txn, year).await?;
    let existing = credit_year_setting::Entity::find_by_id(year)
        .one(txn)
        .await?;
    let am = credit_year_setting::ActiveModel {
        year: Set(year),
        ranking_key: Set(input.ranking_key.as_str().to_owned()),
        updated_at: Set(now),
    };
    if existing.is_some() {
        am.update(txn).await?;
    } else {
        am.insert(txn).await?;
    }
    audit::record(
        txn,
        now,
        Entry::by(
            actor,
            Role::Secretariat,
            "credit_year.settings",
            "credit_year",
            year,
        ),
        Some(&YearSettings {
            ranking_key: before,
        }),
        Some(input),
    )
    .await?;
    Ok(YearSettings {
        ranking_key: input.ranking_key,
    })
}

/// The standings workbook of a year, ready to download.
pub struct StandingsFile {
    pub bytes: Vec<u8>,
    /// The `Content-Disposition` of the download (an ASCII name and the Chinese one).
    pub content_disposition: String,
}

/// Both standings of a year and, once approved, the honours list as a workbook.
pub async fn workbook(
    db: &(impl ConnectionTrait + TransactionTrait),
    year: i32,
    now: DateTime<Utc>,
) -> ApiResult<StandingsFile> {
    let year = check_year(year)?;
    let key = ranking_key(db, year).await?;
    let mut sheets = Vec::new();
    for scope in [Scope::Schools, Scope::Individuals] {
        let (rows, figures) = standings::page(db, year, scope, key, 0, None).await?;
        let (figures, views) = standing_views(rows, figures);
        sheets.push((scope, figures, views));
    }
    let honours = honours_list(db, year).await?;
    let bytes = standings_workbook(year, key, &sheets, honours.as_ref(), to_china(now))?;
    Ok(StandingsFile {
        bytes,
        content_disposition: format!(
            "attachment; filename=\"standings-{year}.xlsx\"; filename*=UTF-8''{year}%E5%B9%B4%E4%BF%A1%E6%81%AF%E5%AE%A3%E4%BC%A0%E7%A7%AF%E5%88%86.xlsx"
        ),
    })
}
