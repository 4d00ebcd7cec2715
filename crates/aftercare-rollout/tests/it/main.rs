//! The properties issue 14 asks of the rollout rules: no device in two active actions, a
//! paused rollout assigns nothing, counts add up, thresholds trip exactly at their boundary;
//! and the wave plan's promises.

// Strategies and helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

use aftercare_rollout::{
    ActionEvent, ActionFacts, ActionState, Candidate, Channel, ControllerId, Execution, Feedback,
    FinalResult, Percent, RolloutFacts, RolloutState, ThresholdTrip, Thresholds, UpdateType,
    Verdict, WaveCounts, WaveSpec, WaveTarget, apply_event, apply_feedback, assignments, evaluate,
    is_active, plan_waves, wave_sizes,
};
use proptest::prelude::*;

fn action_state() -> impl Strategy<Value = ActionState> {
    prop::sample::select(ActionState::ALL.to_vec())
}

fn rollout_state() -> impl Strategy<Value = RolloutState> {
    prop::sample::select(RolloutState::ALL.to_vec())
}

fn percent() -> impl Strategy<Value = Percent> {
    (0u16..=10_000).prop_map(|hundredths| Percent::from_hundredths(hundredths).unwrap())
}

fn facts(state: RolloutState, wave: usize, waves: usize) -> RolloutFacts {
    RolloutFacts {
        state,
        wave,
        waves,
        holds_after: Vec::new(),
        dynamic: false,
        thresholds: Thresholds {
            success: Percent::FULL,
            error: Percent::FULL,
        },
    }
}

/// One action of the simulated fleet.
#[derive(Debug, Clone)]
struct Action {
    device: usize,
    rollout: usize,
    state: ActionState,
}

/// What happens next in the simulation.
#[derive(Debug, Clone)]
enum Op {
    /// A rollout runs its assignment (with or without retry-failed).
    Assign { rollout: usize, retry: bool },
    /// A rollout is paused, resumed or moves to its next wave.
    Move { rollout: usize, to: RolloutState },
    /// The server offers or cancels an action (picked by index, modulo).
    Event { action: usize, event: ActionEvent },
    /// A device sends feedback on an action.
    Feedback {
        action: usize,
        execution: Execution,
        finished: FinalResult,
    },
}

fn op(rollouts: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..rollouts, any::<bool>()).prop_map(|(rollout, retry)| Op::Assign { rollout, retry }),
        (
            0..rollouts,
            prop::sample::select(vec![RolloutState::Running, RolloutState::Paused])
        )
            .prop_map(|(rollout, to)| Op::Move { rollout, to }),
        (
            any::<usize>(),
            prop::sample::select(vec![
                ActionEvent::Offer,
                ActionEvent::Retrieve,
                ActionEvent::Cancel
            ])
        )
            .prop_map(|(action, event)| Op::Event { action, event }),
        (
            any::<usize>(),
            prop::sample::select(Execution::ALL.to_vec()),
            prop::sample::select(FinalResult::ALL.to_vec()),
        )
            .prop_map(|(action, execution, finished)| Op::Feedback {
                action,
                execution,
                finished
            }),
    ]
}

proptest! {
    /// Across any sequence of assignments by several rollouts over one fleet, with offers,
    /// cancellations and feedback in between, no device ever has two active actions.
    #[test]
    fn no_device_in_two_active_actions(
        devices in 1usize..12,
        waves_of in prop::collection::vec(prop::collection::vec(0usize..3, 12), 3),
        ops in prop::collection::vec(op(3), 1..80),
    ) {
        let mut rollouts: Vec<RolloutFacts> =
            (0..3).map(|_| facts(RolloutState::Running, 0, 3)).collect();
        let mut actions: Vec<Action> = Vec::new();
        for op in ops {
            match op {
                Op::Assign { rollout, retry } => {
                    let candidates: Vec<Candidate> = (0..devices)
                        .map(|device| Candidate {
                            wave: waves_of[rollout][device],
                            active: actions.iter().any(|a| {
                                a.device == device && is_active(a.state, UpdateType::Forced)
                            }),
                            latest: actions
                                .iter()
                                .rev()
                                .find(|a| a.device == device && a.rollout == rollout)
                                .map(|a| a.state),
                        })
                        .collect();
                    for (device, _) in assignments(&rollouts[rollout], &candidates, retry) {
                        actions.push(Action { device, rollout, state: ActionState::Scheduled });
                    }
                }
                Op::Move { rollout, to } => {
                    let facts = &mut rollouts[rollout];
                    if to == RolloutState::Running && facts.state == RolloutState::Running {
                        facts.wave = (facts.wave + 1).min(facts.waves - 1);
                    }
                    facts.state = to;
                }
                Op::Event { action, event } => {
                    if !actions.is_empty() {
                        let index = action % actions.len();
                        if let Ok(next) = apply_event(actions[index].state, UpdateType::Forced, event) {
                            actions[index].state = next;
                        }
                    }
                }
                Op::Feedback { action, execution, finished } => {
                    if !actions.is_empty() {
                        let index = action % actions.len();
                        let channel = if actions[index].state == ActionState::Canceling {
                            Channel::Cancel
                        } else {
                            Channel::Deployment
                        };
                        let facts = ActionFacts {
                            state: actions[index].state,
                            update_type: UpdateType::Forced,
                            status_entries: 0,
                            skip_offered: false,
                            progressed: false,
                        };
                        let feedback = Feedback { channel, execution, finished, details: Vec::new() };
                        if let Ok(transition) = apply_feedback(&facts, &feedback) {
                            actions[index].state = transition.to;
                        }
                    }
                }
            }
            for device in 0..devices {
                let active = actions
                    .iter()
                    .filter(|a| a.device == device && is_active(a.state, UpdateType::Forced))
                    .count();
                prop_assert!(active <= 1, "device {device} has {active} active actions: {actions:?}");
            }
        }
    }

    /// Only a running rollout assigns; a paused one (or any other) assigns nothing, whatever
    /// its devices look like.
    #[test]
    fn a_rollout_that_is_not_running_assigns_nothing(
        state in rollout_state(),
        wave in 0usize..3,
        candidates in prop::collection::vec(
            (0usize..3, any::<bool>(), prop::option::of(action_state()))
                .prop_map(|(wave, active, latest)| Candidate { wave, active, latest }),
            0..40,
        ),
        retry in any::<bool>(),
    ) {
        let assigned = assignments(&facts(state, wave, 3), &candidates, retry);
        if state != RolloutState::Running {
            prop_assert!(assigned.is_empty());
        }
        for (index, _) in &assigned {
            let candidate = candidates[*index];
            prop_assert!(!candidate.active && candidate.wave <= wave);
        }
    }

    /// The counts of a wave add up to its devices, whatever their actions' states.
    #[test]
    fn counts_add_up(
        latest in prop::collection::vec(prop::option::of(action_state()), 0..200),
        download_only in any::<bool>(),
    ) {
        let update_type = if download_only { UpdateType::DownloadOnly } else { UpdateType::Forced };
        let counts = WaveCounts::tally(latest.iter().copied(), update_type);
        prop_assert_eq!(counts.total(), latest.len() as u64);
        prop_assert_eq!(counts.measure() + counts.canceled, latest.len() as u64);
        let unassigned = latest.iter().filter(|state| state.is_none()).count() as u64;
        prop_assert!(counts.scheduled >= unassigned);
    }

    /// The error threshold trips exactly one error past the most it tolerates,
    /// ⌊threshold × measure⌋, and not before.
    #[test]
    fn the_error_threshold_trips_exactly(measure in 1u64..5000, threshold in percent()) {
        let tolerated = u64::from(threshold.hundredths()) * measure / 10_000;
        let thresholds = Thresholds { success: Percent::FULL, error: threshold };
        // The rest is running (a success threshold of 100 % is not reached while errors
        // exist); with every device failed, nothing is pending.
        let at = |errors: u64| WaveCounts { error: errors, running: measure - errors, ..WaveCounts::default() };
        let trips = |errors: u64| matches!(
            evaluate(&at(errors), &thresholds),
            Verdict::Pause(ThresholdTrip::ErrorThreshold { .. })
        );
        prop_assert!(!trips(tolerated));
        if tolerated < measure {
            prop_assert!(trips(tolerated + 1));
        }
    }

    /// The success threshold is reached exactly at ⌈threshold × measure⌉ finished devices,
    /// and not one before.
    #[test]
    fn the_success_threshold_is_reached_exactly(measure in 1u64..5000, threshold in percent(), canceled in 0u64..5) {
        let needed = (u64::from(threshold.hundredths()) * measure).div_ceil(10_000);
        let thresholds = Thresholds { success: threshold, error: Percent::FULL };
        let at = |finished: u64| WaveCounts { finished, running: measure - finished, canceled, ..WaveCounts::default() };
        prop_assert_eq!(evaluate(&at(needed), &thresholds), Verdict::Advance);
        if needed > 0 {
            prop_assert_eq!(evaluate(&at(needed - 1), &thresholds), Verdict::Wait);
        }
    }

    /// Wave sizes add up to the devices; no wave is empty when there are at least as many
    /// devices as waves; otherwise the first N waves have one device each.
    #[test]
    fn waves_take_every_device_once(
        devices in 0usize..3000,
        steps in prop::collection::vec(1u16..3000, 0..6),
        counts in any::<bool>(),
    ) {
        // Strictly growing cumulative targets, ending with all.
        let mut targets = Vec::new();
        let mut total = 0u64;
        for step in steps {
            total += u64::from(step);
            if counts {
                targets.push(WaveTarget::Count(total));
            } else if total < 10_000 {
                targets.push(WaveTarget::Percent(Percent::from_hundredths(total as u16).unwrap()));
            }
        }
        targets.push(WaveTarget::All);
        let sizes = wave_sizes(devices, &targets);
        prop_assert_eq!(sizes.len(), targets.len());
        prop_assert_eq!(sizes.iter().sum::<usize>(), devices);
        if devices >= targets.len() {
            prop_assert!(sizes.iter().all(|size| *size >= 1), "{sizes:?}");
        } else {
            for (index, size) in sizes.iter().enumerate() {
                prop_assert_eq!(*size, usize::from(index < devices));
            }
        }
        // The canary is at least its target, rounded up.
        if let (Some(WaveTarget::Percent(first)), true) = (targets.first(), devices >= targets.len()) {
            let at_least = (u64::from(first.hundredths()) * devices as u64).div_ceil(10_000);
            prop_assert!(sizes[0] as u64 >= at_least.min((devices - targets.len() + 1) as u64));
        }
        // The plan keeps the order and takes each device once.
        let ids: Vec<ControllerId> =
            (0..devices).map(|i| ControllerId::new(&format!("dev-{i:05}")).unwrap()).collect();
        let waves = plan_waves(&ids, &WaveSpec::Cumulative(targets)).unwrap();
        let flat: Vec<ControllerId> = waves.into_iter().flatten().collect();
        prop_assert_eq!(flat, ids);
    }

    /// A percentage prints and parses back to itself.
    #[test]
    fn percents_round_trip(threshold in percent()) {
        prop_assert_eq!(threshold.to_string().parse::<Percent>().unwrap(), threshold);
    }
}
