//! Standings of a credit year, the per-year ranking setting, and the Excel export.

use actix_web::http::header;
use actix_web::{HttpResponse, get, put, web};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::entity::credit_year_setting;
use crate::honours::rules::{RankingKey, Scope, honours_cap};
use crate::honours::standings::{self, StandingRow};
use crate::identity::principal::{Auth, Principal, Secretariat, SecretariatOrCouncil};
use crate::identity::roles::Role;
use crate::organisation::lookup::OrgRef;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::platform::extract::ValidJson;
use crate::platform::pagination::{PageParams, PageTokens};
use crate::state::AppState;

/// A credit year in a path: 2000–2100.
pub fn check_year(year: i32) -> ApiResult<i32> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("年份须在 2000–2100 之间。"))
    }
}

/// The ranking key of the year (default: the total).
pub async fn ranking_key(db: &impl ConnectionTrait, year: i32) -> ApiResult<RankingKey> {
    Ok(credit_year_setting::Entity::find_by_id(year)
        .one(db)
        .await?
        .and_then(|s| RankingKey::parse(&s.ranking_key))
        .unwrap_or_default())
}

/// The cap figures of one scope.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct CapFigures {
    /// Schools (people) with at least one counted article on the official sites that year.
    pub population: u32,
    /// At most this many are honoured: floor(20 % / 10 % × population).
    pub cap: u32,
    /// Rank of the last row inside the cap (absent when the cap is 0).
    pub cutoff_rank: Option<i64>,
    /// Rank of a tied group that straddles the cut-off, if any: those rows
    /// are flagged and left out of the automatic proposal.
    pub tied_rank: Option<i64>,
}

impl From<standings::Figures> for CapFigures {
    fn from(f: standings::Figures) -> Self {
        Self {
            population: f.population,
            cap: f.cap,
            cutoff_rank: f.cutoff_rank,
            tied_rank: f.tied_rank,
        }
    }
}

/// Computes the cap figures of a scope from the live standings.
pub async fn cap_figures(
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

/// One row of the standings. Nobody's contact data appears here.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StandingView {
    /// Standard competition rank (1, 2, 2, 4).
    pub rank: i64,
    /// Place in the listed order (1-based).
    pub position: i64,
    /// Stable key of the row: the school id, or `<school_id>/<author_key>` for a person.
    pub key: String,
    /// The school's name, or the person's name.
    pub name: String,
    pub school: OrgRef,
    pub site_points: i64,
    pub bonus_points: i64,
    pub total: i64,
    /// Articles that earned points.
    pub counted_articles: i64,
    /// Inside the cap (and not part of a tied group straddling the cut-off).
    pub within_cap: bool,
    /// Part of a tied group that straddles the cut-off.
    pub tied_at_cutoff: bool,
}

pub fn standing_view(row: StandingRow, figures: &CapFigures) -> StandingView {
    let tied = figures.tied_rank == Some(row.rank);
    StandingView {
        rank: row.rank,
        position: row.position,
        within_cap: !tied && row.position <= i64::from(figures.cap),
        tied_at_cutoff: tied,
        key: row.key,
        name: row.name,
        school: OrgRef {
            id: row.school_id,
            name: row.school_name,
        },
        site_points: row.site_points,
        bonus_points: row.bonus_points,
        total: row.total,
        counted_articles: row.counted_articles,
    }
}

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
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

fn may_read_standings(p: &Principal) -> ApiResult<()> {
    if p.has(Role::Correspondent) || p.has(Role::Secretariat) || p.has(Role::Council) {
        Ok(())
    } else {
        Err(ApiError::forbidden().with_detail("仅通讯员、秘书处和理事会可以查看积分排名。"))
    }
}

/// Live standings of a credit year, with the cap figures (correspondents, secretariat, council).
///
/// Computed in SQL from the articles' points; ranks are standard competition
/// ranks. Rows tied across the cut-off are flagged.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year (China time)"), StandingsQuery),
    responses((status = 200, body = StandingsPage), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/credit-years/{year}/standings")]
pub async fn get_standings(
    state: web::Data<AppState>,
    Auth(p): Auth,
    path: web::Path<i32>,
    q: web::Query<StandingsQuery>,
) -> ApiResult<HttpResponse> {
    may_read_standings(&p)?;
    let year = check_year(*path)?;
    let scope = q.scope.unwrap_or(Scope::Schools);
    let key = ranking_key(&state.db, year).await?;
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(
        &state.page_token_key,
        format!("standings/{year}/{}/{}", scope.as_str(), key.as_str()),
    );
    let after: i64 = tokens.cursor(&params)?.unwrap_or(0);
    let (rows, figures) =
        standings::page(&state.db, year, scope, key, after, Some(params.size() + 1)).await?;
    let figures = match figures {
        Some(f) => f.into(),
        // Past the last row: the figures alone.
        None => cap_figures(&state.db, year, scope, key).await?,
    };
    let views: Vec<StandingView> = rows
        .into_iter()
        .map(|r| standing_view(r, &figures))
        .collect();
    let page = tokens.page(views, params.size(), |v| v.position)?;
    Ok(HttpResponse::Ok().json(StandingsPage {
        year,
        scope,
        ranking_key: key,
        figures,
        items: page.items,
        next_page_token: page.next_page_token,
    }))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearSettings {
    /// What the standings of the year are ranked by.
    pub ranking_key: RankingKey,
}

/// Set the ranking key of a credit year (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = YearSettings,
    responses((status = 200, body = YearSettings), (status = 403, description = "`FORBIDDEN`"))
)]
#[put("/credit-years/{year}/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<YearSettings>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let before = ranking_key(&txn, year).await?;
    let existing = credit_year_setting::Entity::find_by_id(year)
        .one(&txn)
        .await?;
    let am = credit_year_setting::ActiveModel {
        year: Set(year),
        ranking_key: Set(body.ranking_key.as_str().to_owned()),
        updated_at: Set(now),
    };
    if existing.is_some() {
        am.update(&txn).await?;
    } else {
        am.insert(&txn).await?;
    }
    audit::record(
        &txn,
        now,
        Entry::by(
            &p,
            Role::Secretariat,
            "credit_year.settings",
            "credit_year",
            year,
        ),
        Some(&YearSettings {
            ranking_key: before,
        }),
        Some(&body.0),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(body.0))
}

/// The standings and the honours list as an Excel workbook (secretariat, council).
///
/// Sheets 学校排名 and 个人排名 (Chinese headers, frozen header row, the
/// year's population, cap and cut-off above the table) and, once a proposal
/// exists, 表彰名单.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, description = "`FORBIDDEN`"),
    )
)]
#[get("/credit-years/{year}/standings.xlsx")]
pub async fn standings_xlsx(
    state: web::Data<AppState>,
    SecretariatOrCouncil(_viewer): SecretariatOrCouncil,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let key = ranking_key(&state.db, year).await?;
    let mut sheets = Vec::new();
    for scope in [Scope::Schools, Scope::Individuals] {
        let (rows, figures) = standings::page(&state.db, year, scope, key, 0, None).await?;
        let figures = figures.map(CapFigures::from).unwrap_or_default();
        let views: Vec<StandingView> = rows
            .into_iter()
            .map(|r| standing_view(r, &figures))
            .collect();
        sheets.push((scope, figures, views));
    }
    let honours = crate::honours::http::proposal::honours_rows(&state.db, year).await?;
    let bytes = crate::honours::workbook::standings_workbook(
        year,
        key,
        &sheets,
        honours.as_ref(),
        to_china(Utc::now()),
    )?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"standings-{year}.xlsx\"; filename*=UTF-8''{year}%E5%B9%B4%E4%BF%A1%E6%81%AF%E5%AE%A3%E4%BC%A0%E7%A7%AF%E5%88%86.xlsx"),
        ))
        .body(bytes))
}
