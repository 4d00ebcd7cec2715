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
