//! The loop's chains: the one module that calls one slice after another.
//!
//! Slices never call each other sideways to continue the loop — `inventory` does not match an
//! import, `intel` does not re-match a sync's delta. The chains live here, so that each slice
//! stays a set of use cases with its own transactions, and a new step of the loop (patch →
//! rollout → clock) is one more function in this file:
//!
//! * [`init`] — a new workspace: its local administrator and the built-in policy, in one
//!   transaction;
//! * [`import_release`] — a release's SBOM import, then the match of its components;
//! * [`sync`] and [`sync_due`] — a feed sync, then the re-match of what its delta touches
//!   across every release of every product.
//!
//! A match that follows an import or a sync is its own transaction: the import or sync stands
//! on its own, and `aftercare match --all` catches up if the match failed.

use std::sync::atomic::Ordering;
use std::time::Duration;

use aftercare_model::Actor;
use aftercare_store::account::AccountRow;

use crate::access::auth::Principal;
use crate::access::password::Password;
use crate::finding::{self, MatchReport, MatchScope};
use crate::intel::sync::{self, NoProgress, Progress, SyncOptions, SyncReport};
use crate::inventory::{self, ImportOutcome, SbomFile};
use crate::{Context, ServiceError, Workspace, access, triage};

/// Initializes a workspace: creates its local administrator and stores the built-in policy.
/// Fails if the workspace has an administrator already.
pub async fn init(
    workspace: &Workspace,
    login: &str,
    display_name: &str,
    password: &Password,
    now: jiff::Timestamp,
) -> Result<AccountRow, ServiceError> {
    let password_hash = access::account::local_admin_hash(login, display_name, password).await?;
    let mut tx = workspace.store().begin().await?;
    let (created, context) = access::account::create_local_admin(
        workspace,
        &mut tx,
        login,
        display_name,
        &password_hash,
        now,
    )
    .await?;
    triage::policy::store_builtin(&mut tx, &context).await?;
    tx.commit().await?;
    Ok(created)
}

/// What importing a release did: the import, and the match of its components.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The import.
    pub import: ImportOutcome,
    /// The findings of the imported components against the stored intelligence (absent
    /// without an SBOM).
    pub matched: Option<MatchReport>,
}

/// Adds a release of a product, with its SBOM if one is given
/// ([`inventory::add_release`]), and matches the new components at once.
///
/// The same SBOM imported again matches the release again: an import interrupted after its
/// commit but before its match (a killed process) is completed by the documented retry, and
/// a release already matched is only confirmed.
pub async fn import_release(
    workspace: &Workspace,
    context: &Context,
    product_key: &str,
    version: &str,
    file: Option<&SbomFile>,
) -> Result<Imported, ServiceError> {
    let import = inventory::add_release(workspace, context, product_key, version, file).await?;
    let matched = match &import.sbom {
        Some(_) => Some(
            finding::rematch(workspace, context, MatchScope::Release(import.release.id)).await?,
        ),
        None => None,
    };
    Ok(Imported { import, matched })
}

/// What a sync did: the sync, and the re-match of what its delta touches.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The sync.
    pub sync: SyncReport,
    /// The re-match of the findings the delta touches (absent when nothing changed, or when
    /// the re-match failed: the sync itself stands, and the failure is logged).
    pub matched: Option<MatchReport>,
}

/// Syncs a feed by name, as the principal (who needs `feed.manage`), then re-matches what its
/// delta touches.
pub async fn sync(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<Synced, ServiceError> {
    let report = sync::sync(workspace, context, principal, name, options, progress).await?;
    Ok(rematch_delta(workspace, context, report).await)
}

/// Syncs every feed not synced successfully within `interval` of `now` (and every interrupted
/// run), as `system:feed-sync`, each followed by the re-match of its delta; feeds another node
/// is syncing are skipped. Returns the outcomes and the failures.
pub async fn sync_due(
    workspace: &Workspace,
    options: &SyncOptions,
    interval: Duration,
    now: jiff::Timestamp,
) -> Result<Vec<Result<Synced, (String, ServiceError)>>, ServiceError> {
    let mut out = Vec::new();
    for feed in sync::due_feeds(workspace, interval, now).await? {
        if options.cancel.load(Ordering::Relaxed) {
            break;
        }
        // Each feed's sync (and its re-match) is a use case of its own, started when the one
        // before has ended, hours after `now` perhaps: its instant comes from the sync's clock
        // (the shell's) as it starts.
        let context = Context::new(Actor::system("feed-sync"), (options.clock)());
        match sync::sync_feed(workspace, &context, &feed, options, &NoProgress).await {
            Ok(report) => out.push(Ok(rematch_delta(workspace, &context, report).await)),
            Err(ServiceError::Busy { .. }) => {}
            Err(error) => out.push(Err((feed.name.clone(), error))),
        }
    }
    Ok(out)
}

/// Re-matches what a sync's delta touches, across every release of every product; a failure
/// is logged and leaves the sync as it is.
async fn rematch_delta(workspace: &Workspace, context: &Context, sync: SyncReport) -> Synced {
    if sync.delta.is_empty() {
        return Synced {
            sync,
            matched: None,
        };
    }
    let matched = match finding::rematch(workspace, context, MatchScope::Delta(&sync.delta)).await {
        Ok(matched) => {
            if let (Some(run_id), false) = (sync.run_id, matched.unreadable.is_empty())
                && let Err(error) =
                    sync::report_unreadable(workspace, run_id, &matched.unreadable).await
            {
                tracing::warn!(feed = %sync.feed, error = %error, "cannot record unreadable records");
            }
            Some(matched)
        }
        Err(error) => {
            tracing::warn!(
                feed = %sync.feed,
                error = %sync::error_chain(&error),
                "re-match after sync failed"
            );
            None
        }
    };
    Synced { sync, matched }
}
