//! The runs the detectors' defaults were tuned on, kept so that the tuning can be repeated:
//! false signals of normal noise over a simulated fleet, and how fast injected steps and
//! drifts are found.
//!
//! ```text
//! cargo run --release -p aftercare-fleet --example detect_tune -- SEED [DEVICES] [DAYS]
//! ```
//!
//! The defaults were tuned on seeds 1, 2 and 3; the false-signal test
//! (`tests/it/detect.rs`) uses a seed that is not among them.

use std::collections::BTreeMap;
use std::time::Instant;

use aftercare_fleet::detect::{MetricRule, MetricState, SecurityRates, SignalKind, SilenceState};
use aftercare_fleet::simulate::{self, Fault, Fleet, FleetConfig, METRICS, Reading};
use jiff::SignedDuration;

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().and_then(|it| it.parse().ok()).unwrap_or(1);
    let devices: u32 = args.next().and_then(|it| it.parse().ok()).unwrap_or(1000);
    let days: u32 = args.next().and_then(|it| it.parse().ok()).unwrap_or(7);
    let mut config = simulate::detector_config();
    // DETECT_METRIC='{"step_h":6}' changes the rule of every metric, to try a setting.
    if let Ok(text) = std::env::var("DETECT_METRIC") {
        let json = format!("{{\"metric\":{text}}}");
        match serde_json::from_str::<aftercare_fleet::detect::DetectorConfig>(&json) {
            Ok(changed) => config.metric = changed.metric,
            Err(error) => {
                eprintln!("DETECT_METRIC: {error}");
                return;
            }
        }
    }
    let rules: Vec<MetricRule> = METRICS
        .iter()
        .map(|spec| config.metric_rule(spec.name))
        .collect();

    // 1. Normal noise.
    let started = Instant::now();
    let fleet_config = FleetConfig {
        devices,
        days,
        seed,
        ..FleetConfig::default()
    };
    let Ok(mut fleet) = Fleet::new(&fleet_config) else {
        return;
    };
    let count = devices as usize;
    let mut states = vec![MetricState::default(); count * METRICS.len()];
    let mut rates = vec![SecurityRates::default(); count];
    let mut silence = vec![SilenceState::default(); count];
    let mut signals: BTreeMap<(SignalKind, String), u32> = BTreeMap::new();
    let mut records = 0u64;
    let mut next_check = fleet_config.start.as_second() + 60;
    let poll = SignedDuration::from_mins(5);
    while let Some(record) = fleet.next_record() {
        records += 1;
        let device = record.device as usize;
        while record.at.as_second() >= next_check {
            let now = jiff::Timestamp::from_second(next_check).unwrap_or(record.at);
            for state in &mut silence {
                if let Some(signal) = state.check(&config.silence, poll, now) {
                    *signals.entry((signal.kind, signal.subject)).or_default() += 1;
                }
            }
            next_check += 60;
        }
        let signal = match record.reading {
            Reading::Heartbeat { .. } => {
                silence[device].heartbeat(record.at);
                None
            }
            Reading::Metric { metric, value } => states[device * METRICS.len() + metric]
                .observe(&rules[metric], METRICS[metric].name, record.at, value)
                .ok()
                .flatten(),
            Reading::Security { kind, count } => {
                rates[device].observe_kind(&config.rate, kind, count, record.at)
            }
        };
        if let Some(signal) = signal {
            println!(
                "false signal: {} {} {}: {}",
                simulate::controller_id(device),
                signal.at,
                signal.kind.label(),
                signal.summary
            );
            *signals.entry((signal.kind, signal.subject)).or_default() += 1;
        }
    }
    let total: u32 = signals.values().sum();
    println!(
        "seed {seed}: {devices} devices × {days} days, {records} records in {:?}: {total} false signals {signals:?}",
        started.elapsed()
    );

    // 2. Steps and drifts, one per device, in every normal metric.
    for (label, sigmas, drift) in [("step 3σ", 3.0, false), ("drift 1σ/day", 1.0, true)] {
        let mut delays: Vec<f64> = Vec::new();
        let mut missed = 0;
        for (metric, spec) in METRICS.iter().enumerate() {
            if matches!(spec.model, simulate::Model::Poisson { .. }) {
                continue;
            }
            let mut fleet_config = FleetConfig {
                devices: 50,
                days: if drift { 6 } else { 3 },
                seed: seed.wrapping_add(1000 + metric as u64),
                metrics: vec![spec.name.to_string()],
                ..FleetConfig::default()
            };
            let start = fleet_config.start;
            for device in 0..50u32 {
                let at = start
                    .saturating_add(SignedDuration::from_secs(
                        if drift { 2 * 86_400 } else { 86_400 } + i64::from(device) * 613,
                    ))
                    .unwrap_or(start);
                fleet_config.faults.push(if drift {
                    Fault::Drift {
                        device,
                        metric: spec.name.into(),
                        from: at,
                        sigmas_per_day: sigmas,
                    }
                } else {
                    Fault::Step {
                        device,
                        metric: spec.name.into(),
                        at,
                        sigmas,
                    }
                });
            }
            let faults: Vec<_> = fleet_config.faults.clone();
            let Ok(mut fleet) = Fleet::new(&fleet_config) else {
                return;
            };
            let mut states = vec![MetricState::default(); 50];
            let mut found = vec![None; 50];
            while let Some(record) = fleet.next_record() {
                if let Reading::Metric { metric, value } = record.reading {
                    let device = record.device as usize;
                    if let Ok(Some(signal)) =
                        states[device].observe(&rules[metric], spec.name, record.at, value)
                    {
                        let from = match &faults[device] {
                            Fault::Step { at, .. } => *at,
                            Fault::Drift { from, .. } => *from,
                            _ => continue,
                        };
                        if signal.at >= from && found[device].is_none() {
                            found[device] = Some(signal.at.duration_since(from));
                        } else if signal.at < from {
                            println!("  {label} {}: early {}", spec.name, signal.summary);
                        }
                    }
                }
            }
            let within: usize = found
                .iter()
                .flatten()
                .filter(|delay| delay.as_secs() <= 1800)
                .count();
            if !drift {
                println!("  {label} {}: {within} of 50 within 30 min", spec.name);
            }
            for delay in found {
                match delay {
                    Some(delay) => delays.push(delay.as_secs_f64() / 60.0),
                    None => missed += 1,
                }
            }
        }
        delays.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            delays
                .get(((delays.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        let within = |minutes: f64| delays.iter().filter(|d| **d <= minutes).count();
        println!(
            "{label}: {} found, {missed} missed; minutes median {:.0}, p90 {:.0}, max {:.0}; within 30 min {}, within 3 days {}",
            delays.len(),
            quantile(0.5),
            quantile(0.9),
            quantile(1.0),
            within(30.0),
            within(3.0 * 1440.0)
        );
    }
}
