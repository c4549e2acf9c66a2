//! Kept standings totals (issue 15): per credit year, one row per school and
//! one per first author (school, author key) with their site points, bonus
//! points, total, counted articles and first counted article, maintained in
//! the transaction of every change to an article's points, so a standings page
//! is a keyset read on an index instead of an aggregation over the year.
//! Filled from the articles as they stand.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn counters(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(ColumnDef::new("site_points").big_integer().not_null())
        .col(ColumnDef::new("bonus_points").big_integer().not_null())
        .col(ColumnDef::new("total").big_integer().not_null())
        .col(ColumnDef::new("counted_articles").big_integer().not_null())
        .col(ColumnDef::new("first_article").big_integer().not_null())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut people = Table::create();
        people
            .table("standing_people")
            .col(ColumnDef::new("year").integer().not_null())
            .col(ColumnDef::new("school_id").big_integer().not_null())
            .col(ColumnDef::new("author_key").string_len(120).not_null())
            .col(ColumnDef::new("member_id").big_integer().null())
            .col(ColumnDef::new("author_name").string_len(128).null());
        counters(&mut people).primary_key(
            Index::create()
                .col("year")
                .col("school_id")
                .col("author_key"),
        );
        m.create_table(people.to_owned()).await?;
        let mut schools = Table::create();
        schools
            .table("standing_schools")
            .col(ColumnDef::new("year").integer().not_null())
            .col(ColumnDef::new("school_id").big_integer().not_null());
        counters(&mut schools)
            // People of the school with site points that year: the
            // individuals' population is their sum over member schools.
            .col(ColumnDef::new("site_people").big_integer().not_null())
            .primary_key(Index::create().col("year").col("school_id"));
        m.create_table(schools.to_owned()).await?;
        // The orders of the standings (ranking key descending, then school,
        // then first article), one index per key: pages, ranks and the
        // cut-off are ranges and counts on them.
        for (table, tail) in [
            ("standing_people", &["school_id", "first_article"][..]),
            ("standing_schools", &["school_id"][..]),
        ] {
            for key in ["total", "site_points"] {
                let mut idx = Index::create();
                idx.name(format!("idx_{table}_{key}"))
                    .table(table)
                    .col("year")
                    .col((Alias::new(key), IndexOrder::Desc));
                for c in tail {
                    idx.col(*c);
                }
                m.create_index(idx.to_owned()).await?;
            }
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO standing_people (year, school_id, author_key, member_id, author_name,
                 site_points, bonus_points, total, counted_articles, first_article)
             SELECT credit_year, school_id, author_key, MIN(first_author_member_id),
                    MIN(first_author_name), SUM(site_points), SUM(bonus_points),
                    SUM(site_points + bonus_points), COUNT(*), MIN(id)
             FROM articles
             WHERE credit_year IS NOT NULL AND (site_points > 0 OR bonus_points > 0)
             GROUP BY credit_year, school_id, author_key",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO standing_schools (year, school_id, site_points, bonus_points, total,
                 counted_articles, first_article, site_people)
             SELECT credit_year, school_id, SUM(site_points), SUM(bonus_points),
                    SUM(site_points + bonus_points), COUNT(*), MIN(id),
                    COUNT(DISTINCT CASE WHEN site_points > 0 THEN author_key END)
             FROM articles
             WHERE credit_year IS NOT NULL AND (site_points > 0 OR bonus_points > 0)
             GROUP BY credit_year, school_id",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("standing_schools").to_owned())
            .await?;
        m.drop_table(Table::drop().table("standing_people").to_owned())
            .await
    }
}
