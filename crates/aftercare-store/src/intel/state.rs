//! The intelligence lock and generation, the highest row ids in use, and the tables'
//! statistics and counts.

use sqlx::Row;
use sqlx::any::AnyExecutor;

use crate::{StoreError, Tx};

/// The highest record and vulnerability row ids in use (0 when none).
pub async fn max_ids(tx: &mut Tx) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE((SELECT MAX(id) FROM records), 0) AS BIGINT) AS r, \
         CAST(COALESCE((SELECT MAX(id) FROM vulnerabilities), 0) AS BIGINT) AS v",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("read the highest ids"))?;
    let read = || -> Result<(i64, i64), sqlx::Error> { Ok((row.try_get("r")?, row.try_get("v")?)) };
    read().map_err(StoreError::query("read the highest ids"))
}

/// Takes the intelligence lock for the transaction and moves the generation on; returns the
/// generation before. Every write of records or vulnerabilities runs under it, so writers from
/// several nodes queue, and a node whose in-memory state was built at another generation
/// knows to reload it. (On SQLite the immediate transaction already serializes writers; on
/// PostgreSQL the row lock of this update does.)
pub async fn bump_generation(tx: &mut Tx) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "UPDATE intel_state SET generation = generation + 1 WHERE id = 1 RETURNING generation",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("take the intelligence lock"))?;
    let generation: i64 = row
        .try_get("generation")
        .map_err(StoreError::query("take the intelligence lock"))?;
    Ok(generation - 1)
}

/// The current generation of the intelligence data (it changes with every write).
pub async fn generation(executor: impl AnyExecutor<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT generation FROM intel_state WHERE id = 1")
        .fetch_one(executor)
        .await
        .map_err(StoreError::query("read the intelligence generation"))?;
    row.try_get("generation")
        .map_err(StoreError::query("read the intelligence generation"))
}

/// Refreshes the planner's statistics of the intelligence tables after a large import (on
/// PostgreSQL; SQLite plans without them well enough).
pub async fn analyze(store: &crate::Store) -> Result<(), StoreError> {
    if store.backend() != crate::Backend::Postgres {
        return Ok(());
    }
    sqlx::query(
        "ANALYZE records, vulnerabilities, aliases, vulnerability_records, affected_packages, \
         affected_products, kev_entries, epss_scores",
    )
    .execute(store.pool())
    .await
    .map_err(StoreError::query("analyze the intelligence tables"))?;
    Ok(())
}

/// Row counts of the intelligence tables, for reports and tests.
pub async fn counts(pool: &sqlx::AnyPool) -> Result<Vec<(String, i64)>, StoreError> {
    let mut out = Vec::new();
    for table in [
        "records",
        "vulnerabilities",
        "aliases",
        "vulnerability_records",
        "vulnerability_redirects",
        "affected_packages",
        "affected_products",
        "kev_entries",
        "epss_scores",
        "epss_history",
    ] {
        let row = sqlx::query(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
        ))
        .fetch_one(pool)
        .await
        .map_err(StoreError::query("count rows"))?;
        out.push((
            table.to_string(),
            row.try_get("n").map_err(StoreError::query("count rows"))?,
        ));
    }
    Ok(out)
}
