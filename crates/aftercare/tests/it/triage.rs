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
    // A researcher's report (awareness today) and a reportable malfunction: the disclosure
    // acknowledgement (5 working days) and the 803 report (30 calendar days) run.
    let reported = aftercare(
        d,
        &[
            "clock",
            "event",
            "Pump",
            "CVE-2021-44228",
            "report_received",
            "--reference",
            "PSIRT-1",
            "--reason",
            "reported through the disclosure form",
        ],
    );
    assert!(reported.status.success(), "{}", describe(&reported));
    let today = jiff::Timestamp::now()
        .in_tz("America/New_York")
        .unwrap()
        .date();
    let malfunction = aftercare(
        d,
        &[
            "clock",
            "event",
            "Pump",
            "CVE-2021-44228",
            "mdr_reportable_event",
            "--reference",
            "MDR-1",
            "--date",
            &today.to_string(),
            "--event-type",
            "malfunction",
            "--reason",
            "a pump stopped infusing at a customer site",
            "--format",
            "json",
        ],
    );
    assert!(malfunction.status.success(), "{}", describe(&malfunction));
    let case: serde_json::Value = serde_json::from_slice(&malfunction.stdout).unwrap();
    let kinds: Vec<&str> = case["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"disclosure_ack") && kinds.contains(&"mdr_803"),
        "{kinds:?}"
    );
    assert_eq!(
        case["awareness_date"],
        today.to_string().as_str(),
        "awareness is the report's day"
    );

    let due = aftercare(
        d,
        &["clock", "list", "--due-within", "10d", "--format", "json"],
    );
    let due: serde_json::Value = serde_json::from_slice(&due.stdout).unwrap();
    let due_kinds: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(due_kinds.contains(&"disclosure_ack"), "{due_kinds:?}");
    assert!(
        !due_kinds.contains(&"mdr_803"),
        "30 days away: {due_kinds:?}"
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

#[test]
fn clock_simulate_runs_a_scenario_file_without_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Awareness Monday 2025-03-03 in New York, uncontrolled the same day; the communication
    // goes out on Saturday 2025-03-15 (EDT since March 9) but is never shared with the ISAO;
    // an EU death is known on Thursday 2025-03-20 in Berlin.
    let events = d.join("events.jsonl");
    std::fs::write(
        &events,
        r#"# a scenario for review
{"kind": "finding_first_seen", "at": "2025-03-03T09:00:00-05:00"}
{"kind": "determination_made", "at": "2025-03-03T10:00:00-05:00", "risk": "uncontrolled"}
{"kind": "customer_communication_sent", "at": "2025-03-15T11:00:00-04:00"}

{"kind": "serious_incident", "at": "2025-03-20T18:00:00+01:00", "reference": "EU-7", "aware_on": "2025-03-20", "category": "death_or_serious_deterioration"}
"#,
    )
    .unwrap();
    let events = events.to_str().unwrap();
    let now = "2025-04-05T12:00:00-04:00";
    let run = aftercare(
        d,
        &[
            "clock", "simulate", "--events", events, "--now", now, "--format", "json",
        ],
    );
    assert!(run.status.success(), "{}", describe(&run));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let clock = |kind: &str| {
        report["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|clock| clock["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} clock in {report}"))
            .clone()
    };
    // Day 30 is Wednesday 2025-04-02, ending 23:59:59 EDT; met on day 12.
    let communication = clock("customer_communication");
    assert_eq!(communication["state"], "met");
    assert_eq!(
        communication["deadline_local"],
        "2025-04-02T23:59:59.999999999-04:00"
    );
    assert_eq!(
        communication["deadline_utc"],
        "2025-04-03T03:59:59.999999999Z"
    );
    // ISAO sharing was due the day after the communication, and missed.
    let isao = clock("isao_sharing");
    assert_eq!(isao["basis"], "customer_communication");
    assert_eq!(isao["deadline_day"], "2025-03-16");
    assert_eq!(isao["overdue"], true);
    // The 806 obligation opened with the miss, provisionally from the communication (the
    // first field action): Mon 17 .. Fri 21, Mon 24 .. Fri 28 = ten working days.
    let report_806 = clock("report_806");
    assert_eq!(report_806["basis"], "first_field_action");
    assert_eq!(report_806["provisional"], true);
    assert_eq!(report_806["deadline_day"], "2025-03-28");
    assert_eq!(report_806["state"], "missed");
    // The EU clock counts in Berlin: 2025-03-20 + 10 = Sunday 2025-03-30, the day Berlin moves
    // to CEST, kept there by the default policy.
    let eu = clock("eu_mdr_art87_death_or_serious_deterioration");
    assert_eq!(eu["time_zone"], "Europe/Berlin");
    assert_eq!(eu["deadline_utc"], "2025-03-30T21:59:59.999999999Z");
    assert_eq!(eu["rolled_from"], serde_json::Value::Null);

    // Under a policy that rolls EU deadlines forward: Monday 2025-03-31.
    let text = aftercare_risk::policy::DEFAULT_POLICY_TOML;
    let (head, tail) = text.split_at(text.find("\n[jurisdiction.eu]\n").unwrap());
    let rolled = format!(
        "{head}{}",
        tail.replacen(
            "deadline_on_non_working_day = \"keep\"",
            "deadline_on_non_working_day = \"next_working_day\"",
            1
        )
    );
    let policy = d.join("policy.toml");
    std::fs::write(&policy, rolled).unwrap();
    let run = aftercare(
        d,
        &[
            "clock",
            "simulate",
            "--events",
            events,
            "--policy",
            policy.to_str().unwrap(),
            "--now",
            now,
            "--format",
            "json",
        ],
    );
    assert!(run.status.success(), "{}", describe(&run));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let eu = report["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|clock| clock["kind"] == "eu_mdr_art87_death_or_serious_deterioration")
        .unwrap()
        .clone();
    assert_eq!(eu["deadline_day"], "2025-03-31");
    assert_eq!(eu["rolled_from"], "2025-03-30");

    // The table for people.
    let table = aftercare(d, &["clock", "simulate", "--events", events, "--now", now]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("first_field_action (provisional)"), "{text}");
    assert!(text.contains("missed (overdue)"), "{text}");

    // Errors name the line and the field.
    for (line, expected) in [
        (
            r#"{"kind": "mdr_reportable_event", "at": "2025-03-05T09:00:00Z", "reference": "MDR-1", "aware_on": "2025-13-01"}"#,
            "field `aware_on`",
        ),
        (
            r#"{"kind": "fix_distributed", "at": "2025-03-05T09:00:00Z", "colour": "red"}"#,
            "field `colour` is not one a `fix_distributed` event takes",
        ),
        (
            r#"{"kind": "fix_distributed", "at": "2025-03-01T09:00:00Z", "recorded_at": "2025-03-05T09:00:00Z"}"#,
            "needs a reason and an evidence reference",
        ),
    ] {
        let broken = d.join("broken.jsonl");
        std::fs::write(
            &broken,
            format!(
                "{{\"kind\": \"finding_first_seen\", \"at\": \"2025-03-01T09:00:00Z\"}}\n{line}\n"
            ),
        )
        .unwrap();
        let refused = aftercare(
            d,
            &[
                "clock",
                "simulate",
                "--events",
                broken.to_str().unwrap(),
                "--now",
                now,
            ],
        );
        assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("broken.jsonl:2") && stderr.contains(expected),
            "{stderr}"
        );
    }
}

/// Issue 12, item 1: only the signed path changes what the law asks to be signed, at the
/// command line: a determination through the generic event entry is refused; a report's
/// submission needs the signer's password and the agency's reference; item 4: a backdated
/// communication needs a reason and evidence.
#[test]
fn the_generic_event_entry_refuses_what_must_be_signed_and_unjustified_backdating() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        aftercare(d, &["init", "--admin-name", "Ada Admin"])
            .status
            .success()
    );
    assert!(aftercare(d, &["product", "add", "Pump"]).status.success());
    fn event<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["clock", "event", "Pump", "CVE-2021-44228"];
        args.extend_from_slice(extra);
        args
    }
    // A determination is made only by a signed assessment.
    let determination = aftercare(d, &event(&["determination_made", "--reason", "we decided"]));
    assert_eq!(
        determination.status.code(),
        Some(2),
        "{}",
        describe(&determination)
    );
    assert!(
        String::from_utf8_lossy(&determination.stderr).contains("signed determination"),
        "{}",
        describe(&determination)
    );
    // A report's submission is signed: without the password (no terminal), refused.
    let unsigned = aftercare(
        d,
        &event(&[
            "report_806_submitted",
            "--reference",
            "3001234567-2026-001",
            "--reason",
            "806 report filed",
        ]),
    );
    assert_eq!(unsigned.status.code(), Some(2), "{}", describe(&unsigned));
    // Signed, but without the agency's reference: refused.
    let no_reference = signed(
        d,
        &event(&["report_806_submitted", "--reason", "806 report filed"]),
    );
    assert_eq!(
        no_reference.status.code(),
        Some(2),
        "{}",
        describe(&no_reference)
    );
    assert!(
        String::from_utf8_lossy(&no_reference.stderr).contains("reference"),
        "{}",
        describe(&no_reference)
    );
    // Signed with the reference: recorded, with the signature's manifestation.
    let submitted = signed(
        d,
        &event(&[
            "report_806_submitted",
            "--reference",
            "3001234567-2026-001",
            "--reason",
            "806 report filed",
            "--meaning",
            "responsibility",
            "--format",
            "json",
        ]),
    );
    assert!(submitted.status.success(), "{}", describe(&submitted));
    let case: serde_json::Value = serde_json::from_slice(&submitted.stdout).unwrap();
    let events = case["events"].as_array().unwrap();
    let detail = |e: &serde_json::Value| -> serde_json::Value {
        serde_json::from_str(e["detail"].as_str().unwrap()).unwrap()
    };
    assert!(
        events.iter().any(|e| e["kind"] == "report_806_submitted"
            && detail(e)["reference"] == "3001234567-2026-001"),
        "{case}"
    );
    // Another case: a report received four days ago and a communication three days ago,
    // entered today. Each needs a reason and an evidence reference; both times are kept.
    let other = |extra: &[&str]| -> Vec<String> {
        ["clock", "event", "Pump", "CVE-2021-45046"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        aftercare(d, &args)
    };
    let days_ago = |days: i64| {
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days)).to_string()
    };
    let (four, three) = (days_ago(4), days_ago(3));
    let unjustified = run(other(&[
        "report_received",
        "--reference",
        "PSIRT-2",
        "--at",
        &four,
        "--reason",
        "entered late",
    ]));
    assert_eq!(
        unjustified.status.code(),
        Some(2),
        "{}",
        describe(&unjustified)
    );
    assert!(
        String::from_utf8_lossy(&unjustified.stderr).contains("evidence"),
        "{}",
        describe(&unjustified)
    );
    let report = run(other(&[
        "report_received",
        "--reference",
        "PSIRT-2",
        "--at",
        &four,
        "--reason",
        "the report came by phone; entered from the call log",
        "--evidence",
        "CALL-LOG-2026-118",
    ]));
    assert!(report.status.success(), "{}", describe(&report));
    let backdated = run(other(&[
        "customer_communication_sent",
        "--at",
        &three,
        "--reason",
        "entered late",
    ]));
    assert_eq!(backdated.status.code(), Some(2), "{}", describe(&backdated));
    let justified = run(other(&[
        "customer_communication_sent",
        "--at",
        &three,
        "--reason",
        "the notice went out by post; entered when the scan came back",
        "--evidence",
        "DMS-2026-0412",
        "--format",
        "json",
    ]));
    assert!(justified.status.success(), "{}", describe(&justified));
    let case: serde_json::Value = serde_json::from_slice(&justified.stdout).unwrap();
    let sent = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "customer_communication_sent")
        .unwrap();
    assert_eq!(
        detail(sent)["backdating"]["evidence"],
        "DMS-2026-0412",
        "{sent}"
    );
    assert_ne!(
        sent["at"], sent["recorded_at"],
        "both times are kept: {sent}"
    );
    // An event in the future is refused.
    let future = run(other(&[
        "fix_distributed",
        "--at",
        &days_ago(-1),
        "--reason",
        "scheduled",
    ]));
    assert_eq!(future.status.code(), Some(2), "{}", describe(&future));
}

/// One `clock simulate` scenario: the events (JSON lines), how the default policy is edited
/// (`(from, to)` replacements), `now`, and the clocks expected — (kind, deadline day, deadline
/// in UTC, state). Every expected date is counted by hand in the comment above its scenario,
/// from the rules (day 0 is the event's day in the jurisdiction's zone; working days skip
/// weekends and the jurisdiction's holidays; a deadline ends at 23:59:59.999999999 local).
struct Scenario {
    name: &'static str,
    events: &'static str,
    policy: &'static [(&'static str, &'static str)],
    now: &'static str,
    expect: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    // An uncontrolled risk with a known serious adverse event: the 806 report is due 10
    // working days after the correction starts on Monday 2026-05-18. Tue 19 (1), Wed 20, Thu
    // 21, Fri 22 (4); Mon 25 is Memorial Day (the last Monday of May, 5 U.S.C. 6103): skipped;
    // Tue 26 (5), Wed 27, Thu 28, Fri 29 (8), Mon Jun 1 (9), Tue Jun 2 (10). EDT (UTC-4).
    Scenario {
        name: "806 across Memorial Day",
        events: r#"{"kind": "finding_first_seen", "at": "2026-05-01T09:00:00-04:00"}
{"kind": "determination_made", "at": "2026-05-01T10:00:00-04:00", "risk": "uncontrolled"}
{"kind": "serious_adverse_event_known", "at": "2026-05-15T09:00:00-04:00"}
{"kind": "correction_started", "at": "2026-05-18T09:00:00-04:00", "started_on": "2026-05-18"}"#,
        policy: &[],
        now: "2026-05-20T12:00:00-04:00",
        expect: &[("report_806", "2026-06-02", "2026-06-03T03:59:59.999999999Z", "open")],
    },
    // The correction starts on Friday 2025-10-24: Mon 27 (1) .. Fri 31 (5), Mon Nov 3 (6) ..
    // Fri Nov 7 (10). New York fell back to EST (UTC-5) on Sunday 2025-11-02, so the deadline
    // ends at 04:59:59 UTC the next day, not 03:59:59.
    Scenario {
        name: "806 ending in EST after the fall-back",
        events: r#"{"kind": "finding_first_seen", "at": "2025-10-01T09:00:00-04:00"}
{"kind": "determination_made", "at": "2025-10-01T10:00:00-04:00", "risk": "uncontrolled"}
{"kind": "serious_adverse_event_known", "at": "2025-10-20T09:00:00-04:00"}
{"kind": "correction_started", "at": "2025-10-24T09:00:00-04:00", "started_on": "2025-10-24"}"#,
        policy: &[],
        now: "2025-10-27T12:00:00-04:00",
        expect: &[("report_806", "2025-11-07", "2025-11-08T04:59:59.999999999Z", "open")],
    },
    // An EU serious incident known on Sunday 2027-03-14 in Berlin: 15 calendar days is Monday
    // 2027-03-29 — Easter Monday (Easter Sunday is 2027-03-28, also the day Berlin moves to
    // CEST, UTC+2). Kept where it falls by the default policy: 23:59:59 CEST = 21:59:59 UTC.
    // The FDA clock of the same case keeps New York: the 803 report (30 calendar days from
    // Monday 2027-03-15) is due Wednesday 2027-04-14, 23:59:59 EDT = 03:59:59 UTC next day.
    Scenario {
        name: "EU clock in Berlin across the spring change and Easter, FDA in New York",
        events: r#"{"kind": "serious_incident", "at": "2027-03-14T18:00:00+01:00", "reference": "EU-1", "aware_on": "2027-03-14", "category": "serious_incident"}
{"kind": "mdr_reportable_event", "at": "2027-03-15T09:00:00-04:00", "reference": "MDR-1", "aware_on": "2027-03-15", "event_type": "malfunction"}"#,
        policy: &[],
        now: "2027-03-20T12:00:00+01:00",
        expect: &[
            ("eu_mdr_art87", "2027-03-29", "2027-03-29T21:59:59.999999999Z", "open"),
            ("mdr_803", "2027-04-14", "2027-04-15T03:59:59.999999999Z", "open"),
        ],
    },
    // The same under MDCG 2023-3 Q14 (a deadline on a weekend or holiday moves to the next
    // working day): Easter Monday is a German holiday, so Tuesday 2027-03-30.
    Scenario {
        name: "EU clock rolled past Easter Monday",
        events: r#"{"kind": "serious_incident", "at": "2027-03-14T18:00:00+01:00", "reference": "EU-1", "aware_on": "2027-03-14", "category": "serious_incident"}"#,
        policy: &[(
            "deadline_on_non_working_day = \"keep\"\nsource = \"Regulation (EU)",
            "deadline_on_non_working_day = \"next_working_day\"\nsource = \"Regulation (EU)",
        )],
        now: "2027-03-20T12:00:00+01:00",
        expect: &[("eu_mdr_art87", "2027-03-30", "2027-03-30T21:59:59.999999999Z", "open")],
    },
    // A five-work-day 803 report from Monday 2027-12-27: Tue 28 (1), Wed 29 (2), Thu 30 (3);
    // Friday 2027-12-31 is a federal holiday (New Year's Day 2028 falls on a Saturday and is
    // observed the Friday before); Mon 2028-01-03 (4), Tue 2028-01-04 (5). EST.
    Scenario {
        name: "five-work-day 803 across the year end",
        events: r#"{"kind": "mdr_reportable_event", "at": "2027-12-27T09:00:00-05:00", "reference": "MDR-2", "aware_on": "2027-12-27", "event_type": "serious_injury", "five_day": true}"#,
        policy: &[],
        now: "2027-12-28T12:00:00-05:00",
        expect: &[("mdr_803_5day", "2028-01-04", "2028-01-05T04:59:59.999999999Z", "open")],
    },
    // A manufacturer that is no ISAO member cannot meet the guidance's fourth condition: the
    // uncontrolled determination on Wednesday 2026-03-04 opens the 806 obligation at once,
    // provisionally from that day: Thu 5 (1), Fri 6, Mon 9 .. Fri 13 (7), Mon 16, Tue 17, Wed
    // 18 (10). EDT since Sunday 2026-03-08.
    Scenario {
        name: "a non-member's 806 opens at the determination",
        events: r#"{"kind": "finding_first_seen", "at": "2026-03-02T09:00:00-05:00"}
{"kind": "determination_made", "at": "2026-03-04T10:00:00-05:00", "risk": "uncontrolled"}"#,
        policy: &[("[isao]\nmember = true", "[isao]\nmember = false")],
        now: "2026-03-05T12:00:00-05:00",
        expect: &[("report_806", "2026-03-18", "2026-03-19T03:59:59.999999999Z", "open")],
    },
];

#[test]
fn clock_scenarios_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for scenario in SCENARIOS {
        let events = d.join("events.jsonl");
        std::fs::write(&events, scenario.events).unwrap();
        let mut text = aftercare_risk::policy::DEFAULT_POLICY_TOML.to_string();
        for (from, to) in scenario.policy {
            assert!(
                text.contains(from),
                "{}: the policy has no {from:?}",
                scenario.name
            );
            text = text.replacen(from, to, 1);
        }
        let policy = d.join("policy.toml");
        std::fs::write(&policy, text).unwrap();
        let run = aftercare(
            d,
            &[
                "clock",
                "simulate",
                "--events",
                events.to_str().unwrap(),
                "--policy",
                policy.to_str().unwrap(),
                "--now",
                scenario.now,
                "--format",
                "json",
            ],
        );
        assert!(
            run.status.success(),
            "{}: {}",
            scenario.name,
            describe(&run)
        );
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        for (kind, day, utc, state) in scenario.expect {
            let clock = report["clocks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|clock| clock["kind"] == *kind)
                .unwrap_or_else(|| panic!("{}: no {kind} clock in {report}", scenario.name));
            assert_eq!(clock["deadline_day"], *day, "{}: {clock}", scenario.name);
            assert_eq!(clock["deadline_utc"], *utc, "{}: {clock}", scenario.name);
            assert_eq!(clock["state"], *state, "{}: {clock}", scenario.name);
        }
    }
}
