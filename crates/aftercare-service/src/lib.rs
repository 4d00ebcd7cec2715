//! Use cases: each opens a transaction, calls the pure crates and the store, and writes the
//! audit event in the same transaction.
//!
//! This crate is the application's API: the CLI and the HTTP server both call it and
//! nothing below it. It never formats output and knows no wire format; CPU-heavy work
//! (SBOM parsing, password hashing) runs off the async runtime.
//!
//! It is cut into *slices*, one folder per area of the loop, each a set of use cases:
//!
//! * [`access`] — accounts, passwords, sessions and tokens, principals, Part 11 signatures;
//! * [`inventory`] — products, releases, SBOM import, read-back and diff;
//! * [`intel`] — feeds, their sync, vulnerabilities by any alias;
//! * [`triage`] — assessments, determinations, regulatory cases and clocks, the policy;
//! * [`finding`] — the match runs and the findings they keep;
//! * [`patch`] — remediation plans, patch releases, their evidence, approval and distribution;
//! * [`device`] — the device registry: organisations, sites, devices, their tokens and exposure;
//! * [`artifact`] — the files of a release that devices download, their bytes in the object
//!   store by SHA-256, a `.swu`'s signature checked against the product's update CA;
//! * [`incident`] — investigations: opened from signals, reports or by hand, linked,
//!   classified under 21 CFR 803 / EU MDR Art. 87 (the clocks through `triage`), closed.
//!
//! Slices depend one way (`access` ← `inventory`, `intel` ← `triage` ← `finding` ← `patch`;
//! `inventory`, `intel` ← `device`; `inventory` ← `artifact`); the chains
//! of the loop that cross slices (an import then its match, a sync then its re-match) live in
//! [`flow`] alone. The floor every slice stands on: [`workspace`], [`audit`] (the one way an
//! audit event is written), [`fetch`] (the feed client) and the error type. A test
//! (`crates/aftercare-testdata/tests/it/tidy.rs`) fails when an edge against these rules appears.

mod error;

pub mod access;
pub mod artifact;
pub mod audit;
pub mod device;
pub mod fetch;
pub mod finding;
pub mod fleet;
pub mod flow;
pub mod incident;
pub mod intel;
pub mod inventory;
pub mod patch;
pub mod rollout;
pub mod triage;
pub mod workspace;

pub use error::{ArtifactError, RuleError, ServiceError};
pub use workspace::{Workspace, WorkspaceLocation};

use aftercare_model::Actor;
use jiff::Timestamp;

/// Who is acting, when and why, carried into every mutation and its audit event.
///
/// `now` is the instant of the use case: the time its rows and audit event are stamped with,
/// and the awareness date of a first match it causes. Only the shells (the CLI, the HTTP
/// handlers, the scheduler) read the wall clock to make one; everything below takes it from
/// here, so that a test can fix it.
#[derive(Debug, Clone)]
pub struct Context {
    /// The actor.
    pub actor: Actor,
    /// When the use case runs.
    pub now: Timestamp,
    /// The request that caused the change (HTTP request id), if any.
    pub request_id: Option<String>,
    /// The reason the actor gave, if any.
    pub reason: Option<String>,
}

impl Context {
    /// A context for an actor at an instant, with no request id and no reason.
    pub fn new(actor: Actor, now: Timestamp) -> Context {
        Context {
            actor,
            now,
            request_id: None,
            reason: None,
        }
    }

    /// The same context with a reason.
    pub fn with_reason(mut self, reason: Option<String>) -> Context {
        self.reason = reason;
        self
    }

    /// The use case's instant in the form the store writes (`at` of every store write).
    pub(crate) fn at(&self) -> String {
        aftercare_store::timestamp_text(self.now)
    }
}
