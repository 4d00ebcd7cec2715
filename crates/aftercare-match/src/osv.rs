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

use aftercare_intel::record::{AffectedPackage, RangeEvent, RangeKind};
use aftercare_model::{PackageKey, Purl};
use aftercare_version::range::{Bound, Range};
use aftercare_version::{RangeEvent as VersionEvent, Scheme, Version};

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
    /// The ranges: their position in the entry, type, and events in record order. GIT
    /// ranges and ranges of unknown type are not stored.
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
                Some((position as u32, kind, range.events.clone()))
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

/// An affected package ready to be evaluated.
#[derive(Debug, Clone)]
pub(crate) struct PackageEntry {
    pub stored: StoredPackage,
    /// The ecosystem's scheme (generic when the ecosystem is unknown).
    pub scheme: Scheme,
    pub ranges: Vec<PreparedRange>,
    /// Listed versions that parse under the ecosystem's scheme, sorted.
    pub listed: Vec<Version>,
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
        warnings: &mut Vec<PrepareWarning>,
    ) -> PackageEntry {
        let scheme = Scheme::from_osv_ecosystem(&stored.ecosystem).unwrap_or(Scheme::Generic);
        let mut ranges = Vec::with_capacity(stored.ranges.len());
        for (position, kind, events) in &stored.ranges {
            let range_scheme = match kind {
                RangeType::Semver => Scheme::Semver,
                RangeType::Ecosystem => scheme,
            };
            let converted: Vec<VersionEvent> = events.iter().map(convert_event).collect();
            let range = match Range::with_scheme(range_scheme, &converted) {
                Ok(range) => range,
                Err(_) => {
                    // Keep the bounds that parse; say which were dropped.
                    let mut kept = Vec::with_capacity(converted.len());
                    for event in converted {
                        let text = event_text(&event);
                        let parses = text == "0"
                            || (matches!(event, VersionEvent::Limit(_)) && text.contains('*'))
                            || aftercare_version::parse(range_scheme, text).is_ok();
                        if parses {
                            kept.push(event);
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
            match aftercare_version::parse(scheme, text) {
                Ok(version) => listed.push(version),
                Err(_) => listed_text.push(text.clone()),
            }
        }
        listed.sort();
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
    pub(crate) fn evaluate(&self, version: &mut VersionCache<'_>) -> Evaluation {
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
        let listed = match version.get(self.scheme) {
            Some(parsed) => self.listed.binary_search(parsed).is_ok(),
            None => false,
        } || self.listed_text.iter().any(|listed| listed == text);
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

fn convert_event(event: &RangeEvent) -> VersionEvent {
    match event {
        RangeEvent::Introduced(text) => VersionEvent::Introduced(text.clone()),
        RangeEvent::Fixed(text) => VersionEvent::Fixed(text.clone()),
        RangeEvent::LastAffected(text) => VersionEvent::LastAffected(text.clone()),
        RangeEvent::Limit(text) => VersionEvent::Limit(text.clone()),
    }
}

fn event_text(event: &VersionEvent) -> &str {
    match event {
        VersionEvent::Introduced(text)
        | VersionEvent::Fixed(text)
        | VersionEvent::LastAffected(text)
        | VersionEvent::Limit(text) => text,
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
    fn entry(ecosystem: &str, spec: &str, versions: &[&str]) -> PackageEntry {
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
        PackageEntry::prepare(stored, &mut warnings)
    }

    fn check(ecosystem: &str, spec: &str, versions: &[&str], version: &str, expected: bool) {
        let entry = entry(ecosystem, spec, versions);
        let mut cache = VersionCache::new(Some(version));
        assert_eq!(
            entry.evaluate(&mut cache).is_affected(),
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
        assert_eq!(entry.ranges.len(), 1);
        let mut cache = VersionCache::new(Some("2.0.5"));
        assert!(entry.evaluate(&mut cache).is_affected());
    }

    #[test]
    fn the_fixed_version_that_closes_the_interval_is_reported() {
        let entry = entry(
            "Maven",
            "ECOSYSTEM introduced:2.13.0 fixed:2.13.2.1 | ECOSYSTEM introduced:0 fixed:2.12.6.1",
            &[],
        );
        let mut cache = VersionCache::new(Some("2.10.1"));
        let evaluation = entry.evaluate(&mut cache);
        assert_eq!(evaluation.ranges.len(), 1);
        assert_eq!(evaluation.ranges[0].position, 1);
        assert_eq!(evaluation.ranges[0].fixed.as_deref(), Some("2.12.6.1"));
        assert_eq!(evaluation.ranges[0].introduced, "0");
    }

    #[test]
    fn a_version_that_does_not_parse_is_reported() {
        let entry = entry("crates.io", "SEMVER introduced:0 fixed:1.0.0", &[]);
        let mut cache = VersionCache::new(Some("one point oh"));
        let evaluation = entry.evaluate(&mut cache);
        assert!(!evaluation.is_affected());
        assert_eq!(evaluation.unparsed, vec![Scheme::Semver]);
    }
}
