//! The one function every mutation writes its audit event through.

use aftercare_store::Tx;
use aftercare_store::audit::{self, NewAuditEvent};

use crate::{Context, ServiceError};

/// An audit record of one change, before it is chained.
#[derive(Debug, Clone)]
pub(crate) struct Change<'a> {
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
pub(crate) async fn record(
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
