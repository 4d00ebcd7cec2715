//! Fleet monitoring (issue 15): the telemetry devices send, stored and rolled up; the
//! signals raised from it; a person's triage of those signals.
//!
//! - [`ingest`]: one batch of an authenticated device, from the HTTP route or an MQTT message
//!   alike — checked line by line (`aftercare_fleet::telemetry`), the good lines stored with
//!   their rollups in one transaction, the bad ones reported and counted; a release or
//!   firmware hash matching no known release raises a `version_drift` / `firmware_drift`
//!   signal, a clock skew beyond the flag a `clock_skew` signal. Windows use the server's
//!   receive time, never the device's.
//! - [`signals`], [`signal`], [`acknowledge`], [`dismiss`]: the signals with their evidence;
//!   triage needs `signal.triage` and is audited.
//! - [`telemetry`]: a device's state and rollups, for `device telemetry` and the pages.
//! - [`purge`]: the retention job; it deletes raw events and old rollups, never a signal or
//!   any other record.
//!
//! Batches are not audited one by one (the volume is a device's heartbeat); a raised signal
//! and every decision on one are.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use aftercare_fleet::detect::{self, DetectorConfig, MetricState, SecurityRates};
use aftercare_fleet::health;
use aftercare_fleet::telemetry::{self, BatchError, Event, LineError};
use aftercare_model::access::Permission;
use aftercare_store::device::DeviceRow;
use aftercare_store::fleet::{
    self as stored, Cohort, DeviceTelemetry, EventRow, GRAINS, NewSignal, Rollup, SignalRow,
};
use aftercare_store::{Tx, artifact as artifacts, release as releases};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::access::auth::Principal;
use crate::audit::{AuditAction, Change, record};
use crate::{Context, ServiceError, Workspace};

/// What happened to a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ingested {
    /// Lines stored.
    pub accepted: usize,
    /// Lines refused, each with its number, field and reason.
    pub rejected: Vec<LineError>,
    /// The device's clock skew (device − server) from the batch's heartbeat, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skew_seconds: Option<f64>,
    /// Whether that skew is beyond the flag.
    pub skew_flagged: bool,
    /// Signals this batch raised (new ones; a repeat is counted on the open one).
    pub signals: Vec<i64>,
}

/// The detectors' warm state: one small state per device and metric, one set of rate
/// windows per device (`aftercare_fleet::detect`). A server holds one for its life and every
/// batch it receives feeds it; a restart relearns the baselines (a metric may signal again
/// after its minimum sample count). With several nodes, each node sees the batches it
/// receives: route a device to one node (or use one node for MQTT) for its series to be whole.
#[derive(Debug, Default)]
pub struct Detectors {
    config: DetectorConfig,
    metrics: Mutex<HashMap<(i64, String), MetricState>>,
    security: Mutex<HashMap<i64, SecurityRates>>,
}

impl Detectors {
    /// Detectors with these settings (checked).
    pub fn new(config: DetectorConfig) -> Result<Detectors, ServiceError> {
        config
            .validate()
            .map_err(|error| ServiceError::InvalidInput {
                field: "fleet.detectors",
                message: error.to_string(),
            })?;
        Ok(Detectors {
            config,
            ..Detectors::default()
        })
    }

    /// The settings.
    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Series held (device × metric).
    pub fn series(&self) -> usize {
        self.metrics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Feeds a batch's good lines, all received at `at`; returns what they tripped.
    fn observe(
        &self,
        device_id: i64,
        lines: &[telemetry::Line],
        times: &[Timestamp],
    ) -> Vec<detect::Signal> {
        let mut tripped = Vec::new();
        let mut metrics = self
            .metrics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut security = self
            .security
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (line, &at) in lines.iter().zip(times) {
            match &line.event {
                Event::Metric(metric) => {
                    let rule = self.config.metric_rule_for(&metric.name, &metric.unit);
                    let state = metrics.entry((device_id, metric.name.clone())).or_default();
                    if let Ok(Some(signal)) = state.observe(&rule, &metric.name, at, metric.value) {
                        tripped.push(signal);
                    }
                }
                Event::Security(event) => {
                    let rates = security.entry(device_id).or_default();
                    if let Some(signal) = rates.observe(&self.config.rate, event, at) {
                        tripped.push(signal);
                    }
                }
                Event::Heartbeat(_) => {}
            }
        }
        tripped
    }
}

/// The stored kind and subject of a detector's signal.
fn stored_kind(signal: &detect::Signal) -> (&'static str, String) {
    match signal.kind {
        detect::SignalKind::Rate => ("rate", format!("security.{}", signal.subject)),
        kind => (kind.label(), signal.subject.clone()),
    }
}

/// Grains rolled up per device; a per-device minute would be the raw stream again.
const DEVICE_GRAINS: [&str; 2] = ["hour", "day"];

#[derive(Debug, Clone, Copy)]
struct Agg {
    samples: i64,
    total: f64,
    minimum: f64,
    maximum: f64,
}

impl Agg {
    fn add(&mut self, value: f64) {
        self.samples += 1;
        self.total += value;
        self.minimum = self.minimum.min(value);
        self.maximum = self.maximum.max(value);
    }
}

/// The rollup metric of an event: the metric's name, `security.<kind>` for a security event
/// (its value the count); a heartbeat is not rolled up.
fn rollup_metric(event: &Event) -> Option<(String, f64)> {
    match event {
        Event::Heartbeat(_) => None,
        Event::Metric(metric) => Some((metric.name.clone(), metric.value)),
        Event::Security(security) => Some((
            format!("security.{}", security.event.label()),
            f64::from(security.count),
        )),
    }
}

fn rollups(events: &[(i64, String, f64)], grains: &[&'static str]) -> Vec<Rollup> {
    let mut buckets: BTreeMap<(String, &'static str, i64), Agg> = BTreeMap::new();
    for (at, metric, value) in events {
        for (grain, width) in GRAINS.iter().filter(|(g, _)| grains.contains(g)) {
            let start = at.div_euclid(*width) * width;
            buckets
                .entry((metric.clone(), grain, start))
                .or_insert(Agg {
                    samples: 0,
                    total: 0.0,
                    minimum: f64::INFINITY,
                    maximum: f64::NEG_INFINITY,
                })
                .add(*value);
        }
    }
    buckets
        .into_iter()
        .map(|((metric, grain, start_ms), agg)| Rollup {
            metric,
            grain,
            start_ms,
            samples: agg.samples,
            total: agg.total,
            minimum: agg.minimum,
            maximum: agg.maximum,
        })
        .collect()
}

/// Stores one batch of an authenticated device (no principal: the device's credential was
/// checked by the caller). A batch refused as a whole (too large, empty) changes nothing.
pub async fn ingest(
    workspace: &Workspace,
    context: &Context,
    detectors: &Detectors,
    device: &DeviceRow,
    body: &[u8],
) -> Result<Ingested, ServiceError> {
    store_batch(workspace, context, detectors, device, body, false).await
}

/// Stores one batch whose lines carry the times they were received at, in `ts` — a
/// simulation (`aftercare simulate-fleet`) or a trusted gateway replaying what it buffered.
/// The server accepts it only when started with `--trust-device-time`: on a real fleet a
/// device's clock would otherwise decide its windows. A line without `ts` is received now;
/// the limits of [`telemetry::parse_batch`] against the server's time still hold.
pub async fn replay(
    workspace: &Workspace,
    context: &Context,
    detectors: &Detectors,
    device: &DeviceRow,
    body: &[u8],
) -> Result<Ingested, ServiceError> {
    store_batch(workspace, context, detectors, device, body, true).await
}

async fn store_batch(
    workspace: &Workspace,
    context: &Context,
    detectors: &Detectors,
    device: &DeviceRow,
    body: &[u8],
    line_times: bool,
) -> Result<Ingested, ServiceError> {
    let received_at = context.now;
    let received_ms = received_at.as_millisecond();
    let batch = telemetry::parse_batch(body, received_at).map_err(|error: BatchError| {
        ServiceError::InvalidInput {
            field: "body",
            message: error.to_string(),
        }
    })?;
    let mut rows = Vec::with_capacity(batch.lines.len());
    let mut samples = Vec::with_capacity(batch.lines.len());
    // A replay's times are the lines' own: no skew to measure against the server's.
    let skew_flagged = !line_times && batch.skew_flagged();
    let skew = if line_times { None } else { batch.skew };
    // Each line's receive time: the server's, or (a replay) the line's own.
    let times: Vec<Timestamp> = batch
        .lines
        .iter()
        .map(|line| match (line_times, line.sent_at) {
            (true, Some(at)) => at,
            _ => received_at,
        })
        .collect();
    let first_ms = times
        .iter()
        .map(|t| t.as_millisecond())
        .min()
        .unwrap_or(received_ms);
    let last_ms = times
        .iter()
        .map(|t| t.as_millisecond())
        .max()
        .unwrap_or(received_ms);
    let mut state = DeviceTelemetry {
        device_id: device.id,
        first_ms,
        last_ms,
        events: batch.lines.len() as i64,
        rejected: batch.rejected.len() as i64,
        skew_ms: skew.map(|skew| skew.as_millis() as i64),
        ..DeviceTelemetry::default()
    };
    for (line, at) in batch.lines.iter().zip(&times) {
        let received_ms = at.as_millisecond();
        let (name, value, detail) = match &line.event {
            Event::Heartbeat(heartbeat) => {
                state.last_heartbeat_ms = Some(received_ms);
                state.reported_release = Some(heartbeat.release.clone());
                state.firmware_sha256.clone_from(&heartbeat.firmware_sha256);
                state.uptime_s = Some(i64::try_from(heartbeat.uptime_s).unwrap_or(i64::MAX));
                (
                    heartbeat.release.clone(),
                    heartbeat.uptime_s as f64,
                    heartbeat
                        .firmware_sha256
                        .as_ref()
                        .map(|hash| json!({ "firmware_sha256": hash }).to_string()),
                )
            }
            Event::Metric(metric) => (
                metric.name.clone(),
                metric.value,
                (!metric.unit.is_empty()).then(|| json!({ "unit": metric.unit }).to_string()),
            ),
            Event::Security(security) => (
                security.event.label().to_string(),
                f64::from(security.count),
                (!security.details.is_empty())
                    .then(|| serde_json::Value::Object(security.details.clone()).to_string()),
            ),
        };
        if let Some((metric, value)) = rollup_metric(&line.event) {
            samples.push((received_ms, metric, value));
        }
        rows.push(EventRow {
            device_id: device.id,
            received_ms,
            sent_ms: line.sent_at.map(Timestamp::as_millisecond),
            kind: line.event.kind().label(),
            name,
            value,
            detail,
        });
    }
    let device_rollups = rollups(&samples, &DEVICE_GRAINS);
    let cohort_rollups = rollups(&samples, &["minute", "hour", "day"]);
    let cohort = Cohort {
        product_id: device.product_id,
        release_id: device.installed_release_id.unwrap_or(0),
        site_id: device.site_id.unwrap_or(0),
    };

    let tripped = detectors.observe(device.id, &batch.lines, &times);
    let store = workspace.store();
    if !rows.is_empty() {
        stored::ensure_partitions(store, first_ms, last_ms).await?;
    }
    let mut tx = store.begin().await?;
    stored::insert_events(&mut tx, &rows).await?;
    stored::add_device_rollups(&mut tx, device.id, &device_rollups).await?;
    stored::add_cohort_rollups(&mut tx, cohort, &cohort_rollups).await?;
    stored::update_device_telemetry(&mut tx, &state).await?;
    let mut raised = Vec::new();
    if let Some(release) = &state.reported_release {
        raised.extend(
            drift(
                &mut tx,
                context,
                device,
                release,
                state.firmware_sha256.as_deref(),
            )
            .await?,
        );
    }
    for signal in &tripped {
        let (kind, subject) = stored_kind(signal);
        let summary = format!("{}: {}", device.controller_id, signal.summary);
        let evidence = serde_json::to_string(signal).unwrap_or_else(|_| "{}".into());
        // A replay's signal is raised at the time of the line that tripped it.
        let at = if line_times {
            Context {
                now: signal.at,
                ..context.clone()
            }
        } else {
            context.clone()
        };
        raised.extend(
            raise(
                &mut tx,
                &at,
                &NewSignal {
                    kind,
                    device_id: Some(device.id),
                    rollout_id: None,
                    subject: &subject,
                    summary: &summary,
                    evidence: &evidence,
                },
            )
            .await?,
        );
    }
    if skew_flagged {
        let skew = state.skew_ms.unwrap_or(0);
        let evidence = json!({
            "skew_ms": skew,
            "flag_ms": telemetry::SKEW_FLAG.as_millis(),
            "received_at": received_at.to_string(),
        });
        let summary = format!(
            "{}'s clock is {:.0} s {} the server's",
            device.controller_id,
            (skew.abs() as f64) / 1000.0,
            if skew < 0 { "behind" } else { "ahead of" }
        );
        raised.extend(
            raise(
                &mut tx,
                context,
                &NewSignal {
                    kind: "clock_skew",
                    device_id: Some(device.id),
                    rollout_id: None,
                    subject: "clock",
                    summary: &summary,
                    evidence: &evidence.to_string(),
                },
            )
            .await?,
        );
    }
    tx.commit().await?;
    Ok(Ingested {
        accepted: batch.lines.len(),
        skew_seconds: state.skew_ms.map(|ms| ms as f64 / 1000.0),
        skew_flagged,
        rejected: batch.rejected,
        signals: raised,
    })
}

/// Raises a signal (or counts a repeat on the open one); a new signal is audited.
pub(crate) async fn raise(
    tx: &mut Tx,
    context: &Context,
    signal: &NewSignal<'_>,
) -> Result<Option<i64>, ServiceError> {
    let (id, new) = stored::raise_signal(tx, signal, &context.at()).await?;
    if !new {
        return Ok(None);
    }
    record(
        tx,
        context,
        Change {
            action: AuditAction::SignalRaise,
            entity_type: "signal",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "kind": signal.kind,
                "device_id": signal.device_id,
                "rollout_id": signal.rollout_id,
                "subject": signal.subject,
                "summary": signal.summary,
                "evidence": serde_json::from_str::<serde_json::Value>(signal.evidence)
                    .unwrap_or(serde_json::Value::Null),
            })),
        },
    )
    .await?;
    Ok(Some(id))
}

/// A heartbeat's release must be a release of the device's product, and its firmware hash —
/// when the release has artifacts — the SHA-256 of one of them.
async fn drift(
    tx: &mut Tx,
    context: &Context,
    device: &DeviceRow,
    release: &str,
    firmware: Option<&str>,
) -> Result<Vec<i64>, ServiceError> {
    let mut raised = Vec::new();
    let known = releases::by_version(tx.conn(), device.product_id, release).await?;
    let Some(known) = known else {
        let summary = format!(
            "{} reports release {release:?}, which is not a release of {}",
            device.controller_id, device.product
        );
        let evidence = json!({
            "reported_release": release,
            "product": device.product,
            "installed_release": device.installed_version,
        });
        raised.extend(
            raise(
                tx,
                context,
                &NewSignal {
                    kind: "version_drift",
                    device_id: Some(device.id),
                    rollout_id: None,
                    subject: release,
                    summary: &summary,
                    evidence: &evidence.to_string(),
                },
            )
            .await?,
        );
        return Ok(raised);
    };
    if let Some(hash) = firmware {
        let files = artifacts::artifacts_of_release(tx.conn(), known.id).await?;
        if !files.is_empty()
            && !files
                .iter()
                .any(|file| file.sha256.eq_ignore_ascii_case(hash))
        {
            let summary = format!(
                "{} runs a firmware image of {} {release} whose SHA-256 matches none of the release's artifacts",
                device.controller_id, device.product
            );
            let evidence = json!({
                "reported_release": release,
                "firmware_sha256": hash,
                "artifacts": files.iter().map(|f| json!({"filename": f.filename, "sha256": f.sha256})).collect::<Vec<_>>(),
            });
            raised.extend(
                raise(
                    tx,
                    context,
                    &NewSignal {
                        kind: "firmware_drift",
                        device_id: Some(device.id),
                        rollout_id: None,
                        subject: release,
                        summary: &summary,
                        evidence: &evidence.to_string(),
                    },
                )
                .await?,
            );
        }
    }
    Ok(raised)
}

/// The signals, newest first, narrowed by state, kind and device (`device.read`).
pub async fn signals(
    workspace: &Workspace,
    principal: &Principal,
    state: Option<&str>,
    kind: Option<&str>,
    controller_id: Option<&str>,
    limit: i64,
) -> Result<Vec<SignalRow>, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    let device_id = match controller_id {
        Some(id) => Some(device_id(workspace, id).await?),
        None => None,
    };
    Ok(stored::signals(
        workspace.store().pool(),
        state,
        kind,
        device_id,
        limit.clamp(1, 10_000),
    )
    .await?)
}

async fn device_id(workspace: &Workspace, controller_id: &str) -> Result<i64, ServiceError> {
    aftercare_store::device::device_untagged(workspace.store().pool(), controller_id.trim())
        .await?
        .map(|device| device.id)
        .ok_or_else(|| ServiceError::NotFound {
            entity: "device",
            key: controller_id.to_string(),
        })
}

/// One signal with its evidence (`device.read`).
pub async fn signal(
    workspace: &Workspace,
    principal: &Principal,
    id: i64,
) -> Result<SignalRow, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    stored::signal(workspace.store().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "signal",
            key: id.to_string(),
        })
}

/// Acknowledges an open signal: a person saw it and keeps watching (`signal.triage`).
pub async fn acknowledge(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
) -> Result<SignalRow, ServiceError> {
    decide(workspace, context, principal, id, "acknowledged", None).await
}

/// Dismisses an open signal with the reason (`signal.triage`).
pub async fn dismiss(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    reason: &str,
) -> Result<SignalRow, ServiceError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::InvalidInput {
            field: "reason",
            message: "a dismissed signal needs the reason it is not a concern".into(),
        });
    }
    decide(workspace, context, principal, id, "dismissed", Some(reason)).await
}

async fn decide(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    state: &str,
    reason: Option<&str>,
) -> Result<SignalRow, ServiceError> {
    principal.require(Permission::SignalTriage)?;
    let mut tx = workspace.store().begin().await?;
    let before = stored::signal(tx.conn(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "signal",
            key: id.to_string(),
        })?;
    if !stored::decide_signal(
        &mut tx,
        id,
        state,
        &context.actor.to_string(),
        &context.at(),
        reason,
    )
    .await?
    {
        return Err(ServiceError::InvalidInput {
            field: "signal",
            message: format!(
                "signal {id} is {}, not open: only an open signal is acknowledged or dismissed",
                before.state
            ),
        });
    }
    record(
        &mut tx,
        context,
        Change {
            action: if state == "dismissed" {
                AuditAction::SignalDismiss
            } else {
                AuditAction::SignalAcknowledge
            },
            entity_type: "signal",
            entity_id: Some(id.to_string()),
            old_value: Some(json!({ "state": before.state })),
            new_value: Some(json!({ "state": state, "reason": reason })),
        },
    )
    .await?;
    tx.commit().await?;
    signal(workspace, principal, id).await
}

/// A device's telemetry: its state and its rollups of one grain in the last `hours`
/// (`device.read`).
pub async fn telemetry(
    workspace: &Workspace,
    principal: &Principal,
    controller_id: &str,
    grain: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<(Option<DeviceTelemetry>, Vec<Rollup>), ServiceError> {
    principal.require(Permission::DeviceRead)?;
    if !DEVICE_GRAINS.contains(&grain) {
        return Err(ServiceError::InvalidInput {
            field: "grain",
            message: format!("{grain:?}: a device's telemetry is rolled up by hour or day"),
        });
    }
    let id = device_id(workspace, controller_id).await?;
    let pool = workspace.store().pool();
    let state = stored::device_telemetry(pool, id).await?;
    let rows = stored::device_rollups(
        pool,
        id,
        None,
        grain,
        from.as_millisecond(),
        to.as_millisecond(),
    )
    .await?;
    Ok((state, rows))
}

/// How long telemetry is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw events, in days.
    pub events_days: i64,
    /// Minute rollups (cohorts), in days.
    pub minute_days: i64,
    /// Hour rollups, in days.
    pub hour_days: i64,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            events_days: 30,
            minute_days: 7,
            hour_days: 400,
        }
    }
}

/// The retention job: raw events and old rollups go; day rollups, signals and every
/// regulated record stay. Returns the raw events deleted (dropped PostgreSQL partitions are
/// not counted).
pub async fn purge(
    workspace: &Workspace,
    now: Timestamp,
    retention: Retention,
) -> Result<u64, ServiceError> {
    let now_ms = now.as_millisecond();
    let day = stored::DAY_MS;
    Ok(stored::purge_before(
        workspace.store(),
        now_ms - retention.events_days * day,
        &[
            ("minute", now_ms - retention.minute_days * day),
            ("hour", now_ms - retention.hour_days * day),
        ],
    )
    .await?)
}

/// The fleet's periodic pass: a device whose last heartbeat is more than the silence rule's
/// poll intervals old raises a `silence` signal (one while it stays open). `poll` is the
/// interval devices are told to poll at (DDI `config.polling.sleep`). Returns the new
/// signals.
pub async fn tick(
    workspace: &Workspace,
    context: &Context,
    detectors: &Detectors,
    poll: SignedDuration,
) -> Result<Vec<i64>, ServiceError> {
    let heartbeats = stored::heartbeats(workspace.store().pool()).await?;
    let rule = detectors.config.silence;
    let mut silent = Vec::new();
    for (controller_id, state) in &heartbeats {
        let Some(last) = state
            .last_heartbeat_ms
            .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        else {
            continue;
        };
        if let Some(signal) = detect::silence(&rule, last, poll, context.now) {
            silent.push((controller_id, state.device_id, signal));
        }
    }
    if silent.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = workspace.store().begin().await?;
    let mut raised = Vec::new();
    for (controller_id, device_id, signal) in silent {
        let summary = format!("{controller_id}: {}", signal.summary);
        let evidence = serde_json::to_string(&signal).unwrap_or_else(|_| "{}".into());
        raised.extend(
            raise(
                &mut tx,
                context,
                &NewSignal {
                    kind: "silence",
                    device_id: Some(device_id),
                    rollout_id: None,
                    subject: "heartbeat",
                    summary: &summary,
                    evidence: &evidence,
                },
            )
            .await?,
        );
    }
    tx.commit().await?;
    Ok(raised)
}

/// A patch's delivery: how long after its approval the devices installed it — the
/// manufacturer's patching capability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchCapability {
    /// The patch release's version.
    pub release: String,
    /// When it was approved.
    pub approved_at: Option<String>,
    /// Devices that installed it.
    pub installed: usize,
    /// The median time from approval to a device's install, in hours.
    pub median_hours: Option<f64>,
    /// The 90th percentile (nearest rank), in hours.
    pub p90_hours: Option<f64>,
}

/// One vulnerability's exposure: the devices exposed now by product, release, organisation
/// and site; the residual-exposure curve (devices exposed at each day's end); each patch's
/// delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// The vulnerability, as findings name it.
    pub vulnerability: String,
    /// The releases with an open finding of it (`product@version`).
    pub releases: Vec<String>,
    /// Devices exposed now, in all.
    pub total: i64,
    /// Devices exposed now, by product, release, organisation and site.
    pub now: Vec<aftercare_store::fleet::ExposureCount>,
    /// `(instant, devices exposed)`, one point per day's end and the last one now.
    pub curve: Vec<(Timestamp, i64)>,
    /// The patches serving a plan that remediates it, with their delivery.
    pub patches: Vec<PatchCapability>,
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// A vulnerability's exposure across the fleet (`device.read`): now, as a curve over the last
/// `days` days, and each patch's delivery. Decommissioned devices leave it from their
/// decommissioning on.
pub async fn exposure(
    workspace: &Workspace,
    principal: &Principal,
    vulnerability: &str,
    days: i64,
    now: Timestamp,
) -> Result<Exposure, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    let canonical = crate::device::canonical(workspace, vulnerability).await?;
    let pool = workspace.store().pool();
    let exposed = stored::exposed_releases(pool, &canonical).await?;
    let counts = stored::exposure_now(workspace.store(), &exposed).await?;
    let mut releases: Vec<String> = Vec::new();
    for id in &exposed {
        if let Some(release) = releases::by_id(pool, *id).await? {
            releases.push(format!("{}@{}", release.product_name, release.version));
        }
    }
    let total = counts.iter().map(|c| c.devices).sum();

    // The curve: each device's history as intervals; +1 where an interval on an exposed
    // release (not decommissioned) starts, −1 where it ends.
    let history = stored::histories_touching(workspace.store(), &exposed).await?;
    let mut steps: Vec<(i64, i64)> = Vec::new();
    for device in history.chunk_by(|a, b| a.device_id == b.device_id) {
        for (index, row) in device.iter().enumerate() {
            let exposed_here = row.state != "decommissioned"
                && row
                    .release_id
                    .is_some_and(|id| exposed.binary_search(&id).is_ok());
            if !exposed_here {
                continue;
            }
            let Ok(start) = row.at.parse::<Timestamp>() else {
                continue;
            };
            steps.push((start.as_millisecond(), 1));
            if let Some(next) = device.get(index + 1)
                && let Ok(end) = next.at.parse::<Timestamp>()
            {
                steps.push((end.as_millisecond(), -1));
            }
        }
    }
    steps.sort_unstable();
    let days = days.clamp(1, 3650);
    let now_ms = now.as_millisecond();
    let day = stored::DAY_MS;
    let first = now_ms.div_euclid(day) * day - (days - 1) * day;
    let mut instants: Vec<i64> = (0..days)
        .map(|d| first + d * day)
        .filter(|t| *t < now_ms)
        .collect();
    instants.push(now_ms);
    let mut curve = Vec::with_capacity(instants.len());
    let (mut level, mut next) = (0i64, 0usize);
    for instant in instants {
        while next < steps.len() && steps[next].0 <= instant {
            level += steps[next].1;
            next += 1;
        }
        curve.push((Timestamp::from_millisecond(instant).unwrap_or(now), level));
    }

    // Patching capability: approval → each device's first install of the patch.
    let mut patches = Vec::new();
    for (release_id, version, approved_at) in stored::patches_for(pool, &canonical).await? {
        let approved = approved_at
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok());
        let mut installs: BTreeMap<i64, Timestamp> = BTreeMap::new();
        for row in stored::histories_touching(workspace.store(), &[release_id]).await? {
            if row.release_id == Some(release_id)
                && let Ok(at) = row.at.parse::<Timestamp>()
            {
                installs.entry(row.device_id).or_insert(at);
            }
        }
        let mut hours: Vec<f64> = match approved {
            Some(approved) => installs
                .values()
                .map(|at| at.duration_since(approved).as_secs_f64() / 3600.0)
                .filter(|h| *h >= 0.0)
                .collect(),
            None => Vec::new(),
        };
        hours.sort_by(f64::total_cmp);
        patches.push(PatchCapability {
            release: version,
            approved_at,
            installed: installs.len(),
            median_hours: percentile(&hours, 0.5),
            p90_hours: percentile(&hours, 0.9),
        });
    }
    Ok(Exposure {
        vulnerability: canonical,
        releases,
        total,
        now: counts,
        curve,
        patches,
    })
}

/// A rollout's health rules (`rollout.manage`): each compares, on one metric, the rollout's
/// patched devices with the product's unpatched ones over a soak
/// (`aftercare_fleet::health`). A rule for a metric replaces the rollout's rule for the same
/// metric; `None` clears them all. Audited as `rollout.health`.
pub async fn set_health(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    rollout: &str,
    rule: Option<health::HealthRule>,
) -> Result<Vec<health::HealthRule>, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    if let Some(rule) = &rule {
        rule.validate()
            .map_err(|error| ServiceError::InvalidInput {
                field: "rule",
                message: error.to_string(),
            })?;
    }
    let mut tx = workspace.store().begin().await?;
    let row = aftercare_store::rollout::rollout(tx.conn(), rollout.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: rollout.to_string(),
        })?;
    let before: Vec<health::HealthRule> = stored::health_rules(tx.conn(), row.id)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let rules = match rule {
        Some(rule) => {
            let mut rules: Vec<health::HealthRule> = before
                .iter()
                .filter(|r| r.metric != rule.metric)
                .cloned()
                .collect();
            rules.push(rule);
            rules
        }
        None => Vec::new(),
    };
    let text = serde_json::to_string(&rules).unwrap_or_else(|_| "[]".into());
    stored::set_health_rules(
        &mut tx,
        row.id,
        &text,
        &context.actor.to_string(),
        &context.at(),
    )
    .await?;
    record(
        &mut tx,
        context,
        Change {
            action: AuditAction::RolloutHealth,
            entity_type: "rollout",
            entity_id: Some(row.name.clone()),
            old_value: Some(serde_json::to_value(&before).unwrap_or_default()),
            new_value: Some(serde_json::to_value(&rules).unwrap_or_default()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rules)
}

/// A rollout's health rules (`device.read`).
pub async fn health_rules(
    workspace: &Workspace,
    principal: &Principal,
    rollout_id: i64,
) -> Result<Vec<health::HealthRule>, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    Ok(stored::health_rules(workspace.store().pool(), rollout_id)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

/// A breach of a running rollout's health gate, to pause it with.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// The rollout's id.
    pub rollout_id: i64,
    /// Its name.
    pub rollout: String,
    /// The metric.
    pub metric: String,
    /// One line for a person.
    pub summary: String,
    /// The evidence (the verdict with both cohorts), JSON.
    pub evidence: serde_json::Value,
}

/// Evaluates every running rollout's health rules: its devices that run the release now
/// (their hourly rollups since their install, within the soak) against the product's
/// devices that do not (within the soak). Returns the breaches; a rule without enough data
/// yet is no breach.
pub async fn health_gate(
    workspace: &Workspace,
    now: Timestamp,
) -> Result<Vec<Breach>, ServiceError> {
    let pool = workspace.store().pool();
    let mut breaches = Vec::new();
    for gated in stored::gated_rollouts(pool).await? {
        let Ok(rules) = serde_json::from_str::<Vec<health::HealthRule>>(&gated.rules) else {
            continue;
        };
        let patched = stored::patched_devices(pool, gated.id, gated.release_id).await?;
        let unpatched = stored::unpatched_devices(pool, gated.product_id, gated.release_id).await?;
        let installed: HashMap<i64, i64> = patched
            .iter()
            .map(|(id, at)| {
                let at = at
                    .as_deref()
                    .and_then(|t| t.parse::<Timestamp>().ok())
                    .map_or(i64::MIN, Timestamp::as_millisecond);
                (*id, at)
            })
            .collect();
        let first_install = installed.values().copied().filter(|t| *t > i64::MIN).min();
        let observed = first_install.map_or(SignedDuration::ZERO, |t| {
            SignedDuration::from_millis(now.as_millisecond() - t)
        });
        for rule in rules {
            let from = now.as_millisecond() - rule.soak.as_millis() as i64;
            let aggregate = |rows: Vec<(i64, i64, i64, f64)>, since: &dyn Fn(i64) -> i64| {
                let mut sums: BTreeMap<i64, (u64, f64)> = BTreeMap::new();
                for (device, start, samples, total) in rows {
                    if start >= since(device) {
                        let entry = sums.entry(device).or_default();
                        entry.0 += u64::try_from(samples).unwrap_or(0);
                        entry.1 += total;
                    }
                }
                sums.values()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, total)| health::DeviceAggregate {
                        mean: total / *n as f64,
                        samples: *n,
                    })
                    .collect::<Vec<_>>()
            };
            let ids: Vec<i64> = patched.iter().map(|(id, _)| *id).collect();
            let patched_rows = stored::hourly_of_devices(pool, &ids, &rule.metric, from).await?;
            // A patched device counts from the first whole hour after its install.
            let patched_agg = aggregate(patched_rows, &|device| {
                installed
                    .get(&device)
                    .map_or(from, |t| (t.div_euclid(3_600_000) + 1) * 3_600_000)
            });
            let unpatched_rows =
                stored::hourly_of_devices(pool, &unpatched, &rule.metric, from).await?;
            let unpatched_agg = aggregate(unpatched_rows, &|_| from);
            let verdict = health::evaluate(&rule, &patched_agg, &unpatched_agg, observed);
            if let health::Verdict::Breach { evidence } = &verdict {
                breaches.push(Breach {
                    rollout_id: gated.id,
                    rollout: gated.name.clone(),
                    metric: rule.metric.clone(),
                    summary: evidence.summary.clone(),
                    evidence: serde_json::to_value(&verdict).unwrap_or_default(),
                });
            }
        }
    }
    Ok(breaches)
}

/// Raises the `health_gate` signal of a breach (one open signal per rollout and metric).
pub async fn record_breach(
    workspace: &Workspace,
    context: &Context,
    breach: &Breach,
) -> Result<Option<i64>, ServiceError> {
    let mut tx = workspace.store().begin().await?;
    let summary = format!("rollout {}: {}", breach.rollout, breach.summary);
    let subject = format!("{}:{}", breach.rollout, breach.metric);
    let raised = raise(
        &mut tx,
        context,
        &NewSignal {
            kind: "health_gate",
            device_id: None,
            rollout_id: Some(breach.rollout_id),
            subject: &subject,
            summary: &summary,
            evidence: &breach.evidence.to_string(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(raised)
}

/// How many of `devices` ran a release of `exposed` (and were not decommissioned) at each
/// instant, from their histories (sorted by device and time).
fn exposed_at(
    history: &[aftercare_store::fleet::HistoryRow],
    exposed: &[i64],
    devices: &std::collections::BTreeSet<i64>,
    instants: &[Timestamp],
) -> Vec<i64> {
    let mut counts = vec![0; instants.len()];
    for device in history.chunk_by(|a, b| a.device_id == b.device_id) {
        if !devices.contains(&device[0].device_id) {
            continue;
        }
        for (slot, instant) in instants.iter().enumerate() {
            // The device's last change at or before the instant.
            let current = device
                .iter()
                .rev()
                .find(|row| row.at.parse::<Timestamp>().is_ok_and(|at| at <= *instant));
            if let Some(row) = current
                && row.state != "decommissioned"
                && row
                    .release_id
                    .is_some_and(|id| exposed.binary_search(&id).is_ok())
            {
                counts[slot] += 1;
            }
        }
    }
    counts
}

/// One vulnerability the patch remediates: the rollout's devices exposed to it when the
/// rollout started and now.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureChange {
    /// The vulnerability.
    pub vulnerability: String,
    /// The rollout's devices exposed when it started.
    pub before: i64,
    /// Now.
    pub after: i64,
}

/// One metric of one cohort, before the rollout and since.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortMetric {
    /// The metric.
    pub metric: String,
    /// `patched` (the rollout's devices that run the release now) or `unpatched` (the
    /// product's devices that do not).
    pub cohort: &'static str,
    /// Devices in the cohort.
    pub devices: usize,
    /// The pooled mean in the 24 hours before the rollout started, and its samples.
    pub before: Option<(f64, i64)>,
    /// The pooled mean since (a patched device from the first whole hour after its
    /// install), and its samples.
    pub after: Option<(f64, i64)>,
    /// The hourly pooled means from 24 hours before the start to now: `(hour, mean)`.
    pub series: Vec<(i64, f64)>,
}

/// A rollout's post-patch report: exposure before and after, the patched and unpatched
/// cohorts' metrics before and after, and the signals raised during the rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutReport {
    /// The rollout.
    pub rollout: String,
    /// `product@version`.
    pub release: String,
    /// Its state.
    pub state: String,
    /// When its first wave started.
    pub started_at: Option<Timestamp>,
    /// When the report was made.
    pub now: Timestamp,
    /// Devices it targets.
    pub devices: usize,
    /// Of those, running the release now.
    pub installed: usize,
    /// The rollout's devices exposed to each vulnerability the patch remediates.
    pub exposure: Vec<ExposureChange>,
    /// The metrics, per cohort.
    pub metrics: Vec<CohortMetric>,
    /// The signals raised since the rollout started about its devices or itself.
    pub signals: Vec<SignalRow>,
}

/// The post-patch report of a rollout (`device.read`).
pub async fn rollout_report(
    workspace: &Workspace,
    principal: &Principal,
    name: &str,
    now: Timestamp,
) -> Result<RolloutReport, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    let pool = workspace.store().pool();
    let row = aftercare_store::rollout::rollout(pool, name.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: name.to_string(),
        })?;
    let waves = aftercare_store::rollout::waves(pool, row.id).await?;
    let started_at = waves
        .iter()
        .filter_map(|w| w.started_at.as_deref())
        .filter_map(|t| t.parse::<Timestamp>().ok())
        .min();
    let start = started_at.unwrap_or(now);
    let targeted = stored::rollout_device_ids(pool, row.id).await?;
    let target_set: std::collections::BTreeSet<i64> = targeted.iter().copied().collect();
    let patched = stored::patched_devices(pool, row.id, row.release_id).await?;
    let unpatched = stored::unpatched_devices(pool, row.product_id, row.release_id).await?;

    let mut exposure = Vec::new();
    for vulnerability in stored::vulnerabilities_fixed_by(pool, row.release_id).await? {
        let exposed = stored::exposed_releases(pool, &vulnerability).await?;
        let history = stored::histories_touching(workspace.store(), &exposed).await?;
        let counts = exposed_at(&history, &exposed, &target_set, &[start, now]);
        exposure.push(ExposureChange {
            vulnerability,
            before: counts[0],
            after: counts[1],
        });
    }

    let day_before = start.as_millisecond() - stored::DAY_MS;
    let installed: HashMap<i64, i64> = patched
        .iter()
        .map(|(id, at)| {
            let at = at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .map_or(start.as_millisecond(), Timestamp::as_millisecond);
            (*id, (at.div_euclid(3_600_000) + 1) * 3_600_000)
        })
        .collect();
    let patched_ids: Vec<i64> = patched.iter().map(|(id, _)| *id).collect();
    let mut all: Vec<i64> = patched_ids.clone();
    all.extend(&unpatched);
    let mut metrics = Vec::new();
    for metric in stored::metrics_of_devices(workspace.store(), &all).await? {
        for (cohort, ids) in [("patched", &patched_ids), ("unpatched", &unpatched)] {
            let rows = stored::hourly_of_devices(pool, ids, &metric, day_before).await?;
            let (mut before, mut after) = ((0i64, 0.0f64), (0i64, 0.0f64));
            let mut hours: BTreeMap<i64, (i64, f64)> = BTreeMap::new();
            for (device, hour, samples, total) in rows {
                let entry = hours.entry(hour).or_default();
                entry.0 += samples;
                entry.1 += total;
                if hour < start.as_millisecond() {
                    before.0 += samples;
                    before.1 += total;
                } else if hour
                    >= installed
                        .get(&device)
                        .copied()
                        .unwrap_or(start.as_millisecond())
                {
                    after.0 += samples;
                    after.1 += total;
                }
            }
            let mean = |(n, total): (i64, f64)| (n > 0).then(|| (total / n as f64, n));
            metrics.push(CohortMetric {
                metric: metric.clone(),
                cohort,
                devices: ids.len(),
                before: mean(before),
                after: mean(after),
                series: hours
                    .into_iter()
                    .filter(|(_, (n, _))| *n > 0)
                    .map(|(hour, (n, total))| (hour, total / n as f64))
                    .collect(),
            });
        }
    }
    let signals = stored::signals_since(pool, &start.to_string())
        .await?
        .into_iter()
        .filter(|s| {
            s.rollout_id == Some(row.id) || s.device_id.is_some_and(|d| target_set.contains(&d))
        })
        .collect();
    Ok(RolloutReport {
        rollout: row.name.clone(),
        release: format!("{}@{}", row.product, row.version),
        state: row.state.clone(),
        started_at,
        now,
        devices: targeted.len(),
        installed: patched.len(),
        exposure,
        metrics,
        signals,
    })
}
