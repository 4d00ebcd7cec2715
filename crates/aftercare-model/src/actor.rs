//! Who made a change: every mutation records its actor.

use std::fmt;

/// The author of a change: a person, an API token, or the system doing machine work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A person, by account id and login name (the local administrator is one too).
    User {
        /// The account id.
        id: i64,
        /// The login name at the time of the change.
        login: String,
    },
    /// An API token, by id and name, acting for the account that created it.
    Token {
        /// The token id.
        id: i64,
        /// The token's name.
        name: String,
    },
    /// Machine work, named after its job (`feed-sync`, `rematch`, `demo`).
    System {
        /// The job's name.
        job: String,
    },
}

impl Actor {
    /// A system actor for a job.
    pub fn system(job: &str) -> Actor {
        Actor::System {
            job: job.to_string(),
        }
    }

    /// The kind of actor: `user`, `token` or `system`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::Token { .. } => "token",
            Actor::System { .. } => "system",
        }
    }
}

/// `user:alice`, `token:ci-pipeline`, `system:feed-sync`.
impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User { login, .. } => write!(f, "user:{login}"),
            Actor::Token { name, .. } => write!(f, "token:{name}"),
            Actor::System { job } => write!(f, "system:{job}"),
        }
    }
}
