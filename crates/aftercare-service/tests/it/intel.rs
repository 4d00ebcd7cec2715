//! Intelligence through storage: every real document of the shared data imported from local
//! mirrors, counted against an independent count of the raw files; the alias merge on real
//! data; look-up by every alias; search filters.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use aftercare_service::access::auth::Principal;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::lookup::{self, AliasIndex, SearchQuery};
use aftercare_service::intel::sync::{self, NoProgress, SyncOptions, SyncStatus};
use aftercare_service::{Context, Workspace};
use sqlx::Row;

use crate::workspaces;

/// The local administrator as a principal.
pub async fn admin(workspace: &Workspace) -> Principal {
    let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
        .await
        .unwrap()
        .unwrap();
    Principal::local(&admin).unwrap()
}

/// Adds a feed.
pub async fn add_feed(
    workspace: &Workspace,
    context: &Context,
    name: &str,
    kind: FeedKind,
    url: Option<String>,
    path: Option<&Path>,
) {
    let principal = admin(workspace).await;
    feed::add(
        workspace,
        context,
        &principal,
        &NewFeedRequest {
            name: name.to_string(),
            kind,
            url,
            path: path.map(|p| p.display().to_string()),
            ecosystem: None,
        },
    )
    .await
    .unwrap();
}

/// Syncs a feed and re-matches its delta (as `aftercare feed sync` does); panics on error.
pub async fn sync_matched(
    workspace: &Workspace,
    context: &Context,
    name: &str,
    options: &SyncOptions,
) -> aftercare_service::flow::Synced {
    let principal = admin(workspace).await;
    aftercare_service::flow::sync(workspace, context, &principal, name, options, &NoProgress)
        .await
        .unwrap_or_else(|error| panic!("sync {name}: {error:?}"))
}

/// Syncs a feed (and re-matches its delta); panics on error; returns the sync's report.
pub async fn sync_ok(
    workspace: &Workspace,
    context: &Context,
    name: &str,
    options: &SyncOptions,
) -> sync::SyncReport {
    sync_matched(workspace, context, name, options).await.sync
}

/// One raw document of the shared data: its name and bytes (xz decompressed).
struct RawDocument {
    name: String,
    bytes: Vec<u8>,
}

fn raw_documents(relative: &str) -> Vec<RawDocument> {
    fn add(name: String, bytes: Vec<u8>, out: &mut Vec<RawDocument>) {
        let bytes = if name.ends_with(".xz") {
            let mut plain = Vec::new();
            lzma_rs::xz_decompress(&mut &bytes[..], &mut plain).unwrap();
            plain
        } else {
            bytes
        };
        out.push(RawDocument { name, bytes });
    }
    fn walk(path: &Path, out: &mut Vec<RawDocument>) {
        if path.is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            children.sort();
            for child in children {
                walk(&child, out);
            }
            return;
        }
        let name = path.display().to_string();
        if name.ends_with(".zip") {
            let file = std::fs::File::open(path).unwrap();
            let mut archive = zip::ZipArchive::new(file).unwrap();
            for index in 0..archive.len() {
                let mut member = archive.by_index(index).unwrap();
                if member.is_dir() {
                    continue;
                }
                let mut bytes = Vec::new();
                member.read_to_end(&mut bytes).unwrap();
                add(format!("{name}!{}", member.name()), bytes, out);
            }
        } else {
            add(name, std::fs::read(path).unwrap(), out);
        }
    }
    let mut out = Vec::new();
    walk(&aftercare_testdata::path(relative), &mut out);
    out
}

/// The (source, id) of every record in raw documents, counted with serde_json values (not
/// with the readers): OSV objects with `id`, NVD `cve` objects (pages, bare, JSON Lines),
/// legacy `CVE_Items`, CVE 5 `cveMetadata`, CSAF `document.tracking.id`.
fn raw_record_keys(documents: &[RawDocument]) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    let from_value = |value: &serde_json::Value, keys: &mut Vec<(String, String)>| {
        if let Some(items) = value.get("vulnerabilities").and_then(|v| v.as_array())
            && value.get("document").is_none()
            && value.get("catalogVersion").is_none()
        {
            for item in items {
                if let Some(id) = item["cve"]["id"].as_str() {
                    keys.push(("nvd".to_string(), id.to_string()));
                }
            }
        } else if let Some(id) = value["cve"]["id"].as_str() {
            keys.push(("nvd".to_string(), id.to_string()));
        } else if let Some(items) = value.get("CVE_Items").and_then(|v| v.as_array()) {
            for item in items {
                if let Some(id) = item["cve"]["CVE_data_meta"]["ID"].as_str() {
                    keys.push(("nvd-1.1".to_string(), id.to_string()));
                }
            }
        } else if let Some(id) = value["cveMetadata"]["cveId"].as_str() {
            keys.push(("cve5".to_string(), id.to_string()));
        } else if let Some(id) = value["document"]["tracking"]["id"].as_str() {
            // An id with spaces is not an id (two OASIS file-name test documents): the reader
            // skips the record with a warning, checked below.
            if !id.contains(char::is_whitespace) {
                keys.push(("csaf".to_string(), id.to_string()));
            }
        } else if let Some(id) = value.get("id").and_then(|v| v.as_str())
            && (value.get("sourceIdentifier").is_some() || value.get("vulnStatus").is_some())
        {
            // A bare NVD `cve` object, without its wrapper.
            keys.push(("nvd".to_string(), id.to_string()));
        } else if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
            keys.push(("osv".to_string(), id.to_string()));
        }
    };
    for document in documents {
        if document.name.ends_with(".jsonl") {
            for line in document.bytes.split(|b| *b == b'\n') {
                if let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) {
                    from_value(&value, &mut keys);
                }
            }
        } else if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&document.bytes) {
            from_value(&value, &mut keys);
        }
    }
    keys
}

/// Stored records per source.
async fn stored_per_source(workspace: &Workspace) -> BTreeMap<String, i64> {
    let rows = sqlx::query(
        "SELECT source, CAST(COUNT(*) AS BIGINT) AS n FROM records GROUP BY source ORDER BY source",
    )
    .fetch_all(workspace.raw_store().pool())
    .await
    .unwrap();
    rows.iter()
        .map(|row| (row.get::<String, _>("source"), row.get::<i64, _>("n")))
        .collect()
}

fn options() -> SyncOptions {
    SyncOptions {
        batch_records: 2_000,
        ..SyncOptions::default()
    }
}

#[tokio::test]
async fn every_real_document_imports_and_counts_match_the_raw_files() {
    let sources: [(&str, FeedKind, &str); 5] = [
        ("osv", FeedKind::Osv, "osv"),
        ("nvd", FeedKind::Nvd, "nvd"),
        ("cve5", FeedKind::Cve5, "cve5/vulnrichment-sample.zip"),
        ("csaf", FeedKind::Csaf, "csaf"),
        (
            "kev",
            FeedKind::Kev,
            "kev/known_exploited_vulnerabilities.json",
        ),
    ];
    // The independent count, once.
    let mut expected_total: BTreeMap<&str, usize> = BTreeMap::new();
    let mut expected_distinct: BTreeMap<String, usize> = BTreeMap::new();
    for (name, _, relative) in &sources {
        // Only keys of the feed's own sources: a stray object with an `id` in another folder
        // is not an OSV record.
        let keys: Vec<(String, String)> = raw_record_keys(&raw_documents(relative))
            .into_iter()
            .filter(|(source, _)| source.starts_with(name))
            .collect();
        expected_total.insert(name, keys.len());
        let distinct: BTreeSet<(String, String)> = keys.into_iter().collect();
        for (source, _) in distinct {
            *expected_distinct.entry(source).or_default() += 1;
        }
    }
    assert_eq!(expected_total["osv"], 16_879, "the intel crate's count");
    assert_eq!(expected_total["cve5"], 2_692);
    let kev_raw: serde_json::Value = serde_json::from_slice(&aftercare_testdata::read(
        "kev/known_exploited_vulnerabilities.json",
    ))
    .unwrap();
    let kev_expected = kev_raw["vulnerabilities"].as_array().unwrap().len() as i64;

    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        for (name, kind, relative) in &sources {
            add_feed(
                &workspace,
                &context,
                name,
                *kind,
                None,
                Some(&aftercare_testdata::path(relative)),
            )
            .await;
            let report = sync_ok(&workspace, &context, name, &options()).await;
            assert_eq!(report.status, SyncStatus::Completed, "{backend} {name}");
            let counts = report.counts;
            let seen = counts.new + counts.updated + counts.withdrawn + counts.unchanged;
            if *name == "kev" {
                assert_eq!(counts.new, kev_expected, "{backend} KEV entries");
                assert_eq!(report.delta.kev.len() as i64, kev_expected);
            } else {
                if *name == "csaf" {
                    // Documents invalid upstream are listed with the expected warning.
                    let invalid_ids = report
                        .warnings
                        .iter()
                        .filter(|w| w.message.contains("invalid vulnerability id \"OASIS: #/"))
                        .count();
                    assert_eq!(invalid_ids, 2, "{backend}: {:#?}", report.warnings);
                    let schemas = report
                        .warnings
                        .iter()
                        .filter(|w| w.document.contains("json_schema") && w.kind == "SkippedRecord")
                        .count();
                    assert_eq!(schemas, 3, "{backend}: JSON schemas are not documents");
                }
                // Every record read is new, an update of an earlier copy, withdrawn, or the
                // same as an earlier copy.
                assert_eq!(
                    seen as usize, expected_total[name],
                    "{backend} {name}: {counts:?} {:#?}",
                    report.warnings
                );
            }
        }
        let stored = stored_per_source(&workspace).await;
        for (source, expected) in &expected_distinct {
            assert_eq!(
                stored.get(source).copied().unwrap_or(0) as usize,
                *expected,
                "{backend}: distinct {source} records"
            );
        }

        // No vulnerability merges two CVEs.
        let rows = sqlx::query(
            "SELECT vulnerability_id, CAST(COUNT(*) AS BIGINT) AS n FROM aliases \
             WHERE shared = 0 AND alias LIKE 'CVE-%' GROUP BY vulnerability_id HAVING COUNT(*) > 1",
        )
        .fetch_all(workspace.raw_store().pool())
        .await
        .unwrap();
        assert!(rows.is_empty(), "{backend}: a vulnerability holds two CVEs");

        // The alias merge on real data, through storage, found by every alias.
        let index = AliasIndex::new();
        index.refresh(&workspace).await.unwrap();
        check_vulnerability(
            &workspace,
            &index,
            "CVE-2020-13927",
            &[
                "cve5:CVE-2020-13927",
                "osv:BIT-AIRFLOW-2020-13927",
                "osv:PYSEC-2020-18",
            ],
            &["GHSA-hhx9-p69v-cx2j"],
            true,
        )
        .await;
        check_vulnerability(
            &workspace,
            &index,
            "CVE-2023-44487",
            &[
                "csaf:ICSA-23-348-10",
                "csaf:ICSA-24-074-05",
                "csaf:ICSA-24-228-06",
                "csaf:RHSA-2023:5835",
                "cve5:CVE-2023-44487",
            ],
            &[],
            true,
        )
        .await;
        check_vulnerability(
            &workspace,
            &index,
            "CVE-2022-40263",
            &["csaf:ICSMA-22-277-01", "nvd:CVE-2022-40263"],
            &[],
            false,
        )
        .await;

        // A record that aliases several CVEs is found under each of them.
        let big = lookup::show(&workspace, Some(&index), "ICSA-23-348-10")
            .await
            .unwrap();
        assert!(big.len() > 100, "{backend}: {} vulnerabilities", big.len());
        assert!(
            big.iter()
                .all(|v| v.vulnerability.canonical.starts_with("CVE-"))
        );

        // Look-up by the search filters.
        let page = lookup::search(
            &workspace,
            &SearchQuery {
                kev: true,
                ecosystem: Some("PyPI".into()),
                limit: 1_000,
                ..SearchQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(page.total > 0, "{backend}: KEV PyPI vulnerabilities");
        assert!(page.items.iter().all(|item| item.kev));
        assert!(
            page.items
                .iter()
                .any(|item| item.vulnerability.canonical == "CVE-2020-13927")
        );
        let page = lookup::search(
            &workspace,
            &SearchQuery {
                package: Some("apache-airflow".into()),
                ecosystem: Some("PyPI".into()),
                published_since: Some("2020-01-01".into()),
                limit: 1_000,
                ..SearchQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(
            page.total > 10,
            "{backend}: airflow vulnerabilities {}",
            page.total
        );
        assert!(page.items.iter().all(|item| {
            item.vulnerability
                .published
                .as_deref()
                .is_some_and(|p| p >= "2020-01-01")
        }));
        let page = lookup::search(
            &workspace,
            &SearchQuery {
                text: Some("Request cancellation can RESET many streams".into()),
                limit: 100,
                ..SearchQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(
            page.items
                .iter()
                .any(|item| item.vulnerability.canonical == "CVE-2023-44487"),
            "{backend}: text search"
        );
        let any_name = lookup::search(
            &workspace,
            &SearchQuery {
                package: Some("Django".into()),
                limit: 5,
                ..SearchQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(any_name.total > 0, "{backend}: package in any ecosystem");

        // Candidates for the matcher by package key and CPE, and records re-read.
        let candidates = lookup::candidates(
            &workspace,
            &["PyPI/apache-airflow".to_string()],
            &[("bd".to_string(), "alaris_pc_unit".to_string())],
        )
        .await
        .unwrap();
        assert!(!candidates.by_package.is_empty(), "{backend}");
        let reread = lookup::reread(&workspace, &candidates.record_ids())
            .await
            .unwrap();
        assert!(
            reread.unreadable.is_empty(),
            "{backend}: {:?}",
            reread.unreadable
        );
        let records = reread.records;
        assert_eq!(records.len(), candidates.record_ids().len(), "{backend}");
        assert!(records.values().any(|r| r.packages.iter().any(|p| {
            p.key
                .as_ref()
                .is_some_and(|k| k.to_string() == "PyPI/apache-airflow")
        })));

        // EPSS from the synthetic fixture (no real file is at hand): history kept.
        let epss = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../aftercare-intel/tests/data/epss-synthetic.csv");
        add_feed(
            &workspace,
            &context,
            "epss",
            FeedKind::Epss,
            None,
            Some(&epss),
        )
        .await;
        let report = sync_ok(&workspace, &context, "epss", &options()).await;
        assert_eq!(report.counts.new, 4, "{backend}: {:?}", report.counts);
        let page = lookup::search(
            &workspace,
            &SearchQuery {
                epss_above: Some(0.5),
                limit: 10,
                ..SearchQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(
            page.items
                .iter()
                .all(|item| item.epss.is_some_and(|e| e > 0.5)),
            "{backend}"
        );
        // A second identical sync changes nothing.
        let again = sync_ok(&workspace, &context, "epss", &options()).await;
        assert_eq!(again.status, SyncStatus::Unchanged, "{backend}");
    }
}

async fn check_vulnerability(
    workspace: &Workspace,
    index: &AliasIndex,
    cve: &str,
    records: &[&str],
    more_ids: &[&str],
    kev: bool,
) {
    let found = lookup::show(workspace, Some(index), cve).await.unwrap();
    assert_eq!(found.len(), 1, "{cve}");
    let detail = &found[0];
    assert_eq!(detail.vulnerability.canonical, cve);
    let attached: BTreeSet<String> = detail
        .records
        .iter()
        .map(|r| format!("{}:{}", r.record.record.source, r.record.record.record_id))
        .collect();
    for record in records {
        assert!(
            attached.contains(*record),
            "{cve}: {record} not in {attached:?}"
        );
    }
    for id in more_ids {
        assert!(
            detail.ids.iter().any(|i| i == id),
            "{cve}: {id} not in {:?}",
            detail.ids
        );
    }
    assert_eq!(detail.kev.is_some(), kev, "{cve}: KEV");
    // Found by every one of its ids, with the warm index and without it.
    for id in &detail.ids {
        for index in [Some(index), None] {
            let again = lookup::show(workspace, index, id).await.unwrap();
            assert!(
                again
                    .iter()
                    .any(|v| v.vulnerability.id == detail.vulnerability.id),
                "{cve}: not found by {id}"
            );
        }
    }
    // Every record's affected data came back from its document.
    assert!(
        detail.records.iter().any(|r| !r.affected.is_empty()),
        "{cve}"
    );
}
