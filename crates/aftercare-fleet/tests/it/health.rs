//! The rollout health gate: a patched wave with 3× the error metric is a breach, an equal
//! one passes, too few devices or too short a soak is not enough data — on hand-made
//! cohorts and on the simulator's bad patch.

use aftercare_fleet::health::{
    Cohort, Criteria, DeviceAggregate, HealthRule, Shortfall, Verdict, Worse, evaluate, worst,
};
use aftercare_fleet::simulate::{FaultKind, Fleet, FleetConfig, Reading, metric_index};
use jiff::{SignedDuration, Timestamp};

const SOAK: SignedDuration = SignedDuration::from_hours(24);

fn cohort(means: &[f64], samples: u64) -> Vec<DeviceAggregate> {
    means
        .iter()
        .map(|mean| DeviceAggregate {
            mean: *mean,
            samples,
        })
        .collect()
}

/// Error counts per 5 minutes of a healthy fleet: 0.2 to 0.8, one device per value.
fn healthy(devices: usize, factor: f64) -> Vec<DeviceAggregate> {
    let means: Vec<f64> = (0..devices)
        .map(|device| factor * (0.2 + 0.6 * device as f64 / devices as f64))
        .collect();
    cohort(&means, 288)
}

#[test]
fn a_wave_with_three_times_the_errors_is_a_breach() {
    let rule = HealthRule::new("app.error_count");
    let verdict = evaluate(&rule, &healthy(20, 3.0), &healthy(80, 1.0), SOAK);
    let Verdict::Breach { evidence } = &verdict else {
        panic!("{verdict:?}");
    };
    assert!(evidence.ratio.unwrap() > 2.5);
    assert!(evidence.z > 3.0);
    assert!(evidence.ratio_tripped && evidence.z_tripped);
    assert_eq!(evidence.patched.devices, 20);
    assert!(evidence.summary.contains("breach"));
    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(json["verdict"], "breach");
}

#[test]
fn an_equal_wave_passes_and_one_broken_device_does_not_decide() {
    let rule = HealthRule::new("app.error_count");
    assert!(matches!(
        evaluate(&rule, &healthy(20, 1.0), &healthy(80, 1.0), SOAK),
        Verdict::Pass { .. }
    ));
    let mut patched = healthy(20, 1.0);
    patched[0].mean = 50.0;
    assert!(matches!(
        evaluate(&rule, &patched, &healthy(80, 1.0), SOAK),
        Verdict::Pass { .. }
    ));
    // 1.5 × is not 2 ×: a pass under the ratio, though significant.
    let verdict = evaluate(&rule, &healthy(40, 1.5), &healthy(80, 1.0), SOAK);
    let Verdict::Pass { evidence } = verdict else {
        panic!("{verdict:?}");
    };
    assert!(!evidence.ratio_tripped);
}

#[test]
fn too_few_devices_samples_or_soak_is_not_enough_data() {
    let rule = HealthRule::new("app.error_count");
    let verdict = evaluate(&rule, &healthy(3, 3.0), &healthy(80, 1.0), SOAK);
    assert!(
        matches!(
            verdict,
            Verdict::NotEnoughData {
                shortfall: Shortfall::Cohort {
                    cohort: Cohort::Patched,
                    devices: 3,
                    min_devices: 5,
                    ..
                }
            }
        ),
        "{verdict:?}"
    );
    // Devices with fewer samples than the rule asks are left out.
    let thin = cohort(&[1.0; 20], 5);
    assert!(matches!(
        evaluate(&rule, &thin, &healthy(80, 1.0), SOAK),
        Verdict::NotEnoughData { .. }
    ));
    assert!(matches!(
        evaluate(
            &rule,
            &healthy(20, 3.0),
            &healthy(80, 1.0),
            SignedDuration::from_hours(2)
        ),
        Verdict::NotEnoughData {
            shortfall: Shortfall::Soak { .. }
        }
    ));
}

#[test]
fn lower_is_worse_and_the_criteria_choose() {
    let mut rule = HealthRule::new("battery.voltage_v");
    rule.worse = Worse::Lower;
    rule.max_ratio = 1.05;
    let low = cohort(&[3.5, 3.51, 3.49, 3.5, 3.52, 3.48], 100);
    let normal = cohort(&[3.95, 3.96, 3.94, 3.95, 3.97, 3.93, 3.95], 100);
    assert!(evaluate(&rule, &low, &normal, SOAK).is_breach());
    assert!(!evaluate(&rule, &normal, &low, SOAK).is_breach());
    // A z alone flags a small but certain difference; both criteria do not.
    let mut rule = HealthRule::new("app.error_count");
    rule.criteria = Criteria::Z;
    assert!(evaluate(&rule, &healthy(400, 1.2), &healthy(400, 1.0), SOAK).is_breach());
    rule.criteria = Criteria::Both;
    assert!(!evaluate(&rule, &healthy(400, 1.2), &healthy(400, 1.0), SOAK).is_breach());
    // A metric that is mostly zero: the floor keeps the ratio meaningful.
    let mut rule = HealthRule::new("pump.occlusion_alarms");
    rule.floor = 0.05;
    let zeros = cohort(&[0.0; 10], 288);
    let few = cohort(&[0.0, 0.01, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.01, 0.0], 288);
    assert!(!evaluate(&rule, &few, &zeros, SOAK).is_breach());
    rule.validate().unwrap();
    rule.max_ratio = 0.5;
    assert!(rule.validate().is_err());
}

#[test]
fn the_worst_verdict_decides() {
    let rule = HealthRule::new("app.error_count");
    let pass = evaluate(&rule, &healthy(20, 1.0), &healthy(80, 1.0), SOAK);
    let breach = evaluate(&rule, &healthy(20, 3.0), &healthy(80, 1.0), SOAK);
    let early = evaluate(&rule, &healthy(2, 1.0), &healthy(80, 1.0), SOAK);
    assert_eq!(worst([&pass, &early]), Some(&early));
    assert_eq!(worst([&pass, &breach, &early]), Some(&breach));
    assert_eq!(worst([&pass]), Some(&pass));
    assert_eq!(worst(std::iter::empty()), None);
}

/// The simulator's bad patch: 20 % of 200 devices move to 2.2.1 a third of the way into a
/// 3-day run and log 3× the errors; over the next 24 hours the gate breaches. Without the
/// fault, the same patch passes.
#[test]
fn the_simulated_bad_patch_breaches_the_gate_and_a_good_one_passes() {
    for bad in [true, false] {
        let mut config = FleetConfig {
            devices: 200,
            days: 3,
            seed: 20_261_207,
            metrics: vec!["app.error_count".into()],
            ..FleetConfig::default()
        };
        config.add_fault(FaultKind::BadPatch);
        let patch = config.patch.clone().unwrap();
        if !bad {
            config.faults.clear();
        }
        let soak_end: Timestamp = patch.at + SOAK;
        let mut fleet = Fleet::new(&config).unwrap();
        let errors = metric_index("app.error_count").unwrap();
        let mut sums = vec![(0.0f64, 0u64); fleet.devices()];
        while let Some(record) = fleet.next_record() {
            if record.at < patch.at || record.at >= soak_end {
                continue;
            }
            if let Reading::Metric { metric, value } = record.reading
                && metric == errors
            {
                let sum = &mut sums[record.device as usize];
                sum.0 += value;
                sum.1 += 1;
            }
        }
        let (mut patched, mut unpatched) = (Vec::new(), Vec::new());
        for (device, (sum, samples)) in sums.iter().enumerate() {
            let aggregate = DeviceAggregate {
                mean: sum / (*samples).max(1) as f64,
                samples: *samples,
            };
            if fleet.is_patched(device) {
                patched.push(aggregate);
            } else {
                unpatched.push(aggregate);
            }
        }
        assert!(patched.len() > 20 && unpatched.len() > 120);
        let verdict = evaluate(
            &HealthRule::new("app.error_count"),
            &patched,
            &unpatched,
            SOAK,
        );
        assert_eq!(verdict.is_breach(), bad, "{verdict:?}");
    }
}

#[test]
fn a_rule_reads_from_the_policy_with_defaults() {
    let rule: HealthRule =
        serde_json::from_str(r#"{"metric":"app.error_count","soak":"12h","max_ratio":1.5}"#)
            .unwrap();
    rule.validate().unwrap();
    assert_eq!(rule.soak, SignedDuration::from_hours(12));
    assert_eq!((rule.max_ratio, rule.max_z), (1.5, 3.0));
    assert_eq!((rule.worse, rule.criteria), (Worse::Higher, Criteria::Both));
    assert_eq!(rule.min_devices, 5);
    assert!(serde_json::from_str::<HealthRule>(r#"{"metric":"x","ratio":2}"#).is_err());
}

proptest::proptest! {
    /// Any aggregates, any rule: no panic, and the evidence's numbers are finite.
    #[test]
    fn the_gate_takes_anything(
        patched in proptest::collection::vec(
            (proptest::num::f64::ANY, 0u64..1000), 0..40),
        unpatched in proptest::collection::vec(
            (proptest::prop_oneof![-1e300f64..1e300, -10.0f64..10.0], 0u64..1000), 0..40),
        max_ratio in 1.01f64..10.0,
        max_z in 0.1f64..10.0,
        floor in 0.0f64..1.0,
        min_devices in 0u32..10,
    ) {
        let mut rule = HealthRule::new("m");
        rule.max_ratio = max_ratio;
        rule.max_z = max_z;
        rule.floor = floor;
        rule.min_devices = min_devices;
        rule.min_cohort_samples = 0;
        let to = |devices: &[(f64, u64)]| -> Vec<DeviceAggregate> {
            devices
                .iter()
                .map(|(mean, samples)| DeviceAggregate { mean: *mean, samples: *samples })
                .collect()
        };
        match evaluate(&rule, &to(&patched), &to(&unpatched), SOAK) {
            Verdict::Pass { evidence } | Verdict::Breach { evidence } => {
                proptest::prop_assert!(evidence.z.is_finite());
                proptest::prop_assert!(evidence.ratio.is_none_or(f64::is_finite));
                proptest::prop_assert!(evidence.patched.median.is_finite());
                proptest::prop_assert!(serde_json::to_string(&evidence).is_ok());
            }
            Verdict::NotEnoughData { .. } => {}
        }
    }
}
