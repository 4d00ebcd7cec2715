//! Incremental matching across a workspace's portfolio.
//!
//! A portfolio of 1,000 releases of 1,000 components holds far fewer *distinct* components:
//! releases share most of their dependencies. The [`Portfolio`] keeps each distinct
//! [`Component`] once, as an [`Identity`] (a component with CPEs is distinct per platform,
//! since NVD "running on" configurations depend on it); the workspace layer maps its
//! component rows to identities. For each identity it keeps the reasons every record gives,
//! grouped by vulnerability: a (identity, vulnerability) [`Pair`] exists while at least one
//! reason does.
//!
//! * [`Portfolio::match_pending`] matches identities added since the last match (a new SBOM
//!   is matched at once);
//! * [`Portfolio::match_all`] re-matches everything (`aftercare match --all`);
//! * [`Portfolio::apply`] applies a batch of record changes to the [`Index`] and re-matches
//!   only what it touches: the changed records against the identities that share one of
//!   their lookup keys (package, CPE vendor/product, purl, hash), and the records whose
//!   vulnerability changed in the alias merge.
//!
//! Each returns a [`PortfolioDelta`]: pairs that appeared, disappeared (the workspace closes
//! those findings with the reason, never deletes them), or changed (other reasons, fixed
//! versions or severity), and vulnerabilities that were renamed by the alias merge (a GHSA
//! that gained a CVE), so that the workspace can carry a finding's awareness date over.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aftercare_model::{Cpe, PackageKey, VulnerabilityId};

use crate::component::Component;
use crate::finding::{Reason, Reasons};
use crate::index::{Index, IndexDelta, RecordChange, RecordKey};

/// A distinct component of the portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity(pub u32);

/// A component identity matched to a vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pair {
    /// The component.
    pub identity: Identity,
    /// The vulnerability's canonical id.
    pub vulnerability: VulnerabilityId,
}

/// What a match or a batch of record changes did to the pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortfolioDelta {
    /// Pairs that did not exist before.
    pub appeared: Vec<Pair>,
    /// Pairs that no longer exist.
    pub disappeared: Vec<Pair>,
    /// Pairs that still exist with other reasons, or whose vulnerability changed (severity,
    /// KEV, ids).
    pub changed: Vec<Pair>,
    /// Vulnerabilities renamed by the alias merge: (old canonical id, new canonical id) when
    /// the new one carries the old id among its ids.
    pub renamed: Vec<(VulnerabilityId, VulnerabilityId)>,
    /// The index's own delta, when record changes were applied.
    pub index: IndexDelta,
}

impl PortfolioDelta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.disappeared.is_empty() && self.changed.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Entry {
    component: Component,
    platform: Vec<Cpe>,
    /// The reasons, by vulnerability.
    findings: BTreeMap<VulnerabilityId, Vec<Reason>>,
}

/// The distinct components of a workspace and their matches. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Portfolio {
    entries: Vec<Entry>,
    known: HashMap<(Component, Vec<Cpe>), Identity>,
    by_package: HashMap<PackageKey, Vec<Identity>>,
    by_cpe: HashMap<(String, String), Vec<Identity>>,
    with_cpes: Vec<Identity>,
    by_purl: HashMap<(String, Option<String>, String), Vec<Identity>>,
    by_hash: HashMap<(String, String), Vec<Identity>>,
    /// Record → identities it gives reasons for.
    matched_by: HashMap<RecordKey, BTreeSet<Identity>>,
    /// Vulnerability → identities paired with it.
    by_vulnerability: HashMap<VulnerabilityId, BTreeSet<Identity>>,
    /// Identities added since the last match.
    pending: Vec<Identity>,
}

impl Portfolio {
    /// An empty portfolio.
    pub fn new() -> Portfolio {
        Portfolio::default()
    }

    /// Adds a component (with the CPEs of its release, for CPE matching) and returns its
    /// identity; an equal component already known returns the existing identity. New
    /// identities are matched by the next [`Portfolio::match_pending`].
    pub fn add(&mut self, component: Component, platform: &[Cpe]) -> Identity {
        // The platform only matters to components that carry CPEs.
        let mut platform: Vec<Cpe> = if component.cpes.is_empty() {
            Vec::new()
        } else {
            platform.to_vec()
        };
        platform.sort();
        platform.dedup();
        let key = (component, platform);
        if let Some(identity) = self.known.get(&key) {
            return *identity;
        }
        let identity = Identity(self.entries.len() as u32);
        let (component, platform) = key.clone();
        if let Some(package) = component.package_key() {
            self.by_package.entry(package).or_default().push(identity);
        }
        if !component.cpes.is_empty() {
            self.with_cpes.push(identity);
            for cpe in &component.cpes {
                if let Some(pair) = crate::nvd::cpe_key(cpe) {
                    let list = self.by_cpe.entry(pair).or_default();
                    if list.last() != Some(&identity) {
                        list.push(identity);
                    }
                }
            }
        }
        if let Some(purl) = &component.purl {
            self.by_purl
                .entry((
                    purl.ty().to_string(),
                    purl.namespace().map(str::to_string),
                    purl.name().to_string(),
                ))
                .or_default()
                .push(identity);
        }
        for hash in &component.hashes {
            self.by_hash
                .entry((hash.algorithm.clone(), hash.value.clone()))
                .or_default()
                .push(identity);
        }
        self.entries.push(Entry {
            component,
            platform,
            findings: BTreeMap::new(),
        });
        self.known.insert(key, identity);
        self.pending.push(identity);
        identity
    }

    /// The number of distinct components.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the portfolio is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The component of an identity.
    pub fn component(&self, identity: Identity) -> Option<&Component> {
        self.entries
            .get(identity.0 as usize)
            .map(|entry| &entry.component)
    }

    /// The identity of a component already added.
    pub fn identity(&self, component: &Component, platform: &[Cpe]) -> Option<Identity> {
        let mut platform: Vec<Cpe> = if component.cpes.is_empty() {
            Vec::new()
        } else {
            platform.to_vec()
        };
        platform.sort();
        platform.dedup();
        self.known.get(&(component.clone(), platform)).copied()
    }

    /// The vulnerabilities an identity is paired with, and their reasons.
    pub fn findings(
        &self,
        identity: Identity,
    ) -> impl Iterator<Item = (&VulnerabilityId, &[Reason])> {
        self.entries
            .get(identity.0 as usize)
            .into_iter()
            .flat_map(|entry| entry.findings.iter())
            .map(|(id, reasons)| (id, reasons.as_slice()))
    }

    /// The number of pairs.
    pub fn pair_count(&self) -> usize {
        self.entries.iter().map(|entry| entry.findings.len()).sum()
    }

    /// Matches the identities added since the last match.
    pub fn match_pending(&mut self, index: &Index) -> PortfolioDelta {
        let pending = std::mem::take(&mut self.pending);
        let mut tracker = Tracker::default();
        for identity in pending {
            tracker.before(self, identity);
            self.rematch(index, identity, None);
        }
        tracker.finish(self, index, IndexDelta::default())
    }

    /// Re-matches every identity against every record.
    pub fn match_all(&mut self, index: &Index) -> PortfolioDelta {
        self.pending.clear();
        let mut tracker = Tracker::default();
        for position in 0..self.entries.len() {
            let identity = Identity(position as u32);
            tracker.before(self, identity);
            self.rematch(index, identity, None);
        }
        tracker.finish(self, index, IndexDelta::default())
    }

    /// Applies record changes to the index and re-matches only what they touch.
    pub fn apply(
        &mut self,
        index: &mut Index,
        changes: impl IntoIterator<Item = RecordChange>,
    ) -> PortfolioDelta {
        let delta = index.apply(changes);
        let mut tracker = Tracker::default();
        // 1. Records that changed or went: drop their reasons everywhere they gave some.
        let mut changed_slots: HashSet<u32> = HashSet::new();
        let mut candidates: BTreeSet<Identity> = BTreeSet::new();
        for key in &delta.records {
            if let Some(identities) = self.matched_by.remove(key) {
                for identity in identities {
                    tracker.before(self, identity);
                    self.drop_record(identity, key);
                }
            }
            if let Some(slot) = index.slot_of(key) {
                changed_slots.insert(slot);
                self.candidates_of(index, key, &mut candidates);
            }
        }
        // 2. Their new versions, against the identities that can match them.
        if !changed_slots.is_empty() {
            for identity in candidates {
                tracker.before(self, identity);
                self.add_reasons(index, identity, Some(&changed_slots));
            }
        }
        // 3. Records whose vulnerabilities changed: same reasons, other pairs.
        for key in &delta.reattached {
            let Some(identities) = self.matched_by.get(key).cloned() else {
                continue;
            };
            for identity in identities {
                tracker.before(self, identity);
                let reasons: Vec<Reason> = self.take_record(identity, key);
                self.insert_reasons(index, identity, reasons);
            }
        }
        // 4. Pairs of vulnerabilities that changed (severity, ids) are changed pairs.
        for id in delta.vulnerabilities.iter().chain(&delta.removed) {
            if let Some(identities) = self.by_vulnerability.get(id) {
                for identity in identities.clone() {
                    tracker.before(self, identity);
                    tracker.touched_vulnerabilities.insert(id.clone());
                }
            }
        }
        tracker.finish(self, index, delta)
    }

    /// The identities that share a lookup key with a record.
    fn candidates_of(&self, index: &Index, key: &RecordKey, into: &mut BTreeSet<Identity>) {
        let Some(lookup) = index.record_lookup(key) else {
            return;
        };
        for package in &lookup.packages {
            if let Some(identities) = self.by_package.get(package) {
                into.extend(identities.iter().copied());
            }
        }
        if lookup.any_cpe {
            into.extend(self.with_cpes.iter().copied());
        } else {
            for pair in &lookup.cpes {
                if let Some(identities) = self.by_cpe.get(pair) {
                    into.extend(identities.iter().copied());
                }
            }
        }
        for purl in &lookup.purls {
            if let Some(identities) = self.by_purl.get(purl) {
                into.extend(identities.iter().copied());
            }
        }
        for hash in &lookup.hashes {
            if let Some(identities) = self.by_hash.get(hash) {
                into.extend(identities.iter().copied());
            }
        }
    }

    /// Replaces all reasons of an identity.
    fn rematch(&mut self, index: &Index, identity: Identity, only: Option<&HashSet<u32>>) {
        let old: Vec<(VulnerabilityId, Vec<Reason>)> =
            match self.entries.get_mut(identity.0 as usize) {
                Some(entry) => std::mem::take(&mut entry.findings).into_iter().collect(),
                None => return,
            };
        for (id, reasons) in old {
            self.unlink_vulnerability(identity, &id);
            for reason in reasons {
                if let Some(set) = self.matched_by.get_mut(&reason.record) {
                    set.remove(&identity);
                    if set.is_empty() {
                        self.matched_by.remove(&reason.record);
                    }
                }
            }
        }
        self.add_reasons(index, identity, only);
    }

    /// Matches an identity against (some) records and adds the reasons found.
    fn add_reasons(&mut self, index: &Index, identity: Identity, only: Option<&HashSet<u32>>) {
        let Some(entry) = self.entries.get(identity.0 as usize) else {
            return;
        };
        let mut found = Reasons::default();
        index.collect(&entry.component, &entry.platform, only, &mut found);
        self.insert_reasons(index, identity, found.reasons);
    }

    fn insert_reasons(&mut self, index: &Index, identity: Identity, reasons: Vec<Reason>) {
        for reason in reasons {
            let Some(info) = index.record(&reason.record) else {
                continue;
            };
            let vulnerabilities = index.vulnerabilities_for(info, reason.about.as_ref());
            self.matched_by
                .entry(reason.record.clone())
                .or_default()
                .insert(identity);
            for id in vulnerabilities {
                self.by_vulnerability
                    .entry(id.clone())
                    .or_default()
                    .insert(identity);
                if let Some(entry) = self.entries.get_mut(identity.0 as usize) {
                    let list = entry.findings.entry(id).or_default();
                    if !list.contains(&reason) {
                        list.push(reason.clone());
                    }
                }
            }
        }
    }

    /// Removes a record's reasons from an identity.
    fn drop_record(&mut self, identity: Identity, record: &RecordKey) {
        let _ = self.take_record(identity, record);
    }

    /// Removes and returns a record's reasons from an identity (one copy of each).
    fn take_record(&mut self, identity: Identity, record: &RecordKey) -> Vec<Reason> {
        let mut taken: Vec<Reason> = Vec::new();
        let mut emptied = Vec::new();
        if let Some(entry) = self.entries.get_mut(identity.0 as usize) {
            for (id, reasons) in entry.findings.iter_mut() {
                reasons.retain(|reason| {
                    if reason.record == *record {
                        if !taken.contains(reason) {
                            taken.push(reason.clone());
                        }
                        false
                    } else {
                        true
                    }
                });
                if reasons.is_empty() {
                    emptied.push(id.clone());
                }
            }
            for id in &emptied {
                entry.findings.remove(id);
            }
        }
        for id in emptied {
            self.unlink_vulnerability(identity, &id);
        }
        taken
    }

    fn unlink_vulnerability(&mut self, identity: Identity, id: &VulnerabilityId) {
        if let Some(set) = self.by_vulnerability.get_mut(id) {
            set.remove(&identity);
            if set.is_empty() {
                self.by_vulnerability.remove(id);
            }
        }
    }
}

/// Remembers the pairs of identities before a change, to report the difference after.
#[derive(Default)]
struct Tracker {
    before: HashMap<Identity, BTreeMap<VulnerabilityId, Vec<Reason>>>,
    touched_vulnerabilities: HashSet<VulnerabilityId>,
}

impl Tracker {
    fn before(&mut self, portfolio: &Portfolio, identity: Identity) {
        if self.before.contains_key(&identity) {
            return;
        }
        let findings = portfolio
            .entries
            .get(identity.0 as usize)
            .map(|entry| entry.findings.clone())
            .unwrap_or_default();
        self.before.insert(identity, findings);
    }

    fn finish(
        self,
        portfolio: &Portfolio,
        index: &Index,
        index_delta: IndexDelta,
    ) -> PortfolioDelta {
        let mut delta = PortfolioDelta {
            index: index_delta,
            ..PortfolioDelta::default()
        };
        let empty = BTreeMap::new();
        let mut identities: Vec<&Identity> = self.before.keys().collect();
        identities.sort();
        for identity in identities {
            let before = self.before.get(identity).unwrap_or(&empty);
            let after = portfolio
                .entries
                .get(identity.0 as usize)
                .map(|entry| &entry.findings)
                .unwrap_or(&empty);
            let pair = |id: &VulnerabilityId| Pair {
                identity: *identity,
                vulnerability: id.clone(),
            };
            for (id, reasons) in after {
                match before.get(id) {
                    None => delta.appeared.push(pair(id)),
                    Some(old) if old != reasons || self.touched_vulnerabilities.contains(id) => {
                        delta.changed.push(pair(id))
                    }
                    Some(_) => {}
                }
            }
            for id in before.keys() {
                if !after.contains_key(id) {
                    delta.disappeared.push(pair(id));
                }
            }
        }
        // A disappeared vulnerability whose id now belongs to an appeared one was renamed.
        let mut renamed: BTreeSet<(VulnerabilityId, VulnerabilityId)> = BTreeSet::new();
        for gone in &delta.disappeared {
            if index.vulnerability(&gone.vulnerability).is_some() {
                continue;
            }
            for new in index.canonical(&gone.vulnerability) {
                if *new != gone.vulnerability {
                    renamed.insert((gone.vulnerability.clone(), new.clone()));
                }
            }
        }
        delta.renamed = renamed.into_iter().collect();
        delta
    }
}
