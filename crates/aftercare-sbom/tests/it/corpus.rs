//! Every member of every SBOM zip in the shared data is read, and its component count is
//! checked against an independent count of the raw document (see `count.rs`).
//!
//! The members that are not SBOMs, and the SBOMs that are defective upstream, are listed
//! below with what they are and what the reader must say about them. Every other member
//! must read without a single warning: a new warning on real data is a change to review.

use std::collections::BTreeMap;

use aftercare_sbom::{Encoding, Format, SbomError};

use crate::count;

/// What a member must produce when it is not a clean SBOM.
enum Expected {
    /// Not an SBOM at all: an error whose message contains the text.
    NotAnSbom(&'static str, &'static str),
    /// An unreadable document: an error whose message contains the text.
    Error(&'static str, &'static str),
    /// A defect upstream: read, with a warning whose message contains the text.
    Warning(&'static str, &'static str),
}

/// The exceptions, by zip member path (a suffix is enough), with the reason.
fn expectations() -> Vec<(&'static str, Expected)> {
    use Expected::{Error, NotAnSbom, Warning};
    vec![
        // Not SBOMs.
        (
            "in-the-wild/cyclonedx-in-the-wild-dataset-metadata.csv",
            NotAnSbom(
                "the dataset's metadata table (CSV)",
                "not a recognized SBOM",
            ),
        ),
        (
            "in-the-wild/spdx-in-the-wild-dataset-metadata.csv",
            NotAnSbom(
                "the dataset's metadata table (CSV)",
                "not a recognized SBOM",
            ),
        ),
        (
            "in-the-wild/cyclonedx/scanoss-sbom-cdx.json",
            NotAnSbom(
                "SCANOSS's own JSON array, not CycloneDX despite the name",
                "a JSON array",
            ),
        ),
        (
            "in-the-wild/cyclonedx/bashrc2-sbom-cdx.json",
            NotAnSbom(
                "SCANOSS scan results keyed by file name, not CycloneDX",
                "without bomFormat, spdxVersion or @context",
            ),
        ),
        (
            "in-the-wild/spdx/maubot-spdx.json",
            NotAnSbom(
                "the SPDX license list keyed by license id, not an SPDX document",
                "keys: 0BSD",
            ),
        ),
        // Unreadable on purpose.
        (
            "unit/bom-invalid.json",
            Error(
                "Dependency-Track's intentionally truncated JSON",
                "line 2, column 27: invalid JSON",
            ),
        ),
        // Defective upstream, read with warnings.
        (
            "in-the-wild/spdx/powershell-2.2.6.spdx.json",
            Warning(
                "a web page footer pasted after the JSON document",
                "data after the end of the JSON document",
            ),
        ),
        (
            "in-the-wild/spdx/istio-source.spdx",
            Warning(
                "the stored snapshot is truncated at 3.25 MiB, inside a <text> value",
                "never closed by </text>",
            ),
        ),
        (
            "in-the-wild/cyclonedx/jx-darwin-arm64.tar.gz.sbom",
            Warning(
                "SPDX JSON despite the folder; syft's source element is missing, 84 CONTAINS name it",
                "the edge is ignored (84 edges name it)",
            ),
        ),
        (
            "in-the-wild/spdx/chronicle-sbom.spdx.json",
            Warning(
                "312 packages listed twice under the same SPDXID",
                "312 component(s) repeat the reference",
            ),
        ),
        (
            "in-the-wild/spdx/chartmuseum-v0.14.0.spdx",
            Warning(
                "DESCRIBES two packages",
                "the document describes 2 packages",
            ),
        ),
        (
            "in-the-wild/spdx/k8s-release-sbom.spdx",
            Warning(
                "DESCRIBES the 25 release images",
                "the document describes 25 packages",
            ),
        ),
        (
            "in-the-wild/spdx/kubernetes-release.spdx",
            Warning(
                "DESCRIBES the 25 release images",
                "the document describes 25 packages",
            ),
        ),
        (
            "in-the-wild/spdx/microsoft-sbom-tool.spdx.json",
            Warning(
                "a GitHub URL written as purl",
                "invalid package URL \"https://github.com/actions/virtual-environments\"",
            ),
        ),
        (
            "in-the-wild/spdx/missionlz.spdx.json",
            Warning(
                "a GitHub URL written as purl",
                "invalid package URL \"https://github.com/actions/virtual-environments\"",
            ),
        ),
        (
            "in-the-wild/spdx/win-x64-manifest.spdx.json",
            Warning(
                "a GitHub URL written as purl",
                "invalid package URL \"https://github.com/actions/virtual-environments\"",
            ),
        ),
        (
            "in-the-wild/spdx/usbutils.spdx",
            Warning(
                "SPDX 2.1 (REUSE), files only: no packages",
                "SPDX 2.1 is older than 2.2",
            ),
        ),
        (
            "in-the-wild/spdx/vast-sbom.spdx",
            Warning(
                "every package has SPDXID SPDXRef-Package, written before PackageName",
                "duplicate reference \"SPDXRef-Package\"",
            ),
        ),
        (
            "test/data/bom-gradle-deps.json",
            Warning(
                "maven purl without group (pkg:maven/root@latest)",
                "a namespace is required",
            ),
        ),
        (
            "test/data/bom-gradle-deps.xml",
            Warning(
                "maven purl without group (pkg:maven/root@latest)",
                "a namespace is required",
            ),
        ),
        (
            "test/data/ddc-sbom.json",
            Warning("maven purls without group", "a namespace is required"),
        ),
        (
            "test/data/ddc-sbom.xml",
            Warning("maven purls without group", "a namespace is required"),
        ),
        (
            "test/data/swiftsem/bom-hakit.json",
            Warning(
                "swift purl without source host",
                "a namespace (the source host and owner) is required",
            ),
        ),
        (
            "unit/bom-invalid-license-expression.json",
            Warning(
                "Dependency-Track's invalid expression test",
                "license expression \"(invalid\" has unbalanced parentheses",
            ),
        ),
        (
            "unit/bom-issue3936-author.json",
            Warning(
                "metadata.component with a type only",
                "the component has no name",
            ),
        ),
        (
            "unit/bom-issue3936-authors.json",
            Warning(
                "metadata.component with a type only",
                "the component has no name",
            ),
        ),
        (
            "unit/bom-issue3936-both.json",
            Warning(
                "metadata.component with a type only",
                "the component has no name",
            ),
        ),
        (
            "unit/bom-metadata-components.json",
            Warning(
                "dependencies name purls of components the BOM does not list",
                "matches no component",
            ),
        ),
        (
            "software/example7/spdx2.2/example7-third-party-modules.spdx.json",
            Warning(
                "documentDescribes lists three modules",
                "the document describes 3 packages",
            ),
        ),
        (
            "test-data/cyclonedx/broken-refs.json",
            Warning(
                "trustify's broken-reference test: dependsOn names a missing b",
                "dependency reference \"b\" matches no component",
            ),
        ),
        (
            "test-data/cyclonedx/invalid-purl.json",
            Warning(
                "trustify's invalid-purl test",
                "invalid package URL \"invalid purl\"",
            ),
        ),
        (
            "test-data/cyclonedx/loop.json",
            Warning(
                "trustify's loop test: components have no bom-ref, the loop names them by name",
                "dependency reference \"A\" matches no component",
            ),
        ),
        (
            "test-data/cyclonedx/simple_with_purl_dep_ref.json",
            Warning(
                "dependencies name components by name",
                "dependency reference \"A\" matches no component",
            ),
        ),
        (
            "TC-1860/release-another-b-cdx-1.json",
            Warning(
                "a dependency on a product not in the BOM",
                "matches no component",
            ),
        ),
        (
            "quarkus/v1/quarkus-bom-2.13.8.Final-redhat-00004.json",
            Warning(
                "one package listed twice",
                "1 component(s) repeat the reference",
            ),
        ),
        (
            "test-data/spdx/broken-refs.json",
            Warning(
                "trustify's broken-reference test: CONTAINED_BY names a missing element",
                "is not an element of this document",
            ),
        ),
        (
            "test-data/spdx/1178.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/double-ref.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/loop.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/self-package.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/self.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/simple-dup.json",
            Warning(
                "CPE with part \"app\"",
                "invalid CPE \"cpe:/app:redhat:simple:1::el9\"",
            ),
        ),
        (
            "test-data/spdx/simple-ext-a.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/simple-ext-b.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "test-data/spdx/simple.json",
            Warning(
                "creator \"Trustify\" without Tool: prefix",
                "has no Person:, Organization: or Tool: prefix",
            ),
        ),
        (
            "spdx/rh/product_component/openssl-3.0.7-18.el9_2.spdx.json",
            Warning("a SHA-256 with a `g` in it", "is not hexadecimal"),
        ),
        (
            "spdx/rh/product_component/rhel-9.2-eus.spdx.json",
            Warning("a SHA-256 with a `g` in it", "is not hexadecimal"),
        ),
        // Trivy writes the relationship type DESCRIBE for DESCRIBES; every trivy member of
        // the lab sample (matched by the `spdx-trivy-` prefix below) has it.
        (
            "spdx-trivy-",
            Warning(
                "trivy's DESCRIBE typo",
                "relationship type DESCRIBE is not an SPDX type",
            ),
        ),
    ]
}

fn expectation<'a>(name: &str, table: &'a [(&'static str, Expected)]) -> Option<&'a Expected> {
    table
        .iter()
        .find(|(key, _)| name.ends_with(key) || (key.ends_with('-') && name.contains(key)))
        .map(|(_, expected)| expected)
}

/// The independent count of a member that reads as the given format and encoding.
fn independent_count(bytes: &[u8], format: Format, encoding: Encoding) -> usize {
    let bytes = count::decompress(bytes);
    let text = std::str::from_utf8(&bytes)
        .unwrap()
        .trim_start_matches('\u{feff}');
    match (format, encoding) {
        (Format::CycloneDx, Encoding::Json) => {
            count::cyclonedx_json(&count::first_json(text.as_bytes()))
        }
        (Format::CycloneDx, Encoding::Xml) => count::cyclonedx_xml(text),
        (Format::Spdx, Encoding::Json) => count::spdx_json(&count::first_json(text.as_bytes())),
        (Format::Spdx, Encoding::JsonLd) => count::spdx3(&count::first_json(text.as_bytes())),
        (Format::Spdx, Encoding::TagValue) => count::tag_value(text),
        other => panic!("unexpected format {other:?}"),
    }
}

#[test]
fn every_sbom_of_the_shared_data_is_read_and_counted() {
    let table = expectations();
    let mut used = vec![false; table.len()];
    let mut per_zip: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let zips = aftercare_testdata::zips_in("sbom");
    assert!(zips.len() >= 7, "{zips:?}");
    for zip in &zips {
        for entry in aftercare_testdata::zip_entries(zip) {
            let name = &entry.name;
            let expected = expectation(name, &table);
            if let Some(expected) = expected
                && let Some(position) = table.iter().position(|(_, e)| std::ptr::eq(e, expected))
            {
                used[position] = true;
            }
            let totals = per_zip.entry(zip.clone()).or_default();
            let result = aftercare_sbom::read(name, &entry.bytes);
            match (result, expected) {
                (Err(error), Some(Expected::NotAnSbom(_, part) | Expected::Error(_, part))) => {
                    if !error.to_string().contains(part) {
                        failures.push(format!("{name}: error {error} lacks {part:?}"));
                    }
                    if !error.to_string().contains(name.as_str())
                        || !error.to_string().contains("supported: ")
                    {
                        failures.push(format!(
                            "{name}: error {error} must name the file and what is supported"
                        ));
                    }
                    totals.2 += 1;
                }
                (Err(error), _) => failures.push(format!("{name}: unexpected error {error}")),
                (Ok(_), Some(Expected::NotAnSbom(what, _) | Expected::Error(what, _))) => {
                    failures.push(format!("{name}: read although it is {what}"));
                }
                (Ok(outcome), expected) => {
                    let sbom = &outcome.sbom;
                    let independent = independent_count(&entry.bytes, sbom.format, sbom.encoding);
                    if sbom.components.len() != independent {
                        failures.push(format!(
                            "{name}: {} components read, {independent} counted in the raw document",
                            sbom.components.len()
                        ));
                    }
                    match expected {
                        Some(Expected::Warning(defect, part)) => {
                            if !outcome
                                .warnings
                                .iter()
                                .any(|warning| warning.message.contains(part))
                            {
                                failures.push(format!(
                                    "{name} ({defect}): no warning containing {part:?} in {:#?}",
                                    outcome.warnings
                                ));
                            }
                        }
                        _ => {
                            if !outcome.warnings.is_empty() {
                                failures.push(format!(
                                    "{name}: unexpected warnings {:#?}",
                                    outcome.warnings
                                ));
                            }
                        }
                    }
                    totals.0 += 1;
                    totals.1 += sbom.components.len();
                }
            }
        }
    }
    for (index, (key, _)) in table.iter().enumerate() {
        if !used[index] {
            failures.push(format!("the expectation for {key} matched no member"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Documents read, components read, members refused, per zip.
    let summary: Vec<String> = per_zip
        .iter()
        .map(|(zip, (read, components, refused))| {
            format!("{zip}: {read} read, {components} components, {refused} refused")
        })
        .collect();
    println!("{}", summary.join("\n"));
    assert_eq!(per_zip["sbom/trustify-sboms.zip"].0, 118, "{summary:#?}");
    assert_eq!(
        per_zip["sbom/bom-shelter-in-the-wild.zip"].2, 5,
        "{summary:#?}"
    );
}

#[test]
fn grype_modified_is_tag_value_inside_a_json_name() {
    // The file is named .spdx.json but holds SPDX tag-value: detection goes by content.
    let modified = crate::read_member(
        "bom-shelter-in-the-wild.zip",
        "in-the-wild/spdx/grype-sbom-modified.spdx.json",
    );
    let original = crate::read_member(
        "bom-shelter-in-the-wild.zip",
        "in-the-wild/spdx/grype-sbom.spdx",
    );
    assert_eq!(modified.sbom.encoding, Encoding::TagValue);
    assert_eq!(modified.sbom.components, original.sbom.components);
    assert!(modified.sbom.components.len() > 100);
}

#[test]
fn compressed_members_read_like_their_plain_twins() {
    let plain = crate::read_member(
        "trustify-sboms.zip",
        "test-data/cyclonedx/decompress/simple.json",
    );
    for packed in ["simple.json.gz", "simple.json.bz2", "simple.json.xz"] {
        let outcome = crate::read_member(
            "trustify-sboms.zip",
            &format!("test-data/cyclonedx/decompress/{packed}"),
        );
        assert_eq!(outcome.sbom, plain.sbom, "{packed}");
    }
    let large = crate::read_member(
        "trustify-sboms.zip",
        "test-data/openshift-container-storage-4.8.z.json.xz",
    );
    assert_eq!(large.sbom.format, Format::Spdx);
    assert!(large.sbom.components.len() > 7_000);
}

#[test]
fn powershell_trailing_data_is_a_warning_at_its_position() {
    let outcome = crate::read_member(
        "bom-shelter-in-the-wild.zip",
        "in-the-wild/spdx/powershell-2.2.6.spdx.json",
    );
    assert_eq!(outcome.warnings.len(), 1);
    assert_eq!(outcome.warnings[0].location, "line 2765, column 1");
    assert_eq!(outcome.sbom.components.len(), 97);
}

#[test]
fn invalid_json_error_names_file_position_and_formats() {
    let bytes = crate::member(
        "dependency-track-test-boms.zip",
        "apiserver/src/test/resources/unit/bom-invalid.json",
    );
    let error = aftercare_sbom::read("bom-invalid.json", &bytes).unwrap_err();
    assert!(
        matches!(
            error,
            SbomError::Syntax {
                line: 2,
                column: 27,
                syntax: "JSON",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "bom-invalid.json: line 2, column 27: invalid JSON: EOF while parsing a value \
         (supported: CycloneDX 1.0–1.6 XML, CycloneDX 1.2–1.6 JSON, SPDX 2.2/2.3 JSON and \
         tag-value, SPDX 3.0 JSON-LD; .gz/.bz2/.xz compressed)"
    );
}

#[test]
fn trustify_edge_cases_keep_what_is_readable() {
    // Invalid purl: the component is kept, without purl.
    let invalid = crate::read_member(
        "trustify-sboms.zip",
        "test-data/cyclonedx/invalid-purl.json",
    );
    let component = &invalid.sbom.components[1];
    assert_eq!(
        (component.name.as_str(), component.purl.as_ref()),
        ("A", None)
    );
    assert_eq!(invalid.warnings[0].location, "components[0].purl");
    assert_eq!(invalid.warnings[0].reference.as_deref(), Some("a"));
    // A loop of CONTAINED_BY terminates and still derives direct/transitive.
    let looped = crate::read_member("trustify-sboms.zip", "test-data/spdx/loop.json");
    let direct: Vec<(&str, Option<bool>)> = looped
        .sbom
        .components
        .iter()
        .map(|component| (component.reference.as_str(), component.direct))
        .collect();
    assert_eq!(
        direct,
        [
            ("SPDXRef-A", None),
            ("SPDXRef-B", Some(true)),
            ("SPDXRef-C", Some(false))
        ]
    );
}

#[test]
fn other_cyclonedx_bom_kinds_read_as_what_they_are() {
    use aftercare_sbom::ComponentKind;
    let kinds = |name: &str| -> Vec<ComponentKind> {
        crate::read_member("cyclonedx-bom-examples.zip", name)
            .sbom
            .components
            .into_iter()
            .map(|component| component.kind)
            .collect()
    };
    // HBOM: hardware, every part a device.
    let hbom = kinds("HBOM/PCIe-SATA-adapter-board/bom.json");
    assert!(
        hbom.len() > 1 && hbom.iter().all(|kind| *kind == ComponentKind::Device),
        "{hbom:?}"
    );
    // CBOM (1.6): the application and its cryptographic assets (a type the model keeps as
    // written).
    assert_eq!(
        kinds("CBOM/Algorithm/bom.json"),
        [
            ComponentKind::Application,
            ComponentKind::Other("cryptographic-asset".to_string()),
            ComponentKind::Other("cryptographic-asset".to_string()),
        ]
    );
    // OBOM: the operating system under an application.
    assert_eq!(
        kinds("OBOM/Example-1-Decoupled/obom.json"),
        [ComponentKind::Application, ComponentKind::OperatingSystem]
    );
    // SaaSBOM: services only; the subject is the one component, and the dependencies
    // between services are no component edges (and no warnings).
    let saas = crate::read_member(
        "cyclonedx-bom-examples.zip",
        "SaaSBOM/apigateway-microservices-datastores/bom.json",
    );
    assert_eq!(saas.sbom.components.len(), 1);
    assert!(saas.sbom.dependencies.is_empty() && saas.warnings.is_empty());
    // VEX-only documents: vulnerabilities and no components at all.
    for vex in [
        "VEX/vex.json",
        "VEX/CISA-Use-Cases/Case-7/vex.json",
        "VEX/Use-Cases/Case-13/vex.json",
    ] {
        let outcome = crate::read_member("cyclonedx-bom-examples.zip", vex);
        assert!(outcome.sbom.components.is_empty(), "{vex}");
        assert_eq!(outcome.sbom.subject, None, "{vex}");
    }
}
