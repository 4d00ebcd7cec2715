//! The fleet simulator: a deterministic fleet of infusion pumps that sends heartbeats,
//! metrics and the odd security event, with faults injected on demand — the engine of
//! `aftercare simulate-fleet --devices N --days D --seed S [--fault …]`.
//!
//! **Deterministic from the seed.** Each device draws from its own SplitMix64 stream
//! (`seed`, device index), so the same configuration gives the same stream, event for event.
//!
//! **Time.** Every device sends one batch per interval ([`FleetConfig::interval`], 5 minutes —
//! the cadence the detectors assume): a heartbeat, one sample of each metric, and any benign
//! security event of the interval, all stamped with the batch's server time. Each device has
//! a fixed phase within the interval (drawn from its stream), so the fleet's batches are
//! spread over the interval as real devices' are. With probability 0.2 % a batch is lost (a
//! Wi-Fi drop-out); two in a row are rare, three practically never. An auth burst's
//! failures arrive as separate lines at their own times, between batches.
//!
//! **Output.** [`Fleet`] is an iterator of `(device index, server time, Event)` in time order;
//! [`Fleet::next_record`] gives the same stream as compact [`Record`]s (no allocation), for a
//! caller that feeds detectors directly, and [`Fleet::batches`] groups it as devices send it
//! (one batch per device and server time), for a caller that sends it over HTTP or MQTT. Memory is flat in time: the fleet holds one small
//! state per device and the pending burst lines, never the stream. Controller ids are
//! `sim-000001`… ([`controller_id`]).
//!
//! **The metrics** ([`METRICS`]) — per device, the centre of each metric is drawn once from a
//! fleet-wide distribution (devices differ), then each sample from the device's own
//! distribution around it:
//!
//! Values are rounded to the device's resolution ([`MetricSpec::decimals`]: 0.01 °C, 1 mV,
//! 0.001 load, 0.1 MB, 1 dBm, 0.01 mA, 0.1 ms).
//!
//! | metric | unit | distribution per sample | why |
//! | --- | --- | --- | --- |
//! | `battery.temp` | degC | normal, centre N(31, 1.5), σ 0.4, daily cycle ±0.5 σ | a Li-ion pack sits near room temperature plus self-heating; the ward warms in the afternoon; thermal faults show as steps |
//! | `battery.voltage_v` | V | normal, centre N(3.95, 0.05), σ 0.01 | a pack on mains charge holds its voltage; a failing cell steps or sags |
//! | `cpu.load` | ratio | normal in [0, 1], centre N(0.25, 0.05), σ 0.04, daily cycle ±0.5 σ | more programming and alarms in the day shift; a runaway task is a step |
//! | `mem.used_mb` | MB | normal, centre N(180, 12), σ 2.5 | stable in a healthy build; a leak is the classic drift |
//! | `wifi.rssi_dbm` | dBm | normal rounded to whole dBm, centre N(−62, 6), σ 2.5 | radios report whole dBm; a moved access point is a step |
//! | `pump.motor_current_ma` | mA | normal, centre N(120, 8), σ 3 | the motor's draw; wear drifts it, an occlusion steps it |
//! | `net.latency_ms` | ms | log-normal, median U(25, 60), σ_log 0.25 | round trips to the server have a long right tail |
//! | `pump.occlusion_alarms` | count | Poisson, mean U(0.005, 0.03) per 5 min (1.4–8.6 a day) | occlusions are rare, independent events |
//! | `app.error_count` | count | Poisson, mean U(0.2, 0.8) per 5 min | logged application errors: frequent, independent, and what a bad patch raises |
//!
//! Counts scale with the interval. Benign security events per device: `auth_failure`
//! 0.3 a day (1–3 at once: a mistyped PIN and its retries), `config_change` 0.05 a day,
//! `unexpected_connection` 0.02 a day; never an integrity failure or a tamper.
//!
//! **Faults** ([`Fault`], presets by [`FaultKind`] in [`FleetConfig::add_fault`]): a step of
//! k σ of the device's own noise in one metric from a time; a drift of k σ a day; an auth
//! burst (n failures spread over a few minutes, one line each); a device that stops sending;
//! a bad patch (devices on the patch release get `factor` × one metric's mean).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use crate::FleetError;
use crate::random::{SplitMix64, mix};
use crate::telemetry::{Event, Heartbeat, Metric, SecurityEvent, SecurityKind};

/// How one metric's samples are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Normal around the device's centre.
    Normal {
        /// Mean of the device centres across the fleet.
        mean: f64,
        /// Standard deviation of the device centres across the fleet.
        spread: f64,
        /// The device's own noise σ.
        sd: f64,
        /// The daily cycle's amplitude, in σ (peak at 14:00 UTC).
        diurnal: f64,
        /// The lowest value sent.
        low: f64,
        /// The highest value sent.
        high: f64,
        /// Whether values are rounded to whole units.
        whole: bool,
    },
    /// Log-normal around the device's median.
    LogNormal {
        /// The lowest device median.
        median_low: f64,
        /// The highest device median.
        median_high: f64,
        /// σ of the logarithm.
        sigma: f64,
    },
    /// Poisson counts per 5 minutes.
    Poisson {
        /// The lowest device mean per 5 minutes.
        rate_low: f64,
        /// The highest device mean per 5 minutes.
        rate_high: f64,
    },
}

/// One simulated metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    /// Its name.
    pub name: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// How it is drawn.
    pub model: Model,
    /// The [`crate::detect::MetricRule::min_scale`] it needs: counts of rare events and
    /// quantized values need one (see [`detector_config`]).
    pub min_scale: f64,
    /// The decimals a device sends (its resolution).
    pub decimals: u8,
    /// Whether the detectors should work on its logarithm ([`crate::detect::MetricRule::log`]).
    pub log: bool,
    /// Why it looks like that.
    pub why: &'static str,
}

/// The simulated metrics (see the module documentation).
pub const METRICS: [MetricSpec; 9] = [
    MetricSpec {
        name: "battery.temp",
        unit: "degC",
        model: Model::Normal {
            mean: 31.0,
            spread: 1.5,
            sd: 0.4,
            diurnal: 0.5,
            low: -20.0,
            high: 80.0,
            whole: false,
        },
        min_scale: 0.0,
        decimals: 2,
        log: false,
        why: "a Li-ion pack sits near room temperature plus self-heating; the ward warms in the afternoon",
    },
    MetricSpec {
        name: "battery.voltage_v",
        unit: "V",
        model: Model::Normal {
            mean: 3.95,
            spread: 0.05,
            sd: 0.01,
            diurnal: 0.0,
            low: 0.0,
            high: 5.0,
            whole: false,
        },
        min_scale: 0.0,
        decimals: 3,
        log: false,
        why: "a pack on mains charge holds its voltage; a failing cell steps or sags",
    },
    MetricSpec {
        name: "cpu.load",
        unit: "ratio",
        model: Model::Normal {
            mean: 0.25,
            spread: 0.05,
            sd: 0.04,
            diurnal: 0.5,
            low: 0.0,
            high: 1.0,
            whole: false,
        },
        min_scale: 0.0,
        decimals: 3,
        log: false,
        why: "more programming and alarms in the day shift; a runaway task is a step",
    },
    MetricSpec {
        name: "mem.used_mb",
        unit: "MB",
        model: Model::Normal {
            mean: 180.0,
            spread: 12.0,
            sd: 2.5,
            diurnal: 0.0,
            low: 0.0,
            high: 1024.0,
            whole: false,
        },
        min_scale: 0.0,
        decimals: 1,
        log: false,
        why: "stable in a healthy build; a leak is the classic drift",
    },
    MetricSpec {
        name: "wifi.rssi_dbm",
        unit: "dBm",
        model: Model::Normal {
            mean: -62.0,
            spread: 6.0,
            sd: 2.5,
            diurnal: 0.0,
            low: -95.0,
            high: -30.0,
            whole: true,
        },
        min_scale: 1.0,
        decimals: 0,
        log: false,
        why: "radios report whole dBm; a moved access point is a step",
    },
    MetricSpec {
        name: "pump.motor_current_ma",
        unit: "mA",
        model: Model::Normal {
            mean: 120.0,
            spread: 8.0,
            sd: 3.0,
            diurnal: 0.0,
            low: 0.0,
            high: 500.0,
            whole: false,
        },
        min_scale: 0.0,
        decimals: 2,
        log: false,
        why: "the motor's draw; wear drifts it, an occlusion steps it",
    },
    MetricSpec {
        name: "net.latency_ms",
        unit: "ms",
        model: Model::LogNormal {
            median_low: 25.0,
            median_high: 60.0,
            sigma: 0.25,
        },
        min_scale: 0.0,
        decimals: 1,
        log: true,
        why: "round trips to the server have a long right tail",
    },
    MetricSpec {
        name: "pump.occlusion_alarms",
        unit: "count",
        model: Model::Poisson {
            rate_low: 0.005,
            rate_high: 0.03,
        },
        min_scale: 1.0,
        decimals: 0,
        log: false,
        why: "occlusions are rare, independent events",
    },
    MetricSpec {
        name: "app.error_count",
        unit: "count",
        model: Model::Poisson {
            rate_low: 0.2,
            rate_high: 0.8,
        },
        min_scale: 1.0,
        decimals: 0,
        log: false,
        why: "logged application errors: frequent, independent, and what a bad patch raises",
    },
];

/// The index of a simulated metric in [`METRICS`].
pub fn metric_index(name: &str) -> Result<usize, FleetError> {
    METRICS
        .iter()
        .position(|spec| spec.name == name)
        .ok_or_else(|| FleetError::UnknownMetric {
            name: name.to_string(),
            expected: METRICS
                .iter()
                .map(|spec| spec.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The detector configuration for the simulated metrics: the defaults, with each metric's
/// [`MetricSpec::min_scale`] and [`MetricSpec::log`] where it has one — what a policy file
/// would say for these metrics.
pub fn detector_config() -> crate::detect::DetectorConfig {
    let mut config = crate::detect::DetectorConfig::default();
    for spec in METRICS
        .iter()
        .filter(|spec| spec.min_scale > 0.0 || spec.log)
    {
        config.metrics.insert(
            spec.name.to_string(),
            crate::detect::MetricOverride {
                min_scale: (spec.min_scale > 0.0).then_some(spec.min_scale),
                log: spec.log.then_some(true),
                ..Default::default()
            },
        );
    }
    config
}

/// A simulated device's controller id: `sim-000001` for index 0.
pub fn controller_id(device: usize) -> String {
    format!("sim-{:06}", device.saturating_add(1))
}

/// The kinds of fault `--fault` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// `step`
    Step,
    /// `drift`
    Drift,
    /// `auth-burst`
    AuthBurst,
    /// `silence`
    Silence,
    /// `bad-patch`
    BadPatch,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 5] = [
        Self::Step,
        Self::Drift,
        Self::AuthBurst,
        Self::Silence,
        Self::BadPatch,
    ];

    /// The label `--fault` takes.
    pub fn label(self) -> &'static str {
        match self {
            Self::Step => "step",
            Self::Drift => "drift",
            Self::AuthBurst => "auth-burst",
            Self::Silence => "silence",
            Self::BadPatch => "bad-patch",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for FaultKind {
    type Err = FleetError;

    fn from_str(text: &str) -> Result<Self, FleetError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.label() == text.trim())
            .ok_or_else(|| FleetError::UnknownFault {
                text: text.to_string(),
            })
    }
}

/// A fault injected into the fleet.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// From `at`, `sigmas` × the device's noise σ is added to one metric.
    Step {
        /// The device index.
        device: u32,
        /// The metric's name.
        metric: String,
        /// When it starts.
        at: Timestamp,
        /// Its size, in σ of the device's noise.
        sigmas: f64,
    },
    /// From `from`, the metric moves by `sigmas_per_day` σ a day.
    Drift {
        /// The device index.
        device: u32,
        /// The metric's name.
        metric: String,
        /// When it starts.
        from: Timestamp,
        /// Its rate, in σ a day.
        sigmas_per_day: f64,
    },
    /// `failures` auth failures spread evenly over `over`, from `at`, one line each.
    AuthBurst {
        /// The device index.
        device: u32,
        /// The first failure.
        at: Timestamp,
        /// How many.
        failures: u32,
        /// Over how long.
        over: SignedDuration,
    },
    /// From `from`, the device sends nothing.
    Silence {
        /// The device index.
        device: u32,
        /// When it stops.
        from: Timestamp,
    },
    /// Devices on the patch release ([`FleetConfig::patch`]) get `factor` × the metric's
    /// mean (for a count, its rate).
    BadPatch {
        /// The metric's name.
        metric: String,
        /// The factor.
        factor: f64,
    },
}

/// A patch installed on part of the fleet during the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The release devices move to.
    pub release: String,
    /// The share of the fleet that installs it (0 to 1), picked by the seed.
    pub share: f64,
    /// When they install it.
    pub at: Timestamp,
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetConfig {
    /// How many devices. Default 100.
    pub devices: u32,
    /// How many days. Default 7.
    pub days: u32,
    /// The seed. Default 1.
    pub seed: u64,
    /// The first instant. Default 2026-12-01T00:00:00Z.
    pub start: Timestamp,
    /// How often each device sends a batch (heartbeat and every metric). Default 5 minutes.
    pub interval: SignedDuration,
    /// The metrics sent, by name. Default all of [`METRICS`].
    pub metrics: Vec<String>,
    /// The release every device runs first. Default `2.2.0`.
    pub release: String,
    /// A patch installed during the run, if any.
    pub patch: Option<Patch>,
    /// Benign security events and lost batches. Default on.
    pub benign: bool,
    /// The faults.
    pub faults: Vec<Fault>,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            devices: 100,
            days: 7,
            seed: 1,
            start: Timestamp::from_second(1_796_083_200).unwrap_or(Timestamp::UNIX_EPOCH),
            interval: SignedDuration::from_mins(5),
            metrics: METRICS.iter().map(|spec| spec.name.to_string()).collect(),
            release: "2.2.0".into(),
            patch: None,
            benign: true,
            faults: Vec::new(),
        }
    }
}

impl FleetConfig {
    /// The run's length.
    pub fn duration(&self) -> SignedDuration {
        SignedDuration::from_hours(i64::from(self.days) * 24)
    }

    /// The instant `fraction` of the way through the run, on a whole minute.
    fn part(&self, fraction: f64) -> Timestamp {
        let seconds = (self.duration().as_secs() as f64 * fraction) as i64;
        self.start
            .saturating_add(SignedDuration::from_secs(seconds - seconds % 60))
            .unwrap_or(self.start)
    }

    /// Adds the preset fault of a kind (what `--fault KIND` does):
    ///
    /// - `step`: 3 σ in `battery.temp` of device 0 (`sim-000001`) from half-way, at 2 min 17 s
    ///   past a whole minute so that it falls between two samples;
    /// - `drift`: 1 σ a day in `mem.used_mb` of device 1 from a quarter of the run;
    /// - `auth-burst`: 25 auth failures over 5 minutes on device 2, half-way plus an hour;
    /// - `silence`: device 3 stops half-way;
    /// - `bad-patch`: 3 × `app.error_count` on the patch release; if no patch is planned,
    ///   `2.2.1` goes to 20 % of the fleet a third of the way through.
    pub fn add_fault(&mut self, kind: FaultKind) {
        let last = self.devices.saturating_sub(1);
        let fault = match kind {
            FaultKind::Step => Fault::Step {
                device: 0,
                metric: "battery.temp".into(),
                at: self
                    .part(0.5)
                    .saturating_add(SignedDuration::from_secs(137))
                    .unwrap_or(self.start),
                sigmas: 3.0,
            },
            FaultKind::Drift => Fault::Drift {
                device: 1.min(last),
                metric: "mem.used_mb".into(),
                from: self.part(0.25),
                sigmas_per_day: 1.0,
            },
            FaultKind::AuthBurst => Fault::AuthBurst {
                device: 2.min(last),
                at: self
                    .part(0.5)
                    .saturating_add(SignedDuration::from_hours(1))
                    .unwrap_or(self.start),
                failures: 25,
                over: SignedDuration::from_mins(5),
            },
            FaultKind::Silence => Fault::Silence {
                device: 3.min(last),
                from: self.part(0.5),
            },
            FaultKind::BadPatch => {
                if self.patch.is_none() {
                    self.patch = Some(Patch {
                        release: "2.2.1".into(),
                        share: 0.2,
                        at: self.part(1.0 / 3.0),
                    });
                }
                Fault::BadPatch {
                    metric: "app.error_count".into(),
                    factor: 3.0,
                }
            }
        };
        self.faults.push(fault);
    }
}

/// What one record says, compactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// A heartbeat: the release (0 the first, 1 the patch; see [`Fleet::release`]) and the
    /// uptime.
    Heartbeat {
        /// Index of the release.
        release: u8,
        /// Seconds since boot.
        uptime_s: u64,
    },
    /// A metric sample: the index in [`METRICS`] and the value.
    Metric {
        /// Index in [`METRICS`].
        metric: usize,
        /// The value.
        value: f64,
    },
    /// A security event line.
    Security {
        /// The kind.
        kind: SecurityKind,
        /// How many.
        count: u32,
    },
}

/// One line of the simulated stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// The device index.
    pub device: u32,
    /// The server time.
    pub at: Timestamp,
    /// What it says.
    pub reading: Reading,
}

/// A device's fixed draws and its stream.
#[derive(Debug, Clone)]
struct Device {
    rng: SplitMix64,
    /// Seconds after each interval's start at which it sends.
    phase: i64,
    /// Per metric: the centre (mean, median or rate per 5 minutes).
    centre: [f64; METRICS.len()],
    /// Whether it installs the patch.
    patched: bool,
    /// Its uptime at the start.
    uptime: u64,
}

/// Faults resolved to indices and seconds.
#[derive(Debug, Clone, Copy)]
enum Shift {
    Step { at: i64, sigmas: f64 },
    Drift { from: i64, per_day: f64 },
}

/// The simulated fleet: an iterator of `(device index, server time, Event)` in time order.
#[derive(Debug, Clone)]
pub struct Fleet {
    start: i64,
    end: i64,
    interval: i64,
    metrics: Vec<usize>,
    releases: [String; 2],
    hashes: [String; 2],
    patch_at: i64,
    benign: bool,
    devices: Vec<Device>,
    /// Device indices by phase.
    order: Vec<u32>,
    /// Per device: when it falls silent.
    silent_from: Vec<Option<i64>>,
    /// (device, metric, shift)
    shifts: Vec<(u32, usize, Shift)>,
    bad_patch: Option<(usize, f64)>,
    /// The next grid slot: interval number and position in `order`.
    period: i64,
    position: usize,
    /// The current batch, not yet handed out.
    batch: VecDeque<Record>,
    /// Off-grid lines (auth-burst failures): (second, device).
    pending: BinaryHeap<Reverse<(i64, u32)>>,
}

/// The fraction of batches lost.
const DROP_OUT: f64 = 0.002;
/// Benign security events a day per device.
const BENIGN: [(SecurityKind, f64); 3] = [
    (SecurityKind::AuthFailure, 0.3),
    (SecurityKind::ConfigChange, 0.05),
    (SecurityKind::UnexpectedConnection, 0.02),
];

fn seconds(at: Timestamp) -> i64 {
    at.as_second()
}

fn stamp(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A made-up but stable SHA-256-shaped hash of a release's image.
fn firmware_hash(release: &str) -> String {
    let mut state = release
        .bytes()
        .fold(0x5A17_u64, |state, byte| mix(state ^ u64::from(byte)));
    (0..4)
        .map(|_| {
            state = mix(state.wrapping_add(1));
            format!("{state:016x}")
        })
        .collect()
}

fn simulation_error(setting: &'static str, value: impl ToString, problem: &str) -> FleetError {
    FleetError::SimulationSetting {
        setting,
        value: value.to_string(),
        problem: problem.to_string(),
    }
}

impl Fleet {
    /// Checks the configuration and sets the fleet up.
    pub fn new(config: &FleetConfig) -> Result<Fleet, FleetError> {
        if config.devices == 0 || config.devices > 10_000_000 {
            return Err(simulation_error(
                "devices",
                config.devices,
                "must be 1 to 10000000",
            ));
        }
        if config.days == 0 || config.days > 3660 {
            return Err(simulation_error("days", config.days, "must be 1 to 3660"));
        }
        let interval = config.interval.as_secs();
        if !(10..=86_400).contains(&interval) {
            return Err(simulation_error(
                "interval",
                format!("{:#}", config.interval),
                "must be 10 seconds to 24 hours",
            ));
        }
        let metrics = config
            .metrics
            .iter()
            .map(|name| metric_index(name))
            .collect::<Result<Vec<_>, _>>()?;
        let start = seconds(config.start);
        let end = start.saturating_add(config.duration().as_secs());
        let (patch_release, patch_at, share) = match &config.patch {
            Some(patch) => {
                if !(0.0..=1.0).contains(&patch.share) {
                    return Err(simulation_error(
                        "patch.share",
                        patch.share,
                        "must be from 0 to 1",
                    ));
                }
                (patch.release.clone(), seconds(patch.at), patch.share)
            }
            None => (config.release.clone(), i64::MAX, 0.0),
        };
        let scale = interval as f64 / 300.0;
        let devices: Vec<Device> = (0..config.devices)
            .map(|index| {
                let mut rng = SplitMix64::new(config.seed, u64::from(index));
                // The phase, then the centres, in a fixed order.
                let phase = i64::try_from(rng.below(interval.unsigned_abs())).unwrap_or(0);
                let mut centre = [0.0; METRICS.len()];
                for (slot, spec) in centre.iter_mut().zip(METRICS.iter()) {
                    *slot = match spec.model {
                        Model::Normal {
                            mean,
                            spread,
                            low,
                            high,
                            ..
                        } => (mean + spread * rng.normal()).clamp(low, high),
                        Model::LogNormal {
                            median_low,
                            median_high,
                            ..
                        } => rng.between(median_low, median_high),
                        Model::Poisson {
                            rate_low,
                            rate_high,
                        } => rng.between(rate_low, rate_high) * scale,
                    };
                }
                let patched = rng.uniform() < share;
                let uptime = rng.below(30 * 86_400);
                Device {
                    rng,
                    phase,
                    centre,
                    patched,
                    uptime,
                }
            })
            .collect();
        let mut order: Vec<u32> = (0..config.devices).collect();
        order.sort_by_key(|device| {
            (
                devices.get(*device as usize).map_or(0, |it| it.phase),
                *device,
            )
        });
        let device_of = |device: u32, setting: &'static str| {
            if device < config.devices {
                Ok(device)
            } else {
                Err(simulation_error(
                    setting,
                    device,
                    "names a device index beyond the fleet",
                ))
            }
        };
        let mut silent_from = vec![None; devices.len()];
        let mut shifts = Vec::new();
        let mut bad_patch = None;
        let mut pending = BinaryHeap::new();
        for fault in &config.faults {
            match fault {
                Fault::Step {
                    device,
                    metric,
                    at,
                    sigmas,
                } => shifts.push((
                    device_of(*device, "fault.step.device")?,
                    metric_index(metric)?,
                    Shift::Step {
                        at: seconds(*at),
                        sigmas: *sigmas,
                    },
                )),
                Fault::Drift {
                    device,
                    metric,
                    from,
                    sigmas_per_day,
                } => shifts.push((
                    device_of(*device, "fault.drift.device")?,
                    metric_index(metric)?,
                    Shift::Drift {
                        from: seconds(*from),
                        per_day: *sigmas_per_day,
                    },
                )),
                Fault::AuthBurst {
                    device,
                    at,
                    failures,
                    over,
                } => {
                    let device = device_of(*device, "fault.auth_burst.device")?;
                    if *failures > 100_000 {
                        return Err(simulation_error(
                            "fault.auth_burst.failures",
                            failures,
                            "at most 100000",
                        ));
                    }
                    let spacing = over.as_secs_f64() / f64::from((*failures).max(1));
                    for failure in 0..*failures {
                        let offset = (spacing * f64::from(failure)) as i64;
                        pending.push(Reverse((seconds(*at).saturating_add(offset), device)));
                    }
                }
                Fault::Silence { device, from } => {
                    let device = device_of(*device, "fault.silence.device")?;
                    if let Some(slot) = silent_from.get_mut(device as usize) {
                        *slot = Some(seconds(*from));
                    }
                }
                Fault::BadPatch { metric, factor } => {
                    if !(factor.is_finite() && *factor >= 0.0) {
                        return Err(simulation_error(
                            "fault.bad_patch.factor",
                            factor,
                            "must be a finite factor of 0 or more",
                        ));
                    }
                    bad_patch = Some((metric_index(metric)?, *factor));
                }
            }
        }
        Ok(Fleet {
            start,
            end,
            interval,
            metrics,
            hashes: [
                firmware_hash(&config.release),
                firmware_hash(&patch_release),
            ],
            releases: [config.release.clone(), patch_release],
            patch_at,
            benign: config.benign,
            devices,
            order,
            silent_from,
            shifts,
            bad_patch,
            period: 0,
            position: 0,
            batch: VecDeque::new(),
            pending,
        })
    }

    /// How many devices.
    pub fn devices(&self) -> usize {
        self.devices.len()
    }

    /// The release of an index of [`Reading::Heartbeat`]: 0 the first, 1 the patch.
    pub fn release(&self, index: u8) -> &str {
        self.releases
            .get(usize::from(index))
            .map_or("", String::as_str)
    }

    /// Whether a device installs the patch (at [`Patch::at`]).
    pub fn is_patched(&self, device: usize) -> bool {
        self.devices.get(device).is_some_and(|it| it.patched)
    }

    /// The noise σ of a device's metric (what a fault's σ means): the normal σ, the
    /// log-normal's σ_log × median, or √rate for a count.
    pub fn noise_sd(&self, device: usize, metric: usize) -> f64 {
        let centre = self
            .devices
            .get(device)
            .and_then(|it| it.centre.get(metric))
            .copied()
            .unwrap_or(0.0);
        match METRICS.get(metric).map(|spec| spec.model) {
            Some(Model::Normal { sd, .. }) => sd,
            Some(Model::LogNormal { sigma, .. }) => sigma * centre,
            Some(Model::Poisson { .. }) => centre.max(0.0).sqrt(),
            None => 0.0,
        }
    }

    /// The next record in time order, or `None` at the end of the run.
    pub fn next_record(&mut self) -> Option<Record> {
        loop {
            if let Some(record) = self.batch.pop_front() {
                return Some(record);
            }
            let grid = self.next_grid();
            if let Some(Reverse((at, device))) = self.pending.peek().copied()
                && at < self.end
                && grid.is_none_or(|(slot, _)| at < slot)
            {
                self.pending.pop();
                if self
                    .silent_from
                    .get(device as usize)
                    .copied()
                    .flatten()
                    .is_some_and(|from| at >= from)
                {
                    continue;
                }
                return Some(Record {
                    device,
                    at: stamp(at),
                    reading: Reading::Security {
                        kind: SecurityKind::AuthFailure,
                        count: 1,
                    },
                });
            }
            let (at, device) = grid?;
            self.position += 1;
            if self.position >= self.order.len() {
                self.position = 0;
                self.period += 1;
            }
            self.fill_batch(device, at);
        }
    }

    /// The next grid slot's time and device, if the run is not over.
    fn next_grid(&self) -> Option<(i64, u32)> {
        let device = *self.order.get(self.position)?;
        let phase = self.devices.get(device as usize)?.phase;
        let at = self
            .start
            .checked_add(self.period.checked_mul(self.interval)?)?
            .checked_add(phase)?;
        (at < self.end).then_some((at, device))
    }

    fn fill_batch(&mut self, device: u32, at: i64) {
        let index = device as usize;
        if self
            .silent_from
            .get(index)
            .copied()
            .flatten()
            .is_some_and(|from| at >= from)
        {
            return;
        }
        let interval = self.interval as f64;
        let on_patch = at >= self.patch_at;
        let Some(state) = self.devices.get_mut(index) else {
            return;
        };
        if self.benign && state.rng.uniform() < DROP_OUT {
            return;
        }
        let stamp_at = stamp(at);
        let patched_now = state.patched && on_patch;
        self.batch.push_back(Record {
            device,
            at: stamp_at,
            reading: Reading::Heartbeat {
                release: u8::from(patched_now),
                uptime_s: state
                    .uptime
                    .saturating_add(u64::try_from(at - self.start).unwrap_or(0)),
            },
        });
        // The daily cycle, peaking at 14:00 UTC.
        let day = (at.rem_euclid(86_400) - 8 * 3600) as f64 / 86_400.0;
        let cycle = (std::f64::consts::TAU * day).sin();
        for &metric in &self.metrics {
            let (Some(spec), Some(centre)) = (METRICS.get(metric), state.centre.get(metric)) else {
                continue;
            };
            let centre = *centre;
            let mut shift_sigmas = 0.0;
            for (target, target_metric, shift) in &self.shifts {
                if *target != device || *target_metric != metric {
                    continue;
                }
                match *shift {
                    Shift::Step { at: from, sigmas } if at >= from => shift_sigmas += sigmas,
                    Shift::Drift { from, per_day } if at >= from => {
                        shift_sigmas += per_day * (at - from) as f64 / 86_400.0;
                    }
                    _ => {}
                }
            }
            let factor = match self.bad_patch {
                Some((bad, factor)) if bad == metric && patched_now => factor,
                _ => 1.0,
            };
            let value = match spec.model {
                Model::Normal {
                    sd,
                    diurnal,
                    low,
                    high,
                    whole,
                    ..
                } => {
                    let value = factor * centre
                        + sd * (diurnal * cycle + state.rng.normal() + shift_sigmas);
                    let value = value.clamp(low, high);
                    if whole { value.round() } else { value }
                }
                Model::LogNormal { sigma, .. } => {
                    factor * centre * (sigma * state.rng.normal()).exp()
                        + shift_sigmas * sigma * centre
                }
                Model::Poisson { .. } => {
                    let rate = factor * centre + shift_sigmas * centre.max(0.0).sqrt();
                    f64::from(state.rng.poisson(rate))
                }
            };
            // The device's resolution; a short decimal also reads back exactly.
            let tens = 10f64.powi(i32::from(spec.decimals));
            let value = (value * tens).round() / tens;
            self.batch.push_back(Record {
                device,
                at: stamp_at,
                reading: Reading::Metric { metric, value },
            });
        }
        if self.benign {
            for (kind, per_day) in BENIGN {
                if state.rng.uniform() < per_day * interval / 86_400.0 {
                    let count = match kind {
                        SecurityKind::AuthFailure => 1 + state.rng.below(3) as u32,
                        _ => 1,
                    };
                    self.batch.push_back(Record {
                        device,
                        at: stamp_at,
                        reading: Reading::Security { kind, count },
                    });
                }
            }
        }
    }

    /// The telemetry event of a reading.
    pub fn event(&self, reading: &Reading) -> Event {
        match *reading {
            Reading::Heartbeat { release, uptime_s } => Event::Heartbeat(Heartbeat {
                release: self.release(release).to_string(),
                uptime_s,
                firmware_sha256: self.hashes.get(usize::from(release)).cloned(),
            }),
            Reading::Metric { metric, value } => {
                let (name, unit) = METRICS
                    .get(metric)
                    .map_or(("unknown", ""), |spec| (spec.name, spec.unit));
                Event::Metric(Metric {
                    name: name.to_string(),
                    value,
                    unit: unit.to_string(),
                })
            }
            Reading::Security { kind, count } => {
                let mut details = Map::new();
                match kind {
                    SecurityKind::AuthFailure => {
                        details.insert("service".into(), Value::String("ui_pin".into()));
                    }
                    SecurityKind::UnexpectedConnection => {
                        details.insert("port".into(), Value::from(8080));
                    }
                    _ => {}
                }
                Event::Security(SecurityEvent {
                    event: kind,
                    count,
                    details,
                })
            }
        }
    }
}

impl Iterator for Fleet {
    type Item = (usize, Timestamp, Event);

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.next_record()?;
        let event = self.event(&record.reading);
        Some((record.device as usize, record.at, event))
    }
}

impl Fleet {
    /// The same stream grouped as devices send it: one batch per device and server time (a
    /// heartbeat, the metrics and the interval's security events; a burst's failure alone).
    pub fn batches(self) -> Batches {
        Batches {
            fleet: self,
            peeked: None,
        }
    }
}

/// The simulated stream as batches: `(device index, server time, events)` in time order;
/// write each with [`crate::telemetry::to_line`], one line per event, to send it.
#[derive(Debug, Clone)]
pub struct Batches {
    fleet: Fleet,
    peeked: Option<Record>,
}

impl Iterator for Batches {
    type Item = (usize, Timestamp, Vec<Event>);

    fn next(&mut self) -> Option<Self::Item> {
        let first = self.peeked.take().or_else(|| self.fleet.next_record())?;
        let mut events = vec![self.fleet.event(&first.reading)];
        while let Some(record) = self.fleet.next_record() {
            if record.device == first.device && record.at == first.at {
                events.push(self.fleet.event(&record.reading));
            } else {
                self.peeked = Some(record);
                break;
            }
        }
        Some((first.device as usize, first.at, events))
    }
}
