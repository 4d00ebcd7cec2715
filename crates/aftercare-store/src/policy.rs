//! Policy revisions: every version of the workspace's policy file, numbered; the newest is in
//! force, and every clock records the digest of the revision that drove it.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A stored policy revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRow {
    /// The row id.
    pub id: i64,
    /// The workspace's revision counter (1, 2, …); the highest is in force.
    pub revision: i64,
    /// The policy's own id (`[policy] id`).
    pub policy_id: String,
    /// The policy's own version (`[policy] version`).
    pub policy_version: String,
    /// The canonical digest recorded with every clock it drives.
    pub digest: String,
    /// SHA-256 of the TOML text.
    pub source_sha256: String,
    /// The TOML text.
    pub source: String,
    /// When it was stored.
    pub created_at: String,
    /// Who stored it.
    pub created_by: String,
    /// Why.
    pub reason: Option<String>,
}

const COLUMNS: &str = "id, revision, policy_id, policy_version, digest, source_sha256, \
                       source, created_at, created_by, reason";

fn from_row(row: &AnyRow) -> Result<PolicyRow, sqlx::Error> {
    Ok(PolicyRow {
        id: row.try_get("id")?,
        revision: row.try_get("revision")?,
        policy_id: row.try_get("policy_id")?,
        policy_version: row.try_get("policy_version")?,
        digest: row.try_get("digest")?,
        source_sha256: row.try_get("source_sha256")?,
        source: row.try_get("source")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        reason: row.try_get("reason")?,
    })
}

/// Stores a new policy revision, numbered one above the newest and created `at` (the row's
/// id, revision and `created_at` are assigned here).
pub async fn insert(tx: &mut Tx, policy: &PolicyRow, at: &str) -> Result<PolicyRow, StoreError> {
    let next: i64 =
        sqlx::query("SELECT CAST(COALESCE(MAX(revision), 0) + 1 AS BIGINT) AS n FROM policies")
            .fetch_one(tx.conn())
            .await
            .and_then(|row| row.try_get("n"))
            .map_err(StoreError::query("number a policy revision"))?;
    let sql = format!(
        "INSERT INTO policies (revision, policy_id, policy_version, digest, source_sha256, \
         source, created_at, created_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(next)
        .bind(&policy.policy_id)
        .bind(&policy.policy_version)
        .bind(&policy.digest)
        .bind(&policy.source_sha256)
        .bind(&policy.source)
        .bind(at)
        .bind(&policy.created_by)
        .bind(&policy.reason)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("store a policy revision"))?;
    from_row(&row).map_err(StoreError::query("store a policy revision"))
}

/// The policy in force: the newest revision.
pub async fn current(
    executor: impl sqlx::any::AnyExecutor<'_>,
) -> Result<Option<PolicyRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM policies ORDER BY revision DESC LIMIT 1");
    let row = sqlx::query(&sql)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read the policy"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("read the policy"))
}

/// Every policy revision, newest first.
pub async fn history(pool: &sqlx::AnyPool) -> Result<Vec<PolicyRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM policies ORDER BY revision DESC");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list policy revisions"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list policy revisions"))
}
