//! `/api/v1/incidents` on each backend: open, link, classify (signed by a person with a
//! session: the EU clock opens; a token cannot sign), close, list, lessons; a viewer reads but
//! cannot change, a customer cannot read; bad input is 400 naming the field.

use aftercare_model::Role;
use aftercare_service::inventory;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::{apps, get_as, send, token_for};

fn post(uri: &str, body: serde_json::Value, auth: (&str, &str)) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .header(auth.0, auth.1)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn message(body: &serde_json::Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn incidents_open_link_classify_and_close_over_http() {
    for (test, router, workspace, context) in apps(aftercare_server::Settings::default()).await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let token = token_for(&workspace, &context, "sam", &[Role::SecurityAnalyst]).await;
        let bearer = format!("Bearer {token}");
        let as_token = ("authorization", bearer.as_str());
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
        let viewer = token_for(&workspace, &context, "vera", &[Role::Viewer]).await;
        let customer = token_for(&workspace, &context, "cora", &[Role::Customer]).await;

        // Open: 201 with its number and timeline.
        let (status, body) = send(
            &router,
            post(
                "/api/v1/incidents",
                json!({"title": "Pump reboot on ward 3", "description": "Biomed reported two reboots.", "report": "CMP-31"}),
                as_token,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        let id = body["incident"]["id"].as_i64().unwrap();
        assert_eq!(
            body["incident"]["reference"],
            format!("INC-{id}"),
            "{backend}"
        );
        assert_eq!(body["incident"]["source"], "report", "{backend}");
        assert_eq!(body["timeline"][0]["kind"], "opened", "{backend}");

        // Bad input names the field.
        for (request, field) in [
            (json!({"title": " ", "description": "x"}), "title"),
            (
                json!({"title": "x", "description": "x", "aware_on": "yesterday"}),
                "aware_on",
            ),
        ] {
            let (status, body) = send(&router, post("/api/v1/incidents", request, as_token)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
            assert!(message(&body).contains(field), "{backend}: {body}");
        }

        // A viewer reads, cannot change; a customer cannot read.
        let (status, body) = send(&router, get_as("/api/v1/incidents", &viewer)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body.as_array().unwrap().len(), 1, "{backend}");
        let (status, _) = send(&router, get_as(&format!("/api/v1/incidents/{id}"), &viewer)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let viewer_bearer = format!("Bearer {viewer}");
        let (status, _) = send(
            &router,
            post(
                "/api/v1/incidents",
                json!({"title": "x", "description": "x"}),
                ("authorization", viewer_bearer.as_str()),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        let (status, _) = send(&router, get_as("/api/v1/incidents", &customer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        let (status, _) = send(&router, get_as("/api/v1/incidents/999999", &token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");

        // Link: an unknown device is 404, an unknown kind 400 naming it.
        let (status, body) = send(
            &router,
            post(
                &format!("/api/v1/incidents/{id}/links"),
                json!({"kind": "device", "target": "no-such-pump"}),
                as_token,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {body}");
        let (status, body) = send(
            &router,
            post(
                &format!("/api/v1/incidents/{id}/links"),
                json!({"kind": "patient", "target": "x"}),
                as_token,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(message(&body).contains("kind"), "{backend}: {body}");

        // Classify: a token cannot sign; bad input names the field; a person with a session
        // classifies and the EU clock opens.
        let signature =
            json!({"login": "sam", "password": "sam-password-1", "meaning": "responsibility"});
        let classify = json!({
            "eu": "public_health_threat",
            "rationale": "Infusions interrupted on two pumps; a ward-wide threat until patched.",
            "product": "Pump",
            "signature": signature,
        });
        let uri = format!("/api/v1/incidents/{id}/classify");
        let (status, body) = send(&router, post(&uri, classify.clone(), as_token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        assert!(message(&body).contains("tokens"), "{backend}: {body}");
        let mut bad = classify.clone();
        bad["eu"] = json!("minor");
        let (status, body) = send(&router, post(&uri, bad, as_session)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(message(&body).contains("eu"), "{backend}: {body}");
        let (status, body) = send(&router, post(&uri, classify, as_session)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(
            body["detail"]["incident"]["classification"], "eu:public_health_threat",
            "{backend}"
        );
        assert_eq!(
            body["detail"]["clocks"][0]["kind"], "eu_mdr_art87_public_health_threat",
            "{backend}"
        );
        assert_eq!(body["detail"]["case_product"], "Pump", "{backend}");

        // Close: every part required; refused while the clock runs.
        let close_uri = format!("/api/v1/incidents/{id}/close");
        let close = json!({
            "root_cause": "File handles leaked under an authentication burst.",
            "corrective_actions": ["CAPA-2026-014"],
            "lessons_learned": "Rate-limit authentication on the device.",
        });
        let mut missing = close.clone();
        missing["lessons_learned"] = json!("");
        let (status, body) = send(&router, post(&close_uri, missing, as_token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(
            message(&body).contains("lessons_learned"),
            "{backend}: {body}"
        );
        let (status, body) = send(&router, post(&close_uri, close.clone(), as_token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(
            message(&body).contains("running clocks"),
            "{backend}: {body}"
        );

        // A second incident, not reportable, closes; the lessons list it.
        let (_, body) = send(
            &router,
            post(
                "/api/v1/incidents",
                json!({"title": "Port scan", "description": "Scanner traffic."}),
                as_token,
            ),
        )
        .await;
        let second = body["incident"]["id"].as_i64().unwrap();
        let (status, body) = send(
            &router,
            post(
                &format!("/api/v1/incidents/{second}/classify"),
                json!({"not_reportable": true, "rationale": "The hospital's own scanner; no device function affected.", "signature": {"password": "sam-password-1", "meaning": "responsibility"}}),
                as_session,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert!(
            body["detail"]["clocks"].as_array().unwrap().is_empty(),
            "{backend}"
        );
        let (status, body) = send(
            &router,
            post(
                &format!("/api/v1/incidents/{second}/close"),
                close,
                as_token,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["incident"]["state"], "closed", "{backend}");
        assert_eq!(
            body["incident"]["corrective_actions"],
            json!(["CAPA-2026-014"]),
            "{backend}"
        );
        let (status, body) = send(
            &router,
            get_as(
                "/api/v1/incidents/lessons?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
                &viewer,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body.as_array().unwrap().len(), 1, "{backend}");
        assert_eq!(
            body[0]["lessons_learned"], "Rate-limit authentication on the device.",
            "{backend}"
        );
        let (status, body) = send(
            &router,
            get_as("/api/v1/incidents/lessons?from=soon&to=later", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(message(&body).contains("from"), "{backend}: {body}");
        let (status, body) = send(
            &router,
            get_as("/api/v1/incidents?state=classified", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body.as_array().unwrap().len(), 1, "{backend}");
        let (status, body) = send(&router, get_as("/api/v1/incidents?state=solved", &viewer)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(message(&body).contains("state"), "{backend}: {body}");
    }
}
