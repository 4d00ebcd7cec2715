//! The detectors on simulated data, as issue 15 asks: a 3 σ step found within 30 minutes, a
//! 1 σ/day drift within 3 days, 20 auth failures in 5 minutes at once, silence within 3 poll
//! intervals, and at most one false signal per 1,000 device-days of normal noise.

use aftercare_fleet::detect::{
    DetectorConfig, Direction, MetricRule, MetricState, RateRule, RateState, SecurityRates, Signal,
    SignalKind, SilenceRule, SilenceState, silence,
};
use aftercare_fleet::simulate::{self, Fault, FaultKind, Fleet, FleetConfig, METRICS, Reading};
use aftercare_fleet::telemetry::SecurityKind;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

/// The seed of every test here. The detectors' defaults were tuned on seeds 1, 2 and 3
/// (`examples/detect_tune.rs`); this one was not used for tuning.
const SEED: u64 = 20_261_207;

const POLL: SignedDuration = SignedDuration::from_mins(5);

fn rules(config: &DetectorConfig) -> Vec<MetricRule> {
    METRICS
        .iter()
        .map(|spec| config.metric_rule(spec.name))
        .collect()
}

/// Feeds a fleet's metric samples to one state per (device, metric); returns every signal
/// with its device.
fn metric_signals(fleet: &mut Fleet, config: &DetectorConfig) -> Vec<(usize, Signal)> {
    let rules = rules(config);
    let mut states = vec![MetricState::default(); fleet.devices() * METRICS.len()];
    let mut signals = Vec::new();
    while let Some(record) = fleet.next_record() {
        if let Reading::Metric { metric, value } = record.reading {
            let device = record.device as usize;
            let state = &mut states[device * METRICS.len() + metric];
            if let Some(signal) = state
                .observe(&rules[metric], METRICS[metric].name, record.at, value)
                .unwrap()
            {
                signals.push((device, signal));
            }
        }
    }
    signals
}

fn fleet_with(devices: u32, days: u32, metrics: &[&str], faults: Vec<Fault>) -> FleetConfig {
    FleetConfig {
        devices,
        days,
        seed: SEED,
        metrics: metrics.iter().map(|name| name.to_string()).collect(),
        faults,
        ..FleetConfig::default()
    }
}

fn after(start: Timestamp, seconds: i64) -> Timestamp {
    start + SignedDuration::from_secs(seconds)
}

#[test]
fn the_preset_3_sigma_step_is_found_within_30_minutes() {
    let mut config = fleet_with(4, 3, &["battery.temp"], Vec::new());
    config.add_fault(FaultKind::Step);
    let Fault::Step { at, .. } = config.faults[0].clone() else {
        panic!("the preset is a step");
    };
    let signals = metric_signals(
        &mut Fleet::new(&config).unwrap(),
        &simulate::detector_config(),
    );
    let (device, signal) = signals.first().expect("the step is found");
    assert_eq!(*device, 0, "{signals:?}");
    assert_eq!(signal.kind, SignalKind::Step);
    assert_eq!(signal.subject, "battery.temp");
    assert_eq!(signal.direction, Some(Direction::Up));
    assert!(signal.at >= at, "not before the step: {signal:?}");
    let delay = signal.at.duration_since(at);
    assert!(
        delay <= SignedDuration::from_mins(30),
        "found after {delay:#}"
    );
    // The evidence: the baseline before the change and the samples that made it.
    let baseline = signal.baseline.unwrap();
    assert!(baseline.n >= 36 && baseline.scale > 0.3 && baseline.scale < 0.6);
    assert!(signal.score >= signal.threshold);
    assert!(!signal.recent.is_empty());
    assert_eq!(signals.len(), 1, "one change, one signal: {signals:?}");
}

/// Over 100 devices, each with a 3 σ step in `mem.used_mb` at its own time: at the 5-minute
/// cadence 30 minutes are six samples, and no detector at this false-alarm rate finds every
/// 3 σ step in six (see `detect`'s documentation): at least 75 % are found within 30
/// minutes, every one within 2 hours, and nothing is signalled before its step.
#[test]
fn most_3_sigma_steps_are_found_within_30_minutes_and_all_within_2_hours() {
    let devices = 100u32;
    let start = FleetConfig::default().start;
    let faults: Vec<Fault> = (0..devices)
        .map(|device| Fault::Step {
            device,
            metric: "mem.used_mb".into(),
            at: after(start, 86_400 + i64::from(device) * 401),
            sigmas: 3.0,
        })
        .collect();
    let config = fleet_with(devices, 2, &["mem.used_mb"], faults.clone());
    let signals = metric_signals(
        &mut Fleet::new(&config).unwrap(),
        &simulate::detector_config(),
    );
    let mut within_30 = 0;
    for (device, fault) in faults.iter().enumerate() {
        let Fault::Step { at, .. } = fault else {
            unreachable!()
        };
        let mine: Vec<&Signal> = signals
            .iter()
            .filter(|(who, _)| *who == device)
            .map(|(_, signal)| signal)
            .collect();
        let first = mine
            .first()
            .unwrap_or_else(|| panic!("device {device}: missed"));
        assert!(
            first.at >= *at,
            "device {device}: signalled early {first:?}"
        );
        assert_eq!(first.direction, Some(Direction::Up));
        let delay = first.at.duration_since(*at);
        assert!(
            delay <= SignedDuration::from_hours(2),
            "device {device}: {delay:#}"
        );
        if delay <= SignedDuration::from_mins(30) {
            within_30 += 1;
        }
    }
    eprintln!("{within_30} of {devices} steps found within 30 minutes");
    assert!(within_30 >= 75, "{within_30} of {devices}");
}

#[test]
fn a_1_sigma_a_day_drift_is_found_within_3_days() {
    let devices = 40u32;
    let start = FleetConfig::default().start;
    let faults: Vec<Fault> = (0..devices)
        .map(|device| Fault::Drift {
            device,
            metric: "mem.used_mb".into(),
            from: after(start, 30 * 3600 + i64::from(device) * 600),
            sigmas_per_day: 1.0,
        })
        .collect();
    let config = fleet_with(devices, 4, &["mem.used_mb", "battery.temp"], faults.clone());
    let signals = metric_signals(
        &mut Fleet::new(&config).unwrap(),
        &simulate::detector_config(),
    );
    for (device, fault) in faults.iter().enumerate() {
        let Fault::Drift { from, .. } = fault else {
            unreachable!()
        };
        let mine: Vec<&Signal> = signals
            .iter()
            .filter(|(who, _)| *who == device)
            .map(|(_, signal)| signal)
            .collect();
        // The drifting metric only, and a drift rather than a step.
        assert_eq!(mine.len(), 1, "device {device}: {mine:?}");
        let signal = mine[0];
        assert_eq!(
            (signal.kind, signal.subject.as_str(), signal.direction),
            (SignalKind::Drift, "mem.used_mb", Some(Direction::Up))
        );
        let delay = signal.at.duration_since(*from);
        assert!(delay > SignedDuration::ZERO);
        assert!(
            delay <= SignedDuration::from_hours(72),
            "device {device}: {delay:#}"
        );
        let baseline = signal.baseline.unwrap();
        assert!(baseline.current.unwrap() > baseline.level + baseline.scale);
    }
}

#[test]
fn twenty_auth_failures_in_five_minutes_signal_on_the_twentieth() {
    let mut config = fleet_with(4, 2, &[], Vec::new());
    config.benign = false;
    config.add_fault(FaultKind::AuthBurst);
    let Fault::AuthBurst { device, at, .. } = config.faults[0].clone() else {
        panic!("the preset is an auth burst");
    };
    let detectors = DetectorConfig::default();
    let mut fleet = Fleet::new(&config).unwrap();
    let mut rates = vec![SecurityRates::default(); fleet.devices()];
    let mut seen = 0;
    let mut signals = Vec::new();
    while let Some(record) = fleet.next_record() {
        if let Reading::Security { kind, count } = record.reading {
            seen += count;
            if let Some(signal) =
                rates[record.device as usize].observe_kind(&detectors.rate, kind, count, record.at)
            {
                signals.push((record.device, seen, signal));
            }
        }
    }
    assert_eq!(seen, 25);
    assert_eq!(signals.len(), 1, "one burst, one signal");
    let (who, seen_then, signal) = &signals[0];
    assert_eq!(*who, device);
    assert_eq!(*seen_then, 20, "on the 20th failure, not later");
    assert_eq!(signal.kind, SignalKind::Rate);
    assert_eq!(signal.subject, "auth_failure");
    assert_eq!((signal.score, signal.threshold), (20.0, 20.0));
    assert!(signal.at.duration_since(at) < SignedDuration::from_mins(5));
    assert_eq!(signal.window, Some(SignedDuration::from_mins(5)));
    assert_eq!(signal.recent.len(), 20);
}

#[test]
fn the_rate_window_slides_and_rearms() {
    let rule = RateRule {
        threshold: 20,
        window: SignedDuration::from_mins(5),
    };
    let start: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
    let mut state = RateState::default();
    // 19 in the first 19 seconds, then one at 400 s: the first ones have left the window.
    for second in 0..19 {
        assert!(
            state
                .observe(&rule, SecurityKind::AuthFailure, after(start, second), 1)
                .is_none()
        );
    }
    assert!(
        state
            .observe(&rule, SecurityKind::AuthFailure, after(start, 400), 1)
            .is_none()
    );
    assert_eq!(state.count(), 1);
    // Exactly the window's length later is outside it (the window is the last 300 s).
    // A line with a count of 19 brings it to 20 at once.
    let signal = state
        .observe(&rule, SecurityKind::AuthFailure, after(start, 401), 19)
        .unwrap();
    assert_eq!(signal.score, 20.0);
    // More in the same burst: no second signal; after the window, a new burst signals.
    assert!(
        state
            .observe(&rule, SecurityKind::AuthFailure, after(start, 402), 5)
            .is_none()
    );
    assert!(
        state
            .observe(&rule, SecurityKind::AuthFailure, after(start, 1100), 1)
            .is_none()
    );
    assert!(
        state
            .observe(&rule, SecurityKind::AuthFailure, after(start, 1101), 19)
            .is_some()
    );
    // An integrity failure signals at the first one by default.
    let mut rates = SecurityRates::default();
    let rules = DetectorConfig::default().rate;
    assert!(
        rates
            .observe_kind(&rules, SecurityKind::IntegrityFailure, 1, start)
            .is_some()
    );
}

#[test]
fn a_silent_device_is_found_within_3_poll_intervals() {
    let mut config = fleet_with(10, 2, &[], Vec::new());
    config.add_fault(FaultKind::Silence);
    let Fault::Silence { device, from } = config.faults[0].clone() else {
        panic!("the preset is a silence");
    };
    let rule = DetectorConfig::default().silence;
    let mut fleet = Fleet::new(&config).unwrap();
    let mut states = vec![SilenceState::default(); fleet.devices()];
    let tick = SignedDuration::from_mins(1);
    let mut now = config.start + tick;
    let end = config.start + config.duration();
    let mut signals = Vec::new();
    let mut check = |states: &mut Vec<SilenceState>, now: Timestamp| {
        for (who, state) in states.iter_mut().enumerate() {
            if let Some(signal) = state.check(&rule, POLL, now) {
                signals.push((who, signal));
            }
        }
    };
    while let Some(record) = fleet.next_record() {
        while record.at >= now {
            check(&mut states, now);
            now += tick;
        }
        if let Reading::Heartbeat { .. } = record.reading {
            states[record.device as usize].heartbeat(record.at);
        }
    }
    while now < end {
        check(&mut states, now);
        now += tick;
    }
    assert_eq!(signals.len(), 1, "{signals:?}");
    let (who, signal) = &signals[0];
    assert_eq!(*who, device as usize);
    assert_eq!(signal.kind, SignalKind::Silence);
    let last = states[*who].last_heartbeat().unwrap();
    assert!(last < from);
    // Found at the first check after 3 poll intervals without a heartbeat.
    assert!(signal.at.duration_since(last) > POLL * 3);
    assert!(signal.at.duration_since(last) <= POLL * 3 + tick);
    assert!(signal.at.duration_since(from) <= POLL * 3 + tick);
}

#[test]
fn silence_is_more_than_the_missed_polls() {
    let rule = SilenceRule::default();
    let last: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
    assert!(silence(&rule, last, POLL, last + POLL * 3).is_none());
    let signal = silence(
        &rule,
        last,
        POLL,
        last + POLL * 3 + SignedDuration::from_secs(1),
    )
    .unwrap();
    assert_eq!(signal.threshold, 3.0);
    assert!(signal.score > 3.0);
    // Once per silence, re-armed by a heartbeat; a device never seen is not silent.
    let mut state = SilenceState::default();
    assert!(state.check(&rule, POLL, last).is_none());
    state.heartbeat(last);
    assert!(state.check(&rule, POLL, last + POLL * 4).is_some());
    assert!(state.check(&rule, POLL, last + POLL * 5).is_none());
    state.heartbeat(last + POLL * 6);
    assert!(state.check(&rule, POLL, last + POLL * 10).is_some());
}

/// Normal noise over 1,000 devices × 7 days, every metric at the 5-minute cadence (about
/// 18 million samples), every detector: at most 1 false signal per 1,000 device-days, that
/// is at most 7. The defaults were tuned on seeds 1, 2 and 3 (0 to 2 false signals each,
/// `examples/detect_tune.rs`); this test runs seed 20261207, which was not used for
/// tuning.
#[test]
fn normal_noise_raises_at_most_one_false_signal_per_1000_device_days() {
    let config = FleetConfig {
        devices: 1000,
        days: 7,
        seed: SEED,
        ..FleetConfig::default()
    };
    let detectors = simulate::detector_config();
    let rules = rules(&detectors);
    let mut fleet = Fleet::new(&config).unwrap();
    let devices = fleet.devices();
    let mut states = vec![MetricState::default(); devices * METRICS.len()];
    let mut rates = vec![SecurityRates::default(); devices];
    let mut silent = vec![SilenceState::default(); devices];
    let mut signals: Vec<(usize, Signal)> = Vec::new();
    let tick = SignedDuration::from_mins(1);
    let mut now = config.start + tick;
    let mut samples = 0u64;
    while let Some(record) = fleet.next_record() {
        while record.at >= now {
            for (device, state) in silent.iter_mut().enumerate() {
                if let Some(signal) = state.check(&detectors.silence, POLL, now) {
                    signals.push((device, signal));
                }
            }
            now += tick;
        }
        let device = record.device as usize;
        let signal = match record.reading {
            Reading::Heartbeat { .. } => {
                silent[device].heartbeat(record.at);
                None
            }
            Reading::Metric { metric, value } => {
                samples += 1;
                states[device * METRICS.len() + metric]
                    .observe(&rules[metric], METRICS[metric].name, record.at, value)
                    .unwrap()
            }
            Reading::Security { kind, count } => {
                rates[device].observe_kind(&detectors.rate, kind, count, record.at)
            }
        };
        if let Some(signal) = signal {
            signals.push((device, signal));
        }
    }
    for (device, signal) in &signals {
        eprintln!(
            "false signal on {}: {}",
            simulate::controller_id(*device),
            signal.summary
        );
    }
    eprintln!(
        "{} false signals over {samples} samples of 7000 device-days",
        signals.len()
    );
    assert!(samples > 17_000_000, "{samples}");
    assert!(signals.len() <= 7, "{} false signals", signals.len());
}

#[test]
fn the_config_reads_from_the_policy_section_with_defaults() {
    let config: DetectorConfig = serde_json::from_str(
        r#"{
            "metric": {"cadence": "1m", "step_h": 7},
            "metrics": {"pump.occlusion_alarms": {"min_scale": 1, "enabled": false}},
            "rate": {"auth_failure": {"threshold": 50, "window": "10m"}},
            "silence": {"missed_polls": 4}
        }"#,
    )
    .unwrap();
    config.validate().unwrap();
    assert_eq!(config.metric.cadence, SignedDuration::from_mins(1));
    assert_eq!(config.metric.step_k, 1.5);
    let occlusion = config.metric_rule("pump.occlusion_alarms");
    assert_eq!((occlusion.min_scale, occlusion.enabled), (1.0, false));
    assert_eq!(occlusion.step_h, 7.0);
    assert_eq!(config.rate.auth_failure.threshold, 50);
    assert_eq!(
        config.rate.tamper.threshold, 1,
        "a kind left out keeps its default"
    );
    assert_eq!(config.silence.missed_polls, 4);
    // A count metric gets a σ of at least one count unless it says otherwise.
    assert_eq!(
        config.metric_rule_for("app.error_count", "count").min_scale,
        1.0
    );
    assert_eq!(
        config.metric_rule_for("app.error_count", "ms").min_scale,
        0.0
    );
    assert_eq!(
        config
            .metric_rule_for("pump.occlusion_alarms", "count")
            .min_scale,
        1.0
    );
    assert_eq!(
        serde_json::from_str::<DetectorConfig>("{}").unwrap(),
        DetectorConfig::default()
    );
    assert!(serde_json::from_str::<DetectorConfig>(r#"{"metric":{"stepk":1}}"#).is_err());
    let bad: DetectorConfig =
        serde_json::from_str(r#"{"metrics":{"cpu.load":{"step_h":-1}}}"#).unwrap();
    let error = bad.validate().unwrap_err().to_string();
    assert!(error.contains("step_h"), "{error}");
}

#[test]
fn a_disabled_metric_and_a_refused_sample_change_nothing() {
    let at: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
    let rule = MetricRule::default();
    let mut state = MetricState::default();
    assert!(state.observe(&rule, "x", at, f64::NAN).is_err());
    assert!(state.observe(&rule, "x", at, 1e300).is_err());
    assert_eq!(state, MetricState::default());
    let disabled = MetricRule {
        enabled: false,
        ..MetricRule::default()
    };
    assert_eq!(state.observe(&disabled, "x", at, 1.0).unwrap(), None);
    assert_eq!(state, MetricState::default());
}

#[test]
fn a_signal_is_stored_as_json() {
    let at: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
    let mut state = MetricState::default();
    let rule = MetricRule::default();
    let mut signal = None;
    for minute in 0..200i64 {
        let value = if minute < 100 {
            10.0 + (minute % 3) as f64
        } else {
            40.0
        };
        if let Some(found) = state
            .observe(&rule, "cpu.temp", at + POLL * minute as i32, value)
            .unwrap()
        {
            signal = Some(found);
            break;
        }
    }
    let json = serde_json::to_value(signal.unwrap()).unwrap();
    assert_eq!(json["kind"], "step");
    assert_eq!(json["subject"], "cpu.temp");
    assert_eq!(json["direction"], "up");
    assert!(json["baseline"]["level"].as_f64().unwrap() < 12.0);
    assert!(json["recent"].as_array().unwrap().len() <= 8);
    // And the state persists and reads back.
    let saved = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<MetricState>(&saved).unwrap(), state);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever finite values arrive, in whatever order of times, the detector neither
    /// panics nor produces a number that is not finite, and its state stays finite.
    #[test]
    fn the_metric_detector_stays_finite(
        values in prop::collection::vec(
            prop_oneof![
                -1e15f64..1e15,
                -10.0f64..10.0,
                Just(0.0),
                prop::num::f64::ANY,
            ],
            1..400,
        ),
        seconds in prop::collection::vec(-1_000_000i64..1_000_000, 1..400),
        log in any::<bool>(),
        min_scale in prop_oneof![Just(0.0), 0.0f64..10.0],
    ) {
        let rule = MetricRule { log, min_scale, min_samples: 5, ..MetricRule::default() };
        let base: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let mut state = MetricState::default();
        for (index, value) in values.iter().enumerate() {
            let at = base + SignedDuration::from_secs(seconds[index % seconds.len()]);
            match state.observe(&rule, "m", at, *value) {
                Ok(Some(signal)) => {
                    prop_assert!(signal.score.is_finite() && signal.threshold.is_finite());
                    let baseline = signal.baseline.unwrap();
                    prop_assert!(baseline.level.is_finite() && baseline.scale.is_finite());
                    prop_assert!(signal.recent.iter().all(|point| point.value.is_finite()));
                    prop_assert!(serde_json::to_string(&signal).is_ok());
                }
                Ok(None) => {}
                Err(_) => prop_assert!(!value.is_finite() || value.abs() > 1e15),
            }
            let (level, scale, _) = state.baseline();
            let (step, drift) = state.cusums();
            prop_assert!(level.is_finite() && scale.is_finite() && scale >= 0.0);
            prop_assert!(state.reference().is_finite());
            prop_assert!(step.iter().chain(drift.iter()).all(|c| c.is_finite() && *c >= 0.0));
        }
    }

    /// A persisted state that was tampered with does not make the detector panic.
    #[test]
    fn an_edited_state_is_survived(
        numbers in prop::collection::vec(-1e300f64..1e300, 12),
        head in any::<u8>(),
        len in any::<u8>(),
        value in -1e6f64..1e6,
    ) {
        let json = serde_json::json!({
            "n": 1000, "level": numbers[0], "scale": numbers[1], "step_up": numbers[2],
            "step_down": numbers[3], "run_up": 3, "run_down": 0, "reference": numbers[4],
            "drift_up": numbers[5], "drift_down": numbers[6],
            "recent_value": [numbers[7], numbers[8], numbers[9], numbers[10], numbers[11], 0, 0, 0],
            "recent_at": [0, 0, 0, 0, 0, 0, 0, 0], "head": head, "len": len, "relearn": 0
        });
        let mut state: MetricState = serde_json::from_value(json).unwrap();
        let at: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let signal = state.observe(&MetricRule::default(), "m", at, value).unwrap();
        if let Some(signal) = signal {
            prop_assert!(signal.score.is_finite());
        }
        prop_assert!(state.baseline().0.is_finite());
    }

    /// Rate windows take any counts and times.
    #[test]
    fn the_rate_detector_takes_anything(
        events in prop::collection::vec((-100_000i64..100_000, 1u32..10_000), 1..300),
        threshold in 1u32..100,
        window in 1i64..10_000,
    ) {
        let rule = RateRule { threshold, window: SignedDuration::from_secs(window) };
        let base: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let mut state = RateState::default();
        for (second, count) in events {
            if let Some(signal) = state.observe(&rule, SecurityKind::Tamper, base + SignedDuration::from_secs(second), count) {
                prop_assert!(signal.score >= f64::from(threshold));
            }
            prop_assert!(state.count() >= 1);
        }
    }
}
