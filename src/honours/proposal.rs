//! Use cases of the honours proposal (推荐名单) and the council's decision
//! (审定): build it from the latest notice, read it, adjust it with reasons,
//! submit it, approve or return it, and read the approved honours list.
//!
//! No silent overwrites: every change locks the proposal's row first, so two
//! changes at once are ordered and the second sees the first. Every change
//! honours `If-Match` with the proposal's ETag (`"proposal-<year>-v<version>"`):
//! a change made on a stale view answers 409 `STALE_DECISION` naming the
//! last change (who, what, when — from the audit log) and changes nothing.
//! Rebuilding discards the manual changes, so a proposal changed by hand
//! since it was built is only rebuilt with `If-Match`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{notice, notice_row, objection, proposal, proposal_entry};
use crate::honours::conditions::{
    CapPlace, RowEligibility, RowRef, UnmetRow, Why, assess, ensure_eligible, not_eligible,
    unmet_rows,
};
use crate::honours::lookup::{current_proposal, latest_notice, not_published};
use crate::honours::model::{HonoursView, ProposalEntryView, check_year};
use crate::honours::rules::{Candidate, Scope, auto_select};
use crate::identity::lookup::decided_by;
use crate::notifications::{self, events};
use crate::organisation::lookup::OrgRef;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::{format_china_deadline, to_china};
use crate::platform::db::{self, Tx};
use crate::platform::decision::{StaleDecision, if_match_satisfied};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Proposal states: a draft (or a returned one) is edited by the
/// secretariat; a submitted one waits for the council; an approved one is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Draft,
    Submitted,
    Returned,
    Approved,
}

impl ProposalStatus {
    fn parse(s: &str) -> Self {
        match s {
            "submitted" => Self::Submitted,
            "returned" => Self::Returned,
            "approved" => Self::Approved,
            _ => Self::Draft,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Approved => "approved",
        }
    }

    fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProposalList {
    /// At most this many (from the notice).
    pub cap: i32,
    pub entries: Vec<ProposalEntryView>,
    /// The rows of the notice ranked as high as the list reaches (or inside
    /// the cap) that are not in it, each with why: tied at the cut-off, a
    /// condition of seed 000 not met, or removed by hand.
    pub left_out: Vec<LeftOutRow>,
}

/// A high-ranked row of the notice that is not in the list, and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LeftOutRow {
    pub key: String,
    pub name: String,
    pub school: OrgRef,
    /// Rank in the notice.
    pub rank: i32,
    pub total: i32,
    pub why: Why,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    pub year: i32,
    pub status: ProposalStatus,
    /// Increases on every change.
    pub version: i32,
    /// The notice version the proposal was built from.
    pub notice_version: i32,
    /// The council's note when it returned the proposal.
    pub return_note: Option<String>,
    pub schools: ProposalList,
    pub individuals: ProposalList,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    /// Pass as `If-Match` to change the proposal (also the `ETag` header).
    pub etag: String,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalChange {
    pub scope: Scope,
    /// The row key in the notice (1–120 characters).
    #[validate(length(min = 1, max = 120))]
    #[schema(min_length = 1, max_length = 120)]
    pub key: String,
    /// Why (required, 2–500 characters; kept with the entry and in the audit log).
    #[validate(length(min = 2, max = 500, message = "须填写调整理由（2–500 个字）。"))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "add": [{"scope": "schools", "key": "2", "reason": "异议成立，补入西南交通大学。"}],
    "remove": []
}))]
pub struct ProposalPatch {
    #[validate(nested)]
    #[serde(default)]
    pub add: Vec<ProposalChange>,
    #[validate(nested)]
    #[serde(default)]
    pub remove: Vec<ProposalChange>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "请核实四川大学的稿件计分后重新提交。"}))]
pub struct ReturnInput {
    /// What to change (2–500 characters).
    #[validate(length(min = 2, max = 500, message = "请填写退回意见（2–500 个字）。"))]
    #[schema(min_length = 2, max_length = 500)]
    pub note: String,
}

/// The year's proposal, or 404 when none was built yet.
async fn require_proposal(db: &impl ConnectionTrait, year: i32) -> ApiResult<proposal::Model> {
    current_proposal(db, year).await?.ok_or_else(no_proposal)
}

fn no_proposal() -> ApiError {
    ApiError::not_found().with_detail("本年度尚未生成推荐名单。")
}

/// The year's proposal with its row locked until the unit of work ends
/// (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write lock is already held).
async fn lock_proposal(db: &impl ConnectionTrait, year: i32) -> ApiResult<Option<proposal::Model>> {
    Ok(proposal::Entity::find()
        .filter(proposal::Column::Year.eq(year))
        .lock_exclusive()
        .one(db)
        .await?)
}

/// The ETag of a proposal's representation: its year and version (every
/// change bumps the version).
pub fn etag(year: i32, version: i32) -> String {
    format!("\"proposal-{year}-v{version}\"")
}

/// What an audit action of the proposal decided, in the vocabulary of the
/// requests, and in Chinese.
fn decision_of(action: &str) -> (&'static str, &'static str) {
    match action {
        "proposal.build" => ("build", "生成了推荐名单"),
        "proposal.edit" => ("edit", "调整了推荐名单"),
        "proposal.submit" => ("submit", "将推荐名单报理事会审定"),
        "proposal.approve" => ("approve", "审定通过了推荐名单"),
        "proposal.return" => ("return", "退回了推荐名单"),
        _ => ("change", "修改了推荐名单"),
    }
}

const ACTIONS: &[&str] = &[
    "proposal.build",
    "proposal.edit",
    "proposal.submit",
    "proposal.approve",
    "proposal.return",
];

/// 409 `STALE_DECISION` naming the last change of the proposal (`among`
/// the audit actions given).
async fn stale_proposal(
    db: &impl ConnectionTrait,
    p: &proposal::Model,
    among: &[&str],
) -> ApiResult<ApiError> {
    let last = audit::latest(db, "proposal", &[p.year.to_string()], among).await?;
    let (decision, label) = decision_of(last.as_ref().map_or("", |e| e.action.as_str()));
    Ok(StaleDecision::new(
        decided_by(db, last.as_ref().and_then(|e| e.actor_id)).await?,
        decision,
        last.as_ref().map(|e| e.created_at),
        p.status.clone(),
        label,
    )
    .reason(last.and_then(|e| e.reason))
    .etag(etag(p.year, p.version))
    .into_error())
}

/// `If-Match`, when given, must name the proposal as it is now.
async fn check_if_match(
    db: &impl ConnectionTrait,
    p: &proposal::Model,
    if_match: Option<&str>,
) -> ApiResult<()> {
    match if_match {
        Some(expected) if !if_match_satisfied(expected, &etag(p.year, p.version)) => {
            Err(stale_proposal(db, p, ACTIONS).await?)
        }
        _ => Ok(()),
    }
}

/// The notice a proposal was built from.
async fn notice_of(db: &impl ConnectionTrait, p: &proposal::Model) -> ApiResult<notice::Model> {
    notice::Entity::find_by_id(p.notice_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("proposal without notice")))
}

async fn proposal_view(db: &impl ConnectionTrait, p: proposal::Model) -> ApiResult<ProposalView> {
    let n = notice_of(db, &p).await?;
    let entries = proposal_entry::Entity::find()
        .filter(proposal_entry::Column::ProposalId.eq(p.id))
        .order_by_asc(proposal_entry::Column::Rank)
        .order_by_asc(proposal_entry::Column::Id)
        .all(db)
        .await?;
    let (schools, individuals): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .map(ProposalEntryView::from)
        .partition(|e| e.scope == Scope::Schools);
    let (mut schools, mut individuals) = (schools, individuals);
    explain_entries(db, &n, Scope::Schools, &mut schools).await?;
    explain_entries(db, &n, Scope::Individuals, &mut individuals).await?;
    let schools_left_out = left_out(db, &n, Scope::Schools, &schools).await?;
    let individuals_left_out = left_out(db, &n, Scope::Individuals, &individuals).await?;
    Ok(ProposalView {
        year: p.year,
        status: ProposalStatus::parse(&p.status),
        version: p.version,
        notice_version: n.version,
        return_note: p.return_note,
        schools: ProposalList {
            cap: n.school_cap,
            entries: schools,
            left_out: schools_left_out,
        },
        individuals: ProposalList {
            cap: n.individual_cap,
            entries: individuals,
            left_out: individuals_left_out,
        },
        submitted_at: p.submitted_at.map(to_china),
        decided_at: p.decided_at.map(to_china),
        etag: etag(p.year, p.version),
    })
}

fn entry_from_row(
    proposal_id: i64,
    r: &notice_row::Model,
    manual: bool,
    reason: Option<String>,
) -> proposal_entry::ActiveModel {
    proposal_entry::ActiveModel {
        proposal_id: Set(proposal_id),
        scope: Set(r.scope.clone()),
        row_key: Set(r.row_key.clone()),
        name: Set(r.name.clone()),
        school_id: Set(r.school_id),
        school_name: Set(r.school_name.clone()),
        rank: Set(r.rank),
        total: Set(r.total),
        manual: Set(manual),
        reason: Set(reason),
        ..Default::default()
    }
}

/// Rows of the notice, in order, for one scope, each with whether it meets
/// the conditions of seed 000.
async fn candidates(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    scope: Scope,
) -> ApiResult<Vec<(notice_row::Model, RowEligibility)>> {
    let rows = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(scope.as_str()))
        .order_by_asc(notice_row::Column::Position)
        .all(db)
        .await?;
    let refs: Vec<RowRef<'_>> = rows.iter().map(row_ref).collect();
    let mut assessed = assess(db, n.year, scope, &refs).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let a = assessed.remove(&r.row_key).unwrap_or_default();
            (r, a)
        })
        .collect())
}

fn row_ref(r: &notice_row::Model) -> RowRef<'_> {
    RowRef {
        key: &r.row_key,
        name: &r.name,
        school_id: r.school_id,
    }
}

/// The automatic selection over assessed candidates.
fn auto_selection(rows: &[(notice_row::Model, RowEligibility)], cap: i32) -> HashSet<String> {
    let list: Vec<Candidate> = rows
        .iter()
        .map(|(r, a)| Candidate {
            key: r.row_key.clone(),
            rank: i64::from(r.rank),
            eligible: a.eligible,
        })
        .collect();
    auto_select(&list, usize::try_from(cap).unwrap_or(0))
        .into_iter()
        .collect()
}

/// Why each entry is in: its place in the notice, whether it meets the
/// conditions now (re-checked on submission and approval), and for a row
/// added by hand the secretariat's reason.
async fn explain_entries(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    scope: Scope,
    entries: &mut [ProposalEntryView],
) -> ApiResult<()> {
    let cap = u32::try_from(match scope {
        Scope::Schools => n.school_cap,
        Scope::Individuals => n.individual_cap,
    })
    .unwrap_or(0);
    let refs: Vec<RowRef<'_>> = entries
        .iter()
        .map(|e| RowRef {
            key: &e.key,
            name: &e.name,
            school_id: e.school.id,
        })
        .collect();
    let assessed = assess(db, n.year, scope, &refs).await?;
    let places: HashMap<String, CapPlace> = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(scope.as_str()))
        .filter(notice_row::Column::RowKey.is_in(entries.iter().map(|e| e.key.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let place = CapPlace::of(r.within_cap, r.tied_at_cutoff);
            (r.row_key, place)
        })
        .collect();
    for e in entries.iter_mut() {
        let unmet = assessed
            .get(&e.key)
            .map(|a| a.unmet.clone())
            .unwrap_or_default();
        let place = places.get(&e.key).copied().unwrap_or(CapPlace::WithinCap);
        let mut why = Why::new(place, i64::from(e.rank), cap, Some(unmet));
        why.in_list = true;
        if let Some(reason) = e.reason.as_deref().filter(|_| e.manual) {
            why.text = format!("{}秘书处补入，理由：{reason}。", why.text);
        }
        e.why = Some(why);
    }
    Ok(())
}

/// Notice rows read per step by [`left_out`].
const LEFT_OUT_PAGE: u64 = 500;

/// The rows of the notice as high as the list reaches (or inside the cap)
/// that are not in it, with why. The notice is read in order, a page at a
/// time, only as far as that reach and the automatic selection need (the
/// first `cap + 1` eligible rows), not the whole of a national year.
async fn left_out(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    scope: Scope,
    entries: &[ProposalEntryView],
) -> ApiResult<Vec<LeftOutRow>> {
    let cap = match scope {
        Scope::Schools => n.school_cap,
        Scope::Individuals => n.individual_cap,
    };
    let cap_rows = usize::try_from(cap).unwrap_or(0);
    let in_list: HashSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    let max_entry = entries.iter().map(|e| e.rank).max();
    let mut rows: Vec<(notice_row::Model, RowEligibility)> = Vec::new();
    let reach = loop {
        let page = notice_row::Entity::find()
            .filter(notice_row::Column::NoticeId.eq(n.id))
            .filter(notice_row::Column::Scope.eq(scope.as_str()))
            .filter(notice_row::Column::Position.gt(rows.last().map_or(0, |(r, _)| r.position)))
            .order_by_asc(notice_row::Column::Position)
            .limit(LEFT_OUT_PAGE)
            .all(db)
            .await?;
        let last_page = page.len() < usize::try_from(LEFT_OUT_PAGE).unwrap_or(usize::MAX);
        let refs: Vec<RowRef<'_>> = page.iter().map(row_ref).collect();
        let mut assessed = assess(db, n.year, scope, &refs).await?;
        rows.extend(page.into_iter().map(|r| {
            let a = assessed.remove(&r.row_key).unwrap_or_default();
            (r, a)
        }));
        let cutoff = cap_rows
            .checked_sub(1)
            .and_then(|i| rows.get(i))
            .map(|(r, _)| r.rank);
        let reach = max_entry.into_iter().chain(cutoff).max();
        let past_reach = match (reach, rows.last()) {
            (Some(reach), Some((r, _))) => r.rank > reach,
            _ => false,
        };
        let eligible = rows.iter().filter(|(_, a)| a.eligible).count();
        if last_page || (past_reach && eligible > cap_rows) {
            break reach;
        }
    };
    let Some(reach) = reach else {
        return Ok(Vec::new());
    };
    let auto = auto_selection(&rows, cap);
    let cap_size = u32::try_from(cap).unwrap_or(0);
    Ok(rows
        .into_iter()
        .filter(|(r, _)| r.rank <= reach && !in_list.contains(r.row_key.as_str()))
        .map(|(r, a)| {
            let place = CapPlace::of(r.within_cap, r.tied_at_cutoff);
            let mut why = Why::new(place, i64::from(r.rank), cap_size, Some(a.unmet));
            why.in_list = false;
            if auto.contains(&r.row_key) {
                why.removed_by_hand = true;
                why.text = format!("{}秘书处已将其移出推荐名单（理由见审计日志）。", why.text);
            }
            LeftOutRow {
                key: r.row_key,
                name: r.name,
                school: OrgRef {
                    id: r.school_id,
                    name: r.school_name,
                },
                rank: r.rank,
                total: r.total,
                why,
            }
        })
        .collect())
}

/// The rows of a list that no longer meet the conditions (re-checked on
/// submission and approval).
async fn unmet_entries(
    db: &impl ConnectionTrait,
    year: i32,
    proposal_id: i64,
) -> ApiResult<Vec<UnmetRow>> {
    let entries = proposal_entry::Entity::find()
        .filter(proposal_entry::Column::ProposalId.eq(proposal_id))
        .order_by_asc(proposal_entry::Column::Rank)
        .all(db)
        .await?;
    let mut refused = Vec::new();
    for scope in [Scope::Schools, Scope::Individuals] {
        let refs: Vec<RowRef<'_>> = entries
            .iter()
            .filter(|e| e.scope == scope.as_str())
            .map(|e| RowRef {
                key: &e.row_key,
                name: &e.name,
                school_id: e.school_id,
            })
            .collect();
        refused.extend(unmet_rows(db, year, scope, &refs).await?);
    }
    Ok(refused)
}

/// Inserts rows of the notice into the list: every path into the list
/// comes here, and a row that does not meet the conditions of seed 000 is
/// refused (409 `NOT_ELIGIBLE` naming it and the conditions).
async fn insert_entries(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    rows: Vec<(&notice_row::Model, bool, Option<String>)>,
    proposal_id: i64,
) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let refs: Vec<RowRef<'_>> = rows.iter().map(|(r, _, _)| row_ref(r)).collect();
    ensure_eligible(db, year, scope, &refs).await?;
    for (r, manual, reason) in rows {
        // Already in the list: nothing to add (ON CONFLICT DO NOTHING, so
        // that PostgreSQL's transaction is not aborted by the duplicate).
        proposal_entry::Entity::insert(entry_from_row(proposal_id, r, manual, reason))
            .on_conflict_do_nothing_on([
                proposal_entry::Column::ProposalId,
                proposal_entry::Column::Scope,
                proposal_entry::Column::RowKey,
            ])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn refuse_unless_editable(p: &proposal::Model) -> ApiResult<()> {
    match ProposalStatus::parse(&p.status) {
        ProposalStatus::Approved => Err(ApiError::new(ErrorCode::ProposalFinal)),
        s if !s.editable() => Err(ApiError::new(ErrorCode::ProposalNotEditable)),
        _ => Ok(()),
    }
}

/// Builds the proposal from the latest notice (secretariat): the top
/// eligible rows within each cap, a tied group straddling the cap left out.
/// Rebuilding replaces a draft or a returned proposal (manual changes are
/// lost: a proposal changed by hand since it was built is rebuilt only with
/// `If-Match`); a submitted or approved one cannot be rebuilt.
pub async fn build(
    tx: Tx,
    actor: &Principal,
    year: i32,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<ProposalView> {
    let year = check_year(year)?;
    let txn = &*tx;
    let n = latest_notice(txn, year).await?.ok_or_else(not_published)?;
    let existing = lock_proposal(txn, year).await?;
    let model = match existing {
        Some(old) => {
            check_if_match(txn, &old, if_match).await?;
            refuse_unless_editable(&old)?;
            if if_match.is_none() {
                let last = audit::latest(
                    txn,
                    "proposal",
                    &[year.to_string()],
                    &["proposal.build", "proposal.edit"],
                )
                .await?;
                if last.is_some_and(|e| e.action == "proposal.edit") {
                    return Err(
                        stale_proposal(txn, &old, &["proposal.build", "proposal.edit"]).await?,
                    );
                }
            }
            proposal_entry::Entity::delete_many()
                .filter(proposal_entry::Column::ProposalId.eq(old.id))
                .exec(txn)
                .await?;
            let version = old.version + 1;
            let mut am: proposal::ActiveModel = old.into();
            am.notice_id = Set(n.id);
            am.status = Set(ProposalStatus::Draft.as_str().into());
            am.version = Set(version);
            am.updated_at = Set(now);
            am.update(txn).await?
        }
        None if if_match.is_some() => {
            return Err(ApiError::new(ErrorCode::PreconditionFailed)
                .with_detail("本年度尚未生成推荐名单，首次生成请不带 If-Match。"));
        }
        None => {
            // Two first builds at once: the second waits for the first
            // (PostgreSQL) and inserts nothing; it is then told who built it.
            let inserted = proposal::Entity::insert(proposal::ActiveModel {
                year: Set(year),
                notice_id: Set(n.id),
                status: Set(ProposalStatus::Draft.as_str().into()),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .on_conflict_do_nothing_on([proposal::Column::Year])
            .exec_without_returning(txn)
            .await?;
            let model = require_proposal(txn, year).await?;
            if !matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
                return Err(stale_proposal(txn, &model, ACTIONS).await?);
            }
            model
        }
    };
    for (scope, cap) in [
        (Scope::Schools, n.school_cap),
        (Scope::Individuals, n.individual_cap),
    ] {
        let rows = candidates(txn, &n, scope).await?;
        let chosen = auto_selection(&rows, cap);
        let entries = rows
            .iter()
            .filter(|(r, _)| chosen.contains(&r.row_key))
            .map(|(r, _)| (r, false, None))
            .collect();
        insert_entries(txn, year, scope, entries, model.id).await?;
    }
    let view = proposal_view(txn, model).await?;
    audit::record(
        txn,
        now,
        Entry::by(actor, Role::Secretariat, "proposal.build", "proposal", year),
        None::<&()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// The proposal of a year (secretariat, council).
pub async fn get(db: &impl ConnectionTrait, year: i32) -> ApiResult<ProposalView> {
    let year = check_year(year)?;
    let p = require_proposal(db, year).await?;
    proposal_view(db, p).await
}

/// Adds or removes rows of the notice with a reason (secretariat), never
/// above a cap; audited with the proposal before and after.
pub async fn patch(
    tx: Tx,
    actor: &Principal,
    year: i32,
    if_match: Option<&str>,
    change: &ProposalPatch,
    now: DateTime<Utc>,
) -> ApiResult<ProposalView> {
    let year = check_year(year)?;
    let txn = &*tx;
    let prop = lock_proposal(txn, year).await?.ok_or_else(no_proposal)?;
    check_if_match(txn, &prop, if_match).await?;
    refuse_unless_editable(&prop)?;
    let n = notice_of(txn, &prop).await?;
    let before = proposal_view(txn, prop.clone()).await?;
    for (i, change) in change.remove.iter().enumerate() {
        let gone = proposal_entry::Entity::delete_many()
            .filter(proposal_entry::Column::ProposalId.eq(prop.id))
            .filter(proposal_entry::Column::Scope.eq(change.scope.as_str()))
            .filter(proposal_entry::Column::RowKey.eq(change.key.as_str()))
            .exec(txn)
            .await?;
        if gone.rows_affected == 0 {
            return Err(ApiError::validation(vec![FieldError::new(
                &format!("/remove/{i}/key"),
                "not_found",
                "推荐名单中没有这一行。",
            )]));
        }
    }
    for (i, change) in change.add.iter().enumerate() {
        let row = notice_row::Entity::find()
            .filter(notice_row::Column::NoticeId.eq(n.id))
            .filter(notice_row::Column::Scope.eq(change.scope.as_str()))
            .filter(notice_row::Column::RowKey.eq(change.key.as_str()))
            .one(txn)
            .await?
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    &format!("/add/{i}/key"),
                    "not_found",
                    "公示中没有这一行。",
                )])
            })?;
        insert_entries(
            txn,
            year,
            change.scope,
            vec![(&row, true, Some(change.reason.trim().to_owned()))],
            prop.id,
        )
        .await?;
    }
    // Never above a cap.
    for (scope, cap) in [
        (Scope::Schools, n.school_cap),
        (Scope::Individuals, n.individual_cap),
    ] {
        let count = proposal_entry::Entity::find()
            .filter(proposal_entry::Column::ProposalId.eq(prop.id))
            .filter(proposal_entry::Column::Scope.eq(scope.as_str()))
            .all(txn)
            .await?
            .len();
        if count > usize::try_from(cap).unwrap_or(0) {
            return Err(ApiError::new(ErrorCode::QuotaExceeded).with_detail(format!(
                "{}名额不超过 {cap} 个（{}），调整后为 {count} 个。",
                scope.label(),
                match scope {
                    Scope::Schools => "发文学校总数的 20%",
                    Scope::Individuals => "投稿总人数的 10%",
                }
            )));
        }
    }
    let version = prop.version + 1;
    let mut am: proposal::ActiveModel = prop.into();
    am.version = Set(version);
    am.updated_at = Set(now);
    let after = proposal_view(txn, am.update(txn).await?).await?;
    let reasons: Vec<&str> = change
        .add
        .iter()
        .chain(&change.remove)
        .map(|c| c.reason.as_str())
        .collect();
    let reason = reasons.join("；");
    audit::record(
        txn,
        now,
        Entry::by(actor, Role::Secretariat, "proposal.edit", "proposal", year)
            .reason(Some(reason.as_str())),
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// What the secretariat or the council does with the proposal.
#[derive(Clone, Copy, Debug)]
pub enum Decision<'a> {
    /// The secretariat submits a draft or returned proposal to the council,
    /// once every objection of the year is resolved.
    Submit,
    /// The council approves the submitted proposal (审定). Final: it cannot change afterwards.
    Approve,
    /// The council returns the submitted proposal to the secretariat with a note.
    Return(&'a ReturnInput),
}

/// A step of the proposal's life: who may take it from which states.
struct Step<'a> {
    role: Role,
    action: &'static str,
    from: &'static [ProposalStatus],
    to: ProposalStatus,
    note: Option<&'a str>,
}

impl<'a> Decision<'a> {
    fn step(self) -> Step<'a> {
        match self {
            Self::Submit => Step {
                role: Role::Secretariat,
                action: "proposal.submit",
                from: &[ProposalStatus::Draft, ProposalStatus::Returned],
                to: ProposalStatus::Submitted,
                note: None,
            },
            Self::Approve => Step {
                role: Role::Council,
                action: "proposal.approve",
                from: &[ProposalStatus::Submitted],
                to: ProposalStatus::Approved,
                note: None,
            },
            Self::Return(input) => Step {
                role: Role::Council,
                action: "proposal.return",
                from: &[ProposalStatus::Submitted],
                to: ProposalStatus::Returned,
                note: Some(input.note.trim()),
            },
        }
    }
}

/// Moves the proposal on by a decision: refused once approved, from a
/// state the decision does not start from, and (to submit) while an
/// objection of the year is open; with a stale `If-Match`, 409
/// `STALE_DECISION`. Audited with the status before.
pub async fn decide(
    tx: Tx,
    actor: &Principal,
    year: i32,
    if_match: Option<&str>,
    decision: Decision<'_>,
    now: DateTime<Utc>,
) -> ApiResult<ProposalView> {
    let Step {
        role,
        action,
        from,
        to,
        note,
    } = decision.step();
    let year = check_year(year)?;
    let txn = &*tx;
    let prop = lock_proposal(txn, year).await?.ok_or_else(no_proposal)?;
    check_if_match(txn, &prop, if_match).await?;
    let status = ProposalStatus::parse(&prop.status);
    if status == ProposalStatus::Approved {
        return Err(ApiError::new(ErrorCode::ProposalFinal));
    }
    if !from.contains(&status) {
        return Err(
            ApiError::new(ErrorCode::ProposalWrongState).with_detail(format!(
                "推荐名单当前状态为“{}”，不能执行此操作。",
                match status {
                    ProposalStatus::Draft => "草稿",
                    ProposalStatus::Submitted => "已报理事会",
                    ProposalStatus::Returned => "已退回",
                    ProposalStatus::Approved => "已审定",
                }
            )),
        );
    }
    if role == Role::Council && prop.submitted_by == Some(actor.id()) {
        return Err(ApiError::new(ErrorCode::SeparationOfDuties));
    }
    if to == ProposalStatus::Submitted {
        // Seed 000's order: the notice, its objections, then the list.
        let n = latest_notice(txn, year).await?.ok_or_else(not_published)?;
        if now < n.closes_at {
            return Err(
                ApiError::new(ErrorCode::NoticeWindowOpen).with_detail(format!(
                    "公示期至{}（北京时间）结束：公示期结束、异议全部处理后，才能将推荐名单报理事会。",
                    format_china_deadline(n.closes_at)
                )),
            );
        }
        if n.id != prop.notice_id {
            return Err(
                ApiError::new(ErrorCode::ProposalWrongState).with_detail(format!(
                    "统计结果已重新公示（第 {} 版），请先按新的公示重新生成推荐名单，再报理事会。",
                    n.version
                )),
            );
        }
        let open = objection::Entity::find()
            .filter(objection::Column::Year.eq(year))
            .filter(objection::Column::Status.eq("open"))
            .one(txn)
            .await?;
        if open.is_some() {
            return Err(ApiError::new(ErrorCode::ObjectionsPending));
        }
    }
    if matches!(to, ProposalStatus::Submitted | ProposalStatus::Approved) {
        // The whole list again: a record may have changed since a row went in.
        not_eligible(unmet_entries(txn, year, prop.id).await?)?;
    }
    let version = prop.version + 1;
    let mut am: proposal::ActiveModel = prop.into();
    am.status = Set(to.as_str().into());
    am.version = Set(version);
    am.updated_at = Set(now);
    match to {
        ProposalStatus::Submitted => {
            am.submitted_by = Set(Some(actor.id()));
            am.submitted_at = Set(Some(now));
        }
        ProposalStatus::Approved | ProposalStatus::Returned => {
            am.decided_by = Set(Some(actor.id()));
            am.decided_at = Set(Some(now));
            if to == ProposalStatus::Returned {
                am.return_note = Set(note.map(str::to_owned));
            }
        }
        ProposalStatus::Draft => {}
    }
    let view = proposal_view(txn, am.update(txn).await?).await?;
    audit::record(
        txn,
        now,
        Entry::by(actor, role, action, "proposal", year).reason(note),
        Some(&serde_json::json!({ "status": status })),
        Some(&view),
    )
    .await?;
    // Whoever the list now waits for, or whoever sent it, is told.
    let to_role = if to == ProposalStatus::Submitted {
        Role::Council
    } else {
        Role::Secretariat
    };
    let recipients = events::members_with_role(txn, to_role).await?;
    let notices = events::proposal_step(&recipients, year, version, to.as_str(), note, now);
    notifications::notify(txn, notices, now).await?;
    Ok(view)
}

/// Runs a decision in its unit of work. A council member deciding on a list
/// they submitted themselves is refused (403 `SEPARATION_OF_DUTIES`) and the
/// attempt is recorded in the audit log (`proposal.refused`).
pub async fn decide_in(
    db: &DatabaseConnection,
    actor: &Principal,
    year: i32,
    if_match: Option<&str>,
    decision: Decision<'_>,
    now: DateTime<Utc>,
) -> ApiResult<ProposalView> {
    let result = db::write(db, |tx| decide(tx, actor, year, if_match, decision, now)).await;
    if let Err(e) = &result
        && e.code == ErrorCode::SeparationOfDuties
    {
        let action = decision.step().action;
        db::write(db, |tx| async move {
            audit::record(
                &*tx,
                now,
                Entry::by(actor, Role::Council, "proposal.refused", "proposal", year)
                    .reason(Some("报送推荐名单的人不能审定或退回同一份名单")),
                None::<&()>,
                Some(&serde_json::json!({ "attempted": action })),
            )
            .await
        })
        .await?;
    }
    result
}

/// The honours list once the council approved it, else None.
pub async fn honours_list(db: &impl ConnectionTrait, year: i32) -> ApiResult<Option<HonoursView>> {
    let Some(p) = current_proposal(db, year).await? else {
        return Ok(None);
    };
    if ProposalStatus::parse(&p.status) != ProposalStatus::Approved {
        return Ok(None);
    }
    let approved_at = p.decided_at.map(to_china);
    let view = proposal_view(db, p).await?;
    // The public list: who was honoured, not the secretariat's reasoning.
    let public = |entries: Vec<ProposalEntryView>| {
        entries
            .into_iter()
            .map(|e| ProposalEntryView { why: None, ..e })
            .collect()
    };
    Ok(Some(HonoursView {
        year,
        schools: public(view.schools.entries),
        individuals: public(view.individuals.entries),
        approved_at,
    }))
}

/// The honoured schools and individuals of a year (public), or 404
/// `HONOURS_NOT_APPROVED` before the council approved them.
pub async fn honours(db: &impl ConnectionTrait, year: i32) -> ApiResult<HonoursView> {
    let year = check_year(year)?;
    honours_list(db, year)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HonoursNotApproved))
}
