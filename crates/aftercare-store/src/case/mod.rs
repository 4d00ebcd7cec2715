//! Regulatory cases: one case per (product, vulnerability) holding its awareness date,
//! determination and clocks, with the log of events applied to it.
//!
//! The case's and each clock's full state are stored as JSON in their `record` column,
//! written and read by [`codec`] (the pure crate owns their meaning, the codec their stored
//! form); the columns beside them exist for queries.

pub mod codec;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, StoreError, Tx};

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// The id.
    pub id: i64,
    /// The product.
    pub product_id: i64,
    /// The vulnerability's canonical id.
    pub vulnerability: String,
    /// The case's state as JSON (see [`codec`]).
    pub record: String,
    /// The awareness date (`YYYY-MM-DD`), for queries.
    pub awareness_date: Option<String>,
    /// `controlled` or `uncontrolled`, for queries.
    pub risk: Option<String>,
    /// When the case was opened.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

const CASE_COLUMNS: &str =
    "id, product_id, vulnerability, record, awareness_date, risk, created_at, updated_at";

fn case_from_row(row: &AnyRow) -> Result<CaseRow, sqlx::Error> {
    Ok(CaseRow {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        vulnerability: row.try_get("vulnerability")?,
        record: row.try_get("record")?,
        awareness_date: row.try_get("awareness_date")?,
        risk: row.try_get("risk")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The case of a (product, vulnerability), locked for the rest of the transaction on
/// PostgreSQL (SQLite's write transaction already excludes other writers).
pub async fn case_for_update(
    tx: &mut Tx,
    product_id: i64,
    vulnerability: &str,
) -> Result<Option<CaseRow>, StoreError> {
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE product_id = $1 AND vulnerability = $2{lock}"
    );
    let row = sqlx::query(&sql)
        .bind(product_id)
        .bind(vulnerability)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::query("find a case"))?;
    row.as_ref()
        .map(case_from_row)
        .transpose()
        .map_err(StoreError::query("find a case"))
}

/// The cases of some products that have an awareness date: (product, vulnerability) keys.
/// A case opened by another event (an incident, a report) may have none yet.
pub async fn cases_with_awareness(
    tx: &mut Tx,
    product_ids: &[i64],
) -> Result<std::collections::HashSet<(i64, String)>, StoreError> {
    let keys = crate::bulk::select_in(
        tx,
        "SELECT product_id, vulnerability FROM cases WHERE awareness_date IS NOT NULL AND product_id",
        "",
        product_ids,
        "list the cases of products",
        |row| Ok((row.try_get("product_id")?, row.try_get("vulnerability")?)),
    )
    .await?;
    Ok(keys.into_iter().collect())
}

/// Inserts or updates a case's state, `at` (a new case is created then; the row's
/// `created_at` and `updated_at` are set here).
pub async fn save_case(tx: &mut Tx, case: &CaseRow, at: &str) -> Result<i64, StoreError> {
    if case.id == 0 {
        let row = sqlx::query(
            "INSERT INTO cases (product_id, vulnerability, record, awareness_date, risk, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(case.product_id)
        .bind(&case.vulnerability)
        .bind(&case.record)
        .bind(&case.awareness_date)
        .bind(&case.risk)
        .bind(at)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("open a case"))?;
        return row.try_get("id").map_err(StoreError::query("open a case"));
    }
    sqlx::query(
        "UPDATE cases SET record = $2, awareness_date = $3, risk = $4, updated_at = $5 \
         WHERE id = $1",
    )
    .bind(case.id)
    .bind(&case.record)
    .bind(&case.awareness_date)
    .bind(&case.risk)
    .bind(at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("update a case"))?;
    Ok(case.id)
}

/// A case by id.
pub async fn case_by_id(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<CaseRow>, StoreError> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a case"))?;
    row.as_ref()
        .map(case_from_row)
        .transpose()
        .map_err(StoreError::query("find a case"))
}

/// Cases, optionally of one product.
pub async fn cases(
    pool: &sqlx::AnyPool,
    product_id: Option<i64>,
) -> Result<Vec<CaseRow>, StoreError> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE ($1 IS NULL OR product_id = $1) \
         ORDER BY product_id, vulnerability"
    );
    let rows = sqlx::query(&sql)
        .bind(product_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list cases"))?;
    rows.iter()
        .map(case_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list cases"))
}

/// A stored clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    /// The id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Its position among the case's clocks (the order they were opened).
    pub position: i64,
    /// Its kind.
    pub kind: String,
    /// Its reference (report, MDR or incident number).
    pub reference: Option<String>,
    /// `open`, `met`, `missed` or `waived`.
    pub state: String,
    /// Day 0 (`YYYY-MM-DD`).
    pub start_day: String,
    /// Day N (`YYYY-MM-DD`).
    pub deadline_day: String,
    /// The instant the deadline ends (stored text form).
    pub deadline_end: String,
    /// The clock's full state as JSON (see [`codec`]).
    pub record: String,
}

const CLOCK_COLUMNS: &str = "id, case_id, position, kind, reference, state, start_day, \
                             deadline_day, deadline_end, record";

fn clock_from_row(row: &AnyRow) -> Result<ClockRow, sqlx::Error> {
    Ok(ClockRow {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        position: row.try_get("position")?,
        kind: row.try_get("kind")?,
        reference: row.try_get("reference")?,
        state: row.try_get("state")?,
        start_day: row.try_get("start_day")?,
        deadline_day: row.try_get("deadline_day")?,
        deadline_end: row.try_get("deadline_end")?,
        record: row.try_get("record")?,
    })
}

/// Writes a case's clocks: updates those that exist (by position), inserts new ones.
/// Clocks are never removed: a case only ever gains clocks.
pub async fn save_clocks(tx: &mut Tx, case_id: i64, clocks: &[ClockRow]) -> Result<(), StoreError> {
    for clock in clocks {
        let updated = sqlx::query(
            "UPDATE clocks SET kind = $3, reference = $4, state = $5, start_day = $6, \
             deadline_day = $7, deadline_end = $8, record = $9 WHERE case_id = $1 AND position = $2",
        )
        .bind(case_id)
        .bind(clock.position)
        .bind(&clock.kind)
        .bind(&clock.reference)
        .bind(&clock.state)
        .bind(&clock.start_day)
        .bind(&clock.deadline_day)
        .bind(&clock.deadline_end)
        .bind(&clock.record)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("update a clock"))?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO clocks (case_id, position, kind, reference, state, start_day, \
                 deadline_day, deadline_end, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(case_id)
            .bind(clock.position)
            .bind(&clock.kind)
            .bind(&clock.reference)
            .bind(&clock.state)
            .bind(&clock.start_day)
            .bind(&clock.deadline_day)
            .bind(&clock.deadline_end)
            .bind(&clock.record)
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("open a clock"))?;
        }
    }
    Ok(())
}

/// The clocks of a case, in the order they were opened.
pub async fn clocks_of(
    executor: impl sqlx::any::AnyExecutor<'_>,
    case_id: i64,
) -> Result<Vec<ClockRow>, StoreError> {
    let sql = format!("SELECT {CLOCK_COLUMNS} FROM clocks WHERE case_id = $1 ORDER BY position");
    let rows = sqlx::query(&sql)
        .bind(case_id)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list clocks"))?;
    rows.iter()
        .map(clock_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list clocks"))
}

/// A filter over clocks.
#[derive(Debug, Clone, Default)]
pub struct ClockFilter {
    /// Only clocks in this state.
    pub state: Option<String>,
    /// Only clocks whose deadline ends before this instant (stored text form).
    pub deadline_before: Option<String>,
    /// Only clocks of this product.
    pub product_id: Option<i64>,
}

/// A clock with its case's product and vulnerability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockListing {
    /// The clock.
    pub clock: ClockRow,
    /// The case's product.
    pub product_id: i64,
    /// The product's name.
    pub product_name: String,
    /// The case's vulnerability.
    pub vulnerability: String,
}

/// Clocks matching a filter, soonest deadline first.
pub async fn list_clocks(
    pool: &sqlx::AnyPool,
    filter: &ClockFilter,
) -> Result<Vec<ClockListing>, StoreError> {
    let rows = sqlx::query(
        "SELECT k.id, k.case_id, k.position, k.kind, k.reference, k.state, k.start_day, \
         k.deadline_day, k.deadline_end, k.record, c.product_id, p.name AS product_name, \
         c.vulnerability FROM clocks k JOIN cases c ON c.id = k.case_id \
         JOIN products p ON p.id = c.product_id \
         WHERE ($1 IS NULL OR k.state = $1) AND ($2 IS NULL OR k.deadline_end < $2) \
         AND ($3 IS NULL OR c.product_id = $3) ORDER BY k.deadline_end, k.id",
    )
    .bind(&filter.state)
    .bind(&filter.deadline_before)
    .bind(filter.product_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("list clocks"))?;
    rows.iter()
        .map(|row| {
            Ok(ClockListing {
                clock: clock_from_row(row)?,
                product_id: row.try_get("product_id")?,
                product_name: row.try_get("product_name")?,
                vulnerability: row.try_get("vulnerability")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list clocks"))
}

/// The ids of cases with an open clock whose deadline ended before an instant: the ones a
/// tick may change.
pub async fn cases_with_lapsed_clocks(
    pool: &sqlx::AnyPool,
    before: &str,
) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT case_id FROM clocks WHERE state = 'open' AND deadline_end < $1 \
         ORDER BY case_id",
    )
    .bind(before)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("find lapsed clocks"))?;
    rows.iter()
        .map(|row| row.try_get("case_id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("find lapsed clocks"))
}

/// An event applied to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEventRow {
    /// The id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// When it happened.
    pub at: String,
    /// Its kind.
    pub kind: String,
    /// Its details (JSON).
    pub detail: String,
    /// Who recorded it.
    pub actor: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// Logs an event applied to a case: it happened `at`, and is recorded `recorded_at`.
pub async fn insert_event(
    tx: &mut Tx,
    case_id: i64,
    at: &str,
    kind: &str,
    detail: &str,
    actor: &str,
    recorded_at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO case_events (case_id, at, kind, detail, actor, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case_id)
    .bind(at)
    .bind(kind)
    .bind(detail)
    .bind(actor)
    .bind(recorded_at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("log a case event"))?;
    Ok(())
}

/// The events of a case, in the order they were applied.
pub async fn events_of(
    executor: impl sqlx::any::AnyExecutor<'_>,
    case_id: i64,
) -> Result<Vec<CaseEventRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, case_id, at, kind, detail, actor, recorded_at FROM case_events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("list case events"))?;
    rows.iter()
        .map(|row| {
            Ok(CaseEventRow {
                id: row.try_get("id")?,
                case_id: row.try_get("case_id")?,
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                detail: row.try_get("detail")?,
                actor: row.try_get("actor")?,
                recorded_at: row.try_get("recorded_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list case events"))
}

/// Renames the vulnerability of a product's case (an id that learned its CVE) `at`, unless the
/// product already has a case under the new id; returns whether it renamed.
pub async fn rename_case(
    tx: &mut Tx,
    product_id: i64,
    from: &str,
    to: &str,
    at: &str,
) -> Result<bool, StoreError> {
    if case_for_update(tx, product_id, to).await?.is_some() {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE cases SET vulnerability = $3, updated_at = $4 \
         WHERE product_id = $1 AND vulnerability = $2",
    )
    .bind(product_id)
    .bind(from)
    .bind(to)
    .bind(at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("rename a case"))?;
    Ok(done.rows_affected() > 0)
}
