//! Security alerts (21 CFR 11.300(d): attempted unauthorized use is reported at once): account
//! lock-outs and repeated failed signatures.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A security alert (21 CFR 11.300(d): unauthorized attempts reported at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// The id.
    pub id: i64,
    /// When.
    pub at: String,
    /// What kind (`signature.failures`, `login.lockout`).
    pub kind: String,
    /// The account concerned.
    pub account_id: Option<i64>,
    /// What happened.
    pub message: String,
}

/// Raises an alert `at`.
pub async fn raise(
    tx: &mut Tx,
    kind: &str,
    account_id: Option<i64>,
    message: &str,
    at: &str,
) -> Result<AlertRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO security_alerts (at, kind, account_id, message) VALUES ($1, $2, $3, $4) \
         RETURNING id, at, kind, account_id, message",
    )
    .bind(at)
    .bind(kind)
    .bind(account_id)
    .bind(message)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("raise an alert"))?;
    alert_from_row(&row).map_err(StoreError::query("raise an alert"))
}

fn alert_from_row(row: &AnyRow) -> Result<AlertRow, sqlx::Error> {
    Ok(AlertRow {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        account_id: row.try_get("account_id")?,
        message: row.try_get("message")?,
    })
}

/// The newest alerts, at most `limit`.
pub async fn newest(pool: &sqlx::AnyPool, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, kind, account_id, message FROM security_alerts ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("list alerts"))?;
    rows.iter()
        .map(alert_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list alerts"))
}
