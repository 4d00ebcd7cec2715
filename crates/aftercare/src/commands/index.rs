//! `aftercare index build|info`: compile vulnerability data into an index file once, so that
//! every scan reads only what its SBOM names; tell whether an index is stale.

use std::path::{Path, PathBuf};

use aftercare_match::file::{self, Summary};
use anyhow::Context as _;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{IndexCommand, OutputFormat};
use crate::output::{Table, emit};

pub(crate) fn run(command: IndexCommand) -> anyhow::Result<Outcome> {
    match command {
        IndexCommand::Build {
            advisories,
            output,
            format,
        } => build(&advisories, &output, format.format),
        IndexCommand::Info {
            file,
            advisories,
            format,
        } => info(&file, &advisories, format.format),
    }
}

#[derive(Serialize)]
struct InputDto {
    name: String,
    sha256: String,
    bytes: u64,
    /// For `info --advisories`: `unchanged`, `changed`, `missing` (not given now) or `new`.
    state: Option<&'static str>,
}

#[derive(Serialize)]
struct InfoDto {
    file: String,
    format_version: u32,
    written_by: String,
    bytes: u64,
    records: u64,
    vulnerabilities: u64,
    packages: u64,
    keys: u64,
    warnings: u64,
    inputs: Vec<InputDto>,
    /// With `--advisories`: whether the index was built from exactly these inputs.
    up_to_date: Option<bool>,
}

fn build(advisories: &[PathBuf], output: &Path, format: OutputFormat) -> anyhow::Result<Outcome> {
    let loaded = super::advisories::load(advisories, None, true)?;
    let inputs = loaded.inputs.clone();
    let warnings = loaded.warnings.len();
    let index = loaded.builder.build();
    let bytes = file::write(
        &index,
        &inputs,
        concat!("aftercare ", env!("CARGO_PKG_VERSION")),
    );
    // Write beside the target and rename, so that a scan never reads a half-written index.
    let temporary = output.with_extension("partial");
    std::fs::write(&temporary, &bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    if warnings > 0 {
        eprintln!(
            "{warnings} warning(s) reading the advisories (records kept without the bad fields)"
        );
    }
    info(output, &[], format)
}

fn info(path: &Path, advisories: &[PathBuf], format: OutputFormat) -> anyhow::Result<Outcome> {
    let file = super::scan::open_index(path)?;
    let summary: &Summary = file.summary();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut dto = InfoDto {
        file: path.display().to_string(),
        format_version: summary.format_version,
        written_by: summary.written_by.clone(),
        bytes,
        records: summary.records,
        vulnerabilities: summary.vulnerabilities,
        packages: summary.packages,
        keys: summary.keys,
        warnings: summary.warnings,
        inputs: summary
            .inputs
            .iter()
            .map(|input| InputDto {
                name: input.name.clone(),
                sha256: input.digest.clone(),
                bytes: input.bytes,
                state: None,
            })
            .collect(),
        up_to_date: None,
    };
    if !advisories.is_empty() {
        let now = super::advisories::load(advisories, Some(&Default::default()), true)?.inputs;
        let mut up_to_date = now.len() == summary.inputs.len();
        for input in &mut dto.inputs {
            let state = match now.iter().find(|current| current.name == input.name) {
                Some(current) if current.digest == input.sha256 => "unchanged",
                Some(_) => "changed",
                None => "missing",
            };
            up_to_date &= state == "unchanged";
            input.state = Some(state);
        }
        for current in &now {
            if !dto.inputs.iter().any(|input| input.name == current.name) {
                up_to_date = false;
                dto.inputs.push(InputDto {
                    name: current.name.clone(),
                    sha256: current.digest.clone(),
                    bytes: current.bytes,
                    state: Some("new"),
                });
            }
        }
        dto.up_to_date = Some(up_to_date);
    }
    emit(format, &dto, || table(&dto))?;
    if dto.up_to_date == Some(false) {
        eprintln!(
            "{} is stale: rebuild it with `aftercare index build`",
            path.display()
        );
        return Ok(Outcome::PolicyFailed);
    }
    Ok(Outcome::Ok)
}

fn table(dto: &InfoDto) -> String {
    let mut out = format!(
        "index:           {} ({} bytes, format {}, written by {})\nrecords:         {}\nvulnerabilities: {}\npackages:        {}\nwarnings:        {}\n\n",
        dto.file,
        dto.bytes,
        dto.format_version,
        dto.written_by,
        dto.records,
        dto.vulnerabilities,
        dto.packages,
        dto.warnings
    );
    let mut table = Table::new(&["INPUT", "SHA-256", "BYTES", "STATE"]);
    for input in &dto.inputs {
        table.row(vec![
            input.name.clone(),
            input.sha256.chars().take(16).collect(),
            input.bytes.to_string(),
            input.state.unwrap_or("-").to_string(),
        ]);
    }
    out.push_str(&table.render());
    if let Some(up_to_date) = dto.up_to_date {
        out.push_str(if up_to_date {
            "\nup to date\n"
        } else {
            "\nstale: rebuild with `aftercare index build`\n"
        });
    }
    out
}
