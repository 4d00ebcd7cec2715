//! Every real document of the shared data is read, and the records per source are checked
//! against an independent count of the raw files (zip members, JSON array lengths) made
//! with serde_json values, not with the readers.

use std::io::Read;

use aftercare_intel::{Content, Format, Source};

use crate::common::{json, read};

/// The records a raw NVD API 2.0 JSON value holds.
fn nvd_count(value: &serde_json::Value) -> usize {
    match value.get("vulnerabilities") {
        Some(items) => items.as_array().map_or(0, Vec::len),
        None => 1,
    }
}

#[test]
fn osv_zips_one_record_per_json_member() {
    let mut total = 0;
    for zip in aftercare_testdata::zips_in("osv") {
        let entries = aftercare_testdata::zip_entries(&zip);
        // Independent count: members that are a JSON object with an `id`.
        let expected = entries
            .iter()
            .filter(|entry| {
                serde_json::from_slice::<serde_json::Value>(&entry.bytes)
                    .is_ok_and(|value| value.get("id").is_some())
            })
            .count();
        let batch = read(&zip);
        let records: Vec<_> = batch.records().collect();
        assert_eq!(records.len(), expected, "{zip}");
        assert!(
            records.iter().all(|record| record.source == Source::Osv),
            "{zip}"
        );
        total += records.len();
    }
    // The shared data README lists the record counts per ecosystem; 16,879 in all, of which
    // 46 are JSON in GHSA-and-fixtures.zip (two more members are YAML).
    assert_eq!(total, 16_879);
}

#[test]
fn nvd_files_pages_items_and_bare_objects() {
    let entries = aftercare_testdata::zip_entries("nvd/nvd-api-2.0-files.zip");
    let expected: usize = entries
        .iter()
        .map(|entry| nvd_count(&json(&entry.bytes)))
        .sum();
    let batch = read("nvd/nvd-api-2.0-files.zip");
    assert_eq!(batch.documents.len(), entries.len());
    assert!(
        batch
            .documents
            .iter()
            .all(|document| document.format == Format::Nvd)
    );
    assert_eq!(batch.records().count(), expected);
    assert!(batch.warnings.is_empty(), "{:?}", batch.warnings);

    // JSON Lines: one record per non-empty line.
    let lines = aftercare_testdata::read("nvd/nvd-api-2.0-cves.jsonl");
    let expected = lines
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .count();
    let parsed = crate::common::file("nvd/nvd-api-2.0-cves.jsonl");
    assert_eq!(parsed.records().len(), expected);
    assert_eq!(expected, 130);

    // The legacy 1.1 feed: one record per CVE_Items element.
    let legacy = aftercare_testdata::zip_entries("nvd/nvdcve-1.1-sample.zip");
    let expected = json(&legacy[0].bytes)["CVE_Items"]
        .as_array()
        .map_or(0, Vec::len);
    let batch = read("nvd/nvdcve-1.1-sample.zip");
    assert_eq!(batch.documents[0].format, Format::NvdLegacy);
    assert_eq!(batch.records().count(), expected);
    assert_eq!(expected, 669);
    assert!(
        batch
            .records()
            .all(|record| record.source == Source::NvdLegacy)
    );
}

#[test]
fn cve5_one_record_per_member() {
    let entries = aftercare_testdata::zip_entries("cve5/vulnrichment-sample.zip");
    let rejected = entries
        .iter()
        .filter(|entry| json(&entry.bytes)["cveMetadata"]["state"] == "REJECTED")
        .count();
    let batch = read("cve5/vulnrichment-sample.zip");
    assert_eq!(batch.records().count(), entries.len());
    assert_eq!(entries.len(), 2692);
    assert_eq!(
        batch
            .records()
            .filter(|record| record.is_withdrawn())
            .count(),
        rejected
    );
    assert!(batch.warnings.is_empty(), "{:?}", batch.warnings);
    // Vulnrichment's KEV marks and SSVC decisions come through.
    let marked = entries
        .iter()
        .filter(|entry| {
            let value = json(&entry.bytes);
            let adp = value["containers"]["adp"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            adp.iter().any(|container| {
                container["metrics"].as_array().is_some_and(|metrics| {
                    metrics
                        .iter()
                        .any(|metric| metric["other"]["type"] == "kev")
                })
            })
        })
        .count();
    assert_eq!(marked, 178);
    assert_eq!(
        batch
            .records()
            .filter(|record| record.kev.is_some())
            .count(),
        marked
    );
    assert!(
        batch
            .records()
            .filter(|record| !record.ssvc.is_empty())
            .count()
            > 2600
    );
}

#[test]
fn kev_catalog_every_entry() {
    let bytes = aftercare_testdata::read("kev/known_exploited_vulnerabilities.json");
    let value = json(&bytes);
    let expected = value["vulnerabilities"].as_array().map_or(0, Vec::len);
    let parsed = crate::common::file("kev/known_exploited_vulnerabilities.json");
    let Content::Kev(catalog) = &parsed.content else {
        panic!("not read as KEV: {:?}", parsed.format)
    };
    assert_eq!(catalog.entries.len(), expected);
    assert_eq!(catalog.count, Some(expected as u64));
    assert_eq!(catalog.version.as_deref(), Some("2025.08.25"));
    assert!(
        catalog
            .entries
            .iter()
            .all(|entry| entry.cve.is_cve() && entry.date_added.is_some())
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

/// Counts CSAF documents among raw files: JSON objects with a `document` member.
fn csaf_documents(entries: &[aftercare_testdata::Entry]) -> usize {
    entries
        .iter()
        .filter(|entry| {
            let mut bytes = entry.bytes.clone();
            if entry.name.ends_with(".xz") {
                let mut out = Vec::new();
                lzma_rs::xz_decompress(&mut &entry.bytes[..], &mut out).unwrap();
                bytes = out;
            }
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .is_ok_and(|value| value.get("document").is_some())
        })
        .count()
}

fn folder_entries(relative: &str) -> Vec<aftercare_testdata::Entry> {
    fn walk(dir: &std::path::Path, out: &mut Vec<aftercare_testdata::Entry>) {
        let mut children: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        children.sort();
        for child in children {
            if child.is_dir() {
                walk(&child, out);
            } else {
                let mut bytes = Vec::new();
                std::fs::File::open(&child)
                    .unwrap()
                    .read_to_end(&mut bytes)
                    .unwrap();
                out.push(aftercare_testdata::Entry {
                    name: child.display().to_string(),
                    bytes,
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(&aftercare_testdata::path(relative), &mut out);
    out
}

#[test]
fn csaf_every_document() {
    for (source, expected_total) in [
        ("csaf/cisa-icsma", 122),
        ("csaf/cisa-csaf-icsa-va.zip", 1903),
        ("csaf/redhat-csaf.zip", 60),
        ("csaf/siemens", 1),
        ("csaf/oasis-csaf-2.0/examples", 19),
        ("csaf/oasis-csaf-2.0-validator-optional-informative.zip", 92),
    ] {
        let entries = if source.ends_with(".zip") {
            aftercare_testdata::zip_entries(source)
        } else {
            folder_entries(source)
        };
        let expected = csaf_documents(&entries);
        assert_eq!(expected, expected_total, "independent count of {source}");
        let batch = read(source);
        let records: Vec<_> = batch.records().collect();
        assert_eq!(records.len(), expected, "{source}");
        assert!(
            records
                .iter()
                .all(|record| record.source == Source::Csaf && record.advisory.is_some())
        );
        // Every advisory's vulnerabilities are read, and their CVEs become aliases.
        let raw_vulnerabilities: usize = entries
            .iter()
            .filter(|entry| !entry.name.ends_with(".xz"))
            .filter_map(|entry| serde_json::from_slice::<serde_json::Value>(&entry.bytes).ok())
            .filter(|value| value.get("document").is_some())
            .map(|value| value["vulnerabilities"].as_array().map_or(0, Vec::len))
            .sum();
        let read_vulnerabilities: usize = batch
            .documents
            .iter()
            .filter(|document| !document.name.ends_with(".xz"))
            .flat_map(|document| document.records())
            .map(|record| {
                record
                    .advisory
                    .as_ref()
                    .map_or(0, |a| a.vulnerabilities.len())
            })
            .sum();
        assert_eq!(read_vulnerabilities, raw_vulnerabilities, "{source}");
    }
}

#[test]
fn csaf_discovery_documents() {
    let feed = crate::common::file("csaf/cisa-feeds/OT/white/cisa-csaf-ot-feed-tlp-white.json");
    let Content::RolieFeed(parsed) = &feed.content else {
        panic!("{:?}", feed.format)
    };
    let raw = json(&aftercare_testdata::read(
        "csaf/cisa-feeds/OT/white/cisa-csaf-ot-feed-tlp-white.json",
    ));
    assert_eq!(
        parsed.entries.len(),
        raw["feed"]["entry"].as_array().map_or(0, Vec::len)
    );
    assert!(parsed.entries.iter().all(|entry| {
        entry
            .url
            .as_deref()
            .is_some_and(|url| url.ends_with(".json"))
    }));
    assert!(parsed.entries.iter().all(|entry| entry.updated.is_some()));
    let it = crate::common::file("csaf/cisa-feeds/IT/white/cisa-csaf-it-feed-tlp-white.json");
    assert_eq!(it.format, Format::RolieFeed);

    let provider = crate::common::file(
        "csaf/oasis-csaf-2.0/examples/provider-metadata/example-01-provider-metadata.json",
    );
    let Content::ProviderMetadata(metadata) = &provider.content else {
        panic!("{:?}", provider.format)
    };
    assert_eq!(metadata.feeds.len(), 1);
    assert_eq!(
        metadata.feeds[0].url,
        "https://www.example.com/.well-known/csaf/feed-tlp-white.json"
    );
    assert_eq!(metadata.role.as_deref(), Some("csaf_trusted_provider"));

    let aggregator =
        crate::common::file("csaf/oasis-csaf-2.0/examples/aggregator/example-01-aggregator.json");
    let Content::Aggregator(aggregator) = &aggregator.content else {
        panic!()
    };
    assert!(
        aggregator
            .providers
            .iter()
            .any(|p| p.metadata_url.ends_with("provider-metadata.json"))
    );

    let service = crate::common::file("csaf/oasis-csaf-2.0/examples/ROLIE/example-01-service.json");
    let Content::RolieService(service) = &service.content else {
        panic!()
    };
    assert_eq!(service.collections.len(), 1);
}
