//! What article credit takes in and shows: the inputs, queries and views of
//! articles and sources (serde, validation and their OpenAPI schemas). The
//! use cases take and answer these; the HTTP surface only names them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::articles::rules::{
    ArticleStatus, Decision, OutletLevel, PageMismatch, SourceKind, SourceRules, VerificationStatus,
};
use crate::entity::source;
use crate::organisation::lookup::OrgRef;
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};

// ---------------------------------------------------------------- article views

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceRef {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuthorView {
    /// The first author's member id, when they are a member of the school.
    pub member_id: Option<i64>,
    /// Real name (or display name) of the member, or the name given.
    pub name: String,
}

/// What the submitter said.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeclaredView {
    pub title: Option<String>,
    pub column: Option<String>,
    pub published_on: Option<NaiveDate>,
}

/// The server's fetch of the page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VerificationView {
    pub status: VerificationStatus,
    /// Why the page could not be fetched (Chinese), for `failed` and `skipped`.
    pub reason: Option<String>,
    pub checked_at: Option<DateTime<FixedOffset>>,
    /// What the page shows.
    pub title: Option<String>,
    pub column: Option<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub reason: Option<String>,
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    /// The outlet level confirmed by the secretariat (provincial-or-higher media).
    pub confirmed_level: Option<OutletLevel>,
    /// `true`: approved while the page check was still running, so on the
    /// date and column typed by the submitter (or the secretariat), not the
    /// page's. When the page later shows another date or column, the
    /// article's `page_mismatch` says so.
    pub approved_on_typed_data: bool,
}

/// Points this article carries (0 or 1 each; a merged group counts once, so
/// only one article of a group carries each kind).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointsView {
    pub site: i32,
    pub bonus: i32,
}

/// Another article that is probably the same story (secretariat only).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DuplicateRef {
    pub article_id: i64,
    /// `title` (same normalised title, school and year) or `text` (near-identical page text).
    pub reason: String,
    /// SimHash distance in bits (for `text`).
    pub distance: Option<i32>,
    pub title: Option<String>,
    pub school_id: i64,
    pub status: ArticleStatus,
    pub canonical_url: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: i64,
    /// The link as submitted.
    pub url: String,
    /// The canonical link (unique).
    pub canonical_url: String,
    pub school: OrgRef,
    pub source: SourceRef,
    /// The title (the page's once verified, else the submitter's; the secretariat may correct it).
    pub title: Option<String>,
    pub column: Option<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
    /// The year the article counts for: its publication date in China time.
    pub credit_year: Option<i32>,
    pub first_author: AuthorView,
    pub submitted_by: i64,
    pub declared_original: bool,
    pub declared: DeclaredView,
    pub status: ArticleStatus,
    pub review: ReviewView,
    pub verification: VerificationView,
    pub points: PointsView,
    /// Articles merged as one story share this id.
    pub duplicate_group_id: Option<i64>,
    /// Set when the article was approved on typed data and its page, checked
    /// afterwards, shows another publication date (China time) or column:
    /// both values, for the secretariat to decide on (a revision of the
    /// review — `revises: "approved"` with a reason — clears it). The
    /// article keeps what was approved meanwhile: its points and credit year
    /// are not changed by the page. `null` otherwise. The secretariat lists
    /// these with `page_mismatch=true`.
    pub page_mismatch: Option<PageMismatch>,
    /// Likely duplicates not yet merged (shown to the secretariat only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likely_duplicate_of: Option<Vec<DuplicateRef>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

// ---------------------------------------------------------------- article inputs

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://www.schqxh.org.cn/news/2026/1103.html",
    "title": "四川大学后勤集团开展秋季食品安全培训",
    "column": "学校后勤动态",
    "published_on": "2026-11-03",
    "first_author_name": "张晓燕",
    "declared_original": true
}))]
pub struct ArticleInput {
    /// The article's link on the site (http or https, at most 2048
    /// characters). The pattern says only the scheme; the rest must parse as
    /// a URL with a host and no credentials (422 `format` otherwise).
    #[validate(length(min = 1, max = 2048, message = "链接须为 1–2048 个字符。"))]
    #[schema(
        min_length = 1,
        max_length = 2048,
        pattern = r"^[\u0000-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[Hh][Tt][Tt][Pp][Ss]?:"
    )]
    pub url: String,
    /// The title as published (the server fills it in from the page where it can).
    #[validate(
        length(min = 1, max = 200, message = "标题须为 1–200 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub title: Option<String>,
    /// The column (栏目), e.g. 学校后勤动态.
    #[validate(
        length(min = 1, max = 64, message = "栏目须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub column: Option<String>,
    /// The publication date on the site (China time): from the year 2000,
    /// not after today.
    #[schema(pattern = r"^[2-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")]
    pub published_on: Option<NaiveDate>,
    /// The first author (第一作者) when they are a correspondent of the
    /// school … At most one of `first_author_member_id` and
    /// `first_author_name` (both: 422 `exclusive`). Neither says "I am the
    /// first author": the submitter becomes the first author (as
    /// `first_author_member_id`) when they are a correspondent of the
    /// school; anyone else (the secretariat submitting for a school) must
    /// name the author (422 `required` on `/first_author_name`).
    pub first_author_member_id: Option<i64>,
    /// … or their name (at most one of the two; neither: the submitter).
    #[validate(
        length(min = 1, max = 32, message = "作者姓名须为 1–32 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub first_author_name: Option<String>,
    /// The submitter declares the article original (reposts from other media earn nothing). Must be `true`.
    #[schema(schema_with = must_be_true)]
    pub declared_original: bool,
    /// Required when the submitter is a correspondent of several schools, or
    /// the secretariat submitting on behalf of a school.
    pub school_id: Option<i64>,
    /// Only needed for a link of provincial-or-higher media (a source that
    /// needs confirmation) whose site is not a configured host.
    pub source_id: Option<i64>,
}

/// Whose articles a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ArticleScope)]
pub enum Scope {
    /// Articles I submitted or am first author of.
    Mine,
    /// Articles of my schools (secretariat and council: every school, or `school_id`).
    School,
    /// Every article (secretariat and council).
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Default: `all` for the secretariat and the council, `mine` for others.
    #[param(inline)]
    pub scope: Option<Scope>,
    /// Credit year (publication year in China time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub status: Option<ArticleStatus>,
    /// Only this school (one of mine for a correspondent).
    pub school_id: Option<i64>,
    /// `true`: only articles with an unresolved likely duplicate (secretariat only).
    pub likely_duplicate: Option<bool>,
    /// `true`: only approved articles whose page, checked after the approval,
    /// shows another date or column (`page_mismatch` set); `false`: only the
    /// others (secretariat only).
    pub page_mismatch: Option<bool>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "decision": "reject",
    "reason": "链接打开后不是本校后勤稿件，请核对后重新提交。"
}))]
pub struct ReviewInput {
    pub decision: Decision,
    /// Required for `reject` and `repost` (shown to the school); at most 500 characters.
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// Required to approve an article of a source that needs confirmation
    /// (provincial-or-higher media): the outlet's level.
    pub confirmed_level: Option<OutletLevel>,
    /// Corrects the publication date (China time), e.g. when the page could
    /// not be fetched: from the year 2000, not after today.
    #[schema(pattern = r"^[2-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")]
    pub published_on: Option<NaiveDate>,
    /// Corrects the column.
    #[validate(
        length(min = 1, max = 64, message = "栏目须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub column: Option<String>,
    /// Corrects the title.
    #[validate(
        length(min = 1, max = 200, message = "标题须为 1–200 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub title: Option<String>,
    /// Changes an earlier decision deliberately (改判): the status the article
    /// has as you saw it — `approved`, `rejected` or `repost`. Requires a
    /// `reason` (kept in the audit log and shown as the review's reason).
    /// Without it only a `pending` article is reviewed: a reviewed one
    /// answers 409 `STALE_DECISION` naming who decided what; so does a
    /// `revises` that is no longer the article's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = revisable_status)]
    pub revises: Option<ArticleStatus>,
}

/// The most reviews one batch carries.
pub const BATCH_REVIEW_MAX: usize = 200;

/// Many reviews in one call (secretariat): each item reviews one article as
/// `POST /articles/{id}/review` does.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "items": [
        {"article_id": 1, "review": {"decision": "approve"}},
        {"article_id": 2, "review": {"decision": "reject", "reason": "链接打开后不是本校后勤稿件。"}},
        {"article_id": 3, "review": {"decision": "approve", "revises": "rejected", "reason": "复核后确认为本校原创稿件。"}}
    ]
}))]
pub struct BatchReviewInput {
    /// 1–200 reviews, applied in this order, each on its own; an article at
    /// most once per batch (422 `duplicate` on `/items/{i}/article_id`).
    #[validate(
        length(min = 1, max = 200, message = "一次批量审核 1–200 篇稿件。"),
        nested
    )]
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<BatchReviewItem>,
}

/// One review of a batch.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchReviewItem {
    /// The article to review.
    pub article_id: i64,
    /// The decision, exactly as the body of `POST /articles/{id}/review`
    /// (`revises` included: the same protection against stale decisions).
    #[validate(nested)]
    pub review: ReviewInput,
}

/// The answer to a batch review: one result per item, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchReviewView {
    pub results: Vec<BatchReviewResult>,
}

/// What became of one item of a batch review: applied (`ok`, with the
/// article as the single review answers it) or refused (`problem`, the
/// problem the single review would answer, e.g. 404 `NOT_FOUND`, 409
/// `STALE_DECISION`, 422 `VALIDATION_FAILED`), nothing of it applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchReviewResult {
    pub article_id: i64,
    pub ok: bool,
    /// 200 when applied, else the problem's status.
    #[schema(minimum = 200, maximum = 599)]
    pub status: u16,
    /// The article after the review (`null` when refused).
    pub article: Option<ArticleView>,
    /// Why the item was refused (`null` when applied).
    #[schema(schema_with = problem_or_null)]
    pub problem: Option<serde_json::Value>,
}

/// A `Problem` (the API's problem details, as every error answers) or `null`.
fn problem_or_null() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{OneOfBuilder, Type};
    use utoipa::openapi::{ObjectBuilder, Ref};
    OneOfBuilder::new()
        .item(Ref::from_schema_name("Problem"))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Why the item was refused (`null` when applied): the problem the single review answers.",
        ))
        .build()
        .into()
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "into_id": 1,
    "reason": "与四川大学后勤集团同日发布的稿件为同一篇报道。"
}))]
pub struct MergeInput {
    /// The article this one is the same story as.
    pub into_id: i64,
    /// Why (kept in the audit log).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// State precondition: this article's `duplicate_group_id` as you read it
    /// (`null`: not merged). When given and the article's group changed
    /// since, the merge answers 409 `STALE_DECISION` naming the last merge,
    /// and changes nothing.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>)]
    pub expected_group_id: Option<Option<i64>>,
    /// The same for the article named by `into_id`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>)]
    pub expected_into_group_id: Option<Option<i64>>,
}

/// The schema of a declaration that must be made: a boolean whose only
/// accepted value is `true` (`false` answers 422 `declaration`).
fn must_be_true() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Boolean)
        .enum_values(Some([true]))
        .description(Some(
            "The submitter declares the article original (reposts from other media earn nothing). Must be `true`.",
        ))
        .build()
}

/// The statuses a review may revise (`pending` and `withdrawn` answer 422
/// `one_of`), or `null`.
fn revisable_status() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::json!("approved"),
            serde_json::json!("rejected"),
            serde_json::json!("repost"),
            serde_json::Value::Null,
        ]))
        .description(Some(
            "Changes an earlier decision deliberately (改判): the status the article has as you \
             saw it — `approved`, `rejected` or `repost` — with a `reason`. Without it only a \
             `pending` article is reviewed (a reviewed one answers 409 `STALE_DECISION`).",
        ))
        .build()
}

/// A field that is present (even as `null`) is `Some`; an absent one stays
/// `None` (with `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

// ---------------------------------------------------------------- sources

/// A source as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceView {
    pub id: i64,
    /// e.g. 四川省高校后勤协会网.
    pub name: String,
    /// `official` (site points) or `bonus` (bonus points).
    pub kind: SourceKind,
    /// Host names of the site (`www.schqxh.org.cn`), optionally with a port.
    pub hosts: Vec<String>,
    /// Counted columns (栏目); empty = every column counts.
    pub columns: Vec<String>,
    /// Years in which the source counts, listed one by one; when empty, the
    /// range `from_year`–`until_year` applies.
    pub years: Vec<i32>,
    /// First counted year of the range (inclusive); null: no first year.
    pub from_year: Option<i32>,
    /// Last counted year of the range (inclusive); null: open-ended (every
    /// later year counts). `years`, `from_year` and `until_year` all empty:
    /// every year counts.
    pub until_year: Option<i32>,
    /// The open-ended "provincial-or-higher media" source: the secretariat
    /// confirms the outlet's level when approving, and its links may be on any
    /// site (they are then not fetched by the server).
    pub needs_confirmation: bool,
    /// Whether the server may fetch this source's pages from loopback or
    /// private addresses (tests against a local server only; refused in production).
    pub allow_private_network: bool,
    pub updated_at: DateTime<FixedOffset>,
}

impl SourceView {
    pub fn of(m: &source::Model) -> ApiResult<Self> {
        let r = SourceRules::from_model(m)?;
        Ok(Self {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind,
            hosts: r.host_entries(),
            columns: r.columns,
            years: r.years,
            from_year: r.from_year,
            until_year: r.until_year,
            needs_confirmation: r.needs_confirmation,
            allow_private_network: r.allow_private_network,
            updated_at: to_china(m.updated_at),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceQuery {
    /// Only sources that count in this year (e.g. `2019`: the association's own site and the bonus outlets).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

/// A credit year in a query (`GET /articles?year=`, `GET /sources?year=`):
/// 2000–2100, as in a path, else 400 `INVALID_PARAMETER` naming it.
pub(crate) fn check_query_year(year: Option<i32>) -> ApiResult<()> {
    match year {
        Some(y) if !(2000..=2100).contains(&y) => Err(ApiError::new(ErrorCode::InvalidParameter)
            .with_detail("年份须在 2000–2100 之间。")
            .with_extension("parameter", "year".into())
            .with_extension("minimum", 2000.into())
            .with_extension("maximum", 2100.into())),
        _ => Ok(()),
    }
}

fn columns_rules(cols: &[String]) -> Result<(), validator::ValidationError> {
    if cols
        .iter()
        .any(|c| crate::platform::text::single_line(c).is_err() || c.chars().count() > 64)
    {
        let mut e = validator::ValidationError::new("format");
        e.message = Some("栏目名称须为 1–64 个字，且不含控制字符。".into());
        return Err(e);
    }
    Ok(())
}

fn years_rules(years: &[i32]) -> Result<(), validator::ValidationError> {
    if years.iter().any(|y| !(2000..=2100).contains(y)) {
        let mut e = validator::ValidationError::new("range");
        e.message = Some("年份须在 2000–2100 之间。".into());
        return Err(e);
    }
    Ok(())
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "四川大学后勤集团网",
    "kind": "official",
    "hosts": ["hqjt.scu.edu.cn"],
    "columns": ["学校后勤动态"],
    "from_year": 2026
}))]
pub struct SourceInput {
    /// 1–64 characters, unique.
    #[validate(
        length(min = 1, max = 64, message = "来源名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
    pub kind: SourceKind,
    /// Host names (`www.schqxh.org.cn`, optionally `host:port`), at most 20;
    /// each belongs to one source only. The pattern says what is never a
    /// host (white space, `/`, `@`, `?`, `#`, `\`); the rest must parse as
    /// a host (422 `format` otherwise). Duplicates are merged.
    #[validate(length(max = 20, message = "网站地址最多 20 个。"))]
    #[serde(default)]
    #[schema(
        max_items = 20,
        min_length = 1,
        max_length = 255,
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000/@?#\\]+[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub hosts: Vec<String>,
    /// Counted columns; empty (the default) = every column counts.
    /// Duplicates are merged.
    #[validate(
        length(max = 50, message = "栏目最多 50 个。"),
        custom(function = "columns_rules")
    )]
    #[serde(default)]
    #[schema(
        max_items = 50,
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub columns: Vec<String>,
    /// Years in which the source counts, listed one by one (duplicates are
    /// merged). Counted years are either this list or the range
    /// `from_year`–`until_year`, not both (422 `/years` `exclusive`); none
    /// of the three (the default) = every year.
    #[validate(
        length(max = 100, message = "年份最多 100 个。"),
        custom(function = "years_rules")
    )]
    #[serde(default)]
    #[schema(max_items = 100, minimum = 2000, maximum = 2100)]
    pub years: Vec<i32>,
    /// First counted year (inclusive); absent or null: no first year.
    /// "From 2020 on" is `from_year: 2020` alone.
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000–2100 之间。"))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub from_year: Option<i32>,
    /// Last counted year (inclusive, not before `from_year`); absent or
    /// null: open-ended, every later year counts.
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000–2100 之间。"))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub until_year: Option<i32>,
    /// Only for `bonus` sources (default false).
    pub needs_confirmation: Option<bool>,
    /// Default false; refused in production.
    pub allow_private_network: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "columns": ["学校后勤动态", "后勤风采"],
    "reason": "增加后勤风采栏目。"
}))]
pub struct SourcePatch {
    #[validate(
        length(min = 1, max = 64, message = "来源名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: Option<String>,
    pub kind: Option<SourceKind>,
    /// As in `SourceInput`; replaces the list.
    #[validate(length(max = 20, message = "网站地址最多 20 个。"))]
    #[schema(
        max_items = 20,
        min_length = 1,
        max_length = 255,
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000/@?#\\]+[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub hosts: Option<Vec<String>>,
    /// As in `SourceInput`; replaces the list.
    #[validate(
        length(max = 50, message = "栏目最多 50 个。"),
        custom(function = "columns_rules")
    )]
    #[schema(
        max_items = 50,
        min_length = 1,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub columns: Option<Vec<String>>,
    /// As in `SourceInput`; replaces the list. A non-empty list given
    /// without `from_year`/`until_year` clears the range.
    #[validate(
        length(max = 100, message = "年份最多 100 个。"),
        custom(function = "years_rules")
    )]
    #[schema(max_items = 100, minimum = 2000, maximum = 2100)]
    pub years: Option<Vec<i32>>,
    /// As in `SourceInput`; `null` clears it, absent leaves it. Giving
    /// `from_year` or `until_year` without `years` clears the list.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i32>, minimum = 2000, maximum = 2100)]
    pub from_year: Option<Option<i32>>,
    /// As in `SourceInput`; `null` makes the range open-ended.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i32>, minimum = 2000, maximum = 2100)]
    pub until_year: Option<Option<i32>>,
    pub needs_confirmation: Option<bool>,
    pub allow_private_network: Option<bool>,
    /// Why (kept in the audit log).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A site a link may be submitted from: the `accepted_sources` of a 422
/// `UNKNOWN_SOURCE` problem.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AcceptedSource {
    pub id: i64,
    /// e.g. 四川省高校后勤协会网站
    pub name: String,
    pub kind: SourceKind,
    /// The site's host entries (e.g. `www.schqxh.org.cn`); empty for a source
    /// that needs confirmation (provincial-or-higher media, any site).
    pub hosts: Vec<String>,
    /// Whether the secretariat confirms the outlet's level (choose the source
    /// with `source_id`).
    pub needs_confirmation: bool,
}
