//! The policy through the API on each backend: its answer lists the warnings of a policy that
//! deviates from the law and the signature manifestation of its revision (21 CFR 11.50); a
//! stored format 1 revision answers 409 `policy_unreadable` saying what to do, the revisions
//! still list it, and a signed format 2 policy replaces it.

use aftercare_server::Settings;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::{apps, send};

async fn session(router: &axum::Router) -> String {
    let request = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"login": "admin", "password": "correct horse battery"}).to_string(),
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

fn put_policy(cookie: &str, source: &str, reason: &str) -> Request<Body> {
    Request::put("/api/v1/policy")
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"source": source, "reason": reason, "signature": {
                "login": "admin", "password": "correct horse battery", "meaning": "approval"}})
            .to_string(),
        ))
        .unwrap()
}

fn get(cookie: &str, uri: &str) -> Request<Body> {
    Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn the_policy_answer_lists_its_warnings_and_signatures() {
    for (test, router, _, _) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let cookie = session(&router).await;
        let laxer = aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
            "[clock.mdr_803]\ndays = 30",
            "[clock.mdr_803]\ndays = 45\ndeviation_rationale = \"FDA's written extension of 2026-02-10 (RA-88)\"",
            1,
        );
        let (status, body) = send(
            &router,
            put_policy(
                &cookie,
                &laxer,
                "FDA granted a longer 803 period in writing",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(
            body["warnings"][0]["key"], "clock.mdr_803.days",
            "{backend}"
        );
        assert!(
            body["warnings"][0]["message"]
                .as_str()
                .unwrap()
                .contains("deviation rationale: FDA's written extension"),
            "{body}"
        );
        let manifestation = body["signatures"][0]["manifestation"].as_str().unwrap();
        assert!(
            manifestation.starts_with("Signed by Ada Admin on ")
                && manifestation.ends_with(" (UTC) — approval"),
            "{backend}: {manifestation}"
        );
        let (status, revisions) = send(&router, get(&cookie, "/api/v1/policy/revisions")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            revisions[0]["signatures"][0]["manifestation"],
            manifestation
        );
        assert_eq!(revisions[1]["signatures"], json!([]), "init's revision");
    }
}

#[tokio::test]
async fn a_format_1_revision_answers_409_and_a_signed_policy_replaces_it() {
    for (test, router, workspace, _) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let mut tx = workspace.raw_store().begin().await.unwrap();
        aftercare_store::policy::insert(
            &mut tx,
            &aftercare_store::policy::PolicyRow {
                id: 0,
                revision: 0,
                policy_id: "aftercare-default".into(),
                policy_version: "0.9.0".into(),
                digest: "ab".repeat(32),
                source_sha256: "cd".repeat(32),
                source: aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
                    "format = 2",
                    "format = 1",
                    1,
                ),
                created_at: String::new(),
                created_by: "user:admin".into(),
                reason: None,
            },
            "2025-06-01T09:00:00Z",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let cookie = session(&router).await;
        let (status, body) = send(&router, get(&cookie, "/api/v1/policy")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "policy_unreadable");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("aftercare policy set policy/default.toml"),
            "{body}"
        );
        let (status, revisions) = send(&router, get(&cookie, "/api/v1/policy/revisions")).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {revisions}");
        assert!(
            revisions[0]["unreadable"]
                .as_str()
                .unwrap()
                .contains("format 1 is no longer read"),
            "{revisions}"
        );
        assert_eq!(revisions[0]["time_zone"], json!(null));
        let (status, body) = send(
            &router,
            put_policy(
                &cookie,
                aftercare_risk::policy::DEFAULT_POLICY_TOML,
                "replace the format 1 policy",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["revision"], 3);
    }
}
