//! Storage adapter: the SQLite and PostgreSQL schema, migrations and queries behind one API.
//!
//! One code base serves both databases through sqlx's `Any` driver (see
//! `docs/adr/0001-storage.md`): queries are written in the SQL both dialects share, with `$N`
//! placeholders, and the few places where the dialects differ (identity columns, blob type,
//! row locks, append-only triggers) are chosen by [`Backend`]. This crate stores and finds;
//! it never decides — business rules live in the pure crates and the service.
//!
//! The caller owns the transaction: every function that writes takes a `&mut Tx` opened by a
//! use case with [`Store::begin`], so that a change and its audit event commit together.
//!
//! The caller owns the time as well: every write that stamps a row (`created_at`, the audit
//! event's `at`, …) takes the instant as `at: &str`, in the stored form [`timestamp_text`]
//! makes, so that a use case stamps its rows and its audit event with one instant and a test
//! can fix it. This crate never reads the wall clock, but for the bookkeeping of its own
//! migrations (see `schema.rs`).

mod bulk;
mod error;
mod schema;

pub mod account;
pub mod alert;
pub mod artifact;
pub mod assessment;
pub mod audit;
pub mod case;
pub mod device;
pub mod document;
pub mod feed;
pub mod finding;
pub mod fleet;
pub mod incident;
pub mod intel;
pub mod patch;
pub mod policy;
pub mod product;
pub mod release;
pub mod rollout;
pub mod sbom;
pub mod session;
pub mod setting;
pub mod signature;
#[cfg(feature = "testing")]
pub mod testing;
pub mod training;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

pub use bulk::IN_LIST_CHUNK;
pub use error::StoreError;

/// A write transaction on either backend, with the backend it runs on (the few
/// dialect-specific statements need to know).
#[derive(Debug)]
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
}

impl Tx {
    /// The connection, to run queries in the transaction.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }

    /// The backend the transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Commits; on failure nothing of the transaction is kept.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.inner
            .commit()
            .await
            .map_err(StoreError::query("commit the transaction"))
    }

    /// Rolls back explicitly (dropping a `Tx` rolls back too).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.inner
            .rollback()
            .await
            .map_err(StoreError::query("roll back the transaction"))
    }
}

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: the embedded default, one file in the workspace directory.
    Sqlite,
    /// PostgreSQL: for teams and for several server nodes.
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl {
                url: redact_url(url),
            })
        }
    }

    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool to the workspace database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite database file, for the few bulk reads that go through rusqlite.
    sqlite_file: Option<std::path::PathBuf>,
    /// The database URL, for the few bulk reads that use a native PostgreSQL connection.
    url: String,
}

impl Store {
    /// Connects to a database URL (`sqlite:///path/to/aftercare.db?mode=rwc` or
    /// `postgres://user@host/db`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url)
            .map_err(|source| StoreError::Connect {
                url: redact_url(url),
                source,
            })?
            .disable_statement_logging();
        let pool_options = match backend {
            // SQLite allows one writer at a time; a few connections let readers proceed while
            // a write transaction runs (WAL), and the busy timeout queues writers.
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            use sqlx::Executor;
                            connection
                                .execute(
                                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                                 PRAGMA synchronous = NORMAL;",
                                )
                                .await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(8),
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_url(url),
                source,
            })?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(StoreError::query("enable WAL"))?;
        }
        let sqlite_file = match backend {
            Backend::Sqlite => sqlite_file(url),
            Backend::Postgres => None,
        };
        let store = Store {
            pool,
            backend,
            sqlite_file,
            url: url.to_string(),
        };
        schema::migrate(&store).await?;
        Ok(store)
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file, when the store is SQLite on a file.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The database URL (contains credentials; never print it, use [`redact_url`]).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The pool, for read-only queries outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so that two writers queue instead of failing when both try to upgrade a
    /// read lock.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let result = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        let inner = result.map_err(StoreError::query("begin a transaction"))?;
        Ok(Tx {
            inner,
            backend: self.backend,
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file of a `sqlite://PATH?options` URL (`None` for in-memory databases).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(std::path::PathBuf::from(path))
    }
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// An instant as stored: RFC 3339 UTC with microseconds, fixed width so that text order is
/// time order on both backends. Every `at` a write takes is in this form.
pub fn timestamp_text(timestamp: jiff::Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Builds the `VALUES` tuples of a multi-row insert of `rows` rows of `columns` values:
/// `($1, $2, …), ($k, …)` on PostgreSQL, `(?, ?, …), …` on SQLite. SQLite looks up a numbered
/// parameter's name by a linear walk (`sqlite3_bind_parameter_name`), which made a
/// 10,000-parameter insert quadratic; anonymous `?` parameters are bound in order.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    if backend == Backend::Sqlite {
        let row = format!("({})", vec!["?"; columns].join(","));
        return vec![row; rows].join(",");
    }
    let mut sql = String::with_capacity(rows * columns * 5);
    let mut next = 1;
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&next.to_string());
            next += 1;
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://user:secret@localhost/db"),
            "postgres://user:***@localhost/db"
        );
        assert_eq!(
            redact_url("postgres://user@localhost/db"),
            "postgres://user@localhost/db"
        );
        assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            values_placeholders(Backend::Postgres, 2, 3),
            "($1,$2,$3),($4,$5,$6)"
        );
        assert_eq!(values_placeholders(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
    }

    #[test]
    fn timestamps_are_fixed_width() {
        let ts: jiff::Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(timestamp_text(ts), "2026-01-02T03:04:05.000000Z");
    }
}
