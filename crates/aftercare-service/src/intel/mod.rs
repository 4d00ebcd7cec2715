//! Vulnerability intelligence: feeds and their sync, the stored records merged into
//! vulnerabilities, and look-up by any alias.
//!
//! * [`feed`] — add, list, show and remove feeds (`osv`, `nvd`, `cve5`, `kev`, `epss`,
//!   `csaf`), from a URL or a local mirror; [`defaults`] knows the official sources.
//! * [`sync`] — download what changed and apply it in batches that commit with their
//!   checkpoint; a run reports new / updated / withdrawn / unchanged records and warnings,
//!   stores the **delta** (vulnerability ids, package keys, CPE vendor/products) for the
//!   matching layer, and writes one audit event.
//! * [`lookup`] — a vulnerability by any of its ids, every source's record about it, KEV and
//!   EPSS; search; the affected index and the records' re-reading for the matcher; the warm
//!   in-memory alias map of the server.
//!
//! The alias merge and the "which version wins" rule run in Rust on an in-memory copy of the
//! stored state (`state`); vulnerability row ids stay stable across merges and splits
//! (`aftercare_intel::identity`). See `docs/adr/0008-feeds-and-sync.md`.

pub mod defaults;
mod enrichment;
pub mod feed;
pub mod lookup;
pub(crate) mod normalize;
mod state;
pub mod sync;

use std::fmt;
use std::str::FromStr;

use crate::ServiceError;

/// The kind of a feed: which source it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedKind {
    /// OSV records (an osv.dev `all.zip` per ecosystem, or a folder of records).
    Osv,
    /// The NVD CVE API 2.0 (or files of its JSON).
    Nvd,
    /// CVE JSON 5 records (a cvelistV5 zip, or a folder).
    Cve5,
    /// The CISA Known Exploited Vulnerabilities catalog.
    Kev,
    /// FIRST EPSS daily scores.
    Epss,
    /// CSAF 2.0 advisories of a provider (its `provider-metadata.json`, a ROLIE feed, or a
    /// folder of documents).
    Csaf,
}

impl FeedKind {
    /// Every kind.
    pub const ALL: [FeedKind; 6] = [
        FeedKind::Osv,
        FeedKind::Nvd,
        FeedKind::Cve5,
        FeedKind::Kev,
        FeedKind::Epss,
        FeedKind::Csaf,
    ];

    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Osv => "osv",
            FeedKind::Nvd => "nvd",
            FeedKind::Cve5 => "cve5",
            FeedKind::Kev => "kev",
            FeedKind::Epss => "epss",
            FeedKind::Csaf => "csaf",
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FeedKind {
    type Err = ServiceError;

    fn from_str(text: &str) -> Result<FeedKind, ServiceError> {
        FeedKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                ServiceError::invalid(
                    "feed kind",
                    format!("{text:?}: expected osv, nvd, cve5, kev, epss or csaf"),
                )
            })
    }
}
