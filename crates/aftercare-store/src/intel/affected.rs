//! The affected index: the package keys and CPE (vendor, product) pairs each record names.
//! SQL finds candidate records there; the matcher decides on the records themselves.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::bulk::{Value, execute_in, insert_rows, select_in};
use crate::{StoreError, Tx};

/// Removes the affected-index rows of some records (before they are written again).
pub async fn delete_affected(tx: &mut Tx, record_ids: &[i64]) -> Result<(), StoreError> {
    execute_in(
        tx,
        "DELETE FROM affected_packages WHERE record_id",
        record_ids,
        "clear the affected index",
    )
    .await?;
    execute_in(
        tx,
        "DELETE FROM affected_products WHERE record_id",
        record_ids,
        "clear the affected index",
    )
    .await?;
    Ok(())
}

/// The affected-index rows of some records: package keys and (vendor, product) pairs.
pub async fn affected_of(
    tx: &mut Tx,
    record_ids: &[i64],
) -> Result<(Vec<String>, Vec<(String, String)>), StoreError> {
    let operation = "read the affected index";
    let packages = select_in(
        &mut *tx,
        "SELECT package_key FROM affected_packages WHERE record_id",
        "",
        record_ids,
        operation,
        |row| row.try_get("package_key"),
    )
    .await?;
    let products = select_in(
        tx,
        "SELECT vendor, product FROM affected_products WHERE record_id",
        "",
        record_ids,
        operation,
        |row| Ok((row.try_get("vendor")?, row.try_get("product")?)),
    )
    .await?;
    Ok((packages, products))
}

/// Adds affected-index rows: (record, package key) and (record, vendor, product).
pub async fn insert_affected(
    tx: &mut Tx,
    packages: &[(i64, String)],
    products: &[(i64, String, String)],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = packages
        .iter()
        .map(|(record, key)| vec![Value::Int(*record), Value::Text(key)])
        .collect();
    insert_rows(
        tx,
        "INSERT INTO affected_packages (record_id, package_key)",
        2,
        "ON CONFLICT DO NOTHING",
        &rows,
        "index affected packages",
    )
    .await?;
    let rows: Vec<Vec<Value<'_>>> = products
        .iter()
        .map(|(record, vendor, product)| {
            vec![
                Value::Int(*record),
                Value::Text(vendor),
                Value::Text(product),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO affected_products (record_id, vendor, product)",
        3,
        "ON CONFLICT DO NOTHING",
        &rows,
        "index affected products",
    )
    .await?;
    Ok(())
}

/// The affected index of some records: (record, package key) and (record, vendor, product).
#[allow(clippy::type_complexity)]
pub async fn affected_index_of(
    store: &crate::Store,
    record_ids: &[i64],
) -> Result<(Vec<(i64, String)>, Vec<(i64, String, String)>), StoreError> {
    let operation = "read the affected index";
    let packages = select_in(
        store,
        "SELECT record_id, package_key FROM affected_packages WHERE record_id",
        "ORDER BY record_id, package_key",
        record_ids,
        operation,
        |row| Ok((row.try_get("record_id")?, row.try_get("package_key")?)),
    )
    .await?;
    let products = select_in(
        store,
        "SELECT record_id, vendor, product FROM affected_products WHERE record_id",
        "ORDER BY record_id, vendor, product",
        record_ids,
        operation,
        |row| {
            Ok((
                row.try_get("record_id")?,
                row.try_get("vendor")?,
                row.try_get("product")?,
            ))
        },
    )
    .await?;
    Ok((packages, products))
}

/// Candidate records for package keys: (package key, record row id), withdrawn records
/// excluded.
pub async fn records_by_package(
    store: &crate::Store,
    keys: &[String],
) -> Result<Vec<(String, i64)>, StoreError> {
    select_in(
        store,
        "SELECT ap.package_key, ap.record_id FROM affected_packages ap \
         JOIN records r ON r.id = ap.record_id WHERE r.withdrawn = 0 AND ap.package_key",
        "ORDER BY ap.package_key, ap.record_id",
        keys,
        "find records by package",
        |row| Ok((row.try_get("package_key")?, row.try_get("record_id")?)),
    )
    .await
}

/// Candidate records for CPE (vendor, product) pairs, plus those indexed with a wildcard
/// vendor or product (`*`): (vendor, product, record row id), withdrawn records excluded.
pub async fn records_by_product(
    pool: &sqlx::AnyPool,
    pairs: &[(String, String)],
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut out = Vec::new();
    let mut push = |rows: Vec<AnyRow>| -> Result<(), StoreError> {
        for row in rows {
            let triple: Result<(String, String, i64), sqlx::Error> = (|| {
                Ok((
                    row.try_get("vendor")?,
                    row.try_get("product")?,
                    row.try_get("record_id")?,
                ))
            })();
            out.push(triple.map_err(StoreError::query("find records by product"))?);
        }
        Ok(())
    };
    for (vendor, product) in pairs {
        let rows = sqlx::query(
            "SELECT ap.vendor, ap.product, ap.record_id FROM affected_products ap \
             JOIN records r ON r.id = ap.record_id WHERE r.withdrawn = 0 \
             AND ap.vendor = $1 AND ap.product = $2 ORDER BY ap.record_id",
        )
        .bind(vendor.as_str())
        .bind(product.as_str())
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("find records by product"))?;
        push(rows)?;
    }
    let rows = sqlx::query(
        "SELECT ap.vendor, ap.product, ap.record_id FROM affected_products ap \
         JOIN records r ON r.id = ap.record_id WHERE r.withdrawn = 0 \
         AND (ap.vendor = '*' OR ap.product = '*') ORDER BY ap.record_id",
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("find records by product"))?;
    push(rows)?;
    Ok(out)
}
