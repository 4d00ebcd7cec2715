//! What a match run compares with: the components in its scope, grouped into *identities*
//! (what the matcher sees of a component — name, version, purl, CPEs with the release's
//! platform, hashes — so that the same dependency in 1,000 releases is matched once), and the
//! stored findings of those components, reduced to what the comparison needs (id, canonical
//! id, state and a digest of the match).
//!
//! A one-shot process (the CLI) builds a mirror of the run's scope and drops it. A server
//! keeps one for the whole workspace ([`MatchState`]): a run then reads only what changed
//! since the last one — the components of SBOMs imported since, and the findings again only
//! when another process or node matched meanwhile (the matcher's generation in the store
//! moved). The record index of a full re-match is kept too, for as long as the intelligence
//! generation and the set of identities stay the same.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use aftercare_intel::normalize::cpe_pair;
use aftercare_match::{Component, FileHash};
use aftercare_model::{Cpe, Purl};
use aftercare_store::Backend;
use aftercare_store::finding::{
    self as stored, MatchedRow, MatchedSelection, MatcherRow, MatcherSelection,
};
use tokio::sync::Mutex;

use super::{CandidateIndex, MatchScope};
use crate::{ServiceError, Workspace};

/// A server's warm copy of what the matcher compares with, shared by its match runs (they
/// queue on it). See the module documentation.
#[derive(Default)]
pub struct MatchState {
    pub(super) inner: Mutex<Option<Mirror>>,
}

impl MatchState {
    /// An empty state: the first run loads the workspace.
    pub fn new() -> MatchState {
        MatchState::default()
    }
}

impl fmt::Debug for MatchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatchState").finish_non_exhaustive()
    }
}

/// The vulnerabilities whose findings put their components in a feed delta's scope: row ids,
/// and canonical ids (for findings stored without a row).
#[derive(Debug, Clone, Default)]
pub(super) struct Touched {
    pub ids: Vec<i64>,
    pub names: Vec<String>,
}

/// A component row in scope.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub id: i64,
    pub release_id: i64,
    pub product_id: i64,
    pub identity: u32,
}

/// A distinct component of the mirror.
#[derive(Debug, Clone)]
pub(super) struct Identity {
    /// What the matcher sees.
    pub component: Component,
    /// The CPEs of its release, when it has CPEs of its own (NVD "running on").
    pub platform: Vec<Cpe>,
    pub group: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub package_key: Option<String>,
    /// CPE vendor/product pairs, for a feed delta's products.
    pub cpe_pairs: Vec<(String, String)>,
}

impl Identity {
    pub fn full_name(&self) -> String {
        aftercare_store::sbom::full_name(self.group.as_deref(), &self.name)
    }
}

/// A stored finding, as the comparison needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mirrored {
    pub id: i64,
    /// The canonical id it is stored with, interned.
    pub name: u32,
    pub vulnerability_id: Option<i64>,
    pub open: bool,
    pub digest: u128,
}

/// What raw columns make a component distinct for the matcher.
type IdentityKey = (
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Vec<String>,
);

/// The record index of a full re-match, kept while the intelligence and the identities stay.
pub(super) struct WarmIndex {
    pub intel_generation: i64,
    pub identities: usize,
    pub prepared: CandidateIndex,
}

/// See the module documentation.
#[derive(Default)]
pub(super) struct Mirror {
    /// The matcher generation the findings were read at (`None`: not yet).
    pub generation: Option<i64>,
    /// The last finding event the findings reflect.
    pub last_event: i64,
    sboms: HashSet<i64>,
    pub rows: Vec<Row>,
    row_of: HashMap<i64, usize>,
    by_release: HashMap<i64, Vec<usize>>,
    by_package: HashMap<String, Vec<usize>>,
    with_cpes: Vec<usize>,
    pub identities: Vec<Identity>,
    known: HashMap<IdentityKey, u32>,
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
    /// The stored findings of each row.
    pub findings: Vec<Vec<Mirrored>>,
    /// Rows with a finding of a vulnerability row, and of a canonical id (a row may stay
    /// listed after its finding moved to another vulnerability: a run compares it for
    /// nothing).
    rows_by_vulnerability: HashMap<i64, Vec<usize>>,
    rows_by_name: HashMap<u32, Vec<usize>>,
    pub index: Option<WarmIndex>,
    /// Records re-read for earlier runs (a server's).
    pub records: crate::intel::lookup::RecordCache,
}

/// A digest as kept in memory.
pub(super) fn digest_value(text: &str) -> u128 {
    u128::from_str_radix(text, 16).unwrap_or(0)
}

impl Mirror {
    /// The mirror of one run's scope (a one-shot process); every row is in scope.
    pub async fn of_scope(
        workspace: &Workspace,
        tx: &mut aftercare_store::Tx,
        scope: MatchScope<'_>,
        touched: &Touched,
    ) -> Result<Mirror, ServiceError> {
        let mut mirror = Mirror::default();
        let rows = match scope {
            MatchScope::All => {
                let sboms = stored::sbom_ids(tx).await?;
                mirror.sboms = sboms.iter().copied().collect();
                all_components(workspace, tx).await?
            }
            MatchScope::Release(id) => {
                stored::matcher_rows(tx, MatcherSelection::Release(id)).await?
            }
            MatchScope::Delta(delta) => {
                let mut out: HashMap<i64, MatcherRow> = HashMap::new();
                if !delta.packages.is_empty() {
                    for row in
                        stored::matcher_rows(tx, MatcherSelection::PackageKeys(&delta.packages))
                            .await?
                    {
                        out.insert(row.id, row);
                    }
                }
                if !delta.products.is_empty() {
                    for row in stored::matcher_rows(tx, MatcherSelection::WithCpes(None)).await? {
                        let pairs = cpe_pairs(&parse_cpes(&row)?);
                        if touches_products(&pairs, &delta.products) {
                            out.insert(row.id, row);
                        }
                    }
                }
                let touched =
                    stored::components_with_vulnerabilities(tx, &touched.ids, &touched.names)
                        .await?;
                let missing: Vec<i64> = touched
                    .into_iter()
                    .filter(|id| !out.contains_key(id))
                    .collect();
                if !missing.is_empty() {
                    for row in stored::matcher_rows(tx, MatcherSelection::Ids(&missing)).await? {
                        out.insert(row.id, row);
                    }
                }
                let mut rows: Vec<MatcherRow> = out.into_values().collect();
                rows.sort_by_key(|row| (row.release_id, row.position));
                rows
            }
        };
        // The platform of a release is every CPE of it, in scope or not.
        let with_cpes: Vec<i64> = rows
            .iter()
            .filter(|row| row.cpes != "[]")
            .map(|row| row.release_id)
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        let platforms = if with_cpes.is_empty() {
            HashMap::new()
        } else if matches!(scope, MatchScope::Delta(_)) {
            platforms(
                &stored::matcher_rows(tx, MatcherSelection::WithCpes(Some(&with_cpes))).await?,
            )?
        } else {
            platforms(&rows)?
        };
        mirror.add_rows(rows, &platforms)?;
        let found = if matches!(scope, MatchScope::All) {
            all_findings(workspace, tx).await?
        } else {
            let ids: Vec<i64> = mirror.rows.iter().map(|row| row.id).collect();
            stored::matched_rows(tx, MatchedSelection::Components(&ids)).await?
        };
        mirror.add_findings(found);
        Ok(mirror)
    }

    /// Brings a server's mirror up to date inside a run's transaction: the components of
    /// SBOMs imported since, and, when another writer matched since (`previous` is the matcher
    /// generation before this run), the findings its runs changed — every finding the first
    /// time.
    pub async fn refresh(
        &mut self,
        workspace: &Workspace,
        tx: &mut aftercare_store::Tx,
        previous: i64,
    ) -> Result<(), ServiceError> {
        let new: Vec<i64> = stored::sbom_ids(tx)
            .await?
            .into_iter()
            .filter(|id| !self.sboms.contains(id))
            .collect();
        if !new.is_empty() {
            let rows = if self.sboms.is_empty() {
                all_components(workspace, tx).await?
            } else {
                stored::matcher_rows(tx, MatcherSelection::Sboms(&new)).await?
            };
            let platforms = platforms(&rows)?;
            self.add_rows(rows, &platforms)?;
            self.sboms.extend(new);
        }
        if self.generation != Some(previous) {
            if self.generation.is_none() {
                let last = stored::last_event(tx).await?;
                for list in &mut self.findings {
                    list.clear();
                }
                self.rows_by_name.clear();
                self.rows_by_vulnerability.clear();
                let found = all_findings(workspace, tx).await?;
                self.add_findings(found);
                self.last_event = last;
            } else {
                let (ids, last) = stored::matched_since(tx, self.last_event).await?;
                let found = stored::matched_rows(tx, MatchedSelection::Ids(&ids)).await?;
                self.add_findings(found);
                self.last_event = last;
            }
            self.generation = Some(previous);
        }
        Ok(())
    }

    /// The rows of a scope, in release then document order.
    pub fn select(&self, scope: MatchScope<'_>, touched: &Touched) -> Vec<usize> {
        let mut out: Vec<usize> = match scope {
            MatchScope::All => (0..self.rows.len()).collect(),
            MatchScope::Release(id) => self.by_release.get(&id).cloned().unwrap_or_default(),
            MatchScope::Delta(delta) => {
                let mut set: Vec<usize> = Vec::new();
                for key in &delta.packages {
                    if let Some(rows) = self.by_package.get(key) {
                        set.extend(rows);
                    }
                }
                if !delta.products.is_empty() {
                    for row in &self.with_cpes {
                        let identity = &self.identities[self.rows[*row].identity as usize];
                        if touches_products(&identity.cpe_pairs, &delta.products) {
                            set.push(*row);
                        }
                    }
                }
                for id in &touched.ids {
                    if let Some(rows) = self.rows_by_vulnerability.get(id) {
                        set.extend(rows);
                    }
                }
                for name in &touched.names {
                    if let Some(rows) = self
                        .name_ids
                        .get(name)
                        .and_then(|name| self.rows_by_name.get(name))
                    {
                        set.extend(rows);
                    }
                }
                set.sort_unstable();
                set.dedup();
                set
            }
        };
        // Rows are kept in the order they were read: release, then document order.
        out.sort_unstable();
        out
    }

    /// The distinct identities of some rows, in identity order.
    pub fn identities_of(&self, rows: &[usize]) -> Vec<u32> {
        let mut wanted = vec![false; self.identities.len()];
        for row in rows {
            wanted[self.rows[*row].identity as usize] = true;
        }
        (0..wanted.len() as u32)
            .filter(|i| wanted[*i as usize])
            .collect()
    }

    /// The canonical id of an interned name.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    /// The interned id of a canonical id, when known.
    pub fn interned(&self, name: &str) -> Option<u32> {
        self.name_ids.get(name).copied()
    }

    /// Interns a canonical id.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.name_ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.name_ids.insert(name.to_string(), id);
        id
    }

    fn add_rows(
        &mut self,
        rows: Vec<MatcherRow>,
        platforms: &HashMap<i64, Vec<String>>,
    ) -> Result<(), ServiceError> {
        for row in rows {
            if self.row_of.contains_key(&row.id) {
                continue;
            }
            let platform_text = if row.cpes == "[]" {
                Vec::new()
            } else {
                platforms.get(&row.release_id).cloned().unwrap_or_default()
            };
            let key: IdentityKey = (
                row.group.clone(),
                row.name.clone(),
                row.version.clone(),
                row.purl.clone(),
                row.cpes.clone(),
                row.hashes.clone(),
                platform_text,
            );
            let identity = match self.known.get(&key) {
                Some(identity) => *identity,
                None => {
                    let identity = self.identities.len() as u32;
                    self.identities.push(identity_of(&row, &key.6)?);
                    self.known.insert(key, identity);
                    identity
                }
            };
            let position = self.rows.len();
            self.row_of.insert(row.id, position);
            self.by_release
                .entry(row.release_id)
                .or_default()
                .push(position);
            if let Some(key) = &row.package_key {
                self.by_package
                    .entry(key.clone())
                    .or_default()
                    .push(position);
            }
            if row.cpes != "[]" {
                self.with_cpes.push(position);
            }
            self.rows.push(Row {
                id: row.id,
                release_id: row.release_id,
                product_id: row.product_id,
                identity,
            });
            self.findings.push(Vec::new());
        }
        Ok(())
    }

    fn add_findings(&mut self, found: Vec<MatchedRow>) {
        for row in found {
            let Some(position) = self.row_of.get(&row.component_id).copied() else {
                tracing::warn!(
                    finding = row.id,
                    component = row.component_id,
                    "a finding of a component the matcher did not read"
                );
                continue;
            };
            let name = self.intern(&row.vulnerability);
            self.put(
                position,
                Mirrored {
                    id: row.id,
                    name,
                    vulnerability_id: row.vulnerability_id,
                    open: row.open,
                    digest: digest_value(&row.digest),
                },
            );
        }
    }

    /// Keeps a finding of a row (a finding known by its id is replaced).
    pub fn put(&mut self, row: usize, mirrored: Mirrored) {
        let list = &mut self.findings[row];
        let moved = match list.iter_mut().find(|m| m.id == mirrored.id) {
            Some(existing) => {
                let moved = existing.name != mirrored.name
                    || existing.vulnerability_id != mirrored.vulnerability_id;
                *existing = mirrored;
                moved
            }
            None => {
                list.push(mirrored);
                true
            }
        };
        if moved {
            self.rows_by_name
                .entry(mirrored.name)
                .or_default()
                .push(row);
            if let Some(id) = mirrored.vulnerability_id {
                self.rows_by_vulnerability.entry(id).or_default().push(row);
            }
        }
    }
}

/// Every component, read in bulk (rusqlite on SQLite, a native connection on PostgreSQL).
async fn all_components(
    workspace: &Workspace,
    tx: &mut aftercare_store::Tx,
) -> Result<Vec<MatcherRow>, ServiceError> {
    let store = workspace.store();
    match (store.backend(), store.sqlite_file()) {
        (Backend::Sqlite, Some(file)) => {
            let file = file.to_path_buf();
            tokio::task::spawn_blocking(move || stored::all_matcher_rows_sqlite(&file))
                .await
                .map_err(|_| ServiceError::Background {
                    operation: "read the components to match",
                })?
                .map_err(ServiceError::from)
        }
        (Backend::Postgres, _) => Ok(stored::all_matcher_rows_postgres(store).await?),
        (Backend::Sqlite, None) => {
            let sboms = stored::sbom_ids(tx).await?;
            Ok(stored::matcher_rows(tx, MatcherSelection::Sboms(&sboms)).await?)
        }
    }
}

/// Every finding, read in bulk; those stored before digests were kept get theirs (computed
/// and written back in the run's transaction).
async fn all_findings(
    workspace: &Workspace,
    tx: &mut aftercare_store::Tx,
) -> Result<Vec<MatchedRow>, ServiceError> {
    let store = workspace.store();
    let mut found = match (store.backend(), store.sqlite_file()) {
        (Backend::Sqlite, Some(file)) => {
            let file = file.to_path_buf();
            tokio::task::spawn_blocking(move || stored::all_matched_rows_sqlite(&file))
                .await
                .map_err(|_| ServiceError::Background {
                    operation: "read findings",
                })??
        }
        (Backend::Postgres, _) => stored::all_matched_rows_postgres(store).await?,
        (Backend::Sqlite, None) => stored::matched_rows(tx, MatchedSelection::All).await?,
    };
    let undigested: Vec<i64> = found
        .iter()
        .filter(|row| row.digest.is_empty())
        .map(|row| row.id)
        .collect();
    if !undigested.is_empty() {
        let digested: HashMap<i64, String> =
            stored::matched_rows(tx, MatchedSelection::Ids(&undigested))
                .await?
                .into_iter()
                .map(|row| (row.id, row.digest))
                .collect();
        for row in &mut found {
            if let Some(digest) = digested.get(&row.id) {
                row.digest = digest.clone();
            }
        }
    }
    Ok(found)
}

/// Every CPE of each release among some rows, sorted.
fn platforms(rows: &[MatcherRow]) -> Result<HashMap<i64, Vec<String>>, ServiceError> {
    let mut out: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for row in rows.iter().filter(|row| row.cpes != "[]") {
        out.entry(row.release_id)
            .or_default()
            .extend(row.cpe_list()?);
    }
    Ok(out
        .into_iter()
        .map(|(release, set)| (release, set.into_iter().collect()))
        .collect())
}

fn parse_cpes(row: &MatcherRow) -> Result<Vec<Cpe>, ServiceError> {
    Ok(row
        .cpe_list()?
        .iter()
        .filter_map(|c| c.parse::<Cpe>().ok())
        .collect())
}

fn cpe_pairs(cpes: &[Cpe]) -> Vec<(String, String)> {
    cpes.iter().map(cpe_pair).collect()
}

/// Whether a component's CPE vendor/products meet a delta's (with `*` on either side).
fn touches_products(pairs: &[(String, String)], wanted: &[(String, String)]) -> bool {
    let any = ("*".to_string(), "*".to_string());
    if wanted.contains(&any) {
        return !pairs.is_empty();
    }
    pairs.iter().any(|pair| {
        pair.0 == "*"
            || wanted.contains(pair)
            || wanted.contains(&("*".to_string(), pair.1.clone()))
            || wanted.contains(&(pair.0.clone(), "*".to_string()))
    })
}

/// The matcher's view of a component row.
fn identity_of(row: &MatcherRow, platform: &[String]) -> Result<Identity, ServiceError> {
    let cpes = parse_cpes(row)?;
    let component = Component {
        name: row.full_name(),
        version: row.version.clone(),
        purl: row.purl.as_deref().and_then(|p| p.parse::<Purl>().ok()),
        package: None,
        cpes: cpes.clone(),
        hashes: row
            .hash_list()?
            .iter()
            .map(|(algorithm, value)| FileHash::new(algorithm, value))
            .collect(),
    };
    Ok(Identity {
        component,
        platform: platform
            .iter()
            .filter_map(|c| c.parse::<Cpe>().ok())
            .collect(),
        group: row.group.clone(),
        name: row.name.clone(),
        version: row.version.clone(),
        purl: row.purl.clone(),
        package_key: row.package_key.clone(),
        cpe_pairs: cpe_pairs(&cpes),
    })
}
