//! Releases: the software versions of a product, each with at most one SBOM.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use crate::{StoreError, Tx};

/// A stored release with its product's name and its SBOM's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRow {
    /// The id.
    pub id: i64,
    /// The product's id.
    pub product_id: i64,
    /// The product's name.
    pub product_name: String,
    /// The version.
    pub version: String,
    /// When it was created.
    pub created_at: String,
    /// Its SBOM's id, if one was imported.
    pub sbom_id: Option<i64>,
    /// How many components its SBOM has (0 without SBOM).
    pub component_count: i64,
}

const SELECT: &str = "SELECT r.id, r.product_id, p.name AS product_name, r.version, r.created_at, \
     s.id AS sbom_id, COALESCE(s.component_count, 0) AS component_count \
     FROM releases r JOIN products p ON p.id = r.product_id LEFT JOIN sboms s ON s.release_id = r.id";

fn from_row(row: &AnyRow) -> Result<ReleaseRow, sqlx::Error> {
    Ok(ReleaseRow {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        product_name: row.try_get("product_name")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        sbom_id: row.try_get("sbom_id")?,
        component_count: row.try_get("component_count")?,
    })
}

/// Inserts a release created `at`; a duplicate (product, version) is a unique violation.
pub async fn insert(
    tx: &mut Tx,
    product_id: i64,
    version: &str,
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO releases (product_id, version, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(product_id)
    .bind(version)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert a release"))?;
    row.try_get("id")
        .map_err(StoreError::query("insert a release"))
}

/// The releases of a product (or of every product), newest first.
pub async fn list(
    pool: &sqlx::AnyPool,
    product_id: Option<i64>,
) -> Result<Vec<ReleaseRow>, StoreError> {
    let sql =
        format!("{SELECT} WHERE ($1 IS NULL OR r.product_id = $1) ORDER BY p.name, r.id DESC");
    let rows = sqlx::query(&sql)
        .bind(product_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list releases"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list releases"))
}

/// A release by product id and version.
pub async fn by_version(
    executor: impl AnyExecutor<'_>,
    product_id: i64,
    version: &str,
) -> Result<Option<ReleaseRow>, StoreError> {
    let sql = format!("{SELECT} WHERE r.product_id = $1 AND r.version = $2");
    let row = sqlx::query(&sql)
        .bind(product_id)
        .bind(version)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a release"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find a release"))
}

/// A release by id.
pub async fn by_id(
    executor: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Option<ReleaseRow>, StoreError> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a release"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find a release"))
}
