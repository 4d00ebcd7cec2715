//! Artifact rows round-trip on both backends: every field, the order of a release's list, the
//! look-ups by id and by name, and a second file of the same name in one release refused.

use aftercare_store::artifact::{self, NewArtifact};
use aftercare_store::testing::each_backend;
use aftercare_store::{product, release};

/// When the test's rows are written.
const AT: &str = "2030-01-02T03:04:05.000000Z";

fn new(release_id: i64, filename: &str, signer: Option<&str>) -> NewArtifact {
    NewArtifact {
        release_id,
        filename: filename.into(),
        size: 3072,
        sha1: "10e215e24bb9fd3d46debfa8705d4c30e32746dd".into(),
        md5: "37516d69f8c93ddc1ea7337acd0a8efe".into(),
        sha256: "44f25129fb0eccbaa3a6e3900a7f7ca1a960160e4db5360df774c6cc7201c311".into(),
        signer: signer.map(str::to_string),
        created_by: "person:admin".into(),
    }
}

#[tokio::test]
async fn artifacts_round_trip_on_each_backend() {
    for test in each_backend().await {
        let store = &test.store;
        let backend = test.backend().as_str();
        let mut tx = store.begin().await.unwrap();
        let pump = product::insert(&mut tx, "Pump", None, AT).await.unwrap();
        let one = release::insert(&mut tx, pump.id, "1.0", AT).await.unwrap();
        let two = release::insert(&mut tx, pump.id, "1.1", AT).await.unwrap();
        let swu = artifact::insert_artifact(
            &mut tx,
            &new(
                one,
                "pump-1.0.swu",
                Some("/O=Example MedTech Test/CN=swu-test-signer"),
            ),
            AT,
        )
        .await
        .unwrap();
        let bundle = artifact::insert_artifact(&mut tx, &new(one, "pump-1.0.raucb", None), AT)
            .await
            .unwrap();
        // The same bytes may be an artifact of another release: rows are per release.
        artifact::insert_artifact(&mut tx, &new(two, "pump-1.0.swu", None), AT)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let pool = store.pool();
        let listed = artifact::artifacts_of_release(pool, one).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(
            names,
            ["pump-1.0.raucb", "pump-1.0.swu"],
            "{backend}: by name"
        );
        let row = artifact::artifact(pool, swu).await.unwrap().unwrap();
        assert_eq!(
            row,
            artifact::ArtifactRow {
                id: swu,
                release_id: one,
                filename: "pump-1.0.swu".into(),
                size: 3072,
                sha1: "10e215e24bb9fd3d46debfa8705d4c30e32746dd".into(),
                md5: "37516d69f8c93ddc1ea7337acd0a8efe".into(),
                sha256: "44f25129fb0eccbaa3a6e3900a7f7ca1a960160e4db5360df774c6cc7201c311".into(),
                signer: Some("/O=Example MedTech Test/CN=swu-test-signer".into()),
                created_by: "person:admin".into(),
                created_at: AT.into(),
            },
            "{backend}: every field round-trips"
        );
        let by_name = artifact::artifact_by_name(pool, one, "pump-1.0.raucb")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((by_name.id, by_name.signer), (bundle, None), "{backend}");
        assert!(
            artifact::artifact_by_name(pool, one, "other.swu")
                .await
                .unwrap()
                .is_none(),
            "{backend}"
        );
        assert!(
            artifact::artifact(pool, 999_999).await.unwrap().is_none(),
            "{backend}"
        );
        assert_eq!(
            artifact::artifacts_of_release(pool, two)
                .await
                .unwrap()
                .len(),
            1,
            "{backend}"
        );

        let mut tx = store.begin().await.unwrap();
        let error = artifact::insert_artifact(&mut tx, &new(one, "pump-1.0.swu", None), AT)
            .await
            .unwrap_err();
        assert!(error.is_unique_violation(), "{backend}: {error:?}");
    }
}
