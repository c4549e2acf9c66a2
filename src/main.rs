use clap::Parser;

use association::cli::{Cli, run};
use association::platform::config::Settings;

/// mimalloc rather than glibc's allocator: glibc keeps what the server
/// allocates at start (the OpenAPI document, the migrations' check) spread
/// over per-thread arenas and does not give it back, so an idle server held
/// ~20 MiB of freed heap; mimalloc returns freed pages to the system (issue
/// 15: idle footprint).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
