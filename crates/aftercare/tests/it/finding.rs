//! Findings at the command line: a mirror of the real GHSA records synced, the real
//! juice-shop SBOM imported and matched at once, then listed, filtered, shown and re-matched.

use crate::{aftercare, describe, extract};

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", describe(output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", describe(output)))
}

#[test]
fn an_import_is_matched_and_its_findings_listed_shown_and_rematched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    assert!(aftercare(d, &["init"]).status.success());
    let add = aftercare(
        d,
        &[
            "feed",
            "add",
            "ghsa",
            "--kind",
            "osv",
            "--path",
            mirror.to_str().unwrap(),
        ],
    );
    assert!(add.status.success(), "{}", describe(&add));
    assert!(aftercare(d, &["feed", "sync", "ghsa"]).status.success());
    assert!(aftercare(d, &["product", "add", "Pump"]).status.success());
    let sbom = extract(
        "sbom/cyclonedx-bom-examples.zip",
        "SBOM/juice-shop/v11.1.2/bom.json",
        d,
        "bom.json",
    );
    let imported = json(&aftercare(
        d,
        &[
            "release",
            "add",
            "Pump",
            "2.0",
            "--sbom",
            sbom.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    let opened = imported["matched"]["opened"].as_array().unwrap().len();
    assert!(opened >= 3, "{imported}");

    let page = json(&aftercare(
        d,
        &[
            "finding",
            "list",
            "--product",
            "Pump",
            "--release",
            "2.0",
            "--format",
            "json",
            "--limit",
            "1000",
        ],
    ));
    assert_eq!(page["total"].as_u64().unwrap() as usize, opened);
    // lodash 4.17.19 is affected by GHSA-35jh-r3h4-6jhm (CVE-2021-23337), fixed in 4.17.21.
    let lodash = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["component"]["purl"] == "pkg:npm/lodash@4.17.19"
                && f["vulnerability"]["id"] == "CVE-2021-23337"
        })
        .unwrap_or_else(|| panic!("no lodash finding in {page}"));
    assert_eq!(lodash["fixed_versions"], serde_json::json!(["4.17.21"]));
    assert_eq!(lodash["severity"], "high");
    assert!(
        lodash["vulnerability"]["aliases"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("GHSA-35jh-r3h4-6jhm"))
    );
    // Severity filter and the table.
    let high = json(&aftercare(
        d,
        &[
            "finding",
            "list",
            "--severity",
            "high,critical",
            "--format",
            "json",
            "--limit",
            "1000",
        ],
    ));
    assert!(
        high["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "high" || f["severity"] == "critical")
    );
    let table = aftercare(
        d,
        &["finding", "list", "--vulnerability", "GHSA-35jh-r3h4-6jhm"],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("CVE-2021-23337") && text.contains("4.17.21"),
        "{text}"
    );
    let bad = aftercare(d, &["finding", "list", "--severity", "severe"]);
    assert_eq!(bad.status.code(), Some(2), "{}", describe(&bad));

    let id = lodash["id"].as_i64().unwrap().to_string();
    let show = aftercare(d, &["finding", "show", &id]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(show.status.success(), "{}", describe(&show));
    assert!(
        text.contains(
            "GHSA-35jh-r3h4-6jhm affected[0].ranges[0] ECOSYSTEM introduced 0, fixed 4.17.21"
        ),
        "{text}"
    );
    assert!(text.contains("opened"), "{text}");
    let missing = aftercare(d, &["finding", "show", "999999"]);
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));

    // The rubric's answers give the device vector, and both are kept with the assessment.
    let rubric = "MDR:1.0/XAVN:Y/XAVT:N/XAVW:Y/XAVR:N/XACL:Y/XPRL:N/XUI:N/XS:N/XCP:N/XCD:N/\
                  XCT:L/XCW:N/XCS:N/XCO:N/XIP:N/XID:N/XIT:H/XIW:N/XIS:N/XIO:N/XAP:N/XAD:N/\
                  XAT:H/XAW:N/XAS:N/XAO:N";
    let other = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] != lodash["id"])
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let rated = aftercare(
        d,
        &[
            "finding",
            "assess",
            &other,
            "--status",
            "under_investigation",
            "--rubric",
            rubric,
        ],
    );
    assert!(rated.status.success(), "{}", describe(&rated));
    let detail = json(&aftercare(
        d,
        &["finding", "show", &other, "--format", "json"],
    ));
    let assessment = &detail["triage"]["assessment"];
    assert_eq!(
        assessment["cvss_vector"],
        "CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:H"
    );
    assert_eq!(assessment["cvss_score"], 8.3);
    assert_eq!(assessment["rubric_vector"], rubric);

    // A sync says what its re-match did.
    let kev = aftercare_testdata::path("kev/known_exploited_vulnerabilities.json");
    let add = aftercare(
        d,
        &[
            "feed",
            "add",
            "kev",
            "--kind",
            "kev",
            "--path",
            kev.to_str().unwrap(),
        ],
    );
    assert!(add.status.success(), "{}", describe(&add));
    let synced = aftercare(d, &["feed", "sync", "kev"]);
    assert!(synced.status.success(), "{}", describe(&synced));
    assert!(
        String::from_utf8_lossy(&synced.stdout).contains("findings re-matched over"),
        "{}",
        describe(&synced)
    );

    // Nothing changed since the import: a full re-match confirms every finding.
    let report = json(&aftercare(d, &["match", "--all", "--format", "json"]));
    assert_eq!(report["opened"], serde_json::json!([]));
    assert_eq!(report["closed"], serde_json::json!([]));
    assert_eq!(report["confirmed"].as_u64().unwrap() as usize, opened);

    // Triage: decide for the product, list by assessment, then a signed determination.
    let assessed = aftercare(
        d,
        &[
            "finding",
            "assess",
            &id,
            "--status",
            "not_affected",
            "--justification",
            "code_not_reachable",
            "--impact",
            "template() is never called",
            "--scope",
            "product",
        ],
    );
    assert!(assessed.status.success(), "{}", describe(&assessed));
    let listed = json(&aftercare(
        d,
        &[
            "finding",
            "list",
            "--assessment",
            "not_affected",
            "--format",
            "json",
        ],
    ));
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["id"].as_i64().unwrap().to_string(), id);
    let unsigned = aftercare(
        d,
        &[
            "finding",
            "assess",
            &id,
            "--status",
            "affected",
            "--response",
            "update",
            "--harm",
            "critical",
        ],
    );
    assert_eq!(unsigned.status.code(), Some(2), "{}", describe(&unsigned));
    assert!(
        String::from_utf8_lossy(&unsigned.stderr).contains("AFTERCARE_SIGNER_PASSWORD"),
        "{}",
        describe(&unsigned)
    );
    let signed = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args([
            "finding",
            "assess",
            &id,
            "--status",
            "affected",
            "--response",
            "update",
            "--harm",
            "critical",
            "--control",
            "UI on an isolated VLAN::NET-7::ineffective",
            "--override",
            "uncontrolled",
            "--rationale",
            "Template injection could alter the displayed dose; uncontrolled until fixed.",
            "--format",
            "json",
        ])
        .current_dir(d)
        .env("AFTERCARE_SIGNER_PASSWORD", "correct horse battery")
        .env_remove("AFTERCARE_WORKSPACE")
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_FORMAT")
        .output()
        .unwrap();
    let outcome = json(&signed);
    assert_eq!(outcome["determinations"][0]["outcome"], "uncontrolled");
    assert!(
        outcome["determinations"][0]["signature_id"].is_i64(),
        "{outcome}"
    );
    let show = aftercare(d, &["finding", "show", &id]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("UNCONTROLLED risk"), "{text}");
    // The signature's manifestation (21 CFR 11.50) is shown with the record.
    assert!(
        text.contains("Signed by ") && text.contains("(UTC) — authorship"),
        "{text}"
    );
    assert!(
        text.contains("UI on an isolated VLAN [evidence NET-7] (not effective)"),
        "{text}"
    );
    let detail = json(&aftercare(d, &["finding", "show", &id, "--format", "json"]));
    assert_eq!(detail["case"]["risk"], "uncontrolled", "{detail}");
    let clocks = json(&aftercare(d, &["clock", "list", "--format", "json"]));
    let kinds: Vec<&str> = clocks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"customer_communication") && kinds.contains(&"remediation"),
        "{kinds:?}"
    );
}

#[test]
fn the_rubric_questions_and_a_scored_set_of_answers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let questions = json(&aftercare(d, &["rubric", "questions", "--format", "json"]));
    let ids: Vec<&str> = questions["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"XAVN") && ids.contains(&"XIT"), "{ids:?}");
    assert_eq!(questions["metrics"].as_array().unwrap().len(), 8);
    // The rubric's worked example, hand-checked against its decision flow: an insulin pump
    // over Bluetooth LE whose vulnerability lets an attacker change and stop dosing.
    let scored = json(&aftercare(
        d,
        &[
            "rubric",
            "score",
            "MDR:1.0/XAVN:Y/XAVT:N/XAVW:Y/XAVR:N/XACL:Y/XPRL:N/XUI:N/XS:N/XCP:N/XCD:N/XCT:L/\
             XCW:N/XCS:N/XCO:N/XIP:N/XID:N/XIT:H/XIW:N/XIS:N/XIO:N/XAP:N/XAD:N/XAT:H/XAW:N/\
             XAS:N/XAO:N",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        scored["base_vector"],
        "CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:H"
    );
    assert_eq!(scored["base_score"], 8.3);
    let bad = aftercare(d, &["rubric", "score", "MDR:1.0/XQQ:Y"]);
    assert_eq!(bad.status.code(), Some(2), "{}", describe(&bad));
}

#[test]
fn scan_against_a_workspace_finds_what_the_files_give() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    let mirror = mirror.to_str().unwrap();
    assert!(aftercare(d, &["init"]).status.success());
    let add = aftercare(
        d,
        &["feed", "add", "ghsa", "--kind", "osv", "--path", mirror],
    );
    assert!(add.status.success(), "{}", describe(&add));
    assert!(aftercare(d, &["feed", "sync", "ghsa"]).status.success());
    let sbom = extract(
        "sbom/cyclonedx-bom-examples.zip",
        "SBOM/juice-shop/v11.1.2/bom.json",
        d,
        "bom.json",
    );
    let sbom = sbom.to_str().unwrap();
    let pairs = |report: &serde_json::Value| -> std::collections::BTreeSet<(String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["component"]["purl"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    f["vulnerability"]["id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let from_files = json(&aftercare(
        d,
        &["scan", sbom, "--advisories", mirror, "--format", "json"],
    ));
    let from_workspace = json(&aftercare(
        d,
        &[
            "scan",
            sbom,
            "--workspace",
            "aftercare-data",
            "--format",
            "json",
        ],
    ));
    assert!(
        pairs(&from_workspace).contains(&(
            "pkg:npm/lodash@4.17.19".to_string(),
            "CVE-2021-23337".to_string()
        )),
        "{from_workspace}"
    );
    assert_eq!(pairs(&from_workspace), pairs(&from_files));
    let missing = aftercare(d, &["scan", sbom, "--workspace", "nowhere"]);
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
    let none = aftercare(d, &["scan", sbom]);
    assert_eq!(none.status.code(), Some(2), "{}", describe(&none));
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("--workspace"),
        "{}",
        describe(&none)
    );
}
