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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aftercare_intel::{Content, IntelError, KevCatalog, Limits, Parsed, Warning, WarningKind};
use aftercare_model::Permission;
use aftercare_store::Tx;
use aftercare_store::feed::{self, FeedFile, FeedRow, RunCounts, RunRow, WarningRow};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use tokio::sync::mpsc;

use super::enrichment;
use super::normalize::normalize;
use super::state::{BatchDocument, BatchOutcome, IntelState, Prepared, warning_rows};
use super::{FeedKind, defaults};
use crate::access::auth::{Principal, Secret};
use crate::audit::{self, AuditAction, Change};
use crate::fetch::{Client, Download, FetchError, Fetched, Validators};
use crate::{Context, ServiceError, Workspace};

/// How syncs run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Records per transaction. Larger batches are faster; smaller ones lose less work when
    /// interrupted.
    pub batch_records: usize,
    /// Caps on archives and documents.
    pub limits: Limits,
    /// The NVD API key (`AFTERCARE_NVD_API_KEY`), sent as the `apiKey` header.
    pub nvd_api_key: Option<Secret>,
    /// The pause between NVD requests; by default 6 s without a key and 0.6 s with one, as
    /// NVD's rate limits require.
    pub nvd_request_delay: Option<Duration>,
    /// Results per NVD page (NVD allows at most 2,000).
    pub nvd_page_size: u32,
    /// The timeout of one HTTP request, body included.
    pub http_timeout: Duration,
    /// How long a claimed feed stays leased without a sign of life (renewed every third of it
    /// while the sync runs): a sync killed with its process lets another start after this.
    pub lease: Duration,
    /// This node's name in leases.
    pub owner: String,
    /// Stop after this many committed batches, leaving the run open (tests of resumption).
    pub stop_after_batches: Option<i64>,
    /// Set to stop between batches (graceful shutdown); the run stays open and resumes.
    pub cancel: Arc<AtomicBool>,
    /// The wall clock, set by the shell (tests fix it). Everything a sync writes is stamped
    /// with its use case's instant (`Context::now`), but a sync can last hours: its lease must
    /// be renewed against real time, or another node would take the feed while it still runs,
    /// and the run's end (`finished_at`, the feed's `last_success_at`, from which the next due
    /// sync is counted) is when it really ended. Those read this clock.
    pub clock: fn() -> jiff::Timestamp,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            batch_records: 5_000,
            limits: Limits::default(),
            nvd_api_key: None,
            nvd_request_delay: None,
            nvd_page_size: 2_000,
            http_timeout: Duration::from_secs(600),
            lease: Duration::from_secs(90),
            owner: format!("node-{}-{:08x}", std::process::id(), rand::random::<u32>()),
            stop_after_batches: None,
            cancel: Arc::new(AtomicBool::new(false)),
            clock: jiff::Timestamp::now,
        }
    }
}

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

/// What changed in a run, for the matching layer to re-match only that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncDelta {
    /// Row ids of vulnerabilities that are new, changed, or merged into others.
    pub vulnerabilities: Vec<i64>,
    /// Row ids of records that are new or changed (withdrawn included) and not changed by a
    /// later run.
    pub records: Vec<i64>,
    /// Package keys (`Ecosystem/name`) named by a new or changed record, before or after.
    pub packages: Vec<String>,
    /// CPE (vendor, product) pairs named by a new or changed record, before or after (`*`
    /// stands for a wildcard).
    pub products: Vec<(String, String)>,
    /// CVEs whose KEV entry was added, changed or removed.
    pub kev: Vec<String>,
    /// EPSS score dates applied.
    pub epss: Vec<String>,
}

impl SyncDelta {
    /// The delta from stored (kind, value) pairs.
    pub fn from_changes(changes: &[(String, String)]) -> SyncDelta {
        let mut delta = SyncDelta::default();
        for (kind, value) in changes {
            match kind.as_str() {
                "vulnerability" => delta.vulnerabilities.extend(value.parse::<i64>().ok()),
                "record" => delta.records.extend(value.parse::<i64>().ok()),
                "package" => delta.packages.push(value.clone()),
                "product" => {
                    if let Some((vendor, product)) = value.split_once(':') {
                        delta
                            .products
                            .push((vendor.to_string(), product.to_string()));
                    }
                }
                "kev" => delta.kev.push(value.clone()),
                "epss" => delta.epss.push(value.clone()),
                _ => {}
            }
        }
        delta.vulnerabilities.sort_unstable();
        delta.vulnerabilities.dedup();
        delta.records.sort_unstable();
        delta.records.dedup();
        delta
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == SyncDelta::default()
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

/// Receives progress while a sync runs (the CLI draws a progress line from it).
pub trait Progress: Send + Sync {
    /// Documents read and records applied so far in this sync.
    fn advanced(&self, feed: &str, documents: i64, records: i64);
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advanced(&self, _feed: &str, _documents: i64, _records: i64) {}
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Unit {
    /// A file over HTTP: a zip archive or one document.
    Url {
        /// The URL.
        url: String,
    },
    /// A local file or folder.
    Path {
        /// The path.
        path: String,
    },
    /// One CSAF document listed by a ROLIE feed.
    Csaf {
        /// The URL.
        url: String,
        /// The entry's `updated`.
        updated: Option<String>,
    },
    /// One window of the NVD API (no bounds: everything).
    Nvd {
        /// The API's base URL.
        base: String,
        /// `lastModStartDate`.
        start: Option<String>,
        /// `lastModEndDate`.
        end: Option<String>,
    },
}

/// What a run fetches, fixed when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Plan {
    /// The units, in order.
    pub units: Vec<Unit>,
    /// Discovery documents' validators, recorded when the run completes.
    pub discovery: Vec<FileState>,
    /// The cursor the feed moves to when the run completes.
    pub cursor: Option<String>,
    /// Warnings met while planning.
    pub warnings: Vec<String>,
}

/// What is recorded of a fetched file (mirrors `feed_files`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileState {
    pub location: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    pub updated: Option<String>,
    pub record_count: i64,
}

impl FileState {
    fn to_row(&self) -> FeedFile {
        FeedFile {
            location: self.location.clone(),
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
            sha256: self.sha256.clone(),
            updated: self.updated.clone(),
            record_count: self.record_count,
        }
    }
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

/// A lease's start and end, from the sync's clock (real time: see [`SyncOptions::clock`]).
fn lease_times(options: &SyncOptions) -> (String, String) {
    let now = (options.clock)();
    let until = now
        .checked_add(
            jiff::SignedDuration::try_from(options.lease)
                .unwrap_or(jiff::SignedDuration::from_secs(600)),
        )
        .unwrap_or(now);
    (
        aftercare_store::timestamp_text(now),
        aftercare_store::timestamp_text(until),
    )
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
            let plan = make_plan(feed, kind, &files, &client, options, context.now).await?;
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
    let mut applier = Applier {
        workspace,
        feed,
        run: run.clone(),
        options,
        progress,
        state: IntelState::new(),
        counts: run.counts,
        pending: Vec::new(),
        pending_records: 0,
        pending_counts: RunCounts::default(),
        pending_warnings: Vec::new(),
        pending_files: Vec::new(),
        checkpoint: (run.unit, run.position, run.unit_sha256.clone()),
        committed_batches: 0,
        applied_records: 0,
        kind,
        at: context.at(),
    };
    for warning in &plan.warnings {
        applier.pending_warnings.push(Warning {
            document: feed.name.clone(),
            record: None,
            kind: WarningKind::Unsupported,
            message: warning.clone(),
        });
    }
    let (sender, mut receiver) = mpsc::channel::<Item>(64);
    let producer = Producer {
        units: plan.units.clone(),
        start_unit: usize::try_from(run.unit).unwrap_or(0),
        start_position: run.position,
        start_sha256: run.unit_sha256.clone(),
        files,
        known,
        client,
        limits: options.limits.clone(),
        nvd_key: options
            .nvd_api_key
            .as_ref()
            .map(|key| key.expose().to_string()),
        nvd_delay: options
            .nvd_request_delay
            .unwrap_or(if options.nvd_api_key.is_some() {
                Duration::from_millis(600)
            } else {
                Duration::from_secs(6)
            }),
        nvd_page_size: options.nvd_page_size.clamp(1, 2_000),
        cancel: options.cancel.clone(),
        sender,
    };
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
            counts: applier.counts,
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
    if applier.counts.new + applier.counts.updated >= 1_000
        && let Err(error) = aftercare_store::intel::analyze(store).await
    {
        tracing::warn!(error = %error, "cannot refresh the planner's statistics");
    }
    let delta = SyncDelta::from_changes(&feed::changes(store.pool(), run.id).await?);
    let counts = applier.counts;
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

fn changed(counts: &RunCounts) -> bool {
    counts.new + counts.updated + counts.withdrawn > 0
}

fn add_counts(into: &mut RunCounts, more: &RunCounts) {
    into.batches += more.batches;
    into.documents += more.documents;
    into.new += more.new;
    into.updated += more.updated;
    into.withdrawn += more.withdrawn;
    into.unchanged += more.unchanged;
    into.warnings += more.warnings;
}

/// What the reading thread hands to the applier.
enum Item {
    /// A document at a position of a unit.
    Document {
        unit: usize,
        position: i64,
        unit_sha256: Option<String>,
        produced: Produced,
    },
    /// A unit is done.
    UnitDone {
        unit: usize,
        file: Option<FileState>,
        unchanged_records: i64,
    },
    /// Reading failed; nothing of the unit after the last batch is applied.
    Failed(ServiceError),
}

enum Produced {
    Records(BatchDocument, Vec<Warning>),
    Unchanged(i64, Vec<Warning>),
    Kev(Box<KevCatalog>, BatchDocument, Vec<Warning>),
    Epss(Box<aftercare_intel::EpssScores>, Vec<Warning>),
    Skipped(Vec<Warning>),
}

struct Applier<'a> {
    workspace: &'a Workspace,
    feed: &'a FeedRow,
    run: RunRow,
    options: &'a SyncOptions,
    progress: &'a dyn Progress,
    state: IntelState,
    counts: RunCounts,
    pending: Vec<BatchDocument>,
    pending_records: usize,
    pending_counts: RunCounts,
    pending_warnings: Vec<Warning>,
    pending_files: Vec<FileState>,
    /// The checkpoint the next commit writes: (unit, position, unit digest).
    checkpoint: (i64, i64, Option<String>),
    committed_batches: i64,
    applied_records: i64,
    kind: FeedKind,
    /// The sync's instant, stored form: every row the batches write is stamped with it.
    at: String,
}

impl Applier<'_> {
    /// Takes one item; returns `false` when the sync must stop (interrupted).
    async fn take(&mut self, item: Item) -> Result<bool, ServiceError> {
        match item {
            Item::Failed(_) => {}
            Item::UnitDone {
                unit,
                file,
                unchanged_records,
            } => {
                self.pending_counts.unchanged += unchanged_records;
                self.pending_files.extend(file);
                self.checkpoint = (unit as i64 + 1, 0, None);
            }
            Item::Document {
                unit,
                position,
                unit_sha256,
                produced,
            } => {
                let next = (unit as i64, position + 1, unit_sha256);
                match produced {
                    Produced::Records(document, warnings) => {
                        self.pending_counts.documents += 1;
                        self.pending_warnings.extend(warnings);
                        self.pending_records += document.records.len();
                        self.pending.push(document);
                        self.checkpoint = next;
                        if self.pending_records >= self.options.batch_records.max(1) {
                            return self.commit_batch().await;
                        }
                    }
                    Produced::Unchanged(records, warnings) => {
                        self.pending_counts.documents += 1;
                        self.pending_counts.unchanged += records;
                        self.pending_warnings.extend(warnings);
                        self.checkpoint = next;
                    }
                    Produced::Skipped(warnings) => {
                        self.pending_warnings.extend(warnings);
                        self.checkpoint = next;
                    }
                    Produced::Kev(catalog, document, warnings) => {
                        if !self.pending.is_empty() && !self.commit_batch().await? {
                            return Ok(false);
                        }
                        self.pending_counts.documents += 1;
                        self.pending_warnings.extend(warnings);
                        self.checkpoint = next;
                        let rows = enrichment::kev_rows(&catalog, self.feed.id, self.run.id);
                        let mut tx = self.workspace.store().begin().await?;
                        aftercare_store::intel::put_documents(
                            &mut tx,
                            &[aftercare_store::intel::NewDocument {
                                sha256: &document.sha256,
                                kind: "kev",
                                name: &document.name,
                                bytes: &document.bytes,
                            }],
                            &self.at,
                        )
                        .await?;
                        let outcome = enrichment::apply_kev(&mut tx, rows).await?;
                        return self.commit_with(tx, outcome).await;
                    }
                    Produced::Epss(scores, warnings) => {
                        if !self.pending.is_empty() && !self.commit_batch().await? {
                            return Ok(false);
                        }
                        self.pending_counts.documents += 1;
                        self.pending_warnings.extend(warnings);
                        self.checkpoint = next;
                        let mut tx = self.workspace.store().begin().await?;
                        let outcome = enrichment::apply_epss(&mut tx, &scores).await?;
                        return self.commit_with(tx, outcome).await;
                    }
                }
            }
        }
        Ok(true)
    }

    /// Applies the pending documents in one transaction with the checkpoint.
    async fn commit_batch(&mut self) -> Result<bool, ServiceError> {
        let mut tx = self.workspace.store().begin().await?;
        let outcome = if self.pending.is_empty() {
            BatchOutcome::default()
        } else {
            if let Err(error) = self.state.lock(&mut tx).await {
                self.state.invalidate();
                return Err(error);
            }
            match self
                .state
                .apply(&mut tx, self.feed.id, self.run.id, &self.pending, &self.at)
                .await
            {
                Ok(outcome) => outcome,
                Err(error) => {
                    self.state.invalidate();
                    return Err(error);
                }
            }
        };
        let records = self.pending_records as i64;
        let result = self.commit_with(tx, outcome).await;
        if result.is_err() {
            self.state.invalidate();
        } else {
            self.applied_records += records;
        }
        result
    }

    /// Writes the checkpoint, counts, warnings, files and delta of a batch into its
    /// transaction and commits; then checks whether to go on.
    async fn commit_with(
        &mut self,
        mut tx: Tx,
        outcome: BatchOutcome,
    ) -> Result<bool, ServiceError> {
        let mut counts = self.counts;
        add_counts(&mut counts, &self.pending_counts);
        add_counts(&mut counts, &outcome.counts);
        let warnings = warning_rows(counts.warnings, &self.pending_warnings);
        counts.warnings += warnings.len() as i64;
        counts.batches += 1;
        let (unit, position, sha) = self.checkpoint.clone();
        feed::checkpoint(
            &mut tx,
            self.run.id,
            unit,
            sha.as_deref(),
            position,
            &counts,
        )
        .await?;
        feed::add_warnings(&mut tx, self.run.id, &warnings).await?;
        let files: Vec<FeedFile> = self.pending_files.iter().map(FileState::to_row).collect();
        feed::put_files(&mut tx, self.feed.id, &files).await?;
        let mut changes = outcome.changes;
        changes.sort();
        changes.dedup();
        feed::add_changes(&mut tx, self.run.id, &changes).await?;
        tx.commit().await?;
        self.counts = counts;
        self.pending.clear();
        self.pending_records = 0;
        self.pending_counts = RunCounts::default();
        self.pending_warnings.clear();
        self.pending_files.clear();
        self.committed_batches += 1;
        self.progress.advanced(
            &self.feed.name,
            self.counts.documents,
            self.applied_records + self.counts.unchanged,
        );
        let (now, until) = lease_times(self.options);
        feed::claim(
            self.workspace.store().pool(),
            self.feed.id,
            &self.options.owner,
            &now,
            &until,
        )
        .await?;
        if self
            .options
            .stop_after_batches
            .is_some_and(|stop| self.committed_batches >= stop)
            || self.options.cancel.load(Ordering::Relaxed)
        {
            return Ok(false);
        }
        Ok(true)
    }

    /// Applies what is left of the last batch.
    async fn flush(&mut self) -> Result<(), ServiceError> {
        if !self.pending.is_empty() {
            self.commit_batch().await?;
        }
        Ok(())
    }

    /// The run's last transaction: counts, warnings, files, cursor, status, audit event.
    async fn finish(&mut self, context: &Context, plan: &Plan) -> Result<(), ServiceError> {
        let mut tx = self.workspace.store().begin().await?;
        let mut counts = self.counts;
        add_counts(&mut counts, &self.pending_counts);
        let warnings = warning_rows(counts.warnings, &self.pending_warnings);
        counts.warnings += warnings.len() as i64;
        let (unit, position, sha) = self.checkpoint.clone();
        feed::checkpoint(
            &mut tx,
            self.run.id,
            unit,
            sha.as_deref(),
            position,
            &counts,
        )
        .await?;
        feed::add_warnings(&mut tx, self.run.id, &warnings).await?;
        let mut files: Vec<FeedFile> = self.pending_files.iter().map(FileState::to_row).collect();
        files.extend(plan.discovery.iter().map(FileState::to_row));
        feed::put_files(&mut tx, self.feed.id, &files).await?;
        let changes = feed::changes(tx.conn(), self.run.id).await?;
        let mut hasher = sha2::Sha256::new();
        for (kind, value) in &changes {
            hasher.update(kind.as_bytes());
            hasher.update(b"\t");
            hasher.update(value.as_bytes());
            hasher.update(b"\n");
        }
        let delta_digest = hex::encode(hasher.finalize());
        let status = if changed(&counts) {
            "completed"
        } else {
            "unchanged"
        };
        // When the run really ended (see `SyncOptions::clock`).
        let finished = aftercare_store::timestamp_text((self.options.clock)());
        feed::finish_run(&mut tx, self.run.id, status, &delta_digest, &finished).await?;
        feed::record_success(
            &mut tx,
            self.feed.id,
            status,
            plan.cursor.as_deref(),
            &finished,
        )
        .await?;
        let delta = SyncDelta::from_changes(&changes);
        audit::record(
            &mut tx,
            context,
            Change {
                action: AuditAction::FeedSync,
                entity_type: "feed",
                entity_id: Some(self.feed.name.clone()),
                old_value: None,
                new_value: Some(serde_json::json!({
                    "run": self.run.id,
                    "kind": self.kind.as_str(),
                    "status": status,
                    "documents": counts.documents,
                    "new": counts.new,
                    "updated": counts.updated,
                    "withdrawn": counts.withdrawn,
                    "unchanged": counts.unchanged,
                    "warnings": counts.warnings,
                    "changed_vulnerabilities": delta.vulnerabilities.len(),
                    "changed_packages": delta.packages.len(),
                    "changed_products": delta.products.len(),
                    "changed_kev": delta.kev.len(),
                    "delta_sha256": delta_digest,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        self.counts = counts;
        self.pending_counts = RunCounts::default();
        self.pending_warnings.clear();
        self.pending_files.clear();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Planning.

/// What a new run of a feed fetches; NVD's windows end at `now`, the sync's instant (the
/// feed's cursor moves there when the run completes).
async fn make_plan(
    feed: &FeedRow,
    kind: FeedKind,
    files: &HashMap<String, FeedFile>,
    client: &Client,
    options: &SyncOptions,
    now: jiff::Timestamp,
) -> Result<Plan, ServiceError> {
    if let Some(path) = &feed.path {
        return Ok(Plan {
            units: vec![Unit::Path { path: path.clone() }],
            ..Plan::default()
        });
    }
    let url = match &feed.url {
        Some(url) => url.clone(),
        None => defaults::url(kind, feed.ecosystem.as_deref()).ok_or_else(|| {
            ServiceError::invalid(
                "feed",
                format!("feed {:?} has neither a URL nor a path", feed.name),
            )
        })?,
    };
    match kind {
        FeedKind::Nvd => Ok(nvd_plan(&url, feed.cursor.as_deref(), now)),
        FeedKind::Csaf => {
            let client = client.clone();
            let files = files.clone();
            let limits = options.limits.clone();
            tokio::task::spawn_blocking(move || csaf_plan(&client, &url, &files, &limits))
                .await
                .map_err(|_| ServiceError::Background {
                    operation: "discover CSAF documents",
                })?
        }
        _ => Ok(Plan {
            units: vec![Unit::Url { url }],
            ..Plan::default()
        }),
    }
}

/// The NVD windows from the cursor to `now`, each at most 120 days (the API's limit); the
/// first sync fetches everything in one paged unit.
pub(crate) fn nvd_plan(base: &str, cursor: Option<&str>, now: jiff::Timestamp) -> Plan {
    let end_text = aftercare_store::timestamp_text(now);
    let Some(start) = cursor.and_then(|c| c.parse::<jiff::Timestamp>().ok()) else {
        return Plan {
            units: vec![Unit::Nvd {
                base: base.to_string(),
                start: None,
                end: None,
            }],
            cursor: Some(end_text),
            ..Plan::default()
        };
    };
    let step = jiff::SignedDuration::from_hours(120 * 24);
    let mut units = Vec::new();
    let mut from = start;
    while from < now {
        let to = from.checked_add(step).unwrap_or(now).min(now);
        units.push(Unit::Nvd {
            base: base.to_string(),
            start: Some(aftercare_store::timestamp_text(from)),
            end: Some(aftercare_store::timestamp_text(to)),
        });
        from = to;
    }
    Plan {
        units,
        cursor: Some(end_text),
        ..Plan::default()
    }
}

/// Resolves a link of a document fetched from `base`.
fn join_url(base: &str, link: &str) -> String {
    if link.contains("://") {
        return link.to_string();
    }
    if let Some(rest) = link.strip_prefix('/')
        && let Some(scheme_end) = base.find("://")
    {
        {
            let host_end = base[scheme_end + 3..]
                .find('/')
                .map_or(base.len(), |at| scheme_end + 3 + at);
            return format!("{}/{rest}", &base[..host_end]);
        }
    }
    match base.rfind('/') {
        Some(at) => format!("{}/{link}", &base[..at]),
        None => link.to_string(),
    }
}

fn validators_of(file: Option<&FeedFile>) -> Option<Validators> {
    file.map(|file| Validators {
        etag: file.etag.clone(),
        last_modified: file.last_modified.clone(),
    })
}

/// CSAF discovery: provider metadata → ROLIE feeds → the entries whose `updated` changed.
fn csaf_plan(
    client: &Client,
    url: &str,
    files: &HashMap<String, FeedFile>,
    limits: &Limits,
) -> Result<Plan, ServiceError> {
    let mut plan = Plan::default();
    let mut download = match client.get(url, None, &[])? {
        Fetched::Body(download) => download,
        Fetched::NotModified => return Ok(plan),
    };
    let bytes = download.read_all().map_err(|source| FetchError::Spool {
        url: url.to_string(),
        source,
    })?;
    if is_zip(&bytes) {
        plan.units.push(Unit::Url {
            url: url.to_string(),
        });
        return Ok(plan);
    }
    let parsed = aftercare_intel::read_document_with(url, &bytes, limits)?;
    let feeds: Vec<String> = match parsed.content {
        Content::ProviderMetadata(metadata) => {
            if metadata.feeds.is_empty() && !metadata.directories.is_empty() {
                plan.warnings.push(format!(
                    "{url}: the provider publishes only directories ({}); aftercare reads ROLIE feeds",
                    metadata.directories.join(", ")
                ));
            }
            metadata
                .feeds
                .iter()
                .map(|feed| join_url(url, &feed.url))
                .collect()
        }
        Content::RolieFeed(_) => vec![url.to_string()],
        Content::Records(_) => {
            plan.units.push(Unit::Url {
                url: url.to_string(),
            });
            return Ok(plan);
        }
        other => {
            return Err(ServiceError::invalid(
                "feed",
                format!(
                    "{url} is a {} document, not CSAF provider metadata, a ROLIE feed or CSAF",
                    content_name(&other)
                ),
            ));
        }
    };
    let mut units = BTreeMap::new();
    for feed_url in feeds {
        let fetched = if feed_url == url {
            // The URL named a ROLIE feed directly: read it again conditionally next time.
            Fetched::Body(Download {
                sha256: download.sha256.clone(),
                validators: download.validators.clone(),
                length: download.length,
                file: download
                    .file
                    .try_clone()
                    .map_err(|source| FetchError::Spool {
                        url: url.to_string(),
                        source,
                    })?,
            })
        } else {
            client.get(&feed_url, validators_of(files.get(&feed_url)).as_ref(), &[])?
        };
        let mut feed_download = match fetched {
            Fetched::NotModified => continue,
            Fetched::Body(download) => download,
        };
        let feed_bytes = feed_download
            .read_all()
            .map_err(|source| FetchError::Spool {
                url: feed_url.clone(),
                source,
            })?;
        let parsed = aftercare_intel::read_document_with(&feed_url, &feed_bytes, limits)?;
        let Content::RolieFeed(rolie) = parsed.content else {
            plan.warnings
                .push(format!("{feed_url}: not a ROLIE feed; skipped"));
            continue;
        };
        for entry in rolie.entries {
            let Some(link) = entry.url else { continue };
            let document_url = join_url(&feed_url, &link);
            let updated = entry.updated.map(aftercare_store::timestamp_text);
            let known = files
                .get(&document_url)
                .and_then(|file| file.updated.clone());
            if known.is_none() || known != updated {
                units.insert(document_url.clone(), updated);
            }
        }
        plan.discovery.push(FileState {
            location: feed_url.clone(),
            etag: feed_download.validators.etag.clone(),
            last_modified: feed_download.validators.last_modified.clone(),
            sha256: Some(feed_download.sha256.clone()),
            updated: None,
            record_count: 0,
        });
    }
    plan.units.extend(
        units
            .into_iter()
            .map(|(url, updated)| Unit::Csaf { url, updated }),
    );
    Ok(plan)
}

fn content_name(content: &Content) -> &'static str {
    match content {
        Content::Records(_) => "records",
        Content::Kev(_) => "KEV catalog",
        Content::Epss(_) => "EPSS",
        Content::RolieFeed(_) => "ROLIE feed",
        Content::RolieService(_) => "ROLIE service",
        Content::RolieCategories(_) => "ROLIE category",
        Content::ProviderMetadata(_) => "CSAF provider metadata",
        Content::Aggregator(_) => "CSAF aggregator",
    }
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

// ---------------------------------------------------------------------------------------
// Reading (on a blocking thread).

struct Producer {
    units: Vec<Unit>,
    start_unit: usize,
    start_position: i64,
    start_sha256: Option<String>,
    files: HashMap<String, FeedFile>,
    known: HashSet<String>,
    client: Client,
    limits: Limits,
    nvd_key: Option<String>,
    nvd_delay: Duration,
    nvd_page_size: u32,
    cancel: Arc<AtomicBool>,
    sender: mpsc::Sender<Item>,
}

/// The reading stopped: the applier went away (interrupted), or reading failed (already
/// reported).
struct Stop;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdPageHeader {
    total_results: Option<u64>,
}

impl Producer {
    fn run(self) {
        for (index, unit) in self.units.iter().enumerate().skip(self.start_unit) {
            if self.cancel.load(Ordering::Relaxed) {
                return;
            }
            let skip = if index == self.start_unit {
                self.start_position
            } else {
                0
            };
            let result = match unit {
                Unit::Url { url } => self.url_unit(index, url, skip),
                Unit::Path { path } => self.path_unit(index, path, skip),
                Unit::Csaf { url, updated } => self.csaf_unit(index, url, updated.clone()),
                Unit::Nvd { base, start, end } => {
                    self.nvd_unit(index, base, start.as_deref(), end.as_deref(), skip)
                }
            };
            match result {
                Ok(()) => {}
                Err(Ok(Stop)) => return,
                Err(Err(error)) => {
                    let _ = self.sender.blocking_send(Item::Failed(error));
                    return;
                }
            }
        }
    }

    fn send(&self, item: Item) -> Result<(), Result<Stop, ServiceError>> {
        self.sender.blocking_send(item).map_err(|_| Ok(Stop))
    }

    /// Classifies a read document.
    fn produce(&self, name: &str, bytes: &[u8], result: Result<Parsed, IntelError>) -> Produced {
        let parsed = match result {
            Ok(parsed) => parsed,
            Err(error) => {
                let kind = match &error {
                    IntelError::DetectFormat { reason, .. } if reason.starts_with("YAML") => {
                        WarningKind::Unsupported
                    }
                    _ => WarningKind::SkippedRecord,
                };
                return Produced::Skipped(vec![Warning {
                    document: name.to_string(),
                    record: None,
                    kind,
                    message: format!("skipped: {error}"),
                }]);
            }
        };
        let sha256 = parsed.digest.to_hex();
        let warnings = parsed.warnings.clone();
        match parsed.content {
            Content::Records(records) => {
                if self.known.contains(&sha256) {
                    return Produced::Unchanged(records.len() as i64, warnings);
                }
                let records = records
                    .into_iter()
                    .map(|record| Prepared {
                        source: record.source.as_str(),
                        normalized: normalize(&record),
                        id: record.id,
                        aliases: record.aliases,
                        related: record.related,
                    })
                    .collect();
                Produced::Records(
                    BatchDocument {
                        name: name.to_string(),
                        sha256,
                        bytes: bytes.to_vec(),
                        records,
                    },
                    warnings,
                )
            }
            Content::Kev(catalog) => Produced::Kev(
                Box::new(catalog),
                BatchDocument {
                    name: name.to_string(),
                    sha256,
                    bytes: bytes.to_vec(),
                    records: Vec::new(),
                },
                warnings,
            ),
            Content::Epss(scores) => Produced::Epss(Box::new(scores), warnings),
            // Discovery documents lying in a mirror hold no records.
            _ => Produced::Skipped(warnings),
        }
    }

    /// Visits the documents of downloaded or local bytes (a zip or one document), sending
    /// those from position `skip` on; returns how many records they held.
    fn visit(
        &self,
        unit: usize,
        name: &str,
        file: &mut std::fs::File,
        sha256: &str,
        skip: i64,
    ) -> Result<i64, Result<Stop, ServiceError>> {
        let mut head = [0u8; 4];
        let read = std::io::Read::read(file, &mut head).map_err(|source| {
            Err(ServiceError::from(FetchError::Spool {
                url: name.to_string(),
                source,
            }))
        })?;
        std::io::Seek::rewind(file).map_err(|source| {
            Err(ServiceError::from(FetchError::Spool {
                url: name.to_string(),
                source,
            }))
        })?;
        let mut position: i64 = 0;
        let mut records: i64 = 0;
        let mut stopped = false;
        if is_zip(&head[..read]) {
            aftercare_intel::archive::visit_zip(name, &mut *file, &self.limits, |entry| {
                if stopped || self.cancel.load(Ordering::Relaxed) {
                    stopped = true;
                    return;
                }
                records += entry
                    .result
                    .as_ref()
                    .map_or(0, |p| p.records().len() as i64);
                if position >= skip {
                    let produced = self.produce(entry.name, entry.bytes, entry.result);
                    let item = Item::Document {
                        unit,
                        position,
                        unit_sha256: Some(sha256.to_string()),
                        produced,
                    };
                    if self.sender.blocking_send(item).is_err() {
                        stopped = true;
                    }
                }
                position += 1;
            })
            .map_err(|error| Err(ServiceError::from(error)))?;
        } else {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(|source| {
                Err(ServiceError::from(FetchError::Spool {
                    url: name.to_string(),
                    source,
                }))
            })?;
            let result = aftercare_intel::read_document_with(name, &bytes, &self.limits);
            records += result.as_ref().map_or(0, |p| p.records().len() as i64);
            if skip == 0 {
                let produced = self.produce(name, &bytes, result);
                self.send(Item::Document {
                    unit,
                    position: 0,
                    unit_sha256: Some(sha256.to_string()),
                    produced,
                })?;
            }
        }
        if stopped {
            return Err(Ok(Stop));
        }
        Ok(records)
    }

    fn url_unit(
        &self,
        unit: usize,
        url: &str,
        skip: i64,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let stored = self.files.get(url);
        let validators = if skip == 0 {
            validators_of(stored)
        } else {
            None
        };
        let fetched = self
            .client
            .get(url, validators.as_ref(), &[])
            .map_err(|error| Err(ServiceError::from(error)))?;
        let mut download = match fetched {
            Fetched::NotModified => {
                return self.send(Item::UnitDone {
                    unit,
                    file: None,
                    unchanged_records: stored.map_or(0, |file| file.record_count),
                });
            }
            Fetched::Body(download) => download,
        };
        let same = stored.and_then(|file| file.sha256.as_deref()) == Some(download.sha256.as_str());
        if skip == 0 && same {
            let record_count = stored.map_or(0, |file| file.record_count);
            return self.send(Item::UnitDone {
                unit,
                file: Some(FileState {
                    location: url.to_string(),
                    etag: download.validators.etag.clone(),
                    last_modified: download.validators.last_modified.clone(),
                    sha256: Some(download.sha256.clone()),
                    updated: None,
                    record_count,
                }),
                unchanged_records: record_count,
            });
        }
        // A resumed unit whose bytes changed meanwhile is read from its start again (what was
        // applied of it is applied again idempotently).
        let skip = if skip > 0 && self.start_sha256.as_deref() != Some(download.sha256.as_str()) {
            0
        } else {
            skip
        };
        let sha256 = download.sha256.clone();
        let records = self.visit(unit, url, &mut download.file, &sha256, skip)?;
        self.send(Item::UnitDone {
            unit,
            file: Some(FileState {
                location: url.to_string(),
                etag: download.validators.etag.clone(),
                last_modified: download.validators.last_modified.clone(),
                sha256: Some(sha256),
                updated: None,
                record_count: records,
            }),
            unchanged_records: 0,
        })
    }

    fn path_unit(
        &self,
        unit: usize,
        path: &str,
        skip: i64,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let location = PathBuf::from(path);
        let io_error = |source: std::io::Error| {
            Err(ServiceError::from(IntelError::ReadPath {
                path: location.clone(),
                source,
            }))
        };
        let metadata = std::fs::metadata(&location).map_err(io_error)?;
        if metadata.is_file() {
            let mut file = std::fs::File::open(&location).map_err(io_error)?;
            let mut hasher = sha2::Sha256::new();
            std::io::copy(&mut file, &mut hasher).map_err(io_error)?;
            let sha256 = hex::encode(hasher.finalize());
            std::io::Seek::rewind(&mut file).map_err(io_error)?;
            let stored = self.files.get(path);
            if skip == 0 && stored.and_then(|f| f.sha256.as_deref()) == Some(sha256.as_str()) {
                let record_count = stored.map_or(0, |f| f.record_count);
                return self.send(Item::UnitDone {
                    unit,
                    file: None,
                    unchanged_records: record_count,
                });
            }
            let skip = if skip > 0 && self.start_sha256.as_deref() != Some(sha256.as_str()) {
                0
            } else {
                skip
            };
            let records = self.visit(unit, path, &mut file, &sha256, skip)?;
            return self.send(Item::UnitDone {
                unit,
                file: Some(FileState {
                    location: path.to_string(),
                    sha256: Some(sha256),
                    record_count: records,
                    ..FileState::default()
                }),
                unchanged_records: 0,
            });
        }
        let mut position: i64 = 0;
        let mut stopped = false;
        aftercare_intel::archive::visit_path(&location, &self.limits, |entry| {
            if stopped || self.cancel.load(Ordering::Relaxed) {
                stopped = true;
                return;
            }
            if position >= skip {
                let produced = self.produce(entry.name, entry.bytes, entry.result);
                let item = Item::Document {
                    unit,
                    position,
                    unit_sha256: None,
                    produced,
                };
                if self.sender.blocking_send(item).is_err() {
                    stopped = true;
                }
            }
            position += 1;
        })
        .map_err(|error| Err(ServiceError::from(error)))?;
        if stopped {
            return Err(Ok(Stop));
        }
        self.send(Item::UnitDone {
            unit,
            file: None,
            unchanged_records: 0,
        })
    }

    fn csaf_unit(
        &self,
        unit: usize,
        url: &str,
        updated: Option<String>,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let mut download = match self
            .client
            .get(url, None, &[])
            .map_err(|error| Err(ServiceError::from(error)))?
        {
            Fetched::Body(download) => download,
            Fetched::NotModified => {
                return self.send(Item::UnitDone {
                    unit,
                    file: None,
                    unchanged_records: 0,
                });
            }
        };
        let bytes = download.read_all().map_err(|source| {
            Err(ServiceError::from(FetchError::Spool {
                url: url.to_string(),
                source,
            }))
        })?;
        let result = aftercare_intel::read_document_with(url, &bytes, &self.limits);
        let records = result.as_ref().map_or(0, |p| p.records().len() as i64);
        let produced = self.produce(url, &bytes, result);
        self.send(Item::Document {
            unit,
            position: 0,
            unit_sha256: Some(download.sha256.clone()),
            produced,
        })?;
        self.send(Item::UnitDone {
            unit,
            file: Some(FileState {
                location: url.to_string(),
                etag: download.validators.etag.clone(),
                last_modified: download.validators.last_modified.clone(),
                sha256: Some(download.sha256.clone()),
                updated,
                record_count: records,
            }),
            unchanged_records: 0,
        })
    }

    fn nvd_unit(
        &self,
        unit: usize,
        base: &str,
        start: Option<&str>,
        end: Option<&str>,
        skip: i64,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let nvd_time = |text: &str| -> String {
            text.parse::<jiff::Timestamp>()
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string())
                .unwrap_or_else(|_| text.to_string())
                + "%2B00:00"
        };
        let separator = if base.contains('?') { '&' } else { '?' };
        let mut page = skip;
        let mut first = true;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(Ok(Stop));
            }
            if !first && !self.nvd_delay.is_zero() {
                std::thread::sleep(self.nvd_delay);
            }
            first = false;
            let start_index = page * i64::from(self.nvd_page_size);
            let mut url = format!(
                "{base}{separator}resultsPerPage={}&startIndex={start_index}",
                self.nvd_page_size
            );
            if let (Some(start), Some(end)) = (start, end) {
                url.push_str(&format!(
                    "&lastModStartDate={}&lastModEndDate={}",
                    nvd_time(start),
                    nvd_time(end)
                ));
            }
            let headers: Vec<(&str, &str)> = self
                .nvd_key
                .as_deref()
                .map(|key| vec![("apiKey", key)])
                .unwrap_or_default();
            let mut download = match self
                .client
                .get(&url, None, &headers)
                .map_err(|error| Err(ServiceError::from(error)))?
            {
                Fetched::Body(download) => download,
                Fetched::NotModified => break,
            };
            let bytes = download.read_all().map_err(|source| {
                Err(ServiceError::from(FetchError::Spool {
                    url: url.clone(),
                    source,
                }))
            })?;
            let total = serde_json::from_slice::<NvdPageHeader>(&bytes)
                .ok()
                .and_then(|header| header.total_results)
                .unwrap_or(0);
            let result = aftercare_intel::read_document_with(&url, &bytes, &self.limits);
            let produced = self.produce(&url, &bytes, result);
            self.send(Item::Document {
                unit,
                position: page,
                unit_sha256: None,
                produced,
            })?;
            page += 1;
            if (page * i64::from(self.nvd_page_size)) as u64 >= total {
                break;
            }
        }
        self.send(Item::UnitDone {
            unit,
            file: None,
            unchanged_records: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvd_windows_are_at_most_120_days() {
        let now: jiff::Timestamp = "2024-12-31T00:00:00Z".parse().unwrap();
        let plan = nvd_plan("https://nvd", Some("2024-01-01T00:00:00.000000Z"), now);
        assert_eq!(plan.units.len(), 4);
        assert_eq!(
            plan.units[0],
            Unit::Nvd {
                base: "https://nvd".into(),
                start: Some("2024-01-01T00:00:00.000000Z".into()),
                end: Some("2024-04-30T00:00:00.000000Z".into()),
            }
        );
        assert_eq!(plan.cursor.as_deref(), Some("2024-12-31T00:00:00.000000Z"));
        let first = nvd_plan("https://nvd", None, now);
        assert_eq!(first.units.len(), 1);
    }

    #[test]
    fn links_resolve_against_their_document() {
        for (base, link, expected) in [
            (
                "https://a.example/csaf/feed.json",
                "https://b.example/x.json",
                "https://b.example/x.json",
            ),
            (
                "https://a.example/csaf/feed.json",
                "2024/x.json",
                "https://a.example/csaf/2024/x.json",
            ),
            (
                "https://a.example/csaf/feed.json",
                "/other/x.json",
                "https://a.example/other/x.json",
            ),
        ] {
            assert_eq!(join_url(base, link), expected, "{link}");
        }
    }
}
