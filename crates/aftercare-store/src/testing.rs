//! Test support (feature `testing`): a fresh, empty store on each backend.
//!
//! SQLite stores live in a temporary directory that is removed when the [`TestStore`] is
//! dropped. PostgreSQL stores are a fresh schema in the database named by
//! `AFTERCARE_TEST_POSTGRES_URL`; when that variable is unset the PostgreSQL half is skipped
//! locally, but under `CI=true` its absence fails the test: a green CI run must mean both
//! backends were tested.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Backend, Store};

/// The variable that names the PostgreSQL test database.
pub const POSTGRES_ENV: &str = "AFTERCARE_TEST_POSTGRES_URL";

/// A fresh store, with whatever keeps it alive.
#[derive(Debug)]
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// The URL it was opened with (to open a second store on the same data).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// The backend.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }
}

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("aftercare.db").display()
    );
    let store = Store::open(&url).await.expect("open SQLite store");
    TestStore {
        store,
        url,
        _dir: Some(dir),
    }
}

/// The PostgreSQL URL for tests, if configured; panics under `CI=true` when it is not.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "{POSTGRES_ENV} must be set in CI: the PostgreSQL half of the suite may not be skipped"
            )
        }
        _ => None,
    }
}

/// A fresh PostgreSQL store in a new schema, if PostgreSQL is configured.
pub async fn postgres() -> Option<TestStore> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = postgres_url()?;
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    );
    sqlx::any::install_default_drivers();
    {
        use sqlx::Connection;
        let mut admin = sqlx::AnyConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("connect to {POSTGRES_ENV}: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        admin.close().await.ok();
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let store = Store::open(&url).await.expect("open PostgreSQL store");
    Some(TestStore {
        store,
        url,
        _dir: None,
    })
}

/// A fresh store on every configured backend: SQLite always, PostgreSQL when configured.
pub async fn each_backend() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    if let Some(postgres) = postgres().await {
        stores.push(postgres);
    }
    stores
}
