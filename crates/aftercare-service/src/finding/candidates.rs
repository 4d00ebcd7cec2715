//! The records a match run matches with: the candidates of the affected index (by package
//! key and CPE vendor/product) and every other record of their vulnerabilities, re-read from
//! their stored documents and indexed; and, for a feed delta, the vulnerabilities it
//! re-evaluates.
//!
//! A record whose document cannot be read again is kept out of the index and listed
//! ([`CandidateIndex::unreadable`]): the findings of its vulnerability are *held* by the run
//! (left as they are), never closed for lack of it.

use std::collections::{BTreeSet, HashMap, HashSet};

use aftercare_match::{Component, Index, RecordKey};
use aftercare_store::intel::{self, Membership};

use super::mirror::{Mirror, WarmIndex};
use crate::intel::lookup::{self, UnreadableRecord};
use crate::intel::sync::SyncDelta;
use crate::{ServiceError, Workspace};
use aftercare_intel::normalize::cpe_pair;

/// The records that may affect some components, prepared for matching: the candidates of
/// the affected index (by package key and CPE vendor/product) and every other record of their
/// vulnerabilities (so that severity and aliases are those of the whole vulnerability),
/// re-read from their documents and indexed in record order.
#[derive(Debug)]
pub struct CandidateIndex {
    /// The index.
    pub index: Index,
    /// How many records it holds.
    pub records: usize,
    memberships: Vec<Membership>,
    /// Record → position in `memberships`.
    vulnerability_of: HashMap<RecordKey, usize>,
    /// Records that could not be read again from their documents.
    pub unreadable: Vec<UnreadableRecord>,
}

impl CandidateIndex {
    /// An index of no records (a run with nothing in scope).
    fn empty() -> CandidateIndex {
        CandidateIndex {
            index: Index::build(std::iter::empty()),
            records: 0,
            memberships: Vec::new(),
            vulnerability_of: HashMap::new(),
            unreadable: Vec::new(),
        }
    }

    /// The stored vulnerability a record is attached to.
    pub(super) fn membership(&self, record: &RecordKey) -> Option<&Membership> {
        self.vulnerability_of
            .get(record)
            .and_then(|position| self.memberships.get(*position))
    }

    /// The stored vulnerabilities the records belong to (row id → canonical id).
    pub(super) fn canonical_ids(&self) -> HashMap<i64, String> {
        self.memberships
            .iter()
            .map(|m| (m.vulnerability_id, m.canonical.clone()))
            .collect()
    }

    /// The vulnerabilities with a record that could not be read again: row ids, and
    /// canonical ids. Their findings are held.
    pub(super) fn held(&self) -> (HashSet<i64>, HashSet<String>) {
        let unreadable: HashSet<i64> = self.unreadable.iter().map(|u| u.record_row).collect();
        self.memberships
            .iter()
            .filter(|m| unreadable.contains(&m.record_id))
            .map(|m| (m.vulnerability_id, m.canonical.clone()))
            .unzip()
    }
}

/// Prepares the candidate records of some components (`package_keys` adds keys the
/// components' purls do not give, such as stored ones).
pub async fn candidate_index(
    workspace: &Workspace,
    components: &[Component],
    package_keys: &[String],
) -> Result<CandidateIndex, ServiceError> {
    prepare(workspace, components, package_keys, None).await
}

/// [`candidate_index`], through a server's record cache when there is one.
pub(super) async fn prepare(
    workspace: &Workspace,
    components: &[Component],
    package_keys: &[String],
    cache: Option<&mut lookup::RecordCache>,
) -> Result<CandidateIndex, ServiceError> {
    let mut keys: BTreeSet<String> = package_keys.iter().cloned().collect();
    let mut products: BTreeSet<(String, String)> = BTreeSet::new();
    for component in components {
        if let Some(key) = component.package_key() {
            keys.insert(key.to_string());
        }
        for cpe in &component.cpes {
            products.insert(cpe_pair(cpe));
        }
    }
    let keys: Vec<String> = keys.into_iter().collect();
    let products: Vec<(String, String)> = products.into_iter().collect();
    let candidates = if components.is_empty() {
        lookup::Candidates::default()
    } else {
        lookup::candidates(workspace, &keys, &products).await?
    };
    let memberships = intel::sibling_records(workspace.store(), &candidates.record_ids()).await?;
    let mut record_ids: Vec<i64> = candidates.record_ids();
    record_ids.extend(memberships.iter().map(|m| m.record_id));
    index_of(workspace, record_ids, memberships, cache).await
}

/// The index of some records, re-read from their documents (through a server's cache), with
/// the vulnerabilities they are attached to.
async fn index_of(
    workspace: &Workspace,
    mut record_ids: Vec<i64>,
    memberships: Vec<Membership>,
    cache: Option<&mut lookup::RecordCache>,
) -> Result<CandidateIndex, ServiceError> {
    record_ids.sort_unstable();
    record_ids.dedup();
    let reread = match cache {
        Some(cache) => lookup::reread_cached(workspace, &record_ids, cache).await?,
        None => lookup::reread(workspace, &record_ids).await?,
    };
    let records = reread.records;
    let by_row: HashMap<i64, usize> = memberships
        .iter()
        .enumerate()
        .map(|(position, m)| (m.record_id, position))
        .collect();
    let mut vulnerability_of = HashMap::new();
    for (row_id, record) in &records {
        if let Some(position) = by_row.get(row_id) {
            vulnerability_of.insert(RecordKey::of(record), *position);
        }
    }
    // In row order: what a finding says must not depend on a hash map's order.
    let mut records: Vec<(i64, aftercare_intel::Record)> = records.into_iter().collect();
    records.sort_by_key(|(id, _)| *id);
    let count = records.len();
    let index = Index::build(records.into_iter().map(|(_, record)| record));
    Ok(CandidateIndex {
        index,
        records: count,
        memberships,
        vulnerability_of,
        unreadable: reread.unreadable,
    })
}

/// What a feed delta's run re-evaluates: its vulnerabilities — those of the changed records,
/// those the alias merge changed or retired, those of the changed KEV entries — (row ids, and
/// canonical ids for findings stored without one) and every record of theirs.
pub(super) struct InPlay {
    pub ids: HashSet<i64>,
    pub names: HashSet<String>,
}

/// Deltas of more records than this (a first sync) re-match their components against every
/// candidate record, as a release's run does, instead of every record of their vulnerabilities.
pub(super) const RESTRICTED_DELTA: usize = 5_000;

impl InPlay {
    pub(super) async fn of(
        workspace: &Workspace,
        delta: &SyncDelta,
    ) -> Result<InPlay, ServiceError> {
        let mut ids: BTreeSet<i64> = delta.vulnerabilities.iter().copied().collect();
        let mut names: HashSet<String> = delta.kev.iter().cloned().collect();
        // The vulnerabilities of the changed records (whose alias groups did not change).
        let mut known: HashSet<i64> = HashSet::new();
        for m in intel::sibling_records(workspace.store(), &delta.records).await? {
            ids.insert(m.vulnerability_id);
            known.insert(m.vulnerability_id);
            names.insert(m.canonical);
        }
        for (_, id, _) in intel::aliases_in(workspace.store(), &delta.kev).await? {
            ids.insert(id);
        }
        // The others (merged into another, keeping no records; or a KEV entry's) by their
        // canonical id too.
        for id in ids.iter().filter(|id| !known.contains(id)) {
            if let Some(row) = intel::vulnerability(workspace.store().pool(), *id).await? {
                names.insert(row.canonical);
            }
        }
        Ok(InPlay {
            ids: ids.into_iter().collect(),
            names,
        })
    }
}

/// The CVEs of the stored KEV catalog.
pub async fn kev_cves(workspace: &Workspace) -> Result<HashSet<String>, ServiceError> {
    Ok(intel::kev_entries(workspace.store().pool())
        .await?
        .into_iter()
        .map(|entry| entry.cve)
        .collect())
}

/// The records of a run: a warm full re-match keeps its index while the intelligence and the
/// identities stay the same (`intel_generation` is the current generation when the run may
/// keep one); a feed delta's run reads every record of its vulnerabilities; other runs the
/// candidates of their identities, through a server's record cache when there is one.
pub(super) async fn for_run(
    workspace: &Workspace,
    mirror: &mut Mirror,
    identities: &[u32],
    in_play: Option<&InPlay>,
    intel_generation: Option<i64>,
    warm: bool,
) -> Result<CandidateIndex, ServiceError> {
    let kept = mirror.index.take().filter(|kept| {
        Some(kept.intel_generation) == intel_generation
            && kept.identities == mirror.identities.len()
    });
    if let Some(kept) = kept {
        return Ok(kept.prepared);
    }
    if identities.is_empty() {
        // Nothing in scope: no records to read.
        return Ok(CandidateIndex::empty());
    }
    let cache = if warm {
        Some(&mut mirror.records)
    } else {
        None
    };
    match in_play {
        Some(in_play) => {
            let ids: Vec<i64> = in_play.ids.iter().copied().collect();
            let memberships = intel::records_of_vulnerabilities(workspace.store(), &ids).await?;
            let record_ids: Vec<i64> = memberships.iter().map(|m| m.record_id).collect();
            index_of(workspace, record_ids, memberships, cache).await
        }
        None => {
            let components: Vec<Component> = identities
                .iter()
                .map(|i| mirror.identities[*i as usize].component.clone())
                .collect();
            let keys: Vec<String> = identities
                .iter()
                .filter_map(|i| mirror.identities[*i as usize].package_key.clone())
                .collect();
            prepare(workspace, &components, &keys, cache).await
        }
    }
}

/// Keeps a full re-match's index in a warm mirror for the next one.
pub(super) fn keep(mirror: &mut Mirror, intel_generation: i64, prepared: CandidateIndex) {
    mirror.index = Some(WarmIndex {
        intel_generation,
        identities: mirror.identities.len(),
        prepared,
    });
}
