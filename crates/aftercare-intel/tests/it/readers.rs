//! Data-driven tests of the readers on small documents: one `check` per question, many
//! one-line cases.

use aftercare_intel::csaf::ProductStatus;
use aftercare_intel::record::{Operator, RangeEvent, VersionBound};
use aftercare_intel::{Format, IntelError, Record, WarningKind, read_document};
use aftercare_model::VulnerabilityId;

fn id(text: &str) -> VulnerabilityId {
    text.parse().unwrap()
}

fn one(json: &str) -> (Record, Vec<(WarningKind, String)>) {
    let parsed = read_document("test.json", json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let warnings = parsed
        .warnings
        .iter()
        .map(|w| (w.kind, w.message.clone()))
        .collect();
    let mut records = parsed.into_records();
    assert_eq!(records.len(), 1, "{json}");
    (records.remove(0), warnings)
}

/// A bad field is a warning and leaves the field empty; the record is kept.
fn check_warning(json: &str, kind: WarningKind, fragment: &str, field_empty: fn(&Record) -> bool) {
    let (record, warnings) = one(json);
    assert!(
        warnings
            .iter()
            .any(|(found, message)| *found == kind && message.contains(fragment)),
        "{json}: {warnings:?}"
    );
    assert!(field_empty(&record), "{json}: {record:?}");
}

#[test]
fn bad_fields_are_warnings() {
    use WarningKind::*;
    check_warning(
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "yesterday"}"#,
        InvalidDate,
        "`modified` is not a valid timestamp",
        |r| r.modified.is_none(),
    );
    check_warning(
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "published": "2024-02-30T00:00:00Z"}"#,
        InvalidDate,
        "`published`",
        |r| r.published.is_none() && r.modified.is_some(),
    );
    check_warning(
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X"}]}"#,
        InvalidCvss,
        "invalid CVSS vector",
        |r| r.ratings.is_empty(),
    );
    check_warning(
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-21-1", "CVE-2021-0001"]}"#,
        InvalidId,
        "invalid CVE id",
        |r| r.aliases == [id("CVE-2021-0001")],
    );
    check_warning(
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "x", "purl": "npm/x"}}]}"#,
        InvalidPurl,
        "invalid package URL",
        |r| r.packages[0].purl.is_none() && r.packages[0].key.is_some(),
    );
    check_warning(
        r#"{"cve": {"id": "CVE-2021-0001", "published": "2021-01-01T00:00:00.000", "lastModified": "x", "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {"vectorString": "CVSS:3.1/AV:N", "baseScore": 9.8, "baseSeverity": "CRITICAL"}}]}}}"#,
        InvalidCvss,
        "base metric AC is missing",
        // The stated score and label are kept; only the vector is dropped.
        |r| {
            r.modified.is_none()
                && r.ratings[0].vector.is_none()
                && r.ratings[0].base_score == Some(9.8)
        },
    );
    check_warning(
        r#"{"cve": {"id": "CVE-2021-0001", "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:a:x"}]}]}]}}"#,
        InvalidCpe,
        "invalid CPE",
        |r| r.configurations[0].nodes[0].matches.is_empty(),
    );
}

fn check_format(json: &str, expected: Format) {
    let parsed =
        read_document("test.json", json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(parsed.format, expected, "{json}");
}

#[test]
fn formats_from_content() {
    check_format(
        r#"{"id": "OSV-2020-1", "modified": "2020-01-01T00:00:00Z"}"#,
        Format::Osv,
    );
    check_format(
        r#"{"id": "CVE-2020-0001", "sourceIdentifier": "x", "published": "2020-01-01T00:00:00"}"#,
        Format::Nvd,
    );
    check_format(r#"{"cve": {"id": "CVE-2020-0001"}}"#, Format::Nvd);
    check_format(
        r#"{"resultsPerPage": 0, "vulnerabilities": []}"#,
        Format::Nvd,
    );
    check_format(
        r#"[{"id": "OSV-2020-1", "modified": "2020-01-01T00:00:00Z"}, {"id": "OSV-2020-2", "modified": "2020-01-01T00:00:00Z"}]"#,
        Format::Osv,
    );
    check_format(
        "{\"cve\": {\"id\": \"CVE-2020-0001\"}}\n{\"cve\": {\"id\": \"CVE-2020-0002\"}}\n",
        Format::Nvd,
    );
    check_format(
        "\u{feff}  {\"catalogVersion\": \"1\", \"vulnerabilities\": []}",
        Format::Kev,
    );
}

fn check_error(input: &[u8], fragment: &str) {
    let error = read_document("test", input).unwrap_err();
    assert!(error.to_string().contains(fragment), "{error}");
    assert!(
        error.to_string().contains("supported:")
            || matches!(error, IntelError::ReadDocument { .. }),
        "{error}"
    );
}

#[test]
fn unreadable_input_is_an_error_that_says_what_is_supported() {
    check_error(
        b"id: PYSEC-2024-55\nmodified: 2024-01-01\n",
        "YAML is not supported",
    );
    check_error(b"<cvrfdoc/>", "XML is not supported");
    check_error(b"", "empty");
    check_error(br#"{"bomFormat": "CycloneDX"}"#, "none of the keys");
    check_error(br#"{"id": "x", "modified": "#, "EOF while parsing");
    check_error(br#"{"id": "x""#, "not JSON");
    check_error(
        br#"{"id": 5, "modified": "2020-01-01T00:00:00Z"}"#,
        "not a valid OSV document",
    );
}

#[test]
fn osv_details() {
    let (record, warnings) = one(
        r#"{"id": "DSA-5474-1", "modified": "2026-03-09T02:11:37.555571Z", "withdrawn": "2026-04-01T00:00:00Z",
            "upstream": ["CVE-2023-1234"], "related": ["CVE-2023-9999"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Flask_Login"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}, {"last_affected": "0.9"}]}],
                          "ecosystem_specific": {"imports": [{"path": "x"}]}},
                         {"package": {"ecosystem": "Debian:11", "name": "intel-microcode"}}]}"#,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        record.aliases,
        [id("CVE-2023-1234")],
        "upstream merges like aliases"
    );
    assert_eq!(record.related, [id("CVE-2023-9999")]);
    assert!(record.is_withdrawn());
    let package = &record.packages[0];
    assert_eq!(
        package.key.as_ref().map(ToString::to_string).as_deref(),
        Some("PyPI/flask-login")
    );
    assert_eq!(package.fixed_versions().collect::<Vec<_>>(), ["1.0"]);
    assert_eq!(
        package.ranges[0].events[2],
        RangeEvent::LastAffected("0.9".into())
    );
    assert_eq!(
        package.ecosystem_specific.as_deref(),
        Some(r#"{"imports": [{"path": "x"}]}"#)
    );
    assert_eq!(record.packages[1].ecosystem_release.as_deref(), Some("11"));
}

#[test]
fn nvd_configuration_tree() {
    let parsed = crate::common::member(
        "nvd/nvd-api-2.0-files.zip",
        "fkie-cad/nvd-json-data-feeds/CVE-2022/CVE-2022-402xx/CVE-2022-40263.json",
    );
    let record = &parsed.records()[0];
    let configuration = &record.configurations[0];
    assert_eq!(configuration.operator, Operator::And);
    let firmware = &configuration.nodes[0].matches[0];
    assert!(firmware.vulnerable);
    assert_eq!(
        firmware.criteria.product.as_str(),
        Some("totalys_multiprocessor_firmware")
    );
    assert_eq!(
        firmware.version_end,
        Some(VersionBound::Excluding("1.71".into()))
    );
    assert!(
        !configuration.nodes[1].matches[0].vulnerable,
        "the hardware only sets the context"
    );
    assert_eq!(record.ssvc[0].exploitation.as_deref(), Some("none"));
    assert_eq!(
        record.products[0].product.as_deref(),
        Some("BD Totalys MultiProcessor")
    );
}

#[test]
fn csaf_products_by_status_resolve_to_helpers() {
    let parsed = crate::common::member(
        "csaf/redhat-csaf.zip",
        "trustify/etc/datasets/ds3/csaf/2023/cve-2023-0044.json",
    );
    let record = &parsed.records()[0];
    let advisory = record.advisory.as_ref().unwrap();
    let cve = id("CVE-2023-0044");
    // Relationship products carry their component's helpers and name their platform.
    let not_affected: Vec<_> = advisory
        .products_with_status(&cve, ProductStatus::KnownNotAffected)
        .collect();
    assert!(!not_affected.is_empty());
    assert!(
        not_affected
            .iter()
            .all(|product| product.relationship.is_some())
    );
    let affected: Vec<_> = advisory
        .products_with_status(&cve, ProductStatus::KnownAffected)
        .collect();
    let fixed: Vec<_> = advisory
        .products_with_status(&cve, ProductStatus::Fixed)
        .collect();
    assert!(!affected.is_empty() || !fixed.is_empty());
    let platforms_with_cpe = fixed
        .iter()
        .chain(&affected)
        .filter_map(|product| product.relationship.as_ref())
        .filter(|relationship| {
            advisory
                .products
                .get(&relationship.platform)
                .is_some_and(|p| !p.identification.cpes.is_empty())
        })
        .count();
    assert!(platforms_with_cpe > 0);
    // The VEX justification of the not-affected products.
    let vulnerability = &advisory.vulnerabilities[0];
    assert_eq!(vulnerability.flags[0].label, "vulnerable_code_not_present");
    assert!(
        advisory
            .statuses_of(&cve, &not_affected[0].id)
            .any(|s| s == ProductStatus::KnownNotAffected)
    );
}

#[test]
fn csaf_purls_of_a_security_advisory() {
    let parsed = crate::common::file("csaf/oasis-csaf-2.0/examples/csaf/rhsa-2021_5186.json");
    let record = &parsed.records()[0];
    let advisory = record.advisory.as_ref().unwrap();
    let purls = advisory
        .products
        .values()
        .flat_map(|product| product.identification.purls.iter())
        .count();
    let cpes = advisory
        .products
        .values()
        .flat_map(|product| product.identification.cpes.iter())
        .count();
    assert!(purls + cpes > 0, "{purls} purls, {cpes} CPEs");
    assert!(!record.aliases.is_empty() && record.aliases.iter().all(VulnerabilityId::is_cve));
}

#[test]
fn a_broken_json_line_is_a_warning() {
    let text = "{\"cve\": {\"id\": \"CVE-2020-0001\"}}\n{\"cve\": {\"id\": \nnot json\n{\"cve\": {\"id\": \"CVE-2020-0003\"}}\n";
    let parsed = read_document("lines.jsonl", text.as_bytes()).unwrap();
    let ids: Vec<String> = parsed.records().iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, ["CVE-2020-0001", "CVE-2020-0003"]);
    assert!(!parsed.warnings.is_empty());
    assert!(
        parsed
            .warnings
            .iter()
            .all(|w| w.kind == WarningKind::SkippedRecord),
        "{:?}",
        parsed.warnings
    );
}
