//! The telemetry line format: good lines kept, each bad one reported with its number, field
//! and reason; the batch refused only as a whole when it is too large.

use aftercare_fleet::telemetry::{
    BatchError, Event, MAX_BATCH_BYTES, SecurityKind, parse_batch, to_line,
};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-12-07T10:00:00Z".parse().unwrap()
}

#[test]
fn a_mixed_batch_keeps_its_good_lines_and_reports_each_bad_one() {
    let batch = concat!(
        r#"{"type":"heartbeat","ts":"2026-12-07T09:59:58Z","release":"2.2.1","uptime_s":86400,"firmware_sha256":"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}"#,
        "\n",
        r#"{"type":"metric","ts":"2026-12-07T09:59:00Z","name":"pump.occlusion_alarms","value":2,"unit":"count"}"#,
        "\n\n",
        r#"{"type":"metric","name":"Bad Name","value":1}"#,
        "\n",
        r#"{"type":"security_event","event":"auth_failure","count":3,"details":{"service":"ssh","port":22}}"#,
        "\n",
        r#"{"type":"metric","name":"cpu.load","value":0.5,"patient_name":"Jane Doe"}"#,
        "\n",
        r#"{"type":"security_event","event":"auth_failure","details":{"patient_id":"123"}}"#,
        "\n",
        r#"{"type":"metric","ts":"2026-12-08T10:00:00Z","name":"cpu.load","value":0.5}"#,
        "\n",
        "not json\n",
        r#"{"type":"reboot"}"#,
        "\n",
    );
    let parsed = parse_batch(batch.as_bytes(), now()).unwrap();
    let kept: Vec<usize> = parsed.lines.iter().map(|line| line.number).collect();
    assert_eq!(kept, vec![1, 2, 5]);
    let Event::Heartbeat(heartbeat) = &parsed.lines[0].event else {
        panic!("line 1 is a heartbeat");
    };
    assert_eq!(heartbeat.release, "2.2.1");
    assert!(
        heartbeat
            .firmware_sha256
            .as_deref()
            .unwrap()
            .starts_with("abcdef")
    );
    let Event::Security(security) = &parsed.lines[2].event else {
        panic!("line 5 is a security event");
    };
    assert_eq!(
        (security.event, security.count),
        (SecurityKind::AuthFailure, 3)
    );

    let rejected: Vec<(usize, Option<&str>)> = parsed
        .rejected
        .iter()
        .map(|error| (error.line, error.field.as_deref()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (4, Some("name")),
            (6, Some("patient_name")),
            (7, Some("details.patient_id")),
            (8, Some("ts")),
            (9, None),
            (10, Some("type")),
        ]
    );
    assert!(
        parsed.rejected[1]
            .reason
            .contains("no patient or personal data")
    );
    assert!(parsed.rejected[3].reason.contains("86400s ahead"));
    // The heartbeat was stamped 2 s before it arrived.
    assert_eq!(parsed.skew.unwrap().as_secs(), -2);
    assert!(!parsed.skew_flagged());
}

#[test]
fn a_heartbeat_ten_minutes_slow_flags_the_skew_and_is_kept() {
    let line = r#"{"type":"heartbeat","ts":"2026-12-07T09:50:00Z","release":"2.1.0","uptime_s":5}"#;
    let parsed = parse_batch(line.as_bytes(), now()).unwrap();
    assert_eq!(parsed.lines.len(), 1);
    assert_eq!(parsed.skew.unwrap().as_secs(), -600);
    assert!(parsed.skew_flagged());
}

#[test]
fn only_a_whole_batch_too_large_or_empty_is_refused() {
    let big = vec![b' '; MAX_BATCH_BYTES + 1];
    assert!(matches!(
        parse_batch(&big, now()),
        Err(BatchError::TooLarge { .. })
    ));
    assert_eq!(parse_batch(b"\n \n", now()), Err(BatchError::Empty));
    let long_line = format!(
        r#"{{"type":"metric","name":"a","value":1,"unit":"{}"}}"#,
        "x".repeat(5000)
    );
    let parsed = parse_batch(long_line.as_bytes(), now()).unwrap();
    assert!(parsed.lines.is_empty());
    assert!(parsed.rejected[0].reason.contains("bytes"));
}

#[test]
fn non_finite_values_counts_and_nested_details_are_refused() {
    let batch = concat!(
        r#"{"type":"security_event","event":"tamper","count":0}"#,
        "\n",
        r#"{"type":"security_event","event":"tamper","details":{"x":{"y":1}}}"#,
        "\n",
        r#"{"type":"metric","name":"a","value":"1"}"#,
        "\n",
    );
    let parsed = parse_batch(batch.as_bytes(), now()).unwrap();
    let fields: Vec<Option<&str>> = parsed
        .rejected
        .iter()
        .map(|error| error.field.as_deref())
        .collect();
    assert_eq!(fields, vec![Some("count"), Some("details.x"), None]);
    assert!(parsed.rejected[2].reason.contains("invalid type"));
}

#[test]
fn a_written_line_reads_back_as_the_same_event() {
    let batch = concat!(
        r#"{"type":"metric","ts":"2026-12-07T09:59:00Z","name":"battery.temp","value":31.25,"unit":"degC"}"#,
        "\n",
        r#"{"type":"security_event","event":"unexpected_connection","details":{"port":8080}}"#,
    );
    let parsed = parse_batch(batch.as_bytes(), now()).unwrap();
    for line in &parsed.lines {
        let written = to_line(&line.event, line.sent_at);
        let again = parse_batch(written.as_bytes(), now()).unwrap();
        assert_eq!(again.lines[0].event, line.event);
        assert_eq!(again.lines[0].sent_at, line.sent_at);
    }
}
