//! Finding vulnerabilities: by any alias (CVE, GHSA, PYSEC, RUSTSEC, GO-…, a CSAF document
//! id), by search, and — for the matcher — candidate records by package key or CPE
//! vendor/product, re-read from their original documents.
//!
//! The server keeps an [`AliasIndex`] in memory (every alias → its vulnerabilities), refreshed
//! when the stored generation moves: resolving a name then costs a hash look-up.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;

use aftercare_intel::Record;
use aftercare_intel::record::{RangeEvent, VersionBound};
use aftercare_model::{Ecosystem, PackageKey, Severity, VulnerabilityId};
use aftercare_store::intel::{
    self, AttachedRecord, EpssRow, KevRow, SearchFilter, VulnerabilityRow,
};

use crate::{ServiceError, Workspace};

/// One line of what a record says is affected, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    /// `package` (OSV, CVE 5), `cpe` (NVD, CVE 5), `product` (CVE 5 vendor/product text) or
    /// `csaf` (a CSAF product with its status).
    pub kind: &'static str,
    /// The package key, CPE, product or CSAF product name.
    pub name: String,
    /// Versions, ranges or statuses, in words.
    pub detail: String,
}

/// A record of a vulnerability, with what it says is affected.
#[derive(Debug, Clone)]
pub struct RecordDetail {
    /// The stored record and its origin.
    pub record: AttachedRecord,
    /// What it says is affected (read again from its document).
    pub affected: Vec<Affected>,
}

/// Everything known about one vulnerability.
#[derive(Debug, Clone)]
pub struct VulnerabilityDetail {
    /// The vulnerability.
    pub vulnerability: VulnerabilityRow,
    /// The ids merged into it.
    pub ids: Vec<String>,
    /// Ids it shares with other vulnerabilities (a record aliasing several CVEs).
    pub shared_ids: Vec<String>,
    /// Ids its records call related.
    pub related: Vec<String>,
    /// Every source's record.
    pub records: Vec<RecordDetail>,
    /// Its CISA KEV entry.
    pub kev: Option<KevRow>,
    /// Its latest EPSS score.
    pub epss: Option<EpssRow>,
    /// Its EPSS history, oldest first.
    pub epss_history: Vec<EpssRow>,
    /// The highest severity of its records.
    pub severity: Option<String>,
    /// The row id that was asked for, when it was merged into this one.
    pub redirected_from: Option<i64>,
}

/// The in-memory alias map of the server: every alias → (vulnerability row id, shared).
#[derive(Debug, Default)]
pub struct AliasIndex {
    inner: RwLock<AliasMap>,
}

#[derive(Debug, Default)]
struct AliasMap {
    generation: Option<i64>,
    map: HashMap<String, Vec<(i64, bool)>>,
}

impl AliasIndex {
    /// An empty index (load it with [`AliasIndex::refresh`]).
    pub fn new() -> AliasIndex {
        AliasIndex::default()
    }

    /// Reloads the map when the stored intelligence changed since it was built; returns
    /// whether it reloaded.
    pub async fn refresh(&self, workspace: &Workspace) -> Result<bool, ServiceError> {
        let pool = workspace.store().pool();
        let generation = intel::generation(pool).await?;
        let current = self.inner.read().map(|map| map.generation).unwrap_or(None);
        if current == Some(generation) {
            return Ok(false);
        }
        let mut map: HashMap<String, Vec<(i64, bool)>> = HashMap::new();
        for (alias, vulnerability, shared) in intel::all_aliases(pool).await? {
            map.entry(alias).or_default().push((vulnerability, shared));
        }
        for list in map.values_mut() {
            list.sort_by_key(|(id, shared)| (*shared, *id));
        }
        if let Ok(mut inner) = self.inner.write() {
            *inner = AliasMap {
                generation: Some(generation),
                map,
            };
        }
        Ok(true)
    }

    /// The vulnerabilities a name resolves to: (row id, shared), those it belongs to first.
    pub fn resolve(&self, name: &str) -> Vec<(i64, bool)> {
        let key = normalize_id(name);
        self.inner
            .read()
            .ok()
            .and_then(|inner| inner.map.get(&key).cloned())
            .unwrap_or_default()
    }

    /// How many aliases the map holds.
    pub fn len(&self) -> usize {
        self.inner.read().map(|inner| inner.map.len()).unwrap_or(0)
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A name as aliases are stored: known prefixes normalized (`cve-2021-1` → `CVE-2021-1`).
fn normalize_id(name: &str) -> String {
    name.trim()
        .parse::<VulnerabilityId>()
        .map(|id| id.to_string())
        .unwrap_or_else(|_| name.trim().to_string())
}

/// The vulnerabilities a name means: by alias (those it belongs to, then those it is shared
/// with), else a row id (a merged row is followed to where it went). Uses the warm index
/// when given.
pub async fn resolve(
    workspace: &Workspace,
    index: Option<&AliasIndex>,
    name: &str,
) -> Result<Vec<(i64, Option<i64>)>, ServiceError> {
    let pool = workspace.store().pool();
    let found = match index {
        Some(index) => index.resolve(name),
        None => intel::resolve_alias(pool, &normalize_id(name)).await?,
    };
    if !found.is_empty() {
        return Ok(found.into_iter().map(|(id, _)| (id, None)).collect());
    }
    let Ok(row_id) = name.trim().parse::<i64>() else {
        return Err(ServiceError::NotFound {
            entity: "vulnerability",
            key: name.to_string(),
        });
    };
    let Some(row) = intel::vulnerability(pool, row_id).await? else {
        return Err(ServiceError::NotFound {
            entity: "vulnerability",
            key: name.to_string(),
        });
    };
    if row.status == "active" {
        return Ok(vec![(row.id, None)]);
    }
    // Follow merges (a chain of them, if the target was merged again later).
    let mut out = BTreeSet::new();
    let mut queue = vec![row.id];
    let mut seen = BTreeSet::new();
    while let Some(id) = queue.pop() {
        if !seen.insert(id) {
            continue;
        }
        match intel::vulnerability(pool, id).await? {
            Some(target) if target.status == "active" => {
                out.insert(id);
            }
            _ => {
                for redirect in intel::redirects_from(pool, id).await? {
                    queue.push(redirect.to_id);
                }
            }
        }
    }
    Ok(out.into_iter().map(|id| (id, Some(row_id))).collect())
}

/// Every vulnerability a name means, in full.
pub async fn show(
    workspace: &Workspace,
    index: Option<&AliasIndex>,
    name: &str,
) -> Result<Vec<VulnerabilityDetail>, ServiceError> {
    let mut out = Vec::new();
    for (id, redirected_from) in resolve(workspace, index, name).await? {
        out.push(detail(workspace, id, redirected_from).await?);
    }
    Ok(out)
}

fn highest(severities: impl Iterator<Item = Option<String>>) -> Option<String> {
    severities
        .flatten()
        .filter_map(|text| Severity::ALL.into_iter().find(|s| s.as_str() == text))
        .max()
        .map(|s| s.as_str().to_string())
}

/// One vulnerability in full, by row id.
pub async fn detail(
    workspace: &Workspace,
    id: i64,
    redirected_from: Option<i64>,
) -> Result<VulnerabilityDetail, ServiceError> {
    let pool = workspace.store().pool();
    let vulnerability =
        intel::vulnerability(pool, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "vulnerability",
                key: id.to_string(),
            })?;
    let aliases = intel::aliases_of(pool, id).await?;
    let records = intel::records_of(pool, id).await?;
    let ids: Vec<String> = aliases
        .iter()
        .filter(|(_, s)| !s)
        .map(|(a, _)| a.clone())
        .collect();
    let shared_ids: Vec<String> = aliases
        .iter()
        .filter(|(_, s)| *s)
        .map(|(a, _)| a.clone())
        .collect();
    let mut related: BTreeSet<String> = records
        .iter()
        .flat_map(|r| r.record.related.iter().cloned())
        .collect();
    for id in &ids {
        related.remove(id);
    }
    let reread = reread(
        workspace,
        &records.iter().map(|r| r.record.id).collect::<Vec<_>>(),
    )
    .await?;
    let severity = highest(records.iter().map(|r| r.record.severity.clone()));
    let records = records
        .into_iter()
        .map(|record| {
            let affected = reread
                .records
                .get(&record.record.id)
                .map(affected_of)
                .unwrap_or_default();
            RecordDetail { record, affected }
        })
        .collect();
    let cve = vulnerability
        .canonical
        .starts_with("CVE-")
        .then(|| vulnerability.canonical.clone());
    let (kev, epss, epss_history) = match &cve {
        Some(cve) => (
            intel::kev_entry(pool, cve).await?,
            intel::epss_score(pool, cve).await?,
            intel::epss_history(pool, cve).await?,
        ),
        None => (None, None, Vec::new()),
    };
    Ok(VulnerabilityDetail {
        vulnerability,
        ids,
        shared_ids,
        related: related.into_iter().collect(),
        records,
        kev,
        epss,
        epss_history,
        severity,
        redirected_from,
    })
}

/// What one record says is affected, in words.
fn affected_of(record: &Record) -> Vec<Affected> {
    let mut out = Vec::new();
    for package in &record.packages {
        let name = package
            .key
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| package.name.clone())
            .unwrap_or_else(|| "(unnamed)".to_string());
        let mut parts = Vec::new();
        for range in &package.ranges {
            let events: Vec<String> = range
                .events
                .iter()
                .map(|event| match event {
                    RangeEvent::Introduced(v) => format!("introduced {v}"),
                    RangeEvent::Fixed(v) => format!("fixed {v}"),
                    RangeEvent::LastAffected(v) => format!("last affected {v}"),
                    RangeEvent::Limit(v) => format!("limit {v}"),
                })
                .collect();
            parts.push(events.join(", "));
        }
        if !package.versions.is_empty() {
            parts.push(format!("{} listed versions", package.versions.len()));
        }
        out.push(Affected {
            kind: "package",
            name,
            detail: parts.join("; "),
        });
    }
    let mut criteria = BTreeMap::new();
    for configuration in &record.configurations {
        let mut stack: Vec<&aftercare_intel::record::Node> = configuration.nodes.iter().collect();
        while let Some(node) = stack.pop() {
            for criterion in node.matches.iter().filter(|m| m.vulnerable) {
                let bound = |b: &Option<VersionBound>, including: &str, excluding: &str| match b {
                    Some(VersionBound::Including(v)) => Some(format!("{including} {v}")),
                    Some(VersionBound::Excluding(v)) => Some(format!("{excluding} {v}")),
                    None => None,
                };
                let detail: Vec<String> = [
                    bound(&criterion.version_start, ">=", ">"),
                    bound(&criterion.version_end, "<=", "<"),
                ]
                .into_iter()
                .flatten()
                .collect();
                criteria.insert(criterion.criteria.to_string(), detail.join(", "));
            }
            stack.extend(node.children.iter());
        }
    }
    out.extend(criteria.into_iter().map(|(name, detail)| Affected {
        kind: "cpe",
        name,
        detail,
    }));
    for product in &record.products {
        let versions: Vec<String> = product
            .versions
            .iter()
            .map(|statement| {
                let range = match (&statement.less_than, &statement.less_than_or_equal) {
                    (Some(end), _) => format!("{} to < {end}", statement.version),
                    (None, Some(end)) => format!("{} to <= {end}", statement.version),
                    (None, None) => statement.version.clone(),
                };
                format!("{range} {:?}", statement.status).to_lowercase()
            })
            .collect();
        let name = match &product.key {
            Some(key) => key.to_string(),
            None => format!(
                "{} {}",
                product.vendor.as_deref().unwrap_or("-"),
                product.product.as_deref().unwrap_or("-")
            ),
        };
        out.push(Affected {
            kind: if product.key.is_some() {
                "package"
            } else {
                "product"
            },
            name,
            detail: versions.join("; "),
        });
        for cpe in &product.cpes {
            out.push(Affected {
                kind: "cpe",
                name: cpe.to_string(),
                detail: String::new(),
            });
        }
    }
    if let Some(advisory) = &record.advisory {
        for vulnerability in &advisory.vulnerabilities {
            for (status, ids) in &vulnerability.product_status {
                if !status.is_affected() && !status.is_fixed() {
                    continue;
                }
                for id in ids {
                    let name = advisory
                        .products
                        .get(id)
                        .map_or_else(|| id.clone(), |product| product.name.clone());
                    out.push(Affected {
                        kind: "csaf",
                        name,
                        detail: format!(
                            "{} ({})",
                            status.as_str(),
                            vulnerability
                                .cve
                                .as_ref()
                                .map_or_else(|| "-".to_string(), ToString::to_string)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// A stored record that could not be read again from its document: the document no longer
/// parses (a reader changed, or the stored bytes did), or no longer holds the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRecord {
    /// The record's row id.
    pub record_row: i64,
    /// Its source (`osv`, `nvd` …).
    pub source: String,
    /// Its id in the source.
    pub record_id: String,
    /// The stored document's name.
    pub document: String,
    /// Why, in words.
    pub reason: String,
}

impl std::fmt::Display for UnreadableRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the stored {} record {} (document {}) cannot be read again: {}",
            self.source, self.record_id, self.document, self.reason
        )
    }
}

/// Records re-read from their documents, and those that could not be.
#[derive(Debug, Clone, Default)]
pub struct Reread {
    /// The records, by row id.
    pub records: HashMap<i64, Record>,
    /// The records that could not be read again, by row id order. A caller that decides
    /// from the records (the matcher) must not take their absence as evidence.
    pub unreadable: Vec<UnreadableRecord>,
}

/// Records re-read from their original documents, by row id (each document read once).
/// A document that no longer parses, or no longer holds a record, is reported in
/// [`Reread::unreadable`], never silently taken as "no records".
pub async fn reread(workspace: &Workspace, record_ids: &[i64]) -> Result<Reread, ServiceError> {
    let documents = intel::record_documents(workspace.store(), record_ids).await?;
    tokio::task::spawn_blocking(move || {
        let mut parsed: HashMap<aftercare_model::Sha256, Result<Vec<Record>, String>> =
            HashMap::new();
        let mut out = Reread::default();
        for (row_id, source, record_id, name, bytes) in documents {
            let document = name.unwrap_or_else(|| "document".to_string());
            let key = aftercare_model::Sha256::of(&bytes);
            let records = parsed.entry(key).or_insert_with(|| {
                aftercare_intel::read_document(&document, &bytes)
                    .map(aftercare_intel::Parsed::into_records)
                    .map_err(|error| error.to_string())
            });
            let found = match records {
                Ok(records) => records
                    .iter()
                    .find(|r| r.source.as_str() == source && r.id.as_str() == record_id)
                    .ok_or_else(|| "the document no longer holds this record".to_string()),
                Err(reason) => Err(format!("the document no longer parses: {reason}")),
            };
            match found {
                Ok(record) => {
                    out.records.insert(row_id, record.clone());
                }
                Err(reason) => out.unreadable.push(UnreadableRecord {
                    record_row: row_id,
                    source,
                    record_id,
                    document,
                    reason,
                }),
            }
        }
        out
    })
    .await
    .map_err(|_| ServiceError::Background {
        operation: "read stored records",
    })
}

/// Records already re-read, by row id with their digest: a server's matcher keeps them, and
/// reads again only the records that changed since (their digest moved).
#[derive(Debug, Default)]
pub struct RecordCache {
    records: HashMap<i64, (String, Record)>,
}

/// [`reread`] through a cache: records whose stored digest is the cached one are not read
/// again (an unreadable record is never cached: it is tried again next time).
pub async fn reread_cached(
    workspace: &Workspace,
    record_ids: &[i64],
    cache: &mut RecordCache,
) -> Result<Reread, ServiceError> {
    let digests = intel::record_digests(workspace.store(), record_ids).await?;
    let mut out = HashMap::with_capacity(digests.len());
    let mut missing: Vec<i64> = Vec::new();
    for (id, digest) in &digests {
        match cache.records.get(id) {
            Some((cached, record)) if cached == digest => {
                out.insert(*id, record.clone());
            }
            _ => missing.push(*id),
        }
    }
    let mut unreadable = Vec::new();
    if !missing.is_empty() {
        let read = reread(workspace, &missing).await?;
        unreadable = read.unreadable;
        let digest_of: HashMap<i64, &String> = digests.iter().map(|(id, d)| (*id, d)).collect();
        for (id, record) in read.records {
            if let Some(digest) = digest_of.get(&id) {
                cache
                    .records
                    .insert(id, ((*digest).clone(), record.clone()));
            }
            out.insert(id, record);
        }
    }
    Ok(Reread {
        records: out,
        unreadable,
    })
}

/// Candidate records of the affected index, for the matcher: by package key, and by CPE
/// (vendor, product) — records indexed with a wildcard come with every CPE query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// (package key, record row id).
    pub by_package: Vec<(String, i64)>,
    /// (vendor, product, record row id).
    pub by_product: Vec<(String, String, i64)>,
}

impl Candidates {
    /// Every record row id, once.
    pub fn record_ids(&self) -> Vec<i64> {
        let ids: BTreeSet<i64> = self
            .by_package
            .iter()
            .map(|(_, id)| *id)
            .chain(self.by_product.iter().map(|(_, _, id)| *id))
            .collect();
        ids.into_iter().collect()
    }
}

/// Finds the records that may affect some package keys and CPE (vendor, product) pairs.
/// SQL finds candidates; the matcher decides on the records ([`reread`]).
pub async fn candidates(
    workspace: &Workspace,
    package_keys: &[String],
    products: &[(String, String)],
) -> Result<Candidates, ServiceError> {
    let store = workspace.store();
    let by_package = intel::records_by_package(store, package_keys).await?;
    let by_product = if products.is_empty() {
        Vec::new()
    } else {
        intel::records_by_product(store.pool(), products).await?
    };
    Ok(Candidates {
        by_package,
        by_product,
    })
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Text in an id, summary or description.
    pub text: Option<String>,
    /// Only KEV-listed vulnerabilities.
    pub kev: bool,
    /// Only those whose EPSS score is above this (0–1).
    pub epss_above: Option<f64>,
    /// Only those affecting a package of this ecosystem (`PyPI`, `npm` …).
    pub ecosystem: Option<String>,
    /// Only those affecting a package of this name.
    pub package: Option<String>,
    /// Only those published on or after this date (YYYY-MM-DD) or time (RFC 3339).
    pub published_since: Option<String>,
    /// Include vulnerabilities whose every record is withdrawn.
    pub include_withdrawn: bool,
    /// Skip this many.
    pub offset: i64,
    /// At most this many (1–1,000).
    pub limit: i64,
}

/// One search result.
#[derive(Debug, Clone)]
pub struct VulnerabilitySummary {
    /// The vulnerability.
    pub vulnerability: VulnerabilityRow,
    /// Its records as `source:id`.
    pub records: Vec<String>,
    /// The highest severity of its records.
    pub severity: Option<String>,
    /// Whether it is in the KEV catalog.
    pub kev: bool,
    /// Its latest EPSS score.
    pub epss: Option<f64>,
}

/// A page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// How many vulnerabilities match in all.
    pub total: i64,
    /// This page.
    pub items: Vec<VulnerabilitySummary>,
}

/// Searches vulnerabilities.
pub async fn search(
    workspace: &Workspace,
    query: &SearchQuery,
) -> Result<SearchPage, ServiceError> {
    if let Some(epss) = query.epss_above
        && !(0.0..=1.0).contains(&epss)
    {
        return Err(ServiceError::invalid(
            "epss above",
            "give a probability from 0 to 1",
        ));
    }
    let published_since = match query.published_since.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_since(text)?),
    };
    let ecosystem = query
        .ecosystem
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Ecosystem::from_osv(e).0);
    let package = query
        .package
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let (package_key, package_name) = match (&ecosystem, package) {
        (Some(ecosystem), Some(name)) => (
            Some(PackageKey::new(ecosystem.clone(), name).to_string()),
            None,
        ),
        (None, Some(name)) => (None, Some(name.to_string())),
        _ => (None, None),
    };
    let filter = SearchFilter {
        text: query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        kev: query.kev,
        epss_above: query.epss_above,
        ecosystem: if package_key.is_none() {
            ecosystem.map(|e| e.osv_name().to_string())
        } else {
            None
        },
        package_key,
        package_name,
        published_since,
        include_withdrawn: query.include_withdrawn,
        offset: query.offset.max(0),
        limit: query.limit.clamp(1, 1_000),
    };
    let store = workspace.store();
    let (total, rows) = intel::search(store.pool(), &filter).await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut facts: HashMap<i64, Vec<(String, Option<String>)>> = HashMap::new();
    for (vulnerability, source, record_id, severity) in intel::record_facts(store, &ids).await? {
        facts
            .entry(vulnerability)
            .or_default()
            .push((format!("{source}:{record_id}"), severity));
    }
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let records = facts.remove(&row.id).unwrap_or_default();
        let (kev, epss) = if row.canonical.starts_with("CVE-") {
            (
                intel::kev_entry(store.pool(), &row.canonical)
                    .await?
                    .is_some(),
                intel::epss_score(store.pool(), &row.canonical)
                    .await?
                    .map(|score| score.epss),
            )
        } else {
            (false, None)
        };
        items.push(VulnerabilitySummary {
            severity: highest(records.iter().map(|(_, s)| s.clone())),
            records: records.into_iter().map(|(r, _)| r).collect(),
            vulnerability: row,
            kev,
            epss,
        });
    }
    Ok(SearchPage { total, items })
}

/// A date (its start, UTC) or an RFC 3339 time, as stored text.
fn parse_since(text: &str) -> Result<String, ServiceError> {
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(aftercare_store::timestamp_text(timestamp));
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        ServiceError::invalid(
            "published since",
            format!("{text:?}: give a date (YYYY-MM-DD) or an RFC 3339 time"),
        )
    })?;
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|zoned| aftercare_store::timestamp_text(zoned.timestamp()))
        .map_err(|error| ServiceError::rule("published since", error))
}
