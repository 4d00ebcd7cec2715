//! `aftercare sbom inspect|check|diff` on real SBOMs.

use crate::{aftercare, describe, extract};

const EXAMPLES: &str = "sbom/cyclonedx-bom-examples.zip";

#[test]
fn inspect_prints_the_documented_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let file = extract(
        EXAMPLES,
        "SBOM/laravel-7.12.0/bom.1.3.json",
        dir.path(),
        "bom.json",
    );
    let output = aftercare(
        dir.path(),
        &[
            "sbom",
            "inspect",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"], "cyclonedx");
    assert_eq!(json["spec_version"], "1.3");
    for key in ["subject", "components", "dependencies", "warnings"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    let components = json["components"].as_array().unwrap();
    // Counted independently in the raw document: every entry of `components`.
    let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let raw_count = raw["components"].as_array().unwrap().len()
        + usize::from(raw.pointer("/metadata/component").is_some());
    assert_eq!(components.len(), raw_count);
    let first = &components[0];
    for key in [
        "ref",
        "name",
        "version",
        "purl",
        "cpes",
        "supplier",
        "licenses",
        "level_of_support",
        "end_of_support",
        "direct",
    ] {
        assert!(first.get(key).is_some(), "component lacks {key}: {first}");
    }
    assert!(output.stderr.is_empty() || !String::from_utf8_lossy(&output.stderr).contains("error"));
}

#[test]
fn check_fails_with_exit_1_only_when_required_elements_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let file = extract(
        EXAMPLES,
        "SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
        dir.path(),
        "bom.json",
    );
    let path = file.to_str().unwrap();
    let report = aftercare(dir.path(), &["sbom", "check", path]);
    assert_eq!(report.status.code(), Some(0), "{}", describe(&report));
    // proton-bridge has no suppliers: the NTIA requirement fails.
    let ntia = aftercare(dir.path(), &["sbom", "check", path, "--require", "ntia"]);
    assert_eq!(ntia.status.code(), Some(1), "{}", describe(&ntia));
    let json = aftercare(dir.path(), &["sbom", "check", path, "--format", "json"]);
    let quality: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(quality["ntia"], false);
    let supplier = quality["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["element"] == "supplier")
        .unwrap();
    assert_eq!(supplier["with"], 0);
}

#[test]
fn an_unreadable_file_is_exit_2_with_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.4\",\n  \"components\": [ {\"name\": \n").unwrap();
    let output = aftercare(dir.path(), &["sbom", "inspect", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stderr.contains("line"), "{stderr}");
    assert!(output.stdout.is_empty(), "no data on stdout for an error");
}

#[test]
fn diff_reports_upgrades_between_two_real_sboms() {
    let dir = tempfile::tempdir().unwrap();
    let old = extract(
        EXAMPLES,
        "SBOM/proton-bridge/proton-bridge-v1.6.3.bom.json",
        dir.path(),
        "old.json",
    );
    let new = extract(
        EXAMPLES,
        "SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
        dir.path(),
        "new.json",
    );
    let output = aftercare(
        dir.path(),
        &[
            "sbom",
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let diff: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let upgraded = diff["upgraded"].as_array().unwrap();
    assert!(
        upgraded
            .iter()
            .any(|c| c["name"].as_str().unwrap().ends_with("proton-bridge")
                && c["old_version"] == "v1.6.3"
                && c["new_version"] == "v1.8.0"),
        "{upgraded:?}"
    );
}

/// `aftercare cvss` on the worked examples of the specifications (their published scores).
#[test]
fn cvss_scores_the_specification_examples() {
    let dir = tempfile::tempdir().unwrap();
    let check = |vector: &str, base: f64, severity: &str| {
        let output = aftercare(dir.path(), &["cvss", vector, "--format", "json"]);
        assert!(output.status.success(), "{}", describe(&output));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["base_score"].as_f64(), Some(base), "{vector}");
        assert_eq!(json["severity"], severity, "{vector}");
        json
    };
    // Log4Shell (CVE-2021-44228), NVD: 10.0 critical.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        10.0,
        "critical",
    );
    // CVSS v4.0: network, no privileges, high impact to the vulnerable system only — 9.3 in
    // FIRST's calculator.
    let v4 = check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        9.3,
        "critical",
    );
    assert_eq!(v4["version"], "4.0");
    // CVSS v2 guide, CVE-2002-0392: base 7.8.
    let v2 = check("AV:N/AC:L/Au:N/C:N/I:N/A:C", 7.8, "high");
    assert_eq!(v2["version"], "2.0");
    let bad = aftercare(dir.path(), &["cvss", "CVSS:3.1/AV:X"]);
    assert_eq!(bad.status.code(), Some(2), "{}", describe(&bad));
}
