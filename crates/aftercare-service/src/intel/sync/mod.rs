//! Feed sync: download what changed, apply it in batches, and record the run.
//!
//! **Transaction boundaries** (see `docs/adr/0008-feeds-and-sync.md`):
//!
//! 1. The *plan* (which files, windows or documents the run fetches) is made first — CSAF
//!    discovery and NVD windows need the network, and no transaction is open then — and
//!    stored with the new run in a transaction of its own.
//! 2. Downloads run on a blocking thread, each file spooled and checked (length, digest,
//!    archive caps) before any of it is applied; documents reach the applier through a
//!    bounded channel.
//! 3. Records are applied in batches of about `batch_records`, **one transaction per batch**,
//!    which also writes the run's checkpoint (unit, position), counts, warnings and delta:
//!    the checkpoint and the data it covers commit together.
//! 4. The last transaction writes the files' validators, the feed's cursor, the run's status
//!    and the one audit event of the sync.
//!
//! A sync killed anywhere leaves the run open at its last checkpoint; the next sync of the
//! feed resumes it from there with the same plan. Batch boundaries depend only on the data,
//! and row ids are assigned under the intelligence lock, so a resumed sync commits exactly
//! the transactions a clean sync would have: the database ends the same.
//!
//! The parts, each in a module of its own, import one way (`mod.rs` → applier → producer →
//! plan; the options and the delta stand under all of them):
//!
//! * `plan` — what a run fetches, made before any transaction opens and stored with the run;
//! * `producer` — the blocking reader that downloads and reads the plan's units and sends
//!   their documents through the bounded channel;
//! * `applier` — the batches that commit with their checkpoint, and the run's last
//!   transaction with its audit event;
//! * `delta` — [`SyncDelta`], what a run changed, read from its stored `(kind, value)` pairs;
//! * `options` — [`SyncOptions`] and [`Progress`], what the caller hands a sync.
//!
//! This module holds the public entry points (`sync`, `sync_feed`, `due_feeds`,
//! `report_unreadable`), the report, and the run that ties the parts together.

mod applier;
mod delta;
mod options;
mod plan;
mod producer;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aftercare_model::Permission;
use aftercare_store::feed::{self, FeedFile, FeedRow, RunCounts, WarningRow};
use tokio::sync::mpsc;

use self::applier::{Applier, changed};
use self::options::lease_times;
use self::plan::{Plan, make_plan};
use self::producer::{Item, Producer};
use super::FeedKind;
use crate::access::auth::Principal;
use crate::fetch::Client;
use crate::{Context, ServiceError, Workspace};

pub use self::delta::SyncDelta;
pub use self::options::{NoProgress, Progress, SyncOptions};

/// How a sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Everything was fetched and applied, and something changed.
    Completed,
    /// Everything was fetched; nothing changed.
    Unchanged,
    /// Stopped between batches; the next sync resumes the run.
    Interrupted,
}

impl SyncStatus {
    /// `completed`, `unchanged` or `interrupted`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Completed => "completed",
            SyncStatus::Unchanged => "unchanged",
            SyncStatus::Interrupted => "interrupted",
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone)]
pub struct SyncReport {
    /// The feed's name.
    pub feed: String,
    /// The run (absent when the sync failed before it started one).
    pub run_id: Option<i64>,
    /// How it ended.
    pub status: SyncStatus,
    /// Whether it resumed an interrupted run.
    pub resumed: bool,
    /// The counts.
    pub counts: RunCounts,
    /// The first warnings (all are stored with the run).
    pub warnings: Vec<WarningRow>,
    /// What changed.
    pub delta: SyncDelta,
    /// How long it took.
    pub elapsed: Duration,
}

/// Syncs a feed by name, as the principal (who needs `feed.manage`).
pub async fn sync(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, ServiceError> {
    principal.require(Permission::FeedManage)?;
    let feed = feed::by_name(workspace.store().pool(), name)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "feed",
            key: name.to_string(),
        })?;
    sync_feed(workspace, context, &feed, options, progress).await
}

/// Records, as warnings of a finished run, the stored records its re-match could not read
/// again (their vulnerabilities' findings were held as they are).
pub async fn report_unreadable(
    workspace: &Workspace,
    run_id: i64,
    unreadable: &[super::lookup::UnreadableRecord],
) -> Result<(), ServiceError> {
    let rows: Vec<WarningRow> = unreadable
        .iter()
        .map(|u| WarningRow {
            position: 0,
            document: u.document.clone(),
            record: Some(format!("{}:{}", u.source, u.record_id)),
            kind: "UnreadableRecord".to_string(),
            message: format!("{u}; the findings of its vulnerability are held as they are"),
        })
        .collect();
    let mut tx = workspace.store().begin().await?;
    feed::append_warnings(&mut tx, run_id, &rows).await?;
    tx.commit().await?;
    Ok(())
}

/// The feeds due for a sync at `now`: not synced successfully within `interval`, or with an
/// interrupted run to resume.
pub async fn due_feeds(
    workspace: &Workspace,
    interval: Duration,
    now: jiff::Timestamp,
) -> Result<Vec<FeedRow>, ServiceError> {
    let mut out = Vec::new();
    for feed in feed::list(workspace.store().pool()).await? {
        let due = match &feed.last_success_at {
            None => true,
            Some(at) => at
                .parse::<jiff::Timestamp>()
                .map(|at| now.duration_since(at).unsigned_abs() >= interval)
                .unwrap_or(true),
        };
        let open = feed::open_run(workspace.store().pool(), feed.id)
            .await?
            .is_some();
        if due || open {
            out.push(feed);
        }
    }
    Ok(out)
}

/// Syncs one feed under its lease.
pub async fn sync_feed(
    workspace: &Workspace,
    context: &Context,
    feed: &FeedRow,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, ServiceError> {
    let pool = workspace.store().pool();
    let (now, until) = lease_times(options);
    if !feed::claim(pool, feed.id, &options.owner, &now, &until).await? {
        return Err(ServiceError::Busy {
            what: format!("feed {:?} is being synced by another process", feed.name),
        });
    }
    feed::record_attempt(pool, feed.id, &context.at()).await?;
    // Keep the lease alive while the sync runs (a long download renews nothing by itself);
    // a process that dies stops renewing, and its lease lapses after `options.lease`.
    let heartbeat = {
        let pool = pool.clone();
        let (id, owner, options) = (feed.id, options.owner.clone(), options.clone());
        tokio::spawn(async move {
            let period = (options.lease / 3).max(Duration::from_secs(1));
            loop {
                tokio::time::sleep(period).await;
                let (now, until) = lease_times(&options);
                if !matches!(feed::claim(&pool, id, &owner, &now, &until).await, Ok(true)) {
                    break;
                }
            }
        })
    };
    let result = run(workspace, context, feed, options, progress).await;
    heartbeat.abort();
    if let Err(error) = &result {
        let message = error_chain(error);
        tracing::warn!(feed = %feed.name, error = %message, "feed sync failed");
        let _ = feed::record_failure(pool, feed.id, "failed", &message).await;
    }
    let _ = feed::release(pool, feed.id, &options.owner).await;
    result
}

pub(crate) fn error_chain(error: &ServiceError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

async fn run(
    workspace: &Workspace,
    context: &Context,
    feed: &FeedRow,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, ServiceError> {
    let started = Instant::now();
    let store = workspace.store();
    let kind: FeedKind = feed.kind.parse()?;
    let files: HashMap<String, FeedFile> = feed::files(store.pool(), feed.id)
        .await?
        .into_iter()
        .map(|file| (file.location.clone(), file))
        .collect();
    let client = Client::new(options.http_timeout, options.limits.max_total_bytes);
    let (run, resumed) = match feed::open_run(store.pool(), feed.id).await? {
        Some(run) => {
            feed::add_attempt(store.pool(), run.id).await?;
            (run, true)
        }
        None => {
            let plan = make_plan(feed, kind, &files, &client, &options.limits, context.now).await?;
            let text =
                serde_json::to_string(&plan).map_err(|error| ServiceError::InvalidInput {
                    field: "plan",
                    message: error.to_string(),
                })?;
            let mut tx = store.begin().await?;
            let run = feed::insert_run(
                &mut tx,
                feed.id,
                &context.actor.to_string(),
                &text,
                &context.at(),
            )
            .await?;
            tx.commit().await?;
            (run, false)
        }
    };
    let plan: Plan = serde_json::from_str(&run.plan).map_err(|error| {
        ServiceError::Store(aftercare_store::StoreError::Corrupt {
            entity: "sync run",
            id: run.id.to_string(),
            field: "plan",
            message: error.to_string(),
        })
    })?;
    let known: HashSet<String> =
        aftercare_store::intel::feed_document_digests(store.pool(), feed.id)
            .await?
            .into_iter()
            .map(|(digest, _)| digest)
            .collect();
    let mut applier = Applier::new(
        workspace,
        feed,
        run.clone(),
        kind,
        options,
        progress,
        context.at(),
    );
    applier.plan_warnings(&plan);
    let (sender, mut receiver) = mpsc::channel::<Item>(64);
    let producer = Producer::new(
        plan.units.clone(),
        &run,
        files,
        known,
        client,
        options,
        sender,
    );
    let producing = tokio::task::spawn_blocking(move || producer.run());
    let mut interrupted = false;
    while let Some(item) = receiver.recv().await {
        match item {
            Item::Failed(error) => {
                drop(receiver);
                let _ = producing.await;
                return Err(error);
            }
            other => {
                if !applier.take(other).await? {
                    interrupted = true;
                    break;
                }
            }
        }
    }
    if interrupted {
        options.cancel.store(true, Ordering::Relaxed);
        drop(receiver);
        let _ = producing.await;
        // Whatever was read since the last batch is dropped: the run resumes from its
        // checkpoint.
        let delta = SyncDelta::from_changes(&feed::changes(store.pool(), run.id).await?);
        return Ok(SyncReport {
            feed: feed.name.clone(),
            run_id: Some(run.id),
            status: SyncStatus::Interrupted,
            resumed,
            counts: applier.counts(),
            warnings: feed::warnings(store.pool(), run.id, 50).await?,
            delta,
            elapsed: started.elapsed(),
        });
    }
    producing.await.map_err(|_| ServiceError::Background {
        operation: "read a feed",
    })?;
    applier.flush().await?;
    applier.finish(context, &plan).await?;
    let counts = applier.counts();
    if counts.new + counts.updated >= 1_000
        && let Err(error) = aftercare_store::intel::analyze(store).await
    {
        tracing::warn!(error = %error, "cannot refresh the planner's statistics");
    }
    let delta = SyncDelta::from_changes(&feed::changes(store.pool(), run.id).await?);
    Ok(SyncReport {
        feed: feed.name.clone(),
        run_id: Some(run.id),
        status: if changed(&counts) {
            SyncStatus::Completed
        } else {
            SyncStatus::Unchanged
        },
        resumed,
        counts,
        warnings: feed::warnings(store.pool(), run.id, 50).await?,
        delta,
        elapsed: started.elapsed(),
    })
}
