//! Sync from a local HTTP server on 127.0.0.1 serving files built in the test from the shared
//! data: a first sync, a no-change sync (ETag → 304), a changed and a withdrawn record, an
//! interrupted sync (stopped between batches, or a download cut mid-body) resumed to exactly
//! the database of a clean sync; CSAF discovery through provider metadata and ROLIE, the NVD
//! API with paging and windows, and the KEV catalog.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aftercare_service::intel::FeedKind;
use aftercare_service::intel::sync::{self, NoProgress, SyncOptions, SyncStatus};
use aftercare_service::{Context, Workspace};
use sha2::Digest as _;
use sqlx::Row;

use crate::intel::{add_feed, admin, sync_ok};
use crate::workspaces;

/// What the server should do besides serving files.
#[derive(Default)]
struct Behaviour {
    /// Paths whose next response is cut after half the body (Content-Length still says all).
    truncate_once: HashSet<String>,
    /// NVD items served by `/nvd`, and those modified since the first sync.
    nvd_items: Vec<serde_json::Value>,
    nvd_modified: Vec<serde_json::Value>,
    /// Requests seen (path and query).
    requests: Vec<String>,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 serving a folder, with ETags.
struct Server {
    address: String,
    dir: tempfile::TempDir,
    behaviour: Arc<Mutex<Behaviour>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let behaviour = Arc::new(Mutex::new(Behaviour::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (behaviour.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    handle(stream, &root, &b);
                }
            }
        });
        Server {
            address,
            dir,
            behaviour,
            stop,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.address)
    }

    fn write(&self, path: &str, bytes: &[u8]) {
        let target = self.dir.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.address.trim_start_matches("http://"));
    }
}

fn handle(mut stream: TcpStream, root: &std::path::Path, behaviour: &Mutex<Behaviour>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut if_none_match = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_string());
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut state = behaviour.lock().unwrap();
    state.requests.push(target.clone());
    let body = if path == "/nvd" {
        Some(nvd_page(&state, query))
    } else {
        std::fs::read(root.join(path.trim_start_matches('/'))).ok()
    };
    let Some(body) = body else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let etag = format!("\"{}\"", hex::encode(sha2::Sha256::digest(&body)));
    if if_none_match.as_deref() == Some(etag.as_str()) {
        let _ = write!(
            stream,
            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let truncate = state.truncate_once.remove(path);
    drop(state);
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let sent = if truncate {
        &body[..body.len() / 2]
    } else {
        &body[..]
    };
    let _ = stream.write_all(sent);
    let _ = stream.flush();
}

fn nvd_page(state: &Behaviour, query: &str) -> Vec<u8> {
    let params: BTreeMap<&str, &str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let start: usize = params
        .get("startIndex")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let per_page: usize = params
        .get("resultsPerPage")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let items = if params.contains_key("lastModStartDate") {
        &state.nvd_modified
    } else {
        &state.nvd_items
    };
    let page: Vec<&serde_json::Value> = items.iter().skip(start).take(per_page).collect();
    serde_json::to_vec(&serde_json::json!({
        "resultsPerPage": page.len(),
        "startIndex": start,
        "totalResults": items.len(),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2024-10-24T00:00:00.000",
        "vulnerabilities": page,
    }))
    .unwrap()
}

/// A zip of members (name, bytes), deflated, in the order given.
fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in members {
            writer.start_file(name.as_str(), options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap();
    }
    out.into_inner()
}

/// OSV members from several real zips, so that aliases join records across batches.
fn osv_members() -> Vec<(String, Vec<u8>)> {
    let mut members = Vec::new();
    for (zip, take) in [
        ("osv/PyPI.zip", 160),
        ("osv/GHSA-and-fixtures.zip", 48),
        ("osv/Bitnami.zip", 120),
        ("osv/crates.io.zip", 60),
    ] {
        for entry in aftercare_testdata::zip_entries(zip).into_iter().take(take) {
            if entry.name.ends_with(".json") {
                members.push((format!("{zip}/{}", entry.name), entry.bytes));
            }
        }
    }
    members
}

/// A member changed: `modified` moved on and `field` set.
fn changed(bytes: &[u8], field: &str, value: serde_json::Value) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    json["modified"] = serde_json::json!("2030-01-01T00:00:00Z");
    json[field] = value;
    serde_json::to_vec_pretty(&json).unwrap()
}

/// Every intelligence table as sorted text, without timestamps and process bookkeeping
/// (attempt counts, leases), with document ids replaced by their SHA-256 (their identity).
async fn dump(workspace: &Workspace) -> BTreeMap<&'static str, Vec<String>> {
    let queries: [(&str, &str); 16] = [
        (
            "documents",
            "SELECT sha256, kind, name, CAST(size AS TEXT) FROM documents",
        ),
        (
            "records",
            "SELECT CAST(r.id AS TEXT), r.source, r.record_id, CAST(r.feed_id AS TEXT), CAST(r.run_id AS TEXT), \
             d.sha256, r.digest, r.modified, r.published, CAST(r.withdrawn AS TEXT), r.withdrawn_at, \
             r.withdrawn_reason, r.summary, r.description, r.severity, r.ratings, r.aliases, r.related \
             FROM records r JOIN documents d ON d.id = r.document_id",
        ),
        (
            "vulnerabilities",
            "SELECT CAST(id AS TEXT), canonical, status, CAST(withdrawn AS TEXT), published, modified, summary FROM vulnerabilities",
        ),
        (
            "aliases",
            "SELECT alias, CAST(vulnerability_id AS TEXT), CAST(shared AS TEXT) FROM aliases",
        ),
        (
            "vulnerability_records",
            "SELECT CAST(vulnerability_id AS TEXT), CAST(record_id AS TEXT) FROM vulnerability_records",
        ),
        (
            "vulnerability_redirects",
            "SELECT CAST(from_id AS TEXT), CAST(to_id AS TEXT), reason, CAST(run_id AS TEXT) FROM vulnerability_redirects",
        ),
        (
            "affected_packages",
            "SELECT CAST(record_id AS TEXT), package_key FROM affected_packages",
        ),
        (
            "affected_products",
            "SELECT CAST(record_id AS TEXT), vendor, product FROM affected_products",
        ),
        (
            "kev_entries",
            "SELECT cve, vendor_project, product, date_added, due_date, ransomware, catalog_version, CAST(run_id AS TEXT) FROM kev_entries",
        ),
        (
            "feed_files",
            "SELECT CAST(feed_id AS TEXT), location, etag, last_modified, sha256, updated, CAST(record_count AS TEXT) FROM feed_files",
        ),
        (
            "feeds",
            "SELECT CAST(id AS TEXT), name, kind, url, path, cursor, last_status, last_error FROM feeds",
        ),
        (
            "sync_runs",
            "SELECT CAST(id AS TEXT), CAST(feed_id AS TEXT), actor, status, plan, CAST(unit AS TEXT), unit_sha256, \
             CAST(position AS TEXT), CAST(batches AS TEXT), CAST(documents AS TEXT), CAST(new_count AS TEXT), \
             CAST(updated_count AS TEXT), CAST(withdrawn_count AS TEXT), CAST(unchanged_count AS TEXT), \
             CAST(warning_count AS TEXT), delta_digest FROM sync_runs",
        ),
        (
            "sync_run_changes",
            "SELECT CAST(run_id AS TEXT), kind, value FROM sync_run_changes",
        ),
        (
            "sync_warnings",
            "SELECT CAST(run_id AS TEXT), CAST(position AS TEXT), document, record, kind, message FROM sync_warnings",
        ),
        (
            "audit_events",
            "SELECT actor, action, entity_type, entity_id, new_value FROM audit_events",
        ),
        ("intel_state", "SELECT 'state' FROM intel_state"),
    ];
    let mut out = BTreeMap::new();
    for (table, sql) in queries {
        let rows = sqlx::query(sql)
            .fetch_all(workspace.raw_store().pool())
            .await
            .unwrap_or_else(|error| panic!("dump {table}: {error}"));
        let mut lines: Vec<String> = rows
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        row.try_get::<Option<String>, _>(i)
                            .unwrap()
                            .unwrap_or_else(|| "∅".to_string())
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        lines.sort();
        out.insert(table, lines);
    }
    out
}

fn assert_same_dump(
    backend: &str,
    what: &str,
    left: &BTreeMap<&'static str, Vec<String>>,
    right: &BTreeMap<&'static str, Vec<String>>,
) {
    for (table, rows) in left {
        let other = &right[table];
        if rows != other {
            let missing: Vec<&String> =
                rows.iter().filter(|r| !other.contains(r)).take(3).collect();
            let extra: Vec<&String> = other.iter().filter(|r| !rows.contains(r)).take(3).collect();
            panic!(
                "{backend} {what}: table {table} differs\n only in clean: {missing:#?}\n only in resumed: {extra:#?}"
            );
        }
    }
}

fn small_batches() -> SyncOptions {
    SyncOptions {
        batch_records: 40,
        ..SyncOptions::default()
    }
}

async fn count(workspace: &Workspace, table: &str) -> i64 {
    sqlx::query(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
    ))
    .fetch_one(workspace.raw_store().pool())
    .await
    .unwrap()
    .get("n")
}

#[tokio::test]
async fn osv_over_http_first_no_change_changed_and_withdrawn() {
    let server = Server::start();
    let mut members = osv_members();
    server.write("osv/all.zip", &zip_of(&members));
    let total = members.len() as i64;
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        add_feed(
            &workspace,
            &context,
            "osv-mirror",
            FeedKind::Osv,
            Some(server.url("osv/all.zip")),
            None,
        )
        .await;
        let first = sync_ok(&workspace, &context, "osv-mirror", &small_batches()).await;
        assert_eq!(first.status, SyncStatus::Completed, "{backend}");
        assert_eq!(
            first.counts.new
                + first.counts.withdrawn
                + first.counts.updated
                + first.counts.unchanged,
            total,
            "{backend}: {:?}",
            first.counts
        );
        assert!(first.counts.batches > 3, "{backend}: several batches");
        assert!(!first.delta.vulnerabilities.is_empty() && !first.delta.packages.is_empty());

        // No change: the server answers 304 to the ETag; only the run record is written.
        let before = dump(&workspace).await;
        let second = sync_ok(&workspace, &context, "osv-mirror", &small_batches()).await;
        assert_eq!(second.status, SyncStatus::Unchanged, "{backend}");
        assert_eq!(
            second.counts.new + second.counts.updated + second.counts.withdrawn,
            0
        );
        assert!(second.delta.is_empty());
        let after = dump(&workspace).await;
        for table in [
            "documents",
            "records",
            "vulnerabilities",
            "aliases",
            "affected_packages",
            "feed_files",
        ] {
            assert_eq!(
                before[table], after[table],
                "{backend}: {table} written by a no-change sync"
            );
        }
        assert_eq!(after["sync_runs"].len(), before["sync_runs"].len() + 1);

        // One record changed, one withdrawn.
        let changed_name = members[0].0.clone();
        members[0].1 = changed(
            &members[0].1,
            "summary",
            serde_json::json!("changed upstream"),
        );
        members[1].1 = changed(
            &members[1].1,
            "withdrawn",
            serde_json::json!("2030-01-01T00:00:00Z"),
        );
        server.write("osv/all.zip", &zip_of(&members));
        let third = sync_ok(&workspace, &context, "osv-mirror", &small_batches()).await;
        assert_eq!(third.status, SyncStatus::Completed, "{backend}");
        assert_eq!(third.counts.updated, 1, "{backend}: {:?}", third.counts);
        assert_eq!(third.counts.withdrawn, 1, "{backend}: {:?}", third.counts);
        assert_eq!(third.counts.new, 0, "{backend}");
        assert_eq!(third.counts.unchanged, total - 2, "{backend}");
        assert!(!third.delta.vulnerabilities.is_empty());
        let id = changed_name
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".json");
        let stored = aftercare_store::intel::record_by_key(workspace.raw_store().pool(), "osv", id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.summary.as_deref(),
            Some("changed upstream"),
            "{backend}"
        );
        assert_eq!(
            count(&workspace, "records").await,
            stored_count(&workspace).await
        );
        // Restore for the next backend.
        members = osv_members();
        server.write("osv/all.zip", &zip_of(&members));
    }
}

async fn stored_count(workspace: &Workspace) -> i64 {
    count(workspace, "records").await
}

/// The OSV members, arranged so that groups merge across batches: a PyPI record aliasing a
/// CVE and a GHSA goes last; a copy of it as the GHSA alone comes first (a group of its own),
/// and a copy under another id aliasing only the CVE comes in the middle (the CVE's group).
/// When the original arrives, the GHSA's group merges into the CVE's: a redirect.
fn osv_members_that_merge() -> Vec<(String, Vec<u8>)> {
    let mut members = osv_members();
    let position = members
        .iter()
        .position(|(name, bytes)| {
            let json: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
            let aliases: Vec<&str> = json["aliases"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            name.starts_with("osv/PyPI")
                && aliases.iter().any(|a| a.starts_with("CVE-"))
                && aliases.iter().any(|a| a.starts_with("GHSA-"))
        })
        .unwrap();
    let original = members.remove(position);
    let json: serde_json::Value = serde_json::from_slice(&original.1).unwrap();
    let aliases: Vec<String> = json["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let ghsa = aliases
        .iter()
        .find(|a| a.starts_with("GHSA-"))
        .unwrap()
        .clone();
    let cve = aliases
        .iter()
        .find(|a| a.starts_with("CVE-"))
        .unwrap()
        .clone();
    let mut alone = json.clone();
    alone["id"] = serde_json::json!(ghsa);
    alone["aliases"] = serde_json::json!([]);
    let mut cve_only = json.clone();
    cve_only["id"] = serde_json::json!("PYSEC-9999-1");
    cve_only["aliases"] = serde_json::json!([cve]);
    members.insert(
        0,
        (
            format!("test/{ghsa}.json"),
            serde_json::to_vec(&alone).unwrap(),
        ),
    );
    members.insert(
        100,
        (
            "test/PYSEC-9999-1.json".to_string(),
            serde_json::to_vec(&cve_only).unwrap(),
        ),
    );
    members.push(original);
    members
}

#[tokio::test]
async fn an_interrupted_sync_resumes_to_the_same_database_as_a_clean_one() {
    let server = Server::start();
    let members = osv_members_that_merge();
    server.write("osv/all.zip", &zip_of(&members));
    let url = server.url("osv/all.zip");
    // Three workspaces per backend: clean, stopped between batches, cut mid-download.
    let cleans = workspaces().await;
    let stops = workspaces().await;
    let cuts = workspaces().await;
    for ((clean, stopped), cut) in cleans.iter().zip(&stops).zip(&cuts) {
        let backend = clean.0.backend().as_str();

        add_feed(
            &clean.1,
            &clean.2,
            "osv-mirror",
            FeedKind::Osv,
            Some(url.clone()),
            None,
        )
        .await;
        let report = sync_ok(&clean.1, &clean.2, "osv-mirror", &small_batches()).await;
        assert_eq!(report.status, SyncStatus::Completed);
        let expected = dump(&clean.1).await;
        assert!(
            !expected["vulnerability_redirects"].is_empty(),
            "{backend}: the data must merge groups across batches"
        );
        // The merged row still resolves, to where its ids went.
        let redirect = &expected["vulnerability_redirects"][0];
        let mut parts = redirect.split('|');
        let (from, to) = (parts.next().unwrap(), parts.next().unwrap());
        let resolved = aftercare_service::intel::lookup::resolve(&clean.1, None, from)
            .await
            .unwrap();
        assert_eq!(
            resolved,
            vec![(
                to.parse::<i64>().unwrap(),
                Some(from.parse::<i64>().unwrap())
            )],
            "{backend}"
        );

        // Stopped after two batches, then resumed.
        add_feed(
            &stopped.1,
            &stopped.2,
            "osv-mirror",
            FeedKind::Osv,
            Some(url.clone()),
            None,
        )
        .await;
        let options = SyncOptions {
            stop_after_batches: Some(2),
            ..small_batches()
        };
        let report = sync_ok(&stopped.1, &stopped.2, "osv-mirror", &options).await;
        assert_eq!(report.status, SyncStatus::Interrupted, "{backend}");
        assert_eq!(report.counts.batches, 2);
        let partial = count(&stopped.1, "records").await;
        assert!(
            partial > 0 && partial < members.len() as i64,
            "{backend}: {partial}"
        );
        let report = sync_ok(&stopped.1, &stopped.2, "osv-mirror", &small_batches()).await;
        assert!(report.resumed, "{backend}");
        assert_eq!(report.status, SyncStatus::Completed, "{backend}");
        assert_same_dump(
            backend,
            "stopped and resumed",
            &expected,
            &dump(&stopped.1).await,
        );

        // The connection drops mid-body: detected, nothing applied; the next sync completes.
        add_feed(
            &cut.1,
            &cut.2,
            "osv-mirror",
            FeedKind::Osv,
            Some(url.clone()),
            None,
        )
        .await;
        server
            .behaviour
            .lock()
            .unwrap()
            .truncate_once
            .insert("/osv/all.zip".to_string());
        let principal = admin(&cut.1).await;
        let error = sync::sync(
            &cut.1,
            &cut.2,
            &principal,
            "osv-mirror",
            &small_batches(),
            &NoProgress,
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains("truncated"),
            "{backend}: {error}"
        );
        assert_eq!(
            count(&cut.1, "records").await,
            0,
            "{backend}: a truncated download applied"
        );
        assert_eq!(count(&cut.1, "documents").await, 0, "{backend}");
        let feed = aftercare_store::feed::by_name(cut.1.raw_store().pool(), "osv-mirror")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(feed.last_status.as_deref(), Some("failed"));
        let report = sync_ok(&cut.1, &cut.2, "osv-mirror", &small_batches()).await;
        assert_eq!(report.status, SyncStatus::Completed, "{backend}");
        assert_same_dump(
            backend,
            "cut and synced again",
            &expected,
            &dump(&cut.1).await,
        );
    }
}

fn icsma_documents() -> Vec<(String, Vec<u8>)> {
    let dir = aftercare_testdata::path("csaf/cisa-icsma/OT/white/2024");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .take(4)
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(path).unwrap(),
            )
        })
        .collect()
}

fn rolie_feed(server: &Server, documents: &[(String, Vec<u8>)], updated: &str) -> Vec<u8> {
    let entries: Vec<serde_json::Value> = documents
        .iter()
        .map(|(name, _)| {
            serde_json::json!({
                "id": name.trim_end_matches(".json"),
                "title": name,
                "published": "2024-01-01T00:00:00Z",
                "updated": updated,
                "link": [{"rel": "self", "href": server.url(&format!("csaf/2024/{name}"))}],
                "content": {"type": "application/json", "src": format!("2024/{name}")},
                "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"feed": {
        "id": "test-feed", "title": "Test", "updated": updated,
        "link": [{"rel": "self", "href": server.url("csaf/feed.json")}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "entry": entries,
    }}))
    .unwrap()
}

#[tokio::test]
async fn csaf_discovery_nvd_api_and_kev_over_http() {
    let server = Server::start();
    let documents = icsma_documents();
    for (name, bytes) in &documents {
        server.write(&format!("csaf/2024/{name}"), bytes);
    }
    server.write(
        "csaf/feed.json",
        &rolie_feed(&server, &documents, "2024-06-01T00:00:00Z"),
    );
    server.write(
        "csaf/provider-metadata.json",
        &serde_json::to_vec(&serde_json::json!({
            "canonical_url": server.url("csaf/provider-metadata.json"),
            "metadata_version": "2.0",
            "role": "csaf_trusted_provider",
            "publisher": {"category": "coordinator", "name": "Test", "namespace": "https://example.com"},
            "last_updated": "2024-06-01T00:00:00Z",
            "list_on_CSAF_aggregators": false,
            "mirror_on_CSAF_aggregators": false,
            "distributions": [{"rolie": {"feeds": [{"summary": "white", "tlp_label": "WHITE", "url": server.url("csaf/feed.json")}]}}],
        }))
        .unwrap(),
    );
    server.write(
        "kev.json",
        &aftercare_testdata::read("kev/known_exploited_vulnerabilities.json"),
    );
    let lines = aftercare_testdata::read("nvd/nvd-api-2.0-cves.jsonl");
    let items: Vec<serde_json::Value> = lines
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect();
    {
        let mut behaviour = server.behaviour.lock().unwrap();
        behaviour.nvd_items = items.clone();
        let mut modified = items[0].clone();
        modified["cve"]["lastModified"] = serde_json::json!("2030-01-01T00:00:00.000");
        modified["cve"]["vulnStatus"] = serde_json::json!("Modified");
        behaviour.nvd_modified = vec![modified];
    }
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        // CSAF: provider metadata → ROLIE feed → documents.
        add_feed(
            &workspace,
            &context,
            "cisa",
            FeedKind::Csaf,
            Some(server.url("csaf/provider-metadata.json")),
            None,
        )
        .await;
        let report = sync_ok(&workspace, &context, "cisa", &small_batches()).await;
        assert_eq!(
            report.counts.new as usize,
            documents.len(),
            "{backend}: {:?}",
            report.counts
        );
        let again = sync_ok(&workspace, &context, "cisa", &small_batches()).await;
        assert_eq!(again.status, SyncStatus::Unchanged, "{backend}");
        // One entry's `updated` moves: only that document is fetched again.
        server.write(
            "csaf/feed.json",
            &rolie_feed(&server, &documents[..1], "2024-07-01T00:00:00Z"),
        );
        let requests_before = server.behaviour.lock().unwrap().requests.len();
        let third = sync_ok(&workspace, &context, "cisa", &small_batches()).await;
        let requests: Vec<String> =
            server.behaviour.lock().unwrap().requests[requests_before..].to_vec();
        let fetched_documents = requests
            .iter()
            .filter(|r| r.contains("/csaf/2024/"))
            .count();
        assert_eq!(fetched_documents, 1, "{backend}: {requests:?}");
        assert_eq!(third.counts.unchanged, 1, "{backend}: {:?}", third.counts);
        server.write(
            "csaf/feed.json",
            &rolie_feed(&server, &documents, "2024-06-01T00:00:00Z"),
        );

        // NVD API: paged first sync, then a window since the cursor.
        add_feed(
            &workspace,
            &context,
            "nvd",
            FeedKind::Nvd,
            Some(server.url("nvd")),
            None,
        )
        .await;
        let options = SyncOptions {
            nvd_page_size: 50,
            nvd_request_delay: Some(std::time::Duration::ZERO),
            ..small_batches()
        };
        let report = sync_ok(&workspace, &context, "nvd", &options).await;
        assert_eq!(
            report.counts.new as usize,
            items.len(),
            "{backend}: {:?}",
            report.counts
        );
        assert_eq!(
            report.counts.documents, 3,
            "{backend}: 130 items in pages of 50"
        );
        // A later run: the window runs from the first run's cursor (its `now`, kept to the
        // microsecond) to this run's `now`. With the same `now` the window would be empty
        // whenever `now` fell on a whole microsecond — a one-in-a-thousand flake.
        let later = Context::new(
            context.actor.clone(),
            context.now + jiff::SignedDuration::from_secs(1),
        );
        let report = sync_ok(&workspace, &later, "nvd", &options).await;
        assert_eq!(report.counts.updated, 1, "{backend}: {:?}", report.counts);
        let windowed = server
            .behaviour
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r.contains("lastModStartDate=") && r.contains("lastModEndDate="));
        assert!(windowed, "{backend}: the second sync asks for a window");

        // KEV: first sync, then 304.
        add_feed(
            &workspace,
            &context,
            "kev",
            FeedKind::Kev,
            Some(server.url("kev.json")),
            None,
        )
        .await;
        let report = sync_ok(&workspace, &context, "kev", &small_batches()).await;
        assert!(report.counts.new > 1_000, "{backend}");
        let report = sync_ok(&workspace, &context, "kev", &small_batches()).await;
        assert_eq!(report.status, SyncStatus::Unchanged, "{backend}");
    }
}

#[tokio::test]
async fn one_node_at_a_time_syncs_a_feed() {
    let mirror = aftercare_testdata::path("osv/CRAN.zip");
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        add_feed(
            &workspace,
            &context,
            "cran",
            FeedKind::Osv,
            None,
            Some(&mirror),
        )
        .await;
        let feed = aftercare_store::feed::by_name(workspace.raw_store().pool(), "cran")
            .await
            .unwrap()
            .unwrap();
        // Another node holds an unexpired lease.
        let pool = workspace.raw_store().pool();
        assert!(
            aftercare_store::feed::claim(
                pool,
                feed.id,
                "other-node",
                "2000-01-01T00:00:00.000000Z",
                "2999-01-01T00:00:00.000000Z"
            )
            .await
            .unwrap()
        );
        assert!(
            !aftercare_store::feed::claim(
                pool,
                feed.id,
                "third-node",
                "2000-01-01T00:00:00.000000Z",
                "2999-01-01T00:00:00.000000Z"
            )
            .await
            .unwrap(),
            "{backend}: two nodes hold one lease"
        );
        let principal = admin(&workspace).await;
        let error = sync::sync(
            &workspace,
            &context,
            &principal,
            "cran",
            &small_batches(),
            &NoProgress,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, aftercare_service::ServiceError::Busy { .. }),
            "{backend}: {error}"
        );
        assert_eq!(count(&workspace, "sync_runs").await, 0, "{backend}");
        // The lease lapses (its node died): the next sync takes it over.
        sqlx::query("UPDATE feeds SET lease_until = '2001-01-01T00:00:00.000000Z'")
            .execute(pool)
            .await
            .unwrap();
        let report = sync_ok(&workspace, &context, "cran", &small_batches()).await;
        assert_eq!(report.status, SyncStatus::Completed, "{backend}");
        let feed = aftercare_store::feed::by_name(pool, "cran")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(feed.lease_owner, None, "{backend}: the lease is given back");
    }
}
