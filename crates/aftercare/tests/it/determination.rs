//! Issue 12 at the command line (items 3, 12 and 14): a compensating control is evidence,
//! verified by the signer; a KEV-listed vulnerability stays at the policy's floor; a control
//! without evidence is refused; `not_affected` is refused beside an uncontrolled
//! determination; an `affected` statement without an action statement gets a generated one;
//! the old `--no-ecp` flag still works as `--safety-and-essential-performance-unaffected`.

use std::path::Path;
use std::process::{Command, Output};

use crate::{aftercare, describe};

fn signed(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .current_dir(dir)
        .env("AFTERCARE_SIGNER_PASSWORD", "correct horse battery")
        .env_remove("AFTERCARE_WORKSPACE")
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_FORMAT")
        .output()
        .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", describe(output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(output)))
}

/// A pump release with lodash 4.17.19 (CVE-2021-23337, fixed in 4.17.21).
const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {"component": {"type": "firmware", "name": "pump-ui", "version": "1.0"}},
  "components": [{"type": "library", "bom-ref": "lodash", "name": "lodash",
    "version": "4.17.19", "purl": "pkg:npm/lodash@4.17.19"}]}"#;

fn lodash_finding(dir: &Path, product: &str) -> String {
    let page = json(&aftercare(
        dir,
        &[
            "finding",
            "list",
            "--product",
            product,
            "--vulnerability",
            "CVE-2021-23337",
            "--format",
            "json",
        ],
    ));
    page["items"][0]["id"].as_i64().unwrap().to_string()
}

#[test]
fn issue_12_a_verified_control_keeps_the_kev_floor_and_vex_agrees_with_the_determination() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    let mut catalog: serde_json::Value = serde_json::from_slice(&aftercare_testdata::read(
        "kev/known_exploited_vulnerabilities.json",
    ))
    .unwrap();
    catalog["vulnerabilities"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "cveID": "CVE-2021-23337", "vendorProject": "test entry", "product": "lodash",
            "vulnerabilityName": "added by the aftercare test", "dateAdded": "2026-03-01",
            "shortDescription": "test", "requiredAction": "test", "dueDate": "2026-03-22",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}));
    let kev = d.join("kev.json");
    std::fs::write(&kev, serde_json::to_vec(&catalog).unwrap()).unwrap();
    let sbom = d.join("pump.cdx.json");
    std::fs::write(&sbom, SBOM).unwrap();
    let policy = d.join("policy.toml");
    std::fs::write(
        &policy,
        aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
            "compensating_control_exploitability_steps = 1",
            "compensating_control_exploitability_steps = 2",
            1,
        ),
    )
    .unwrap();
    for args in [
        vec!["init", "--admin-name", "Ada Admin"],
        vec![
            "feed",
            "add",
            "ghsa",
            "--kind",
            "osv",
            "--path",
            mirror.to_str().unwrap(),
        ],
        vec![
            "feed",
            "add",
            "kev",
            "--kind",
            "kev",
            "--path",
            kev.to_str().unwrap(),
        ],
        vec!["feed", "sync", "ghsa"],
        vec!["feed", "sync", "kev"],
        vec!["product", "add", "Pump"],
        vec!["product", "add", "Gateway"],
        vec![
            "release",
            "add",
            "Pump",
            "1.0",
            "--sbom",
            sbom.to_str().unwrap(),
        ],
        vec![
            "release",
            "add",
            "Gateway",
            "1.0",
            "--sbom",
            sbom.to_str().unwrap(),
        ],
    ] {
        let output = aftercare(d, &args);
        assert!(output.status.success(), "{args:?}: {}", describe(&output));
    }
    let set = signed(
        d,
        &[
            "policy",
            "set",
            policy.to_str().unwrap(),
            "--reason",
            "two levels for a verified segmentation control",
        ],
    );
    assert!(set.status.success(), "{}", describe(&set));
    let pump = lodash_finding(d, "Pump");
    let assess = |control: &str| {
        signed(
            d,
            &[
                "finding",
                "assess",
                &pump,
                "--status",
                "affected",
                "--response",
                "update",
                "--harm",
                "critical",
                "--control",
                control,
                "--format",
                "json",
            ],
        )
    };

    // Without evidence: refused, naming the control and what it lacks.
    let refused = assess("Pump UI reachable only from the clinical VLAN::");
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("invalid control") && stderr.contains("non-empty evidence"),
        "{stderr}"
    );

    // With evidence, verified by the signer: lowered two levels, held at the KEV floor.
    let made = json(&assess(
        "Pump UI reachable only from the clinical VLAN::NET-DOC-7",
    ));
    let determination = &made["determinations"][0];
    assert_eq!(determination["outcome"], "uncontrolled", "{made}");
    assert_eq!(
        determination["controls"][0]["verified_by"],
        "Ada Admin (admin)"
    );
    assert_eq!(determination["controls"][0]["counted"], true);
    assert!(
        determination["steps"].as_array().unwrap().iter().any(|s| s
            .as_str()
            .unwrap()
            .starts_with("listed in CISA KEV: exploitability is not lowered below medium")),
        "{made}"
    );
    assert!(
        made["notes"][0]
            .as_str()
            .unwrap()
            .contains("Update to version 4.17.21 or later"),
        "{made}"
    );
    let shown = aftercare(d, &["finding", "show", &pump]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("(generated by aftercare)")
            && text.contains("verified by Ada Admin (admin): counted")
            && text.contains("step: listed in CISA KEV"),
        "{text}"
    );

    // not_affected beside the uncontrolled determination: refused, naming it.
    let contradicted = aftercare(
        d,
        &[
            "finding",
            "assess",
            &pump,
            "--status",
            "not_affected",
            "--justification",
            "code_not_reachable",
        ],
    );
    assert_eq!(
        contradicted.status.code(),
        Some(2),
        "{}",
        describe(&contradicted)
    );
    assert!(
        String::from_utf8_lossy(&contradicted.stderr).contains(&format!(
            "not_affected contradicts determination {} of Pump for CVE-2021-23337",
            determination["id"]
        )),
        "{}",
        describe(&contradicted)
    );

    // The draft guidance's flag still works: safety and essential performance not affected,
    // so the gateway's risk is controlled whatever the matrix says.
    let gateway = lodash_finding(d, "Gateway");
    let gated = json(&signed(
        d,
        &[
            "finding",
            "assess",
            &gateway,
            "--status",
            "affected",
            "--action",
            "Update the gateway to 2.1.",
            "--harm",
            "critical",
            "--no-ecp",
            "--format",
            "json",
        ],
    ));
    let gated = &gated["determinations"][0];
    assert_eq!(gated["outcome"], "controlled", "{gated}");
    assert_eq!(gated["safety_and_essential_performance_affected"], false);
}
