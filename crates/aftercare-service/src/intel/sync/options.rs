//! What the caller of a sync hands it, shared by the run and its parts: the options
//! ([`SyncOptions`]: batch size, caps, NVD pacing, the lease, cancellation, the wall clock),
//! the observer of its progress ([`Progress`]), and the lease's times read from that clock.
//! It sits beside the parts rather than in `mod.rs` so that the applier and the producer can
//! read the options without importing the run that ties them together.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use aftercare_intel::Limits;

use crate::access::auth::Secret;

/// How syncs run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Records per transaction. Larger batches are faster; smaller ones lose less work when
    /// interrupted.
    pub batch_records: usize,
    /// Caps on archives and documents.
    pub limits: Limits,
    /// The NVD API key (`AFTERCARE_NVD_API_KEY`), sent as the `apiKey` header.
    pub nvd_api_key: Option<Secret>,
    /// The pause between NVD requests; by default 6 s without a key and 0.6 s with one, as
    /// NVD's rate limits require.
    pub nvd_request_delay: Option<Duration>,
    /// Results per NVD page (NVD allows at most 2,000).
    pub nvd_page_size: u32,
    /// The timeout of one HTTP request, body included.
    pub http_timeout: Duration,
    /// How long a claimed feed stays leased without a sign of life (renewed every third of it
    /// while the sync runs): a sync killed with its process lets another start after this.
    pub lease: Duration,
    /// This node's name in leases.
    pub owner: String,
    /// Stop after this many committed batches, leaving the run open (tests of resumption).
    pub stop_after_batches: Option<i64>,
    /// Set to stop between batches (graceful shutdown); the run stays open and resumes.
    pub cancel: Arc<AtomicBool>,
    /// The wall clock, set by the shell (tests fix it). Everything a sync writes is stamped
    /// with its use case's instant (`Context::now`), but a sync can last hours: its lease must
    /// be renewed against real time, or another node would take the feed while it still runs,
    /// and the run's end (`finished_at`, the feed's `last_success_at`, from which the next due
    /// sync is counted) is when it really ended. Those read this clock.
    pub clock: fn() -> jiff::Timestamp,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            batch_records: 5_000,
            limits: Limits::default(),
            nvd_api_key: None,
            nvd_request_delay: None,
            nvd_page_size: 2_000,
            http_timeout: Duration::from_secs(600),
            lease: Duration::from_secs(90),
            owner: format!("node-{}-{:08x}", std::process::id(), rand::random::<u32>()),
            stop_after_batches: None,
            cancel: Arc::new(AtomicBool::new(false)),
            clock: jiff::Timestamp::now,
        }
    }
}

/// Receives progress while a sync runs (the CLI draws a progress line from it).
pub trait Progress: Send + Sync {
    /// Documents read and records applied so far in this sync.
    fn advanced(&self, feed: &str, documents: i64, records: i64);
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advanced(&self, _feed: &str, _documents: i64, _records: i64) {}
}

/// A lease's start and end, from the sync's clock (real time: see [`SyncOptions::clock`]).
pub(super) fn lease_times(options: &SyncOptions) -> (String, String) {
    let now = (options.clock)();
    let until = now
        .checked_add(
            jiff::SignedDuration::try_from(options.lease)
                .unwrap_or(jiff::SignedDuration::from_secs(600)),
        )
        .unwrap_or(now);
    (
        aftercare_store::timestamp_text(now),
        aftercare_store::timestamp_text(until),
    )
}
