//! Sources (来源): the sites and outlets whose articles earn credit, managed
//! by the secretariat. Their hosts, counted columns and counted years are
//! configuration, not code (SPEC §A rules 1, 4, 5, 6).

use std::collections::BTreeSet;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::articles::rules::{self, HostPattern, SourceKind, SourceRules};
use crate::entity::{article, source};
use crate::identity::principal::Secretariat;
use crate::identity::roles::Role;
use crate::platform::audit::{self, Entry};
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::ValidJson;
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::state::AppState;

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
    /// Years in which the source counts; empty = every year.
    pub years: Vec<i32>,
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
    fn of(m: &source::Model) -> ApiResult<Self> {
        let r = SourceRules::from_model(m)?;
        Ok(Self {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind,
            hosts: r.host_entries(),
            columns: r.columns,
            years: r.years,
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
    #[param(minimum = 0, maximum = 1000)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// Sources, by id. Public: the mini-program shows where articles may be published.
#[utoipa::path(tag = "sources", params(SourceQuery), responses((status = 200, body = Page<SourceView>)))]
#[get("/sources")]
pub async fn list_sources(
    state: web::Data<AppState>,
    q: web::Query<SourceQuery>,
) -> ApiResult<HttpResponse> {
    let params = PageParams {
        page_size: q.page_size,
        page_token: q.page_token.clone(),
    };
    let tokens = PageTokens::new(&state.page_token_key, format!("sources?y={:?}", q.year));
    let after: Option<i64> = tokens.cursor(&params)?;
    let mut query = source::Entity::find().order_by_asc(source::Column::Id);
    if let Some(after) = after {
        query = query.filter(source::Column::Id.gt(after));
    }
    // Sources are configuration (a handful of rows); the year is a JSON list.
    let size = usize::try_from(params.size()).unwrap_or(usize::MAX);
    let mut views = Vec::new();
    for m in query.all(&state.db).await? {
        let r = SourceRules::from_model(&m)?;
        if q.year.is_none_or(|y| r.counts_in_year(y)) {
            views.push(SourceView::of(&m)?);
        }
        if views.len() > size {
            break;
        }
    }
    Ok(HttpResponse::Ok().json(tokens.page(views, params.size(), |s| s.id)?))
}

fn columns_rules(cols: &[String]) -> Result<(), validator::ValidationError> {
    if cols
        .iter()
        .any(|c| crate::platform::text::single_line(c).is_err() || c.trim().chars().count() > 64)
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
pub struct SourceInput {
    /// 1–64 characters, unique.
    #[validate(
        length(min = 1, max = 64, message = "来源名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub name: String,
    pub kind: SourceKind,
    /// Host names (`www.schqxh.org.cn`, optionally `host:port`), at most 20;
    /// each belongs to one source only.
    #[validate(length(max = 20, message = "网站地址最多 20 个。"))]
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Counted columns; empty (the default) = every column counts.
    #[validate(
        length(max = 50, message = "栏目最多 50 个。"),
        custom(function = "columns_rules")
    )]
    #[serde(default)]
    pub columns: Vec<String>,
    /// Years in which the source counts; empty (the default) = every year.
    #[validate(
        length(max = 100, message = "年份最多 100 个。"),
        custom(function = "years_rules")
    )]
    #[serde(default)]
    pub years: Vec<i32>,
    /// Only for `bonus` sources (default false).
    pub needs_confirmation: Option<bool>,
    /// Default false; refused in production.
    pub allow_private_network: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcePatch {
    #[validate(
        length(min = 1, max = 64, message = "来源名称须为 1–64 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    pub name: Option<String>,
    pub kind: Option<SourceKind>,
    #[validate(length(max = 20, message = "网站地址最多 20 个。"))]
    pub hosts: Option<Vec<String>>,
    #[validate(
        length(max = 50, message = "栏目最多 50 个。"),
        custom(function = "columns_rules")
    )]
    pub columns: Option<Vec<String>>,
    #[validate(
        length(max = 100, message = "年份最多 100 个。"),
        custom(function = "years_rules")
    )]
    pub years: Option<Vec<i32>>,
    pub needs_confirmation: Option<bool>,
    pub allow_private_network: Option<bool>,
    /// Why (kept in the audit log).
    #[validate(length(max = 500, message = "原因不能超过 500 个字。"))]
    pub reason: Option<String>,
}

/// The checked, normalised configuration of a source.
struct Config {
    name: String,
    kind: SourceKind,
    hosts: Vec<String>,
    columns: Vec<String>,
    years: Vec<i32>,
    needs_confirmation: bool,
    allow_private_network: bool,
}

impl Config {
    fn check(&self, state: &AppState) -> ApiResult<()> {
        let mut errors = Vec::new();
        if self.needs_confirmation && self.kind != SourceKind::Bonus {
            errors.push(FieldError::new(
                "/needs_confirmation",
                "kind",
                "只有附加分来源（bonus）需要人工确认媒体级别。",
            ));
        }
        if self.allow_private_network && state.settings.is_production() {
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

/// Create a source (secretariat). Audited.
#[utoipa::path(
    tag = "sources",
    security(("bearer_auth" = [])),
    request_body = SourceInput,
    responses(
        (status = 201, body = SourceView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 409, description = "`CONFLICT` (the name is taken) or `SOURCE_HOST_TAKEN` (a host belongs to another source)"),
    )
)]
#[post("/sources")]
pub async fn create_source(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<SourceInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let config = Config {
        name: input.name.trim().to_owned(),
        kind: input.kind,
        hosts: parse_hosts(&input.hosts)?,
        columns: clean_columns(&input.columns),
        years: clean_years(&input.years),
        needs_confirmation: input.needs_confirmation.unwrap_or(false),
        allow_private_network: input.allow_private_network.unwrap_or(false),
    };
    config.check(&state)?;
    let (hosts, columns, years) = config.json()?;
    let now = state.now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    hosts_free(&txn, &config.hosts, None).await?;
    let m = source::ActiveModel {
        name: Set(config.name.clone()),
        kind: Set(config.kind.as_str().to_owned()),
        hosts: Set(hosts),
        columns: Set(columns),
        years: Set(years),
        needs_confirmation: Set(config.needs_confirmation),
        allow_private_network: Set(config.allow_private_network),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    let view = SourceView::of(&m)?;
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "source.create", "source", m.id),
        None::<&()>,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// Change a source (secretariat). Audited. The points of the source's
/// approved articles are recomputed under the new configuration (kind,
/// columns, years, confirmation).
#[utoipa::path(
    tag = "sources",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Source id")),
    request_body = SourcePatch,
    responses(
        (status = 200, body = SourceView),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT` (the name is taken) or `SOURCE_HOST_TAKEN`"),
    )
)]
#[patch("/sources/{id}")]
pub async fn update_source(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<SourcePatch>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let now = state.now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let before = source::Entity::find_by_id(*path)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("来源不存在。"))?;
    let current = SourceRules::from_model(&before)?;
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
        years: input
            .years
            .as_deref()
            .map(clean_years)
            .unwrap_or(current.years.clone()),
        needs_confirmation: input
            .needs_confirmation
            .unwrap_or(current.needs_confirmation),
        allow_private_network: input
            .allow_private_network
            .unwrap_or(current.allow_private_network),
    };
    config.check(&state)?;
    hosts_free(&txn, &config.hosts, Some(before.id)).await?;
    let (hosts, columns, years) = config.json()?;
    let mut am: source::ActiveModel = before.clone().into();
    am.name = Set(config.name.clone());
    am.kind = Set(config.kind.as_str().to_owned());
    am.hosts = Set(hosts);
    am.columns = Set(columns);
    am.years = Set(years);
    am.needs_confirmation = Set(config.needs_confirmation);
    am.allow_private_network = Set(config.allow_private_network);
    am.updated_at = Set(now);
    let after = am.update(&txn).await.map_err(name_taken)?;
    if config.kind != current.kind {
        article::Entity::update_many()
            .col_expr(article::Column::SourceKind, Expr::val(config.kind.as_str()))
            .filter(article::Column::SourceId.eq(before.id))
            .exec(&txn)
            .await?;
    }
    rules::recompute_source(&txn, before.id).await?;
    let (before_view, after_view) = (SourceView::of(&before)?, SourceView::of(&after)?);
    audit::record(
        &txn,
        now,
        Entry::by(&p, Role::Secretariat, "source.update", "source", after.id)
            .reason(input.reason.as_deref()),
        Some(&before_view),
        Some(&after_view),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(after_view))
}
