//! Quality and diff on real release pairs. Every expected number below was checked against
//! the raw files (walking their JSON by hand), not taken from the code's output.

use aftercare_sbom::quality::Element;
use aftercare_sbom::{Component, Requirement, SbomDiff, VersionChange, diff, quality};

use crate::read_member;

fn upgraded_to<'a>(diff: &'a SbomDiff<'_>, purl_prefix: &str) -> Vec<(&'a str, &'a str)> {
    let mut found: Vec<(&str, &str)> = diff
        .upgraded
        .iter()
        .filter(|change| {
            change
                .new
                .purl
                .as_ref()
                .is_some_and(|purl| purl.to_string().starts_with(purl_prefix))
        })
        .map(|change: &VersionChange| {
            (
                change.old.version.as_deref().unwrap_or_default(),
                change.new.version.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}

fn names(components: &[&Component]) -> Vec<String> {
    let mut names: Vec<String> = components
        .iter()
        .map(|component| {
            component
                .purl
                .as_ref()
                .map(|purl| purl.without_version().to_string())
                .unwrap_or_default()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn proton_bridge_1_6_3_to_1_8_0() {
    let old = read_member(
        "cyclonedx-bom-examples.zip",
        "SBOM/proton-bridge/proton-bridge-v1.6.3.bom.json",
    );
    let new = read_member(
        "cyclonedx-bom-examples.zip",
        "SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
    );
    let diff = diff(&old.sbom.components, &new.sbom.components);
    // 202 components on each side; the bridge itself and seven Go modules moved.
    assert_eq!(diff.upgraded.len(), 8);
    assert_eq!(diff.unchanged, 194);
    assert!(diff.added.is_empty() && diff.removed.is_empty() && diff.downgraded.is_empty());
    assert_eq!(
        upgraded_to(&diff, "pkg:golang/github.com/ProtonMail/proton-bridge@"),
        [("v1.6.3", "v1.8.0")]
    );
    assert_eq!(
        upgraded_to(&diff, "pkg:golang/github.com/go-resty/resty/v2@"),
        [("v2.3.0", "v2.6.0")]
    );
    assert_eq!(
        upgraded_to(&diff, "pkg:golang/github.com/miekg/dns@"),
        [("v1.1.30", "v1.1.41")]
    );
    // Go pseudo-versions order by their timestamps.
    assert_eq!(
        upgraded_to(&diff, "pkg:golang/golang.org/x/net@"),
        [(
            "v0.0.0-20200707034311-ab3426394381",
            "v0.0.0-20210405180319-a5a99cb37ef4"
        )]
    );

    // Quality: cyclonedx-gomod writes versions, purls and the graph, but no supplier and
    // no SBOM author; github.com/kr/pty is in no dependency edge.
    let report = quality(&new.sbom);
    assert_eq!(report.components, 202);
    let coverage = |element| report.coverage(element).unwrap();
    assert_eq!(coverage(Element::Supplier).with, 0);
    assert_eq!(coverage(Element::Version).with, 202);
    assert_eq!(coverage(Element::UniqueIdentifier).with, 202);
    assert_eq!(coverage(Element::DependencyRelationship).with, 201);
    assert_eq!(
        coverage(Element::DependencyRelationship).missing,
        ["pkg:golang/github.com/kr/pty@v1.1.1"]
    );
    assert_eq!(coverage(Element::Author).with, 0);
    assert_eq!(coverage(Element::Timestamp).with, 1);
    assert_eq!(
        report.failures(Requirement::Ntia),
        [
            Element::Supplier,
            Element::DependencyRelationship,
            Element::Author
        ]
    );
    assert!(!report.passes(Requirement::Fda));
    // The bridge depends directly on 56 modules.
    let direct = new
        .sbom
        .components
        .iter()
        .filter(|c| c.direct == Some(true))
        .count();
    assert_eq!(direct, 56);
}

#[test]
fn quarkus_bom_3_2_11_to_3_2_12() {
    let old = read_member(
        "trustify-sboms.zip",
        "test-data/spdx/quarkus-bom-3.2.11.Final-redhat-00001.json",
    );
    let new = read_member(
        "trustify-sboms.zip",
        "test-data/spdx/quarkus-bom-3.2.12.Final-redhat-00002.json",
    );
    assert_eq!(
        (old.sbom.components.len(), new.sbom.components.len()),
        (1053, 1053)
    );
    let diff = diff(&old.sbom.components, &new.sbom.components);
    assert_eq!(diff.unchanged, 629);
    assert_eq!(diff.upgraded.len(), 421);
    assert!(diff.downgraded.is_empty() && diff.changed.is_empty());
    // Bouncy Castle moved from the jdk15on to the jdk18on artifacts: different packages.
    assert_eq!(
        names(&diff.removed),
        [
            "pkg:maven/org.bouncycastle/bcpkix-jdk15on",
            "pkg:maven/org.bouncycastle/bcprov-jdk15on",
            "pkg:maven/org.bouncycastle/bcutil-jdk15on"
        ]
    );
    assert_eq!(
        names(&diff.added),
        [
            "pkg:maven/org.bouncycastle/bcpkix-jdk18on",
            "pkg:maven/org.bouncycastle/bcprov-jdk18on",
            "pkg:maven/org.bouncycastle/bcutil-jdk18on"
        ]
    );
    assert_eq!(
        upgraded_to(&diff, "pkg:maven/io.netty/netty-buffer@"),
        [("4.1.100.Final-redhat-00001", "4.1.108.Final-redhat-00001")]
    );
    assert_eq!(
        upgraded_to(&diff, "pkg:maven/commons-logging/commons-logging@"),
        [("1.2.0.redhat-00008", "1.2.0.redhat-00011")]
    );
    // Two builds of one artifact on each side pair by closeness: Red Hat's with Red Hat's.
    assert_eq!(
        upgraded_to(&diff, "pkg:maven/io.netty/netty-transport-native-epoll@"),
        [
            ("4.1.100.Final", "4.1.108.Final"),
            ("4.1.100.Final-redhat-00001", "4.1.108.Final-redhat-00001")
        ]
    );

    // Red Hat's SPDX names a supplier, version and purl for every package, but only 193
    // packages are CONTAINED_BY the described BOM: 859 are in no relationship. There are
    // no FDA support fields.
    let report = quality(&new.sbom);
    assert_eq!(
        report.failures(Requirement::Ntia),
        [Element::DependencyRelationship]
    );
    assert_eq!(
        report
            .coverage(Element::DependencyRelationship)
            .unwrap()
            .with,
        194
    );
    assert_eq!(
        report.failures(Requirement::Fda),
        [
            Element::DependencyRelationship,
            Element::LevelOfSupport,
            Element::EndOfSupport
        ]
    );
}

#[test]
fn network_manager_1_46_0_26_to_27() {
    let base = "test-data/cyclonedx/rh/latest_filters/rpm/NetworkManager";
    let old = read_member(
        "trustify-sboms.zip",
        &format!("{base}/network_manager_2025-02-17/1.46.0-26.el9_4-release.json"),
    );
    let new = read_member(
        "trustify-sboms.zip",
        &format!("{base}/network_manager_2025-04-08/1.46.0-27.el9_4-release.json"),
    );
    // 126 components each (metadata.component has no bom-ref, so the source RPM listed
    // again in components is a component of its own).
    assert_eq!(
        (old.sbom.components.len(), new.sbom.components.len()),
        (126, 126)
    );
    // 24 old binary RPMs have no purl: they pair with their new twins by name.
    assert_eq!(
        old.sbom
            .components
            .iter()
            .filter(|c| c.purl.is_none())
            .count(),
        24
    );
    let diff = diff(&old.sbom.components, &new.sbom.components);
    assert_eq!(diff.upgraded.len(), 126);
    assert!(diff.added.is_empty() && diff.removed.is_empty() && diff.downgraded.is_empty());
    assert_eq!(diff.unchanged, 0);
    assert!(
        diff.upgraded.iter().all(
            |change| change.old.version.as_deref() == Some("1.46.0-26.el9_4")
                && change.new.version.as_deref() == Some("1.46.0-27.el9_4")
        )
    );
    let libnm: Vec<_> = upgraded_to(&diff, "pkg:rpm/redhat/NetworkManager-libnm@");
    assert_eq!(libnm.len(), 5, "one per architecture");

    // The release SBOM links binaries to the source RPM with `provides`, which is no
    // dependency: nothing is in the graph; the supplier is named on no component.
    let report = quality(&new.sbom);
    assert_eq!(
        report
            .coverage(Element::DependencyRelationship)
            .unwrap()
            .with,
        0
    );
    assert_eq!(
        report.coverage(Element::UniqueIdentifier).unwrap().with,
        126
    );
    assert_eq!(
        report.coverage(Element::Author).unwrap().with,
        1,
        "metadata.supplier Red Hat"
    );
}
