//! The views of the honours round that more than one use case (and the
//! workbook) show: a standings row with the cap figures of its scope, and the
//! entries of the proposal and of the approved honours list. Also the one
//! check of a credit year in a path.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entity::proposal_entry;
use crate::honours::conditions::{CapPlace, RowRef, Why, assess};
use crate::honours::rules::Scope;
use crate::honours::standings::{self, StandingRow};
use crate::organisation::lookup::OrgRef;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

/// A credit year in a path: 2000–2100.
pub fn check_year(year: i32) -> ApiResult<i32> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("年份须在 2000–2100 之间。"))
    }
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
    /// Why the row is in or out: the cap, and (for the secretariat and the
    /// council) the conditions of seed 000 it does not meet.
    pub why: Why,
}

pub fn standing_view(row: StandingRow, figures: &CapFigures) -> StandingView {
    let tied = figures.tied_rank == Some(row.rank);
    let within_cap = !tied && row.position <= i64::from(figures.cap);
    let place = CapPlace::of(within_cap, tied);
    StandingView {
        rank: row.rank,
        position: row.position,
        within_cap,
        tied_at_cutoff: tied,
        why: Why::new(place, row.rank, figures.cap, None),
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

/// Adds the conditions of seed 000 to the rows' `why` (for the secretariat
/// and the council, who see the eligibility records).
pub async fn explain_conditions(
    db: &impl sea_orm::ConnectionTrait,
    year: i32,
    scope: Scope,
    cap: u32,
    views: &mut [StandingView],
) -> ApiResult<()> {
    let refs: Vec<RowRef<'_>> = views
        .iter()
        .map(|v| RowRef {
            key: &v.key,
            name: &v.name,
            school_id: v.school.id,
        })
        .collect();
    let assessed = assess(db, year, scope, &refs).await?;
    for v in views.iter_mut() {
        let unmet = assessed.get(&v.key).map(|a| a.unmet.clone());
        v.why = Why::new(v.why.cap, v.rank, cap, unmet.or(Some(Vec::new())));
    }
    Ok(())
}

/// The standings rows of a whole scope with its cap figures (a scope
/// without rows has figures of zero).
pub fn standing_views(
    rows: Vec<StandingRow>,
    figures: Option<standings::Figures>,
) -> (CapFigures, Vec<StandingView>) {
    let figures = figures.map(CapFigures::from).unwrap_or_default();
    let views = rows
        .into_iter()
        .map(|r| standing_view(r, &figures))
        .collect();
    (figures, views)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProposalEntryView {
    pub scope: Scope,
    pub key: String,
    pub name: String,
    pub school: OrgRef,
    /// Rank in the notice.
    pub rank: i32,
    pub total: i32,
    /// Added by hand (with `reason`) rather than by the automatic selection.
    pub manual: bool,
    pub reason: Option<String>,
    /// Why the row is in the list (the proposal's own view; absent on the
    /// public honours list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
}

impl From<proposal_entry::Model> for ProposalEntryView {
    fn from(e: proposal_entry::Model) -> Self {
        Self {
            scope: Scope::parse(&e.scope).unwrap_or(Scope::Schools),
            key: e.row_key,
            name: e.name,
            school: OrgRef {
                id: e.school_id,
                name: e.school_name,
            },
            rank: e.rank,
            total: e.total,
            manual: e.manual,
            reason: e.reason,
            why: None,
        }
    }
}

/// The approved honours list of a year.
#[derive(Debug, Serialize, ToSchema)]
pub struct HonoursView {
    pub year: i32,
    /// 先进集体
    pub schools: Vec<ProposalEntryView>,
    /// 先进个人
    pub individuals: Vec<ProposalEntryView>,
    pub approved_at: Option<DateTime<FixedOffset>>,
}
