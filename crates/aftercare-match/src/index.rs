//! The in-memory index: records prepared for matching and found by what they name.
//!
//! Records are found by
//!
//! * [`PackageKey`] → OSV affected packages, their ranges parsed once ([`crate::osv`]);
//! * CPE (vendor, product) of their vulnerable criteria → NVD configurations
//!   ([`crate::nvd`]); criteria with a wildcard vendor or product are kept apart and tried
//!   for every CPE;
//! * purl (type, namespace, name), CPE (vendor, product) or file hash → CSAF product
//!   statements ([`crate::csaf`]);
//! * package key or CPE (vendor, product) → CVE 5 affected products ([`crate::cve5`]).
//!
//! Records are grouped into vulnerabilities by `aftercare_intel::alias` (two CVE ids never
//! merge); each vulnerability carries its severity by the brief's rule ([`crate::severity`]).
//! Withdrawn records take part in the alias merge but are not indexed for matching: they
//! never make a finding.
//!
//! The index is built once ([`IndexBuilder`]) and changed incrementally ([`Index::apply`]):
//! a changed record is re-prepared and only the vulnerabilities around it are re-merged.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use aftercare_intel::alias::{self, AliasEntry, AliasGraph, Change};
use aftercare_intel::record::{AffectedProduct, Configuration, Record, Source};
use aftercare_model::{PackageKey, VulnerabilityId};

use crate::csaf::{CsafKey, CsafStatement};
use crate::nvd::CpeKey;
use crate::osv::{Package, PackageEntry, StoredPackage};
use crate::severity::{Assessment, Rating, assess};

/// A record's identity: its source and id, as storage keys records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    /// Where the record comes from.
    pub source: Source,
    /// Its id.
    pub id: VulnerabilityId,
}

impl RecordKey {
    /// The key of a record.
    pub fn of(record: &Record) -> RecordKey {
        RecordKey {
            source: record.source,
            id: record.id.clone(),
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source.as_str(), self.id)
    }
}

/// What the index keeps of a record besides its matching data.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordInfo {
    /// The record's key.
    pub key: RecordKey,
    /// Its aliases.
    pub aliases: Vec<VulnerabilityId>,
    /// Its related ids.
    pub related: Vec<VulnerabilityId>,
    /// Whether the source withdrew it (it then matches nothing).
    pub withdrawn: bool,
    /// Its one-line summary.
    pub summary: Option<String>,
    /// Its ratings, as the severity rule reads them (package-level ones included).
    pub ratings: Vec<Rating>,
    /// Whether the record itself says the CVE is in CISA's KEV catalog.
    pub kev: bool,
    /// The vulnerabilities the record is attached to, by canonical id.
    pub vulnerabilities: Vec<VulnerabilityId>,
}

impl RecordInfo {
    fn from_record(record: &Record) -> RecordInfo {
        let mut ratings = Rating::from_record(&record.ratings);
        for package in &record.packages {
            ratings.extend(Rating::from_record(&package.ratings));
        }
        RecordInfo {
            key: RecordKey::of(record),
            aliases: record.aliases.clone(),
            related: record.related.clone(),
            withdrawn: record.is_withdrawn(),
            summary: record.summary.clone(),
            ratings,
            kev: record.kev.is_some(),
            vulnerabilities: Vec::new(),
        }
    }

    fn alias_entry(&self) -> AliasEntry<RecordKey> {
        AliasEntry {
            key: self.key.clone(),
            id: self.key.id.clone(),
            aliases: self.aliases.clone(),
            related: self.related.clone(),
            withdrawn: self.withdrawn,
        }
    }
}

/// A vulnerability: one CVE and the ids that alias only it, or one group of non-CVE ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Vulnerability {
    /// The canonical id (the CVE, or the preferred id of the group).
    pub id: VulnerabilityId,
    /// The other ids merged into it, sorted.
    pub aliases: Vec<VulnerabilityId>,
    /// Non-CVE ids that alias this CVE and others: attached, not merged.
    pub shared: Vec<VulnerabilityId>,
    /// Ids its records call related.
    pub related: Vec<VulnerabilityId>,
    /// The records attached, withdrawn ones included.
    pub records: Vec<RecordKey>,
    /// Its severity and where it comes from.
    pub severity: Assessment,
    /// Whether a record says it is in CISA's KEV catalog.
    pub kev: bool,
    /// Whether every attached record is withdrawn.
    pub withdrawn: bool,
    /// A one-line summary from one of its records.
    pub summary: Option<String>,
}

impl Vulnerability {
    /// Whether an id names this vulnerability (its own id, an alias or a shared id).
    pub fn has_id(&self, id: &VulnerabilityId) -> bool {
        self.id == *id || self.aliases.contains(id) || self.shared.contains(id)
    }
}

/// A CVE 5 product with its record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredProduct {
    pub record: u32,
    pub position: u32,
    pub product: AffectedProduct,
}

/// An NVD configuration with its record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredConfiguration {
    pub record: u32,
    pub position: u32,
    pub configuration: Configuration,
}

/// Where a record's matching data is indexed, to remove it again.
#[derive(Debug, Clone, Default)]
struct Placement {
    packages: Vec<PackageKey>,
    configurations: Vec<CpeKey>,
    csaf: Vec<CsafKey>,
    cve5_packages: Vec<PackageKey>,
    cve5_cpes: Vec<CpeKey>,
}

#[derive(Debug, Clone)]
struct Slot {
    info: RecordInfo,
    placement: Placement,
}

/// A problem met while indexing: data that could not be used exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexWarning {
    /// The record.
    pub record: RecordKey,
    /// What happened.
    pub message: String,
}

/// A change to the records of an index.
#[derive(Debug, Clone)]
pub enum RecordChange {
    /// A new record, or a new version of one (same source and id).
    Upsert(Box<Record>),
    /// A record removed.
    Remove(RecordKey),
}

/// What [`Index::apply`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDelta {
    /// Records added, replaced or removed: their matches must be recomputed.
    pub records: Vec<RecordKey>,
    /// Records whose vulnerabilities changed (merged, split, renamed): their matches stay but
    /// count for other vulnerabilities now.
    pub reattached: Vec<RecordKey>,
    /// Vulnerabilities that changed (ids, records, severity, KEV), by canonical id.
    pub vulnerabilities: Vec<VulnerabilityId>,
    /// Vulnerabilities that no longer exist.
    pub removed: Vec<VulnerabilityId>,
}

/// The in-memory index. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Index {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_key: HashMap<RecordKey, u32>,
    pub(crate) packages: HashMap<PackageKey, Package>,
    pub(crate) configurations: HashMap<CpeKey, Vec<Arc<StoredConfiguration>>>,
    pub(crate) csaf: HashMap<CsafKey, Vec<(u32, Arc<CsafStatement>)>>,
    pub(crate) cve5_packages: HashMap<PackageKey, Vec<Arc<StoredProduct>>>,
    pub(crate) cve5_cpes: HashMap<CpeKey, Vec<Arc<StoredProduct>>>,
    vulnerabilities: HashMap<VulnerabilityId, Vulnerability>,
    /// Every id → the canonical ids of the vulnerabilities it names.
    canonical_of: HashMap<VulnerabilityId, Vec<VulnerabilityId>>,
    /// Records known only to the alias merge (peeked, not read).
    alias_only: HashMap<RecordKey, AliasEntry<RecordKey>>,
    graph: Option<AliasGraph<RecordKey>>,
    warnings: Vec<IndexWarning>,
}

/// Collects records, then builds an [`Index`] with one alias merge.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    records: Vec<Record>,
    alias_only: Vec<AliasEntry<RecordKey>>,
}

impl IndexBuilder {
    /// An empty builder.
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    /// Adds a record. Of several records with one key, the most recently modified is kept
    /// (the later one on a tie), with a warning.
    pub fn add(&mut self, record: Record) {
        self.records.push(record);
    }

    /// Adds a record known only by its ids (a record a scan peeked at and did not read): it
    /// takes part in the alias merge, so vulnerabilities are the same as with every record
    /// read, but it matches nothing.
    pub fn add_alias_only(&mut self, entry: AliasEntry<RecordKey>) {
        self.alias_only.push(entry);
    }

    /// The number of records added (read and alias-only).
    pub fn len(&self) -> usize {
        self.records.len() + self.alias_only.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the index.
    pub fn build(self) -> Index {
        let mut index = Index::default();
        // Keep one record per key: the latest modified.
        let mut chosen: HashMap<RecordKey, usize> = HashMap::with_capacity(self.records.len());
        let mut duplicates = Vec::new();
        for (position, record) in self.records.iter().enumerate() {
            let key = RecordKey::of(record);
            match chosen.get(&key) {
                Some(&earlier) => {
                    let keep_new = record.modified >= self.records[earlier].modified;
                    duplicates.push(key.clone());
                    if keep_new {
                        chosen.insert(key, position);
                    }
                }
                None => {
                    chosen.insert(key, position);
                }
            }
        }
        for key in duplicates {
            index.warnings.push(IndexWarning {
                record: key,
                message:
                    "the record was given more than once; the most recently modified copy is used"
                        .to_string(),
            });
        }
        let mut keep: Vec<bool> = vec![false; self.records.len()];
        for position in chosen.values() {
            keep[*position] = true;
        }
        for (record, kept) in self.records.into_iter().zip(keep) {
            if kept {
                index.insert_slot(&record);
            }
        }
        for entry in self.alias_only {
            if !index.by_key.contains_key(&entry.key) {
                index.alias_only.insert(entry.key.clone(), entry);
            }
        }
        let entries: Vec<AliasEntry<RecordKey>> = index
            .slots
            .iter()
            .flatten()
            .map(|slot| slot.info.alias_entry())
            .chain(index.alias_only.values().cloned())
            .collect();
        let groups = alias::merge(entries);
        for group in &groups {
            index.set_group(group);
        }
        index
    }
}

impl Index {
    /// An index of records (see [`IndexBuilder`]).
    pub fn build(records: impl IntoIterator<Item = Record>) -> Index {
        let mut builder = IndexBuilder::new();
        for record in records {
            builder.add(record);
        }
        builder.build()
    }

    /// The number of records indexed (alias-only ones not counted).
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no record is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The number of vulnerabilities.
    pub fn vulnerability_count(&self) -> usize {
        self.vulnerabilities.len()
    }

    /// Problems met while indexing.
    pub fn warnings(&self) -> &[IndexWarning] {
        &self.warnings
    }

    /// A record by key.
    pub fn record(&self, key: &RecordKey) -> Option<&RecordInfo> {
        let slot = *self.by_key.get(key)?;
        self.info(slot)
    }

    /// Every record, in no particular order.
    pub fn records(&self) -> impl Iterator<Item = &RecordInfo> {
        self.slots.iter().flatten().map(|slot| &slot.info)
    }

    pub(crate) fn info(&self, slot: u32) -> Option<&RecordInfo> {
        self.slots
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(|slot| &slot.info)
    }

    /// A vulnerability by canonical id.
    pub fn vulnerability(&self, id: &VulnerabilityId) -> Option<&Vulnerability> {
        self.vulnerabilities.get(id)
    }

    /// Every vulnerability, in no particular order.
    pub fn vulnerabilities(&self) -> impl Iterator<Item = &Vulnerability> {
        self.vulnerabilities.values()
    }

    /// The canonical ids of the vulnerabilities an id names (one; several for an id shared
    /// between CVEs; none for an unknown id).
    pub fn canonical(&self, id: &VulnerabilityId) -> &[VulnerabilityId] {
        self.canonical_of.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The package keys of the OSV entries indexed.
    pub fn package_keys(&self) -> impl Iterator<Item = &PackageKey> {
        self.packages.keys()
    }

    /// Prepares a record's matching data and puts it into a slot.
    fn insert_slot(&mut self, record: &Record) -> u32 {
        let info = RecordInfo::from_record(record);
        let key = info.key.clone();
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let mut placement = Placement::default();
        if !record.is_withdrawn() {
            self.place(slot, record, &mut placement);
        }
        if let Some(place) = self.slots.get_mut(slot as usize) {
            *place = Some(Slot { info, placement });
        }
        self.by_key.insert(key, slot);
        slot
    }

    fn place(&mut self, slot: u32, record: &Record, placement: &mut Placement) {
        let key = RecordKey::of(record);
        let mut warnings = Vec::new();
        for (position, package) in record.packages.iter().enumerate() {
            let Some(stored) = StoredPackage::from_affected(position as u32, package) else {
                continue;
            };
            let package_key = stored.key.clone();
            let package = self.packages.entry(package_key.clone()).or_default();
            let entry = PackageEntry::prepare(stored, &mut package.versions, &mut warnings);
            package.entries.push((slot, Arc::new(entry)));
            if !placement.packages.contains(&package_key) {
                placement.packages.push(package_key);
            }
        }
        for warning in warnings {
            self.warnings.push(IndexWarning {
                record: key.clone(),
                message: warning.message,
            });
        }
        for (position, configuration) in record.configurations.iter().enumerate() {
            let stored = Arc::new(StoredConfiguration {
                record: slot,
                position: position as u32,
                configuration: configuration.clone(),
            });
            for cpe_key in crate::nvd::keys(configuration) {
                self.configurations
                    .entry(cpe_key.clone())
                    .or_default()
                    .push(Arc::clone(&stored));
                placement.configurations.push(cpe_key);
            }
        }
        if let Some(advisory) = &record.advisory {
            for statement in crate::csaf::statements(advisory) {
                let csaf_key = statement.key();
                self.csaf
                    .entry(csaf_key.clone())
                    .or_default()
                    .push((slot, Arc::new(statement)));
                placement.csaf.push(csaf_key);
            }
        }
        for (position, product) in record.products.iter().enumerate() {
            let stored = Arc::new(StoredProduct {
                record: slot,
                position: position as u32,
                product: product.clone(),
            });
            if let Some(package_key) = &product.key {
                self.cve5_packages
                    .entry(package_key.clone())
                    .or_default()
                    .push(Arc::clone(&stored));
                placement.cve5_packages.push(package_key.clone());
            }
            for cpe in &product.cpes {
                let cpe_key = crate::nvd::cpe_key(cpe);
                self.cve5_cpes
                    .entry(cpe_key.clone())
                    .or_default()
                    .push(Arc::clone(&stored));
                placement.cve5_cpes.push(cpe_key);
            }
        }
        dedup(&mut placement.configurations);
        dedup(&mut placement.csaf);
        dedup(&mut placement.cve5_packages);
        dedup(&mut placement.cve5_cpes);
    }

    /// Removes a slot and everything indexed for it.
    fn remove_slot(&mut self, key: &RecordKey) -> Option<RecordInfo> {
        let slot = self.by_key.remove(key)?;
        let taken = self.slots.get_mut(slot as usize).and_then(Option::take)?;
        let placement = taken.placement;
        for package in &placement.packages {
            // The package's version table keeps the versions: harmless, and they come back.
            if let Some(found) = self.packages.get_mut(package) {
                found.entries.retain(|(owner, _)| *owner != slot);
                if found.entries.is_empty() {
                    self.packages.remove(package);
                }
            }
        }
        for cpe_key in &placement.configurations {
            remove_where(&mut self.configurations, cpe_key, |stored| {
                stored.record == slot
            });
        }
        for csaf_key in &placement.csaf {
            remove_where(&mut self.csaf, csaf_key, |(owner, _)| *owner == slot);
        }
        for package in &placement.cve5_packages {
            remove_where(&mut self.cve5_packages, package, |stored| {
                stored.record == slot
            });
        }
        for cpe_key in &placement.cve5_cpes {
            remove_where(&mut self.cve5_cpes, cpe_key, |stored| stored.record == slot);
        }
        self.free.push(slot);
        self.warnings.retain(|warning| warning.record != *key);
        Some(taken.info)
    }

    /// Sets (or replaces) a vulnerability from an alias group, and the attachments of its
    /// records.
    fn set_group(&mut self, group: &alias::Vulnerability<RecordKey>) {
        let canonical = group.canonical.clone();
        let records: Vec<&RecordInfo> = group
            .records
            .iter()
            .filter_map(|key| self.by_key.get(key).and_then(|slot| self.info(*slot)))
            .collect();
        let severity = assess(
            records
                .iter()
                .filter(|info| !info.withdrawn)
                .map(|info| (&info.key.id, info.ratings.as_slice())),
            &|id| group.ids.contains(id) || group.shared_ids.contains(id),
        );
        let kev = records.iter().any(|info| info.kev);
        let summary = records
            .iter()
            .filter(|info| !info.withdrawn)
            .find(|info| info.key.id == canonical && info.summary.is_some())
            .or_else(|| {
                records
                    .iter()
                    .filter(|info| !info.withdrawn)
                    .find(|info| info.summary.is_some())
            })
            .and_then(|info| info.summary.clone());
        let vulnerability = Vulnerability {
            id: canonical.clone(),
            aliases: group
                .ids
                .iter()
                .filter(|id| **id != canonical)
                .cloned()
                .collect(),
            shared: group.shared_ids.iter().cloned().collect(),
            related: group.related.iter().cloned().collect(),
            records: group.records.iter().cloned().collect(),
            severity,
            kev,
            withdrawn: group.withdrawn,
            summary,
        };
        for id in group.ids.iter().chain(&group.shared_ids) {
            let list = self.canonical_of.entry(id.clone()).or_default();
            if !list.contains(&canonical) {
                list.push(canonical.clone());
                list.sort();
            }
        }
        for key in &group.records {
            if let Some(slot) = self.by_key.get(key).copied()
                && let Some(Some(place)) = self.slots.get_mut(slot as usize)
                && !place.info.vulnerabilities.contains(&canonical)
            {
                place.info.vulnerabilities.push(canonical.clone());
                place.info.vulnerabilities.sort();
            }
        }
        self.vulnerabilities.insert(canonical, vulnerability);
    }

    /// Forgets a vulnerability and its attachments.
    fn unset_group(&mut self, canonical: &VulnerabilityId) {
        let Some(old) = self.vulnerabilities.remove(canonical) else {
            return;
        };
        for id in std::iter::once(&old.id)
            .chain(&old.aliases)
            .chain(&old.shared)
        {
            if let Some(list) = self.canonical_of.get_mut(id) {
                list.retain(|other| other != canonical);
                if list.is_empty() {
                    self.canonical_of.remove(id);
                }
            }
        }
        for key in &old.records {
            if let Some(slot) = self.by_key.get(key).copied()
                && let Some(Some(place)) = self.slots.get_mut(slot as usize)
            {
                place
                    .info
                    .vulnerabilities
                    .retain(|other| other != canonical);
            }
        }
    }

    fn ensure_graph(&mut self) {
        if self.graph.is_some() {
            return;
        }
        let mut graph = AliasGraph::new();
        for slot in self.slots.iter().flatten() {
            graph.insert(slot.info.alias_entry());
        }
        for entry in self.alias_only.values() {
            graph.insert(entry.clone());
        }
        self.graph = Some(graph);
    }

    /// Applies record changes: re-prepares the changed records and re-merges only the
    /// vulnerabilities around them. Returns what changed, for the portfolio to re-match.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = RecordChange>) -> IndexDelta {
        self.ensure_graph();
        let mut delta = IndexDelta::default();
        let mut alias_changes = Vec::new();
        // Vulnerabilities the old versions of changed records were attached to: their
        // severity or records may change even when the merge reports nothing.
        let mut touched: BTreeSet<VulnerabilityId> = BTreeSet::new();
        let mut upserted: Vec<(RecordKey, Vec<VulnerabilityId>)> = Vec::new();
        for change in changes {
            let key = match &change {
                RecordChange::Upsert(record) => RecordKey::of(record),
                RecordChange::Remove(key) => key.clone(),
            };
            if let Some(old) = self.remove_slot(&key) {
                touched.extend(old.vulnerabilities.iter().cloned());
            }
            self.alias_only.remove(&key);
            match change {
                RecordChange::Upsert(record) => {
                    let slot = self.insert_slot(&record);
                    if let Some(info) = self.info(slot) {
                        alias_changes.push(Change::Upsert(info.alias_entry()));
                        let mut queries = vec![info.key.id.clone()];
                        if info.key.id.is_cve() {
                            queries.extend(info.aliases.iter().filter(|id| id.is_cve()).cloned());
                        }
                        upserted.push((key.clone(), queries));
                    }
                }
                RecordChange::Remove(_) => alias_changes.push(Change::Remove(key.clone())),
            }
            delta.records.push(key);
        }
        let Some(graph) = self.graph.as_mut() else {
            return delta;
        };
        let merged = graph.apply(alias_changes);
        let mut reattached: BTreeSet<RecordKey> = BTreeSet::new();
        for canonical in &merged.removed {
            if let Some(old) = self.vulnerabilities.get(canonical) {
                reattached.extend(old.records.iter().cloned());
            }
            self.unset_group(canonical);
            touched.remove(canonical);
            delta.removed.push(canonical.clone());
        }
        let mut regrouped: BTreeSet<VulnerabilityId> = BTreeSet::new();
        for group in &merged.changed {
            match self.vulnerabilities.get(&group.canonical) {
                Some(old) => {
                    let old_records: BTreeSet<&RecordKey> = old.records.iter().collect();
                    for key in &group.records {
                        if !old_records.contains(key) {
                            reattached.insert(key.clone());
                        }
                    }
                    for key in old_records {
                        if !group.records.contains(key) {
                            reattached.insert(key.clone());
                        }
                    }
                }
                None => reattached.extend(group.records.iter().cloned()),
            }
            self.unset_group(&group.canonical);
            self.set_group(group);
            regrouped.insert(group.canonical.clone());
        }
        // The vulnerabilities of the new versions of records, and of the old ones that the
        // merge did not report: recompute them (attachments, severity, KEV).
        let mut pending: Vec<alias::Vulnerability<RecordKey>> = Vec::new();
        if let Some(graph) = &self.graph {
            for (key, queries) in &upserted {
                for query in queries {
                    for group in graph.vulnerabilities_of(query) {
                        if group.records.contains(key) && !regrouped.contains(&group.canonical) {
                            regrouped.insert(group.canonical.clone());
                            pending.push(group);
                        }
                    }
                }
            }
            for canonical in &touched {
                if regrouped.contains(canonical) {
                    continue;
                }
                for group in graph.vulnerabilities_of(canonical) {
                    if group.canonical == *canonical {
                        regrouped.insert(group.canonical.clone());
                        pending.push(group);
                    }
                }
            }
        }
        for group in &pending {
            self.unset_group(&group.canonical);
            self.set_group(group);
        }
        for key in &delta.records {
            reattached.remove(key);
        }
        delta.reattached = reattached.into_iter().collect();
        delta.vulnerabilities = regrouped.into_iter().collect();
        delta.removed.sort();
        delta.removed.dedup();
        delta
    }

    /// What a record is indexed under: the components that can match it share one of these.
    pub fn record_lookup(&self, key: &RecordKey) -> Option<Lookup> {
        let slot = self.by_key.get(key)?;
        let placement = &self.slots.get(*slot as usize)?.as_ref()?.placement;
        let mut lookup = Lookup {
            packages: placement.packages.clone(),
            ..Lookup::default()
        };
        lookup
            .packages
            .extend(placement.cve5_packages.iter().cloned());
        lookup.packages.sort();
        lookup.packages.dedup();
        for cpe_key in placement.configurations.iter().chain(&placement.cve5_cpes) {
            match cpe_key {
                Some(pair) => lookup.cpes.push(pair.clone()),
                None => lookup.any_cpe = true,
            }
        }
        for csaf_key in &placement.csaf {
            match csaf_key {
                CsafKey::Purl(ty, namespace, name) => {
                    lookup
                        .purls
                        .push((ty.clone(), namespace.clone(), name.clone()))
                }
                CsafKey::Cpe(Some(pair)) => lookup.cpes.push(pair.clone()),
                CsafKey::Cpe(None) => lookup.any_cpe = true,
                CsafKey::Hash(algorithm, value) => {
                    lookup.hashes.push((algorithm.clone(), value.clone()))
                }
            }
        }
        dedup(&mut lookup.cpes);
        dedup(&mut lookup.purls);
        dedup(&mut lookup.hashes);
        Some(lookup)
    }

    /// The slot of a record key.
    pub(crate) fn slot_of(&self, key: &RecordKey) -> Option<u32> {
        self.by_key.get(key).copied()
    }

    /// The canonical vulnerabilities a reason counts for: the one its CSAF statement names,
    /// else every vulnerability its record is attached to.
    pub(crate) fn vulnerabilities_for(
        &self,
        record: &RecordInfo,
        about: Option<&VulnerabilityId>,
    ) -> Vec<VulnerabilityId> {
        if let Some(about) = about {
            let named = self.canonical(about);
            if !named.is_empty() {
                return named.to_vec();
            }
        }
        record.vulnerabilities.clone()
    }

    /// Assembles an index from stored parts (the compiled index file's loader).
    pub(crate) fn from_parts(parts: Parts) -> Index {
        let mut index = Index::default();
        index.slots.reserve_exact(parts.records.len());
        index.by_key.reserve(parts.records.len());
        index.vulnerabilities.reserve(parts.vulnerabilities.len());
        index.canonical_of.reserve(parts.vulnerabilities.len() * 2);
        for (position, info) in parts.records.into_iter().enumerate() {
            index.by_key.insert(info.key.clone(), position as u32);
            index.slots.push(Some(Slot {
                info,
                placement: Placement::default(),
            }));
        }
        let mut warnings = Vec::new();
        for (buffer, ends, classes, entries) in parts.packages {
            let Some(first) = entries.first() else {
                continue;
            };
            let key = first.stored.key.clone();
            let scheme = aftercare_version::Scheme::from_osv_ecosystem(&first.stored.ecosystem)
                .unwrap_or(aftercare_version::Scheme::Generic);
            let package = index.packages.entry(key).or_default();
            package.versions = crate::osv::VersionTable::Presorted {
                scheme,
                buffer,
                ends,
                classes,
            };
            for entry in entries {
                let prepared = PackageEntry::prepare_listed(
                    entry.stored,
                    entry.listed,
                    entry.listed_text,
                    &mut warnings,
                );
                package.entries.push((entry.record, Arc::new(prepared)));
            }
        }
        for (cpe_key, stored) in parts.configurations {
            index
                .configurations
                .entry(cpe_key)
                .or_default()
                .push(stored);
        }
        for (slot, statement) in parts.csaf {
            index
                .csaf
                .entry(statement.key())
                .or_default()
                .push((slot, statement));
        }
        for stored in parts.cve5 {
            if let Some(key) = &stored.product.key {
                index
                    .cve5_packages
                    .entry(key.clone())
                    .or_default()
                    .push(Arc::clone(&stored));
            }
            for cpe in &stored.product.cpes {
                index
                    .cve5_cpes
                    .entry(crate::nvd::cpe_key(cpe))
                    .or_default()
                    .push(Arc::clone(&stored));
            }
        }
        for vulnerability in parts.vulnerabilities {
            for id in std::iter::once(&vulnerability.id)
                .chain(&vulnerability.aliases)
                .chain(&vulnerability.shared)
            {
                let list = index.canonical_of.entry(id.clone()).or_default();
                if !list.contains(&vulnerability.id) {
                    list.push(vulnerability.id.clone());
                    list.sort();
                }
            }
            index
                .vulnerabilities
                .insert(vulnerability.id.clone(), vulnerability);
        }
        for (canonical, ids) in parts.canonical_of {
            let list = index.canonical_of.entry(canonical).or_default();
            for id in ids {
                if !list.contains(&id) {
                    list.push(id);
                }
            }
            list.sort();
        }
        index
    }

    /// The slots of every record, for the file writer: (slot, info).
    pub(crate) fn slots(&self) -> impl Iterator<Item = (u32, &RecordInfo)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(position, slot)| slot.as_ref().map(|slot| (position as u32, &slot.info)))
    }
}

/// What a record is indexed under ([`Index::record_lookup`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    /// Package keys (OSV packages, CVE 5 packages).
    pub packages: Vec<PackageKey>,
    /// CPE (vendor, product) pairs (NVD, CSAF and CVE 5 CPEs).
    pub cpes: Vec<(String, String)>,
    /// Whether a CPE with a wildcard vendor or product is indexed: every CPE may match.
    pub any_cpe: bool,
    /// CSAF purls: (type, namespace, name).
    pub purls: Vec<(String, Option<String>, String)>,
    /// CSAF file hashes: (algorithm, digest).
    pub hashes: Vec<(String, String)>,
}

/// An OSV entry as the index file stores it: listed versions as classes of its package's
/// presorted version table.
#[derive(Debug)]
pub(crate) struct StoredEntry {
    pub record: u32,
    pub stored: StoredPackage,
    pub listed: Vec<u32>,
    pub listed_text: Vec<String>,
}

/// A package as the index file stores it: the version table's text buffer, text ends and
/// classes, and the entries.
pub(crate) type PresortedPackage = (String, Vec<u32>, Vec<u32>, Vec<StoredEntry>);

/// The parts of an index the file loader assembles.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    /// Records, in slot order (slot = position).
    pub records: Vec<RecordInfo>,
    /// Per package: its presorted version table (buffer, ends, classes) and its entries.
    pub packages: Vec<PresortedPackage>,
    pub configurations: Vec<(CpeKey, Arc<StoredConfiguration>)>,
    pub csaf: Vec<(u32, Arc<CsafStatement>)>,
    pub cve5: Vec<Arc<StoredProduct>>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Extra id → canonical mappings (ids of vulnerabilities not loaded).
    pub canonical_of: Vec<(VulnerabilityId, Vec<VulnerabilityId>)>,
}

fn dedup<T: Ord>(list: &mut Vec<T>) {
    list.sort();
    list.dedup();
}

fn remove_where<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, Vec<V>>,
    key: &K,
    remove: impl Fn(&V) -> bool,
) {
    if let Some(list) = map.get_mut(key) {
        list.retain(|value| !remove(value));
        if list.is_empty() {
            map.remove(key);
        }
    }
}
