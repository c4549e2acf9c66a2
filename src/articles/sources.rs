//! Sources (来源): the sites and outlets whose articles earn credit, managed
//! by the secretariat. Their hosts, counted columns and counted years are
//! configuration, not code (SPEC §A rules 1, 4, 5, 6): listing, creating and
//! changing them (the points of their articles follow the new configuration).
//! Counted years are a list (`years`) or a range (`from_year`–`until_year`,
//! either end open: "from 2020 on" keeps counting in 2031).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use serde::Serialize;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::articles::model::{SourceInput, SourcePatch, SourceQuery, SourceView};
use crate::articles::rules::{self, HostPattern, SourceKind, SourceRules};
use crate::entity::{article, source};
use crate::platform::audit::{self, Entry};
use crate::platform::cache::Cache;
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};

/// The name the sources' rules are remembered under in each process
/// (see [`Cache::remembered`]).
const REMEMBERED: &str = "article-sources";

/// Every source's rules as configured now: read once per process and
/// remembered until a change ([`changed`]) or for
/// [`crate::platform::cache::MEMO_MAX_AGE`] at most.
pub async fn current(cache: &Cache, db: &impl ConnectionTrait) -> ApiResult<Arc<Vec<SourceRules>>> {
    cache
        .remembered(REMEMBERED, || rules::load_sources(db))
        .await
}

/// After a change of the sources was committed, before it is answered: every
/// process reads them again, so none serves a rule the secretariat was told
/// is gone. When the shared cache cannot be told, the answer is 503 (the
/// change is saved; sending it again is safe).
pub async fn changed(cache: &Cache) -> ApiResult<()> {
    Ok(cache.invalidate(REMEMBERED).await?)
}

/// Sources, by id, optionally only those that count in `q.year`.
pub async fn list(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    q: &SourceQuery,
) -> ApiResult<Page<SourceView>> {
    crate::articles::model::check_query_year(q.year)?;
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(page_token_key, format!("sources?y={:?}", q.year));
    let after: Option<i64> = tokens.cursor(&params)?;
    let mut query = source::Entity::find().order_by_asc(source::Column::Id);
    if let Some(after) = after {
        query = query.filter(source::Column::Id.gt(after));
    }
    // Sources are configuration (a handful of rows); the year is a JSON list.
    let size = usize::try_from(params.size()).unwrap_or(usize::MAX);
    let mut views = Vec::new();
    for m in query.all(db).await? {
        let r = SourceRules::from_model(&m)?;
        if q.year.is_none_or(|y| r.counts_in_year(y)) {
            views.push(SourceView::of(&m)?);
        }
        if views.len() > size {
            break;
        }
    }
    tokens.page(views, params.size(), |s| s.id)
}

/// The checked, normalised configuration of a source.
struct Config {
    name: String,
    kind: SourceKind,
    hosts: Vec<String>,
    columns: Vec<String>,
    years: Vec<i32>,
    from_year: Option<i32>,
    until_year: Option<i32>,
    needs_confirmation: bool,
    allow_private_network: bool,
}

/// The counted years a change asks for: a list or a range (SPEC §A rule 5,
/// see [`SourceRules::counts_in_year`]). A non-empty `years` sent without a
/// range end clears the range; a range end sent without `years` clears the
/// list: what was sent last replaces what was there (an older client that
/// only knows `years` keeps meaning what it says).
fn counted_years(
    input: &SourcePatch,
    current: &SourceRules,
) -> (Vec<i32>, Option<i32>, Option<i32>) {
    let range_sent = input.from_year.is_some() || input.until_year.is_some();
    let years = match &input.years {
        Some(y) => clean_years(y),
        None if range_sent => Vec::new(),
        None => current.years.clone(),
    };
    let list_sent = input.years.as_ref().is_some_and(|y| !y.is_empty());
    let end = |sent: Option<Option<i32>>, now: Option<i32>| match sent {
        Some(v) => v,
        None if list_sent => None,
        None => now,
    };
    (
        years,
        end(input.from_year, current.from_year),
        end(input.until_year, current.until_year),
    )
}

impl Config {
    /// The rules between fields; `production` refuses private network access.
    fn check(&self, production: bool) -> ApiResult<()> {
        let mut errors = Vec::new();
        for (pointer, year) in [
            ("/from_year", self.from_year),
            ("/until_year", self.until_year),
        ] {
            if year.is_some_and(|y| !(2000..=2100).contains(&y)) {
                errors.push(FieldError::new(
                    pointer,
                    "range",
                    "年份须在 2000–2100 之间。",
                ));
            }
        }
        if let (Some(f), Some(u)) = (self.from_year, self.until_year)
            && u < f
        {
            errors.push(FieldError::new(
                "/until_year",
                "order",
                "截止年份不能早于起始年份。",
            ));
        }
        if !self.years.is_empty() && (self.from_year.is_some() || self.until_year.is_some()) {
            errors.push(FieldError::new(
                "/years",
                "exclusive",
                "计分年份请二选一：逐年列出（years），或填写起止年份（from_year、until_year）。",
            ));
        }
        if self.needs_confirmation && self.kind != SourceKind::Bonus {
            errors.push(FieldError::new(
                "/needs_confirmation",
                "kind",
                "只有附加分来源（bonus）需要人工确认媒体级别。",
            ));
        }
        if self.allow_private_network && production {
            errors.push(FieldError::new(
                "/allow_private_network",
                "production",
                "生产环境不允许访问内网地址。",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(errors))
        }
    }

    fn json(&self) -> ApiResult<(String, String, String)> {
        Ok((
            to_json(&self.hosts)?,
            to_json(&self.columns)?,
            to_json(&self.years)?,
        ))
    }
}

fn to_json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

/// Host entries parsed and normalised (`WWW.Example.CN.` → `www.example.cn`), deduplicated.
fn parse_hosts(entries: &[String]) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match HostPattern::parse(e) {
            Some(h) => {
                let entry = h.to_entry();
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
            None => errors.push(FieldError::new(
                &format!("/hosts/{i}"),
                "format",
                "网站地址格式不正确，只填域名（可带端口），如 www.schqxh.org.cn。",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}

fn clean_columns(cols: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in cols {
        let c = c.trim().to_owned();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn clean_years(years: &[i32]) -> Vec<i32> {
    years
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Refuses a host that already belongs to another source (409 `SOURCE_HOST_TAKEN`).
async fn hosts_free(
    db: &impl ConnectionTrait,
    hosts: &[String],
    except: Option<i64>,
) -> ApiResult<()> {
    for other in source::Entity::find().all(db).await? {
        if Some(other.id) == except {
            continue;
        }
        let r = SourceRules::from_model(&other)?;
        let theirs = r.host_entries();
        if let Some((i, h)) = hosts.iter().enumerate().find(|(_, h)| theirs.contains(h)) {
            return Err(ApiError::new(ErrorCode::SourceHostTaken)
                .with_detail(format!("网站地址 {h} 已属于来源“{}”。", r.name))
                .with_extension("field", format!("/hosts/{i}").into()));
        }
    }
    Ok(())
}

fn name_taken(e: sea_orm::DbErr) -> ApiError {
    if crate::platform::db::is_unique_violation(&e) {
        ApiError::new(ErrorCode::Conflict)
            .with_detail("已有同名来源。")
            .with_extension("field", "/name".into())
    } else {
        e.into()
    }
}

/// Creates a source (secretariat). Audited. `production` refuses private
/// network access.
pub async fn create(
    tx: Tx,
    p: &Principal,
    input: &SourceInput,
    production: bool,
    now: DateTime<Utc>,
) -> ApiResult<SourceView> {
    let txn = &*tx;
    let config = Config {
        name: input.name.trim().to_owned(),
        kind: input.kind,
        hosts: parse_hosts(&input.hosts)?,
        columns: clean_columns(&input.columns),
        years: clean_years(&input.years),
        from_year: input.from_year,
        until_year: input.until_year,
        needs_confirmation: input.needs_confirmation.unwrap_or(false),
        allow_private_network: input.allow_private_network.unwrap_or(false),
    };
    config.check(production)?;
    let (hosts, columns, years) = config.json()?;
    hosts_free(txn, &config.hosts, None).await?;
    let m = source::ActiveModel {
        name: Set(config.name.clone()),
        kind: Set(config.kind.as_str().to_owned()),
        hosts: Set(hosts),
        columns: Set(columns),
        years: Set(years),
        from_year: Set(config.from_year),
        until_year: Set(config.until_year),
        needs_confirmation: Set(config.needs_confirmation),
        allow_private_network: Set(config.allow_private_network),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(name_taken)?;
    let view = SourceView::of(&m)?;
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "source.create", "source", m.id),
        None::<&()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// Changes a source (secretariat). Audited. The points of the source's
/// approved articles are recomputed under the new configuration.
pub async fn update(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &SourcePatch,
    production: bool,
    now: DateTime<Utc>,
) -> ApiResult<SourceView> {
    let txn = &*tx;
    let before = source::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("来源不存在。"))?;
    let current = SourceRules::from_model(&before)?;
    let (years, from_year, until_year) = counted_years(input, &current);
    let config = Config {
        name: input
            .name
            .as_deref()
            .map(|n| n.trim().to_owned())
            .unwrap_or(current.name.clone()),
        kind: input.kind.unwrap_or(current.kind),
        hosts: match &input.hosts {
            Some(h) => parse_hosts(h)?,
            None => current.host_entries(),
        },
        columns: input
            .columns
            .as_deref()
            .map(clean_columns)
            .unwrap_or(current.columns.clone()),
        years,
        from_year,
        until_year,
        needs_confirmation: input
            .needs_confirmation
            .unwrap_or(current.needs_confirmation),
        allow_private_network: input
            .allow_private_network
            .unwrap_or(current.allow_private_network),
    };
    config.check(production)?;
    hosts_free(txn, &config.hosts, Some(before.id)).await?;
    let (hosts, columns, years) = config.json()?;
    let mut am: source::ActiveModel = before.clone().into();
    am.name = Set(config.name.clone());
    am.kind = Set(config.kind.as_str().to_owned());
    am.hosts = Set(hosts);
    am.columns = Set(columns);
    am.years = Set(years);
    am.from_year = Set(config.from_year);
    am.until_year = Set(config.until_year);
    am.needs_confirmation = Set(config.needs_confirmation);
    am.allow_private_network = Set(config.allow_private_network);
    am.updated_at = Set(now);
    let after = am.update(txn).await.map_err(name_taken)?;
    if config.kind != current.kind {
        article::Entity::update_many()
            .col_expr(article::Column::SourceKind, Expr::val(config.kind.as_str()))
            .filter(article::Column::SourceId.eq(before.id))
            .exec(txn)
            .await?;
    }
    rules::recompute_source(txn, before.id).await?;
    let (before_view, after_view) = (SourceView::of(&before)?, SourceView::of(&after)?);
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "source.update", "source", after.id)
            .reason(input.reason.as_deref()),
        Some(&before_view),
        Some(&after_view),
    )
    .await?;
    Ok(after_view)
}
