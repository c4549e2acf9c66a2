//! Use cases of the standings: read a page of a year's live standings with
//! the cap figures, set the year's ranking key, and export a workbook of
//! either the live standings or one notice version (with the honours list
//! approved from it) — never a mix of the two.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{credit_year_setting, notice, notice_row};
use crate::honours::lookup::{
    current_proposal, current_ranking_key, latest_notice, not_published, ranking_key,
};
use crate::honours::model::{
    CapFigures, StandingView, check_year, explain_conditions, standing_view, standing_views,
};
use crate::honours::proposal::honours_list;
use crate::honours::rules::{RankingKey, Scope};
use crate::honours::standings;
use crate::honours::workbook::{FiguresSource, Sheet, SheetRow, standings_workbook};
use crate::platform::audit::{self, Entry};
use crate::platform::cache::Cache;
use crate::platform::clock::to_china;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
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

/// The page tokens of one standings list (year, scope, ranking key).
fn standings_tokens(key: &[u8], year: i32, scope: Scope, ranking: RankingKey) -> PageTokens<'_> {
    PageTokens::new(
        key,
        format!("standings/{year}/{}/{}", scope.as_str(), ranking.as_str()),
    )
}

/// The cursor a standings page token carries (for the benchmark, which
/// runs the same read bare).
pub fn cursor_of_token(
    page_token_key: &[u8],
    year: i32,
    scope: Scope,
    ranking: RankingKey,
    token: &str,
) -> ApiResult<standings::Cursor> {
    standings_tokens(page_token_key, year, scope, ranking).decode(token)
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
    cache: &Cache,
    page_token_key: &[u8],
    viewer: &Principal,
    year: i32,
    q: &StandingsQuery,
) -> ApiResult<StandingsPage> {
    may_read_standings(viewer)?;
    let year = check_year(year)?;
    let scope = q.scope.unwrap_or(Scope::Schools);
    let key = current_ranking_key(cache, db, year).await?;
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = standings_tokens(page_token_key, year, scope, key);
    let after: Option<standings::Cursor> = tokens.cursor(&params)?;
    let (rows, figures) =
        standings::kept_page(db, year, scope, key, after, params.size() + 1).await?;
    let figures = CapFigures::from(figures);
    let (mut views, cursors): (Vec<StandingView>, Vec<standings::Cursor>) = rows
        .into_iter()
        .map(|(r, c)| (standing_view(r, &figures), c))
        .unzip();
    if viewer.has(Role::Secretariat) || viewer.has(Role::Council) {
        explain_conditions(db, year, scope, figures.cap, &mut views).await?;
    }
    let page = tokens.page(
        views.into_iter().zip(cursors).collect(),
        params.size(),
        |(_, c)| *c,
    )?;
    Ok(StandingsPage {
        year,
        scope,
        ranking_key: key,
        figures,
        items: page.items.into_iter().map(|(v, _)| v).collect(),
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

/// A workbook of a year, ready to download.
pub struct StandingsFile {
    pub bytes: Vec<u8>,
    /// The name to save it under (Chinese; `filename*` of the download).
    pub file_name: String,
    /// The plain ASCII name for older clients (`filename`).
    pub fallback_name: String,
}

fn sheet_row(v: StandingView) -> SheetRow {
    SheetRow {
        rank: v.rank,
        name: v.name,
        school_name: v.school.name,
        site_points: v.site_points,
        bonus_points: v.bonus_points,
        total: v.total,
        counted_articles: v.counted_articles,
        within_cap: v.within_cap,
        tied_at_cutoff: v.tied_at_cutoff,
    }
}

/// Both live standings of a year as a workbook (secretariat, council): the
/// figures as computed now, stated as such on every sheet. The honours list
/// is built from a notice version, so it is in that version's workbook
/// ([`notice_workbook`]), not here.
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
        sheets.push(Sheet {
            scope,
            figures,
            rows: views.into_iter().map(sheet_row).collect(),
        });
    }
    let source = FiguresSource::Live {
        computed_at: to_china(now),
    };
    let bytes = standings_workbook(year, key, &source, &sheets, None)?;
    Ok(StandingsFile {
        bytes,
        file_name: format!("{year}年信息宣传积分排名（实时数据）.xlsx"),
        fallback_name: format!("standings-{year}-live.xlsx"),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeFileQuery {
    /// The notice version (1 for the first publication); absent: the latest.
    #[param(minimum = 1)]
    pub version: Option<i32>,
}

/// The cap figures of a scope of a notice: its population and cap as
/// published, the cut-off and the straddling tie as its rows were flagged.
fn notice_figures(population: i32, cap: i32, rows: &[notice_row::Model]) -> CapFigures {
    let cap_u = u32::try_from(cap).unwrap_or(0);
    CapFigures {
        population: u32::try_from(population).unwrap_or(0),
        cap: cap_u,
        cutoff_rank: usize::try_from(cap_u)
            .ok()
            .and_then(|c| c.checked_sub(1))
            .and_then(|i| rows.get(i))
            .map(|r| i64::from(r.rank)),
        tied_rank: rows
            .iter()
            .find(|r| r.tied_at_cutoff)
            .map(|r| i64::from(r.rank)),
    }
}

fn notice_sheet_row(r: notice_row::Model) -> SheetRow {
    SheetRow {
        rank: i64::from(r.rank),
        name: r.name,
        school_name: r.school_name,
        site_points: i64::from(r.site_points),
        bonus_points: i64::from(r.bonus_points),
        total: i64::from(r.total),
        counted_articles: i64::from(r.counted_articles),
        within_cap: r.within_cap,
        tied_at_cutoff: r.tied_at_cutoff,
    }
}

/// One published version of a year's notice as a workbook (public, like
/// the notice): its frozen standings, stated as that version on every sheet,
/// and — once the council approved a proposal built from this version — the
/// honours list. 404 `NOTICE_NOT_PUBLISHED` when the year (or that version)
/// has no notice.
pub async fn notice_workbook(
    db: &impl ConnectionTrait,
    year: i32,
    q: &NoticeFileQuery,
) -> ApiResult<StandingsFile> {
    let year = check_year(year)?;
    if q.version.is_some_and(|v| v < 1) {
        return Err(ApiError::new(ErrorCode::InvalidParameter)
            .with_detail("公示版本从 1 开始。")
            .with_extension("parameter", "version".into())
            .with_extension("minimum", 1.into()));
    }
    let n = match q.version {
        Some(v) => notice::Entity::find()
            .filter(notice::Column::Year.eq(year))
            .filter(notice::Column::Version.eq(v))
            .one(db)
            .await?
            .ok_or_else(|| not_published().with_detail(format!("{year}年度没有公示第 {v} 版。")))?,
        None => latest_notice(db, year).await?.ok_or_else(not_published)?,
    };
    let mut sheets = Vec::new();
    for (scope, population, cap) in [
        (Scope::Schools, n.school_population, n.school_cap),
        (
            Scope::Individuals,
            n.individual_population,
            n.individual_cap,
        ),
    ] {
        let rows = notice_row::Entity::find()
            .filter(notice_row::Column::NoticeId.eq(n.id))
            .filter(notice_row::Column::Scope.eq(scope.as_str()))
            .order_by_asc(notice_row::Column::Position)
            .all(db)
            .await?;
        sheets.push(Sheet {
            scope,
            figures: notice_figures(population, cap, &rows),
            rows: rows.into_iter().map(notice_sheet_row).collect(),
        });
    }
    let honours = match current_proposal(db, year).await? {
        Some(p) if p.notice_id == n.id => honours_list(db, year).await?,
        _ => None,
    };
    let key = RankingKey::parse(&n.ranking_key).unwrap_or_default();
    let source = FiguresSource::Notice {
        version: n.version,
        published_at: to_china(n.published_at),
        opens_at: to_china(n.opens_at),
        closes_at: to_china(n.closes_at),
    };
    let bytes = standings_workbook(year, key, &source, &sheets, honours.as_ref())?;
    Ok(StandingsFile {
        bytes,
        file_name: format!("{year}年信息宣传积分公示第{}版.xlsx", n.version),
        fallback_name: format!("notice-{year}-v{}.xlsx", n.version),
    })
}
