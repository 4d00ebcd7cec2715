//! `aftercare incident …` end to end: open from a report, classify (signed: the EU and FDA
//! clocks open), a close refused while they run, a not-reportable incident closed and listed
//! among the lessons; JSON out, exit 2 on refusals.

use std::process::Command;

use crate::{aftercare, describe};

fn signed(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .current_dir(dir)
        .env("AFTERCARE_SIGNER_PASSWORD", "correct horse battery")
        .env_remove("AFTERCARE_WORKSPACE")
        .output()
        .unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", describe(output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn an_incident_from_report_to_its_clocks_and_the_lessons_of_the_year() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        aftercare(d, &["init", "--admin-name", "Ada Admin"])
            .status
            .success()
    );
    assert!(aftercare(d, &["product", "add", "Pump"]).status.success());
    let opened = json(&aftercare(
        d,
        &[
            "incident",
            "open",
            "--title",
            "Pump reboot on ward 3",
            "--description",
            "Biomed reported two reboots",
            "--report",
            "CMP-31",
            "--format",
            "json",
        ],
    ));
    assert_eq!(opened["incident"]["reference"], "INC-1");
    assert_eq!(opened["incident"]["source"], "report");

    let classified = json(&signed(
        d,
        &[
            "incident",
            "classify",
            "INC-1",
            "--eu",
            "public_health_threat",
            "--fda",
            "serious_injury",
            "--product",
            "Pump",
            "--rationale",
            "Infusions interrupted; a ward-wide threat until patched.",
            "--meaning",
            "responsibility",
            "--format",
            "json",
        ],
    ));
    let kinds: Vec<&str> = classified["detail"]["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["mdr_803", "report_806", "eu_mdr_art87_public_health_threat"],
        "{classified}"
    );
    // The same clocks are ordinary clocks: `clock list` shows them under the incident's case.
    let clocks = aftercare(d, &["clock", "list", "--format", "json"]);
    assert!(
        String::from_utf8_lossy(&clocks.stdout).contains("INC-1"),
        "{}",
        describe(&clocks)
    );

    let refused = aftercare(
        d,
        &[
            "incident",
            "close",
            "1",
            "--root-cause",
            "leak",
            "--capa",
            "CAPA-1",
            "--lessons",
            "rate-limit",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("running clocks"),
        "{}",
        describe(&refused)
    );

    json(&aftercare(
        d,
        &[
            "incident",
            "open",
            "--title",
            "Port scan",
            "--description",
            "Scanner traffic",
            "--format",
            "json",
        ],
    ));
    json(&signed(
        d,
        &[
            "incident",
            "classify",
            "INC-2",
            "--not-reportable",
            "--rationale",
            "The hospital's own scanner; no device function affected.",
            "--format",
            "json",
        ],
    ));
    let closed = json(&aftercare(
        d,
        &[
            "incident",
            "close",
            "INC-2",
            "--root-cause",
            "Scanner not announced",
            "--capa",
            "CAPA-2026-1",
            "--capa",
            "CAPA-2026-2",
            "--lessons",
            "Ask sites for scan windows",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        closed["incident"]["corrective_actions"],
        serde_json::json!(["CAPA-2026-1", "CAPA-2026-2"])
    );
    let lessons = json(&aftercare(
        d,
        &[
            "incident",
            "lessons",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--format",
            "json",
        ],
    ));
    assert_eq!(lessons.as_array().unwrap().len(), 1);
    assert_eq!(lessons[0]["lessons_learned"], "Ask sites for scan windows");
    let listed = aftercare(d, &["incident", "list"]);
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(
        table.contains("INC-2") && table.contains("not_reportable"),
        "{table}"
    );
}
