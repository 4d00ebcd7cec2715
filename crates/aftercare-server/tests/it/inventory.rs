//! The inventory routes over HTTP.

use aftercare_server::Settings;
use aftercare_service::inventory::{self, SbomFile};
use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::{apps, get_as, send, token_for};

fn juice_shop() -> Vec<u8> {
    aftercare_testdata::zip_entries("sbom/cyclonedx-bom-examples.zip")
        .into_iter()
        .find(|e| e.name == "SBOM/juice-shop/v11.1.2/bom.json")
        .unwrap()
        .bytes
}

#[tokio::test]
async fn reads_products_releases_components_quality_and_the_original_sbom() {
    for (test, router, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Juice shop", None)
            .await
            .unwrap();
        let bytes = juice_shop();
        let outcome = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Juice shop",
            "11.1.2",
            Some(&SbomFile {
                name: "bom.json".into(),
                bytes: bytes.clone(),
            }),
        )
        .await
        .unwrap();
        let id = outcome.import.release.id;
        let viewer = token_for(
            &workspace,
            &context,
            "vera",
            &[aftercare_model::Role::Viewer],
        )
        .await;
        let get = |uri: &str| get_as(uri, &viewer);

        let (status, products) = send(&router, get("/api/v1/products")).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(products[0]["name"], "Juice shop", "{backend}");
        assert_eq!(products[0]["release_count"], 1, "{backend}");

        let (status, release) = send(&router, get(&format!("/api/v1/releases/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(release["version"], "11.1.2", "{backend}");
        assert_eq!(release["sbom"]["format"], "cyclonedx", "{backend}");
        assert_eq!(release["sbom"]["spec_version"], "1.2", "{backend}");

        let (status, page) = send(
            &router,
            get(&format!(
                "/api/v1/releases/{id}/components?search=lodash&limit=2"
            )),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(page["items"].as_array().unwrap().len(), 2, "{backend}");
        // juice-shop 11.1.2 has five components whose name or purl contains "lodash".
        assert_eq!(page["total"], 5, "{backend}");

        let (status, quality) = send(&router, get(&format!("/api/v1/releases/{id}/quality"))).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(
            quality["elements"].as_array().unwrap().len(),
            9,
            "{backend}"
        );

        let response =
            tower::ServiceExt::oneshot(router.clone(), get(&format!("/api/v1/releases/{id}/sbom")))
                .await
                .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body.as_ref(), bytes.as_slice(), "{backend}: byte for byte");

        let (status, error) = send(&router, get("/api/v1/releases/999999")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");
        assert_eq!(error["error"]["code"], "not_found", "{backend}");
    }
}

#[tokio::test]
async fn an_upload_above_the_limit_gets_413_and_an_analyst_can_import() {
    let settings = Settings {
        max_upload_bytes: 64 * 1024,
        ..Settings::default()
    };
    for (test, router, workspace, context) in apps(settings).await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Juice shop", None)
            .await
            .unwrap();
        let analyst = token_for(
            &workspace,
            &context,
            "sam",
            &[aftercare_model::Role::SecurityAnalyst],
        )
        .await;
        let upload = |body: Vec<u8>, version: &str| {
            Request::post(format!(
                "/api/v1/products/Juice%20shop/releases?version={version}"
            ))
            .header("authorization", format!("Bearer {analyst}"))
            .header("content-type", "application/octet-stream")
            .body(Body::from(body))
            .unwrap()
        };
        let (status, body) = send(&router, upload(juice_shop(), "11.1.2")).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}: {body}");
        assert_eq!(body["error"]["code"], "payload_too_large", "{backend}");
        let small = aftercare_testdata::zip_entries("sbom/dependency-track-test-boms.zip")
            .into_iter()
            .find(|e| e.name.ends_with("valid-bom-1.4.json"))
            .unwrap()
            .bytes;
        let (status, body) = send(&router, upload(small.clone(), "1.0")).await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {body}");
        assert_eq!(body["duplicate"], false, "{backend}");
        let (status, body) = send(&router, upload(small, "1.0")).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["duplicate"], true, "{backend}");
        let (status, body) = send(&router, upload(b"not an sbom".to_vec(), "2.0")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}: {body}"
        );
        assert_eq!(body["error"]["code"], "unreadable_document", "{backend}");
    }
}

#[tokio::test]
async fn mutations_without_credentials_are_refused() {
    for (test, router, _, _) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let request = Request::post("/api/v1/products")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"name":"Pump"}"#))
            .unwrap();
        let (status, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_eq!(body["error"]["code"], "unauthorized", "{backend}");
    }
}
