//! The stored form of a case and of its clocks: the JSON of the `record` column of
//! [`CaseRow`] and [`ClockRow`](super::ClockRow), to and from the pure
//! [`CaseRecord`] and [`ClockRecord`] of `aftercare-risk`.
//!
//! The pure crate owns what a case and a clock mean; this module owns only how they are
//! written down, so that what was stored reads back as the same value. Instants are written
//! in [`timestamp_text`]'s form, dates as `YYYY-MM-DD`, the vocabularies by their labels. A
//! value that cannot be read back is [`StoreError::Corrupt`], naming the entity (`case` or
//! `clock`), its row id and the column (`record`).

use aftercare_risk::{
    Awareness, AwarenessBasis, CaseRecord, ClockKind, ClockRecord, ClockState, CorrectionRecord,
    DayKind, RiskClass, StartBasis, Waiver,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};

use super::CaseRow;
use crate::{StoreError, timestamp_text};

/// The error of a case's or clock's `record` that cannot be read back.
pub fn corrupt(entity: &'static str, id: i64, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        entity,
        id: id.to_string(),
        field: "record",
        message: message.into(),
    }
}

fn opt_time(value: Option<Timestamp>) -> Value {
    value.map_or(Value::Null, |t| Value::String(timestamp_text(t)))
}

/// A clock's stored form.
pub fn clock_json(record: &ClockRecord) -> Value {
    json!({
        "kind": record.kind.as_str(),
        "reference": record.reference,
        "basis": record.basis.as_str(),
        "start": record.start.to_string(),
        "days": record.days,
        "day_kind": record.day_kind.as_str(),
        "deadline_day": record.deadline_day.to_string(),
        "deadline_end": timestamp_text(record.deadline_end),
        "deadline_rolled_from": record.deadline_rolled_from.map(|d| d.to_string()),
        "time_zone": record.time_zone,
        "state": record.state.as_str(),
        "satisfied_at": opt_time(record.satisfied_at),
        "waiver": record.waiver.as_ref().map(|w| json!({"rationale": w.rationale, "at": timestamp_text(w.at)})),
        "opened_at": timestamp_text(record.opened_at),
        "note": record.note,
        "source": record.source,
        "policy_digest": record.policy_digest.to_hex(),
    })
}

/// Reads the JSON a clock was stored as; `id` is its row's, for the error.
pub fn clock_from_json(value: &Value, id: i64) -> Result<ClockRecord, StoreError> {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt("clock", id, format!("missing {key}")))
    };
    let optional = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let instant = |raw: &str| {
        raw.parse::<Timestamp>()
            .map_err(|e| corrupt("clock", id, e.to_string()))
    };
    let date = |raw: &str| {
        raw.parse::<Date>()
            .map_err(|e| corrupt("clock", id, e.to_string()))
    };
    let vocabulary = |e: aftercare_risk::RiskError| corrupt("clock", id, e.to_string());
    let waiver = match value.get("waiver") {
        Some(Value::Object(w)) => Some(Waiver {
            rationale: w
                .get("rationale")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            at: instant(w.get("at").and_then(Value::as_str).unwrap_or_default())?,
        }),
        _ => None,
    };
    Ok(ClockRecord {
        kind: text("kind")?.parse::<ClockKind>().map_err(vocabulary)?,
        reference: optional("reference"),
        basis: text("basis")?.parse::<StartBasis>().map_err(vocabulary)?,
        start: date(text("start")?)?,
        days: value
            .get("days")
            .and_then(Value::as_u64)
            .and_then(|d| u32::try_from(d).ok())
            .ok_or_else(|| corrupt("clock", id, "missing days"))?,
        day_kind: text("day_kind")?.parse::<DayKind>().map_err(vocabulary)?,
        deadline_day: date(text("deadline_day")?)?,
        deadline_end: instant(text("deadline_end")?)?,
        deadline_rolled_from: optional("deadline_rolled_from")
            .map(|d| date(&d))
            .transpose()?,
        time_zone: text("time_zone")?.to_string(),
        state: text("state")?.parse::<ClockState>().map_err(vocabulary)?,
        satisfied_at: optional("satisfied_at").map(|t| instant(&t)).transpose()?,
        waiver,
        opened_at: instant(text("opened_at")?)?,
        note: optional("note"),
        source: text("source")?.to_string(),
        policy_digest: text("policy_digest")?.parse().map_err(
            |e: aftercare_model::digest::Sha256Error| corrupt("clock", id, e.to_string()),
        )?,
    })
}

/// A case's stored form, without its clocks (they are rows of their own).
pub fn case_json(record: &CaseRecord) -> Value {
    let awareness = record.awareness.as_ref().map(|a| {
        let (basis, reason) = match &a.basis {
            AwarenessBasis::FirstMatch => ("first_match", None),
            AwarenessBasis::ReportReceived => ("report_received", None),
            AwarenessBasis::AdvisoryReceived => ("advisory_received", None),
            AwarenessBasis::Analyst { reason } => ("analyst", Some(reason.clone())),
        };
        json!({"date": a.date.to_string(), "basis": basis, "reason": reason})
    });
    json!({
        "awareness": awareness,
        "risk": record.risk.map(|r| r.as_str()),
        "correction_started": record.correction_started.map(|d| d.to_string()),
        "customer_communication_sent_at": opt_time(record.customer_communication_sent_at),
        "fix_distributed_at": opt_time(record.fix_distributed_at),
        "isao_shared_at": opt_time(record.isao_shared_at),
        "report_806_submitted_at": opt_time(record.report_806_submitted_at),
        "serious_adverse_event_at": opt_time(record.serious_adverse_event_at),
        "last_event_at": opt_time(record.last_event_at),
        "determined_at": opt_time(record.determined_at),
        "rollout_started_at": opt_time(record.rollout_started_at),
        "report_806_covered_by": record.report_806_covered_by,
        "correction_record": record.correction_record.as_ref().map(|r| json!({
            "rationale": r.rationale, "signed_by": r.signed_by, "at": timestamp_text(r.at),
        })),
    })
}

/// Reads a case's row back, with its clocks read from theirs.
pub fn case_from_json(row: &CaseRow, clocks: Vec<ClockRecord>) -> Result<CaseRecord, StoreError> {
    let value: Value =
        serde_json::from_str(&row.record).map_err(|e| corrupt("case", row.id, e.to_string()))?;
    let instant = |key: &str| -> Result<Option<Timestamp>, StoreError> {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(|t| {
                t.parse::<Timestamp>()
                    .map_err(|e| corrupt("case", row.id, e.to_string()))
            })
            .transpose()
    };
    let awareness = match value.get("awareness") {
        Some(Value::Object(a)) => {
            let date = a
                .get("date")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .parse::<Date>()
                .map_err(|e| corrupt("case", row.id, e.to_string()))?;
            let basis = match a.get("basis").and_then(Value::as_str) {
                Some("first_match") => AwarenessBasis::FirstMatch,
                Some("report_received") => AwarenessBasis::ReportReceived,
                Some("advisory_received") => AwarenessBasis::AdvisoryReceived,
                Some("analyst") => AwarenessBasis::Analyst {
                    reason: a
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                },
                other => {
                    return Err(corrupt(
                        "case",
                        row.id,
                        format!("awareness basis {other:?}"),
                    ));
                }
            };
            Some(Awareness { date, basis })
        }
        _ => None,
    };
    Ok(CaseRecord {
        awareness,
        risk: value
            .get("risk")
            .and_then(Value::as_str)
            .map(|r| {
                r.parse::<RiskClass>()
                    .map_err(|e| corrupt("case", row.id, e.to_string()))
            })
            .transpose()?,
        correction_started: value
            .get("correction_started")
            .and_then(Value::as_str)
            .map(|d| {
                d.parse::<Date>()
                    .map_err(|e| corrupt("case", row.id, e.to_string()))
            })
            .transpose()?,
        customer_communication_sent_at: instant("customer_communication_sent_at")?,
        fix_distributed_at: instant("fix_distributed_at")?,
        isao_shared_at: instant("isao_shared_at")?,
        report_806_submitted_at: instant("report_806_submitted_at")?,
        serious_adverse_event_at: instant("serious_adverse_event_at")?,
        last_event_at: instant("last_event_at")?,
        determined_at: instant("determined_at")?,
        rollout_started_at: instant("rollout_started_at")?,
        report_806_covered_by: value
            .get("report_806_covered_by")
            .and_then(Value::as_str)
            .map(str::to_string),
        correction_record: match value.get("correction_record") {
            Some(Value::Object(r)) => Some(CorrectionRecord {
                rationale: r
                    .get("rationale")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                signed_by: r
                    .get("signed_by")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                at: r
                    .get("at")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .parse::<Timestamp>()
                    .map_err(|e| corrupt("case", row.id, e.to_string()))?,
            }),
            _ => None,
        },
        clocks,
    })
}

#[cfg(test)]
mod tests {
    use aftercare_model::Sha256;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    /// A clock with no optional field set.
    fn bare_clock(state: ClockState) -> ClockRecord {
        ClockRecord {
            kind: ClockKind::CustomerCommunication,
            reference: None,
            basis: StartBasis::Awareness,
            start: day("2024-03-01"),
            days: 30,
            day_kind: DayKind::Calendar,
            deadline_day: day("2024-03-31"),
            deadline_end: at("2024-04-01T03:59:59Z"),
            deadline_rolled_from: None,
            time_zone: "America/New_York".to_string(),
            state,
            satisfied_at: None,
            waiver: None,
            opened_at: at("2024-03-01T12:00:00Z"),
            note: None,
            source: "FDA 2016 postmarket guidance".to_string(),
            policy_digest: Sha256::of(b"policy"),
        }
    }

    /// A clock with every optional field set.
    fn full_clock(state: ClockState) -> ClockRecord {
        ClockRecord {
            kind: ClockKind::EuMdrArt87,
            reference: Some("MIR-2024-17".to_string()),
            basis: StartBasis::Event,
            day_kind: DayKind::Working,
            deadline_rolled_from: Some(day("2024-03-30")),
            satisfied_at: Some(at("2024-03-20T08:30:00.123456Z")),
            waiver: Some(Waiver {
                rationale: "covered by the 803 report".to_string(),
                at: at("2024-03-21T09:00:00Z"),
            }),
            note: Some("opened by hand".to_string()),
            ..bare_clock(state)
        }
    }

    fn case_row(record: &Value) -> CaseRow {
        CaseRow {
            id: 42,
            product_id: 1,
            vulnerability: "CVE-2024-0001".to_string(),
            record: record.to_string(),
            awareness_date: None,
            risk: None,
            created_at: "2024-03-01T12:00:00.000000Z".to_string(),
            updated_at: "2024-03-01T12:00:00.000000Z".to_string(),
        }
    }

    fn check_clock(record: ClockRecord) {
        let stored = clock_json(&record);
        assert_eq!(clock_from_json(&stored, 7).unwrap(), record, "{stored}");
    }

    fn check_case(record: CaseRecord) {
        let stored = case_json(&record);
        let read = case_from_json(&case_row(&stored), record.clocks.clone()).unwrap();
        assert_eq!(read, record, "{stored}");
    }

    /// The corrupt error of a stored value: its entity, row id, column and message.
    fn check_corrupt(error: StoreError, entity: &str, id: &str, message: &str) {
        match error {
            StoreError::Corrupt {
                entity: e,
                id: i,
                field,
                message: m,
            } => {
                assert_eq!((e, i.as_str(), field), (entity, id, "record"));
                assert!(m.contains(message), "{m:?} should contain {message:?}");
            }
            other => panic!("not a corrupt value: {other}"),
        }
    }

    #[test]
    fn a_clock_of_each_state_reads_back() {
        for state in ClockState::ALL {
            check_clock(bare_clock(*state));
            check_clock(full_clock(*state));
        }
    }

    #[test]
    fn a_case_reads_back_with_every_optional_field_or_none() {
        check_case(CaseRecord::default());
        let instant = Some(at("2024-03-05T10:00:00Z"));
        check_case(CaseRecord {
            awareness: Some(Awareness {
                date: day("2024-03-01"),
                basis: AwarenessBasis::Analyst {
                    reason: "the supplier's advisory came by mail".to_string(),
                },
            }),
            risk: Some(RiskClass::Uncontrolled),
            determined_at: Some(at("2024-03-02T10:00:00Z")),
            correction_started: Some(day("2024-03-03")),
            report_806_covered_by: Some("MDR-803-0042".to_string()),
            correction_record: Some(CorrectionRecord {
                rationale: "a recall not required".to_string(),
                signed_by: "Ada Lovelace".to_string(),
                at: at("2024-03-04T10:00:00Z"),
            }),
            rollout_started_at: instant,
            customer_communication_sent_at: instant,
            fix_distributed_at: instant,
            isao_shared_at: instant,
            report_806_submitted_at: instant,
            serious_adverse_event_at: instant,
            last_event_at: Some(at("2024-03-06T10:00:00Z")),
            clocks: vec![full_clock(ClockState::Met), bare_clock(ClockState::Open)],
        });
    }

    #[test]
    fn every_awareness_basis_reads_back() {
        for basis in [
            AwarenessBasis::FirstMatch,
            AwarenessBasis::ReportReceived,
            AwarenessBasis::AdvisoryReceived,
            AwarenessBasis::Analyst {
                reason: "entered".to_string(),
            },
        ] {
            check_case(CaseRecord {
                awareness: Some(Awareness {
                    date: day("2024-03-01"),
                    basis,
                }),
                ..CaseRecord::default()
            });
        }
    }

    #[test]
    fn a_corrupt_clock_names_the_clock_its_id_and_the_column() {
        let stored = clock_json(&bare_clock(ClockState::Open));
        let with = |key: &str, value: Value| {
            let mut changed = stored.clone();
            changed[key] = value;
            changed
        };
        let mut missing = stored.clone();
        if let Value::Object(map) = &mut missing {
            map.remove("kind");
        }
        for (value, message) in [
            (missing, "missing kind"),
            (with("state", json!("paused")), "paused"),
            (with("start", json!("March")), "year"),
            (with("deadline_end", json!("tomorrow")), "year"),
            (with("days", json!(-1)), "missing days"),
            (with("policy_digest", json!("abc")), ""),
        ] {
            check_corrupt(
                clock_from_json(&value, 7).unwrap_err(),
                "clock",
                "7",
                message,
            );
        }
    }

    #[test]
    fn a_corrupt_case_names_the_case_its_id_and_the_column() {
        let stored = case_json(&CaseRecord::default());
        let with = |key: &str, value: Value| {
            let mut changed = stored.clone();
            changed[key] = value;
            changed
        };
        for (row, message) in [
            (
                CaseRow {
                    record: "{not json".to_string(),
                    ..case_row(&stored)
                },
                "",
            ),
            (case_row(&with("risk", json!("moderate"))), "moderate"),
            (
                case_row(&with(
                    "awareness",
                    json!({"date": "2024-03-01", "basis": "rumour"}),
                )),
                "awareness basis",
            ),
            (case_row(&with("last_event_at", json!("yesterday"))), "year"),
        ] {
            check_corrupt(
                case_from_json(&row, Vec::new()).unwrap_err(),
                "case",
                "42",
                message,
            );
        }
    }
}
