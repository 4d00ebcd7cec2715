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
//!   across every release of every product;
//! * [`import_patch_release`] — a patch release's import and match, then its attachment to the
//!   plans it serves;
//! * [`distribute`] — a distribution the gate allows, then the `fix_distributed` event of every
//!   case its plans cover (the remediation clock is met by a distributed fix, never by a plan,
//!   a build or an approval);
//! * [`start_rollout`], [`resume_rollout`], [`decide_rollout`], [`rollout_tick`] — a
//!   rollout's move, then, once it has offered the patch to every targeted device (and, when
//!   the policy's `[patch.fix_distributed]` asks for it, a share of them has it installed),
//!   its distribution (channel `ota`) with the `fix_distributed` events.
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
use crate::patch::release::{self as patch_release, NewDistribution, PatchState};
use crate::{Context, ServiceError, Workspace, access, fleet, rollout, triage};

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

/// What importing a patch release did: the import and its match, and the patch it now is.
#[derive(Debug, Clone)]
pub struct ImportedPatch {
    /// The import and its match.
    pub imported: Imported,
    /// The patch release, attached to its plans.
    pub patch: PatchState,
}

/// Adds a patch release with its SBOM ([`import_release`]: matched at once, so that its fix
/// evidence can be computed) and attaches it to the plans it serves.
pub async fn import_patch_release(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product_key: &str,
    version: &str,
    file: Option<&SbomFile>,
    plans: &[i64],
) -> Result<ImportedPatch, ServiceError> {
    principal.require(aftercare_model::Permission::PatchManage)?;
    let product = inventory::product(workspace, product_key).await?;
    patch_release::check_attach(
        workspace,
        (product.id, &product.name),
        version.trim(),
        plans,
    )
    .await?;
    let imported = import_release(workspace, context, product_key, version, file).await?;
    let patch = patch_release::attach(
        workspace,
        context,
        principal,
        &imported.import.release.product_name,
        &imported.import.release.version,
        plans,
    )
    .await?;
    Ok(ImportedPatch { imported, patch })
}

/// Records that an approved patch release was made available to customers (permission
/// `patch.manage`), as the gate (`aftercare_patch::may_distribute`) allows it, and the
/// `fix_distributed` event of every (product, vulnerability) case its plans cover, which meets
/// the remediation clock: one transaction. The distribution counts from the moment it is
/// recorded when dated today, else from the end of its day (a day in the past needs no more
/// than its record as evidence: the case event carries the distribution as its justification);
/// a day in the future is refused.
pub async fn distribute(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product_key: &str,
    version: &str,
    new: &NewDistribution,
) -> Result<PatchState, ServiceError> {
    principal.require(aftercare_model::Permission::PatchManage)?;
    if !patch_release::CHANNELS.contains(&new.channel.as_str()) {
        return Err(ServiceError::invalid(
            "channel",
            format!(
                "{:?}: expected {}",
                new.channel,
                patch_release::CHANNELS.join(", ")
            ),
        ));
    }
    let state = patch_release::state(workspace, product_key, version).await?;
    let current = triage::policy::current(workspace).await?;
    let calendar = current.policy.calendar();
    let today = calendar.day_of(context.now);
    let at = if new.on > today {
        return Err(ServiceError::invalid(
            "on",
            format!(
                "{} is after today ({today}): record a distribution once it happened",
                new.on
            ),
        ));
    } else if new.on == today {
        context.now
    } else {
        calendar
            .end_of_day(new.on)
            .map_err(|error| ServiceError::rule("on", error))?
    };
    record_distribution(workspace, context, &state, new, at, None).await?;
    patch_release::state(workspace, product_key, version).await
}

/// A distribution the gate allows at `at`, and the `fix_distributed` event of every
/// (product, vulnerability) case the patch's plans cover, in one transaction; `rollout` is the
/// rollout that made it, which keeps its id.
async fn record_distribution(
    workspace: &Workspace,
    context: &Context,
    state: &PatchState,
    new: &NewDistribution,
    at: jiff::Timestamp,
    rollout: Option<i64>,
) -> Result<i64, ServiceError> {
    let current = triage::policy::current(workspace).await?;
    state
        .gate(at)
        .map_err(|error| ServiceError::rule("distribution", error))?;
    let mut tx = workspace.store().begin().await?;
    let id =
        patch_release::record_distribution(workspace, &mut tx, context, state, new, at).await?;
    if let Some(rollout_id) = rollout {
        crate::rollout::set_distribution(&mut tx, context, rollout_id, id).await?;
    }
    let mut cases: std::collections::BTreeSet<(i64, String, String)> = Default::default();
    for fix in &state.fixes {
        let plan = state
            .plans
            .iter()
            .find(|plan| plan.product_id == state.release.product_id);
        if let Some(plan) = plan {
            cases.insert((
                plan.product_id,
                plan.product.clone(),
                fix.finding.vulnerability.to_string(),
            ));
        }
    }
    let backdating =
        (context.now.duration_since(at) > jiff::SignedDuration::from_hours(1)).then(|| {
            aftercare_risk::event_time::Backdating {
                reason: format!(
                    "{} {} was distributed on {} ({}); recorded afterwards as distribution {id}",
                    state.release.product_name, state.release.version, new.on, new.channel
                ),
                evidence: format!("distribution:{id}"),
            }
        });
    for (product_id, product, vulnerability) in &cases {
        let event = aftercare_risk::Event {
            at,
            kind: aftercare_risk::EventKind::FixDistributed,
        };
        triage::case::record_in(
            &mut tx,
            context,
            &current.policy,
            (*product_id, product),
            vulnerability,
            &event,
            context.now,
            backdating.as_ref(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Follows a rollout's move: once it has offered its patch to every targeted device — and,
/// when the policy's `[patch.fix_distributed]` says `when = "installed"`, once that share of
/// the targeted devices has it installed — the distribution (channel `ota`, today) and the
/// `fix_distributed` event of the cases the patch serves, as by any distribution. With
/// `catching_up` (a finished rollout looked at again by the tick), a patch the gate no longer
/// clears (revoked since) is left alone instead of failing the tick.
async fn after_rollout(
    workspace: &Workspace,
    context: &Context,
    moved: &rollout::Moved,
    catching_up: bool,
) -> Result<(), ServiceError> {
    if !moved.offered_all {
        return Ok(());
    }
    let row = &moved.rollout;
    let current = triage::policy::current(workspace).await?;
    let rule = current.policy.patch().fix_distributed();
    if rule.needs_installed_share() {
        let (installed, targeted) = rollout::installed_share(workspace, row.id).await?;
        if !rule.is_met(moved.offered_all, installed, targeted) {
            return Ok(());
        }
    }
    let state = patch_release::state(workspace, &row.product, &row.version).await?;
    if catching_up && state.gate(context.now).is_err() {
        return Ok(());
    }
    let new = NewDistribution {
        channel: "ota".to_string(),
        on: current.policy.calendar().day_of(context.now),
        organisation: None,
        evidence: None,
    };
    record_distribution(workspace, context, &state, &new, context.now, Some(row.id)).await?;
    Ok(())
}

/// Starts a rollout ([`rollout::start`]), then records the distribution if its first wave
/// offered the patch to every targeted device.
pub async fn start_rollout(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> Result<rollout::Moved, ServiceError> {
    let moved = rollout::start(workspace, context, principal, name).await?;
    after_rollout(workspace, context, &moved, false).await?;
    Ok(moved)
}

/// Resumes a rollout ([`rollout::resume`]), then records the distribution if that offered
/// the patch to every targeted device.
pub async fn resume_rollout(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> Result<rollout::Moved, ServiceError> {
    let moved = rollout::resume(workspace, context, principal, name).await?;
    after_rollout(workspace, context, &moved, false).await?;
    Ok(moved)
}

/// The signed decision at a rollout's hold point ([`rollout::decide`]), then the
/// distribution if a go offered the patch to every targeted device.
pub async fn decide_rollout(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
    go: bool,
    sign: &crate::access::signature::SignRequest,
) -> Result<rollout::Moved, ServiceError> {
    let moved = rollout::decide(workspace, context, principal, name, go, sign).await?;
    after_rollout(workspace, context, &moved, false).await?;
    Ok(moved)
}

/// The server's periodic pass over rollouts ([`rollout::tick`]), then the distributions it
/// completed. When the policy asks for an installed share, the finished rollouts without a
/// distribution are looked at too: their devices may still report the installation after
/// the last wave reached its success threshold.
pub async fn rollout_tick(workspace: &Workspace, context: &Context) -> Result<usize, ServiceError> {
    let moved = rollout::tick(workspace, context).await?;
    for each in &moved {
        after_rollout(workspace, context, each, false).await?;
    }
    let current = triage::policy::current(workspace).await?;
    if current
        .policy
        .patch()
        .fix_distributed()
        .needs_installed_share()
    {
        for finished in rollout::finished_without_distribution(workspace).await? {
            if moved.iter().any(|m| m.rollout.id == finished.rollout.id) {
                continue;
            }
            after_rollout(workspace, context, &finished, true).await?;
        }
    }
    health_gate(workspace, context).await?;
    Ok(moved.len())
}

/// The fleet's health gate over the running rollouts (`fleet::health_gate`): a breach pauses
/// the rollout by itself with the evidence, and raises its `health_gate` signal. Returns the
/// rollouts paused.
pub async fn health_gate(
    workspace: &Workspace,
    context: &Context,
) -> Result<Vec<String>, ServiceError> {
    let mut paused = Vec::new();
    for breach in fleet::health_gate(workspace, context.now).await? {
        let why = aftercare_rollout::rollout::PauseReason::Health {
            summary: format!("{}: {}", breach.metric, breach.summary),
        };
        if rollout::pause_by_itself(
            workspace,
            context,
            &breach.rollout,
            why,
            breach.evidence.clone(),
        )
        .await?
        {
            fleet::record_breach(workspace, context, &breach).await?;
            paused.push(breach.rollout.clone());
        }
    }
    Ok(paused)
}
