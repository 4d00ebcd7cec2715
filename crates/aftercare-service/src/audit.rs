//! The one function every mutation writes its audit event through.

use aftercare_store::Tx;
use aftercare_store::audit::{self, NewAuditEvent};

use crate::{Context, ServiceError};

/// An audit record of one change, before it is chained.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// What was done (`product.create`).
    pub action: &'a str,
    /// The kind of record.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: Option<String>,
    /// The value before (JSON).
    pub old_value: Option<serde_json::Value>,
    /// The value after (JSON).
    pub new_value: Option<serde_json::Value>,
}

/// Appends the audit event of a change in the caller's transaction.
pub async fn record(
    tx: &mut Tx,
    context: &Context,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    audit::append(
        tx,
        NewAuditEvent {
            actor: context.actor.to_string(),
            action: change.action.to_string(),
            entity_type: change.entity_type.to_string(),
            entity_id: change.entity_id,
            old_value: change.old_value.map(|v| v.to_string()),
            new_value: change.new_value.map(|v| v.to_string()),
            reason: context.reason.clone(),
            request_id: context.request_id.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The sequence number of the first event that does not verify (for a removed tail, the
    /// head's sequence number).
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

/// The result of walking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Events checked.
    pub events: i64,
    /// The head kept outside the events table.
    pub head: aftercare_store::audit::AuditHead,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

impl Verification {
    /// Whether the whole chain verified.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Walks the whole audit chain: every event's hash is recomputed from its stored fields and
/// the previous hash; sequence numbers must be contiguous (a deleted event leaves a gap);
/// the last event must be the head kept outside the table (removing the newest events is
/// caught there). Stops at the first broken link.
pub async fn verify(workspace: &crate::Workspace) -> Result<Verification, ServiceError> {
    const PAGE: i64 = 20_000;
    let pool = workspace.store().pool();
    let head = aftercare_store::audit::head(pool).await?;
    let mut previous_hash = aftercare_model::audit::GENESIS_HASH.to_string();
    let mut previous_seq = 0;
    let mut events = 0;
    loop {
        let page = audit::page(pool, previous_seq, PAGE).await?;
        if page.is_empty() {
            break;
        }
        // Hashing is CPU work: do a page off the async runtime.
        let start_hash = previous_hash.clone();
        let start_seq = previous_seq;
        let checked = tokio::task::spawn_blocking(move || check_page(&page, start_seq, start_hash))
            .await
            .map_err(|_| ServiceError::Background {
                operation: "verify the audit chain",
            })?;
        events += checked.count;
        if let Some(broken) = checked.broken {
            return Ok(Verification {
                events,
                head,
                broken: Some(broken),
            });
        }
        previous_seq = checked.last_seq;
        previous_hash = checked.last_hash;
    }
    let broken = if head.seq != previous_seq || head.hash != previous_hash {
        Some(BrokenLink {
            seq: head.seq,
            reason: format!(
                "the chain ends at event {previous_seq} but its head (kept outside the events \
                 table) says {}: events were removed from the end or the head was altered",
                head.seq
            ),
        })
    } else {
        None
    };
    Ok(Verification {
        events,
        head,
        broken,
    })
}

struct CheckedPage {
    count: i64,
    last_seq: i64,
    last_hash: String,
    broken: Option<BrokenLink>,
}

fn check_page(
    page: &[aftercare_store::audit::StoredAuditEvent],
    mut previous_seq: i64,
    mut previous_hash: String,
) -> CheckedPage {
    let mut count = 0;
    for stored in page {
        count += 1;
        let seq = stored.event.seq;
        let broken = |reason: String| CheckedPage {
            count,
            last_seq: previous_seq,
            last_hash: previous_hash.clone(),
            broken: Some(BrokenLink { seq, reason }),
        };
        if seq != previous_seq + 1 {
            return broken(format!(
                "event {} is missing: the chain jumps from {previous_seq} to {seq}",
                previous_seq + 1
            ));
        }
        if stored.prev_hash != previous_hash {
            return broken(format!(
                "event {seq} does not link to event {previous_seq}: its stored previous hash \
                 differs from that event's hash"
            ));
        }
        let recomputed = stored.event.chain_hash(&previous_hash);
        if recomputed != stored.hash {
            return broken(format!(
                "event {seq} was altered: its content no longer gives its stored hash"
            ));
        }
        previous_seq = seq;
        previous_hash = recomputed;
    }
    CheckedPage {
        count,
        last_seq: previous_seq,
        last_hash: previous_hash,
        broken: None,
    }
}

/// Audits a refused request (an unauthorized attempt) in its own transaction.
pub async fn access_denied(
    workspace: &crate::Workspace,
    context: &Context,
    detail: serde_json::Value,
) -> Result<(), ServiceError> {
    let mut tx = workspace.store().begin().await?;
    record(
        &mut tx,
        context,
        Change {
            action: "access.denied",
            entity_type: "request",
            entity_id: None,
            old_value: None,
            new_value: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
