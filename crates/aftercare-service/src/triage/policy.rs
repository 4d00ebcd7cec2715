//! The workspace's policy: versioned TOML, validated before it is stored, changed only with
//! an electronic signature (by default), its digest recorded with every clock it drives.

use aftercare_model::Permission;
use aftercare_risk::Policy;
use aftercare_store::policy::{self as stored, PolicyRow};
use jiff::Timestamp;

use crate::access::auth::{AccessSettings, Principal};
use crate::access::signature::{self, SignRequest, Signable};
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

/// The policy in force.
pub async fn current(workspace: &Workspace) -> Result<CurrentPolicy, ServiceError> {
    match stored::current(workspace.store().pool()).await? {
        Some(row) => {
            let policy =
                Policy::from_toml(&row.source, &format!("policy revision {}", row.revision))
                    .map_err(invalid)?;
            Ok(CurrentPolicy {
                policy,
                revision: Some(row),
            })
        }
        None => Ok(CurrentPolicy {
            policy: Policy::builtin().map_err(invalid)?,
            revision: None,
        }),
    }
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

/// Changes the policy: validates the new text, stores it as the next revision and, when the
/// workspace requires it, records the changer's electronic signature bound to the text.
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
    let old = current(workspace).await?;
    if old.policy.digest() == policy.digest() {
        return Err(ServiceError::invalid(
            "policy",
            "the new policy has the same content (canonical digest) as the one in force",
        ));
    }
    let settings = AccessSettings::load(workspace).await?;
    let next_revision = old.revision.as_ref().map_or(1, |r| r.revision + 1);
    let entity_id = next_revision.to_string();
    let signable = Signable {
        entity_type: "policy",
        entity_id: entity_id.clone(),
        content: change.text.as_bytes(),
        author_account_id: None,
    };
    let signer = if settings
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
            old_value: Some(serde_json::json!({
                "revision": old.revision.as_ref().map(|r| r.revision),
                "id": old.policy.id(),
                "version": old.policy.version(),
                "digest": old.policy.digest().to_hex(),
            })),
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

/// Every stored revision, newest first.
pub async fn history(workspace: &Workspace) -> Result<Vec<PolicyRow>, ServiceError> {
    Ok(stored::history(workspace.store().pool()).await?)
}
