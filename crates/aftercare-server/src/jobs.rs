//! Background jobs of the server: explicit tasks that stop when the server shuts down.
//!
//! The clock tick lets time pass for every case (clocks whose deadline ended become missed,
//! an 806 clock may open). It is safe on several nodes sharing one PostgreSQL: each case is
//! locked while it is re-evaluated, and a case already ticked by another node has nothing
//! left to change.

use std::time::Duration;

use aftercare_service::Workspace;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Starts the clock tick: once at start, then every `interval`, until `shutdown` turns true.
pub fn spawn_clock_tick(
    workspace: Workspace,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match aftercare_service::triage::case::tick(&workspace, jiff::Timestamp::now()).await {
                Ok(0) => {}
                Ok(changed) => tracing::info!(changed, "clock tick changed cases"),
                Err(error) => tracing::error!(error = %error, "clock tick failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    })
}

/// Starts the rollout tick: every `interval`, the coalesced device polls and refused
/// credentials are written, and live rollouts are evaluated (`flow::rollout_tick`: waves,
/// windows, late devices, revoked patches, the distribution once every device was offered),
/// until `shutdown` turns true; a last flush on the way out.
pub fn spawn_rollout_tick(
    state: crate::AppState,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            state.ddi.flush(&state.workspace).await;
            let context = aftercare_service::Context::new(
                aftercare_model::Actor::system("rollout-tick"),
                jiff::Timestamp::now(),
            );
            match aftercare_service::flow::rollout_tick(&state.workspace, &context).await {
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "rollout tick failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        state.ddi.flush(&state.workspace).await;
                        break;
                    }
                }
            }
        }
    })
}

/// Starts the fleet tick: every `interval`, devices silent for more than the silence rule's
/// poll intervals raise their signal (`fleet::tick`, the poll interval the DDI settings give
/// devices); once an hour, the retention job deletes raw telemetry and old rollups (never a
/// signal or a regulated record). Runs until `shutdown` turns true.
pub fn spawn_fleet_tick(
    state: crate::AppState,
    interval: Duration,
    retention: aftercare_service::fleet::Retention,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let poll = poll_interval(&state.ddi.settings.polling_sleep);
        let mut last_purge: Option<std::time::Instant> = None;
        loop {
            let context = aftercare_service::Context::new(
                aftercare_model::Actor::system("fleet-tick"),
                jiff::Timestamp::now(),
            );
            if let Err(error) = aftercare_service::fleet::tick(
                &state.workspace,
                &context,
                &state.fleet.detectors,
                poll,
            )
            .await
            {
                tracing::error!(error = %error, "fleet tick failed");
            }
            if last_purge.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
                last_purge = Some(std::time::Instant::now());
                match aftercare_service::fleet::purge(&state.workspace, context.now, retention)
                    .await
                {
                    Ok(deleted) => tracing::info!(deleted, "telemetry retention"),
                    Err(error) => tracing::error!(error = %error, "telemetry retention failed"),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    })
}

/// The DDI poll interval (`HH:MM:SS`) as a duration; five minutes when unreadable.
fn poll_interval(text: &str) -> jiff::SignedDuration {
    let parts: Vec<i64> = text
        .split(':')
        .filter_map(|part| part.parse().ok())
        .collect();
    match parts.as_slice() {
        [h, m, s] => jiff::SignedDuration::from_secs(h * 3600 + m * 60 + s),
        _ => jiff::SignedDuration::from_mins(5),
    }
}
