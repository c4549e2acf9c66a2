use clap::Parser;

use association::cli::{Cli, run};
use association::platform::config::Settings;

/// glibc's allocator gives threads arenas of their own (up to eight per CPU),
/// and what an idle server freed at start stays spread over them: one arena
/// is enough for this service and keeps the idle footprint small (issue 15:
/// −8 MiB of resident memory). glibc reads `MALLOC_ARENA_MAX` before `main`,
/// so the process starts itself again, once, with it set — unless it is set
/// already (an operator's own choice, or the image's).
fn with_few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none()
        && let Ok(exe) = std::env::current_exe()
    {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("MALLOC_ARENA_MAX", association::MALLOC_ARENA_MAX)
            .exec();
        // Not restarted (the binary was replaced meanwhile?): go on as is.
        eprintln!("note: running with glibc's default malloc arenas ({err})");
    }
}

fn main() -> std::process::ExitCode {
    with_few_malloc_arenas();
    run_main()
}

#[actix_web::main]
async fn run_main() -> std::process::ExitCode {
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
