//! Products: the device models and software products a manufacturer ships.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A stored product with its release count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// The id.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// A description.
    pub description: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// How many releases it has.
    pub release_count: i64,
}

const SELECT: &str = "SELECT p.id, p.name, p.description, p.created_at, \
     (SELECT COUNT(*) FROM releases r WHERE r.product_id = p.id) AS release_count FROM products p";

fn from_row(row: &AnyRow) -> Result<ProductRow, sqlx::Error> {
    Ok(ProductRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
        release_count: row.try_get("release_count")?,
    })
}

/// Inserts a product created `at`; a duplicate name is a unique violation
/// ([`StoreError::is_unique_violation`]).
pub async fn insert(
    tx: &mut Tx,
    name: &str,
    description: Option<&str>,
    at: &str,
) -> Result<ProductRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO products (name, description, created_at) VALUES ($1, $2, $3) \
         RETURNING id, name, description, created_at",
    )
    .bind(name)
    .bind(description)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert a product"))?;
    let read = || -> Result<ProductRow, sqlx::Error> {
        Ok(ProductRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            created_at: row.try_get("created_at")?,
            release_count: 0,
        })
    };
    read().map_err(StoreError::query("insert a product"))
}

/// Every product, by name.
pub async fn list(pool: &sqlx::AnyPool) -> Result<Vec<ProductRow>, StoreError> {
    let sql = format!("{SELECT} ORDER BY p.name");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list products"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list products"))
}

/// A product by name.
pub async fn by_name(
    executor: impl sqlx::any::AnyExecutor<'_>,
    name: &str,
) -> Result<Option<ProductRow>, StoreError> {
    let sql = format!("{SELECT} WHERE p.name = $1");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a product"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find a product"))
}

/// A product by id.
pub async fn by_id(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<ProductRow>, StoreError> {
    let sql = format!("{SELECT} WHERE p.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a product"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find a product"))
}
