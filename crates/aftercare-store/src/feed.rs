//! Feeds and their sync runs: the configuration of each source, the per-file state that makes
//! a sync incremental (ETag, Last-Modified, digest, ROLIE `updated`), the lease that lets one
//! node at a time sync a feed, and each run with its checkpoint, counts, delta and warnings.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use crate::bulk::{Value, insert_rows};
use crate::{StoreError, Tx};

/// A configured feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    /// The id.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// `osv`, `nvd`, `cve5`, `kev`, `epss` or `csaf`.
    pub kind: String,
    /// Where it is fetched from over HTTP.
    pub url: Option<String>,
    /// Where it is read from on disk (a local mirror).
    pub path: Option<String>,
    /// The OSV ecosystem, for the default osv.dev URL.
    pub ecosystem: Option<String>,
    /// When it was added.
    pub created_at: String,
    /// Who added it.
    pub created_by: String,
    /// Where an incremental source stands (NVD: the end of the last window applied).
    pub cursor: Option<String>,
    /// When a sync last started.
    pub last_attempt_at: Option<String>,
    /// When a sync last completed.
    pub last_success_at: Option<String>,
    /// How the last sync ended (`completed`, `unchanged`, `interrupted`, `failed`).
    pub last_status: Option<String>,
    /// Why the last sync failed.
    pub last_error: Option<String>,
    /// The node holding the sync lease.
    pub lease_owner: Option<String>,
    /// Until when it holds it.
    pub lease_until: Option<String>,
}

const FEED_COLUMNS: &str = "id, name, kind, url, path, ecosystem, created_at, created_by, cursor, \
     last_attempt_at, last_success_at, last_status, last_error, lease_owner, lease_until";

fn feed_from_row(row: &AnyRow) -> Result<FeedRow, sqlx::Error> {
    Ok(FeedRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        url: row.try_get("url")?,
        path: row.try_get("path")?,
        ecosystem: row.try_get("ecosystem")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        cursor: row.try_get("cursor")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        last_success_at: row.try_get("last_success_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row.try_get("lease_until")?,
    })
}

/// A new feed.
#[derive(Debug, Clone)]
pub struct NewFeed<'a> {
    /// The unique name.
    pub name: &'a str,
    /// The kind.
    pub kind: &'a str,
    /// The URL.
    pub url: Option<&'a str>,
    /// The local path.
    pub path: Option<&'a str>,
    /// The OSV ecosystem.
    pub ecosystem: Option<&'a str>,
    /// Who adds it.
    pub created_by: &'a str,
}

/// Adds a feed, created `at`; an active feed of the same name is a unique violation.
pub async fn insert(tx: &mut Tx, feed: &NewFeed<'_>, at: &str) -> Result<FeedRow, StoreError> {
    let sql = format!(
        "INSERT INTO feeds (name, kind, url, path, ecosystem, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {FEED_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(feed.name)
        .bind(feed.kind)
        .bind(feed.url)
        .bind(feed.path)
        .bind(feed.ecosystem)
        .bind(at)
        .bind(feed.created_by)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("add a feed"))?;
    feed_from_row(&row).map_err(StoreError::query("add a feed"))
}

/// An active (not removed) feed by name.
pub async fn by_name(
    executor: impl AnyExecutor<'_>,
    name: &str,
) -> Result<Option<FeedRow>, StoreError> {
    let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE name = $1 AND removed_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a feed"))?;
    row.as_ref()
        .map(feed_from_row)
        .transpose()
        .map_err(StoreError::query("find a feed"))
}

/// A feed by id (removed ones too).
pub async fn by_id(executor: impl AnyExecutor<'_>, id: i64) -> Result<Option<FeedRow>, StoreError> {
    let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a feed"))?;
    row.as_ref()
        .map(feed_from_row)
        .transpose()
        .map_err(StoreError::query("find a feed"))
}

/// Every active feed, by name.
pub async fn list(pool: &sqlx::AnyPool) -> Result<Vec<FeedRow>, StoreError> {
    let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE removed_at IS NULL ORDER BY name");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list feeds"))?;
    rows.iter()
        .map(feed_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list feeds"))
}

/// Marks a feed removed `at`. Its records, runs and files stay: they are evidence, and the
/// records remain part of the vulnerabilities they joined.
pub async fn remove(tx: &mut Tx, id: i64, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE feeds SET removed_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2",
    )
    .bind(at)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("remove a feed"))?;
    Ok(())
}

/// Claims a feed's sync lease for `owner` until `until`, if nobody else holds an unexpired
/// one. One conditional update, atomic on both backends: of several nodes that try at once,
/// exactly one succeeds.
pub async fn claim(
    pool: &sqlx::AnyPool,
    id: i64,
    owner: &str,
    now: &str,
    until: &str,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE feeds SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND removed_at IS NULL \
         AND (lease_until IS NULL OR lease_until < $4 OR lease_owner = $1)",
    )
    .bind(owner)
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(pool)
    .await
    .map_err(StoreError::query("claim a feed's sync lease"))?;
    Ok(result.rows_affected() == 1)
}

/// Gives a lease back.
pub async fn release(pool: &sqlx::AnyPool, id: i64, owner: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await
    .map_err(StoreError::query("release a feed's sync lease"))?;
    Ok(())
}

/// Notes that a sync started.
pub async fn record_attempt(pool: &sqlx::AnyPool, id: i64, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE feeds SET last_attempt_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(pool)
        .await
        .map_err(StoreError::query("record a sync attempt"))?;
    Ok(())
}

/// Notes how a sync that wrote nothing ended (failed or interrupted before its first batch).
pub async fn record_failure(
    pool: &sqlx::AnyPool,
    id: i64,
    status: &str,
    error: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE feeds SET last_status = $1, last_error = $2 WHERE id = $3")
        .bind(status)
        .bind(error)
        .bind(id)
        .execute(pool)
        .await
        .map_err(StoreError::query("record a failed sync"))?;
    Ok(())
}

/// Notes, in the run's last transaction, that a sync completed `at`; sets the cursor when
/// given.
pub async fn record_success(
    tx: &mut Tx,
    id: i64,
    status: &str,
    cursor: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE feeds SET last_status = $1, last_error = NULL, last_success_at = $2, \
         cursor = COALESCE($3, cursor) WHERE id = $4",
    )
    .bind(status)
    .bind(at)
    .bind(cursor)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record a completed sync"))?;
    Ok(())
}

/// What a feed last saw of one file: validators for conditional requests and the digest of
/// the bytes applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedFile {
    /// The URL or path.
    pub location: String,
    /// The HTTP `ETag`.
    pub etag: Option<String>,
    /// The HTTP `Last-Modified`.
    pub last_modified: Option<String>,
    /// SHA-256 of the bytes applied.
    pub sha256: Option<String>,
    /// The ROLIE entry's `updated`.
    pub updated: Option<String>,
    /// How many records the file held.
    pub record_count: i64,
}

/// The files a feed knows.
pub async fn files(
    executor: impl AnyExecutor<'_>,
    feed_id: i64,
) -> Result<Vec<FeedFile>, StoreError> {
    let rows = sqlx::query(
        "SELECT location, etag, last_modified, sha256, updated, record_count FROM feed_files \
         WHERE feed_id = $1 ORDER BY location",
    )
    .bind(feed_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read a feed's files"))?;
    rows.iter()
        .map(|row| {
            Ok(FeedFile {
                location: row.try_get("location")?,
                etag: row.try_get("etag")?,
                last_modified: row.try_get("last_modified")?,
                sha256: row.try_get("sha256")?,
                updated: row.try_get("updated")?,
                record_count: row.try_get("record_count")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a feed's files"))
}

/// Records what a feed saw of some files (insert or replace).
pub async fn put_files(tx: &mut Tx, feed_id: i64, files: &[FeedFile]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = files
        .iter()
        .map(|file| {
            vec![
                Value::Int(feed_id),
                Value::Text(&file.location),
                Value::OptText(file.etag.as_deref()),
                Value::OptText(file.last_modified.as_deref()),
                Value::OptText(file.sha256.as_deref()),
                Value::OptText(file.updated.as_deref()),
                Value::Int(file.record_count),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO feed_files (feed_id, location, etag, last_modified, sha256, updated, record_count)",
        7,
        "ON CONFLICT (feed_id, location) DO UPDATE SET etag = excluded.etag, \
         last_modified = excluded.last_modified, sha256 = excluded.sha256, \
         updated = excluded.updated, record_count = excluded.record_count",
        &rows,
        "record a feed's files",
    )
    .await?;
    Ok(())
}

/// A sync run: its plan, its checkpoint and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// The id.
    pub id: i64,
    /// The feed.
    pub feed_id: i64,
    /// Who started it.
    pub actor: String,
    /// `running`, `completed` or `unchanged`.
    pub status: String,
    /// The plan: what the run fetches, as JSON (fixed when the run starts, so that a resumed
    /// run does the same work).
    pub plan: String,
    /// Checkpoint: the unit of the plan in progress.
    pub unit: i64,
    /// Checkpoint: the digest of that unit's bytes, when known.
    pub unit_sha256: Option<String>,
    /// Checkpoint: documents of the unit already applied.
    pub position: i64,
    /// The counts so far.
    pub counts: RunCounts,
    /// The digest of the delta, set when the run completes.
    pub delta_digest: Option<String>,
    /// How many times the run was started (1 + resumptions).
    pub attempts: i64,
    /// When it started.
    pub started_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
}

/// What a run did, so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunCounts {
    /// Transactions committed.
    pub batches: i64,
    /// Documents read.
    pub documents: i64,
    /// Records (or enrichment entries) seen for the first time.
    pub new: i64,
    /// Records that changed.
    pub updated: i64,
    /// Records the source withdrew in this run (or entries that left the KEV catalog).
    pub withdrawn: i64,
    /// Records already stored as they are (or superseded by a newer version).
    pub unchanged: i64,
    /// Warnings.
    pub warnings: i64,
}

const RUN_COLUMNS: &str = "id, feed_id, actor, status, plan, unit, unit_sha256, position, batches, \
     documents, new_count, updated_count, withdrawn_count, unchanged_count, warning_count, \
     delta_digest, attempts, started_at, finished_at";

fn run_from_row(row: &AnyRow) -> Result<RunRow, sqlx::Error> {
    Ok(RunRow {
        id: row.try_get("id")?,
        feed_id: row.try_get("feed_id")?,
        actor: row.try_get("actor")?,
        status: row.try_get("status")?,
        plan: row.try_get("plan")?,
        unit: row.try_get("unit")?,
        unit_sha256: row.try_get("unit_sha256")?,
        position: row.try_get("position")?,
        counts: RunCounts {
            batches: row.try_get("batches")?,
            documents: row.try_get("documents")?,
            new: row.try_get("new_count")?,
            updated: row.try_get("updated_count")?,
            withdrawn: row.try_get("withdrawn_count")?,
            unchanged: row.try_get("unchanged_count")?,
            warnings: row.try_get("warning_count")?,
        },
        delta_digest: row.try_get("delta_digest")?,
        attempts: row.try_get("attempts")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// Starts a run `at`.
pub async fn insert_run(
    tx: &mut Tx,
    feed_id: i64,
    actor: &str,
    plan: &str,
    at: &str,
) -> Result<RunRow, StoreError> {
    let sql = format!(
        "INSERT INTO sync_runs (feed_id, actor, status, plan, started_at) \
         VALUES ($1, $2, 'running', $3, $4) RETURNING {RUN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(feed_id)
        .bind(actor)
        .bind(plan)
        .bind(at)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("start a sync run"))?;
    run_from_row(&row).map_err(StoreError::query("start a sync run"))
}

/// The feed's unfinished run, if a sync was interrupted.
pub async fn open_run(
    executor: impl AnyExecutor<'_>,
    feed_id: i64,
) -> Result<Option<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM sync_runs WHERE feed_id = $1 AND status = 'running' \
         ORDER BY id DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(feed_id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find an unfinished sync run"))?;
    row.as_ref()
        .map(run_from_row)
        .transpose()
        .map_err(StoreError::query("find an unfinished sync run"))
}

/// A run by id.
pub async fn run(executor: impl AnyExecutor<'_>, id: i64) -> Result<Option<RunRow>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a sync run"))?;
    row.as_ref()
        .map(run_from_row)
        .transpose()
        .map_err(StoreError::query("read a sync run"))
}

/// The newest runs of a feed (or of every feed), newest first.
pub async fn runs(
    pool: &sqlx::AnyPool,
    feed_id: Option<i64>,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM sync_runs WHERE ($1 IS NULL OR feed_id = $1) \
         AND ($2 IS NULL OR id > $2) ORDER BY id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(feed_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list sync runs"))?;
    rows.iter()
        .map(run_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list sync runs"))
}

/// Counts a resumption of a run.
pub async fn add_attempt(pool: &sqlx::AnyPool, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_runs SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map_err(StoreError::query("resume a sync run"))?;
    Ok(())
}

/// Writes a run's checkpoint and counts (in the batch's transaction).
pub async fn checkpoint(
    tx: &mut Tx,
    id: i64,
    unit: i64,
    unit_sha256: Option<&str>,
    position: i64,
    counts: &RunCounts,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_runs SET unit = $1, unit_sha256 = $2, position = $3, batches = $4, \
         documents = $5, new_count = $6, updated_count = $7, withdrawn_count = $8, \
         unchanged_count = $9, warning_count = $10 WHERE id = $11",
    )
    .bind(unit)
    .bind(unit_sha256)
    .bind(position)
    .bind(counts.batches)
    .bind(counts.documents)
    .bind(counts.new)
    .bind(counts.updated)
    .bind(counts.withdrawn)
    .bind(counts.unchanged)
    .bind(counts.warnings)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("write a sync checkpoint"))?;
    Ok(())
}

/// Closes a run `at` with its final status and the digest of its delta.
pub async fn finish_run(
    tx: &mut Tx,
    id: i64,
    status: &str,
    delta_digest: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_runs SET status = $1, delta_digest = $2, finished_at = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(delta_digest)
    .bind(at)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("finish a sync run"))?;
    Ok(())
}

/// Adds to a run's delta: what changed, for the matching layer (`vulnerability` row ids,
/// `package` keys, `product` vendor/product pairs, `enrichment` row ids of vulnerabilities
/// whose KEV entry changed, `epss` score dates).
pub async fn add_changes(
    tx: &mut Tx,
    run_id: i64,
    changes: &[(&str, String)],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = changes
        .iter()
        .map(|(kind, value)| vec![Value::Int(run_id), Value::Text(kind), Value::Text(value)])
        .collect();
    insert_rows(
        tx,
        "INSERT INTO sync_run_changes (run_id, kind, value)",
        3,
        "ON CONFLICT DO NOTHING",
        &rows,
        "record a sync delta",
    )
    .await?;
    Ok(())
}

/// A run's delta, as (kind, value), sorted: what it recorded, and the records it wrote last
/// (`record`, row id; a record's row keeps the run that wrote it).
pub async fn changes(
    executor: impl AnyExecutor<'_>,
    run_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, value FROM sync_run_changes WHERE run_id = $1 \
         UNION ALL SELECT 'record' AS kind, CAST(id AS TEXT) AS value FROM records \
         WHERE run_id = $1 ORDER BY kind, value",
    )
    .bind(run_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read a sync delta"))?;
    rows.iter()
        .map(|row| Ok((row.try_get("kind")?, row.try_get("value")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a sync delta"))
}

/// A warning met during a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRow {
    /// Its position in the run (0-based).
    pub position: i64,
    /// The document (file, member or URL).
    pub document: String,
    /// The record, if about one.
    pub record: Option<String>,
    /// The kind (`InvalidDate`, `InvalidCvss` …).
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// Stores warnings of a run.
pub async fn add_warnings(
    tx: &mut Tx,
    run_id: i64,
    warnings: &[WarningRow],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = warnings
        .iter()
        .map(|warning| {
            vec![
                Value::Int(run_id),
                Value::Int(warning.position),
                Value::Text(&warning.document),
                Value::OptText(warning.record.as_deref()),
                Value::Text(&warning.kind),
                Value::Text(&warning.message),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO sync_warnings (run_id, position, document, record, kind, message)",
        6,
        "ON CONFLICT DO NOTHING",
        &rows,
        "store sync warnings",
    )
    .await?;
    Ok(())
}

/// The warnings of a run, in order.
pub async fn warnings(
    pool: &sqlx::AnyPool,
    run_id: i64,
    limit: i64,
) -> Result<Vec<WarningRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT position, document, record, kind, message FROM sync_warnings WHERE run_id = $1 \
         ORDER BY position LIMIT $2",
    )
    .bind(run_id)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read sync warnings"))?;
    rows.iter()
        .map(|row| {
            Ok(WarningRow {
                position: row.try_get("position")?,
                document: row.try_get("document")?,
                record: row.try_get("record")?,
                kind: row.try_get("kind")?,
                message: row.try_get("message")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read sync warnings"))
}

/// Appends warnings to a run after the ones it has (what its re-match met, once the run is
/// finished), and counts them with the run's.
pub async fn append_warnings(
    tx: &mut Tx,
    run_id: i64,
    warnings: &[WarningRow],
) -> Result<(), StoreError> {
    if warnings.is_empty() {
        return Ok(());
    }
    let count: i64 = sqlx::query_scalar("SELECT warning_count FROM sync_runs WHERE id = $1")
        .bind(run_id)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("read a run's warning count"))?;
    let placed: Vec<WarningRow> = warnings
        .iter()
        .zip(count..)
        .map(|(warning, position)| WarningRow {
            position,
            ..warning.clone()
        })
        .collect();
    add_warnings(tx, run_id, &placed).await?;
    sqlx::query("UPDATE sync_runs SET warning_count = $1 WHERE id = $2")
        .bind(count + placed.len() as i64)
        .bind(run_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("count a run's warnings"))?;
    Ok(())
}
