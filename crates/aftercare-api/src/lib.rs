//! The JSON the API and the CLI speak: the wire types of `/api/v1` and of the CLI's
//! `--format json`, one set, so that a script that reads one reads the other.
//!
//! One module per slice of the service ([`access`], [`inventory`], [`intel`], [`triage`],
//! [`finding`], [`patch`], [`device`], [`artifact`]), each with its conversions from the
//! service's read models (and, where the service hands them out, the store's rows: ADR 0011);
//! [`flow`] for the outcomes that chain two slices, as `aftercare_service::flow` does;
//! [`error`] for the error envelope; [`vocabulary`] for the words of triage with their labels;
//! [`export`] for the scan report as JSON, SARIF and a CycloneDX VDR. The domain crates never
//! derive `Serialize` for the API's sake: this crate is the boundary.
//!
//! It knows no transport: no axum, no tokio, no sqlx. The server maps errors to statuses and
//! routes to handlers; the CLI prints tables; both take their JSON from here.

pub mod access;
pub mod artifact;
pub mod device;
pub mod error;
pub mod export;
pub mod finding;
pub mod fleet;
pub mod flow;
pub mod incident;
pub mod intel;
pub mod inventory;
pub mod patch;
pub mod rollout;
pub mod triage;
pub mod vocabulary;
