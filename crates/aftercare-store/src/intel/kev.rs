//! CISA's Known Exploited Vulnerabilities catalog, one row per CVE.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use super::{list_from, list_to};
use crate::bulk::{Value, execute_in, insert_rows};
use crate::{StoreError, Tx};

/// A KEV catalog entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevRow {
    /// The CVE.
    pub cve: String,
    /// The vendor or project.
    pub vendor_project: Option<String>,
    /// The product.
    pub product: Option<String>,
    /// CISA's name for it.
    pub vulnerability_name: Option<String>,
    /// When CISA added it (YYYY-MM-DD).
    pub date_added: Option<String>,
    /// The remediation due date (YYYY-MM-DD).
    pub due_date: Option<String>,
    /// `Known`, `Unknown` or as written.
    pub ransomware: Option<String>,
    /// The required action.
    pub required_action: Option<String>,
    /// A short description.
    pub short_description: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Weakness ids.
    pub cwes: Vec<String>,
    /// The catalog version it came with.
    pub catalog_version: Option<String>,
    /// The feed.
    pub feed_id: i64,
    /// The run that stored it.
    pub run_id: i64,
}

const KEV_COLUMNS: &str = "cve, vendor_project, product, vulnerability_name, date_added, \
     due_date, ransomware, required_action, short_description, notes, cwes, catalog_version, \
     feed_id, run_id";

fn kev_from_row(row: &AnyRow) -> Result<KevRow, sqlx::Error> {
    let cwes: String = row.try_get("cwes")?;
    Ok(KevRow {
        cve: row.try_get("cve")?,
        vendor_project: row.try_get("vendor_project")?,
        product: row.try_get("product")?,
        vulnerability_name: row.try_get("vulnerability_name")?,
        date_added: row.try_get("date_added")?,
        due_date: row.try_get("due_date")?,
        ransomware: row.try_get("ransomware")?,
        required_action: row.try_get("required_action")?,
        short_description: row.try_get("short_description")?,
        notes: row.try_get("notes")?,
        cwes: list_from(&cwes),
        catalog_version: row.try_get("catalog_version")?,
        feed_id: row.try_get("feed_id")?,
        run_id: row.try_get("run_id")?,
    })
}

/// Every KEV entry.
pub async fn kev_entries(executor: impl AnyExecutor<'_>) -> Result<Vec<KevRow>, StoreError> {
    let sql = format!("SELECT {KEV_COLUMNS} FROM kev_entries ORDER BY cve");
    let rows = sqlx::query(&sql)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("read the KEV catalog"))?;
    rows.iter()
        .map(kev_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read the KEV catalog"))
}

/// The KEV entry of a CVE.
pub async fn kev_entry(
    executor: impl AnyExecutor<'_>,
    cve: &str,
) -> Result<Option<KevRow>, StoreError> {
    let sql = format!("SELECT {KEV_COLUMNS} FROM kev_entries WHERE cve = $1");
    let row = sqlx::query(&sql)
        .bind(cve)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a KEV entry"))?;
    row.as_ref()
        .map(kev_from_row)
        .transpose()
        .map_err(StoreError::query("read a KEV entry"))
}

/// Inserts or replaces KEV entries.
pub async fn upsert_kev(tx: &mut Tx, entries: &[KevRow]) -> Result<(), StoreError> {
    let cwes: Vec<String> = entries.iter().map(|e| list_to(&e.cwes)).collect();
    let rows: Vec<Vec<Value<'_>>> = entries
        .iter()
        .zip(&cwes)
        .map(|(entry, cwes)| {
            vec![
                Value::Text(&entry.cve),
                Value::OptText(entry.vendor_project.as_deref()),
                Value::OptText(entry.product.as_deref()),
                Value::OptText(entry.vulnerability_name.as_deref()),
                Value::OptText(entry.date_added.as_deref()),
                Value::OptText(entry.due_date.as_deref()),
                Value::OptText(entry.ransomware.as_deref()),
                Value::OptText(entry.required_action.as_deref()),
                Value::OptText(entry.short_description.as_deref()),
                Value::OptText(entry.notes.as_deref()),
                Value::Text(cwes),
                Value::OptText(entry.catalog_version.as_deref()),
                Value::Int(entry.feed_id),
                Value::Int(entry.run_id),
            ]
        })
        .collect();
    insert_rows(
        tx,
        &format!("INSERT INTO kev_entries ({KEV_COLUMNS})"),
        14,
        "ON CONFLICT (cve) DO UPDATE SET vendor_project = excluded.vendor_project, \
         product = excluded.product, vulnerability_name = excluded.vulnerability_name, \
         date_added = excluded.date_added, due_date = excluded.due_date, \
         ransomware = excluded.ransomware, required_action = excluded.required_action, \
         short_description = excluded.short_description, notes = excluded.notes, \
         cwes = excluded.cwes, catalog_version = excluded.catalog_version, \
         feed_id = excluded.feed_id, run_id = excluded.run_id",
        &rows,
        "store KEV entries",
    )
    .await?;
    Ok(())
}

/// Removes KEV entries (CISA removed them from the catalog).
pub async fn delete_kev(tx: &mut Tx, cves: &[String]) -> Result<(), StoreError> {
    execute_in(
        tx,
        "DELETE FROM kev_entries WHERE cve",
        cves,
        "remove KEV entries",
    )
    .await?;
    Ok(())
}
