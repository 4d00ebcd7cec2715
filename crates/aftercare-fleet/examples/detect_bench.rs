//! One evaluation tick of every detector for 100,000 devices × 10 metrics (issue 15: under
//! 1 s on the 2-core machine): one new sample for each of the 1,000,000 warm metric series
//! (baseline, step and drift), one security event for each device's rate window, and the
//! silence check of every device. Single-threaded.
//!
//! ```text
//! cargo run --release -p aftercare-fleet --example detect_bench [-- DEVICES]
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use aftercare_fleet::detect::{MetricRule, MetricState, SecurityRates, SilenceState};
use aftercare_fleet::simulate::{self, METRICS};
use aftercare_fleet::telemetry::SecurityKind;
use jiff::{SignedDuration, Timestamp};

const SERIES_PER_DEVICE: usize = 10;
const TICKS: usize = 5;

/// A small xorshift64* and Box–Muller, for the noise of the bench only.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        radius * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

fn main() {
    let devices: usize = std::env::args()
        .nth(1)
        .and_then(|it| it.parse().ok())
        .unwrap_or(100_000);
    let config = simulate::detector_config();
    // Ten series per device: the nine simulated metrics and a tenth with the default rule.
    let mut names: Vec<&str> = METRICS.iter().map(|spec| spec.name).collect();
    names.push("app.queue_depth");
    let rules: Vec<MetricRule> = names.iter().map(|name| config.metric_rule(name)).collect();
    let start: Timestamp = "2026-12-01T00:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let cadence = SignedDuration::from_mins(5);
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);

    // Warm states: 64 templates per series, each fed two days of samples (past the drift
    // warm-up), copied over the fleet.
    let warmup = 2 * 288;
    let templates: Vec<Vec<MetricState>> = rules
        .iter()
        .zip(&names)
        .map(|(rule, name)| {
            (0..64)
                .map(|_| {
                    let mut state = MetricState::default();
                    for sample in 0..warmup {
                        let at = start + cadence * sample;
                        let _ = state.observe(rule, name, at, 100.0 + noise.normal());
                    }
                    state
                })
                .collect()
        })
        .collect();
    let mut states: Vec<MetricState> = (0..devices * SERIES_PER_DEVICE)
        .map(|index| templates[index % SERIES_PER_DEVICE][(index / SERIES_PER_DEVICE) % 64].clone())
        .collect();
    let mut rates = vec![SecurityRates::default(); devices];
    let mut silence = vec![SilenceState::default(); devices];
    for state in &mut silence {
        state.heartbeat(start + cadence * (warmup - 1));
    }
    // Fresh noise every tick: each series takes another value of the table.
    let values: Vec<f64> = (0..states.len()).map(|_| 100.0 + noise.normal()).collect();
    println!(
        "{devices} devices × {SERIES_PER_DEVICE} series: MetricState {} bytes ({} MB in all), warm",
        std::mem::size_of::<MetricState>(),
        std::mem::size_of::<MetricState>() * states.len() / 1_000_000
    );

    let mut totals = Vec::new();
    for tick in 0..TICKS {
        // `tick` is at most TICKS.
        let now = start + cadence * (warmup + tick as i32);
        let began = Instant::now();
        let mut signals = 0usize;
        for (index, state) in states.iter_mut().enumerate() {
            let series = index % SERIES_PER_DEVICE;
            if let Ok(Some(signal)) = state.observe(
                &rules[series],
                names[series],
                now,
                values[(index + tick * 7919) % values.len()],
            ) {
                signals += 1;
                black_box(signal);
            }
        }
        let metrics = began.elapsed();
        let began = Instant::now();
        for rate in &mut rates {
            if rate
                .observe_kind(&config.rate, SecurityKind::AuthFailure, 1, now)
                .is_some()
            {
                signals += 1;
            }
        }
        let rate = began.elapsed();
        let began = Instant::now();
        for state in &mut silence {
            if state.check(&config.silence, cadence, now).is_some() {
                signals += 1;
            }
            state.heartbeat(now);
        }
        let silent = began.elapsed();
        let total = metrics + rate + silent;
        println!(
            "tick {tick}: {total:?} in all — metric series {metrics:?}, rate {rate:?}, silence {silent:?}; {signals} signals"
        );
        totals.push(total);
    }
    totals.sort();
    let median = totals.get(TICKS / 2).copied().unwrap_or(Duration::ZERO);
    println!(
        "one tick of every detector for {devices} devices × {SERIES_PER_DEVICE} metrics: median {median:?} (target < 1 s)"
    );
}
