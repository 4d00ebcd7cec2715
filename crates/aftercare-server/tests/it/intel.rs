//! The intelligence API: feeds (add, list, show, sync, remove) and vulnerabilities (search,
//! look-up by any alias), on each backend.

use aftercare_server::Settings;
use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::{apps, get_as, send, token_for};

fn json_request(method: &str, uri: &str, token: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn feeds_sync_and_vulnerabilities_over_the_api() {
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    for (test, router, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let analyst = token_for(
            &workspace,
            &context,
            "analyst",
            &[aftercare_model::Role::SecurityAnalyst],
        )
        .await;
        let viewer = token_for(
            &workspace,
            &context,
            "viewer",
            &[aftercare_model::Role::Viewer],
        )
        .await;

        // A viewer may read but not add feeds.
        let new_feed = serde_json::json!({"name": "ghsa", "kind": "osv", "path": mirror.display().to_string()});
        let (status, _) = send(
            &router,
            json_request("POST", "/api/v1/feeds", &viewer, new_feed.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        let (status, body) = send(
            &router,
            json_request("POST", "/api/v1/feeds", &analyst, new_feed.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        assert_eq!(body["kind"], "osv");
        let (status, _) = send(
            &router,
            json_request("POST", "/api/v1/feeds", &analyst, new_feed),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}");
        let (status, body) = send(
            &router,
            json_request(
                "POST",
                "/api/v1/feeds",
                &analyst,
                serde_json::json!({"name": "x", "kind": "cve5"}),
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{backend}: cve5 has no default: {body}"
        );

        // Sync and wait for the report.
        let (status, report) = send(
            &router,
            json_request(
                "POST",
                "/api/v1/feeds/ghsa/sync?wait=true",
                &analyst,
                serde_json::json!({}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {report}");
        assert_eq!(report["status"], "completed");
        assert!(report["new"].as_i64().unwrap() > 40, "{backend}: {report}");
        assert!(
            !report["delta"]["vulnerabilities"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let (status, feeds) = send(&router, get_as("/api/v1/feeds", &viewer)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(feeds[0]["last_status"], "completed", "{backend}: {feeds}");
        let (status, detail) = send(&router, get_as("/api/v1/feeds/ghsa", &viewer)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["runs"].as_array().unwrap().len(), 1);
        // The two YAML members are listed as warnings of the run.
        let warnings = detail["warnings"].as_array().unwrap();
        assert!(
            warnings.iter().any(|w| w["kind"] == "Unsupported"),
            "{backend}: {warnings:?}"
        );

        // Search, then look up by every alias.
        let (status, page) = send(
            &router,
            get_as("/api/v1/vulnerabilities?package=lodash&limit=5", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert!(page["total"].as_i64().unwrap() > 0, "{backend}: {page}");
        let canonical = page["items"][0]["canonical"].as_str().unwrap().to_string();
        let (status, found) = send(
            &router,
            get_as(&format!("/api/v1/vulnerabilities/{canonical}"), &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {found}");
        let vulnerability = &found["vulnerabilities"][0];
        let id = vulnerability["id"].as_i64().unwrap();
        for alias in vulnerability["ids"].as_array().unwrap() {
            let alias = alias.as_str().unwrap();
            let (status, again) = send(
                &router,
                get_as(&format!("/api/v1/vulnerabilities/{alias}"), &viewer),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{backend}: {alias}");
            assert_eq!(again["vulnerabilities"][0]["id"], id, "{backend}: {alias}");
        }
        let (status, _) = send(
            &router,
            get_as("/api/v1/vulnerabilities/GHSA-0000-0000-0000", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");
        assert!(
            !vulnerability["records"][0]["affected"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        // Remove the feed: its records stay.
        let (status, _) = send(
            &router,
            Request::delete("/api/v1/feeds/ghsa")
                .header("authorization", format!("Bearer {analyst}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{backend}");
        let (_, feeds) = send(&router, get_as("/api/v1/feeds", &viewer)).await;
        assert!(feeds.as_array().unwrap().is_empty());
        let (status, _) = send(
            &router,
            get_as(&format!("/api/v1/vulnerabilities/{canonical}"), &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}");
    }
}
