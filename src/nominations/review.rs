//! Review (评审, seed 002): the secretariat shortlists a submitted
//! nomination, rejects it with a reason, or disqualifies it for fraud —
//! "对推荐过程中弄虚作假、徇私舞弊的，一经查实，取消参与资格" (final). Audited.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::nomination;
use crate::nominations::lookup::{locked_nomination, nomination_view};
use crate::nominations::model::{NominationView, ReviewDecision, ReviewInput, status_of};
use crate::nominations::rules::NominationStatus;
use crate::platform::audit::{self, Entry};
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Records the secretariat's decision on nomination `id`: a reason is
/// required to reject or disqualify (422); a draft, a forwarded or a
/// disqualified nomination cannot be reviewed (409 `CONFLICT`).
pub async fn decide(
    tx: Tx,
    p: &Principal,
    id: i64,
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
    let n = locked_nomination(txn, id).await?;
    match status_of(&n) {
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
    let status = match input.decision {
        ReviewDecision::Shortlist => NominationStatus::Shortlisted,
        ReviewDecision::Reject => NominationStatus::Rejected,
        ReviewDecision::Disqualify => NominationStatus::Disqualified,
    };
    let before = serde_json::json!({"status": n.status, "review_reason": n.review_reason});
    let mut am: nomination::ActiveModel = n.clone().into();
    am.status = Set(status.as_str().to_owned());
    am.review_reason = Set(reason.clone());
    am.reviewed_by = Set(Some(p.id()));
    am.reviewed_at = Set(Some(now));
    am.version = Set(n.version + 1);
    am.updated_at = Set(now);
    let after_row = am.update(txn).await?;
    let after = serde_json::json!({"status": status, "review_reason": reason});
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "nomination.review", "nomination", id)
            .reason(reason.as_deref()),
        Some(&before),
        Some(&after),
    )
    .await?;
    nomination_view(txn, now, after_row).await
}
