//! Accounts: the local administrator `init` creates, and password hashing.

use aftercare_model::Actor;
use aftercare_store::account::{self, AccountRow, NewAccount};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::audit::{self, Change};
use crate::{Context, ServiceError, Workspace};

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 10;

/// The role of the local administrator.
pub const ADMINISTRATOR: &str = "administrator";

/// A password that never prints.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The password's text, for hashing and verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Hashes a password with argon2id (default parameters of the argon2 crate: 19 MiB, 2
/// passes), off the async runtime.
pub async fn hash_password(password: &Password) -> Result<String, ServiceError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|_| ServiceError::Background {
            operation: "encode a password salt",
        })?;
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|_| ServiceError::Background {
                operation: "hash a password",
            })
    })
    .await
    .map_err(|_| ServiceError::Background {
        operation: "hash a password",
    })?
}

/// Whether a password matches a stored hash (constant-time inside argon2), off the runtime.
pub async fn verify_password(password: &Password, hash: &str) -> Result<bool, ServiceError> {
    let password = password.clone();
    let hash = hash.to_string();
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|_| ServiceError::Background {
        operation: "verify a password",
    })
}

fn check_password(password: &Password) -> Result<(), ServiceError> {
    if password.expose().chars().count() < MIN_PASSWORD_LENGTH {
        return Err(ServiceError::invalid(
            "password",
            format!("use at least {MIN_PASSWORD_LENGTH} characters"),
        ));
    }
    Ok(())
}

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

/// Initializes a workspace: creates its local administrator. Fails if the workspace has
/// one already.
pub async fn init(
    workspace: &Workspace,
    login: &str,
    display_name: &str,
    password: &Password,
) -> Result<AccountRow, ServiceError> {
    check_login(login)?;
    check_password(password)?;
    if display_name.trim().is_empty() {
        return Err(ServiceError::invalid(
            "display name",
            "the printed name shown in signatures cannot be empty",
        ));
    }
    let password_hash = hash_password(password).await?;
    let mut tx = workspace.store().begin().await?;
    if account::local_admin_in(&mut tx).await?.is_some() {
        return Err(ServiceError::AlreadyExists {
            entity: "workspace",
            key: workspace.location().to_string(),
        });
    }
    let created = account::insert(
        &mut tx,
        &NewAccount {
            login,
            display_name: display_name.trim(),
            password_hash: &password_hash,
            roles: ADMINISTRATOR,
            local_admin: true,
        },
    )
    .await?;
    let context = Context::new(actor_of(&created));
    audit::record(
        &mut tx,
        &context,
        Change {
            action: "workspace.init",
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
    tx.commit().await?;
    Ok(created)
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
