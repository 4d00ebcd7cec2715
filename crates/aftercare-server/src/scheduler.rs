//! The background intelligence task of `aftercare serve`: syncs due feeds on a schedule and
//! keeps the warm alias map current, until shutdown.
//!
//! With several nodes on one PostgreSQL every node runs the task; a feed's lease lets one
//! node at a time sync it, and the others skip it. Shutdown stops a sync between batches:
//! the run stays open at its checkpoint and the next sync (on any node) resumes it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use aftercare_service::flow;
use tokio::sync::watch;

use crate::AppState;

/// How often the alias map checks whether the stored intelligence moved on.
const ALIAS_REFRESH: Duration = Duration::from_secs(30);

/// Runs the task until `shutdown` turns true. `interval` is the sync schedule (`None`: no
/// scheduled syncs, only the alias map is kept current).
pub async fn run(state: AppState, interval: Option<Duration>, mut shutdown: watch::Receiver<bool>) {
    if let Err(error) = state.intel.aliases.refresh(&state.workspace).await {
        tracing::warn!(error = %error, "cannot load the alias map");
    }
    let mut next_sync = tokio::time::Instant::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Some(interval) = interval
            && tokio::time::Instant::now() >= next_sync
        {
            let options = &state.intel.options;
            let syncing =
                flow::sync_due(&state.workspace, options, interval, jiff::Timestamp::now());
            tokio::pin!(syncing);
            let result = tokio::select! {
                result = &mut syncing => Some(result),
                _ = shutdown.changed() => {
                    // Stop between batches; wait for the sync to leave its checkpoint.
                    options.cancel.store(true, Ordering::Relaxed);
                    let _ = syncing.await;
                    None
                }
            };
            match result {
                Some(Ok(reports)) => {
                    for report in reports {
                        match report {
                            Ok(synced) => tracing::info!(
                                feed = %synced.sync.feed,
                                status = synced.sync.status.as_str(),
                                new = synced.sync.counts.new,
                                updated = synced.sync.counts.updated,
                                "scheduled sync"
                            ),
                            Err((feed, error)) => {
                                tracing::warn!(feed = %feed, error = %error, "scheduled sync failed")
                            }
                        }
                    }
                }
                Some(Err(error)) => tracing::warn!(error = %error, "scheduled syncs failed"),
                None => break,
            }
            // Check again soon: a feed becomes due `interval` after its last success.
            next_sync = tokio::time::Instant::now() + interval.min(Duration::from_secs(300));
        }
        if let Err(error) = state.intel.aliases.refresh(&state.workspace).await {
            tracing::warn!(error = %error, "cannot refresh the alias map");
        }
        tokio::select! {
            _ = tokio::time::sleep(ALIAS_REFRESH) => {}
            _ = shutdown.changed() => {}
        }
    }
}
