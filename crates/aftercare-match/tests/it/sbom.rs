//! Real SBOMs of the shared data scanned against every OSV record of the shared data.
//!
//! The findings asserted by name were verified by reading the GHSA records in
//! `osv/GHSA-and-fixtures.zip` (ranges in the comments); the snapshots hold every finding of
//! each SBOM, one line each, and were reviewed by hand.

use aftercare_match::{Component, FileHash, Finding, Matched, Scan};

use crate::common::osv_index;

/// The matcher's components of an SBOM member of a shared-data zip.
pub fn components(zip: &str, member: &str) -> Vec<Component> {
    let entry = aftercare_testdata::zip_entries(zip)
        .into_iter()
        .find(|entry| entry.name == member)
        .unwrap_or_else(|| panic!("{zip} has no {member}"));
    let outcome = aftercare_sbom::read(member, &entry.bytes).unwrap();
    outcome
        .sbom
        .components
        .iter()
        .map(|component| Component {
            name: component.name.clone(),
            version: component.version.clone(),
            purl: component.purl.clone(),
            package: None,
            cpes: component.cpes.clone(),
            hashes: component
                .hashes
                .iter()
                .map(|hash| FileHash::new(&hash.algorithm, &hash.value))
                .collect(),
        })
        .collect()
}

/// One line per finding: component, vulnerability, severity, fixed versions, reasons.
pub fn lines(components: &[Component], scan: &Scan) -> String {
    let mut lines: Vec<String> = scan
        .findings
        .iter()
        .map(|finding| {
            let component = &components[finding.component];
            let reasons: Vec<String> = finding
                .reasons
                .iter()
                .map(|reason| {
                    let what = match &reason.matched {
                        Matched::Range {
                            affected,
                            range,
                            introduced,
                            fixed,
                            last_affected,
                            ..
                        } => format!(
                            "affected[{affected}].ranges[{range}] {introduced}..{}",
                            fixed
                                .as_deref()
                                .map(|f| format!("<{f}"))
                                .or(last_affected.as_deref().map(|l| format!("<={l}")))
                                .unwrap_or_default()
                        ),
                        Matched::Listed {
                            affected, listed, ..
                        } => {
                            format!("affected[{affected}].versions {listed}")
                        }
                        other => format!("{other:?}"),
                    };
                    format!(
                        "{} {what} ({})",
                        reason.record.id,
                        reason.confidence.as_str()
                    )
                })
                .collect();
            format!(
                "{} | {} [{}] | {} | fixed {} | {}",
                component
                    .purl
                    .as_ref()
                    .map(|purl| purl.to_string())
                    .unwrap_or_else(|| component.name.clone()),
                finding.vulnerability,
                finding
                    .aliases
                    .iter()
                    .map(|alias| alias.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                finding.severity.severity,
                if finding.fixed_versions.is_empty() {
                    "-".to_string()
                } else {
                    finding.fixed_versions.join(" ")
                },
                reasons.join("; ")
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

fn find<'a>(
    components: &[Component],
    scan: &'a Scan,
    purl: &str,
    vulnerability: &str,
) -> &'a Finding {
    scan.findings
        .iter()
        .find(|finding| {
            components[finding.component]
                .purl
                .as_ref()
                .is_some_and(|own| own.to_string().starts_with(purl))
                && (finding.vulnerability.as_str() == vulnerability
                    || finding
                        .aliases
                        .iter()
                        .any(|alias| alias.as_str() == vulnerability))
        })
        .unwrap_or_else(|| panic!("no finding {vulnerability} for {purl}"))
}

const EXAMPLES: &str = "sbom/cyclonedx-bom-examples.zip";

#[test]
fn juice_shop_v11_1_2() {
    let components = components(EXAMPLES, "SBOM/juice-shop/v11.1.2/bom.json");
    let scan = osv_index().scan(&components, &[]);
    // lodash: GHSA-35jh-r3h4-6jhm, npm lodash [0, 4.17.21).
    let lodash = find(
        &components,
        &scan,
        "pkg:npm/lodash@4.17.19",
        "GHSA-35jh-r3h4-6jhm",
    );
    assert_eq!(lodash.vulnerability.as_str(), "CVE-2021-23337");
    assert_eq!(lodash.fixed_versions, ["4.17.21"]);
    // minimist: GHSA-xvch-5gv4-984h, [1.0.0, 1.2.6) and [0, 0.2.4); 1.2.5 is in the first.
    let minimist = find(
        &components,
        &scan,
        "pkg:npm/minimist@1.2.5",
        "GHSA-xvch-5gv4-984h",
    );
    assert_eq!(minimist.vulnerability.as_str(), "CVE-2021-44906");
    assert_eq!(minimist.fixed_versions, ["1.2.6"]);
    // moment: GHSA-8hfj-j24r-96c4, npm moment [0, 2.29.2) (the NuGet entry does not apply).
    let moment = find(
        &components,
        &scan,
        "pkg:npm/moment@2.27.0",
        "GHSA-8hfj-j24r-96c4",
    );
    assert_eq!(moment.vulnerability.as_str(), "CVE-2022-24785");
    assert_eq!(moment.fixed_versions, ["2.29.2"]);
    assert_eq!(moment.reasons.len(), 1);
    // jsonwebtoken 0.4.0 has no record in the shared data: no finding.
    assert!(scan.findings.iter().all(|finding| {
        !components[finding.component]
            .name
            .eq_ignore_ascii_case("jsonwebtoken")
    }));
    insta::assert_snapshot!(lines(&components, &scan));
}

#[test]
fn keycloak_10_0_2() {
    let components = components(EXAMPLES, "SBOM/keycloak-10.0.2/bom.json");
    let scan = osv_index().scan(&components, &[]);
    // jackson-databind: GHSA-57j2-w4cx-62h2, [2.13.0, 2.13.2.1) and [0, 2.12.6.1).
    let jackson = find(
        &components,
        &scan,
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1",
        "GHSA-57j2-w4cx-62h2",
    );
    assert_eq!(jackson.vulnerability.as_str(), "CVE-2020-36518");
    assert_eq!(jackson.fixed_versions, ["2.12.6.1"]);
    // guava: GHSA-7g45-4rm6-3mm3, [1.0, 32.0.0): 25.0-jre is inside under Maven's order.
    let guava = find(
        &components,
        &scan,
        "pkg:maven/com.google.guava/guava@25.0-jre",
        "GHSA-7g45-4rm6-3mm3",
    );
    assert_eq!(guava.vulnerability.as_str(), "CVE-2023-2976");
    assert_eq!(guava.fixed_versions, ["32.0.0"]);
    // postgresql: GHSA-v7wg-cpwc-24m4, [9.4.1208, 42.2.25) and [42.3.0, 42.3.2).
    let postgresql = find(
        &components,
        &scan,
        "pkg:maven/org.postgresql/postgresql@42.2.8",
        "GHSA-v7wg-cpwc-24m4",
    );
    assert_eq!(postgresql.vulnerability.as_str(), "CVE-2022-21724");
    assert_eq!(postgresql.fixed_versions, ["42.2.25"]);
    insta::assert_snapshot!(lines(&components, &scan));
}

#[test]
fn pingdirectory_commons_text() {
    // No dropwizard SBOM is in this sample of the shared data; pingdirectory (syft, SPDX)
    // ships commons-text 1.6, inside GHSA-599f-7c49-w659's [1.5, 1.10.0) ("Text4Shell").
    let components = components(
        "sbom/bom-shelter-in-the-lab-sample.zip",
        "in-the-lab/spdx-popular-containers/data/spdx-syft-pingidentity_pingdirectory-sha256:29f46832f5247a2f05eb86049727167565dc139415eac165b5fa0eb9decfcb78.json",
    );
    let scan = osv_index().scan(&components, &[]);
    let text = find(
        &components,
        &scan,
        "pkg:maven/org.apache.commons/commons-text@1.6",
        "GHSA-599f-7c49-w659",
    );
    assert_eq!(text.vulnerability.as_str(), "CVE-2022-42889");
    assert_eq!(text.fixed_versions, ["1.10.0"]);
    assert_eq!(text.severity.severity, aftercare_model::Severity::Critical);
    insta::assert_snapshot!(lines(&components, &scan));
}

#[test]
fn one_finding_per_component_and_vulnerability() {
    for member in [
        "SBOM/juice-shop/v11.1.2/bom.json",
        "SBOM/keycloak-10.0.2/bom.json",
        "SBOM/laravel-7.12.0/bom.1.4.json",
        "SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
    ] {
        let components = components(EXAMPLES, member);
        let scan = osv_index().scan(&components, &[]);
        let mut pairs: Vec<(usize, &str)> = scan
            .findings
            .iter()
            .map(|finding| (finding.component, finding.vulnerability.as_str()))
            .collect();
        let total = pairs.len();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), total, "{member}: duplicate findings");
        // Two CVE ids never merge: a finding's aliases hold at most its own CVE.
        for finding in &scan.findings {
            assert!(
                finding.aliases.iter().all(|alias| !alias.is_cve()),
                "{member}: {} merged CVE aliases {:?}",
                finding.vulnerability,
                finding.aliases
            );
        }
    }
}
