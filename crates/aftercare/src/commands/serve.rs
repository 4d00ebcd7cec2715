//! `aftercare serve`: the HTTP server of a workspace, with graceful shutdown.

use aftercare_server::{AppState, Settings};
use aftercare_service::Workspace;
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{ServeArgs, ServerArgs};

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let (workspace, _) = super::open(&args.workspace).await?;
    serve(workspace, &args.server, None).await?;
    Ok(Outcome::Ok)
}

/// Serves a workspace until Ctrl-C or SIGTERM; `banner` is printed once listening.
pub(crate) async fn serve(
    workspace: Workspace,
    server: &ServerArgs,
    banner: Option<String>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(server.bind)
        .await
        .with_context(|| format!("cannot listen on {}", server.bind))?;
    let address = listener.local_addr()?;
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let ticker = aftercare_server::jobs::spawn_clock_tick(
        workspace.clone(),
        std::time::Duration::from_secs(server.clock_tick_seconds.max(1)),
        jobs_stopped,
    );
    let state = AppState {
        workspace,
        settings: Settings {
            max_upload_bytes: server.max_upload_bytes,
            secure_cookies: !server.insecure_cookies,
        },
    };
    eprintln!("aftercare is serving http://{address}/ (REST API under /api/v1; Ctrl-C stops)");
    if let Some(banner) = banner {
        eprintln!("{banner}");
    }
    aftercare_server::serve(aftercare_server::router(state), listener, shutdown_signal()).await?;
    let _ = stop_jobs.send(true);
    let _ = ticker.await;
    eprintln!("aftercare stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
