//! 21 CFR Part 11 and the policy at the command line, on SQLite and (with
//! `AFTERCARE_TEST_POSTGRES_URL`) PostgreSQL through `--database-url`: `policy check` and
//! `policy set` print the warnings of a policy that deviates from the law; `policy history` and
//! `clock show` print the signature manifestation of every signed record; `audit verify` fails
//! (exit 1) naming a signature edited in the database; a format 1 revision says how to replace
//! it, and `policy set` does.

use std::path::Path;
use std::process::{Command, Output};

use aftercare_store::testing::{TestStore, each_backend};

use crate::describe;

/// Runs the binary on a test store's database, the signer's password in the environment.
fn run(dir: &Path, store: &TestStore, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .args(["--database-url", &store.url])
        .current_dir(dir)
        .env("AFTERCARE_ADMIN_PASSWORD", "correct horse battery")
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

fn stores() -> Vec<TestStore> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(each_backend())
}

#[test]
fn warnings_manifestations_and_an_edited_signature_at_the_command_line() {
    for store in stores() {
        let backend = store.backend().as_str();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        ok(run(d, &store, &["init", "--admin-name", "Ada Admin"]));

        // A policy longer than the law, with its rationale: valid, with a warning (exit 0).
        let laxer = d.join("laxer.toml");
        std::fs::write(
            &laxer,
            aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
                "[clock.mdr_803]\ndays = 30",
                "[clock.mdr_803]\ndays = 45\ndeviation_rationale = \"FDA's written extension of 2026-02-10 (RA-88)\"",
                1,
            ),
        )
        .unwrap();
        let laxer = laxer.to_str().unwrap();
        // `policy check` needs no workspace; `policy set` stores and signs.
        for output in [
            crate::aftercare(d, &["policy", "check", laxer]),
            run(
                d,
                &store,
                &[
                    "policy",
                    "set",
                    laxer,
                    "--reason",
                    "FDA granted a longer 803 period in writing",
                ],
            ),
        ] {
            let output = ok(output);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(
                    "warning: clock.mdr_803.days: 45 days is longer than the law's 30 calendar \
                     days (21 CFR 803.50(a)); deviation rationale: FDA's written extension"
                ),
                "{backend}: {stderr}"
            );
        }
        let history = json(run(d, &store, &["policy", "history", "--format", "json"]));
        let manifestation = history[0]["signatures"][0]["manifestation"]
            .as_str()
            .unwrap();
        assert!(
            manifestation.starts_with("Signed by Ada Admin on ")
                && manifestation.ends_with(" (UTC) — approval"),
            "{backend}: {history}"
        );
        let table = ok(run(d, &store, &["policy", "history"]));
        assert!(
            String::from_utf8_lossy(&table.stdout).contains(manifestation),
            "{backend}: {}",
            describe(&table)
        );

        // A waived clock shows its waiver's manifestation.
        ok(run(d, &store, &["product", "add", "Pump"]));
        ok(run(
            d,
            &store,
            &[
                "clock",
                "event",
                "Pump",
                "CVE-2021-44228",
                "report_received",
                "--reference",
                "R-17",
                "--reason",
                "reported through the disclosure form",
            ],
        ));
        let clocks = json(run(d, &store, &["clock", "list", "--format", "json"]));
        let clock = clocks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "disclosure_ack")
            .unwrap_or_else(|| panic!("{backend}: {clocks}"));
        let clock_id = clock["id"].as_i64().unwrap().to_string();
        ok(run(
            d,
            &store,
            &[
                "clock",
                "waive",
                &clock_id,
                "--rationale",
                "the reporter withdrew the report the same day, in writing",
                "--meaning",
                "responsibility",
            ],
        ));
        let shown = ok(run(d, &store, &["clock", "show", "Pump", "CVE-2021-44228"]));
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            text.contains(&format!(
                "clock {clock_id} (disclosure_ack) waived: the reporter withdrew"
            )) && text.contains("Signed by Ada Admin on ")
                && text.contains("(UTC) — responsibility"),
            "{backend}: {text}"
        );
        let case = json(run(
            d,
            &store,
            &[
                "clock",
                "show",
                "Pump",
                "CVE-2021-44228",
                "--format",
                "json",
            ],
        ));
        let waived = case["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "disclosure_ack")
            .unwrap();
        assert_eq!(waived["signatures"][0]["state"], "valid", "{backend}");

        // audit verify: intact, then an edited meaning is found (exit 1), naming the signature.
        let intact = ok(run(d, &store, &["audit", "verify"]));
        assert!(
            String::from_utf8_lossy(&intact.stdout)
                .contains("signatures intact: 2 checked against their audit events"),
            "{backend}: {}",
            describe(&intact)
        );
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            sqlx::query("UPDATE signatures SET meaning = 'review' WHERE entity_type = 'clock'")
                .execute(store.store.pool())
                .await
                .unwrap();
        });
        let broken = run(d, &store, &["audit", "verify"]);
        assert_eq!(
            broken.status.code(),
            Some(1),
            "{backend}: {}",
            describe(&broken)
        );
        let stdout = String::from_utf8_lossy(&broken.stdout);
        assert!(
            stdout.contains("SIGNATURES ALTERED: 1 of 2")
                && stdout.contains(&format!(
                    "of clock {clock_id} does not match its signature.sign event"
                ))
                && stdout.contains(
                    "the meaning is \"review\" but the event recorded \"responsibility\""
                ),
            "{backend}: {stdout}"
        );
        let report = run(d, &store, &["audit", "verify", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
        assert_eq!(report["intact"], false, "{backend}");
        assert_eq!(report["signature_mismatches"][0]["entity_type"], "clock");
    }
}

#[test]
fn a_format_1_policy_says_what_to_do_and_policy_set_replaces_it() {
    for store in stores() {
        let backend = store.backend().as_str();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        ok(run(d, &store, &["init", "--admin-name", "Ada Admin"]));
        // What a workspace created before format 2 holds.
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let mut tx = store.store.begin().await.unwrap();
            aftercare_store::policy::insert(
                &mut tx,
                &aftercare_store::policy::PolicyRow {
                    id: 0,
                    revision: 0,
                    policy_id: "aftercare-default".into(),
                    policy_version: "0.9.0".into(),
                    digest: "ab".repeat(32),
                    source_sha256: "cd".repeat(32),
                    source: aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
                        "format = 2",
                        "format = 1",
                        1,
                    ),
                    created_at: String::new(),
                    created_by: "user:admin".into(),
                    reason: None,
                },
                "2025-06-01T09:00:00Z",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        });
        let show = run(d, &store, &["policy", "show"]);
        assert_eq!(
            show.status.code(),
            Some(2),
            "{backend}: {}",
            describe(&show)
        );
        let stderr = String::from_utf8_lossy(&show.stderr);
        assert!(
            stderr.contains(
                "the policy in force (revision 2, aftercare-default version 0.9.0) cannot be read"
            ) && stderr.contains("`aftercare policy set policy/default.toml --reason"),
            "{backend}: {stderr}"
        );
        let history = ok(run(d, &store, &["policy", "history"]));
        assert!(
            String::from_utf8_lossy(&history.stdout).contains("0.9.0 (unreadable)"),
            "{backend}: {}",
            describe(&history)
        );
        let default = d.join("default.toml");
        std::fs::write(&default, aftercare_risk::policy::DEFAULT_POLICY_TOML).unwrap();
        ok(run(
            d,
            &store,
            &[
                "policy",
                "set",
                default.to_str().unwrap(),
                "--reason",
                "replace the format 1 policy",
            ],
        ));
        let summary = json(run(d, &store, &["policy", "show", "--format", "json"]));
        assert_eq!(summary["revision"], 3, "{backend}");
        assert_eq!(summary["version"], "1.0.0");
    }
}
