//! The honours round (seed 000 §四, §六(三)): caps, the cut-off and ties,
//! and the automatic proposal.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which standings: schools (先进集体) or individuals (先进个人, first authors).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = StandingsScope)]
pub enum Scope {
    Schools,
    Individuals,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schools => "schools",
            Self::Individuals => "individuals",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "schools" => Some(Self::Schools),
            "individuals" => Some(Self::Individuals),
            _ => None,
        }
    }

    /// The cap in percent of the population (20 % schools, 10 % individuals).
    pub fn cap_percent(self) -> u32 {
        match self {
            Self::Schools => 20,
            Self::Individuals => 10,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Schools => "先进集体",
            Self::Individuals => "先进个人",
        }
    }
}

/// What the standings are ranked by (a per-year setting; SPEC decision: the total).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum RankingKey {
    /// Site points plus bonus points.
    #[default]
    Total,
    /// Site points only (the seed's "网站积分排名").
    SitePoints,
}

impl RankingKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::SitePoints => "site_points",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "total" => Some(Self::Total),
            "site_points" => Some(Self::SitePoints),
            _ => None,
        }
    }

    /// The SQL expression ranked on (a constant, never user text).
    pub fn sql(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::SitePoints => "site_points",
        }
    }
}

/// The cap on honoured rows: seed 000 §四 — "信息宣传工作先进集体名额原则上不超过每年度
/// 协会官方网站发文学校总数的 20%" and "先进个人……名额原则上不超过协会官方网站投稿总人数的
/// 10%". "不超过" is read as the floor: 23 schools → 4, 9 → 1, 4 → 0; 57 people → 5.
pub fn honours_cap(population: u32, percent: u32) -> u32 {
    // Integer arithmetic: no rounding surprises from floating point.
    let cap = u64::from(population) * u64::from(percent) / 100;
    u32::try_from(cap).unwrap_or(u32::MAX)
}

/// Where the cap cuts the ranking. `ranks` are the standard competition
/// ranks (1, 2, 2, 4) of the rows in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoff {
    /// The rank of the last row inside the cap (None when the cap is 0 or no rows).
    pub cutoff_rank: Option<i64>,
    /// The rank of a tied group that straddles the cut-off (part inside, part outside).
    pub tied_rank: Option<i64>,
}

/// The cap is never exceeded: rows tied across the cut-off are flagged, and
/// the automatic proposal leaves the tied group out (SPEC §A "Ties at the cut-off").
pub fn cutoff(ranks: &[i64], cap: usize) -> Cutoff {
    if cap == 0 || ranks.is_empty() {
        return Cutoff {
            cutoff_rank: None,
            tied_rank: None,
        };
    }
    let last_inside = ranks.get(cap - 1).or(ranks.last()).copied();
    let first_outside = ranks.get(cap).copied();
    Cutoff {
        cutoff_rank: last_inside,
        tied_rank: match (last_inside, first_outside) {
            (Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        },
    }
}

/// One ranked row as the proposal sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub key: String,
    pub rank: i64,
    pub eligible: bool,
}

/// The automatic proposal (seed 000 §六(三): "由秘书处根据……积分排名考前，且……满足……评选
/// 条件的……提出推荐名单"): the top eligible rows within the cap; a tied group
/// of eligible rows that straddles the cap is left out whole, for the
/// secretariat to decide with a recorded reason.
pub fn auto_select(candidates: &[Candidate], cap: usize) -> Vec<String> {
    let eligible: Vec<&Candidate> = candidates.iter().filter(|c| c.eligible).collect();
    if cap == 0 || eligible.is_empty() {
        return Vec::new();
    }
    let ranks: Vec<i64> = eligible.iter().map(|c| c.rank).collect();
    let cut = cutoff(&ranks, cap);
    eligible
        .iter()
        .take(cap)
        .filter(|c| Some(c.rank) != cut.tied_rank)
        .map(|c| c.key.clone())
        .collect()
}
