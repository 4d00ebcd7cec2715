//! Electronic signatures under 21 CFR Part 11.
//!
//! A signature needs the signer's password in the same request — and, at the first signing
//! of a session (or from the command line), the login too (11.200(a)(1)). Only people sign,
//! never API tokens (11.200). The signature holds the signer's printed name as it is at
//! signing time, the UTC time, the meaning (11.50), and the SHA-256 of the signed record's
//! canonical content, which binds it to that exact content (11.70): any later change shows
//! the signature as no longer matching. Refused attempts are audited; after N in a row a
//! security alert is raised (11.300(d)).
//!
//! Signing is split in two so that the signature commits with the action it approves:
//! [`verify_signer`] checks everything (and records a refusal in its own transaction), then
//! the use case calls [`record`] inside its transaction.

use std::fmt;
use std::str::FromStr;

use aftercare_model::{Permission, Sha256};
use aftercare_store::Tx;
use aftercare_store::account as stored_account;
use aftercare_store::session;
use aftercare_store::signature::{self as stored, SignatureRow};
use jiff::Timestamp;

use crate::access::auth::{AccessSettings, Principal, Via};
use crate::access::password::{Password, verify_password};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// What a signature means (21 CFR 11.50(a)(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// I wrote this.
    Authorship,
    /// I reviewed this.
    Review,
    /// I approve this.
    Approval,
    /// I take responsibility for this.
    Responsibility,
}

impl Meaning {
    /// Every meaning, in the order a form offers them.
    pub const ALL: &'static [Meaning] = &[
        Meaning::Authorship,
        Meaning::Review,
        Meaning::Approval,
        Meaning::Responsibility,
    ];

    /// The meaning's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Meaning::Authorship => "authorship",
            Meaning::Review => "review",
            Meaning::Approval => "approval",
            Meaning::Responsibility => "responsibility",
        }
    }
}

impl fmt::Display for Meaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Meaning {
    type Err = ServiceError;

    fn from_str(input: &str) -> Result<Meaning, ServiceError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "authorship" => Ok(Meaning::Authorship),
            "review" => Ok(Meaning::Review),
            "approval" => Ok(Meaning::Approval),
            "responsibility" => Ok(Meaning::Responsibility),
            _ => Err(ServiceError::invalid(
                "signature meaning",
                "expected authorship, review, approval or responsibility",
            )),
        }
    }
}

/// The signer's credentials and statement.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The login, required at the first signing of a session and from the command line.
    pub login: Option<String>,
    /// The password, always required.
    pub password: Password,
    /// The meaning.
    pub meaning: Meaning,
    /// A comment.
    pub reason: Option<String>,
}

/// The record being signed.
#[derive(Debug, Clone)]
pub struct Signable<'a> {
    /// The kind of record (`determination`, `clock`, `policy`).
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: String,
    /// Its canonical content, as the record's module defines it.
    pub content: &'a [u8],
    /// The account that authored the record, for segregation of duties.
    pub author_account_id: Option<i64>,
}

/// A signer whose credentials and rights were checked, ready to be recorded.
#[derive(Debug, Clone)]
pub struct VerifiedSigner {
    account_id: i64,
    login: String,
    printed_name: String,
    meaning: Meaning,
    reason: Option<String>,
    session_id: Option<i64>,
    signed_at: Timestamp,
}

impl VerifiedSigner {
    /// The signer's printed name as it is at signing time.
    pub fn printed_name(&self) -> &str {
        &self.printed_name
    }

    /// The signer's login.
    pub fn login(&self) -> &str {
        &self.login
    }
}

/// Checks a signer: a person (session or local command, never a token), holding the
/// signing permission, with the right credentials, a current training if the workspace
/// requires one, and — when segregation of duties is on — not approving their own record.
/// A refusal is audited in its own transaction before the error is returned.
pub async fn verify_signer(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    signable: &Signable<'_>,
    request: &SignRequest,
    now: Timestamp,
) -> Result<VerifiedSigner, ServiceError> {
    let settings = AccessSettings::load(workspace).await?;
    let (session_id, first_in_session) = match principal.via {
        Via::Session { id, signed } => (Some(id), !signed),
        Via::Local => (None, true),
        Via::Token { .. } => {
            return refuse(
                workspace,
                context,
                principal,
                signable,
                "only people sign: API tokens cannot sign, log in with a session",
                false,
                &settings,
            )
            .await;
        }
    };
    if !principal.allows(Permission::RecordSign) {
        return refuse(
            workspace,
            context,
            principal,
            signable,
            "your roles do not include signing (permission record.sign)",
            false,
            &settings,
        )
        .await;
    }
    if first_in_session {
        match request.login.as_deref().map(str::trim) {
            Some(login) if login == principal.login => {}
            Some(_) => {
                return refuse(
                    workspace,
                    context,
                    principal,
                    signable,
                    "the login does not match the signed-in person",
                    true,
                    &settings,
                )
                .await;
            }
            None => {
                return refuse(
                    workspace,
                    context,
                    principal,
                    signable,
                    "the first signature of a session needs your login and password",
                    false,
                    &settings,
                )
                .await;
            }
        }
    }
    let account = stored_account::by_id(workspace.store().pool(), principal.account_id)
        .await?
        .ok_or(ServiceError::Unauthenticated {
            reason: "unknown account",
        })?;
    if !verify_password(&request.password, &account.password_hash).await? {
        return refuse(
            workspace,
            context,
            principal,
            signable,
            "wrong password",
            true,
            &settings,
        )
        .await;
    }
    if let Some(topic) = &settings.signing_training {
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
        let trainings =
            aftercare_store::training::of_account(workspace.store().pool(), account.id).await?;
        let current = trainings.iter().any(|t| {
            &t.topic == topic
                && t.completed_on <= today
                && t.expires_on
                    .as_deref()
                    .is_none_or(|end| end >= today.as_str())
        });
        if !current {
            let reason = format!(
                "signing requires a current training in `{topic}`; none is recorded for `{}` \
                 (an administrator records it with `aftercare account training`)",
                account.login
            );
            return refuse(
                workspace, context, principal, signable, &reason, false, &settings,
            )
            .await;
        }
    }
    if settings.segregation_of_duties
        && request.meaning == Meaning::Approval
        && signable.author_account_id == Some(account.id)
    {
        return refuse(
            workspace,
            context,
            principal,
            signable,
            "segregation of duties: the author of a record cannot approve it",
            false,
            &settings,
        )
        .await;
    }
    Ok(VerifiedSigner {
        account_id: account.id,
        login: account.login.clone(),
        printed_name: account.display_name.clone(),
        meaning: request.meaning,
        reason: request.reason.clone().filter(|r| !r.trim().is_empty()),
        session_id,
        signed_at: now,
    })
}

/// Audits a signature refused before its credentials were checked (the record has open gaps,
/// the signer lacks the permission), in its own transaction: the attempt stays on record even
/// though the caller's change is refused.
pub(crate) async fn record_refusal(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    entity_type: &'static str,
    entity_id: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    let mut tx = workspace.store().begin().await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::SignatureRefused,
            entity_type,
            entity_id: Some(entity_id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "signer": principal.login,
                "reason": reason,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Audits a refused signature, counts credential failures and raises an alert after too
/// many in a row, then returns the refusal.
async fn refuse(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    signable: &Signable<'_>,
    reason: &str,
    credential_failure: bool,
    settings: &AccessSettings,
) -> Result<VerifiedSigner, ServiceError> {
    let mut tx = workspace.store().begin().await?;
    let failures = match stored_account::by_id(tx.conn(), principal.account_id).await? {
        Some(account) if credential_failure => {
            let failures = account.failed_signatures + 1;
            stored_account::set_failed_signatures(&mut tx, account.id, failures).await?;
            failures
        }
        Some(account) => account.failed_signatures,
        None => 0,
    };
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::SignatureRefused,
            entity_type: signable.entity_type,
            entity_id: Some(signable.entity_id.clone()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "signer": principal.login,
                "reason": reason,
                "failed_in_a_row": failures,
            })),
        },
    )
    .await?;
    if credential_failure && failures >= settings.signature_alert_after {
        let message = format!(
            "{failures} failed signature attempts in a row by `{}` (latest on {} {})",
            principal.login, signable.entity_type, signable.entity_id
        );
        aftercare_store::alert::raise(
            &mut tx,
            "signature.failures",
            Some(principal.account_id),
            &message,
            &context.at(),
        )
        .await?;
        audit::record(
            &mut tx,
            context,
            Change {
                action: AuditAction::SecurityAlert,
                entity_type: "account",
                entity_id: Some(principal.account_id.to_string()),
                old_value: None,
                new_value: Some(
                    serde_json::json!({"kind": "signature.failures", "message": message}),
                ),
            },
        )
        .await?;
        tracing::warn!(login = %principal.login, failures, "repeated failed signature attempts");
    }
    tx.commit().await?;
    Err(ServiceError::SignatureRefused {
        reason: reason.to_string(),
    })
}

/// Records a verified signature in the caller's transaction, bound to the record's content,
/// and audits it.
pub async fn record(
    tx: &mut Tx,
    context: &Context,
    signer: &VerifiedSigner,
    signable: &Signable<'_>,
) -> Result<SignatureRow, ServiceError> {
    let content_sha256 = Sha256::of(signable.content).to_hex();
    let row = stored::insert_signature(
        tx,
        &SignatureRow {
            id: 0,
            entity_type: signable.entity_type.to_string(),
            entity_id: signable.entity_id.clone(),
            account_id: signer.account_id,
            login: signer.login.clone(),
            printed_name: signer.printed_name.clone(),
            meaning: signer.meaning.as_str().to_string(),
            signed_at: aftercare_store::timestamp_text(signer.signed_at),
            content_sha256,
            reason: signer.reason.clone(),
        },
    )
    .await?;
    stored_account::set_failed_signatures(tx, signer.account_id, 0).await?;
    if let Some(session_id) = signer.session_id {
        session::mark_session_signed(tx, session_id).await?;
    }
    audit::record(
        tx,
        context,
        Change {
            action: AuditAction::SignatureSign,
            entity_type: signable.entity_type,
            entity_id: Some(signable.entity_id.clone()),
            old_value: None,
            // Every field of the row, so that `audit verify` can tell an edited row from
            // this chained record of it.
            new_value: Some(serde_json::json!({
                "signature_id": row.id,
                "account_id": row.account_id,
                "login": row.login,
                "printed_name": row.printed_name,
                "meaning": row.meaning,
                "signed_at": row.signed_at,
                "content_sha256": row.content_sha256,
            })),
        },
    )
    .await?;
    Ok(row)
}

/// Whether a signature still matches its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureState {
    /// The record's content is what was signed.
    Valid,
    /// The record changed after it was signed: the signature no longer applies.
    ContentChanged,
}

impl SignatureState {
    /// `valid` or `content-changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureState::Valid => "valid",
            SignatureState::ContentChanged => "content-changed",
        }
    }
}

/// A signature with its state against the record's current content.
#[derive(Debug, Clone)]
pub struct SignatureView {
    /// The stored signature.
    pub signature: SignatureRow,
    /// Whether it still matches.
    pub state: SignatureState,
}

/// The signatures of a record, each checked against the record's current content.
pub async fn signatures(
    workspace: &Workspace,
    entity_type: &str,
    entity_id: &str,
    current_content: &[u8],
) -> Result<Vec<SignatureView>, ServiceError> {
    let digest = Sha256::of(current_content).to_hex();
    let rows = stored::signatures_of(workspace.store().pool(), entity_type, entity_id).await?;
    Ok(rows
        .into_iter()
        .map(|signature| SignatureView {
            state: if signature.content_sha256 == digest {
                SignatureState::Valid
            } else {
                SignatureState::ContentChanged
            },
            signature,
        })
        .collect())
}

/// The signature manifestation of 21 CFR 11.50: printed name, date and time (UTC), meaning.
pub fn manifestation(signature: &SignatureRow) -> String {
    format!(
        "Signed by {} on {} (UTC) — {}",
        signature.printed_name,
        signature
            .signed_at
            .get(..19)
            .unwrap_or(&signature.signed_at)
            .replace('T', " "),
        signature.meaning
    )
}
