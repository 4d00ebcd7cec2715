//! `aftercare sbom inspect|check|diff`: one-shot SBOM tools that need no workspace.

use std::path::Path;

use aftercare_api::inventory::{DiffDto, QualityDto, SbomDto, WarningDto};
use aftercare_sbom::{Requirement, quality};
use aftercare_service::inventory::{self, SbomFile};

use crate::Outcome;
use crate::cli::{RequireArg, SbomCommand};
use crate::output::{Table, cell, emit};

pub(crate) async fn run(command: SbomCommand) -> anyhow::Result<Outcome> {
    match command {
        SbomCommand::Inspect { file, format } => {
            let outcome = read(&file).await?;
            let dto = SbomDto::new(&outcome.sbom, outcome.warnings.iter().map(WarningDto::from));
            emit(format.format, &dto, || inspect_table(&dto))?;
            Ok(Outcome::Ok)
        }
        SbomCommand::Check {
            file,
            require,
            format,
        } => {
            let outcome = read(&file).await?;
            let report = quality(&outcome.sbom);
            let dto = QualityDto::from(&report);
            emit(format.format, &dto, || quality_table(&dto))?;
            let failed = match require {
                Some(RequireArg::Ntia) => !report.passes(Requirement::Ntia),
                Some(RequireArg::Fda) => !report.passes(Requirement::Fda),
                None => false,
            };
            if failed {
                eprintln!(
                    "{}: the required SBOM elements are not all present",
                    file.display()
                );
                return Ok(Outcome::PolicyFailed);
            }
            Ok(Outcome::Ok)
        }
        SbomCommand::Diff { old, new, format } => {
            let old_sbom = read(&old).await?;
            let new_sbom = read(&new).await?;
            let diff =
                inventory::diff_components(&old_sbom.sbom.components, &new_sbom.sbom.components);
            let dto = DiffDto::from(&diff);
            emit(format.format, &dto, || diff_table(&dto))?;
            Ok(Outcome::Ok)
        }
    }
}

async fn read(path: &Path) -> anyhow::Result<aftercare_sbom::ReadOutcome> {
    let bytes = super::read_file(path)?;
    let file = SbomFile {
        name: path.display().to_string(),
        bytes,
    };
    Ok(inventory::read_sbom(&file).await?)
}

pub(crate) fn inspect_table(sbom: &SbomDto) -> String {
    let mut out = format!(
        "format:     {} {} ({})\nsubject:    {}\ncreated:    {}\nauthors:    {}\ncomponents: {}, dependencies: {}, warnings: {}\n\n",
        sbom.format,
        sbom.spec_version,
        sbom.encoding,
        sbom.subject
            .as_ref()
            .map(|s| format!("{} {}", s.name, s.version.as_deref().unwrap_or("")))
            .unwrap_or_else(|| "-".into()),
        cell(sbom.created.as_deref()),
        if sbom.authors.is_empty() {
            "-".to_string()
        } else {
            sbom.authors.join(", ")
        },
        sbom.components.len(),
        sbom.dependencies
            .iter()
            .map(|d| d.depends_on.len())
            .sum::<usize>(),
        sbom.warnings.len(),
    );
    let mut table = Table::new(&["NAME", "VERSION", "PURL", "SUPPLIER", "LICENSE", "DIRECT"]);
    for component in &sbom.components {
        let name = match &component.group {
            Some(group) => format!("{group}/{}", component.name),
            None => component.name.clone(),
        };
        table.row(vec![
            name,
            cell(component.version.as_deref()),
            cell(component.purl.as_deref()),
            cell(component.supplier.as_deref()),
            cell(component.licenses.as_deref()),
            match component.direct {
                Some(true) => "direct".into(),
                Some(false) => "transitive".into(),
                None => "-".into(),
            },
        ]);
    }
    out.push_str(&table.render());
    out.push_str(&warnings_table(&sbom.warnings));
    out
}

pub(crate) fn warnings_table(warnings: &[WarningDto]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut table = Table::new(&["WARNING AT", "REF", "MESSAGE"]);
    for warning in warnings {
        table.row(vec![
            warning.location.clone(),
            cell(warning.reference.as_deref()),
            warning.message.clone(),
        ]);
    }
    format!("\n{}", table.render())
}

pub(crate) fn quality_table(quality: &QualityDto) -> String {
    let mut table = Table::new(&["ELEMENT", "COVERAGE", "MISSING IN"]);
    for element in &quality.elements {
        let coverage = if element.total == 0 {
            "n/a".to_string()
        } else {
            format!(
                "{}/{} ({:.0}%)",
                element.with,
                element.total,
                // Floor, so that 201/202 never reads as 100%.
                (100.0 * element.with as f64 / element.total as f64).floor()
            )
        };
        let missing = if element.document_level {
            if element.complete {
                "-".into()
            } else {
                "the document".into()
            }
        } else if element.missing.is_empty() {
            "-".to_string()
        } else {
            let shown: Vec<String> = element
                .missing
                .iter()
                .take(3)
                .map(|r| shorten(r, 48))
                .collect();
            let more = element.missing.len().saturating_sub(3);
            if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        table.row(vec![element.element.clone(), coverage, missing]);
    }
    format!(
        "{}\nNTIA minimum elements: {}\nFDA (NTIA + support fields): {}\n",
        table.render(),
        if quality.ntia {
            "complete"
        } else {
            "incomplete"
        },
        if quality.fda {
            "complete"
        } else {
            "incomplete"
        },
    )
}

/// A long reference cut to `max` characters with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let head: String = text.chars().take(max - 1).collect();
        format!("{head}…")
    }
}

pub(crate) fn diff_table(diff: &DiffDto) -> String {
    let mut table = Table::new(&["CHANGE", "COMPONENT", "OLD", "NEW"]);
    let name = |group: &Option<String>, name: &str| match group {
        Some(group) => format!("{group}/{name}"),
        None => name.to_string(),
    };
    for (label, changes) in [
        ("upgraded", &diff.upgraded),
        ("downgraded", &diff.downgraded),
        ("changed", &diff.changed),
    ] {
        for change in changes {
            table.row(vec![
                label.into(),
                name(&change.group, &change.name),
                cell(change.old_version.as_deref()),
                cell(change.new_version.as_deref()),
            ]);
        }
    }
    for component in &diff.added {
        table.row(vec![
            "added".into(),
            name(&component.group, &component.name),
            "-".into(),
            cell(component.version.as_deref()),
        ]);
    }
    for component in &diff.removed {
        table.row(vec![
            "removed".into(),
            name(&component.group, &component.name),
            cell(component.version.as_deref()),
            "-".into(),
        ]);
    }
    format!(
        "{}\n{} added, {} removed, {} upgraded, {} downgraded, {} changed, {} unchanged\n",
        table.render(),
        diff.added.len(),
        diff.removed.len(),
        diff.upgraded.len(),
        diff.downgraded.len(),
        diff.changed.len(),
        diff.unchanged
    )
}
