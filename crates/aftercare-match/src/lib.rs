//! Matching components to vulnerability records: OSV ranges, CPE configurations, CSAF product
//! status, CVE 5 products — into findings, one per (component, vulnerability), each with the
//! reasons that made it.
//!
//! This crate is pure: records and components in memory, findings out, no I/O, no async.
//!
//! * [`Index`] holds records prepared for matching (every version bound parsed once) and
//!   groups them into [`Vulnerability`]s with the alias merge of `aftercare-intel` (two CVE ids
//!   never merge) and the severity rule of the brief ([`severity`]).
//! * [`Index::scan`] matches a list of [`Component`]s and returns a [`Scan`]: [`Finding`]s
//!   with their [`Reason`]s, severity and fixed versions, the supplier's VEX statements that
//!   are not findings, and what could not be compared.
//! * [`reconcile`] is the finding comparison: a component's stored findings against this
//!   run's matches → opened, confirmed, changed, renamed, reopened, closed (with the reason),
//!   or held when a record could not be read again. The workspace layer reads, calls it, and
//!   writes what it says.
//! * [`file`] writes and lazily reads a compiled index: a scan loads only the packages its
//!   SBOM names.
//!
//! Per kind of record data: [`osv`] (OSV ranges and version lists), [`nvd`] (NVD CPE
//! configurations) with [`cpe`] (NIST IR 7696 name matching), [`csaf`] (CSAF product status),
//! [`cve5`] (CVE 5 affected products). `docs/adr/0007-matching.md` records the decisions.
//!
//! ```
//! use aftercare_intel::read_document;
//! use aftercare_match::{Component, Index};
//!
//! let record = br#"{"id": "GHSA-xvch-5gv4-984h", "modified": "2024-01-01T00:00:00Z",
//!   "aliases": ["CVE-2021-44906"],
//!   "affected": [{"package": {"ecosystem": "npm", "name": "minimist"},
//!                 "ranges": [{"type": "ECOSYSTEM",
//!                             "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.6"}]}]}]}"#;
//! let records = read_document("GHSA-xvch-5gv4-984h.json", record)?.into_records();
//! let index = Index::build(records);
//! let component = Component::from_purl("pkg:npm/minimist@1.2.5".parse()?);
//! let scan = index.scan(&[component], &[]);
//! assert_eq!(scan.findings.len(), 1);
//! assert_eq!(scan.findings[0].vulnerability.as_str(), "CVE-2021-44906");
//! assert_eq!(scan.findings[0].fixed_versions, ["1.2.6"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod component;
pub mod cpe;
pub mod csaf;
pub mod cve5;
mod error;
pub mod file;
pub mod finding;
pub mod index;
pub mod nvd;
pub mod osv;
pub mod reconcile;
pub mod severity;

pub use component::{Component, FileHash};
pub use error::MatchError;
pub use finding::{
    Confidence, Finding, Matched, Reason, Reasons, Scan, SkipReason, Skipped, Statement,
};
pub use index::{
    Index, IndexBuilder, IndexDelta, IndexWarning, RecordChange, RecordInfo, RecordKey,
    Vulnerability,
};
pub use reconcile::{Found, Outcome, Stored, close_reason};
pub use severity::{Assessment, Basis};
