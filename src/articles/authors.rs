//! The first authors of a school as people (seed 000 §六(三)2: 先进个人 are
//! ranked by the first author's articles): a per-school registry in which a
//! typed name and a member are one person once linked.
//!
//! - A submission naming a member credits `member:<id>`.
//! - A typed name is looked up first among the school's earlier authors
//!   (by the name without spaces, `name:<name>`), then among the school's
//!   correspondents by real name: one match links the name to that member
//!   (the name is kept as an alias of them). Otherwise it is a new author.
//! - The secretariat merges two authors of a school with a reason: the
//!   articles of one are credited to the other, and the first becomes an
//!   alias, so later submissions under that name go to the same person.
//!
//! Every article's `author_key` is the key of its author as resolved here
//! (never an alias), so the standings group one person once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::roles::Role;
use crate::articles::rules::{author_key, squeeze};
use crate::articles::totals::{self, PersonKey};
use crate::entity::{article, author, member, member_role};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// A first author of the school as the registry holds them.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = RegisteredAuthor)]
pub struct AuthorView {
    pub id: i64,
    pub school_id: i64,
    /// The grouping key of the author's articles (`member:<id>` or `name:<name>`).
    pub author_key: String,
    /// The row key of the person in the individuals' standings and eligibility
    /// (`<school_id>/<author_key>`).
    pub row_key: String,
    pub name: String,
    /// The member this author is (when linked).
    pub member_id: Option<i64>,
    /// Merged into (an alias of) this author: their articles count there.
    pub merged_into: Option<i64>,
    /// Why it was merged (the secretariat's reason, or the automatic link).
    pub merge_reason: Option<String>,
    /// Articles credited to this author (0 for an alias).
    pub articles: i64,
}

/// Merge one author into another of the same school.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"into": 12, "reason": "张晓燕以姓名和成员账号各提交过稿件，同一人。"}))]
pub struct MergeAuthors {
    /// The author (of the same school) who keeps the articles.
    pub into: i64,
    /// Why (2–500 characters; in the audit log).
    #[validate(length(min = 2, max = 500, message = "须填写合并理由（2–500 个字）。"))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

/// Who an article is credited to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credited {
    pub author_key: String,
    pub member_id: Option<i64>,
}

/// The registry entry of a school and key, following an alias to its author.
async fn canonical(
    db: &impl ConnectionTrait,
    school_id: i64,
    key: &str,
) -> ApiResult<Option<author::Model>> {
    let Some(a) = author::Entity::find()
        .filter(author::Column::SchoolId.eq(school_id))
        .filter(author::Column::AuthorKey.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    match a.merged_into {
        // Merges re-point aliases, so one step reaches the author.
        Some(target) => Ok(author::Entity::find_by_id(target).one(db).await?),
        None => Ok(Some(a)),
    }
}

/// Adds a registry entry unless the school already has the key; answers it.
async fn ensure(
    db: &impl ConnectionTrait,
    school_id: i64,
    key: &str,
    name: &str,
    member_id: Option<i64>,
    merged_into: Option<(i64, &str)>,
    now: DateTime<Utc>,
) -> ApiResult<author::Model> {
    author::Entity::insert(author::ActiveModel {
        school_id: Set(school_id),
        author_key: Set(key.to_owned()),
        name: Set(name.chars().take(128).collect()),
        member_id: Set(member_id),
        merged_into: Set(merged_into.map(|(id, _)| id)),
        merge_reason: Set(merged_into.map(|(_, r)| r.to_owned())),
        merged_at: Set(merged_into.map(|_| now)),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([author::Column::SchoolId, author::Column::AuthorKey])
    .exec_without_returning(db)
    .await?;
    canonical(db, school_id, key)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("author vanished")))
}

/// The display name of a member.
async fn member_name(db: &impl ConnectionTrait, id: i64) -> ApiResult<String> {
    Ok(member::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| m.real_name.unwrap_or(m.display_name))
        .unwrap_or_else(|| format!("成员 {id}")))
}

/// The school's correspondents whose real name, without spaces, is `name`.
async fn correspondents_named(
    db: &impl ConnectionTrait,
    school_id: i64,
    name: &str,
) -> ApiResult<Vec<i64>> {
    let ids: Vec<i64> = member_role::Entity::find()
        .filter(member_role::Column::SchoolId.eq(school_id))
        .filter(member_role::Column::Role.eq(Role::Correspondent.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.member_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| m.real_name.as_deref().map(squeeze).as_deref() == Some(name))
        .map(|m| m.id)
        .collect())
}

/// Who a submission's first author is (see the module comment): the
/// registry is updated in the submission's unit of work.
pub async fn resolve(
    db: &impl ConnectionTrait,
    school_id: i64,
    member_id: Option<i64>,
    typed_name: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Credited> {
    let found = match (member_id, typed_name) {
        (Some(m), _) => {
            let key = author_key(Some(m), None);
            // Usually the member has been credited at the school before: one read.
            match canonical(db, school_id, &key).await? {
                Some(a) => a,
                None => {
                    let name = member_name(db, m).await?;
                    ensure(db, school_id, &key, &name, Some(m), None, now).await?
                }
            }
        }
        (None, Some(typed)) => {
            let key = author_key(None, Some(typed));
            match canonical(db, school_id, &key).await? {
                Some(a) => a,
                None => match correspondents_named(db, school_id, &squeeze(typed))
                    .await?
                    .as_slice()
                {
                    [m] => {
                        let name = member_name(db, *m).await?;
                        let person = ensure(
                            db,
                            school_id,
                            &author_key(Some(*m), None),
                            &name,
                            Some(*m),
                            None,
                            now,
                        )
                        .await?;
                        // The typed name becomes an alias of the member.
                        ensure(
                            db,
                            school_id,
                            &key,
                            typed.trim(),
                            None,
                            Some((person.id, "姓名与本校通讯员一致，自动关联")),
                            now,
                        )
                        .await?
                    }
                    _ => ensure(db, school_id, &key, typed.trim(), None, None, now).await?,
                },
            }
        }
        (None, None) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/first_author_name",
                "required",
                "请填写第一作者。",
            )]));
        }
    };
    Ok(Credited {
        author_key: found.author_key,
        member_id: found.member_id,
    })
}

async fn view(db: &impl ConnectionTrait, a: author::Model) -> ApiResult<AuthorView> {
    let articles = if a.merged_into.is_some() {
        0
    } else {
        article::Entity::find()
            .filter(article::Column::SchoolId.eq(a.school_id))
            .filter(article::Column::AuthorKey.eq(a.author_key.as_str()))
            .count(db)
            .await
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX))?
    };
    let name = match a.member_id {
        Some(m) => member_name(db, m).await?,
        None => a.name,
    };
    Ok(AuthorView {
        id: a.id,
        school_id: a.school_id,
        row_key: format!("{}/{}", a.school_id, a.author_key),
        author_key: a.author_key,
        name,
        member_id: a.member_id,
        merged_into: a.merged_into,
        merge_reason: a.merge_reason,
        articles,
    })
}

/// The school's registry, authors first then aliases, by id.
pub async fn list(db: &impl ConnectionTrait, school_id: i64) -> ApiResult<Vec<AuthorView>> {
    let mut out = Vec::new();
    for a in author::Entity::find()
        .filter(author::Column::SchoolId.eq(school_id))
        .order_by_asc(author::Column::MergedInto.is_not_null())
        .order_by_asc(author::Column::Id)
        .all(db)
        .await?
    {
        out.push(view(db, a).await?);
    }
    Ok(out)
}

/// The two authors of a merge, locked: both of `school_id`, distinct, and
/// neither an alias already.
async fn pair(
    db: &impl ConnectionTrait,
    school_id: i64,
    from: i64,
    into: i64,
) -> ApiResult<(author::Model, author::Model)> {
    let find = |id: i64| async move {
        author::Entity::find_by_id(id)
            .lock_exclusive()
            .one(db)
            .await?
            .filter(|a| a.school_id == school_id)
            .ok_or_else(|| ApiError::not_found().with_detail("本校作者登记中没有这位作者。"))
    };
    let a = find(from).await?;
    let b = find(into).await.map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            "/into",
            "not_found",
            "本校作者登记中没有要合并到的作者。",
        )])
    })?;
    if a.id == b.id {
        return Err(ApiError::validation(vec![FieldError::new(
            "/into",
            "same",
            "不能把作者合并到其本人。",
        )]));
    }
    for (x, what) in [(&a, "该作者"), (&b, "要合并到的作者")] {
        if let Some(target) = x.merged_into {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail(format!(
                "{what}已合并到作者 {target}，请对作者 {target} 操作。"
            )));
        }
    }
    Ok((a, b))
}

/// What a merge changed, for the audit log and the caller.
#[derive(Clone, Debug)]
pub struct Merged {
    pub from: author::Model,
    pub into: author::Model,
    pub articles_moved: u64,
}

/// Merges `from` into `into` (both of `school_id`): the articles of `from`
/// are credited to `into`, `from` and its aliases become aliases of `into`.
/// In the caller's unit of work; the caller audits.
pub async fn merge(
    db: &impl ConnectionTrait,
    actor_id: i64,
    school_id: i64,
    from: i64,
    input: &MergeAuthors,
    now: DateTime<Utc>,
) -> ApiResult<Merged> {
    let (a, b) = pair(db, school_id, from, input.into).await?;
    // The years in which the author merged away has counted articles: both
    // people's totals of each are refreshed after the move (the school's too:
    // its people with site points may become one fewer).
    let years = counted_years(db, school_id, &a.author_key).await?;
    let moved = article::Entity::update_many()
        .col_expr(
            article::Column::AuthorKey,
            Expr::value(b.author_key.clone()),
        )
        .filter(article::Column::SchoolId.eq(school_id))
        .filter(article::Column::AuthorKey.eq(a.author_key.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    totals::refresh(
        db,
        years.iter().flat_map(|&year| {
            [&a.author_key, &b.author_key].map(|k| PersonKey {
                year,
                school_id,
                author_key: k.clone(),
            })
        }),
    )
    .await?;
    author::Entity::update_many()
        .col_expr(author::Column::MergedInto, Expr::value(b.id))
        .filter(author::Column::MergedInto.eq(a.id))
        .exec(db)
        .await?;
    let mut am: author::ActiveModel = a.clone().into();
    am.merged_into = Set(Some(b.id));
    am.merge_reason = Set(Some(input.reason.trim().to_owned()));
    am.merged_by = Set(Some(actor_id));
    am.merged_at = Set(Some(now));
    am.update(db).await?;
    Ok(Merged {
        from: a,
        into: b,
        articles_moved: moved,
    })
}

/// The credit years in which this first author of the school has counted articles.
async fn counted_years(
    db: &impl ConnectionTrait,
    school_id: i64,
    key: &str,
) -> ApiResult<Vec<i32>> {
    let years: Vec<Option<i32>> = article::Entity::find()
        .select_only()
        .column(article::Column::CreditYear)
        .distinct()
        .filter(article::Column::SchoolId.eq(school_id))
        .filter(article::Column::AuthorKey.eq(key))
        .filter(
            article::Column::SitePoints
                .gt(0)
                .or(article::Column::BonusPoints.gt(0)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(years.into_iter().flatten().collect())
}

/// The registry view of one author.
pub async fn one(db: &impl ConnectionTrait, id: i64) -> ApiResult<AuthorView> {
    let a = author::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    view(db, a).await
}
