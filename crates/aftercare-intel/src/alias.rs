//! The alias merge: which records describe the same vulnerability.
//!
//! Records name each other through aliases (CVE ≡ GHSA ≡ PYSEC …). The merge follows one
//! firm rule: **two CVE ids never merge.** Precisely:
//!
//! * Every record contributes edges between its own id and each of its aliases. `related`
//!   ids contribute nothing.
//! * Cut the graph at CVE nodes: the non-CVE ids fall into connected components whose paths
//!   never pass through a CVE. Each component *touches* the CVEs adjacent to any member.
//! * A component touching exactly one CVE belongs to that CVE's vulnerability: a vulnerability
//!   is one CVE plus the non-CVE ids that alias only it (directly, or through a chain such as
//!   GHSA → PYSEC → CVE).
//! * A component touching no CVE is a vulnerability of its own; its canonical id is the
//!   preferred id ([`VulnerabilityId::preference`], then lexical order).
//! * A component touching several CVEs merges with none of them: its ids are listed as
//!   [`Vulnerability::shared_ids`] of each, and its records attach to each.
//! * A record whose own id is a CVE attaches to that CVE and to the CVEs it names as
//!   aliases, never to other CVEs reached through its non-CVE aliases.
//!
//! Withdrawn records take part like the others (they are kept, and marked). The merge is
//! a pure function of the records' (id, aliases, related, withdrawn): [`merge`] recomputes
//! everything; an [`AliasGraph`] keeps the graph in memory and [`AliasGraph::apply`] returns
//! only the vulnerabilities a batch of changed records touches. A store that runs on several
//! stateless nodes builds the graph from its records' [`AliasEntry`]s when it starts
//! (`collect()`; tens of milliseconds for 20,000 records), then applies each batch it imports
//! and writes the returned [`Delta`] in the import's transaction.
//!
//! ```
//! use aftercare_intel::alias::{AliasEntry, merge};
//!
//! let entry = |key: &str, id: &str, aliases: &[&str]| AliasEntry {
//!     key: key.to_string(),
//!     id: id.parse().unwrap(),
//!     aliases: aliases.iter().map(|alias| alias.parse().unwrap()).collect(),
//!     related: Vec::new(),
//!     withdrawn: false,
//! };
//! let vulnerabilities = merge([
//!     entry("ghsa", "GHSA-aaaa-bbbb-cccc", &["CVE-2021-0001", "CVE-2021-0002"]),
//!     entry("pysec", "PYSEC-2021-1", &["CVE-2021-0001"]),
//! ]);
//! // Two CVEs never merge: the GHSA is shared by both, the PYSEC joins the first.
//! assert_eq!(vulnerabilities.len(), 2);
//! assert!(vulnerabilities[0].ids.iter().any(|id| id.as_str() == "PYSEC-2021-1"));
//! assert!(vulnerabilities.iter().all(|v| v.records.contains("ghsa")));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::Hash;

use aftercare_model::VulnerabilityId;

use crate::record::Record;

/// What the merge needs of one record. `K` is the caller's key for the record (a row id, a
/// (source, id) pair, an index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry<K> {
    /// The record's key.
    pub key: K,
    /// The record's own id.
    pub id: VulnerabilityId,
    /// Its aliases.
    pub aliases: Vec<VulnerabilityId>,
    /// Its related ids (carried into [`Vulnerability::related`], never merged).
    pub related: Vec<VulnerabilityId>,
    /// Whether the source withdrew it.
    pub withdrawn: bool,
}

impl<K> AliasEntry<K> {
    /// The entry of a record.
    pub fn from_record(key: K, record: &Record) -> AliasEntry<K> {
        AliasEntry {
            key,
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            related: record.related.clone(),
            withdrawn: record.is_withdrawn(),
        }
    }
}

/// One vulnerability: a canonical id, the ids merged into it, and the records attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability<K> {
    /// The CVE, or without one the preferred id of the group.
    pub canonical: VulnerabilityId,
    /// Every id merged into the vulnerability, the canonical one included.
    pub ids: BTreeSet<VulnerabilityId>,
    /// Non-CVE ids that alias this CVE *and* others: not merged, but attached.
    pub shared_ids: BTreeSet<VulnerabilityId>,
    /// Ids the attached records call related, minus [`Vulnerability::ids`].
    pub related: BTreeSet<VulnerabilityId>,
    /// The records attached.
    pub records: BTreeSet<K>,
    /// Whether every attached record is withdrawn.
    pub withdrawn: bool,
}

/// A change to the set of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<K> {
    /// A new record, or a new version of one (same key).
    Upsert(AliasEntry<K>),
    /// A record removed.
    Remove(K),
}

/// What a batch of changes did to the vulnerabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta<K> {
    /// Canonical ids of vulnerabilities that no longer exist (merged into another, renamed
    /// because a preferred id joined, or left without records).
    pub removed: Vec<VulnerabilityId>,
    /// Vulnerabilities that are new or whose ids or records changed, by canonical id.
    pub changed: Vec<Vulnerability<K>>,
}

/// Merges records into vulnerabilities from scratch; sorted by canonical id.
///
/// Keys are expected to be unique; of several entries with one key, the last one counts.
pub fn merge<K: Clone + Eq + Hash + Ord>(
    entries: impl IntoIterator<Item = AliasEntry<K>>,
) -> Vec<Vulnerability<K>> {
    let entries: Vec<AliasEntry<K>> = entries.into_iter().collect();
    let mut last: HashMap<&K, usize> = HashMap::with_capacity(entries.len());
    for (position, entry) in entries.iter().enumerate() {
        last.insert(&entry.key, position);
    }
    let unique: Vec<&AliasEntry<K>> = entries
        .iter()
        .enumerate()
        .filter(|(position, entry)| last.get(&entry.key) == Some(position))
        .map(|(_, entry)| entry)
        .collect();
    compute(&unique)
}

/// Merges from scratch: ids are numbered, non-CVE ids joined with a union-find over the
/// alias edges that do not touch a CVE, and each component's CVEs collected.
fn compute<K: Clone + Ord>(entries: &[&AliasEntry<K>]) -> Vec<Vulnerability<K>> {
    let mut number: HashMap<&VulnerabilityId, u32> = HashMap::with_capacity(entries.len() * 2);
    let mut ids: Vec<&VulnerabilityId> = Vec::with_capacity(entries.len() * 2);
    for entry in entries {
        for id in entry_ids(entry) {
            number.entry(id).or_insert_with(|| {
                ids.push(id);
                (ids.len() - 1) as u32
            });
        }
    }
    let of = |id: &VulnerabilityId| number.get(id).copied().unwrap_or(0) as usize;
    let mut parent: Vec<u32> = (0..ids.len() as u32).collect();
    fn root(parent: &mut [u32], mut node: usize) -> usize {
        while parent[node] as usize != node {
            let grandparent = parent[parent[node] as usize];
            parent[node] = grandparent;
            node = grandparent as usize;
        }
        node
    }
    for entry in entries.iter().filter(|entry| !entry.id.is_cve()) {
        let own = of(&entry.id);
        for alias in entry.aliases.iter().filter(|alias| !alias.is_cve()) {
            let (a, b) = (root(&mut parent, own), root(&mut parent, of(alias)));
            if a != b {
                parent[a.max(b)] = a.min(b) as u32;
            }
        }
    }
    // The CVEs each component touches.
    let mut touched: Vec<Vec<u32>> = vec![Vec::new(); ids.len()];
    for entry in entries {
        if entry.id.is_cve() {
            let cve = of(&entry.id) as u32;
            for alias in entry.aliases.iter().filter(|alias| !alias.is_cve()) {
                let component = root(&mut parent, of(alias));
                touched[component].push(cve);
            }
        } else {
            let component = root(&mut parent, of(&entry.id));
            for alias in entry.aliases.iter().filter(|alias| alias.is_cve()) {
                touched[component].push(of(alias) as u32);
            }
        }
    }
    for list in &mut touched {
        list.sort_unstable();
        list.dedup();
    }
    // Members and canonical id of each component.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); ids.len()];
    for (node, id) in ids.iter().enumerate() {
        if !id.is_cve() {
            let component = root(&mut parent, node);
            members[component].push(node as u32);
        }
    }
    let preferred = |a: &&VulnerabilityId, b: &&VulnerabilityId| {
        (a.preference(), a.as_str()).cmp(&(b.preference(), b.as_str()))
    };
    let mut groups: BTreeMap<&VulnerabilityId, Vulnerability<K>> = BTreeMap::new();
    for id in ids.iter().filter(|id| id.is_cve()) {
        groups.insert(id, empty_group((*id).clone()));
    }
    let mut canonical: Vec<Option<u32>> = vec![None; ids.len()];
    for (component, list) in members.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let owned = || list.iter().map(|node| ids[*node as usize].clone());
        match touched[component].as_slice() {
            [] => {
                let best = list
                    .iter()
                    .map(|node| ids[*node as usize])
                    .min_by(preferred)
                    .unwrap_or(ids[list[0] as usize]);
                canonical[component] = Some(of(best) as u32);
                let mut group = empty_group(best.clone());
                group.ids.extend(owned());
                groups.insert(best, group);
            }
            [cve] => {
                if let Some(group) = groups.get_mut(ids[*cve as usize]) {
                    group.ids.extend(owned());
                }
            }
            cves => {
                for cve in cves {
                    if let Some(group) = groups.get_mut(ids[*cve as usize]) {
                        group.shared_ids.extend(owned());
                    }
                }
            }
        }
    }
    let mut attached: BTreeMap<&VulnerabilityId, Vec<&AliasEntry<K>>> = BTreeMap::new();
    for entry in entries {
        if entry.id.is_cve() {
            attached.entry(&entry.id).or_default().push(entry);
            for alias in entry.aliases.iter().filter(|alias| alias.is_cve()) {
                attached.entry(alias).or_default().push(entry);
            }
        } else {
            let component = root(&mut parent, of(&entry.id));
            match canonical[component] {
                Some(best) => attached.entry(ids[best as usize]).or_default().push(entry),
                None => {
                    for cve in &touched[component] {
                        attached.entry(ids[*cve as usize]).or_default().push(entry);
                    }
                }
            }
        }
    }
    for (canonical, entries) in attached {
        if let Some(group) = groups.get_mut(canonical) {
            attach(group, entries);
        }
    }
    groups.into_values().collect()
}

/// The records' alias graph, kept in memory so that a batch of changes is merged without
/// recomputing everything.
#[derive(Debug, Clone)]
pub struct AliasGraph<K> {
    entries: HashMap<K, AliasEntry<K>>,
    /// For every id: the records that name it, as their own id or as an alias.
    mentions: HashMap<VulnerabilityId, Vec<K>>,
}

/// Builds a graph from entries, as a store does at start-up from its records' alias entries
/// (for 20,000 records this takes a few tens of milliseconds).
impl<K: Clone + Eq + Hash + Ord> FromIterator<AliasEntry<K>> for AliasGraph<K> {
    fn from_iter<I: IntoIterator<Item = AliasEntry<K>>>(entries: I) -> AliasGraph<K> {
        let mut graph = AliasGraph::new();
        for entry in entries {
            graph.insert(entry);
        }
        graph
    }
}

impl<K: Clone + Eq + Hash + Ord> Default for AliasGraph<K> {
    fn default() -> AliasGraph<K> {
        AliasGraph::new()
    }
}

/// A non-CVE component: its members and the CVEs it touches.
struct Component<'a> {
    members: BTreeSet<&'a VulnerabilityId>,
    cves: BTreeSet<&'a VulnerabilityId>,
}

impl Component<'_> {
    fn canonical(&self) -> Option<&VulnerabilityId> {
        self.members
            .iter()
            .min_by(|a, b| (a.preference(), a.as_str()).cmp(&(b.preference(), b.as_str())))
            .copied()
    }
}

impl<K: Clone + Eq + Hash + Ord> AliasGraph<K> {
    /// An empty graph.
    pub fn new() -> AliasGraph<K> {
        AliasGraph {
            entries: HashMap::new(),
            mentions: HashMap::new(),
        }
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces a record; returns the entry it replaced.
    pub fn insert(&mut self, entry: AliasEntry<K>) -> Option<AliasEntry<K>> {
        let old = self.remove(&entry.key);
        for id in entry_ids(&entry) {
            self.mentions
                .entry(id.clone())
                .or_default()
                .push(entry.key.clone());
        }
        self.entries.insert(entry.key.clone(), entry);
        old
    }

    /// Removes a record; returns its entry.
    pub fn remove(&mut self, key: &K) -> Option<AliasEntry<K>> {
        let entry = self.entries.remove(key)?;
        for id in entry_ids(&entry) {
            if let Some(keys) = self.mentions.get_mut(id) {
                keys.retain(|candidate| candidate != key);
                if keys.is_empty() {
                    self.mentions.remove(id);
                }
            }
        }
        Some(entry)
    }

    /// Ids adjacent to an id: the aliases of records it is the id of, and the ids of records
    /// it is an alias of.
    fn neighbors<'a>(
        &'a self,
        id: &VulnerabilityId,
    ) -> impl Iterator<Item = &'a VulnerabilityId> + 'a {
        let keys = self.mentions.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let id = id.clone();
        keys.iter()
            .filter_map(|key| self.entries.get(key))
            .flat_map(move |entry| {
                if entry.id == id {
                    Box::new(entry.aliases.iter()) as Box<dyn Iterator<Item = &VulnerabilityId>>
                } else {
                    Box::new(std::iter::once(&entry.id))
                }
            })
    }

    /// The non-CVE component of a non-CVE id.
    fn component<'a>(&'a self, start: &'a VulnerabilityId) -> Component<'a> {
        let mut members = BTreeSet::new();
        let mut cves = BTreeSet::new();
        let mut queue = VecDeque::new();
        members.insert(start);
        queue.push_back(start);
        while let Some(id) = queue.pop_front() {
            for neighbor in self.neighbors(id) {
                if neighbor.is_cve() {
                    cves.insert(neighbor);
                } else if members.insert(neighbor) {
                    queue.push_back(neighbor);
                }
            }
        }
        Component { members, cves }
    }

    /// Every vulnerability, sorted by canonical id.
    pub fn vulnerabilities(&self) -> Vec<Vulnerability<K>> {
        let entries: Vec<&AliasEntry<K>> = self.entries.values().collect();
        compute(&entries)
    }

    /// The vulnerability with this canonical id, computed from the graph alone.
    fn group(&self, canonical: &VulnerabilityId) -> Option<Vulnerability<K>> {
        if !self.mentions.contains_key(canonical) {
            return None;
        }
        let mut group = empty_group(canonical.clone());
        let mut entries: Vec<&AliasEntry<K>> = Vec::new();
        if canonical.is_cve() {
            let mut seen: HashSet<&VulnerabilityId> = HashSet::new();
            for neighbor in self.neighbors(canonical) {
                if neighbor.is_cve() || seen.contains(neighbor) {
                    continue;
                }
                let component = self.component(neighbor);
                seen.extend(component.members.iter().copied());
                let target = if component.cves.len() == 1 {
                    &mut group.ids
                } else {
                    &mut group.shared_ids
                };
                target.extend(component.members.iter().map(|id| (*id).clone()));
                for member in &component.members {
                    entries.extend(self.records_with_id(member));
                }
            }
            for entry in self.mentioning(canonical) {
                if entry.id.is_cve() {
                    entries.push(entry);
                }
            }
        } else {
            let component = self.component(canonical);
            if !component.cves.is_empty() || component.canonical() != Some(canonical) {
                return None;
            }
            group
                .ids
                .extend(component.members.iter().map(|id| (*id).clone()));
            for member in &component.members {
                entries.extend(self.records_with_id(member));
            }
        }
        attach(&mut group, entries);
        Some(group)
    }

    /// Records that name an id, as their own id or as an alias.
    fn mentioning<'a>(
        &'a self,
        id: &VulnerabilityId,
    ) -> impl Iterator<Item = &'a AliasEntry<K>> + 'a {
        self.mentions
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(|key| self.entries.get(key))
    }

    /// Records whose own id is this one.
    fn records_with_id<'a>(
        &'a self,
        id: &'a VulnerabilityId,
    ) -> impl Iterator<Item = &'a AliasEntry<K>> + 'a {
        self.mentioning(id).filter(move |entry| entry.id == *id)
    }

    /// The canonical ids of the vulnerabilities an id takes part in: its own group, or the
    /// CVEs it is shared between.
    fn canonicals_of(&self, id: &VulnerabilityId, into: &mut BTreeSet<VulnerabilityId>) {
        if !self.mentions.contains_key(id) {
            return;
        }
        if id.is_cve() {
            into.insert(id.clone());
            return;
        }
        let component = self.component(id);
        if component.cves.is_empty() {
            into.extend(component.canonical().cloned());
        } else {
            into.extend(component.cves.iter().map(|cve| (*cve).clone()));
        }
    }

    /// The vulnerabilities an id takes part in (one, or several for a shared id).
    pub fn vulnerabilities_of(&self, id: &VulnerabilityId) -> Vec<Vulnerability<K>> {
        let mut canonicals = BTreeSet::new();
        self.canonicals_of(id, &mut canonicals);
        canonicals
            .iter()
            .filter_map(|canonical| self.group(canonical))
            .collect()
    }

    /// Applies a batch of changes and returns what it did to the vulnerabilities. Only the
    /// region the changed records touch (old and new aliases) is recomputed.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change<K>>) -> Delta<K> {
        let changes: Vec<Change<K>> = changes.into_iter().collect();
        let mut seeds: BTreeSet<VulnerabilityId> = BTreeSet::new();
        for change in &changes {
            let key = match change {
                Change::Upsert(entry) => {
                    seeds.extend(entry_ids(entry).cloned());
                    &entry.key
                }
                Change::Remove(key) => key,
            };
            if let Some(old) = self.entries.get(key) {
                seeds.extend(entry_ids(old).cloned());
            }
        }
        let before = self.region(&seeds);
        for change in changes {
            match change {
                Change::Upsert(entry) => {
                    self.insert(entry);
                }
                Change::Remove(key) => {
                    self.remove(&key);
                }
            }
        }
        let after = self.region(&seeds);
        let removed = before
            .keys()
            .filter(|canonical| !after.contains_key(*canonical))
            .cloned()
            .collect();
        let changed = after
            .into_iter()
            .filter(|(canonical, group)| before.get(canonical) != Some(group))
            .map(|(_, group)| group)
            .collect();
        Delta { removed, changed }
    }

    /// The current vulnerabilities around some ids, by canonical id.
    fn region(
        &self,
        seeds: &BTreeSet<VulnerabilityId>,
    ) -> BTreeMap<VulnerabilityId, Vulnerability<K>> {
        let mut canonicals = BTreeSet::new();
        for seed in seeds {
            self.canonicals_of(seed, &mut canonicals);
        }
        canonicals
            .into_iter()
            .filter_map(|canonical| Some((canonical.clone(), self.group(&canonical)?)))
            .collect()
    }
}

fn entry_ids<K>(entry: &AliasEntry<K>) -> impl Iterator<Item = &VulnerabilityId> {
    std::iter::once(&entry.id).chain(
        entry
            .aliases
            .iter()
            .filter(move |alias| **alias != entry.id),
    )
}

fn empty_group<K>(canonical: VulnerabilityId) -> Vulnerability<K> {
    let mut ids = BTreeSet::new();
    ids.insert(canonical.clone());
    Vulnerability {
        canonical,
        ids,
        shared_ids: BTreeSet::new(),
        related: BTreeSet::new(),
        records: BTreeSet::new(),
        withdrawn: false,
    }
}

fn attach<K: Clone + Ord>(group: &mut Vulnerability<K>, entries: Vec<&AliasEntry<K>>) {
    let mut all_withdrawn = !entries.is_empty();
    for entry in entries {
        if group.records.insert(entry.key.clone()) {
            all_withdrawn &= entry.withdrawn;
            group.related.extend(entry.related.iter().cloned());
        }
    }
    let ids = &group.ids;
    group.related.retain(|related| !ids.contains(related));
    group.withdrawn = all_withdrawn && !group.records.is_empty();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> VulnerabilityId {
        text.parse().unwrap()
    }

    /// `"KEY: ID > ALIAS ALIAS ~ RELATED"`; a `!` after the id marks it withdrawn.
    fn entry(spec: &str) -> AliasEntry<String> {
        let (key, rest) = spec.split_once(':').unwrap();
        let (rest, related) = rest.split_once('~').unwrap_or((rest, ""));
        let (own, aliases) = rest.split_once('>').unwrap_or((rest, ""));
        let own = own.trim();
        AliasEntry {
            key: key.trim().to_string(),
            id: id(own.trim_end_matches('!')),
            aliases: aliases.split_whitespace().map(id).collect(),
            related: related.split_whitespace().map(id).collect(),
            withdrawn: own.ends_with('!'),
        }
    }

    /// Renders groups as `CANONICAL = ids | shared | records`, one per line.
    fn render(groups: &[Vulnerability<String>]) -> String {
        let join = |set: Vec<String>| set.join(" ");
        groups
            .iter()
            .map(|group| {
                let mut line = format!(
                    "{} = {} | {} | {}",
                    group.canonical,
                    join(group.ids.iter().map(ToString::to_string).collect()),
                    join(group.shared_ids.iter().map(ToString::to_string).collect()),
                    join(group.records.iter().cloned().collect()),
                );
                if !group.related.is_empty() {
                    line.push_str(&format!(
                        " ~ {}",
                        join(group.related.iter().map(ToString::to_string).collect())
                    ));
                }
                if group.withdrawn {
                    line.push_str(" (withdrawn)");
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn check(specs: &[&str], expected: &str) {
        let entries: Vec<AliasEntry<String>> = specs.iter().map(|spec| entry(spec)).collect();
        let groups = merge(entries.clone());
        assert_eq!(render(&groups), expected.trim(), "full merge of {specs:?}");
        // The incremental path must agree: insert the records one by one, then compare.
        let mut graph = AliasGraph::new();
        let mut current: BTreeMap<VulnerabilityId, Vulnerability<String>> = BTreeMap::new();
        for entry in entries {
            let delta = graph.apply([Change::Upsert(entry)]);
            for removed in delta.removed {
                current.remove(&removed);
            }
            for group in delta.changed {
                current.insert(group.canonical.clone(), group);
            }
        }
        let incremental: Vec<_> = current.into_values().collect();
        assert_eq!(
            render(&incremental),
            expected.trim(),
            "incremental merge of {specs:?}"
        );
    }

    #[test]
    fn single_records() {
        check(
            &["nvd: CVE-2021-0001"],
            "CVE-2021-0001 = CVE-2021-0001 |  | nvd",
        );
        check(
            &["ghsa: GHSA-aaaa-bbbb-cccc > CVE-2021-0001"],
            "CVE-2021-0001 = CVE-2021-0001 GHSA-aaaa-bbbb-cccc |  | ghsa",
        );
        check(
            &["pysec: PYSEC-2021-1 > GHSA-aaaa-bbbb-cccc"],
            "GHSA-aaaa-bbbb-cccc = GHSA-aaaa-bbbb-cccc PYSEC-2021-1 |  | pysec",
        );
    }

    #[test]
    fn chain_ghsa_pysec_cve() {
        check(
            &[
                "ghsa: GHSA-aaaa-bbbb-cccc > PYSEC-2021-1",
                "pysec: PYSEC-2021-1 > CVE-2021-0001",
                "nvd: CVE-2021-0001",
            ],
            "CVE-2021-0001 = CVE-2021-0001 GHSA-aaaa-bbbb-cccc PYSEC-2021-1 |  | ghsa nvd pysec",
        );
    }

    #[test]
    fn two_cves_through_one_ghsa_stay_two() {
        check(
            &[
                "ghsa: GHSA-aaaa-bbbb-cccc > CVE-2021-0001 CVE-2021-0002",
                "nvd1: CVE-2021-0001",
                "nvd2: CVE-2021-0002",
            ],
            "CVE-2021-0001 = CVE-2021-0001 | GHSA-aaaa-bbbb-cccc | ghsa nvd1\n\
             CVE-2021-0002 = CVE-2021-0002 | GHSA-aaaa-bbbb-cccc | ghsa nvd2",
        );
    }

    #[test]
    fn eight_cve_aliases() {
        let cves: Vec<String> = (1..=8).map(|n| format!("CVE-2020-{n:04}")).collect();
        let spec = format!("rustsec: RUSTSEC-2020-0014 > {}", cves.join(" "));
        let expected: Vec<String> = cves
            .iter()
            .map(|cve| format!("{cve} = {cve} | RUSTSEC-2020-0014 | rustsec"))
            .collect();
        check(&[&spec], &expected.join("\n"));
    }

    #[test]
    fn chain_through_shared_id_is_shared_everywhere() {
        // GHSA names one CVE, but PYSEC ties it to a second: the component touches both.
        check(
            &[
                "ghsa: GHSA-aaaa-bbbb-cccc > CVE-2021-0001",
                "pysec: PYSEC-2021-1 > GHSA-aaaa-bbbb-cccc CVE-2021-0002",
            ],
            "CVE-2021-0001 = CVE-2021-0001 | GHSA-aaaa-bbbb-cccc PYSEC-2021-1 | ghsa pysec\n\
             CVE-2021-0002 = CVE-2021-0002 | GHSA-aaaa-bbbb-cccc PYSEC-2021-1 | ghsa pysec",
        );
    }

    #[test]
    fn cve_record_attaches_to_the_cves_it_names_only() {
        check(
            &[
                "osv: CVE-2021-0001 > GHSA-aaaa-bbbb-cccc",
                "ghsa: GHSA-aaaa-bbbb-cccc > CVE-2021-0001 CVE-2021-0002",
            ],
            "CVE-2021-0001 = CVE-2021-0001 | GHSA-aaaa-bbbb-cccc | ghsa osv\n\
             CVE-2021-0002 = CVE-2021-0002 | GHSA-aaaa-bbbb-cccc | ghsa",
        );
        check(
            &["dup: CVE-2021-0001 > CVE-2021-0002"],
            "CVE-2021-0001 = CVE-2021-0001 |  | dup\nCVE-2021-0002 = CVE-2021-0002 |  | dup",
        );
    }

    #[test]
    fn related_never_merges() {
        check(
            &[
                "a: GHSA-aaaa-bbbb-cccc > CVE-2021-0001 ~ CVE-2021-0002 GHSA-dddd-eeee-ffff",
                "b: GHSA-dddd-eeee-ffff",
            ],
            "CVE-2021-0001 = CVE-2021-0001 GHSA-aaaa-bbbb-cccc |  | a ~ CVE-2021-0002 GHSA-dddd-eeee-ffff\n\
             GHSA-dddd-eeee-ffff = GHSA-dddd-eeee-ffff |  | b",
        );
    }

    #[test]
    fn groups_without_cve_take_the_preferred_id() {
        check(
            &[
                "go: GO-2022-0001 > PYSEC-2022-9",
                "pysec: PYSEC-2022-9 > GHSA-aaaa-bbbb-cccc",
                "vendor: ICSMA-24-060-01",
            ],
            "GHSA-aaaa-bbbb-cccc = GHSA-aaaa-bbbb-cccc PYSEC-2022-9 GO-2022-0001 |  | go pysec\n\
             ICSMA-24-060-01 = ICSMA-24-060-01 |  | vendor",
        );
    }

    #[test]
    fn withdrawn_records_are_kept_and_marked() {
        check(
            &["ghsa: GHSA-aaaa-bbbb-cccc! > CVE-2021-0001"],
            "CVE-2021-0001 = CVE-2021-0001 GHSA-aaaa-bbbb-cccc |  | ghsa (withdrawn)",
        );
        check(
            &[
                "ghsa: GHSA-aaaa-bbbb-cccc! > CVE-2021-0001",
                "nvd: CVE-2021-0001",
            ],
            "CVE-2021-0001 = CVE-2021-0001 GHSA-aaaa-bbbb-cccc |  | ghsa nvd",
        );
    }

    #[test]
    fn delta_reports_renames_splits_and_removals() {
        let mut graph = AliasGraph::new();
        graph.apply([Change::Upsert(entry("pysec: PYSEC-2022-9"))]);
        // A GHSA joins: the group is renamed to the preferred id.
        let delta = graph.apply([Change::Upsert(entry(
            "ghsa: GHSA-aaaa-bbbb-cccc > PYSEC-2022-9",
        ))]);
        assert_eq!(delta.removed, vec![id("PYSEC-2022-9")]);
        assert_eq!(
            render(&delta.changed),
            "GHSA-aaaa-bbbb-cccc = GHSA-aaaa-bbbb-cccc PYSEC-2022-9 |  | ghsa pysec"
        );
        // The GHSA drops its alias: the group splits again.
        let delta = graph.apply([Change::Upsert(entry("ghsa: GHSA-aaaa-bbbb-cccc"))]);
        assert!(delta.removed.is_empty());
        assert_eq!(
            render(&delta.changed),
            "GHSA-aaaa-bbbb-cccc = GHSA-aaaa-bbbb-cccc |  | ghsa\nPYSEC-2022-9 = PYSEC-2022-9 |  | pysec"
        );
        // Removing the last record of a group removes the group.
        let delta = graph.apply([Change::Remove("pysec".to_string())]);
        assert_eq!(delta.removed, vec![id("PYSEC-2022-9")]);
        assert!(delta.changed.is_empty());
        // An unchanged upsert changes nothing.
        let delta = graph.apply([Change::Upsert(entry("ghsa: GHSA-aaaa-bbbb-cccc"))]);
        assert!(delta.removed.is_empty() && delta.changed.is_empty());
        assert_eq!(graph.len(), 1);
        assert_eq!(
            graph.vulnerabilities_of(&id("GHSA-aaaa-bbbb-cccc")).len(),
            1
        );
    }

    #[test]
    fn a_graph_collected_at_start_up_answers_like_the_full_merge() {
        let specs = [
            "ghsa: GHSA-aaaa-bbbb-cccc > CVE-2021-0001 CVE-2021-0002",
            "pysec: PYSEC-2021-1 > CVE-2021-0001",
        ];
        let graph: AliasGraph<String> = specs.iter().map(|spec| entry(spec)).collect();
        let full = merge(specs.iter().map(|spec| entry(spec)));
        assert_eq!(graph.vulnerabilities(), full);
        let shared = graph.vulnerabilities_of(&id("GHSA-aaaa-bbbb-cccc"));
        assert_eq!(render(&shared), render(&full));
    }
}
