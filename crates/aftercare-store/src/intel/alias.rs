//! Look-ups by alias: any id a vulnerability is known by (CVE, GHSA, PYSEC …) finds its row.

use sqlx::Row;
use sqlx::any::AnyExecutor;

use crate::StoreError;
use crate::bulk::select_in;

/// Every alias row: (alias, vulnerability, shared).
pub async fn all_aliases(
    executor: impl AnyExecutor<'_>,
) -> Result<Vec<(String, i64, bool)>, StoreError> {
    let rows = sqlx::query("SELECT alias, vulnerability_id, shared FROM aliases")
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("load aliases"))?;
    rows.iter()
        .map(|row| {
            let shared: i64 = row.try_get("shared")?;
            Ok((
                row.try_get("alias")?,
                row.try_get("vulnerability_id")?,
                shared != 0,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("load aliases"))
}

/// The vulnerabilities an alias names: (vulnerability id, shared).
pub async fn resolve_alias(
    executor: impl AnyExecutor<'_>,
    alias: &str,
) -> Result<Vec<(i64, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT vulnerability_id, shared FROM aliases WHERE alias = $1 ORDER BY shared, vulnerability_id",
    )
    .bind(alias)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("look up an alias"))?;
    rows.iter()
        .map(|row| {
            let shared: i64 = row.try_get("shared")?;
            Ok((row.try_get("vulnerability_id")?, shared != 0))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("look up an alias"))
}

/// The aliases of a vulnerability: (alias, shared), sorted.
pub async fn aliases_of(
    executor: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Vec<(String, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT alias, shared FROM aliases WHERE vulnerability_id = $1 ORDER BY shared, alias",
    )
    .bind(id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read aliases"))?;
    rows.iter()
        .map(|row| {
            let shared: i64 = row.try_get("shared")?;
            Ok((row.try_get("alias")?, shared != 0))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read aliases"))
}

/// The CVE ids that name a stored vulnerability.
pub async fn known_cves(executor: impl AnyExecutor<'_>) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT alias FROM aliases WHERE alias LIKE 'CVE-%'")
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list known CVEs"))?;
    rows.iter()
        .map(|row| row.try_get("alias"))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list known CVEs"))
}

/// The vulnerabilities some aliases name: (alias, vulnerability id, shared), those an alias
/// belongs to first.
pub async fn aliases_in(
    store: &crate::Store,
    aliases: &[String],
) -> Result<Vec<(String, i64, bool)>, StoreError> {
    select_in(
        store,
        "SELECT alias, vulnerability_id, shared FROM aliases WHERE alias",
        "ORDER BY alias, shared, vulnerability_id",
        aliases,
        "look up aliases",
        |row| {
            Ok((
                row.try_get("alias")?,
                row.try_get("vulnerability_id")?,
                row.try_get::<i64, _>("shared")? != 0,
            ))
        },
    )
    .await
}
