//! Event times: the time an event claims against the time it is recorded.
//!
//! A clock is met by an action's *claimed* time, so a claimed time is a regulatory statement:
//! a "customer communication sent" dated last month, entered after the deadline passed, would
//! otherwise meet the clock silently. The rule (policy `[event_time]`, after 21 CFR 11.10(e):
//! audit trails record the date and time of operator entries, and the data-integrity
//! expectation that records are contemporaneous):
//!
//! - a claimed time more than `future_tolerance_minutes` after the recorded time is refused:
//!   nothing can have happened in the future, and a future time on a new case would move its
//!   awareness later and block every later event (the tolerance absorbs clock skew between a
//!   client and the server);
//! - a claimed time more than `backdating_after_hours` before the recorded time needs a reason
//!   and an evidence reference (the e-mail, the ticket, the advisory's distribution log), and
//!   both are kept with the event;
//! - a date an event names (an awareness date, a correction's start, an 803 or EU awareness
//!   day) may not lie after the recorded day: only a past or present day can have been known.
//!
//! [`check_event_time`] judges one claimed time; [`apply_recorded`] judges an event (its time
//! and its dates) and applies it, so that the service calls one function and stores the
//! returned [`EventTime`] beside the event.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::RiskError;
use crate::clock::{Case, Event, EventKind, Transition, apply};
use crate::policy::{Policy, check_rationale};
use crate::vocabulary::{ClockKind, Jurisdiction};

/// Why an event is dated long before it was recorded, and where the proof is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backdating {
    /// Why the event is entered late (at least the policy's `rationale.min_chars`).
    pub reason: String,
    /// A reference to the evidence of the claimed time: a document id, a ticket, a sent-mail
    /// record.
    pub evidence: String,
}

/// An event's claimed and recorded times, with the justification of a backdated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTime {
    /// When the event says it happened.
    pub claimed: Timestamp,
    /// When it was recorded (the server's time).
    pub recorded: Timestamp,
    /// The reason and evidence, for an event dated more than the policy's threshold before
    /// it was recorded (kept when given for a recent one too).
    pub backdating: Option<Backdating>,
}

impl EventTime {
    /// How long before its recording the event claims to have happened (negative: after).
    pub fn delay(&self) -> SignedDuration {
        self.recorded.duration_since(self.claimed)
    }
}

/// An event with the time it was recorded and, when backdated, its justification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// The event, with its claimed time in `at`.
    pub event: Event,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The reason and evidence of a backdated event.
    pub backdating: Option<Backdating>,
}

/// Judges a claimed time against the recorded time (see the module documentation).
pub fn check_event_time(
    policy: &Policy,
    claimed: Timestamp,
    recorded: Timestamp,
    backdating: Option<&Backdating>,
) -> Result<EventTime, RiskError> {
    let rules = policy.event_time();
    let tolerance = SignedDuration::from_mins(i64::from(rules.future_tolerance_minutes()));
    let ahead = claimed.duration_since(recorded);
    if ahead > tolerance {
        return Err(RiskError::EventInFuture {
            claimed,
            recorded,
            tolerance_minutes: rules.future_tolerance_minutes(),
        });
    }
    let threshold = SignedDuration::from_hours(i64::from(rules.backdating_after_hours()));
    let backdating = backdating.map(|given| Backdating {
        reason: given.reason.trim().to_string(),
        evidence: given.evidence.trim().to_string(),
    });
    if recorded.duration_since(claimed) > threshold {
        let missing = |what: &'static str| RiskError::BackdatedWithoutEvidence {
            claimed,
            recorded,
            hours: rules.backdating_after_hours(),
            missing: what,
        };
        let given = backdating
            .as_ref()
            .ok_or(missing("a reason and an evidence reference"))?;
        if given.reason.is_empty() {
            return Err(missing("a reason"));
        }
        check_rationale(policy, "a backdated event's reason", &given.reason)?;
        if given.evidence.is_empty() {
            return Err(missing("an evidence reference"));
        }
    }
    Ok(EventTime {
        claimed,
        recorded,
        backdating,
    })
}

/// Judges a recorded event's claimed time and the dates it names, then applies it to the case
/// ([`apply`]). The [`EventTime`] returned is for storage to keep beside the event.
pub fn apply_recorded(
    case: &Case,
    recorded: &RecordedEvent,
    policy: &Policy,
) -> Result<(Transition, EventTime), RiskError> {
    let time = check_event_time(
        policy,
        recorded.event.at,
        recorded.recorded_at,
        recorded.backdating.as_ref(),
    )?;
    for (date, jurisdiction) in named_dates(&recorded.event.kind) {
        let today = policy
            .calendar_for(jurisdiction)
            .day_of(recorded.recorded_at);
        if date > today {
            return Err(RiskError::EventDateInFuture {
                event: recorded.event.kind.name(),
                date,
                today,
            });
        }
    }
    let transition = apply(case, &recorded.event, policy)?;
    Ok((transition, time))
}

/// The dates an event names, with the jurisdiction whose day they are.
fn named_dates(kind: &EventKind) -> Vec<(Date, Jurisdiction)> {
    let us = Jurisdiction::Us;
    match kind {
        EventKind::AwarenessDateEntered { date, .. } => vec![(*date, us)],
        EventKind::CorrectionStarted { started_on } => vec![(*started_on, us)],
        EventKind::MdrReportableEvent { aware_on, .. } => vec![(*aware_on, us)],
        EventKind::MdrSupplementalInformation { received_on, .. } => vec![(*received_on, us)],
        EventKind::SeriousIncident { aware_on, .. } => {
            vec![(*aware_on, ClockKind::EuMdrArt87.jurisdiction())]
        }
        EventKind::FindingFirstSeen
        | EventKind::AdvisoryReceived
        | EventKind::ReportReceived { .. }
        | EventKind::ReportAcknowledged { .. }
        | EventKind::DeterminationMade { .. }
        | EventKind::CustomerCommunicationSent
        | EventKind::FixDistributed
        | EventKind::IsaoShared
        | EventKind::SeriousAdverseEventKnown
        | EventKind::RolloutStarted { .. }
        | EventKind::CorrectionRecorded { .. }
        | EventKind::Report806Submitted { .. }
        | EventKind::MdrReportSubmitted { .. }
        | EventKind::EuMdrReportSubmitted { .. }
        | EventKind::ClockWaived { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn because() -> Backdating {
        Backdating {
            reason: "Sent from the field by the sales engineer; entered on return.".into(),
            evidence: "MAIL-2025-0412".into(),
        }
    }

    /// claimed, recorded, justification → `ok` or text the error contains.
    fn check(claimed: &str, recorded: &str, backdating: Option<Backdating>, expected: &str) {
        let policy = Policy::builtin().unwrap();
        match check_event_time(&policy, at(claimed), at(recorded), backdating.as_ref()) {
            Ok(time) => {
                assert_eq!(expected, "ok", "{claimed} recorded {recorded}");
                assert_eq!(time.backdating, backdating, "kept");
            }
            Err(error) => assert!(
                error.to_string().contains(expected),
                "{claimed} recorded {recorded}: {error}"
            ),
        }
    }

    #[test]
    fn claimed_times_against_recorded_times() {
        let recorded = "2025-04-10T12:00:00Z";
        // The default tolerates 5 minutes of clock skew into the future, no more.
        check("2025-04-10T12:05:00Z", recorded, None, "ok");
        check("2025-04-10T12:05:01Z", recorded, None, "in the future");
        // Up to 24 hours back needs nothing.
        check("2025-04-09T12:00:00Z", recorded, None, "ok");
        // More than 24 hours back needs a reason and an evidence reference.
        check(
            "2025-04-09T11:59:59Z",
            recorded,
            None,
            "needs a reason and an evidence reference",
        );
        check("2025-03-15T11:00:00Z", recorded, Some(because()), "ok");
        check(
            "2025-03-15T11:00:00Z",
            recorded,
            Some(Backdating {
                reason: "late".into(),
                evidence: "MAIL-1".into(),
            }),
            "is 4 characters long",
        );
        check(
            "2025-03-15T11:00:00Z",
            recorded,
            Some(Backdating {
                evidence: " ".into(),
                ..because()
            }),
            "needs an evidence reference",
        );
        // Given for a recent event, the justification is kept all the same.
        check("2025-04-10T11:00:00Z", recorded, Some(because()), "ok");
    }
}
