//! Patch management over HTTP (issue 13) on each backend, with the real GHSA records and the
//! real juice-shop SBOM: lodash 4.17.19 and 2.4.2 carry CVE-2021-23337 (fixed in 4.17.21). A
//! signed, overridden uncontrolled determination starts the remediation clock; a plan asking
//! for the regular cycle is refused and writes nothing; the out-of-cycle plan is created; the
//! patch release 2.0.1 (the same SBOM with lodash moved to 4.17.21) is attached and shows both
//! findings upgraded; an approval with evidence missing is refused with every reason and
//! nothing written; evidence is recorded (a failed regression superseded by a passing one) and
//! its file downloaded byte for byte, as an attachment whose digest matches; an API token
//! cannot sign the approval, a session can; the gate clears the distribution, which meets the
//! case's remediation clock; the chain shows every step.

use aftercare_model::Role;
use aftercare_server::Settings;
use aftercare_service::access::auth::Principal;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::{apps, get_as, send, token_for};

const LODASH: &str = "CVE-2021-23337";

/// Who is calling: a bearer token or a session cookie.
#[derive(Clone, Copy)]
enum As<'a> {
    Token(&'a str),
    Session(&'a str),
}

fn request(method: &str, uri: &str, body: Option<Value>, who: As) -> Request<Body> {
    let builder = Request::builder().method(method).uri(uri);
    let builder = match who {
        As::Token(token) => builder.header("authorization", format!("Bearer {token}")),
        As::Session(cookie) => builder.header("cookie", cookie),
    };
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

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
    assert_eq!(response.status(), StatusCode::OK, "login {login}");
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// The juice-shop SBOM of the fielded release, and the patch release's: the same document
/// with every lodash moved to 4.17.21 (the fixed version the GHSA record gives).
fn sboms() -> (Vec<u8>, Vec<u8>) {
    let fielded = aftercare_testdata::zip_entries("sbom/cyclonedx-bom-examples.zip")
        .into_iter()
        .find(|e| e.name == "SBOM/juice-shop/v11.1.2/bom.json")
        .unwrap()
        .bytes;
    let mut patched: Value = serde_json::from_slice(&fielded).unwrap();
    fn upgrade(components: &mut Value) -> usize {
        let mut moved = 0;
        for component in components.as_array_mut().into_iter().flatten() {
            if component["name"] == "lodash" {
                component["version"] = json!("4.17.21");
                component["purl"] = json!("pkg:npm/lodash@4.17.21");
                moved += 1;
            }
            if let Some(nested) = component.get_mut("components") {
                moved += upgrade(nested);
            }
        }
        moved
    }
    assert_eq!(upgrade(&mut patched["components"]), 2, "two lodash copies");
    patched["serialNumber"] = json!("urn:uuid:5d0a5a53-2c1e-4d0b-9f61-0a0e2a1f2001");
    (fielded, serde_json::to_vec(&patched).unwrap())
}

/// Today in the policy's time zone (a distribution may not be dated later).
fn today() -> String {
    jiff::Timestamp::now()
        .in_tz("America/New_York")
        .unwrap()
        .date()
        .to_string()
}

/// Every byte value, twice: a file no text transformation leaves alone.
fn binary_file() -> Vec<u8> {
    (0..=255u8).chain((0..=255u8).rev()).collect()
}

#[tokio::test]
async fn the_patch_chain_over_http_plan_patch_evidence_approval_distribution_clock() {
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    let (fielded, patched) = sboms();
    let report = binary_file();
    for (test, router, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
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
                name: "ghsa".into(),
                kind: FeedKind::Osv,
                url: None,
                path: Some(mirror.display().to_string()),
                ecosystem: None,
            },
        )
        .await
        .unwrap();
        aftercare_service::flow::sync(
            &workspace,
            &context,
            &principal,
            "ghsa",
            &SyncOptions::default(),
            &NoProgress,
        )
        .await
        .unwrap();
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "2.0",
            Some(&SbomFile {
                name: "bom.json".into(),
                bytes: fielded.clone(),
            }),
        )
        .await
        .unwrap();

        // Sam analyses and builds, Rita reviews and approves, Vera only reads.
        let sam = token_for(&workspace, &context, "sam", &[Role::SecurityAnalyst]).await;
        let rita = token_for(&workspace, &context, "rita", &[Role::Reviewer]).await;
        let vera = token_for(&workspace, &context, "vera", &[Role::Viewer]).await;
        let admin_session = session(&router, "admin", "correct horse battery").await;
        let rita_session = session(&router, "rita", "rita-password-1").await;
        let sam = As::Token(&sam);

        let (status, page) = send(
            &router,
            get_as(
                &format!("/api/v1/findings?product=Pump&vulnerability={LODASH}"),
                &vera,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        let findings: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        assert_eq!(findings.len(), 2, "{backend}: lodash 4.17.19 and 2.4.2");

        // A signed determination, overridden to uncontrolled: the remediation clock runs.
        let (status, body) = send(
            &router,
            request(
                "PUT",
                &format!("/api/v1/findings/{}/assessment", findings[0]),
                Some(json!({
                    "status": "affected",
                    "responses": ["update"],
                    "action_statement": "Install release 2.0.1, which ships lodash 4.17.21.",
                    "scope": "product",
                    "versions": "*",
                    "harm": "serious",
                    "override_outcome": "uncontrolled",
                    "override_rationale": "template() is reachable from the dosing report generator",
                    "signature": {"login": "admin", "password": "correct horse battery", "meaning": "authorship"},
                })),
                As::Session(&admin_session),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["triage"]["determination"]["outcome"], "uncontrolled");

        // The regular cycle is refused with the reason, and nothing is written.
        let mut new_plan = json!({
            "product": "Pump",
            "vulnerabilities": [LODASH],
            "target_version": "2.0.1",
            "cycle": "regular",
            "owner": "sam",
            "change_requests": [{"reference": "CR-2291", "url": "https://qms.example/CR-2291"}],
            "problem_reports": [{"reference": "PR-77"}],
            "controls": [{"description": "Disable report export", "evidence": "SOP-12 rev 3"}],
        });
        let (status, body) = send(
            &router,
            request("POST", "/api/v1/plans", Some(new_plan.clone()), sam),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("the determination is uncontrolled"),
            "{backend}: {message}"
        );
        let (status, plans) = send(&router, get_as("/api/v1/plans", &vera)).await;
        assert_eq!((status, plans), (StatusCode::OK, json!([])), "{backend}");

        // Out of cycle: created, with both findings, the due date and the controls.
        new_plan["cycle"] = json!("out_of_cycle");
        let (status, plan) = send(
            &router,
            request("POST", "/api/v1/plans", Some(new_plan), sam),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {plan}");
        let plan_id = plan["id"].as_i64().unwrap();
        assert_eq!(plan["state"], "open");
        assert_eq!(plan["cycle_requirement"]["need"], "out_of_cycle_required");
        assert_eq!(plan["vulnerabilities"], json!([LODASH]));
        let mut named: Vec<i64> = plan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        named.sort_unstable();
        let mut expected = findings.clone();
        expected.sort_unstable();
        assert_eq!(named, expected, "{backend}");
        assert_eq!(plan["due"]["vulnerability"], LODASH, "{backend}: {plan}");
        assert_eq!(plan["due"]["clock_state"], "open");
        assert_eq!(plan["due_note"], Value::Null);
        assert_eq!(plan["change_requests"][0]["reference"], "CR-2291");
        let sources: Vec<&str> = plan["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["plan"], "{backend}: {plan}");
        let (status, listed) = send(
            &router,
            get_as(&format!("/api/v1/plans?finding={}", findings[1]), &vera),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed[0]["id"], plan_id, "{backend}: the finding's plan");
        let (status, body) = send(&router, get_as("/api/v1/plans?state=someday", &vera)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");

        // Work starts; the patch release is imported and attached.
        let (status, body) = send(
            &router,
            request(
                "PATCH",
                &format!("/api/v1/plans/{plan_id}"),
                Some(json!({"start": true})),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["state"], "in_progress");
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "2.0.1",
            Some(&SbomFile {
                name: "bom-2.0.1.json".into(),
                bytes: patched.clone(),
            }),
        )
        .await
        .unwrap();
        // A release older than what the plan fixes is refused.
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0/attach",
                Some(json!({"plans": [plan_id]})),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is not newer than"),
            "{body}"
        );
        let (status, patch) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/attach",
                Some(json!({"plans": [plan_id]})),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {patch}");
        assert_eq!(patch["plans"][0]["state"], "patch_built");
        assert!(patch["sbom_matched"].as_bool().unwrap());
        for fix in patch["fixes"].as_array().unwrap() {
            assert_eq!(fix["outcome"], "upgraded", "{backend}: {fix}");
            assert_eq!(fix["fixed"], true);
            assert!(
                fix["sentence"].as_str().unwrap().contains("to 4.17.21"),
                "{fix}"
            );
        }
        assert_eq!(patch["fixes"].as_array().unwrap().len(), 2);
        assert_eq!(
            patch["missing_evidence"],
            json!([
                "verification",
                "validation",
                "regression",
                "impact_assessment"
            ]),
            "{backend}"
        );
        assert_eq!(patch["approval"], "none");
        assert_eq!(patch["gate"]["cleared"], false);

        // Approval with every kind of evidence missing: refused, every reason, nothing written.
        let approval = json!({"signature": {"login": "rita", "password": "rita-password-1",
            "meaning": "approval", "reason": "V&V complete"}});
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/approve",
                Some(approval.clone()),
                As::Session(&rita_session),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        for kind in [
            "impact_assessment",
            "verification",
            "validation",
            "regression",
        ] {
            assert!(message.contains(kind), "{backend}: {kind} in {message}");
        }
        let (_, after) = send(&router, get_as("/api/v1/patches/Pump/2.0.1", &vera)).await;
        assert_eq!(after["decisions"], json!([]), "{backend}: nothing written");
        assert_eq!(after["plans"][0]["state"], "patch_built");

        // The evidence: an impact assessment, a verification with its report, a validation
        // executed by Sam, and a regression that failed, then its passing correction.
        let encoded = base64::engine::general_purpose::STANDARD.encode(&report);
        let items = [
            json!({"kind": "impact_assessment", "title": "Impact of lodash 4.17.21",
                "result": "pass", "executed_by": ["sam"], "executed_on": "2025-06-02",
                "impact": {"safety_and_essential_performance_affected": false,
                    "verification_rerun": ["VP-12 report generator suite"],
                    "regulatory_path": "letter_to_file",
                    "rationale": "A library update inside the report generator only; no dosing path changes."}}),
            json!({"kind": "verification", "title": "VP-12 report generator suite",
                "result": "pass", "executed_by": ["sam", "tom"], "executed_on": "2025-06-03",
                "files": [{"name": "vp-12 report.bin", "content_base64": encoded}]}),
            json!({"kind": "validation", "title": "Clinical workflow validation",
                "result": "pass", "executed_by": ["sam"], "executed_on": "2025-06-04"}),
            json!({"kind": "regression", "title": "Full regression", "result": "fail",
                "executed_by": ["tom"], "executed_on": "2025-06-04"}),
        ];
        let mut ids = Vec::new();
        for item in items {
            let (status, body) = send(
                &router,
                request(
                    "POST",
                    "/api/v1/patches/Pump/2.0.1/evidence",
                    Some(item),
                    sam,
                ),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
            ids.push(body["evidence"].as_i64().unwrap());
        }
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/evidence",
                Some(
                    json!({"kind": "regression", "title": "Full regression, re-run",
                    "result": "pass", "executed_by": ["tom"], "executed_on": "2025-06-05",
                    "supersedes": ids[3]}),
                ),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        let correction = body["evidence"].as_i64().unwrap();
        assert_eq!(body["patch"]["missing_evidence"], json!([]), "{backend}");
        // Not base64: refused before anything is stored.
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/evidence",
                Some(
                    json!({"kind": "security_test", "title": "Fuzzing", "result": "pass",
                    "executed_by": ["sam"], "executed_on": "2025-06-05",
                    "files": [{"name": "f.txt", "content_base64": "not base64!"}]}),
                ),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");

        let (status, evidence) = send(
            &router,
            get_as("/api/v1/patches/Pump/2.0.1/evidence", &vera),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {evidence}");
        let evidence = evidence.as_array().unwrap();
        assert_eq!(evidence.len(), 5, "{backend}: no partial record");
        let failed = evidence.iter().find(|e| e["id"] == ids[3]).unwrap();
        assert_eq!(
            (&failed["current"], &failed["superseded_by"]),
            (&json!(false), &json!(correction))
        );
        let verification = evidence.iter().find(|e| e["id"] == ids[1]).unwrap();
        let file = &verification["files"][0];
        assert_eq!(file["bytes"], report.len());
        assert_eq!(
            file["sha256"],
            aftercare_model::Sha256::of(&report).to_hex()
        );
        assert_eq!(
            file["download"],
            format!("/api/v1/evidence/{}/files/vp-12%20report.bin", ids[1])
        );

        // The file, byte for byte, as an attachment that is never rendered.
        let response = tower::ServiceExt::oneshot(
            router.clone(),
            get_as(file["download"].as_str().unwrap(), &vera),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"vp-12 report.bin\"; filename*=UTF-8''vp-12%20report.bin"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(
            headers["etag"].to_str().unwrap(),
            format!("\"sha256:{}\"", file["sha256"].as_str().unwrap())
        );
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(bytes.as_ref(), report.as_slice(), "{backend}");
        let (status, _) = send(
            &router,
            get_as(
                &format!("/api/v1/evidence/{}/files/other.bin", ids[1]),
                &vera,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");

        // A token never signs, even with the right password: refused, nothing written.
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/approve",
                Some(approval.clone()),
                As::Token(&rita),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "signature_refused");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("tokens"),
            "{body}"
        );
        let signatures = aftercare_store::signature::signatures_of(
            workspace.raw_store().pool(),
            "patch",
            &patch["release_id"].to_string(),
        )
        .await
        .unwrap();
        assert!(signatures.is_empty(), "{backend}: nothing signed");

        // A session signs; the approval matches and the gate clears.
        let (status, patch) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/approve",
                Some(approval),
                As::Session(&rita_session),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {patch}");
        assert_eq!(patch["approval"], "matching");
        assert_eq!(patch["decisions"][0]["kind"], "approved");
        assert_eq!(patch["plans"][0]["state"], "approved");
        assert_eq!(patch["gate"]["cleared"], true, "{backend}: {patch}");
        assert_eq!(patch["gate"]["clearance"]["signer"], "rita");
        let manifestation = patch["approvals"][0]["manifestation"].as_str().unwrap();
        assert!(
            manifestation.starts_with("Signed by rita on ") && manifestation.ends_with("approval"),
            "{manifestation}"
        );

        // The distribution the gate allows meets the remediation clock.
        let (status, body) = send(
            &router,
            get_as(&format!("/api/v1/cases/Pump/{LODASH}"), &vera),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        let remediation = |case: &Value| {
            case["clocks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["kind"] == "remediation")
                .cloned()
                .unwrap_or_else(|| panic!("no remediation clock: {case}"))
        };
        assert_eq!(
            remediation(&body)["state"],
            "open",
            "{backend}: not met by an approval"
        );
        let (status, patch) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/distribute",
                Some(json!({"channel": "field_service", "on": today(),
                    "organisation": "General Hospital",
                    "evidence_file": {"name": "fsr.txt", "content_base64": "RlNSLTEgZG9uZQ=="}})),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {patch}");
        assert_eq!(patch["distributions"][0]["channel"], "field_service");
        assert_eq!(patch["distributions"][0]["has_evidence_file"], true);
        assert_eq!(patch["plans"][0]["state"], "distributed");
        let (_, case) = send(
            &router,
            get_as(&format!("/api/v1/cases/Pump/{LODASH}"), &vera),
        )
        .await;
        let clock = remediation(&case);
        assert_eq!(clock["state"], "met", "{backend}: {clock}");
        assert!(clock["satisfied_at"].is_string(), "{clock}");

        // The chain, step by step.
        let (status, chain) =
            send(&router, get_as("/api/v1/patches/Pump/2.0.1/chain", &vera)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {chain}");
        let link = &chain["links"][0];
        assert_eq!(link["vulnerability"], LODASH);
        assert_eq!(link["clock"]["state"], "met");
        let steps: Vec<(&str, &str)> = link["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["step"].as_str().unwrap(), s["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            [
                ("finding", "done"),
                ("assessment", "done"),
                ("determination", "done"),
                ("plan", "done"),
                ("change_request", "done"),
                ("patch_release", "done"),
                ("fix_evidence", "done"),
                ("evidence", "done"),
                ("approval", "done"),
                ("distribution", "done"),
            ],
            "{backend}: {chain}"
        );
        assert_eq!(link["steps"][9]["clock"], "met");

        // A distributed plan is closed; the list filters by state.
        let (status, closed) = send(
            &router,
            request(
                "POST",
                &format!("/api/v1/plans/{plan_id}/close"),
                Some(json!({})),
                sam,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {closed}");
        assert_eq!(closed["state"], "closed");
        let (_, listed) = send(
            &router,
            get_as("/api/v1/plans?product=Pump&state=closed", &vera),
        )
        .await;
        assert_eq!(listed.as_array().unwrap().len(), 1, "{backend}");
        // Reading is not managing.
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/revoke",
                Some(json!({"reason": "a viewer may not recall a patch"})),
                As::Token(&vera),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
    }
}

#[tokio::test]
async fn evidence_above_the_upload_limit_gets_413_in_the_error_envelope() {
    let settings = Settings {
        max_upload_bytes: 4096,
        ..Settings::default()
    };
    for (test, router, workspace, context) in apps(settings).await {
        let backend = test.backend().as_str();
        let sam = token_for(&workspace, &context, "sam", &[Role::SecurityAnalyst]).await;
        let file = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 8192]);
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/evidence",
                Some(
                    json!({"kind": "verification", "title": "Too big", "result": "pass",
                    "executed_by": ["sam"], "executed_on": "2025-06-02",
                    "files": [{"name": "big.bin", "content_base64": file}]}),
                ),
                As::Token(&sam),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "payload_too_large", "{backend}");
        // A body that is not the evidence's JSON is refused in the same envelope.
        let (status, body) = send(
            &router,
            request(
                "POST",
                "/api/v1/patches/Pump/2.0.1/evidence",
                Some(json!({"title": "no kind"})),
                As::Token(&sam),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{backend}");
    }
}
