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
    /// Failed logins in a row since the last success.
    pub failed_logins: i64,
    /// Until when logins are refused after too many failures (stored text form).
    pub locked_until: Option<String>,
    /// Failed signature attempts in a row since the last success.
    pub failed_signatures: i64,
    /// The customer organisation the account belongs to (customer role only).
    pub organisation: Option<String>,
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
    /// The customer organisation (customer role only).
    pub organisation: Option<&'a str>,
}

const COLUMNS: &str = "id, login, display_name, password_hash, roles, local_admin, disabled, \
                       created_at, failed_logins, locked_until, failed_signatures, organisation";

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
        failed_logins: row.try_get("failed_logins")?,
        locked_until: row.try_get("locked_until")?,
        failed_signatures: row.try_get("failed_signatures")?,
        organisation: row.try_get("organisation")?,
    })
}

/// Inserts an account created `at`.
pub async fn insert(
    tx: &mut Tx,
    account: &NewAccount<'_>,
    at: &str,
) -> Result<AccountRow, StoreError> {
    let sql = format!(
        "INSERT INTO accounts (login, display_name, password_hash, roles, local_admin, \
         created_at, organisation) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(account.login)
        .bind(account.display_name)
        .bind(account.password_hash)
        .bind(account.roles)
        .bind(i64::from(account.local_admin))
        .bind(at)
        .bind(account.organisation)
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

/// An account by id.
pub async fn by_id(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find an account"))?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(StoreError::query("find an account"))
}

/// Records a failed login: the counter goes up, and `locked_until` is set when given.
pub async fn record_login_failure(
    tx: &mut Tx,
    id: i64,
    locked_until: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE accounts SET failed_logins = failed_logins + 1, \
         locked_until = COALESCE($2, locked_until) WHERE id = $1",
    )
    .bind(id)
    .bind(locked_until)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record a failed login"))?;
    Ok(())
}

/// Clears the failed-login counter and lock after a successful login.
pub async fn reset_login_failures(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("reset failed logins"))?;
    Ok(())
}

/// Sets the failed-signature counter (0 after a success, +1 after a failure).
pub async fn set_failed_signatures(tx: &mut Tx, id: i64, count: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET failed_signatures = $2 WHERE id = $1")
        .bind(id)
        .bind(count)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("count failed signatures"))?;
    Ok(())
}

/// Changes an account's roles, disabled flag and organisation.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    roles: &str,
    disabled: bool,
    organisation: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET roles = $2, disabled = $3, organisation = $4 WHERE id = $1")
        .bind(id)
        .bind(roles)
        .bind(i64::from(disabled))
        .bind(organisation)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("update an account"))?;
    Ok(())
}

/// Replaces an account's password hash.
pub async fn set_password(tx: &mut Tx, id: i64, password_hash: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("set a password"))?;
    Ok(())
}
