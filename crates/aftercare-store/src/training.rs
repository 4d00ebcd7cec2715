//! Trainings completed by accounts (21 CFR 11.10(i)): a signer must be trained before the
//! workspace lets them sign.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A completed training (21 CFR 11.10(i)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRow {
    /// The id.
    pub id: i64,
    /// The account.
    pub account_id: i64,
    /// The topic (`part11-esignatures`).
    pub topic: String,
    /// When it was completed (`YYYY-MM-DD`).
    pub completed_on: String,
    /// When it expires, if it does (`YYYY-MM-DD`).
    pub expires_on: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
}

/// Records a training, `at`.
pub async fn insert(
    tx: &mut Tx,
    account_id: i64,
    topic: &str,
    completed_on: &str,
    expires_on: Option<&str>,
    at: &str,
) -> Result<TrainingRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO trainings (account_id, topic, completed_on, expires_on, recorded_at) \
         VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, account_id, topic, completed_on, expires_on, recorded_at",
    )
    .bind(account_id)
    .bind(topic)
    .bind(completed_on)
    .bind(expires_on)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("record a training"))?;
    training_from_row(&row).map_err(StoreError::query("record a training"))
}

fn training_from_row(row: &AnyRow) -> Result<TrainingRow, sqlx::Error> {
    Ok(TrainingRow {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        topic: row.try_get("topic")?,
        completed_on: row.try_get("completed_on")?,
        expires_on: row.try_get("expires_on")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

/// The trainings of an account, newest first.
pub async fn of_account(
    executor: impl sqlx::any::AnyExecutor<'_>,
    account_id: i64,
) -> Result<Vec<TrainingRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, account_id, topic, completed_on, expires_on, recorded_at FROM trainings \
         WHERE account_id = $1 ORDER BY completed_on DESC, id DESC",
    )
    .bind(account_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("list trainings"))?;
    rows.iter()
        .map(training_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list trainings"))
}
