//! `aftercare policy …` and `aftercare clock …` end to end.

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

#[test]
fn a_case_from_first_match_to_due_clocks_and_a_signed_policy_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        aftercare(d, &["init", "--admin-name", "Ada Admin"])
            .status
            .success()
    );
    assert!(aftercare(d, &["product", "add", "Pump"]).status.success());
    // Day 0 is the first match's day in the policy's time zone (America/New_York).
    let today = jiff::Timestamp::now()
        .in_tz("America/New_York")
        .unwrap()
        .date()
        .to_string();
    let first = aftercare(
        d,
        &[
            "clock",
            "event",
            "Pump",
            "CVE-2021-44228",
            "finding_first_seen",
        ],
    );
    assert!(first.status.success(), "{}", describe(&first));
    let decided = aftercare(
        d,
        &[
            "clock",
            "event",
            "Pump",
            "CVE-2021-44228",
            "determination_made",
            "--risk",
            "uncontrolled",
            "--format",
            "json",
        ],
    );
    assert!(decided.status.success(), "{}", describe(&decided));
    let case: serde_json::Value = serde_json::from_slice(&decided.stdout).unwrap();
    assert_eq!(case["risk"], "uncontrolled");
    let kinds: Vec<&str> = case["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"customer_communication") && kinds.contains(&"remediation"),
        "{kinds:?}"
    );
    assert_eq!(
        case["clocks"][0]["start"],
        today.as_str(),
        "day 0 is today (the first match)"
    );

    let due = aftercare(
        d,
        &["clock", "list", "--due-within", "31d", "--format", "json"],
    );
    let due: serde_json::Value = serde_json::from_slice(&due.stdout).unwrap();
    let due_kinds: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        due_kinds.contains(&"customer_communication"),
        "{due_kinds:?}"
    );
    assert!(
        !due_kinds.contains(&"remediation"),
        "60 days away: {due_kinds:?}"
    );
    let overdue = aftercare(d, &["clock", "list", "--overdue", "--format", "json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&overdue.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Policy: export, edit, check, set (signed), history.
    let exported = aftercare(d, &["policy", "export"]);
    let text = String::from_utf8(exported.stdout).unwrap();
    let edited = text.replacen(
        "[clock.customer_communication]\ndays = 30",
        "[clock.customer_communication]\ndays = 21",
        1,
    );
    assert_ne!(edited, text);
    let file = d.join("policy.toml");
    std::fs::write(&file, &edited).unwrap();
    let check = aftercare(d, &["policy", "check", file.to_str().unwrap()]);
    assert!(check.status.success(), "{}", describe(&check));
    let broken = d.join("broken.toml");
    std::fs::write(&broken, text.replacen("days = 30", "days = \"thirty\"", 1)).unwrap();
    let refused = aftercare(d, &["policy", "check", broken.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    let set = signed(
        d,
        &[
            "policy",
            "set",
            file.to_str().unwrap(),
            "--reason",
            "customers asked for three weeks",
        ],
    );
    assert!(set.status.success(), "{}", describe(&set));
    let history = aftercare(d, &["policy", "history", "--format", "json"]);
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["reason"], "customers asked for three weeks");
}
