//! Use cases of eligibility: the secretariat ticks the conditions of a school
//! (seed 000 §五(一)) and confirms a person as logistics staff of a member
//! school (seed 000 §四(二)); the proposal takes only eligible rows.
//!
//! No silent overwrites: the first record of a school's checklist (or of a
//! person) is made without a precondition; changing a recorded one needs
//! `If-Match` with the ETag of the record as read and a `reason` (audited).
//! A change made on a stale view — no `If-Match` while someone else already
//! recorded it, or an old ETag — answers 409 `STALE_DECISION` naming who
//! recorded what, and changes nothing.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{article, individual_eligibility, school_eligibility};
use crate::honours::conditions::{Unmet, checklist_unmet, individual_unmet};
use crate::honours::lookup::refuse_once_submitted;
use crate::honours::model::check_year;
use crate::identity::lookup::decided_by;
use crate::organisation::lookup::require_school;
use crate::platform::audit::{self, Entry};
use crate::platform::batch;
use crate::platform::clock::to_china;
use crate::platform::db::{self, Tx};
use crate::platform::decision::{
    DecidedBy, StaleDecision, content_etag, if_match_satisfied, revision_reason,
};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, Problem};

/// The conditions of seed 000 §五(一) for a school, ticked by the secretariat.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mechanism": true,
    "process": true,
    "archive": true,
    "dedicated_staff": true,
    "note": "四川大学后勤宣传制度齐全。"
}))]
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
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// Why a recorded checklist changes: required with `If-Match` (at most
    /// 500 characters, kept in the audit log); not needed for the first record.
    #[validate(length(max = 500, message = "理由不能超过 500 个字。"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
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
            reason: None,
        }
    }
}

/// A school's recorded checklist for a year, with who recorded it and its ETag.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SchoolEligibilityView {
    pub year: i32,
    pub school_id: i64,
    pub mechanism: bool,
    pub process: bool,
    pub archive: bool,
    pub dedicated_staff: bool,
    pub note: Option<String>,
    /// All four conditions hold.
    pub eligible: bool,
    /// The conditions not ticked (empty when eligible).
    pub unmet: Vec<Unmet>,
    /// Who recorded it last.
    pub decided_by: Option<DecidedBy>,
    pub decided_at: DateTime<FixedOffset>,
    /// Pass as `If-Match` to change it (also the `ETag` header).
    pub etag: String,
}

/// Whether a person is logistics staff of a member school (seed 000 §四(二)).
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "logistics_staff": true,
    "qualities_confirmed": true,
    "note": "张晓燕为四川大学后勤保障部在编职工。"
}))]
pub struct IndividualEligibility {
    /// 会员单位的后勤职工: confirmed by the secretariat (seed 000 §四(二)).
    pub logistics_staff: bool,
    /// The qualitative conditions of seed 000 §五(二)1–4 (political
    /// quality, writing, liaison work, timely uploads), confirmed by the
    /// secretariat. Both this and `logistics_staff` are needed to be
    /// proposed. Default false.
    #[serde(default)]
    pub qualities_confirmed: bool,
    /// At most 500 characters.
    #[validate(length(max = 500, message = "备注不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// Why a recorded confirmation changes: required with `If-Match` (at
    /// most 500 characters, kept in the audit log); not needed for the first record.
    #[validate(length(max = 500, message = "理由不能超过 500 个字。"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A person's recorded confirmation for a year, with who recorded it and its ETag.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IndividualEligibilityView {
    pub year: i32,
    /// The row key of the individuals' standings (`<school_id>/<author_key>`).
    pub key: String,
    pub logistics_staff: bool,
    pub qualities_confirmed: bool,
    pub note: Option<String>,
    /// Both conditions confirmed (the school's membership is checked when
    /// the row enters the proposal).
    pub eligible: bool,
    /// The conditions not confirmed (empty when eligible).
    pub unmet: Vec<Unmet>,
    /// Who recorded it last.
    pub decided_by: Option<DecidedBy>,
    pub decided_at: DateTime<FixedOffset>,
    /// Pass as `If-Match` to change it (also the `ETag` header).
    pub etag: String,
}

/// The ETag of a school's record: over everything it shows.
fn school_etag(e: &school_eligibility::Model) -> ApiResult<String> {
    content_etag(
        "se",
        &(
            e.year,
            e.school_id,
            SchoolEligibility::from(e),
            e.updated_by,
            e.updated_at.timestamp_micros(),
        ),
    )
}

/// The ETag of a person's record.
fn individual_etag(e: &individual_eligibility::Model) -> ApiResult<String> {
    content_etag(
        "ie",
        &(
            e.year,
            &e.row_key,
            e.logistics_staff,
            e.qualities_confirmed,
            &e.note,
            e.updated_by,
            e.updated_at.timestamp_micros(),
        ),
    )
}

async fn school_view(
    db: &impl ConnectionTrait,
    e: &school_eligibility::Model,
) -> ApiResult<SchoolEligibilityView> {
    let checklist = SchoolEligibility::from(e);
    Ok(SchoolEligibilityView {
        year: e.year,
        school_id: e.school_id,
        eligible: checklist.eligible(),
        unmet: checklist_unmet(e.mechanism, e.process, e.archive, e.dedicated_staff),
        mechanism: e.mechanism,
        process: e.process,
        archive: e.archive,
        dedicated_staff: e.dedicated_staff,
        note: e.note.clone(),
        decided_by: decided_by(db, e.updated_by).await?,
        decided_at: to_china(e.updated_at),
        etag: school_etag(e)?,
    })
}

async fn individual_view(
    db: &impl ConnectionTrait,
    e: &individual_eligibility::Model,
) -> ApiResult<IndividualEligibilityView> {
    Ok(IndividualEligibilityView {
        year: e.year,
        key: e.row_key.clone(),
        logistics_staff: e.logistics_staff,
        qualities_confirmed: e.qualities_confirmed,
        note: e.note.clone(),
        eligible: e.logistics_staff && e.qualities_confirmed,
        unmet: individual_unmet(Some((e.logistics_staff, e.qualities_confirmed))),
        decided_by: decided_by(db, e.updated_by).await?,
        decided_at: to_china(e.updated_at),
        etag: individual_etag(e)?,
    })
}

/// 409 `STALE_DECISION` naming a school's recorded checklist.
async fn stale_school(
    db: &impl ConnectionTrait,
    e: &school_eligibility::Model,
) -> ApiResult<ApiError> {
    let (decision, label) = if SchoolEligibility::from(e).eligible() {
        ("eligible", "登记该学校符合推荐条件")
    } else {
        ("not_eligible", "登记该学校不完全符合推荐条件")
    };
    Ok(StaleDecision::new(
        decided_by(db, e.updated_by).await?,
        decision,
        Some(e.updated_at),
        decision,
        label,
    )
    .reason(e.note.clone())
    .etag(school_etag(e)?)
    .into_error())
}

/// 409 `STALE_DECISION` naming a person's recorded confirmation.
async fn stale_individual(
    db: &impl ConnectionTrait,
    e: &individual_eligibility::Model,
) -> ApiResult<ApiError> {
    let (decision, label) = if e.logistics_staff {
        ("logistics_staff", "确认此人为会员单位后勤职工")
    } else {
        ("not_logistics_staff", "登记此人不是会员单位后勤职工")
    };
    Ok(StaleDecision::new(
        decided_by(db, e.updated_by).await?,
        decision,
        Some(e.updated_at),
        decision,
        label,
    )
    .reason(e.note.clone())
    .etag(individual_etag(e)?)
    .into_error())
}

/// `If-Match` on a record that does not exist: 412 (there is no decision to name).
fn nothing_recorded() -> ApiError {
    ApiError::new(ErrorCode::PreconditionFailed)
        .with_detail("尚未登记，无从修改：首次登记请不带 If-Match 提交。")
}

fn check_key(key: &str) -> ApiResult<()> {
    if key.is_empty() || key.chars().count() > 120 {
        return Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("人员标识无效。"));
    }
    Ok(())
}

/// 404 unless the key names a person credited with an article of the year:
/// `<school_id>/<author_key>` as the individuals' standings give it.
async fn require_person(db: &impl ConnectionTrait, year: i32, key: &str) -> ApiResult<()> {
    let missing = || {
        ApiError::not_found().with_detail(format!(
            "本年度积分排名中没有此人（{key}）：请使用积分排名中该行的 key。"
        ))
    };
    let (school, author_key) = key.split_once('/').ok_or_else(missing)?;
    let school_id: i64 = school.parse().map_err(|_| missing())?;
    let credited = article::Entity::find()
        .filter(article::Column::SchoolId.eq(school_id))
        .filter(article::Column::AuthorKey.eq(author_key))
        .filter(article::Column::CreditYear.eq(year))
        .one(db)
        .await?
        .is_some();
    if credited { Ok(()) } else { Err(missing()) }
}

/// A school's recorded checklist for a year (secretariat); 404 before the first record.
pub async fn get_school(
    db: &impl ConnectionTrait,
    year: i32,
    school_id: i64,
) -> ApiResult<SchoolEligibilityView> {
    let year = check_year(year)?;
    let e = school_eligibility::Entity::find_by_id((year, school_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("尚未登记该学校本年度的推荐条件。"))?;
    school_view(db, &e).await
}

/// A person's recorded confirmation for a year (secretariat); 404 before the first record.
pub async fn get_individual(
    db: &impl ConnectionTrait,
    year: i32,
    key: &str,
) -> ApiResult<IndividualEligibilityView> {
    let year = check_year(year)?;
    check_key(key)?;
    let e = individual_eligibility::Entity::find_by_id((year, key.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("尚未登记此人本年度的后勤职工身份。"))?;
    individual_view(db, &e).await
}

/// Records the eligibility checklist of a school for a year (secretariat):
/// the first record without a precondition; a change with `If-Match` (the
/// record's ETag) and a reason. Stale → 409 `STALE_DECISION`. Audited.
pub async fn set_school(
    tx: Tx,
    actor: &Principal,
    year: i32,
    school_id: i64,
    if_match: Option<&str>,
    input: &SchoolEligibility,
    now: DateTime<Utc>,
) -> ApiResult<SchoolEligibilityView> {
    let year = check_year(year)?;
    let txn = &*tx;
    require_school(txn, school_id, "/school_id")
        .await
        .map_err(|_| ApiError::not_found().with_detail("学校不存在。"))?;
    refuse_once_submitted(txn, year).await?;
    let existing = school_eligibility::Entity::find_by_id((year, school_id))
        .lock_exclusive()
        .one(txn)
        .await?;
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
    let (before, reason) = match (existing, if_match) {
        (None, Some(_)) => return Err(nothing_recorded()),
        (None, None) => {
            // Two first records at once: the second waits for the first
            // (PostgreSQL) and inserts nothing; it is then told who recorded.
            let inserted = school_eligibility::Entity::insert(am)
                .on_conflict_do_nothing()
                .exec_without_returning(txn)
                .await?;
            if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
                let winner = school_eligibility::Entity::find_by_id((year, school_id))
                    .one(txn)
                    .await?
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("eligibility vanished")))?;
                return Err(stale_school(txn, &winner).await?);
            }
            (None, None)
        }
        (Some(e), None) => return Err(stale_school(txn, &e).await?),
        (Some(e), Some(expected)) => {
            if !if_match_satisfied(expected, &school_etag(&e)?) {
                return Err(stale_school(txn, &e).await?);
            }
            let reason = revision_reason(input.reason.as_deref(), "/reason")?;
            am.update(txn).await?;
            (Some(SchoolEligibility::from(&e)), Some(reason))
        }
    };
    let after = school_eligibility::Entity::find_by_id((year, school_id))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("eligibility vanished")))?;
    audit::record(
        txn,
        now,
        Entry::by(
            actor,
            Role::Secretariat,
            "eligibility.school",
            "school",
            school_id,
        )
        .reason(reason),
        before.as_ref(),
        Some(&SchoolEligibility::from(&after)),
    )
    .await?;
    school_view(txn, &after).await
}

/// Confirms (or not) a person of the standings, by row key, as logistics
/// staff of a member school (secretariat): the first record without a
/// precondition; a change with `If-Match` and a reason. Stale → 409
/// `STALE_DECISION`. Audited.
pub async fn set_individual(
    tx: Tx,
    actor: &Principal,
    year: i32,
    key: &str,
    if_match: Option<&str>,
    input: &IndividualEligibility,
    now: DateTime<Utc>,
) -> ApiResult<IndividualEligibilityView> {
    let year = check_year(year)?;
    check_key(key)?;
    let txn = &*tx;
    require_person(txn, year, key).await?;
    refuse_once_submitted(txn, year).await?;
    let id = (year, key.to_owned());
    let existing = individual_eligibility::Entity::find_by_id(id.clone())
        .lock_exclusive()
        .one(txn)
        .await?;
    let am = individual_eligibility::ActiveModel {
        year: Set(year),
        row_key: Set(key.to_owned()),
        logistics_staff: Set(input.logistics_staff),
        qualities_confirmed: Set(input.qualities_confirmed),
        note: Set(input.note.clone()),
        updated_by: Set(Some(actor.id())),
        updated_at: Set(now),
    };
    let snapshot = |e: &individual_eligibility::Model| IndividualEligibility {
        logistics_staff: e.logistics_staff,
        qualities_confirmed: e.qualities_confirmed,
        note: e.note.clone(),
        reason: None,
    };
    let (before, reason) = match (existing, if_match) {
        (None, Some(_)) => return Err(nothing_recorded()),
        (None, None) => {
            let inserted = individual_eligibility::Entity::insert(am)
                .on_conflict_do_nothing()
                .exec_without_returning(txn)
                .await?;
            if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
                let winner = individual_eligibility::Entity::find_by_id(id.clone())
                    .one(txn)
                    .await?
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("eligibility vanished")))?;
                return Err(stale_individual(txn, &winner).await?);
            }
            (None, None)
        }
        (Some(e), None) => return Err(stale_individual(txn, &e).await?),
        (Some(e), Some(expected)) => {
            if !if_match_satisfied(expected, &individual_etag(&e)?) {
                return Err(stale_individual(txn, &e).await?);
            }
            let reason = revision_reason(input.reason.as_deref(), "/reason")?;
            am.update(txn).await?;
            (Some(snapshot(&e)), Some(reason))
        }
    };
    let after = individual_eligibility::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("eligibility vanished")))?;
    audit::record(
        txn,
        now,
        Entry::by(
            actor,
            Role::Secretariat,
            "eligibility.individual",
            "individual",
            key,
        )
        .reason(reason),
        before.as_ref(),
        Some(&snapshot(&after)),
    )
    .await?;
    individual_view(txn, &after).await
}

/// Every checklist recorded for a year, by school id (secretariat).
pub async fn list_schools(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<Vec<SchoolEligibilityView>> {
    let year = check_year(year)?;
    let mut out = Vec::new();
    for e in school_eligibility::Entity::find()
        .filter(school_eligibility::Column::Year.eq(year))
        .order_by_asc(school_eligibility::Column::SchoolId)
        .all(db)
        .await?
    {
        out.push(school_view(db, &e).await?);
    }
    Ok(out)
}

/// Every person's record of a year, by key (secretariat).
pub async fn list_individuals(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<Vec<IndividualEligibilityView>> {
    let year = check_year(year)?;
    let mut out = Vec::new();
    for e in individual_eligibility::Entity::find()
        .filter(individual_eligibility::Column::Year.eq(year))
        .order_by_asc(individual_eligibility::Column::RowKey)
        .all(db)
        .await?
    {
        out.push(individual_view(db, &e).await?);
    }
    Ok(out)
}

/// One school's checklist in a batch: the fields of the single call, the
/// school, and the record's ETag when changing it (its `If-Match`).
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolChecklistItem {
    pub school_id: i64,
    /// To change a recorded checklist: its ETag (as `If-Match` of the single call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 200, message = "ETag 不能超过 200 个字符。"))]
    #[schema(max_length = 200)]
    pub if_match: Option<String>,
    pub mechanism: bool,
    pub process: bool,
    pub archive: bool,
    pub dedicated_staff: bool,
    #[validate(length(max = 500, message = "备注不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
    #[validate(length(max = 500, message = "理由不能超过 500 个字。"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl SchoolChecklistItem {
    fn checklist(&self) -> SchoolEligibility {
        SchoolEligibility {
            mechanism: self.mechanism,
            process: self.process,
            archive: self.archive,
            dedicated_staff: self.dedicated_staff,
            note: self.note.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// Many schools' checklists in one call (1–200 items; a school named twice
/// is recorded by the first, and the second is told so: `STALE_DECISION`).
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [
    {"school_id": 1, "mechanism": true, "process": true, "archive": true, "dedicated_staff": true},
    {"school_id": 2, "mechanism": true, "process": true, "archive": true, "dedicated_staff": false,
     "note": "无专职宣传人员。"}
]}))]
pub struct SchoolChecklistBatch {
    #[validate(
        length(min = 1, max = 200, message = "每次登记 1–200 所学校。"),
        nested
    )]
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<SchoolChecklistItem>,
}

/// One person's record in a batch: the fields of the single call, the
/// person's row key (as the individuals' standings give it) and the record's
/// ETag when changing it.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndividualItem {
    /// Row key of the person (`<school_id>/<author_key>`), as sent, not URL-encoded.
    #[validate(length(min = 1, max = 120))]
    #[schema(min_length = 1, max_length = 120)]
    pub key: String,
    /// To change a recorded confirmation: its ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 200, message = "ETag 不能超过 200 个字符。"))]
    #[schema(max_length = 200)]
    pub if_match: Option<String>,
    pub logistics_staff: bool,
    #[serde(default)]
    pub qualities_confirmed: bool,
    #[validate(length(max = 500, message = "备注不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
    #[validate(length(max = 500, message = "理由不能超过 500 个字。"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl IndividualItem {
    fn record(&self) -> IndividualEligibility {
        IndividualEligibility {
            logistics_staff: self.logistics_staff,
            qualities_confirmed: self.qualities_confirmed,
            note: self.note.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// Many people's records in one call (1–200 items; as for schools, a key
/// named twice meets the first record).
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [
    {"key": "1/member:12", "logistics_staff": true, "qualities_confirmed": true},
    {"key": "1/name:张晓燕", "logistics_staff": true, "qualities_confirmed": false}
]}))]
pub struct IndividualBatch {
    #[validate(length(min = 1, max = 200, message = "每次登记 1–200 人。"), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<IndividualItem>,
}

/// What became of one school of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolChecklistOutcome {
    pub school_id: i64,
    /// 200 when recorded; else the status of `problem`.
    pub status: u16,
    /// The checklist as recorded (when `status` is 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<SchoolEligibilityView>,
    /// Why this item was refused (nothing of it changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub problem: Option<Problem>,
}

/// What became of one person of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndividualOutcome {
    pub key: String,
    /// 200 when recorded; else the status of `problem`.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<IndividualEligibilityView>,
    /// Why this item was refused (nothing of it changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolChecklistResults {
    /// Recorded items.
    pub done: usize,
    /// Refused items.
    pub refused: usize,
    /// One per item, in the order sent.
    pub items: Vec<SchoolChecklistOutcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndividualResults {
    pub done: usize,
    pub refused: usize,
    pub items: Vec<IndividualOutcome>,
}

/// Records many schools' checklists (secretariat): each item as the single
/// call would, audited, in a savepoint of one unit of work; one refused item
/// leaves the others recorded. Sent again, recorded items answer 409
/// `STALE_DECISION` naming the record, so a repeated batch changes nothing twice.
pub async fn set_schools(
    db: &DatabaseConnection,
    actor: &Principal,
    year: i32,
    batch: &SchoolChecklistBatch,
    now: DateTime<Utc>,
) -> ApiResult<SchoolChecklistResults> {
    let year = check_year(year)?;
    let outcomes = db::write(db, |tx| async move {
        batch::each(&tx, &batch.items, |sp, item| {
            let checklist = item.checklist();
            async move {
                set_school(
                    sp,
                    actor,
                    year,
                    item.school_id,
                    item.if_match.as_deref(),
                    &checklist,
                    now,
                )
                .await
            }
        })
        .await
    })
    .await?;
    let items: Vec<SchoolChecklistOutcome> = batch
        .items
        .iter()
        .zip(outcomes)
        .map(|(item, o)| SchoolChecklistOutcome {
            school_id: item.school_id,
            status: o.status,
            result: o.result,
            problem: o.problem,
        })
        .collect();
    let done = items.iter().filter(|i| i.result.is_some()).count();
    Ok(SchoolChecklistResults {
        done,
        refused: items.len() - done,
        items,
    })
}

/// Records many people's confirmations (secretariat), as [`set_schools`].
pub async fn set_individuals(
    db: &DatabaseConnection,
    actor: &Principal,
    year: i32,
    batch: &IndividualBatch,
    now: DateTime<Utc>,
) -> ApiResult<IndividualResults> {
    let year = check_year(year)?;
    let outcomes = db::write(db, |tx| async move {
        batch::each(&tx, &batch.items, |sp, item| {
            let record = item.record();
            async move {
                set_individual(
                    sp,
                    actor,
                    year,
                    &item.key,
                    item.if_match.as_deref(),
                    &record,
                    now,
                )
                .await
            }
        })
        .await
    })
    .await?;
    let items: Vec<IndividualOutcome> = batch
        .items
        .iter()
        .zip(outcomes)
        .map(|(item, o)| IndividualOutcome {
            key: item.key.clone(),
            status: o.status,
            result: o.result,
            problem: o.problem,
        })
        .collect();
    let done = items.iter().filter(|i| i.result.is_some()).count();
    Ok(IndividualResults {
        done,
        refused: items.len() - done,
        items,
    })
}
