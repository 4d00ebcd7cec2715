//! The alias merge on the real data: CVEs that several sources describe resolve to one
//! vulnerability with every record attached, and no vulnerability holds two CVE ids.

use std::collections::{BTreeMap, BTreeSet};

use aftercare_intel::alias::{self, AliasEntry, AliasGraph, Change, Vulnerability};
use aftercare_intel::{Content, Record};
use aftercare_model::VulnerabilityId;

use crate::common::read;

/// A record's key: source, document, id.
type Key = (String, String, String);

fn key(document: &str, record: &Record) -> Key {
    (
        record.source.as_str().to_string(),
        document.to_string(),
        record.id.to_string(),
    )
}

/// Every record of the real data, keyed.
fn all_records() -> Vec<(Key, Record)> {
    let mut out = Vec::new();
    for source in [
        "osv",
        "nvd",
        "cve5",
        "csaf/cisa-icsma",
        "csaf/cisa-csaf-icsa-va.zip",
        "csaf/redhat-csaf.zip",
        "csaf/siemens",
        "csaf/oasis-csaf-2.0/examples",
    ] {
        for document in read(source).documents {
            let name = document.name.clone();
            for record in document.into_records() {
                out.push((key(&name, &record), record));
            }
        }
    }
    out
}

fn id(text: &str) -> VulnerabilityId {
    text.parse().unwrap()
}

/// The record ids of a vulnerability, as `source:id`, sorted and deduplicated.
fn members(group: &Vulnerability<Key>) -> BTreeSet<String> {
    group
        .records
        .iter()
        .map(|(source, _, id)| format!("{source}:{id}"))
        .collect()
}

fn check(groups: &BTreeMap<VulnerabilityId, Vulnerability<Key>>, cve: &str, expected: &[&str]) {
    let group = groups
        .get(&id(cve))
        .unwrap_or_else(|| panic!("no vulnerability {cve}"));
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(members(group), expected, "{cve}");
}

#[test]
fn real_overlaps_merge_and_cves_never_do() {
    let records = all_records();
    let entries: Vec<AliasEntry<Key>> = records
        .iter()
        .map(|(key, record)| AliasEntry::from_record(key.clone(), record))
        .collect();
    let groups: BTreeMap<VulnerabilityId, Vulnerability<Key>> = alias::merge(entries.clone())
        .into_iter()
        .map(|group| (group.canonical.clone(), group))
        .collect();

    // The firm rule over the whole data set.
    for group in groups.values() {
        let cves = group.ids.iter().filter(|id| id.is_cve()).count();
        assert!(cves <= 1, "{} merges {:?}", group.canonical, group.ids);
        assert_eq!(group.canonical.is_cve(), cves == 1, "{}", group.canonical);
    }

    // PyPA + Bitnami + CVE 5 (and KEV, below) on the Airflow CVE.
    check(
        &groups,
        "CVE-2020-13927",
        &[
            "cve5:CVE-2020-13927",
            "osv:BIT-AIRFLOW-2020-13927",
            "osv:PYSEC-2020-18",
        ],
    );
    let airflow = &groups[&id("CVE-2020-13927")];
    assert!(
        airflow.ids.contains(&id("GHSA-hhx9-p69v-cx2j")),
        "{:?}",
        airflow.ids
    );
    // NVD API 2.0 (four copies in the test suites), the JSON Lines file, the 1.1 feed and PyPA.
    check(
        &groups,
        "CVE-2022-34668",
        &[
            "nvd-1.1:CVE-2022-34668",
            "nvd:CVE-2022-34668",
            "osv:PYSEC-2022-257",
        ],
    );
    // A medical device: NVD (fkie-cad mirror and JSON Lines) and CISA's ICSMA advisory.
    check(
        &groups,
        "CVE-2022-40263",
        &["csaf:ICSMA-22-277-01", "nvd:CVE-2022-40263"],
    );
    // HTTP/2 Rapid Reset: 13 Bitnami records, 3 CISA advisories, Red Hat, CVE 5.
    let rapid_reset = &groups[&id("CVE-2023-44487")];
    let sources: BTreeSet<&str> = rapid_reset
        .records
        .iter()
        .map(|(source, _, _)| source.as_str())
        .collect();
    assert_eq!(sources, BTreeSet::from(["csaf", "cve5", "osv"]));
    assert_eq!(
        rapid_reset
            .records
            .iter()
            .filter(|(s, _, _)| s == "osv")
            .count(),
        13
    );
    for advisory in [
        "ICSA-23-348-10",
        "ICSA-24-074-05",
        "ICSA-24-228-06",
        "RHSA-2023:5835",
    ] {
        assert!(
            members(rapid_reset).contains(&format!("csaf:{advisory}")),
            "{advisory}"
        );
    }
    // An advisory about 404 CVEs attaches to each of them and merges none.
    let big = records
        .iter()
        .find(|(_, r)| r.id.as_str() == "ICSA-23-348-10")
        .map(|(k, _)| k)
        .unwrap();
    let attached = groups.values().filter(|g| g.records.contains(big)).count();
    assert_eq!(attached, 404);
    // Go + Bitnami + NVD + the GHSA alias, all on one CVE.
    check(
        &groups,
        "CVE-2026-20912",
        &[
            "nvd:CVE-2026-20912",
            "osv:BIT-GITEA-2026-20912",
            "osv:GO-2026-4364",
        ],
    );

    // KEV enriches by CVE: its entries name the merged vulnerabilities directly.
    let kev = crate::common::file("kev/known_exploited_vulnerabilities.json");
    let Content::Kev(catalog) = kev.content else {
        panic!()
    };
    for cve in ["CVE-2020-13927", "CVE-2023-44487"] {
        assert!(
            catalog.entries.iter().any(|entry| entry.cve == id(cve)),
            "{cve} in KEV"
        );
        assert!(groups.contains_key(&id(cve)));
    }

    // The incremental path agrees with the full merge: apply the records in batches.
    let mut graph = AliasGraph::new();
    let mut current: BTreeMap<VulnerabilityId, Vulnerability<Key>> = BTreeMap::new();
    for batch in entries.chunks(997) {
        let delta = graph.apply(batch.iter().cloned().map(Change::Upsert));
        for removed in delta.removed {
            current.remove(&removed);
        }
        for group in delta.changed {
            current.insert(group.canonical.clone(), group);
        }
    }
    assert_eq!(current.len(), groups.len());
    assert!(current == groups, "incremental and full merge differ");
}
