//! The rollout's state machine, the step that moves it from one wave to the next, and which
//! devices it assigns.
//!
//! ```text
//! created ──start──► starting ──started──► running ──finish──► finished
//!                                           │  ▲ ▲
//!                             pause (person,│  │ │resume
//!                         or a threshold)   ▼  │ │
//!                                          paused
//!                                           │    go
//!                       running ──hold──► awaiting_decision ──no_go──► canceled
//! created, starting, running, paused, awaiting_decision ──cancel──► canceled
//! ```
//!
//! - **start** is taken only after the service checked the approval gate
//!   (`aftercare_patch::may_distribute`); this crate does not know patches. **started**
//!   follows once the first wave's actions exist.
//! - **pause** comes from a person (with a reason) or from a wave's error threshold, with the
//!   counts that tripped it ([`PauseReason`]); **resume** is a person's. Only a running
//!   rollout pauses: one awaiting a decision already assigns nothing, and a resume must not
//!   skip the decision.
//! - **hold**: after a wave with a *hold point* reaches its success threshold the rollout
//!   waits for a decision. How the decision is signed (the approving role, Part 11) is the
//!   service's business; the rule only knows **go** (the next wave starts) and **no_go** (the
//!   rollout ends canceled: to go on after a no-go, create a new rollout).
//! - **finish**: the last wave reached its success threshold; a *dynamic* rollout (devices
//!   that appear later join it) does not finish by itself, a person finishes it.
//!
//! [`step`] is what the service runs whenever a wave's counts change: it turns
//! [`crate::evaluate`]'s verdict into the next move. [`assignments`] says which devices get a
//! new action now: **only a running rollout assigns**, only devices of the waves started so
//! far, never a device that has an active action in any rollout, and, for a device that
//! already had an action in this rollout, only after a skip (offered again) or, when a
//! person asked to retry, after an error.

use std::fmt;

use crate::RolloutError;
use crate::action::ActionState;
use crate::threshold::{ThresholdTrip, Thresholds, Verdict, WaveCounts, evaluate};
use crate::vocabulary::vocabulary;

vocabulary! {
    /// Where a rollout is.
    pub enum RolloutState as "rollout state" {
        /// Created (a draft): nothing is assigned.
        Created = "created",
        /// Starting: the first wave's actions are being created.
        Starting = "starting",
        /// Running: the current wave's devices are offered the update.
        Running = "running",
        /// Paused by a person or by the error threshold: nothing is assigned.
        Paused = "paused",
        /// A wave with a hold point is done: waiting for a go or no-go.
        AwaitingDecision = "awaiting_decision",
        /// Every wave reached its success threshold (or a person finished a dynamic rollout).
        Finished = "finished",
        /// Canceled by a person, by a no-go, or by a revoked patch.
        Canceled = "canceled",
    }
}

vocabulary! {
    /// An event that moves a rollout, without its payload ([`RolloutEvent::kind`]).
    pub enum RolloutEventKind as "rollout event" {
        /// A person starts it (after the approval gate).
        Start = "start",
        /// The first wave's actions exist.
        Started = "started",
        /// A person or a threshold pauses it.
        Pause = "pause",
        /// A person resumes it.
        Resume = "resume",
        /// A wave with a hold point is done.
        Hold = "hold",
        /// The decision at a hold point: go on.
        Go = "go",
        /// The decision at a hold point: stop.
        NoGo = "no_go",
        /// The last wave is done.
        Finish = "finish",
        /// A person, or a revoked patch, cancels it.
        Cancel = "cancel",
    }
}

/// Why a rollout is paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PauseReason {
    /// A person paused it.
    Person {
        /// Who.
        by: String,
        /// Why, in their words.
        reason: String,
    },
    /// A wave stopped it by itself.
    Threshold {
        /// The wave, counted from 1.
        wave: usize,
        /// What tripped.
        trip: ThresholdTrip,
    },
    /// The approval gate refused the next wave (a rejection or an approval that no longer
    /// matches; a revocation cancels instead).
    Gate {
        /// The gate's refusal, as it reads.
        refusal: String,
    },
    /// The fleet's health gate: the patched devices are worse than the unpatched ones on a
    /// metric (the evidence is kept with the pause and its signal).
    Health {
        /// The gate's finding, as it reads.
        summary: String,
    },
}

impl fmt::Display for PauseReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseReason::Person { by, reason } => write!(formatter, "paused by {by}: {reason}"),
            PauseReason::Threshold { wave, trip } => write!(formatter, "wave {wave}: {trip}"),
            PauseReason::Gate { refusal } => {
                write!(formatter, "the patch may not be distributed: {refusal}")
            }
            PauseReason::Health { summary } => write!(formatter, "health gate: {summary}"),
        }
    }
}

/// An event that moves a rollout, with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutEvent {
    /// A person starts it.
    Start,
    /// The first wave's actions exist.
    Started,
    /// It pauses, with the reason.
    Pause(PauseReason),
    /// A person resumes it.
    Resume,
    /// A wave with a hold point is done.
    Hold,
    /// Go on after the hold point.
    Go,
    /// Stop at the hold point.
    NoGo,
    /// The last wave is done.
    Finish,
    /// Canceled.
    Cancel,
}

impl RolloutEvent {
    /// The event without its payload.
    pub fn kind(&self) -> RolloutEventKind {
        match self {
            RolloutEvent::Start => RolloutEventKind::Start,
            RolloutEvent::Started => RolloutEventKind::Started,
            RolloutEvent::Pause(_) => RolloutEventKind::Pause,
            RolloutEvent::Resume => RolloutEventKind::Resume,
            RolloutEvent::Hold => RolloutEventKind::Hold,
            RolloutEvent::Go => RolloutEventKind::Go,
            RolloutEvent::NoGo => RolloutEventKind::NoGo,
            RolloutEvent::Finish => RolloutEventKind::Finish,
            RolloutEvent::Cancel => RolloutEventKind::Cancel,
        }
    }
}

/// Every allowed transition: (from, event, to). Anything not listed is refused.
pub const TRANSITIONS: &[(RolloutState, RolloutEventKind, RolloutState)] = {
    use RolloutEventKind as E;
    use RolloutState as S;
    &[
        (S::Created, E::Start, S::Starting),
        (S::Created, E::Cancel, S::Canceled),
        (S::Starting, E::Started, S::Running),
        (S::Starting, E::Cancel, S::Canceled),
        (S::Running, E::Pause, S::Paused),
        (S::Running, E::Hold, S::AwaitingDecision),
        (S::Running, E::Finish, S::Finished),
        (S::Running, E::Cancel, S::Canceled),
        (S::Paused, E::Resume, S::Running),
        (S::Paused, E::Cancel, S::Canceled),
        (S::AwaitingDecision, E::Go, S::Running),
        (S::AwaitingDecision, E::NoGo, S::Canceled),
        (S::AwaitingDecision, E::Cancel, S::Canceled),
    ]
};

impl RolloutState {
    /// The events this state allows, in [`RolloutEventKind::ALL`] order.
    pub fn allowed_events(self) -> Vec<RolloutEventKind> {
        RolloutEventKind::ALL
            .iter()
            .copied()
            .filter(|event| {
                TRANSITIONS
                    .iter()
                    .any(|(from, allowed, _)| *from == self && allowed == event)
            })
            .collect()
    }

    /// Whether no event moves the rollout any more (`finished`, `canceled`).
    pub fn is_final(self) -> bool {
        self.allowed_events().is_empty()
    }
}

/// The state a rollout in `state` reaches with `event`, or why the event is refused.
pub fn next_state(state: RolloutState, event: &RolloutEvent) -> Result<RolloutState, RolloutError> {
    let kind = event.kind();
    TRANSITIONS
        .iter()
        .find(|(from, allowed, _)| *from == state && *allowed == kind)
        .map(|(_, _, to)| *to)
        .ok_or_else(|| {
            let allowed = state.allowed_events();
            RolloutError::IllegalTransition {
                state,
                event: kind,
                allowed: if allowed.is_empty() {
                    "none: the rollout is final".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|event| event.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            }
        })
}

/// What [`step`] and [`assignments`] need to know about a rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutFacts {
    /// Its state.
    pub state: RolloutState,
    /// The current wave, counted from 0; waves before it are done.
    pub wave: usize,
    /// How many waves it has (at least 1).
    pub waves: usize,
    /// The waves (counted from 0) followed by a hold point.
    pub holds_after: Vec<usize>,
    /// Whether devices that appear later join it (then it does not finish by itself).
    pub dynamic: bool,
    /// Its thresholds.
    pub thresholds: Thresholds,
}

/// The next move of a rollout, from its current wave's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do now.
    Wait,
    /// Take [`RolloutEvent::Pause`] with this reason.
    Pause(PauseReason),
    /// Start this wave (counted from 0): check the gate, then create its actions.
    StartWave(usize),
    /// Take [`RolloutEvent::Hold`]: the wave just done has a hold point.
    Hold,
    /// Take [`RolloutEvent::Finish`].
    Finish,
}

/// The next move of a running rollout (any other state waits).
pub fn step(rollout: &RolloutFacts, counts: &WaveCounts) -> Step {
    if rollout.state != RolloutState::Running {
        return Step::Wait;
    }
    match evaluate(counts, &rollout.thresholds) {
        Verdict::Wait => Step::Wait,
        Verdict::Pause(trip) => Step::Pause(PauseReason::Threshold {
            wave: rollout.wave + 1,
            trip,
        }),
        Verdict::Advance => {
            let last = rollout.wave + 1 >= rollout.waves;
            if last {
                if rollout.dynamic {
                    Step::Wait
                } else {
                    Step::Finish
                }
            } else if rollout.holds_after.contains(&rollout.wave) {
                Step::Hold
            } else {
                Step::StartWave(rollout.wave + 1)
            }
        }
    }
}

/// A device a rollout might assign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Its wave, counted from 0.
    pub wave: usize,
    /// Whether it has an active action in any rollout (this one included).
    pub active: bool,
    /// The state of its latest action in this rollout, if it had one.
    pub latest: Option<ActionState>,
}

/// Why a device gets a new action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    /// Its first action in this rollout.
    First,
    /// Its last action was skipped: it is offered again.
    AfterSkip,
    /// Its last action failed and a person asked to retry the failed.
    Retry,
}

/// The candidates (by index) that get a new action now, and why (the rule in the module
/// docs). A rollout that is not running assigns nothing.
pub fn assignments(
    rollout: &RolloutFacts,
    candidates: &[Candidate],
    retry_failed: bool,
) -> Vec<(usize, Assignment)> {
    if rollout.state != RolloutState::Running {
        return Vec::new();
    }
    candidates
        .iter()
        .enumerate()
        .filter(|(_, candidate)| candidate.wave <= rollout.wave && !candidate.active)
        .filter_map(|(index, candidate)| {
            let why = match candidate.latest {
                None => Assignment::First,
                Some(ActionState::Skipped) => Assignment::AfterSkip,
                Some(ActionState::Error) if retry_failed => Assignment::Retry,
                Some(_) => return None,
            };
            Some((index, why))
        })
        .collect()
}

/// The wave (counted from 0) a device that appears later joins: the last one, never the
/// canary, while the rollout can still assign; none once it is finished or canceled.
pub fn join_wave(rollout: &RolloutFacts) -> Option<usize> {
    if rollout.state.is_final() || rollout.waves == 0 {
        None
    } else {
        Some(rollout.waves - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str) -> RolloutEvent {
        match kind {
            "start" => RolloutEvent::Start,
            "started" => RolloutEvent::Started,
            "pause" => RolloutEvent::Pause(PauseReason::Person {
                by: "ana".to_string(),
                reason: "ward 3 reports alarms".to_string(),
            }),
            "resume" => RolloutEvent::Resume,
            "hold" => RolloutEvent::Hold,
            "go" => RolloutEvent::Go,
            "no_go" => RolloutEvent::NoGo,
            "finish" => RolloutEvent::Finish,
            "cancel" => RolloutEvent::Cancel,
            other => panic!("no event {other}"),
        }
    }

    fn check(state: &str, kind: &str, expected: &str) {
        let state: RolloutState = state.parse().unwrap();
        let found = match next_state(state, &event(kind)) {
            Ok(next) => next.to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{state} + {kind}");
    }

    #[test]
    #[rustfmt::skip]
    fn the_way_to_finished() {
        check("created", "start", "starting");
        check("starting", "started", "running");
        check("running", "pause", "paused");
        check("paused", "resume", "running");
        check("running", "hold", "awaiting_decision");
        check("awaiting_decision", "go", "running");
        check("running", "finish", "finished");
    }

    #[test]
    #[rustfmt::skip]
    fn ways_to_canceled() {
        for state in ["created", "starting", "running", "paused", "awaiting_decision"] {
            check(state, "cancel", "canceled");
        }
        check("awaiting_decision", "no_go", "canceled");
    }

    #[test]
    #[rustfmt::skip]
    fn illegal_events_name_the_state_the_event_and_what_is_allowed() {
        check("created", "resume", "a rollout that is created cannot take the event resume (allowed: start, cancel)");
        check("awaiting_decision", "pause", "a rollout that is awaiting_decision cannot take the event pause (allowed: go, no_go, cancel)");
        check("awaiting_decision", "resume", "a rollout that is awaiting_decision cannot take the event resume (allowed: go, no_go, cancel)");
        check("paused", "go", "a rollout that is paused cannot take the event go (allowed: resume, cancel)");
        check("paused", "finish", "a rollout that is paused cannot take the event finish (allowed: resume, cancel)");
        check("running", "start", "a rollout that is running cannot take the event start (allowed: pause, hold, finish, cancel)");
        check("finished", "cancel", "a rollout that is finished cannot take the event cancel (allowed: none: the rollout is final)");
        check("canceled", "resume", "a rollout that is canceled cannot take the event resume (allowed: none: the rollout is final)");
    }

    #[test]
    fn final_states_and_reachability() {
        let finals: Vec<RolloutState> = RolloutState::ALL
            .iter()
            .copied()
            .filter(|state| state.is_final())
            .collect();
        assert_eq!(finals, [RolloutState::Finished, RolloutState::Canceled]);
        for state in RolloutState::ALL {
            assert!(
                *state == RolloutState::Created || TRANSITIONS.iter().any(|(_, _, to)| to == state),
                "{state} is unreachable"
            );
        }
    }

    fn rollout(wave: usize, waves: usize, holds_after: &[usize], dynamic: bool) -> RolloutFacts {
        RolloutFacts {
            state: RolloutState::Running,
            wave,
            waves,
            holds_after: holds_after.to_vec(),
            dynamic,
            thresholds: Thresholds {
                success: "90%".parse().unwrap(),
                error: "10%".parse().unwrap(),
            },
        }
    }

    fn done(finished: u64) -> WaveCounts {
        WaveCounts {
            finished,
            ..WaveCounts::default()
        }
    }

    #[test]
    fn steps() {
        // A done wave starts the next one, or holds, or finishes.
        assert_eq!(
            step(&rollout(0, 3, &[], false), &done(10)),
            Step::StartWave(1)
        );
        assert_eq!(step(&rollout(0, 3, &[0], false), &done(10)), Step::Hold);
        assert_eq!(
            step(&rollout(1, 3, &[0], false), &done(10)),
            Step::StartWave(2)
        );
        assert_eq!(step(&rollout(2, 3, &[], false), &done(10)), Step::Finish);
        // A dynamic rollout stays on its last wave.
        assert_eq!(step(&rollout(2, 3, &[], true), &done(10)), Step::Wait);
        // The error threshold pauses, naming the wave from 1.
        let failing = WaveCounts {
            finished: 8,
            error: 2,
            ..WaveCounts::default()
        };
        let Step::Pause(reason) = step(&rollout(1, 3, &[], false), &failing) else {
            panic!("expected a pause");
        };
        assert_eq!(
            reason.to_string(),
            "wave 2: 2 of 10 devices failed, more than the error threshold of 10%"
        );
        // Anything but running waits.
        let mut paused = rollout(0, 3, &[], false);
        paused.state = RolloutState::Paused;
        assert_eq!(step(&paused, &done(10)), Step::Wait);
    }

    #[test]
    fn who_is_assigned() {
        use ActionState::*;
        let candidate = |wave, active, latest| Candidate {
            wave,
            active,
            latest,
        };
        let candidates = [
            candidate(0, false, None),           // 0: first
            candidate(1, false, None),           // 1: wave 1 started
            candidate(2, false, None),           // 2: wave 2 not started
            candidate(0, true, None),            // 3: busy in another rollout
            candidate(0, false, Some(Skipped)),  // 4: offered again
            candidate(0, false, Some(Error)),    // 5: only on retry
            candidate(0, false, Some(Finished)), // 6: done
            candidate(0, false, Some(Canceled)), // 7: canceled stays canceled
            candidate(0, true, Some(Running)),   // 8: its action is active
        ];
        let running = rollout(1, 3, &[], false);
        assert_eq!(
            assignments(&running, &candidates, false),
            [
                (0, Assignment::First),
                (1, Assignment::First),
                (4, Assignment::AfterSkip)
            ]
        );
        assert_eq!(
            assignments(&running, &candidates, true),
            [
                (0, Assignment::First),
                (1, Assignment::First),
                (4, Assignment::AfterSkip),
                (5, Assignment::Retry)
            ]
        );
        for state in RolloutState::ALL
            .iter()
            .filter(|s| **s != RolloutState::Running)
        {
            let facts = RolloutFacts {
                state: *state,
                ..running.clone()
            };
            assert!(assignments(&facts, &candidates, true).is_empty(), "{state}");
        }
    }

    #[test]
    fn late_devices_join_the_last_wave_while_the_rollout_lives() {
        let mut facts = rollout(0, 3, &[], true);
        assert_eq!(join_wave(&facts), Some(2));
        facts.state = RolloutState::Paused;
        assert_eq!(join_wave(&facts), Some(2));
        facts.state = RolloutState::Finished;
        assert_eq!(join_wave(&facts), None);
        facts.state = RolloutState::Canceled;
        assert_eq!(join_wave(&facts), None);
    }
}
