//! Records as stored, each pointing at its original document: the rows a sync upserts, what
//! it keeps in memory of every record, and the documents (stored once by SHA-256) the matcher
//! re-reads records from.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use super::{list_from, list_to};
use crate::bulk::{Value, insert_rows, select_in};
use crate::{StoreError, Tx};

/// A record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// The row id.
    pub id: i64,
    /// `osv`, `nvd`, `nvd-1.1`, `cve5` or `csaf`.
    pub source: String,
    /// The record's own id (`GHSA-…`, `CVE-…`, a CSAF tracking id).
    pub record_id: String,
    /// The feed that delivered this version.
    pub feed_id: i64,
    /// The sync run that stored this version.
    pub run_id: i64,
    /// The original document (by SHA-256 in `documents`).
    pub document_id: i64,
    /// SHA-256 of the record's normalized content: a different digest is a different version.
    pub digest: String,
    /// Last modification, as stored text.
    pub modified: Option<String>,
    /// First publication, as stored text.
    pub published: Option<String>,
    /// Whether the source withdrew or rejected it.
    pub withdrawn: bool,
    /// When.
    pub withdrawn_at: Option<String>,
    /// Why.
    pub withdrawn_reason: Option<String>,
    /// A one-line summary.
    pub summary: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The highest qualitative severity of its ratings (`critical` …).
    pub severity: Option<String>,
    /// Its ratings, as JSON.
    pub ratings: String,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// Its related ids.
    pub related: Vec<String>,
    /// When it was fetched.
    pub fetched_at: String,
}

const RECORD_COLUMNS: &str = "id, source, record_id, feed_id, run_id, document_id, digest, \
     modified, published, withdrawn, withdrawn_at, withdrawn_reason, summary, description, \
     severity, ratings, aliases, related, fetched_at";

fn record_from_row(row: &AnyRow) -> Result<RecordRow, sqlx::Error> {
    let aliases: String = row.try_get("aliases")?;
    let related: String = row.try_get("related")?;
    let withdrawn: i64 = row.try_get("withdrawn")?;
    Ok(RecordRow {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        record_id: row.try_get("record_id")?,
        feed_id: row.try_get("feed_id")?,
        run_id: row.try_get("run_id")?,
        document_id: row.try_get("document_id")?,
        digest: row.try_get("digest")?,
        modified: row.try_get("modified")?,
        published: row.try_get("published")?,
        withdrawn: withdrawn != 0,
        withdrawn_at: row.try_get("withdrawn_at")?,
        withdrawn_reason: row.try_get("withdrawn_reason")?,
        summary: row.try_get("summary")?,
        description: row.try_get("description")?,
        severity: row.try_get("severity")?,
        ratings: row.try_get("ratings")?,
        aliases: list_from(&aliases),
        related: list_from(&related),
        fetched_at: row.try_get("fetched_at")?,
    })
}

/// Inserts records, or replaces the stored version of those whose row id exists.
pub async fn upsert_records(tx: &mut Tx, records: &[RecordRow]) -> Result<(), StoreError> {
    let texts: Vec<(String, String)> = records
        .iter()
        .map(|record| (list_to(&record.aliases), list_to(&record.related)))
        .collect();
    let rows: Vec<Vec<Value<'_>>> = records
        .iter()
        .zip(&texts)
        .map(|(record, (aliases, related))| {
            vec![
                Value::Int(record.id),
                Value::Text(&record.source),
                Value::Text(&record.record_id),
                Value::Int(record.feed_id),
                Value::Int(record.run_id),
                Value::Int(record.document_id),
                Value::Text(&record.digest),
                Value::OptText(record.modified.as_deref()),
                Value::OptText(record.published.as_deref()),
                Value::Int(i64::from(record.withdrawn)),
                Value::OptText(record.withdrawn_at.as_deref()),
                Value::OptText(record.withdrawn_reason.as_deref()),
                Value::OptText(record.summary.as_deref()),
                Value::OptText(record.description.as_deref()),
                Value::OptText(record.severity.as_deref()),
                Value::Text(&record.ratings),
                Value::Text(aliases),
                Value::Text(related),
                Value::Text(&record.fetched_at),
            ]
        })
        .collect();
    insert_rows(
        tx,
        &format!("INSERT INTO records ({RECORD_COLUMNS})"),
        19,
        "ON CONFLICT (id) DO UPDATE SET feed_id = excluded.feed_id, run_id = excluded.run_id, \
         document_id = excluded.document_id, digest = excluded.digest, \
         modified = excluded.modified, published = excluded.published, \
         withdrawn = excluded.withdrawn, withdrawn_at = excluded.withdrawn_at, \
         withdrawn_reason = excluded.withdrawn_reason, summary = excluded.summary, \
         description = excluded.description, severity = excluded.severity, \
         ratings = excluded.ratings, aliases = excluded.aliases, related = excluded.related, \
         fetched_at = excluded.fetched_at",
        &rows,
        "store records",
    )
    .await?;
    Ok(())
}

/// What the sync keeps in memory of every record: enough to decide whether an incoming
/// version is new, newer or the same, and to rebuild the alias graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeta {
    /// The row id.
    pub id: i64,
    /// The source.
    pub source: String,
    /// The record's own id.
    pub record_id: String,
    /// The digest of its normalized content.
    pub digest: String,
    /// Last modification.
    pub modified: Option<String>,
    /// First publication.
    pub published: Option<String>,
    /// Whether it is withdrawn.
    pub withdrawn: bool,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// Its related ids.
    pub related: Vec<String>,
    /// Its summary (or the start of its description).
    pub summary: Option<String>,
}

/// Every record's [`RecordMeta`], by row id.
pub async fn record_metas(executor: impl AnyExecutor<'_>) -> Result<Vec<RecordMeta>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, source, record_id, digest, modified, published, withdrawn, aliases, related, \
         COALESCE(summary, SUBSTR(description, 1, 200)) AS summary FROM records ORDER BY id",
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("load record metadata"))?;
    rows.iter()
        .map(|row| {
            let aliases: String = row.try_get("aliases")?;
            let related: String = row.try_get("related")?;
            let withdrawn: i64 = row.try_get("withdrawn")?;
            Ok(RecordMeta {
                id: row.try_get("id")?,
                source: row.try_get("source")?,
                record_id: row.try_get("record_id")?,
                digest: row.try_get("digest")?,
                modified: row.try_get("modified")?,
                published: row.try_get("published")?,
                withdrawn: withdrawn != 0,
                aliases: list_from(&aliases),
                related: list_from(&related),
                summary: row.try_get("summary")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("load record metadata"))
}

/// The digests of the documents a feed's records point at, with how many records each holds:
/// a member whose bytes are among them is unchanged and need not be applied again.
pub async fn feed_document_digests(
    executor: impl AnyExecutor<'_>,
    feed_id: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.sha256, CAST(COUNT(*) AS BIGINT) AS n FROM records r \
         JOIN documents d ON d.id = r.document_id WHERE r.feed_id = $1 GROUP BY d.sha256",
    )
    .bind(feed_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("load a feed's document digests"))?;
    rows.iter()
        .map(|row| Ok((row.try_get("sha256")?, row.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("load a feed's document digests"))
}

/// The ids of stored documents among some SHA-256 digests.
pub async fn document_ids(tx: &mut Tx, digests: &[&str]) -> Result<Vec<(String, i64)>, StoreError> {
    select_in(
        tx,
        "SELECT sha256, id FROM documents WHERE sha256",
        "",
        digests,
        "find documents",
        |row| Ok((row.try_get("sha256")?, row.try_get("id")?)),
    )
    .await
}

/// A document to store with many others.
#[derive(Debug, Clone, Copy)]
pub struct NewDocument<'a> {
    /// SHA-256 of the bytes, hex.
    pub sha256: &'a str,
    /// The kind (`record`, `kev`).
    pub kind: &'a str,
    /// The name it came under.
    pub name: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
}

/// Stores documents not stored yet (by SHA-256), stamped `at`; returns (sha256, id) of every
/// one.
pub async fn put_documents(
    tx: &mut Tx,
    documents: &[NewDocument<'_>],
    at: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let digests: Vec<&str> = documents.iter().map(|d| d.sha256).collect();
    let mut known = document_ids(tx, &digests).await?;
    let have: std::collections::HashSet<String> = known.iter().map(|(d, _)| d.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    let missing: Vec<&NewDocument<'_>> = documents
        .iter()
        .filter(|d| !have.contains(d.sha256) && seen.insert(d.sha256))
        .collect();
    let sizes: Vec<i64> = missing
        .iter()
        .map(|d| i64::try_from(d.bytes.len()).unwrap_or(i64::MAX))
        .collect();
    let rows: Vec<Vec<Value<'_>>> = missing
        .iter()
        .zip(&sizes)
        .map(|(document, size)| {
            vec![
                Value::Text(document.sha256),
                Value::Text(document.kind),
                Value::Text(document.name),
                Value::Int(*size),
                Value::Blob(document.bytes),
                Value::Text(at),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO documents (sha256, kind, name, size, content, created_at)",
        6,
        "",
        &rows,
        "store documents",
    )
    .await?;
    if !missing.is_empty() {
        let digests: Vec<&str> = missing.iter().map(|d| d.sha256).collect();
        known.extend(document_ids(tx, &digests).await?);
    }
    Ok(known)
}

/// A record with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedRecord {
    /// The record.
    pub record: RecordRow,
    /// The feed's name.
    pub feed: String,
    /// The SHA-256 of its document.
    pub document_sha256: String,
    /// The document's name (file or member).
    pub document_name: Option<String>,
}

/// The records attached to a vulnerability, by source and id.
pub async fn records_of(
    executor: impl AnyExecutor<'_>,
    vulnerability_id: i64,
) -> Result<Vec<AttachedRecord>, StoreError> {
    let columns: Vec<String> = RECORD_COLUMNS
        .split(", ")
        .map(|column| format!("r.{column}"))
        .collect();
    let sql = format!(
        "SELECT {}, f.name AS feed_name, d.sha256 AS document_sha256, d.name AS document_name \
         FROM vulnerability_records vr JOIN records r ON r.id = vr.record_id \
         JOIN feeds f ON f.id = r.feed_id JOIN documents d ON d.id = r.document_id \
         WHERE vr.vulnerability_id = $1 ORDER BY r.source, r.record_id",
        columns.join(", ")
    );
    let rows = sqlx::query(&sql)
        .bind(vulnerability_id)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("read a vulnerability's records"))?;
    rows.iter()
        .map(|row| {
            Ok(AttachedRecord {
                record: record_from_row(row)?,
                feed: row.try_get("feed_name")?,
                document_sha256: row.try_get("document_sha256")?,
                document_name: row.try_get("document_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a vulnerability's records"))
}

/// A record by source and id.
pub async fn record_by_key(
    executor: impl AnyExecutor<'_>,
    source: &str,
    record_id: &str,
) -> Result<Option<RecordRow>, StoreError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE source = $1 AND record_id = $2");
    let row = sqlx::query(&sql)
        .bind(source)
        .bind(record_id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a record"))?;
    row.as_ref()
        .map(record_from_row)
        .transpose()
        .map_err(StoreError::query("read a record"))
}

/// The digests of some records: (record row id, digest).
pub async fn record_digests(
    store: &crate::Store,
    record_ids: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    select_in(
        store,
        "SELECT id, digest FROM records WHERE id",
        "",
        record_ids,
        "read records' digests",
        |row| Ok((row.try_get("id")?, row.try_get("digest")?)),
    )
    .await
}

/// The original documents of some records: (record row id, source, record id, document name,
/// bytes). The matcher re-reads records from them.
pub async fn record_documents(
    store: &crate::Store,
    record_ids: &[i64],
) -> Result<Vec<(i64, String, String, Option<String>, Vec<u8>)>, StoreError> {
    select_in(
        store,
        "SELECT r.id, r.source, r.record_id, d.name, d.content FROM records r \
         JOIN documents d ON d.id = r.document_id WHERE r.id",
        "ORDER BY r.id",
        record_ids,
        "read records' documents",
        |row| {
            Ok((
                row.try_get("id")?,
                row.try_get("source")?,
                row.try_get("record_id")?,
                row.try_get("name")?,
                row.try_get("content")?,
            ))
        },
    )
    .await
}
