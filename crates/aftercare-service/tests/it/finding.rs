//! Findings in the workspace, on real data: the GHSA records of the shared data synced from a
//! local folder, the real juice-shop SBOM imported; the stored findings equal what the pure
//! matcher finds on the same records and components; a changed record closes a finding with
//! its reason and the original reopens it, keeping its first-seen date; a first match opens
//! the product's regulatory case.

use std::collections::BTreeSet;
use std::path::Path;

use aftercare_match::Index;
use aftercare_service::finding::{self, FindingQuery, MatchScope};
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::sync::SyncOptions;
use aftercare_service::inventory::{self, SbomFile};

use crate::intel::{add_feed, sync_matched, sync_ok};
use crate::{shared_member, workspaces};

const GHSA: &str = "osv/GHSA-and-fixtures.zip";
const LODASH: &str = "github/advisory-database/advisories/github-reviewed/2021/05/GHSA-35jh-r3h4-6jhm/GHSA-35jh-r3h4-6jhm.json";
const JUICE_SHOP: (&str, &str) = (
    "sbom/cyclonedx-bom-examples.zip",
    "SBOM/juice-shop/v11.1.2/bom.json",
);

/// Writes every member of the GHSA zip into a folder (the feed's local mirror).
fn mirror(dir: &Path) {
    for entry in aftercare_testdata::zip_entries(GHSA) {
        let target = dir.join(&entry.name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, &entry.bytes).unwrap();
    }
}

/// The (component purl, vulnerability ids) pairs the pure matcher finds for the SBOM against
/// every OSV record of the zip: the expectation, computed without the store.
fn expected_pairs() -> BTreeSet<(String, BTreeSet<String>)> {
    let mut records = Vec::new();
    for entry in aftercare_testdata::zip_entries(GHSA) {
        if let Ok(parsed) = aftercare_intel::read_document(&entry.name, &entry.bytes) {
            records.extend(parsed.into_records());
        }
    }
    let index = Index::build(records);
    let sbom = aftercare_sbom::read(JUICE_SHOP.1, &shared_member(JUICE_SHOP.0, JUICE_SHOP.1))
        .unwrap()
        .sbom;
    let components: Vec<aftercare_match::Component> = sbom
        .components
        .iter()
        .map(|c| aftercare_match::Component {
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            package: None,
            cpes: c.cpes.clone(),
            hashes: Vec::new(),
        })
        .collect();
    index
        .scan(&components, &[])
        .findings
        .iter()
        .map(|f| {
            let purl = components[f.component]
                .purl
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let ids: BTreeSet<String> = std::iter::once(f.vulnerability.to_string())
                .chain(f.aliases.iter().map(ToString::to_string))
                .collect();
            (purl, ids)
        })
        .collect()
}

fn ids_of(row: &aftercare_store::finding::FindingRow) -> BTreeSet<String> {
    let aliases: Vec<String> = serde_json::from_str(&row.aliases).unwrap();
    std::iter::once(row.vulnerability.clone())
        .chain(aliases)
        .collect()
}

async fn all_findings(
    workspace: &aftercare_service::Workspace,
    state: &str,
) -> Vec<aftercare_store::finding::FindingRow> {
    finding::list(
        workspace,
        &FindingQuery {
            state: Some(state.into()),
            limit: 10_000,
            ..FindingQuery::default()
        },
    )
    .await
    .unwrap()
    .findings
}

/// How many of the expected findings of one release are CVE-2021-23337's.
fn per_release_lodash(expected: &BTreeSet<(String, BTreeSet<String>)>) -> usize {
    expected
        .iter()
        .filter(|(_, ids)| ids.contains("CVE-2021-23337"))
        .count()
}

#[tokio::test]
async fn import_matches_sync_rematches_and_closed_findings_keep_their_history() {
    let expected = expected_pairs();
    assert!(
        expected.len() >= 3,
        "juice-shop has known-vulnerable npm packages: {expected:?}"
    );
    // A one-shot process reads each run's scope; a server keeps the matcher warm.
    for warm in [false, true] {
        for (test, workspace, context) in workspaces().await {
            let workspace = if warm {
                aftercare_service::finding::keep_warm(workspace)
            } else {
                workspace
            };
            let backend = format!("{} (warm: {warm})", test.backend().as_str());
            scenario(&expected, &backend, &workspace, &context).await;
        }
    }
}

async fn scenario(
    expected: &BTreeSet<(String, BTreeSet<String>)>,
    backend: &str,
    workspace: &aftercare_service::Workspace,
    context: &aftercare_service::Context,
) {
    let expected = expected.clone();
    let (workspace, context) = (workspace.clone(), context.clone());
    {
        let dir = tempfile::tempdir().unwrap();
        mirror(dir.path());
        add_feed(
            &workspace,
            &context,
            "ghsa",
            FeedKind::Osv,
            None,
            Some(dir.path()),
        )
        .await;
        let options = SyncOptions::default();
        sync_ok(&workspace, &context, "ghsa", &options).await;
        inventory::add_product(&workspace, &context, "Infusion Pump", None)
            .await
            .unwrap();
        let file = SbomFile {
            name: "bom.json".into(),
            bytes: shared_member(JUICE_SHOP.0, JUICE_SHOP.1),
        };
        let outcome = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion Pump",
            "1.0",
            Some(&file),
        )
        .await
        .unwrap();
        let report = outcome.matched.expect("an import with an SBOM is matched");
        assert_eq!(report.opened.len(), expected.len(), "{backend}");

        // The stored findings are the pure matcher's, pair for pair.
        let stored = all_findings(&workspace, "open").await;
        let got: BTreeSet<(String, BTreeSet<String>)> = stored
            .iter()
            .map(|row| (row.component_purl.clone().unwrap_or_default(), ids_of(row)))
            .collect();
        assert_eq!(got, expected, "{backend}");

        // lodash 4.17.19: GHSA-35jh-r3h4-6jhm, npm lodash [0, 4.17.21), CVSS 3.1
        // AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H = 7.2 high; the CVE is the canonical id.
        let lodash = stored
            .iter()
            .find(|row| {
                row.component_purl.as_deref() == Some("pkg:npm/lodash@4.17.19")
                    && ids_of(row).contains("GHSA-35jh-r3h4-6jhm")
            })
            .expect("the lodash finding");
        assert_eq!(lodash.vulnerability, "CVE-2021-23337");
        assert_eq!(lodash.severity, "high");
        assert_eq!(lodash.score, Some(7.2));
        assert_eq!(lodash.fixed_versions, r#"["4.17.21"]"#);
        assert_eq!(lodash.matched_version.as_deref(), Some("4.17.19"));
        assert!(
            lodash.reasons.contains(
                "GHSA-35jh-r3h4-6jhm affected[0].ranges[0] ECOSYSTEM introduced 0, fixed 4.17.21"
            ),
            "{}",
            lodash.reasons
        );
        assert_eq!(lodash.first_seen, lodash.last_seen);
        // The first match opened the product's case, aware today.
        let case =
            aftercare_store::case::cases(workspace.raw_store().pool(), Some(lodash.product_id))
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.vulnerability == "CVE-2021-23337")
                .expect("a case for the first match");
        // The awareness day is the first match's day in the policy's time zone.
        let policy = aftercare_risk::Policy::builtin().unwrap();
        let first_seen: jiff::Timestamp = lodash.first_seen.parse().unwrap();
        assert_eq!(
            case.awareness_date,
            Some(policy.calendar().day_of(first_seen).to_string())
        );

        // Matching everything again changes nothing.
        let again = finding::rematch(&workspace, &context, MatchScope::All)
            .await
            .unwrap();
        assert!(!again.changed_anything(), "{backend}: {again:?}");
        assert_eq!(again.confirmed, expected.len());

        // A server started on this workspace loads its warm copy at once, and a full re-match
        // from it changes nothing either.
        let server = aftercare_service::Workspace::from_store(
            workspace.raw_store().clone(),
            workspace.location().clone(),
        );
        let server = finding::keep_warm(server);
        let (components, findings) = finding::warm_up(&server).await.unwrap();
        let release = aftercare_service::inventory::release(&workspace, "Infusion Pump", "1.0")
            .await
            .unwrap();
        let in_release = aftercare_store::sbom::components(
            workspace.raw_store().pool(),
            aftercare_store::sbom::by_release(workspace.raw_store().pool(), release.id)
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap()
        .len();
        assert_eq!(
            (components, findings),
            (in_release, expected.len()),
            "{backend}"
        );
        let again = finding::rematch(&server, &context, MatchScope::All)
            .await
            .unwrap();
        assert!(!again.changed_anything(), "{backend}: {again:?}");
        assert_eq!(again.confirmed, expected.len());

        // The supplier moves the fix down to 4.17.19: the finding closes, with the reason.
        let path = dir.path().join(LODASH);
        let original = std::fs::read_to_string(&path).unwrap();
        let changed = original
            .replace("\"fixed\": \"4.17.21\"", "\"fixed\": \"4.17.19\"")
            .replace("2022-02-08T21:35:09Z", "2026-03-01T00:00:00Z");
        std::fs::write(&path, changed).unwrap();
        let report = sync_matched(&workspace, &context, "ghsa", &options).await;
        let matched = report.matched.expect("the delta is re-matched");
        assert_eq!(matched.closed, vec![lodash.id], "{backend}");
        assert!(matched.opened.is_empty());
        let closed = finding::show(&workspace, lodash.id).await.unwrap();
        assert_eq!(closed.finding.state, "closed");
        assert_eq!(
            closed.finding.close_reason.as_deref(),
            Some("no record of CVE-2021-23337 affects lodash 4.17.19 any more")
        );
        let kinds: Vec<&str> = closed.history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["opened", "closed"]);
        assert_eq!(all_findings(&workspace, "closed").await.len(), 1);

        // The original comes back: the same finding reopens, first seen unchanged.
        std::fs::write(
            &path,
            original.replace("2022-02-08T21:35:09Z", "2026-03-02T00:00:00Z"),
        )
        .unwrap();
        let report = sync_matched(&workspace, &context, "ghsa", &options).await;
        let matched = report.matched.expect("the delta is re-matched");
        assert_eq!(matched.reopened, vec![lodash.id], "{backend}");
        let reopened = finding::show(&workspace, lodash.id).await.unwrap();
        assert_eq!(reopened.finding.state, "open");
        assert_eq!(reopened.finding.first_seen, lodash.first_seen);
        assert_eq!(reopened.finding.close_reason, None);

        // An advisory known first by its own id, which later learns its CVE: the same
        // finding, renamed, aware since the first match (a hand-made record beside the real
        // ones).
        let advisory = |aliases: &str, modified: &str| {
            format!(
                r#"{{"id": "AFTERCARE-TEST-0001", "modified": "{modified}", "aliases": [{aliases}],
                  "summary": "test advisory",
                  "affected": [{{"package": {{"ecosystem": "npm", "name": "lodash"}},
                    "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "4.17.0"}}, {{"fixed": "4.17.20"}}]}}]}}]}}"#
            )
        };
        let test_record = dir.path().join("aftercare-test-0001.json");
        std::fs::write(&test_record, advisory("", "2026-03-03T00:00:00Z")).unwrap();
        let report = sync_matched(&workspace, &context, "ghsa", &options).await;
        let opened = report.matched.expect("the new record is matched").opened;
        assert_eq!(opened.len(), 1, "{backend}");
        let before = finding::show(&workspace, opened[0]).await.unwrap().finding;
        assert_eq!(before.vulnerability, "AFTERCARE-TEST-0001");
        std::fs::write(
            &test_record,
            advisory(r#""CVE-2099-0001""#, "2026-03-04T00:00:00Z"),
        )
        .unwrap();
        let report = sync_matched(&workspace, &context, "ghsa", &options).await;
        let matched = report.matched.expect("the changed record is re-matched");
        assert_eq!(matched.changed, vec![before.id], "{backend}: {matched:?}");
        assert!(matched.opened.is_empty() && matched.closed.is_empty());
        let after = finding::show(&workspace, before.id).await.unwrap();
        assert_eq!(after.finding.vulnerability, "CVE-2099-0001");
        assert_eq!(after.finding.first_seen, before.first_seen);
        assert!(after.finding.aliases.contains("AFTERCARE-TEST-0001"));
        // Matching again changes nothing.
        let again = finding::rematch(&workspace, &context, MatchScope::All)
            .await
            .unwrap();
        assert!(again.changed.is_empty(), "{backend}: {again:?}");
        // Its case followed the new id.
        let cases =
            aftercare_store::case::cases(workspace.raw_store().pool(), Some(before.product_id))
                .await
                .unwrap();
        assert!(cases.iter().any(|c| c.vulnerability == "CVE-2099-0001"));
        assert!(
            !cases
                .iter()
                .any(|c| c.vulnerability == "AFTERCARE-TEST-0001")
        );

        // Another process (a CLI import beside the server, another node) matches meanwhile:
        // a warm matcher sees the generation move and reads the findings again.
        let other = aftercare_service::Workspace::from_store(
            workspace.raw_store().clone(),
            workspace.location().clone(),
        );
        let outcome = aftercare_service::flow::import_release(
            &other,
            &context,
            "Infusion Pump",
            "0.9",
            Some(&file),
        )
        .await
        .unwrap();
        assert_eq!(outcome.matched.unwrap().opened.len(), expected.len() + 1);
        let again = finding::rematch(&workspace, &context, MatchScope::All)
            .await
            .unwrap();
        assert!(!again.changed_anything(), "{backend}: {again:?}");
        assert_eq!(again.confirmed, 2 * (expected.len() + 1), "{backend}");

        // A second release with the same SBOM: its own findings, no new case.
        let cases_before = aftercare_store::case::cases(workspace.raw_store().pool(), None)
            .await
            .unwrap()
            .len();
        let outcome = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion Pump",
            "1.1",
            Some(&file),
        )
        .await
        .unwrap();
        let report = outcome.matched.unwrap();
        // The real records' findings, and the test record's.
        assert_eq!(report.opened.len(), expected.len() + 1);
        assert_eq!(report.cases, 0);
        assert_eq!(
            aftercare_store::case::cases(workspace.raw_store().pool(), None)
                .await
                .unwrap()
                .len(),
            cases_before
        );

        // A KEV catalog lists CVE-2021-23337 (the real catalog with one test entry added):
        // its sync re-matches the findings of the listed CVEs, which become KEV findings.
        let mut catalog: serde_json::Value = serde_json::from_slice(&aftercare_testdata::read(
            "kev/known_exploited_vulnerabilities.json",
        ))
        .unwrap();
        catalog["vulnerabilities"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "cveID": "CVE-2021-23337", "vendorProject": "test entry", "product": "lodash",
                "vulnerabilityName": "added by the aftercare test", "dateAdded": "2026-03-01",
                "shortDescription": "test", "requiredAction": "test", "dueDate": "2026-03-22",
                "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}));
        let kev_dir = tempfile::tempdir().unwrap();
        let kev_file = kev_dir.path().join("known_exploited_vulnerabilities.json");
        std::fs::write(&kev_file, serde_json::to_vec(&catalog).unwrap()).unwrap();
        add_feed(
            &workspace,
            &context,
            "kev",
            FeedKind::Kev,
            None,
            Some(&kev_file),
        )
        .await;
        let report = sync_matched(&workspace, &context, "kev", &options).await;
        let matched = report.matched.expect("the KEV delta is re-matched");
        assert_eq!(
            matched.changed.len(),
            3 * per_release_lodash(&expected),
            "{backend}: {matched:?}"
        );
        let kev = finding::list(
            &workspace,
            &FindingQuery {
                kev: Some(true),
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            kev.total as usize,
            3 * per_release_lodash(&expected),
            "{backend}"
        );
        assert!(
            kev.findings
                .iter()
                .all(|f| f.vulnerability == "CVE-2021-23337")
        );
        let triage = aftercare_service::triage::assessment::triage(&workspace, &kev.findings[0])
            .await
            .unwrap();
        assert_eq!(
            triage.signals.kev.map(|k| k.date_added.to_string()),
            Some("2026-03-01".to_string())
        );

        // Filters.
        let of_release = finding::list(
            &workspace,
            &FindingQuery {
                product: Some("Infusion Pump".into()),
                release: Some("1.1".into()),
                limit: 10_000,
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(of_release.total, expected.len() as i64 + 1);
        assert!(of_release.findings.iter().all(|f| f.release == "1.1"));
        let high = finding::list(
            &workspace,
            &FindingQuery {
                severities: vec!["high".into()],
                limit: 10_000,
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(high.total > 0 && high.findings.iter().all(|f| f.severity == "high"));
        let by_alias = finding::list(
            &workspace,
            &FindingQuery {
                vulnerability: Some("GHSA-35jh-r3h4-6jhm".into()),
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap();
        let per_release = expected
            .iter()
            .filter(|(_, ids)| ids.contains("GHSA-35jh-r3h4-6jhm"))
            .count();
        assert!(per_release >= 1);
        assert_eq!(
            by_alias.total,
            3 * per_release as i64,
            "{backend}: found by an alias, in the three releases"
        );
        let wrong = finding::list(
            &workspace,
            &FindingQuery {
                severities: vec!["severe".into()],
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap_err();
        assert!(wrong.to_string().contains("severe"), "{wrong}");

        // Findings stored before digests were kept (an upgraded workspace): a run computes
        // their digests from the stored fields, writes them back, and changes nothing.
        sqlx::query("UPDATE findings SET match_digest = NULL")
            .execute(workspace.raw_store().pool())
            .await
            .unwrap();
        // (A later instant: the run stamps what it confirms with its context's time.)
        let later = aftercare_service::Context {
            now: jiff::Timestamp::now(),
            ..context.clone()
        };
        let again = finding::rematch(&other, &later, MatchScope::All)
            .await
            .unwrap();
        assert!(!again.changed_anything(), "{backend}: {again:?}");
        let undigested: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM findings WHERE match_digest IS NULL")
                .fetch_one(workspace.raw_store().pool())
                .await
                .unwrap();
        assert_eq!(undigested, 0, "{backend}");
        // A full re-match confirms the open findings it leaves alone.
        let confirmed = finding::show(&workspace, lodash.id).await.unwrap().finding;
        assert!(confirmed.last_seen > lodash.last_seen, "{backend}");

        // A record that names no package, only the vulnerability, joins it; a later change of
        // that record alone re-rates the vulnerability's findings in every release — the
        // delta reaches them through the vulnerability, not through a package. The vector
        // AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H is 9.8, critical, in FIRST's calculator.
        let sibling = |severity: &str, modified: &str| {
            format!(
                r#"{{"id": "AFTERCARE-TEST-0002", "modified": "{modified}",
                  "aliases": ["CVE-2021-23337"], "summary": "test sibling", {severity}
                  "affected": []}}"#
            )
        };
        let sibling_record = dir.path().join("aftercare-test-0002.json");
        std::fs::write(&sibling_record, sibling("", "2026-03-05T00:00:00Z")).unwrap();
        let report = sync_matched(&workspace, &context, "ghsa", &options).await;
        let matched = report
            .matched
            .expect("the joined vulnerability is re-matched");
        assert_eq!(
            matched.changed.len(),
            3 * per_release_lodash(&expected),
            "{backend}: the findings gain the new id among their aliases: {matched:?}"
        );
        std::fs::write(
            &sibling_record,
            sibling(
                r#""severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"#,
                "2026-03-06T00:00:00Z",
            ),
        )
        .unwrap();
        let report = sync_matched(&workspace, &context, "ghsa", &options).await;
        assert!(
            report.sync.delta.packages.is_empty(),
            "{backend}: {:?}",
            report.sync.delta
        );
        let matched = report.matched.expect("the changed record is re-matched");
        assert_eq!(
            matched.changed.len(),
            3 * per_release_lodash(&expected),
            "{backend}: {matched:?}"
        );
        assert!(matched.opened.is_empty() && matched.closed.is_empty());
        let rated = finding::list(
            &workspace,
            &FindingQuery {
                vulnerability: Some("CVE-2021-23337".into()),
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rated.total as usize, 3 * per_release_lodash(&expected));
        assert!(
            rated
                .findings
                .iter()
                .all(|f| f.severity == "critical" && f.score == Some(9.8)),
            "{backend}"
        );
    }
}

/// A workspace with the GHSA records synced from a local mirror (kept while the folder lives)
/// and the product "Infusion Pump"; returns the folder, the sync's report and the juice-shop
/// SBOM to import.
async fn synced_pump(
    workspace: &aftercare_service::Workspace,
    context: &aftercare_service::Context,
) -> (
    tempfile::TempDir,
    aftercare_service::intel::sync::SyncReport,
    SbomFile,
) {
    let dir = tempfile::tempdir().unwrap();
    mirror(dir.path());
    add_feed(
        workspace,
        context,
        "ghsa",
        FeedKind::Osv,
        None,
        Some(dir.path()),
    )
    .await;
    let synced = sync_ok(workspace, context, "ghsa", &SyncOptions::default()).await;
    inventory::add_product(workspace, context, "Infusion Pump", None)
        .await
        .unwrap();
    let file = SbomFile {
        name: "bom.json".into(),
        bytes: shared_member(JUICE_SHOP.0, JUICE_SHOP.1),
    };
    (dir, synced, file)
}

/// Issue 11, item 1: a stored feed document that no longer parses was taken as "no records",
/// and the next match closed its findings as "no record affects this any more" — a silent
/// loss of evidence. Now its record is reported unreadable and the findings of its
/// vulnerability are held as they are, by a full re-match and by a feed delta's run; `finding
/// show` lists the record, and a sync run can carry it as a warning.
#[tokio::test]
async fn issue_11_unreadable_stored_document_holds_its_findings() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let (_mirror, synced, file) = synced_pump(&workspace, &context).await;
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion Pump",
            "1.0",
            Some(&file),
        )
        .await
        .unwrap();
        let lodash: Vec<_> = all_findings(&workspace, "open")
            .await
            .into_iter()
            .filter(|f| f.vulnerability == "CVE-2021-23337")
            .collect();
        assert!(
            !lodash.is_empty(),
            "{backend}: juice-shop has lodash 4.17.x"
        );
        let open_before = all_findings(&workspace, "open").await.len();

        // The lodash advisory's stored document is damaged (as a reader change or a broken
        // disk would leave it).
        sqlx::query(
            "UPDATE documents SET content = $1 WHERE id = \
             (SELECT document_id FROM records WHERE record_id = 'GHSA-35jh-r3h4-6jhm')",
        )
        .bind(b"{ this is no longer an OSV document".to_vec())
        .execute(workspace.raw_store().pool())
        .await
        .unwrap();

        // A full re-match (what `aftercare match --all` runs) holds them, closes nothing.
        let report = finding::rematch(&workspace, &context, MatchScope::All)
            .await
            .unwrap();
        let held: BTreeSet<i64> = report.held.iter().copied().collect();
        for finding in &lodash {
            assert!(held.contains(&finding.id), "{backend}: {report:?}");
        }
        assert!(report.closed.is_empty(), "{backend}: {:?}", report.closed);
        assert_eq!(report.unreadable.len(), 1, "{backend}");
        assert_eq!(report.unreadable[0].record_id, "GHSA-35jh-r3h4-6jhm");
        assert!(
            report.unreadable[0].reason.contains("no longer parses"),
            "{backend}: {}",
            report.unreadable[0]
        );
        assert_eq!(
            all_findings(&workspace, "open").await.len(),
            open_before,
            "{backend}"
        );

        // A feed delta's run that re-evaluates the vulnerability holds them too.
        let vulnerability = lodash[0].vulnerability_id.expect("a stored vulnerability");
        let delta = aftercare_service::intel::sync::SyncDelta {
            vulnerabilities: vec![vulnerability],
            ..Default::default()
        };
        let report = finding::rematch(&workspace, &context, MatchScope::Delta(&delta))
            .await
            .unwrap();
        assert!(report.closed.is_empty(), "{backend}: {report:?}");
        assert_eq!(report.held.len(), lodash.len(), "{backend}");

        // `finding show` says why the finding is held.
        let detail = finding::show(&workspace, lodash[0].id).await.unwrap();
        assert_eq!(detail.finding.state, "open", "{backend}");
        assert_eq!(detail.unreadable.len(), 1, "{backend}");
        assert!(
            detail.unreadable[0]
                .to_string()
                .contains("GHSA-35jh-r3h4-6jhm"),
            "{backend}"
        );

        // A sync run carries it as a warning, after its own.
        let run = synced.run_id.expect("the sync started a run");
        aftercare_service::intel::sync::report_unreadable(&workspace, run, &report.unreadable)
            .await
            .unwrap();
        let warnings = aftercare_store::feed::warnings(workspace.raw_store().pool(), run, 10_000)
            .await
            .unwrap();
        let last = warnings.last().expect("a warning");
        assert_eq!(last.kind, "UnreadableRecord", "{backend}");
        assert_eq!(last.position, synced.counts.warnings, "{backend}");
    }
}

/// An import killed after its commit but before its match left the release without findings,
/// and the documented retry said "already imported; nothing changed" and never matched
/// (reliability review, D1). The retry now matches the release again.
#[tokio::test]
async fn a_retried_import_matches_a_release_its_first_import_did_not() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let (_mirror, _synced, file) = synced_pump(&workspace, &context).await;
        // The import commits; the process dies before the match (the inventory use case
        // alone is what committed).
        inventory::add_release(&workspace, &context, "Infusion Pump", "1.0", Some(&file))
            .await
            .unwrap();
        assert!(
            all_findings(&workspace, "all").await.is_empty(),
            "{backend}"
        );
        let retried = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion Pump",
            "1.0",
            Some(&file),
        )
        .await
        .unwrap();
        assert!(retried.import.duplicate, "{backend}");
        let matched = retried.matched.expect("the retry matches the release");
        assert_eq!(matched.opened.len(), expected_pairs().len(), "{backend}");
        // Once more: everything is confirmed, nothing opens twice.
        let again = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion Pump",
            "1.0",
            Some(&file),
        )
        .await
        .unwrap();
        let matched = again.matched.expect("matched again");
        assert!(!matched.changed_anything(), "{backend}: {matched:?}");
    }
}
