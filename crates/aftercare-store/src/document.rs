//! Original documents (SBOMs, records, evidence), stored once by SHA-256.

use aftercare_model::Sha256;
use sqlx::Row;

use crate::{StoreError, Tx};

/// Where a document was put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutDocument {
    /// The document's id.
    pub id: i64,
    /// Whether these bytes were already stored (nothing was written).
    pub existed: bool,
}

/// Stores a document's bytes under their SHA-256, unless the same bytes are already stored;
/// a new document is stamped `at`.
pub async fn put(
    tx: &mut Tx,
    kind: &str,
    name: Option<&str>,
    bytes: &[u8],
    at: &str,
) -> Result<PutDocument, StoreError> {
    let sha256 = Sha256::of(bytes).to_hex();
    if let Some(id) = id_by_sha256(tx, &sha256).await? {
        return Ok(PutDocument { id, existed: true });
    }
    let row = sqlx::query(
        "INSERT INTO documents (sha256, kind, name, size, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&sha256)
    .bind(kind)
    .bind(name)
    .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
    .bind(bytes.to_vec())
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("store a document"))?;
    let id = row
        .try_get("id")
        .map_err(StoreError::query("store a document"))?;
    Ok(PutDocument { id, existed: false })
}

async fn id_by_sha256(tx: &mut Tx, sha256: &str) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT id FROM documents WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::query("find a document"))?;
    row.map(|row| row.try_get("id"))
        .transpose()
        .map_err(StoreError::query("find a document"))
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// The id.
    pub id: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// What kind of document (`sbom`, `support-addendum`, …).
    pub kind: String,
    /// The file name it was imported from, if known.
    pub name: Option<String>,
    /// The original bytes.
    pub content: Vec<u8>,
}

/// A document by id, with its bytes.
pub async fn get(pool: &sqlx::AnyPool, id: i64) -> Result<Option<DocumentRow>, StoreError> {
    let row = sqlx::query("SELECT id, sha256, kind, name, content FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a document"))?;
    let Some(row) = row else { return Ok(None) };
    let read = || -> Result<DocumentRow, sqlx::Error> {
        Ok(DocumentRow {
            id: row.try_get("id")?,
            sha256: row.try_get("sha256")?,
            kind: row.try_get("kind")?,
            name: row.try_get("name")?,
            content: row.try_get("content")?,
        })
    };
    read()
        .map(Some)
        .map_err(StoreError::query("read a document"))
}
