//! Workspace settings: one JSON value per key (the access settings among them).

use sqlx::Row;

use crate::{StoreError, Tx};

/// A workspace setting's value (JSON text), if set.
pub async fn get(
    executor: impl sqlx::any::AnyExecutor<'_>,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a setting"))?;
    row.map(|row| row.try_get("value"))
        .transpose()
        .map_err(StoreError::query("read a setting"))
}

/// Sets a workspace setting (JSON text), `at`.
pub async fn set(tx: &mut Tx, key: &str, value: &str, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("write a setting"))?;
    Ok(())
}
