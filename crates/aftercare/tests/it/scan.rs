//! `aftercare scan` and `aftercare index` on real SBOMs and advisories.

use std::path::Path;

use serde_json::Value;

use crate::{aftercare, describe, extract};

const EXAMPLES: &str = "sbom/cyclonedx-bom-examples.zip";
const GHSA: &str = "osv/GHSA-and-fixtures.zip";

fn juice_shop(dir: &Path) -> String {
    extract(
        EXAMPLES,
        "SBOM/juice-shop/v11.1.2/bom.json",
        dir,
        "juice-shop.json",
    )
    .display()
    .to_string()
}

fn ghsa() -> String {
    aftercare_testdata::path(GHSA).display().to_string()
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", describe(output)))
}

/// (purl, vulnerability id) of every finding, sorted.
fn pairs(report: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["component"]["purl"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                finding["vulnerability"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = juice_shop(dir.path());
    // The option takes one value: the SBOM after it stays positional.
    let output = aftercare(
        dir.path(),
        &["scan", "--advisories", &ghsa(), &sbom, "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    let lodash = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["component"]["purl"] == "pkg:npm/lodash@4.17.19")
        .expect("lodash 4.17.19 is affected");
    assert_eq!(lodash["component"]["name"], "lodash");
    assert_eq!(lodash["component"]["version"], "4.17.19");
    assert_eq!(lodash["vulnerability"]["id"], "CVE-2021-23337");
    assert_eq!(lodash["vulnerability"]["aliases"][0], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(lodash["severity"], "high");
    assert_eq!(lodash["fixed_versions"][0], "4.17.21");
    let reason = &lodash["reason"][0];
    assert_eq!(reason["record"], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(reason["kind"], "range");
    assert_eq!(reason["fixed"], "4.17.21");
    assert_eq!(reason["confidence"], "high");
    assert_eq!(report["summary"]["findings"], 6);
    assert_eq!(report["summary"]["critical"], 2);
    assert_eq!(report["summary"]["high"], 4);
    assert_eq!(pairs(&report).len(), 6);
}

#[test]
fn json_is_compact_when_piped_and_indented_with_pretty() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = juice_shop(dir.path());
    let ghsa = ghsa();
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", "--advisories", &ghsa, &sbom, "--format", "json"];
        args.extend_from_slice(extra);
        let output = aftercare(dir.path(), &args);
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        output
    };
    // The test captures stdout: not a terminal.
    let compact = run(&[]);
    let pretty = run(&["--pretty"]);
    let text = String::from_utf8_lossy(&compact.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(String::from_utf8_lossy(&pretty.stdout).contains("\n  \"findings\": ["));
    assert_eq!(json(&compact), json(&pretty));
}

#[test]
fn fail_on_trips_exit_1_only_at_or_above_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = juice_shop(dir.path());
    let data = ghsa();
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", sbom.as_str(), "--advisories", data.as_str()];
        args.extend_from_slice(extra);
        aftercare(dir.path(), &args)
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let critical = run(&["--fail-on", "critical"]);
    assert_eq!(critical.status.code(), Some(1), "{}", describe(&critical));
    assert!(
        String::from_utf8_lossy(&critical.stderr).contains("2 finding(s) at or above critical")
    );
    // None of the findings is in the KEV catalog.
    let kev = aftercare_testdata::path("kev/known_exploited_vulnerabilities.json");
    let output = run(&["--fail-on", "kev", "--kev", kev.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    // No unknown severities here either.
    assert_eq!(run(&["--fail-on-unknown"]).status.code(), Some(0));
}

#[test]
fn unknown_severity_trips_only_with_fail_on_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("osv/npm");
    std::fs::create_dir_all(&data).unwrap();
    // A record without any rating: its finding's severity is unknown.
    std::fs::write(
        data.join("GHSA-aaaa-bbbb-cccc.json"),
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#,
    )
    .unwrap();
    let sbom = juice_shop(dir.path());
    let data = dir.path().join("osv");
    let data = data.to_str().unwrap();
    let high = aftercare(
        dir.path(),
        &["scan", &sbom, "--advisories", data, "--fail-on", "low"],
    );
    assert_eq!(high.status.code(), Some(0), "{}", describe(&high));
    let table = String::from_utf8_lossy(&high.stdout);
    assert!(table.contains("Unknown severity"), "{table}");
    let unknown = aftercare(
        dir.path(),
        &["scan", &sbom, "--advisories", data, "--fail-on-unknown"],
    );
    assert_eq!(unknown.status.code(), Some(1), "{}", describe(&unknown));
    let report = json(&aftercare(
        dir.path(),
        &["scan", &sbom, "--advisories", data, "--format", "json"],
    ));
    assert_eq!(report["summary"]["unknown"], 2);
    assert_eq!(report["unknown_severity"].as_array().unwrap().len(), 2);
}

#[test]
fn sarif_and_cyclonedx_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = juice_shop(dir.path());
    let data = ghsa();
    let sarif = json(&aftercare(
        dir.path(),
        &["scan", &sbom, "--advisories", &data, "--format", "sarif"],
    ));
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "aftercare");
    assert_eq!(run["results"].as_array().unwrap().len(), 6);
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 3);
    let result = &run["results"][0];
    assert_eq!(result["level"], "error");
    let rule = &run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], result["ruleId"]);

    let vdr = json(&aftercare(
        dir.path(),
        &[
            "scan",
            &sbom,
            "--advisories",
            &data,
            "--format",
            "cyclonedx",
        ],
    ));
    assert_eq!(vdr["bomFormat"], "CycloneDX");
    assert_eq!(vdr["specVersion"], "1.6");
    let refs: Vec<&str> = vdr["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|component| component["bom-ref"].as_str().unwrap())
        .collect();
    let vulnerabilities = vdr["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities.len(), 3);
    let lodash = vulnerabilities
        .iter()
        .find(|v| v["id"] == "CVE-2021-23337")
        .unwrap();
    assert_eq!(lodash["references"][0]["id"], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(lodash["ratings"][0]["method"], "CVSSv31");
    assert_eq!(
        lodash["recommendation"],
        "Upgrade to a fixed version: 4.17.21"
    );
    for affect in lodash["affects"].as_array().unwrap() {
        assert!(refs.contains(&affect["ref"].as_str().unwrap()), "{affect}");
    }
    // A VDR is the report of one SBOM.
    let two = aftercare(
        dir.path(),
        &[
            "scan",
            &sbom,
            &sbom,
            "--advisories",
            &data,
            "--format",
            "cyclonedx",
        ],
    );
    assert_eq!(two.status.code(), Some(2), "{}", describe(&two));
}

#[test]
fn a_compiled_index_gives_the_same_findings_and_knows_when_it_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = juice_shop(dir.path());
    let keycloak = extract(
        EXAMPLES,
        "SBOM/keycloak-10.0.2/bom.json",
        dir.path(),
        "keycloak.json",
    );
    let keycloak = keycloak.to_str().unwrap();
    // A folder of advisories, as osv.dev lays them out, plus a zip.
    let folder = dir.path().join("advisories");
    std::fs::create_dir_all(folder.join("npm")).unwrap();
    for entry in aftercare_testdata::zip_entries(GHSA) {
        if entry.name.starts_with("github/") {
            let name = entry.name.rsplit('/').next().unwrap().to_string();
            std::fs::write(folder.join("npm").join(name), &entry.bytes).unwrap();
        }
    }
    let folder_text = folder.to_str().unwrap();
    let crates = aftercare_testdata::path("osv/crates.io.zip");
    let crates = crates.to_str().unwrap();
    let index = dir.path().join("advisories.idx");
    let index_text = index.to_str().unwrap();
    let built = aftercare(
        dir.path(),
        &[
            "index",
            "build",
            "--advisories",
            folder_text,
            "--advisories",
            crates,
            "--output",
            index_text,
            "--format",
            "json",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", describe(&built));
    let info = json(&built);
    assert_eq!(info["inputs"].as_array().unwrap().len(), 2);
    assert!(info["records"].as_u64().unwrap() > 1000);

    for sbom in [sbom.as_str(), keycloak] {
        let raw = json(&aftercare(
            dir.path(),
            &[
                "scan",
                sbom,
                "--advisories",
                folder_text,
                "--advisories",
                crates,
                "--format",
                "json",
            ],
        ));
        let compiled = json(&aftercare(
            dir.path(),
            &["scan", sbom, "--index", index_text, "--format", "json"],
        ));
        assert!(!pairs(&raw).is_empty());
        assert_eq!(pairs(&raw), pairs(&compiled), "{sbom}");
        assert_eq!(raw["findings"], compiled["findings"], "{sbom}");
    }

    let fresh = aftercare(
        dir.path(),
        &[
            "index",
            "info",
            index_text,
            "--advisories",
            folder_text,
            "--advisories",
            crates,
        ],
    );
    assert_eq!(fresh.status.code(), Some(0), "{}", describe(&fresh));
    assert!(String::from_utf8_lossy(&fresh.stdout).contains("up to date"));
    std::fs::write(
        folder.join("npm").join("extra.json"),
        br#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let stale = aftercare(
        dir.path(),
        &[
            "index",
            "info",
            index_text,
            "--advisories",
            folder_text,
            "--advisories",
            crates,
        ],
    );
    assert_eq!(stale.status.code(), Some(1), "{}", describe(&stale));
    assert!(String::from_utf8_lossy(&stale.stdout).contains("changed"));

    // Not an index: exit 2 with a message that says so.
    let wrong = aftercare(dir.path(), &["scan", &sbom, "--index", crates]);
    assert_eq!(wrong.status.code(), Some(2), "{}", describe(&wrong));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not an aftercare index file"));
}

/// `scan` re-executes itself once for huge pages (`aftercare::heap`) where the kernel
/// honours them: the report is the same with and without, and with tunables of the caller's.
#[test]
fn huge_pages_do_not_change_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = juice_shop(dir.path());
    let ghsa = ghsa();
    let run = |variable: &str, value: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"))
            .args(["scan", "--advisories", &ghsa, &sbom, "--format", "json"])
            .current_dir(dir.path())
            .env_remove("AFTERCARE_FORMAT")
            .env(variable, value)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        output.stdout
    };
    let default = run("AFTERCARE_SCAN_TEST", "1");
    assert_eq!(run(aftercare::heap::ENV, "0"), default);
    assert_eq!(run("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"), default);
}
