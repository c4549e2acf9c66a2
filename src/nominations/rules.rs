//! Nominations (seed 002, SPEC §B): the district deadline, the quotas, the
//! registration form of 附件二 with its field rules, the exclusion list and
//! the attachments. Each rule is one function quoting the seed.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::identity::phone::PhoneNumber;
use crate::platform::clock::{self, format_china_deadline};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Person or team (个人或团体).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NomineeKind {
    Person,
    Team,
}

impl NomineeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Team => "team",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(Self::Person),
            "team" => Some(Self::Team),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Person => "个人",
            Self::Team => "团体",
        }
    }
}

/// Where a nomination stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NominationStatus {
    /// Being filled in by the district lead; not counted in the quota.
    Draft,
    /// Filed by the district (counts in the district's quota).
    Submitted,
    /// Kept by the secretariat for forwarding.
    Shortlisted,
    /// Not kept (with a reason).
    Rejected,
    /// Excluded for fraud (弄虚作假); final.
    Disqualified,
    /// Forwarded to the national association (中国教育后勤协会).
    Forwarded,
}

impl NominationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Shortlisted => "shortlisted",
            Self::Rejected => "rejected",
            Self::Disqualified => "disqualified",
            Self::Forwarded => "forwarded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "submitted" => Self::Submitted,
            "shortlisted" => Self::Shortlisted,
            "rejected" => Self::Rejected,
            "disqualified" => Self::Disqualified,
            "forwarded" => Self::Forwarded,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "已提交",
            Self::Shortlisted => "入围",
            Self::Rejected => "未入围",
            Self::Disqualified => "取消资格",
            Self::Forwarded => "已报送",
        }
    }
}

/// A category of a campaign: 敬业美, 匠心美, 乐群美 (persons), 最美服务团队 (teams).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// e.g. 敬业美 (1–16 characters, unique in the campaign).
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
    pub kind: NomineeKind,
}

/// "符合“敬业美”……“匠心美”……“乐群美”……“最美服务团队”" — the four categories of the seed.
pub fn default_categories() -> Vec<Category> {
    [
        ("敬业美", NomineeKind::Person),
        ("匠心美", NomineeKind::Person),
        ("乐群美", NomineeKind::Person),
        ("最美服务团队", NomineeKind::Team),
    ]
    .into_iter()
    .map(|(name, kind)| Category {
        name: name.to_owned(),
        kind,
    })
    .collect()
}

/// "请各片区在11月3日前推荐1名(个人或团体)" — one nomination per district.
pub const DEFAULT_DISTRICT_QUOTA: i32 = 1;

/// "协会经评审后推荐2名(个人或团体)报到中国教育后勤协会" — two forwarded.
pub const DEFAULT_ASSOCIATION_QUOTA: i32 = 2;

/// An earlier honouree who may not take part again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The person's name, or the team's name (1–50 characters).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
    /// Their unit (school), 1–128 characters.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub unit: String,
    /// Which honour, e.g. 2020年度感动人物 (at most 100 characters).
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub note: Option<String>,
}

/// A contact of the campaign, as published in the notice (协会秘书处联系人).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// 1–20 characters.
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
    /// e.g. 协会秘书处联系人 (at most 40 characters).
    #[serde(default)]
    #[schema(
        max_length = 40,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub role: Option<String>,
    /// 5–20 digits, `+`, `-` or inner spaces, e.g. 18583246978 or 028-85412345.
    #[serde(default)]
    #[schema(
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[0-9+-][0-9+ -]{3,18}[0-9+-][\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub phone: Option<String>,
    /// e.g. the address to send the papers to (报送邮箱). The pattern is the
    /// ASCII form the server checks (an internationalised domain or an
    /// address literal is accepted too).
    #[serde(default)]
    #[schema(
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub email: Option<String>,
}

// ---------------------------------------------------------------------------
// The deadline.

/// The instant after which a district can no longer file: the campaign's
/// deadline, or a later late-filing grant for that district.
///
/// "请各片区在11月3日前推荐" — SPEC §B.2 decides: filing is open until the end
/// of 3 November China time, i.e. the instant `2021-11-04T00:00:00+08:00`,
/// exclusive. SPEC §B.7: "the secretariat may let one district file after the
/// deadline until a stated instant".
pub fn filing_closes_at(
    deadline: DateTime<Utc>,
    grant_until: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    match grant_until {
        Some(until) if until > deadline => until,
        _ => deadline,
    }
}

/// Filing (create, edit, submit, withdraw, upload) is allowed strictly before
/// the deadline by the server's clock; at the deadline instant itself it is
/// refused with 409 `DEADLINE_PASSED`, the message showing the deadline in
/// China time ("推荐截止时间为2021年11月3日 24:00（北京时间），已截止。").
///
/// The problem helps at the deadline: it names whom to call — the
/// campaign's first contact ("协会秘书处联系人：郑云泽 18583246978", extension
/// `contact`) — and says that the secretariat can grant late filing
/// (SPEC §B.7).
pub fn check_filing_open(
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
    grant_until: Option<DateTime<Utc>>,
    contact: Option<&Contact>,
) -> ApiResult<()> {
    let closes = filing_closes_at(deadline, grant_until);
    if now < closes {
        return Ok(());
    }
    let mut detail = format!(
        "推荐截止时间为{}（北京时间），已截止。",
        format_china_deadline(deadline)
    );
    if closes > deadline {
        detail.push_str(&format!(
            "本片区获准延期至{}（北京时间），也已截止。",
            format_china_deadline(closes)
        ));
    }
    detail.push_str(&late_filing_hint(contact));
    let mut e = ApiError::new(ErrorCode::DeadlinePassed)
        .with_detail(detail)
        .with_extension(
            "deadline",
            crate::platform::clock::to_china(closes).to_rfc3339().into(),
        );
    if let Some(c) = contact
        && let Ok(v) = serde_json::to_value(c)
    {
        e = e.with_extension("contact", v);
    }
    Err(e)
}

/// "如需延期，请联系…申请": whom to call for a late-filing grant.
fn late_filing_hint(contact: Option<&Contact>) -> String {
    let Some(c) = contact else {
        return "如需延期，请联系协会秘书处申请，秘书处可批准本片区延期填报。".to_owned();
    };
    let role = c.role.as_deref().unwrap_or("协会秘书处联系人");
    let phone = c
        .phone
        .as_deref()
        .map(|p| format!("（{p}）"))
        .unwrap_or_default();
    format!(
        "如需延期，请联系{role}{}{phone}申请，秘书处可批准本片区延期填报。",
        c.name
    )
}

// ---------------------------------------------------------------------------
// The national timeline.

/// When a stage of the national timeline happens, as the notice says it:
/// a day ("2021年12月10日前完成", by the end of that day in China time), a
/// month ("2022年4月份进行") or an instant. Years 2000–2100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageWhen {
    Day(NaiveDate),
    Month(NaiveDate),
    Instant(DateTime<FixedOffset>),
}

/// How precise a stage's date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Day,
    Month,
    Instant,
}

impl StageWhen {
    /// Reads `2021-12-10`, `2022-04` or an RFC 3339 instant; the error is
    /// the message to show.
    pub fn parse(s: &str) -> Result<Self, String> {
        let month = s.len() == 7
            && s.as_bytes()[4] == b'-'
            && s.bytes()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        let generic = || {
            "请填写日期（如 2021-12-10）、月份（如 2022-04）或带时区的时间（如 2021-12-11T00:00:00+08:00）。"
                .to_owned()
        };
        if month {
            let first = clock::parse_day(&format!("{s}-01")).ok_or_else(generic)?;
            clock::check_entered_year(first.year())?;
            return Ok(Self::Month(first));
        }
        match clock::DayOrInstant::parse(s) {
            Ok(clock::DayOrInstant::Day(d)) => Ok(Self::Day(d)),
            Ok(clock::DayOrInstant::Instant(at)) => Ok(Self::Instant(at)),
            Err(m) if m.starts_with("年份") => Err(m),
            Err(_) => Err(generic()),
        }
    }

    pub fn precision(self) -> Precision {
        match self {
            Self::Day(_) => Precision::Day,
            Self::Month(_) => Precision::Month,
            Self::Instant(_) => Precision::Instant,
        }
    }

    /// The exclusive instant the stage runs to: the China-time midnight
    /// after the day, the first midnight of the next month, or the instant.
    pub fn ends_at(self) -> DateTime<Utc> {
        match self {
            Self::Day(d) => clock::end_of_china_day(d),
            Self::Month(first) => {
                let last = first
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(first);
                clock::end_of_china_day(last)
            }
            Self::Instant(at) => at.with_timezone(&Utc),
        }
    }

    /// As people say it: 2021年12月10日, 2022年4月, 2021年12月10日 24:00.
    pub fn display(self) -> String {
        match self {
            Self::Day(d) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Self::Month(m) => format!("{}年{}月", m.year(), m.month()),
            Self::Instant(at) => format_china_deadline(at.with_timezone(&Utc)),
        }
    }
}

impl std::fmt::Display for StageWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Self::Month(m) => write!(f, "{}", m.format("%Y-%m")),
            Self::Instant(at) => write!(f, "{}", at.to_rfc3339()),
        }
    }
}

impl Serialize for StageWhen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StageWhen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|m| crate::platform::extract::field_rule::<D::Error>("format", &m))
    }
}

impl utoipa::PartialSchema for StageWhen {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        let string = |format: Option<KnownFormat>, pattern: &str, description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(format.map(SchemaFormat::KnownFormat))
                .pattern(Some(pattern))
                .description(Some(description))
        };
        let one_of = OneOfBuilder::new()
            .item(string(
                Some(KnownFormat::Date),
                clock::DAY_PATTERN,
                "A day, by its end in China time: `2021-12-10`",
            ))
            .item(string(
                None,
                r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
                "A month: `2022-04` (2022年4月)",
            ))
            .item(string(
                Some(KnownFormat::DateTime),
                clock::INSTANT_PATTERN,
                "An RFC 3339 instant",
            ))
            .description(Some(
                "When a stage happens: a day (`2021-12-10`, by the end of that day in China time), a month (`2022-04`) or an RFC 3339 instant. Years 2000–2100.",
            ))
            .build();
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(one_of))
    }
}

impl ToSchema for StageWhen {}

/// A stage of the national timeline (中后协〔2021〕15号 三 活动流程), e.g.
/// 2021-12-10 征集申报.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// e.g. 征集申报 (1–32 characters, one line).
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
    pub when: StageWhen,
    /// What happens, e.g. 完成候选人征集申报 (at most 200 characters, one line).
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub description: Option<String>,
}

/// At most ten stages (the notice has four).
pub const MAX_STAGES: usize = 10;

/// "第一阶段：2021年12月10日前……第二阶段：2022年1月20日前……第三阶段：2022年2月20日前……
/// 第四阶段：2022年4月份" (中后协〔2021〕15号 三): the stages follow one another
/// (each ends no earlier than the one before) and none ends before the
/// district deadline, which comes first. One error per offending stage, at
/// its `when`.
pub fn stage_order(stages: &[Stage], deadline: DateTime<Utc>) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut previous: Option<&Stage> = None;
    for (i, s) in stages.iter().enumerate() {
        let pointer = format!("/stages/{i}/when");
        if s.when.ends_at() < deadline {
            out.push(FieldError::new(
                &pointer,
                "order",
                format!(
                    "阶段“{}”（{}）不能早于片区推荐截止时间（{}）。",
                    s.name.trim(),
                    s.when.display(),
                    format_china_deadline(deadline)
                ),
            ));
        } else if let Some(p) = previous
            && s.when.ends_at() < p.when.ends_at()
        {
            out.push(FieldError::new(
                &pointer,
                "order",
                format!(
                    "阶段须按时间先后排列：“{}”（{}）不能早于前一阶段“{}”（{}）。",
                    s.name.trim(),
                    s.when.display(),
                    p.name.trim(),
                    p.when.display()
                ),
            ));
        }
        previous = Some(s);
    }
    out
}

/// The stages of the national notice (中后协〔2021〕15号 三 活动流程), in its
/// words: name and what happens, in order; the dates are the campaign's.
pub const NATIONAL_STAGES: [(&str, &str); 4] = [
    (
        "征集申报",
        "第一阶段：完成候选人征集申报（社会征集、组织推荐、个人自荐）",
    ),
    (
        "材料审核",
        "第二阶段：完成候选人材料审核，评审委员会确定50名候选人",
    ),
    ("信息确认与公示", "第三阶段：完成信息确认与公示"),
    (
        "通报及事迹宣讲",
        "第四阶段：进行全国教育后勤系统“最美后勤人”的通报及事迹宣讲",
    ),
];

/// The name of the district deadline in a campaign's timeline.
pub const DISTRICT_DEADLINE_STAGE: &str = "片区推荐截止";

/// What happens at the district deadline ("请各片区在11月3日前推荐1名(个人或团体)报到协会秘书处").
pub const DISTRICT_DEADLINE_DESCRIPTION: &str = "各片区推荐1名（个人或团体）报到协会秘书处";

// ---------------------------------------------------------------------------
// The quotas.

// The district quota ("请各片区在11月3日前推荐1名(个人或团体)") is held by a
// counter row per campaign and district, claimed and released in the filing
// use cases: see `nominations::filing::claim_district_slot`.

/// "协会经评审后推荐2名(个人或团体)报到中国教育后勤协会": at most the
/// association quota forwarded in total (those forwarded before included).
pub fn check_association_quota(already: i32, adding: usize, quota: i32) -> ApiResult<()> {
    let total = i64::from(already) + adding as i64;
    if total <= i64::from(quota) {
        return Ok(());
    }
    Err(ApiError::new(ErrorCode::QuotaExceeded).with_detail(format!(
        "协会限推荐{quota}名（个人或团体）报送中国教育后勤协会，已报送{already}名，本次不能再报送{adding}名。"
    )))
}

// ---------------------------------------------------------------------------
// The exclusion list.

/// Names compared ignoring all white space (including the full-width space)
/// and letter case.
pub fn normalise_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// "已经获得协会通报表扬的“全国教育后勤系统‘2020年度感动人物’的个人与集体”，
/// 不再参与“2021年度最美后勤人”的推举活动": the entry of the exclusion list
/// with the same name and unit (white space ignored), if any.
pub fn previously_honoured<'a>(
    exclusions: &'a [Exclusion],
    name: &str,
    unit: &str,
) -> Option<&'a Exclusion> {
    let (name, unit) = (normalise_name(name), normalise_name(unit));
    exclusions
        .iter()
        .find(|e| normalise_name(&e.name) == name && normalise_name(&e.unit) == unit)
}

// ---------------------------------------------------------------------------
// The registration form (附件二).

/// The 56 ethnic groups of China, by their full names.
pub const ETHNIC_GROUPS: &[&str] = &[
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
];

/// 政治面貌, the fixed list of the national standard.
pub const POLITICAL_STATUSES: &[&str] = &[
    "中共党员",
    "中共预备党员",
    "共青团员",
    "民革党员",
    "民盟盟员",
    "民建会员",
    "民进会员",
    "农工党党员",
    "致公党党员",
    "九三学社社员",
    "台盟盟员",
    "无党派人士",
    "群众",
];

/// Levels of an honour. `媒体` marks an honour from a media platform.
pub const HONOUR_LEVELS: &[&str] = &["国家级", "省级", "市级", "校级", "媒体"];

/// The level of a media platform's honour.
pub const MEDIA_LEVEL: &str = "媒体";

pub const GENDERS: &[&str] = &["男", "女"];

/// Bounds of the rules (characters, years, people).
pub const NAME_CHARS: (usize, usize) = (2, 20);
pub const AGE_RANGE: (i32, i32) = (18, 70);
pub const STORY_CHARS: (usize, usize) = (300, 3000);
pub const MEMBER_COUNT: (i32, i32) = (2, 500);
pub const MAX_HONOURS: usize = 20;
pub const FRONTLINE_POST_CHARS: usize = 64;

/// One honour received (曾获各级各类媒体平台表彰与奖励情况).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Honour {
    /// e.g. 四川省教育后勤先进个人 (every listed honour has one: not blank, at most 100 characters; a draft answers a missing one as a warning and keeps its earlier honours).
    #[schema(value_type = String, required = true, max_length = 100, pattern = r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]")]
    pub title: Option<String>,
    /// Who awarded it, e.g. 四川省高校后勤协会 (required, as `title`).
    #[schema(value_type = String, required = true, max_length = 100, pattern = r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]")]
    pub awarded_by: Option<String>,
    /// When, `YYYY-MM-DD` (required; not after today).
    #[schema(value_type = String, required = true, example = "2020-12-18", pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[0-9]{4}-[0-9]{2}-[0-9]{2}[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$")]
    pub date: Option<String>,
    /// 国家级, 省级, 市级, 校级, or 媒体 (a media platform; gives priority). Required.
    #[schema(value_type = String, required = true, pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(国家级|省级|市级|校级|媒体)[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$")]
    pub level: Option<String>,
}

/// The registration form of 附件二. Every field is optional in a draft;
/// submitting requires the complete form of the nomination's kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationForm {
    /// A category of the campaign matching the kind (persons: 敬业美, 匠心美, 乐群美; teams: 最美服务团队).
    pub category: Option<String>,
    /// Person: 姓名 (2–20 characters).
    pub name: Option<String>,
    /// Person: 性别, 男 or 女.
    #[schema(
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(男|女)[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub gender: Option<String>,
    /// Person: 民族, one of the 56 ethnic groups by full name (汉族, 彝族, 藏族 …).
    pub ethnicity: Option<String>,
    /// Person: 年龄 (18–70).
    #[schema(minimum = 18, maximum = 70)]
    pub age: Option<i32>,
    /// Person: 政治面貌 (中共党员, 共青团员, 群众 …).
    pub political_status: Option<String>,
    /// Person: 联系电话, a mainland mobile number (11 digits, optionally after +86).
    #[schema(
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(\+?86)?1[3-9][0-9]{9}[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub phone: Option<String>,
    /// 邮箱.
    pub email: Option<String>,
    /// 单位名称 (the school).
    pub unit: Option<String>,
    /// The department within the unit (填写至部门).
    pub department: Option<String>,
    /// Person: 职务/职称.
    pub position: Option<String>,
    /// Whether the nominee is frontline staff of the school's logistics
    /// management and services (a team: a frontline team) — seed 002 二(二)
    /// "被推荐对象主要来自学校后勤管理服务一线的员工和团队". Required to submit
    /// (`true` or `false`).
    pub frontline: Option<bool>,
    /// The frontline post (一线岗位), e.g. 学生食堂面点师 or 学生公寓管理员; for
    /// a team the service it gives, e.g. 学生公寓管理服务 (at most 64
    /// characters, one line). Required to submit when `frontline` is true.
    pub frontline_post: Option<String>,
    /// 通讯地址.
    pub address: Option<String>,
    /// 邮编, 6 digits.
    #[schema(
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[0-9]{6}[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub postcode: Option<String>,
    /// Team: 团队名称.
    pub team_name: Option<String>,
    /// Team: the contact person.
    pub contact_name: Option<String>,
    /// Team: the contact person's mainland mobile number.
    #[schema(
        pattern = r"^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(\+?86)?1[3-9][0-9]{9}[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub contact_phone: Option<String>,
    /// Team: number of members (2–500).
    #[schema(minimum = 2, maximum = 500)]
    pub member_count: Option<i32>,
    /// 事迹材料 (300–3000 characters to submit).
    pub story: Option<String>,
    /// 曾获表彰 (at most 20).
    #[schema(max_items = 20)]
    pub honours: Option<Vec<Honour>>,
    /// 申报人单位意见 (the unit's opinion; the printed form is stamped).
    pub unit_opinion: Option<String>,
    /// The nominee consents to forwarding to the national association and to
    /// publication of the story and photo. Must be true to submit and to
    /// forward; may be withdrawn (set to false) at any time.
    pub consent: Option<bool>,
}

fn err(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(&format!("/form/{field}"), code, message)
}

fn text_rule(
    out: &mut Vec<FieldError>,
    field: &str,
    value: &Option<String>,
    label: &str,
    max: usize,
) {
    if let Some(v) = value {
        let n = v.trim().chars().count();
        if n > max {
            out.push(err(
                field,
                "length",
                format!("{label}不能超过 {max} 个字。"),
            ));
        } else if v
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            out.push(err(field, "format", format!("{label}不能包含控制字符。")));
        } else if n == 0 {
            out.push(err(field, "required", format!("{label}不能为空。")));
        }
    }
}

fn single_line(out: &mut Vec<FieldError>, field: &str, value: &Option<String>, label: &str) {
    if let Some(v) = value
        && v.trim().contains(['\n', '\r'])
    {
        out.push(err(field, "format", format!("{label}不能换行。")));
    }
}

fn one_of(
    out: &mut Vec<FieldError>,
    field: &str,
    value: &Option<String>,
    allowed: &[&str],
    message: &str,
) {
    if let Some(v) = value
        && !allowed.contains(&v.trim())
    {
        out.push(err(field, "one_of", message));
    }
}

fn phone_rule(out: &mut Vec<FieldError>, field: &str, value: &Option<String>) {
    if let Some(v) = value
        && PhoneNumber::parse(v).is_none()
    {
        out.push(err(
            field,
            "phone",
            "请填写 11 位大陆手机号码，如 13812346978。",
        ));
    }
}

/// The rules of each field of 附件二 that is filled in (drafts and
/// submissions alike): "请申报人认真填写真实有效的……报名信息". Fields of the
/// other kind (a team's gender, a person's member count) are refused.
pub fn check_fields(
    form: &RegistrationForm,
    kind: NomineeKind,
    categories: &[Category],
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut out = Vec::new();
    let f = form;
    if let Some(c) = &f.category {
        let ok = categories
            .iter()
            .any(|cat| cat.name == c.trim() && cat.kind == kind);
        if !ok {
            let names: Vec<&str> = categories
                .iter()
                .filter(|cat| cat.kind == kind)
                .map(|cat| cat.name.as_str())
                .collect();
            out.push(err(
                "category",
                "one_of",
                format!("{}推荐的类别须为：{}。", kind.label(), names.join("、")),
            ));
        }
    }
    let person_only: [(&str, bool); 6] = [
        ("name", f.name.is_some()),
        ("gender", f.gender.is_some()),
        ("ethnicity", f.ethnicity.is_some()),
        ("age", f.age.is_some()),
        ("political_status", f.political_status.is_some()),
        ("position", f.position.is_some()),
    ];
    let team_only: [(&str, bool); 4] = [
        ("team_name", f.team_name.is_some()),
        ("contact_name", f.contact_name.is_some()),
        ("contact_phone", f.contact_phone.is_some()),
        ("member_count", f.member_count.is_some()),
    ];
    let (foreign, what): (&[(&str, bool)], &str) = match kind {
        NomineeKind::Person => (&team_only, "个人推荐不填写团队信息。"),
        NomineeKind::Team => (
            &person_only,
            "团体推荐不填写个人信息，请填写团队名称和联系人。",
        ),
    };
    for (field, present) in foreign {
        if *present {
            out.push(err(field, "not_applicable", what));
        }
    }
    if let Some(name) = &f.name {
        let n = name.trim().chars().count();
        if !(NAME_CHARS.0..=NAME_CHARS.1).contains(&n) {
            out.push(err("name", "length", "姓名须为 2–20 个字。"));
        }
    }
    text_rule(&mut out, "name", &f.name, "姓名", NAME_CHARS.1);
    one_of(
        &mut out,
        "gender",
        &f.gender,
        GENDERS,
        "性别须为“男”或“女”。",
    );
    one_of(
        &mut out,
        "ethnicity",
        &f.ethnicity,
        ETHNIC_GROUPS,
        "请填写民族全称，如“汉族”“彝族”“藏族”。",
    );
    if let Some(age) = f.age
        && !(AGE_RANGE.0..=AGE_RANGE.1).contains(&age)
    {
        out.push(err("age", "range", "年龄须为 18–70 岁。"));
    }
    one_of(
        &mut out,
        "political_status",
        &f.political_status,
        POLITICAL_STATUSES,
        "政治面貌须为：中共党员、中共预备党员、共青团员、民主党派成员（如民盟盟员）、无党派人士或群众。",
    );
    phone_rule(&mut out, "phone", &f.phone);
    phone_rule(&mut out, "contact_phone", &f.contact_phone);
    if let Some(e) = &f.email {
        let e = e.trim();
        if e.chars().count() > 100 || !validator::ValidateEmail::validate_email(&e) {
            out.push(err(
                "email",
                "email",
                "邮箱格式不正确，如 name@example.com。",
            ));
        }
    }
    text_rule(&mut out, "unit", &f.unit, "单位名称", 64);
    text_rule(&mut out, "department", &f.department, "部门", 64);
    text_rule(&mut out, "position", &f.position, "职务/职称", 64);
    text_rule(
        &mut out,
        "frontline_post",
        &f.frontline_post,
        "一线岗位",
        FRONTLINE_POST_CHARS,
    );
    text_rule(&mut out, "address", &f.address, "通讯地址", 200);
    text_rule(&mut out, "team_name", &f.team_name, "团队名称", 50);
    text_rule(
        &mut out,
        "contact_name",
        &f.contact_name,
        "联系人",
        NAME_CHARS.1,
    );
    for (field, value, label) in [
        ("unit", &f.unit, "单位名称"),
        ("department", &f.department, "部门"),
        ("position", &f.position, "职务/职称"),
        ("frontline_post", &f.frontline_post, "一线岗位"),
        ("address", &f.address, "通讯地址"),
        ("team_name", &f.team_name, "团队名称"),
        ("contact_name", &f.contact_name, "联系人"),
        ("name", &f.name, "姓名"),
    ] {
        single_line(&mut out, field, value, label);
    }
    if let Some(p) = &f.postcode {
        let p = p.trim();
        if p.len() != 6 || !p.bytes().all(|b| b.is_ascii_digit()) {
            out.push(err("postcode", "format", "邮编须为 6 位数字。"));
        }
    }
    if let Some(n) = f.member_count
        && !(MEMBER_COUNT.0..=MEMBER_COUNT.1).contains(&n)
    {
        out.push(err("member_count", "range", "团队人数须为 2–500 人。"));
    }
    text_rule(&mut out, "story", &f.story, "事迹材料", STORY_CHARS.1);
    text_rule(&mut out, "unit_opinion", &f.unit_opinion, "单位意见", 500);
    if let Some(honours) = &f.honours {
        if honours.len() > MAX_HONOURS {
            out.push(err("honours", "length", "曾获表彰最多填写 20 项。"));
        }
        for (i, h) in honours.iter().enumerate() {
            let at = |field: &str| format!("honours/{i}/{field}");
            for (field, value, label) in [
                ("title", &h.title, "表彰名称"),
                ("awarded_by", &h.awarded_by, "授予单位"),
            ] {
                match value.as_deref().map(|v| (v.trim(), v.chars().count())) {
                    None | Some(("", _)) => {
                        out.push(err(&at(field), "required", format!("请填写{label}。")))
                    }
                    Some((_, n)) if n > 100 => out.push(err(
                        &at(field),
                        "length",
                        format!("{label}不能超过 100 个字。"),
                    )),
                    Some(_) => {}
                }
            }
            match h.date.as_deref().map(str::trim) {
                None | Some("") => out.push(err(&at("date"), "required", "请填写获得表彰的日期。")),
                Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                    Ok(d) if d <= today => {}
                    Ok(_) => out.push(err(&at("date"), "future", "表彰日期不能晚于今天。")),
                    Err(_) => out.push(err(
                        &at("date"),
                        "format",
                        "日期格式须为 YYYY-MM-DD，如 2020-12-18。",
                    )),
                },
            }
            match h.level.as_deref().map(str::trim) {
                None | Some("") => out.push(err(&at("level"), "required", "请选择表彰级别。")),
                Some(l) if !HONOUR_LEVELS.contains(&l) => out.push(err(
                    &at("level"),
                    "one_of",
                    "表彰级别须为：国家级、省级、市级、校级或媒体。",
                )),
                Some(_) => {}
            }
        }
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out.dedup_by(|a, b| a.pointer == b.pointer);
    out
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// What a submission still lacks: "推荐的个人及团体必须满足以下条件" and
/// 附件二's fields, all required to submit (a draft may be incomplete). The
/// nominee's consent (SPEC §B.8) is required too.
pub fn missing_fields(form: &RegistrationForm, kind: NomineeKind) -> Vec<FieldError> {
    let f = form;
    let mut out = Vec::new();
    let mut need = |field: &str, missing: bool, label: &str| {
        if missing {
            out.push(err(field, "required", format!("请填写{label}。")));
        }
    };
    need("category", blank(&f.category), "推荐类别");
    match kind {
        NomineeKind::Person => {
            need("name", blank(&f.name), "姓名");
            need("gender", blank(&f.gender), "性别");
            need("ethnicity", blank(&f.ethnicity), "民族");
            need("age", f.age.is_none(), "年龄");
            need("political_status", blank(&f.political_status), "政治面貌");
            need("phone", blank(&f.phone), "联系电话");
            need("position", blank(&f.position), "职务/职称");
        }
        NomineeKind::Team => {
            need("team_name", blank(&f.team_name), "团队名称");
            need("contact_name", blank(&f.contact_name), "联系人");
            need("contact_phone", blank(&f.contact_phone), "联系人电话");
            need("member_count", f.member_count.is_none(), "团队人数");
        }
    }
    need("email", blank(&f.email), "邮箱");
    need("unit", blank(&f.unit), "单位名称");
    need("department", blank(&f.department), "部门");
    need("address", blank(&f.address), "通讯地址");
    need("postcode", blank(&f.postcode), "邮编");
    need("unit_opinion", blank(&f.unit_opinion), "单位意见");
    frontline_rule(&mut out, f, kind);
    match f.story.as_deref().map(|s| s.trim().chars().count()) {
        None | Some(0) => out.push(err("story", "required", "请填写事迹材料。")),
        Some(n) if n < STORY_CHARS.0 => out.push(err(
            "story",
            "length",
            format!("事迹材料须为 300–3000 字，目前 {n} 字。"),
        )),
        Some(_) => {}
    }
    if f.consent != Some(true) {
        out.push(err(
            "consent",
            "consent_required",
            "须经候选人本人同意报送至中国教育后勤协会并公开其事迹材料和照片。",
        ));
    }
    out
}

/// "被推荐对象主要来自学校后勤管理服务一线的员工和团队" (seed 002 二(二)): a
/// submission says whether the nominee is frontline staff (a frontline team),
/// and names the post when it is. "主要" — mainly, not only: `false` may be
/// submitted, and the secretariat sees and filters it.
fn frontline_rule(out: &mut Vec<FieldError>, f: &RegistrationForm, kind: NomineeKind) {
    let who = match kind {
        NomineeKind::Person => "员工",
        NomineeKind::Team => "团队",
    };
    match f.frontline {
        None => out.push(err(
            "frontline",
            "required",
            format!("请选择被推荐对象是否为学校后勤管理服务一线{who}。"),
        )),
        Some(true) if blank(&f.frontline_post) => out.push(err(
            "frontline_post",
            "required",
            "请填写一线岗位，如“学生食堂面点师”“学生公寓管理员”。",
        )),
        Some(_) => {}
    }
}

/// Trims the text fields and writes phone numbers in their 11 digits (after
/// [`check_fields`] passed).
pub fn normalise(form: &mut RegistrationForm) {
    for v in [
        &mut form.category,
        &mut form.name,
        &mut form.gender,
        &mut form.ethnicity,
        &mut form.political_status,
        &mut form.email,
        &mut form.unit,
        &mut form.department,
        &mut form.position,
        &mut form.frontline_post,
        &mut form.address,
        &mut form.postcode,
        &mut form.team_name,
        &mut form.contact_name,
        &mut form.story,
        &mut form.unit_opinion,
    ]
    .into_iter()
    .flatten()
    {
        *v = v.trim().to_owned();
    }
    for p in [&mut form.phone, &mut form.contact_phone]
        .into_iter()
        .flatten()
    {
        if let Some(n) = PhoneNumber::parse(p) {
            *p = n.as_str().to_owned();
        }
    }
    for h in form.honours.iter_mut().flatten() {
        for v in [&mut h.title, &mut h.awarded_by, &mut h.date, &mut h.level]
            .into_iter()
            .flatten()
        {
            *v = v.trim().to_owned();
        }
    }
}

/// "受到过各级各类媒体平台表彰与奖励具有优先入围资质": a nominee with an
/// honour from a media platform comes first in the secretariat's review list.
pub fn media_honoured(form: &RegistrationForm) -> bool {
    form.honours
        .iter()
        .flatten()
        .any(|h| h.level.as_deref().map(str::trim) == Some(MEDIA_LEVEL))
}

/// The nominee's name: the person's, or the team's.
pub fn nominee_name(form: &RegistrationForm, kind: NomineeKind) -> Option<&str> {
    match kind {
        NomineeKind::Person => form.name.as_deref(),
        NomineeKind::Team => form.team_name.as_deref(),
    }
}

/// The number to call about the nominee: the person's, or the team's contact's.
pub fn nominee_phone(form: &RegistrationForm, kind: NomineeKind) -> Option<&str> {
    match kind {
        NomineeKind::Person => form.phone.as_deref(),
        NomineeKind::Team => form.contact_phone.as_deref(),
    }
}

// ---------------------------------------------------------------------------
// Attachments.

/// The files of a nomination: "一寸免冠照", "附两份最高荣誉证书扫描件", and
/// "《报名表》需加盖单位公章" scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// The one-inch photo (persons; JPEG or PNG; at most 2 MB; one, replaced explicitly).
    Photo,
    /// A scan of one of the two highest honour certificates (PDF, JPEG or PNG; at most 2).
    Certificate,
    /// The printed registration form, stamped and scanned: up to 10 pages as
    /// JPEG or PNG images, or one PDF (at most 10 MB each), in page order.
    RegistrationScan,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Certificate => "certificate",
            Self::RegistrationScan => "registration_scan",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "photo" => Some(Self::Photo),
            "certificate" => Some(Self::Certificate),
            "registration_scan" => Some(Self::RegistrationScan),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Photo => "一寸免冠照",
            Self::Certificate => "荣誉证书扫描件",
            Self::RegistrationScan => "盖章报名表扫描件",
        }
    }

    /// Largest accepted file, in bytes.
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Photo => PHOTO_MAX_BYTES,
            _ => SCAN_MAX_BYTES,
        }
    }

    /// How many of this kind a nomination keeps (a scan as images: its pages).
    pub fn max_count(self) -> usize {
        match self {
            Self::Photo => 1,
            Self::Certificate => CERTIFICATES_MAX,
            Self::RegistrationScan => SCAN_MAX_PAGES,
        }
    }
}

pub const PHOTO_MAX_BYTES: usize = 2 * 1024 * 1024;
pub const SCAN_MAX_BYTES: usize = 10 * 1024 * 1024;

/// "附两份最高荣誉证书扫描件": at most two certificate scans are kept.
pub const CERTIFICATES_MAX: usize = 2;

/// The stamped form (附件二, printed on A4) may take several pages: at most
/// this many images, or one PDF holding them all.
pub const SCAN_MAX_PAGES: usize = 10;

/// A file type recognised by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Pdf => "pdf",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        match mime {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "application/pdf" => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// The type of a file by its magic bytes — never by its name or the
/// content type the client declared.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    let kind = infer::get(bytes)?;
    FileType::from_mime(kind.mime_type())
}

/// Whether a file of this type is accepted as this attachment of a
/// nomination of this kind: the photo is a JPEG or PNG of a person; scans
/// are PDF, JPEG or PNG. 415 otherwise, saying what was received.
pub fn check_attachment_type(
    kind: AttachmentKind,
    nominee: NomineeKind,
    sniffed: Option<FileType>,
) -> ApiResult<FileType> {
    if kind == AttachmentKind::Photo && nominee == NomineeKind::Team {
        return Err(ApiError::validation(vec![FieldError::new(
            "/kind",
            "not_applicable",
            "团体推荐不上传一寸免冠照。",
        )]));
    }
    let got = match sniffed {
        Some(t) => format!("上传的文件实际为 {}", t.extension().to_uppercase()),
        None => "无法识别上传文件的类型".to_owned(),
    };
    match (kind, sniffed) {
        (AttachmentKind::Photo, Some(t @ (FileType::Jpeg | FileType::Png))) => Ok(t),
        (AttachmentKind::Photo, _) => Err(ApiError::new(ErrorCode::UnsupportedMediaType)
            .with_detail(format!(
                "一寸免冠照须为 JPEG 或 PNG 图片（按文件内容识别），{got}。"
            ))),
        (_, Some(t)) => Ok(t),
        (_, None) => Err(
            ApiError::new(ErrorCode::UnsupportedMediaType).with_detail(format!(
                "{}须为 PDF、JPEG 或 PNG 文件（按文件内容识别），{got}。",
                kind.label()
            )),
        ),
    }
}

/// A file already stored among those of its kind, for [`page_for_new_file`]
/// and [`check_replacement`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    /// Its place among the files of its kind, 1, 2, … (the scan's page).
    pub page: i32,
    pub file_type: Option<FileType>,
}

/// 409 `CONFLICT` for a kind that holds no more files, with `maximum`.
fn kind_full(maximum: usize, detail: String) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_detail(detail)
        .with_extension("maximum", (maximum as u64).into())
}

/// Where a new file of `kind` (of type `new`) goes among the `stored` ones
/// of its kind: the page after the last. Uploading never replaces anything
/// (replacing is its own request):
/// - the photo is one file: a second is 409 `ATTACHMENT_EXISTS` naming the
///   first (`existing_attachment_id`);
/// - "附两份最高荣誉证书扫描件": a third certificate is 409 `CONFLICT`
///   (`maximum` 2);
/// - the stamped form's scan is up to [`SCAN_MAX_PAGES`] images (an 11th is
///   409 `CONFLICT`, `maximum` 10) or one PDF alone (a PDF beside anything
///   else is 409 `CONFLICT`, `maximum` 1).
pub fn page_for_new_file(
    kind: AttachmentKind,
    stored: &[StoredFile],
    new: FileType,
) -> ApiResult<i32> {
    let next = || i32::try_from(stored.len() + 1).map_err(ApiError::internal);
    match kind {
        AttachmentKind::Photo => match stored.first() {
            None => next(),
            Some(first) => Err(ApiError::new(ErrorCode::AttachmentExists)
                .with_detail(
                    "已上传一寸免冠照。如需更换，请替换该照片（PUT /nominations/{id}/attachments/{attachment_id}），或先删除再上传。",
                )
                .with_extension("existing_attachment_id", first.id.into())),
        },
        AttachmentKind::Certificate if stored.len() >= CERTIFICATES_MAX => Err(kind_full(
            CERTIFICATES_MAX,
            format!(
                "最多上传 {CERTIFICATES_MAX} 份最高荣誉证书扫描件，已上传 {} 份。如需更换，请替换其中一份，或先删除一份。",
                stored.len()
            ),
        )),
        AttachmentKind::Certificate => next(),
        AttachmentKind::RegistrationScan => {
            if stored.iter().any(|f| f.file_type == Some(FileType::Pdf)) {
                return Err(kind_full(
                    1,
                    "盖章报名表扫描件已上传为一个 PDF 文件，PDF 须包含全部页面，不能再添加。如需更换，请替换该 PDF，或先删除。"
                        .to_owned(),
                ));
            }
            if new == FileType::Pdf && !stored.is_empty() {
                return Err(kind_full(
                    1,
                    format!(
                        "盖章报名表扫描件已上传 {} 页图片；扫描件须为最多 {SCAN_MAX_PAGES} 张图片或一个 PDF 文件，不能混合。请继续上传图片，或删除已上传的图片后上传 PDF。",
                        stored.len()
                    ),
                ));
            }
            if stored.len() >= SCAN_MAX_PAGES {
                return Err(kind_full(
                    SCAN_MAX_PAGES,
                    format!(
                        "盖章报名表扫描件最多 {SCAN_MAX_PAGES} 页，已上传 {} 页。如需更换某一页，请替换该页。",
                        stored.len()
                    ),
                ));
            }
            next()
        }
    }
}

/// Whether a file of type `new` may take the place of one file of `kind`
/// beside the `others` of its kind: a PDF scan stands alone, so a page of a
/// scan of several images is replaced by an image (409 `CONFLICT`,
/// `maximum` 1, otherwise). The type itself is [`check_attachment_type`]'s.
pub fn check_replacement(
    kind: AttachmentKind,
    others: &[StoredFile],
    new: FileType,
) -> ApiResult<()> {
    if kind == AttachmentKind::RegistrationScan && new == FileType::Pdf && !others.is_empty() {
        return Err(kind_full(
            1,
            format!(
                "盖章报名表扫描件共 {} 页图片；扫描件须为最多 {SCAN_MAX_PAGES} 张图片或一个 PDF 文件，不能混合。请以图片替换该页，或删除其他页后再以 PDF 替换。",
                others.len() + 1
            ),
        ));
    }
    Ok(())
}

/// "《报名表》需加盖单位公章，并附两份最高荣誉证书扫描件" (附件二 特别说明三):
/// what a submission lacks among its files — the photo (persons), the
/// certificate scans, the stamped form's scan. Reading: two certificates,
/// or as many as the form lists honours when it lists fewer than two (one
/// honour, one certificate); never more than two are kept.
pub fn missing_attachments(
    nominee: NomineeKind,
    photos: usize,
    certificates: usize,
    honours_listed: usize,
    scans: usize,
) -> Vec<FieldError> {
    let mut out = Vec::new();
    if nominee == NomineeKind::Person && photos == 0 {
        out.push(FieldError::new(
            "/attachments/photo",
            "required",
            "请上传一寸免冠照（JPEG 或 PNG）。",
        ));
    }
    let needed = certificates_needed(honours_listed);
    if certificates < needed {
        out.push(FieldError::new(
            "/attachments/certificate",
            if certificates == 0 { "required" } else { "count" },
            format!(
                "须附 {needed} 份最高荣誉证书扫描件（报名表列有 {honours_listed} 项荣誉），还差 {} 份。",
                needed - certificates
            ),
        ));
    }
    if scans == 0 {
        out.push(FieldError::new(
            "/attachments/registration_scan",
            "required",
            "请上传加盖单位公章的报名表扫描件。",
        ));
    }
    out
}

/// The files a nomination has, by kind (registration scans: its pages).
#[derive(Clone, Copy, Debug, Default)]
pub struct FileCounts {
    pub photos: usize,
    pub certificates: usize,
    pub registration_scans: usize,
}

/// What submitting this form with these files would refuse with 422: every
/// field rule broken (`check_fields`), every required field missing
/// (`missing_fields`) and every file missing (`missing_attachments`), once
/// per pointer, in pointer order. The one list submission answers and the
/// nomination view shows (`problems`), so a lead learns before the deadline
/// what the submission will say.
pub fn submission_problems(
    form: &RegistrationForm,
    kind: NomineeKind,
    categories: &[Category],
    today: NaiveDate,
    files: FileCounts,
) -> Vec<FieldError> {
    let mut errors = check_fields(form, kind, categories, today);
    for e in missing_fields(form, kind) {
        if !errors.iter().any(|x| x.pointer == e.pointer) {
            errors.push(e);
        }
    }
    errors.extend(missing_attachments(
        kind,
        files.photos,
        files.certificates,
        form.honours.as_ref().map_or(0, Vec::len),
        files.registration_scans,
    ));
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    errors
}

/// The exclusion list as a field problem (at the nominee's name), for the
/// warnings of a save and the problems of a draft: submission answers it
/// 409 `PREVIOUSLY_HONOURED`.
pub fn previously_honoured_problem(
    exclusions: &[Exclusion],
    form: &RegistrationForm,
    kind: NomineeKind,
) -> Option<FieldError> {
    let name = nominee_name(form, kind)?;
    let unit = form.unit.as_deref()?;
    let e = previously_honoured(exclusions, name, unit)?;
    let honour = e.note.clone().unwrap_or_else(|| "往届表彰".to_owned());
    let field = match kind {
        NomineeKind::Person => "name",
        NomineeKind::Team => "team_name",
    };
    Some(err(
        field,
        "previously_honoured",
        format!("{unit}{name}已获得“{honour}”，按通知要求不再参与本次推举。"),
    ))
}

/// One step of a nomination's checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistKey {
    /// The fields of 附件二.
    Form,
    /// Frontline staff or team, and the post (seed 002 二(二)).
    Frontline,
    /// The story, 300–3000 characters.
    Story,
    /// The nominee's consent.
    Consent,
    /// The one-inch photo (persons).
    Photo,
    /// The certificate scans (附件二 特别说明三).
    Certificates,
    /// The printed form, stamped and scanned (附件二 特别说明三, seed 002 五(二)).
    RegistrationScan,
    /// Not on the campaign's exclusion list (附件二 特别说明五).
    NotPreviouslyHonoured,
}

/// One step of what a lead still has to do before submitting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChecklistItem {
    pub key: ChecklistKey,
    /// What to do, in Chinese, e.g. 打印报名表、加盖单位公章后扫描上传.
    pub label: String,
    pub done: bool,
    /// The pointers of `problems` this step still has (empty when done).
    pub pointers: Vec<String>,
}

/// The checklist of a nomination from its problems (`submission_problems`
/// and `previously_honoured_problem`): each step with the problems that are
/// its own; persons have the photo step, teams do not.
pub fn checklist(
    kind: NomineeKind,
    problems: &[FieldError],
    honours_listed: usize,
) -> Vec<ChecklistItem> {
    let step_of = |e: &FieldError| -> ChecklistKey {
        match e.pointer.as_str() {
            "/form/frontline" | "/form/frontline_post" => ChecklistKey::Frontline,
            "/form/story" => ChecklistKey::Story,
            "/form/consent" => ChecklistKey::Consent,
            "/attachments/photo" => ChecklistKey::Photo,
            "/attachments/certificate" => ChecklistKey::Certificates,
            "/attachments/registration_scan" => ChecklistKey::RegistrationScan,
            _ if e.code == "previously_honoured" => ChecklistKey::NotPreviouslyHonoured,
            _ => ChecklistKey::Form,
        }
    };
    let needed = certificates_needed(honours_listed);
    let mut steps = vec![
        (
            ChecklistKey::Form,
            "填写报名表（附件二）的各项内容".to_owned(),
        ),
        (
            ChecklistKey::Frontline,
            "注明是否为学校后勤管理服务一线员工（团队）及一线岗位".to_owned(),
        ),
        (
            ChecklistKey::Story,
            "填写事迹材料（300–3000 字）".to_owned(),
        ),
        (
            ChecklistKey::Consent,
            "取得候选人本人同意：报送中国教育后勤协会并公开事迹材料和照片".to_owned(),
        ),
        (ChecklistKey::Photo, "上传一寸免冠照".to_owned()),
        (
            ChecklistKey::Certificates,
            format!("上传 {needed} 份最高荣誉证书扫描件"),
        ),
        (
            ChecklistKey::RegistrationScan,
            "下载报名表（Word）打印，加盖单位公章后扫描上传".to_owned(),
        ),
        (
            ChecklistKey::NotPreviouslyHonoured,
            "确认候选人不在往届表彰名单中".to_owned(),
        ),
    ];
    if kind == NomineeKind::Team {
        steps.retain(|(k, _)| *k != ChecklistKey::Photo);
    }
    steps
        .into_iter()
        .map(|(key, label)| {
            let pointers: Vec<String> = problems
                .iter()
                .filter(|e| step_of(e) == key)
                .map(|e| e.pointer.clone())
                .collect();
            ChecklistItem {
                key,
                label,
                done: pointers.is_empty(),
                pointers,
            }
        })
        .collect()
}

/// How many certificate scans a submission needs: two, or one per honour
/// the form lists when it lists fewer (at least one).
pub fn certificates_needed(honours_listed: usize) -> usize {
    honours_listed.clamp(1, 2)
}

/// The ETag of a nomination's representation.
pub fn etag(id: i64, version: i32) -> String {
    format!("\"n-{id}-v{version}\"")
}

/// `If-Match` (RFC 9110 §13.1.1): matches when it lists the current ETag
/// (strong comparison) or is `*`.
pub fn if_match_satisfied(header: &str, current: &str) -> bool {
    crate::platform::decision::if_match_satisfied(header, current)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn stage(name: &str, when: &str) -> Stage {
        Stage {
            name: name.to_owned(),
            when: StageWhen::parse(when).unwrap(),
            description: None,
        }
    }

    #[test]
    fn a_stage_is_a_day_a_month_or_an_instant() {
        let m = StageWhen::parse("2022-04").unwrap();
        assert_eq!(m.precision(), Precision::Month);
        assert_eq!(m.display(), "2022年4月");
        assert_eq!(
            clock::to_china(m.ends_at()).to_rfc3339(),
            "2022-05-01T00:00:00+08:00"
        );
        let d = StageWhen::parse("2021-12-10").unwrap();
        assert_eq!(d.to_string(), "2021-12-10");
        assert_eq!(d.display(), "2021年12月10日");
        assert!(StageWhen::parse("2022-13").is_err());
        assert!(StageWhen::parse("1999-04").is_err());
        assert_eq!(
            StageWhen::parse("2021-12-11T00:00:00+08:00")
                .unwrap()
                .precision(),
            Precision::Instant
        );
    }

    #[test]
    fn stage_order_follows_the_notice_and_the_district_deadline() {
        let deadline = clock::end_of_china_day(NaiveDate::from_ymd_opt(2021, 11, 3).unwrap());
        let notice = [
            stage("征集申报", "2021-12-10"),
            stage("材料审核", "2022-01-20"),
            stage("信息确认与公示", "2022-02-20"),
            stage("通报及事迹宣讲", "2022-04"),
        ];
        assert!(stage_order(&notice, deadline).is_empty());
        let swapped = [
            stage("材料审核", "2022-01-20"),
            stage("征集申报", "2021-12-10"),
        ];
        let errors = stage_order(&swapped, deadline);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/stages/1/when");
        let early = [stage("征集申报", "2021-11-02")];
        assert_eq!(stage_order(&early, deadline)[0].pointer, "/stages/0/when");
        assert!(stage_order(&[stage("汇总", "2021-11-03")], deadline).is_empty());
    }

    #[test]
    fn deadline_passed_says_whom_to_call_for_a_late_grant() {
        let deadline = clock::end_of_china_day(NaiveDate::from_ymd_opt(2021, 11, 3).unwrap());
        let contact = Contact {
            name: "郑云泽".to_owned(),
            role: Some("协会秘书处联系人".to_owned()),
            phone: Some("18583246978".to_owned()),
            email: None,
        };
        let e = check_filing_open(deadline, deadline, None, Some(&contact)).unwrap_err();
        assert!(
            e.detail.contains("郑云泽（18583246978）申请"),
            "{}",
            e.detail
        );
        assert_eq!(e.extensions["contact"]["phone"], "18583246978");
        assert!(
            check_filing_open(deadline, deadline, None, None)
                .unwrap_err()
                .detail
                .contains("请联系协会秘书处申请")
        );
    }
}
