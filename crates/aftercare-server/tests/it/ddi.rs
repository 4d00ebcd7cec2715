//! hawkBit's DDI routes over HTTP, on each backend, for what needs no rollout: the base poll
//! (`config.polling.sleep` always, absolute links, the configData link until the device
//! reported, an ETag and 304), configData's modes and bad bodies, the credentials (a wrong
//! token, a decommissioned device, a gateway token only when configured, another tenant after
//! the credentials), bad action ids, oversized and malformed feedback, and an action that is
//! not the device's. The rollouts' own paths are tested with the service (both backends), a
//! simulated fleet of 10,000 clients and the real SWUpdate (the CLI's suite).

use std::sync::Arc;

use aftercare_server::ddi::{DdiRuntime, DdiSettings, read_feedback};
use aftercare_server::{AppState, Settings};
use aftercare_service::device::{self, NewDeviceRequest};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::apps;

fn ddi(method: &str, uri: &str, authorization: &str, body: Option<&str>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "updates.test:8080")
        .header("authorization", authorization)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap()
}

async fn call(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[test]
fn feedback_bodies_are_read_as_the_real_clients_send_them() {
    // SWUpdate: `id` an int, `time` local without a zone, progress, details.
    let swupdate = br#"{"id": 42, "time": "20261127T222246", "status": {"result": {"progress": {"cnt": 0, "of": 1}, "finished": "none"}, "execution": "proceeding", "details": ["Installing Update Chunk Artifacts."]}}"#;
    let read = read_feedback(swupdate).unwrap();
    assert_eq!(
        (
            read.execution.as_str(),
            read.finished.as_str(),
            read.details.len()
        ),
        ("proceeding", "none", 1)
    );
    // rauc-hawkbit-updater: `id` a string; hawkBit's current model: `timestamp`, `code`.
    let rauc = br#"{"id": "42", "timestamp": 1627997501890, "status": {"execution": "closed", "result": {"finished": "failure"}, "code": 500, "details": ["boom", 7, null]}}"#;
    let read = read_feedback(rauc).unwrap();
    assert_eq!(read.code, Some(500));
    assert_eq!(read.details, vec!["boom", "7", "null"]);
    // What is required is named.
    assert_eq!(
        read_feedback(br#"{"status": {"result": {"finished": "none"}}}"#).unwrap_err(),
        "status.execution: required, a string"
    );
    assert_eq!(
        read_feedback(br#"{"status": {"execution": "closed"}}"#).unwrap_err(),
        "status.result.finished: required, a string"
    );
    assert_eq!(
        read_feedback(br#"{"id": 1}"#).unwrap_err(),
        "status: required, an object"
    );
    assert!(
        read_feedback(b"not json")
            .unwrap_err()
            .starts_with("the body is not JSON")
    );
    assert_eq!(
        read_feedback(br#"{"status": {"execution": "closed", "result": {"finished": "success"}, "code": "x"}}"#)
            .unwrap_err(),
        "status.code: an integer"
    );
}

#[tokio::test]
async fn the_base_poll_config_data_and_credentials_behave_as_hawkbit() {
    for (test, _, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let mut state = AppState::new(workspace.clone(), Settings::default());
        state.ddi = Arc::new(DdiRuntime::new(DdiSettings {
            polling_sleep: "00:00:30".into(),
            gateway_token: Some("gateway-secret".into()),
            ..DdiSettings::default()
        }));
        let router = aftercare_server::router(state);
        aftercare_service::inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
            .await
            .unwrap()
            .unwrap();
        let admin = aftercare_service::access::auth::Principal::local(&admin).unwrap();
        let mut tokens = Vec::new();
        for id in ["pump-1", "pump-2"] {
            let registered = device::add(
                &workspace,
                &context,
                &admin,
                &NewDeviceRequest {
                    controller_id: id.into(),
                    product: "Pump".into(),
                    serial: format!("SN-{id}"),
                    ..NewDeviceRequest::default()
                },
            )
            .await
            .unwrap();
            tokens.push(format!("TargetToken {}", registered.token.expose()));
        }
        let base = "/DEFAULT/controller/v1/pump-1";

        // The poll: the sleep always, configData until the device reports, absolute links.
        let (status, headers, body) = call(&router, ddi("GET", base, &tokens[0], None)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        let poll: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(poll["config"]["polling"]["sleep"], "00:00:30");
        assert_eq!(
            poll["_links"]["configData"]["href"],
            "http://updates.test:8080/DEFAULT/controller/v1/pump-1/configData"
        );
        assert!(
            poll["_links"]["deploymentBase"].is_null(),
            "{backend}: nothing assigned"
        );
        // The same answer again: 304 with the ETag.
        let etag = headers["etag"].to_str().unwrap().to_string();
        let mut again = ddi("GET", base, &tokens[0], None);
        again
            .headers_mut()
            .insert("if-none-match", etag.parse().unwrap());
        let (status, _, body) = call(&router, again).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NOT_MODIFIED, ""),
            "{backend}"
        );

        // configData as SWUpdate sends it (with `id`, `time`, `status`), then the modes.
        let swupdate = r#"{"id": "", "time": "20261127T222241", "status": {"result": {"finished": "success"}, "execution": "closed", "details": [""]}, "data": {"swVersion": "1.0.0", "hwRevision": "1.0", "serialNo": "SN-pump-1"}}"#;
        let (status, _, body) = call(
            &router,
            ddi(
                "PUT",
                &format!("{base}/configData"),
                &tokens[0],
                Some(swupdate),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        let shown = device::show(&workspace, &admin, "pump-1").await.unwrap();
        assert_eq!(shown.row.reported_version.as_deref(), Some("1.0.0"));
        assert!(
            shown
                .disagreement
                .as_deref()
                .unwrap_or("")
                .contains("reports 1.0.0"),
            "{backend}: no release recorded, a version reported: {:?}",
            shown.disagreement
        );
        let (_, _, body) = call(&router, ddi("GET", base, &tokens[0], None)).await;
        assert!(!body.contains("configData"), "{backend}: reported: {body}");
        for (body, expected) in [
            (
                r#"{"mode": "remove", "data": {"swVersion": ""}}"#,
                StatusCode::OK,
            ),
            (
                r#"{"mode": "rewrite", "data": {"a": "b"}}"#,
                StatusCode::BAD_REQUEST,
            ),
            (r#"{"data": {}}"#, StatusCode::BAD_REQUEST),
            (r#"{"mode": "merge"}"#, StatusCode::BAD_REQUEST),
            ("{", StatusCode::BAD_REQUEST),
        ] {
            let (status, _, answer) = call(
                &router,
                ddi("PUT", &format!("{base}/configData"), &tokens[0], Some(body)),
            )
            .await;
            assert_eq!(status, expected, "{backend}: {body}: {answer}");
        }
        let shown = device::show(&workspace, &admin, "pump-1").await.unwrap();
        assert_eq!(
            shown.row.reported_version, None,
            "{backend}: swVersion removed"
        );

        // Credentials: another device's token, no token, a wrong one: 401 in hawkBit's shape.
        for authorization in [tokens[1].as_str(), "", "TargetToken wrong", "Bearer x"] {
            let (status, _, body) = call(&router, ddi("GET", base, authorization, None)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{backend}: {authorization:?}: {body}"
            );
            assert!(body.contains("hawkbit.server.error"), "{body}");
        }
        // The tenant's gateway token acts for any device; another tenant is 404 after it.
        let (status, _, _) = call(
            &router,
            ddi("GET", base, "GatewayToken gateway-secret", None),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let (status, _, _) = call(&router, ddi("GET", base, "GatewayToken nope", None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        let (status, _, _) = call(
            &router,
            ddi("GET", "/OTHER/controller/v1/pump-1", &tokens[0], None),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");
        let (status, _, _) = call(
            &router,
            ddi(
                "GET",
                "/OTHER/controller/v1/pump-1",
                "TargetToken wrong",
                None,
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{backend}: no tenant is confirmed to a stranger"
        );
        // Certificate headers are ignored from an address that is not a trusted proxy.
        let mut forged = ddi("GET", base, "", None);
        forged.headers_mut().remove("authorization");
        forged
            .headers_mut()
            .insert("x-controller-id", "pump-1".parse().unwrap());
        forged
            .headers_mut()
            .insert("x-authority", "abc".parse().unwrap());
        let (status, _, _) = call(&router, forged).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");

        // Actions: ids out of range, unknown, malformed and oversized feedback.
        for path in [
            format!("{base}/deploymentBase/2147483648"),
            format!("{base}/deploymentBase/0"),
            format!("{base}/deploymentBase/x"),
            format!("{base}/deploymentBase/7"),
            format!("{base}/cancelAction/7"),
            format!("{base}/installedBase/7"),
        ] {
            let (status, _, body) = call(&router, ddi("GET", &path, &tokens[0], None)).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
                "{backend}: {path}: {status} {body}"
            );
        }
        let closed = r#"{"status": {"execution": "closed", "result": {"finished": "success"}}}"#;
        let (status, _, body) = call(
            &router,
            ddi(
                "POST",
                &format!("{base}/deploymentBase/7/feedback"),
                &tokens[0],
                Some(closed),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {body}");
        let (status, _, body) = call(
            &router,
            ddi(
                "POST",
                &format!("{base}/deploymentBase/7/feedback"),
                &tokens[0],
                Some(r#"{"status": {"result": {"finished": "success"}}}"#),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(body.contains("status.execution"), "{backend}: {body}");
        let huge = format!(
            r#"{{"status": {{"execution": "proceeding", "result": {{"finished": "none"}}, "details": ["{}"]}}}}"#,
            "x".repeat(600 * 1024)
        );
        let (status, _, _) = call(
            &router,
            ddi(
                "POST",
                &format!("{base}/deploymentBase/7/feedback"),
                &tokens[0],
                Some(&huge),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        // Nothing was written by any of it: no action, no status entry.
        let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM action_status")
            .fetch_one(test.store.pool())
            .await
            .unwrap();
        assert_eq!(entries, 0, "{backend}");

        // A decommissioned device's token stops working.
        device::decommission(
            &workspace,
            &context,
            &admin,
            "pump-2",
            "returned to the vendor",
        )
        .await
        .unwrap();
        let (status, _, _) = call(
            &router,
            ddi("GET", "/DEFAULT/controller/v1/pump-2", &tokens[1], None),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
    }
}
