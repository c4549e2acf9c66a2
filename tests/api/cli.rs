//! The command line, on the same database the server uses.

use std::collections::HashMap;

use association::cli::{Cli, run};
use association::platform::config::Settings;
use clap::Parser;

use crate::helpers::{assert_problem, spawn_app};

pub fn settings_for(url: &str) -> impl FnOnce() -> anyhow::Result<Settings> + use<> {
    let env = HashMap::from([("DATABASE_URL".to_owned(), url.to_owned())]);
    move || Ok(Settings::from_lookup(|k| env.get(k).cloned())?)
}

#[tokio::test]
async fn grant_role_makes_the_first_secretariat_on_the_servers_database() {
    let app = spawn_app().await;
    let boss = app.login("boss").await;
    assert_problem(app.get_as("/api/v1/members", &boss).await, 403, "FORBIDDEN").await;

    let cli = Cli::parse_from([
        "association",
        "grant-role",
        "--openid",
        "dev:boss",
        "--role",
        "secretariat",
    ]);
    run(cli, settings_for(&app.db.url)).await.unwrap();

    assert_eq!(app.get_as("/api/v1/members", &boss).await.status(), 200);
    let log = app.audit_of("member", &boss.member_id.to_string()).await;
    assert_eq!(log[0].action, "member.grant_role");
    assert_eq!(log[0].actor_role.as_deref(), Some("command-line"));
}

#[tokio::test]
async fn grant_role_refuses_an_unknown_role_or_a_missing_school() {
    let app = spawn_app().await;
    let bad = Cli::parse_from([
        "association",
        "grant-role",
        "--openid",
        "x",
        "--role",
        "emperor",
    ]);
    assert!(run(bad, settings_for(&app.db.url)).await.is_err());
    let no_school = Cli::parse_from([
        "association",
        "grant-role",
        "--openid",
        "x",
        "--role",
        "correspondent",
    ]);
    assert!(run(no_school, settings_for(&app.db.url)).await.is_err());
}

#[tokio::test]
async fn migrate_applies_and_lists_the_migrations() {
    let db = crate::helpers::TestDb::create().await;
    let cli = Cli::parse_from(["association", "migrate"]);
    run(cli, settings_for(&db.url)).await.unwrap();
    let conn = association::platform::db::connect(&db.url).await.unwrap();
    use migration::MigratorTrait;
    assert!(
        migration::Migrator::get_pending_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn export_openapi_writes_the_document() {
    let path = std::env::temp_dir().join(format!("{}.json", crate::helpers::unique("spec")));
    let cli = Cli::parse_from(["association", "export-openapi", path.to_str().unwrap()]);
    run(cli, || anyhow::bail!("settings are not needed"))
        .await
        .unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(written, association::api::openapi::document_json().unwrap());
}

#[tokio::test]
async fn the_development_run_seeds_a_demo_association_once() {
    let app = spawn_app().await;
    let now = crate::helpers::default_now();
    assert!(
        association::seed::demo_organisation(&app.state.db, now)
            .await
            .unwrap()
    );
    assert!(
        !association::seed::demo_organisation(&app.state.db, now)
            .await
            .unwrap()
    );
    let districts: serde_json::Value = app.get("/api/v1/districts").await.json().await.unwrap();
    assert!(
        districts["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "成都片区")
    );
    let schools: serde_json::Value = app
        .get("/api/v1/schools?q=四川大学")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(schools["items"][0]["name"], "四川大学");
}
