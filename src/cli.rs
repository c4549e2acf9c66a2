//! The command line: `serve` (default), `worker`, `migrate`, `export-openapi`, `grant-role`,
//! `check-totals`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use secrecy::ExposeSecret;

use crate::platform::config::Settings;
use crate::startup::{Application, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "association",
    version,
    about = "四川省高校后勤协会 mini-program backend"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply the database migrations and exit (`up`), or roll back / show them.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Grant a role to the member with this WeChat openid (created if they
    /// never logged in). Makes the first secretariat account.
    GrantRole {
        #[arg(long)]
        openid: String,
        /// secretariat, council, correspondent (with --school-id) or district_lead (with --district-id)
        #[arg(long)]
        role: String,
        #[arg(long)]
        school_id: Option<i64>,
        #[arg(long)]
        district_id: Option<i64>,
    },
    /// Run the background worker alone (page verification, notifications),
    /// beside `serve` processes started with `WORKER=off`; any number may run.
    Worker,
    /// Recompute the kept standings totals from the articles and list every
    /// difference (exit status 1 when there is one); `--repair` writes them
    /// afresh first.
    CheckTotals {
        /// One credit year (default: every year).
        #[arg(long)]
        year: Option<i32>,
        /// Rebuild the totals from the articles, then check.
        #[arg(long)]
        repair: bool,
    },
    /// Write the OpenAPI document (default `openapi/openapi.json`; `-` for stdout).
    ExportOpenapi { path: Option<PathBuf> },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration.
    Down,
    /// List the migrations and whether they are applied.
    Status,
}

pub async fn run(
    cli: Cli,
    settings: impl FnOnce() -> anyhow::Result<Settings>,
) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportOpenapi { path } => {
            let json = crate::api::openapi::document_json()?;
            match path.as_deref().and_then(|p| p.to_str()) {
                Some("-") => print!("{json}"),
                _ => {
                    let path = path.unwrap_or_else(|| PathBuf::from("openapi/openapi.json"));
                    std::fs::write(&path, json)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
            }
            Ok(())
        }
        Command::Migrate { action } => {
            let settings = settings()?;
            let url = settings.database_url.expose_secret();
            let db = crate::platform::db::connect_with(url, settings.db_timeouts).await?;
            match action {
                // Under the same lock as `serve`, so a one-shot `migrate`
                // and starting replicas never race.
                MigrateAction::Up => {
                    crate::platform::db::migrate(&db, url, settings.db_timeouts).await?
                }
                MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
                MigrateAction::Status => Migrator::status(&db).await?,
            }
            for m in Migrator::get_migration_with_status(&db).await? {
                println!("{}\t{}", m.name(), m.status());
            }
            Ok(())
        }
        Command::GrantRole {
            openid,
            role,
            school_id,
            district_id,
        } => {
            let settings = settings()?;
            let role = crate::access::roles::Role::parse(&role).with_context(|| {
                format!("unknown role `{role}`; use secretariat, council, correspondent or district_lead")
            })?;
            let grant = crate::access::roles::Grant::new(role, school_id, district_id)
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            let db =
                crate::platform::db::connect_and_migrate(settings.database_url.expose_secret())
                    .await?;
            let id = crate::identity::members::grant_role_cli(
                &db,
                openid.trim(),
                grant,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "member {id} ({}) now holds the role {}",
                openid.trim(),
                role.as_str()
            );
            Ok(())
        }
        Command::CheckTotals { year, repair } => {
            let settings = settings()?;
            let db =
                crate::platform::db::connect_and_migrate(settings.database_url.expose_secret())
                    .await?;
            let fail = |e: crate::platform::error::ApiError| anyhow::anyhow!("{e}");
            if repair {
                let n = crate::articles::totals::rebuild(&db, year)
                    .await
                    .map_err(fail)?;
                println!("rebuilt the totals: {n} rows");
            }
            let differences = crate::articles::totals::check(&db, year)
                .await
                .map_err(fail)?;
            for d in &differences {
                println!("{d}");
            }
            if differences.is_empty() {
                println!("the kept totals match the articles");
                Ok(())
            } else {
                anyhow::bail!(
                    "{} rows of the kept totals differ from the articles \
                     (`check-totals --repair` rebuilds them)",
                    differences.len()
                )
            }
        }
        Command::Worker => {
            let settings = settings()?;
            crate::platform::telemetry::init(settings.env);
            let state = crate::startup::build_state(settings, &Overrides::default()).await?;
            let verifier = crate::startup::verifier(&state)?;
            tracing::info!("background worker started");
            crate::worker::run(
                crate::worker::Context {
                    state: state.clone(),
                    verifier,
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await?;
            tracing::info!("background worker stopped");
            Ok(())
        }
        Command::Serve => {
            let settings = settings()?;
            crate::platform::telemetry::init(settings.env);
            tracing::info!(settings = ?settings, "starting");
            if settings.dev_login_enabled() {
                tracing::warn!(
                    "DEVELOPMENT LOGIN IS ON: any `dev:<name>` code logs in without WeChat. \
                     Set WECHAT_APPID/WECHAT_SECRET (or APP_ENV=production) to turn it off."
                );
            }
            let dev = !settings.is_production();
            let app = Application::build(settings, Overrides::default()).await?;
            if dev && crate::seed::demo_organisation(&app.state().db, chrono::Utc::now()).await? {
                tracing::info!("seeded the demo association (districts and schools)");
            }
            if dev && crate::seed::demo_campaign(&app.state().db, chrono::Utc::now()).await? {
                tracing::info!("seeded a demo 最美后勤人 campaign with a deadline a month ahead");
            }
            if dev && crate::seed::demo_sources(&app.state().db, chrono::Utc::now()).await? {
                crate::articles::sources::changed(&app.state().cache)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                tracing::info!("seeded the article sources (official sites and bonus outlets)");
            }
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped().await?;
            Ok(())
        }
    }
}
