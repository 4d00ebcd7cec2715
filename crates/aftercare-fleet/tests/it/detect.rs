//! The detectors on hand-made series: the rate window, silence, the configuration, the
//! signal's JSON, and properties (never a panic, never a number that is not finite).

use aftercare_fleet::detect::{
    DetectorConfig, MetricRule, MetricState, RateRule, RateState, SecurityRates, SilenceRule,
    SilenceState, silence,
};
use aftercare_fleet::telemetry::SecurityKind;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

const POLL: SignedDuration = SignedDuration::from_mins(5);

fn after(start: Timestamp, seconds: i64) -> Timestamp {
    start + SignedDuration::from_secs(seconds)
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
