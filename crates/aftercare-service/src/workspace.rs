//! A workspace: one manufacturer's data, in a directory (SQLite) or a PostgreSQL database.

use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aftercare_store::Store;

use crate::ServiceError;

/// Where a workspace lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspaceLocation {
    /// A directory holding `aftercare.db` (SQLite), the embedded default.
    Directory(PathBuf),
    /// A database URL (`postgres://…`, or `sqlite://…` for an explicit file).
    Database(String),
}

impl WorkspaceLocation {
    /// The database URL of the location.
    pub fn database_url(&self) -> String {
        match self {
            WorkspaceLocation::Directory(dir) => {
                format!("sqlite://{}?mode=rwc", dir.join(DATABASE_FILE).display())
            }
            WorkspaceLocation::Database(url) => url.clone(),
        }
    }
}

impl fmt::Display for WorkspaceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkspaceLocation::Directory(dir) => write!(f, "{}", dir.display()),
            WorkspaceLocation::Database(url) => f.write_str(&aftercare_store::redact_url(url)),
        }
    }
}

/// The SQLite file inside a workspace directory.
pub const DATABASE_FILE: &str = "aftercare.db";

/// An open workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    store: Store,
    location: WorkspaceLocation,
    /// State a slice keeps warm for the life of the workspace and its clones (the matcher's
    /// copy of the workspace in a server), held without knowing its type so that this floor
    /// module never imports a slice.
    warm: Option<Arc<dyn Any + Send + Sync>>,
    /// Where artifact bytes are kept, when set by the shell (`--artifact-dir`,
    /// `AFTERCARE_ARTIFACT_DIR`); otherwise `artifacts/` inside a workspace directory, and
    /// nowhere for a database workspace (see the `artifact` slice).
    artifact_dir: Option<PathBuf>,
}

impl Workspace {
    /// Opens (creating the directory and the schema if needed) a workspace.
    pub async fn open(location: WorkspaceLocation) -> Result<Workspace, ServiceError> {
        if let WorkspaceLocation::Directory(dir) = &location {
            create_dir(dir)?;
        }
        let store = Store::open(&location.database_url()).await?;
        Ok(Workspace {
            store,
            location,
            warm: None,
            artifact_dir: None,
        })
    }

    /// A workspace over an already open store (tests, embedding).
    pub fn from_store(store: Store, location: WorkspaceLocation) -> Workspace {
        Workspace {
            store,
            location,
            warm: None,
            artifact_dir: None,
        }
    }

    /// The store: for the use cases of this crate only. The shells (server, CLI) call use
    /// cases and never read or write the store themselves.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for tests and benchmarks that check what was written (feature `testing`;
    /// never enabled by the server or the CLI, and a tidy test keeps their sources from
    /// calling it).
    #[cfg(feature = "testing")]
    pub fn raw_store(&self) -> &Store {
        &self.store
    }

    /// Where the workspace lives.
    pub fn location(&self) -> &WorkspaceLocation {
        &self.location
    }

    /// The same workspace with its artifacts kept under `dir` (the shells pass
    /// `--artifact-dir` / `AFTERCARE_ARTIFACT_DIR` here; `None` keeps the default).
    pub fn with_artifact_dir(mut self, dir: Option<PathBuf>) -> Workspace {
        if dir.is_some() {
            self.artifact_dir = dir;
        }
        self
    }

    /// The artifact directory the shell set, if any.
    pub fn artifact_dir(&self) -> Option<&Path> {
        self.artifact_dir.as_deref()
    }

    /// The same workspace keeping a slice's warm state (see `finding::keep_warm`).
    pub(crate) fn with_warm(mut self, state: Arc<dyn Any + Send + Sync>) -> Workspace {
        self.warm = Some(state);
        self
    }

    /// The warm state, when this workspace keeps one of that type.
    pub(crate) fn warm<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.warm.as_deref()?.downcast_ref::<T>()
    }
}

fn create_dir(dir: &Path) -> Result<(), ServiceError> {
    std::fs::create_dir_all(dir).map_err(|source| ServiceError::WorkspaceDirectory {
        path: dir.display().to_string(),
        source,
    })
}
