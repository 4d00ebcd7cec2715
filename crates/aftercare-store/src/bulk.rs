//! Statements over many rows or keys: multi-row inserts (values of mixed types bound in
//! order), and reads, updates and deletes by an `IN (…)` list of ids or names, in chunks that
//! stay well under both databases' bind-parameter limits (see `values_placeholders` for the
//! SQLite detail).

use sqlx::any::AnyRow;

use crate::{Backend, Store, StoreError, Tx, values_placeholders};

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

/// At most this many keys in one `IN (…)` list: far below both backends' bind-parameter
/// limits (SQLite 32,766, PostgreSQL 65,535), and few enough that one statement text per
/// list length stays cheap to prepare. A longer list is read in chunks of this size.
pub const IN_LIST_CHUNK: usize = 1_000;

/// `(?, ?, …)` or `($1, $2, …)` for an `IN` list of `count` values.
fn in_list(backend: Backend, count: usize) -> String {
    let tuple = values_placeholders(backend, count, 1);
    format!("({})", tuple.replace(['(', ')'], ""))
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// A value of an `IN` list: row ids, or text keys (package keys, aliases, CVE ids).
pub(crate) trait InKey: Sync {
    /// Binds the value as the query's next parameter.
    fn bind_to<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q>;
}

impl InKey for i64 {
    fn bind_to<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(*self)
    }
}

impl InKey for String {
    fn bind_to<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.as_str())
    }
}

impl InKey for &str {
    fn bind_to<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(*self)
    }
}

/// Where a chunked read runs.
#[derive(Debug)]
pub(crate) enum Reader<'a> {
    /// A connection taken from the store's pool for the whole read, outside any transaction.
    Store(&'a Store),
    /// The caller's transaction: the read sees what the transaction wrote.
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Store> for Reader<'a> {
    fn from(store: &'a Store) -> Reader<'a> {
        Reader::Store(store)
    }
}

impl<'a> From<&'a mut Tx> for Reader<'a> {
    fn from(tx: &'a mut Tx) -> Reader<'a> {
        Reader::Tx(tx)
    }
}

/// Runs `{head} IN (…) {tail}` for every chunk of at most [`IN_LIST_CHUNK`] keys, on one
/// connection (the caller's transaction, or one taken from the pool), and maps every row
/// with `map`: the one way this crate selects by many ids or names. No key, no query.
///
/// `tail` applies to each chunk: an `ORDER BY` there orders the rows within a chunk only.
pub(crate) async fn select_in<'a, K: InKey, T>(
    reader: impl Into<Reader<'a>>,
    head: &str,
    tail: &str,
    keys: &[K],
    operation: &'static str,
    mut map: impl FnMut(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    if keys.is_empty() {
        return Ok(out);
    }
    // A pool connection, when the read has no transaction to run in, lives as long as the
    // read: every chunk runs on it.
    let mut acquired;
    let (connection, backend): (&mut sqlx::AnyConnection, Backend) = match reader.into() {
        Reader::Store(store) => {
            acquired = store
                .pool()
                .acquire()
                .await
                .map_err(StoreError::query(operation))?;
            (&mut *acquired, store.backend())
        }
        Reader::Tx(tx) => {
            let backend = tx.backend();
            (tx.conn(), backend)
        }
    };
    for chunk in keys.chunks(IN_LIST_CHUNK) {
        let sql = format!("{head} IN {} {tail}", in_list(backend, chunk.len()));
        let query = chunk
            .iter()
            .fold(sqlx::query(&sql), |query, key| key.bind_to(query));
        let rows = query
            .fetch_all(&mut *connection)
            .await
            .map_err(StoreError::query(operation))?;
        out.reserve(rows.len());
        for row in &rows {
            out.push(map(row).map_err(StoreError::query(operation))?);
        }
    }
    Ok(out)
}

/// Runs `{head} IN (…)` with the keys in chunks of at most [`IN_LIST_CHUNK`] (a delete or an
/// update by many ids or names); returns the rows affected.
pub(crate) async fn execute_in<K: InKey>(
    tx: &mut Tx,
    head: &str,
    keys: &[K],
    operation: &'static str,
) -> Result<u64, StoreError> {
    let mut affected = 0;
    for chunk in keys.chunks(IN_LIST_CHUNK) {
        let sql = format!("{head} IN {}", in_list(tx.backend(), chunk.len()));
        let query = chunk
            .iter()
            .fold(sqlx::query(&sql), |query, key| key.bind_to(query));
        affected += query
            .execute(tx.conn())
            .await
            .map_err(StoreError::query(operation))?
            .rows_affected();
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists() {
        assert_eq!(in_list(Backend::Postgres, 3), "($1,$2,$3)");
        assert_eq!(in_list(Backend::Sqlite, 2), "(?,?)");
    }
}
