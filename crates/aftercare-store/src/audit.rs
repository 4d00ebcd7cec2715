//! The audit trail: appended in the caller's transaction, chained, never updated.

use aftercare_model::AuditEvent;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, StoreError, Tx};

/// An event to append; the store assigns its sequence number, time and hashes.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    /// Who (`user:alice`, `token:ci`, `system:feed-sync`).
    pub actor: String,
    /// What was done (`product.create`).
    pub action: String,
    /// The kind of record changed.
    pub entity_type: String,
    /// Its id.
    pub entity_id: Option<String>,
    /// The value before (JSON).
    pub old_value: Option<String>,
    /// The value after (JSON).
    pub new_value: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A stored event with its chain links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEvent {
    /// The event.
    pub event: AuditEvent,
    /// The previous event's hash, as stored.
    pub prev_hash: String,
    /// This event's hash, as stored.
    pub hash: String,
}

/// The chain's head, kept in its own table: the newest sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    /// The newest event's sequence number (0 for an empty trail).
    pub seq: i64,
    /// The newest event's hash.
    pub hash: String,
}

/// Appends an event in the caller's transaction and moves the head. The head row is locked
/// first, so concurrent writers chain one after another.
pub async fn append(tx: &mut Tx, new: NewAuditEvent) -> Result<StoredAuditEvent, StoreError> {
    let lock = match tx.backend() {
        Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let row = sqlx::query(lock)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("lock the audit head"))?;
    let previous_seq: i64 = row
        .try_get("seq")
        .map_err(StoreError::query("read the audit head"))?;
    let prev_hash: String = row
        .try_get("hash")
        .map_err(StoreError::query("read the audit head"))?;
    let event = AuditEvent {
        seq: previous_seq + 1,
        at: crate::now_text(),
        actor: new.actor,
        action: new.action,
        entity_type: new.entity_type,
        entity_id: new.entity_id,
        old_value: new.old_value,
        new_value: new.new_value,
        reason: new.reason,
        request_id: new.request_id,
    };
    let hash = event.chain_hash(&prev_hash);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, old_value, \
         new_value, reason, request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(event.seq)
    .bind(&event.at)
    .bind(&event.actor)
    .bind(&event.action)
    .bind(&event.entity_type)
    .bind(&event.entity_id)
    .bind(&event.old_value)
    .bind(&event.new_value)
    .bind(&event.reason)
    .bind(&event.request_id)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("append an audit event"))?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(event.seq)
        .bind(&hash)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("move the audit head"))?;
    Ok(StoredAuditEvent {
        event,
        prev_hash,
        hash,
    })
}

/// The chain's head.
pub async fn head(pool: &sqlx::AnyPool) -> Result<AuditHead, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await
        .map_err(StoreError::query("read the audit head"))?;
    Ok(AuditHead {
        seq: row
            .try_get("seq")
            .map_err(StoreError::query("read the audit head"))?,
        hash: row
            .try_get("hash")
            .map_err(StoreError::query("read the audit head"))?,
    })
}

const COLUMNS: &str = "seq, at, actor, action, entity_type, entity_id, old_value, new_value, \
                       reason, request_id, prev_hash, hash";

fn from_row(row: &AnyRow) -> Result<StoredAuditEvent, sqlx::Error> {
    Ok(StoredAuditEvent {
        event: AuditEvent {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            entity_type: row.try_get("entity_type")?,
            entity_id: row.try_get("entity_id")?,
            old_value: row.try_get("old_value")?,
            new_value: row.try_get("new_value")?,
            reason: row.try_get("reason")?,
            request_id: row.try_get("request_id")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Events with `seq > after`, in order, at most `limit`: the page-wise walk that `audit
/// verify` and exports use.
pub async fn page(
    pool: &sqlx::AnyPool,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
    let rows = sqlx::query(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("read audit events"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read audit events"))
}

/// A filter for listing events.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events of this entity type.
    pub entity_type: Option<String>,
    /// Only events of this entity id (with `entity_type`).
    pub entity_id: Option<String>,
    /// Only events at or after this time (stored text form).
    pub since: Option<String>,
    /// Only events before this time (stored text form).
    pub until: Option<String>,
    /// Only events with `seq > after` (for paging).
    pub after: i64,
    /// At most this many.
    pub limit: i64,
}

/// Events matching a filter, oldest first.
pub async fn list(
    pool: &sqlx::AnyPool,
    filter: &AuditFilter,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 \
         AND ($2 IS NULL OR entity_type = $2) AND ($3 IS NULL OR entity_id = $3) \
         AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) ORDER BY seq LIMIT $6"
    );
    let rows = sqlx::query(&sql)
        .bind(filter.after)
        .bind(&filter.entity_type)
        .bind(&filter.entity_id)
        .bind(&filter.since)
        .bind(&filter.until)
        .bind(filter.limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list audit events"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list audit events"))
}
