//! The one error type of the API, rendered as RFC 9457 `application/problem+json`
//! (SPEC §E). The user's message (`detail`, Chinese) is kept apart from the
//! cause, which goes to the log only; a 500 never carries the cause.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::request_id;

/// Declares the error codes: variant = (HTTP status, code, English title,
/// default Chinese detail). One line per code, so each capability adds its
/// own lines in its own section.
macro_rules! error_codes {
    ($($variant:ident = ($status:ident, $code:literal, $title:literal, $detail:literal),)*) => {
        /// Stable machine codes: the front end switches on these, never on text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Self::$variant => StatusCode::$status,)* }
            }

            /// Short English summary (`title`), constant per code as RFC 9457 asks.
            pub fn title(self) -> &'static str {
                match self { $(Self::$variant => $title,)* }
            }

            /// Default user-facing message (Chinese).
            pub fn default_detail(self) -> &'static str {
                match self { $(Self::$variant => $detail,)* }
            }
        }
    };
}

#[rustfmt::skip]
error_codes! {
    // Foundation: requests, bodies, parameters.
    MalformedJson = (BAD_REQUEST, "MALFORMED_JSON", "Malformed JSON body", "请求内容不是有效的 JSON。"),
    UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", "请求内容类型不受支持，请使用 application/json。"),
    InvalidParameter = (BAD_REQUEST, "INVALID_PARAMETER", "Invalid path or query parameter", "请求参数无效。"),
    ValidationFailed = (UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "Validation failed", "提交的内容有误，请检查标注的字段。"),
    RequestTimeout = (REQUEST_TIMEOUT, "REQUEST_TIMEOUT", "Request body too slow", "请求内容上传超时，请检查网络后重试。"),
    PayloadTooLarge = (PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Payload too large", "请求内容过大。"),
    NotFound = (NOT_FOUND, "NOT_FOUND", "Not found", "请求的资源不存在。"),
    MethodNotAllowed = (METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "Method not allowed", "该资源不支持此请求方法。"),
    InvalidPageToken = (BAD_REQUEST, "INVALID_PAGE_TOKEN", "Invalid page token", "分页标记无效，请从第一页重新加载。"),
    IdempotencyKeyInvalid = (BAD_REQUEST, "IDEMPOTENCY_KEY_INVALID", "Invalid Idempotency-Key", "Idempotency-Key 格式无效。"),
    IdempotencyKeyReused = (UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key reused with another request", "该请求标识已用于另一个不同的请求。"),
    IdempotencyKeyInProgress = (CONFLICT, "IDEMPOTENCY_KEY_IN_PROGRESS", "Request with this Idempotency-Key in progress", "相同的请求正在处理中，请稍后再试。"),
    RateLimited = (TOO_MANY_REQUESTS, "RATE_LIMITED", "Too many requests", "操作过于频繁，请稍后再试。"),
    Conflict = (CONFLICT, "CONFLICT", "Conflict", "操作与当前状态冲突。"),
    StaleDecision = (CONFLICT, "STALE_DECISION", "Decision made on a stale view", "该事项已由他人作出决定，您看到的内容已过期，本次操作未生效，请刷新后再操作。"),
    DatabaseUnavailable = (SERVICE_UNAVAILABLE, "DATABASE_UNAVAILABLE", "Database unavailable", "数据库暂时不可用，请稍后重试。"),
    ServiceUnavailable = (SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Service unavailable", "服务暂时不可用，请稍后再试。"),
    Internal = (INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal server error", "服务器内部错误，请稍后再试。"),
    // Identity: login, tokens, roles, invitations, organisation.
    Unauthenticated = (UNAUTHORIZED, "UNAUTHENTICATED", "Authentication required", "请先登录。"),
    InvalidLoginCode = (UNAUTHORIZED, "INVALID_LOGIN_CODE", "Invalid WeChat login code", "微信登录凭证无效，请重新登录。"),
    LoginCodeUsed = (UNAUTHORIZED, "LOGIN_CODE_USED", "WeChat login code already used", "微信登录凭证已被使用，请重新登录。"),
    WechatUnavailable = (SERVICE_UNAVAILABLE, "WECHAT_UNAVAILABLE", "WeChat unavailable", "微信服务暂时不可用，请稍后再试。"),
    TokenExpired = (UNAUTHORIZED, "TOKEN_EXPIRED", "Access token expired", "登录已过期，请刷新登录。"),
    RefreshTokenInvalid = (UNAUTHORIZED, "REFRESH_TOKEN_INVALID", "Refresh token invalid or expired", "登录状态已失效，请重新登录。"),
    RefreshTokenReused = (UNAUTHORIZED, "REFRESH_TOKEN_REUSED", "Refresh token reused", "检测到登录凭证被重复使用，为安全起见已退出所有相关登录，请重新登录。"),
    Forbidden = (FORBIDDEN, "FORBIDDEN", "Forbidden", "您没有权限执行此操作。"),
    InvitationNotFound = (NOT_FOUND, "INVITATION_NOT_FOUND", "Invitation code not found", "邀请码不存在，请核对后重新输入。"),
    InvitationExpired = (GONE, "INVITATION_EXPIRED", "Invitation code expired", "邀请码已过期，请联系秘书处重新获取。"),
    InvitationRevoked = (GONE, "INVITATION_REVOKED", "Invitation code revoked", "邀请码已作废，请联系秘书处重新获取。"),
    InvitationUsedUp = (CONFLICT, "INVITATION_USED_UP", "Invitation code used up", "邀请码已达到使用次数上限，请联系秘书处。"),
    LastSecretariat = (CONFLICT, "LAST_SECRETARIAT", "Last secretariat account", "不能移除最后一个秘书处账号的秘书处角色。"),
    ImportRejected = (UNPROCESSABLE_ENTITY, "IMPORT_REJECTED", "Import rejected", "导入文件有错误，未导入任何数据，请按报告修改后重新导入。"),
    // Article credit (sources, articles, review).
    DuplicateArticle = (CONFLICT, "DUPLICATE_ARTICLE", "Article already submitted", "这篇文章已经提交过了，请勿重复提交。"),
    ArticleCreditedElsewhere = (CONFLICT, "ARTICLE_CREDITED_ELSEWHERE", "Article already credited to another school", "这篇文章已由其他学校提交，同一篇文章只统计一次，计入先提交的学校，不能再次提交。如认为有误，请联系秘书处。"),
    UnknownSource = (UNPROCESSABLE_ENTITY, "UNKNOWN_SOURCE", "Link not on an accepted site", "该链接不属于协会认可的网站，不能提交。"),
    ArticleAlreadyReviewed = (CONFLICT, "ARTICLE_ALREADY_REVIEWED", "Article already reviewed", "稿件已审核，只有秘书处可以再修改。"),
    ArticleWithdrawn = (CONFLICT, "ARTICLE_WITHDRAWN", "Article withdrawn", "稿件已撤回，不能再审核或合并。"),
    SourceHostTaken = (CONFLICT, "SOURCE_HOST_TAKEN", "Host belongs to another source", "该网站地址已属于另一个来源。"),

    // Honours round (standings, notice, objections, proposal).
    NoticeNotPublished = (NOT_FOUND, "NOTICE_NOT_PUBLISHED", "Notice not published", "本年度统计结果尚未公示。"),
    OutsideNoticeWindow = (CONFLICT, "OUTSIDE_NOTICE_WINDOW", "Outside the notice window", "当前不在公示期内。"),
    ObjectionAlreadyResolved = (CONFLICT, "OBJECTION_ALREADY_RESOLVED", "Objection already resolved", "该异议已处理。"),
    ContentRisky = (UNPROCESSABLE_ENTITY, "CONTENT_RISKY", "Content refused by the content check", "内容未通过安全检测，请修改后再提交。"),
    ProposalNotEditable = (CONFLICT, "PROPOSAL_NOT_EDITABLE", "Proposal not editable", "推荐名单已报理事会审定，不能修改。"),
    ProposalWrongState = (CONFLICT, "PROPOSAL_WRONG_STATE", "Proposal in another state", "推荐名单当前状态不允许此操作。"),
    ProposalFinal = (CONFLICT, "PROPOSAL_FINAL", "Proposal approved and final", "推荐名单已经理事会审定，不能再更改。"),
    ObjectionsPending = (CONFLICT, "OBJECTIONS_PENDING", "Objections pending", "还有未处理的异议，请先处理后再报理事会。"),
    HonoursNotApproved = (NOT_FOUND, "HONOURS_NOT_APPROVED", "Honours not approved yet", "本年度表彰名单尚未经理事会审定。"),
    NotEligible = (CONFLICT, "NOT_ELIGIBLE", "Row does not meet the conditions", "该行不符合评选条件（见 unmet），不能列入推荐名单。"),
    NoticeWindowOpen = (CONFLICT, "NOTICE_WINDOW_OPEN", "Notice window still open", "公示期尚未结束：公示期结束、异议全部处理后，才能将推荐名单报理事会。"),
    SeparationOfDuties = (FORBIDDEN, "SEPARATION_OF_DUTIES", "Submitter cannot decide", "报送推荐名单的人不能审定或退回同一份名单，请由理事会的其他成员审定。"),

    // Nominations (campaigns, filing, attachments, review).
    DeadlinePassed = (CONFLICT, "DEADLINE_PASSED", "Deadline passed", "推荐已截止。"),
    QuotaExceeded = (CONFLICT, "QUOTA_EXCEEDED", "Quota exceeded", "已达到推荐名额上限。"),
    PreviouslyHonoured = (CONFLICT, "PREVIOUSLY_HONOURED", "Nominee honoured before", "该候选人已获得往届表彰，不再参与本次推举。"),
    DraftLimit = (CONFLICT, "DRAFT_LIMIT", "Too many open drafts", "本片区的推荐草稿已达上限，请先完成或删除已有草稿。"),
    ConsentRequired = (CONFLICT, "CONSENT_REQUIRED", "Nominee's consent required", "候选人未同意报送至中国教育后勤协会及公开事迹和照片，不能报送。"),
    PreconditionFailed = (PRECONDITION_FAILED, "PRECONDITION_FAILED", "Stale If-Match", "推荐内容已被修改，请刷新后再编辑。"),
    PreconditionRequired = (PRECONDITION_REQUIRED, "PRECONDITION_REQUIRED", "If-Match required", "修改前请先读取推荐内容，并在 If-Match 请求头中带上其 ETag。"),
    MalformedMultipart = (BAD_REQUEST, "MALFORMED_MULTIPART", "Malformed multipart body", "上传内容格式不正确，请以 multipart/form-data 上传 kind 和 file 两个字段。"),
    ImageTooLarge = (UNPROCESSABLE_ENTITY, "IMAGE_TOO_LARGE", "Image too large", "图片尺寸过大，请缩小后重新上传。"),
    AttachmentExists = (CONFLICT, "ATTACHMENT_EXISTS", "Attachment already uploaded", "该附件已上传；如需更换，请替换该附件，或先删除再上传。"),

}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Stable machine code of the problem; switch on it, never on the text.",
            ))
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCode {}

impl ErrorCode {
    /// The problem `type` URI (relative reference, RFC 9457 §3.1.1).
    pub fn type_uri(self) -> String {
        format!(
            "/problems/{}",
            self.as_str().to_ascii_lowercase().replace('_', "-")
        )
    }
}

/// One invalid field of a request (`errors[]` of a 422).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON Pointer (RFC 6901) to the field in the request body, e.g. `/phone`.
    pub pointer: String,
    /// The field name in dotted form, e.g. `honours.0.date`.
    pub field: String,
    /// Machine code of the rule that failed, e.g. `required`, `length`, `format`.
    pub code: String,
    /// The message to show beside the field (Chinese).
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: &str, code: &str, message: impl Into<String>) -> Self {
        let field = pointer
            .trim_start_matches('/')
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join(".");
        Self {
            pointer: pointer.to_owned(),
            field,
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The extension members a problem may carry, beyond the fixed ones: each is
/// documented on the spec's `Problem` schema (the API layer's `ProblemSchema`), and
/// [`ApiError::with_extension`] refuses any other name (in debug builds, so
/// every test run checks every path that adds one).
pub const EXTENSION_MEMBERS: &[&str] = &[
    "parameter",
    "minimum",
    "maximum",
    "field",
    "accepted_sources",
    "existing_article_id",
    "article_id",
    "duplicate_group_id",
    "checks",
    "rows",
    "deadline",
    "contact",
    "decided_by",
    "decision",
    "decided_at",
    "current_status",
    "reason",
    "etag",
    "unmet",
    "existing_attachment_id",
];

/// RFC 9457 problem details as this API answers them (documented for the
/// spec by the API layer's `ProblemSchema`, which sits above every area).
#[derive(Debug, Serialize)]
pub struct Problem {
    /// URI reference identifying the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type (English, constant per code).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation fit to show to the user (Chinese).
    pub detail: String,
    /// Stable machine code to switch on.
    pub code: ErrorCode,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id (`X-Request-Id`), to quote to the support desk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Additional members specific to the problem (e.g. the id of an existing resource).
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// The API's error: a code, a user message, and optionally a hidden cause.
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub extensions: serde_json::Map<String, serde_json::Value>,
    cause: Option<anyhow::Error>,
    /// Set when the cause is a deadlock or serialization failure: the unit
    /// of work may run again (see [`crate::platform::db::write`]).
    retryable: bool,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            detail: Cow::Borrowed(code.default_detail()),
            errors: Vec::new(),
            headers: Vec::new(),
            extensions: serde_json::Map::new(),
            cause: None,
            retryable: false,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Adds an extension member; `key` must be one of [`EXTENSION_MEMBERS`]
    /// (documented in the spec), checked in debug builds.
    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        debug_assert!(
            EXTENSION_MEMBERS.contains(&key),
            "problem extension member `{key}` is not documented: add it to \
             EXTENSION_MEMBERS and to the spec's ProblemSchema (src/api/problem.rs)"
        );
        self.extensions.insert(key.to_owned(), value);
        self
    }

    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// 422 `VALIDATION_FAILED` naming the invalid fields — or, when every
    /// field names something that does not exist (rule `not_found`: a
    /// district id, the article to merge into), 404 `NOT_FOUND` with the same
    /// `errors[]` and the first field's message: the request is well formed,
    /// what it refers to is missing (a client cannot tell it from the schema).
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let missing = !errors.is_empty() && errors.iter().all(|e| e.code == "not_found");
        let mut e = Self::new(if missing {
            ErrorCode::NotFound
        } else {
            ErrorCode::ValidationFailed
        });
        if missing {
            e.detail = Cow::Owned(errors[0].message.clone());
        }
        e.errors = errors;
        e
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden)
    }

    /// An unexpected failure: the cause is logged, the user sees a generic 500.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(ErrorCode::Internal).with_cause(cause)
    }

    /// Whether running the whole unit of work again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The database is unreachable or busy: 503 with `Retry-After`.
    pub fn database_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(ErrorCode::DatabaseUnavailable)
            .with_header(
                actix_web::http::header::RETRY_AFTER,
                HeaderValue::from_static(DATABASE_RETRY_AFTER),
            )
            .with_cause(cause)
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable).with_cause(cause)
    }

    /// The cause and its sources on one line (`a: b: c`), never a backtrace.
    pub fn cause_chain(&self) -> String {
        self.cause
            .as_ref()
            .map(|c| format!("{c:#}").replace(['\n', '\r'], " "))
            .unwrap_or_default()
    }

    pub fn problem(&self, instance: Option<String>) -> Problem {
        let status = self.code.status();
        Problem {
            type_: self.code.type_uri(),
            title: self.code.title().to_owned(),
            status: status.as_u16(),
            detail: self.detail.to_string(),
            code: self.code,
            instance,
            request_id: request_id::current(),
            errors: self.errors.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code)
            .field("detail", &self.detail)
            .field("errors", &self.errors)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::error!(
                code = self.code.as_str(),
                request_id = request_id::current().unwrap_or_default(),
                cause = %self.cause_chain(),
                "request failed"
            );
            if let Some(cause) = &self.cause {
                // The backtrace (when captured) only when asked for: RUST_LOG=debug.
                tracing::debug!(backtrace = %cause.backtrace(), "request failed: backtrace");
            }
        } else if let Some(cause) = &self.cause {
            tracing::debug!(code = self.code.as_str(), cause = %format!("{cause:#}"), "request refused");
        }
        let mut res = problem_response(status, &self.problem(None), &self.headers);
        if self.code == ErrorCode::RequestTimeout {
            // The rest of a trickled body is not worth waiting for.
            res.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        res
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

pub fn problem_response(
    status: StatusCode,
    problem: &Problem,
    headers: &[(HeaderName, HeaderValue)],
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.content_type(PROBLEM_JSON);
    for (name, value) in headers {
        builder.insert_header((name.clone(), value.clone()));
    }
    match serde_json::to_vec(problem) {
        Ok(body) => builder.body(body),
        Err(_) => builder.body(
            r#"{"type":"/problems/internal-error","title":"Internal server error","status":500,"detail":"服务器内部错误，请稍后再试。","code":"INTERNAL_ERROR"}"#,
        ),
    }
}

/// Seconds a client should wait before retrying when the database is away.
pub const DATABASE_RETRY_AFTER: &str = "5";

/// Storage errors by what they mean: unreachable or busy → 503
/// `DATABASE_UNAVAILABLE` with `Retry-After`; a deadlock or serialization
/// failure → the same 503 if it escapes the unit of work's retries, marked
/// retryable; anything else → 500.
impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        use crate::platform::db_failure::{Failure, classify};
        match classify(&e) {
            Failure::Unavailable => {
                crate::platform::db_failure::note_unavailable();
                Self::database_unavailable(e)
            }
            Failure::Busy => Self::database_unavailable(e),
            Failure::Retryable => {
                let mut err = Self::database_unavailable(e);
                err.retryable = true;
                err
            }
            Failure::Other => Self::internal(e),
        }
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

impl From<crate::platform::cache::CacheError> for ApiError {
    fn from(e: crate::platform::cache::CacheError) -> Self {
        Self::unavailable(e)
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten_validation("", &errors, &mut out);
        out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        Self::validation(out)
    }
}

fn flatten_validation(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{field}");
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| default_rule_message(&e.code));
                    out.push(FieldError::new(&pointer, &e.code, message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation(&pointer, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&format!("{pointer}/{i}"), inner, out);
                }
            }
        }
    }
}

fn default_rule_message(code: &str) -> String {
    match code {
        "length" => "长度不符合要求。".into(),
        "range" => "数值超出允许范围。".into(),
        "email" => "邮箱格式不正确。".into(),
        "url" => "链接格式不正确。".into(),
        "required" => "此项必填。".into(),
        _ => "格式不正确。".into(),
    }
}
