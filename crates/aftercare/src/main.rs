//! The `aftercare` binary: parses arguments, runs the command, maps the result to an exit
//! code (0 ok, 1 policy failed, 2 error). One-shot commands run on the main thread; only
//! the others start the multi-threaded async runtime.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Only the one-shot scan, whose latency is a target; before anything else is set up.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|command| command == "scan")
    {
        aftercare::heap::use_huge_pages();
    }
    let cli = aftercare::cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("AFTERCARE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,aftercare=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match aftercare::run_local(cli) {
        Ok(result) => result,
        Err(cli) => run_async(*cli),
    };
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(aftercare::EXIT_ERROR)
        }
    }
}

/// Runs a command that needs the async runtime (workspace, server, feeds).
fn run_async(cli: aftercare::cli::Cli) -> anyhow::Result<aftercare::Outcome> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => anyhow::bail!("cannot start the async runtime: {error}"),
    };
    runtime.block_on(aftercare::run(cli))
}
