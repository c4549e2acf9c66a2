//! Standings of a credit year, never by loading articles into memory, in
//! two ways that give the same rows: [`page`] aggregates the year's articles
//! in one statement (aggregates and window functions) for what is frozen or
//! exported whole — the notice snapshot, the proposal, the live workbook;
//! [`kept_page`] reads a page of the kept totals
//! ([`crate::articles::totals`]) for the live standings pages.
//!
//! The points of every article are kept on its row (`site_points`,
//! `bonus_points`, see `articles::rules`), so a school's standing is the sum
//! over its articles of the year, and an individual's is the sum over the
//! articles of which they are the first author (grouped per school: the same
//! name at two schools is two people).
//!
//! Ranks are standard competition ranks (1, 2, 2, 4): SQL `RANK()`. Within a
//! rank the listed order (the page cursor) is by school, then for people by
//! their first article's id — integers, so PostgreSQL never sorts 100,000
//! names by collation for the order.
//!
//! Only **member units** are ranked: a school counts for credit year Y iff
//! it was a member on some day of Y (`left_on` null or after Y-01-01, see
//! [`crate::organisation::lookup::member_in`]). A school that left before
//! the year — and its people — is not in the standings nor in the caps'
//! population, so not in the workbook, the notice or the proposal built
//! from them; its articles stay stored.
//!
//! The **population** of a cap is the schools (people) with at least one
//! counted article on the association's official sites that year — the
//! seed's "协会官方网站发文学校总数" and "协会官方网站投稿总人数" — i.e. rows with
//! site points. Bonus points count in the totals but do not add to the population.

use sea_orm::{
    ConnectionTrait, DbBackend, QueryResult, TransactionSession, TransactionTrait, Value,
};

use serde::{Deserialize, Serialize};

use crate::honours::rules::{RankingKey, Scope, honours_cap};
use crate::organisation::lookup::{first_day_of, member_in_sql};
use crate::platform::db::raw;
use crate::platform::error::{ApiError, ApiResult};

/// One row of the standings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingRow {
    /// 1-based place in the order (rank, then id): the page cursor.
    pub position: i64,
    pub rank: i64,
    /// `<school_id>` for schools; `<school_id>/<author_key>` for individuals.
    pub key: String,
    pub name: String,
    pub school_id: i64,
    pub school_name: String,
    pub site_points: i64,
    pub bonus_points: i64,
    pub total: i64,
    pub counted_articles: i64,
}

/// The ranking of the year's member schools (or their people): `$1` the
/// year, `$4` its first day (for [`member_in_sql`]).
fn ranked_cte(scope: Scope, key: RankingKey) -> String {
    let k = key.sql();
    let member = member_in_sql("ms", "$4");
    match scope {
        Scope::Schools => format!(
            "WITH agg AS (
                SELECT a.school_id AS school_id,
                       SUM(a.site_points) AS site_points,
                       SUM(a.bonus_points) AS bonus_points,
                       SUM(a.site_points + a.bonus_points) AS total,
                       COUNT(*) AS counted_articles
                FROM articles a
                WHERE a.credit_year = $1 AND (a.site_points > 0 OR a.bonus_points > 0)
                GROUP BY a.school_id
            ), ranked AS (
                SELECT agg.*,
                       RANK() OVER (ORDER BY {k} DESC) AS rnk,
                       ROW_NUMBER() OVER (ORDER BY {k} DESC, agg.school_id) AS position
                FROM agg JOIN schools ms ON ms.id = agg.school_id
                WHERE {member}
            )"
        ),
        Scope::Individuals => format!(
            "WITH agg AS (
                SELECT a.school_id AS school_id,
                       a.author_key AS author_key,
                       MIN(a.first_author_member_id) AS member_id,
                       MIN(a.first_author_name) AS author_name,
                       MIN(a.id) AS first_article,
                       SUM(a.site_points) AS site_points,
                       SUM(a.bonus_points) AS bonus_points,
                       SUM(a.site_points + a.bonus_points) AS total,
                       COUNT(*) AS counted_articles
                FROM articles a
                WHERE a.credit_year = $1 AND (a.site_points > 0 OR a.bonus_points > 0)
                GROUP BY a.school_id, a.author_key
            ), ranked AS (
                SELECT agg.*,
                       RANK() OVER (ORDER BY {k} DESC) AS rnk,
                       ROW_NUMBER() OVER (ORDER BY {k} DESC, agg.school_id, agg.first_article) AS position
                FROM agg JOIN schools ms ON ms.id = agg.school_id
                WHERE {member}
            )"
        ),
    }
}

fn select_rows(scope: Scope) -> &'static str {
    match scope {
        Scope::Schools => {
            "SELECT r.position AS position, r.rnk AS rnk, CAST(r.school_id AS TEXT) AS row_key,
                    s.name AS name, r.school_id AS school_id, s.name AS school_name,
                    r.site_points AS site_points, r.bonus_points AS bonus_points,
                    r.total AS total, r.counted_articles AS counted_articles
             FROM ranked r JOIN schools s ON s.id = r.school_id"
        }
        Scope::Individuals => {
            "SELECT r.position AS position, r.rnk AS rnk,
                    CAST(r.school_id AS TEXT) || '/' || r.author_key AS row_key,
                    COALESCE(m.real_name, m.display_name, r.author_name, r.author_key) AS name,
                    r.school_id AS school_id, s.name AS school_name,
                    r.site_points AS site_points, r.bonus_points AS bonus_points,
                    r.total AS total, r.counted_articles AS counted_articles
             FROM ranked r JOIN schools s ON s.id = r.school_id
             LEFT JOIN members m ON m.id = r.member_id"
        }
    }
}

/// The cap figures of a scope, as the standings statement computes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    pub population: u32,
    pub cap: u32,
    /// Rank of the row at the cap's position.
    pub cutoff_rank: Option<i64>,
    /// That rank again when the next row shares it: a tied group straddles the cut-off.
    pub tied_rank: Option<i64>,
}

/// Rows after `after_position`, at most `limit` (all when None), in order,
/// with the cap figures — one aggregation over the year's articles: the
/// population, the cap (floor of the percentage, as [`crate::honours::rules::honours_cap`])
/// and the ranks at the cut-off are window functions over the same ranking.
/// The figures are None only when no row is returned.
pub async fn page(
    db: &(impl ConnectionTrait + TransactionTrait),
    year: i32,
    scope: Scope,
    key: RankingKey,
    after_position: i64,
    limit: Option<u64>,
) -> ApiResult<(Vec<StandingRow>, Option<Figures>)> {
    let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let sql = page_sql(scope, key);
    let stmt = raw(
        db,
        &sql,
        vec![
            year.into(),
            after_position.into(),
            limit.into(),
            first_day_of(year).into(),
        ],
    );
    let rows = if db.get_database_backend() == DbBackend::Postgres {
        // The aggregation and the window sorts of a national year (100,000
        // people) spill to disk with PostgreSQL's default 4 MB work_mem; give
        // this one statement more, for its transaction only.
        // A read transaction, not a write: `SET LOCAL` needs one (inside a
        // unit of work this is a savepoint of it).
        #[allow(clippy::disallowed_methods)]
        let txn = db.begin().await?;
        txn.execute_unprepared("SET LOCAL work_mem = '64MB'")
            .await?;
        let rows = txn.query_all_raw(stmt).await?;
        txn.commit().await?;
        rows
    } else {
        db.query_all_raw(stmt).await?
    };
    let mut figures = None;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let get_i = |c: &str| r.try_get::<i64>("", c);
        if figures.is_none() {
            let cutoff_rank: Option<i64> =
                r.try_get("", "cutoff_rank").map_err(ApiError::internal)?;
            let next_rank: Option<i64> = r.try_get("", "next_rank").map_err(ApiError::internal)?;
            figures = Some(Figures {
                population: u32::try_from(get_i("population").map_err(ApiError::internal)?)
                    .unwrap_or(u32::MAX),
                cap: u32::try_from(get_i("cap").map_err(ApiError::internal)?).unwrap_or(u32::MAX),
                cutoff_rank,
                tied_rank: cutoff_rank.filter(|c| Some(*c) == next_rank),
            });
        }
        out.push(
            (|| -> Result<StandingRow, sea_orm::DbErr> {
                Ok(StandingRow {
                    position: get_i("position")?,
                    rank: get_i("rnk")?,
                    key: r.try_get("", "row_key")?,
                    name: r.try_get("", "name")?,
                    school_id: get_i("school_id")?,
                    school_name: r.try_get("", "school_name")?,
                    site_points: get_i("site_points")?,
                    bonus_points: get_i("bonus_points")?,
                    total: get_i("total")?,
                    counted_articles: get_i("counted_articles")?,
                })
            })()
            .map_err(ApiError::internal)?,
        );
    }
    Ok((out, figures))
}

/// The one statement of a standings page: `$1` year, `$2` after position,
/// `$3` limit, `$4` the year's first day (membership).
fn page_sql(scope: Scope, key: RankingKey) -> String {
    format!(
        "{ranked}, figured AS (
            SELECT ranked.*, SUM(CASE WHEN ranked.site_points > 0 THEN 1 ELSE 0 END) OVER () AS population
            FROM ranked
        ), capped AS (
            SELECT figured.*, (figured.population * {pct}) / 100 AS cap FROM figured
        ), edged AS (
            SELECT capped.*,
                   MAX(CASE WHEN capped.position = capped.cap THEN capped.rnk END) OVER () AS cutoff_rank,
                   MAX(CASE WHEN capped.position = capped.cap + 1 THEN capped.rnk END) OVER () AS next_rank
            FROM capped
        )
        {select}
        WHERE r.position > $2 ORDER BY r.position LIMIT $3",
        ranked = ranked_cte(scope, key),
        pct = scope.cap_percent(),
        select = select_rows(scope).replace(
            "FROM ranked r",
            ", r.population AS population, r.cap AS cap, r.cutoff_rank AS cutoff_rank,
               r.next_rank AS next_rank
             FROM edged r"
        ),
    )
}

// ---------------------------------------------------------------------------
// The live standings from the kept totals (`crate::articles::totals`).
//
// A page is a keyset range on the index (year, key DESC, school, first
// article) of `standing_people` / `standing_schools`: the rest of the cursor's
// tied group, then the rows below its value — two index ranges, never a scan
// of the rows before. The cursor carries the place and rank of the row it
// follows, so the next page's places and ranks continue from it (standard
// competition ranks: a row sharing the previous row's value shares its rank,
// any other row's rank is its place). The population, the cap and the
// cut-off are a sum over the year's schools, one offset and one count on the
// same index. Schools that were not member units in the year (left before
// it, a handful) are left out by id.

/// Where a page starts: after the row with this ranking value, school and
/// first article (0 for schools), which was at `position` with `rank`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "v")]
    pub value: i64,
    #[serde(rename = "s")]
    pub school_id: i64,
    #[serde(rename = "f")]
    pub first_article: i64,
    #[serde(rename = "p")]
    pub position: i64,
    #[serde(rename = "r")]
    pub rank: i64,
}

/// The reads of one request, recorded when the benchmark asks for them.
struct Reader<'a, C> {
    db: &'a C,
    log: Option<Vec<String>>,
}

impl<C: ConnectionTrait> Reader<'_, C> {
    async fn all(&mut self, sql: &str, values: Vec<Value>) -> ApiResult<Vec<QueryResult>> {
        let stmt = raw(self.db, sql, values);
        if let Some(log) = &mut self.log {
            log.push(stmt.to_string());
        }
        Ok(self.db.query_all_raw(stmt).await?)
    }

    async fn count(&mut self, sql: &str, values: Vec<Value>) -> ApiResult<i64> {
        self.all(sql, values)
            .await?
            .first()
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a count answered no row")))
    }
}

/// The shape of a scope's kept totals.
struct Kept {
    table: &'static str,
    /// The order after the ranking key, as `t.` columns.
    tiebreak: &'static str,
    /// The rows of the cursor's tied group after it (`$3` school, `$4` first article).
    after_in_tie: &'static str,
}

fn kept(scope: Scope) -> Kept {
    match scope {
        Scope::Schools => Kept {
            table: "standing_schools",
            tiebreak: "t.school_id",
            after_in_tie: "t.school_id > $3",
        },
        Scope::Individuals => Kept {
            table: "standing_people",
            tiebreak: "t.school_id, t.first_article",
            after_in_tie: "(t.school_id, t.first_article) > ($3, $4)",
        },
    }
}

/// ` AND t.school_id NOT IN (…)`: the schools that were not member units
/// in `year` (they left on or before its first day).
async fn not_members<C: ConnectionTrait>(r: &mut Reader<'_, C>, year: i32) -> ApiResult<String> {
    let rows = r
        .all(
            "SELECT id FROM schools WHERE left_on IS NOT NULL AND left_on <= $1 ORDER BY id",
            vec![first_day_of(year).into()],
        )
        .await?;
    let ids: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<i64>("", "id").map(|i| i.to_string()))
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)?;
    Ok(if ids.is_empty() {
        String::new()
    } else {
        format!(" AND t.school_id NOT IN ({})", ids.join(", "))
    })
}

/// The cap figures from the kept totals.
async fn kept_figures<C: ConnectionTrait>(
    r: &mut Reader<'_, C>,
    year: i32,
    scope: Scope,
    key: RankingKey,
    excluded: &str,
) -> ApiResult<Figures> {
    let k = key.sql();
    let t = kept(scope);
    let population = match scope {
        Scope::Schools => {
            r.count(
                &format!(
                    "SELECT COUNT(*) AS n FROM standing_schools t
                     WHERE t.year = $1 AND t.site_points > 0{excluded}"
                ),
                vec![year.into()],
            )
            .await?
        }
        Scope::Individuals => {
            r.count(
                &format!(
                    "SELECT CAST(COALESCE(SUM(t.site_people), 0) AS BIGINT) AS n
                     FROM standing_schools t WHERE t.year = $1{excluded}"
                ),
                vec![year.into()],
            )
            .await?
        }
    };
    let population = u32::try_from(population).unwrap_or(u32::MAX);
    let cap = honours_cap(population, scope.cap_percent());
    let (mut cutoff_rank, mut tied_rank) = (None, None);
    if cap > 0 {
        let edge = r
            .all(
                &format!(
                    "SELECT t.{k} AS v FROM {table} t WHERE t.year = $1{excluded}
                     ORDER BY t.{k} DESC, {tiebreak} LIMIT 2 OFFSET $2",
                    table = t.table,
                    tiebreak = t.tiebreak
                ),
                vec![year.into(), i64::from(cap - 1).into()],
            )
            .await?;
        let values: Vec<i64> = edge
            .iter()
            .map(|row| row.try_get::<i64>("", "v"))
            .collect::<Result<_, _>>()
            .map_err(ApiError::internal)?;
        if let Some(&v) = values.first() {
            let above = r
                .count(
                    &format!(
                        "SELECT COUNT(*) AS n FROM {table} t
                         WHERE t.year = $1 AND t.{k} > $2{excluded}",
                        table = t.table
                    ),
                    vec![year.into(), v.into()],
                )
                .await?;
            cutoff_rank = Some(above + 1);
            if values.get(1) == Some(&v) {
                tied_rank = cutoff_rank;
            }
        }
    }
    Ok(Figures {
        population,
        cap,
        cutoff_rank,
        tied_rank,
    })
}

fn kept_row(
    row: &QueryResult,
    scope: Scope,
    key: RankingKey,
) -> Result<(StandingRow, Cursor), sea_orm::DbErr> {
    let school_id: i64 = row.try_get("", "school_id")?;
    let (key_text, name, first) = match scope {
        Scope::Schools => (school_id.to_string(), row.try_get("", "school_name")?, 0),
        Scope::Individuals => (
            format!("{school_id}/{}", row.try_get::<String>("", "author_key")?),
            row.try_get("", "name")?,
            row.try_get("", "first_article")?,
        ),
    };
    let standing = StandingRow {
        position: 0,
        rank: 0,
        key: key_text,
        name,
        school_id,
        school_name: row.try_get("", "school_name")?,
        site_points: row.try_get("", "site_points")?,
        bonus_points: row.try_get("", "bonus_points")?,
        total: row.try_get("", "total")?,
        counted_articles: row.try_get("", "counted_articles")?,
    };
    let value = match key {
        RankingKey::Total => standing.total,
        RankingKey::SitePoints => standing.site_points,
    };
    Ok((
        standing,
        Cursor {
            value,
            school_id,
            first_article: first,
            position: 0,
            rank: 0,
        },
    ))
}

async fn kept_read<C: ConnectionTrait>(
    r: &mut Reader<'_, C>,
    year: i32,
    scope: Scope,
    key: RankingKey,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<(Vec<(StandingRow, Cursor)>, Figures)> {
    let k = key.sql();
    let t = kept(scope);
    let excluded = not_members(r, year).await?;
    let figures = kept_figures(r, year, scope, key, &excluded).await?;
    let (select, joins) = match scope {
        Scope::Schools => ("", ""),
        Scope::Individuals => (
            ", COALESCE(m.real_name, m.display_name, t.author_name, t.author_key) AS name",
            " LEFT JOIN members m ON m.id = t.member_id",
        ),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let columns = "t.school_id, t.site_points, t.bonus_points, t.total, t.counted_articles";
    let columns = match scope {
        Scope::Schools => columns.to_owned(),
        Scope::Individuals => {
            format!("{columns}, t.author_key, t.member_id, t.author_name, t.first_article")
        }
    };
    let (from, values): (String, Vec<Value>) = match after {
        // The rest of the cursor's tied group, then the rows below its value.
        Some(c) => (
            format!(
                "(SELECT * FROM (SELECT {columns} FROM {table} t
                     WHERE t.year = $1 AND t.{k} = $2 AND {tie}{excluded}
                     ORDER BY {tiebreak} LIMIT $5) tied
                  UNION ALL
                  SELECT * FROM (SELECT {columns} FROM {table} t
                     WHERE t.year = $1 AND t.{k} < $2{excluded}
                     ORDER BY t.{k} DESC, {tiebreak} LIMIT $5) below)",
                table = t.table,
                tie = t.after_in_tie,
                tiebreak = t.tiebreak,
            ),
            vec![
                year.into(),
                c.value.into(),
                c.school_id.into(),
                c.first_article.into(),
                limit.into(),
            ],
        ),
        None => (
            format!(
                "(SELECT {columns} FROM {table} t WHERE t.year = $1{excluded}
                  ORDER BY t.{k} DESC, {tiebreak} LIMIT $2)",
                table = t.table,
                tiebreak = t.tiebreak,
            ),
            vec![year.into(), limit.into()],
        ),
    };
    let n = values.len();
    let rows = r
        .all(
            &format!(
                "SELECT t.*, s.name AS school_name{select}
                 FROM {from} t JOIN schools s ON s.id = t.school_id{joins}
                 ORDER BY t.{k} DESC, {tiebreak} LIMIT ${n}",
                tiebreak = t.tiebreak,
            ),
            values,
        )
        .await?;
    let mut out = rows
        .iter()
        .map(|row| kept_row(row, scope, key))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    let (mut position, mut rank, mut previous) = match after {
        Some(c) => (c.position, c.rank, Some(c.value)),
        None => (0, 0, None),
    };
    for (row, c) in &mut out {
        position += 1;
        if previous != Some(c.value) {
            rank = position;
        }
        previous = Some(c.value);
        (row.position, row.rank) = (position, rank);
        (c.position, c.rank) = (position, rank);
    }
    Ok((out, figures))
}

/// A page of the live standings from the kept totals: at most `limit` rows
/// after `after` (from the top when None), each with its cursor, and the
/// cap figures of the scope.
pub async fn kept_page(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    key: RankingKey,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<(Vec<(StandingRow, Cursor)>, Figures)> {
    let mut r = Reader { db, log: None };
    kept_read(&mut r, year, scope, key, after, limit).await
}

/// The statements one standings request runs (page of `page_size` after
/// `after`), with their parameters written in, so the benchmark can run
/// them bare in psql.
pub async fn statements_for_benchmark(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    key: RankingKey,
    page_size: u64,
    after: Option<Cursor>,
) -> ApiResult<Vec<String>> {
    let mut r = Reader {
        db,
        log: Some(Vec::new()),
    };
    kept_read(&mut r, year, scope, key, after, page_size + 1).await?;
    Ok(r.log.unwrap_or_default())
}
