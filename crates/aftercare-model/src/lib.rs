//! Domain words shared by every crate: identifiers, package URLs, CPEs, severities and actors.
//!
//! This crate is the bottom of the dependency graph. It holds only types whose invariants
//! every other crate relies on ("parse at the edge, then trust the type"); it never does
//! I/O and knows no wire format.

pub mod access;
pub mod actor;
pub mod audit;
pub mod cpe;
pub mod digest;
pub mod ecosystem;
pub mod label;
pub mod purl;
pub mod severity;
pub mod vulnerability;

pub use access::{Permission, Role};
pub use actor::Actor;
pub use audit::AuditEvent;
pub use cpe::{Cpe, CpeError, CpePart, CpeValue};
pub use digest::Sha256;
pub use ecosystem::{Ecosystem, PackageKey};
pub use purl::{Purl, PurlError};
pub use severity::Severity;
pub use vulnerability::{VulnerabilityId, VulnerabilityIdError, VulnerabilityIdKind};
