//! Electronic signatures (21 CFR 11.50, 11.70): who signed which record, with what meaning,
//! bound to the SHA-256 of the record's content when it was signed.

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

/// One signature by its id.
pub async fn signature_by_id(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<SignatureRow>, StoreError> {
    let sql = format!("SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a signature"))?;
    row.as_ref()
        .map(signature_from_row)
        .transpose()
        .map_err(StoreError::query("read a signature"))
}

/// The signatures of many records of one kind (clock waivers of a listing), oldest first.
pub async fn signatures_of_many(
    store: &crate::Store,
    entity_type: &str,
    entity_ids: &[String],
) -> Result<Vec<SignatureRow>, StoreError> {
    // The IN list binds the ids; the kind is compared here rather than bound after a list of
    // unknown length (the ids of another kind of record are few and filtered out).
    let mut rows = crate::bulk::select_in(
        store,
        &format!("SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE entity_id"),
        "",
        entity_ids,
        "list signatures",
        signature_from_row,
    )
    .await?;
    rows.retain(|row| row.entity_type == entity_type);
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

/// Every signature, oldest first (the audit verification compares each with its chained
/// `signature.sign` event).
pub async fn all_signatures(
    executor: impl sqlx::any::AnyExecutor<'_>,
) -> Result<Vec<SignatureRow>, StoreError> {
    let sql = format!("SELECT {SIGNATURE_COLUMNS} FROM signatures ORDER BY id");
    let rows = sqlx::query(&sql)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list every signature"))?;
    rows.iter()
        .map(signature_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list every signature"))
}
