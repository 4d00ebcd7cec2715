//! Vulnerability intelligence as stored: records (each pointing at its original document),
//! vulnerabilities with stable row ids, the alias table that finds them by any name, the
//! redirects left by merges and splits, the affected index (package keys, CPE vendor and
//! product) that finds candidate records for the matcher, and the KEV and EPSS enrichments.
//!
//! Row ids of records and vulnerabilities are assigned by the caller (the sync holds the
//! intelligence lock, see [`bump_generation`]), not by a sequence: PostgreSQL sequences do not
//! roll back, and an interrupted sync that is resumed must leave the same ids as a clean one.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use crate::bulk::{Value, execute_in, insert_rows, select_in};
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

fn list_from(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn list_to(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

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

/// Stores documents not stored yet (by SHA-256); returns (sha256, id) of every one.
pub async fn put_documents(
    tx: &mut Tx,
    documents: &[NewDocument<'_>],
) -> Result<Vec<(String, i64)>, StoreError> {
    let digests: Vec<&str> = documents.iter().map(|d| d.sha256).collect();
    let mut known = document_ids(tx, &digests).await?;
    let have: std::collections::HashSet<String> = known.iter().map(|(d, _)| d.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    let now = crate::now_text();
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
                Value::Text(&now),
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

/// Removes the affected-index rows of some records (before they are written again).
pub async fn delete_affected(tx: &mut Tx, record_ids: &[i64]) -> Result<(), StoreError> {
    execute_in(
        tx,
        "DELETE FROM affected_packages WHERE record_id",
        record_ids,
        "clear the affected index",
    )
    .await?;
    execute_in(
        tx,
        "DELETE FROM affected_products WHERE record_id",
        record_ids,
        "clear the affected index",
    )
    .await?;
    Ok(())
}

/// The affected-index rows of some records: package keys and (vendor, product) pairs.
pub async fn affected_of(
    tx: &mut Tx,
    record_ids: &[i64],
) -> Result<(Vec<String>, Vec<(String, String)>), StoreError> {
    let operation = "read the affected index";
    let packages = select_in(
        &mut *tx,
        "SELECT package_key FROM affected_packages WHERE record_id",
        "",
        record_ids,
        operation,
        |row| row.try_get("package_key"),
    )
    .await?;
    let products = select_in(
        tx,
        "SELECT vendor, product FROM affected_products WHERE record_id",
        "",
        record_ids,
        operation,
        |row| Ok((row.try_get("vendor")?, row.try_get("product")?)),
    )
    .await?;
    Ok((packages, products))
}

/// Adds affected-index rows: (record, package key) and (record, vendor, product).
pub async fn insert_affected(
    tx: &mut Tx,
    packages: &[(i64, String)],
    products: &[(i64, String, String)],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = packages
        .iter()
        .map(|(record, key)| vec![Value::Int(*record), Value::Text(key)])
        .collect();
    insert_rows(
        tx,
        "INSERT INTO affected_packages (record_id, package_key)",
        2,
        "ON CONFLICT DO NOTHING",
        &rows,
        "index affected packages",
    )
    .await?;
    let rows: Vec<Vec<Value<'_>>> = products
        .iter()
        .map(|(record, vendor, product)| {
            vec![
                Value::Int(*record),
                Value::Text(vendor),
                Value::Text(product),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO affected_products (record_id, vendor, product)",
        3,
        "ON CONFLICT DO NOTHING",
        &rows,
        "index affected products",
    )
    .await?;
    Ok(())
}

/// A vulnerability as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnerabilityRow {
    /// The stable row id.
    pub id: i64,
    /// The canonical id: the CVE, else the preferred id of the group.
    pub canonical: String,
    /// `active`, or `merged` once its ids went to other vulnerabilities (see the redirects).
    pub status: String,
    /// Whether every record of it is withdrawn.
    pub withdrawn: bool,
    /// The earliest publication of its records.
    pub published: Option<String>,
    /// The latest modification of its records.
    pub modified: Option<String>,
    /// A summary from one of its records.
    pub summary: Option<String>,
    /// When the row was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

const VULNERABILITY_COLUMNS: &str =
    "id, canonical, status, withdrawn, published, modified, summary, created_at, updated_at";

fn vulnerability_from_row(row: &AnyRow) -> Result<VulnerabilityRow, sqlx::Error> {
    let withdrawn: i64 = row.try_get("withdrawn")?;
    Ok(VulnerabilityRow {
        id: row.try_get("id")?,
        canonical: row.try_get("canonical")?,
        status: row.try_get("status")?,
        withdrawn: withdrawn != 0,
        published: row.try_get("published")?,
        modified: row.try_get("modified")?,
        summary: row.try_get("summary")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts vulnerabilities or updates existing rows (their `created_at` is kept).
pub async fn upsert_vulnerabilities(
    tx: &mut Tx,
    rows: &[VulnerabilityRow],
) -> Result<(), StoreError> {
    let values: Vec<Vec<Value<'_>>> = rows
        .iter()
        .map(|row| {
            vec![
                Value::Int(row.id),
                Value::Text(&row.canonical),
                Value::Text(&row.status),
                Value::Int(i64::from(row.withdrawn)),
                Value::OptText(row.published.as_deref()),
                Value::OptText(row.modified.as_deref()),
                Value::OptText(row.summary.as_deref()),
                Value::Text(&row.created_at),
                Value::Text(&row.updated_at),
            ]
        })
        .collect();
    insert_rows(
        tx,
        &format!("INSERT INTO vulnerabilities ({VULNERABILITY_COLUMNS})"),
        9,
        "ON CONFLICT (id) DO UPDATE SET canonical = excluded.canonical, status = excluded.status, \
         withdrawn = excluded.withdrawn, published = excluded.published, \
         modified = excluded.modified, summary = excluded.summary, updated_at = excluded.updated_at",
        &values,
        "store vulnerabilities",
    )
    .await?;
    Ok(())
}

/// Removes the aliases and record attachments of some vulnerabilities (before they are
/// written again, or when the vulnerability is merged away).
pub async fn delete_memberships(tx: &mut Tx, vulnerability_ids: &[i64]) -> Result<(), StoreError> {
    execute_in(
        tx,
        "DELETE FROM aliases WHERE vulnerability_id",
        vulnerability_ids,
        "clear aliases",
    )
    .await?;
    execute_in(
        tx,
        "DELETE FROM vulnerability_records WHERE vulnerability_id",
        vulnerability_ids,
        "clear attached records",
    )
    .await?;
    Ok(())
}

/// Adds aliases (alias, vulnerability, shared) and attachments (vulnerability, record).
pub async fn insert_memberships(
    tx: &mut Tx,
    aliases: &[(String, i64, bool)],
    records: &[(i64, i64)],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = aliases
        .iter()
        .map(|(alias, vulnerability, shared)| {
            vec![
                Value::Text(alias),
                Value::Int(*vulnerability),
                Value::Int(i64::from(*shared)),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO aliases (alias, vulnerability_id, shared)",
        3,
        "",
        &rows,
        "store aliases",
    )
    .await?;
    let rows: Vec<Vec<Value<'_>>> = records
        .iter()
        .map(|(vulnerability, record)| vec![Value::Int(*vulnerability), Value::Int(*record)])
        .collect();
    insert_rows(
        tx,
        "INSERT INTO vulnerability_records (vulnerability_id, record_id)",
        2,
        "",
        &rows,
        "attach records",
    )
    .await?;
    Ok(())
}

/// A redirect left by a merge or a split: references to `from` should look at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The vulnerability that lost ids.
    pub from_id: i64,
    /// The vulnerability that holds them now.
    pub to_id: i64,
    /// `merged` (`from` is no longer active) or `split` (part of `from` went to `to`).
    pub reason: String,
    /// The run that made it.
    pub run_id: Option<i64>,
}

/// Stores redirects; a pair already recorded keeps its first reason.
pub async fn insert_redirects(tx: &mut Tx, redirects: &[Redirect]) -> Result<(), StoreError> {
    let now = crate::now_text();
    let rows: Vec<Vec<Value<'_>>> = redirects
        .iter()
        .map(|redirect| {
            vec![
                Value::Int(redirect.from_id),
                Value::Int(redirect.to_id),
                Value::Text(&redirect.reason),
                Value::OptInt(redirect.run_id),
                Value::Text(&now),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO vulnerability_redirects (from_id, to_id, reason, run_id, at)",
        5,
        "ON CONFLICT DO NOTHING",
        &rows,
        "store redirects",
    )
    .await?;
    Ok(())
}

/// The redirects from a vulnerability.
pub async fn redirects_from(
    executor: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Vec<Redirect>, StoreError> {
    let rows = sqlx::query(
        "SELECT from_id, to_id, reason, run_id FROM vulnerability_redirects WHERE from_id = $1 \
         ORDER BY to_id",
    )
    .bind(id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read redirects"))?;
    rows.iter()
        .map(|row| {
            Ok(Redirect {
                from_id: row.try_get("from_id")?,
                to_id: row.try_get("to_id")?,
                reason: row.try_get("reason")?,
                run_id: row.try_get("run_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read redirects"))
}

/// Every active vulnerability's (id, canonical, published, summary… ) row.
pub async fn active_vulnerabilities(
    executor: impl AnyExecutor<'_>,
) -> Result<Vec<VulnerabilityRow>, StoreError> {
    let sql = format!(
        "SELECT {VULNERABILITY_COLUMNS} FROM vulnerabilities WHERE status = 'active' ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("load vulnerabilities"))?;
    rows.iter()
        .map(vulnerability_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("load vulnerabilities"))
}

/// Every alias row: (alias, vulnerability, shared).
pub async fn all_aliases(
    executor: impl AnyExecutor<'_>,
) -> Result<Vec<(String, i64, bool)>, StoreError> {
    let rows = sqlx::query("SELECT alias, vulnerability_id, shared FROM aliases")
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("load aliases"))?;
    rows.iter()
        .map(|row| {
            let shared: i64 = row.try_get("shared")?;
            Ok((
                row.try_get("alias")?,
                row.try_get("vulnerability_id")?,
                shared != 0,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("load aliases"))
}

/// The highest record and vulnerability row ids in use (0 when none).
pub async fn max_ids(tx: &mut Tx) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE((SELECT MAX(id) FROM records), 0) AS BIGINT) AS r, \
         CAST(COALESCE((SELECT MAX(id) FROM vulnerabilities), 0) AS BIGINT) AS v",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("read the highest ids"))?;
    let read = || -> Result<(i64, i64), sqlx::Error> { Ok((row.try_get("r")?, row.try_get("v")?)) };
    read().map_err(StoreError::query("read the highest ids"))
}

/// Takes the intelligence lock for the transaction and moves the generation on; returns the
/// generation before. Every write of records or vulnerabilities runs under it, so writers from
/// several nodes queue, and a node whose in-memory state was built at another generation
/// knows to reload it. (On SQLite the immediate transaction already serializes writers; on
/// PostgreSQL the row lock of this update does.)
pub async fn bump_generation(tx: &mut Tx) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "UPDATE intel_state SET generation = generation + 1 WHERE id = 1 RETURNING generation",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("take the intelligence lock"))?;
    let generation: i64 = row
        .try_get("generation")
        .map_err(StoreError::query("take the intelligence lock"))?;
    Ok(generation - 1)
}

/// The current generation of the intelligence data (it changes with every write).
pub async fn generation(executor: impl AnyExecutor<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT generation FROM intel_state WHERE id = 1")
        .fetch_one(executor)
        .await
        .map_err(StoreError::query("read the intelligence generation"))?;
    row.try_get("generation")
        .map_err(StoreError::query("read the intelligence generation"))
}

/// The vulnerabilities an alias names: (vulnerability id, shared).
pub async fn resolve_alias(
    executor: impl AnyExecutor<'_>,
    alias: &str,
) -> Result<Vec<(i64, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT vulnerability_id, shared FROM aliases WHERE alias = $1 ORDER BY shared, vulnerability_id",
    )
    .bind(alias)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("look up an alias"))?;
    rows.iter()
        .map(|row| {
            let shared: i64 = row.try_get("shared")?;
            Ok((row.try_get("vulnerability_id")?, shared != 0))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("look up an alias"))
}

/// A vulnerability by row id.
pub async fn vulnerability(
    executor: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Option<VulnerabilityRow>, StoreError> {
    let sql = format!("SELECT {VULNERABILITY_COLUMNS} FROM vulnerabilities WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a vulnerability"))?;
    row.as_ref()
        .map(vulnerability_from_row)
        .transpose()
        .map_err(StoreError::query("read a vulnerability"))
}

/// The aliases of a vulnerability: (alias, shared), sorted.
pub async fn aliases_of(
    executor: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Vec<(String, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT alias, shared FROM aliases WHERE vulnerability_id = $1 ORDER BY shared, alias",
    )
    .bind(id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read aliases"))?;
    rows.iter()
        .map(|row| {
            let shared: i64 = row.try_get("shared")?;
            Ok((row.try_get("alias")?, shared != 0))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read aliases"))
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

/// The affected index of some records: (record, package key) and (record, vendor, product).
#[allow(clippy::type_complexity)]
pub async fn affected_index_of(
    store: &crate::Store,
    record_ids: &[i64],
) -> Result<(Vec<(i64, String)>, Vec<(i64, String, String)>), StoreError> {
    let operation = "read the affected index";
    let packages = select_in(
        store,
        "SELECT record_id, package_key FROM affected_packages WHERE record_id",
        "ORDER BY record_id, package_key",
        record_ids,
        operation,
        |row| Ok((row.try_get("record_id")?, row.try_get("package_key")?)),
    )
    .await?;
    let products = select_in(
        store,
        "SELECT record_id, vendor, product FROM affected_products WHERE record_id",
        "ORDER BY record_id, vendor, product",
        record_ids,
        operation,
        |row| {
            Ok((
                row.try_get("record_id")?,
                row.try_get("vendor")?,
                row.try_get("product")?,
            ))
        },
    )
    .await?;
    Ok((packages, products))
}

/// Candidate records for package keys: (package key, record row id), withdrawn records
/// excluded.
pub async fn records_by_package(
    store: &crate::Store,
    keys: &[String],
) -> Result<Vec<(String, i64)>, StoreError> {
    select_in(
        store,
        "SELECT ap.package_key, ap.record_id FROM affected_packages ap \
         JOIN records r ON r.id = ap.record_id WHERE r.withdrawn = 0 AND ap.package_key",
        "ORDER BY ap.package_key, ap.record_id",
        keys,
        "find records by package",
        |row| Ok((row.try_get("package_key")?, row.try_get("record_id")?)),
    )
    .await
}

/// Candidate records for CPE (vendor, product) pairs, plus those indexed with a wildcard
/// vendor or product (`*`): (vendor, product, record row id), withdrawn records excluded.
pub async fn records_by_product(
    pool: &sqlx::AnyPool,
    pairs: &[(String, String)],
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut out = Vec::new();
    let mut push = |rows: Vec<AnyRow>| -> Result<(), StoreError> {
        for row in rows {
            let triple: Result<(String, String, i64), sqlx::Error> = (|| {
                Ok((
                    row.try_get("vendor")?,
                    row.try_get("product")?,
                    row.try_get("record_id")?,
                ))
            })();
            out.push(triple.map_err(StoreError::query("find records by product"))?);
        }
        Ok(())
    };
    for (vendor, product) in pairs {
        let rows = sqlx::query(
            "SELECT ap.vendor, ap.product, ap.record_id FROM affected_products ap \
             JOIN records r ON r.id = ap.record_id WHERE r.withdrawn = 0 \
             AND ap.vendor = $1 AND ap.product = $2 ORDER BY ap.record_id",
        )
        .bind(vendor.as_str())
        .bind(product.as_str())
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("find records by product"))?;
        push(rows)?;
    }
    let rows = sqlx::query(
        "SELECT ap.vendor, ap.product, ap.record_id FROM affected_products ap \
         JOIN records r ON r.id = ap.record_id WHERE r.withdrawn = 0 \
         AND (ap.vendor = '*' OR ap.product = '*') ORDER BY ap.record_id",
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("find records by product"))?;
    push(rows)?;
    Ok(out)
}

/// Which vulnerabilities a search wants.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Text in an id, summary or description (case-insensitive).
    pub text: Option<String>,
    /// Only vulnerabilities in the KEV catalog.
    pub kev: bool,
    /// Only those whose latest EPSS score is above this.
    pub epss_above: Option<f64>,
    /// Only those affecting a package of this ecosystem (its OSV name, `PyPI`).
    pub ecosystem: Option<String>,
    /// Only those affecting this package key exactly (`PyPI/django`).
    pub package_key: Option<String>,
    /// Only those affecting a package of this name in any ecosystem (normalized lowercase).
    pub package_name: Option<String>,
    /// Only those published at or after this time (stored text).
    pub published_since: Option<String>,
    /// Include withdrawn vulnerabilities.
    pub include_withdrawn: bool,
    /// Skip this many.
    pub offset: i64,
    /// Return at most this many.
    pub limit: i64,
}

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Searches active vulnerabilities; returns the total number of matches and one page, newest
/// publication first. Only the filters given become SQL conditions (a generic plan for
/// `$1 IS NULL OR …` made PostgreSQL scan the affected index once per vulnerability).
pub async fn search(
    pool: &sqlx::AnyPool,
    filter: &SearchFilter,
) -> Result<(i64, Vec<VulnerabilityRow>), StoreError> {
    let mut conditions = vec!["v.status = 'active'".to_string()];
    let mut values: Vec<Option<String>> = Vec::new();
    let next = |value: String, values: &mut Vec<Option<String>>| {
        values.push(Some(value));
        format!("${}", values.len())
    };
    if !filter.include_withdrawn {
        conditions.push("v.withdrawn = 0".to_string());
    }
    if let Some(text) = &filter.text {
        let p = next(
            format!("%{}%", like_escape(&text.to_lowercase())),
            &mut values,
        );
        conditions.push(format!(
            "(LOWER(COALESCE(v.summary, '')) LIKE {p} ESCAPE '\\' \
             OR v.id IN (SELECT a.vulnerability_id FROM aliases a WHERE LOWER(a.alias) LIKE {p} ESCAPE '\\') \
             OR v.id IN (SELECT vr.vulnerability_id FROM vulnerability_records vr JOIN records r ON r.id = vr.record_id \
                         WHERE LOWER(COALESCE(r.summary, '')) LIKE {p} ESCAPE '\\' \
                         OR LOWER(COALESCE(r.description, '')) LIKE {p} ESCAPE '\\'))"
        ));
    }
    if filter.kev {
        conditions.push("v.canonical IN (SELECT k.cve FROM kev_entries k)".to_string());
    }
    let epss_position = filter.epss_above.map(|_| values.len() + 1);
    if let Some(position) = epss_position {
        values.push(None);
        conditions.push(format!(
            "v.canonical IN (SELECT e.cve FROM epss_scores e WHERE e.epss > ${position})"
        ));
    }
    let packages = |condition: String| {
        format!(
            "v.id IN (SELECT vr.vulnerability_id FROM vulnerability_records vr \
             JOIN affected_packages ap ON ap.record_id = vr.record_id WHERE {condition})"
        )
    };
    if let Some(key) = &filter.package_key {
        let p = next(key.clone(), &mut values);
        conditions.push(packages(format!("ap.package_key = {p}")));
    }
    if let Some(ecosystem) = &filter.ecosystem {
        let p = next(format!("{}/%", like_escape(ecosystem)), &mut values);
        conditions.push(packages(format!("ap.package_key LIKE {p} ESCAPE '\\'")));
    }
    if let Some(name) = &filter.package_name {
        let p = next(
            format!("%/{}", like_escape(&name.to_lowercase())),
            &mut values,
        );
        conditions.push(packages(format!(
            "LOWER(ap.package_key) LIKE {p} ESCAPE '\\'"
        )));
    }
    if let Some(since) = &filter.published_since {
        let p = next(since.clone(), &mut values);
        conditions.push(format!("v.published >= {p}"));
    }
    let condition = conditions.join(" AND ");
    macro_rules! bind {
        ($sql:expr) => {{
            let mut query = sqlx::query($sql);
            for (index, value) in values.iter().enumerate() {
                query = match (value, epss_position) {
                    (None, Some(position)) if position == index + 1 => {
                        query.bind(filter.epss_above.unwrap_or(0.0))
                    }
                    _ => query.bind(value.clone()),
                };
            }
            query
        }};
    }
    let count_sql =
        format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM vulnerabilities v WHERE {condition}");
    let total: i64 = bind!(&count_sql)
        .fetch_one(pool)
        .await
        .and_then(|row| row.try_get("n"))
        .map_err(StoreError::query("count vulnerabilities"))?;
    let columns: Vec<String> = VULNERABILITY_COLUMNS
        .split(", ")
        .map(|column| format!("v.{column}"))
        .collect();
    let page_sql = format!(
        "SELECT {} FROM vulnerabilities v WHERE {condition} \
         ORDER BY (v.published IS NULL), v.published DESC, v.id LIMIT {} OFFSET {}",
        columns.join(", "),
        filter.limit.max(0),
        filter.offset.max(0)
    );
    let rows = bind!(&page_sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("search vulnerabilities"))?;
    let page = rows
        .iter()
        .map(vulnerability_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("search vulnerabilities"))?;
    Ok((total, page))
}

/// Refreshes the planner's statistics of the intelligence tables after a large import (on
/// PostgreSQL; SQLite plans without them well enough).
pub async fn analyze(store: &crate::Store) -> Result<(), StoreError> {
    if store.backend() != crate::Backend::Postgres {
        return Ok(());
    }
    sqlx::query(
        "ANALYZE records, vulnerabilities, aliases, vulnerability_records, affected_packages, \
         affected_products, kev_entries, epss_scores",
    )
    .execute(store.pool())
    .await
    .map_err(StoreError::query("analyze the intelligence tables"))?;
    Ok(())
}

/// A KEV catalog entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevRow {
    /// The CVE.
    pub cve: String,
    /// The vendor or project.
    pub vendor_project: Option<String>,
    /// The product.
    pub product: Option<String>,
    /// CISA's name for it.
    pub vulnerability_name: Option<String>,
    /// When CISA added it (YYYY-MM-DD).
    pub date_added: Option<String>,
    /// The remediation due date (YYYY-MM-DD).
    pub due_date: Option<String>,
    /// `Known`, `Unknown` or as written.
    pub ransomware: Option<String>,
    /// The required action.
    pub required_action: Option<String>,
    /// A short description.
    pub short_description: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Weakness ids.
    pub cwes: Vec<String>,
    /// The catalog version it came with.
    pub catalog_version: Option<String>,
    /// The feed.
    pub feed_id: i64,
    /// The run that stored it.
    pub run_id: i64,
}

const KEV_COLUMNS: &str = "cve, vendor_project, product, vulnerability_name, date_added, \
     due_date, ransomware, required_action, short_description, notes, cwes, catalog_version, \
     feed_id, run_id";

fn kev_from_row(row: &AnyRow) -> Result<KevRow, sqlx::Error> {
    let cwes: String = row.try_get("cwes")?;
    Ok(KevRow {
        cve: row.try_get("cve")?,
        vendor_project: row.try_get("vendor_project")?,
        product: row.try_get("product")?,
        vulnerability_name: row.try_get("vulnerability_name")?,
        date_added: row.try_get("date_added")?,
        due_date: row.try_get("due_date")?,
        ransomware: row.try_get("ransomware")?,
        required_action: row.try_get("required_action")?,
        short_description: row.try_get("short_description")?,
        notes: row.try_get("notes")?,
        cwes: list_from(&cwes),
        catalog_version: row.try_get("catalog_version")?,
        feed_id: row.try_get("feed_id")?,
        run_id: row.try_get("run_id")?,
    })
}

/// Every KEV entry.
pub async fn kev_entries(executor: impl AnyExecutor<'_>) -> Result<Vec<KevRow>, StoreError> {
    let sql = format!("SELECT {KEV_COLUMNS} FROM kev_entries ORDER BY cve");
    let rows = sqlx::query(&sql)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("read the KEV catalog"))?;
    rows.iter()
        .map(kev_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read the KEV catalog"))
}

/// The KEV entry of a CVE.
pub async fn kev_entry(
    executor: impl AnyExecutor<'_>,
    cve: &str,
) -> Result<Option<KevRow>, StoreError> {
    let sql = format!("SELECT {KEV_COLUMNS} FROM kev_entries WHERE cve = $1");
    let row = sqlx::query(&sql)
        .bind(cve)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a KEV entry"))?;
    row.as_ref()
        .map(kev_from_row)
        .transpose()
        .map_err(StoreError::query("read a KEV entry"))
}

/// Inserts or replaces KEV entries.
pub async fn upsert_kev(tx: &mut Tx, entries: &[KevRow]) -> Result<(), StoreError> {
    let cwes: Vec<String> = entries.iter().map(|e| list_to(&e.cwes)).collect();
    let rows: Vec<Vec<Value<'_>>> = entries
        .iter()
        .zip(&cwes)
        .map(|(entry, cwes)| {
            vec![
                Value::Text(&entry.cve),
                Value::OptText(entry.vendor_project.as_deref()),
                Value::OptText(entry.product.as_deref()),
                Value::OptText(entry.vulnerability_name.as_deref()),
                Value::OptText(entry.date_added.as_deref()),
                Value::OptText(entry.due_date.as_deref()),
                Value::OptText(entry.ransomware.as_deref()),
                Value::OptText(entry.required_action.as_deref()),
                Value::OptText(entry.short_description.as_deref()),
                Value::OptText(entry.notes.as_deref()),
                Value::Text(cwes),
                Value::OptText(entry.catalog_version.as_deref()),
                Value::Int(entry.feed_id),
                Value::Int(entry.run_id),
            ]
        })
        .collect();
    insert_rows(
        tx,
        &format!("INSERT INTO kev_entries ({KEV_COLUMNS})"),
        14,
        "ON CONFLICT (cve) DO UPDATE SET vendor_project = excluded.vendor_project, \
         product = excluded.product, vulnerability_name = excluded.vulnerability_name, \
         date_added = excluded.date_added, due_date = excluded.due_date, \
         ransomware = excluded.ransomware, required_action = excluded.required_action, \
         short_description = excluded.short_description, notes = excluded.notes, \
         cwes = excluded.cwes, catalog_version = excluded.catalog_version, \
         feed_id = excluded.feed_id, run_id = excluded.run_id",
        &rows,
        "store KEV entries",
    )
    .await?;
    Ok(())
}

/// Removes KEV entries (CISA removed them from the catalog).
pub async fn delete_kev(tx: &mut Tx, cves: &[String]) -> Result<(), StoreError> {
    execute_in(
        tx,
        "DELETE FROM kev_entries WHERE cve",
        cves,
        "remove KEV entries",
    )
    .await?;
    Ok(())
}

/// One EPSS score.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssRow {
    /// The CVE.
    pub cve: String,
    /// The day the score is for (YYYY-MM-DD).
    pub score_date: String,
    /// The probability, 0–1.
    pub epss: f64,
    /// The percentile, 0–1.
    pub percentile: f64,
    /// The model version.
    pub model_version: Option<String>,
}

fn epss_from_row(row: &AnyRow) -> Result<EpssRow, sqlx::Error> {
    Ok(EpssRow {
        cve: row.try_get("cve")?,
        score_date: row.try_get("score_date")?,
        epss: row.try_get("epss")?,
        percentile: row.try_get("percentile")?,
        model_version: row.try_get("model_version")?,
    })
}

/// Every current EPSS score.
pub async fn epss_scores(executor: impl AnyExecutor<'_>) -> Result<Vec<EpssRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT cve, score_date, epss, percentile, model_version FROM epss_scores ORDER BY cve",
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read EPSS scores"))?;
    rows.iter()
        .map(epss_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read EPSS scores"))
}

/// The current EPSS score of a CVE.
pub async fn epss_score(
    executor: impl AnyExecutor<'_>,
    cve: &str,
) -> Result<Option<EpssRow>, StoreError> {
    let row = sqlx::query(
        "SELECT cve, score_date, epss, percentile, model_version FROM epss_scores WHERE cve = $1",
    )
    .bind(cve)
    .fetch_optional(executor)
    .await
    .map_err(StoreError::query("read an EPSS score"))?;
    row.as_ref()
        .map(epss_from_row)
        .transpose()
        .map_err(StoreError::query("read an EPSS score"))
}

/// The EPSS history of a CVE, oldest first.
pub async fn epss_history(
    executor: impl AnyExecutor<'_>,
    cve: &str,
) -> Result<Vec<EpssRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT cve, score_date, epss, percentile, model_version FROM epss_history \
         WHERE cve = $1 ORDER BY score_date",
    )
    .bind(cve)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read EPSS history"))?;
    rows.iter()
        .map(epss_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read EPSS history"))
}

fn epss_values(rows: &[EpssRow]) -> Vec<Vec<Value<'_>>> {
    rows.iter()
        .map(|row| {
            vec![
                Value::Text(&row.cve),
                Value::Text(&row.score_date),
                Value::Float(row.epss),
                Value::Float(row.percentile),
                Value::OptText(row.model_version.as_deref()),
            ]
        })
        .collect()
}

/// Replaces current EPSS scores.
pub async fn upsert_epss(tx: &mut Tx, rows: &[EpssRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "INSERT INTO epss_scores (cve, score_date, epss, percentile, model_version)",
        5,
        "ON CONFLICT (cve) DO UPDATE SET score_date = excluded.score_date, \
         epss = excluded.epss, percentile = excluded.percentile, \
         model_version = excluded.model_version",
        &epss_values(rows),
        "store EPSS scores",
    )
    .await?;
    Ok(())
}

/// Adds EPSS history rows (a day already recorded keeps its first value).
pub async fn insert_epss_history(tx: &mut Tx, rows: &[EpssRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "INSERT INTO epss_history (cve, score_date, epss, percentile, model_version)",
        5,
        "ON CONFLICT DO NOTHING",
        &epss_values(rows),
        "store EPSS history",
    )
    .await?;
    Ok(())
}

/// Row counts of the intelligence tables, for reports and tests.
pub async fn counts(pool: &sqlx::AnyPool) -> Result<Vec<(String, i64)>, StoreError> {
    let mut out = Vec::new();
    for table in [
        "records",
        "vulnerabilities",
        "aliases",
        "vulnerability_records",
        "vulnerability_redirects",
        "affected_packages",
        "affected_products",
        "kev_entries",
        "epss_scores",
        "epss_history",
    ] {
        let row = sqlx::query(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
        ))
        .fetch_one(pool)
        .await
        .map_err(StoreError::query("count rows"))?;
        out.push((
            table.to_string(),
            row.try_get("n").map_err(StoreError::query("count rows"))?,
        ));
    }
    Ok(out)
}

/// Marks vulnerabilities merged into others (their redirects say where).
pub async fn retire_vulnerabilities(tx: &mut Tx, ids: &[i64]) -> Result<(), StoreError> {
    execute_in(
        tx,
        "UPDATE vulnerabilities SET status = 'merged', withdrawn = 0 WHERE id",
        ids,
        "retire merged vulnerabilities",
    )
    .await?;
    Ok(())
}

/// The CVE ids that name a stored vulnerability.
pub async fn known_cves(executor: impl AnyExecutor<'_>) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT alias FROM aliases WHERE alias LIKE 'CVE-%'")
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list known CVEs"))?;
    rows.iter()
        .map(|row| row.try_get("alias"))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list known CVEs"))
}

/// For each of some vulnerabilities, its records' (vulnerability id, source, record id,
/// severity), for search results.
#[allow(clippy::type_complexity)]
pub async fn record_facts(
    store: &crate::Store,
    vulnerability_ids: &[i64],
) -> Result<Vec<(i64, String, String, Option<String>)>, StoreError> {
    select_in(
        store,
        "SELECT vr.vulnerability_id, r.source, r.record_id, r.severity \
         FROM vulnerability_records vr JOIN records r ON r.id = vr.record_id \
         WHERE vr.vulnerability_id",
        "ORDER BY vr.vulnerability_id, r.source, r.record_id",
        vulnerability_ids,
        "read records of vulnerabilities",
        |row| {
            Ok((
                row.try_get("vulnerability_id")?,
                row.try_get("source")?,
                row.try_get("record_id")?,
                row.try_get("severity")?,
            ))
        },
    )
    .await
}

/// A record's membership in a vulnerability, as the matcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The record's row id.
    pub record_id: i64,
    /// The vulnerability's row id.
    pub vulnerability_id: i64,
    /// The vulnerability's canonical id.
    pub canonical: String,
    /// Whether the vulnerability is withdrawn.
    pub withdrawn: bool,
}

/// Every record of the vulnerabilities some records belong to (the records themselves
/// included): the matcher judges severity and aliases on all of a vulnerability's records,
/// not only those a package or CPE found.
pub async fn sibling_records(
    store: &crate::Store,
    record_ids: &[i64],
) -> Result<Vec<Membership>, StoreError> {
    memberships(
        store,
        "SELECT DISTINCT other.record_id, other.vulnerability_id, v.canonical, v.withdrawn \
         FROM vulnerability_records mine \
         JOIN vulnerability_records other ON other.vulnerability_id = mine.vulnerability_id \
         JOIN vulnerabilities v ON v.id = mine.vulnerability_id WHERE mine.record_id",
        record_ids,
    )
    .await
}

/// Every record of some vulnerabilities.
pub async fn records_of_vulnerabilities(
    store: &crate::Store,
    vulnerability_ids: &[i64],
) -> Result<Vec<Membership>, StoreError> {
    memberships(
        store,
        "SELECT vr.record_id, vr.vulnerability_id, v.canonical, v.withdrawn \
         FROM vulnerability_records vr JOIN vulnerabilities v ON v.id = vr.vulnerability_id \
         WHERE vr.vulnerability_id",
        vulnerability_ids,
    )
    .await
}

/// Memberships selected by `{head} IN (ids)`, in record then vulnerability order, once each.
async fn memberships(
    store: &crate::Store,
    head: &str,
    ids: &[i64],
) -> Result<Vec<Membership>, StoreError> {
    let mut out = select_in(
        store,
        head,
        "",
        ids,
        "read the records of vulnerabilities",
        |row| {
            Ok(Membership {
                record_id: row.try_get("record_id")?,
                vulnerability_id: row.try_get("vulnerability_id")?,
                canonical: row.try_get("canonical")?,
                withdrawn: row.try_get::<i64, _>("withdrawn")? != 0,
            })
        },
    )
    .await?;
    out.sort_by_key(|m| (m.record_id, m.vulnerability_id));
    out.dedup();
    Ok(out)
}

/// The vulnerabilities some aliases name: (alias, vulnerability id, shared), those an alias
/// belongs to first.
pub async fn aliases_in(
    store: &crate::Store,
    aliases: &[String],
) -> Result<Vec<(String, i64, bool)>, StoreError> {
    select_in(
        store,
        "SELECT alias, vulnerability_id, shared FROM aliases WHERE alias",
        "ORDER BY alias, shared, vulnerability_id",
        aliases,
        "look up aliases",
        |row| {
            Ok((
                row.try_get("alias")?,
                row.try_get("vulnerability_id")?,
                row.try_get::<i64, _>("shared")? != 0,
            ))
        },
    )
    .await
}
