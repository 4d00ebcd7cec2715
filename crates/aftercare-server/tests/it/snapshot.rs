//! JSON snapshots (insta) of the API's answers, through `Router::oneshot` on each backend:
//! products, releases, components, findings (list and detail, with a signed determination),
//! a vulnerability, clocks and the case, the policy, the audit trail, the error envelope, and
//! a remediation plan and its patch release.
//! Ids, timestamps and what derives from them are redacted (`aftercare_testdata::redact`), so
//! that SQLite and PostgreSQL answer the same snapshot.
//!
//! A snapshot fails when an answer changes: review the change, then accept it with
//! `INSTA_UPDATE=always` (or `cargo insta review`).

use aftercare_server::Settings;
use aftercare_service::access::auth::Principal;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use aftercare_testdata::redact::redact_folder;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::{apps, get_as, send, token_for};

/// A device SBOM: lodash with a rated GHSA record, minimist whose version cannot be
/// compared, a component only an unrated record names.
const DEVICE_SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
 "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
 "metadata": {"timestamp": "2025-01-01T00:00:00Z", "authors": [{"name": "Device Team"}],
   "tools": [{"name": "hand"}],
   "component": {"bom-ref": "pump", "type": "device", "name": "infusion-pump", "version": "4.2.0"}},
 "components": [
  {"bom-ref": "lodash", "type": "library", "name": "lodash", "version": "4.17.19",
   "purl": "pkg:npm/lodash@4.17.19", "supplier": {"name": "OpenJS Foundation"}, "licenses": [{"license": {"id": "MIT"}}]},
  {"bom-ref": "minimist", "type": "library", "name": "minimist", "version": "latest", "purl": "pkg:npm/minimist@latest"},
  {"bom-ref": "tiny", "type": "library", "group": "@acme", "name": "tiny-unrated", "version": "1.0.0", "purl": "pkg:npm/tiny-unrated@1.0.0"}
 ],
 "dependencies": [{"ref": "pump", "dependsOn": ["lodash", "minimist", "tiny"]}]}"#;

/// A record no source rates.
const UNRATED_RECORD: &str = r#"{"id": "AFTERCARE-TEST-0001", "modified": "2024-01-01T00:00:00Z", "summary": "An unrated flaw",
 "affected": [{"package": {"ecosystem": "npm", "name": "tiny-unrated"},
   "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]}"#;

const GHSA: &str = "osv/GHSA-and-fixtures.zip";
const LODASH_RECORD: &str = "github/advisory-database/advisories/github-reviewed/2021/05/GHSA-35jh-r3h4-6jhm/GHSA-35jh-r3h4-6jhm.json";
const MINIMIST_RECORD: &str = "github/advisory-database/advisories/github-reviewed/2022/03/GHSA-xvch-5gv4-984h/GHSA-xvch-5gv4-984h.json";

/// A folder of OSV records, as a local feed reads it.
fn advisories(dir: &std::path::Path) {
    for entry in aftercare_testdata::zip_entries(GHSA) {
        if entry.name == LODASH_RECORD || entry.name == MINIMIST_RECORD {
            let name = entry.name.rsplit('/').next().unwrap().to_string();
            std::fs::write(dir.join(name), &entry.bytes).unwrap();
        }
    }
    std::fs::write(dir.join("AFTERCARE-TEST-0001.json"), UNRATED_RECORD).unwrap();
}

/// Logs in and returns the session cookie (`name=value`).
async fn session(router: &axum::Router, login: &str, password: &str) -> String {
    let request = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"login": login, "password": password}).to_string(),
        ))
        .unwrap();
    let response = tower::ServiceExt::oneshot(router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// Asserts the status and the redacted answer of `GET uri` against the snapshot `name`; the
/// advisories' temporary folder reads `[advisories]`.
async fn snapshot(
    router: &axum::Router,
    folder: &std::path::Path,
    token: &str,
    uri: &str,
    name: &str,
) {
    let (status, body) = send(router, get_as(uri, token)).await;
    let body = redact_folder(body, folder, "[advisories]");
    insta::assert_json_snapshot!(name, json!({"status": status.as_u16(), "body": body}));
}

#[tokio::test]
async fn api_answers_match_their_snapshots_on_every_backend() {
    let folder = tempfile::tempdir().unwrap();
    advisories(folder.path());
    for (_test, router, workspace, context) in apps(Settings::default()).await {
        let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
            .await
            .unwrap()
            .unwrap();
        let principal = Principal::local(&admin).unwrap();
        feed::add(
            &workspace,
            &context,
            &principal,
            &NewFeedRequest {
                name: "advisories".into(),
                kind: FeedKind::Osv,
                url: None,
                path: Some(folder.path().display().to_string()),
                ecosystem: None,
            },
        )
        .await
        .unwrap();
        aftercare_service::flow::sync(
            &workspace,
            &context,
            &principal,
            "advisories",
            &SyncOptions::default(),
            &NoProgress,
        )
        .await
        .unwrap();
        inventory::add_product(
            &workspace,
            &context,
            "Infusion pump",
            Some("A large-volume infusion pump"),
        )
        .await
        .unwrap();
        let imported = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion pump",
            "4.2.0",
            Some(&SbomFile {
                name: "device.cdx.json".into(),
                bytes: DEVICE_SBOM.as_bytes().to_vec(),
            }),
        )
        .await
        .unwrap();
        let release = imported.import.release.id;
        let viewer = token_for(
            &workspace,
            &context,
            "viewer",
            &[aftercare_model::Role::Viewer],
        )
        .await;
        let auditor = token_for(
            &workspace,
            &context,
            "auditor",
            &[aftercare_model::Role::Administrator],
        )
        .await;
        token_for(
            &workspace,
            &context,
            "analyst",
            &[aftercare_model::Role::SecurityAnalyst],
        )
        .await;

        // A signed determination on lodash's finding, from a session: the case and its
        // clocks follow.
        let (_, page) = send(
            &router,
            get_as("/api/v1/findings?product=Infusion%20pump", &viewer),
        )
        .await;
        let lodash = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["vulnerability"]["id"] == "CVE-2021-23337")
            .unwrap()["id"]
            .clone();
        let cookie = session(&router, "analyst", "analyst-password-1").await;
        let assessment = json!({
            "status": "affected", "responses": ["update"],
            "action_statement": "Update to 4.2.1, which carries lodash 4.17.21.",
            "harm": "serious", "safety_and_essential_performance_affected": true,
            "controls": [{"description": "The template input is a fixed list", "evidence": "DHF-1234"}],
            "signature": {"login": "analyst", "password": "analyst-password-1", "meaning": "authorship"}});
        let request = Request::put(format!("/api/v1/findings/{lodash}/assessment"))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(Body::from(assessment.to_string()))
            .unwrap();
        let (status, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/products",
            "products",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/products/Infusion%20pump",
            "product",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            &format!("/api/v1/releases/{release}"),
            "release",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            &format!("/api/v1/releases/{release}/components"),
            "release_components",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            &format!("/api/v1/releases/{release}/quality"),
            "release_quality",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/findings?product=Infusion%20pump",
            "findings",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            &format!("/api/v1/findings/{lodash}"),
            "finding_detail",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/vulnerabilities/GHSA-35jh-r3h4-6jhm",
            "vulnerability",
        )
        .await;
        snapshot(&router, folder.path(), &viewer, "/api/v1/clocks", "clocks").await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/cases/Infusion%20pump/CVE-2021-23337",
            "case",
        )
        .await;
        snapshot(&router, folder.path(), &viewer, "/api/v1/policy", "policy").await;
        snapshot(
            &router,
            folder.path(),
            &auditor,
            "/api/v1/audit?entity_type=finding",
            "audit_findings",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &auditor,
            "/api/v1/feeds/advisories",
            "feed",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/vocabulary",
            "vocabulary",
        )
        .await;
        // The service accepts every scope the vocabulary offers (scopes have no enum of
        // their own yet).
        let (_, vocabulary) = send(&router, get_as("/api/v1/vocabulary", &viewer)).await;
        let analyst = token_for(
            &workspace,
            &context,
            "analyst",
            &[aftercare_model::Role::SecurityAnalyst],
        )
        .await;
        let unrated = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["vulnerability"]["id"] == "AFTERCARE-TEST-0001")
            .unwrap()["id"]
            .clone();
        for scope in vocabulary["scopes"].as_array().unwrap() {
            let request = Request::post("/api/v1/findings/assessments")
                .header("authorization", format!("Bearer {analyst}"))
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"findings": [unrated], "status": "under_investigation", "scope": scope["value"]})
                        .to_string(),
                ))
                .unwrap();
            let (status, body) = send(&router, request).await;
            assert_eq!(status, StatusCode::OK, "{scope}: {body}");
        }
        // The error envelope: not found, invalid input, forbidden.
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/findings/999999",
            "error_not_found",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/findings?severity=severe",
            "error_invalid_input",
        )
        .await;
        snapshot(
            &router,
            folder.path(),
            &viewer,
            "/api/v1/audit",
            "error_forbidden",
        )
        .await;

        // Patch management: a plan for lodash's finding, the patch release 4.2.1 (lodash
        // 4.17.21) attached, with its evidence, not yet approved.
        let post = |uri: &str, body: serde_json::Value| {
            Request::post(uri)
                .header("authorization", format!("Bearer {analyst}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let (status, plan) = send(
            &router,
            post(
                "/api/v1/plans",
                json!({"product": "Infusion pump", "vulnerabilities": ["CVE-2021-23337"],
                    "target_version": "4.2.1", "cycle": "out_of_cycle", "owner": "analyst",
                    "change_requests": [{"reference": "CR-2291"}],
                    "problem_reports": [{"reference": "PR-77", "url": "https://qms.example/PR-77"}],
                    "controls": [{"description": "Report export disabled", "evidence": "SOP-12"}]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Infusion pump",
            "4.2.1",
            Some(&SbomFile {
                name: "device-4.2.1.cdx.json".into(),
                bytes: DEVICE_SBOM
                    .replace("lodash@4.17.19", "lodash@4.17.21")
                    .replace("\"4.17.19\"", "\"4.17.21\"")
                    .replace("a58921a69b79", "a58921a69b80")
                    .into_bytes(),
            }),
        )
        .await
        .unwrap();
        let (status, body) = send(
            &router,
            post(
                "/api/v1/patches/Infusion%20pump/4.2.1/attach",
                json!({"plans": [plan["id"]]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for item in [
            json!({"kind": "impact_assessment", "title": "Impact of lodash 4.17.21", "result": "pass",
                "executed_by": ["analyst"], "executed_on": "2025-06-02",
                "files": [{"name": "impact.txt", "content_base64": "aW1wYWN0"}],
                "impact": {"safety_and_essential_performance_affected": false,
                    "verification_rerun": ["VP-12"], "regulatory_path": "letter_to_file",
                    "rationale": "A library update inside the report generator only."}}),
            json!({"kind": "regression", "title": "Full regression", "result": "deviation",
                "executed_by": ["tom"], "executed_on": "2025-06-03"}),
        ] {
            let (status, body) = send(
                &router,
                post("/api/v1/patches/Infusion%20pump/4.2.1/evidence", item),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        patch_snapshot(
            &router,
            &viewer,
            &format!("/api/v1/plans/{}", plan["id"]),
            "plan",
        )
        .await;
        patch_snapshot(
            &router,
            &viewer,
            "/api/v1/patches/Infusion%20pump/4.2.1",
            "patch",
        )
        .await;
    }
}

/// [`snapshot`] for patch management's answers, whose own ids, times and digests over them
/// (evidence and findings by id, a plan's due day, an evidence item's digest, which covers
/// the item it supersedes) the shared redaction does not know.
async fn patch_snapshot(router: &axum::Router, token: &str, uri: &str, name: &str) {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    match (key.as_str(), &field) {
                        ("finding" | "evidence" | "supersedes" | "superseded_by", v)
                            if v.is_number() =>
                        {
                            *field = json!("[id]")
                        }
                        ("updated_at" | "day" | "end" | "approved_at" | "on", v)
                            if v.is_string() =>
                        {
                            *field = json!("[time]")
                        }
                        ("digest" | "approval_sha256", v) if v.is_string() => {
                            *field = json!("[derived]")
                        }
                        ("download", serde_json::Value::String(url)) => {
                            let parts: Vec<&str> = url.split('/').collect();
                            *field = json!(
                                parts
                                    .iter()
                                    .map(|p| {
                                        if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() {
                                            "[id]"
                                        } else {
                                            p
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join("/")
                            );
                        }
                        _ => walk(field),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let (status, body) = send(router, get_as(uri, token)).await;
    let mut body = aftercare_testdata::redact::redact(body);
    walk(&mut body);
    insta::assert_json_snapshot!(name, json!({"status": status.as_u16(), "body": body}));
}
