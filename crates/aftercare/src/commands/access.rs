//! `aftercare account|token|audit …`: access control and the audit trail, as the workspace's
//! local administrator.

use std::io::{IsTerminal, Write};

use aftercare_api::access::{AccountDto, AuditEventDto, AuditVerificationDto, TokenDto};
use aftercare_model::Role;
use aftercare_service::access::account::{self, NewAccountRequest};
use aftercare_service::access::auth::{self, TokenRequest};
use aftercare_service::access::password::Password;
use aftercare_store::audit::AuditFilter;
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{AccountCommand, AuditCommand, AuditFilterArgs, ExportFormat, TokenCommand};
use crate::output::{Table, cell, emit};

/// The environment variable that can carry a new account's password.
const ACCOUNT_PASSWORD_ENV: &str = "AFTERCARE_ACCOUNT_PASSWORD";

fn roles(names: &[String]) -> anyhow::Result<Vec<Role>> {
    names
        .iter()
        .map(|name| name.parse::<Role>().map_err(anyhow::Error::from))
        .collect()
}

fn accounts_table(accounts: &[AccountDto]) -> String {
    let mut table = Table::new(&["ID", "LOGIN", "NAME", "ROLES", "ORGANISATION", "STATE"]);
    for a in accounts {
        let state = if a.disabled {
            "disabled".to_string()
        } else if let Some(until) = &a.locked_until {
            format!("locked until {until}")
        } else {
            "active".to_string()
        };
        table.row(vec![
            a.id.to_string(),
            a.login.clone(),
            a.display_name.clone(),
            a.roles.join(","),
            cell(a.organisation.as_deref()),
            state,
        ]);
    }
    table.render()
}

fn new_password(file: Option<&std::path::Path>) -> anyhow::Result<Password> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        return Ok(Password::new(text.lines().next().unwrap_or_default()));
    }
    if let Ok(password) = std::env::var(ACCOUNT_PASSWORD_ENV) {
        return Ok(Password::new(password));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no password: pass --password-file or set {ACCOUNT_PASSWORD_ENV}");
    }
    let first = rpassword::prompt_password("password for the new account: ")?;
    let second = rpassword::prompt_password("repeat the password: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(Password::new(first))
}

pub(crate) async fn account(command: AccountCommand) -> anyhow::Result<Outcome> {
    match command {
        AccountCommand::Add {
            login,
            name,
            roles: role_names,
            organisation,
            password_file,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let request = NewAccountRequest {
                login,
                display_name: name,
                password: new_password(password_file.as_deref())?,
                roles: roles(&role_names)?,
                organisation,
            };
            let created = account::create(&workspace, &context, &principal, &request).await?;
            let dto = AccountDto::from(&created);
            emit(format.format, &dto, || {
                accounts_table(std::slice::from_ref(&dto))
            })?;
        }
        AccountCommand::List { workspace, format } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let accounts: Vec<AccountDto> = account::list(&workspace, &principal)
                .await?
                .iter()
                .map(AccountDto::from)
                .collect();
            emit(format.format, &accounts, || accounts_table(&accounts))?;
        }
        AccountCommand::Update {
            login,
            roles: role_names,
            disable,
            enable,
            organisation,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let new_roles = if role_names.is_empty() {
                None
            } else {
                Some(roles(&role_names)?)
            };
            let disabled = match (disable, enable) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let updated = account::update(
                &workspace,
                &context,
                &principal,
                &login,
                new_roles,
                disabled,
                organisation.map(Some),
            )
            .await?;
            let dto = AccountDto::from(&updated);
            emit(format.format, &dto, || {
                accounts_table(std::slice::from_ref(&dto))
            })?;
        }
        AccountCommand::Training {
            login,
            topic,
            completed,
            expires,
            workspace,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let completed = completed
                .parse()
                .with_context(|| format!("--completed {completed:?} is not a YYYY-MM-DD date"))?;
            let expires = match expires {
                Some(text) => Some(
                    text.parse()
                        .with_context(|| format!("--expires {text:?} is not a YYYY-MM-DD date"))?,
                ),
                None => None,
            };
            let training = account::add_training(
                &workspace, &context, &principal, &login, &topic, completed, expires,
            )
            .await?;
            eprintln!(
                "recorded training `{}` of {login}, completed {}",
                training.topic, training.completed_on
            );
        }
    }
    Ok(Outcome::Ok)
}

fn tokens_table(tokens: &[TokenDto]) -> String {
    let mut table = Table::new(&[
        "ID", "NAME", "PREFIX", "ACCOUNT", "ROLES", "EXPIRES", "STATE",
    ]);
    for t in tokens {
        table.row(vec![
            t.id.to_string(),
            t.name.clone(),
            t.prefix.clone(),
            t.account_id.to_string(),
            t.roles.join(","),
            cell(t.expires_at.as_deref()),
            if t.revoked_at.is_some() {
                "revoked".into()
            } else {
                "active".into()
            },
        ]);
    }
    table.render()
}

pub(crate) async fn token(command: TokenCommand) -> anyhow::Result<Outcome> {
    match command {
        TokenCommand::Create {
            name,
            account,
            roles: role_names,
            expires_in_days,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let request = TokenRequest {
                account_login: account,
                name,
                roles: roles(&role_names)?,
                expires_in_days,
            };
            let (secret, token) = auth::create_token(
                &workspace,
                &context,
                &principal,
                &request,
                jiff::Timestamp::now(),
            )
            .await?;
            let mut dto = TokenDto::from(&token);
            dto.secret = Some(secret.expose().to_string());
            emit(format.format, &dto, || {
                format!(
                    "{}\nsecret (shown once, keep it safe): {}\n",
                    tokens_table(std::slice::from_ref(&dto)),
                    secret.expose()
                )
            })?;
        }
        TokenCommand::List { workspace, format } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let tokens: Vec<TokenDto> = auth::tokens(&workspace, &principal, true)
                .await?
                .iter()
                .map(TokenDto::from)
                .collect();
            emit(format.format, &tokens, || tokens_table(&tokens))?;
        }
        TokenCommand::Revoke { id, workspace } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            auth::revoke_token(&workspace, &context, &principal, id, jiff::Timestamp::now())
                .await?;
            eprintln!("revoked API token {id}");
        }
    }
    Ok(Outcome::Ok)
}

/// A time bound as stored: RFC 3339, or a date for its start in UTC.
fn bound(flag: &str, value: &Option<String>) -> anyhow::Result<Option<String>> {
    let Some(text) = value else { return Ok(None) };
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(Some(aftercare_store::timestamp_text(timestamp)));
    }
    let date: jiff::civil::Date = text
        .parse()
        .with_context(|| format!("{flag} {text:?} is neither RFC 3339 nor YYYY-MM-DD"))?;
    let start = date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp();
    Ok(Some(aftercare_store::timestamp_text(start)))
}

fn filter(args: &AuditFilterArgs, after: i64, limit: i64) -> anyhow::Result<AuditFilter> {
    Ok(AuditFilter {
        entity_type: args.entity_type.clone(),
        entity_id: args.entity_id.clone(),
        since: bound("--since", &args.since)?,
        until: bound("--until", &args.until)?,
        after,
        limit,
    })
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

pub(crate) async fn audit(command: AuditCommand) -> anyhow::Result<Outcome> {
    match command {
        AuditCommand::Verify { workspace, format } => {
            let (workspace, _) = super::open(&workspace).await?;
            let verification = aftercare_service::audit::verify(&workspace).await?;
            let dto = AuditVerificationDto::from(&verification);
            emit(format.format, &dto, || {
                let mut out = match &dto.reason {
                    None => format!(
                        "audit trail intact: {} events, head {} {}\n",
                        dto.events, dto.head_seq, dto.head_hash
                    ),
                    Some(reason) => format!(
                        "audit trail BROKEN at event {}: {reason}\n",
                        dto.broken_at.unwrap_or_default()
                    ),
                };
                if dto.signature_mismatches.is_empty() {
                    out.push_str(&format!(
                        "signatures intact: {} checked against their audit events\n",
                        dto.signatures_checked
                    ));
                } else {
                    out.push_str(&format!(
                        "SIGNATURES ALTERED: {} of {} do not match their audit events\n",
                        dto.signature_mismatches.len(),
                        dto.signatures_checked
                    ));
                    for mismatch in &dto.signature_mismatches {
                        out.push_str(&format!("  {}\n", mismatch.reason));
                    }
                }
                out
            })?;
            if !dto.intact {
                return Ok(Outcome::PolicyFailed);
            }
        }
        AuditCommand::List {
            filter: args,
            limit,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let events: Vec<AuditEventDto> =
                aftercare_service::audit::list(&workspace, &filter(&args, 0, limit)?)
                    .await?
                    .iter()
                    .map(AuditEventDto::from)
                    .collect();
            emit(format.format, &events, || {
                let mut table = Table::new(&["SEQ", "AT", "ACTOR", "ACTION", "ENTITY", "REASON"]);
                for e in &events {
                    table.row(vec![
                        e.seq.to_string(),
                        e.at.clone(),
                        e.actor.clone(),
                        e.action.clone(),
                        format!("{} {}", e.entity_type, e.entity_id.as_deref().unwrap_or("")),
                        cell(e.reason.as_deref()),
                    ]);
                }
                table.render()
            })?;
        }
        AuditCommand::Export {
            filter: args,
            export_format,
            output,
            workspace,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            if export_format == ExportFormat::Csv {
                writeln!(
                    out,
                    "seq,at,actor,action,entity_type,entity_id,old_value,new_value,reason,request_id,prev_hash,hash"
                )?;
            }
            let mut after = 0;
            let mut count = 0;
            loop {
                let page =
                    aftercare_service::audit::list(&workspace, &filter(&args, after, 5_000)?)
                        .await?;
                let Some(last) = page.last() else { break };
                after = last.event.seq;
                for stored in &page {
                    let dto = AuditEventDto::from(stored);
                    match export_format {
                        ExportFormat::Jsonl => {
                            serde_json::to_writer(&mut out, &dto)?;
                            writeln!(out)?;
                        }
                        ExportFormat::Csv => {
                            let fields = [
                                dto.seq.to_string(),
                                dto.at,
                                dto.actor,
                                dto.action,
                                dto.entity_type,
                                dto.entity_id.unwrap_or_default(),
                                dto.old_value.unwrap_or_default(),
                                dto.new_value.unwrap_or_default(),
                                dto.reason.unwrap_or_default(),
                                dto.request_id.unwrap_or_default(),
                                dto.prev_hash,
                                dto.hash,
                            ];
                            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                            writeln!(out, "{}", line.join(","))?;
                        }
                    }
                    count += 1;
                }
            }
            out.flush()?;
            eprintln!("exported {count} audit events");
        }
    }
    Ok(Outcome::Ok)
}
