//! Decisions are never overwritten silently. A review, merge, eligibility
//! or proposal change made on a view that is no longer current answers 409
//! `STALE_DECISION`, naming the decision in force (who, what, when), and
//! changes nothing. A deliberate change of an earlier decision is its own
//! explicit request, with a reason that the audit log keeps.
//!
//! Each use case says what its client decided from: a state precondition
//! (the article was `pending`, the request `revises` the status it saw) or
//! `If-Match` with the ETag of the view it read.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Who made a decision, as a `STALE_DECISION` problem names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DecidedBy {
    /// The member's id.
    pub id: i64,
    /// The member's display name.
    pub display_name: String,
}

/// The decision in force that a stale request would have overwritten: the
/// extension members of a 409 `STALE_DECISION` problem.
#[derive(Clone, Debug, Serialize)]
pub struct StaleDecision {
    /// Who made the decision in force (null when nobody is on record).
    pub decided_by: Option<DecidedBy>,
    /// What they decided, in the vocabulary of the requests: `approve`,
    /// `reject`, `repost` (articles), `merge`, `shortlist`, `reject`,
    /// `disqualify` (nominations), `eligible` / `not_eligible` (a school's
    /// checklist), `logistics_staff` / `not_logistics_staff` (a person),
    /// `build`, `edit`, `submit`, `approve`, `return` (the proposal).
    pub decision: String,
    /// When (China time).
    pub decided_at: Option<DateTime<FixedOffset>>,
    /// The state the resource is in now (e.g. `approved`, `shortlisted`,
    /// `submitted`; `status` itself is the problem's HTTP status).
    pub current_status: String,
    /// The reason given with the decision, if any.
    pub reason: Option<String>,
    /// The resource's current ETag, for a deliberate change with `If-Match`
    /// (resources that have one: nominations, eligibility, the proposal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// What the decision was, in Chinese, for the message.
    #[serde(skip)]
    pub label: String,
}

impl StaleDecision {
    /// A decision by `decided_by` at `decided_at`; `label` says in Chinese
    /// what was decided (e.g. `审核为“批准”`).
    pub fn new(
        decided_by: Option<DecidedBy>,
        decision: impl Into<String>,
        decided_at: Option<DateTime<Utc>>,
        status: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Self {
            decided_by,
            decision: decision.into(),
            decided_at: decided_at.map(to_china),
            current_status: status.into(),
            reason: None,
            etag: None,
            label: label.into(),
        }
    }

    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    pub fn etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }

    /// The 409 `STALE_DECISION` problem naming this decision.
    pub fn into_error(self) -> ApiError {
        let who = self
            .decided_by
            .as_ref()
            .map_or_else(|| "其他人".to_owned(), |m| m.display_name.clone());
        let when = self
            .decided_at
            .map(|t| format!("于{}", t.format("%Y年%-m月%-d日 %H:%M")))
            .unwrap_or_default();
        let detail = format!(
            "{who}已{when}{}，您看到的内容已过期，本次操作未生效。请刷新后查看；如确需改变该决定，请说明理由后再改。",
            self.label
        );
        let mut error = ApiError::new(ErrorCode::StaleDecision).with_detail(detail);
        if let Ok(serde_json::Value::Object(members)) = serde_json::to_value(&self) {
            for (key, value) in members {
                error = error.with_extension(&key, value);
            }
        }
        error
    }
}

/// The reason of a deliberate change of an earlier decision: required and
/// not blank (422 `VALIDATION_FAILED` at `pointer` otherwise).
pub fn revision_reason<'a>(reason: Option<&'a str>, pointer: &str) -> ApiResult<&'a str> {
    reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                pointer,
                "required",
                "改变已作出的决定须说明理由。",
            )])
        })
}

/// `If-Match` (RFC 9110 §13.1.1): satisfied when it lists the current ETag
/// (strong comparison) or is `*`.
pub fn if_match_satisfied(header: &str, current: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == current)
}

/// A strong ETag over a representation: the first 16 hex digits of the
/// SHA-256 of its JSON, with `prefix` (e.g. `"e-…"`).
pub fn content_etag<T: Serialize>(prefix: &str, value: &T) -> ApiResult<String> {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let digest = Sha256::digest(&json);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("\"{prefix}-{hex}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_lists_or_star() {
        assert!(if_match_satisfied("\"a\", \"b\"", "\"b\""));
        assert!(if_match_satisfied("*", "\"b\""));
        assert!(!if_match_satisfied("W/\"b\"", "\"b\""));
        assert!(!if_match_satisfied("\"a\"", "\"b\""));
    }

    #[test]
    fn a_blank_revision_reason_is_refused() {
        assert!(revision_reason(Some("  "), "/reason").is_err());
        assert!(revision_reason(None, "/reason").is_err());
        assert_eq!(
            revision_reason(Some(" 核实 "), "/reason").ok(),
            Some("核实")
        );
    }

    #[test]
    fn the_problem_names_who_decided_what() {
        let e = StaleDecision::new(
            Some(DecidedBy {
                id: 7,
                display_name: "张三".into(),
            }),
            "approve",
            None,
            "approved",
            "审核为“批准”",
        )
        .into_error();
        assert_eq!(e.code, ErrorCode::StaleDecision);
        assert_eq!(e.extensions["decided_by"]["id"], 7);
        assert_eq!(e.extensions["decision"], "approve");
        assert!(e.detail.contains("张三"));
        assert!(!e.extensions.contains_key("label"));
    }
}
