//! Patch management at the command line, on the real GHSA record of lodash's CVE-2021-23337
//! (fixed in 4.17.21): a plan refused for the regular cycle (exit 2, the reason named) and
//! created out of cycle; `release add --patch-for` computes the fix evidence; approval refused
//! while evidence is missing; evidence with a file, downloaded byte for byte; approval signed;
//! distribution meets the remediation clock; `patch show` prints the chain.

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

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "{}", describe(&output));
    output
}

fn json(output: Output) -> serde_json::Value {
    let output = ok(output);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&output)))
}

fn sbom(version: &str, lodash: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {{"component": {{"type": "firmware", "name": "pump-ui", "version": "{version}"}}}},
  "components": [{{"type": "library", "bom-ref": "lodash", "name": "lodash",
    "version": "{lodash}", "purl": "pkg:npm/lodash@{lodash}"}}]}}"#
    )
}

const PATCH: &str = "Pump@1.1";

#[test]
fn the_patch_chain_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    std::fs::write(d.join("pump-1.0.cdx.json"), sbom("1.0", "4.17.19")).unwrap();
    std::fs::write(d.join("pump-1.1.cdx.json"), sbom("1.1", "4.17.21")).unwrap();
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
        vec!["feed", "sync", "ghsa"],
        vec!["product", "add", "Pump"],
        vec![
            "release",
            "add",
            "Pump",
            "1.0",
            "--sbom",
            "pump-1.0.cdx.json",
        ],
    ] {
        ok(aftercare(d, &args));
    }
    let page = json(aftercare(
        d,
        &[
            "finding",
            "list",
            "--product",
            "Pump",
            "--vulnerability",
            "CVE-2021-23337",
            "--format",
            "json",
        ],
    ));
    let finding = page["items"][0]["id"].as_i64().unwrap().to_string();
    ok(signed(
        d,
        &[
            "finding",
            "assess",
            &finding,
            "--status",
            "affected",
            "--response",
            "update",
            "--harm",
            "serious",
            "--override",
            "uncontrolled",
            "--rationale",
            "Template injection could alter displayed infusion rates; uncontrolled until fixed.",
        ],
    ));

    // The policy requires out of cycle for an uncontrolled risk: regular is refused.
    let plan = |cycle: &str| {
        aftercare(
            d,
            &[
                "plan",
                "create",
                "Pump",
                "--vulnerability",
                "CVE-2021-23337",
                "--target",
                "1.1",
                "--cycle",
                cycle,
                "--owner",
                "admin",
                "--change-request",
                "CR-17=https://qms.example/cr/17",
                "--control",
                "UI reachable from the clinical VLAN only::NET-DOC-7",
                "--format",
                "json",
            ],
        )
    };
    let refused = plan("regular");
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("uncontrolled"), "{stderr}");
    let created = json(plan("out_of_cycle"));
    assert_eq!(created["state"], "open");
    assert_eq!(
        created["cycle_requirement"]["need"], "out_of_cycle_required",
        "{created}"
    );
    assert_eq!(
        created["findings"][0]["id"].as_i64().unwrap().to_string(),
        finding
    );
    let id = created["id"].as_i64().unwrap().to_string();

    // The patch release: lodash at 4.17.21, the fix cited.
    let patch = json(aftercare(
        d,
        &[
            "release",
            "add",
            "Pump",
            "1.1",
            "--sbom",
            "pump-1.1.cdx.json",
            "--patch-for",
            &id,
            "--format",
            "json",
        ],
    ));
    let fix = &patch["patch"]["fixes"][0];
    assert_eq!(fix["outcome"], "upgraded", "{patch}");
    assert!(
        fix["sentence"]
            .as_str()
            .unwrap()
            .contains("fixed in 4.17.21"),
        "{fix}"
    );

    // Approval before any evidence: exit 2, each missing kind named, nothing written.
    let refused = signed(d, &["patch", "approve", PATCH]);
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    for kind in [
        "impact_assessment",
        "verification",
        "validation",
        "regression",
    ] {
        assert!(stderr.contains(kind), "{stderr}");
    }

    // Evidence, one with a file; executed yesterday in the policy's time zone.
    let yesterday = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("America/New_York").unwrap())
        .date()
        .yesterday()
        .unwrap()
        .to_string();
    let report: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    std::fs::write(d.join("validation report.bin"), &report).unwrap();
    for (kind, by, extra) in [
        (
            "impact_assessment",
            "Iris",
            vec![
                "--safety-affected",
                "no",
                "--verification-rerun",
                "VER-UI-3",
                "--regulatory-path",
                "letter_to_file",
                "--rationale",
                "A library update inside the same major version; no change to the UI's behaviour",
            ],
        ),
        ("verification", "Vera", vec![]),
        ("regression", "Vera", vec![]),
        (
            "validation",
            "Quinn",
            vec!["--file", "validation report.bin"],
        ),
    ] {
        let mut args = vec![
            "patch",
            "evidence",
            "add",
            PATCH,
            "--kind",
            kind,
            "--title",
            kind,
            "--result",
            "pass",
            "--executed-by",
            by,
            "--executed-on",
            &yesterday,
            "--format",
            "json",
        ];
        args.extend(extra);
        json(aftercare(d, &args));
    }
    let listed = json(aftercare(
        d,
        &["patch", "evidence", "list", PATCH, "--format", "json"],
    ));
    let validation = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["kind"] == "validation")
        .unwrap();
    let evidence_id = validation["id"].as_i64().unwrap().to_string();
    assert_eq!(
        validation["files"][0]["sha256"].as_str().unwrap(),
        aftercare_model::Sha256::of(&report).to_hex()
    );
    ok(aftercare(
        d,
        &[
            "patch",
            "evidence",
            "download",
            &evidence_id,
            "--output",
            "downloaded.bin",
        ],
    ));
    assert_eq!(std::fs::read(d.join("downloaded.bin")).unwrap(), report);

    // Signed, then distributed: the remediation clock is met.
    let approved = json(signed(d, &["patch", "approve", PATCH, "--format", "json"]));
    assert_eq!(approved["patch"]["approval"], "matching", "{approved}");
    assert_eq!(approved["patch"]["gate"]["cleared"], true);
    let distributed = json(aftercare(
        d,
        &[
            "patch",
            "distribute",
            PATCH,
            "--channel",
            "customer_download",
            "--format",
            "json",
        ],
    ));
    let link = &distributed["links"][0];
    assert_eq!(link["vulnerability"], "CVE-2021-23337");
    assert_eq!(link["clock"]["kind"], "remediation", "{link}");
    assert_eq!(link["clock"]["state"], "met", "{link}");
    let steps: Vec<(&str, &str)> = link["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(steps.last(), Some(&("distribution", "done")), "{link}");
    assert!(
        steps.iter().all(|(_, status)| *status == "done"),
        "{steps:?}"
    );

    // The chain, for people.
    let shown = ok(aftercare(d, &["patch", "show", PATCH]));
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("chain of CVE-2021-23337") && text.contains("customer_download on"),
        "{text}"
    );
    let plan = json(aftercare(d, &["plan", "show", &id, "--format", "json"]));
    assert_eq!(plan["state"], "distributed");
    ok(aftercare(d, &["plan", "close", &id]));
}
