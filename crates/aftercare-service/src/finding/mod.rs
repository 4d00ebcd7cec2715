//! Findings in the workspace: every release's components matched against the stored
//! intelligence, one finding per (release, component, vulnerability).
//!
//! A match run ([`rematch`]) takes a scope — one release after its SBOM import, the
//! components a feed sync's delta touches, or everything — and for each component in it:
//! finds the candidate records (`candidates`: by package key and CPE vendor/product, then
//! every record of the vulnerabilities those belong to, for severity and aliases), matches
//! with `aftercare-match` and resolves the matches onto stored vulnerabilities (`fields`),
//! and compares them with the stored findings of the component by the pure rule
//! `aftercare_match::reconcile`: new pairs are opened with `first_seen` = the run's time (the
//! awareness date: the product's regulatory case is opened or told with a
//! `finding_first_seen` event); pairs that match again are confirmed, changed ones updated;
//! open findings that no longer match are closed with the reason, never deleted; findings
//! of a vulnerability with a record that could not be read again are held as they are.
//! Every change goes to the finding's history, and one audit event sums up the run — all in
//! one transaction (`run`).
//!
//! `mirror` is what a run compares with: built for the run's scope in a one-shot process,
//! kept warm for the whole workspace by a server ([`keep_warm`], ADR 0010). `query` reads
//! findings for people.

mod candidates;
mod fields;
mod mirror;
mod query;
mod run;

use std::time::Duration;

pub use candidates::{CandidateIndex, candidate_index, kev_cves};
pub use mirror::MatchState;
pub use query::{FindingDetail, FindingPage, FindingQuery, list, show};
pub use run::{rematch, warm_up};

use crate::Workspace;
use crate::intel::lookup::UnreadableRecord;
use crate::intel::sync::SyncDelta;

/// Which components a match run covers.
#[derive(Debug, Clone, Copy)]
pub enum MatchScope<'a> {
    /// Every component of every release (`aftercare match --all`).
    All,
    /// One release (after its SBOM import).
    Release(i64),
    /// What a feed sync changed: components of the changed package keys and CPE
    /// vendor/products, and those with findings of the changed vulnerabilities.
    Delta(&'a SyncDelta),
}

/// What a match run did.
#[derive(Debug, Clone, Default)]
pub struct MatchReport {
    /// Components matched.
    pub components: usize,
    /// Records considered.
    pub records: usize,
    /// Findings opened (new pairs), by id.
    pub opened: Vec<i64>,
    /// Closed findings that match again.
    pub reopened: Vec<i64>,
    /// Open findings whose match changed (severity, fixed versions, reasons, KEV).
    pub changed: Vec<i64>,
    /// Findings that no longer match, closed.
    pub closed: Vec<i64>,
    /// Findings confirmed unchanged.
    pub confirmed: usize,
    /// Findings left as they were because a record of their vulnerability could not be read
    /// again (see [`MatchReport::unreadable`]), by id.
    pub held: Vec<i64>,
    /// Records that could not be read again from their stored documents.
    pub unreadable: Vec<UnreadableRecord>,
    /// Regulatory cases told of a first match.
    pub cases: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl MatchReport {
    /// Whether anything changed.
    pub fn changed_anything(&self) -> bool {
        !(self.opened.is_empty()
            && self.reopened.is_empty()
            && self.changed.is_empty()
            && self.closed.is_empty())
    }
}

/// The same workspace keeping the matcher warm for its life and its clones' (a server): match
/// runs compare with an in-memory copy of the components and findings instead of reading
/// their scope again (see [`MatchState`]). The first run loads it.
pub fn keep_warm(workspace: Workspace) -> Workspace {
    workspace.with_warm(std::sync::Arc::new(MatchState::new()))
}
