//! Import, read back, diff, re-import and corrupt import on both backends, with real SBOMs.

use aftercare_sbom::quality;
use aftercare_service::ServiceError;
use aftercare_service::inventory::{self, SbomFile};
use aftercare_store::audit;

use crate::{shared_member, workspaces};

const EXAMPLES: &str = "sbom/cyclonedx-bom-examples.zip";

fn proton(version: &str) -> SbomFile {
    let name = format!("SBOM/proton-bridge/proton-bridge-v{version}.bom.json");
    SbomFile {
        bytes: shared_member(EXAMPLES, &name),
        name,
    }
}

/// Counts `components` in a CycloneDX JSON document, nested ones included, without the
/// reader: an independent count for the round trip.
fn raw_component_count(bytes: &[u8]) -> usize {
    fn walk(value: &serde_json::Value) -> usize {
        value
            .get("components")
            .and_then(|c| c.as_array())
            .map(|list| list.iter().map(|c| 1 + walk(c)).sum())
            .unwrap_or(0)
    }
    let document: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let subject = usize::from(document.pointer("/metadata/component").is_some());
    walk(&document) + subject
}

#[tokio::test]
async fn import_read_back_diff_and_reimport_on_each_backend() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Proton bridge", Some("mail bridge"))
            .await
            .unwrap();
        let old_file = proton("1.6.3");
        let new_file = proton("1.8.0");
        let old = aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Proton bridge",
            "1.6.3",
            Some(&old_file),
        )
        .await
        .unwrap();
        assert!(!old.duplicate, "{backend}");
        let expected = raw_component_count(&old_file.bytes);
        assert_eq!(old.release.component_count as usize, expected, "{backend}");
        let new = aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Proton bridge",
            "1.8.0",
            Some(&new_file),
        )
        .await
        .unwrap();

        // Read back: the stored SBOM rebuilds to what the reader produced.
        let direct = aftercare_sbom::read(&old_file.name, &old_file.bytes)
            .unwrap()
            .sbom;
        let (stored, row, warnings) = inventory::stored_sbom(&workspace, &old.release)
            .await
            .unwrap();
        assert_eq!(
            stored.components, direct.components,
            "{backend}: components round-trip"
        );
        assert_eq!(
            stored.dependencies.len(),
            direct.dependencies.len(),
            "{backend}"
        );
        assert_eq!(stored.subject, direct.subject, "{backend}");
        assert_eq!(
            row.sha256,
            aftercare_model::Sha256::of(&old_file.bytes).to_hex(),
            "{backend}"
        );
        assert!(warnings.is_empty(), "{backend}");
        assert_eq!(
            quality(&stored),
            quality(&direct),
            "{backend}: quality from storage"
        );

        // The original bytes come back unchanged.
        let document = inventory::sbom_document(&workspace, &old.release)
            .await
            .unwrap();
        assert_eq!(document.content, old_file.bytes, "{backend}");

        // Diff: proton-bridge 1.6.3 -> 1.8.0 upgrades go-imap-id's dependency set; check one
        // change we verified in the files by hand.
        let diff = inventory::diff_releases(&workspace, &old.release, &new.release)
            .await
            .unwrap();
        let bridge = diff
            .upgraded
            .iter()
            .find(|(_, new)| new.name.ends_with("proton-bridge"))
            .unwrap_or_else(|| panic!("{backend}: the subject is upgraded"));
        assert_eq!(bridge.0.version.as_deref(), Some("v1.6.3"), "{backend}");
        assert_eq!(bridge.1.version.as_deref(), Some("v1.8.0"), "{backend}");

        // Re-import of the same bytes: reported, nothing written.
        let events_before = audit::head(test.store.pool()).await.unwrap().seq;
        let again = aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Proton bridge",
            "1.6.3",
            Some(&old_file),
        )
        .await
        .unwrap();
        assert!(again.duplicate, "{backend}");
        assert_eq!(again.release.id, old.release.id, "{backend}");
        assert_eq!(
            audit::head(test.store.pool()).await.unwrap().seq,
            events_before,
            "{backend}: no event for a no-op"
        );

        // A different SBOM for a release that has one is refused.
        let error = aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Proton bridge",
            "1.6.3",
            Some(&new_file),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::AlreadyExists { .. }),
            "{backend}: {error}"
        );
    }
}

#[tokio::test]
async fn a_corrupt_sbom_writes_nothing_on_each_backend() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let head = audit::head(test.store.pool()).await.unwrap().seq;
        let mut bytes = proton("1.8.0").bytes;
        bytes.truncate(bytes.len() / 2);
        let corrupt = SbomFile {
            name: "truncated.json".into(),
            bytes,
        };
        let error = aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Pump",
            "1.0",
            Some(&corrupt),
        )
        .await
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("truncated.json"),
            "{backend}: names the file: {message}"
        );
        assert!(
            message.contains("line"),
            "{backend}: names the position: {message}"
        );
        assert!(
            inventory::releases(&workspace, Some("Pump"))
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
        assert_eq!(
            audit::head(test.store.pool()).await.unwrap().seq,
            head,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn every_mutation_leaves_a_chained_audit_event() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Gateway", None)
            .await
            .unwrap();
        aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Gateway",
            "1.0",
            Some(&proton("1.6.3")),
        )
        .await
        .unwrap();
        let events = audit::page(test.store.pool(), 0, 100).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.event.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "workspace.init",
                "policy.init",
                "product.create",
                "release.create",
                "release.import_sbom"
            ],
            "{backend}"
        );
        assert!(
            events.iter().all(|e| e.event.actor == "user:admin"),
            "{backend}"
        );
        for pair in events.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash, "{backend}: chained");
        }
    }
}

#[tokio::test]
async fn names_are_validated_and_unique() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let empty = inventory::add_product(&workspace, &context, "  ", None)
            .await
            .unwrap_err();
        assert!(
            matches!(empty, ServiceError::InvalidInput { .. }),
            "{backend}"
        );
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let twice = inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap_err();
        assert!(
            matches!(twice, ServiceError::AlreadyExists { .. }),
            "{backend}"
        );
        let missing = inventory::release(&workspace, "Pump", "9.9")
            .await
            .unwrap_err();
        assert!(
            matches!(missing, ServiceError::NotFound { .. }),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_support_addendum_fills_the_fda_fields_on_each_backend() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Bridge", None)
            .await
            .unwrap();
        let outcome = aftercare_service::inventory::add_release(
            &workspace,
            &context,
            "Bridge",
            "1.8.0",
            Some(&proton("1.8.0")),
        )
        .await
        .unwrap();
        let before = quality(
            &inventory::stored_sbom(&workspace, &outcome.release)
                .await
                .unwrap()
                .0,
        );
        assert_eq!(
            before
                .coverage(aftercare_sbom::Element::LevelOfSupport)
                .unwrap()
                .with,
            0,
            "{backend}"
        );
        // Two real components of proton-bridge 1.8.0 by purl, one by name, one unknown.
        let csv = "purl,level_of_support,end_of_support\n\
                   pkg:golang/github.com/go-resty/resty/v2@v2.6.0,community,\n\
                   pkg:golang/github.com/miekg/dns@v1.1.41,supported,2027-12-31\n\
                   pkg:golang/example.com/not-there@v1.0.0,supported,2030-01-01\n";
        let file = SbomFile {
            name: "support.csv".into(),
            bytes: csv.as_bytes().to_vec(),
        };
        let applied =
            inventory::apply_support_addendum(&workspace, &context, &outcome.release, &file)
                .await
                .unwrap();
        assert_eq!(applied.changed, 2, "{backend}");
        assert_eq!(
            applied.warnings.len(),
            1,
            "{backend}: the unknown purl: {:?}",
            applied.warnings
        );
        let (sbom, _, _) = inventory::stored_sbom(&workspace, &outcome.release)
            .await
            .unwrap();
        let dns = sbom
            .components
            .iter()
            .find(|c| c.name.ends_with("miekg/dns"))
            .unwrap();
        assert_eq!(
            dns.level_of_support.as_deref(),
            Some("supported"),
            "{backend}"
        );
        assert_eq!(
            dns.end_of_support.as_deref(),
            Some("2027-12-31"),
            "{backend}"
        );
        assert_eq!(
            quality(&sbom)
                .coverage(aftercare_sbom::Element::LevelOfSupport)
                .unwrap()
                .with,
            2,
            "{backend}"
        );
    }
}
