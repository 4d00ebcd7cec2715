//! Passwords: a wrapper that never prints, argon2id hashing and verification off the async
//! runtime, and the length rule.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::ServiceError;

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 10;

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

pub(crate) fn check_password(password: &Password) -> Result<(), ServiceError> {
    if password.expose().chars().count() < MIN_PASSWORD_LENGTH {
        return Err(ServiceError::invalid(
            "password",
            format!("use at least {MIN_PASSWORD_LENGTH} characters"),
        ));
    }
    Ok(())
}
