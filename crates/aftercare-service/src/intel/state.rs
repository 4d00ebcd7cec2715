//! The sync's working memory of the stored intelligence, and the application of one batch of
//! records in one transaction.
//!
//! Deciding whether an incoming record is new, newer or the same, and how the alias groups
//! change, is done in Rust on this in-memory copy (loaded once, kept in step with every
//! write); SQL only stores the outcome. The copy is tied to the generation of
//! `intel_state`: every batch moves the generation on under the intelligence lock, and a copy
//! built at another generation (another node wrote in between) is reloaded first.
//!
//! **Which version of a record wins.** Records are keyed by (source, record id). Of two
//! versions, the one with the later `modified` wins (a version without `modified` loses to
//! one with it); equal `modified` are decided by the larger digest. The rule depends only on
//! the two versions, not on the order they arrive in, so a resumed sync and a clean one agree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aftercare_intel::alias::{AliasEntry, AliasGraph, Change, Vulnerability};
use aftercare_intel::identity::{self, NewGroup, OldRow};
use aftercare_model::VulnerabilityId;
use aftercare_store::Tx;
use aftercare_store::feed::{RunCounts, WarningRow};
use aftercare_store::intel::{self, NewDocument, RecordRow, Redirect, VulnerabilityRow};

use super::normalize::Normalized;
use crate::ServiceError;

/// A record read and normalized, ready to apply.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// `osv`, `nvd` …
    pub source: &'static str,
    /// The record's own id.
    pub id: VulnerabilityId,
    /// Its aliases.
    pub aliases: Vec<VulnerabilityId>,
    /// Its related ids.
    pub related: Vec<VulnerabilityId>,
    /// What storage keeps.
    pub normalized: Normalized,
}

/// A document of a batch: its bytes are stored once by SHA-256.
#[derive(Debug, Clone)]
pub(crate) struct BatchDocument {
    /// Where it came from (URL, path, `archive!member`).
    pub name: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// The bytes as they came.
    pub bytes: Vec<u8>,
    /// Its records.
    pub records: Vec<Prepared>,
}

/// What one batch did.
#[derive(Debug, Clone, Default)]
pub(crate) struct BatchOutcome {
    /// Counts to add to the run's.
    pub counts: RunCounts,
    /// The delta entries: (kind, value).
    pub changes: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone)]
struct RecordState {
    source: String,
    record_id: String,
    digest: String,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: bool,
    summary: Option<String>,
}

#[derive(Debug, Clone)]
struct RowState {
    canonical: String,
    ids: BTreeSet<String>,
}

/// The in-memory copy of the stored intelligence.
#[derive(Debug, Default)]
pub(crate) struct IntelState {
    generation: i64,
    loaded: bool,
    records: HashMap<i64, RecordState>,
    by_key: HashMap<(String, String), i64>,
    graph: AliasGraph<i64>,
    rows: HashMap<i64, RowState>,
    by_canonical: HashMap<String, i64>,
    by_alias: HashMap<String, i64>,
    next_record: i64,
    next_vulnerability: i64,
}

fn parse_ids(texts: &[String]) -> Vec<VulnerabilityId> {
    texts.iter().filter_map(|text| text.parse().ok()).collect()
}

/// Rank of a source when a vulnerability's summary is chosen: the CVE record's title first.
fn source_rank(source: &str) -> u8 {
    match source {
        "cve5" => 0,
        "osv" => 1,
        "csaf" => 2,
        "nvd" => 3,
        _ => 4,
    }
}

impl IntelState {
    /// An empty, unloaded state.
    pub(crate) fn new() -> IntelState {
        IntelState::default()
    }

    /// Marks the copy stale (after a failed transaction).
    pub(crate) fn invalidate(&mut self) {
        self.loaded = false;
    }

    /// Takes the intelligence lock in the transaction and makes sure the copy is current.
    pub(crate) async fn lock(&mut self, tx: &mut Tx) -> Result<(), ServiceError> {
        let before = intel::bump_generation(tx).await?;
        if !self.loaded || before != self.generation {
            self.load(tx).await?;
        }
        self.generation = before + 1;
        Ok(())
    }

    async fn load(&mut self, tx: &mut Tx) -> Result<(), ServiceError> {
        let metas = intel::record_metas(tx.conn()).await?;
        let mut records = HashMap::with_capacity(metas.len());
        let mut by_key = HashMap::with_capacity(metas.len());
        let mut entries = Vec::with_capacity(metas.len());
        for meta in metas {
            if let Ok(id) = meta.record_id.parse::<VulnerabilityId>() {
                entries.push(AliasEntry {
                    key: meta.id,
                    id,
                    aliases: parse_ids(&meta.aliases),
                    related: parse_ids(&meta.related),
                    withdrawn: meta.withdrawn,
                });
            }
            by_key.insert((meta.source.clone(), meta.record_id.clone()), meta.id);
            records.insert(
                meta.id,
                RecordState {
                    source: meta.source,
                    record_id: meta.record_id,
                    digest: meta.digest,
                    modified: meta.modified,
                    published: meta.published,
                    withdrawn: meta.withdrawn,
                    summary: meta.summary,
                },
            );
        }
        let mut rows: HashMap<i64, RowState> = HashMap::new();
        let mut by_canonical = HashMap::new();
        for row in intel::active_vulnerabilities(tx.conn()).await? {
            by_canonical.insert(row.canonical.clone(), row.id);
            rows.insert(
                row.id,
                RowState {
                    canonical: row.canonical,
                    ids: BTreeSet::new(),
                },
            );
        }
        let mut by_alias = HashMap::new();
        for (alias, vulnerability, shared) in intel::all_aliases(tx.conn()).await? {
            if shared {
                continue;
            }
            if let Some(row) = rows.get_mut(&vulnerability) {
                row.ids.insert(alias.clone());
                by_alias.insert(alias, vulnerability);
            }
        }
        let (max_record, max_vulnerability) = intel::max_ids(tx).await?;
        *self = IntelState {
            generation: self.generation,
            loaded: true,
            records,
            by_key,
            graph: entries.into_iter().collect(),
            rows,
            by_canonical,
            by_alias,
            next_record: max_record + 1,
            next_vulnerability: max_vulnerability + 1,
        };
        Ok(())
    }

    /// Applies a batch of documents in the caller's transaction (the lock is taken by
    /// [`IntelState::lock`] first); the rows it writes are stamped `now` (stored text form).
    /// Returns the counts and the delta.
    pub(crate) async fn apply(
        &mut self,
        tx: &mut Tx,
        feed_id: i64,
        run_id: i64,
        documents: &[BatchDocument],
        now: &str,
    ) -> Result<BatchOutcome, ServiceError> {
        let mut outcome = BatchOutcome::default();
        // 1. Decide, record by record, in order.
        // The winning version of each key: (document index, record index).
        let mut winners: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
        let mut pending: HashMap<(String, String), (Option<String>, String, bool)> = HashMap::new();
        for (document_index, document) in documents.iter().enumerate() {
            for (record_index, record) in document.records.iter().enumerate() {
                let key = (record.source.to_string(), record.id.to_string());
                let incoming = &record.normalized;
                let current = pending.get(&key).cloned().or_else(|| {
                    self.by_key
                        .get(&key)
                        .and_then(|id| self.records.get(id))
                        .map(|state| {
                            (
                                state.modified.clone(),
                                state.digest.clone(),
                                state.withdrawn,
                            )
                        })
                });
                let newer = match &current {
                    None => true,
                    Some((modified, digest, _)) => {
                        (&incoming.modified, &incoming.digest) > (modified, digest)
                    }
                };
                if !newer {
                    outcome.counts.unchanged += 1;
                    continue;
                }
                let was_withdrawn = current.as_ref().is_some_and(|(_, _, w)| *w);
                if incoming.withdrawn && !was_withdrawn {
                    outcome.counts.withdrawn += 1;
                } else if current.is_none() {
                    outcome.counts.new += 1;
                } else {
                    outcome.counts.updated += 1;
                }
                pending.insert(
                    key.clone(),
                    (
                        incoming.modified.clone(),
                        incoming.digest.clone(),
                        incoming.withdrawn,
                    ),
                );
                winners.insert(key, (document_index, record_index));
            }
        }
        if winners.is_empty() {
            return Ok(outcome);
        }

        // 2. Documents of the winners.
        let mut used_documents: BTreeSet<usize> = BTreeSet::new();
        for (document_index, _) in winners.values() {
            used_documents.insert(*document_index);
        }
        let new_documents: Vec<NewDocument<'_>> = used_documents
            .iter()
            .map(|index| {
                let document = &documents[*index];
                NewDocument {
                    sha256: &document.sha256,
                    kind: "record",
                    name: &document.name,
                    bytes: &document.bytes,
                }
            })
            .collect();
        let document_ids: HashMap<String, i64> = intel::put_documents(tx, &new_documents, now)
            .await?
            .into_iter()
            .collect();

        // 3. Records: new ones get the next row ids, updated ones keep theirs.
        let mut rows = Vec::with_capacity(winners.len());
        let mut updated_ids = Vec::new();
        let mut packages = Vec::new();
        let mut products = Vec::new();
        let mut alias_changes = Vec::with_capacity(winners.len());
        let mut new_states = Vec::with_capacity(winners.len());
        for (key, (document_index, record_index)) in &winners {
            let document = &documents[*document_index];
            let record = &document.records[*record_index];
            let normalized = &record.normalized;
            let id = match self.by_key.get(key) {
                Some(id) => {
                    updated_ids.push(*id);
                    *id
                }
                None => {
                    let id = self.next_record;
                    self.next_record += 1;
                    id
                }
            };
            let document_id = document_ids.get(&document.sha256).copied().ok_or_else(|| {
                ServiceError::Store(aftercare_store::StoreError::Corrupt {
                    entity: "document",
                    id: document.sha256.clone(),
                    field: "id",
                    message: "stored but not found again".to_string(),
                })
            })?;
            for package in &normalized.packages {
                packages.push((id, package.clone()));
                outcome.changes.push(("package", package.clone()));
            }
            for (vendor, product) in &normalized.products {
                products.push((id, vendor.clone(), product.clone()));
                outcome
                    .changes
                    .push(("product", format!("{vendor}:{product}")));
            }
            rows.push(RecordRow {
                id,
                source: key.0.clone(),
                record_id: key.1.clone(),
                feed_id,
                run_id,
                document_id,
                digest: normalized.digest.clone(),
                modified: normalized.modified.clone(),
                published: normalized.published.clone(),
                withdrawn: normalized.withdrawn,
                withdrawn_at: normalized.withdrawn_at.clone(),
                withdrawn_reason: normalized.withdrawn_reason.clone(),
                summary: normalized.summary.clone(),
                description: normalized.description.clone(),
                severity: normalized.severity.clone(),
                ratings: normalized.ratings.clone(),
                aliases: normalized.aliases.clone(),
                related: normalized.related.clone(),
                fetched_at: now.to_string(),
            });
            alias_changes.push(Change::Upsert(AliasEntry {
                key: id,
                id: record.id.clone(),
                aliases: record.aliases.clone(),
                related: record.related.clone(),
                withdrawn: normalized.withdrawn,
            }));
            new_states.push((
                id,
                key.clone(),
                RecordState {
                    source: key.0.clone(),
                    record_id: key.1.clone(),
                    digest: normalized.digest.clone(),
                    modified: normalized.modified.clone(),
                    published: normalized.published.clone(),
                    withdrawn: normalized.withdrawn,
                    summary: normalized.summary.clone().or_else(|| {
                        normalized
                            .description
                            .as_ref()
                            .map(|d| d.chars().take(200).collect())
                    }),
                },
            ));
        }
        if !updated_ids.is_empty() {
            // What the previous versions named changed too, for the matcher.
            let (old_packages, old_products) = intel::affected_of(tx, &updated_ids).await?;
            outcome
                .changes
                .extend(old_packages.into_iter().map(|key| ("package", key)));
            outcome.changes.extend(
                old_products
                    .into_iter()
                    .map(|(vendor, product)| ("product", format!("{vendor}:{product}"))),
            );
            intel::delete_affected(tx, &updated_ids).await?;
        }
        intel::upsert_records(tx, &rows).await?;
        intel::insert_affected(tx, &packages, &products).await?;
        for (id, key, state) in new_states {
            self.by_key.insert(key, id);
            self.records.insert(id, state);
        }

        // 4. The alias merge, and stable row ids for what it changed.
        let delta = self.graph.apply(alias_changes);
        self.write_groups(
            tx,
            run_id,
            now,
            &delta.removed,
            &delta.changed,
            &mut outcome,
        )
        .await?;
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_groups(
        &mut self,
        tx: &mut Tx,
        run_id: i64,
        now: &str,
        removed: &[VulnerabilityId],
        changed: &[Vulnerability<i64>],
        outcome: &mut BatchOutcome,
    ) -> Result<(), ServiceError> {
        let mut old_ids: BTreeSet<i64> = BTreeSet::new();
        for canonical in removed {
            old_ids.extend(self.by_canonical.get(canonical.as_str()));
        }
        let groups: Vec<NewGroup> = changed
            .iter()
            .map(|group| NewGroup {
                canonical: group.canonical.to_string(),
                ids: group.ids.iter().map(ToString::to_string).collect(),
            })
            .collect();
        for group in &groups {
            old_ids.extend(self.by_canonical.get(&group.canonical));
            for id in &group.ids {
                old_ids.extend(self.by_alias.get(id));
            }
        }
        let old: Vec<OldRow> = old_ids
            .iter()
            .filter_map(|id| {
                self.rows.get(id).map(|row| OldRow {
                    id: *id,
                    canonical: row.canonical.clone(),
                    ids: row.ids.clone(),
                })
            })
            .collect();
        let assignment = identity::assign(&old, &groups);
        let mut row_ids = Vec::with_capacity(groups.len());
        for kept in &assignment.kept {
            row_ids.push(match kept {
                Some(id) => *id,
                None => {
                    let id = self.next_vulnerability;
                    self.next_vulnerability += 1;
                    id
                }
            });
        }
        // Rows.
        let mut vulnerability_rows = Vec::with_capacity(changed.len());
        let mut aliases = Vec::new();
        let mut attachments = Vec::new();
        for (group, row_id) in changed.iter().zip(&row_ids) {
            let members: Vec<&RecordState> = group
                .records
                .iter()
                .filter_map(|record| self.records.get(record))
                .collect();
            let published = members.iter().filter_map(|m| m.published.clone()).min();
            let modified = members.iter().filter_map(|m| m.modified.clone()).max();
            let mut ranked: Vec<&&RecordState> =
                members.iter().filter(|m| m.summary.is_some()).collect();
            ranked.sort_by(|a, b| {
                (source_rank(&a.source), &a.record_id).cmp(&(source_rank(&b.source), &b.record_id))
            });
            let summary = ranked.first().and_then(|m| m.summary.clone());
            vulnerability_rows.push(VulnerabilityRow {
                id: *row_id,
                canonical: group.canonical.to_string(),
                status: "active".to_string(),
                withdrawn: group.withdrawn,
                published,
                modified,
                summary,
                created_at: now.to_string(),
                updated_at: now.to_string(),
            });
            for id in &group.ids {
                aliases.push((id.to_string(), *row_id, false));
            }
            for id in &group.shared_ids {
                aliases.push((id.to_string(), *row_id, true));
            }
            for record in &group.records {
                attachments.push((*row_id, *record));
            }
            outcome.changes.push(("vulnerability", row_id.to_string()));
        }
        let old_row_ids: Vec<i64> = old_ids.iter().copied().collect();
        intel::delete_memberships(tx, &old_row_ids).await?;
        intel::upsert_vulnerabilities(tx, &vulnerability_rows).await?;
        intel::insert_memberships(tx, &aliases, &attachments).await?;
        let merged: Vec<i64> = assignment.merged.iter().map(|(id, _)| *id).collect();
        intel::retire_vulnerabilities(tx, &merged).await?;
        let mut redirects = Vec::new();
        for (from, takers) in &assignment.merged {
            outcome.changes.push(("vulnerability", from.to_string()));
            for taker in takers {
                redirects.push(Redirect {
                    from_id: *from,
                    to_id: row_ids[*taker],
                    reason: "merged".to_string(),
                    run_id: Some(run_id),
                });
            }
        }
        for (from, takers) in &assignment.split {
            for taker in takers {
                redirects.push(Redirect {
                    from_id: *from,
                    to_id: row_ids[*taker],
                    reason: "split".to_string(),
                    run_id: Some(run_id),
                });
            }
        }
        intel::insert_redirects(tx, &redirects, now).await?;
        // Memory follows.
        for id in &old_ids {
            if let Some(row) = self.rows.remove(id) {
                if self.by_canonical.get(&row.canonical) == Some(id) {
                    self.by_canonical.remove(&row.canonical);
                }
                for alias in &row.ids {
                    if self.by_alias.get(alias) == Some(id) {
                        self.by_alias.remove(alias);
                    }
                }
            }
        }
        for (group, row_id) in groups.into_iter().zip(row_ids) {
            self.by_canonical.insert(group.canonical.clone(), row_id);
            for alias in &group.ids {
                self.by_alias.insert(alias.clone(), row_id);
            }
            self.rows.insert(
                row_id,
                RowState {
                    canonical: group.canonical,
                    ids: group.ids,
                },
            );
        }
        Ok(())
    }
}

/// Turns reader warnings into stored rows, numbered from `start`.
pub(crate) fn warning_rows(start: i64, warnings: &[aftercare_intel::Warning]) -> Vec<WarningRow> {
    warnings
        .iter()
        .enumerate()
        .map(|(offset, warning)| WarningRow {
            position: start + offset as i64,
            document: warning.document.clone(),
            record: warning.record.clone(),
            kind: format!("{:?}", warning.kind),
            message: warning.message.clone(),
        })
        .collect()
}
