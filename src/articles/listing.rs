//! Reading articles (SPEC §A, §D): the list with its filters and scopes,
//! one article, and the views both show (names loaded once per page, the
//! secretariat's likely duplicates).

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::articles::model::{
    ArticleQuery, ArticleView, AuthorView, DeclaredView, DuplicateRef, PointsView, ReviewView,
    Scope, SourceRef, VerificationView,
};
use crate::articles::rules::{self, ArticleStatus, OutletLevel, SourceKind, VerificationStatus};
use crate::entity::{article, article_duplicate, member, school, source};
use crate::organisation::lookup::OrgRef;
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult};
use crate::platform::pagination::{Page, PageParams, PageTokens};

/// Names the views need, loaded once per page.
#[derive(Default)]
struct Names {
    schools: HashMap<i64, String>,
    sources: HashMap<i64, (String, SourceKind)>,
    members: HashMap<i64, String>,
    duplicates: Option<HashMap<i64, Vec<DuplicateRef>>>,
}

async fn names(
    db: &impl ConnectionTrait,
    rows: &[article::Model],
    with_duplicates: bool,
) -> ApiResult<Names> {
    if rows.is_empty() {
        return Ok(Names::default());
    }
    let school_ids: HashSet<i64> = rows.iter().map(|a| a.school_id).collect();
    let source_ids: HashSet<i64> = rows.iter().map(|a| a.source_id).collect();
    let member_ids: HashSet<i64> = rows
        .iter()
        .filter_map(|a| a.first_author_member_id)
        .collect();
    let schools = school::Entity::find()
        .filter(school::Column::Id.is_in(school_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut sources = HashMap::new();
    for s in source::Entity::find()
        .filter(source::Column::Id.is_in(source_ids))
        .all(db)
        .await?
    {
        let kind = SourceKind::parse(&s.kind).unwrap_or(SourceKind::Official);
        sources.insert(s.id, (s.name, kind));
    }
    let members = if member_ids.is_empty() {
        HashMap::new()
    } else {
        member::Entity::find()
            .filter(member::Column::Id.is_in(member_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.real_name.unwrap_or(m.display_name)))
            .collect()
    };
    let duplicates = if with_duplicates {
        Some(likely_duplicates_of(db, rows).await?)
    } else {
        None
    };
    Ok(Names {
        schools,
        sources,
        members,
        duplicates,
    })
}

/// Unresolved likely duplicates of these articles: the other article is not
/// withdrawn and not already in the same duplicate group.
async fn likely_duplicates_of(
    db: &impl ConnectionTrait,
    rows: &[article::Model],
) -> ApiResult<HashMap<i64, Vec<DuplicateRef>>> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let pairs = article_duplicate::Entity::find()
        .filter(article_duplicate::Column::ArticleId.is_in(ids))
        .order_by_asc(article_duplicate::Column::OtherId)
        .all(db)
        .await?;
    let other_ids: HashSet<i64> = pairs.iter().map(|p| p.other_id).collect();
    let others: HashMap<i64, article::Model> = if other_ids.is_empty() {
        HashMap::new()
    } else {
        article::Entity::find()
            .filter(article::Column::Id.is_in(other_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    let groups: HashMap<i64, Option<i64>> =
        rows.iter().map(|a| (a.id, a.duplicate_group_id)).collect();
    let mut out: HashMap<i64, Vec<DuplicateRef>> = HashMap::new();
    for p in pairs {
        let Some(o) = others.get(&p.other_id) else {
            continue;
        };
        let same_group = matches!(
            (groups.get(&p.article_id).copied().flatten(), o.duplicate_group_id),
            (Some(a), Some(b)) if a == b
        );
        if same_group || o.status == ArticleStatus::Withdrawn.as_str() {
            continue;
        }
        out.entry(p.article_id).or_default().push(DuplicateRef {
            article_id: o.id,
            reason: p.reason,
            distance: p.distance,
            title: o.title.clone(),
            school_id: o.school_id,
            status: ArticleStatus::parse(&o.status).unwrap_or(ArticleStatus::Pending),
            canonical_url: o.canonical_url.clone(),
        });
    }
    Ok(out)
}

fn view(a: &article::Model, n: &Names) -> ArticleView {
    let (source_name, kind) = n
        .sources
        .get(&a.source_id)
        .cloned()
        .unwrap_or_else(|| (String::new(), SourceKind::Official));
    let author_name = match (a.first_author_member_id, &a.first_author_name) {
        (Some(id), _) => n.members.get(&id).cloned().unwrap_or_default(),
        (None, Some(name)) => name.clone(),
        (None, None) => String::new(),
    };
    ArticleView {
        id: a.id,
        url: a.url.clone(),
        canonical_url: a.canonical_url.clone(),
        school: OrgRef {
            id: a.school_id,
            name: n.schools.get(&a.school_id).cloned().unwrap_or_default(),
        },
        source: SourceRef {
            id: a.source_id,
            name: source_name,
            kind,
        },
        title: a.title.clone(),
        column: a.column_name.clone(),
        published_at: a.published_at.map(to_china),
        credit_year: a.credit_year,
        first_author: AuthorView {
            member_id: a.first_author_member_id,
            name: author_name,
        },
        submitted_by: a.submitted_by,
        declared_original: a.declared_original,
        declared: DeclaredView {
            title: a.declared_title.clone(),
            column: a.declared_column.clone(),
            published_on: a.declared_published_on,
        },
        status: ArticleStatus::parse(&a.status).unwrap_or(ArticleStatus::Pending),
        review: ReviewView {
            reason: a.review_reason.clone(),
            reviewed_at: a.reviewed_at.map(to_china),
            confirmed_level: a.confirmed_level.as_deref().and_then(OutletLevel::parse),
            approved_on_typed_data: a.approved_on_typed_data,
        },
        verification: VerificationView {
            status: VerificationStatus::parse(&a.verification_status)
                .unwrap_or(VerificationStatus::Pending),
            reason: a.verification_reason.clone(),
            checked_at: a.verified_at.map(to_china),
            title: a.page_title.clone(),
            column: a.page_column.clone(),
            published_at: a.page_published_at.map(to_china),
        },
        points: PointsView {
            site: a.site_points,
            bonus: a.bonus_points,
        },
        duplicate_group_id: a.duplicate_group_id,
        page_mismatch: a
            .page_mismatch
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok()),
        likely_duplicate_of: n
            .duplicates
            .as_ref()
            .map(|d| d.get(&a.id).cloned().unwrap_or_default()),
        created_at: to_china(a.created_at),
        updated_at: to_china(a.updated_at),
    }
}

/// The view of one article as `viewer` sees it.
pub(crate) async fn one_view(
    db: &impl ConnectionTrait,
    a: &article::Model,
    viewer: &Principal,
) -> ApiResult<ArticleView> {
    let n = names(db, std::slice::from_ref(a), viewer.is_secretariat()).await?;
    Ok(view(a, &n))
}

/// What a submission already holds for the view of the article it created.
pub(crate) struct Known {
    pub school_name: String,
    pub source_name: String,
    pub source_kind: SourceKind,
    /// The first author's name when they are a member and it is at hand
    /// (the submitter); read otherwise.
    pub author_name: Option<String>,
    /// Whether likely duplicates were stored for it.
    pub has_duplicates: bool,
}

/// The view of an article just submitted, as `viewer` sees it, from what the
/// submission holds: only what it does not hold is read (another member's
/// name as first author; the secretariat's likely duplicates, when any).
pub(crate) async fn submitted_view(
    db: &impl ConnectionTrait,
    a: &article::Model,
    viewer: &Principal,
    known: Known,
) -> ApiResult<ArticleView> {
    let members = match (a.first_author_member_id, known.author_name) {
        (Some(id), Some(name)) => HashMap::from([(id, name)]),
        (Some(id), None) => member::Entity::find_by_id(id)
            .one(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.real_name.unwrap_or(m.display_name)))
            .collect(),
        (None, _) => HashMap::new(),
    };
    let duplicates = match (viewer.is_secretariat(), known.has_duplicates) {
        (false, _) => None,
        (true, false) => Some(HashMap::new()),
        (true, true) => Some(likely_duplicates_of(db, std::slice::from_ref(a)).await?),
    };
    let names = Names {
        schools: HashMap::from([(a.school_id, known.school_name)]),
        sources: HashMap::from([(a.source_id, (known.source_name, known.source_kind))]),
        members,
        duplicates,
    };
    Ok(view(a, &names))
}

// ---------------------------------------------------------------- access

/// SPEC §D: the secretariat and the council read every article.
fn reads_all(p: &Principal) -> bool {
    p.is_secretariat() || p.has(Role::Council)
}

/// A correspondent reads their own articles and their schools' articles.
pub(crate) fn can_read(p: &Principal, a: &article::Model) -> bool {
    reads_all(p)
        || p.school_ids().contains(&a.school_id)
        || a.submitted_by == p.id()
        || a.first_author_member_id == Some(p.id())
}

/// The article with this id (404 `NOT_FOUND`).
pub(crate) async fn find_article(db: &impl ConnectionTrait, id: i64) -> ApiResult<article::Model> {
    article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(no_such_article)
}

/// 404 `NOT_FOUND` for an article id.
pub(crate) fn no_such_article() -> ApiError {
    ApiError::not_found().with_detail("稿件不存在。")
}

// ---------------------------------------------------------------- read

/// Articles, newest first, with the query's filters, as `viewer` may read
/// them: their own (`mine`) or their schools' (`school`); the secretariat and
/// the council read all; likely duplicates are the secretariat's filter.
pub async fn list(
    db: &impl ConnectionTrait,
    page_token_key: &[u8],
    p: &Principal,
    q: &ArticleQuery,
) -> ApiResult<Page<ArticleView>> {
    crate::articles::model::check_query_year(q.year)?;
    if q.likely_duplicate.is_some() && !p.is_secretariat() {
        return Err(ApiError::forbidden().with_detail("仅秘书处可以查看疑似重复稿件。"));
    }
    if q.page_mismatch.is_some() && !p.is_secretariat() {
        return Err(
            ApiError::forbidden().with_detail("仅秘书处可以按“网页与审核信息不一致”筛选稿件。")
        );
    }
    let scope = q.scope.unwrap_or(if reads_all(p) {
        Scope::All
    } else {
        Scope::Mine
    });
    let mut cond = Condition::all();
    match scope {
        Scope::Mine => {
            cond = cond.add(
                Condition::any()
                    .add(article::Column::SubmittedBy.eq(p.id()))
                    .add(article::Column::FirstAuthorMemberId.eq(p.id())),
            );
            if let Some(s) = q.school_id {
                cond = cond.add(article::Column::SchoolId.eq(s));
            }
        }
        Scope::School if reads_all(p) => {
            if let Some(s) = q.school_id {
                cond = cond.add(article::Column::SchoolId.eq(s));
            }
        }
        Scope::School => {
            let mine = p.school_ids();
            match q.school_id {
                Some(s) if mine.contains(&s) => cond = cond.add(article::Column::SchoolId.eq(s)),
                Some(_) => {
                    return Err(ApiError::forbidden().with_detail("只能查看本校的稿件。"));
                }
                None => cond = cond.add(article::Column::SchoolId.is_in(mine)),
            }
        }
        Scope::All if reads_all(p) => {
            if let Some(s) = q.school_id {
                cond = cond.add(article::Column::SchoolId.eq(s));
            }
        }
        Scope::All => {
            return Err(ApiError::forbidden().with_detail("仅秘书处和理事会可以查看全部稿件。"));
        }
    }
    if let Some(y) = q.year {
        cond = cond.add(article::Column::CreditYear.eq(y));
    }
    if let Some(s) = q.status {
        cond = cond.add(article::Column::Status.eq(s.as_str()));
    }
    match q.likely_duplicate {
        Some(true) => cond = cond.add(Expr::cust(rules::has_open_duplicate_sql())),
        Some(false) => {
            cond = cond.add(Expr::cust(format!(
                "NOT {}",
                rules::has_open_duplicate_sql()
            )))
        }
        None => {}
    }
    match q.page_mismatch {
        Some(true) => cond = cond.add(article::Column::PageMismatchAt.is_not_null()),
        Some(false) => cond = cond.add(article::Column::PageMismatchAt.is_null()),
        None => {}
    }
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(
        page_token_key,
        format!(
            "articles?m={}&sc={:?}&y={:?}&st={:?}&s={:?}&d={:?}&pm={:?}",
            p.id(),
            scope,
            q.year,
            q.status,
            q.school_id,
            q.likely_duplicate,
            q.page_mismatch
        ),
    );
    let before: Option<i64> = tokens.cursor(&params)?;
    if let Some(b) = before {
        cond = cond.add(article::Column::Id.lt(b));
    }
    let rows = article::Entity::find()
        .filter(cond)
        .order_by_desc(article::Column::Id)
        .limit(params.size() + 1)
        .all(db)
        .await?;
    let n = names(db, &rows, p.is_secretariat()).await?;
    let views: Vec<ArticleView> = rows.iter().map(|a| view(a, &n)).collect();
    tokens.page(views, params.size(), |a| a.id)
}

/// One article with its status, verification, points and (for the
/// secretariat) its likely duplicates; 403 unless `viewer` may read it.
pub async fn get(db: &impl ConnectionTrait, viewer: &Principal, id: i64) -> ApiResult<ArticleView> {
    let a = find_article(db, id).await?;
    if !can_read(viewer, &a) {
        return Err(ApiError::forbidden().with_detail("只能查看本校的稿件。"));
    }
    one_view(db, &a, viewer).await
}
