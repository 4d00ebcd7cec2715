//! A workspace: one manufacturer's data, in a directory (SQLite) or a PostgreSQL database.

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
    /// The matcher's warm copy of the workspace, when this process keeps one.
    matcher: Option<Arc<crate::finding::MatchState>>,
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
            matcher: None,
        })
    }

    /// A workspace over an already open store (tests, embedding).
    pub fn from_store(store: Store, location: WorkspaceLocation) -> Workspace {
        Workspace {
            store,
            location,
            matcher: None,
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where the workspace lives.
    pub fn location(&self) -> &WorkspaceLocation {
        &self.location
    }

    /// Keeps the matcher warm for the life of this workspace and its clones (a server): match
    /// runs compare with an in-memory copy of the components and findings instead of reading
    /// their scope again (see `finding::MatchState`). The first run loads it.
    pub fn keep_matcher_warm(mut self) -> Workspace {
        self.matcher = Some(Arc::new(crate::finding::MatchState::new()));
        self
    }

    /// The matcher's warm state, when kept.
    pub(crate) fn match_state(&self) -> Option<&crate::finding::MatchState> {
        self.matcher.as_deref()
    }
}

fn create_dir(dir: &Path) -> Result<(), ServiceError> {
    std::fs::create_dir_all(dir).map_err(|source| ServiceError::WorkspaceDirectory {
        path: dir.display().to_string(),
        source,
    })
}
