//! The audit trail: appended in the caller's transaction, chained, never updated.

use aftercare_model::AuditEvent;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, StoreError, Tx};

/// An event to append; the store assigns its sequence number and hashes, the caller its time
/// ([`append`]'s `at`).
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

/// Appends an event that happened `at` in the caller's transaction and moves the head. The
/// head row is locked first, so concurrent writers chain one after another. The sequence
/// number, not `at`, orders the trail: `at` is the instant of the use case that wrote the
/// event, and two use cases that overlap commit in either order.
pub async fn append(
    tx: &mut Tx,
    new: NewAuditEvent,
    at: &str,
) -> Result<StoredAuditEvent, StoreError> {
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
        at: at.to_string(),
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

/// Events with `after < seq <= until`, in order, at most `limit`: one segment's page.
pub async fn range_page(
    pool: &sqlx::AnyPool,
    after: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(after)
        .bind(until)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("read audit events"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read audit events"))
}

/// The highest sequence number stored (0 for an empty table) — which may differ from the
/// head when events were removed or added behind the trail's back.
pub async fn max_seq(pool: &sqlx::AnyPool) -> Result<i64, StoreError> {
    sqlx::query("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS n FROM audit_events")
        .fetch_one(pool)
        .await
        .and_then(|row| row.try_get("n"))
        .map_err(StoreError::query("read the last audit event"))
}

/// Reads every event of a SQLite store in order through rusqlite, calling `visit` for each
/// until it returns `false`. sqlx's SQLite driver copies every value several times and hands
/// rows between threads, about 16 µs of CPU per audit event; this read is about ten times
/// cheaper, which keeps `audit verify` over a million events within seconds. Blocking: call
/// it from `spawn_blocking`.
pub fn scan_sqlite(
    file: &std::path::Path,
    mut visit: impl FnMut(StoredAuditEvent) -> bool,
) -> Result<(), StoreError> {
    use rusqlite::OpenFlags;
    let failed = |source: rusqlite::Error| StoreError::Scan {
        operation: "read audit events",
        message: source.to_string(),
    };
    let connection = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    let sql = format!("SELECT {COLUMNS} FROM audit_events ORDER BY seq");
    let mut statement = connection.prepare(&sql).map_err(failed)?;
    let mut rows = statement.query([]).map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        let text = |index: usize| -> Result<Option<String>, rusqlite::Error> { row.get(index) };
        let required = |index: usize| -> Result<String, rusqlite::Error> { row.get(index) };
        let event = StoredAuditEvent {
            event: AuditEvent {
                seq: row.get(0).map_err(failed)?,
                at: required(1).map_err(failed)?,
                actor: required(2).map_err(failed)?,
                action: required(3).map_err(failed)?,
                entity_type: required(4).map_err(failed)?,
                entity_id: text(5).map_err(failed)?,
                old_value: text(6).map_err(failed)?,
                new_value: text(7).map_err(failed)?,
                reason: text(8).map_err(failed)?,
                request_id: text(9).map_err(failed)?,
            },
            prev_hash: required(10).map_err(failed)?,
            hash: required(11).map_err(failed)?,
        };
        if !visit(event) {
            break;
        }
    }
    Ok(())
}

/// Reads every event of a PostgreSQL store in order through `COPY … TO STDOUT` on a native
/// connection, calling `visit` for each until it returns `false`. Row-by-row fetching through
/// the `Any` driver costs several microseconds per event; the text copy stream is parsed
/// here at a fraction of that.
pub async fn scan_postgres(
    store: &crate::Store,
    mut visit: impl FnMut(StoredAuditEvent) -> bool,
) -> Result<(), StoreError> {
    use futures_util::StreamExt;
    use sqlx::Connection;
    let mut connection = sqlx::postgres::PgConnection::connect(store.url())
        .await
        .map_err(|source| StoreError::Connect {
            url: crate::redact_url(store.url()),
            source,
        })?;
    let statement = format!("COPY (SELECT {COLUMNS} FROM audit_events ORDER BY seq) TO STDOUT");
    let mut stream = connection
        .copy_out_raw(&statement)
        .await
        .map_err(StoreError::query("read audit events"))?;
    let mut pending: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut stop = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(StoreError::query("read audit events"))?;
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(end) = memchr_newline(&pending[start..]) {
            let line = &pending[start..start + end];
            start += end + 1;
            if !stop && !visit(copy_line(line)?) {
                stop = true;
            }
        }
        pending.drain(..start);
    }
    Ok(())
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

/// Parses one row of PostgreSQL's COPY text format: tab-separated fields, `\N` for NULL,
/// backslash escapes.
fn copy_line(line: &[u8]) -> Result<StoredAuditEvent, StoreError> {
    let bad = |message: &str| StoreError::Scan {
        operation: "read audit events",
        message: message.to_string(),
    };
    let mut fields: Vec<Option<String>> = Vec::with_capacity(12);
    for raw in line.split(|b| *b == b'\t') {
        if raw == b"\\N" {
            fields.push(None);
            continue;
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut index = 0;
        while index < raw.len() {
            let byte = raw[index];
            if byte != b'\\' {
                out.push(byte);
                index += 1;
                continue;
            }
            let Some(next) = raw.get(index + 1) else {
                return Err(bad("a COPY field ends in a backslash"));
            };
            index += 2;
            match next {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'v' => out.push(11),
                b'0'..=b'7' => {
                    let mut value = u32::from(next - b'0');
                    let mut digits = 1;
                    while digits < 3 && index < raw.len() && (b'0'..=b'7').contains(&raw[index]) {
                        value = value * 8 + u32::from(raw[index] - b'0');
                        index += 1;
                        digits += 1;
                    }
                    out.push(u8::try_from(value & 0xff).unwrap_or(0));
                }
                other => out.push(*other),
            }
        }
        fields.push(Some(
            String::from_utf8(out).map_err(|_| bad("a COPY field is not UTF-8"))?,
        ));
    }
    if fields.len() != 12 {
        return Err(bad("a COPY row does not have the 12 audit columns"));
    }
    let take = |index: usize| fields.get(index).cloned().flatten();
    let required =
        |index: usize, name: &str| take(index).ok_or_else(|| bad(&format!("{name} is NULL")));
    Ok(StoredAuditEvent {
        event: AuditEvent {
            seq: required(0, "seq")?
                .parse::<i64>()
                .map_err(|_| bad("seq is not a number"))?,
            at: required(1, "at")?,
            actor: required(2, "actor")?,
            action: required(3, "action")?,
            entity_type: required(4, "entity_type")?,
            entity_id: take(5),
            old_value: take(6),
            new_value: take(7),
            reason: take(8),
            request_id: take(9),
        },
        prev_hash: required(10, "prev_hash")?,
        hash: required(11, "hash")?,
    })
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

/// The events of one action (`signature.sign`), oldest first.
pub async fn of_action(
    executor: impl sqlx::any::AnyExecutor<'_>,
    action: &str,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE action = $1 ORDER BY seq");
    let rows = sqlx::query(&sql)
        .bind(action)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list audit events of an action"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list audit events of an action"))
}
