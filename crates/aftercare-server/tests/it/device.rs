//! The device registry over HTTP, on each backend: an organisation, a site and a device
//! created by a release engineer (`device.manage`), the token in the creation's answer only,
//! a duplicate answered 409, the list and show for a viewer (`device.read`), and a viewer's
//! creation refused 403; then a change, a decommission and a CSV import, each also refused to
//! a viewer and refused with the field (or the line and field) named on bad input.

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

fn patch_as(uri: &str, token: &str, body: serde_json::Value) -> Request<Body> {
    Request::patch(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The message of an error answer.
fn message(body: &serde_json::Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn devices_are_changed_decommissioned_and_imported_over_http() {
    for (test, router, workspace, context) in apps(aftercare_server::Settings::default()).await {
        let backend = test.backend().as_str();
        aftercare_service::inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        for version in ["1.0.0", "1.1.0"] {
            aftercare_service::flow::import_release(&workspace, &context, "Pump", version, None)
                .await
                .unwrap();
        }
        let engineer = token_for(&workspace, &context, "eric", &[Role::ReleaseEngineer]).await;
        let viewer = token_for(&workspace, &context, "vera", &[Role::Viewer]).await;
        for (uri, body) in [
            (
                "/api/v1/organisations",
                serde_json::json!({"name": "St Mary"}),
            ),
            (
                "/api/v1/sites",
                serde_json::json!({"name": "ICU", "organisation": "St Mary"}),
            ),
            (
                "/api/v1/sites",
                serde_json::json!({"name": "OR", "organisation": "St Mary"}),
            ),
        ] {
            let (status, body) = send(&router, post_as(uri, &engineer, body)).await;
            assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        }

        // An import: two devices, their tokens answered once, stored as SHA-256.
        let csv = "controller_id,serial,product,site,tags,release,client\n\
                   pump-1,SN-1,Pump,ICU,icu;night,1.0.0,swupdate\n\
                   pump-2,SN-2,Pump,ICU,icu,1.0.0,swupdate\n";
        let import = serde_json::json!({"name": "ward.csv", "csv": csv});
        let (status, body) = send(
            &router,
            post_as("/api/v1/device-imports", &viewer, import.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        let (status, imported) = send(
            &router,
            post_as("/api/v1/device-imports", &engineer, import),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {imported}");
        let imported = imported.as_array().unwrap();
        assert_eq!(imported.len(), 2, "{backend}");
        assert_eq!(imported[0]["device"]["controller_id"], "pump-1");
        assert_eq!(
            imported[0]["device"]["tags"],
            serde_json::json!(["icu", "night"])
        );
        assert_eq!(imported[0]["device"]["installed_source"], "import");
        for dto in imported {
            let id = dto["device"]["controller_id"].as_str().unwrap();
            let token = dto["token"].as_str().unwrap();
            let stored = aftercare_store::device::device(workspace.raw_store().pool(), id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.token_sha256,
                Sha256::of(token.as_bytes()).to_hex(),
                "{backend}"
            );
            let (_, shown) = send(&router, get_as(&format!("/api/v1/devices/{id}"), &viewer)).await;
            assert!(
                !shown.to_string().contains(token),
                "{backend}: answered once"
            );
        }
        // A bad row refuses the whole file, naming the file, the line and the field; nothing
        // is registered.
        let bad = "controller_id,serial,product\npump-3,SN-3,Pump\npump-4,,Pump\n";
        let (status, body) = send(
            &router,
            post_as(
                "/api/v1/device-imports",
                &engineer,
                serde_json::json!({"name": "late.csv", "csv": bad}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input");
        assert!(
            message(&body).starts_with("late.csv, line 3, field serial:"),
            "{backend}: {body}"
        );
        let (status, _) = send(&router, get_as("/api/v1/devices/pump-3", &viewer)).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{backend}: nothing registered"
        );
        // Without a name, the messages call it devices.csv.
        let (status, body) = send(
            &router,
            post_as(
                "/api/v1/device-imports",
                &engineer,
                serde_json::json!({"csv": "controller_id,serial,product,colour\n"}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(
            message(&body).starts_with("devices.csv, line 1, field colour: unknown column"),
            "{backend}: {body}"
        );

        // A change: another site, new tags, the installed release (source `manual`).
        let change = serde_json::json!({"site": "OR", "tags": ["or"], "release": "1.1.0"});
        let (status, body) = send(
            &router,
            patch_as("/api/v1/devices/pump-1", &viewer, change.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        let (status, changed) = send(
            &router,
            patch_as("/api/v1/devices/pump-1", &engineer, change),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {changed}");
        assert_eq!(
            (
                &changed["site"],
                &changed["organisation"],
                &changed["tags"],
                &changed["installed_release"],
                &changed["installed_source"]
            ),
            (
                &serde_json::json!("OR"),
                &serde_json::json!("St Mary"),
                &serde_json::json!(["or"]),
                &serde_json::json!("1.1.0"),
                &serde_json::json!("manual")
            ),
            "{backend}"
        );
        // Bad changes are refused, naming what is wrong.
        for (body, expected) in [
            (serde_json::json!({}), "invalid update: nothing to change"),
            (
                serde_json::json!({"tags": ["two words"]}),
                "invalid tag: \"two words\"",
            ),
        ] {
            let (status, answer) =
                send(&router, patch_as("/api/v1/devices/pump-1", &engineer, body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {answer}");
            assert!(
                message(&answer).contains(expected),
                "{backend}: {expected}: {answer}"
            );
        }
        let (status, answer) = send(
            &router,
            patch_as(
                "/api/v1/devices/pump-1",
                &engineer,
                serde_json::json!({"release": "9.9.9"}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {answer}");
        let (status, answer) = send(
            &router,
            patch_as(
                "/api/v1/devices/pump-9",
                &engineer,
                serde_json::json!({"tags": []}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {answer}");

        // Decommissioned with a reason: kept, its token refused, no longer changed.
        let uri = "/api/v1/devices/pump-2/decommission";
        let reason = serde_json::json!({"reason": "returned to the manufacturer"});
        let (status, body) = send(&router, post_as(uri, &viewer, reason.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        let (status, body) = send(
            &router,
            post_as(uri, &engineer, serde_json::json!({"reason": "  "})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(
            message(&body).starts_with("invalid reason:"),
            "{backend}: {body}"
        );
        let (status, gone) = send(&router, post_as(uri, &engineer, reason.clone())).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {gone}");
        assert_eq!(
            (&gone["state"], &gone["decommission_reason"]),
            (
                &serde_json::json!("decommissioned"),
                &serde_json::json!("returned to the manufacturer")
            ),
            "{backend}"
        );
        let token = imported[1]["token"].as_str().unwrap();
        assert!(
            aftercare_service::device::authenticate(
                &workspace,
                "pump-2",
                &aftercare_service::device::DeviceToken::new(token),
            )
            .await
            .is_err(),
            "{backend}: a decommissioned device's token stops working"
        );
        let (status, body) = send(&router, post_as(uri, &engineer, reason)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {body}");
        assert!(
            message(&body).contains("is decommissioned"),
            "{backend}: {body}"
        );
    }
}
