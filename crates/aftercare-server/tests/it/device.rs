//! The device registry over HTTP, on each backend: an organisation, a site and a device
//! created by a release engineer (`device.manage`), the token in the creation's answer only,
//! a duplicate answered 409, the list and show for a viewer (`device.read`), and a viewer's
//! creation refused 403.

use aftercare_model::{Role, Sha256};
use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::{apps, get_as, send, token_for};

fn post_as(uri: &str, token: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn devices_are_created_listed_and_shown_over_http_and_the_token_is_answered_once() {
    for (test, router, workspace, context) in apps(aftercare_server::Settings::default()).await {
        let backend = test.backend().as_str();
        aftercare_service::inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let engineer = token_for(&workspace, &context, "eric", &[Role::ReleaseEngineer]).await;
        let viewer = token_for(&workspace, &context, "vera", &[Role::Viewer]).await;
        let (status, body) = send(
            &router,
            post_as(
                "/api/v1/organisations",
                &engineer,
                serde_json::json!({"name": "St Mary"}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        let (status, body) = send(
            &router,
            post_as(
                "/api/v1/sites",
                &engineer,
                serde_json::json!({"name": "ICU", "organisation": "St Mary", "timezone": "Europe/Berlin"}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        let new = serde_json::json!({"controller_id": "pump-1", "product": "Pump", "serial": "SN-1",
            "site": "ICU", "tags": ["icu"]});
        let (status, created) =
            send(&router, post_as("/api/v1/devices", &engineer, new.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {created}");
        let token = created["token"].as_str().unwrap().to_string();
        assert_eq!(token.len(), 64);
        assert_eq!(created["device"]["organisation"], "St Mary");
        assert_eq!(created["device"]["state"], "registered");
        let stored = aftercare_store::device::device(workspace.raw_store().pool(), "pump-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.token_sha256, Sha256::of(token.as_bytes()).to_hex());
        let (status, body) = send(&router, post_as("/api/v1/devices", &engineer, new)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {body}");
        let (status, shown) = send(&router, get_as("/api/v1/devices/pump-1", &viewer)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {shown}");
        assert_eq!(shown["controller_id"], "pump-1");
        assert!(
            !shown.to_string().contains(&token),
            "{backend}: the token is answered once"
        );
        let (status, list) = send(&router, get_as("/api/v1/devices?tag=icu", &viewer)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {list}");
        assert_eq!(list.as_array().unwrap().len(), 1);
        let (status, list) = send(&router, get_as("/api/v1/devices?site=OR", &viewer)).await;
        assert_eq!(
            (status, list.as_array().unwrap().len()),
            (StatusCode::OK, 0)
        );
        let (status, sites) = send(
            &router,
            get_as("/api/v1/sites?organisation=St%20Mary", &viewer),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sites[0]["timezone"], "Europe/Berlin");
        let (status, body) = send(
            &router,
            post_as(
                "/api/v1/organisations",
                &viewer,
                serde_json::json!({"name": "Northside"}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
    }
}
