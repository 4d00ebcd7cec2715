//! `aftercare signal …`: the fleet's signals with their evidence, and their triage.

use aftercare_api::fleet::SignalDto;
use aftercare_service::fleet;

use crate::Outcome;
use crate::cli::SignalCommand;
use crate::output::{Table, cell, emit};

pub(crate) async fn run(command: SignalCommand) -> anyhow::Result<Outcome> {
    match command {
        SignalCommand::List {
            state,
            kind,
            device,
            limit,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let rows = fleet::signals(
                &workspace,
                &principal,
                state.as_deref(),
                kind.as_deref(),
                device.as_deref(),
                limit,
            )
            .await?;
            let dtos: Vec<SignalDto> = rows.iter().map(SignalDto::from).collect();
            emit(format.format, &dtos, || list_table(&dtos))?;
        }
        SignalCommand::Show {
            id,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let dto = SignalDto::from(&fleet::signal(&workspace, &principal, id).await?);
            emit(format.format, &dto, || detail(&dto))?;
        }
        SignalCommand::Ack {
            id,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let dto =
                SignalDto::from(&fleet::acknowledge(&workspace, &context, &principal, id).await?);
            emit(format.format, &dto, || detail(&dto))?;
        }
        SignalCommand::Dismiss {
            id,
            reason,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let dto = SignalDto::from(
                &fleet::dismiss(&workspace, &context, &principal, id, &reason).await?,
            );
            emit(format.format, &dto, || detail(&dto))?;
        }
    }
    Ok(Outcome::Ok)
}

fn list_table(list: &[SignalDto]) -> String {
    if list.is_empty() {
        return "No signals.\n".to_string();
    }
    let mut table = Table::new(&[
        "ID", "KIND", "STATE", "DEVICE", "SUBJECT", "SEEN", "RAISED", "SUMMARY",
    ]);
    for dto in list {
        table.row(vec![
            dto.id.to_string(),
            dto.kind.clone(),
            dto.state.clone(),
            cell(dto.device.as_deref()),
            dto.subject.clone(),
            dto.occurrences.to_string(),
            dto.raised_at.clone(),
            dto.summary.clone(),
        ]);
    }
    table.render()
}

fn detail(dto: &SignalDto) -> String {
    let mut out = format!(
        "Signal {} ({}): {}\n  state:    {}\n  device:   {}\n  subject:  {}\n  raised:   {} (seen {} time{}, last {})\n",
        dto.id,
        dto.kind,
        dto.summary,
        dto.state,
        cell(dto.device.as_deref()),
        dto.subject,
        dto.raised_at,
        dto.occurrences,
        if dto.occurrences == 1 { "" } else { "s" },
        dto.last_seen_at,
    );
    if let Some(by) = &dto.decided_by {
        out.push_str(&format!(
            "  decided:  {} by {by} at {}{}\n",
            dto.state,
            cell(dto.decided_at.as_deref()),
            dto.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    let evidence = serde_json::to_string_pretty(&dto.evidence).unwrap_or_default();
    out.push_str("  evidence:\n");
    for line in evidence.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
