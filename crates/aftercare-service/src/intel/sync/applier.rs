//! The applier of a run: the writing side. It gathers the producer's documents into batches
//! of about `batch_records` records and applies each batch in **one transaction** with the
//! run's checkpoint (unit, position, unit digest), counts, warnings, files and delta, so that
//! the data and the checkpoint that covers it commit together or not at all; KEV and EPSS
//! documents are applied as batches of their own. After each commit it renews the feed's
//! lease and checks whether to stop. Its last transaction (`finish`) writes the files'
//! validators, the feed's cursor, the run's status and delta digest, and the sync's one audit
//! event.

use std::sync::atomic::Ordering;

use aftercare_intel::{Warning, WarningKind};
use aftercare_store::Tx;
use aftercare_store::feed::{self, FeedFile, FeedRow, RunCounts, RunRow};
use sha2::Digest as _;

use super::delta::SyncDelta;
use super::options::{Progress, SyncOptions, lease_times};
use super::plan::{FileState, Plan};
use super::producer::{Item, Produced};
use crate::audit::{self, AuditAction, Change};
use crate::intel::FeedKind;
use crate::intel::enrichment;
use crate::intel::state::{BatchDocument, BatchOutcome, IntelState, warning_rows};
use crate::{Context, ServiceError, Workspace};

/// Applies a run's documents in batches, each committed with its checkpoint.
pub(super) struct Applier<'a> {
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

impl<'a> Applier<'a> {
    /// An applier of `run` that continues from its stored checkpoint and counts, stamping
    /// what it writes with `at` (the sync's instant, stored form).
    pub(super) fn new(
        workspace: &'a Workspace,
        feed: &'a FeedRow,
        run: RunRow,
        kind: FeedKind,
        options: &'a SyncOptions,
        progress: &'a dyn Progress,
        at: String,
    ) -> Applier<'a> {
        Applier {
            workspace,
            feed,
            counts: run.counts,
            checkpoint: (run.unit, run.position, run.unit_sha256.clone()),
            run,
            options,
            progress,
            state: IntelState::new(),
            pending: Vec::new(),
            pending_records: 0,
            pending_counts: RunCounts::default(),
            pending_warnings: Vec::new(),
            pending_files: Vec::new(),
            committed_batches: 0,
            applied_records: 0,
            kind,
            at,
        }
    }

    /// Adds the warnings met while planning; they are written with the first commit.
    pub(super) fn plan_warnings(&mut self, plan: &Plan) {
        for warning in &plan.warnings {
            self.pending_warnings.push(Warning {
                document: self.feed.name.clone(),
                record: None,
                kind: WarningKind::Unsupported,
                message: warning.clone(),
            });
        }
    }

    /// The counts committed so far.
    pub(super) fn counts(&self) -> RunCounts {
        self.counts
    }

    /// Takes one item; returns `false` when the sync must stop (interrupted).
    pub(super) async fn take(&mut self, item: Item) -> Result<bool, ServiceError> {
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
        let mut batch = outcome.counts;
        batch.batches += 1;
        let counts = self.write_checkpoint(&mut tx, &batch, &[]).await?;
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

    /// Writes into `tx` what every commit of the run carries: the checkpoint with the run's
    /// counts (the committed ones, the pending ones and `more`), the pending warnings
    /// (numbered on from the run's), and the pending files with `discovery`'s; returns the
    /// counts written.
    async fn write_checkpoint(
        &self,
        tx: &mut Tx,
        more: &RunCounts,
        discovery: &[FileState],
    ) -> Result<RunCounts, ServiceError> {
        let mut counts = self.counts;
        add_counts(&mut counts, &self.pending_counts);
        add_counts(&mut counts, more);
        let warnings = warning_rows(counts.warnings, &self.pending_warnings);
        counts.warnings += warnings.len() as i64;
        let (unit, position, sha) = self.checkpoint.clone();
        feed::checkpoint(tx, self.run.id, unit, sha.as_deref(), position, &counts).await?;
        feed::add_warnings(tx, self.run.id, &warnings).await?;
        let files: Vec<FeedFile> = self
            .pending_files
            .iter()
            .chain(discovery)
            .map(FileState::to_row)
            .collect();
        feed::put_files(tx, self.feed.id, &files).await?;
        Ok(counts)
    }

    /// Applies what is left of the last batch.
    pub(super) async fn flush(&mut self) -> Result<(), ServiceError> {
        if !self.pending.is_empty() {
            self.commit_batch().await?;
        }
        Ok(())
    }

    /// The run's last transaction: counts, warnings, files, cursor, status, audit event.
    pub(super) async fn finish(
        &mut self,
        context: &Context,
        plan: &Plan,
    ) -> Result<(), ServiceError> {
        let mut tx = self.workspace.store().begin().await?;
        let counts = self
            .write_checkpoint(&mut tx, &RunCounts::default(), &plan.discovery)
            .await?;
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

/// Whether a run with these counts changed anything (`completed`) or not (`unchanged`).
pub(super) fn changed(counts: &RunCounts) -> bool {
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
