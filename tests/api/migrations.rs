use association::platform::db;
use migration::{Migrator, MigratorTrait};

use crate::helpers::TestDb;

/// Up, down, up again on the backend under test (SQLite, or PostgreSQL when
/// `TEST_DATABASE_URL` is set): a down migration that was never run does not work.
#[tokio::test]
async fn migrations_round_trip_up_down_up() {
    let test_db = TestDb::create().await;
    let conn = db::connect(&test_db.url).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    let applied = Migrator::get_applied_migrations(&conn).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    Migrator::down(&conn, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
    let manager = migration::SchemaManager::new(&conn);
    assert!(!manager.has_table("idempotency_keys").await.unwrap());
    Migrator::up(&conn, None).await.unwrap();
    assert!(manager.has_table("idempotency_keys").await.unwrap());
    assert_eq!(
        db::backend_name(&conn),
        if test_db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    conn.close().await.unwrap();
}

/// The migrations of issue 12 item 8 carry the data over: a school already
/// inactive has left on the China-time day of its last change; the seed's
/// "2020–2030" list of the info site becomes "from 2020 on"; going down, a
/// range becomes the list of its years.
#[tokio::test]
async fn migrating_dates_inactive_schools_and_opens_the_seeded_2020_to_2030_list() {
    use chrono::{TimeZone, Utc};
    use sea_orm::{ConnectionTrait, Statement, Value};

    let test_db = TestDb::create().await;
    let conn = db::connect(&test_db.url).await.unwrap();
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let before = u32::try_from(
        names
            .iter()
            .position(|n| n == "m20261202_000010_school_left_on")
            .unwrap(),
    )
    .unwrap();
    Migrator::up(&conn, Some(before)).await.unwrap();
    let backend = conn.get_database_backend();
    let run = |sql: &str, values: Vec<Value>| {
        let sql = if test_db.is_postgres() {
            let mut n = 0;
            sql.chars()
                .map(|c| {
                    if c == '?' {
                        n += 1;
                        format!("${n}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        } else {
            sql.to_owned()
        };
        Statement::from_sql_and_values(backend, sql, values)
    };
    // Set inactive at 2021-06-30 20:00 UTC: 1 July in China.
    let changed = Utc
        .with_ymd_and_hms(2021, 6, 30, 20, 0, 0)
        .single()
        .unwrap();
    conn.execute_raw(run(
        "INSERT INTO districts (id, name, created_at, updated_at) VALUES (1, '成都片区', ?, ?)",
        vec![changed.into(), changed.into()],
    ))
    .await
    .unwrap();
    for (id, name, active) in [(1, "甲校", false), (2, "乙校", true)] {
        conn.execute_raw(run(
            "INSERT INTO schools (id, name, district_id, active, created_at, updated_at)
             VALUES (?, ?, 1, ?, ?, ?)",
            vec![
                id.into(),
                name.into(),
                active.into(),
                changed.into(),
                changed.into(),
            ],
        ))
        .await
        .unwrap();
    }
    let seeded: Vec<i32> = (2020..=2030).collect();
    for (id, years) in [
        (1, serde_json::to_string(&seeded).unwrap()),
        (2, "[2019]".to_owned()),
    ] {
        conn.execute_raw(run(
            "INSERT INTO sources (id, name, kind, hosts, columns, years, needs_confirmation,
                                  allow_private_network, created_at, updated_at)
             VALUES (?, ?, 'official', '[]', '[]', ?, false, false, ?, ?)",
            vec![
                id.into(),
                format!("站{id}").into(),
                years.into(),
                changed.into(),
                changed.into(),
            ],
        ))
        .await
        .unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();

    use association::entity::{school, source};
    use sea_orm::{EntityTrait, QueryOrder};
    let schools = school::Entity::find()
        .order_by_asc(school::Column::Id)
        .all(&conn)
        .await
        .unwrap();
    let left: Vec<_> = schools.iter().map(|s| (s.active, s.left_on)).collect();
    assert_eq!(
        left,
        [
            (false, chrono::NaiveDate::from_ymd_opt(2021, 7, 1)),
            (true, None)
        ]
    );
    let sources = source::Entity::find()
        .order_by_asc(source::Column::Id)
        .all(&conn)
        .await
        .unwrap();
    let counted: Vec<_> = sources
        .iter()
        .map(|s| (s.years.as_str(), s.from_year, s.until_year))
        .collect();
    assert_eq!(counted, [("[]", Some(2020), None), ("[2019]", None, None)]);

    // Down past both: the open range is the list of its years up to 2100.
    let after = u32::try_from(names.len()).unwrap() - before;
    Migrator::down(&conn, Some(after)).await.unwrap();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT years FROM sources WHERE id = 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let years: String = row.try_get("", "years").unwrap();
    let years: Vec<i32> = serde_json::from_str(&years).unwrap();
    assert_eq!(years, (2020..=2100).collect::<Vec<_>>());
    Migrator::up(&conn, None).await.unwrap();
    conn.close().await.unwrap();
}

/// m20261203_000032_attachment_pages numbers the files stored before it in
/// upload order within their kind: the photo and the single scan page 1,
/// the two certificates pages 1 and 2 (the unique index over nomination,
/// kind and page then holds).
#[tokio::test]
async fn migrating_numbers_the_stored_attachments_as_pages_of_their_kind() {
    use association::entity::nomination_attachment as att;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let app = crate::helpers::spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&lead, campaign, "郑迁移").await;
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "证书二.pdf",
            "application/pdf",
            crate::helpers::pdf_bytes(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let conn = &app.state.db;
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let at = names
        .iter()
        .position(|n| n == "m20261203_000032_attachment_pages")
        .unwrap();
    // Down to just before it (with any later ones), then up again.
    Migrator::down(conn, Some(u32::try_from(names.len() - at).unwrap()))
        .await
        .unwrap();
    Migrator::up(conn, None).await.unwrap();
    let rows = att::Entity::find()
        .filter(att::Column::NominationId.eq(id))
        .order_by_asc(att::Column::Id)
        .all(conn)
        .await
        .unwrap();
    let pages: Vec<(&str, i32)> = rows.iter().map(|a| (a.kind.as_str(), a.page)).collect();
    assert_eq!(
        pages,
        [
            ("photo", 1),
            ("certificate", 1),
            ("registration_scan", 1),
            ("certificate", 2)
        ]
    );
}

/// The indexes of a table with their columns in order, and whether each is unique.
async fn indexes_of(
    conn: &sea_orm::DatabaseConnection,
    table: &str,
) -> std::collections::BTreeMap<String, (bool, Vec<String>)> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT i.relname AS name, x.indisunique AS uniq, a.attname AS col \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE t.relname = '{table}' ORDER BY i.relname, k.ord"
        ),
        _ => format!(
            "SELECT il.name AS name, il.\"unique\" = 1 AS uniq, ii.name AS col \
             FROM pragma_index_list('{table}') il, pragma_index_info(il.name) ii \
             ORDER BY il.name, ii.seqno"
        ),
    };
    let mut out = std::collections::BTreeMap::new();
    for row in conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
    {
        let name: String = row.try_get("", "name").unwrap();
        let unique: bool = row.try_get("", "uniq").unwrap();
        let col: String = row.try_get("", "col").unwrap();
        out.entry(name)
            .or_insert_with(|| (unique, Vec::new()))
            .1
            .push(col);
    }
    out
}

/// Issue 15: no index of `articles` is a prefix of another (each is written
/// on every insert and update; one another covers only costs). A unique
/// index is a rule, never redundant.
#[tokio::test]
async fn no_index_of_articles_is_covered_by_another() {
    let test_db = TestDb::create().await;
    let conn = db::connect(&test_db.url).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    let indexes = indexes_of(&conn, "articles").await;
    assert!(
        indexes.contains_key("idx_articles_standings"),
        "{indexes:?}"
    );
    assert!(!indexes.contains_key("idx_articles_credit"), "{indexes:?}");
    for (name, (unique, cols)) in &indexes {
        if *unique {
            continue;
        }
        for (other, (_, others)) in &indexes {
            assert!(
                other == name || !others.starts_with(cols),
                "{name} {cols:?} is a prefix of {other} {others:?}"
            );
        }
    }
    conn.close().await.unwrap();
}
