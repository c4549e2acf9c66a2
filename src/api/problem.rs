//! The `Problem` schema as the spec publishes it: RFC 9457's members, this
//! API's fixed ones, and every extension member some problem carries.
//!
//! The server's [`crate::platform::error::Problem`] keeps extensions in a map
//! (each capability adds its own); this type only documents them, one
//! optional, typed property each, so a generated client can read
//! `problem.existing_article_id` or `problem.rows` without a cast.
//! [`crate::platform::error::EXTENSION_MEMBERS`] lists the same names and
//! `ApiError::with_extension` refuses any other (a test compares the two).

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use crate::articles::model::AcceptedSource;
use crate::honours::conditions::UnmetRow;
use crate::nominations::rules::Contact;
use crate::organisation::school_import::RowReport;
use crate::platform::decision::DecidedBy;
use crate::platform::error::{ErrorCode, FieldError};

/// Which dependency a 503 `SERVICE_UNAVAILABLE` of `GET /readyz` found down.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReadinessChecks {
    #[schema(pattern = "^(ok|unavailable)$")]
    pub database: String,
    #[schema(pattern = "^(ok|unavailable)$")]
    pub cache: String,
}

/// RFC 9457 problem details (`application/problem+json`), as every error of
/// this API answers. Switch on `code`; show `detail` (Chinese); quote
/// `request_id` to the support desk. Extension members appear only on the
/// problems named in their descriptions; others may be added (a client
/// ignores members it does not know: `additionalProperties` is set by
/// `crate::api::openapi`).
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
pub struct ProblemSchema {
    /// URI reference identifying the problem type, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type (English, constant per code).
    pub title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// Explanation fit to show to the user (Chinese).
    pub detail: String,
    pub code: ErrorCode,
    /// The request path.
    #[schema(required = false)]
    pub instance: String,
    /// The request id (`X-Request-Id`), to quote to the support desk.
    #[schema(required = false)]
    pub request_id: String,
    /// The invalid fields (`VALIDATION_FAILED`).
    #[schema(required = false)]
    pub errors: Vec<FieldError>,

    /// `INVALID_PARAMETER` on `page_size`: the parameter's name.
    #[schema(required = false)]
    pub parameter: String,
    /// `INVALID_PARAMETER` on `page_size`: the smallest value allowed.
    #[schema(required = false)]
    pub minimum: i64,
    /// `INVALID_PARAMETER` on `page_size`: the largest value allowed;
    /// `CONFLICT` of an attachment upload: how many files of that kind a
    /// nomination holds (2 certificates, 10 scan pages as images, 1 PDF scan).
    #[schema(required = false)]
    pub maximum: i64,
    /// `CONFLICT` on a name or host already taken (`SOURCE_HOST_TAKEN`): the
    /// JSON Pointer of the field, e.g. `/name` or `/hosts/0`.
    #[schema(required = false)]
    pub field: String,
    /// `UNKNOWN_SOURCE`: the sites a link may be submitted from.
    #[schema(required = false)]
    pub accepted_sources: Vec<AcceptedSource>,
    /// `DUPLICATE_ARTICLE`: the article first submitted with this link, one
    /// the caller may open (their school's; any for the secretariat). A link
    /// first submitted by another school answers `ARTICLE_CREDITED_ELSEWHERE`
    /// instead, without this member.
    #[schema(required = false)]
    pub existing_article_id: i64,
    /// `STALE_DECISION` of a merge: the article merged.
    #[schema(required = false)]
    pub article_id: i64,
    /// `STALE_DECISION` of a merge: its duplicate group (null when none).
    #[schema(required = false)]
    pub duplicate_group_id: Option<i64>,
    /// `SERVICE_UNAVAILABLE` of `GET /readyz`: which dependency is down.
    #[schema(required = false)]
    pub checks: ReadinessChecks,
    /// `IMPORT_REJECTED`: the per-row report (nothing was imported).
    #[schema(required = false)]
    pub rows: Vec<RowReport>,
    /// `DEADLINE_PASSED`: when filing closed for the caller's district
    /// (China time; a late grant's end when one was given).
    #[schema(required = false)]
    pub deadline: DateTime<FixedOffset>,
    /// `DEADLINE_PASSED`: whom to call for a late-filing grant — the
    /// campaign's first contact, as the campaign lists it (absent when it
    /// lists none).
    #[schema(required = false)]
    pub contact: Contact,
    /// `STALE_DECISION`: who made the decision in force (null when nobody
    /// is on record).
    #[schema(required = false)]
    pub decided_by: Option<DecidedBy>,
    /// `STALE_DECISION`: what they decided, in the vocabulary of the
    /// requests (`approve`, `reject`, `repost`, `merge`, `shortlist`,
    /// `disqualify`, `eligible`, `not_eligible`, `logistics_staff`,
    /// `not_logistics_staff`, `build`, `edit`, `submit`, `return`).
    #[schema(required = false)]
    pub decision: String,
    /// `STALE_DECISION`: when (China time).
    #[schema(required = false)]
    pub decided_at: Option<DateTime<FixedOffset>>,
    /// `STALE_DECISION`: the state the resource is in now (e.g. `approved`).
    #[schema(required = false)]
    pub current_status: String,
    /// `STALE_DECISION`: the reason given with the decision, if any.
    #[schema(required = false)]
    pub reason: Option<String>,
    /// `STALE_DECISION`: the resource's current ETag, for a deliberate change
    /// with `If-Match` (nominations, eligibility, the proposal).
    #[schema(required = false)]
    pub etag: String,
    /// `NOT_ELIGIBLE`: each row refused, with the conditions of seed 000 it
    /// does not meet.
    #[schema(required = false)]
    pub unmet: Vec<UnmetRow>,
    /// `ATTACHMENT_EXISTS`: the attachment already in that place (the
    /// photo), to replace (`PUT …/attachments/{attachment_id}`) or delete.
    #[schema(required = false)]
    pub existing_attachment_id: i64,
}
