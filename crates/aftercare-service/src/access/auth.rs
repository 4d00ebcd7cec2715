//! Authentication and authorization: login with throttling and lock-out, sessions, API
//! tokens, principals and their permissions, and the access settings.
//!
//! Secrets (session and token values) are random, shown once, and stored only as their
//! SHA-256; looking a secret up by its hash does not leak timing about the secret. Password
//! checks always run argon2, also for unknown logins, so that a response's timing does not
//! tell whether a login exists.

use aftercare_model::access::{self, Permission, Role};
use aftercare_model::{Actor, Sha256};
use aftercare_store::account::{self as stored_account, AccountRow};
use aftercare_store::session::{self, NewToken, TokenRow};
use aftercare_store::{alert, setting};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;

use crate::access::password::{Password, verify_password};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// The workspace's access settings (the `access` setting, JSON; defaults below).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessSettings {
    /// Failed logins in a row before the account is locked.
    pub max_failed_logins: i64,
    /// How long a lock lasts, in seconds.
    pub lockout_seconds: i64,
    /// A session ends after this long without use, in seconds.
    pub session_idle_seconds: i64,
    /// A session ends this long after login at the latest, in seconds.
    pub session_max_seconds: i64,
    /// Failed signature attempts in a row that raise a security alert.
    pub signature_alert_after: i64,
    /// Whether the author of a record may not approve it.
    pub segregation_of_duties: bool,
    /// A training topic that must be current for a person to sign, if any.
    pub signing_training: Option<String>,
    /// The actions that require an electronic signature.
    pub signature_required_for: Vec<String>,
}

impl Default for AccessSettings {
    fn default() -> AccessSettings {
        AccessSettings {
            max_failed_logins: 5,
            lockout_seconds: 15 * 60,
            session_idle_seconds: 30 * 60,
            session_max_seconds: 12 * 60 * 60,
            signature_alert_after: 3,
            segregation_of_duties: true,
            signing_training: None,
            signature_required_for: [
                "determination",
                "clock.waive",
                "patch.approve",
                "advisory.publish",
                "report.submit",
                "policy.change",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

const SETTINGS_KEY: &str = "access";

impl AccessSettings {
    /// The settings of a workspace: stored values over the defaults.
    pub async fn load(workspace: &Workspace) -> Result<AccessSettings, ServiceError> {
        let mut settings = AccessSettings::default();
        let Some(text) = setting::get(workspace.store().pool(), SETTINGS_KEY).await? else {
            return Ok(settings);
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
            ServiceError::invalid(
                "access settings",
                format!("stored JSON is unreadable: {error}"),
            )
        })?;
        let int = |key: &str| value.get(key).and_then(serde_json::Value::as_i64);
        if let Some(v) = int("max_failed_logins") {
            settings.max_failed_logins = v;
        }
        if let Some(v) = int("lockout_seconds") {
            settings.lockout_seconds = v;
        }
        if let Some(v) = int("session_idle_seconds") {
            settings.session_idle_seconds = v;
        }
        if let Some(v) = int("session_max_seconds") {
            settings.session_max_seconds = v;
        }
        if let Some(v) = int("signature_alert_after") {
            settings.signature_alert_after = v;
        }
        if let Some(v) = value.get("segregation_of_duties").and_then(|v| v.as_bool()) {
            settings.segregation_of_duties = v;
        }
        if let Some(v) = value.get("signing_training") {
            settings.signing_training = v.as_str().map(str::to_string);
        }
        if let Some(list) = value
            .get("signature_required_for")
            .and_then(|v| v.as_array())
        {
            settings.signature_required_for = list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
        }
        Ok(settings)
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "max_failed_logins": self.max_failed_logins,
            "lockout_seconds": self.lockout_seconds,
            "session_idle_seconds": self.session_idle_seconds,
            "session_max_seconds": self.session_max_seconds,
            "signature_alert_after": self.signature_alert_after,
            "segregation_of_duties": self.segregation_of_duties,
            "signing_training": self.signing_training,
            "signature_required_for": self.signature_required_for,
        })
    }

    /// Stores new settings (administrators only), audited with old and new values.
    pub async fn save(
        &self,
        workspace: &Workspace,
        context: &Context,
        principal: &Principal,
    ) -> Result<(), ServiceError> {
        principal.require(Permission::AccountManage)?;
        if self.max_failed_logins < 1 || self.lockout_seconds < 1 || self.signature_alert_after < 1
        {
            return Err(ServiceError::invalid(
                "access settings",
                "counts and durations must be at least 1",
            ));
        }
        let old = AccessSettings::load(workspace).await?;
        let mut tx = workspace.store().begin().await?;
        setting::set(
            &mut tx,
            SETTINGS_KEY,
            &self.to_json().to_string(),
            &context.at(),
        )
        .await?;
        audit::record(
            &mut tx,
            context,
            Change {
                action: AuditAction::SettingsAccessUpdate,
                entity_type: "settings",
                entity_id: Some(SETTINGS_KEY.to_string()),
                old_value: Some(old.to_json()),
                new_value: Some(self.to_json()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// How a principal proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A login session (people).
    Session {
        /// The session's id.
        id: i64,
        /// Whether the person has signed already in this session.
        signed: bool,
    },
    /// An API token (automation); tokens never sign.
    Token {
        /// The token's id.
        id: i64,
        /// The token's name.
        name: String,
    },
    /// A local workspace command run by whoever can open the workspace: its local
    /// administrator.
    Local,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account.
    pub account_id: i64,
    /// Its login.
    pub login: String,
    /// Its printed name.
    pub display_name: String,
    /// The roles in force (a token's roles, or the account's).
    pub roles: Vec<Role>,
    /// The customer organisation, for customers.
    pub organisation: Option<String>,
    /// How it authenticated.
    pub via: Via,
}

impl Principal {
    /// The actor recorded in audit events.
    pub fn actor(&self) -> Actor {
        match &self.via {
            Via::Token { id, name } => Actor::Token {
                id: *id,
                name: name.clone(),
            },
            Via::Session { .. } | Via::Local => Actor::User {
                id: self.account_id,
                login: self.login.clone(),
            },
        }
    }

    /// Whether the principal holds a permission.
    pub fn allows(&self, permission: Permission) -> bool {
        access::allows(&self.roles, permission)
    }

    /// Refuses unless the principal holds a permission.
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.allows(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden { permission })
        }
    }

    /// The principal of a local command: the workspace's local administrator.
    pub fn local(account: &AccountRow) -> Result<Principal, ServiceError> {
        Ok(Principal {
            account_id: account.id,
            login: account.login.clone(),
            display_name: account.display_name.clone(),
            roles: roles_of(account)?,
            organisation: account.organisation.clone(),
            via: Via::Local,
        })
    }
}

fn roles_of(account: &AccountRow) -> Result<Vec<Role>, ServiceError> {
    access::parse_roles(&account.roles).map_err(|error| ServiceError::rule("roles", error))
}

/// A secret shown once to its owner: a session cookie value or an API token.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret's text, to hand to the caller once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Wraps a secret received from a caller.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    fn generate(prefix: &str) -> Secret {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let mut text = String::with_capacity(prefix.len() + 64);
        text.push_str(prefix);
        for byte in bytes {
            text.push_str(&format!("{byte:02x}"));
        }
        Secret(text)
    }

    fn digest(&self) -> String {
        Sha256::of(self.0.as_bytes()).to_hex()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The prefix of session secrets.
pub const SESSION_PREFIX: &str = "afs_";
/// The prefix of API token secrets.
pub const TOKEN_PREFIX: &str = "aft_";

fn text(timestamp: Timestamp) -> String {
    aftercare_store::timestamp_text(timestamp)
}

fn parse_time(stored: &str) -> Option<Timestamp> {
    stored.parse().ok()
}

/// Spends the time of one argon2 computation, so that refusing an unknown login or a locked
/// account costs what checking a real password costs.
async fn equalize_timing(password: &Password) -> Result<(), ServiceError> {
    crate::access::password::hash_password(password)
        .await
        .map(|_| ())
}

/// Logs a person in: checks the lock, the password, and the account; counts failures and
/// locks the account after too many in a row. Returns the session secret (for the cookie).
pub async fn login(
    workspace: &Workspace,
    login: &str,
    password: &Password,
    now: Timestamp,
    request_id: Option<String>,
) -> Result<(Secret, Principal), ServiceError> {
    let settings = AccessSettings::load(workspace).await?;
    let pool = workspace.store().pool();
    let Some(account) = stored_account::by_login(pool, login.trim()).await? else {
        equalize_timing(password).await?;
        return Err(ServiceError::Unauthenticated {
            reason: "invalid login or password",
        });
    };
    let context = Context {
        actor: Actor::User {
            id: account.id,
            login: account.login.clone(),
        },
        now,
        request_id,
        reason: None,
    };
    if let Some(until) = account.locked_until.as_deref().and_then(parse_time)
        && until > now
    {
        // Refuse without looking at the password: a locked account gives attackers nothing.
        equalize_timing(password).await?;
        return Err(ServiceError::LockedOut {
            until: text(until),
            retry_after_seconds: (until.as_second() - now.as_second()).max(1),
        });
    }
    let valid = verify_password(password, &account.password_hash).await?;
    let mut tx = workspace.store().begin().await?;
    if !valid || account.disabled {
        let failures = account.failed_logins + 1;
        let lock = (failures >= settings.max_failed_logins)
            .then(|| text(now + SignedDuration::from_secs(settings.lockout_seconds)));
        stored_account::record_login_failure(&mut tx, account.id, lock.as_deref()).await?;
        audit::record(
            &mut tx,
            &context,
            Change {
                action: AuditAction::AuthLoginFailed,
                entity_type: "account",
                entity_id: Some(account.id.to_string()),
                old_value: None,
                new_value: Some(serde_json::json!({
                    "failed_logins": failures,
                    "locked_until": lock,
                    "disabled": account.disabled,
                })),
            },
        )
        .await?;
        if let Some(until) = &lock {
            alert::raise(
                &mut tx,
                "login.lockout",
                Some(account.id),
                &format!(
                    "{failures} failed logins in a row for `{}`; locked until {until}",
                    account.login
                ),
                &text(now),
            )
            .await?;
            tracing::warn!(login = %account.login, failures, "account locked after failed logins");
        }
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated {
            reason: if account.disabled && valid {
                "the account is disabled"
            } else {
                "invalid login or password"
            },
        });
    }
    stored_account::reset_login_failures(&mut tx, account.id).await?;
    let secret = Secret::generate(SESSION_PREFIX);
    let expires = now + SignedDuration::from_secs(settings.session_max_seconds);
    let created = session::create_session(
        &mut tx,
        &secret.digest(),
        account.id,
        &text(now),
        &text(expires),
    )
    .await?;
    audit::record(
        &mut tx,
        &context,
        Change {
            action: AuditAction::AuthLogin,
            entity_type: "session",
            entity_id: Some(created.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({"expires_at": created.expires_at})),
        },
    )
    .await?;
    tx.commit().await?;
    let principal = Principal {
        account_id: account.id,
        login: account.login.clone(),
        display_name: account.display_name.clone(),
        roles: roles_of(&account)?,
        organisation: account.organisation.clone(),
        via: Via::Session {
            id: created.id,
            signed: false,
        },
    };
    Ok((secret, principal))
}

/// The principal of a session secret, if the session is valid now.
pub async fn session_principal(
    workspace: &Workspace,
    secret: &Secret,
    now: Timestamp,
) -> Result<Principal, ServiceError> {
    let unauthenticated = |reason| ServiceError::Unauthenticated { reason };
    let pool = workspace.store().pool();
    let Some(found) = session::session_by_hash(pool, &secret.digest()).await? else {
        return Err(unauthenticated("unknown session"));
    };
    if found.revoked_at.is_some() {
        return Err(unauthenticated("the session was closed"));
    }
    let settings = AccessSettings::load(workspace).await?;
    let expired = parse_time(&found.expires_at).is_none_or(|end| end <= now)
        || parse_time(&found.last_seen_at).is_none_or(|seen| {
            seen + SignedDuration::from_secs(settings.session_idle_seconds) <= now
        });
    if expired {
        return Err(unauthenticated("the session expired; log in again"));
    }
    let account = stored_account::by_id(pool, found.account_id)
        .await?
        .ok_or_else(|| unauthenticated("unknown session"))?;
    if account.disabled {
        return Err(unauthenticated("the account is disabled"));
    }
    session::touch_session(pool, found.id, &text(now)).await?;
    Ok(Principal {
        account_id: account.id,
        login: account.login.clone(),
        display_name: account.display_name.clone(),
        roles: roles_of(&account)?,
        organisation: account.organisation.clone(),
        via: Via::Session {
            id: found.id,
            signed: found.signed,
        },
    })
}

/// The principal of an API token secret, if the token is valid now.
pub async fn token_principal(
    workspace: &Workspace,
    secret: &Secret,
    now: Timestamp,
) -> Result<Principal, ServiceError> {
    let unauthenticated = |reason| ServiceError::Unauthenticated { reason };
    let pool = workspace.store().pool();
    let Some(token) = session::token_by_hash(pool, &secret.digest()).await? else {
        return Err(unauthenticated("unknown API token"));
    };
    if token.revoked_at.is_some() {
        return Err(unauthenticated("the API token was revoked"));
    }
    if token
        .expires_at
        .as_deref()
        .is_some_and(|end| parse_time(end).is_none_or(|end| end <= now))
    {
        return Err(unauthenticated("the API token expired"));
    }
    let account = stored_account::by_id(pool, token.account_id)
        .await?
        .ok_or_else(|| unauthenticated("unknown API token"))?;
    if account.disabled {
        return Err(unauthenticated("the token's account is disabled"));
    }
    session::touch_token(pool, token.id, &text(now)).await?;
    // A token never holds more than its account does today.
    let account_roles = roles_of(&account)?;
    let roles = access::parse_roles(&token.roles)
        .map_err(|error| ServiceError::rule("roles", error))?
        .into_iter()
        .filter(|role| account_roles.contains(role))
        .collect();
    Ok(Principal {
        account_id: account.id,
        login: account.login.clone(),
        display_name: account.display_name.clone(),
        roles,
        organisation: account.organisation.clone(),
        via: Via::Token {
            id: token.id,
            name: token.name.clone(),
        },
    })
}

/// Closes the principal's session.
pub async fn logout(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let Via::Session { id, .. } = principal.via else {
        return Ok(());
    };
    let mut tx = workspace.store().begin().await?;
    session::revoke_session(&mut tx, id, &text(now)).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::AuthLogout,
            entity_type: "session",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an API token should be.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// The account it acts for (default: the caller's own).
    pub account_login: Option<String>,
    /// Its name.
    pub name: String,
    /// Its roles (default: all of the account's).
    pub roles: Vec<Role>,
    /// Days until it expires (default: never).
    pub expires_in_days: Option<i64>,
}

/// Creates an API token for an account (one's own, or anyone's with account management).
/// Its roles must be among the account's; the secret is returned once.
pub async fn create_token(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    request: &TokenRequest,
    now: Timestamp,
) -> Result<(Secret, TokenRow), ServiceError> {
    let account_login = request.account_login.as_deref();
    let roles = request.roles.as_slice();
    let expires_in_days = request.expires_in_days;
    if matches!(principal.via, Via::Token { .. }) {
        return Err(ServiceError::invalid(
            "credentials",
            "API tokens cannot create API tokens; log in as a person",
        ));
    }
    let pool = workspace.store().pool();
    let account = match account_login {
        Some(login) if login != principal.login => {
            principal.require(Permission::AccountManage)?;
            stored_account::by_login(pool, login)
                .await?
                .ok_or_else(|| ServiceError::NotFound {
                    entity: "account",
                    key: login.to_string(),
                })?
        }
        _ => stored_account::by_id(pool, principal.account_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "account",
                key: principal.login.clone(),
            })?,
    };
    let name = request.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ServiceError::invalid(
            "token name",
            "use 1 to 100 characters",
        ));
    }
    let account_roles = roles_of(&account)?;
    let roles: Vec<Role> = if roles.is_empty() {
        account_roles.clone()
    } else {
        roles.to_vec()
    };
    if let Some(extra) = roles.iter().find(|role| !account_roles.contains(role)) {
        return Err(ServiceError::invalid(
            "token roles",
            format!("`{}` does not have the role {extra}", account.login),
        ));
    }
    if let Some(days) = expires_in_days
        && !(1..=3650).contains(&days)
    {
        return Err(ServiceError::invalid("expiry", "use 1 to 3650 days"));
    }
    let secret = Secret::generate(TOKEN_PREFIX);
    let expires = expires_in_days.map(|days| text(now + SignedDuration::from_hours(24 * days)));
    let mut tx = workspace.store().begin().await?;
    let token = session::create_token(
        &mut tx,
        &NewToken {
            name,
            token_hash: &secret.digest(),
            prefix: &secret.expose()[..TOKEN_PREFIX.len() + 6],
            account_id: account.id,
            roles: &access::format_roles(&roles),
            expires_at: expires.as_deref(),
        },
        &text(now),
    )
    .await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::TokenCreate,
            entity_type: "api_token",
            entity_id: Some(token.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "name": token.name,
                "account": account.login,
                "roles": token.roles,
                "expires_at": token.expires_at,
                "prefix": token.prefix,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((secret, token))
}

/// Lists tokens: one's own, or everyone's with account management.
pub async fn tokens(
    workspace: &Workspace,
    principal: &Principal,
    everyone: bool,
) -> Result<Vec<TokenRow>, ServiceError> {
    let account = if everyone {
        principal.require(Permission::AccountManage)?;
        None
    } else {
        Some(principal.account_id)
    };
    Ok(session::tokens(workspace.store().pool(), account).await?)
}

/// Revokes a token (one's own, or anyone's with account management).
pub async fn revoke_token(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let mut tx = workspace.store().begin().await?;
    let token =
        session::token_by_id(tx.conn(), id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "API token",
                key: id.to_string(),
            })?;
    if token.account_id != principal.account_id {
        principal.require(Permission::AccountManage)?;
    }
    session::revoke_token(&mut tx, id, &text(now)).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::TokenRevoke,
            entity_type: "api_token",
            entity_id: Some(id.to_string()),
            old_value: Some(serde_json::json!({"revoked_at": token.revoked_at})),
            new_value: Some(serde_json::json!({"revoked_at": text(now)})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
