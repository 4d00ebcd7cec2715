//! Artifacts: the files of a release that devices download (a `.swu` image, a RAUC bundle),
//! one row per (release, file name).
//!
//! The bytes are not here: they live in the service's object store under their SHA-256, and
//! the row keeps what DDI announces for them (size, SHA-1, MD5, SHA-256) and, for a signed
//! image, the signer its signature was verified against. Rows are written once and never
//! changed; a release cannot hold two files of the same name.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use crate::{StoreError, Tx};

/// A stored artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRow {
    /// The id.
    pub id: i64,
    /// Its release.
    pub release_id: i64,
    /// The file name devices see (unique per release).
    pub filename: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-1 of the bytes, lowercase hex.
    pub sha1: String,
    /// MD5 of the bytes, lowercase hex.
    pub md5: String,
    /// SHA-256 of the bytes, lowercase hex: its key in the object store.
    pub sha256: String,
    /// The subject of the certificate whose signature was verified on upload (`.swu`), or
    /// `None` for a file stored without a signature check.
    pub signer: Option<String>,
    /// Who added it (the actor).
    pub created_by: String,
    /// When it was added.
    pub created_at: String,
}

/// An artifact as written: everything but its id and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArtifact {
    /// Its release.
    pub release_id: i64,
    /// The file name.
    pub filename: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-1, lowercase hex.
    pub sha1: String,
    /// MD5, lowercase hex.
    pub md5: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// The verified signer, if the file's signature was checked.
    pub signer: Option<String>,
    /// Who adds it.
    pub created_by: String,
}

const SELECT: &str = "SELECT id, release_id, filename, size, sha1, md5, sha256, signer, \
     created_by, created_at FROM artifacts";

fn from_row(row: &AnyRow) -> Result<ArtifactRow, sqlx::Error> {
    Ok(ArtifactRow {
        id: row.try_get("id")?,
        release_id: row.try_get("release_id")?,
        filename: row.try_get("filename")?,
        size: row.try_get("size")?,
        sha1: row.try_get("sha1")?,
        md5: row.try_get("md5")?,
        sha256: row.try_get("sha256")?,
        signer: row.try_get("signer")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts an artifact added `at`; returns its id. A second file of the same name in the
/// release is a unique violation ([`StoreError::is_unique_violation`]).
pub async fn insert_artifact(
    tx: &mut Tx,
    artifact: &NewArtifact,
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO artifacts (release_id, filename, size, sha1, md5, sha256, signer, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(artifact.release_id)
    .bind(&artifact.filename)
    .bind(artifact.size)
    .bind(&artifact.sha1)
    .bind(&artifact.md5)
    .bind(&artifact.sha256)
    .bind(artifact.signer.as_deref())
    .bind(&artifact.created_by)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert an artifact"))?;
    row.try_get("id")
        .map_err(StoreError::query("insert an artifact"))
}

/// The artifacts of a release, by file name.
pub async fn artifacts_of_release(
    executor: impl AnyExecutor<'_>,
    release_id: i64,
) -> Result<Vec<ArtifactRow>, StoreError> {
    let sql = format!("{SELECT} WHERE release_id = $1 ORDER BY filename, id");
    let rows = sqlx::query(&sql)
        .bind(release_id)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list the artifacts of a release"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list the artifacts of a release"))
}

/// An artifact by id.
pub async fn artifact(
    executor: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Option<ArtifactRow>, StoreError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read an artifact"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("read an artifact"))
}

/// An artifact of a release by its file name.
pub async fn artifact_by_name(
    executor: impl AnyExecutor<'_>,
    release_id: i64,
    filename: &str,
) -> Result<Option<ArtifactRow>, StoreError> {
    let sql = format!("{SELECT} WHERE release_id = $1 AND filename = $2");
    let row = sqlx::query(&sql)
        .bind(release_id)
        .bind(filename)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find an artifact by name"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find an artifact by name"))
}
