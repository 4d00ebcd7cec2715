//! OSV affected packages, prepared once and evaluated against many component versions.
//!
//! The semantics are the OSV schema's (<https://ossf.github.io/osv-schema/#evaluation>): a
//! version is affected by an `affected[]` entry when it lies in *any* of its `SEMVER` or
//! `ECOSYSTEM` ranges or is *listed* in its `versions`. `SEMVER` ranges are ordered by
//! SemVer, `ECOSYSTEM` ranges by the ecosystem's scheme, both by `aftercare-version`, which
//! sorts events given in any order and knows `introduced: "0"`, `last_affected` and `limit`.
//! `GIT` ranges order commits, not versions: they are never evaluated, and an entry whose
//! first (or only) range is `GIT` still matches through its other ranges and its `versions`
//! list — OSV-Scanner's offline mode misses those.
//!
//! Every version bound is parsed once, when the entry is prepared. A bound that does not
//! parse in the range's scheme is dropped from the range with a warning (so a record with one
//! broken bound still matches on the others); listed versions are compared under the
//! ecosystem's scheme, so `1.0` listed matches `1.0.0` where the scheme says they are equal.

use aftercare_intel::record::{AffectedPackage, RangeEvent as RecordEvent, RangeKind};
use aftercare_model::{PackageKey, Purl};
use aftercare_version::range::{Bound, Range};
use aftercare_version::{RangeEvent, Scheme, Version};

use crate::component::{ReleaseFit, VersionCache, release_fit};

/// The range types the matcher evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeType {
    /// `SEMVER`.
    Semver,
    /// `ECOSYSTEM`.
    Ecosystem,
}

impl RangeType {
    /// `SEMVER` or `ECOSYSTEM`, as OSV spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeType::Semver => "SEMVER",
            RangeType::Ecosystem => "ECOSYSTEM",
        }
    }
}

/// An affected package as stored: the record's text, nothing parsed. This is what the
/// compiled index file keeps; [`PackageEntry::prepare`] parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPackage {
    /// The position of the entry in the record's `affected[]`.
    pub affected: u32,
    /// The package key.
    pub key: PackageKey,
    /// The ecosystem as written (`Debian:11`).
    pub ecosystem: String,
    /// The release suffix of the ecosystem.
    pub release: Option<String>,
    /// The package name as written.
    pub name: String,
    /// The ranges: their position in the entry, type, and events in record order (in
    /// `aftercare-version`'s type, so that preparing does not copy them). GIT ranges and
    /// ranges of unknown type are not stored.
    pub ranges: Vec<(u32, RangeType, Vec<RangeEvent>)>,
    /// The listed versions.
    pub versions: Vec<String>,
}

impl StoredPackage {
    /// The stored form of a record's affected package, if it names a package.
    pub(crate) fn from_affected(affected: u32, package: &AffectedPackage) -> Option<StoredPackage> {
        let key = package.key.clone()?;
        let ranges = package
            .ranges
            .iter()
            .enumerate()
            .filter_map(|(position, range)| {
                let kind = match range.kind {
                    RangeKind::Semver => RangeType::Semver,
                    RangeKind::Ecosystem => RangeType::Ecosystem,
                    RangeKind::Git | RangeKind::Other(_) => return None,
                };
                Some((
                    position as u32,
                    kind,
                    range.events.iter().map(convert_event).collect(),
                ))
            })
            .collect();
        Some(StoredPackage {
            affected,
            ecosystem: package
                .ecosystem
                .clone()
                .unwrap_or_else(|| key.ecosystem.osv_name().to_string()),
            release: package.ecosystem_release.clone(),
            name: package.name.clone().unwrap_or_else(|| key.name.clone()),
            key,
            ranges,
            versions: package.versions.clone(),
        })
    }
}

/// A range parsed once.
#[derive(Debug, Clone)]
pub(crate) struct PreparedRange {
    /// The position of the range in the record's entry.
    pub position: u32,
    /// SEMVER or ECOSYSTEM.
    pub kind: RangeType,
    /// The parsed events.
    pub range: Range,
}

/// The distinct versions the entries of one package list.
///
/// PyPI records enumerate every affected release, and a popular package has hundreds of
/// records listing mostly the same releases. Built from records, each text is parsed once per
/// package (not once per record). Read from an index file, the table arrives *presorted* (the
/// texts in version order with their equality classes) and nothing is parsed up front: a
/// component's version is found by a binary search that parses only the texts it probes.
/// Either way a component's version is looked up once per package ([`VersionTable::equal`])
/// and each entry then checks a short list of ids.
#[derive(Debug, Clone)]
pub(crate) enum VersionTable {
    /// Built from records: ids in order of first appearance.
    Parsed {
        by_text: std::collections::HashMap<Box<str>, u32>,
        /// (version, id), sorted by version.
        sorted: Vec<(Version, u32)>,
    },
    /// Read from a file: texts in version order (concatenated in `buffer`, text `i` ending at
    /// `ends[i]`), each with its class (equal versions share one; classes ascend with the
    /// order). One buffer instead of a string per text: a popular package lists hundreds.
    Presorted {
        scheme: Scheme,
        buffer: String,
        ends: Vec<u32>,
        classes: Vec<u32>,
    },
}

impl Default for VersionTable {
    fn default() -> VersionTable {
        VersionTable::Parsed {
            by_text: std::collections::HashMap::new(),
            sorted: Vec::new(),
        }
    }
}

impl VersionTable {
    /// The id of a version text, parsed under `scheme` the first time; `None` when it does
    /// not parse (or the table is presorted, which takes no new versions).
    fn intern(&mut self, scheme: Scheme, text: &str) -> Option<u32> {
        let VersionTable::Parsed { by_text, sorted } = self else {
            return None;
        };
        if let Some(id) = by_text.get(text) {
            return Some(*id);
        }
        let version = aftercare_version::parse(scheme, text).ok()?;
        let id = by_text.len() as u32;
        by_text.insert(text.into(), id);
        let at = sorted.partition_point(|(known, _)| *known < version);
        sorted.insert(at, (version, id));
        Some(id)
    }

    /// The ids (classes) of the versions equal to `version` (texts such as `1.0` and
    /// `1.0.0` can be).
    pub(crate) fn equal(&self, version: &Version) -> Vec<u32> {
        match self {
            VersionTable::Parsed { sorted, .. } => {
                let start = sorted.partition_point(|(known, _)| known < version);
                sorted[start..]
                    .iter()
                    .take_while(|(known, _)| known == version)
                    .map(|(_, id)| *id)
                    .collect()
            }
            VersionTable::Presorted {
                scheme,
                buffer,
                ends,
                classes,
            } => {
                if version.scheme() != *scheme {
                    return Vec::new();
                }
                let text = |position: usize| -> &str {
                    let start = match position {
                        0 => 0,
                        _ => ends.get(position - 1).copied().unwrap_or(0) as usize,
                    };
                    let end = ends.get(position).copied().unwrap_or(0) as usize;
                    buffer.get(start..end).unwrap_or("")
                };
                let parse =
                    |position: usize| aftercare_version::parse(*scheme, text(position)).ok();
                // A text that does not parse (a corrupt file) sorts first: never a match.
                let (mut low, mut high) = (0, ends.len().min(classes.len()));
                while low < high {
                    let middle = low + (high - low) / 2;
                    if parse(middle).is_none_or(|known| known < *version) {
                        low = middle + 1;
                    } else {
                        high = middle;
                    }
                }
                (low..ends.len().min(classes.len()))
                    .take_while(|position| parse(*position).is_some_and(|known| known == *version))
                    .filter_map(|position| classes.get(position).copied())
                    .collect()
            }
        }
    }

    /// The texts in version order with their classes, and each id's class: what the index
    /// file stores. A presorted table is returned as it is.
    pub(crate) fn presorted(&self) -> (Vec<&str>, Vec<u32>, std::collections::HashMap<u32, u32>) {
        match self {
            VersionTable::Parsed { by_text, sorted } => {
                let mut text_of: Vec<&str> = vec![""; by_text.len()];
                for (text, id) in by_text {
                    if let Some(slot) = text_of.get_mut(*id as usize) {
                        *slot = text;
                    }
                }
                let mut texts = Vec::with_capacity(sorted.len());
                let mut classes = Vec::with_capacity(sorted.len());
                let mut class_of = std::collections::HashMap::with_capacity(sorted.len());
                let mut class = 0u32;
                for (position, (version, id)) in sorted.iter().enumerate() {
                    if position > 0 && sorted[position - 1].0 != *version {
                        class += 1;
                    }
                    texts.push(text_of.get(*id as usize).copied().unwrap_or(""));
                    classes.push(class);
                    class_of.insert(*id, class);
                }
                (texts, classes, class_of)
            }
            VersionTable::Presorted {
                buffer,
                ends,
                classes,
                ..
            } => {
                let mut texts = Vec::with_capacity(ends.len());
                let mut start = 0usize;
                for end in ends {
                    texts.push(buffer.get(start..*end as usize).unwrap_or(""));
                    start = *end as usize;
                }
                (
                    texts,
                    classes.clone(),
                    classes.iter().map(|class| (*class, *class)).collect(),
                )
            }
        }
    }
}

/// The entries of one package and the versions they list.
#[derive(Debug, Clone, Default)]
pub(crate) struct Package {
    /// The entries, with the slot of their record.
    pub entries: Vec<(u32, std::sync::Arc<PackageEntry>)>,
    /// The versions their `versions` lists name.
    pub versions: VersionTable,
}

/// An affected package ready to be evaluated.
#[derive(Debug, Clone)]
pub(crate) struct PackageEntry {
    pub stored: StoredPackage,
    /// The ecosystem's scheme (generic when the ecosystem is unknown).
    pub scheme: Scheme,
    pub ranges: Vec<PreparedRange>,
    /// Listed versions that parse under the ecosystem's scheme: ids in the package's
    /// [`VersionTable`], sorted.
    pub listed: Vec<u32>,
    /// Listed versions that do not parse: compared as text.
    pub listed_text: Vec<String>,
}

/// Something about a stored package that could not be prepared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrepareWarning {
    pub message: String,
}

impl PackageEntry {
    /// Parses a stored package: every bound once. Bounds that do not parse are dropped from
    /// their range, with a warning each.
    pub(crate) fn prepare(
        stored: StoredPackage,
        table: &mut VersionTable,
        warnings: &mut Vec<PrepareWarning>,
    ) -> PackageEntry {
        let scheme = Scheme::from_osv_ecosystem(&stored.ecosystem).unwrap_or(Scheme::Generic);
        let mut ranges = Vec::with_capacity(stored.ranges.len());
        for (position, kind, events) in &stored.ranges {
            let range_scheme = match kind {
                RangeType::Semver => Scheme::Semver,
                RangeType::Ecosystem => scheme,
            };
            let range = match Range::with_scheme(range_scheme, events) {
                Ok(range) => range,
                Err(_) => {
                    // Keep the bounds that parse; say which were dropped.
                    let mut kept = Vec::with_capacity(events.len());
                    for event in events {
                        let text = event_text(event);
                        let parses = text == "0"
                            || (matches!(event, RangeEvent::Limit(_)) && text.contains('*'))
                            || aftercare_version::parse(range_scheme, text).is_ok();
                        if parses {
                            kept.push(event.clone());
                        } else {
                            warnings.push(PrepareWarning {
                                message: format!(
                                    "{} {}: range {position} bound {text:?} is not a {range_scheme} version; dropped",
                                    stored.ecosystem, stored.name
                                ),
                            });
                        }
                    }
                    match Range::with_scheme(range_scheme, &kept) {
                        Ok(range) => range,
                        Err(_) => continue,
                    }
                }
            };
            ranges.push(PreparedRange {
                position: *position,
                kind: *kind,
                range,
            });
        }
        let mut listed = Vec::with_capacity(stored.versions.len());
        let mut listed_text = Vec::new();
        for text in &stored.versions {
            match table.intern(scheme, text) {
                Some(id) => listed.push(id),
                None => listed_text.push(text.clone()),
            }
        }
        PackageEntry::assemble(stored, scheme, ranges, listed, listed_text)
    }

    /// An entry whose listed versions are already classes of a presorted table (the index
    /// file's); only its ranges are parsed.
    pub(crate) fn prepare_listed(
        stored: StoredPackage,
        listed: Vec<u32>,
        listed_text: Vec<String>,
        warnings: &mut Vec<PrepareWarning>,
    ) -> PackageEntry {
        let mut table = VersionTable::Presorted {
            scheme: Scheme::Generic,
            buffer: String::new(),
            ends: Vec::new(),
            classes: Vec::new(),
        };
        let mut stored = stored;
        stored.versions.clear();
        let entry = PackageEntry::prepare(stored, &mut table, warnings);
        PackageEntry::assemble(
            entry.stored,
            entry.scheme,
            entry.ranges,
            listed,
            listed_text,
        )
    }

    fn assemble(
        stored: StoredPackage,
        scheme: Scheme,
        ranges: Vec<PreparedRange>,
        mut listed: Vec<u32>,
        listed_text: Vec<String>,
    ) -> PackageEntry {
        listed.sort_unstable();
        listed.dedup();
        PackageEntry {
            stored,
            scheme,
            ranges,
            listed,
            listed_text,
        }
    }

    /// Evaluates a component version: every range it lies in, and whether it is listed.
    /// `equal` are the ids of the package's [`VersionTable`] equal to the version.
    pub(crate) fn evaluate(&self, version: &mut VersionCache<'_>, equal: &[u32]) -> Evaluation {
        let mut evaluation = Evaluation::default();
        let Some(text) = version.text() else {
            evaluation.no_version = true;
            return evaluation;
        };
        for prepared in &self.ranges {
            let Some(parsed) = version.get(prepared.range.scheme()) else {
                evaluation.unparsed.push(prepared.range.scheme());
                continue;
            };
            if let Ok(Some(affected)) = prepared.range.evaluate(parsed) {
                let (fixed, last_affected) = match affected.until {
                    Some(Bound::Fixed(fixed)) => (Some(fixed.as_str().to_string()), None),
                    Some(Bound::LastAffected(last)) => (None, Some(last.as_str().to_string())),
                    None => (None, None),
                };
                evaluation.ranges.push(RangeHit {
                    position: prepared.position,
                    kind: prepared.kind,
                    introduced: affected
                        .introduced
                        .map_or_else(|| "0".to_string(), |v| v.as_str().to_string()),
                    fixed,
                    last_affected,
                });
            }
        }
        let listed = equal.iter().any(|id| self.listed.binary_search(id).is_ok())
            || self.listed_text.iter().any(|listed| listed == text);
        if listed {
            evaluation.listed = Some(text.to_string());
        } else if !self.listed.is_empty() && version.get(self.scheme).is_none() {
            evaluation.unparsed.push(self.scheme);
        }
        evaluation
    }

    /// The release fit of the entry for a component purl.
    pub(crate) fn release_fit(&self, purl: Option<&Purl>) -> ReleaseFit {
        match purl {
            Some(purl) => release_fit(
                &self.stored.key.ecosystem,
                self.stored.release.as_deref(),
                purl,
            ),
            None => ReleaseFit::NotApplicable,
        }
    }
}

fn convert_event(event: &RecordEvent) -> RangeEvent {
    match event {
        RecordEvent::Introduced(text) => RangeEvent::Introduced(text.clone()),
        RecordEvent::Fixed(text) => RangeEvent::Fixed(text.clone()),
        RecordEvent::LastAffected(text) => RangeEvent::LastAffected(text.clone()),
        RecordEvent::Limit(text) => RangeEvent::Limit(text.clone()),
    }
}

fn event_text(event: &RangeEvent) -> &str {
    match event {
        RangeEvent::Introduced(text)
        | RangeEvent::Fixed(text)
        | RangeEvent::LastAffected(text)
        | RangeEvent::Limit(text) => text,
    }
}

/// The range interval a version lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RangeHit {
    pub position: u32,
    pub kind: RangeType,
    pub introduced: String,
    /// The `fixed` that closes the interval: the smallest fixed version above the version
    /// in this range.
    pub fixed: Option<String>,
    /// The `last_affected` that closes it instead.
    pub last_affected: Option<String>,
}

/// What evaluating one version against one affected package found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Evaluation {
    /// The ranges the version lies in.
    pub ranges: Vec<RangeHit>,
    /// The version as listed, if it is.
    pub listed: Option<String>,
    /// Schemes under which the version could not be parsed (ranges or list not evaluated).
    pub unparsed: Vec<Scheme>,
    /// The component has no version.
    pub no_version: bool,
}

impl Evaluation {
    pub(crate) fn is_affected(&self) -> bool {
        !self.ranges.is_empty() || self.listed.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `spec` is `TYPE:event:version …` words, ranges separated by `|`.
    fn entry(ecosystem: &str, spec: &str, versions: &[&str]) -> (PackageEntry, VersionTable) {
        let mut ranges = Vec::new();
        for (position, range) in spec.split('|').filter(|r| !r.trim().is_empty()).enumerate() {
            let mut words = range.split_whitespace();
            let kind = match words.next().unwrap() {
                "SEMVER" => RangeType::Semver,
                "ECOSYSTEM" => RangeType::Ecosystem,
                other => panic!("{other}"),
            };
            let events = words
                .map(|word| {
                    let (kind, version) = word.split_once(':').unwrap();
                    let version = version.to_string();
                    match kind {
                        "introduced" => RangeEvent::Introduced(version),
                        "fixed" => RangeEvent::Fixed(version),
                        "last_affected" => RangeEvent::LastAffected(version),
                        "limit" => RangeEvent::Limit(version),
                        other => panic!("{other}"),
                    }
                })
                .collect();
            ranges.push((position as u32, kind, events));
        }
        let (ecosystem_value, release) = aftercare_model::Ecosystem::from_osv(ecosystem);
        let stored = StoredPackage {
            affected: 0,
            key: PackageKey::new(ecosystem_value, "package"),
            ecosystem: ecosystem.to_string(),
            release: release.map(str::to_string),
            name: "package".to_string(),
            ranges,
            versions: versions.iter().map(|v| v.to_string()).collect(),
        };
        let mut warnings = Vec::new();
        let mut table = VersionTable::default();
        let entry = PackageEntry::prepare(stored, &mut table, &mut warnings);
        (entry, table)
    }

    fn evaluate(entry: &(PackageEntry, VersionTable), version: &str) -> Evaluation {
        let mut cache = VersionCache::new(Some(version));
        let equal = cache
            .get(entry.0.scheme)
            .map(|parsed| entry.1.equal(parsed))
            .unwrap_or_default();
        entry.0.evaluate(&mut cache, &equal)
    }

    fn check(ecosystem: &str, spec: &str, versions: &[&str], version: &str, expected: bool) {
        let entry = entry(ecosystem, spec, versions);
        assert_eq!(
            evaluate(&entry, version).is_affected(),
            expected,
            "{version} in {ecosystem} [{spec}] {versions:?}"
        );
    }

    #[test]
    fn osv_schema_semantics() {
        // Several ranges are OR-ed, events in any order, `introduced: 0`.
        let spec = "ECOSYSTEM fixed:1.2.6 introduced:1.0.0 | ECOSYSTEM introduced:0 fixed:0.2.4";
        check("npm", spec, &[], "1.2.5", true);
        check("npm", spec, &[], "1.2.6", false);
        check("npm", spec, &[], "0.2.3", true);
        check("npm", spec, &[], "0.5.0", false);
        // SEMVER ranges order by SemVer even in an ecosystem with its own scheme.
        check(
            "Maven",
            "SEMVER introduced:0 fixed:1.0.0",
            &[],
            "0.9.0",
            true,
        );
        // The listed versions alone affect.
        check("PyPI", "", &["1.0", "1.1"], "1.1", true);
        check("PyPI", "", &["1.0", "1.1"], "1.1.0", true);
        check("PyPI", "", &["1.0", "1.1"], "1.2", false);
        // last_affected and limit.
        check(
            "PyPI",
            "ECOSYSTEM introduced:0 last_affected:2.3.1",
            &[],
            "2.3.1",
            true,
        );
        check(
            "PyPI",
            "ECOSYSTEM introduced:0 last_affected:2.3.1",
            &[],
            "2.3.2",
            false,
        );
        check(
            "Go",
            "SEMVER introduced:1.0.0 limit:2.0.0",
            &[],
            "v1.5.0",
            true,
        );
        check(
            "Go",
            "SEMVER introduced:1.0.0 limit:2.0.0",
            &[],
            "v2.5.0",
            false,
        );
    }

    #[test]
    fn a_broken_bound_is_dropped_not_the_range() {
        let entry = entry(
            "crates.io",
            "SEMVER introduced:0.0.0-0 fixed:not-a-version introduced:2.0.0 fixed:2.1.0",
            &[],
        );
        assert_eq!(entry.0.ranges.len(), 1);
        assert!(evaluate(&entry, "2.0.5").is_affected());
    }

    #[test]
    fn the_fixed_version_that_closes_the_interval_is_reported() {
        let entry = entry(
            "Maven",
            "ECOSYSTEM introduced:2.13.0 fixed:2.13.2.1 | ECOSYSTEM introduced:0 fixed:2.12.6.1",
            &[],
        );
        let evaluation = evaluate(&entry, "2.10.1");
        assert_eq!(evaluation.ranges.len(), 1);
        assert_eq!(evaluation.ranges[0].position, 1);
        assert_eq!(evaluation.ranges[0].fixed.as_deref(), Some("2.12.6.1"));
        assert_eq!(evaluation.ranges[0].introduced, "0");
    }

    #[test]
    fn a_version_that_does_not_parse_is_reported() {
        let entry = entry("crates.io", "SEMVER introduced:0 fixed:1.0.0", &[]);
        let evaluation = evaluate(&entry, "one point oh");
        assert!(!evaluation.is_affected());
        assert_eq!(evaluation.unparsed, vec![Scheme::Semver]);
    }
}
