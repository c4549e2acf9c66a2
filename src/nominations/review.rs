//! Review (评审, seed 002): the secretariat shortlists a submitted
//! nomination, rejects it with a reason, or disqualifies it for fraud —
//! "对推荐过程中弄虚作假、徇私舞弊的，一经查实，取消参与资格" (final). Audited.
//!
//! A disqualified nominee gives the district's quota slot back: the seed
//! takes away the nominee's "参与资格", not the district's right to nominate
//! ("请各片区……推荐1名"), so the district may file a replacement while its
//! filing is open — before the deadline, or after it when the secretariat
//! grants it late filing (a deliberate, audited act). A rejection (未入围)
//! keeps the slot: it is the review's answer to the district's nominee, and
//! freeing it would let a district nominate until one is kept.
//!
//! No silent overwrites: a review decides a `submitted` nomination. Once it
//! is reviewed, another review answers 409 `STALE_DECISION` naming who
//! decided what, unless it deliberately `revises` the status the nomination
//! has, with a reason (audited as a revision). `If-Match` with the ETag of
//! the view read is honoured too.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::nomination;
use crate::identity::lookup::decided_by;
use crate::nominations::filing::release_district_slot;
use crate::nominations::lookup::{locked_nomination, nomination_view};
use crate::nominations::model::{NominationView, ReviewDecision, ReviewInput, status_of};
use crate::nominations::rules::{self, NominationStatus};
use crate::notifications::{self, events};
use crate::platform::audit::{self, Entry};
use crate::platform::db::Tx;
use crate::platform::decision::{StaleDecision, revision_reason};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// The decision a reviewed status records, in the vocabulary of the
/// review request, and in Chinese.
fn decision_of(status: NominationStatus) -> (&'static str, &'static str) {
    match status {
        NominationStatus::Shortlisted => ("shortlist", "将该推荐评为“入围”"),
        NominationStatus::Rejected => ("reject", "将该推荐评为“未入围”"),
        NominationStatus::Disqualified => ("disqualify", "取消了该推荐的资格"),
        NominationStatus::Forwarded => ("forward", "已将该推荐报送中国教育后勤协会"),
        NominationStatus::Submitted => ("none", "修改了该推荐"),
        NominationStatus::Draft => ("none", "将该推荐撤回为草稿"),
    }
}

/// 409 `STALE_DECISION` naming the review in force on `n`.
async fn stale_review(db: &impl ConnectionTrait, n: &nomination::Model) -> ApiResult<ApiError> {
    let status = status_of(n);
    let (decision, label) = decision_of(status);
    Ok(StaleDecision::new(
        decided_by(db, n.reviewed_by).await?,
        decision,
        n.reviewed_at,
        status.as_str(),
        label,
    )
    .reason(n.review_reason.clone())
    .etag(rules::etag(n.id, n.version))
    .into_error())
}

/// Records the secretariat's decision on nomination `id`: a reason is
/// required to reject or disqualify (422); a draft, a forwarded or a
/// disqualified nomination cannot be reviewed (409 `CONFLICT`). A reviewed
/// one is reviewed again only with `revises` (its current status) and a
/// reason; otherwise, or with a stale `If-Match`, 409 `STALE_DECISION`
/// (412 `PRECONDITION_FAILED` when the change since was not a review).
pub async fn decide(
    tx: Tx,
    p: &Principal,
    id: i64,
    if_match: Option<&str>,
    input: &ReviewInput,
    now: DateTime<Utc>,
) -> ApiResult<NominationView> {
    let txn = &*tx;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if input.decision != ReviewDecision::Shortlist && reason.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            "不入围或取消资格须填写原因。",
        )]));
    }
    let revises = match input.revises {
        None => None,
        Some(seen @ (NominationStatus::Shortlisted | NominationStatus::Rejected)) => {
            revision_reason(input.reason.as_deref(), "/reason")?;
            Some(seen)
        }
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/revises",
                "one_of",
                "只能改判已入围或未入围的推荐（shortlisted、rejected）。",
            )]));
        }
    };
    let n = locked_nomination(txn, id).await?;
    let current = status_of(&n);
    match current {
        NominationStatus::Submitted
        | NominationStatus::Shortlisted
        | NominationStatus::Rejected => {}
        NominationStatus::Draft => {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail("推荐尚未提交，不能评审。"));
        }
        NominationStatus::Disqualified => {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_detail("该推荐已因弄虚作假被取消资格，不能再更改。"));
        }
        NominationStatus::Forwarded => {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_detail("该推荐已报送中国教育后勤协会，不能再更改。"));
        }
    }
    if let Some(expected) = if_match
        && !rules::if_match_satisfied(expected, &rules::etag(n.id, n.version))
    {
        if n.reviewed_by.is_some() {
            return Err(stale_review(txn, &n).await?);
        }
        return Err(ApiError::new(ErrorCode::PreconditionFailed)
            .with_detail("推荐内容已被修改，请刷新后再评审。"));
    }
    match (revises, current) {
        (None, NominationStatus::Submitted) => {}
        (Some(_), NominationStatus::Submitted) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/revises",
                "not_reviewed",
                "该推荐尚未评审，请直接评审（不带 revises）。",
            )]));
        }
        (Some(seen), now_status) if seen == now_status => {}
        _ => return Err(stale_review(txn, &n).await?),
    }
    let status = match input.decision {
        ReviewDecision::Shortlist => NominationStatus::Shortlisted,
        ReviewDecision::Reject => NominationStatus::Rejected,
        ReviewDecision::Disqualify => NominationStatus::Disqualified,
    };
    let before = serde_json::json!({
        "status": n.status,
        "review_reason": n.review_reason,
        "reviewed_by": n.reviewed_by,
        "reviewed_at": n.reviewed_at,
    });
    let mut am: nomination::ActiveModel = n.clone().into();
    am.status = Set(status.as_str().to_owned());
    am.review_reason = Set(reason.clone());
    am.reviewed_by = Set(Some(p.id()));
    am.reviewed_at = Set(Some(now));
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after_row = am.update(txn).await?;
    if status == NominationStatus::Disqualified {
        release_district_slot(txn, n.campaign_id, n.district_id).await?;
    }
    let mut after = serde_json::json!({"status": status, "review_reason": reason});
    if revises.is_some() {
        after["revision"] = serde_json::json!({
            "revises": current,
            "decided_by": n.reviewed_by,
            "decided_at": n.reviewed_at,
        });
    }
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "nomination.review", "nomination", id)
            .reason(reason.as_deref()),
        Some(&before),
        Some(&after),
    )
    .await?;
    let leads = events::district_leads(txn, after_row.district_id).await?;
    notifications::notify(
        txn,
        events::nomination_reviewed(&leads, &after_row, now),
        now,
    )
    .await?;
    nomination_view(txn, now, after_row).await
}
