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
