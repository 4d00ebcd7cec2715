//! Multi-row statements: values of mixed types bound in order, in chunks that stay well under
//! both databases' bind-parameter limits (see `values_placeholders` for the SQLite detail).

use crate::{StoreError, Tx, values_placeholders};

/// One value of a row to bind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// An integer.
    Int(i64),
    /// An optional integer.
    OptInt(Option<i64>),
    /// Text.
    Text(&'a str),
    /// Optional text.
    OptText(Option<&'a str>),
    /// A floating-point number.
    Float(f64),
    /// An optional floating-point number.
    OptFloat(Option<f64>),
    /// Bytes.
    Blob(&'a [u8]),
}

/// At most this many bound values per statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_VALUES: usize = 12_000;
/// At most this many rows per statement.
const MAX_ROWS: usize = 1_000;

/// Runs `{head} VALUES (…), (…) {tail}` for every chunk of rows; each row has `columns`
/// values. Returns the rows affected.
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    head: &str,
    columns: usize,
    tail: &str,
    rows: &[Vec<Value<'_>>],
    operation: &'static str,
) -> Result<u64, StoreError> {
    if rows.is_empty() || columns == 0 {
        return Ok(0);
    }
    let per_chunk = (MAX_VALUES / columns).clamp(1, MAX_ROWS);
    // A cached PostgreSQL statement keeps the parameter types of its first execution, and
    // through the `Any` driver a NULL float is not typed as a float: a later non-NULL value
    // would then be refused. Statements with optional floats are prepared afresh.
    let persistent = !rows
        .iter()
        .flatten()
        .any(|value| matches!(value, Value::OptFloat(_)));
    let mut affected = 0;
    for chunk in rows.chunks(per_chunk) {
        let sql = format!(
            "{head} VALUES {} {tail}",
            values_placeholders(tx.backend(), chunk.len(), columns)
        );
        let result = bind_rows(sqlx::query(&sql).persistent(persistent), chunk)
            .execute(tx.conn())
            .await
            .map_err(StoreError::query(operation))?;
        affected += result.rows_affected();
    }
    Ok(affected)
}

/// [`insert_rows`] with a `RETURNING …` tail: every returned row, chunk after chunk.
pub(crate) async fn insert_returning(
    tx: &mut Tx,
    head: &str,
    columns: usize,
    returning: &str,
    rows: &[Vec<Value<'_>>],
    operation: &'static str,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    if rows.is_empty() || columns == 0 {
        return Ok(out);
    }
    let per_chunk = (MAX_VALUES / columns).clamp(1, MAX_ROWS);
    let persistent = !rows
        .iter()
        .flatten()
        .any(|value| matches!(value, Value::OptFloat(_)));
    for chunk in rows.chunks(per_chunk) {
        let sql = format!(
            "{head} VALUES {} RETURNING {returning}",
            values_placeholders(tx.backend(), chunk.len(), columns)
        );
        out.extend(
            bind_rows(sqlx::query(&sql).persistent(persistent), chunk)
                .fetch_all(tx.conn())
                .await
                .map_err(StoreError::query(operation))?,
        );
    }
    Ok(out)
}

fn bind_rows<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: &'q [Vec<Value<'q>>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for row in rows {
        for value in row {
            query = match *value {
                Value::Int(v) => query.bind(v),
                Value::OptInt(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::OptText(v) => query.bind(v),
                Value::Float(v) => query.bind(v),
                Value::OptFloat(v) => query.bind(v),
                Value::Blob(v) => query.bind(v),
            };
        }
    }
    query
}

/// `(?, ?, …)` or `($1, $2, …)` for an `IN` list of `count` values.
pub(crate) fn in_list(backend: crate::Backend, count: usize) -> String {
    let tuple = values_placeholders(backend, count, 1);
    format!("({})", tuple.replace(['(', ')'], ""))
}

/// Runs `{head} IN (…)` with the ids in chunks (a delete or an update by id).
pub(crate) async fn by_ids(
    tx: &mut Tx,
    head: &str,
    ids: &[i64],
    operation: &'static str,
) -> Result<u64, StoreError> {
    let mut affected = 0;
    for chunk in ids.chunks(MAX_ROWS) {
        let sql = format!("{head} IN {}", in_list(tx.backend(), chunk.len()));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        affected += query
            .execute(tx.conn())
            .await
            .map_err(StoreError::query(operation))?
            .rows_affected();
    }
    Ok(affected)
}

/// A key of an `IN` list.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'a> {
    /// An integer key.
    Int(i64),
    /// A text key.
    Text(&'a str),
}

/// Runs `{head} IN (…) {tail}` for every chunk of keys on one connection and returns every
/// row (a select by many ids or names).
pub(crate) async fn select_in(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    head: &str,
    tail: &str,
    keys: &[Key<'_>],
    operation: &'static str,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(MAX_ROWS) {
        let sql = format!("{head} IN {} {tail}", in_list(backend, chunk.len()));
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = match *key {
                Key::Int(v) => query.bind(v),
                Key::Text(v) => query.bind(v),
            };
        }
        rows.extend(
            query
                .fetch_all(&mut *conn)
                .await
                .map_err(StoreError::query(operation))?,
        );
    }
    Ok(rows)
}

/// Integer keys.
pub(crate) fn ints(ids: &[i64]) -> Vec<Key<'_>> {
    ids.iter().map(|id| Key::Int(*id)).collect()
}

/// Text keys.
pub(crate) fn texts(values: &[String]) -> Vec<Key<'_>> {
    values.iter().map(|v| Key::Text(v.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists() {
        assert_eq!(in_list(crate::Backend::Postgres, 3), "($1,$2,$3)");
        assert_eq!(in_list(crate::Backend::Sqlite, 2), "(?,?)");
    }
}
