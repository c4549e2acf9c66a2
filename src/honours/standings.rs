//! Standings of a credit year, computed in SQL (aggregates and window
//! functions, the same statement on SQLite and PostgreSQL), never by loading
//! articles into memory.
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

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionSession, TransactionTrait, Value};

use crate::honours::rules::{RankingKey, Scope};
use crate::organisation::lookup::{first_day_of, member_in_sql};
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

/// `$1`-style placeholders for PostgreSQL; `?1` for SQLite.
fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
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
    let stmt = statement(
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

/// The ranks at the cap's edge: positions `cap` and `cap + 1`.
pub async fn ranks_at(
    db: &impl ConnectionTrait,
    year: i32,
    scope: Scope,
    key: RankingKey,
    cap: u32,
) -> ApiResult<Vec<i64>> {
    if cap == 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{} SELECT r.position AS position, r.rnk AS rnk FROM ranked r
         WHERE r.position BETWEEN $2 AND $3 ORDER BY r.position",
        ranked_cte(scope, key)
    );
    let cap = i64::from(cap);
    let stmt = statement(
        db,
        &sql,
        vec![
            year.into(),
            cap.into(),
            (cap + 1).into(),
            first_day_of(year).into(),
        ],
    );
    let rows = db.query_all_raw(stmt).await?;
    rows.into_iter()
        .map(|r| r.try_get::<i64>("", "rnk").map_err(ApiError::internal))
        .collect()
}

/// How many member schools (their people) had at least one counted
/// official-site article that year.
pub async fn population(db: &impl ConnectionTrait, year: i32, scope: Scope) -> ApiResult<u32> {
    let member = member_in_sql("ms", "$2");
    let sql = match scope {
        Scope::Schools => format!(
            "SELECT COUNT(*) AS n FROM (SELECT DISTINCT a.school_id AS school_id FROM articles a
             WHERE a.credit_year = $1 AND a.site_points > 0) t
             JOIN schools ms ON ms.id = t.school_id WHERE {member}"
        ),
        Scope::Individuals => format!(
            "SELECT COUNT(*) AS n FROM (SELECT DISTINCT a.school_id AS school_id, a.author_key
             FROM articles a WHERE a.credit_year = $1 AND a.site_points > 0) t
             JOIN schools ms ON ms.id = t.school_id WHERE {member}"
        ),
    };
    let row = db
        .query_one_raw(statement(
            db,
            &sql,
            vec![year.into(), first_day_of(year).into()],
        ))
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("COUNT answered no row")))?;
    let n: i64 = row.try_get("", "n").map_err(ApiError::internal)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
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

/// The statement of a standings request's first page, for PostgreSQL with
/// the parameters written in, so the benchmark can run it bare in psql.
pub fn statement_for_benchmark(year: i32, scope: Scope, key: RankingKey, page_size: u64) -> String {
    page_sql(scope, key)
        .replace("$1", &year.to_string())
        .replace("$2", "0")
        .replace("$3", &(page_size + 1).to_string())
        .replace("$4", &format!("DATE '{}'", first_day_of(year)))
}
