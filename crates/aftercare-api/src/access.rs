//! Access control's wire types: login, the caller, accounts, trainings, API tokens,
//! electronic signatures (21 CFR Part 11), and the audit trail with its security alerts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Login credentials.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginDto {
    /// The login name.
    pub login: String,
    /// The password.
    pub password: String,
}

/// An account as others see it (never its password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountDto {
    /// The id.
    pub id: i64,
    /// The login name.
    pub login: String,
    /// The printed name shown in signatures.
    pub display_name: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// The customer organisation, for customers.
    pub organisation: Option<String>,
    /// Whether it is disabled.
    pub disabled: bool,
    /// Whether it is the workspace's local administrator.
    pub local_admin: bool,
    /// Failed logins in a row.
    pub failed_logins: i64,
    /// Locked until (RFC 3339, UTC), after too many failed logins.
    pub locked_until: Option<String>,
    /// When it was created.
    pub created_at: String,
}

impl From<&aftercare_store::account::AccountRow> for AccountDto {
    fn from(row: &aftercare_store::account::AccountRow) -> AccountDto {
        AccountDto {
            id: row.id,
            login: row.login.clone(),
            display_name: row.display_name.clone(),
            roles: row
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            organisation: row.organisation.clone(),
            disabled: row.disabled,
            local_admin: row.local_admin,
            failed_logins: row.failed_logins,
            locked_until: row.locked_until.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

/// The caller.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeDto {
    /// The account's id.
    pub account_id: i64,
    /// The login name.
    pub login: String,
    /// The printed name.
    pub display_name: String,
    /// The roles in force.
    pub roles: Vec<String>,
    /// The permissions those roles grant.
    pub permissions: Vec<String>,
    /// `session` or `token`.
    pub via: String,
    /// The customer organisation, for customers.
    pub organisation: Option<String>,
}

impl From<&aftercare_service::access::auth::Principal> for MeDto {
    fn from(principal: &aftercare_service::access::auth::Principal) -> MeDto {
        MeDto {
            account_id: principal.account_id,
            login: principal.login.clone(),
            display_name: principal.display_name.clone(),
            roles: principal
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            permissions: aftercare_model::Permission::ALL
                .iter()
                .filter(|p| principal.allows(**p))
                .map(|p| p.as_str().to_string())
                .collect(),
            via: match principal.via {
                aftercare_service::access::auth::Via::Session { .. } => "session",
                aftercare_service::access::auth::Via::Token { .. } => "token",
                aftercare_service::access::auth::Via::Local => "local",
            }
            .to_string(),
            organisation: principal.organisation.clone(),
        }
    }
}

/// A new account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewAccountDto {
    /// The login name.
    pub login: String,
    /// The printed name shown in signatures.
    pub display_name: String,
    /// The initial password (at least 10 characters).
    pub password: String,
    /// Its roles (`administrator`, `security-analyst`, `reviewer`, `release-engineer`,
    /// `viewer`, `customer`).
    pub roles: Vec<String>,
    /// The organisation, for customer accounts.
    #[serde(default)]
    pub organisation: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountChangeDto {
    /// New roles.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Disable or enable.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// New organisation (customers).
    #[serde(default)]
    pub organisation: Option<String>,
}

/// A completed training (21 CFR 11.10(i)).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingDto {
    /// The topic.
    pub topic: String,
    /// When it was completed (`YYYY-MM-DD`).
    pub completed_on: String,
    /// When it expires (`YYYY-MM-DD`), if it does.
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// A new API token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewTokenDto {
    /// Its name.
    pub name: String,
    /// Its roles (default: all of the account's).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Days until it expires (default: never).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Another account it acts for (administrators only).
    #[serde(default)]
    pub account: Option<String>,
}

/// An API token (the secret only in the creation response).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenDto {
    /// The id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The secret's first characters.
    pub prefix: String,
    /// The account it acts for.
    pub account_id: i64,
    /// Its roles.
    pub roles: Vec<String>,
    /// When it was created.
    pub created_at: String,
    /// When it expires.
    pub expires_at: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// When it was last used.
    pub last_used_at: Option<String>,
    /// The secret: shown once, when the token is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&aftercare_store::session::TokenRow> for TokenDto {
    fn from(row: &aftercare_store::session::TokenRow) -> TokenDto {
        TokenDto {
            id: row.id,
            name: row.name.clone(),
            prefix: row.prefix.clone(),
            account_id: row.account_id,
            roles: row
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            created_at: row.created_at.clone(),
            expires_at: row.expires_at.clone(),
            revoked_at: row.revoked_at.clone(),
            last_used_at: row.last_used_at.clone(),
            secret: None,
        }
    }
}

/// One audit event with its chain links.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventDto {
    /// Position in the chain.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (`user:alice`, `token:ci`, `system:feed-sync`).
    pub actor: String,
    /// What was done.
    pub action: String,
    /// The kind of record.
    pub entity_type: String,
    /// Its id.
    pub entity_id: Option<String>,
    /// The value before (JSON text).
    pub old_value: Option<String>,
    /// The value after (JSON text).
    pub new_value: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

impl From<&aftercare_store::audit::StoredAuditEvent> for AuditEventDto {
    fn from(stored: &aftercare_store::audit::StoredAuditEvent) -> AuditEventDto {
        let event = &stored.event;
        AuditEventDto {
            seq: event.seq,
            at: event.at.clone(),
            actor: event.actor.clone(),
            action: event.action.clone(),
            entity_type: event.entity_type.clone(),
            entity_id: event.entity_id.clone(),
            old_value: event.old_value.clone(),
            new_value: event.new_value.clone(),
            reason: event.reason.clone(),
            request_id: event.request_id.clone(),
            prev_hash: stored.prev_hash.clone(),
            hash: stored.hash.clone(),
        }
    }
}

/// The result of verifying the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerificationDto {
    /// Whether every link verified and the chain ends at its head.
    pub intact: bool,
    /// Events checked.
    pub events: i64,
    /// The head's sequence number.
    pub head_seq: i64,
    /// The head's hash (keep a copy outside aftercare to detect a rewritten chain).
    pub head_hash: String,
    /// The first broken event, if any.
    pub broken_at: Option<i64>,
    /// What is wrong there.
    pub reason: Option<String>,
    /// Signatures compared with their chained `signature.sign` events.
    #[serde(default)]
    pub signatures_checked: i64,
    /// The signatures that do not match their event: signer, meaning, time, record or content
    /// digest edited in the database, or a signature added or removed there.
    #[serde(default)]
    pub signature_mismatches: Vec<SignatureMismatchDto>,
}

/// A signature that its chained audit event does not vouch for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignatureMismatchDto {
    /// The signature's id.
    pub signature_id: i64,
    /// The kind of signed record.
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// What differs.
    pub reason: String,
}

impl From<&aftercare_service::audit::Verification> for AuditVerificationDto {
    fn from(v: &aftercare_service::audit::Verification) -> AuditVerificationDto {
        AuditVerificationDto {
            intact: v.is_intact(),
            events: v.events,
            head_seq: v.head.seq,
            head_hash: v.head.hash.clone(),
            broken_at: v.broken.as_ref().map(|b| b.seq),
            reason: v.broken.as_ref().map(|b| b.reason.clone()),
            signatures_checked: v.signatures_checked,
            signature_mismatches: v
                .signature_mismatches
                .iter()
                .map(|m| SignatureMismatchDto {
                    signature_id: m.signature_id,
                    entity_type: m.entity_type.clone(),
                    entity_id: m.entity_id.clone(),
                    reason: m.reason.clone(),
                })
                .collect(),
        }
    }
}

/// A security alert.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertDto {
    /// The id.
    pub id: i64,
    /// When.
    pub at: String,
    /// What kind.
    pub kind: String,
    /// The account concerned.
    pub account_id: Option<i64>,
    /// What happened.
    pub message: String,
}

impl From<&aftercare_store::alert::AlertRow> for AlertDto {
    fn from(row: &aftercare_store::alert::AlertRow) -> AlertDto {
        AlertDto {
            id: row.id,
            at: row.at.clone(),
            kind: row.kind.clone(),
            account_id: row.account_id,
            message: row.message.clone(),
        }
    }
}

/// An electronic signature with its manifestation and whether it still matches its record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignatureDto {
    /// The id.
    pub id: i64,
    /// The signer's account.
    pub account_id: i64,
    /// The signer's printed name at signing time.
    pub printed_name: String,
    /// The meaning.
    pub meaning: String,
    /// When (RFC 3339, UTC).
    pub signed_at: String,
    /// SHA-256 of the content signed.
    pub content_sha256: String,
    /// `valid`, or `content-changed` when the record changed after signing.
    pub state: String,
    /// The manifestation shown with the record (21 CFR 11.50).
    pub manifestation: String,
    /// The signer's comment.
    pub reason: Option<String>,
}

impl From<&aftercare_service::access::signature::SignatureView> for SignatureDto {
    fn from(view: &aftercare_service::access::signature::SignatureView) -> SignatureDto {
        let s = &view.signature;
        SignatureDto {
            id: s.id,
            account_id: s.account_id,
            printed_name: s.printed_name.clone(),
            meaning: s.meaning.clone(),
            signed_at: s.signed_at.clone(),
            content_sha256: s.content_sha256.clone(),
            state: view.state.as_str().to_string(),
            manifestation: aftercare_service::access::signature::manifestation(s),
            reason: s.reason.clone(),
        }
    }
}

/// A signature request: the signer's credentials and the meaning.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignDto {
    /// The signer's login (required at the first signing of a session).
    #[serde(default)]
    pub login: Option<String>,
    /// The signer's password (always required).
    pub password: String,
    /// `authorship`, `review`, `approval` or `responsibility`.
    pub meaning: String,
    /// A comment.
    #[serde(default)]
    pub reason: Option<String>,
}
