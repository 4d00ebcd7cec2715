//! Reads, updates and deletes by many ids or names (`IN (…)` lists, cut into chunks of
//! [`IN_LIST_CHUNK`] keys): every row comes back at each chunk boundary — no key, one, exactly
//! one chunk, one more than a chunk — with integer and text keys, through the caller's
//! transaction and through a connection of the pool, on each backend.

use std::collections::BTreeSet;

use aftercare_store::feed::{self, NewFeed};
use aftercare_store::finding::{self, MatcherSelection};
use aftercare_store::intel::{self, KevRow, NewDocument, RecordRow};
use aftercare_store::sbom::{self, ComponentRecord, NewSbom};
use aftercare_store::testing::each_backend;
use aftercare_store::{IN_LIST_CHUNK, Store, document, product, release};

const AT: &str = "2030-01-02T03:04:05.000000Z";

/// As many rows of each kind as the largest case reads.
const ROWS: usize = IN_LIST_CHUNK + 1;

/// How many keys each case gives: the edges of the chunking.
const SIZES: [usize; 4] = [0, 1, IN_LIST_CHUNK, IN_LIST_CHUNK + 1];

/// The reads and writes by key list under test: one per kind of key and of connection.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// Components by id (integer keys, the caller's transaction).
    ComponentIds,
    /// Components by package key (text keys, the caller's transaction).
    PackageKeys,
    /// Records' digests by record id (integer keys, a connection of the pool).
    RecordDigests,
    /// Candidate records by package key (text keys, a connection of the pool).
    RecordsByPackage,
    /// KEV entries removed by CVE (text keys, a delete in the caller's transaction).
    DeleteKev,
}

const CASES: [Case; 5] = [
    Case::ComponentIds,
    Case::PackageKeys,
    Case::RecordDigests,
    Case::RecordsByPackage,
    Case::DeleteKev,
];

/// The stored rows every case reads some of, by position.
struct Fixture {
    component_ids: Vec<i64>,
    package_keys: Vec<String>,
    record_ids: Vec<i64>,
    cves: Vec<String>,
}

#[tokio::test]
async fn in_lists_are_read_whole_at_every_chunk_boundary() {
    for test in each_backend().await {
        let backend = test.backend().as_str();
        let fixture = fixture(&test.store).await;
        for case in CASES {
            for size in SIZES {
                let (expected, got) = check(&test.store, &fixture, case, size).await;
                let (wanted, found): (BTreeSet<&String>, BTreeSet<&String>) =
                    (expected.iter().collect(), got.iter().collect());
                let missing: Vec<_> = wanted.difference(&found).take(5).collect();
                let unexpected: Vec<_> = found.difference(&wanted).take(5).collect();
                assert!(
                    missing.is_empty() && unexpected.is_empty() && got.len() == expected.len(),
                    "{backend}: {case:?} with {size} keys gave {} rows for {} (missing {missing:?}, \
                     unexpected {unexpected:?})",
                    got.len(),
                    expected.len(),
                );
            }
        }
    }
}

/// Runs a case on the first `size` keys of the fixture; returns what it should give and what
/// it gave, one text (id or key) per row.
async fn check(
    store: &Store,
    fixture: &Fixture,
    case: Case,
    size: usize,
) -> (Vec<String>, Vec<String>) {
    let texts =
        |values: &[i64]| -> Vec<String> { values.iter().map(ToString::to_string).collect() };
    match case {
        Case::ComponentIds => {
            let ids = &fixture.component_ids[..size];
            let mut tx = store.begin().await.unwrap();
            let rows = finding::matcher_rows(&mut tx, MatcherSelection::Ids(ids))
                .await
                .unwrap();
            let got: Vec<i64> = rows.iter().map(|row| row.id).collect();
            (texts(ids), texts(&got))
        }
        Case::PackageKeys => {
            let keys = &fixture.package_keys[..size];
            let mut tx = store.begin().await.unwrap();
            let rows = finding::matcher_rows(&mut tx, MatcherSelection::PackageKeys(keys))
                .await
                .unwrap();
            let got = rows.into_iter().filter_map(|row| row.package_key).collect();
            (keys.to_vec(), got)
        }
        Case::RecordDigests => {
            let ids = &fixture.record_ids[..size];
            let rows = intel::record_digests(store, ids).await.unwrap();
            let got: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
            (texts(ids), texts(&got))
        }
        Case::RecordsByPackage => {
            let keys = &fixture.package_keys[..size];
            let rows = intel::records_by_package(store, keys).await.unwrap();
            let got = rows.into_iter().map(|(key, _)| key).collect();
            (keys.to_vec(), got)
        }
        Case::DeleteKev => {
            // In a transaction rolled back, so that every size deletes from the full catalog.
            let cves = &fixture.cves[..size];
            let mut tx = store.begin().await.unwrap();
            intel::delete_kev(&mut tx, cves).await.unwrap();
            let left: Vec<String> = intel::kev_entries(tx.conn())
                .await
                .unwrap()
                .into_iter()
                .map(|entry| entry.cve)
                .collect();
            tx.rollback().await.unwrap();
            (fixture.cves[size..].to_vec(), left)
        }
    }
}

/// [`ROWS`] components (each with its package key), records naming those keys, and KEV
/// entries.
async fn fixture(store: &Store) -> Fixture {
    let mut tx = store.begin().await.unwrap();
    let pump = product::insert(&mut tx, "Infusion pump", None, AT)
        .await
        .unwrap();
    let release_id = release::insert(&mut tx, pump.id, "1.0", AT).await.unwrap();
    let put = document::put(&mut tx, "sbom", None, b"{}", AT)
        .await
        .unwrap();
    let package_keys: Vec<String> = (0..ROWS).map(|i| format!("npm/package-{i}")).collect();
    let components: Vec<ComponentRecord> = package_keys
        .iter()
        .enumerate()
        .map(|(position, key)| ComponentRecord {
            position: i64::try_from(position).unwrap(),
            reference: format!("ref-{position}"),
            kind: "library".into(),
            name: key.trim_start_matches("npm/").into(),
            version: Some("1.0.0".into()),
            package_key: Some(key.clone()),
            ..ComponentRecord::default()
        })
        .collect();
    let sbom_id = sbom::insert(
        &mut tx,
        &NewSbom {
            release_id,
            document_id: put.id,
            format: "cyclonedx".into(),
            encoding: "json".into(),
            spec_version: "1.6".into(),
            serial_number: None,
            name: None,
            created: None,
            authors: vec![],
            tools: vec![],
            subject_position: None,
        },
        &components,
        &[],
        &[],
        AT,
    )
    .await
    .unwrap();
    let component_ids = sbom::components(tx.conn(), sbom_id)
        .await
        .unwrap()
        .iter()
        .map(|component| component.id)
        .collect();

    let osv = feed::insert(
        &mut tx,
        &NewFeed {
            name: "osv",
            kind: "osv",
            url: None,
            path: Some("/mirror"),
            ecosystem: None,
            created_by: "user:ada",
        },
        AT,
    )
    .await
    .unwrap();
    let run = feed::insert_run(&mut tx, osv.id, "user:ada", "{}", AT)
        .await
        .unwrap();
    let documents = intel::put_documents(
        &mut tx,
        &[NewDocument {
            sha256: "0123",
            kind: "record",
            name: "all.json",
            bytes: b"[]",
        }],
        AT,
    )
    .await
    .unwrap();
    let record_ids: Vec<i64> = (1..=i64::try_from(ROWS).unwrap()).collect();
    let records: Vec<RecordRow> = record_ids
        .iter()
        .map(|id| RecordRow {
            id: *id,
            source: "osv".into(),
            record_id: format!("GHSA-{id}"),
            feed_id: osv.id,
            run_id: run.id,
            document_id: documents[0].1,
            digest: format!("digest-{id}"),
            modified: None,
            published: None,
            withdrawn: false,
            withdrawn_at: None,
            withdrawn_reason: None,
            summary: None,
            description: None,
            severity: None,
            ratings: "[]".into(),
            aliases: vec![],
            related: vec![],
            fetched_at: AT.into(),
        })
        .collect();
    intel::upsert_records(&mut tx, &records).await.unwrap();
    let affected: Vec<(i64, String)> = record_ids
        .iter()
        .zip(&package_keys)
        .map(|(id, key)| (*id, key.clone()))
        .collect();
    intel::insert_affected(&mut tx, &affected, &[])
        .await
        .unwrap();

    let cves: Vec<String> = (0..ROWS).map(|i| format!("CVE-2030-{i:05}")).collect();
    let entries: Vec<KevRow> = cves
        .iter()
        .map(|cve| KevRow {
            cve: cve.clone(),
            vendor_project: None,
            product: None,
            vulnerability_name: None,
            date_added: None,
            due_date: None,
            ransomware: None,
            required_action: None,
            short_description: None,
            notes: None,
            cwes: vec![],
            catalog_version: None,
            feed_id: osv.id,
            run_id: run.id,
        })
        .collect();
    intel::upsert_kev(&mut tx, &entries).await.unwrap();
    tx.commit().await.unwrap();
    Fixture {
        component_ids,
        package_keys,
        record_ids,
        cves,
    }
}
