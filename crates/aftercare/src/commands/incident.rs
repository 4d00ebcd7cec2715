//! `aftercare incident …`: investigations, their links and timeline, the signed
//! classification that opens the regulatory clock that fits, and their closing.

use aftercare_api::incident::{ClassifiedIncidentDto, IncidentDetailDto, IncidentDto};
use aftercare_service::incident::{self, ClassifyRequest, CloseRequest, OpenRequest};
use anyhow::Context as _;
use jiff::civil::Date;

use crate::Outcome;
use crate::cli::IncidentCommand;
use crate::output::{Table, cell, emit};

fn day(flag: &str, text: Option<&str>) -> anyhow::Result<Option<Date>> {
    text.map(|text| {
        text.trim()
            .parse::<Date>()
            .with_context(|| format!("{flag} {text:?} is not a date (YYYY-MM-DD)"))
    })
    .transpose()
}

pub(crate) async fn run(command: IncidentCommand) -> anyhow::Result<Outcome> {
    match command {
        IncidentCommand::Open {
            title,
            description,
            signal,
            report,
            aware_on,
            workspace,
            format,
        } => {
            let aware_on = day("--aware-on", aware_on.as_deref())?;
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let request = OpenRequest {
                title,
                description,
                signal,
                report,
                aware_on,
            };
            let dto = IncidentDetailDto::from(
                &incident::open(&workspace, &context, &principal, &request).await?,
            );
            emit(format.format, &dto, || detail(&dto))?;
        }
        IncidentCommand::List {
            state,
            limit,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let rows = incident::list(&workspace, &principal, state.as_deref(), limit).await?;
            let dtos: Vec<IncidentDto> = rows.iter().map(IncidentDto::from).collect();
            emit(format.format, &dtos, || {
                list_table(&dtos, "No incidents.\n")
            })?;
        }
        IncidentCommand::Show {
            incident: key,
            workspace,
            format,
        } => {
            let id = incident::parse_reference(&key)?;
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let dto = IncidentDetailDto::from(&incident::show(&workspace, &principal, id).await?);
            emit(format.format, &dto, || detail(&dto))?;
        }
        IncidentCommand::Classify {
            incident: key,
            fda,
            remedial_action,
            eu,
            not_reportable,
            rationale,
            product,
            vulnerability,
            aware_on,
            signer,
            workspace,
            format,
        } => {
            let id = incident::parse_reference(&key)?;
            let aware_on = day("--aware-on", aware_on.as_deref())?;
            let (workspace, context, principal, sign) =
                super::triage::as_signer(&workspace, &signer).await?;
            let request = ClassifyRequest {
                fda,
                remedial_action,
                eu,
                not_reportable,
                rationale,
                product,
                vulnerability,
                aware_on,
            };
            let outcome =
                incident::classify(&workspace, &context, &principal, id, &request, Some(&sign))
                    .await?;
            let dto = ClassifiedIncidentDto::from(&outcome);
            emit(format.format, &dto, || {
                let mut out = detail(&dto.detail);
                for change in &dto.changes {
                    out.push_str(&format!("  {change}\n"));
                }
                out
            })?;
        }
        IncidentCommand::Link {
            incident: key,
            kind,
            target,
            workspace,
            format,
        } => {
            let id = incident::parse_reference(&key)?;
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let dto = IncidentDetailDto::from(
                &incident::link(&workspace, &context, &principal, id, &kind, &target).await?,
            );
            emit(format.format, &dto, || detail(&dto))?;
        }
        IncidentCommand::Close {
            incident: key,
            root_cause,
            corrective_actions,
            lessons,
            workspace,
            format,
        } => {
            let id = incident::parse_reference(&key)?;
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let request = CloseRequest {
                root_cause,
                corrective_actions,
                lessons_learned: lessons,
            };
            let dto = IncidentDetailDto::from(
                &incident::close(&workspace, &context, &principal, id, &request).await?,
            );
            emit(format.format, &dto, || detail(&dto))?;
        }
        IncidentCommand::Lessons {
            from,
            to,
            workspace,
            format,
        } => {
            let start = |flag: &str, text: &str| -> anyhow::Result<jiff::Timestamp> {
                let day = text
                    .trim()
                    .parse::<Date>()
                    .with_context(|| format!("{flag} {text:?} is not a date (YYYY-MM-DD)"))?;
                Ok(day.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
            };
            let (from, to) = (start("--from", &from)?, start("--to", &to)?);
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let rows = incident::lessons(&workspace, &principal, from, to).await?;
            let dtos: Vec<IncidentDto> = rows.iter().map(IncidentDto::from).collect();
            emit(format.format, &dtos, || lessons_text(&dtos))?;
        }
    }
    Ok(Outcome::Ok)
}

fn list_table(list: &[IncidentDto], empty: &str) -> String {
    if list.is_empty() {
        return empty.to_string();
    }
    let mut table = Table::new(&[
        "INCIDENT",
        "STATE",
        "SOURCE",
        "CLASSIFICATION",
        "AWARE ON",
        "OPENED",
        "TITLE",
    ]);
    for dto in list {
        table.row(vec![
            dto.reference.clone(),
            dto.state.clone(),
            dto.source.clone(),
            cell(dto.classification.as_deref()),
            dto.aware_on.clone(),
            dto.opened_at.clone(),
            dto.title.clone(),
        ]);
    }
    table.render()
}

fn lessons_text(list: &[IncidentDto]) -> String {
    if list.is_empty() {
        return "No incident closed in the period.\n".to_string();
    }
    let mut out = String::new();
    for dto in list {
        out.push_str(&format!(
            "{} {} (closed {}, {})\n  root cause: {}\n  CAPA:       {}\n  lessons:    {}\n",
            dto.reference,
            dto.title,
            cell(dto.closed_at.as_deref()),
            cell(dto.classification.as_deref()),
            cell(dto.root_cause.as_deref()),
            dto.corrective_actions.join(", "),
            cell(dto.lessons_learned.as_deref()),
        ));
    }
    out
}

fn detail(dto: &IncidentDetailDto) -> String {
    let incident = &dto.incident;
    let mut out = format!(
        "{} {}\n  state:          {}\n  source:         {}{}\n  opened:         {} by {}\n  aware on:       {}\n  description:    {}\n",
        incident.reference,
        incident.title,
        incident.state,
        incident.source,
        incident
            .source_reference
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default(),
        incident.opened_at,
        incident.opened_by,
        incident.aware_on,
        incident.description,
    );
    if let Some(classification) = &incident.classification {
        out.push_str(&format!(
            "  classification: {classification} by {} at {}: {}\n",
            cell(incident.classified_by.as_deref()),
            cell(incident.classified_at.as_deref()),
            cell(incident.rationale.as_deref()),
        ));
    }
    if let (Some(product), Some(vulnerability)) = (&dto.case_product, &dto.case_vulnerability) {
        out.push_str(&format!("  case:           {product} {vulnerability}\n"));
    }
    if incident.state == "closed" {
        out.push_str(&format!(
            "  closed:         {} by {}\n  root cause:     {}\n  CAPA:           {}\n  lessons:        {}\n",
            cell(incident.closed_at.as_deref()),
            cell(incident.closed_by.as_deref()),
            cell(incident.root_cause.as_deref()),
            incident.corrective_actions.join(", "),
            cell(incident.lessons_learned.as_deref()),
        ));
    }
    if !dto.links.is_empty() {
        out.push_str("  links:\n");
        for link in &dto.links {
            out.push_str(&format!("    {} {}\n", link.kind, link.label));
        }
    }
    if !dto.clocks.is_empty() {
        out.push_str("  clocks:\n");
        for clock in &dto.clocks {
            out.push_str(&format!(
                "    #{} {} {}: day 0 {}, due {} (ends {})\n",
                clock.id,
                clock.kind,
                clock.state,
                clock.start_day,
                clock.deadline_day,
                clock.deadline_end
            ));
        }
    }
    out.push_str("  timeline:\n");
    for entry in &dto.timeline {
        out.push_str(&format!(
            "    {} {} {}: {}\n",
            entry.at, entry.actor, entry.kind, entry.text
        ));
    }
    out
}
