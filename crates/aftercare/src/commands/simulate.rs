//! `aftercare clock simulate`: the pure clock engine on a file of events under a policy,
//! without a workspace, for reviewers who check a policy before signing it and for validating
//! the tool on their own scenarios.
//!
//! The events file is JSON lines: one object per line with `kind`, `at` (RFC 3339) and the
//! fields the kind takes, named as in `aftercare_risk::EventKind` (`aware_on`, `started_on`,
//! `reference`, …). Blank lines and lines starting with `#` are skipped. A line may carry
//! `recorded_at` (RFC 3339) to have its claimed time judged as the service judges it, with
//! `backdating_reason` and `evidence` for an event recorded long after it happened. Errors name
//! the line and the field.

use std::path::Path;

use aftercare_risk::{
    Backdating, ClockKind, Event, EventKind, MdrEventType, Policy, RiskClass,
    SeriousIncidentCategory, SimulatedClock, check_event_time, simulate,
};
use anyhow::{Context as _, anyhow, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Outcome;
use crate::cli::{OutputFormat, SimulateArgs};
use crate::output::{Table, cell, emit};

/// Runs `aftercare clock simulate`.
pub(crate) fn run(args: &SimulateArgs) -> anyhow::Result<Outcome> {
    let policy = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Policy::from_toml(&text, &path.display().to_string())?
        }
        None => Policy::builtin()?,
    };
    let now = match &args.now {
        Some(text) => text
            .parse::<Timestamp>()
            .with_context(|| format!("--now {text:?} is not an RFC 3339 time"))?,
        None => Timestamp::now(),
    };
    let text = std::fs::read_to_string(&args.events)
        .with_context(|| format!("cannot read {}", args.events.display()))?;
    let (events, lines) = parse_events(&text, &args.events, &policy)?;
    let simulation = simulate(&policy, &events, now).map_err(|error| match &error {
        aftercare_risk::RiskError::SimulatedEventAfterNow { index, .. }
        | aftercare_risk::RiskError::SimulatedEventRefused { index, .. } => anyhow!(
            "{}:{}: {error}",
            args.events.display(),
            lines.get(*index).copied().unwrap_or_default()
        ),
        _ => anyhow!(error),
    })?;
    let report = Report {
        policy: PolicyRef {
            id: policy.id().to_string(),
            version: policy.version().to_string(),
            digest: policy.digest().to_hex(),
        },
        now: now.to_string(),
        warnings: policy.warnings().iter().map(ToString::to_string).collect(),
        clocks: simulation.clocks.iter().map(ClockRow::from).collect(),
    };
    emit(args.format.format, &report, || table(&report))?;
    if args.format.format == OutputFormat::Table {
        for warning in &report.warnings {
            eprintln!("warning: policy {warning}");
        }
    }
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct Report {
    policy: PolicyRef,
    now: String,
    warnings: Vec<String>,
    clocks: Vec<ClockRow>,
}

#[derive(Serialize)]
struct PolicyRef {
    id: String,
    version: String,
    digest: String,
}

#[derive(Serialize)]
struct ClockRow {
    kind: &'static str,
    reference: Option<String>,
    basis: &'static str,
    provisional: bool,
    start: String,
    days: u32,
    day_kind: &'static str,
    jurisdiction: &'static str,
    time_zone: String,
    deadline_day: String,
    deadline_local: String,
    deadline_utc: String,
    rolled_from: Option<String>,
    state: &'static str,
    overdue: bool,
    satisfied_at: Option<String>,
    note: Option<String>,
    source: String,
}

impl From<&SimulatedClock> for ClockRow {
    fn from(clock: &SimulatedClock) -> ClockRow {
        ClockRow {
            kind: clock.kind.as_str(),
            reference: clock.reference.clone(),
            basis: clock.basis.as_str(),
            provisional: clock.basis.is_provisional(),
            start: clock.start.to_string(),
            days: clock.days,
            day_kind: clock.day_kind.as_str(),
            jurisdiction: clock.jurisdiction.as_str(),
            time_zone: clock
                .deadline_local
                .time_zone()
                .iana_name()
                .unwrap_or("")
                .to_string(),
            deadline_day: clock.deadline_day.to_string(),
            deadline_local: clock
                .deadline_local
                .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
                .to_string(),
            deadline_utc: clock.deadline_utc.to_string(),
            rolled_from: clock.rolled_from.map(|day| day.to_string()),
            state: clock.state.as_str(),
            overdue: clock.overdue,
            satisfied_at: clock.satisfied_at.map(|at| at.to_string()),
            note: clock.note.clone(),
            source: clock.source.clone(),
        }
    }
}

fn table(report: &Report) -> String {
    let mut table = Table::new(&[
        "KIND",
        "REFERENCE",
        "BASIS",
        "DAY 0",
        "DAYS",
        "DEADLINE (LOCAL)",
        "DEADLINE (UTC)",
        "STATE",
    ]);
    for clock in &report.clocks {
        table.row(vec![
            clock.kind.to_string(),
            cell(clock.reference.as_deref()),
            if clock.provisional {
                format!("{} (provisional)", clock.basis)
            } else {
                clock.basis.to_string()
            },
            clock.start.clone(),
            format!("{} {}", clock.days, clock.day_kind),
            format!(
                "{} {}{}",
                clock.deadline_local,
                clock.time_zone,
                clock
                    .rolled_from
                    .as_deref()
                    .map(|day| format!(" (rolled from {day})"))
                    .unwrap_or_default()
            ),
            clock.deadline_utc.clone(),
            if clock.overdue {
                format!("{} (overdue)", clock.state)
            } else {
                clock.state.to_string()
            },
        ]);
    }
    format!(
        "policy {} {} at {}\n{}",
        report.policy.id,
        report.policy.version,
        report.now,
        table.render()
    )
}

/// Reads the events file: the events, and the line number of each.
fn parse_events(
    text: &str,
    path: &Path,
    policy: &Policy,
) -> anyhow::Result<(Vec<Event>, Vec<usize>)> {
    let mut events = Vec::new();
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let event =
            parse_event(trimmed, policy).with_context(|| format!("{}:{number}", path.display()))?;
        events.push(event);
        lines.push(number);
    }
    if events.is_empty() {
        bail!("{}: no events (one JSON object per line)", path.display());
    }
    Ok((events, lines))
}

/// The fields of one line, each read once, so that a field the kind does not take is an
/// error rather than silently ignored.
struct Fields {
    object: Map<String, Value>,
}

impl Fields {
    fn take(&mut self, name: &str) -> Option<Value> {
        self.object.remove(name)
    }

    fn text(&mut self, name: &str) -> anyhow::Result<String> {
        self.optional_text(name)?
            .ok_or_else(|| anyhow!("field `{name}` is missing"))
    }

    fn optional_text(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => bail!("field `{name}`: expected a string, found {other}"),
        }
    }

    fn flag(&mut self, name: &str) -> anyhow::Result<bool> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(flag),
            Some(other) => bail!("field `{name}`: expected true or false, found {other}"),
        }
    }

    fn date(&mut self, name: &str) -> anyhow::Result<Date> {
        let text = self.text(name)?;
        text.parse()
            .with_context(|| format!("field `{name}`: {text:?} is not a YYYY-MM-DD date"))
    }

    fn instant(&mut self, name: &str) -> anyhow::Result<Option<Timestamp>> {
        self.optional_text(name)?
            .map(|text| {
                text.parse::<Timestamp>().with_context(|| {
                    format!("field `{name}`: {text:?} is not an RFC 3339 time (2025-03-03T09:00:00-05:00)")
                })
            })
            .transpose()
    }

    fn label<T: std::str::FromStr<Err = aftercare_risk::RiskError>>(
        &mut self,
        name: &str,
        default: Option<&str>,
    ) -> anyhow::Result<T> {
        let text = match (self.optional_text(name)?, default) {
            (Some(text), _) => text,
            (None, Some(default)) => default.to_string(),
            (None, None) => bail!("field `{name}` is missing"),
        };
        text.parse()
            .map_err(|error| anyhow!("field `{name}`: {error}"))
    }
}

fn parse_event(line: &str, policy: &Policy) -> anyhow::Result<Event> {
    let object = match serde_json::from_str::<Value>(line).context("not JSON")? {
        Value::Object(object) => object,
        other => bail!("expected a JSON object, found {other}"),
    };
    let mut fields = Fields { object };
    let kind_name = fields.text("kind")?;
    let at = fields
        .instant("at")?
        .ok_or_else(|| anyhow!("field `at` is missing"))?;
    let recorded_at = fields.instant("recorded_at")?;
    let backdating_reason = fields.optional_text("backdating_reason")?;
    let evidence = fields.optional_text("evidence")?;
    let kind = match kind_name.as_str() {
        "finding_first_seen" => EventKind::FindingFirstSeen,
        "advisory_received" => EventKind::AdvisoryReceived,
        "report_received" => EventKind::ReportReceived {
            reference: fields.text("reference")?,
        },
        "report_acknowledged" => EventKind::ReportAcknowledged {
            reference: fields.text("reference")?,
        },
        "awareness_date_entered" => EventKind::AwarenessDateEntered {
            date: fields.date("date")?,
            reason: fields.text("reason")?,
        },
        "determination_made" => EventKind::DeterminationMade {
            risk: fields.label::<RiskClass>("risk", None)?,
        },
        "correction_started" => EventKind::CorrectionStarted {
            started_on: fields.date("started_on")?,
        },
        "customer_communication_sent" => EventKind::CustomerCommunicationSent,
        "fix_distributed" => EventKind::FixDistributed,
        "isao_shared" => EventKind::IsaoShared,
        "serious_adverse_event_known" => EventKind::SeriousAdverseEventKnown,
        "rollout_started" => EventKind::RolloutStarted {
            reference: fields.text("reference")?,
        },
        "correction_recorded" => EventKind::CorrectionRecorded {
            rationale: fields.text("rationale")?,
            signed_by: fields.text("signed_by")?,
        },
        "report_806_submitted" => EventKind::Report806Submitted {
            reference: fields.text("reference")?,
        },
        "mdr_reportable_event" => EventKind::MdrReportableEvent {
            reference: fields.text("reference")?,
            aware_on: fields.date("aware_on")?,
            five_day: fields.flag("five_day")?,
            event_type: fields.label::<MdrEventType>("event_type", Some("malfunction"))?,
        },
        "mdr_supplemental_information" => EventKind::MdrSupplementalInformation {
            reference: fields.text("reference")?,
            received_on: fields.date("received_on")?,
        },
        "mdr_report_submitted" => EventKind::MdrReportSubmitted {
            reference: fields.text("reference")?,
            covers_806: fields.flag("covers_806")?,
        },
        "serious_incident" => EventKind::SeriousIncident {
            reference: fields.text("reference")?,
            aware_on: fields.date("aware_on")?,
            category: fields
                .label::<SeriousIncidentCategory>("category", Some("serious_incident"))?,
        },
        "eu_mdr_report_submitted" => EventKind::EuMdrReportSubmitted {
            reference: fields.text("reference")?,
        },
        "clock_waived" => EventKind::ClockWaived {
            kind: fields.label::<ClockKind>("clock", None)?,
            reference: fields.optional_text("reference")?,
            rationale: fields.text("rationale")?,
        },
        other => bail!(
            "field `kind`: unknown event {other:?} (finding_first_seen, advisory_received, report_received, report_acknowledged, awareness_date_entered, determination_made, correction_started, customer_communication_sent, fix_distributed, isao_shared, serious_adverse_event_known, rollout_started, correction_recorded, report_806_submitted, mdr_reportable_event, mdr_supplemental_information, mdr_report_submitted, serious_incident, eu_mdr_report_submitted, clock_waived)"
        ),
    };
    if let Some(unknown) = fields.object.keys().next() {
        bail!("field `{unknown}` is not one a `{kind_name}` event takes");
    }
    if recorded_at.is_none() && (backdating_reason.is_some() || evidence.is_some()) {
        bail!("fields `backdating_reason` and `evidence` go with `recorded_at`");
    }
    if let Some(recorded_at) = recorded_at {
        let backdating = match (backdating_reason, evidence) {
            (None, None) => None,
            (reason, evidence) => Some(Backdating {
                reason: reason.unwrap_or_default(),
                evidence: evidence.unwrap_or_default(),
            }),
        };
        check_event_time(policy, at, recorded_at, backdating.as_ref())
            .map_err(|error| anyhow!("field `at`: {error}"))?;
    }
    Ok(Event { at, kind })
}
