//! Accounts: people who log in and sign.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The id.
    pub id: i64,
    /// The login name.
    pub login: String,
    /// The printed name shown in signatures.
    pub display_name: String,
    /// The PHC-formatted password hash.
    pub password_hash: String,
    /// Role names, comma-separated.
    pub roles: String,
    /// Whether this is the workspace's local administrator (created by `init`).
    pub local_admin: bool,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When it was created.
    pub created_at: String,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// The login name.
    pub login: &'a str,
    /// The printed name.
    pub display_name: &'a str,
    /// The PHC-formatted password hash.
    pub password_hash: &'a str,
    /// Role names, comma-separated.
    pub roles: &'a str,
    /// Whether this is the local administrator.
    pub local_admin: bool,
}

const COLUMNS: &str =
    "id, login, display_name, password_hash, roles, local_admin, disabled, created_at";

fn from_row(row: &AnyRow) -> Result<AccountRow, sqlx::Error> {
    Ok(AccountRow {
        id: row.try_get("id")?,
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        roles: row.try_get("roles")?,
        local_admin: row.try_get::<i64, _>("local_admin")? != 0,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts an account.
pub async fn insert(tx: &mut Tx, account: &NewAccount<'_>) -> Result<AccountRow, StoreError> {
    let sql = format!(
        "INSERT INTO accounts (login, display_name, password_hash, roles, local_admin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(account.login)
        .bind(account.display_name)
        .bind(account.password_hash)
        .bind(account.roles)
        .bind(i64::from(account.local_admin))
        .bind(crate::now_text())
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("insert an account"))?;
    from_row(&row).map_err(StoreError::query("insert an account"))
}

/// The account with a login name.
pub async fn by_login(pool: &sqlx::AnyPool, login: &str) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE login = $1");
    let row = sqlx::query(&sql)
        .bind(login)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("find an account"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find an account"))
}

/// The workspace's local administrator, the account `init` created.
pub async fn local_admin(pool: &sqlx::AnyPool) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE local_admin = 1 ORDER BY id LIMIT 1");
    let row = sqlx::query(&sql)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("find the local administrator"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find the local administrator"))
}

/// The local administrator, read inside a write transaction (so that two `init`s cannot
/// both create one).
pub async fn local_admin_in(tx: &mut Tx) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE local_admin = 1 ORDER BY id LIMIT 1");
    let row = sqlx::query(&sql)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::query("find the local administrator"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find the local administrator"))
}

/// Every account, by login.
pub async fn list(pool: &sqlx::AnyPool) -> Result<Vec<AccountRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY login");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list accounts"))?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list accounts"))
}
