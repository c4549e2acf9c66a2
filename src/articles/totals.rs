//! Kept standings totals: per credit year, one row per school
//! (`standing_schools`) and one per first author of a school
//! (`standing_people`, keyed by `author_key`), each the sum over the year's
//! **counted** articles (site or bonus points > 0) of the row's site points,
//! bonus points and total, with the number of those articles and the lowest
//! id among them (the listed order within a rank). A school row also counts
//! its people with site points (`site_people`): the individuals' population
//! is their sum over the member schools.
//!
//! The totals are maintained by [`refresh`] in the same transaction as every
//! change to an article's points ([`crate::articles::rules::recompute_points`],
//! through which review, merge, withdrawal, repost marks and source rule
//! changes go) and to an article's first author ([`crate::articles::authors::merge`]).
//! [`check`] recomputes them from the articles and lists every difference;
//! [`rebuild`] writes them afresh (the CLI's `check-totals --repair`).
//!
//! # Concurrency
//!
//! A row is refreshed by (1) an upsert that only locks it (creating it at
//! zero when missing), then (2) an update computing it from the articles in
//! a new statement, then (3) deleting it when nothing counts any more. On
//! PostgreSQL (read committed) a second transaction refreshing the same row
//! waits at (1) until the first commits, and its (2) then sees the first's
//! articles: no lost update. Rows are locked in one order (people by key,
//! then schools by key), so two refreshes never wait on each other in a
//! circle. SQLite has one writer at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult};
use serde::Serialize;

use crate::entity::article;
use crate::platform::db::{raw, write};
use crate::platform::error::{ApiError, ApiResult};

/// One first author in one credit year: the key of a `standing_people` row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonKey {
    pub year: i32,
    pub school_id: i64,
    pub author_key: String,
}

impl PersonKey {
    /// The first author of an article in its credit year (none without one).
    pub fn of(a: &article::Model) -> Option<Self> {
        a.credit_year.map(|year| Self {
            year,
            school_id: a.school_id,
            author_key: a.author_key.clone(),
        })
    }
}

/// More people than this in one year of one refresh (a source's rule
/// changed): the year is rebuilt in two statements instead.
const REBUILD_ABOVE: usize = 500;

/// The aggregate of the counted articles of a person, for
/// `UPDATE standing_people SET (…) = (…)`: `$1` year, `$2` school, `$3` author key.
const PERSON_FROM_ARTICLES: &str = "SELECT MIN(a.first_author_member_id), MIN(a.first_author_name),
        COALESCE(SUM(a.site_points), 0), COALESCE(SUM(a.bonus_points), 0),
        COALESCE(SUM(a.site_points + a.bonus_points), 0), COUNT(*), COALESCE(MIN(a.id), 0)
    FROM articles a
    WHERE a.credit_year = $1 AND a.school_id = $2 AND a.author_key = $3
      AND (a.site_points > 0 OR a.bonus_points > 0)";

/// The same of a school: `$1` year, `$2` school. Its people with site points
/// are read from the people rows just refreshed.
const SCHOOL_FROM_ARTICLES: &str = "SELECT COALESCE(SUM(a.site_points), 0),
        COALESCE(SUM(a.bonus_points), 0), COALESCE(SUM(a.site_points + a.bonus_points), 0),
        COUNT(*), COALESCE(MIN(a.id), 0),
        (SELECT COUNT(*) FROM standing_people p
         WHERE p.year = $1 AND p.school_id = $2 AND p.site_points > 0)
    FROM articles a
    WHERE a.credit_year = $1 AND a.school_id = $2
      AND (a.site_points > 0 OR a.bonus_points > 0)";

/// Every person row of the articles (of `$1`'s year when `year_filter`).
fn people_aggregate(year_filter: bool) -> String {
    format!(
        "SELECT credit_year AS year, school_id, author_key,
                MIN(first_author_member_id) AS member_id, MIN(first_author_name) AS author_name,
                SUM(site_points) AS site_points, SUM(bonus_points) AS bonus_points,
                SUM(site_points + bonus_points) AS total, COUNT(*) AS counted_articles,
                MIN(id) AS first_article
         FROM articles
         WHERE credit_year IS NOT NULL AND (site_points > 0 OR bonus_points > 0){}
         GROUP BY credit_year, school_id, author_key",
        if year_filter {
            " AND credit_year = $1"
        } else {
            ""
        }
    )
}

/// Every school row of the articles (of `$1`'s year when `year_filter`).
fn schools_aggregate(year_filter: bool) -> String {
    format!(
        "SELECT credit_year AS year, school_id,
                SUM(site_points) AS site_points, SUM(bonus_points) AS bonus_points,
                SUM(site_points + bonus_points) AS total, COUNT(*) AS counted_articles,
                MIN(id) AS first_article,
                COUNT(DISTINCT CASE WHEN site_points > 0 THEN author_key END) AS site_people
         FROM articles
         WHERE credit_year IS NOT NULL AND (site_points > 0 OR bonus_points > 0){}
         GROUP BY credit_year, school_id",
        if year_filter {
            " AND credit_year = $1"
        } else {
            ""
        }
    )
}

/// Brings the totals of these people — and of their schools — in line with
/// their articles, in the caller's transaction.
pub async fn refresh(
    db: &impl ConnectionTrait,
    people: impl IntoIterator<Item = PersonKey>,
) -> ApiResult<()> {
    let people: BTreeSet<PersonKey> = people.into_iter().collect();
    let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
    for p in &people {
        *per_year.entry(p.year).or_default() += 1;
    }
    let rebuilt: BTreeSet<i32> = per_year
        .into_iter()
        .filter(|(_, n)| *n > REBUILD_ABOVE)
        .map(|(y, _)| y)
        .collect();
    for year in &rebuilt {
        rebuild_year(db, *year).await?;
    }
    let people: Vec<PersonKey> = people
        .into_iter()
        .filter(|p| !rebuilt.contains(&p.year))
        .collect();
    for p in &people {
        let key = || {
            vec![
                p.year.into(),
                p.school_id.into(),
                p.author_key.as_str().into(),
            ]
        };
        db.execute_raw(raw(
            db,
            "INSERT INTO standing_people (year, school_id, author_key, site_points,
                 bonus_points, total, counted_articles, first_article)
             VALUES ($1, $2, $3, 0, 0, 0, 0, 0)
             ON CONFLICT (year, school_id, author_key)
             DO UPDATE SET total = standing_people.total",
            key(),
        ))
        .await?;
        db.execute_raw(raw(
            db,
            &format!(
                "UPDATE standing_people SET (member_id, author_name, site_points, bonus_points,
                     total, counted_articles, first_article) = ({PERSON_FROM_ARTICLES})
                 WHERE year = $1 AND school_id = $2 AND author_key = $3"
            ),
            key(),
        ))
        .await?;
        db.execute_raw(raw(
            db,
            "DELETE FROM standing_people
             WHERE year = $1 AND school_id = $2 AND author_key = $3 AND counted_articles = 0",
            key(),
        ))
        .await?;
    }
    let schools: BTreeSet<(i32, i64)> = people.iter().map(|p| (p.year, p.school_id)).collect();
    for (year, school_id) in schools {
        let key = || vec![year.into(), school_id.into()];
        db.execute_raw(raw(
            db,
            "INSERT INTO standing_schools (year, school_id, site_points, bonus_points, total,
                 counted_articles, first_article, site_people)
             VALUES ($1, $2, 0, 0, 0, 0, 0, 0)
             ON CONFLICT (year, school_id) DO UPDATE SET total = standing_schools.total",
            key(),
        ))
        .await?;
        db.execute_raw(raw(
            db,
            &format!(
                "UPDATE standing_schools SET (site_points, bonus_points, total, counted_articles,
                     first_article, site_people) = ({SCHOOL_FROM_ARTICLES})
                 WHERE year = $1 AND school_id = $2"
            ),
            key(),
        ))
        .await?;
        db.execute_raw(raw(
            db,
            "DELETE FROM standing_schools
             WHERE year = $1 AND school_id = $2 AND counted_articles = 0",
            key(),
        ))
        .await?;
    }
    Ok(())
}

/// Writes the totals of one year afresh from its articles, in the caller's
/// transaction (on PostgreSQL the two tables are locked against concurrent
/// refreshes for its length).
async fn rebuild_year(db: &impl ConnectionTrait, year: i32) -> ApiResult<u64> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("LOCK TABLE standing_people, standing_schools IN EXCLUSIVE MODE")
            .await?;
    }
    let y = || vec![year.into()];
    db.execute_raw(raw(db, "DELETE FROM standing_people WHERE year = $1", y()))
        .await?;
    db.execute_raw(raw(db, "DELETE FROM standing_schools WHERE year = $1", y()))
        .await?;
    let people = db
        .execute_raw(raw(
            db,
            &format!(
                "INSERT INTO standing_people (year, school_id, author_key, member_id, author_name,
                     site_points, bonus_points, total, counted_articles, first_article)
                 {}",
                people_aggregate(true)
            ),
            y(),
        ))
        .await?
        .rows_affected();
    let schools = db
        .execute_raw(raw(
            db,
            &format!(
                "INSERT INTO standing_schools (year, school_id, site_points, bonus_points, total,
                     counted_articles, first_article, site_people)
                 {}",
                schools_aggregate(true)
            ),
            y(),
        ))
        .await?
        .rows_affected();
    Ok(people + schools)
}

/// The credit years that have articles with points or kept totals.
async fn years(db: &impl ConnectionTrait) -> ApiResult<Vec<i32>> {
    let rows = db
        .query_all_raw(raw(
            db,
            "SELECT DISTINCT credit_year AS year FROM articles
             WHERE credit_year IS NOT NULL AND (site_points > 0 OR bonus_points > 0)
             UNION SELECT year FROM standing_schools
             UNION SELECT year FROM standing_people",
            vec![],
        ))
        .await?;
    let mut out: Vec<i32> = rows
        .iter()
        .map(|r| r.try_get::<i32>("", "year"))
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Writes the totals of `year` (every year when None) afresh from the
/// articles, in one unit of work; answers the rows written.
pub async fn rebuild(db: &DatabaseConnection, year: Option<i32>) -> ApiResult<u64> {
    write(db, |tx| async move {
        let years = match year {
            Some(y) => vec![y],
            None => years(&*tx).await?,
        };
        let mut written = 0;
        for y in years {
            written += rebuild_year(&*tx, y).await?;
        }
        Ok(written)
    })
    .await
}

/// A kept row or the row the articles give, as compared by [`check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TotalsRow {
    pub member_id: Option<i64>,
    pub author_name: Option<String>,
    pub site_points: i64,
    pub bonus_points: i64,
    pub total: i64,
    pub counted_articles: i64,
    pub first_article: i64,
    /// Schools only: their people with site points.
    pub site_people: Option<i64>,
}

/// A row whose kept totals differ from what the articles give (either side
/// absent: a row missing or left over).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub year: i32,
    pub school_id: i64,
    /// The person (absent: the school's row).
    pub author_key: Option<String>,
    pub expected: Option<TotalsRow>,
    pub stored: Option<TotalsRow>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match &self.author_key {
            Some(k) => format!("person {}/{k}", self.school_id),
            None => format!("school {}", self.school_id),
        };
        let show = |r: &Option<TotalsRow>| match r {
            Some(r) => format!(
                "site {} bonus {} total {} articles {} first {}{}",
                r.site_points,
                r.bonus_points,
                r.total,
                r.counted_articles,
                r.first_article,
                r.site_people
                    .map(|n| format!(" people {n}"))
                    .unwrap_or_default()
            ),
            None => "no row".to_owned(),
        };
        write!(
            f,
            "{} {who}: articles give {}, kept {}",
            self.year,
            show(&self.expected),
            show(&self.stored)
        )
    }
}

type Keyed = BTreeMap<(i32, i64, Option<String>), TotalsRow>;

fn keyed(rows: Vec<QueryResult>, people: bool) -> ApiResult<Keyed> {
    let mut out = BTreeMap::new();
    for r in rows {
        let row = (|| -> Result<_, sea_orm::DbErr> {
            let key = (
                r.try_get::<i32>("", "year")?,
                r.try_get::<i64>("", "school_id")?,
                if people {
                    Some(r.try_get::<String>("", "author_key")?)
                } else {
                    None
                },
            );
            let totals = TotalsRow {
                member_id: if people {
                    r.try_get("", "member_id")?
                } else {
                    None
                },
                author_name: if people {
                    r.try_get("", "author_name")?
                } else {
                    None
                },
                site_points: r.try_get("", "site_points")?,
                bonus_points: r.try_get("", "bonus_points")?,
                total: r.try_get("", "total")?,
                counted_articles: r.try_get("", "counted_articles")?,
                first_article: r.try_get("", "first_article")?,
                site_people: if people {
                    None
                } else {
                    Some(r.try_get("", "site_people")?)
                },
            };
            Ok((key, totals))
        })()
        .map_err(ApiError::internal)?;
        out.insert(row.0, row.1);
    }
    Ok(out)
}

fn differences(expected: Keyed, mut stored: Keyed, out: &mut Vec<Difference>) {
    let diff = |(year, school_id, author_key): (i32, i64, Option<String>),
                expected: Option<TotalsRow>,
                stored: Option<TotalsRow>| Difference {
        year,
        school_id,
        author_key,
        expected,
        stored,
    };
    for (k, e) in expected {
        match stored.remove(&k) {
            Some(s) if s == e => {}
            s => out.push(diff(k, Some(e), s)),
        }
    }
    for (k, s) in stored {
        out.push(diff(k, None, Some(s)));
    }
}

/// Recomputes the totals of `year` (every year when None) from the articles
/// and answers every row that differs from the kept one (none: consistent).
pub async fn check(db: &impl ConnectionTrait, year: Option<i32>) -> ApiResult<Vec<Difference>> {
    let filter = year.is_some();
    let values = || year.map(|y| vec![y.into()]).unwrap_or_default();
    let where_year = if filter { " WHERE year = $1" } else { "" };
    let mut out = Vec::new();
    for people in [true, false] {
        let (aggregate, table, cols) = if people {
            (
                people_aggregate(filter),
                "standing_people",
                "year, school_id, author_key, member_id, author_name, site_points, \
                 bonus_points, total, counted_articles, first_article",
            )
        } else {
            (
                schools_aggregate(filter),
                "standing_schools",
                "year, school_id, site_points, bonus_points, total, counted_articles, \
                 first_article, site_people",
            )
        };
        let expected = db.query_all_raw(raw(db, &aggregate, values())).await?;
        let stored = db
            .query_all_raw(raw(
                db,
                &format!("SELECT {cols} FROM {table}{where_year}"),
                values(),
            ))
            .await?;
        differences(keyed(expected, people)?, keyed(stored, people)?, &mut out);
    }
    Ok(out)
}
