//! Login sessions and API tokens: stored by the SHA-256 of their secret, never the secret.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The id.
    pub id: i64,
    /// The account.
    pub account_id: i64,
    /// When it was created.
    pub created_at: String,
    /// When it ends at the latest.
    pub expires_at: String,
    /// When it was last used.
    pub last_seen_at: String,
    /// When it was revoked (logout), if it was.
    pub revoked_at: Option<String>,
    /// Whether the account has signed in this session (later signings need only the
    /// password, 21 CFR 11.200(a)(1)(i)).
    pub signed: bool,
}

fn session_from_row(row: &AnyRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        revoked_at: row.try_get("revoked_at")?,
        signed: row.try_get::<i64, _>("signed")? != 0,
    })
}

const SESSION_COLUMNS: &str =
    "id, account_id, created_at, expires_at, last_seen_at, revoked_at, signed";

/// Creates a session.
pub async fn create_session(
    tx: &mut Tx,
    token_hash: &str,
    account_id: i64,
    now: &str,
    expires_at: &str,
) -> Result<SessionRow, StoreError> {
    let sql = format!(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $3) RETURNING {SESSION_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .bind(account_id)
        .bind(now)
        .bind(expires_at)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("create a session"))?;
    session_from_row(&row).map_err(StoreError::query("create a session"))
}

/// A session by its secret's hash.
pub async fn session_by_hash(
    pool: &sqlx::AnyPool,
    token_hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("find a session"))?;
    row.as_ref()
        .map(session_from_row)
        .transpose()
        .map_err(StoreError::query("find a session"))
}

/// Notes that a session was used (outside any use case's transaction: it is not an
/// electronic record).
pub async fn touch_session(pool: &sqlx::AnyPool, id: i64, now: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map_err(StoreError::query("touch a session"))?;
    Ok(())
}

/// Revokes a session.
pub async fn revoke_session(tx: &mut Tx, id: i64, now: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("revoke a session"))?;
    Ok(())
}

/// Revokes every open session of an account (password change, disabling).
pub async fn revoke_account_sessions(
    tx: &mut Tx,
    account_id: i64,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL")
        .bind(account_id)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("revoke sessions"))?;
    Ok(())
}

/// Marks that the account has signed in this session.
pub async fn mark_session_signed(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET signed = 1 WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("mark a session signed"))?;
    Ok(())
}

/// A stored API token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// The id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The first characters of the secret, to recognize it in lists.
    pub prefix: String,
    /// The account it acts for.
    pub account_id: i64,
    /// Its roles, comma-separated (a subset of the account's).
    pub roles: String,
    /// When it was created.
    pub created_at: String,
    /// When it expires, if it does.
    pub expires_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it was last used.
    pub last_used_at: Option<String>,
}

const TOKEN_COLUMNS: &str =
    "id, name, prefix, account_id, roles, created_at, expires_at, revoked_at, last_used_at";

fn token_from_row(row: &AnyRow) -> Result<TokenRow, sqlx::Error> {
    Ok(TokenRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        account_id: row.try_get("account_id")?,
        roles: row.try_get("roles")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// A new API token.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// Its name.
    pub name: &'a str,
    /// SHA-256 of the secret, hex.
    pub token_hash: &'a str,
    /// The secret's first characters.
    pub prefix: &'a str,
    /// The account it acts for.
    pub account_id: i64,
    /// Its roles, comma-separated.
    pub roles: &'a str,
    /// When it expires.
    pub expires_at: Option<&'a str>,
}

/// Creates an API token `at`.
pub async fn create_token(
    tx: &mut Tx,
    token: &NewToken<'_>,
    at: &str,
) -> Result<TokenRow, StoreError> {
    let sql = format!(
        "INSERT INTO api_tokens (name, token_hash, prefix, account_id, roles, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(token.name)
        .bind(token.token_hash)
        .bind(token.prefix)
        .bind(token.account_id)
        .bind(token.roles)
        .bind(at)
        .bind(token.expires_at)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("create an API token"))?;
    token_from_row(&row).map_err(StoreError::query("create an API token"))
}

/// An API token by its secret's hash.
pub async fn token_by_hash(
    pool: &sqlx::AnyPool,
    token_hash: &str,
) -> Result<Option<TokenRow>, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("find an API token"))?;
    row.as_ref()
        .map(token_from_row)
        .transpose()
        .map_err(StoreError::query("find an API token"))
}

/// An API token by id.
pub async fn token_by_id(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<TokenRow>, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find an API token"))?;
    row.as_ref()
        .map(token_from_row)
        .transpose()
        .map_err(StoreError::query("find an API token"))
}

/// The API tokens of an account, or of everyone.
pub async fn tokens(
    pool: &sqlx::AnyPool,
    account_id: Option<i64>,
) -> Result<Vec<TokenRow>, StoreError> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE ($1 IS NULL OR account_id = $1) ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list API tokens"))?;
    rows.iter()
        .map(token_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list API tokens"))
}

/// Notes that a token was used.
pub async fn touch_token(pool: &sqlx::AnyPool, id: i64, now: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map_err(StoreError::query("touch an API token"))?;
    Ok(())
}

/// Revokes a token.
pub async fn revoke_token(tx: &mut Tx, id: i64, now: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("revoke an API token"))?;
    Ok(())
}
