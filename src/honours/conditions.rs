//! Whether a row of the standings meets the conditions of seed 000 — the one
//! check every path into the honours list goes through: the automatic
//! selection, a row added by hand, submitting the list and approving it.
//!
//! Seed 000 §六(三): the secretariat proposes, from the ranking, the member
//! units and authors "满足……评选条件" — for a school the conditions of §五(一),
//! recorded as the secretariat's checklist; for a person §四(二) "会员单位的
//!后勤职工" and the qualitative conditions of §五(二), which the secretariat
//! confirms. A school that is no longer a member unit in the credit year
//! (and its people) is out whatever is recorded.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entity::{individual_eligibility, school_eligibility};
use crate::honours::rules::Scope;
use crate::organisation::lookup::members_in_year;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

/// Longest IN list a check sends (SQLite allows 32,766 parameters,
/// PostgreSQL 65,535); beyond it the year's records are read whole.
const IN_LIST_MAX: usize = 1000;

/// A condition of seed 000 a row does not meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unmet {
    /// The school is not a member unit in the credit year (§四: 会员单位).
    InactiveSchool,
    /// §五(一): the secretariat has not recorded the school's checklist.
    ChecklistNotRecorded,
    /// §五(一)1: 完善的后勤信息宣传工作机制.
    Mechanism,
    /// §五(一)1: 信息发布流程.
    Process,
    /// §五(一)1: 信息档案管理.
    Archive,
    /// §五(一)1: 专职人员负责后勤信息宣传工作.
    DedicatedStaff,
    /// §四(二): not yet confirmed as logistics staff of a member unit.
    StaffNotConfirmed,
    /// §四(二): recorded as not logistics staff of a member unit.
    NotLogisticsStaff,
    /// §五(二)1–4: the qualitative conditions not confirmed by the secretariat.
    QualitiesNotConfirmed,
}

impl Unmet {
    /// The condition, in Chinese, as the secretariat reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::InactiveSchool => "该校本年度不是会员单位",
            Self::ChecklistNotRecorded => "尚未登记先进集体评选条件（第五条第一款）",
            Self::Mechanism => "未具备完善的后勤信息宣传工作机制",
            Self::Process => "未具备信息发布流程",
            Self::Archive => "未具备信息档案管理",
            Self::DedicatedStaff => "没有专职人员负责后勤信息宣传工作",
            Self::StaffNotConfirmed => "尚未确认为会员单位的后勤职工",
            Self::NotLogisticsStaff => "登记为非会员单位后勤职工",
            Self::QualitiesNotConfirmed => "尚未确认符合先进个人评选条件（第五条第二款）",
        }
    }
}

/// Whether a row meets the conditions, and which it does not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowEligibility {
    pub eligible: bool,
    /// Empty when eligible.
    pub unmet: Vec<Unmet>,
}

impl RowEligibility {
    fn of(unmet: Vec<Unmet>) -> Self {
        Self {
            eligible: unmet.is_empty(),
            unmet,
        }
    }
}

/// A row as the check needs it.
#[derive(Clone, Debug)]
pub struct RowRef<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub school_id: i64,
}

/// A row refused by `NOT_ELIGIBLE`, with the conditions it does not meet.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnmetRow {
    pub scope: Scope,
    pub key: String,
    pub name: String,
    pub unmet: Vec<Unmet>,
}

/// The unmet conditions of school checklist fields.
pub fn checklist_unmet(mechanism: bool, process: bool, archive: bool, staff: bool) -> Vec<Unmet> {
    [
        (mechanism, Unmet::Mechanism),
        (process, Unmet::Process),
        (archive, Unmet::Archive),
        (staff, Unmet::DedicatedStaff),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, u)| u)
    .collect()
}

/// The unmet conditions of a person's record (None: nothing recorded).
pub fn individual_unmet(record: Option<(bool, bool)>) -> Vec<Unmet> {
    match record {
        None => vec![Unmet::StaffNotConfirmed, Unmet::QualitiesNotConfirmed],
        Some((staff, qualities)) => {
            let mut unmet = Vec::new();
            if !staff {
                unmet.push(Unmet::NotLogisticsStaff);
            }
            if !qualities {
                unmet.push(Unmet::QualitiesNotConfirmed);
            }
            unmet
        }
    }
}

/// Assesses rows of one scope of a credit year: for each key, whether it
/// meets the conditions. Three reads whatever the number of rows.
pub async fn assess(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    rows: &[RowRef<'_>],
) -> ApiResult<HashMap<String, RowEligibility>> {
    let school_ids: HashSet<i64> = rows.iter().map(|r| r.school_id).collect();
    let members = members_in_year(db, year, &school_ids).await?;
    let mut out = HashMap::with_capacity(rows.len());
    match scope {
        Scope::Schools => {
            let records: HashMap<i64, school_eligibility::Model> =
                school_eligibility::Entity::find()
                    .filter(school_eligibility::Column::Year.eq(year))
                    .filter(school_eligibility::Column::SchoolId.is_in(school_ids.iter().copied()))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|e| (e.school_id, e))
                    .collect();
            for r in rows {
                let mut unmet = Vec::new();
                if !members.contains(&r.school_id) {
                    unmet.push(Unmet::InactiveSchool);
                }
                match records.get(&r.school_id) {
                    None => unmet.push(Unmet::ChecklistNotRecorded),
                    Some(e) => unmet.extend(checklist_unmet(
                        e.mechanism,
                        e.process,
                        e.archive,
                        e.dedicated_staff,
                    )),
                }
                out.insert(r.key.to_owned(), RowEligibility::of(unmet));
            }
        }
        Scope::Individuals => {
            let mut records: HashMap<String, (bool, bool)> = HashMap::new();
            let year_records = individual_eligibility::Entity::find()
                .filter(individual_eligibility::Column::Year.eq(year));
            // A page of rows: their keys (a bounded IN list); a whole scope:
            // the year's records in one read.
            let found = if rows.len() <= IN_LIST_MAX {
                year_records
                    .filter(
                        individual_eligibility::Column::RowKey
                            .is_in(rows.iter().map(|r| r.key.to_owned())),
                    )
                    .all(db)
                    .await?
            } else {
                year_records.all(db).await?
            };
            for e in found {
                records.insert(e.row_key, (e.logistics_staff, e.qualities_confirmed));
            }
            for r in rows {
                let mut unmet = Vec::new();
                if !members.contains(&r.school_id) {
                    unmet.push(Unmet::InactiveSchool);
                }
                unmet.extend(individual_unmet(records.get(r.key).copied()));
                out.insert(r.key.to_owned(), RowEligibility::of(unmet));
            }
        }
    }
    Ok(out)
}

/// The rows that do not meet the conditions, each with what it lacks.
pub async fn unmet_rows(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    rows: &[RowRef<'_>],
) -> ApiResult<Vec<UnmetRow>> {
    let assessed = assess(db, year, scope, rows).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let a = assessed.get(r.key)?;
            (!a.eligible).then(|| UnmetRow {
                scope,
                key: r.key.to_owned(),
                name: r.name.to_owned(),
                unmet: a.unmet.clone(),
            })
        })
        .collect())
}

/// 409 `NOT_ELIGIBLE` unless every row meets the conditions: the problem
/// names each row refused and its unmet conditions (`unmet`).
pub async fn ensure_eligible(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    rows: &[RowRef<'_>],
) -> ApiResult<()> {
    not_eligible(unmet_rows(db, year, scope, rows).await?)
}

/// `Ok` when nothing is refused; else 409 `NOT_ELIGIBLE` naming the rows.
pub fn not_eligible(refused: Vec<UnmetRow>) -> ApiResult<()> {
    let Some(first) = refused.first() else {
        return Ok(());
    };
    let conditions: Vec<&str> = first.unmet.iter().map(|u| u.label()).collect();
    let more = if refused.len() > 1 {
        format!("（另有 {} 行不符合条件，见 unmet）", refused.len() - 1)
    } else {
        String::new()
    };
    let detail = format!(
        "{}不符合评选条件：{}，不能列入推荐名单{more}。",
        first.name,
        conditions.join("；")
    );
    let members = serde_json::to_value(&refused).map_err(ApiError::internal)?;
    Err(ApiError::new(ErrorCode::NotEligible)
        .with_detail(detail)
        .with_extension("unmet", members))
}

/// Where a row stands against the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapPlace {
    /// Inside the cap.
    WithinCap,
    /// Part of a tied group straddling the cut-off: left out of the automatic
    /// selection; the secretariat may add it with a reason.
    TiedAtCutoff,
    /// Ranked below the cap.
    BelowCap,
}

/// Why a row is in or out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Why {
    /// Within the cap and meeting every condition (for viewers who do not
    /// see the records, on the cap alone). In a proposal: whether the row is in the list.
    pub in_list: bool,
    pub cap: CapPlace,
    /// The conditions not met (empty when all are met); absent for viewers
    /// who may not see the secretariat's records (correspondents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmet: Option<Vec<Unmet>>,
    /// Proposal only: the secretariat removed the row by hand (with a reason in the audit log).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed_by_hand: bool,
    /// The same in one Chinese sentence.
    pub text: String,
}

impl CapPlace {
    /// The place of a row flagged inside the cap and/or tied at the cut-off.
    pub fn of(within_cap: bool, tied_at_cutoff: bool) -> Self {
        match (within_cap, tied_at_cutoff) {
            (_, true) => Self::TiedAtCutoff,
            (true, false) => Self::WithinCap,
            (false, false) => Self::BelowCap,
        }
    }
}

impl Why {
    /// Why a row of rank `rank` is where it is: its place against the cap
    /// (`cap` rows at most) and, when known, its unmet conditions.
    pub fn new(cap: CapPlace, rank: i64, cap_size: u32, unmet: Option<Vec<Unmet>>) -> Self {
        let eligible = unmet.as_ref().is_none_or(Vec::is_empty);
        let place = match cap {
            CapPlace::WithinCap => format!("第 {rank} 名，在名额（{cap_size} 个）内"),
            CapPlace::TiedAtCutoff => format!(
                "与名额线上的其他行并列第 {rank} 名，自动推荐不含此并列组，由秘书处决定并记录理由"
            ),
            CapPlace::BelowCap => format!("第 {rank} 名，在名额（{cap_size} 个）之外"),
        };
        let conditions = match &unmet {
            Some(u) if !u.is_empty() => {
                let labels: Vec<&str> = u.iter().map(|c| c.label()).collect();
                format!("；不符合评选条件：{}", labels.join("、"))
            }
            Some(_) => "；符合评选条件".to_owned(),
            None => String::new(),
        };
        Self {
            in_list: cap == CapPlace::WithinCap && eligible,
            cap,
            unmet,
            removed_by_hand: false,
            text: format!("{place}{conditions}。"),
        }
    }
}
