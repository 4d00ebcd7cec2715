//! Every OSV record of the shared data, through the matcher: for a component of each affected
//! package, every version its `versions` list enumerates must match the record, and every
//! `fixed` version of its ranges must not.
//!
//! osv.dev generates the `versions` lists from the ranges with the ecosystem's own ordering,
//! so a listed version the matcher misses is a matcher bug or an upstream inconsistency;
//! either way it is listed below with a reason (the version crate's real-data test found the
//! same upstream inconsistencies range by range). A listed exception that no longer occurs
//! fails the test too, so the list stays true.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aftercare_intel::record::{RangeEvent, RangeKind};
use aftercare_match::{Component, Matched, RecordKey};

use crate::common::{osv_index, osv_records};

const LISTED_MISSED: &str = "listed version not matched";
const FIXED_MATCHED: &str = "fixed version inside its own entry's ranges";
const FIXED_LISTED: &str = "fixed version enumerated by its own entry's versions list";

/// Records whose data contradicts itself, each investigated:
/// (record id, version or `*` for all of the record's findings of that kind, kind, why).
const ACCEPTED: &[(&str, &str, &str, &str)] = &[
    // Bitnami writes consecutive affected releases as one interval each (`introduced 8.5.0,
    // fixed 8.5.1, introduced 8.5.1, …`): OSV's stable sort reopens the range at the fixed
    // version, which is what the advisories mean. The fixed versions are affected.
    (
        "BIT-APACHE-2021-42013",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-MAGENTO-2021-28584",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-MOODLE-2023-28335",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-REDMINE-2021-37156",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-TOMCAT-2020-13943",
        "*",
        FIXED_MATCHED,
        "one interval per release, 8.5.0 to 8.5.57",
    ),
    (
        "BIT-TOMCAT-2021-30639",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-VARNISH-2022-38150",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-VAULT-2021-3282",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    (
        "BIT-WILDFLY-2020-27822",
        "*",
        FIXED_MATCHED,
        "one interval per release",
    ),
    // A second range of the same entry marks the fixed version itself as affected
    // (`introduced X, last_affected X`): the record says so explicitly.
    (
        "BIT-POWERSHELL-2020-0951",
        "7.0.8",
        FIXED_MATCHED,
        "range 2 is exactly [7.0.8, 7.0.8]",
    ),
    (
        "BIT-SOLR-2026-44825",
        "10.0.0",
        FIXED_MATCHED,
        "range 2 is exactly [10.0.0, 10.0.0]",
    ),
    // The entry's versions list enumerates its own fixed version: OSV ORs ranges and list,
    // so the record says the version is affected; upstream list and range disagree.
    (
        "PYSEC-2021-114",
        "2.11.6",
        FIXED_LISTED,
        "overlapping intervals [0, 2.11.6) and [2.11, 2.11.7) in one events list: OSV's walk \
         closes at 2.11.6, the versions list (enumerated per interval) keeps it",
    ),
    (
        "PYSEC-2022-236",
        "3.1.1",
        FIXED_LISTED,
        "`fixed 3.1.1` and `introduced 3.1.1` (to 3.1.3): the versions list has 3.1.1 too",
    ),
    (
        "PYSEC-2023-72",
        "3.1.1",
        FIXED_LISTED,
        "`fixed 3.1.1` and `introduced 3.1.1` (to 3.2.0): the versions list has 3.1.1 too",
    ),
    (
        "PYSEC-2023-177",
        "23.9.0",
        FIXED_LISTED,
        "the versions list holds the fixed version 23.9.0 itself: stale upstream list",
    ),
];

#[derive(Default)]
struct Report {
    records: usize,
    duplicates: usize,
    withdrawn: usize,
    entries: usize,
    listed_checked: usize,
    fixed_checked: usize,
    per_ecosystem: BTreeMap<String, (usize, usize)>,
    found: BTreeSet<(String, String, &'static str)>,
}

#[test]
fn listed_versions_match_and_fixed_versions_do_not() {
    let index = osv_index();
    let mut report = Report::default();
    let mut seen: HashMap<RecordKey, usize> = HashMap::new();
    for record in osv_records() {
        *seen.entry(RecordKey::of(record)).or_default() += 1;
    }
    for record in osv_records() {
        report.records += 1;
        let key = RecordKey::of(record);
        if seen.get(&key).copied().unwrap_or(0) > 1 {
            // Four ids occur twice: trustify's and Dependency-Track's fixtures copy real
            // records (RUSTSEC-2022-0022, GO-2022-0470) or reuse ids for test variants
            // (GHSA-77rv-6vfw-x4gc, GSD-2022-1000008). The index keeps one copy (the most
            // recently modified), so neither copy is checked against it here.
            report.duplicates += 1;
            continue;
        }
        if record.is_withdrawn() {
            report.withdrawn += 1;
            continue;
        }
        let id = record.id.as_str().to_string();
        for (position, package) in record.packages.iter().enumerate() {
            let Some(package_key) = &package.key else {
                continue;
            };
            report.entries += 1;
            let counts = report
                .per_ecosystem
                .entry(package_key.ecosystem.osv_name().to_string())
                .or_default();
            // Whether this entry (not another entry of the record) matches the version.
            let matches = |version: &str| {
                let component = Component::from_package(package_key.clone(), Some(version));
                index
                    .reasons_of_record(&key, &component, &[])
                    .reasons
                    .iter()
                    .any(|reason| match &reason.matched {
                        Matched::Range { affected, .. } | Matched::Listed { affected, .. } => {
                            *affected as usize == position
                        }
                        _ => false,
                    })
            };
            for version in &package.versions {
                report.listed_checked += 1;
                counts.0 += 1;
                if !matches(version) {
                    report
                        .found
                        .insert((id.clone(), version.clone(), LISTED_MISSED));
                }
            }
            for range in &package.ranges {
                if !matches!(range.kind, RangeKind::Semver | RangeKind::Ecosystem) {
                    continue;
                }
                for event in &range.events {
                    let RangeEvent::Fixed(fixed) = event else {
                        continue;
                    };
                    report.fixed_checked += 1;
                    counts.1 += 1;
                    if matches(fixed) {
                        let kind = if package.versions.contains(fixed) {
                            FIXED_LISTED
                        } else {
                            FIXED_MATCHED
                        };
                        report.found.insert((id.clone(), fixed.clone(), kind));
                    }
                }
            }
        }
    }
    println!(
        "records {}, duplicates {}, withdrawn {}, affected entries {}, listed versions {}, fixed versions {}",
        report.records,
        report.duplicates,
        report.withdrawn,
        report.entries,
        report.listed_checked,
        report.fixed_checked
    );
    println!("(listed, fixed) per ecosystem: {:?}", report.per_ecosystem);
    for (id, version, kind) in &report.found {
        println!("  exception {id} {version:?}: {kind}");
    }
    assert!(
        report.records > 16_000,
        "the shared OSV data was not all read"
    );
    assert!(
        report.listed_checked > 100_000,
        "too few listed versions checked"
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
        .found
        .iter()
        .filter(|found| !ACCEPTED.iter().any(|accepted| accepts(accepted, found)))
        .collect();
    let stale: Vec<_> = ACCEPTED
        .iter()
        .filter(|accepted| !report.found.iter().any(|found| accepts(accepted, found)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexplained exceptions: {unexpected:#?}"
    );
    assert!(
        stale.is_empty(),
        "accepted exceptions that no longer occur: {stale:#?}"
    );
}
