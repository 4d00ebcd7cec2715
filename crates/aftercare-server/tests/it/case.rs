//! Regulatory case events over HTTP (issue 12, item 1): only the signed path changes what the
//! law asks to be signed — a determination is refused on the generic entry, and a report's
//! submission is accepted only as a signed record by a person with the agency's reference,
//! never through an API token; with a session and with a token, on each backend.

use aftercare_model::Role;
use aftercare_service::inventory;
use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::{apps, send, token_for};

fn post(uri: &str, body: serde_json::Value, auth: (&str, &str)) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .header(auth.0, auth.1)
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn the_generic_event_entry_refuses_what_must_be_signed() {
    for (test, router, workspace, context) in apps(aftercare_server::Settings::default()).await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        // Sam, a security analyst: a token and a session.
        let token = token_for(&workspace, &context, "sam", &[Role::SecurityAnalyst]).await;
        let bearer = format!("Bearer {token}");
        let login = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"login":"sam","password":"sam-password-1"}"#))
            .unwrap();
        let response = tower::ServiceExt::oneshot(router.clone(), login)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        let session = cookie.split(';').next().unwrap().to_string();
        let as_session = ("cookie", session.as_str());
        let as_token = ("authorization", bearer.as_str());
        let event = |extra: serde_json::Value| {
            let mut body = serde_json::json!({
                "product": "Pump",
                "vulnerability": "CVE-2021-44228",
                "reason": "recorded in a test",
            });
            for (key, value) in extra.as_object().unwrap() {
                body[key] = value.clone();
            }
            body
        };
        let signature = serde_json::json!({"login": "sam", "password": "sam-password-1", "meaning": "responsibility"});

        for auth in [as_session, as_token] {
            // A determination through the generic entry: refused, whoever asks.
            let (status, body) = send(
                &router,
                post(
                    "/api/v1/cases/events",
                    event(
                        serde_json::json!({"kind": "determination_made", "risk": "uncontrolled"}),
                    ),
                    auth,
                ),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{backend} {}: {body}",
                auth.0
            );
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("signed determination"),
                "{body}"
            );
            // A report's submission without a signature: refused.
            let (status, body) = send(
                &router,
                post(
                    "/api/v1/cases/events",
                    event(serde_json::json!({"kind": "mdr_report_submitted", "reference": "MDR-2026-7"})),
                    auth,
                ),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{backend} {}: {body}",
                auth.0
            );
        }
        // With a signature but no reference: refused.
        let (status, body) = send(
            &router,
            post(
                "/api/v1/cases/events",
                event(serde_json::json!({"kind": "report_806_submitted", "signature": signature})),
                as_session,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        // A token never signs, even with the right password.
        let (status, body) = send(
            &router,
            post(
                "/api/v1/cases/events",
                event(serde_json::json!({"kind": "eu_mdr_report_submitted", "reference": "EUDAMED-1", "signature": signature})),
                as_token,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("tokens"),
            "{body}"
        );
        // A person, with the session, the password and the agency's reference: recorded and
        // signed.
        let (status, body) = send(
            &router,
            post(
                "/api/v1/cases/events",
                event(serde_json::json!({"kind": "eu_mdr_report_submitted", "reference": "EUDAMED-1", "signature": signature})),
                as_session,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        let signatures = aftercare_store::signature::signatures_of(
            workspace.raw_store().pool(),
            "case_event",
            &format!("{}:CVE-2021-44228:eu_mdr_report_submitted", 1),
        )
        .await
        .unwrap();
        assert_eq!(signatures.len(), 1, "{backend}: the submission is signed");
        assert_eq!(signatures[0].meaning, "responsibility", "{backend}");
        // Nothing else changed the case: it was opened by the one signed event.
        assert_eq!(body["risk"], serde_json::Value::Null, "{backend}: {body}");
    }
}
