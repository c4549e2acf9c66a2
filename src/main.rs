use clap::Parser;

use association::cli::{Cli, run};
use association::platform::config::Settings;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    association::init_tls();
    let cli = Cli::parse();
    match run(cli, || Ok(Settings::from_env()?)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
