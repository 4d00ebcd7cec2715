//! FIRST EPSS scores: the current score of each CVE, and the history of daily scores.

use sqlx::Row;
use sqlx::any::{AnyExecutor, AnyRow};

use crate::bulk::{Value, insert_rows};
use crate::{StoreError, Tx};

/// One EPSS score.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssRow {
    /// The CVE.
    pub cve: String,
    /// The day the score is for (YYYY-MM-DD).
    pub score_date: String,
    /// The probability, 0–1.
    pub epss: f64,
    /// The percentile, 0–1.
    pub percentile: f64,
    /// The model version.
    pub model_version: Option<String>,
}

fn epss_from_row(row: &AnyRow) -> Result<EpssRow, sqlx::Error> {
    Ok(EpssRow {
        cve: row.try_get("cve")?,
        score_date: row.try_get("score_date")?,
        epss: row.try_get("epss")?,
        percentile: row.try_get("percentile")?,
        model_version: row.try_get("model_version")?,
    })
}

/// Every current EPSS score.
pub async fn epss_scores(executor: impl AnyExecutor<'_>) -> Result<Vec<EpssRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT cve, score_date, epss, percentile, model_version FROM epss_scores ORDER BY cve",
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read EPSS scores"))?;
    rows.iter()
        .map(epss_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read EPSS scores"))
}

/// The current EPSS score of a CVE.
pub async fn epss_score(
    executor: impl AnyExecutor<'_>,
    cve: &str,
) -> Result<Option<EpssRow>, StoreError> {
    let row = sqlx::query(
        "SELECT cve, score_date, epss, percentile, model_version FROM epss_scores WHERE cve = $1",
    )
    .bind(cve)
    .fetch_optional(executor)
    .await
    .map_err(StoreError::query("read an EPSS score"))?;
    row.as_ref()
        .map(epss_from_row)
        .transpose()
        .map_err(StoreError::query("read an EPSS score"))
}

/// The EPSS history of a CVE, oldest first.
pub async fn epss_history(
    executor: impl AnyExecutor<'_>,
    cve: &str,
) -> Result<Vec<EpssRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT cve, score_date, epss, percentile, model_version FROM epss_history \
         WHERE cve = $1 ORDER BY score_date",
    )
    .bind(cve)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read EPSS history"))?;
    rows.iter()
        .map(epss_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read EPSS history"))
}

fn epss_values(rows: &[EpssRow]) -> Vec<Vec<Value<'_>>> {
    rows.iter()
        .map(|row| {
            vec![
                Value::Text(&row.cve),
                Value::Text(&row.score_date),
                Value::Float(row.epss),
                Value::Float(row.percentile),
                Value::OptText(row.model_version.as_deref()),
            ]
        })
        .collect()
}

/// Replaces current EPSS scores.
pub async fn upsert_epss(tx: &mut Tx, rows: &[EpssRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "INSERT INTO epss_scores (cve, score_date, epss, percentile, model_version)",
        5,
        "ON CONFLICT (cve) DO UPDATE SET score_date = excluded.score_date, \
         epss = excluded.epss, percentile = excluded.percentile, \
         model_version = excluded.model_version",
        &epss_values(rows),
        "store EPSS scores",
    )
    .await?;
    Ok(())
}

/// Adds EPSS history rows (a day already recorded keeps its first value).
pub async fn insert_epss_history(tx: &mut Tx, rows: &[EpssRow]) -> Result<(), StoreError> {
    insert_rows(
        tx,
        "INSERT INTO epss_history (cve, score_date, epss, percentile, model_version)",
        5,
        "ON CONFLICT DO NOTHING",
        &epss_values(rows),
        "store EPSS history",
    )
    .await?;
    Ok(())
}
