//! The workspace's policy: versioned TOML, validated before it is stored, changed only with
//! an electronic signature (by default), its digest recorded with every clock it drives.
//!
//! A revision stored by an earlier version of aftercare may no longer load (format 1, before
//! issue 12's format 2): [`current`] then says what to do, and [`change`] lets a signed format 2
//! revision replace it, recording the old row's id, version and digest as stored.

use aftercare_model::Permission;
use aftercare_risk::Policy;
use aftercare_store::policy::{self as stored, PolicyRow};
use jiff::Timestamp;

use crate::access::auth::{AccessSettings, Principal};
use crate::access::signature::{self, SignRequest, Signable, SignatureView};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// The policy in force and its stored revision (`None` before any revision was stored:
/// the built-in default applies).
#[derive(Debug, Clone)]
pub struct CurrentPolicy {
    /// The validated policy.
    pub policy: Policy,
    /// Its stored revision.
    pub revision: Option<PolicyRow>,
}

fn invalid(error: aftercare_risk::RiskError) -> ServiceError {
    ServiceError::rule("policy", error)
}

/// Loads a stored revision; a revision this version cannot read is
/// [`ServiceError::PolicyUnreadable`], whose message says how to replace it.
fn load(row: &PolicyRow) -> Result<Policy, ServiceError> {
    Policy::from_toml(&row.source, &format!("policy revision {}", row.revision)).map_err(|e| {
        ServiceError::PolicyUnreadable {
            revision: row.revision,
            policy: format!("{} version {}", row.policy_id, row.policy_version).into(),
            source: e.into(),
        }
    })
}

/// The policy in force.
pub async fn current(workspace: &Workspace) -> Result<CurrentPolicy, ServiceError> {
    match stored::current(workspace.store().pool()).await? {
        Some(row) => Ok(CurrentPolicy {
            policy: load(&row)?,
            revision: Some(row),
        }),
        None => Ok(CurrentPolicy {
            policy: Policy::builtin().map_err(invalid)?,
            revision: None,
        }),
    }
}

/// The policy in force as people see it: with the signatures of its revision (21 CFR 11.50:
/// the manifestation is shown with every signed record).
#[derive(Debug, Clone)]
pub struct SignedPolicy {
    /// The policy and its revision.
    pub current: CurrentPolicy,
    /// The signatures of the revision, each checked against its stored text.
    pub signatures: Vec<SignatureView>,
}

/// The policy in force with its signatures.
pub async fn current_signed(workspace: &Workspace) -> Result<SignedPolicy, ServiceError> {
    let current = current(workspace).await?;
    let signatures = match &current.revision {
        Some(row) => revision_signatures(workspace, row).await?,
        None => Vec::new(),
    };
    Ok(SignedPolicy {
        current,
        signatures,
    })
}

/// The signatures of a stored revision: a policy change signs the revision's TOML text.
async fn revision_signatures(
    workspace: &Workspace,
    row: &PolicyRow,
) -> Result<Vec<SignatureView>, ServiceError> {
    signature::signatures(
        workspace,
        "policy",
        &row.revision.to_string(),
        row.source.as_bytes(),
    )
    .await
}

/// Checks a policy file without storing it.
pub fn check(text: &str, origin: &str) -> Result<Policy, ServiceError> {
    Policy::from_toml(text, origin).map_err(invalid)
}

/// Stores the built-in default as the first revision (at `init`), in the caller's
/// transaction.
pub(crate) async fn store_builtin(
    tx: &mut aftercare_store::Tx,
    context: &Context,
) -> Result<PolicyRow, ServiceError> {
    let policy = Policy::builtin().map_err(invalid)?;
    let row = insert(
        tx,
        context,
        &policy,
        aftercare_risk::policy::DEFAULT_POLICY_TOML,
        Some("built-in default policy"),
    )
    .await?;
    audit::record(
        tx,
        context,
        Change {
            action: AuditAction::PolicyInit,
            entity_type: "policy",
            entity_id: Some(row.revision.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "revision": row.revision,
                "id": row.policy_id,
                "version": row.policy_version,
                "digest": row.digest,
            })),
        },
    )
    .await?;
    Ok(row)
}

async fn insert(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    policy: &Policy,
    text: &str,
    reason: Option<&str>,
) -> Result<PolicyRow, ServiceError> {
    let row = stored::insert(
        tx,
        &PolicyRow {
            id: 0,
            revision: 0,
            policy_id: policy.id().to_string(),
            policy_version: policy.version().to_string(),
            digest: policy.digest().to_hex(),
            source_sha256: policy.source_digest().to_hex(),
            source: text.to_string(),
            created_at: String::new(),
            created_by: context.actor.to_string(),
            reason: reason.map(str::to_string),
        },
        &context.at(),
    )
    .await?;
    Ok(row)
}

/// A policy change.
#[derive(Debug, Clone)]
pub struct PolicyChange {
    /// The new policy's TOML text.
    pub text: String,
    /// Why it changes.
    pub reason: String,
    /// The signer's credentials and meaning (required when the workspace requires a
    /// signature for `policy.change`, the default).
    pub signature: Option<SignRequest>,
}

/// The revision in force before a change, as far as it can be read (a policy is large: boxed).
enum Previous {
    /// None stored: the built-in default was in force.
    Builtin(Box<Policy>),
    /// A revision this version reads.
    Readable(PolicyRow, Box<Policy>),
    /// A revision this version cannot read (format 1), and why.
    Unreadable(PolicyRow, String),
}

impl Previous {
    fn revision(&self) -> Option<i64> {
        match self {
            Previous::Builtin(_) => None,
            Previous::Readable(row, _) | Previous::Unreadable(row, _) => Some(row.revision),
        }
    }

    /// What the audit event records as the old value: the policy's id, version and digest —
    /// for an unreadable revision, as its row stored them.
    fn audit_value(&self) -> serde_json::Value {
        match self {
            Previous::Builtin(policy) | Previous::Readable(_, policy) => serde_json::json!({
                "revision": self.revision(),
                "id": policy.id(),
                "version": policy.version(),
                "digest": policy.digest().to_hex(),
            }),
            Previous::Unreadable(row, reason) => serde_json::json!({
                "revision": row.revision,
                "id": row.policy_id,
                "version": row.policy_version,
                "digest": row.digest,
                "unreadable": reason,
            }),
        }
    }
}

/// Changes the policy: validates the new text, stores it as the next revision and, when the
/// workspace requires it, records the changer's electronic signature bound to the text.
///
/// A revision in force that this version cannot read (format 1) can be replaced too, but only
/// with a signature whatever the workspace's settings: nothing can be compared with it, so a
/// person takes responsibility for the replacement.
pub async fn change(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    change: &PolicyChange,
    now: Timestamp,
) -> Result<PolicyRow, ServiceError> {
    principal.require(Permission::PolicyWrite)?;
    if change.reason.trim().len() < 10 {
        return Err(ServiceError::invalid(
            "reason",
            "say why the policy changes (at least 10 characters)",
        ));
    }
    let policy = check(&change.text, "the new policy")?;
    let old = match stored::current(workspace.store().pool()).await? {
        None => Previous::Builtin(Box::new(Policy::builtin().map_err(invalid)?)),
        Some(row) => match load(&row) {
            Ok(loaded) => Previous::Readable(row, Box::new(loaded)),
            Err(ServiceError::PolicyUnreadable { source, .. }) => {
                let reason = source.to_string();
                Previous::Unreadable(row, reason)
            }
            Err(other) => return Err(other),
        },
    };
    if let Previous::Builtin(old) | Previous::Readable(_, old) = &old
        && old.digest() == policy.digest()
    {
        return Err(ServiceError::invalid(
            "policy",
            "the new policy has the same content (canonical digest) as the one in force",
        ));
    }
    let settings = AccessSettings::load(workspace).await?;
    let next_revision = old.revision().map_or(1, |r| r + 1);
    let entity_id = next_revision.to_string();
    let signable = Signable {
        entity_type: "policy",
        entity_id: entity_id.clone(),
        content: change.text.as_bytes(),
        author_account_id: None,
    };
    let replaces_unreadable = matches!(old, Previous::Unreadable(..));
    let signer = if replaces_unreadable
        || settings
            .signature_required_for
            .iter()
            .any(|a| a == "policy.change")
    {
        let request = change.signature.as_ref().ok_or_else(|| ServiceError::SignatureRefused {
            reason: "changing the policy requires your electronic signature (login, password, meaning)".into(),
        })?;
        Some(
            signature::verify_signer(workspace, context, principal, &signable, request, now)
                .await?,
        )
    } else {
        None
    };
    let mut tx = workspace.store().begin().await?;
    let row = insert(
        &mut tx,
        context,
        &policy,
        &change.text,
        Some(change.reason.trim()),
    )
    .await?;
    if let Some(signer) = &signer {
        signature::record(&mut tx, context, signer, &signable).await?;
    }
    audit::record(
        &mut tx,
        &context
            .clone()
            .with_reason(Some(change.reason.trim().to_string())),
        Change {
            action: AuditAction::PolicyChange,
            entity_type: "policy",
            entity_id: Some(row.revision.to_string()),
            old_value: Some(old.audit_value()),
            new_value: Some(serde_json::json!({
                "revision": row.revision,
                "id": row.policy_id,
                "version": row.policy_version,
                "digest": row.digest,
                "source_sha256": row.source_sha256,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// A stored revision as people see it.
#[derive(Debug, Clone)]
pub struct PolicyRevision {
    /// The stored row.
    pub row: PolicyRow,
    /// The policy, when this version can read it.
    pub policy: Option<Policy>,
    /// Why it cannot be read (a format 1 revision), when it cannot.
    pub unreadable: Option<String>,
    /// Its signatures (21 CFR 11.50), each checked against the stored text.
    pub signatures: Vec<SignatureView>,
}

/// Every stored revision, newest first, with its signatures; a revision this version cannot
/// read is listed as such rather than failing the whole history.
pub async fn history(workspace: &Workspace) -> Result<Vec<PolicyRevision>, ServiceError> {
    let rows = stored::history(workspace.store().pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (policy, unreadable) = match load(&row) {
            Ok(policy) => (Some(policy), None),
            Err(ServiceError::PolicyUnreadable { source, .. }) => (None, Some(source.to_string())),
            Err(other) => return Err(other),
        };
        let signatures = revision_signatures(workspace, &row).await?;
        out.push(PolicyRevision {
            row,
            policy,
            unreadable,
            signatures,
        });
    }
    Ok(out)
}
