//! What-if: the clock engine run on a list of events under a policy, without storage, for
//! reviewers who check a policy before signing it and for validating the tool on a
//! manufacturer's own scenarios (21 CFR Part 11 validation).
//!
//! [`simulate`] applies the events in order to an empty case exactly as the service does
//! ([`crate::apply`]), lets time pass to `now` ([`crate::tick`]) and describes every clock:
//! its basis, day 0, deadline (local and UTC), the day it was rolled from, and its state at
//! `now`.

use jiff::civil::Date;
use jiff::{Timestamp, Zoned};

use crate::RiskError;
use crate::calendar::DayKind;
use crate::clock::{Case, ClockState, Event, StartBasis, apply, tick};
use crate::policy::Policy;
use crate::vocabulary::{ClockKind, Jurisdiction};

/// One clock as the simulation leaves it at `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedClock {
    /// What the clock is for.
    pub kind: ClockKind,
    /// The report, incident or MDR number.
    pub reference: Option<String>,
    /// What day 0 is.
    pub basis: StartBasis,
    /// Day 0.
    pub start: Date,
    /// N.
    pub days: u32,
    /// Calendar or working days.
    pub day_kind: DayKind,
    /// Whose calendar counts it.
    pub jurisdiction: Jurisdiction,
    /// Day N.
    pub deadline_day: Date,
    /// The instant the deadline ends, in the jurisdiction's time zone.
    pub deadline_local: Zoned,
    /// The same instant in UTC.
    pub deadline_utc: Timestamp,
    /// Day N before a roll forward, when there was one.
    pub rolled_from: Option<Date>,
    /// The state at `now`.
    pub state: ClockState,
    /// Whether the clock is overdue at `now` (past its deadline and not done).
    pub overdue: bool,
    /// When its action happened.
    pub satisfied_at: Option<Timestamp>,
    /// Why it opened, when not obvious; the provisional label of an 806 start.
    pub note: Option<String>,
    /// The policy's citation, with the counting rule.
    pub source: String,
}

/// The result of a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// The case after every event and the passing of time to `now`.
    pub case: Case,
    /// Every clock, in the order it was opened.
    pub clocks: Vec<SimulatedClock>,
}

/// Runs the events (in order, each not after `now`) through the clock engine and describes
/// every clock at `now`. An event the engine refuses is reported with its position (0-based).
pub fn simulate(
    policy: &Policy,
    events: &[Event],
    now: Timestamp,
) -> Result<Simulation, RiskError> {
    let mut case = Case::new();
    for (index, event) in events.iter().enumerate() {
        if event.at > now {
            return Err(RiskError::SimulatedEventAfterNow {
                index,
                at: event.at,
                now,
            });
        }
        case = apply(&case, event, policy)
            .map_err(|source| RiskError::SimulatedEventRefused {
                index,
                event: event.kind.name(),
                source: Box::new(source),
            })?
            .case;
    }
    let case = tick(&case, now, policy)?.case;
    let clocks = case
        .clocks()
        .iter()
        .map(|clock| SimulatedClock {
            kind: clock.kind(),
            reference: clock.reference().map(str::to_string),
            basis: clock.basis(),
            start: clock.start(),
            days: clock.days(),
            day_kind: clock.day_kind(),
            jurisdiction: clock.kind().jurisdiction(),
            deadline_day: clock.deadline().day,
            deadline_local: clock.deadline().end.to_zoned(clock.time_zone().clone()),
            deadline_utc: clock.deadline().end,
            rolled_from: clock.deadline().rolled_from,
            state: clock.state(),
            overdue: clock.is_overdue(now),
            satisfied_at: clock.satisfied_at(),
            note: clock.note().map(str::to_string),
            source: clock.source().to_string(),
        })
        .collect();
    Ok(Simulation { case, clocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::EventKind;
    use crate::vocabulary::RiskClass;

    fn new_york(text: &str) -> Timestamp {
        text.parse::<jiff::civil::DateTime>()
            .unwrap()
            .in_tz("America/New_York")
            .unwrap()
            .timestamp()
    }

    #[test]
    fn a_scenario_at_a_given_now() {
        let policy = Policy::builtin().unwrap();
        let events = [
            Event {
                at: new_york("2025-03-03T09:00"),
                kind: EventKind::FindingFirstSeen,
            },
            Event {
                at: new_york("2025-03-03T10:00"),
                kind: EventKind::DeterminationMade {
                    risk: RiskClass::Uncontrolled,
                },
            },
        ];
        // 2025-03-03 + 30 = 2025-04-02, EDT; on 2025-04-05 the communication clock is missed
        // and, no field action being recorded, the 806 obligation opened provisionally.
        let simulation = simulate(&policy, &events, new_york("2025-04-05T12:00")).unwrap();
        let first = &simulation.clocks[0];
        assert_eq!(first.kind, ClockKind::CustomerCommunication);
        assert_eq!(first.deadline_day.to_string(), "2025-04-02");
        assert_eq!(
            first.deadline_utc.to_string(),
            "2025-04-03T03:59:59.999999999Z"
        );
        assert_eq!(first.deadline_local.offset().seconds(), -4 * 3600);
        assert_eq!(first.state, ClockState::Missed);
        assert!(first.overdue);
        let kinds: Vec<ClockKind> = simulation.clocks.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ClockKind::CustomerCommunication,
                ClockKind::Remediation,
                ClockKind::Report806
            ]
        );
        // An event after `now`, or one the engine refuses, names its position.
        let early = simulate(&policy, &events, new_york("2025-03-03T09:30")).unwrap_err();
        assert!(
            matches!(early, RiskError::SimulatedEventAfterNow { index: 1, .. }),
            "{early}"
        );
        let refused = simulate(&policy, &events[1..], new_york("2025-04-05T12:00")).unwrap_err();
        assert!(
            matches!(refused, RiskError::SimulatedEventRefused { index: 0, .. }),
            "{refused}"
        );
        assert!(refused.to_string().contains("awareness"), "{refused}");
    }
}
