//! SBOM readers (CycloneDX, SPDX), the normalized SBOM, its quality check and the diff of two SBOMs.
//!
//! Bytes in, [`ReadOutcome`] out: no I/O beyond the byte slice, no storage, no async. A
//! malformed component is a [`Warning`] and the rest is read; only a document that cannot be
//! read at all is an error.

pub mod model;

pub use model::{
    Component, ComponentKind, Dependency, Encoding, Format, Hash, ReadOutcome, Sbom, Scope,
    Warning,
};
