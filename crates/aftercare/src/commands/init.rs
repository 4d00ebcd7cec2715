//! `aftercare init`: create a workspace and its first administrator.

use std::io::IsTerminal;

use aftercare_service::Workspace;
use aftercare_service::access::password::Password;
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::InitArgs;

/// The environment variable that can carry the administrator's password.
pub(crate) const PASSWORD_ENV: &str = "AFTERCARE_ADMIN_PASSWORD";

pub(crate) async fn run(args: InitArgs) -> anyhow::Result<Outcome> {
    let password = admin_password(&args)?;
    let location = super::location(&args.workspace);
    let workspace = Workspace::open(location.clone())
        .await
        .with_context(|| format!("creating the workspace at {location}"))?;
    let admin = aftercare_service::flow::init(
        &workspace,
        &args.admin_login,
        &args.admin_name,
        &password,
        jiff::Timestamp::now(),
    )
    .await?;
    eprintln!(
        "initialized the workspace at {location}; administrator `{}` ({})",
        admin.login, admin.display_name
    );
    Ok(Outcome::Ok)
}

fn admin_password(args: &InitArgs) -> anyhow::Result<Password> {
    if let Some(path) = &args.admin_password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        let first = text.lines().next().unwrap_or_default().to_string();
        return Ok(Password::new(first));
    }
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(Password::new(password));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no administrator password: pass --admin-password-file or set {PASSWORD_ENV}"
        );
    }
    let first = rpassword::prompt_password("administrator password: ")?;
    let second = rpassword::prompt_password("repeat the password: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(Password::new(first))
}
