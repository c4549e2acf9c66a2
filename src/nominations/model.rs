//! What the nominations area takes in and answers: the inputs (serde +
//! validation + OpenAPI schema), the views, and the pure conversions from
//! stored rows to views. No queries here; see `lookup` for those.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::entity::{campaign_late_grant as grant, nomination};
use crate::identity::phone::mask_phone;
use crate::nominations::rules::{
    self as rules, AttachmentKind, Category, ChecklistItem, Contact, Exclusion, NominationStatus,
    NomineeKind, Precision, RegistrationForm, Stage,
};
use crate::platform::clock::{DayOrInstant, format_china_deadline, last_open_day, to_china};
use crate::platform::error::{ApiError, ApiResult, FieldError};

// ---------------------------------------------------------------------------
// Campaigns.

/// A late-filing grant: one district may file until `until`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LateGrantView {
    pub id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub until: DateTime<FixedOffset>,
    /// `until` as people say it, e.g. `2021年11月5日 18:00`.
    pub until_display: String,
    /// The last China-time day on which the district may still file (the
    /// day of `until` − 1 ns): `2021-11-05` for `2021-11-06T00:00:00+08:00`.
    pub until_last_day: NaiveDate,
    pub reason: String,
    pub granted_at: DateTime<FixedOffset>,
}

/// A campaign as anyone reads it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: i64,
    /// e.g. 2021年度最美后勤人
    pub title: String,
    pub year: i32,
    pub categories: Vec<Category>,
    /// Nominations each district may submit (1).
    pub district_quota: i32,
    /// Nominees the association forwards to the national level (2).
    pub association_quota: i32,
    /// How many are forwarded so far.
    pub forwarded_count: i32,
    /// The district deadline instant (exclusive), in China time, e.g. `2021-11-04T00:00:00+08:00`.
    pub deadline: DateTime<FixedOffset>,
    /// The deadline as people say it: `2021年11月3日 24:00`.
    pub deadline_display: String,
    /// The last China-time day on which filing is open (the day of
    /// `deadline` − 1 ns): `2021-11-03` for `2021-11-04T00:00:00+08:00`.
    pub deadline_last_day: NaiveDate,
    /// The national deadline (information only).
    pub national_deadline: Option<DateTime<FixedOffset>>,
    pub national_deadline_display: Option<String>,
    /// The last China-time day before the national deadline.
    pub national_deadline_last_day: Option<NaiveDate>,
    /// The campaign's timeline: the district deadline first, then the
    /// stages of the national notice (中后协〔2021〕15号 三) in order.
    pub timeline: Vec<TimelineEntry>,
    /// How many hours before the district deadline the leads of districts
    /// that have not filed are reminded (in the inbox, and by WeChat where
    /// they authorised it), e.g. `[168, 24, 3]`.
    pub reminder_hours: Vec<u32>,
    /// The published contacts of the notice (not personal data of nominees).
    pub contacts: Vec<Contact>,
    /// Earlier honourees who may not take part (name and unit).
    pub exclusions: Vec<Exclusion>,
    pub late_grants: Vec<LateGrantView>,
    /// Whether filing is open by the server's clock (late grants aside:
    /// `open_for_me` counts the caller's districts' grants).
    pub open: bool,
    /// The server's clock in China time: count down from this, never the phone's clock.
    pub server_time: DateTime<FixedOffset>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    /// With a token only: whether the caller leads a district for which
    /// filing is open now (before the deadline, or within a late grant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_for_me: Option<bool>,
    /// With a token, for a district lead: the latest instant at which
    /// filing closes for the caller's districts, with the grant behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_for_me: Option<ClosesForMe>,
    /// With a token: when filing closes for each district the caller leads
    /// (empty for anyone else).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_my_districts: Option<Vec<DistrictWindow>>,
    /// With a token: the nominations of the caller's districts in this
    /// campaign, each with what it still needs (empty for anyone else).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_nominations: Option<Vec<MyNomination>>,
}

/// Which entry of a campaign's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The campaign's own deadline for the districts (first).
    DistrictDeadline,
    /// A stage of the national notice.
    NationalStage,
}

/// One entry of a campaign's timeline.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub kind: TimelineKind,
    /// e.g. 片区推荐截止, 征集申报.
    pub name: String,
    /// As entered (send it back unchanged in `stages`): a day
    /// `2021-12-10`, a month `2022-04`, or an instant (the district
    /// deadline: its instant in China time).
    pub when: String,
    pub precision: Precision,
    /// The exclusive instant it runs to, in China time: the midnight after
    /// the day, the first midnight of the next month, or the instant.
    pub ends_at: DateTime<FixedOffset>,
    /// The last China-time day it covers (the day of `ends_at` − 1 ns).
    pub last_day: NaiveDate,
    /// As people say it: 2021年11月3日 24:00, 2021年12月10日, 2022年4月.
    pub display: String,
    pub description: Option<String>,
}

/// When filing closes for one district the caller leads.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DistrictWindow {
    pub district_id: i64,
    pub district_name: String,
    /// The deadline, or the district's late grant when later (exclusive, China time).
    pub closes_at: DateTime<FixedOffset>,
    pub closes_at_display: String,
    /// The last China-time day on which the district may file.
    pub closes_last_day: NaiveDate,
    /// The end of the district's latest late grant, if it has one.
    pub late_grant_until: Option<DateTime<FixedOffset>>,
    /// Filing is open for this district now.
    pub open: bool,
}

/// The latest instant at which filing closes for the caller's districts.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClosesForMe {
    /// The district it is for.
    pub district_id: i64,
    pub closes_at: DateTime<FixedOffset>,
    pub closes_at_display: String,
    pub closes_last_day: NaiveDate,
    /// The late grant that sets it, when one does (else the deadline does).
    pub late_grant: Option<LateGrantView>,
}

/// A nomination of the caller's district, with what it still needs.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MyNomination {
    pub id: i64,
    pub district_id: i64,
    pub kind: NomineeKind,
    /// The person's or the team's name, as the form says so far.
    pub nominee_name: Option<String>,
    pub status: NominationStatus,
    pub status_label: String,
    /// Submitting now would be accepted (its `problems` are empty; see `GET /nominations/{id}`).
    pub ready_to_submit: bool,
    /// What the lead still has to do, in order — the nomination's own
    /// checklist ("下载报名表（Word）打印，加盖单位公章后扫描上传" among them).
    pub checklist: Vec<ChecklistItem>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "2027年度最美后勤人",
    "year": 2027,
    "district_quota": 1,
    "association_quota": 2,
    "deadline": "2027-11-03",
    "national_deadline": "2027-12-10",
    "stages": [
        {"name": "征集申报", "when": "2027-12-10", "description": "第一阶段：完成候选人征集申报"},
        {"name": "通报及事迹宣讲", "when": "2028-04"}
    ],
    "contacts": [{"name": "郑云泽", "role": "协会秘书处联系人", "phone": "18583246978", "email": "scgxhq88888@sina.com"}],
    "exclusions": [{"name": "李感动", "unit": "四川大学", "note": "2020年度感动人物"}]
}))]
pub struct CampaignInput {
    /// e.g. 2021年度最美后勤人 (2–64 characters).
    #[validate(
        length(min = 2, max = 64, message = "标题须为 2–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 2,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub title: String,
    #[validate(range(min = 2000, max = 2100, message = "年度须为 2000–2100。"))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// Default: 敬业美, 匠心美, 乐群美 (persons) and 最美服务团队 (teams).
    /// Names are unique (also across kinds, after trimming: 422 `unique`).
    #[validate(length(min = 1, max = 10, message = "类别须为 1–10 个。"))]
    #[schema(
        value_type = Option<std::collections::BTreeSet<Category>>,
        min_items = 1,
        max_items = 10
    )]
    pub categories: Option<Vec<Category>>,
    /// Default 1.
    #[validate(range(min = 1, max = 20, message = "片区名额须为 1–20。"))]
    #[schema(minimum = 1, maximum = 20)]
    pub district_quota: Option<i32>,
    /// Default 2.
    #[validate(range(min = 1, max = 50, message = "协会报送名额须为 1–50。"))]
    #[schema(minimum = 1, maximum = 50)]
    pub association_quota: Option<i32>,
    /// The district deadline: a day (`2021-11-03` for "11月3日前": open until
    /// the end of that day, China time) or the exclusive instant
    /// (`2021-11-04T00:00:00+08:00`).
    pub deadline: DayOrInstant,
    /// The national deadline (information), a day or an instant.
    pub national_deadline: Option<DayOrInstant>,
    /// The stages of the national notice (at most 10), in chronological
    /// order, none before `deadline` (422 `order` at the stage's `when`).
    #[validate(length(max = 10, message = "阶段最多 10 个。"))]
    #[schema(max_items = 10)]
    pub stages: Option<Vec<Stage>>,
    /// Hours before the district deadline the leads of districts that have
    /// not filed are reminded: at most 5 different values of 1–720 (default
    /// `[168, 24, 3]`: 7 days, 1 day and 3 hours; `[]`: no reminders).
    #[validate(length(max = 5, message = "提醒最多 5 次。"))]
    #[schema(max_items = 5, example = json!([168, 24, 3]))]
    pub reminder_hours: Option<Vec<u32>>,
    #[validate(length(max = 10, message = "联系人最多 10 个。"))]
    #[schema(max_items = 10)]
    pub contacts: Option<Vec<Contact>>,
    #[validate(length(max = 500, message = "排除名单最多 500 条。"))]
    #[schema(max_items = 500)]
    pub exclusions: Option<Vec<Exclusion>>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "district_quota": 2,
    "association_quota": 3
}))]
pub struct CampaignPatch {
    #[validate(
        length(min = 2, max = 64, message = "标题须为 2–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 2,
        max_length = 64,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub title: Option<String>,
    #[validate(range(min = 2000, max = 2100, message = "年度须为 2000–2100。"))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(length(min = 1, max = 10, message = "类别须为 1–10 个。"))]
    #[schema(
        value_type = Option<std::collections::BTreeSet<Category>>,
        min_items = 1,
        max_items = 10
    )]
    pub categories: Option<Vec<Category>>,
    #[validate(range(min = 1, max = 20, message = "片区名额须为 1–20。"))]
    #[schema(minimum = 1, maximum = 20)]
    pub district_quota: Option<i32>,
    #[validate(range(min = 1, max = 50, message = "协会报送名额须为 1–50。"))]
    #[schema(minimum = 1, maximum = 50)]
    pub association_quota: Option<i32>,
    /// A day or an instant, as in `POST /campaigns`; the stored stages must
    /// not end before it (422 `order` at `/deadline`).
    pub deadline: Option<DayOrInstant>,
    pub national_deadline: Option<DayOrInstant>,
    /// Replaces the stages (the whole list; `[]` removes them).
    #[validate(length(max = 10, message = "阶段最多 10 个。"))]
    #[schema(max_items = 10)]
    pub stages: Option<Vec<Stage>>,
    /// Hours before the district deadline the leads of districts that have
    /// not filed are reminded: at most 5 different values of 1–720 (default
    /// `[168, 24, 3]`: 7 days, 1 day and 3 hours; `[]`: no reminders).
    #[validate(length(max = 5, message = "提醒最多 5 次。"))]
    #[schema(max_items = 5, example = json!([168, 24, 3]))]
    pub reminder_hours: Option<Vec<u32>>,
    #[validate(length(max = 10, message = "联系人最多 10 个。"))]
    #[schema(max_items = 10)]
    pub contacts: Option<Vec<Contact>>,
    #[validate(length(max = 500, message = "排除名单最多 500 条。"))]
    #[schema(max_items = 500)]
    pub exclusions: Option<Vec<Exclusion>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only campaigns of this year.
    pub year: Option<i32>,
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
    "district_id": 1,
    "until": "2027-11-10",
    "reason": "成都片区因校庆活动顺延一周报送。"
}))]
pub struct LateGrantInput {
    /// The district allowed to file late.
    pub district_id: i64,
    /// Until when: a day (`2021-11-10`: until the end of that day, China
    /// time) or the exclusive instant; later than the campaign's deadline
    /// and than now.
    pub until: DayOrInstant,
    /// Why (kept in the audit log and shown in the campaign): 1–500
    /// characters, not blank.
    #[validate(length(min = 1, max = 500, message = "请填写原因（不超过 500 个字）。"))]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reason: String,
}

/// A campaign's timeline: the district deadline first, then its stages.
pub(crate) fn timeline(deadline: DateTime<Utc>, stages: &[Stage]) -> Vec<TimelineEntry> {
    let first = TimelineEntry {
        kind: TimelineKind::DistrictDeadline,
        name: rules::DISTRICT_DEADLINE_STAGE.to_owned(),
        when: to_china(deadline).to_rfc3339(),
        precision: Precision::Instant,
        ends_at: to_china(deadline),
        last_day: last_open_day(deadline),
        display: format_china_deadline(deadline),
        description: Some(rules::DISTRICT_DEADLINE_DESCRIPTION.to_owned()),
    };
    std::iter::once(first)
        .chain(stages.iter().map(|s| {
            let ends = s.when.ends_at();
            TimelineEntry {
                kind: TimelineKind::NationalStage,
                name: s.name.clone(),
                when: s.when.to_string(),
                precision: s.when.precision(),
                ends_at: to_china(ends),
                last_day: last_open_day(ends),
                display: s.when.display(),
                description: s.description.clone(),
            }
        }))
        .collect()
}

pub(crate) fn grant_view(g: grant::Model, names: &HashMap<i64, String>) -> LateGrantView {
    LateGrantView {
        id: g.id,
        district_id: g.district_id,
        district_name: names.get(&g.district_id).cloned().unwrap_or_default(),
        until: to_china(g.until),
        until_display: format_china_deadline(g.until),
        until_last_day: last_open_day(g.until),
        reason: g.reason,
        granted_at: to_china(g.created_at),
    }
}

// ---------------------------------------------------------------------------
// Nominations.

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "person",
    "form": {"category": "敬业美", "name": "张晓燕", "gender": "女", "unit": "四川大学"}
}))]
pub struct NominationCreate {
    /// `person` or `team`.
    pub kind: NomineeKind,
    /// The district filing; may be left out by a lead of one district.
    pub district_id: Option<i64>,
    /// The registration form so far, read as a draft's edit is: every field
    /// that meets its rule is saved, the others are answered in `warnings`
    /// (see `PATCH /nominations/{id}`).
    #[schema(value_type = Option<RegistrationFormDraft>)]
    pub form: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The registration form as a draft takes it (`POST /campaigns/{id}/nominations`
/// and `PATCH /nominations/{id}`): a JSON merge patch of `form`. A field of
/// another JSON type, or a field the form does not have, refuses the request
/// with 422 (every such field listed). Otherwise each field that meets its
/// rule (see `RegistrationForm`) is saved and each that does not is left as
/// it was and answered in the nomination's `warnings`. An age or a member
/// count may be a string of digits (`"45"`); phone numbers may have spaces or
/// dashes (`138 1234 6978`). `null` clears a field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "敬业美", "name": "张晓燕", "age": "45", "phone": "138 1234 6978"}))]
#[allow(dead_code)]
pub struct RegistrationFormDraft {
    category: Option<String>,
    name: Option<String>,
    gender: Option<String>,
    ethnicity: Option<String>,
    #[schema(schema_with = number_or_digits)]
    age: Option<i32>,
    political_status: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    unit: Option<String>,
    department: Option<String>,
    position: Option<String>,
    frontline: Option<bool>,
    frontline_post: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    team_name: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    #[schema(schema_with = number_or_digits)]
    member_count: Option<i32>,
    story: Option<String>,
    honours: Option<Vec<HonourDraft>>,
    unit_opinion: Option<String>,
    consent: Option<bool>,
}

/// An honour as a draft takes it: each member a string (its rules are
/// answered as warnings, see `Honour`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct HonourDraft {
    title: Option<String>,
    awarded_by: Option<String>,
    date: Option<String>,
    level: Option<String>,
}

/// An integer (32-bit), a string (digits are read as the number; anything
/// else is a warning at the field), or `null`.
fn number_or_digits() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(i32::MIN))
                .maximum(Some(i32::MAX)),
        )
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build()
        .into()
}

/// A change to the form: a JSON merge patch (RFC 7396) of `form` — given
/// fields replace, `null` clears, arrays (`honours`) are replaced whole. A
/// draft saves every field that meets its rule and answers the others in
/// `warnings` (see `RegistrationFormDraft`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "form": {"phone": "138 1234 6978", "postcode": "610065"}
}))]
pub struct NominationPatch {
    #[schema(value_type = RegistrationFormDraft)]
    pub form: serde_json::Map<String, serde_json::Value>,
}

impl Validate for NominationPatch {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NominationQuery {
    /// Only nominations in this status.
    pub status: Option<NominationStatus>,
    /// Only this district's (a district lead sees only their own districts').
    pub district_id: Option<i64>,
    /// Only nominees who are (`true`) or are not (`false`) frontline staff or
    /// a frontline team, as their form says (seed 002 二(二)).
    pub frontline: Option<bool>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

/// A nomination in full, for the lead of its district and the secretariat
/// (never public). The `ETag` versions the form and the status.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NominationView {
    pub id: i64,
    pub campaign_id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub kind: NomineeKind,
    pub status: NominationStatus,
    /// The status in Chinese, e.g. 草稿.
    pub status_label: String,
    pub version: i32,
    /// The same as the `ETag` header: pass it as `If-Match` to edit.
    pub etag: String,
    pub form: RegistrationForm,
    pub attachments: Vec<AttachmentView>,
    /// The fields of this save that were not saved, with why, and the
    /// exclusion list when the nominee is on it — answered by a create or an
    /// edit (empty on a read). The form keeps its earlier value of each.
    pub warnings: Vec<FieldError>,
    /// What submitting now would refuse: every field and file still missing
    /// or invalid (as the submission's 422 `errors[]` lists them) and the
    /// exclusion list (`previously_honoured`, which submission answers 409
    /// `PREVIOUSLY_HONOURED`). Empty when the nomination can be submitted.
    pub problems: Vec<FieldError>,
    /// What the lead still has to do, in order ("print, stamp and scan the
    /// form" among them).
    pub checklist: Vec<ChecklistItem>,
    /// `problems` is empty.
    pub ready_to_submit: bool,
    /// Has an honour from a media platform (priority in review).
    pub media_honoured: bool,
    /// The secretariat's reason for a rejection or disqualification.
    pub review_reason: Option<String>,
    /// When this district's filing closes (the deadline, or a late grant).
    pub closes_at: DateTime<FixedOffset>,
    /// `closes_at` as people say it, e.g. `2021年11月3日 24:00`.
    pub closes_at_display: String,
    /// The server's clock in China time.
    pub server_time: DateTime<FixedOffset>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    pub forwarded_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// A nomination in a list: the phone masked; no ethnicity, political status
/// or story.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NominationSummary {
    pub id: i64,
    pub campaign_id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub kind: NomineeKind,
    pub status: NominationStatus,
    pub status_label: String,
    pub category: Option<String>,
    /// The person's or the team's name.
    pub nominee_name: Option<String>,
    pub unit: Option<String>,
    /// Masked: 138****6978.
    pub phone: Option<String>,
    /// Has an honour from a media platform (listed first).
    pub media_honoured: bool,
    pub consent: bool,
    /// Frontline staff or a frontline team (seed 002 二(二)), as the form says
    /// (null: not said yet).
    pub frontline: Option<bool>,
    /// The frontline post, as the form says.
    pub frontline_post: Option<String>,
    pub review_reason: Option<String>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub updated_at: DateTime<FixedOffset>,
}

pub(crate) fn status_of(n: &nomination::Model) -> NominationStatus {
    NominationStatus::parse(&n.status).unwrap_or(NominationStatus::Draft)
}

pub(crate) fn kind_of(n: &nomination::Model) -> NomineeKind {
    NomineeKind::parse(&n.kind).unwrap_or(NomineeKind::Person)
}

pub(crate) fn summary(n: nomination::Model, names: &HashMap<i64, String>) -> NominationSummary {
    let status = status_of(&n);
    let frontline_post = parse_form(&n).ok().and_then(|f| f.frontline_post);
    NominationSummary {
        id: n.id,
        campaign_id: n.campaign_id,
        district_id: n.district_id,
        district_name: names.get(&n.district_id).cloned().unwrap_or_default(),
        kind: kind_of(&n),
        status,
        status_label: status.label().to_owned(),
        category: n.category,
        nominee_name: n.nominee_name,
        unit: n.unit,
        phone: n.phone.as_deref().map(mask_phone),
        media_honoured: n.media_honoured,
        consent: n.consent,
        frontline: n.frontline,
        frontline_post,
        review_reason: n.review_reason,
        submitted_at: n.submitted_at.map(to_china),
        updated_at: to_china(n.updated_at),
    }
}

/// The stored registration form of a nomination.
pub(crate) fn parse_form(n: &nomination::Model) -> ApiResult<RegistrationForm> {
    json_col(&n.form)
}

// ---------------------------------------------------------------------------
// Review and forwarding.

/// The secretariat's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Keep for forwarding (入围).
    Shortlist,
    /// Not kept (reason required).
    Reject,
    /// Fraud (弄虚作假, reason required); final.
    Disqualify,
}

/// The secretariat's review of a nomination (named apart from the articles' review in the spec).
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NominationReviewInput, example = json!({
    "decision": "shortlist"
}))]
pub struct ReviewInput {
    pub decision: ReviewDecision,
    /// Required to reject or disqualify (at most 500 characters).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// Changes an earlier decision deliberately (改判): the status the
    /// nomination has as you saw it — `shortlisted` or `rejected`. Requires a
    /// `reason` (kept in the audit log). Without it only a `submitted`
    /// nomination is reviewed: a reviewed one answers 409 `STALE_DECISION`
    /// naming who decided what; so does a `revises` that is no longer the
    /// nomination's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = revisable_status)]
    pub revises: Option<NominationStatus>,
}

/// The statuses a review may revise (any other answers 422 `one_of`), or `null`.
fn revisable_status() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::json!("shortlisted"),
            serde_json::json!("rejected"),
            serde_json::Value::Null,
        ]))
        .description(Some(
            "Changes an earlier decision deliberately (改判): the status the nomination has as \
             you saw it — `shortlisted` or `rejected` — with a `reason`. Without it only a \
             `submitted` nomination is reviewed (a reviewed one answers 409 `STALE_DECISION`).",
        ))
        .build()
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "nomination_ids": [1, 2]
}))]
pub struct ForwardInput {
    /// Shortlisted nominations of this campaign to forward (with those
    /// forwarded before, at most the association quota). Duplicates are merged.
    #[validate(length(min = 1, max = 20, message = "请选择 1–20 名候选人。"))]
    #[schema(min_items = 1, max_items = 20)]
    pub nomination_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForwardResult {
    /// Every nomination of the campaign forwarded so far.
    pub forwarded: Vec<NominationSummary>,
    pub forwarded_count: i32,
    pub association_quota: i32,
}

// ---------------------------------------------------------------------------
// Attachments and files.

/// An attachment's row without its bytes.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AttachmentMeta {
    pub id: i64,
    pub kind: String,
    pub page: i32,
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// An attachment of a nomination.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub kind: AttachmentKind,
    /// The file's place among those of its kind, from 1: the page of the
    /// stamped form's scan, the first or second certificate (the photo: 1).
    /// Deleting a file moves the later ones of its kind up one place.
    #[schema(minimum = 1)]
    pub page: i32,
    /// Sniffed from the content: `image/jpeg`, `image/png` or `application/pdf`.
    pub content_type: String,
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    pub created_at: DateTime<FixedOffset>,
}

impl From<AttachmentMeta> for AttachmentView {
    fn from(a: AttachmentMeta) -> Self {
        Self {
            id: a.id,
            kind: AttachmentKind::parse(&a.kind).unwrap_or(AttachmentKind::Certificate),
            page: a.page,
            content_type: a.content_type,
            file_name: a.file_name,
            size: a.size,
            sha256: a.sha256,
            created_at: to_china(a.created_at),
        }
    }
}

/// The multipart body of an upload (documentation): the two parts `kind`
/// and `file`, nothing else (another part is refused like an unknown field
/// of a JSON body).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "photo", "file": "(the JPEG's bytes)"}))]
pub struct AttachmentUpload {
    pub kind: AttachmentKind,
    /// The file, not empty; its type is read from its content (photo: JPEG
    /// or PNG, at most 2 MB; scans: PDF, JPEG or PNG, at most 10 MB).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    pub file: Vec<u8>,
}

/// The multipart body of a replacement (documentation): the one part
/// `file`; the kind and the page are the replaced attachment's.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"file": "(the JPEG's bytes)"}))]
pub struct AttachmentReplacement {
    /// The new file, not empty, under the rules of the attachment's kind
    /// (photo: JPEG or PNG, at most 2 MB; scans: PDF, JPEG or PNG, at most
    /// 10 MB).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    pub file: Vec<u8>,
}

/// An upload as read from the request: the kind the caller says it is, the
/// client's file name, and the bytes (bounded by the kind's limit).
#[derive(Clone, Debug)]
pub struct Upload {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file's bytes (documentation of binary responses).
pub struct FileBody;

impl utoipa::PartialSchema for FileBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes"))
            .build()
            .into()
    }
}

impl ToSchema for FileBody {}

/// A file to download: its type, the name to save it under (any
/// characters), a plain ASCII name for clients that cannot read the other,
/// and its bytes.
#[derive(Clone, Debug)]
pub struct Download {
    pub content_type: String,
    pub file_name: String,
    pub fallback_name: String,
    pub bytes: Vec<u8>,
}

/// A file or folder name without characters Windows refuses.
pub(crate) fn safe_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('.').to_owned();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned.chars().take(80).collect()
    }
}

// ---------------------------------------------------------------------------
// Stored JSON columns and input errors.

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

/// 422 with these field errors, unless there are none.
pub(crate) fn fail_if(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}
