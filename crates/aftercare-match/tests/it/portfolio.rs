//! The incremental portfolio match must equal a full match from scratch after any batch of
//! record changes, and its delta must be exactly the difference.

use std::collections::{BTreeMap, BTreeSet};

use aftercare_intel::Record;
use aftercare_intel::record::RangeEvent;
use aftercare_match::{Component, Index, Portfolio, RecordChange, RecordKey};
use aftercare_model::{PackageKey, VulnerabilityId};

use crate::common::osv_records;

/// Every (component, vulnerability) → the sorted record ids of its reasons.
fn state(portfolio: &Portfolio) -> BTreeMap<(Component, String), Vec<String>> {
    let mut out = BTreeMap::new();
    for position in 0..portfolio.len() {
        let identity = aftercare_match::Identity(position as u32);
        let component = portfolio.component(identity).unwrap().clone();
        for (vulnerability, reasons) in portfolio.findings(identity) {
            let mut records: Vec<String> = reasons
                .iter()
                .map(|reason| format!("{} {:?}", reason.record, reason.matched))
                .collect();
            records.sort();
            out.insert((component.clone(), vulnerability.to_string()), records);
        }
    }
    out
}

/// Components: packages of the records at versions inside and outside their ranges.
fn components(records: &[Record]) -> Vec<Component> {
    let mut out = Vec::new();
    for record in records.iter().step_by(7) {
        for package in &record.packages {
            let Some(key) = &package.key else {
                continue;
            };
            let mut versions: Vec<&str> = package
                .versions
                .iter()
                .map(String::as_str)
                .take(2)
                .collect();
            for range in &package.ranges {
                for event in &range.events {
                    match event {
                        RangeEvent::Introduced(v)
                        | RangeEvent::Fixed(v)
                        | RangeEvent::LastAffected(v)
                            if v != "0" =>
                        {
                            versions.push(v)
                        }
                        _ => {}
                    }
                }
            }
            for version in versions.into_iter().take(4) {
                out.push(Component::from_package(key.clone(), Some(version)));
            }
        }
    }
    out
}

fn fresh(records: &BTreeMap<RecordKey, Record>, components: &[Component]) -> (Index, Portfolio) {
    let index = Index::build(records.values().cloned());
    let mut portfolio = Portfolio::new();
    for component in components {
        portfolio.add(component.clone(), &[]);
    }
    portfolio.match_all(&index);
    (index, portfolio)
}

#[test]
fn incremental_changes_equal_a_full_rematch() {
    // PyPI and crates.io records: aliases across GHSA, PYSEC, RUSTSEC and CVE ids.
    let mut records: BTreeMap<RecordKey, Record> = BTreeMap::new();
    for record in osv_records() {
        let pypi_or_crates = record.packages.iter().any(|package| {
            package.key.as_ref().is_some_and(|key| {
                matches!(
                    key.ecosystem,
                    aftercare_model::Ecosystem::PyPI | aftercare_model::Ecosystem::CratesIo
                )
            })
        });
        if pypi_or_crates {
            records.insert(RecordKey::of(record), record.clone());
        }
    }
    let all: Vec<Record> = records.values().cloned().collect();
    let components = components(&all);
    assert!(components.len() > 1000, "{}", components.len());
    let (mut index, mut portfolio) = fresh(&records, &components);
    let first = state(&portfolio);
    assert!(first.len() > 500, "{}", first.len());

    // A batch of changes of every kind.
    let mut changes = Vec::new();
    let keys: Vec<RecordKey> = records.keys().cloned().collect();
    // Removed records.
    for key in keys.iter().step_by(97).take(10) {
        records.remove(key);
        changes.push(RecordChange::Remove(key.clone()));
    }
    // Records whose ranges changed: every fixed version dropped (the range opens up).
    for key in keys.iter().skip(3).step_by(89).take(10) {
        if let Some(record) = records.get_mut(key) {
            for package in &mut record.packages {
                for range in &mut package.ranges {
                    range
                        .events
                        .retain(|event| !matches!(event, RangeEvent::Fixed(_)));
                }
            }
            changes.push(RecordChange::Upsert(Box::new(record.clone())));
        }
    }
    // Records withdrawn.
    for key in keys.iter().skip(5).step_by(101).take(5) {
        if let Some(record) = records.get_mut(key) {
            record.withdrawn = Some(aftercare_intel::record::Withdrawn {
                at: None,
                reason: None,
            });
            changes.push(RecordChange::Upsert(Box::new(record.clone())));
        }
    }
    // Alias changes: two non-CVE records join (a rename), a GHSA gains a new CVE.
    let non_cve: Vec<RecordKey> = keys
        .iter()
        .filter(|key| records.contains_key(key) && !key.id.is_cve())
        .skip(11)
        .step_by(53)
        .take(6)
        .cloned()
        .collect();
    for pair in non_cve.chunks(2) {
        if let [a, b] = pair {
            let b_id = b.id.clone();
            if let Some(record) = records.get_mut(a) {
                record.aliases.push(b_id);
                record.aliases.sort();
                changes.push(RecordChange::Upsert(Box::new(record.clone())));
            }
        }
    }
    // A matched vulnerability without a CVE gains one: it is renamed.
    let renamed = (0..portfolio.len())
        .flat_map(|position| {
            portfolio
                .findings(aftercare_match::Identity(position as u32))
                .filter(|(id, _)| !id.is_cve())
                .flat_map(|(_, reasons)| reasons.iter().map(|reason| reason.record.clone()))
                .collect::<Vec<_>>()
        })
        .find(|key| {
            records.contains_key(key)
                && !changes.iter().any(|change| match change {
                    RecordChange::Upsert(record) => RecordKey::of(record) == *key,
                    RecordChange::Remove(removed) => removed == key,
                })
        })
        .expect("a matched vulnerability without a CVE");
    if let Some(record) = records.get_mut(&renamed) {
        record
            .aliases
            .push("CVE-2099-0001".parse::<VulnerabilityId>().unwrap());
        changes.push(RecordChange::Upsert(Box::new(record.clone())));
    }
    // A new record about a package of the portfolio.
    let package: &PackageKey = components[0].package.as_ref().unwrap();
    let new = format!(
        r#"{{"id": "GHSA-zzzz-zzzz-zzzz", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-0002"],
            "database_specific": {{"severity": "HIGH"}},
            "affected": [{{"package": {{"ecosystem": "{}", "name": "{}"}},
                          "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}]}}]}}]}}"#,
        package.ecosystem.osv_name(),
        package.name
    );
    let new = aftercare_intel::read_document("new.json", new.as_bytes())
        .unwrap()
        .into_records()
        .remove(0);
    records.insert(RecordKey::of(&new), new.clone());
    changes.push(RecordChange::Upsert(Box::new(new)));

    let delta = portfolio.apply(&mut index, changes);
    let incremental = state(&portfolio);
    let (rebuilt, full) = fresh(&records, &components);
    let expected = state(&full);
    assert_eq!(incremental.len(), expected.len());
    assert!(
        incremental == expected,
        "the incremental state differs from a full re-match"
    );

    // The delta is exactly the difference of the pair sets.
    let pairs =
        |state: &BTreeMap<(Component, String), Vec<String>>| -> BTreeSet<(Component, String)> {
            state.keys().cloned().collect()
        };
    let (before, after) = (pairs(&first), pairs(&incremental));
    let named = |list: &[aftercare_match::Pair]| -> BTreeSet<(Component, String)> {
        list.iter()
            .map(|pair| {
                (
                    portfolio.component(pair.identity).unwrap().clone(),
                    pair.vulnerability.to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        named(&delta.appeared),
        after.difference(&before).cloned().collect()
    );
    assert_eq!(
        named(&delta.disappeared),
        before.difference(&after).cloned().collect()
    );
    assert!(!delta.appeared.is_empty() && !delta.disappeared.is_empty());
    assert!(
        delta
            .renamed
            .iter()
            .any(|(_, new)| new.as_str() == "CVE-2099-0001"),
        "{:?}",
        delta.renamed
    );

    // Vulnerabilities (ids, records, severity) equal the rebuilt index's.
    let mut ours: Vec<_> = index
        .vulnerabilities()
        .map(|v| (v.id.clone(), v.clone()))
        .collect();
    let mut theirs: Vec<_> = rebuilt
        .vulnerabilities()
        .map(|v| (v.id.clone(), v.clone()))
        .collect();
    ours.sort_by(|a, b| a.0.cmp(&b.0));
    theirs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(ours.len(), theirs.len());
    for ((id, a), (_, b)) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "{id}");
    }
}

#[test]
fn new_components_are_matched_at_once() {
    let records: BTreeMap<RecordKey, Record> = osv_records()
        .iter()
        .take(2000)
        .map(|record| (RecordKey::of(record), record.clone()))
        .collect();
    let all: Vec<Record> = records.values().cloned().collect();
    let components = components(&all);
    let index = Index::build(all);
    let mut portfolio = Portfolio::new();
    let (first, second) = components.split_at(components.len() / 2);
    for component in first {
        portfolio.add(component.clone(), &[]);
    }
    let one = portfolio.match_pending(&index);
    for component in second {
        portfolio.add(component.clone(), &[]);
    }
    // Adding an identical component again does not create an identity.
    let before = portfolio.len();
    portfolio.add(first[0].clone(), &[]);
    assert_eq!(portfolio.len(), before);
    let two = portfolio.match_pending(&index);
    assert!(two.disappeared.is_empty());
    let (_, full) = fresh(&records, &components);
    assert_eq!(one.appeared.len() + two.appeared.len(), full.pair_count());
    assert!(state(&portfolio) == state(&full));
}
