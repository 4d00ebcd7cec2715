//! `aftercare policy …` and `aftercare clock …`.

use std::io::{IsTerminal, Write};

use aftercare_api::access::SignatureDto;
use aftercare_api::triage::{CaseDto, ClockDto, PolicyRevisionDto, PolicySummaryDto};
use aftercare_service::access::auth::Principal;
use aftercare_service::access::password::Password;
use aftercare_service::access::signature::SignRequest;
use aftercare_service::triage::case::{self, ClockQuery, EventInput};
use aftercare_service::triage::policy::{self, PolicyChange};
use aftercare_service::triage::waiver;
use aftercare_service::{Context, Workspace};
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{ClockCommand, PolicyCommand, SignerArgs, WorkspaceArgs};
use crate::output::{Table, cell, emit};

/// The environment variable that can carry the signer's password.
const SIGNER_PASSWORD_ENV: &str = "AFTERCARE_SIGNER_PASSWORD";

/// Opens the workspace as the signer: the person named by `--signer` (default the local
/// administrator), whose credentials the signature will check. Returns the principal, its
/// context and the signature request (login and password always, as for a first signing).
pub(crate) async fn as_signer(
    workspace_args: &WorkspaceArgs,
    signer: &SignerArgs,
) -> anyhow::Result<(Workspace, Context, Principal, SignRequest)> {
    let (workspace, _, admin) = super::open_as_admin(workspace_args).await?;
    let account = match &signer.signer {
        Some(login) => aftercare_service::access::account::by_login(&workspace, login).await?,
        None => aftercare_service::access::account::by_id(&workspace, admin.account_id).await?,
    };
    let principal = Principal::local(&account)?;
    let password = match std::env::var(SIGNER_PASSWORD_ENV) {
        Ok(password) => Password::new(password),
        Err(_) if std::io::stdin().is_terminal() => {
            Password::new(rpassword::prompt_password(format!(
                "password of {} ({}) to sign: ",
                account.display_name, account.login
            ))?)
        }
        Err(_) => anyhow::bail!(
            "signing needs the signer's password: set {SIGNER_PASSWORD_ENV} or run on a terminal"
        ),
    };
    let request = SignRequest {
        login: Some(account.login.clone()),
        password,
        meaning: signer.meaning.parse()?,
        reason: None,
    };
    let context = Context::new(principal.actor(), jiff::Timestamp::now());
    Ok((workspace, context, principal, request))
}

pub(crate) async fn policy(command: PolicyCommand) -> anyhow::Result<Outcome> {
    match command {
        PolicyCommand::Show { workspace, format } => {
            let (workspace, _) = super::open(&workspace).await?;
            let current = policy::current(&workspace).await?;
            let summary = PolicySummaryDto::from(&current);
            emit(format.format, &summary, || {
                let mut out = format!(
                    "policy {} version {} (revision {})\ndigest {}\ntime zone {}\n\n",
                    summary.id,
                    summary.version,
                    summary.revision.map_or("-".into(), |r| r.to_string()),
                    summary.digest,
                    summary.time_zone
                );
                let mut table = Table::new(&["CLOCK", "DAYS", "COUNTING", "ENABLED"]);
                for c in &summary.clocks {
                    table.row(vec![
                        c.kind.to_string(),
                        c.days.to_string(),
                        c.day_kind.to_string(),
                        c.enabled.to_string(),
                    ]);
                }
                out.push_str(&table.render());
                for warning in &summary.warnings {
                    out.push_str(&format!("warning: {}: {}\n", warning.key, warning.message));
                }
                out
            })?;
        }
        PolicyCommand::Export { output, workspace } => {
            let (workspace, _) = super::open(&workspace).await?;
            let current = policy::current(&workspace).await?;
            let text = current.revision.map_or_else(
                || aftercare_risk::policy::DEFAULT_POLICY_TOML.to_string(),
                |r| r.source,
            );
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(text.as_bytes())?;
                    stdout.flush()?;
                }
            }
        }
        PolicyCommand::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let checked = policy::check(&text, &file.display().to_string())?;
            eprintln!(
                "{}: valid policy {} version {} (digest {})",
                file.display(),
                checked.id(),
                checked.version(),
                checked.digest()
            );
            // Valid but worth a reviewer's look before signing: still exit 0.
            print_warnings(&checked);
        }
        PolicyCommand::Set {
            file,
            reason,
            signer,
            workspace,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let (workspace, context, principal, request) = as_signer(&workspace, &signer).await?;
            let row = policy::change(
                &workspace,
                &context,
                &principal,
                &PolicyChange {
                    text,
                    reason,
                    signature: Some(request),
                },
                jiff::Timestamp::now(),
            )
            .await?;
            eprintln!(
                "policy revision {} in force: {} version {}, digest {}",
                row.revision, row.policy_id, row.policy_version, row.digest
            );
            print_warnings(&policy::current(&workspace).await?.policy);
        }
        PolicyCommand::History { workspace, format } => {
            let (workspace, _) = super::open(&workspace).await?;
            let revisions: Vec<PolicyRevisionDto> = policy::history(&workspace)
                .await?
                .iter()
                .map(PolicyRevisionDto::from)
                .collect();
            emit(format.format, &revisions, || {
                let mut table = Table::new(&[
                    "REVISION", "VERSION", "DIGEST", "AT", "BY", "REASON", "SIGNED",
                ]);
                for r in &revisions {
                    table.row(vec![
                        r.revision.to_string(),
                        if r.unreadable.is_some() {
                            format!("{} (unreadable)", r.version)
                        } else {
                            r.version.clone()
                        },
                        r.digest.chars().take(16).collect(),
                        r.created_at.clone(),
                        r.created_by.clone(),
                        cell(r.reason.as_deref()),
                        signed_cell(&r.signatures),
                    ]);
                }
                table.render()
            })?;
        }
    }
    Ok(Outcome::Ok)
}

/// A policy's warnings on stderr: statutory clocks made longer or disabled, with their
/// rationale (21 CFR 803, 806 and MDR Art. 87 set them).
fn print_warnings(policy: &aftercare_risk::Policy) {
    for warning in policy.warnings() {
        eprintln!("warning: {warning}");
    }
}

/// The signature manifestations of a record (21 CFR 11.50) in one table cell, each marked
/// when the record changed after it was signed.
pub(crate) fn signed_cell(signatures: &[SignatureDto]) -> String {
    if signatures.is_empty() {
        return "-".to_string();
    }
    signatures
        .iter()
        .map(|s| {
            if s.state == "valid" {
                s.manifestation.clone()
            } else {
                format!("{} [{}]", s.manifestation, s.state)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn clocks_table(clocks: &[ClockDto]) -> String {
    let mut table = Table::new(&[
        "ID",
        "PRODUCT",
        "VULNERABILITY",
        "CLOCK",
        "STATE",
        "DUE",
        "SOURCE",
    ]);
    for c in clocks {
        let kind = match &c.reference {
            Some(reference) => format!("{} {reference}", c.kind),
            None => c.kind.clone(),
        };
        let source: String = c.source.chars().take(40).collect();
        table.row(vec![
            c.id.to_string(),
            c.product.clone(),
            c.vulnerability.clone(),
            kind,
            c.state.clone(),
            format!(
                "{} ({} {} day{})",
                c.deadline_day,
                c.days,
                c.day_kind,
                if c.days == 1 { "" } else { "s" }
            ),
            source,
        ]);
    }
    table.render()
}

/// Parses `14d`, `14` or `2w` into days.
fn days(text: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let (number, unit) = match text.strip_suffix('d') {
        Some(number) => (number, 1),
        None => match text.strip_suffix('w') {
            Some(number) => (number, 7),
            None => (text, 1),
        },
    };
    let number: i64 = number
        .parse()
        .with_context(|| format!("{text:?} is not a number of days (`14d`, `2w`)"))?;
    Ok(number * unit)
}

pub(crate) async fn clock(command: ClockCommand) -> anyhow::Result<Outcome> {
    let now = jiff::Timestamp::now();
    match command {
        ClockCommand::Simulate(args) => return super::simulate::run(&args),
        ClockCommand::List {
            due_within,
            overdue,
            state,
            product,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            case::tick(&workspace, now).await?;
            let query = ClockQuery {
                due_within_days: due_within.as_deref().map(days).transpose()?,
                overdue,
                state: state
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|e: aftercare_risk::RiskError| anyhow::anyhow!(e))?,
                product,
            };
            let listed = case::clocks(&workspace, &query, now).await?;
            let signatures = waiver::signatures(
                &workspace,
                listed.iter().map(|c| (c.listing.clock.id, &c.clock)),
            )
            .await?;
            let clocks: Vec<ClockDto> = listed
                .iter()
                .map(|c| {
                    ClockDto::new(
                        c.listing.clock.id,
                        c.listing.clock.case_id,
                        &c.listing.product_name,
                        &c.listing.vulnerability,
                        &c.clock,
                    )
                    .with_signatures(&signatures)
                })
                .collect();
            emit(format.format, &clocks, || clocks_table(&clocks))?;
        }
        ClockCommand::Show {
            product,
            vulnerability,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            case::tick(&workspace, now).await?;
            let (view, events) = case::case(&workspace, &product, &vulnerability).await?;
            let signatures = waiver::of_case(&workspace, &view).await?;
            let dto = CaseDto::new(&view, &events).with_signatures(&signatures);
            emit(format.format, &dto, || case_text(&dto))?;
        }
        ClockCommand::Event(args) => {
            let crate::cli::ClockEventArgs {
                product,
                vulnerability,
                kind,
                at,
                date,
                reference,
                reason,
                evidence,
                event_type,
                covers_806,
                five_day,
                category,
                signer,
                workspace,
                format,
            } = *args;
            let signed = case::SIGNED_EVENTS.contains(&kind.trim().replace('-', "_").as_str());
            let (workspace, context, principal, request) = if signed {
                let (workspace, context, principal, request) =
                    as_signer(&workspace, &signer).await?;
                (workspace, context, principal, Some(request))
            } else {
                let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
                (workspace, context, principal, None)
            };
            let input = EventInput {
                kind,
                at: at
                    .as_deref()
                    .map(|t| {
                        t.parse()
                            .with_context(|| format!("--at {t:?} is not RFC 3339"))
                    })
                    .transpose()?,
                date: date
                    .as_deref()
                    .map(|d| {
                        d.parse()
                            .with_context(|| format!("--date {d:?} is not YYYY-MM-DD"))
                    })
                    .transpose()?,
                reference,
                reason: Some(reason),
                evidence,
                event_type,
                covers_806,
                five_day,
                category,
            };
            let outcome = case::record_event(
                &workspace,
                &context,
                &principal,
                &product,
                &vulnerability,
                &input,
                request.as_ref(),
            )
            .await?;
            for change in &outcome.changes {
                eprintln!("{change}");
            }
            let (view, events) = case::case(
                &workspace,
                &outcome.view.product,
                &outcome.view.row.vulnerability,
            )
            .await?;
            let dto = CaseDto::new(&view, &events);
            emit(format.format, &dto, || case_text(&dto))?;
        }
        ClockCommand::Waive {
            id,
            rationale,
            signer,
            workspace,
        } => {
            let (workspace, context, principal, request) = as_signer(&workspace, &signer).await?;
            case::waive(
                &workspace,
                &context,
                &principal,
                id,
                &rationale,
                Some(&request),
                now,
            )
            .await?;
            eprintln!("clock {id} waived, signed by {}", principal.display_name);
        }
        ClockCommand::Tick { workspace } => {
            let (workspace, _) = super::open(&workspace).await?;
            let changed = case::tick(&workspace, now).await?;
            eprintln!("{changed} case(s) changed");
        }
    }
    Ok(Outcome::Ok)
}

pub(crate) fn case_text(case: &CaseDto) -> String {
    let mut out = format!(
        "{} — {}\nawareness: {} ({})\nrisk:      {}\ncorrection started: {}\n\n{}",
        case.product,
        case.vulnerability,
        cell(case.awareness_date.as_deref()),
        cell(case.awareness_basis.as_deref()),
        cell(case.risk.as_deref()),
        cell(case.correction_started.as_deref()),
        clocks_table(&case.clocks)
    );
    // A waiver is a signed record: its rationale with the manifestation (21 CFR 11.50).
    for clock in case.clocks.iter().filter(|c| c.waiver.is_some()) {
        out.push_str(&format!(
            "\nclock {} ({}) waived: {}\n  {}\n",
            clock.id,
            clock.kind,
            clock.waiver.as_deref().unwrap_or_default(),
            if clock.signatures.is_empty() {
                "not signed".to_string()
            } else {
                signed_cell(&clock.signatures)
            }
        ));
    }
    out
}
