//! Fleet monitoring's wire types: what a device's telemetry batch came to, a device's
//! telemetry with its rollups, signals with their evidence, and a dismissal's reason.

use aftercare_service::fleet::Ingested;
use aftercare_store::fleet::{DeviceTelemetry, Rollup, SignalRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A refused line of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineErrorDto {
    /// The line's number, from 1.
    pub line: usize,
    /// The field at fault, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong and what is accepted.
    pub reason: String,
}

/// What a telemetry batch came to: the lines stored, each refused line with its reason, and
/// the device's clock skew.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IngestedDto {
    /// Lines stored.
    pub accepted: usize,
    /// Lines refused.
    pub rejected: Vec<LineErrorDto>,
    /// The device's clock skew (device − server), in seconds, from the batch's heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_seconds: Option<f64>,
    /// Whether that skew is beyond the flag (two minutes).
    pub skew_flagged: bool,
}

impl From<&Ingested> for IngestedDto {
    fn from(ingested: &Ingested) -> IngestedDto {
        IngestedDto {
            accepted: ingested.accepted,
            rejected: ingested
                .rejected
                .iter()
                .map(|error| LineErrorDto {
                    line: error.line,
                    field: error.field.clone(),
                    reason: error.reason.clone(),
                })
                .collect(),
            skew_seconds: ingested.skew_seconds,
            skew_flagged: ingested.skew_flagged,
        }
    }
}

/// A signal raised by a detector, with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignalDto {
    /// The id.
    pub id: i64,
    /// The detector: `step`, `drift`, `rate`, `silence`, `version_drift`, `firmware_drift`,
    /// `clock_skew`, `health_gate`.
    pub kind: String,
    /// The device's controller id, if the signal is about one.
    pub device: Option<String>,
    /// The rollout's id, if the signal is about one.
    pub rollout_id: Option<i64>,
    /// The series: a metric, a security event kind, a release.
    pub subject: String,
    /// `open`, `acknowledged`, `dismissed` or `incident`.
    pub state: String,
    /// One line for a person.
    pub summary: String,
    /// The evidence: the series, the baseline, the threshold.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// How many times the detector fired while the signal was open.
    pub occurrences: i64,
    /// When it was raised (RFC 3339, UTC).
    pub raised_at: String,
    /// When the detector last fired.
    pub last_seen_at: String,
    /// Who acknowledged or dismissed it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// A dismissal's reason.
    pub reason: Option<String>,
}

impl From<&SignalRow> for SignalDto {
    fn from(row: &SignalRow) -> SignalDto {
        SignalDto {
            id: row.id,
            kind: row.kind.clone(),
            device: row.controller_id.clone(),
            rollout_id: row.rollout_id,
            subject: row.subject.clone(),
            state: row.state.clone(),
            summary: row.summary.clone(),
            evidence: serde_json::from_str(&row.evidence).unwrap_or(serde_json::Value::Null),
            occurrences: row.occurrences,
            raised_at: row.raised_at.clone(),
            last_seen_at: row.last_seen_at.clone(),
            decided_by: row.decided_by.clone(),
            decided_at: row.decided_at.clone(),
            reason: row.reason.clone(),
        }
    }
}

/// A dismissal: why the signal is not a concern.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DismissDto {
    /// The reason, kept with the signal and in the audit trail.
    pub reason: String,
}

/// One rollup bucket of a metric.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RollupDto {
    /// The metric (`security.<kind>` for security events, their counts).
    pub metric: String,
    /// `hour` or `day`.
    pub grain: String,
    /// The bucket's start, milliseconds since the epoch (server receive time).
    pub start_ms: i64,
    /// Samples in the bucket.
    pub samples: i64,
    /// Their mean.
    pub mean: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl From<&Rollup> for RollupDto {
    fn from(rollup: &Rollup) -> RollupDto {
        RollupDto {
            metric: rollup.metric.clone(),
            grain: rollup.grain.to_string(),
            start_ms: rollup.start_ms,
            samples: rollup.samples,
            mean: rollup.mean(),
            min: rollup.minimum,
            max: rollup.maximum,
        }
    }
}

/// A device's telemetry: its last heartbeat and what it reported, and its rollups.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceTelemetryDto {
    /// The device's controller id.
    pub device: String,
    /// The last heartbeat's receive time, milliseconds since the epoch.
    pub last_heartbeat_ms: Option<i64>,
    /// The last event's receive time.
    pub last_event_ms: Option<i64>,
    /// The release its last heartbeat named.
    pub reported_release: Option<String>,
    /// The firmware hash its last heartbeat named.
    pub firmware_sha256: Option<String>,
    /// Its last uptime, in seconds.
    pub uptime_s: Option<i64>,
    /// Its last clock skew, in milliseconds (device − server).
    pub skew_ms: Option<i64>,
    /// Lines stored, in all.
    pub events: i64,
    /// Lines refused, in all.
    pub rejected: i64,
    /// The rollups asked for.
    pub rollups: Vec<RollupDto>,
}

impl DeviceTelemetryDto {
    /// The wire form of a device's telemetry state and rollups.
    pub fn new(
        device: &str,
        state: Option<&DeviceTelemetry>,
        rollups: &[Rollup],
    ) -> DeviceTelemetryDto {
        DeviceTelemetryDto {
            device: device.to_string(),
            last_heartbeat_ms: state.and_then(|s| s.last_heartbeat_ms),
            last_event_ms: state.map(|s| s.last_ms),
            reported_release: state.and_then(|s| s.reported_release.clone()),
            firmware_sha256: state.and_then(|s| s.firmware_sha256.clone()),
            uptime_s: state.and_then(|s| s.uptime_s),
            skew_ms: state.and_then(|s| s.skew_ms),
            events: state.map_or(0, |s| s.events),
            rejected: state.map_or(0, |s| s.rejected),
            rollups: rollups.iter().map(RollupDto::from).collect(),
        }
    }
}

/// Devices exposed now in one group of the breakdown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExposureGroupDto {
    /// The group: a product, `product@release`, an organisation or a site (`-` for none).
    pub key: String,
    /// Devices exposed in it.
    pub devices: i64,
}

/// Devices exposed now, by product, release, organisation and site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExposureRowDto {
    /// The product.
    pub product: String,
    /// The release.
    pub release: String,
    /// The organisation.
    pub organisation: Option<String>,
    /// The site.
    pub site: Option<String>,
    /// Devices.
    pub devices: i64,
}

/// One point of the residual-exposure curve.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExposurePointDto {
    /// The instant (a day's end, the last one now).
    pub at: String,
    /// Devices exposed then.
    pub devices: i64,
}

/// A patch's delivery: approval to each device's install.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PatchCapabilityDto {
    /// The patch release.
    pub release: String,
    /// When it was approved.
    pub approved_at: Option<String>,
    /// Devices that installed it.
    pub installed: usize,
    /// Median hours from approval to install.
    pub median_hours: Option<f64>,
    /// 90th percentile hours from approval to install.
    pub p90_hours: Option<f64>,
}

/// A vulnerability's exposure across the fleet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExposureDto {
    /// The vulnerability, as findings name it.
    pub vulnerability: String,
    /// The releases with an open finding of it.
    pub releases: Vec<String>,
    /// Devices exposed now.
    pub total: i64,
    /// What `groups` is by: `product`, `release`, `organisation` or `site`.
    pub by: String,
    /// Devices exposed now by `by`, most first.
    pub groups: Vec<ExposureGroupDto>,
    /// Devices exposed now, every combination.
    pub rows: Vec<ExposureRowDto>,
    /// The residual-exposure curve.
    pub curve: Vec<ExposurePointDto>,
    /// The patches remediating it, with their delivery (patching capability).
    pub patches: Vec<PatchCapabilityDto>,
}

impl ExposureDto {
    /// The wire form, grouped `by` (`product`, `release`, `organisation`, `site`).
    pub fn new(exposure: &aftercare_service::fleet::Exposure, by: &str) -> ExposureDto {
        let mut groups: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for row in &exposure.now {
            let key = match by {
                "release" => format!("{}@{}", row.product, row.release),
                "organisation" => row.organisation.clone().unwrap_or_else(|| "-".into()),
                "site" => row.site.clone().unwrap_or_else(|| "-".into()),
                _ => row.product.clone(),
            };
            *groups.entry(key).or_default() += row.devices;
        }
        let mut groups: Vec<ExposureGroupDto> = groups
            .into_iter()
            .map(|(key, devices)| ExposureGroupDto { key, devices })
            .collect();
        groups.sort_by(|a, b| b.devices.cmp(&a.devices).then(a.key.cmp(&b.key)));
        ExposureDto {
            vulnerability: exposure.vulnerability.clone(),
            releases: exposure.releases.clone(),
            total: exposure.total,
            by: by.to_string(),
            groups,
            rows: exposure
                .now
                .iter()
                .map(|row| ExposureRowDto {
                    product: row.product.clone(),
                    release: row.release.clone(),
                    organisation: row.organisation.clone(),
                    site: row.site.clone(),
                    devices: row.devices,
                })
                .collect(),
            curve: exposure
                .curve
                .iter()
                .map(|(at, devices)| ExposurePointDto {
                    at: at.to_string(),
                    devices: *devices,
                })
                .collect(),
            patches: exposure
                .patches
                .iter()
                .map(|p| PatchCapabilityDto {
                    release: p.release.clone(),
                    approved_at: p.approved_at.clone(),
                    installed: p.installed,
                    median_hours: p.median_hours,
                    p90_hours: p.p90_hours,
                })
                .collect(),
        }
    }
}

/// One vulnerability the patch remediates: the rollout's devices exposed to it before and
/// after.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExposureChangeDto {
    /// The vulnerability.
    pub vulnerability: String,
    /// The rollout's devices exposed when it started.
    pub before: i64,
    /// Now.
    pub after: i64,
}

/// One metric of one cohort before the rollout and since, with its hourly series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CohortMetricDto {
    /// The metric.
    pub metric: String,
    /// `patched` or `unpatched`.
    pub cohort: String,
    /// Devices in the cohort.
    pub devices: usize,
    /// The pooled mean in the 24 hours before the rollout started.
    pub before_mean: Option<f64>,
    /// Its samples.
    pub before_samples: i64,
    /// The pooled mean since.
    pub after_mean: Option<f64>,
    /// Its samples.
    pub after_samples: i64,
    /// Hourly pooled means: `[hour start in ms, mean]`.
    pub series: Vec<(i64, f64)>,
}

/// A rollout's post-patch report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RolloutReportDto {
    /// The rollout.
    pub rollout: String,
    /// `product@version`.
    pub release: String,
    /// Its state.
    pub state: String,
    /// When its first wave started.
    pub started_at: Option<String>,
    /// When the report was made.
    pub generated_at: String,
    /// Devices it targets.
    pub devices: usize,
    /// Of those, running the release now.
    pub installed: usize,
    /// Exposure before and after, per vulnerability the patch remediates.
    pub exposure: Vec<ExposureChangeDto>,
    /// Metrics of the patched and unpatched cohorts, before and after.
    pub metrics: Vec<CohortMetricDto>,
    /// Signals raised during the rollout about its devices or itself.
    pub signals: Vec<SignalDto>,
}

impl From<&aftercare_service::fleet::RolloutReport> for RolloutReportDto {
    fn from(report: &aftercare_service::fleet::RolloutReport) -> RolloutReportDto {
        RolloutReportDto {
            rollout: report.rollout.clone(),
            release: report.release.clone(),
            state: report.state.clone(),
            started_at: report.started_at.map(|t| t.to_string()),
            generated_at: report.now.to_string(),
            devices: report.devices,
            installed: report.installed,
            exposure: report
                .exposure
                .iter()
                .map(|e| ExposureChangeDto {
                    vulnerability: e.vulnerability.clone(),
                    before: e.before,
                    after: e.after,
                })
                .collect(),
            metrics: report
                .metrics
                .iter()
                .map(|m| CohortMetricDto {
                    metric: m.metric.clone(),
                    cohort: m.cohort.to_string(),
                    devices: m.devices,
                    before_mean: m.before.map(|(mean, _)| mean),
                    before_samples: m.before.map_or(0, |(_, n)| n),
                    after_mean: m.after.map(|(mean, _)| mean),
                    after_samples: m.after.map_or(0, |(_, n)| n),
                    series: m.series.clone(),
                })
                .collect(),
            signals: report.signals.iter().map(SignalDto::from).collect(),
        }
    }
}

impl RolloutReportDto {
    /// The metrics as CSV: one row per metric and cohort.
    pub fn metrics_csv(&self) -> String {
        let number = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.6}"));
        let field = |text: &str| {
            if text.contains([',', '"', '\n']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.to_string()
            }
        };
        let mut out = String::from(
            "rollout,release,metric,cohort,devices,before_mean,before_samples,after_mean,after_samples\n",
        );
        for m in &self.metrics {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                field(&self.rollout),
                field(&self.release),
                m.metric,
                m.cohort,
                m.devices,
                number(m.before_mean),
                m.before_samples,
                number(m.after_mean),
                m.after_samples
            ));
        }
        out
    }
}
