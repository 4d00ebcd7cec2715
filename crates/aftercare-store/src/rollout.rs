//! Rollouts and their actions: a rollout of a release to the devices a filter targets, in
//! waves; the plan (which device is in which wave) written once when it starts; one action
//! per device and offer, with every status entry the device reported.
//!
//! The rules live in `aftercare-rollout`; this module only reads and writes rows, every write
//! in the caller's transaction. Action ids stay below 2^31 (a CHECK), and a device holds at
//! most one active action (a partial unique index), on both backends.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::bulk::{Value, insert_rows};
use crate::{StoreError, Tx};

/// A rollout as stored, with its release's product and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutRow {
    /// The id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// The release it delivers.
    pub release_id: i64,
    /// That release's product.
    pub product: String,
    /// The product's id.
    pub product_id: i64,
    /// That release's version.
    pub version: String,
    /// The target filter, canonical text.
    pub filter_text: String,
    /// `update` or `rollback`.
    pub kind: String,
    /// A rollback's rationale.
    pub rationale: Option<String>,
    /// `forced`, `soft`, `timeforced` or `download_only`.
    pub update_type: String,
    /// The wave spec, as given (`1%,10%,100%`).
    pub waves_text: String,
    /// How many waves.
    pub waves: i64,
    /// The waves (from 0) followed by a hold point, comma-separated.
    pub holds_after: String,
    /// The success threshold, in hundredths of a percent.
    pub success_hundredths: i64,
    /// The error threshold, in hundredths of a percent.
    pub error_hundredths: i64,
    /// The maintenance window (`'CRON DURATION TZ'`), if any.
    pub window_text: Option<String>,
    /// Whether devices that appear later join it.
    pub dynamic: bool,
    /// A `timeforced` rollout's instant (RFC 3339) from which its offers are forced.
    pub forced_at: Option<String>,
    /// Its state.
    pub state: String,
    /// The current wave, from 0.
    pub wave: i64,
    /// Why it is paused.
    pub pause_reason: Option<String>,
    /// The distribution recorded when every targeted device had been offered the release.
    pub distribution_id: Option<i64>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

const ROLLOUT_SELECT: &str = "SELECT r.id, r.name, r.release_id, p.name AS product, \
     p.id AS product_id, rel.version, r.filter_text, r.kind, r.rationale, r.update_type, \
     r.waves_text, r.waves, r.holds_after, r.success_hundredths, r.error_hundredths, \
     r.window_text, r.dynamic, r.forced_at, r.state, r.wave, r.pause_reason, r.distribution_id, \
     r.created_by, r.created_at, r.updated_at \
     FROM rollouts r JOIN releases rel ON rel.id = r.release_id \
     JOIN products p ON p.id = rel.product_id";

fn rollout_from_row(row: &AnyRow) -> Result<RolloutRow, sqlx::Error> {
    Ok(RolloutRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        release_id: row.try_get("release_id")?,
        product: row.try_get("product")?,
        product_id: row.try_get("product_id")?,
        version: row.try_get("version")?,
        filter_text: row.try_get("filter_text")?,
        kind: row.try_get("kind")?,
        rationale: row.try_get("rationale")?,
        update_type: row.try_get("update_type")?,
        waves_text: row.try_get("waves_text")?,
        waves: row.try_get("waves")?,
        holds_after: row.try_get("holds_after")?,
        success_hundredths: row.try_get("success_hundredths")?,
        error_hundredths: row.try_get("error_hundredths")?,
        window_text: row.try_get("window_text")?,
        dynamic: row.try_get::<i64, _>("dynamic")? != 0,
        forced_at: row.try_get("forced_at")?,
        state: row.try_get("state")?,
        wave: row.try_get("wave")?,
        pause_reason: row.try_get("pause_reason")?,
        distribution_id: row.try_get("distribution_id")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a rollout (its `id`, product, version and times are ignored); returns its id.
pub async fn insert_rollout(
    tx: &mut Tx,
    rollout: &RolloutRow,
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO rollouts (name, release_id, filter_text, kind, rationale, update_type, \
         waves_text, waves, holds_after, success_hundredths, error_hundredths, window_text, \
         dynamic, state, wave, pause_reason, created_by, created_at, updated_at, forced_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $18, $19) RETURNING id",
    )
    .bind(&rollout.name)
    .bind(rollout.release_id)
    .bind(&rollout.filter_text)
    .bind(&rollout.kind)
    .bind(&rollout.rationale)
    .bind(&rollout.update_type)
    .bind(&rollout.waves_text)
    .bind(rollout.waves)
    .bind(&rollout.holds_after)
    .bind(rollout.success_hundredths)
    .bind(rollout.error_hundredths)
    .bind(&rollout.window_text)
    .bind(i64::from(rollout.dynamic))
    .bind(&rollout.state)
    .bind(rollout.wave)
    .bind(&rollout.pause_reason)
    .bind(&rollout.created_by)
    .bind(at)
    .bind(&rollout.forced_at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert a rollout"))?;
    row.try_get("id")
        .map_err(StoreError::query("insert a rollout"))
}

/// Writes a rollout's moving parts: state, wave, pause reason, distribution.
pub async fn update_rollout(tx: &mut Tx, rollout: &RolloutRow, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE rollouts SET state = $1, wave = $2, pause_reason = $3, distribution_id = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&rollout.state)
    .bind(rollout.wave)
    .bind(&rollout.pause_reason)
    .bind(rollout.distribution_id)
    .bind(at)
    .bind(rollout.id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("update a rollout"))?;
    Ok(())
}

/// A rollout by name, through the pool or in the writer's transaction (`tx.conn()`: two
/// writers of one rollout see each other's changes).
pub async fn rollout<'e, E>(executor: E, name: &str) -> Result<Option<RolloutRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{ROLLOUT_SELECT} WHERE r.name = $1");
    one_rollout(sqlx::query(&sql).bind(name).fetch_optional(executor).await)
}

/// A rollout by id, through the pool or in the writer's transaction.
pub async fn rollout_by_id<'e, E>(executor: E, id: i64) -> Result<Option<RolloutRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{ROLLOUT_SELECT} WHERE r.id = $1");
    one_rollout(sqlx::query(&sql).bind(id).fetch_optional(executor).await)
}

fn one_rollout(
    fetched: Result<Option<AnyRow>, sqlx::Error>,
) -> Result<Option<RolloutRow>, StoreError> {
    fetched
        .map_err(StoreError::query("read a rollout"))?
        .as_ref()
        .map(rollout_from_row)
        .transpose()
        .map_err(StoreError::query("read a rollout"))
}

/// Every rollout, newest first; only those in `states` when given.
pub async fn rollouts(pool: &sqlx::AnyPool) -> Result<Vec<RolloutRow>, StoreError> {
    let sql = format!("{ROLLOUT_SELECT} ORDER BY r.id DESC");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list rollouts"))?;
    rows.iter()
        .map(rollout_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list rollouts"))
}

/// The rollouts in one of the live states that let late devices join or assign (`running`,
/// `paused`, `awaiting_decision`), read in the writer's transaction.
pub async fn live_rollouts_in(tx: &mut Tx) -> Result<Vec<RolloutRow>, StoreError> {
    let sql = format!(
        "{ROLLOUT_SELECT} WHERE r.state IN ('running', 'paused', 'awaiting_decision') \
         ORDER BY r.id"
    );
    let rows = sqlx::query(&sql)
        .fetch_all(tx.conn())
        .await
        .map_err(StoreError::query("list live rollouts"))?;
    rows.iter()
        .map(rollout_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list live rollouts"))
}

/// One wave of a rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveRow {
    /// The wave, from 0.
    pub wave: i64,
    /// How many devices it was planned with.
    pub devices: i64,
    /// When it started.
    pub started_at: Option<String>,
    /// The decision at its hold point (`go`, `no_go`).
    pub decision: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// The signature of the decision.
    pub signature_id: Option<i64>,
}

/// Inserts the planned waves of a rollout (sizes in order).
pub async fn insert_waves(tx: &mut Tx, rollout_id: i64, sizes: &[i64]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = sizes
        .iter()
        .enumerate()
        .map(|(wave, size)| {
            vec![
                Value::Int(rollout_id),
                Value::Int(i64::try_from(wave).unwrap_or(i64::MAX)),
                Value::Int(*size),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO rollout_waves (rollout_id, wave, devices)",
        3,
        "",
        &rows,
        "plan a rollout's waves",
    )
    .await?;
    Ok(())
}

/// Marks a wave started `at`.
pub async fn start_wave(
    tx: &mut Tx,
    rollout_id: i64,
    wave: i64,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE rollout_waves SET started_at = $1 WHERE rollout_id = $2 AND wave = $3")
        .bind(at)
        .bind(rollout_id)
        .bind(wave)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("start a wave"))?;
    Ok(())
}

/// Records the signed decision at the hold point after a wave.
pub async fn decide_wave(
    tx: &mut Tx,
    rollout_id: i64,
    wave: i64,
    decision: &str,
    by: &str,
    signature_id: i64,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE rollout_waves SET decision = $1, decided_by = $2, decided_at = $3, \
         signature_id = $4 WHERE rollout_id = $5 AND wave = $6",
    )
    .bind(decision)
    .bind(by)
    .bind(at)
    .bind(signature_id)
    .bind(rollout_id)
    .bind(wave)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("decide at a hold point"))?;
    Ok(())
}

/// Adds to a wave's planned size (a late device joined).
pub async fn grow_wave(tx: &mut Tx, rollout_id: i64, wave: i64, by: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE rollout_waves SET devices = devices + $1 WHERE rollout_id = $2 AND wave = $3",
    )
    .bind(by)
    .bind(rollout_id)
    .bind(wave)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("grow a wave"))?;
    Ok(())
}

/// A rollout's waves, in order.
pub async fn waves(pool: &sqlx::AnyPool, rollout_id: i64) -> Result<Vec<WaveRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT wave, devices, started_at, decision, decided_by, decided_at, signature_id \
         FROM rollout_waves WHERE rollout_id = $1 ORDER BY wave",
    )
    .bind(rollout_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read a rollout's waves"))?;
    rows.iter()
        .map(|row| {
            Ok(WaveRow {
                wave: row.try_get("wave")?,
                devices: row.try_get("devices")?,
                started_at: row.try_get("started_at")?,
                decision: row.try_get("decision")?,
                decided_by: row.try_get("decided_by")?,
                decided_at: row.try_get("decided_at")?,
                signature_id: row.try_get("signature_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a rollout's waves"))
}

/// Writes the plan: each (device id, wave) of a rollout.
pub async fn insert_rollout_devices(
    tx: &mut Tx,
    rollout_id: i64,
    devices: &[(i64, i64)],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = devices
        .iter()
        .map(|(device, wave)| {
            vec![
                Value::Int(rollout_id),
                Value::Int(*device),
                Value::Int(*wave),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO rollout_devices (rollout_id, device_id, wave)",
        3,
        "",
        &rows,
        "plan a rollout's devices",
    )
    .await?;
    Ok(())
}

/// One planned device of a rollout with what assigning reads: its wave, whether it has an
/// active action anywhere, and its latest action in this rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDevice {
    /// The device.
    pub device_id: i64,
    /// Its controller id.
    pub controller_id: String,
    /// Its wave, from 0.
    pub wave: i64,
    /// Whether it has an active action in any rollout.
    pub active: bool,
    /// The state of its latest action in this rollout.
    pub latest: Option<String>,
    /// The device's state (a decommissioned device is never assigned).
    pub device_state: String,
}

/// A rollout's planned devices up to wave `up_to` (inclusive), by controller id, read in the
/// writer's transaction.
pub async fn planned_devices(
    tx: &mut Tx,
    rollout_id: i64,
    up_to: i64,
) -> Result<Vec<PlannedDevice>, StoreError> {
    let rows = sqlx::query(
        "SELECT rd.device_id, d.controller_id, rd.wave, d.state AS device_state, \
         EXISTS (SELECT 1 FROM actions a WHERE a.device_id = rd.device_id AND a.active = 1) \
             AS active, \
         (SELECT a.state FROM actions a WHERE a.rollout_id = rd.rollout_id \
             AND a.device_id = rd.device_id ORDER BY a.id DESC LIMIT 1) AS latest \
         FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id \
         WHERE rd.rollout_id = $1 AND rd.wave <= $2 ORDER BY rd.wave, d.controller_id",
    )
    .bind(rollout_id)
    .bind(up_to)
    .fetch_all(tx.conn())
    .await
    .map_err(StoreError::query("read a rollout's planned devices"))?;
    rows.iter()
        .map(|row| {
            Ok(PlannedDevice {
                device_id: row.try_get("device_id")?,
                controller_id: row.try_get("controller_id")?,
                wave: row.try_get("wave")?,
                active: truthy(row, "active")?,
                latest: row.try_get("latest")?,
                device_state: row.try_get("device_state")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a rollout's planned devices"))
}

/// A boolean SQL expression's value: an integer on SQLite, a boolean on PostgreSQL.
fn truthy(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// The latest action state of every planned device of one wave (`None`: no action yet), read
/// in the writer's transaction: what `WaveCounts::tally` counts.
pub async fn wave_latest_states(
    tx: &mut Tx,
    rollout_id: i64,
    wave: i64,
) -> Result<Vec<Option<String>>, StoreError> {
    let rows = sqlx::query(
        "SELECT (SELECT a.state FROM actions a WHERE a.rollout_id = rd.rollout_id \
             AND a.device_id = rd.device_id ORDER BY a.id DESC LIMIT 1) AS latest \
         FROM rollout_devices rd WHERE rd.rollout_id = $1 AND rd.wave = $2",
    )
    .bind(rollout_id)
    .bind(wave)
    .fetch_all(tx.conn())
    .await
    .map_err(StoreError::query("count a wave"))?;
    rows.iter()
        .map(|row| row.try_get("latest"))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("count a wave"))
}

/// How many planned devices of a rollout, per wave, have their latest action in each state
/// (`none`: no action yet): (wave, state, count). The latest action per device is one
/// grouped read joined to the plan, not a lookup per device.
pub async fn rollout_counts(
    pool: &sqlx::AnyPool,
    rollout_id: i64,
) -> Result<Vec<(i64, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT rd.wave, COALESCE(a.state, 'none') AS state, COUNT(*) AS n \
         FROM rollout_devices rd \
         LEFT JOIN (SELECT device_id, MAX(id) AS id FROM actions WHERE rollout_id = $1 \
             GROUP BY device_id) latest ON latest.device_id = rd.device_id \
         LEFT JOIN actions a ON a.id = latest.id \
         WHERE rd.rollout_id = $1 GROUP BY rd.wave, COALESCE(a.state, 'none') \
         ORDER BY rd.wave, 2",
    )
    .bind(rollout_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("count a rollout"))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("wave")?,
                row.try_get("state")?,
                row.try_get("n")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("count a rollout"))
}

/// An action: one offer of a rollout's release to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// The id (below 2^31).
    pub id: i64,
    /// Its rollout.
    pub rollout_id: i64,
    /// Its device.
    pub device_id: i64,
    /// The release it delivers.
    pub release_id: i64,
    /// The wave it belongs to, from 0.
    pub wave: i64,
    /// Why it was created: `first`, `after_skip`, `retry`.
    pub assignment: String,
    /// Its state (`aftercare_rollout::ActionState`).
    pub state: String,
    /// Its update type.
    pub update_type: String,
    /// Whether it is active.
    pub active: bool,
    /// Whether the last deploymentBase the device fetched said `update: skip`.
    pub skip_offered: bool,
    /// Whether the device reported progress.
    pub progressed: bool,
    /// How many status entries it holds.
    pub status_entries: i64,
    /// The last detail line the device sent.
    pub last_detail: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// When it ended.
    pub closed_at: Option<String>,
}

const ACTION_SELECT: &str = "SELECT id, rollout_id, device_id, release_id, wave, assignment, \
     state, update_type, active, skip_offered, progressed, status_entries, last_detail, \
     created_at, updated_at, closed_at FROM actions";

fn action_from_row(row: &AnyRow) -> Result<ActionRow, sqlx::Error> {
    Ok(ActionRow {
        id: row.try_get("id")?,
        rollout_id: row.try_get("rollout_id")?,
        device_id: row.try_get("device_id")?,
        release_id: row.try_get("release_id")?,
        wave: row.try_get("wave")?,
        assignment: row.try_get("assignment")?,
        state: row.try_get("state")?,
        update_type: row.try_get("update_type")?,
        active: row.try_get::<i64, _>("active")? != 0,
        skip_offered: row.try_get::<i64, _>("skip_offered")? != 0,
        progressed: row.try_get::<i64, _>("progressed")? != 0,
        status_entries: row.try_get("status_entries")?,
        last_detail: row.try_get("last_detail")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

/// A new action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// Its device.
    pub device_id: i64,
    /// Its wave.
    pub wave: i64,
    /// Why it is created.
    pub assignment: String,
    /// Its first state (`scheduled` or `running`).
    pub state: String,
}

/// Inserts actions of a rollout (release and update type from the rollout), all active.
pub async fn insert_actions(
    tx: &mut Tx,
    rollout: &RolloutRow,
    actions: &[NewAction],
    at: &str,
) -> Result<u64, StoreError> {
    let rows: Vec<Vec<Value<'_>>> = actions
        .iter()
        .map(|action| {
            vec![
                Value::Int(rollout.id),
                Value::Int(action.device_id),
                Value::Int(rollout.release_id),
                Value::Int(action.wave),
                Value::Text(&action.assignment),
                Value::Text(&action.state),
                Value::Text(&rollout.update_type),
                Value::Text(at),
                Value::Int(1),
                Value::Int(0),
                Value::Int(0),
                Value::Int(0),
                Value::Text(at),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO actions (rollout_id, device_id, release_id, wave, assignment, state, \
         update_type, created_at, active, skip_offered, progressed, status_entries, updated_at)",
        13,
        "",
        &rows,
        "create actions",
    )
    .await
}

/// Writes an action's moving parts.
pub async fn update_action(tx: &mut Tx, action: &ActionRow, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE actions SET state = $1, active = $2, skip_offered = $3, progressed = $4, \
         status_entries = $5, last_detail = $6, updated_at = $7, closed_at = $8 WHERE id = $9",
    )
    .bind(&action.state)
    .bind(i64::from(action.active))
    .bind(i64::from(action.skip_offered))
    .bind(i64::from(action.progressed))
    .bind(action.status_entries)
    .bind(&action.last_detail)
    .bind(at)
    .bind(&action.closed_at)
    .bind(action.id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("update an action"))?;
    Ok(())
}

fn one_action(
    fetched: Result<Option<AnyRow>, sqlx::Error>,
    operation: &'static str,
) -> Result<Option<ActionRow>, StoreError> {
    fetched
        .map_err(StoreError::query(operation))?
        .as_ref()
        .map(action_from_row)
        .transpose()
        .map_err(StoreError::query(operation))
}

/// An action by id, through the pool or in the writer's transaction (`tx.conn()`).
pub async fn action<'e, E>(executor: E, id: i64) -> Result<Option<ActionRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{ACTION_SELECT} WHERE id = $1");
    one_action(
        sqlx::query(&sql).bind(id).fetch_optional(executor).await,
        "read an action",
    )
}

/// The active action of a device, if any.
pub async fn active_action(
    pool: &sqlx::AnyPool,
    device_id: i64,
) -> Result<Option<ActionRow>, StoreError> {
    let sql = format!("{ACTION_SELECT} WHERE device_id = $1 AND active = 1");
    one_action(
        sqlx::query(&sql).bind(device_id).fetch_optional(pool).await,
        "read a device's active action",
    )
}

/// The latest closed `finished` action of a device (DDI's installedBase), if any.
pub async fn installed_action(
    pool: &sqlx::AnyPool,
    device_id: i64,
) -> Result<Option<ActionRow>, StoreError> {
    let sql = format!(
        "{ACTION_SELECT} WHERE device_id = $1 AND state = 'finished' ORDER BY id DESC LIMIT 1"
    );
    one_action(
        sqlx::query(&sql).bind(device_id).fetch_optional(pool).await,
        "read a device's installed action",
    )
}

/// A device's actions, newest first.
pub async fn actions_of_device(
    pool: &sqlx::AnyPool,
    device_id: i64,
) -> Result<Vec<ActionRow>, StoreError> {
    let sql = format!("{ACTION_SELECT} WHERE device_id = $1 ORDER BY id DESC");
    let rows = sqlx::query(&sql)
        .bind(device_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("read a device's actions"))?;
    rows.iter()
        .map(action_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read a device's actions"))
}

/// Moves every active `scheduled` action of a rollout up to wave `up_to` to `running` (a
/// wave started, or a window opened); returns how many.
pub async fn offer_scheduled(
    tx: &mut Tx,
    rollout_id: i64,
    up_to: i64,
    at: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE actions SET state = 'running', updated_at = $1 \
         WHERE rollout_id = $2 AND wave <= $3 AND active = 1 AND state = 'scheduled'",
    )
    .bind(at)
    .bind(rollout_id)
    .bind(up_to)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("offer scheduled actions"))?;
    Ok(done.rows_affected())
}

/// Cancels at once every active `scheduled` action of a rollout (the devices never saw
/// them), and marks every offered active one `canceling`; returns (canceled, canceling).
pub async fn cancel_actions_of_rollout(
    tx: &mut Tx,
    rollout_id: i64,
    at: &str,
) -> Result<(u64, u64), StoreError> {
    let canceled = sqlx::query(
        "UPDATE actions SET state = 'canceled', active = 0, closed_at = $1, updated_at = $1 \
         WHERE rollout_id = $2 AND active = 1 AND state = 'scheduled'",
    )
    .bind(at)
    .bind(rollout_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("cancel a rollout's actions"))?;
    let canceling = sqlx::query(
        "UPDATE actions SET state = 'canceling', updated_at = $1 \
         WHERE rollout_id = $2 AND active = 1 AND state <> 'canceling'",
    )
    .bind(at)
    .bind(rollout_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("cancel a rollout's actions"))?;
    Ok((canceled.rows_affected(), canceling.rows_affected()))
}

/// One status entry of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionStatusRow {
    /// The id.
    pub id: i64,
    /// Its action.
    pub action_id: i64,
    /// `deployment`, `cancel` or `server`.
    pub channel: String,
    /// The status word (`aftercare_rollout::ActionStatus`).
    pub status: String,
    /// The feedback's `execution`, if from the device.
    pub execution: Option<String>,
    /// The feedback's `finished`, if from the device.
    pub result: Option<String>,
    /// The device's status code, if it sent one.
    pub code: Option<i64>,
    /// The detail lines kept.
    pub details: Vec<String>,
    /// How many lines were dropped beyond the cap.
    pub details_dropped: i64,
    /// When it was recorded.
    pub at: String,
}

/// Appends a status entry to an action.
pub async fn insert_action_status(tx: &mut Tx, entry: &ActionStatusRow) -> Result<(), StoreError> {
    let details = serde_json::to_string(&entry.details).unwrap_or_else(|_| "[]".to_string());
    sqlx::query(
        "INSERT INTO action_status (action_id, channel, status, execution, result, code, \
         details, details_dropped, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.action_id)
    .bind(&entry.channel)
    .bind(&entry.status)
    .bind(&entry.execution)
    .bind(&entry.result)
    .bind(entry.code)
    .bind(details)
    .bind(entry.details_dropped)
    .bind(&entry.at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record an action status"))?;
    Ok(())
}

/// An action's status entries, oldest first.
pub async fn action_statuses(
    pool: &sqlx::AnyPool,
    action_id: i64,
) -> Result<Vec<ActionStatusRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, action_id, channel, status, execution, result, code, details, \
         details_dropped, at FROM action_status WHERE action_id = $1 ORDER BY id",
    )
    .bind(action_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read an action's status entries"))?;
    rows.iter()
        .map(|row| {
            let details: String = row.try_get("details")?;
            Ok(ActionStatusRow {
                id: row.try_get("id")?,
                action_id: row.try_get("action_id")?,
                channel: row.try_get("channel")?,
                status: row.try_get("status")?,
                execution: row.try_get("execution")?,
                result: row.try_get("result")?,
                code: row.try_get("code")?,
                details: serde_json::from_str(&details).unwrap_or_default(),
                details_dropped: row.try_get("details_dropped")?,
                at: row.try_get("at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read an action's status entries"))
}

/// Records the last poll of devices (coalesced by the caller): (device id, time).
pub async fn record_polls(tx: &mut Tx, polls: &[(i64, String)]) -> Result<(), StoreError> {
    for (device_id, at) in polls {
        sqlx::query("UPDATE devices SET last_poll_at = $1 WHERE id = $2")
            .bind(at)
            .bind(device_id)
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("record device polls"))?;
    }
    Ok(())
}

/// Stores what a device reported of itself (configData): its attributes (JSON) and the
/// version they name, if any.
pub async fn record_attributes(
    tx: &mut Tx,
    device_id: i64,
    attributes: &str,
    version: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE devices SET attributes = $1, reported_version = $2, \
         reported_source = 'config_data', reported_at = $3 WHERE id = $4",
    )
    .bind(attributes)
    .bind(version)
    .bind(at)
    .bind(device_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record a device's attributes"))?;
    Ok(())
}

/// A device's stored attributes (JSON), if it ever sent configData.
pub async fn attributes(
    pool: &sqlx::AnyPool,
    device_id: i64,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT attributes FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a device's attributes"))?;
    match row {
        Some(row) => row
            .try_get("attributes")
            .map_err(StoreError::query("read a device's attributes")),
        None => Ok(None),
    }
}

/// Records the release a device installed through an action.
pub async fn record_installed(
    tx: &mut Tx,
    device_id: i64,
    release_id: i64,
    state: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE devices SET installed_release_id = $1, installed_source = 'action', \
         installed_at = $2, state = $3, updated_at = $2 WHERE id = $4",
    )
    .bind(release_id)
    .bind(at)
    .bind(state)
    .bind(device_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record an installed release"))?;
    Ok(())
}

/// Marks `pending` the devices with an active action of a rollout that are not yet.
pub async fn mark_pending(tx: &mut Tx, rollout_id: i64, at: &str) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE devices SET state = 'pending', updated_at = $1 WHERE state NOT IN \
         ('pending', 'decommissioned') AND id IN (SELECT device_id FROM actions \
         WHERE rollout_id = $2 AND active = 1)",
    )
    .bind(at)
    .bind(rollout_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("mark devices pending"))?;
    Ok(done.rows_affected())
}

/// Sets a device's state (`pending`, `error`, `in_sync`).
pub async fn set_device_state(
    tx: &mut Tx,
    device_id: i64,
    state: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE devices SET state = $1, updated_at = $2 WHERE id = $3 AND state <> 'decommissioned'")
        .bind(state)
        .bind(at)
        .bind(device_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("set a device's state"))?;
    Ok(())
}

/// Takes a rollout row's write lock for the rest of the transaction (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` holds the whole database already), so that two writers of one rollout
/// queue rather than both start its next wave.
pub async fn lock_rollout(tx: &mut Tx, name: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE rollouts SET updated_at = updated_at WHERE name = $1")
        .bind(name)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("lock a rollout"))?;
    Ok(())
}

/// The latest revocation of a (patch) release: who, why and when, in words; read in the
/// writer's transaction.
pub async fn revocation(tx: &mut Tx, release_id: i64) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT decided_by, reason, at FROM patch_decisions \
         WHERE release_id = $1 AND kind = 'revoked' ORDER BY id DESC LIMIT 1",
    )
    .bind(release_id)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::query("read a release's revocation"))?;
    let Some(row) = row else { return Ok(None) };
    let by: String = row
        .try_get("decided_by")
        .map_err(StoreError::query("read a release's revocation"))?;
    let reason: Option<String> = row
        .try_get("reason")
        .map_err(StoreError::query("read a release's revocation"))?;
    let at: String = row
        .try_get("at")
        .map_err(StoreError::query("read a release's revocation"))?;
    Ok(Some(format!(
        "revoked by {by} at {at}: {}",
        reason.unwrap_or_default()
    )))
}

/// Whether a release was revoked (the cheap read of the DDI path).
pub async fn is_revoked(pool: &sqlx::AnyPool, release_id: i64) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM patch_decisions WHERE release_id = $1 AND kind = 'revoked' LIMIT 1",
    )
    .bind(release_id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("read a release's revocation"))?;
    Ok(row.is_some())
}

/// The devices a rollout's plan holds, read in the writer's transaction.
pub async fn planned_device_ids(
    tx: &mut Tx,
    rollout_id: i64,
) -> Result<std::collections::HashSet<i64>, StoreError> {
    let rows = sqlx::query("SELECT device_id FROM rollout_devices WHERE rollout_id = $1")
        .bind(rollout_id)
        .fetch_all(tx.conn())
        .await
        .map_err(StoreError::query("read a rollout's plan"))?;
    rows.iter()
        .map(|row| row.try_get("device_id"))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a rollout's plan"))
}

/// Whether one of a device's actions delivers a release (it may download its artifacts).
pub async fn device_has_release_action(
    pool: &sqlx::AnyPool,
    device_id: i64,
    release_id: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM actions WHERE device_id = $1 AND release_id = $2 LIMIT 1",
    )
    .bind(device_id)
    .bind(release_id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("check a device's actions"))?;
    Ok(row.is_some())
}
