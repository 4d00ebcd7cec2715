//! `aftercare serve`: the HTTP server of a workspace, with graceful shutdown.

use aftercare_server::{AppState, Settings};
use aftercare_service::Workspace;
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{ServeArgs, ServerArgs};

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let (workspace, _) = super::open(&args.workspace).await?;
    let workspace = workspace.with_artifact_dir(args.artifacts.artifact_dir.clone());
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
    let interval = super::intel::parse_interval(&server.sync_interval)?;
    let mut state = AppState::new(
        workspace,
        Settings {
            max_upload_bytes: server.max_upload_bytes,
            secure_cookies: !server.insecure_cookies,
        },
    );
    state.ddi = std::sync::Arc::new(aftercare_server::ddi::DdiRuntime::new(
        aftercare_server::ddi::DdiSettings {
            tenant: server.ddi.ddi_tenant.clone(),
            polling_sleep: polling_sleep(&server.ddi.ddi_poll_sleep)?,
            public_url: server.ddi.ddi_public_url.clone(),
            gateway_token: server.ddi.ddi_gateway_token.clone(),
            trusted_proxies: server.ddi.ddi_trusted_proxy.clone(),
            authorities: server.ddi.ddi_authority.clone(),
            ..aftercare_server::ddi::DdiSettings::default()
        },
    ));
    let mut fleet =
        aftercare_server::api::fleet::FleetRuntime::new(server.ddi.telemetry_rate.max(1));
    fleet.trust_device_time = server.ddi.trust_device_time;
    state.fleet = std::sync::Arc::new(fleet);
    let mqtt = match &server.ddi.mqtt {
        Some(url) => {
            let client_id = server
                .ddi
                .mqtt_client_id
                .clone()
                .unwrap_or_else(|| format!("aftercare-{}", std::process::id()));
            Some(
                aftercare_server::mqtt::MqttSettings::from_url(
                    url,
                    &client_id,
                    &server.ddi.mqtt_group,
                )
                .map_err(|message| anyhow::anyhow!("--mqtt {message}"))?,
            )
        }
        None => None,
    };
    state.intel = std::sync::Arc::new(aftercare_server::IntelRuntime {
        aliases: Default::default(),
        options: super::intel::sync_options(&server.sync)?,
    });
    eprintln!("aftercare is serving http://{address}/ (REST API under /api/v1; Ctrl-C stops)");
    if let Some(banner) = banner {
        eprintln!("{banner}");
    }
    // The matcher's warm copy of the workspace loads in the background; a match run that
    // comes meanwhile waits for it.
    let warming = state.workspace.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match aftercare_service::finding::warm_up(&warming).await {
            Ok((components, findings)) => tracing::info!(
                components,
                findings,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "matcher warm"
            ),
            Err(error) => tracing::warn!(%error, "the matcher could not load the workspace"),
        }
    });
    // Background jobs: scheduled feed syncs and the clock tick; both stop with the server.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let background = tokio::spawn(aftercare_server::scheduler::run(
        state.clone(),
        interval,
        stopped.clone(),
    ));
    let ticker = aftercare_server::jobs::spawn_clock_tick(
        state.workspace.clone(),
        std::time::Duration::from_secs(server.clock_tick_seconds.max(1)),
        stopped.clone(),
    );
    let subscriber = mqtt.map(|settings| {
        eprintln!(
            "aftercare receives telemetry over MQTT from {}:{} ({})",
            settings.host,
            settings.port,
            aftercare_server::mqtt::filter(&settings.group, &state.ddi.settings.tenant)
        );
        aftercare_server::mqtt::spawn(
            state.clone(),
            settings,
            std::sync::Arc::default(),
            stopped.clone(),
        )
    });
    let fleet = aftercare_server::jobs::spawn_fleet_tick(
        state.clone(),
        std::time::Duration::from_secs(60),
        aftercare_service::fleet::Retention::default(),
        stopped.clone(),
    );
    let rollouts = aftercare_server::jobs::spawn_rollout_tick(
        state.clone(),
        std::time::Duration::from_secs(server.ddi.rollout_tick_seconds.max(1)),
        stopped,
    );
    aftercare_server::serve(aftercare_server::router(state), listener, shutdown_signal()).await?;
    // Stop the background syncs between batches; an open run resumes next time.
    let _ = stop.send(true);
    let _ = background.await;
    let _ = ticker.await;
    let _ = rollouts.await;
    let _ = fleet.await;
    if let Some(subscriber) = subscriber {
        let _ = subscriber.await;
    }
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

/// Checks a poll interval (`HH:MM:SS`, at most a day), as devices read it.
fn polling_sleep(text: &str) -> anyhow::Result<String> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let valid = parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[1] < "60"
        && parts[2] < "60"
        && parts[0] <= "24";
    if !valid {
        anyhow::bail!("--ddi-poll-sleep {text:?}: expected HH:MM:SS, at most 24:00:00");
    }
    Ok(text.trim().to_string())
}
