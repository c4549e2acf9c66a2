//! Article credit (seed 000 §六(一)(二), SPEC §A): which articles earn which
//! points, and how likely duplicates are found.
//!
//! # The points rule
//!
//! Every article row carries two derived integers, `site_points` and
//! `bonus_points` (0 or 1), kept up to date by the server whenever something
//! they depend on changes (review, merge, withdrawal, verification while
//! pending, a source's configuration). Standings are therefore plain SQL:
//!
//! ```sql
//! SELECT school_id, SUM(site_points) AS site, SUM(bonus_points) AS bonus
//! FROM articles WHERE credit_year = 2021 GROUP BY school_id;
//! -- individuals: GROUP BY author_key (member:<id> or name:<name>)
//! ```
//!
//! A row *qualifies* for a **site point** ([`earns_site_point`]) when all hold:
//! 1. its status is `approved` (a `repost`, `rejected`, `pending` or
//!    `withdrawn` article earns nothing);
//! 2. its source is of kind `official`;
//! 3. it has a credit year (publication date in China time) and the source
//!    counts in that year ([`SourceRules::counts_in_year`]: in 2019 only the
//!    association's own site);
//! 4. its column is counted by the source ([`SourceRules::counts_column`]).
//!
//! A row qualifies for a **bonus point** ([`earns_bonus_point`]) when it is
//! `approved`, its source is of kind `bonus`, the source counts in its year
//! and column, and — for a source that `needs_confirmation` (the open-ended
//! "provincial-or-higher media") — the secretariat confirmed the outlet's
//! level (`confirmed_level`).
//!
//! **Once per story** ([`group_points`]): articles merged into one duplicate
//! group are one story. In a group, the lowest-id row that qualifies for a
//! site point carries the group's one site point, and the lowest-id row that
//! qualifies for a bonus point carries the group's one bonus point; every
//! other row carries 0. An article not merged with anything is a group of
//! one. So the same story on both official sites earns 1 site point, and a
//! story carried by several bonus outlets earns at most 1 bonus point; a
//! story on an official site that a bonus outlet also carried earns one of
//! each (they are different kinds of credit).
//!
//! The points go to the carrying row's school (`school_id`) and first author
//! (`author_key`) in its `credit_year`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect, Set,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::articles::fingerprint;
use crate::articles::totals::{self, PersonKey};
use crate::entity::{article, article_duplicate, source};
use crate::platform::clock::{china_date, china_midnight, china_year, to_china};
use crate::platform::error::{ApiError, ApiResult};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $s:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

string_enum!(
    /// What kind of credit a source gives.
    SourceKind {
        /// One of the association's official sites: site points (网站积分).
        Official = "official",
        /// Provincial-or-higher media, 中国教育后勤协会网, 中国院校后勤信息网: bonus points (附加分).
        Bonus = "bonus",
    }
);

string_enum!(
    /// Where an article is in its review.
    ArticleStatus {
        /// Submitted, not yet reviewed.
        Pending = "pending",
        /// Counted (when the points rule says so).
        Approved = "approved",
        /// Not counted, with a reason.
        Rejected = "rejected",
        /// A repost from other media (转载): counts nothing.
        Repost = "repost",
        /// Withdrawn by its school (or by the secretariat).
        Withdrawn = "withdrawn",
    }
);

string_enum!(
    /// The server's fetch of the article's page.
    VerificationStatus {
        /// Queued or running.
        Pending = "pending",
        /// Fetched; title, date, column and fingerprint filled in where the page shows them.
        Verified = "verified",
        /// Could not be fetched or was refused; `reason` says why. The article stays pending for manual review.
        Failed = "failed",
        /// Not fetched: the link's site is not among the configured hosts (a
        /// "provincial-or-higher media" link), so the secretariat checks it by hand.
        Skipped = "skipped",
    }
);

string_enum!(
    /// The secretariat's review decision.
    Decision {
        Approve = "approve",
        Reject = "reject",
        /// Mark as a repost from other media (转载): counts nothing.
        Repost = "repost",
    }
);

string_enum!(
    /// The confirmed level of an outlet of a source that needs confirmation.
    OutletLevel {
        /// 省级 media.
        Provincial = "provincial",
        /// 国家级 (national) media.
        National = "national",
    }
);

/// How the duplicate pair was found.
pub const DUPLICATE_BY_TITLE: &str = "title";
pub const DUPLICATE_BY_TEXT: &str = "text";

/// One host entry of a source: a host name or address, optionally with a port
/// (`www.schqxh.org.cn`, `127.0.0.1:8080`, `[::1]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPattern {
    /// As `url` writes hosts: lower-case, IPv6 in brackets.
    pub host: String,
    pub port: Option<u16>,
}

impl HostPattern {
    /// Parses a host entry; `None` when it is not a bare host[:port].
    pub fn parse(entry: &str) -> Option<Self> {
        let e = entry.trim();
        if e.is_empty()
            || e.len() > 255
            || e.chars()
                .any(|c| c.is_whitespace() || matches!(c, '/' | '@' | '?' | '#' | '\\'))
        {
            return None;
        }
        let url = url::Url::parse(&format!("http://{e}/")).ok()?;
        let host = url.host_str()?.trim_end_matches('.').to_owned();
        if host.is_empty() {
            return None;
        }
        let explicit_port = e
            .rsplit_once(':')
            .filter(|(h, p)| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':')
            })
            .and_then(|(_, p)| p.parse::<u16>().ok());
        Some(Self {
            host,
            port: url.port().or(explicit_port),
        })
    }

    /// The entry as stored (`host` or `host:port`).
    pub fn to_entry(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// Whether a URL's host and port (its scheme's default when absent) match.
    pub fn matches(&self, host: &str, port: Option<u16>) -> bool {
        self.host == host.trim_end_matches('.') && self.port.is_none_or(|p| Some(p) == port)
    }
}

/// A source with its JSON columns read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRules {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    pub hosts: Vec<HostPattern>,
    /// Counted columns; empty = every column counts.
    pub columns: Vec<String>,
    /// Years in which the source counts, when listed one by one.
    pub years: Vec<i32>,
    /// Otherwise the range of counted years, inclusive, each end open when None.
    pub from_year: Option<i32>,
    pub until_year: Option<i32>,
    pub needs_confirmation: bool,
    pub allow_private_network: bool,
}

impl SourceRules {
    pub fn from_model(m: &source::Model) -> ApiResult<Self> {
        let bad =
            |what: &str| ApiError::internal(anyhow::anyhow!("source {} has invalid {what}", m.id));
        let hosts: Vec<String> = serde_json::from_str(&m.hosts).map_err(|_| bad("hosts"))?;
        Ok(Self {
            id: m.id,
            name: m.name.clone(),
            kind: SourceKind::parse(&m.kind).ok_or_else(|| bad("kind"))?,
            hosts: hosts.iter().filter_map(|h| HostPattern::parse(h)).collect(),
            columns: serde_json::from_str(&m.columns).map_err(|_| bad("columns"))?,
            years: serde_json::from_str(&m.years).map_err(|_| bad("years"))?,
            from_year: m.from_year,
            until_year: m.until_year,
            needs_confirmation: m.needs_confirmation,
            allow_private_network: m.allow_private_network,
        })
    }

    /// Seed 000 §六(二)1: "2019 年只统计“四川省高校后勤协会”官网" — which
    /// sources count is configuration per year: the listed `years` when the
    /// list is not empty, else the range `from_year`–`until_year` (inclusive,
    /// an absent end open: "from 2020 on" counts 2031 too); nothing set
    /// means every year.
    pub fn counts_in_year(&self, year: i32) -> bool {
        if self.years.is_empty() {
            self.from_year.is_none_or(|f| f <= year) && self.until_year.is_none_or(|u| year <= u)
        } else {
            self.years.contains(&year)
        }
    }

    /// Seed 000 §六(一): "对发布在“四川学校后勤与产业信息网”高校后勤动态信息和
    /// “四川高校后勤协会网”主页的学校后勤动态、协会新闻、招投标信息、理论与实践等栏目的稿件进行统计"
    /// — only the configured columns count; an empty list means every column.
    /// Columns are compared without whitespace.
    pub fn counts_column(&self, column: Option<&str>) -> bool {
        if self.columns.is_empty() {
            return true;
        }
        let Some(column) = column.map(squeeze).filter(|c| !c.is_empty()) else {
            return false;
        };
        self.columns.iter().any(|c| squeeze(c) == column)
    }

    /// The configured column named in `text` (a breadcrumb segment), if any.
    pub fn column_named(&self, text: &str) -> Option<String> {
        let t = squeeze(text);
        self.columns.iter().find(|c| squeeze(c) == t).cloned()
    }

    /// The host entry matching a URL's host and port, if any.
    pub fn host_match(&self, host: &str, port: Option<u16>) -> Option<&HostPattern> {
        self.hosts
            .iter()
            .filter(|h| h.matches(host, port))
            .max_by_key(|h| h.port.is_some())
    }

    /// Host entries as stored.
    pub fn host_entries(&self) -> Vec<String> {
        self.hosts.iter().map(HostPattern::to_entry).collect()
    }
}

/// Text without any whitespace (columns are matched this way).
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The source a URL belongs to: the one whose host entry matches the URL's
/// host and port, an entry with the exact port winning over a bare host.
pub fn source_for<'a>(
    sources: &'a [SourceRules],
    host: &str,
    port: Option<u16>,
) -> Option<&'a SourceRules> {
    sources
        .iter()
        .filter_map(|s| s.host_match(host, port).map(|h| (s, h.port.is_some())))
        .max_by_key(|(_, exact)| *exact)
        .map(|(s, _)| s)
}

/// Seed 000 §六(二) / SPEC §A rule 7: "An article's year is its publication
/// date on the site, in China time (Asia/Shanghai)" — published
/// 2021-12-31T23:30+08:00 counts for 2021.
pub fn credit_year(published_at: DateTime<Utc>) -> i32 {
    china_year(published_at)
}

/// A publication date given as a calendar day: midnight of that day in China time.
pub fn published_at_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    china_midnight(day)
}

/// The facts an approval stood on, or a page showed: what a
/// [`PageMismatch`] compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckedFacts {
    /// The publication date (China time).
    pub published_on: Option<NaiveDate>,
    /// The year it counts for (China time).
    pub credit_year: Option<i32>,
    pub column: Option<String>,
}

impl CheckedFacts {
    pub fn new(published_at: Option<DateTime<Utc>>, column: Option<&str>) -> Self {
        Self {
            published_on: published_at.map(china_date),
            credit_year: published_at.map(credit_year),
            column: column.map(str::to_owned),
        }
    }
}

/// An approved article whose page, checked after the approval, shows another
/// publication date or column than the approval stood on: flagged for the
/// secretariat with both values. The article keeps what was approved (its
/// points and credit year are not changed behind the secretariat's back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PageMismatch {
    /// When the page check found it (China time).
    pub found_at: DateTime<FixedOffset>,
    /// What disagrees: `published_on` (the China-time date), `column`.
    pub fields: Vec<String>,
    /// Whether the page's date falls in another credit year.
    pub credit_year_differs: bool,
    /// What the article was approved on (the typed facts).
    pub approved: CheckedFacts,
    /// What the page shows.
    pub page: CheckedFacts,
}

/// Issue 12 item 9, "when the page later disagrees with the typed date or
/// column, the article is flagged for the secretariat with both values": the
/// page's date (as a China-time day) or column (compared without whitespace)
/// differs from the approved one. What the page does not show cannot
/// disagree; a column the page shows where none was approved does.
pub fn page_mismatch(
    approved: CheckedFacts,
    page: CheckedFacts,
    found_at: DateTime<Utc>,
) -> Option<PageMismatch> {
    let mut fields = Vec::new();
    if page.published_on.is_some() && page.published_on != approved.published_on {
        fields.push("published_on".to_owned());
    }
    if let Some(shown) = page.column.as_deref()
        && approved.column.as_deref().map(squeeze) != Some(squeeze(shown))
    {
        fields.push("column".to_owned());
    }
    if fields.is_empty() {
        return None;
    }
    Some(PageMismatch {
        found_at: to_china(found_at),
        fields,
        credit_year_differs: page.credit_year.is_some() && page.credit_year != approved.credit_year,
        approved,
        page,
    })
}

/// The facts of one article that its points depend on.
#[derive(Clone, Debug)]
pub struct PointFacts {
    pub id: i64,
    pub status: ArticleStatus,
    pub credit_year: Option<i32>,
    pub column: Option<String>,
    pub confirmed_level: Option<OutletLevel>,
}

impl PointFacts {
    pub fn of(a: &article::Model) -> Self {
        Self {
            id: a.id,
            status: ArticleStatus::parse(&a.status).unwrap_or(ArticleStatus::Pending),
            credit_year: a.credit_year,
            column: a.column_name.clone(),
            confirmed_level: a.confirmed_level.as_deref().and_then(OutletLevel::parse),
        }
    }
}

/// Seed 000 §六(二)1 网站积分: "在“四川学校后勤与产业信息网”和“四川高校后勤协会网”
/// 发表的稿件，每篇稿件（或信息）1 分 …… 转载自其他媒体的稿件不计入统计范畴。"
/// — an approved, non-repost article of an official source that counts in the
/// article's year and column.
pub fn earns_site_point(a: &PointFacts, s: &SourceRules) -> bool {
    a.status == ArticleStatus::Approved
        && s.kind == SourceKind::Official
        && a.credit_year.is_some_and(|y| s.counts_in_year(y))
        && s.counts_column(a.column.as_deref())
}

/// Seed 000 §六(二)2 附加分: "在省级以上新闻媒体（报纸、新媒体、网站）和中国教育后勤协会网、
/// 中国院校后勤信息网刊登的后勤新闻报道，每篇 1 分。" — an approved article of a
/// bonus source (in a counted year and column); for the open-ended
/// provincial-or-higher media source only once the secretariat confirmed the
/// outlet's level.
pub fn earns_bonus_point(a: &PointFacts, s: &SourceRules) -> bool {
    a.status == ArticleStatus::Approved
        && s.kind == SourceKind::Bonus
        && a.credit_year.is_some_and(|y| s.counts_in_year(y))
        && s.counts_column(a.column.as_deref())
        && (!s.needs_confirmation || a.confirmed_level.is_some())
}

/// Seed 000 §六(一)/(二): "同一篇文章，只统计一次" and the decision "one story
/// earns at most one bonus point, however many outlets carried it" (多次多级采用
/// 按最高分值计分，不累计加分). Given the members of one duplicate group (one
/// story), answers `(id, site_points, bonus_points)` for each: the lowest-id
/// qualifying row carries the group's single site point, likewise for the
/// bonus point.
pub fn group_points(members: &[(PointFacts, &SourceRules)]) -> Vec<(i64, i32, i32)> {
    let site_holder = members
        .iter()
        .filter(|(a, s)| earns_site_point(a, s))
        .map(|(a, _)| a.id)
        .min();
    let bonus_holder = members
        .iter()
        .filter(|(a, s)| earns_bonus_point(a, s))
        .map(|(a, _)| a.id)
        .min();
    members
        .iter()
        .map(|(a, _)| {
            (
                a.id,
                i32::from(site_holder == Some(a.id)),
                i32::from(bonus_holder == Some(a.id)),
            )
        })
        .collect()
}

/// The grouping key of a first author: `member:<id>` or `name:<name without spaces>`.
pub fn author_key(member_id: Option<i64>, name: Option<&str>) -> String {
    match (member_id, name) {
        (Some(id), _) => format!("member:{id}"),
        (None, Some(n)) => format!("name:{}", squeeze(n)),
        (None, None) => "unknown".to_owned(),
    }
}

/// All sources, read.
pub async fn load_sources(db: &impl ConnectionTrait) -> ApiResult<Vec<SourceRules>> {
    source::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(SourceRules::from_model)
        .collect()
}

/// The members of an article's duplicate group (itself alone when not merged).
pub async fn group_members(
    db: &impl ConnectionTrait,
    a: &article::Model,
) -> ApiResult<Vec<article::Model>> {
    Ok(match a.duplicate_group_id {
        Some(g) => {
            article::Entity::find()
                .filter(article::Column::DuplicateGroupId.eq(g))
                .all(db)
                .await?
        }
        None => vec![a.clone()],
    })
}

/// Recomputes `site_points` / `bonus_points` of the group of `article_id`
/// per [`group_points`], writing only rows that change, and the kept
/// standings totals of the people (and schools) whose points changed.
pub async fn recompute_points(db: &impl ConnectionTrait, article_id: i64) -> ApiResult<()> {
    let changed = recompute_group(db, article_id).await?;
    totals::refresh(db, changed).await
}

/// [`recompute_points`] without the totals: answers the first authors whose
/// points changed, for the caller to refresh.
async fn recompute_group(db: &impl ConnectionTrait, article_id: i64) -> ApiResult<Vec<PersonKey>> {
    let Some(a) = article::Entity::find_by_id(article_id).one(db).await? else {
        return Ok(Vec::new());
    };
    let members = group_members(db, &a).await?;
    let source_ids: BTreeSet<i64> = members.iter().map(|m| m.source_id).collect();
    let sources: HashMap<i64, SourceRules> = source::Entity::find()
        .filter(source::Column::Id.is_in(source_ids))
        .all(db)
        .await?
        .iter()
        .map(|s| SourceRules::from_model(s).map(|r| (r.id, r)))
        .collect::<ApiResult<_>>()?;
    let mut facts = Vec::with_capacity(members.len());
    for m in &members {
        let s = sources
            .get(&m.source_id)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("article {} has no source", m.id)))?;
        facts.push((PointFacts::of(m), s));
    }
    let current: HashMap<i64, &article::Model> = members.iter().map(|m| (m.id, m)).collect();
    let mut changed = Vec::new();
    for (id, site, bonus) in group_points(&facts) {
        let Some(m) = current.get(&id) else {
            continue;
        };
        if (m.site_points, m.bonus_points) != (site, bonus) {
            article::Entity::update_many()
                .col_expr(article::Column::SitePoints, Expr::val(site))
                .col_expr(article::Column::BonusPoints, Expr::val(bonus))
                .filter(article::Column::Id.eq(id))
                .exec(db)
                .await?;
            changed.extend(PersonKey::of(m));
        }
    }
    Ok(changed)
}

/// After a source's configuration changed: recomputes every group holding an
/// approved article of that source (or a row that carries points from it),
/// then the totals of everyone whose points changed (a year with many of
/// them is rebuilt whole).
pub async fn recompute_source(db: &impl ConnectionTrait, source_id: i64) -> ApiResult<()> {
    let rows: Vec<(i64, Option<i64>)> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .column(article::Column::DuplicateGroupId)
        .filter(article::Column::SourceId.eq(source_id))
        .filter(
            article::Column::Status
                .eq(ArticleStatus::Approved.as_str())
                .or(article::Column::SitePoints.gt(0))
                .or(article::Column::BonusPoints.gt(0)),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut seen_groups = BTreeSet::new();
    let mut changed = Vec::new();
    for (id, group) in rows {
        if group.is_none_or(|g| seen_groups.insert(g)) {
            changed.extend(recompute_group(db, id).await?);
        }
    }
    totals::refresh(db, changed).await
}

/// A likely duplicate of an article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LikelyDuplicate {
    pub other_id: i64,
    pub reason: &'static str,
    pub distance: Option<i32>,
}

/// SPEC §A rules 2 and 9: "Two submissions with the same normalised title from
/// the same school in the same year are flagged as a likely duplicate", and
/// near-identical page text (SimHash distance ≤ 3) in the same year. Withdrawn
/// articles are never candidates.
pub async fn find_likely_duplicates(
    db: &impl ConnectionTrait,
    a: &article::Model,
) -> ApiResult<Vec<LikelyDuplicate>> {
    let mut found: BTreeMap<i64, LikelyDuplicate> = BTreeMap::new();
    let Some(year) = a.credit_year else {
        return Ok(Vec::new());
    };
    if let Some(title) = a.title_norm.as_deref().filter(|t| !t.is_empty()) {
        let ids: Vec<i64> = article::Entity::find()
            .select_only()
            .column(article::Column::Id)
            .filter(article::Column::CreditYear.eq(year))
            .filter(article::Column::SchoolId.eq(a.school_id))
            .filter(article::Column::TitleNorm.eq(title))
            .filter(article::Column::Id.ne(a.id))
            .filter(article::Column::Status.ne(ArticleStatus::Withdrawn.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        for id in ids {
            found.insert(
                id,
                LikelyDuplicate {
                    other_id: id,
                    reason: DUPLICATE_BY_TITLE,
                    distance: None,
                },
            );
        }
    }
    if let Some(fp) = a.fingerprint.map(fingerprint::from_stored) {
        let [b0, b1, b2, b3] = fingerprint::bands(fp);
        let rows: Vec<(i64, Option<i64>)> = article::Entity::find()
            .select_only()
            .column(article::Column::Id)
            .column(article::Column::Fingerprint)
            .filter(article::Column::CreditYear.eq(year))
            .filter(
                article::Column::FpBand0
                    .eq(b0)
                    .or(article::Column::FpBand1.eq(b1))
                    .or(article::Column::FpBand2.eq(b2))
                    .or(article::Column::FpBand3.eq(b3)),
            )
            .filter(article::Column::Id.ne(a.id))
            .filter(article::Column::Status.ne(ArticleStatus::Withdrawn.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, other) in rows {
            let Some(other) = other.map(fingerprint::from_stored) else {
                continue;
            };
            let d = fingerprint::hamming(fp, other);
            if d <= fingerprint::NEAR_DUPLICATE_DISTANCE {
                found.entry(id).or_insert(LikelyDuplicate {
                    other_id: id,
                    reason: DUPLICATE_BY_TEXT,
                    distance: i32::try_from(d).ok(),
                });
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Replaces the stored likely-duplicate pairs of an article (both directions).
pub async fn refresh_likely_duplicates(
    db: &impl ConnectionTrait,
    a: &article::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    article_duplicate::Entity::delete_many()
        .filter(
            article_duplicate::Column::ArticleId
                .eq(a.id)
                .or(article_duplicate::Column::OtherId.eq(a.id)),
        )
        .exec(db)
        .await?;
    add_likely_duplicates(db, a, now).await
}

/// Stores the likely-duplicate pairs of an article that has none stored (a
/// new one: nothing to replace). Answers how many it found.
pub async fn add_likely_duplicates(
    db: &impl ConnectionTrait,
    a: &article::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let found = find_likely_duplicates(db, a).await?;
    if found.is_empty() {
        return Ok(0);
    }
    let mut rows = Vec::with_capacity(found.len() * 2);
    for d in &found {
        for (x, y) in [(a.id, d.other_id), (d.other_id, a.id)] {
            rows.push(article_duplicate::ActiveModel {
                article_id: Set(x),
                other_id: Set(y),
                reason: Set(d.reason.to_owned()),
                distance: Set(d.distance),
                created_at: Set(now),
            });
        }
    }
    article_duplicate::Entity::insert_many(rows)
        .on_conflict_do_nothing()
        .exec(db)
        .await?;
    Ok(found.len())
}

/// The SQL condition "this article (table `articles`) has a likely duplicate
/// that is neither withdrawn nor already merged into its group".
pub fn has_open_duplicate_sql() -> &'static str {
    "EXISTS (SELECT 1 FROM article_duplicates d JOIN articles o ON o.id = d.other_id \
     WHERE d.article_id = articles.id AND o.status <> 'withdrawn' \
     AND (articles.duplicate_group_id IS NULL OR o.duplicate_group_id IS NULL \
     OR o.duplicate_group_id <> articles.duplicate_group_id))"
}
