//! The OSV records of the shared data, checked against this crate's range evaluation.
//!
//! For every `affected[]` entry of a supported ecosystem:
//! - every version of its `versions` list must lie in at least one of its `SEMVER` or
//!   `ECOSYSTEM` ranges (when it has any), because osv.dev generates those lists from the
//!   ranges with the ecosystem's own ordering;
//! - no `fixed` version may be inside the range that names it.
//!
//! Versions that fail to parse are collected per ecosystem. Both kinds of finding must be
//! listed below with a reason, and a listed finding that no longer occurs fails too, so
//! the lists stay true.

use std::collections::{BTreeMap, BTreeSet};

use aftercare_version::range::{Event, Range};
use aftercare_version::{RangeEvent, RangeType, Scheme, Version, parse};
use serde_json::Value;

/// Bitnami (and two PyPA records) write consecutive affected releases as one interval
/// each: `introduced 8.5.0, fixed 8.5.1, introduced 8.5.1, fixed 8.5.2, …`. OSV's
/// evaluation (a stable sort keeps `fixed X` before `introduced X`) reopens the range at
/// X, which is what the advisories say (tomcat 8.5.0 to 8.5.56 are affected), so such a
/// fixed version is affected on purpose. These records are accepted as a whole.
const REINTRODUCED: &str = "fixed version introduced again at the same version";
const FIXED_INSIDE: &str = "fixed version inside its range";
const LISTED_OUTSIDE: &str = "listed version outside every range";

/// Records whose data contradicts itself, each investigated:
/// (record id, version or `*` for all of the record's findings of that kind, kind, why).
const ACCEPTED_EXCEPTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "BIT-apache-2021-42013",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-magento-2021-28584",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-moodle-2023-28335",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-redmine-2021-37156",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-tomcat-2020-13943",
        "*",
        REINTRODUCED,
        "one interval per release, 8.5.0 to 8.5.57",
    ),
    (
        "BIT-tomcat-2021-30639",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-varnish-2022-38150",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-vault-2021-3282",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "BIT-wildfly-2020-27822",
        "*",
        REINTRODUCED,
        "one interval per release",
    ),
    (
        "PYSEC-2022-236",
        "3.1.1",
        REINTRODUCED,
        "`fixed 3.1.1` and `introduced 3.1.1` (to 3.1.3): the versions list has 3.1.1 too",
    ),
    (
        "PYSEC-2023-72",
        "3.1.1",
        REINTRODUCED,
        "`fixed 3.1.1` and `introduced 3.1.1` (to 3.2.0): the versions list has 3.1.1 too",
    ),
    (
        "PYSEC-2021-114",
        "2.11.6",
        LISTED_OUTSIDE,
        "overlapping intervals [0, 2.11.6) and [2.11, 2.11.7) in one events list: OSV's walk \
         closes at 2.11.6, the versions list (enumerated per interval) keeps it; upstream \
         should split the range",
    ),
    (
        "PYSEC-2023-177",
        "23.9.0",
        LISTED_OUTSIDE,
        "the versions list holds the fixed version 23.9.0 itself: stale upstream list",
    ),
    (
        "PYSEC-2023-177",
        "23.9.0.post1",
        LISTED_OUTSIDE,
        "a post-release of the fixed version 23.9.0: stale upstream list",
    ),
    (
        "PYSEC-2023-61",
        "*",
        LISTED_OUTSIDE,
        "pre-releases 3.2a1…3.2rc1 and 4.2a1…4.2rc1 are listed but sort before `introduced` \
         3.2 and 4.2 under PEP 440; the list means the series, the range says otherwise",
    ),
    (
        "GSD-2022-1000008",
        "*",
        LISTED_OUTSIDE,
        "Dependency-Track parser fixture: its ranges and versions are made up independently",
    ),
];

/// Versions that do not parse in the scheme they were checked with, each investigated:
/// (ecosystem, version, why).
const ACCEPTED_PARSE_FAILURES: &[(&str, &str, &str)] = &[
    (
        "Maven",
        "1.0.0.RELEASE",
        "Dependency-Track fixture with a SEMVER range on a Maven package: not SemVer, \
         parses as Maven for the package's ECOSYSTEM range",
    ),
    (
        "Maven",
        "2.0.9.RELEASE",
        "Dependency-Track fixture with a SEMVER range on a Maven package: not SemVer, \
         parses as Maven for the package's ECOSYSTEM range",
    ),
];

#[derive(Default)]
struct Report {
    records: usize,
    entries: usize,
    unsupported: BTreeMap<String, usize>,
    ranges: usize,
    versions_checked: usize,
    fixed_checked: usize,
    exceptions: BTreeSet<(String, String, &'static str)>,
    parse_failures: BTreeMap<(String, String), usize>,
    parsed_per_ecosystem: BTreeMap<String, usize>,
}

impl Report {
    fn parse(&mut self, ecosystem: &str, scheme: Scheme, text: &str) -> Option<Version> {
        *self
            .parsed_per_ecosystem
            .entry(ecosystem.to_owned())
            .or_default() += 1;
        match parse(scheme, text) {
            Ok(version) => Some(version),
            Err(_) => {
                *self
                    .parse_failures
                    .entry((ecosystem.to_owned(), text.to_owned()))
                    .or_default() += 1;
                None
            }
        }
    }
}

fn events(range: &Value) -> Vec<RangeEvent> {
    let mut events = Vec::new();
    for event in range["events"].as_array().into_iter().flatten() {
        let Some(object) = event.as_object() else {
            continue;
        };
        for (kind, version) in object {
            let Some(version) = version.as_str() else {
                continue;
            };
            let version = version.to_owned();
            events.push(match kind.as_str() {
                "introduced" => RangeEvent::Introduced(version),
                "fixed" => RangeEvent::Fixed(version),
                "last_affected" => RangeEvent::LastAffected(version),
                "limit" => RangeEvent::Limit(version),
                _ => continue,
            });
        }
    }
    events
}

fn check_entry(report: &mut Report, id: &str, affected: &Value) {
    let Some(ecosystem) = affected["package"]["ecosystem"].as_str() else {
        return;
    };
    report.entries += 1;
    let Some(ecosystem_scheme) = Scheme::from_osv_ecosystem(ecosystem) else {
        *report.unsupported.entry(ecosystem.to_owned()).or_default() += 1;
        return;
    };
    let mut ranges = Vec::new();
    for range in affected["ranges"].as_array().into_iter().flatten() {
        let Some(range_type) = range["type"].as_str().and_then(RangeType::from_osv) else {
            continue;
        };
        let Ok(scheme) = range_type.scheme(ecosystem_scheme) else {
            continue; // GIT ranges are resolved on the repository, not here.
        };
        let events = events(range);
        // Count each event version that does not parse, then build what does.
        let mut parsable = Vec::new();
        for event in events {
            let text = match &event {
                RangeEvent::Introduced(text) if text == "0" => None,
                RangeEvent::Limit(text) if text.contains('*') => None,
                RangeEvent::Introduced(text)
                | RangeEvent::Fixed(text)
                | RangeEvent::LastAffected(text)
                | RangeEvent::Limit(text) => Some(text.clone()),
            };
            match text {
                Some(text) if report.parse(ecosystem, scheme, &text).is_none() => {}
                _ => parsable.push(event),
            }
        }
        match Range::with_scheme(scheme, &parsable) {
            Ok(range) => ranges.push(range),
            Err(error) => panic!("{id}: a range of parsed events was refused: {error}"),
        }
    }
    report.ranges += ranges.len();

    // No fixed version lies inside its own range.
    for range in &ranges {
        for fixed in range.fixed() {
            report.fixed_checked += 1;
            if range.contains(fixed).unwrap_or(false) {
                let reintroduced = range
                    .events()
                    .iter()
                    .any(|event| matches!(event, Event::Introduced(Some(start)) if start == fixed));
                let kind = if reintroduced {
                    REINTRODUCED
                } else {
                    FIXED_INSIDE
                };
                report
                    .exceptions
                    .insert((id.to_owned(), fixed.as_str().to_owned(), kind));
            }
        }
    }

    // Every listed version lies in some range.
    let versions: Vec<&str> = affected["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if ranges.is_empty() {
        for version in versions {
            report.parse(ecosystem, ecosystem_scheme, version);
        }
        return;
    }
    for version in versions {
        let mut inside = false;
        let mut parsed_any = false;
        let schemes: BTreeSet<Scheme> = ranges.iter().map(Range::scheme).collect();
        for scheme in schemes {
            let Some(parsed) = report.parse(ecosystem, scheme, version) else {
                continue;
            };
            parsed_any = true;
            inside |= ranges
                .iter()
                .filter(|range| range.scheme() == scheme)
                .any(|range| range.contains(&parsed).unwrap_or(false));
        }
        if parsed_any {
            report.versions_checked += 1;
            if !inside {
                report
                    .exceptions
                    .insert((id.to_owned(), version.to_owned(), LISTED_OUTSIDE));
            }
        }
    }
}

fn read_all() -> Report {
    let mut report = Report::default();
    for zip in aftercare_testdata::zips_in("osv") {
        for entry in aftercare_testdata::zip_entries(&zip) {
            if !entry.name.ends_with(".json") {
                continue;
            }
            let record: Value = serde_json::from_slice(&entry.bytes)
                .unwrap_or_else(|error| panic!("{zip}!{}: {error}", entry.name));
            report.records += 1;
            let id = record["id"].as_str().unwrap_or(&entry.name).to_owned();
            for affected in record["affected"].as_array().into_iter().flatten() {
                check_entry(&mut report, &id, affected);
            }
        }
    }
    report
}

#[test]
fn osv_ranges_agree_with_their_versions_lists() {
    let report = read_all();
    println!(
        "records {}, affected entries {}, ranges {}, versions checked {}, fixed checked {}",
        report.records,
        report.entries,
        report.ranges,
        report.versions_checked,
        report.fixed_checked
    );
    println!("unsupported ecosystems: {:?}", report.unsupported);
    println!(
        "versions parsed per ecosystem: {:?}",
        report.parsed_per_ecosystem
    );
    let mut failures_per_ecosystem: BTreeMap<&str, usize> = BTreeMap::new();
    for ((ecosystem, _), count) in &report.parse_failures {
        *failures_per_ecosystem.entry(ecosystem).or_default() += count;
    }
    println!("parse failures per ecosystem: {failures_per_ecosystem:?}");
    for ((ecosystem, version), count) in &report.parse_failures {
        println!("  parse failure {ecosystem} {version:?} x{count}");
    }
    for (id, version, kind) in &report.exceptions {
        println!("  exception {id} {version:?}: {kind}");
    }
    println!(
        "exceptions: {} (all accepted below)",
        report.exceptions.len()
    );

    assert!(
        report.records > 16_000,
        "the shared OSV data was not all read"
    );
    assert!(
        report.versions_checked > 100_000,
        "too few versions checked"
    );
    assert!(
        report.fixed_checked > 10_000,
        "too few fixed versions checked"
    );

    let accepts = |accepted: &(&str, &str, &str, &str), found: &(String, String, &str)| {
        accepted.0 == found.0
            && (accepted.1 == "*" || accepted.1 == found.1)
            && accepted.2 == found.2
    };
    let unexpected: Vec<_> = report
        .exceptions
        .iter()
        .filter(|found| {
            !ACCEPTED_EXCEPTIONS
                .iter()
                .any(|accepted| accepts(accepted, found))
        })
        .collect();
    let stale: Vec<_> = ACCEPTED_EXCEPTIONS
        .iter()
        .filter(|accepted| {
            !report
                .exceptions
                .iter()
                .any(|found| accepts(accepted, found))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexplained exceptions: {unexpected:?}"
    );
    assert!(
        stale.is_empty(),
        "accepted exceptions that no longer occur: {stale:?}"
    );

    let failed: BTreeSet<(&str, &str)> = report
        .parse_failures
        .keys()
        .map(|(ecosystem, version)| (ecosystem.as_str(), version.as_str()))
        .collect();
    let accepted: BTreeSet<(&str, &str)> = ACCEPTED_PARSE_FAILURES
        .iter()
        .map(|(ecosystem, version, _)| (*ecosystem, *version))
        .collect();
    let unexpected: Vec<_> = failed.difference(&accepted).collect();
    let stale: Vec<_> = accepted.difference(&failed).collect();
    assert!(
        unexpected.is_empty(),
        "unexplained parse failures: {unexpected:?}"
    );
    assert!(
        stale.is_empty(),
        "accepted parse failures that no longer occur: {stale:?}"
    );
}
