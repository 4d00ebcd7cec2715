//! Accounts: people and their roles, the local administrator, security trainings.

use aftercare_model::Actor;
use aftercare_store::Tx;
use aftercare_store::account::{self, AccountRow, NewAccount};

use super::password::{Password, check_password, hash_password};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// The role of the local administrator.
pub const ADMINISTRATOR: &str = "administrator";

fn check_login(login: &str) -> Result<(), ServiceError> {
    let valid = !login.is_empty()
        && login.len() <= 64
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if valid {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "login",
            "use 1 to 64 ASCII letters, digits, `.`, `-`, `_` or `@`",
        ))
    }
}

/// The actor of an account.
pub fn actor_of(account: &AccountRow) -> Actor {
    Actor::User {
        id: account.id,
        login: account.login.clone(),
    }
}

/// Checks a local administrator's login, printed name and password, and hashes the password
/// (off the async runtime, before any transaction opens).
pub(crate) async fn local_admin_hash(
    login: &str,
    display_name: &str,
    password: &Password,
) -> Result<String, ServiceError> {
    check_login(login)?;
    check_password(password)?;
    if display_name.trim().is_empty() {
        return Err(ServiceError::invalid(
            "display name",
            "the printed name shown in signatures cannot be empty",
        ));
    }
    hash_password(password).await
}

/// Creates a workspace's local administrator in the caller's transaction (the first step of
/// `flow::init`), with its audit event; fails if the workspace has one already. Returns the
/// account and the context it acts in.
pub(crate) async fn create_local_admin(
    workspace: &Workspace,
    tx: &mut Tx,
    login: &str,
    display_name: &str,
    password_hash: &str,
    now: jiff::Timestamp,
) -> Result<(AccountRow, Context), ServiceError> {
    if account::local_admin_in(tx).await?.is_some() {
        return Err(ServiceError::AlreadyExists {
            entity: "workspace",
            key: workspace.location().to_string(),
        });
    }
    let created = account::insert(
        tx,
        &NewAccount {
            login,
            display_name: display_name.trim(),
            password_hash,
            roles: ADMINISTRATOR,
            local_admin: true,
            organisation: None,
        },
        &aftercare_store::timestamp_text(now),
    )
    .await?;
    let context = Context::new(actor_of(&created), now);
    audit::record(
        tx,
        &context,
        Change {
            action: AuditAction::WorkspaceInit,
            entity_type: "account",
            entity_id: Some(created.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "login": created.login,
                "display_name": created.display_name,
                "roles": created.roles,
                "local_admin": true,
            })),
        },
    )
    .await?;
    Ok((created, context))
}

/// The local administrator's actor: who local workspace commands run as.
pub async fn local_actor(workspace: &Workspace) -> Result<Actor, ServiceError> {
    match account::local_admin(workspace.store().pool()).await? {
        Some(admin) => Ok(actor_of(&admin)),
        None => Err(ServiceError::NotInitialized {
            location: workspace.location().to_string(),
        }),
    }
}

/// The local administrator's account: who local workspace commands run as.
pub async fn local_admin(workspace: &Workspace) -> Result<AccountRow, ServiceError> {
    account::local_admin(workspace.store().pool())
        .await?
        .ok_or_else(|| ServiceError::NotInitialized {
            location: workspace.location().to_string(),
        })
}

/// An account by its row id.
pub async fn by_id(workspace: &Workspace, id: i64) -> Result<AccountRow, ServiceError> {
    account::by_id(workspace.store().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "account",
            key: id.to_string(),
        })
}

/// An account's recorded trainings.
pub async fn trainings(
    workspace: &Workspace,
    account_id: i64,
) -> Result<Vec<aftercare_store::training::TrainingRow>, ServiceError> {
    Ok(aftercare_store::training::of_account(workspace.store().pool(), account_id).await?)
}

/// The newest security alerts (lock-outs, repeated failed signatures), at most `limit`.
pub async fn alerts(
    workspace: &Workspace,
    limit: i64,
) -> Result<Vec<aftercare_store::alert::AlertRow>, ServiceError> {
    Ok(aftercare_store::alert::newest(workspace.store().pool(), limit).await?)
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccountRequest {
    /// The login name.
    pub login: String,
    /// The printed name shown in signatures.
    pub display_name: String,
    /// The initial password.
    pub password: Password,
    /// Its roles.
    pub roles: Vec<aftercare_model::Role>,
    /// The customer organisation (required for, and only for, the customer role).
    pub organisation: Option<String>,
}

fn check_organisation(
    roles: &[aftercare_model::Role],
    organisation: Option<&str>,
) -> Result<(), ServiceError> {
    let customer = roles.contains(&aftercare_model::Role::Customer);
    match (
        customer,
        organisation.map(str::trim).filter(|o| !o.is_empty()),
    ) {
        (true, None) => Err(ServiceError::invalid(
            "organisation",
            "a customer account belongs to an organisation: give one",
        )),
        (true, Some(_)) if roles.len() > 1 => Err(ServiceError::invalid(
            "roles",
            "the customer role cannot be combined with internal roles",
        )),
        (false, Some(_)) => Err(ServiceError::invalid(
            "organisation",
            "only customer accounts belong to an organisation",
        )),
        _ => Ok(()),
    }
}

/// Creates an account (administrators).
pub async fn create(
    workspace: &Workspace,
    context: &Context,
    principal: &crate::access::auth::Principal,
    request: &NewAccountRequest,
) -> Result<AccountRow, ServiceError> {
    principal.require(aftercare_model::Permission::AccountManage)?;
    check_login(&request.login)?;
    check_password(&request.password)?;
    if request.display_name.trim().is_empty() {
        return Err(ServiceError::invalid("display name", "cannot be empty"));
    }
    if request.roles.is_empty() {
        return Err(ServiceError::invalid("roles", "give at least one role"));
    }
    check_organisation(&request.roles, request.organisation.as_deref())?;
    let password_hash = hash_password(&request.password).await?;
    let roles = aftercare_model::access::format_roles(&request.roles);
    let mut tx = workspace.store().begin().await?;
    let created = match account::insert(
        &mut tx,
        &NewAccount {
            login: &request.login,
            display_name: request.display_name.trim(),
            password_hash: &password_hash,
            roles: &roles,
            local_admin: false,
            organisation: request.organisation.as_deref().map(str::trim),
        },
        &context.at(),
    )
    .await
    {
        Ok(created) => created,
        Err(error) if error.is_unique_violation() => {
            return Err(ServiceError::AlreadyExists {
                entity: "account",
                key: request.login.clone(),
            });
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::AccountCreate,
            entity_type: "account",
            entity_id: Some(created.id.to_string()),
            old_value: None,
            new_value: Some(account_json(&created)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// The audit view of an account (never its password hash).
fn account_json(account: &AccountRow) -> serde_json::Value {
    serde_json::json!({
        "login": account.login,
        "display_name": account.display_name,
        "roles": account.roles,
        "disabled": account.disabled,
        "organisation": account.organisation,
    })
}

/// Every account (administrators).
pub async fn list(
    workspace: &Workspace,
    principal: &crate::access::auth::Principal,
) -> Result<Vec<AccountRow>, ServiceError> {
    principal.require(aftercare_model::Permission::AccountManage)?;
    Ok(account::list(workspace.store().pool()).await?)
}

/// An account by login.
pub async fn by_login(workspace: &Workspace, login: &str) -> Result<AccountRow, ServiceError> {
    account::by_login(workspace.store().pool(), login)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "account",
            key: login.to_string(),
        })
}

/// Changes an account's roles, disabled flag or organisation (administrators). Disabling
/// closes its sessions. The local administrator cannot lose the administrator role or be
/// disabled: a workspace always keeps one way in.
pub async fn update(
    workspace: &Workspace,
    context: &Context,
    principal: &crate::access::auth::Principal,
    login: &str,
    roles: Option<Vec<aftercare_model::Role>>,
    disabled: Option<bool>,
    organisation: Option<Option<String>>,
) -> Result<AccountRow, ServiceError> {
    principal.require(aftercare_model::Permission::AccountManage)?;
    let current = by_login(workspace, login).await?;
    let current_roles = aftercare_model::access::parse_roles(&current.roles)
        .map_err(|e| ServiceError::rule("roles", e))?;
    let roles = roles.unwrap_or(current_roles);
    let disabled = disabled.unwrap_or(current.disabled);
    let organisation = organisation.unwrap_or_else(|| current.organisation.clone());
    if roles.is_empty() {
        return Err(ServiceError::invalid("roles", "give at least one role"));
    }
    check_organisation(&roles, organisation.as_deref())?;
    if current.local_admin && (disabled || !roles.contains(&aftercare_model::Role::Administrator)) {
        return Err(ServiceError::invalid(
            "account",
            "the local administrator keeps the administrator role and cannot be disabled",
        ));
    }
    let mut tx = workspace.store().begin().await?;
    account::update(
        &mut tx,
        current.id,
        &aftercare_model::access::format_roles(&roles),
        disabled,
        organisation.as_deref(),
    )
    .await?;
    if disabled && !current.disabled {
        aftercare_store::session::revoke_account_sessions(&mut tx, current.id, &context.at())
            .await?;
    }
    let updated = account::by_id(tx.conn(), current.id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "account",
            key: login.to_string(),
        })?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::AccountUpdate,
            entity_type: "account",
            entity_id: Some(current.id.to_string()),
            old_value: Some(account_json(&current)),
            new_value: Some(account_json(&updated)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Records a completed training of an account (administrators).
pub async fn add_training(
    workspace: &Workspace,
    context: &Context,
    principal: &crate::access::auth::Principal,
    login: &str,
    topic: &str,
    completed_on: jiff::civil::Date,
    expires_on: Option<jiff::civil::Date>,
) -> Result<aftercare_store::training::TrainingRow, ServiceError> {
    principal.require(aftercare_model::Permission::AccountManage)?;
    let account = by_login(workspace, login).await?;
    let topic = topic.trim();
    if topic.is_empty() {
        return Err(ServiceError::invalid("training topic", "cannot be empty"));
    }
    if expires_on.is_some_and(|end| end < completed_on) {
        return Err(ServiceError::invalid(
            "training expiry",
            "a training cannot expire before it was completed",
        ));
    }
    let mut tx = workspace.store().begin().await?;
    let training = aftercare_store::training::insert(
        &mut tx,
        account.id,
        topic,
        &completed_on.to_string(),
        expires_on.map(|d| d.to_string()).as_deref(),
        &context.at(),
    )
    .await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::AccountTrainingAdd,
            entity_type: "account",
            entity_id: Some(account.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "topic": training.topic,
                "completed_on": training.completed_on,
                "expires_on": training.expires_on,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(training)
}
