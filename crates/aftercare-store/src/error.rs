//! The storage error: which operation failed, on what, and why.

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names a database we do not support.
    #[error("unsupported database URL {url}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl {
        /// The URL, password redacted.
        url: String,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed; the schema is left at the previous version.
    #[error("migration {version} ({name}) failed")]
    Migrate {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The database was written by a newer aftercare.
    #[error(
        "the database schema is at version {found}, newer than this aftercare knows ({known}); upgrade aftercare"
    )]
    SchemaTooNew {
        /// The version in the database.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A query failed.
    #[error("database error while trying to {operation}")]
    Query {
        /// What we were doing, as a verb phrase.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A bulk read through the SQLite C library failed.
    #[error("database error while trying to {operation}: {message}")]
    Scan {
        /// What we were doing.
        operation: &'static str,
        /// The library's message.
        message: String,
    },
    /// A stored value cannot be read back (written by hand or by a broken build).
    #[error("stored {entity} {id} has an unreadable {field}: {message}")]
    Corrupt {
        /// The kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The column.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl StoreError {
    /// A closure that wraps a driver error with the operation it interrupted, for
    /// `.map_err(StoreError::query("insert product"))`.
    pub fn query(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { operation, source }
    }

    /// Whether the error is a unique-constraint violation (the same row already exists).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Query {
                source: sqlx::Error::Database(error),
                ..
            } => error.is_unique_violation(),
            _ => false,
        }
    }
}
