//! The rollout health gate: does a wave's patched cohort look worse than the unpatched
//! devices of the same product on a chosen metric, over a soak period?
//!
//! The service aggregates each device's samples over the soak ([`DeviceAggregate`]: the mean
//! value and the number of samples) for the two cohorts and calls [`evaluate`] once per
//! [`HealthRule`]; a [`Verdict::Breach`] pauses the rollout with its [`Evidence`]
//! attached. [`worst`] folds several rules' verdicts into one.
//!
//! **The comparison.** A device with fewer than [`HealthRule::min_samples`] samples is left
//! out. Each cohort is summarised by the **median of its devices' means**, so one broken
//! device does not decide the wave. Two criteria, in the direction that is worse
//! ([`Worse`]):
//! - the **ratio** of the patched median to the unpatched one (plus [`HealthRule::floor`] on
//!   both, for metrics that are mostly zero) beyond [`HealthRule::max_ratio`] (2): the effect
//!   is large enough to matter;
//! - the **robust z** of the difference of the medians beyond [`HealthRule::max_z`] (3): the
//!   difference is not the luck of a small wave. Its scale is the devices' spread around
//!   their own cohort's median (MAD × 1.4826, pooled over both cohorts), times 1.2533 (the
//!   standard error of a median) × √(1/n₁ + 1/n₂).
//!
//! [`Criteria::Both`] (the default) breaches only when both trip: a ratio alone is noisy on a
//! wave of five devices, a z alone flags a trivial difference on a wave of five thousand. A
//! 3× rise of an error count on a wave of 20 devices against 80 is a breach with the
//! defaults; an equal wave passes; a wave below [`HealthRule::min_devices`] is
//! [`Verdict::NotEnoughData`], and so is a soak not over yet.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::FleetError;

/// One device's metric over the soak period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeviceAggregate {
    /// The mean of its samples.
    pub mean: f64,
    /// How many samples.
    pub samples: u64,
}

/// Which way a metric gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Worse {
    /// Higher is worse (errors, alarms, latency, temperature). The default.
    #[default]
    Higher,
    /// Lower is worse (battery voltage, signal strength).
    Lower,
    /// Any change is worse.
    Either,
}

/// Which criteria must trip for a breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criteria {
    /// The ratio and the z both (the default).
    #[default]
    Both,
    /// The ratio alone.
    Ratio,
    /// The z alone.
    Z,
}

/// One health rule, from the rollout's policy (`[[fleet.health]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthRule {
    /// The metric compared.
    pub metric: String,
    /// Which way is worse. Default higher.
    #[serde(default)]
    pub worse: Worse,
    /// Which criteria must trip. Default both.
    #[serde(default)]
    pub criteria: Criteria,
    /// The largest ratio of patched to unpatched (or, when lower is worse, of unpatched to
    /// patched). Default 2.
    #[serde(default = "default_max_ratio")]
    pub max_ratio: f64,
    /// The largest robust z of the difference. Default 3.
    #[serde(default = "default_max_z")]
    pub max_z: f64,
    /// Added to both medians before the ratio, in the metric's unit: the level below which
    /// a ratio means nothing. Default 0.
    #[serde(default)]
    pub floor: f64,
    /// Devices needed in each cohort. Default 5.
    #[serde(default = "default_min_devices")]
    pub min_devices: u32,
    /// Samples a device needs to count. Default 12 (an hour at the 5-minute cadence).
    #[serde(default = "default_min_samples")]
    pub min_samples: u64,
    /// Samples needed in each cohort, all devices together. Default 100.
    #[serde(default = "default_min_cohort_samples")]
    pub min_cohort_samples: u64,
    /// How long the patched cohort must have run. Default 24 hours.
    #[serde(default = "default_soak")]
    pub soak: SignedDuration,
}

fn default_max_ratio() -> f64 {
    2.0
}
fn default_max_z() -> f64 {
    3.0
}
fn default_min_devices() -> u32 {
    5
}
fn default_min_samples() -> u64 {
    12
}
fn default_min_cohort_samples() -> u64 {
    100
}
fn default_soak() -> SignedDuration {
    SignedDuration::from_hours(24)
}

impl HealthRule {
    /// The rule for a metric with every default.
    pub fn new(metric: impl Into<String>) -> HealthRule {
        HealthRule {
            metric: metric.into(),
            worse: Worse::default(),
            criteria: Criteria::default(),
            max_ratio: default_max_ratio(),
            max_z: default_max_z(),
            floor: 0.0,
            min_devices: default_min_devices(),
            min_samples: default_min_samples(),
            min_cohort_samples: default_min_cohort_samples(),
            soak: default_soak(),
        }
    }

    /// Checks the settings; the service calls it when it reads the policy.
    pub fn validate(&self) -> Result<(), FleetError> {
        let refuse = |setting: &'static str, value: String, problem: &str| {
            Err(FleetError::HealthSetting {
                metric: self.metric.clone(),
                setting,
                value,
                problem: problem.to_string(),
            })
        };
        if !(self.max_ratio.is_finite() && self.max_ratio > 1.0) {
            return refuse(
                "max_ratio",
                self.max_ratio.to_string(),
                "must be a number above 1",
            );
        }
        if !(self.max_z.is_finite() && self.max_z > 0.0) {
            return refuse("max_z", self.max_z.to_string(), "must be above 0");
        }
        if !(self.floor.is_finite() && self.floor >= 0.0) {
            return refuse("floor", self.floor.to_string(), "must be 0 or more");
        }
        if self.min_devices < 2 {
            return refuse(
                "min_devices",
                self.min_devices.to_string(),
                "must be 2 or more: a spread needs two devices",
            );
        }
        if self.soak < SignedDuration::ZERO {
            return refuse(
                "soak",
                format!("{:#}", self.soak),
                "must be zero or a positive duration",
            );
        }
        Ok(())
    }
}

/// Which cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    /// The wave's patched devices.
    Patched,
    /// The unpatched devices of the same product.
    Unpatched,
}

/// A cohort's summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CohortSummary {
    /// Devices counted (with enough samples).
    pub devices: u32,
    /// Devices left out for too few samples (or a mean that is not finite).
    pub left_out: u32,
    /// Samples of the devices counted.
    pub samples: u64,
    /// The median of the devices' means.
    pub median: f64,
    /// The mean of the devices' means.
    pub mean: f64,
}

/// What the gate measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The metric.
    pub metric: String,
    /// Which way is worse.
    pub worse: Worse,
    /// The criteria of the rule.
    pub criteria: Criteria,
    /// The patched cohort.
    pub patched: CohortSummary,
    /// The unpatched cohort.
    pub unpatched: CohortSummary,
    /// (patched median + floor) / (unpatched median + floor); absent when the unpatched
    /// side is not positive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// The rule's ratio.
    pub max_ratio: f64,
    /// The robust z of the difference of the medians (clamped to ±1e6).
    pub z: f64,
    /// The rule's z.
    pub max_z: f64,
    /// Whether the ratio tripped.
    pub ratio_tripped: bool,
    /// Whether the z tripped.
    pub z_tripped: bool,
    /// One sentence for a person.
    pub summary: String,
}

/// Why there is no verdict yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Shortfall {
    /// The patched cohort has not run for the soak period yet.
    Soak {
        /// How long it ran.
        observed: SignedDuration,
        /// How long it must.
        soak: SignedDuration,
    },
    /// A cohort has too few devices or samples.
    Cohort {
        /// Which.
        cohort: Cohort,
        /// Devices counted.
        devices: u32,
        /// Devices needed.
        min_devices: u32,
        /// Samples of those devices.
        samples: u64,
        /// Samples needed.
        min_samples: u64,
    },
}

/// The gate's verdict on one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The patched cohort is not worse.
    Pass {
        /// What was measured.
        evidence: Evidence,
    },
    /// The patched cohort is worse: pause the rollout.
    Breach {
        /// What was measured.
        evidence: Evidence,
    },
    /// Too early or too few to tell.
    NotEnoughData {
        /// What is missing.
        shortfall: Shortfall,
    },
}

impl Verdict {
    /// Whether it is a breach.
    pub fn is_breach(&self) -> bool {
        matches!(self, Verdict::Breach { .. })
    }

    fn rank(&self) -> u8 {
        match self {
            Verdict::Pass { .. } => 0,
            Verdict::NotEnoughData { .. } => 1,
            Verdict::Breach { .. } => 2,
        }
    }
}

/// The worst of several rules' verdicts: a breach before not enough data before a pass
/// (`None` for no verdicts).
pub fn worst<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Option<&'a Verdict> {
    verdicts
        .into_iter()
        .fold(None, |worst, verdict| match worst {
            Some(current) if current.rank() >= verdict.rank() => Some(current),
            _ => Some(verdict),
        })
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match (values.get(middle.wrapping_sub(1)), values.get(middle)) {
        (Some(low), Some(high)) if values.len().is_multiple_of(2) => low / 2.0 + high / 2.0,
        (_, Some(value)) => *value,
        _ => 0.0,
    }
}

/// The devices counted, their samples and how many were left out.
fn counted(devices: &[DeviceAggregate], min_samples: u64) -> (Vec<f64>, u64, u32) {
    let mut means = Vec::with_capacity(devices.len());
    let mut samples = 0u64;
    let mut left_out = 0u32;
    for device in devices {
        // Means beyond ±1e15 are left out like non-finite ones: no sum of them overflows.
        if device.samples >= min_samples.max(1)
            && device.mean.is_finite()
            && device.mean.abs() <= 1e15
        {
            means.push(device.mean);
            samples = samples.saturating_add(device.samples);
        } else {
            left_out = left_out.saturating_add(1);
        }
    }
    (means, samples, left_out)
}

fn summarise(means: &mut [f64], samples: u64, left_out: u32) -> CohortSummary {
    let mean = if means.is_empty() {
        0.0
    } else {
        means.iter().sum::<f64>() / means.len() as f64
    };
    CohortSummary {
        devices: u32::try_from(means.len()).unwrap_or(u32::MAX),
        left_out,
        samples,
        median: median(means),
        mean,
    }
}

/// Compares the patched cohort with the unpatched one under a rule. `observed` is how long
/// the patched cohort has run (the soak so far).
pub fn evaluate(
    rule: &HealthRule,
    patched: &[DeviceAggregate],
    unpatched: &[DeviceAggregate],
    observed: SignedDuration,
) -> Verdict {
    if observed < rule.soak {
        return Verdict::NotEnoughData {
            shortfall: Shortfall::Soak {
                observed,
                soak: rule.soak,
            },
        };
    }
    let (mut patched_means, patched_samples, patched_left) = counted(patched, rule.min_samples);
    let (mut unpatched_means, unpatched_samples, unpatched_left) =
        counted(unpatched, rule.min_samples);
    let min_devices = rule.min_devices.max(2);
    for (cohort, means, samples) in [
        (Cohort::Patched, &patched_means, patched_samples),
        (Cohort::Unpatched, &unpatched_means, unpatched_samples),
    ] {
        let devices = u32::try_from(means.len()).unwrap_or(u32::MAX);
        if devices < min_devices || samples < rule.min_cohort_samples {
            return Verdict::NotEnoughData {
                shortfall: Shortfall::Cohort {
                    cohort,
                    devices,
                    min_devices,
                    samples,
                    min_samples: rule.min_cohort_samples,
                },
            };
        }
    }
    let patched_summary = summarise(&mut patched_means, patched_samples, patched_left);
    let unpatched_summary = summarise(&mut unpatched_means, unpatched_samples, unpatched_left);

    // The devices' spread around their own cohort's median, pooled.
    let mut deviations: Vec<f64> = patched_means
        .iter()
        .map(|mean| (mean - patched_summary.median).abs())
        .chain(
            unpatched_means
                .iter()
                .map(|mean| (mean - unpatched_summary.median).abs()),
        )
        .collect();
    let spread = 1.4826 * median(&mut deviations);
    let difference = patched_summary.median - unpatched_summary.median;
    let standard_error = 1.2533
        * spread
        * (1.0 / f64::from(patched_summary.devices) + 1.0 / f64::from(unpatched_summary.devices))
            .sqrt();
    let z = if standard_error > 0.0 {
        difference / standard_error
    } else if difference == 0.0 {
        0.0
    } else {
        difference.signum() * 1e6
    };
    let z = if z.is_finite() {
        z.clamp(-1e6, 1e6)
    } else {
        0.0
    };
    let floor = if rule.floor.is_finite() {
        rule.floor.max(0.0)
    } else {
        0.0
    };
    let denominator = unpatched_summary.median + floor;
    let ratio = (denominator > 0.0)
        .then(|| (patched_summary.median + floor) / denominator)
        .filter(|ratio| ratio.is_finite());

    let max_ratio = rule.max_ratio;
    let ratio_tripped = ratio.is_some_and(|ratio| match rule.worse {
        Worse::Higher => ratio > max_ratio,
        Worse::Lower => ratio * max_ratio < 1.0,
        Worse::Either => ratio > max_ratio || ratio * max_ratio < 1.0,
    });
    let z_tripped = match rule.worse {
        Worse::Higher => z > rule.max_z,
        Worse::Lower => z < -rule.max_z,
        Worse::Either => z.abs() > rule.max_z,
    };
    let breach = match rule.criteria {
        Criteria::Both => ratio_tripped && z_tripped,
        Criteria::Ratio => ratio_tripped,
        Criteria::Z => z_tripped,
    };
    let summary = format!(
        "{}: patched median {:.4} over {} devices against unpatched {:.4} over {} devices; ratio {} (limit {}), z {:.1} (limit {}): {}",
        rule.metric,
        patched_summary.median,
        patched_summary.devices,
        unpatched_summary.median,
        unpatched_summary.devices,
        ratio.map_or_else(|| "n/a".to_string(), |ratio| format!("{ratio:.2}")),
        max_ratio,
        z,
        rule.max_z,
        if breach { "breach" } else { "pass" },
    );
    let evidence = Evidence {
        metric: rule.metric.clone(),
        worse: rule.worse,
        criteria: rule.criteria,
        patched: patched_summary,
        unpatched: unpatched_summary,
        ratio,
        max_ratio,
        z,
        max_z: rule.max_z,
        ratio_tripped,
        z_tripped,
        summary,
    };
    if breach {
        Verdict::Breach { evidence }
    } else {
        Verdict::Pass { evidence }
    }
}
