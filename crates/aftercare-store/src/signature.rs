//! Electronic signatures, trainings, workspace settings and security alerts.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A stored electronic signature (21 CFR 11.50, 11.70).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRow {
    /// The id.
    pub id: i64,
    /// The kind of signed record.
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// The signer's account.
    pub account_id: i64,
    /// The signer's login at signing time.
    pub login: String,
    /// The signer's printed name at signing time.
    pub printed_name: String,
    /// The meaning (authorship, review, approval, responsibility).
    pub meaning: String,
    /// When (stored text form, UTC).
    pub signed_at: String,
    /// SHA-256 of the signed record's canonical content at signing time.
    pub content_sha256: String,
    /// A comment the signer gave.
    pub reason: Option<String>,
}

const SIGNATURE_COLUMNS: &str = "id, entity_type, entity_id, account_id, login, printed_name, \
                                 meaning, signed_at, content_sha256, reason";

fn signature_from_row(row: &AnyRow) -> Result<SignatureRow, sqlx::Error> {
    Ok(SignatureRow {
        id: row.try_get("id")?,
        entity_type: row.try_get("entity_type")?,
        entity_id: row.try_get("entity_id")?,
        account_id: row.try_get("account_id")?,
        login: row.try_get("login")?,
        printed_name: row.try_get("printed_name")?,
        meaning: row.try_get("meaning")?,
        signed_at: row.try_get("signed_at")?,
        content_sha256: row.try_get("content_sha256")?,
        reason: row.try_get("reason")?,
    })
}

/// Stores a signature (the row id and time are assigned here).
pub async fn insert_signature(
    tx: &mut Tx,
    signature: &SignatureRow,
) -> Result<SignatureRow, StoreError> {
    let sql = format!(
        "INSERT INTO signatures (entity_type, entity_id, account_id, login, printed_name, meaning, \
         signed_at, content_sha256, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {SIGNATURE_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&signature.entity_type)
        .bind(&signature.entity_id)
        .bind(signature.account_id)
        .bind(&signature.login)
        .bind(&signature.printed_name)
        .bind(&signature.meaning)
        .bind(&signature.signed_at)
        .bind(&signature.content_sha256)
        .bind(&signature.reason)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("store a signature"))?;
    signature_from_row(&row).map_err(StoreError::query("store a signature"))
}

/// The signatures of a record, oldest first.
pub async fn signatures_of(
    executor: impl sqlx::any::AnyExecutor<'_>,
    entity_type: &str,
    entity_id: &str,
) -> Result<Vec<SignatureRow>, StoreError> {
    let sql = format!(
        "SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE entity_type = $1 AND entity_id = $2 \
         ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(entity_type)
        .bind(entity_id)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list signatures"))?;
    rows.iter()
        .map(signature_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list signatures"))
}

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

/// Records a training.
pub async fn insert_training(
    tx: &mut Tx,
    account_id: i64,
    topic: &str,
    completed_on: &str,
    expires_on: Option<&str>,
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
    .bind(crate::now_text())
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
pub async fn trainings(
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

/// A workspace setting's value (JSON text), if set.
pub async fn setting(
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

/// Sets a workspace setting (JSON text).
pub async fn set_setting(tx: &mut Tx, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(crate::now_text())
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("write a setting"))?;
    Ok(())
}

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

/// Raises an alert.
pub async fn raise_alert(
    tx: &mut Tx,
    kind: &str,
    account_id: Option<i64>,
    message: &str,
) -> Result<AlertRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO security_alerts (at, kind, account_id, message) VALUES ($1, $2, $3, $4) \
         RETURNING id, at, kind, account_id, message",
    )
    .bind(crate::now_text())
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

/// The newest alerts.
pub async fn alerts(pool: &sqlx::AnyPool, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
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
