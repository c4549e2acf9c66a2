//! Use cases of eligibility: the secretariat ticks the conditions of a school
//! (seed 000 §五(一)) and confirms a person as logistics staff of a member
//! school (seed 000 §四(二)); the proposal takes only eligible rows.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{individual_eligibility, school_eligibility};
use crate::honours::model::check_year;
use crate::honours::rules::Scope;
use crate::organisation::lookup::require_school;
use crate::platform::audit::{self, Entry};
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

/// The conditions of seed 000 §五(一) for a school, ticked by the secretariat.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolEligibility {
    /// 有完善的学校后勤信息宣传工作机制
    pub mechanism: bool,
    /// 信息发布流程 (publication process)
    pub process: bool,
    /// 信息档案管理 (records management)
    pub archive: bool,
    /// 有专职人员负责后勤信息宣传工作
    pub dedicated_staff: bool,
    /// The secretariat's note (at most 500 characters).
    #[validate(length(max = 500, message = "备注不能超过 500 个字。"))]
    pub note: Option<String>,
}

impl SchoolEligibility {
    /// All four conditions hold.
    pub fn eligible(&self) -> bool {
        self.mechanism && self.process && self.archive && self.dedicated_staff
    }
}

impl From<&school_eligibility::Model> for SchoolEligibility {
    fn from(e: &school_eligibility::Model) -> Self {
        Self {
            mechanism: e.mechanism,
            process: e.process,
            archive: e.archive,
            dedicated_staff: e.dedicated_staff,
            note: e.note.clone(),
        }
    }
}

/// Whether a person is logistics staff of a member school (seed 000 §四(二)).
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndividualEligibility {
    /// 会员单位的后勤职工: confirmed by the secretariat.
    pub logistics_staff: bool,
    #[validate(length(max = 500, message = "备注不能超过 500 个字。"))]
    pub note: Option<String>,
}

/// Records the eligibility checklist of a school for a year (secretariat).
pub async fn set_school(
    tx: Tx,
    actor: &Principal,
    year: i32,
    school_id: i64,
    input: &SchoolEligibility,
    now: DateTime<Utc>,
) -> ApiResult<SchoolEligibility> {
    let year = check_year(year)?;
    let txn = &*tx;
    require_school(txn, school_id, "/school_id")
        .await
        .map_err(|_| ApiError::not_found().with_detail("学校不存在。"))?;
    let existing = school_eligibility::Entity::find_by_id((year, school_id))
        .one(txn)
        .await?;
    let before = existing.as_ref().map(SchoolEligibility::from);
    let am = school_eligibility::ActiveModel {
        year: Set(year),
        school_id: Set(school_id),
        mechanism: Set(input.mechanism),
        process: Set(input.process),
        archive: Set(input.archive),
        dedicated_staff: Set(input.dedicated_staff),
        note: Set(input.note.clone()),
        updated_by: Set(Some(actor.id())),
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
            "eligibility.school",
            "school",
            school_id,
        ),
        before.as_ref(),
        Some(input),
    )
    .await?;
    Ok(input.clone())
}

/// Confirms (or not) a person of the standings, by row key, as logistics
/// staff of a member school (secretariat).
pub async fn set_individual(
    tx: Tx,
    actor: &Principal,
    year: i32,
    key: &str,
    input: &IndividualEligibility,
    now: DateTime<Utc>,
) -> ApiResult<IndividualEligibility> {
    let year = check_year(year)?;
    if key.is_empty() || key.chars().count() > 120 {
        return Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("人员标识无效。"));
    }
    let txn = &*tx;
    let existing = individual_eligibility::Entity::find_by_id((year, key.to_owned()))
        .one(txn)
        .await?;
    let before = existing.as_ref().map(|e| IndividualEligibility {
        logistics_staff: e.logistics_staff,
        note: e.note.clone(),
    });
    let am = individual_eligibility::ActiveModel {
        year: Set(year),
        row_key: Set(key.to_owned()),
        logistics_staff: Set(input.logistics_staff),
        note: Set(input.note.clone()),
        updated_by: Set(Some(actor.id())),
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
            "eligibility.individual",
            "individual",
            key,
        ),
        before.as_ref(),
        Some(input),
    )
    .await?;
    Ok(input.clone())
}

/// The row keys of the year's eligible schools (every condition ticked) or
/// of the confirmed logistics staff.
pub async fn eligible_keys(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
) -> ApiResult<HashSet<String>> {
    Ok(match scope {
        Scope::Schools => school_eligibility::Entity::find()
            .filter(school_eligibility::Column::Year.eq(year))
            .all(db)
            .await?
            .into_iter()
            .filter(|e| SchoolEligibility::from(e).eligible())
            .map(|e| e.school_id.to_string())
            .collect(),
        Scope::Individuals => individual_eligibility::Entity::find()
            .filter(individual_eligibility::Column::Year.eq(year))
            .filter(individual_eligibility::Column::LogisticsStaff.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|e| e.row_key)
            .collect(),
    })
}
