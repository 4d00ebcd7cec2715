//! Documents that are invalid (or not documents at all) upstream, each with the warning it
//! must give. Everything not listed here must read without a warning: the tests in
//! `real_data` assert that for whole sources.

use aftercare_intel::WarningKind::{self, *};

use crate::common::read;

/// `(member name suffix, record, kind, message fragment)`.
type Expected = (
    &'static str,
    Option<&'static str>,
    WarningKind,
    &'static str,
);

fn check(source: &str, expected: &[Expected]) {
    let batch = read(source);
    let mut found: Vec<(String, Option<String>, WarningKind, String)> = batch
        .warnings
        .iter()
        .map(|w| {
            (
                w.document.clone(),
                w.record.clone(),
                w.kind,
                w.message.clone(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(found.len(), expected.len(), "{source}: {found:#?}");
    for (suffix, record, kind, fragment) in expected {
        let hit = found
            .iter()
            .any(|(document, found_record, found_kind, message)| {
                document.ends_with(suffix)
                    && found_record.as_deref() == *record
                    && found_kind == kind
                    && message.contains(fragment)
            });
        assert!(
            hit,
            "{source}: no {kind:?} warning {fragment:?} for {suffix}: {found:#?}"
        );
    }
}

#[test]
fn osv_fixtures() {
    check(
        "osv",
        &[
            // Dependency-Track's deliberately broken CVSS fixture: an empty severity object, a
            // truncated vector, and no `modified`.
            (
                "osv-vulnerability-invalid-cvss.json",
                Some("GHSA-77rv-6vfw-x4gc"),
                MissingField,
                "`severity[0]`: a severity without vector",
            ),
            (
                "osv-vulnerability-invalid-cvss.json",
                Some("GHSA-77rv-6vfw-x4gc"),
                InvalidCvss,
                "\"CVSS:3.1/AV:N/AC:L\": base metric PR is missing",
            ),
            (
                "osv-vulnerability-invalid-cvss.json",
                Some("GHSA-77rv-6vfw-x4gc"),
                MissingField,
                "`modified` is missing",
            ),
            // Trimmed Dependency-Track fixtures lack the required `modified`.
            (
                "osv-git-conflict-upper-bound-range.json",
                Some("GHSA-h4w9-6x78-8vrj"),
                MissingField,
                "`modified` is missing",
            ),
            (
                "osv-git-no-upper-bound-range.json",
                Some("GO-2022-0470"),
                MissingField,
                "`modified` is missing",
            ),
            (
                "osv-git-upper-bound-range.json",
                Some("GHSA-g42g-737j-qx6j"),
                MissingField,
                "`modified` is missing",
            ),
            (
                "osv-vulnerability-exact-version.json",
                Some("MAL-2023-995"),
                MissingField,
                "`modified` is missing",
            ),
            // trustify's two YAML records: OSV as YAML is not read (see ADR 0005).
            (
                "PYSEC-2024-55.yaml",
                None,
                Unsupported,
                "YAML is not supported",
            ),
            (
                "RSEC-2023-6.yaml",
                None,
                Unsupported,
                "YAML is not supported",
            ),
        ],
    );
}

#[test]
fn invalid_cvss_record_is_kept_with_its_valid_ratings() {
    let parsed = crate::common::member(
        "osv/GHSA-and-fixtures.zip",
        "dependency-track/vuln-data-source/osv/src/test/resources/osv-vulnerability-invalid-cvss.json",
    );
    let record = &parsed.records()[0];
    let vectors: Vec<&str> = record
        .ratings
        .iter()
        .filter_map(|r| r.vector.as_deref())
        .collect();
    assert_eq!(
        vectors,
        [
            "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
            "AV:N/AC:H/Au:N/C:P/I:N/A:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:H/SC:N/SI:N/SA:N",
        ]
    );
    assert_eq!(record.modified, None);
}

#[test]
fn kev_folder_holds_non_documents() {
    check(
        "kev",
        &[
            // The CSV form of the catalog is not read; the JSON form is.
            (
                "known_exploited_vulnerabilities.csv",
                None,
                SkippedRecord,
                "not a JSON object",
            ),
            (
                "known_exploited_vulnerabilities_schema.json",
                None,
                SkippedRecord,
                "none of the keys",
            ),
        ],
    );
}

#[test]
fn csaf_validator_documents() {
    // The OPTIONAL and INFORMATIVE validator tests flag quality issues (unused product ids,
    // missing scores, short hashes, spelling …), not schema violations: every one of the 92
    // documents is a readable advisory and gives no warning. The derived test-case index
    // beside them is not a document.
    check(
        "csaf/oasis-csaf-2.0-validator-optional-informative.zip",
        &[(
            "testcases-optional-informative.json",
            None,
            SkippedRecord,
            "none of the keys",
        )],
    );
}

#[test]
fn other_sources_read_without_warnings() {
    for source in [
        "nvd/nvd-api-2.0-files.zip",
        "nvd/nvdcve-1.1-sample.zip",
        "nvd/nvd-api-2.0-cves.jsonl",
        "csaf/cisa-icsma",
        "csaf/cisa-csaf-icsa-va.zip",
        "csaf/redhat-csaf.zip",
        "csaf/siemens",
        "csaf/oasis-csaf-2.0/examples",
        "csaf/cisa-feeds",
    ] {
        check(source, &[]);
    }
}
