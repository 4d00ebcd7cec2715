//! Fleet telemetry through storage, on each backend: a batch keeps its good lines and reports
//! each bad one; the lines are rolled up per device (hour, day) and per cohort (minute, hour,
//! day) with counts, sums, minima and maxima that add up across batches; a release the product
//! does not have raises one `version_drift` signal however often it repeats; a clock ten
//! minutes slow raises `clock_skew`; triage needs a reason to dismiss and is audited; the
//! retention job deletes raw events and keeps signals and day rollups.
//!
//! Expected values by hand: the first batch arrives at 10:00:30 with `cpu.load` 0.5 and 0.75,
//! and 3 auth failures in one line; the second at 10:10:30 with `cpu.load` 0.25. The hour
//! bucket 10:00 of `cpu.load` then holds 3 samples, sum 1.5, min 0.25, max 0.75; the minute
//! buckets 10:00 and 10:10 of the cohort hold 2 and 1.

use aftercare_model::Actor;
use aftercare_service::device::{self, DeviceToken, NewDeviceRequest};
use aftercare_service::fleet::{self, Retention};
use aftercare_service::{Context, ServiceError, Workspace, flow, inventory};
use aftercare_store::fleet as stored;
use jiff::Timestamp;
use sqlx::Row;

use crate::intel::admin;
use crate::workspaces;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn device_context(at: Timestamp) -> Context {
    Context::new(Actor::system("device:pump-1"), at)
}

async fn pump(workspace: &Workspace, context: &Context) -> aftercare_store::device::DeviceRow {
    inventory::add_product(workspace, context, "Pump", None)
        .await
        .unwrap();
    flow::import_release(workspace, context, "Pump", "2.1.0", None)
        .await
        .unwrap();
    let admin = admin(workspace).await;
    let registered = device::add(
        workspace,
        context,
        &admin,
        &NewDeviceRequest {
            controller_id: "pump-1".into(),
            product: "Pump".into(),
            serial: "SN-1".into(),
            release: Some("2.1.0".into()),
            ..NewDeviceRequest::default()
        },
    )
    .await
    .unwrap();
    device::authenticate(
        workspace,
        "pump-1",
        &DeviceToken::new(registered.token.expose()),
    )
    .await
    .unwrap()
}

async fn count(workspace: &Workspace, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(workspace.raw_store().pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

#[tokio::test]
async fn a_batch_is_kept_line_by_line_rolled_up_and_its_drift_and_skew_raise_one_signal_each() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let device = pump(&workspace, &context).await;
        let detectors = fleet::Detectors::default();
        let first = at("2026-03-02T10:00:30Z");
        let batch = concat!(
            r#"{"type":"heartbeat","ts":"2026-03-02T10:00:29Z","release":"2.1.0","uptime_s":600}"#,
            "\n",
            r#"{"type":"metric","name":"cpu.load","value":0.5,"unit":"ratio"}"#,
            "\n",
            r#"{"type":"metric","name":"cpu.load","value":0.75}"#,
            "\n",
            r#"{"type":"metric","name":"cpu.load","value":0.5,"patient_id":"4711"}"#,
            "\n",
            r#"{"type":"security_event","event":"auth_failure","count":3,"details":{"service":"ssh"}}"#,
            "\n",
            "{\"type\":\"metric\"\n",
        );
        let ingested = fleet::ingest(
            &workspace,
            &device_context(first),
            &detectors,
            &device,
            batch.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(ingested.accepted, 4, "{backend}");
        let rejected: Vec<(usize, Option<&str>)> = ingested
            .rejected
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            rejected,
            vec![(4, Some("patient_id")), (6, None)],
            "{backend}"
        );
        assert_eq!(ingested.skew_seconds, Some(-1.0), "{backend}");
        assert!(ingested.signals.is_empty(), "{backend}");

        let second = at("2026-03-02T10:10:30Z");
        let ingested = fleet::ingest(
            &workspace,
            &device_context(second),
            &detectors,
            &device,
            br#"{"type":"metric","name":"cpu.load","value":0.25}"#,
        )
        .await
        .unwrap();
        assert_eq!(ingested.accepted, 1, "{backend}");

        let pool = workspace.raw_store().pool();
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM telemetry_events"
            )
            .await,
            5,
            "{backend}"
        );
        let hour = at("2026-03-02T10:00:00Z").as_millisecond();
        let rollups = stored::device_rollups(pool, device.id, None, "hour", hour, hour + 1)
            .await
            .unwrap();
        let summary: Vec<(String, i64, f64, f64, f64)> = rollups
            .iter()
            .map(|r| (r.metric.clone(), r.samples, r.total, r.minimum, r.maximum))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("cpu.load".to_string(), 3, 1.5, 0.25, 0.75),
                ("security.auth_failure".to_string(), 1, 3.0, 3.0, 3.0),
            ],
            "{backend}"
        );
        let release = device.installed_release_id.unwrap();
        let minutes = stored::cohort_rollups(
            pool,
            device.product_id,
            release,
            None,
            "cpu.load",
            "minute",
            hour,
            hour + 3_600_000,
        )
        .await
        .unwrap();
        let minutes: Vec<(i64, i64)> = minutes
            .iter()
            .map(|r| ((r.start_ms - hour) / 60_000, r.samples))
            .collect();
        assert_eq!(minutes, vec![(0, 2), (10, 1)], "{backend}");
        let state = stored::device_telemetry(pool, device.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                state.events,
                state.rejected,
                state.last_heartbeat_ms,
                state.last_ms
            ),
            (5, 2, Some(first.as_millisecond()), second.as_millisecond()),
            "{backend}"
        );
        assert_eq!(
            state.reported_release.as_deref(),
            Some("2.1.0"),
            "{backend}"
        );

        // A release the product does not have: one signal, however often it repeats.
        let drifted = br#"{"type":"heartbeat","release":"2.1.0-custom","uptime_s":5}"#;
        let one = fleet::ingest(
            &workspace,
            &device_context(second),
            &detectors,
            &device,
            drifted,
        )
        .await
        .unwrap();
        assert_eq!(one.signals.len(), 1, "{backend}");
        let again = fleet::ingest(
            &workspace,
            &device_context(second),
            &detectors,
            &device,
            drifted,
        )
        .await
        .unwrap();
        assert!(again.signals.is_empty(), "{backend}");
        let admin = admin(&workspace).await;
        let open = fleet::signals(&workspace, &admin, Some("open"), None, None, 100)
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "{backend}");
        assert_eq!(
            (
                open[0].kind.as_str(),
                open[0].subject.as_str(),
                open[0].occurrences
            ),
            ("version_drift", "2.1.0-custom", 2),
            "{backend}"
        );
        assert!(
            open[0].evidence.contains("\"installed_release\":\"2.1.0\""),
            "{backend}"
        );

        // A clock ten minutes slow.
        let slow = fleet::ingest(
            &workspace,
            &device_context(second),
            &detectors,
            &device,
            br#"{"type":"heartbeat","ts":"2026-03-02T10:00:30Z","release":"2.1.0","uptime_s":9}"#,
        )
        .await
        .unwrap();
        assert!(slow.skew_flagged, "{backend}");
        let skew = fleet::signal(&workspace, &admin, slow.signals[0])
            .await
            .unwrap();
        assert_eq!(skew.kind, "clock_skew", "{backend}");
        assert!(
            skew.summary.contains("600 s behind"),
            "{backend}: {}",
            skew.summary
        );

        // Triage: a dismissal needs its reason; a decided signal is not decided again.
        let drift_id = open[0].id;
        let refused = fleet::dismiss(&workspace, &context, &admin, drift_id, "  ")
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                ServiceError::InvalidInput {
                    field: "reason",
                    ..
                }
            ),
            "{backend}"
        );
        let dismissed = fleet::dismiss(
            &workspace,
            &context,
            &admin,
            drift_id,
            "engineering build on the bench unit",
        )
        .await
        .unwrap();
        assert_eq!(dismissed.state, "dismissed", "{backend}");
        assert!(
            fleet::acknowledge(&workspace, &context, &admin, drift_id)
                .await
                .is_err(),
            "{backend}"
        );
        let acknowledged = fleet::acknowledge(&workspace, &context, &admin, skew.id)
            .await
            .unwrap();
        assert_eq!(acknowledged.state, "acknowledged", "{backend}");
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action LIKE 'signal.%'"
            )
            .await,
            4,
            "{backend}: two raised, one dismissed, one acknowledged"
        );

        // Retention: 31 days later raw events and the hour rollups older than their own
        // period stay or go by their own cutoffs; signals are never touched.
        let later = at("2026-04-02T12:00:00Z");
        fleet::purge(&workspace, later, Retention::default())
            .await
            .unwrap();
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM telemetry_events"
            )
            .await,
            0,
            "{backend}"
        );
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM cohort_rollups WHERE grain = 'minute'"
            )
            .await,
            0,
            "{backend}"
        );
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM device_rollups WHERE grain = 'day'"
            )
            .await,
            2,
            "{backend}"
        );
        assert_eq!(
            count(&workspace, "SELECT CAST(COUNT(*) AS BIGINT) FROM signals").await,
            2,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_batch_refused_as_a_whole_changes_nothing() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let device = pump(&workspace, &context).await;
        let detectors = fleet::Detectors::default();
        let error = fleet::ingest(
            &workspace,
            &device_context(context.now),
            &detectors,
            &device,
            b"\n\n",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::InvalidInput { field: "body", .. }),
            "{backend}"
        );
        let huge = vec![b'x'; aftercare_fleet::telemetry::MAX_BATCH_BYTES + 1];
        assert!(
            fleet::ingest(
                &workspace,
                &device_context(context.now),
                &detectors,
                &device,
                &huge
            )
            .await
            .is_err(),
            "{backend}"
        );
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM device_telemetry"
            )
            .await,
            0,
            "{backend}"
        );
    }
}

/// The detectors behind ingest: 20 auth failures in five minutes raise a `rate` signal on
/// the 20th; a metric that steps from about 10 to 20 after four hours of noise raises a
/// `step` signal on that metric; a device whose last heartbeat is more than three poll
/// intervals old raises `silence` in the tick, and not before.
#[tokio::test]
async fn the_detectors_raise_their_signals_through_ingest_and_the_tick() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let device = pump(&workspace, &context).await;
        let detectors = fleet::Detectors::default();
        let start = at("2026-03-02T00:00:00Z");
        let mut raised = Vec::new();
        for i in 0..20 {
            let when = start + jiff::SignedDuration::from_secs(10 * i);
            let ingested = fleet::ingest(
                &workspace,
                &device_context(when),
                &detectors,
                &device,
                br#"{"type":"security_event","event":"auth_failure"}"#,
            )
            .await
            .unwrap();
            if !ingested.signals.is_empty() {
                raised.push((i, ingested.signals));
            }
        }
        assert_eq!(raised.len(), 1, "{backend}: {raised:?}");
        assert_eq!(raised[0].0, 19, "{backend}: on the 20th");
        let admin = admin(&workspace).await;
        let rate = fleet::signal(&workspace, &admin, raised[0].1[0])
            .await
            .unwrap();
        assert_eq!(
            (rate.kind.as_str(), rate.subject.as_str()),
            ("rate", "security.auth_failure"),
            "{backend}"
        );

        // Four hours of a metric every five minutes around 10 (a fixed ±0.5 pattern), then 20.
        let noise = [0.3, -0.5, 0.1, 0.4, -0.2, -0.4, 0.5, -0.1, 0.2, -0.3];
        let mut step = None;
        for i in 0..60i64 {
            let when = start + jiff::SignedDuration::from_mins(5 * i);
            let value = if i < 48 {
                10.0 + noise[(i % 10) as usize]
            } else {
                20.0
            };
            let line = format!(
                r#"{{"type":"metric","name":"pump.motor_current","value":{value},"unit":"mA"}}"#
            );
            let ingested = fleet::ingest(
                &workspace,
                &device_context(when),
                &detectors,
                &device,
                line.as_bytes(),
            )
            .await
            .unwrap();
            if let Some(id) = ingested.signals.first() {
                step = Some((i, *id));
                break;
            }
        }
        let (index, id) = step.unwrap_or_else(|| panic!("{backend}: no step signal"));
        assert!(
            (48..54).contains(&index),
            "{backend}: the step was found at sample {index}"
        );
        let signal = fleet::signal(&workspace, &admin, id).await.unwrap();
        assert_eq!(
            (signal.kind.as_str(), signal.subject.as_str()),
            ("step", "pump.motor_current"),
            "{backend}"
        );
        assert!(
            signal.evidence.contains("\"baseline\""),
            "{backend}: {}",
            signal.evidence
        );

        // Silence: heartbeat at 06:00, polls every five minutes.
        let beat = at("2026-03-02T06:00:00Z");
        fleet::ingest(
            &workspace,
            &device_context(beat),
            &detectors,
            &device,
            br#"{"type":"heartbeat","release":"2.1.0","uptime_s":1}"#,
        )
        .await
        .unwrap();
        let poll = jiff::SignedDuration::from_mins(5);
        let quiet = |minutes: i64| {
            Context::new(
                Actor::system("fleet-tick"),
                beat + jiff::SignedDuration::from_mins(minutes),
            )
        };
        assert!(
            fleet::tick(&workspace, &quiet(15), &detectors, poll)
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
        let silent = fleet::tick(&workspace, &quiet(16), &detectors, poll)
            .await
            .unwrap();
        assert_eq!(silent.len(), 1, "{backend}");
        assert!(
            fleet::tick(&workspace, &quiet(30), &detectors, poll)
                .await
                .unwrap()
                .is_empty(),
            "{backend}: one open signal"
        );
        let signal = fleet::signal(&workspace, &admin, silent[0]).await.unwrap();
        assert_eq!(
            (signal.kind.as_str(), signal.subject.as_str()),
            ("silence", "heartbeat"),
            "{backend}"
        );
    }
}

/// Exposure to CVE-2021-21299 (hyper < 0.14.3) as `rollout.rs` sets it up: Pump 2.0.0 and
/// 2.1.0 carry the open finding, 2.2.1 fixes it (approved on day 30, 10:00 UTC). Four pumps
/// registered on day 1 (three on 2.1.0, one on 2.0.0); pump-4 decommissioned on day 10;
/// pump-1 installs 2.2.1 on day 31 and pump-2 on day 33. By hand, the devices exposed at each
/// day's end: 4 after day 1, 3 after day 10, 2 after day 31, 1 after day 33 (pump-3, on
/// 2.0.0); the patch reached two devices 24 h and 72 h after its approval (median 24 h by
/// nearest rank, p90 72 h).
#[tokio::test]
async fn exposure_now_its_curve_and_the_patching_capability() {
    use crate::patch::{at as on, day};
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        crate::rollout::approved_patch(&workspace, &context).await;
        let admin = admin(&workspace).await;
        for (id, release) in [
            ("pump-1", "2.1.0"),
            ("pump-2", "2.1.0"),
            ("pump-3", "2.0.0"),
            ("pump-4", "2.1.0"),
        ] {
            device::add(
                &workspace,
                &on(&context, 1),
                &admin,
                &NewDeviceRequest {
                    controller_id: id.into(),
                    product: "Pump".into(),
                    serial: id.to_uppercase(),
                    release: Some(release.into()),
                    ..NewDeviceRequest::default()
                },
            )
            .await
            .unwrap();
        }
        device::decommission(
            &workspace,
            &on(&context, 10),
            &admin,
            "pump-4",
            "returned to the manufacturer",
        )
        .await
        .unwrap();
        for (id, n) in [("pump-1", 31), ("pump-2", 33)] {
            device::update(
                &workspace,
                &on(&context, n),
                &admin,
                id,
                &device::DeviceUpdate {
                    release: Some("2.2.1".into()),
                    ..device::DeviceUpdate::default()
                },
            )
            .await
            .unwrap();
        }
        let exposure = fleet::exposure(&workspace, &admin, "CVE-2021-21299", 40, day(40))
            .await
            .unwrap();
        assert_eq!(exposure.total, 1, "{backend}");
        assert_eq!(
            (exposure.now[0].release.as_str(), exposure.now[0].devices),
            ("2.0.0", 1),
            "{backend}"
        );
        let mut exposed_releases = exposure.releases.clone();
        exposed_releases.retain(|r| r.starts_with("Pump@"));
        assert_eq!(
            exposed_releases,
            vec!["Pump@2.0.0", "Pump@2.1.0"],
            "{backend}"
        );
        let point = |date: &str| {
            exposure
                .curve
                .iter()
                .find(|(at, _)| at.to_string().starts_with(date))
                .map(|(_, n)| *n)
                .unwrap_or_else(|| panic!("{backend}: no point at {date}"))
        };
        // Day 1 is 2026-03-03 (10:00 UTC); its end is 2026-03-04T00:00Z.
        assert_eq!(point("2026-03-03T00"), 0, "{backend}");
        assert_eq!(point("2026-03-04T00"), 4, "{backend}");
        assert_eq!(point("2026-03-12T00"), 4, "{backend}");
        assert_eq!(point("2026-03-13T00"), 3, "{backend}");
        assert_eq!(point("2026-04-03T00"), 2, "{backend}");
        assert_eq!(point("2026-04-05T00"), 1, "{backend}");
        assert_eq!(exposure.curve.last().unwrap().1, 1, "{backend}");
        assert_eq!(exposure.patches.len(), 1, "{backend}");
        let patch = &exposure.patches[0];
        assert_eq!(
            (
                patch.release.as_str(),
                patch.installed,
                patch.median_hours,
                patch.p90_hours
            ),
            ("2.2.1", 2, Some(24.0), Some(72.0)),
            "{backend}"
        );
    }
}

/// The health gate, the issue's case: a rollout of Pump 2.2.1 (approved on day 30) to the
/// three pumps tagged `ward-a`; they install it on day 32 at 10:00 UTC; their
/// `app.error_count` runs at three times that of the three `ward-b` pumps left on 2.1.0.
/// Rule: ratio above 2 (and the robust z above 3), 3 devices and 12 samples each, a 2-hour
/// soak. By hand: every device sends a sample every 5 minutes from 10:00; ward-b device k
/// sends the cycle 1, 2, 1, 0, 2, 1 plus k/10 (means 1.17, 1.27, 1.37), ward-a the same × 3
/// (3.50, 3.80, 4.10): a ratio of about 3. After an hour the soak is not over and the rollout
/// runs on; at 13:00 the tick pauses it with the evidence and raises a `health_gate` signal.
#[tokio::test]
async fn a_patched_wave_with_three_times_the_errors_pauses_its_rollout() {
    use aftercare_fleet::health::HealthRule;
    use aftercare_service::rollout::{self, NewRollout};

    use crate::patch::at as on;
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        crate::rollout::approved_patch(&workspace, &context).await;
        let admin = admin(&workspace).await;
        let day31 = on(&context, 31);
        for (index, ward) in ["ward-a", "ward-a", "ward-a", "ward-b", "ward-b", "ward-b"]
            .iter()
            .enumerate()
        {
            device::add(
                &workspace,
                &day31,
                &admin,
                &NewDeviceRequest {
                    controller_id: format!("pump-{index}"),
                    product: "Pump".into(),
                    serial: format!("SN-{index}"),
                    release: Some("2.1.0".into()),
                    tags: vec![(*ward).into()],
                    ..NewDeviceRequest::default()
                },
            )
            .await
            .unwrap();
        }
        rollout::create(
            &workspace,
            &day31,
            &admin,
            &NewRollout {
                name: "ward-a".into(),
                product: "Pump".into(),
                version: "2.2.1".into(),
                filter: "product=Pump tag=ward-a".into(),
                waves: "100%".into(),
                success: "100%".into(),
                error: "50%".into(),
                update_type: "forced".into(),
                ..NewRollout::default()
            },
        )
        .await
        .unwrap();
        flow::start_rollout(&workspace, &day31, &admin, "ward-a")
            .await
            .unwrap();
        fleet::set_health(
            &workspace,
            &day31,
            &admin,
            "ward-a",
            Some(HealthRule {
                min_devices: 3,
                min_samples: 12,
                min_cohort_samples: 30,
                soak: jiff::SignedDuration::from_hours(2),
                ..HealthRule::new("app.error_count")
            }),
        )
        .await
        .unwrap();
        let installed = at("2026-04-03T10:00:00Z");
        for index in 0..3 {
            device::update(
                &workspace,
                &Context::new(context.actor.clone(), installed),
                &admin,
                &format!("pump-{index}"),
                &device::DeviceUpdate {
                    release: Some("2.2.1".into()),
                    ..device::DeviceUpdate::default()
                },
            )
            .await
            .unwrap();
        }
        let detectors = fleet::Detectors::default();
        let cycle = [1.0, 2.0, 1.0, 0.0, 2.0, 1.0];
        let send = |from: i64, to: i64| {
            let (workspace, detectors) = (&workspace, &detectors);
            async move {
                for index in 0..6usize {
                    let device = aftercare_store::device::device_untagged(
                        workspace.raw_store().pool(),
                        &format!("pump-{index}"),
                    )
                    .await
                    .unwrap()
                    .unwrap();
                    let factor = if index < 3 { 3.0 } else { 1.0 };
                    let mut lines = String::new();
                    for step in from..to {
                        let when = installed + jiff::SignedDuration::from_mins(5 * step);
                        let value =
                            factor * (cycle[(step % 6) as usize] + (index % 3) as f64 / 10.0);
                        lines.push_str(&format!(
                            "{{\"type\":\"metric\",\"ts\":\"{when}\",\"name\":\"app.error_count\",\"value\":{value}}}\n"
                        ));
                    }
                    let now = installed + jiff::SignedDuration::from_mins(5 * to);
                    fleet::replay(
                        workspace,
                        &device_context(now),
                        detectors,
                        &device,
                        lines.as_bytes(),
                    )
                    .await
                    .unwrap();
                }
            }
        };
        // The first hour: the soak is not over.
        send(0, 12).await;
        let tick = |minutes: i64| {
            Context::new(
                Actor::system("rollout-tick"),
                installed + jiff::SignedDuration::from_mins(minutes),
            )
        };
        flow::rollout_tick(&workspace, &tick(60)).await.unwrap();
        let view = rollout::show(&workspace, &admin, "ward-a").await.unwrap();
        assert_eq!(view.row.state, "running", "{backend}");
        // Up to 13:00: three times the errors, past the soak.
        send(12, 37).await;
        flow::rollout_tick(&workspace, &tick(185)).await.unwrap();
        let view = rollout::show(&workspace, &admin, "ward-a").await.unwrap();
        assert_eq!(view.row.state, "paused", "{backend}");
        let reason = view.row.pause_reason.clone().unwrap();
        assert!(
            reason.starts_with("health gate: app.error_count"),
            "{backend}: {reason}"
        );
        let signals = fleet::signals(
            &workspace,
            &admin,
            Some("open"),
            Some("health_gate"),
            None,
            10,
        )
        .await
        .unwrap();
        assert_eq!(signals.len(), 1, "{backend}");
        assert_eq!(signals[0].rollout_id, Some(view.row.id), "{backend}");
        let evidence: serde_json::Value = serde_json::from_str(&signals[0].evidence).unwrap();
        assert_eq!(evidence["verdict"], "breach", "{backend}");
        let ratio = evidence["evidence"]["ratio"].as_f64().unwrap();
        assert!((2.5..3.5).contains(&ratio), "{backend}: ratio {ratio}");
        assert_eq!(evidence["evidence"]["patched"]["devices"], 3, "{backend}");
        assert_eq!(evidence["evidence"]["unpatched"]["devices"], 3, "{backend}");

        // The post-patch report: the three ward-a pumps left CVE-2021-21299's exposure; their
        // errors since the install (from 11:00) against the ward-b pumps' since the start.
        let report = fleet::rollout_report(&workspace, &admin, "ward-a", tick(185).now)
            .await
            .unwrap();
        assert_eq!((report.devices, report.installed), (3, 3), "{backend}");
        let exposure: Vec<(&str, i64, i64)> = report
            .exposure
            .iter()
            .map(|e| (e.vulnerability.as_str(), e.before, e.after))
            .collect();
        assert_eq!(exposure, vec![("CVE-2021-21299", 3, 0)], "{backend}");
        let cohort = |name: &str| {
            report
                .metrics
                .iter()
                .find(|m| m.metric == "app.error_count" && m.cohort == name)
                .unwrap()
                .clone()
        };
        let (patched, unpatched) = (cohort("patched"), cohort("unpatched"));
        assert_eq!((patched.devices, unpatched.devices), (3, 3), "{backend}");
        assert!(
            patched.before.is_none(),
            "{backend}: no telemetry before the start"
        );
        let (patched_after, n) = patched.after.unwrap();
        let (unpatched_after, _) = unpatched.after.unwrap();
        // 11:00 to 13:00 inclusive: 25 samples a device.
        assert_eq!(n, 75, "{backend}");
        let ratio = patched_after / unpatched_after;
        assert!((2.9..3.1).contains(&ratio), "{backend}: {ratio}");
        assert!(
            report.signals.iter().any(|s| s.kind == "health_gate"),
            "{backend}: the breach is among the rollout's signals"
        );
    }
}
