//! Eligibility, the honours proposal (推荐名单) and the council's decision (审定).

use std::collections::HashSet;

use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::entity::{
    individual_eligibility, notice, notice_row, objection, proposal, proposal_entry,
    school_eligibility,
};
use crate::honours::http::notice::latest_notice;
use crate::honours::http::standings::check_year;
use crate::honours::rules::{Candidate, Scope, auto_select};
use crate::identity::principal::{Council, Principal, Secretariat, SecretariatOrCouncil};
use crate::identity::roles::Role;
use crate::organisation::lookup::OrgRef;
use crate::organisation::lookup::require_school;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::ValidJson;
use crate::state::AppState;

// ---------------------------------------------------------------- eligibility

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

/// Record the eligibility checklist of a school for a year (secretariat).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year"), ("school_id" = i64, Path, description = "School id")),
    request_body = SchoolEligibility,
    responses((status = 200, body = SchoolEligibility), (status = 403, description = "`FORBIDDEN`"))
)]
#[put("/credit-years/{year}/eligibility/{school_id}")]
pub async fn put_school_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i32, i64)>,
    body: ValidJson<SchoolEligibility>,
) -> ApiResult<HttpResponse> {
    let (year, school_id) = *path;
    let year = check_year(year)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    require_school(&txn, school_id, "/school_id")
        .await
        .map_err(|_| ApiError::not_found().with_detail("学校不存在。"))?;
    let existing = school_eligibility::Entity::find_by_id((year, school_id))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|e| SchoolEligibility {
        mechanism: e.mechanism,
        process: e.process,
        archive: e.archive,
        dedicated_staff: e.dedicated_staff,
        note: e.note.clone(),
    });
    let am = school_eligibility::ActiveModel {
        year: Set(year),
        school_id: Set(school_id),
        mechanism: Set(body.mechanism),
        process: Set(body.process),
        archive: Set(body.archive),
        dedicated_staff: Set(body.dedicated_staff),
        note: Set(body.note.clone()),
        updated_by: Set(Some(p.id())),
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
            "eligibility.school",
            "school",
            school_id,
        ),
        before.as_ref(),
        Some(&body.0),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(body.0))
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

/// Confirm (or not) a person of the standings as logistics staff of a member school (secretariat).
///
/// `key` is the row key of the individuals' standings (`<school_id>/<author_key>`, URL-encoded).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year"), ("key" = String, Path, description = "Row key of the person")),
    request_body = IndividualEligibility,
    responses((status = 200, body = IndividualEligibility), (status = 403, description = "`FORBIDDEN`"))
)]
#[put("/credit-years/{year}/individual-eligibility/{key}")]
pub async fn put_individual_eligibility(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i32, String)>,
    body: ValidJson<IndividualEligibility>,
) -> ApiResult<HttpResponse> {
    let (year, key) = path.into_inner();
    let year = check_year(year)?;
    if key.is_empty() || key.chars().count() > 120 {
        return Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("人员标识无效。"));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let existing = individual_eligibility::Entity::find_by_id((year, key.clone()))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|e| IndividualEligibility {
        logistics_staff: e.logistics_staff,
        note: e.note.clone(),
    });
    let am = individual_eligibility::ActiveModel {
        year: Set(year),
        row_key: Set(key.clone()),
        logistics_staff: Set(body.logistics_staff),
        note: Set(body.note.clone()),
        updated_by: Set(Some(p.id())),
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
            "eligibility.individual",
            "individual",
            &key,
        ),
        before.as_ref(),
        Some(&body.0),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(body.0))
}

// ---------------------------------------------------------------- proposal

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
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProposalList {
    /// At most this many (from the notice).
    pub cap: i32,
    pub entries: Vec<ProposalEntryView>,
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
}

pub async fn current_proposal(
    db: &impl ConnectionTrait,
    year: i32,
) -> ApiResult<Option<proposal::Model>> {
    Ok(proposal::Entity::find()
        .filter(proposal::Column::Year.eq(year))
        .one(db)
        .await?)
}

fn entry_view(e: proposal_entry::Model) -> ProposalEntryView {
    ProposalEntryView {
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
    }
}

async fn proposal_view(db: &impl ConnectionTrait, p: proposal::Model) -> ApiResult<ProposalView> {
    let n = notice::Entity::find_by_id(p.notice_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("proposal without notice")))?;
    let entries = proposal_entry::Entity::find()
        .filter(proposal_entry::Column::ProposalId.eq(p.id))
        .order_by_asc(proposal_entry::Column::Rank)
        .order_by_asc(proposal_entry::Column::Id)
        .all(db)
        .await?;
    let (schools, individuals): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .map(entry_view)
        .partition(|e| e.scope == Scope::Schools);
    Ok(ProposalView {
        year: p.year,
        status: ProposalStatus::parse(&p.status),
        version: p.version,
        notice_version: n.version,
        return_note: p.return_note,
        schools: ProposalList {
            cap: n.school_cap,
            entries: schools,
        },
        individuals: ProposalList {
            cap: n.individual_cap,
            entries: individuals,
        },
        submitted_at: p.submitted_at.map(to_china),
        decided_at: p.decided_at.map(to_china),
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

/// Eligible rows of the notice, in order, for one scope.
async fn candidates(
    db: &impl ConnectionTrait,
    n: &notice::Model,
    scope: Scope,
) -> ApiResult<Vec<(notice_row::Model, bool)>> {
    let rows = notice_row::Entity::find()
        .filter(notice_row::Column::NoticeId.eq(n.id))
        .filter(notice_row::Column::Scope.eq(scope.as_str()))
        .order_by_asc(notice_row::Column::Position)
        .all(db)
        .await?;
    let eligible: HashSet<String> = match scope {
        Scope::Schools => school_eligibility::Entity::find()
            .filter(school_eligibility::Column::Year.eq(n.year))
            .all(db)
            .await?
            .into_iter()
            .filter(|e| e.mechanism && e.process && e.archive && e.dedicated_staff)
            .map(|e| e.school_id.to_string())
            .collect(),
        Scope::Individuals => individual_eligibility::Entity::find()
            .filter(individual_eligibility::Column::Year.eq(n.year))
            .filter(individual_eligibility::Column::LogisticsStaff.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|e| e.row_key)
            .collect(),
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let ok = eligible.contains(&r.row_key);
            (r, ok)
        })
        .collect())
}

async fn refuse_unless_editable(p: &proposal::Model) -> ApiResult<()> {
    match ProposalStatus::parse(&p.status) {
        ProposalStatus::Approved => Err(ApiError::new(ErrorCode::ProposalFinal)),
        s if !s.editable() => Err(ApiError::new(ErrorCode::ProposalNotEditable)),
        _ => Ok(()),
    }
}

/// Build the proposal from the latest notice (secretariat).
///
/// The top eligible rows within each cap; a tied group straddling the cap is
/// left out for the secretariat to decide. Rebuilding replaces a draft or a
/// returned proposal (manual changes are lost); a submitted or approved one
/// cannot be rebuilt.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 201, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOTICE_NOT_PUBLISHED`"),
        (status = 409, description = "`PROPOSAL_NOT_EDITABLE` or `PROPOSAL_FINAL`"),
    )
)]
#[post("/credit-years/{year}/proposal")]
pub async fn build_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let n = latest_notice(&txn, year)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoticeNotPublished))?;
    let existing = current_proposal(&txn, year).await?;
    let model = match existing {
        Some(old) => {
            refuse_unless_editable(&old).await?;
            proposal_entry::Entity::delete_many()
                .filter(proposal_entry::Column::ProposalId.eq(old.id))
                .exec(&txn)
                .await?;
            let version = old.version + 1;
            let mut am: proposal::ActiveModel = old.into();
            am.notice_id = Set(n.id);
            am.status = Set(ProposalStatus::Draft.as_str().into());
            am.version = Set(version);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            proposal::ActiveModel {
                year: Set(year),
                notice_id: Set(n.id),
                status: Set(ProposalStatus::Draft.as_str().into()),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    for (scope, cap) in [
        (Scope::Schools, n.school_cap),
        (Scope::Individuals, n.individual_cap),
    ] {
        let rows = candidates(&txn, &n, scope).await?;
        let list: Vec<Candidate> = rows
            .iter()
            .map(|(r, ok)| Candidate {
                key: r.row_key.clone(),
                rank: i64::from(r.rank),
                eligible: *ok,
            })
            .collect();
        let chosen: HashSet<String> = auto_select(&list, usize::try_from(cap).unwrap_or(0))
            .into_iter()
            .collect();
        let entries: Vec<proposal_entry::ActiveModel> = rows
            .iter()
            .filter(|(r, _)| chosen.contains(&r.row_key))
            .map(|(r, _)| entry_from_row(model.id, r, false, None))
            .collect();
        if !entries.is_empty() {
            proposal_entry::Entity::insert_many(entries)
                .exec(&txn)
                .await?;
        }
    }
    let view = proposal_view(&txn, model).await?;
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "proposal.build", "proposal", year),
        None::<&()>,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// The proposal of a year (secretariat, council).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses((status = 200, body = ProposalView), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`: no proposal yet"))
)]
#[get("/credit-years/{year}/proposal")]
pub async fn get_proposal(
    state: web::Data<AppState>,
    SecretariatOrCouncil(_viewer): SecretariatOrCouncil,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let p = current_proposal(&state.db, year)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("本年度尚未生成推荐名单。"))?;
    Ok(HttpResponse::Ok().json(proposal_view(&state.db, p).await?))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalChange {
    pub scope: Scope,
    /// The row key in the notice.
    #[validate(length(min = 1, max = 120))]
    pub key: String,
    /// Why (required, 2–500 characters; kept with the entry and in the audit log).
    #[validate(length(min = 2, max = 500, message = "须填写调整理由（2–500 个字）。"))]
    pub reason: String,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalPatch {
    #[validate(nested)]
    #[serde(default)]
    pub add: Vec<ProposalChange>,
    #[validate(nested)]
    #[serde(default)]
    pub remove: Vec<ProposalChange>,
}

/// Add or remove rows with a reason (secretariat), never above a cap.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = ProposalPatch,
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`QUOTA_EXCEEDED`, `PROPOSAL_NOT_EDITABLE` or `PROPOSAL_FINAL`"),
    )
)]
#[patch("/credit-years/{year}/proposal")]
pub async fn patch_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
    body: ValidJson<ProposalPatch>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let prop = current_proposal(&txn, year)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("本年度尚未生成推荐名单。"))?;
    refuse_unless_editable(&prop).await?;
    let n = notice::Entity::find_by_id(prop.notice_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("proposal without notice")))?;
    let before = proposal_view(&txn, prop.clone()).await?;
    for (i, change) in body.remove.iter().enumerate() {
        let gone = proposal_entry::Entity::delete_many()
            .filter(proposal_entry::Column::ProposalId.eq(prop.id))
            .filter(proposal_entry::Column::Scope.eq(change.scope.as_str()))
            .filter(proposal_entry::Column::RowKey.eq(change.key.as_str()))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            return Err(ApiError::validation(vec![FieldError::new(
                &format!("/remove/{i}/key"),
                "not_found",
                "推荐名单中没有这一行。",
            )]));
        }
    }
    for (i, change) in body.add.iter().enumerate() {
        let row = notice_row::Entity::find()
            .filter(notice_row::Column::NoticeId.eq(n.id))
            .filter(notice_row::Column::Scope.eq(change.scope.as_str()))
            .filter(notice_row::Column::RowKey.eq(change.key.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    &format!("/add/{i}/key"),
                    "not_found",
                    "公示中没有这一行。",
                )])
            })?;
        let inserted = proposal_entry::Entity::insert(entry_from_row(
            prop.id,
            &row,
            true,
            Some(change.reason.trim().to_owned()),
        ))
        .exec(&txn)
        .await;
        if let Err(e) = inserted
            && !crate::platform::db::is_unique_violation(&e)
        {
            return Err(e.into());
        }
    }
    // Never above a cap.
    for (scope, cap) in [
        (Scope::Schools, n.school_cap),
        (Scope::Individuals, n.individual_cap),
    ] {
        let count = proposal_entry::Entity::find()
            .filter(proposal_entry::Column::ProposalId.eq(prop.id))
            .filter(proposal_entry::Column::Scope.eq(scope.as_str()))
            .all(&txn)
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
    let after = proposal_view(&txn, am.update(&txn).await?).await?;
    let reasons: Vec<&str> = body
        .add
        .iter()
        .chain(&body.remove)
        .map(|c| c.reason.as_str())
        .collect();
    let reason = reasons.join("；");
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "proposal.edit", "proposal", year)
            .reason(Some(reason.as_str())),
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(after))
}

/// A step of the proposal's life: who may take it from which states.
struct Step {
    role: Role,
    action: &'static str,
    from: &'static [ProposalStatus],
    to: ProposalStatus,
    note: Option<String>,
}

async fn transition(
    state: &AppState,
    actor: &Principal,
    year: i32,
    step: Step,
) -> ApiResult<ProposalView> {
    let Step {
        role,
        action,
        from,
        to,
        note,
    } = step;
    let now = state.now();
    let txn = state.db.begin().await?;
    let prop = current_proposal(&txn, year)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("本年度尚未生成推荐名单。"))?;
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
    if to == ProposalStatus::Submitted {
        let open = objection::Entity::find()
            .filter(objection::Column::Year.eq(year))
            .filter(objection::Column::Status.eq("open"))
            .one(&txn)
            .await?;
        if open.is_some() {
            return Err(ApiError::new(ErrorCode::ObjectionsPending));
        }
    }
    let before = ProposalStatus::parse(&prop.status);
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
                am.return_note = Set(note.clone());
            }
        }
        ProposalStatus::Draft => {}
    }
    let view = proposal_view(&txn, am.update(&txn).await?).await?;
    audit::record(
        &txn,
        now,
        Entry::by(actor, role, action, "proposal", year).reason(note.as_deref()),
        Some(&serde_json::json!({ "status": before })),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Submit the proposal to the council (secretariat). Every objection must be resolved first.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE`, `PROPOSAL_FINAL` or `OBJECTIONS_PENDING`"),
    )
)]
#[post("/credit-years/{year}/proposal/submit")]
pub async fn submit_proposal(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let view = transition(
        &state,
        &p,
        year,
        Step {
            role: Role::Secretariat,
            action: "proposal.submit",
            from: &[ProposalStatus::Draft, ProposalStatus::Returned],
            to: ProposalStatus::Submitted,
            note: None,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Approve the submitted proposal (council, 审定). Final: it cannot change afterwards.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`: only the council approves"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE` or `PROPOSAL_FINAL`"),
    )
)]
#[post("/credit-years/{year}/proposal/approve")]
pub async fn approve_proposal(
    state: web::Data<AppState>,
    Council(p): Council,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let view = transition(
        &state,
        &p,
        year,
        Step {
            role: Role::Council,
            action: "proposal.approve",
            from: &[ProposalStatus::Submitted],
            to: ProposalStatus::Approved,
            note: None,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// What to change (2–500 characters).
    #[validate(length(min = 2, max = 500, message = "请填写退回意见（2–500 个字）。"))]
    pub note: String,
}

/// Return the submitted proposal to the secretariat with a note (council).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("year" = i32, Path, description = "Credit year")),
    request_body = ReturnInput,
    responses(
        (status = 200, body = ProposalView),
        (status = 403, description = "`FORBIDDEN`: only the council returns"),
        (status = 404, description = "`NOT_FOUND`: no proposal yet"),
        (status = 409, description = "`PROPOSAL_WRONG_STATE` or `PROPOSAL_FINAL`"),
    )
)]
#[post("/credit-years/{year}/proposal/return")]
pub async fn return_proposal(
    state: web::Data<AppState>,
    Council(p): Council,
    path: web::Path<i32>,
    body: ValidJson<ReturnInput>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let view = transition(
        &state,
        &p,
        year,
        Step {
            role: Role::Council,
            action: "proposal.return",
            from: &[ProposalStatus::Submitted],
            to: ProposalStatus::Returned,
            note: Some(body.note.trim().to_owned()),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
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

/// The honours list once the council approved it, else None.
pub async fn honours_rows(db: &impl ConnectionTrait, year: i32) -> ApiResult<Option<HonoursView>> {
    let Some(p) = current_proposal(db, year).await? else {
        return Ok(None);
    };
    if ProposalStatus::parse(&p.status) != ProposalStatus::Approved {
        return Ok(None);
    }
    let approved_at = p.decided_at.map(to_china);
    let view = proposal_view(db, p).await?;
    Ok(Some(HonoursView {
        year,
        schools: view.schools.entries,
        individuals: view.individuals.entries,
        approved_at,
    }))
}

/// The honoured schools and individuals of a year (public once the council approved them).
#[utoipa::path(
    tag = "honours",
    params(("year" = i32, Path, description = "Credit year")),
    responses((status = 200, body = HonoursView), (status = 404, description = "`HONOURS_NOT_APPROVED`"))
)]
#[get("/credit-years/{year}/honours")]
pub async fn get_honours(
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let year = check_year(*path)?;
    let view = honours_rows(&state.db, year)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::HonoursNotApproved))?;
    Ok(HttpResponse::Ok().json(view))
}
