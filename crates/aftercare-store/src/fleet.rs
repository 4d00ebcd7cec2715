//! Fleet monitoring's rows: raw telemetry events, their rollups per device (hour, day) and
//! per cohort (product, release, site; minute, hour, day), each device's telemetry state,
//! and signals.
//!
//! Telemetry times are integers, milliseconds since the epoch, the server's receive time
//! (migration 13). A batch is written in one transaction: its events in multi-row inserts,
//! its rollups pre-aggregated by the caller (one row per key, so that an upsert never meets
//! its own key twice) and added to what is stored. On PostgreSQL `telemetry_events` is
//! partitioned by day; [`ensure_partitions`] creates a day's partition before its first
//! event, and [`purge_events_before`] drops whole partitions.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::bulk::{Value, insert_rows, select_in};
use crate::{Backend, Store, StoreError, Tx};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// One raw event to store.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// The device.
    pub device_id: i64,
    /// The server's receive time.
    pub received_ms: i64,
    /// The device's own time, if it sent one.
    pub sent_ms: Option<i64>,
    /// `heartbeat`, `metric` or `security_event`.
    pub kind: &'static str,
    /// The metric's name, the security event's kind, or the heartbeat's release.
    pub name: String,
    /// The metric's value, the security event's count, or the heartbeat's uptime.
    pub value: f64,
    /// The rest, as JSON (unit, details, firmware hash), if any.
    pub detail: Option<String>,
}

/// The grains of a rollup.
pub const GRAINS: [(&str, i64); 3] = [("minute", 60_000), ("hour", 3_600_000), ("day", DAY_MS)];

/// One rollup bucket: the samples of a metric in `[start_ms, start_ms + grain)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    /// The metric.
    pub metric: String,
    /// `minute`, `hour` or `day`.
    pub grain: &'static str,
    /// The bucket's start.
    pub start_ms: i64,
    /// How many samples.
    pub samples: i64,
    /// Their sum.
    pub total: f64,
    /// The smallest.
    pub minimum: f64,
    /// The largest.
    pub maximum: f64,
}

impl Rollup {
    /// The mean of the bucket.
    pub fn mean(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.total / self.samples as f64
        }
    }
}

/// A cohort: the product, the release its devices run, and the site (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cohort {
    /// The product.
    pub product_id: i64,
    /// The installed release (0 for unknown).
    pub release_id: i64,
    /// The site (0 for none).
    pub site_id: i64,
}

/// What a batch changes of a device's telemetry state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceTelemetry {
    /// The device.
    pub device_id: i64,
    /// The first event ever received.
    pub first_ms: i64,
    /// The last event received.
    pub last_ms: i64,
    /// The last heartbeat received.
    pub last_heartbeat_ms: Option<i64>,
    /// The release its last heartbeat named.
    pub reported_release: Option<String>,
    /// The firmware hash its last heartbeat named.
    pub firmware_sha256: Option<String>,
    /// Its last uptime.
    pub uptime_s: Option<i64>,
    /// Its last clock skew (device − server), in milliseconds.
    pub skew_ms: Option<i64>,
    /// Lines stored, in all.
    pub events: i64,
    /// Lines refused, in all.
    pub rejected: i64,
}

/// Creates the day partitions of `telemetry_events` that hold `[from_ms, to_ms]`, if
/// missing (PostgreSQL; nothing to do on SQLite). Safe when several nodes race: an existing
/// partition is fine.
pub async fn ensure_partitions(store: &Store, from_ms: i64, to_ms: i64) -> Result<(), StoreError> {
    if store.backend() != Backend::Postgres {
        return Ok(());
    }
    let mut day = from_ms.div_euclid(DAY_MS);
    while day <= to_ms.div_euclid(DAY_MS) {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS telemetry_events_d{day} PARTITION OF telemetry_events \
             FOR VALUES FROM ({}) TO ({})",
            day * DAY_MS,
            (day + 1) * DAY_MS
        );
        if let Err(error) = sqlx::query(&sql).execute(store.pool()).await {
            // Two nodes creating the same partition at once: the loser sees a duplicate.
            // `to_regclass` resolves through the search path: this schema's partition only.
            let exists: bool = sqlx::query(
                "SELECT CAST(CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE 1 END AS BIGINT) AS n",
            )
            .bind(format!("telemetry_events_d{day}"))
            .fetch_one(store.pool())
            .await
            .and_then(|row| row.try_get::<i64, _>("n"))
            .map(|n| n > 0)
            .unwrap_or(false);
            if !exists {
                return Err(StoreError::query("create a telemetry partition")(error));
            }
        }
        day += 1;
    }
    Ok(())
}

/// Stores raw events.
pub async fn insert_events(tx: &mut Tx, events: &[EventRow]) -> Result<u64, StoreError> {
    let rows: Vec<Vec<Value<'_>>> = events
        .iter()
        .map(|event| {
            vec![
                Value::Int(event.device_id),
                Value::Int(event.received_ms),
                Value::OptInt(event.sent_ms),
                Value::Text(event.kind),
                Value::Text(&event.name),
                Value::Float(event.value),
                Value::OptText(event.detail.as_deref()),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO telemetry_events (device_id, received_ms, sent_ms, kind, name, value, detail)",
        7,
        "",
        &rows,
        "store telemetry events",
    )
    .await
}

const MERGE: &str = "samples = {t}.samples + excluded.samples, total = {t}.total + excluded.total, \
     minimum = CASE WHEN excluded.minimum < {t}.minimum THEN excluded.minimum ELSE {t}.minimum END, \
     maximum = CASE WHEN excluded.maximum > {t}.maximum THEN excluded.maximum ELSE {t}.maximum END";

/// Adds a device's rollups (one row per metric, grain and start) to what is stored.
pub async fn add_device_rollups(
    tx: &mut Tx,
    device_id: i64,
    rollups: &[Rollup],
) -> Result<u64, StoreError> {
    add_rollups(tx, "device_rollups", &["device_id"], &[device_id], rollups).await
}

/// Adds a cohort's rollups (one row per metric, grain and start) to what is stored.
pub async fn add_cohort_rollups(
    tx: &mut Tx,
    cohort: Cohort,
    rollups: &[Rollup],
) -> Result<u64, StoreError> {
    add_rollups(
        tx,
        "cohort_rollups",
        &["product_id", "release_id", "site_id"],
        &[cohort.product_id, cohort.release_id, cohort.site_id],
        rollups,
    )
    .await
}

/// Upserts rollups into `table` under the key columns' values: counts and sums add up, the
/// extremes stay extreme.
async fn add_rollups(
    tx: &mut Tx,
    table: &str,
    key_columns: &[&str],
    key: &[i64],
    rollups: &[Rollup],
) -> Result<u64, StoreError> {
    let rows: Vec<Vec<Value<'_>>> = rollups
        .iter()
        .map(|r| {
            let mut row: Vec<Value<'_>> = key.iter().map(|k| Value::Int(*k)).collect();
            row.extend([
                Value::Text(&r.metric),
                Value::Text(r.grain),
                Value::Int(r.start_ms),
                Value::Int(r.samples),
                Value::Float(r.total),
                Value::Float(r.minimum),
                Value::Float(r.maximum),
            ]);
            row
        })
        .collect();
    let keys = key_columns.join(", ");
    let head = format!(
        "INSERT INTO {table} ({keys}, metric, grain, start_ms, samples, total, minimum, maximum)"
    );
    let tail = format!(
        "ON CONFLICT ({keys}, metric, grain, start_ms) DO UPDATE SET {}",
        MERGE.replace("{t}", table)
    );
    insert_rows(tx, &head, key.len() + 7, &tail, &rows, "roll up telemetry").await
}

/// Records what a batch changed of a device's telemetry state: counts add up, the first time
/// stays, the rest is the batch's when it has one.
pub async fn update_device_telemetry(
    tx: &mut Tx,
    state: &DeviceTelemetry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO device_telemetry (device_id, first_ms, last_ms, last_heartbeat_ms, \
         reported_release, firmware_sha256, uptime_s, skew_ms, events, rejected) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (device_id) DO UPDATE SET \
         last_ms = CASE WHEN excluded.last_ms > device_telemetry.last_ms THEN excluded.last_ms ELSE device_telemetry.last_ms END, \
         last_heartbeat_ms = COALESCE(excluded.last_heartbeat_ms, device_telemetry.last_heartbeat_ms), \
         reported_release = COALESCE(excluded.reported_release, device_telemetry.reported_release), \
         firmware_sha256 = CASE WHEN excluded.last_heartbeat_ms IS NULL THEN device_telemetry.firmware_sha256 ELSE excluded.firmware_sha256 END, \
         uptime_s = COALESCE(excluded.uptime_s, device_telemetry.uptime_s), \
         skew_ms = COALESCE(excluded.skew_ms, device_telemetry.skew_ms), \
         events = device_telemetry.events + excluded.events, \
         rejected = device_telemetry.rejected + excluded.rejected",
    )
    .bind(state.device_id)
    .bind(state.first_ms)
    .bind(state.last_ms)
    .bind(state.last_heartbeat_ms)
    .bind(state.reported_release.as_deref())
    .bind(state.firmware_sha256.as_deref())
    .bind(state.uptime_s)
    .bind(state.skew_ms)
    .bind(state.events)
    .bind(state.rejected)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record a device's telemetry state"))?;
    Ok(())
}

fn telemetry_of(row: &AnyRow) -> Result<DeviceTelemetry, sqlx::Error> {
    Ok(DeviceTelemetry {
        device_id: row.try_get("device_id")?,
        first_ms: row.try_get("first_ms")?,
        last_ms: row.try_get("last_ms")?,
        last_heartbeat_ms: row.try_get("last_heartbeat_ms")?,
        reported_release: row.try_get("reported_release")?,
        firmware_sha256: row.try_get("firmware_sha256")?,
        uptime_s: row.try_get("uptime_s")?,
        skew_ms: row.try_get("skew_ms")?,
        events: row.try_get("events")?,
        rejected: row.try_get("rejected")?,
    })
}

const TELEMETRY_COLUMNS: &str = "device_id, first_ms, last_ms, last_heartbeat_ms, reported_release, \
     firmware_sha256, uptime_s, skew_ms, events, rejected";

/// A device's telemetry state, if it ever sent telemetry.
pub async fn device_telemetry(
    pool: &sqlx::AnyPool,
    device_id: i64,
) -> Result<Option<DeviceTelemetry>, StoreError> {
    sqlx::query(&format!(
        "SELECT {TELEMETRY_COLUMNS} FROM device_telemetry WHERE device_id = $1"
    ))
    .bind(device_id)
    .fetch_optional(pool)
    .await
    .and_then(|row| row.as_ref().map(telemetry_of).transpose())
    .map_err(StoreError::query("read a device's telemetry state"))
}

/// The telemetry state of every device that is not decommissioned and ever sent a heartbeat,
/// with its controller id.
pub async fn heartbeats(
    pool: &sqlx::AnyPool,
) -> Result<Vec<(String, DeviceTelemetry)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT d.controller_id, {} FROM device_telemetry t JOIN devices d ON d.id = t.device_id \
         WHERE d.state <> 'decommissioned' AND t.last_heartbeat_ms IS NOT NULL ORDER BY d.controller_id",
        TELEMETRY_COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read the devices' heartbeats"))?;
    rows.iter()
        .map(|row| Ok((row.try_get("controller_id")?, telemetry_of(row)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read the devices' heartbeats"))
}

fn rollup_of(row: &AnyRow) -> Result<Rollup, sqlx::Error> {
    let grain: String = row.try_get("grain")?;
    Ok(Rollup {
        metric: row.try_get("metric")?,
        grain: GRAINS
            .iter()
            .find(|(name, _)| *name == grain)
            .map_or("day", |(name, _)| name),
        start_ms: row.try_get("start_ms")?,
        samples: row.try_get("samples")?,
        total: row.try_get("total")?,
        minimum: row.try_get("minimum")?,
        maximum: row.try_get("maximum")?,
    })
}

/// A device's rollups of one grain in `[from_ms, to_ms)`, every metric or one, by metric and
/// start.
pub async fn device_rollups(
    pool: &sqlx::AnyPool,
    device_id: i64,
    metric: Option<&str>,
    grain: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Rollup>, StoreError> {
    sqlx::query(
        "SELECT metric, grain, start_ms, samples, total, minimum, maximum FROM device_rollups \
         WHERE device_id = $1 AND grain = $2 AND start_ms >= $3 AND start_ms < $4 \
         AND ($5 IS NULL OR metric = $5) ORDER BY metric, start_ms",
    )
    .bind(device_id)
    .bind(grain)
    .bind(from_ms)
    .bind(to_ms)
    .bind(metric)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(rollup_of).collect())
    .map_err(StoreError::query("read a device's rollups"))
}

/// A cohort's rollups of one metric and grain in `[from_ms, to_ms)`, summed over sites when
/// `site_id` is `None`, by start.
#[allow(clippy::too_many_arguments)] // a cohort, a metric, a grain and a window: each a bind.
pub async fn cohort_rollups(
    pool: &sqlx::AnyPool,
    product_id: i64,
    release_id: i64,
    site_id: Option<i64>,
    metric: &str,
    grain: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Rollup>, StoreError> {
    sqlx::query(
        "SELECT metric, grain, start_ms, CAST(SUM(samples) AS BIGINT) AS samples, \
         SUM(total) AS total, MIN(minimum) AS minimum, MAX(maximum) AS maximum \
         FROM cohort_rollups WHERE product_id = $1 AND release_id = $2 \
         AND ($3 IS NULL OR site_id = $3) AND metric = $4 AND grain = $5 \
         AND start_ms >= $6 AND start_ms < $7 GROUP BY metric, grain, start_ms ORDER BY start_ms",
    )
    .bind(product_id)
    .bind(release_id)
    .bind(site_id)
    .bind(metric)
    .bind(grain)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(rollup_of).collect())
    .map_err(StoreError::query("read a cohort's rollups"))
}

/// A device's raw events in `[from_ms, to_ms)`, oldest first, at most `limit`.
pub async fn device_events(
    pool: &sqlx::AnyPool,
    device_id: i64,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT device_id, received_ms, sent_ms, kind, name, value, detail FROM telemetry_events \
         WHERE device_id = $1 AND received_ms >= $2 AND received_ms < $3 \
         ORDER BY received_ms LIMIT $4",
    )
    .bind(device_id)
    .bind(from_ms)
    .bind(to_ms)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read a device's telemetry events"))?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(EventRow {
                device_id: row.try_get("device_id")?,
                received_ms: row.try_get("received_ms")?,
                sent_ms: row.try_get("sent_ms")?,
                kind: match kind.as_str() {
                    "heartbeat" => "heartbeat",
                    "metric" => "metric",
                    _ => "security_event",
                },
                name: row.try_get("name")?,
                value: row.try_get("value")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a device's telemetry events"))
}

/// Counts of stored telemetry: raw events, device rollup rows, cohort rollup rows.
pub async fn counts(pool: &sqlx::AnyPool) -> Result<(i64, i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM telemetry_events) AS events, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM device_rollups) AS device_rollups, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM cohort_rollups) AS cohort_rollups",
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("count telemetry"))?;
    (|| {
        Ok((
            row.try_get("events")?,
            row.try_get("device_rollups")?,
            row.try_get("cohort_rollups")?,
        ))
    })()
    .map_err(StoreError::query("count telemetry"))
}

/// Deletes raw events received before `cutoff_ms` (on PostgreSQL whole day partitions that
/// end before it are dropped, the rest deleted), and rollups of a grain older than its own
/// cutoff. Signals, incidents and every other record are never touched. Returns the raw
/// events deleted where the backend counts them (a dropped partition is not counted).
pub async fn purge_before(
    store: &Store,
    events_cutoff_ms: i64,
    rollup_cutoffs: &[(&str, i64)],
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    if store.backend() == Backend::Postgres {
        let partitions = sqlx::query(
            "SELECT CAST(c.relname AS TEXT) AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = CAST('telemetry_events' AS regclass)",
        )
        .fetch_all(store.pool())
        .await
        .map_err(StoreError::query("list telemetry partitions"))?;
        for row in partitions {
            let name: String = row
                .try_get("name")
                .map_err(StoreError::query("list telemetry partitions"))?;
            let Some(day) = name
                .strip_prefix("telemetry_events_d")
                .and_then(|d| d.parse::<i64>().ok())
            else {
                continue;
            };
            if (day + 1) * DAY_MS <= events_cutoff_ms {
                sqlx::query(&format!("DROP TABLE IF EXISTS telemetry_events_d{day}"))
                    .execute(store.pool())
                    .await
                    .map_err(StoreError::query("drop a telemetry partition"))?;
            }
        }
    }
    let mut tx = store.begin().await?;
    deleted += sqlx::query("DELETE FROM telemetry_events WHERE received_ms < $1")
        .bind(events_cutoff_ms)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("delete old telemetry events"))?
        .rows_affected();
    for (grain, cutoff) in rollup_cutoffs {
        for table in ["device_rollups", "cohort_rollups"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE grain = $1 AND start_ms < $2"
            ))
            .bind(*grain)
            .bind(*cutoff)
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("delete old rollups"))?;
        }
    }
    tx.commit().await?;
    Ok(deleted)
}

/// A signal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalRow {
    /// The id.
    pub id: i64,
    /// The detector: `step`, `drift`, `rate`, `silence`, `version_drift`, `firmware_drift`,
    /// `clock_skew`, `health_gate`.
    pub kind: String,
    /// The device, if the signal is about one.
    pub device_id: Option<i64>,
    /// That device's controller id.
    pub controller_id: Option<String>,
    /// The rollout, if the signal is about one.
    pub rollout_id: Option<i64>,
    /// The series: a metric, a security event kind, a release.
    pub subject: String,
    /// `open`, `acknowledged`, `dismissed` or `incident`.
    pub state: String,
    /// One line for a person.
    pub summary: String,
    /// The evidence, JSON: the series, the baseline, the threshold.
    pub evidence: String,
    /// How many times the detector fired while the signal was open.
    pub occurrences: i64,
    /// When it was raised.
    pub raised_at: String,
    /// When the detector last fired.
    pub last_seen_at: String,
    /// Who acknowledged or dismissed it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// Why (a dismissal's reason).
    pub reason: Option<String>,
}

/// A signal to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignal<'a> {
    /// The detector.
    pub kind: &'a str,
    /// The device.
    pub device_id: Option<i64>,
    /// The rollout.
    pub rollout_id: Option<i64>,
    /// The series.
    pub subject: &'a str,
    /// One line for a person.
    pub summary: &'a str,
    /// The evidence, JSON.
    pub evidence: &'a str,
}

const SIGNAL_COLUMNS: &str = "s.id, s.kind, s.device_id, d.controller_id, s.rollout_id, s.subject, \
     s.state, s.summary, s.evidence, s.occurrences, s.raised_at, s.last_seen_at, s.decided_by, \
     s.decided_at, s.reason";

fn signal_of(row: &AnyRow) -> Result<SignalRow, sqlx::Error> {
    Ok(SignalRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        device_id: row.try_get("device_id")?,
        controller_id: row.try_get("controller_id")?,
        rollout_id: row.try_get("rollout_id")?,
        subject: row.try_get("subject")?,
        state: row.try_get("state")?,
        summary: row.try_get("summary")?,
        evidence: row.try_get("evidence")?,
        occurrences: row.try_get("occurrences")?,
        raised_at: row.try_get("raised_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        reason: row.try_get("reason")?,
    })
}

/// Raises a signal, or — when the same detector already has an open signal on the same
/// series — counts one more occurrence of it with the new evidence. Returns the signal's id
/// and whether it is new.
pub async fn raise_signal(
    tx: &mut Tx,
    signal: &NewSignal<'_>,
    at: &str,
) -> Result<(i64, bool), StoreError> {
    let open = sqlx::query(
        "SELECT id FROM signals WHERE kind = $1 AND subject = $2 AND state = 'open' \
         AND (device_id = $3 OR (device_id IS NULL AND $3 IS NULL))",
    )
    .bind(signal.kind)
    .bind(signal.subject)
    .bind(signal.device_id)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::query("find an open signal"))?;
    if let Some(row) = open {
        let id: i64 = row
            .try_get("id")
            .map_err(StoreError::query("find an open signal"))?;
        sqlx::query(
            "UPDATE signals SET occurrences = occurrences + 1, last_seen_at = $1, evidence = $2, \
             summary = $3 WHERE id = $4",
        )
        .bind(at)
        .bind(signal.evidence)
        .bind(signal.summary)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("count a signal's occurrence"))?;
        return Ok((id, false));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO signals (kind, device_id, rollout_id, subject, state, summary, evidence, \
         occurrences, raised_at, last_seen_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, 1, $7, $7) \
         RETURNING id",
    )
    .bind(signal.kind)
    .bind(signal.device_id)
    .bind(signal.rollout_id)
    .bind(signal.subject)
    .bind(signal.summary)
    .bind(signal.evidence)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .and_then(|row| row.try_get("id"))
    .map_err(StoreError::query("raise a signal"))?;
    Ok((id, true))
}

/// Signals, newest first, narrowed by state, kind and device; at most `limit`.
pub async fn signals(
    pool: &sqlx::AnyPool,
    state: Option<&str>,
    kind: Option<&str>,
    device_id: Option<i64>,
    limit: i64,
) -> Result<Vec<SignalRow>, StoreError> {
    sqlx::query(&format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals s LEFT JOIN devices d ON d.id = s.device_id \
         WHERE ($1 IS NULL OR s.state = $1) AND ($2 IS NULL OR s.kind = $2) \
         AND ($3 IS NULL OR s.device_id = $3) ORDER BY s.id DESC LIMIT $4"
    ))
    .bind(state)
    .bind(kind)
    .bind(device_id)
    .bind(limit)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(signal_of).collect())
    .map_err(StoreError::query("list signals"))
}

/// One signal.
pub async fn signal<'c, E>(executor: E, id: i64) -> Result<Option<SignalRow>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals s LEFT JOIN devices d ON d.id = s.device_id WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await
    .and_then(|row| row.as_ref().map(signal_of).transpose())
    .map_err(StoreError::query("read a signal"))
}

/// Records a person's decision on an open signal: `acknowledged`, `dismissed` (with the
/// reason) or `incident`. Returns whether it was open.
pub async fn decide_signal(
    tx: &mut Tx,
    id: i64,
    state: &str,
    by: &str,
    at: &str,
    reason: Option<&str>,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE signals SET state = $1, decided_by = $2, decided_at = $3, reason = $4 \
         WHERE id = $5 AND state = 'open'",
    )
    .bind(state)
    .bind(by)
    .bind(at)
    .bind(reason)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("decide on a signal"))?;
    Ok(result.rows_affected() == 1)
}

/// Devices exposed now to one vulnerability, counted by product, organisation and site: the
/// devices that are not decommissioned and run a release with an open finding of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposureCount {
    /// The product.
    pub product: String,
    /// The release.
    pub release: String,
    /// The organisation, if any.
    pub organisation: Option<String>,
    /// The site, if any.
    pub site: Option<String>,
    /// How many devices.
    pub devices: i64,
}

/// The releases with an open finding of a vulnerability (its canonical id).
pub async fn exposed_releases(
    pool: &sqlx::AnyPool,
    vulnerability: &str,
) -> Result<Vec<i64>, StoreError> {
    sqlx::query(
        "SELECT DISTINCT release_id FROM findings WHERE vulnerability = $1 AND state = 'open' \
         ORDER BY release_id",
    )
    .bind(vulnerability)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(|row| row.try_get::<i64, _>(0)).collect())
    .map_err(StoreError::query("find the exposed releases"))
}

/// The exposure now of the devices on `releases`, by release, organisation and site (ids
/// counted on the covering index, names joined afterwards).
pub async fn exposure_now(
    store: &Store,
    releases: &[i64],
) -> Result<Vec<ExposureCount>, StoreError> {
    let mut out = select_in(
        store,
        "SELECT c.n, p.name AS product, r.version, o.name AS organisation, s.name AS site \
         FROM (SELECT installed_release_id AS release_id, organisation_id, site_id, \
               CAST(COUNT(*) AS BIGINT) AS n FROM devices WHERE installed_release_id",
        "AND state <> 'decommissioned' GROUP BY installed_release_id, organisation_id, site_id) c \
         JOIN releases r ON r.id = c.release_id JOIN products p ON p.id = r.product_id \
         LEFT JOIN organisations o ON o.id = c.organisation_id \
         LEFT JOIN sites s ON s.id = c.site_id",
        releases,
        "count the exposed devices",
        |row| {
            Ok(ExposureCount {
                product: row.try_get("product")?,
                release: row.try_get("version")?,
                organisation: row.try_get("organisation")?,
                site: row.try_get("site")?,
                devices: row.try_get("n")?,
            })
        },
    )
    .await?;
    out.sort_by(|a, b| {
        (&a.product, &a.release, &a.organisation, &a.site).cmp(&(
            &b.product,
            &b.release,
            &b.organisation,
            &b.site,
        ))
    });
    Ok(out)
}

/// One change in a device's history: its release (or none) and state from `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The device.
    pub device_id: i64,
    /// From when (RFC 3339).
    pub at: String,
    /// The installed release from then.
    pub release_id: Option<i64>,
    /// The state from then.
    pub state: String,
}

/// The whole history of every device that ever ran one of `releases`, by device and time.
pub async fn histories_touching(
    store: &Store,
    releases: &[i64],
) -> Result<Vec<HistoryRow>, StoreError> {
    let mut out = select_in(
        store,
        "SELECT device_id, at, release_id, state FROM device_history WHERE device_id IN \
         (SELECT DISTINCT device_id FROM device_history WHERE release_id",
        ")",
        releases,
        "read the devices' histories",
        |row| {
            Ok(HistoryRow {
                device_id: row.try_get("device_id")?,
                at: row.try_get("at")?,
                release_id: row.try_get("release_id")?,
                state: row.try_get("state")?,
            })
        },
    )
    .await?;
    // A device in several chunks comes back once per chunk.
    out.sort_by(|a, b| (a.device_id, &a.at).cmp(&(b.device_id, &b.at)));
    out.dedup();
    Ok(out)
}

/// The patch releases serving a plan that remediates a vulnerability, each with the time of
/// its approval (if approved).
pub async fn patches_for(
    pool: &sqlx::AnyPool,
    vulnerability: &str,
) -> Result<Vec<(i64, String, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT pp.release_id, r.version, \
         (SELECT MIN(d.at) FROM patch_decisions d WHERE d.release_id = pp.release_id \
          AND d.kind = 'approved') AS approved_at \
         FROM patch_plans pp JOIN plan_findings pf ON pf.plan_id = pp.plan_id \
         JOIN findings f ON f.id = pf.finding_id JOIN releases r ON r.id = pp.release_id \
         WHERE f.vulnerability = $1 ORDER BY pp.release_id",
    )
    .bind(vulnerability)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("find the patches of a vulnerability"))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("release_id")?,
                row.try_get("version")?,
                row.try_get("approved_at")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("find the patches of a vulnerability"))
}

/// Sets a rollout's health rules (JSON), replacing the ones it had.
pub async fn set_health_rules(
    tx: &mut Tx,
    rollout_id: i64,
    rules: &str,
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rollout_health (rollout_id, rules, set_by, set_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (rollout_id) DO UPDATE SET rules = excluded.rules, set_by = excluded.set_by, \
         set_at = excluded.set_at",
    )
    .bind(rollout_id)
    .bind(rules)
    .bind(by)
    .bind(at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("set a rollout's health rules"))?;
    Ok(())
}

/// A rollout's health rules (JSON), if any.
pub async fn health_rules<'c, E>(executor: E, rollout_id: i64) -> Result<Option<String>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query("SELECT rules FROM rollout_health WHERE rollout_id = $1")
        .bind(rollout_id)
        .fetch_optional(executor)
        .await
        .and_then(|row| row.map(|row| row.try_get::<String, _>("rules")).transpose())
        .map_err(StoreError::query("read a rollout's health rules"))
}

/// A running rollout with health rules: id, name, release, product, rules (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatedRollout {
    /// The rollout's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The release it delivers.
    pub release_id: i64,
    /// That release's product.
    pub product_id: i64,
    /// Its health rules (JSON).
    pub rules: String,
}

/// The running rollouts that have health rules.
pub async fn gated_rollouts(pool: &sqlx::AnyPool) -> Result<Vec<GatedRollout>, StoreError> {
    let rows = sqlx::query(
        "SELECT r.id, r.name, r.release_id, rel.product_id, h.rules FROM rollouts r \
         JOIN rollout_health h ON h.rollout_id = r.id JOIN releases rel ON rel.id = r.release_id \
         WHERE r.state = 'running' ORDER BY r.id",
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("list the gated rollouts"))?;
    rows.iter()
        .map(|row| {
            Ok(GatedRollout {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                release_id: row.try_get("release_id")?,
                product_id: row.try_get("product_id")?,
                rules: row.try_get("rules")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list the gated rollouts"))
}

/// The devices of a rollout that run its release now, with when they installed it.
pub async fn patched_devices(
    pool: &sqlx::AnyPool,
    rollout_id: i64,
    release_id: i64,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id, d.installed_at FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id \
         WHERE rd.rollout_id = $1 AND d.installed_release_id = $2 AND d.state <> 'decommissioned' \
         ORDER BY d.id",
    )
    .bind(rollout_id)
    .bind(release_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("list a rollout's patched devices"))?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("installed_at")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list a rollout's patched devices"))
}

/// The devices of a product that do not run a release (and are not decommissioned).
pub async fn unpatched_devices(
    pool: &sqlx::AnyPool,
    product_id: i64,
    release_id: i64,
) -> Result<Vec<i64>, StoreError> {
    sqlx::query(
        "SELECT id FROM devices WHERE product_id = $1 AND state <> 'decommissioned' \
         AND (installed_release_id IS NULL OR installed_release_id <> $2) ORDER BY id",
    )
    .bind(product_id)
    .bind(release_id)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(|row| row.try_get::<i64, _>(0)).collect())
    .map_err(StoreError::query("list a product's unpatched devices"))
}

/// The hourly rollups of one metric of `devices` from `from_ms`: `(device, start_ms, samples,
/// total)`.
pub async fn hourly_of_devices(
    pool: &sqlx::AnyPool,
    devices: &[i64],
    metric: &str,
    from_ms: i64,
) -> Result<Vec<(i64, i64, i64, f64)>, StoreError> {
    let mut out = Vec::new();
    for chunk in devices.chunks(crate::IN_LIST_CHUNK) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(&format!(
            "SELECT device_id, start_ms, samples, total FROM device_rollups WHERE metric = $1 \
             AND grain = 'hour' AND start_ms >= $2 AND device_id IN ({list})"
        ))
        .bind(metric)
        .bind(from_ms)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("read the devices' hourly rollups"))?;
        for row in rows {
            out.push(
                (|| {
                    Ok::<_, sqlx::Error>((
                        row.try_get("device_id")?,
                        row.try_get("start_ms")?,
                        row.try_get("samples")?,
                        row.try_get("total")?,
                    ))
                })()
                .map_err(StoreError::query("read the devices' hourly rollups"))?,
            );
        }
    }
    Ok(out)
}

/// The devices a rollout targets.
pub async fn rollout_device_ids(
    pool: &sqlx::AnyPool,
    rollout_id: i64,
) -> Result<Vec<i64>, StoreError> {
    sqlx::query("SELECT device_id FROM rollout_devices WHERE rollout_id = $1 ORDER BY device_id")
        .bind(rollout_id)
        .fetch_all(pool)
        .await
        .and_then(|rows| rows.iter().map(|row| row.try_get::<i64, _>(0)).collect())
        .map_err(StoreError::query("list a rollout's devices"))
}

/// The vulnerabilities a patch release remediates: those of the findings of the plans it
/// serves.
pub async fn vulnerabilities_fixed_by(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Vec<String>, StoreError> {
    sqlx::query(
        "SELECT DISTINCT f.vulnerability FROM patch_plans pp \
         JOIN plan_findings pf ON pf.plan_id = pp.plan_id JOIN findings f ON f.id = pf.finding_id \
         WHERE pp.release_id = $1 ORDER BY f.vulnerability",
    )
    .bind(release_id)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(|row| row.try_get::<String, _>(0)).collect())
    .map_err(StoreError::query("find what a patch remediates"))
}

/// The metrics `devices` have hourly rollups of, by name.
pub async fn metrics_of_devices(store: &Store, devices: &[i64]) -> Result<Vec<String>, StoreError> {
    let mut metrics = select_in(
        store,
        "SELECT DISTINCT metric FROM device_rollups WHERE grain = 'hour' AND device_id",
        "",
        devices,
        "list the devices' metrics",
        |row| row.try_get::<String, _>(0),
    )
    .await?;
    metrics.sort();
    metrics.dedup();
    Ok(metrics)
}

/// Signals raised at or after `from` (RFC 3339), oldest first.
pub async fn signals_since(pool: &sqlx::AnyPool, from: &str) -> Result<Vec<SignalRow>, StoreError> {
    sqlx::query(&format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals s LEFT JOIN devices d ON d.id = s.device_id \
         WHERE s.raised_at >= $1 ORDER BY s.raised_at, s.id"
    ))
    .bind(from)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(signal_of).collect())
    .map_err(StoreError::query("list signals since"))
}
