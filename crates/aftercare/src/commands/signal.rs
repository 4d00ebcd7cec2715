//! `aftercare signal …`: the fleet's signals with their evidence, and their triage; and
//! `aftercare exposure`: a vulnerability's exposure across the fleet.

use aftercare_api::fleet::{ExposureDto, SignalDto};
use aftercare_service::fleet;

use crate::Outcome;
use crate::cli::{ExposureArgs, SignalCommand};
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

pub(crate) async fn exposure(args: ExposureArgs) -> anyhow::Result<Outcome> {
    let (workspace, _, principal) = super::open_as_admin(&args.workspace).await?;
    let exposure = fleet::exposure(
        &workspace,
        &principal,
        &args.vulnerability,
        args.days,
        jiff::Timestamp::now(),
    )
    .await?;
    let dto = ExposureDto::new(&exposure, &args.by);
    emit(args.format.format, &dto, || exposure_text(&dto))?;
    Ok(Outcome::Ok)
}

fn exposure_text(dto: &ExposureDto) -> String {
    let mut out = format!(
        "{}: {} device{} exposed now, on {}\n",
        dto.vulnerability,
        dto.total,
        if dto.total == 1 { "" } else { "s" },
        if dto.releases.is_empty() {
            "no release with an open finding".to_string()
        } else {
            dto.releases.join(", ")
        }
    );
    if !dto.groups.is_empty() {
        let mut table = Table::new(&[&dto.by.to_uppercase(), "DEVICES"]);
        for group in &dto.groups {
            table.row(vec![group.key.clone(), group.devices.to_string()]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    if let Some(peak) = dto.curve.iter().map(|p| p.devices).max().filter(|p| *p > 0) {
        out.push_str("\nResidual exposure (devices at each day's end):\n");
        let last = dto.curve.len().saturating_sub(1);
        for (index, point) in dto.curve.iter().enumerate() {
            let bar = "#".repeat(((point.devices * 40 + peak - 1) / peak) as usize);
            let label = if index == last {
                "now".to_string()
            } else {
                // A day's end: the date of the day that ends at the instant.
                point.at.parse::<jiff::Timestamp>().map_or_else(
                    |_| point.at.clone(),
                    |at| {
                        (at - jiff::SignedDuration::from_secs(1))
                            .strftime("%Y-%m-%d")
                            .to_string()
                    },
                )
            };
            out.push_str(&format!("  {label:<10}  {:>6}  {bar}\n", point.devices));
        }
    }
    if !dto.patches.is_empty() {
        let hours = |h: Option<f64>| h.map_or_else(|| "-".to_string(), |h| format!("{h:.1} h"));
        let mut table = Table::new(&["PATCH", "APPROVED", "INSTALLED", "MEDIAN", "P90"]);
        for patch in &dto.patches {
            table.row(vec![
                patch.release.clone(),
                cell(patch.approved_at.as_deref()),
                patch.installed.to_string(),
                hours(patch.median_hours),
                hours(patch.p90_hours),
            ]);
        }
        out.push_str("\nPatching capability (approval to install):\n");
        out.push_str(&table.render());
    }
    out
}
