//! The findings API on each backend: the real GHSA records synced, the real juice-shop SBOM
//! imported; list with filters, one finding with its history, a full re-match, and who may
//! do what.

use aftercare_server::Settings;
use aftercare_service::access::auth::Principal;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::{apps, get_as, send, token_for};

#[tokio::test]
async fn findings_are_listed_filtered_shown_and_rematched() {
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    let bom = aftercare_testdata::zip_entries("sbom/cyclonedx-bom-examples.zip")
        .into_iter()
        .find(|e| e.name == "SBOM/juice-shop/v11.1.2/bom.json")
        .unwrap()
        .bytes;
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
        let outcome = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "2.0",
            Some(&SbomFile {
                name: "bom.json".into(),
                bytes: bom.clone(),
            }),
        )
        .await
        .unwrap();
        let opened = outcome.matched.unwrap().opened.len();
        assert!(opened >= 3, "{backend}");

        let viewer = token_for(
            &workspace,
            &context,
            "viewer",
            &[aftercare_model::Role::Viewer],
        )
        .await;
        let analyst = token_for(
            &workspace,
            &context,
            "analyst",
            &[aftercare_model::Role::SecurityAnalyst],
        )
        .await;
        let (status, page) = send(
            &router,
            get_as(
                "/api/v1/findings?product=Pump&release=2.0&limit=1000",
                &viewer,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert_eq!(page["total"].as_u64().unwrap() as usize, opened);
        let items = page["items"].as_array().unwrap();
        // Most severe first.
        let rank = |s: &str| {
            ["critical", "high", "medium", "low", "none", "unknown"]
                .iter()
                .position(|x| *x == s)
                .unwrap()
        };
        let ranks: Vec<usize> = items
            .iter()
            .map(|f| rank(f["severity"].as_str().unwrap()))
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
        let lodash = items
            .iter()
            .find(|f| {
                f["component"]["purl"] == "pkg:npm/lodash@4.17.19"
                    && f["vulnerability"]["id"] == "CVE-2021-23337"
            })
            .unwrap_or_else(|| panic!("{backend}: no lodash finding"));
        assert_eq!(lodash["fixed_versions"], serde_json::json!(["4.17.21"]));
        assert_eq!(
            lodash["severity_basis"]["vector"],
            "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"
        );
        assert_eq!(lodash["reasons"][0]["id"], "GHSA-35jh-r3h4-6jhm");

        let (status, detail) = send(
            &router,
            get_as(&format!("/api/v1/findings/{}", lodash["id"]), &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {detail}");
        assert_eq!(detail["finding"]["id"], lodash["id"]);
        assert_eq!(detail["history"][0]["kind"], "opened");

        let (status, _) = send(&router, get_as("/api/v1/findings/999999", &viewer)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");
        let (status, body) =
            send(&router, get_as("/api/v1/findings?severity=severe", &viewer)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        let (status, body) = send(&router, get_as("/api/v1/findings?state=closed", &viewer)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["total"], 0);

        // A full re-match: the viewer may not, the analyst may; nothing changed.
        let post = |token: &str| {
            Request::builder()
                .method("POST")
                .uri("/api/v1/match")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        let (status, _) = send(&router, post(&viewer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        let (status, report) = send(&router, post(&analyst)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {report}");
        assert_eq!(report["confirmed"].as_u64().unwrap() as usize, opened);
        assert_eq!(report["opened"], serde_json::json!([]));

        // Triage over the API: a token may assess, a viewer may not.
        let put = |token: &str, body: serde_json::Value| {
            Request::builder()
                .method("PUT")
                .uri(format!("/api/v1/findings/{}/assessment", lodash["id"]))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let not_affected = serde_json::json!({
            "status": "not_affected", "justification": "code_not_reachable",
            "impact_statement": "lodash.template is never called", "scope": "product"});
        let (status, _) = send(&router, put(&viewer, not_affected.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        let (status, detail) = send(&router, put(&analyst, not_affected)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {detail}");
        let assessment = &detail["triage"]["assessment"];
        assert_eq!(assessment["status"], "not_affected");
        assert_eq!(
            assessment["openvex_justification"],
            "vulnerable_code_not_in_execute_path"
        );
        assert_eq!(assessment["versions"], "=4.17.19");
        let (status, bad) = send(
            &router,
            put(&analyst, serde_json::json!({"status": "not_affected"})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {bad}");
        let (status, page) = send(
            &router,
            get_as("/api/v1/findings?assessment=not_affected", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert_eq!(page["total"], 1);

        // A determination is signed by a person in a session, never with a token.
        let harm = serde_json::json!({
            "status": "affected", "responses": ["update"], "harm": "serious",
            "override_outcome": "uncontrolled",
            "override_rationale": "Template injection could alter the displayed dose rate.",
            "signature": {"login": "analyst", "password": "analyst-password-1", "meaning": "authorship"}});
        let (status, refused) = send(&router, put(&analyst, harm.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {refused}");
        let login = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"login":"analyst","password":"analyst-password-1"}"#,
            ))
            .unwrap();
        let response = tower::ServiceExt::oneshot(router.clone(), login)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let session = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let request = Request::builder()
            .method("PUT")
            .uri(format!("/api/v1/findings/{}/assessment", lodash["id"]))
            .header("cookie", &session)
            .header("content-type", "application/json")
            .body(Body::from(harm.to_string()))
            .unwrap();
        let (status, detail) = send(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {detail}");
        let determination = &detail["triage"]["determination"];
        assert_eq!(determination["outcome"], "uncontrolled");
        assert!(determination["signature_id"].is_i64(), "{determination}");
        assert_eq!(detail["case"]["risk"], "uncontrolled");
        let (status, triage) = send(
            &router,
            get_as(
                &format!("/api/v1/findings/{}/assessment", lodash["id"]),
                &viewer,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {triage}");
        assert_eq!(triage["assessment"]["status"], "affected");

        // Bulk: several findings with one assessment.
        let ids: Vec<i64> = items
            .iter()
            .filter(|f| f["id"] != lodash["id"])
            .take(2)
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        let request = Request::builder()
            .method("POST")
            .uri("/api/v1/findings/assessments")
            .header("authorization", format!("Bearer {analyst}"))
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({"findings": ids, "status": "under_investigation"}).to_string(),
            ))
            .unwrap();
        let (status, outcome) = send(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {outcome}");
        assert_eq!(outcome["decisions"].as_array().unwrap().len(), ids.len());
    }
}
