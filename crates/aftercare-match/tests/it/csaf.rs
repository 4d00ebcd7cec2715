//! A supplier's CSAF VEX applied to components: Red Hat's documents of the shared data.

use aftercare_intel::Record;
use aftercare_intel::csaf::ProductStatus;
use aftercare_match::{Component, Confidence, Index, Matched};

fn redhat(path: &str) -> Record {
    let entry = aftercare_testdata::zip_entries("csaf/redhat-csaf.zip")
        .into_iter()
        .find(|entry| entry.name == path)
        .unwrap_or_else(|| panic!("no {path}"));
    aftercare_intel::read_document(path, &entry.bytes)
        .unwrap()
        .into_records()
        .remove(0)
}

fn component(purl: &str) -> Component {
    Component::from_purl(purl.parse().unwrap())
}

#[test]
fn known_affected_product_stream_is_a_finding() {
    // CVE-2024-34500: `known_affected` for OpenShift 3.11's mediawiki, named by a purl
    // without version: every version of the package is named.
    let index = Index::build([redhat("trustify/etc/test-data/csaf/CVE-2024-34500.json")]);
    let mediawiki = component("pkg:rpm/redhat/mediawiki@1.31.1-1.el7?arch=noarch");
    let scan = index.scan(std::slice::from_ref(&mediawiki), &[]);
    assert_eq!(scan.findings.len(), 1, "{scan:#?}");
    let finding = &scan.findings[0];
    assert_eq!(finding.vulnerability.as_str(), "CVE-2024-34500");
    let reason = &finding.reasons[0];
    assert_eq!(reason.confidence, Confidence::Medium);
    let Matched::Csaf {
        status, product, ..
    } = &reason.matched
    else {
        panic!("{reason:?}");
    };
    assert_eq!(*status, ProductStatus::KnownAffected);
    assert_eq!(
        product,
        "red_hat_openshift_container_platform_3.11:mediawiki"
    );
    // Another package is not named.
    let other = component("pkg:rpm/redhat/mediawiki-extra@1.31.1-1.el7");
    assert!(index.scan(&[other], &[]).findings.is_empty());
}

#[test]
fn an_exact_fixed_statement_outranks_a_product_stream() {
    // CVE-2024-28834 (gnutls): `fixed` for RHEL 8.6 EUS's exact build, `known_affected` for
    // RHEL 6 and 7 by the versionless source purl. The exact statement wins: VEX `fixed`,
    // no finding.
    let index = Index::build([redhat(
        "trustify/etc/datasets/ds3/csaf/2024/cve-2024-28834.json",
    )]);
    let fixed = component("pkg:rpm/redhat/gnutls@3.6.16-5.el8_6.4?arch=aarch64");
    let scan = index.scan(std::slice::from_ref(&fixed), &[]);
    assert!(scan.findings.is_empty(), "{:#?}", scan.findings);
    assert!(!scan.statements.is_empty());
    for (_, statement) in &scan.statements {
        assert_eq!(statement.status, ProductStatus::Fixed);
        assert_eq!(
            statement.about.as_ref().map(|id| id.as_str()),
            Some("CVE-2024-28834")
        );
    }
    // An older build is named only by the product stream: a finding.
    let older = component("pkg:rpm/redhat/gnutls@3.6.16-4.el8?arch=x86_64");
    let scan = index.scan(std::slice::from_ref(&older), &[]);
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(scan.findings[0].vulnerability.as_str(), "CVE-2024-28834");
}

#[test]
fn known_not_affected_is_vex_information_with_its_justification() {
    // CVE-2022-45787: Red Hat lists many Maven artifacts as `known_not_affected`.
    let record = redhat("trustify/etc/datasets/ds3/csaf/2022/cve-2022-45787.json");
    let advisory = record.advisory.as_ref().unwrap();
    let purl = advisory
        .vulnerabilities
        .iter()
        .flat_map(|vulnerability| {
            vulnerability
                .product_status
                .get(&ProductStatus::KnownNotAffected)
                .into_iter()
                .flatten()
        })
        .filter_map(|id| advisory.products.get(id))
        .find_map(|product| product.identification.purls.first().cloned())
        .expect("a known_not_affected product with a purl");
    let index = Index::build([record]);
    let scan = index.scan(&[Component::from_purl(purl.clone())], &[]);
    assert!(scan.findings.is_empty(), "{purl}: {:#?}", scan.findings);
    let statuses: Vec<ProductStatus> = scan.statements.iter().map(|(_, s)| s.status).collect();
    assert!(
        statuses.contains(&ProductStatus::KnownNotAffected),
        "{purl}: {statuses:?}"
    );
}
