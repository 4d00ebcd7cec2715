//! Products, releases, documents and SBOM rows round-trip on both backends.

use aftercare_store::sbom::{ComponentRecord, NewSbom, WarningRecord};
use aftercare_store::testing::each_backend;
use aftercare_store::{document, product, release, sbom};

/// When the test's rows are written.
const AT: &str = "2030-01-02T03:04:05.000000Z";

fn component(position: i64, name: &str, version: &str) -> ComponentRecord {
    ComponentRecord {
        position,
        reference: format!("ref-{position}"),
        kind: "library".into(),
        name: name.into(),
        version: Some(version.into()),
        purl: Some(format!("pkg:npm/{name}@{version}")),
        package_key: Some(format!("npm/{name}")),
        cpes: vec![format!("cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*")],
        hashes: vec![("SHA-256".into(), "ab".repeat(32))],
        direct: Some(position == 1),
        ..ComponentRecord::default()
    }
}

#[tokio::test]
async fn inventory_round_trip_on_each_backend() {
    for test in each_backend().await {
        let store = &test.store;
        let backend = test.backend().as_str();
        let mut tx = store.begin().await.unwrap();
        let pump = product::insert(&mut tx, "Infusion pump", Some("volumetric"), AT)
            .await
            .unwrap();
        let release_id = release::insert(&mut tx, pump.id, "1.0.0", AT)
            .await
            .unwrap();
        let put = document::put(&mut tx, "sbom", Some("bom.json"), b"{}", AT)
            .await
            .unwrap();
        assert!(!put.existed, "{backend}");
        let again = document::put(&mut tx, "sbom", Some("other.json"), b"{}", AT)
            .await
            .unwrap();
        assert_eq!(
            (again.id, again.existed),
            (put.id, true),
            "{backend}: stored once by digest"
        );
        // More components than one multi-row insert takes, to cross a chunk boundary.
        let components: Vec<_> = (0..1203)
            .map(|i| component(i, &format!("pkg{i}"), "1.0.0"))
            .collect();
        let sbom_id = sbom::insert(
            &mut tx,
            &NewSbom {
                release_id,
                document_id: put.id,
                format: "cyclonedx".into(),
                encoding: "json".into(),
                spec_version: "1.6".into(),
                serial_number: Some("urn:uuid:1".into()),
                name: None,
                created: Some("2026-01-01T00:00:00Z".into()),
                authors: vec!["ACME Medical".into()],
                tools: vec![],
                subject_position: Some(0),
            },
            &components,
            &[(0, 1), (1, 2), (0, 1)],
            &[WarningRecord {
                location: "components[3]".into(),
                reference: Some("ref-3".into()),
                message: "invalid purl".into(),
            }],
            AT,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let pool = store.pool();
        let products = product::list(pool).await.unwrap();
        assert_eq!(products.len(), 1, "{backend}");
        assert_eq!(products[0].release_count, 1, "{backend}");
        let found = release::by_version(pool, pump.id, "1.0.0")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.sbom_id, Some(sbom_id), "{backend}");
        assert_eq!(found.component_count, 1203, "{backend}");
        let row = sbom::by_release(pool, release_id).await.unwrap().unwrap();
        assert_eq!(row.authors, vec!["ACME Medical".to_string()], "{backend}");
        assert_eq!(
            row.sha256,
            aftercare_model::Sha256::of(b"{}").to_hex(),
            "{backend}"
        );
        let stored = sbom::components(pool, sbom_id).await.unwrap();
        assert_eq!(stored.len(), 1203, "{backend}");
        let mut expected = components[1].clone();
        expected.id = stored[1].id;
        assert_eq!(stored[1], expected, "{backend}: every field round-trips");
        assert_eq!(
            sbom::dependencies(pool, sbom_id).await.unwrap(),
            vec![(0, 1), (1, 2)],
            "{backend}: duplicate edge stored once"
        );
        assert_eq!(
            sbom::warnings(pool, sbom_id).await.unwrap().len(),
            1,
            "{backend}"
        );
        let (page, total) = sbom::component_page(pool, release_id, Some("PKG12"), 0, 5)
            .await
            .unwrap();
        // pkg12 and pkg120..pkg129 and pkg1200..pkg1202 contain "pkg12".
        assert_eq!(total, 14, "{backend}");
        assert_eq!(page.len(), 5, "{backend}");
        assert_eq!(page[0].name, "pkg12", "{backend}");
    }
}

#[tokio::test]
async fn unique_names_are_enforced_on_each_backend() {
    for test in each_backend().await {
        let backend = test.backend().as_str();
        let mut tx = test.store.begin().await.unwrap();
        product::insert(&mut tx, "Gateway", None, AT).await.unwrap();
        let error = product::insert(&mut tx, "Gateway", None, AT)
            .await
            .unwrap_err();
        assert!(error.is_unique_violation(), "{backend}: {error:?}");
    }
}

#[tokio::test]
async fn a_rolled_back_import_leaves_nothing() {
    for test in each_backend().await {
        let backend = test.backend().as_str();
        let mut tx = test.store.begin().await.unwrap();
        let product = product::insert(&mut tx, "Monitor", None, AT).await.unwrap();
        release::insert(&mut tx, product.id, "2.0", AT)
            .await
            .unwrap();
        document::put(&mut tx, "sbom", None, b"bytes", AT)
            .await
            .unwrap();
        drop(tx);
        assert!(
            product::list(test.store.pool()).await.unwrap().is_empty(),
            "{backend}"
        );
    }
}
