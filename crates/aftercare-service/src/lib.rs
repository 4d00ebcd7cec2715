//! Use cases: each opens a transaction, calls the pure crates and the store, and writes the
//! audit event in the same transaction.
//!
//! This crate is the application's API: the CLI and the HTTP server both call it and
//! nothing below it. It never formats output and knows no wire format; CPU-heavy work
//! (SBOM parsing, password hashing) runs off the async runtime.

mod error;

pub mod account;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod case;
pub mod finding;
pub mod intel;
pub mod inventory;
pub mod policy;
pub mod signature;
pub mod workspace;

pub use error::ServiceError;
pub use workspace::{Workspace, WorkspaceLocation};

use aftercare_model::Actor;

/// Who is acting and why, carried into every mutation and its audit event.
#[derive(Debug, Clone)]
pub struct Context {
    /// The actor.
    pub actor: Actor,
    /// The request that caused the change (HTTP request id), if any.
    pub request_id: Option<String>,
    /// The reason the actor gave, if any.
    pub reason: Option<String>,
}

impl Context {
    /// A context for an actor with no request id and no reason.
    pub fn new(actor: Actor) -> Context {
        Context {
            actor,
            request_id: None,
            reason: None,
        }
    }

    /// The same context with a reason.
    pub fn with_reason(mut self, reason: Option<String>) -> Context {
        self.reason = reason;
        self
    }
}
