//! `aftercare scan`: SBOMs against local vulnerability data, findings out as a table, JSON,
//! SARIF or a CycloneDX VDR; exit 1 when `--fail-on` trips.
//!
//! The matching is `aftercare-match`'s and the JSON, SARIF and VDR reports are
//! `aftercare_api::export`'s; this module reads the inputs (SBOMs, `--advisories` or
//! `--index`, `--kev`), runs the scan, writes the report and renders the table. It is
//! synchronous: the binary runs it on the main thread without starting an async runtime.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::{BufWriter, IsTerminal as _, Write};
use std::path::Path;
use std::time::Instant;

use aftercare_api::export::json::DataDto;
use aftercare_api::export::{self, ScannedSbom, ordered};
use aftercare_intel::KevCatalog;
use aftercare_match::file::IndexFile;
use aftercare_match::{Component, FileHash, Finding, Scan};
use aftercare_model::{Cpe, PackageKey, Severity, VulnerabilityId};
use anyhow::Context as _;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{FailOn, ScanArgs, ScanFormat};
use crate::output::{Table, cell};

/// The candidate records of a workspace for these components, and its KEV catalog's CVEs:
/// (index, records, CVEs). Only this use of `scan` needs an async runtime: a
/// current-thread one, for the workspace's queries.
fn workspace_index(
    location: aftercare_service::WorkspaceLocation,
    components: &[Component],
) -> anyhow::Result<(aftercare_match::Index, usize, HashSet<String>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        super::require_initialized(&location)?;
        let workspace = aftercare_service::Workspace::open(location.clone())
            .await
            .with_context(|| format!("opening the workspace at {location}"))?;
        let prepared =
            aftercare_service::finding::candidate_index(&workspace, components, &[]).await?;
        let cves = aftercare_service::finding::kev_cves(&workspace).await?;
        Ok((prepared.index, prepared.records, cves))
    })
}

/// The matcher's view of an SBOM component.
pub(crate) fn component(component: &aftercare_sbom::Component) -> Component {
    Component {
        name: match &component.group {
            Some(group) => format!("{group}/{}", component.name),
            None => component.name.clone(),
        },
        version: component.version.clone(),
        purl: component.purl.clone(),
        package: None,
        cpes: component.cpes.clone(),
        hashes: component
            .hashes
            .iter()
            .map(|hash| FileHash::new(&hash.algorithm, &hash.value))
            .collect(),
    }
}

fn read_sbom(path: &Path) -> anyhow::Result<ScannedSbom> {
    let bytes = super::read_file(path)?;
    let outcome = aftercare_sbom::read(&path.display().to_string(), &bytes)?;
    let components: Vec<Component> = outcome.sbom.components.iter().map(component).collect();
    Ok(ScannedSbom {
        path: path.display().to_string(),
        bytes_digest: aftercare_model::Sha256::of(&bytes).to_hex(),
        sbom: outcome.sbom,
        components,
        scan: Scan::default(),
        warnings: outcome.warnings.len(),
    })
}

/// The platform of an SBOM for NVD's "running on" configurations: every CPE its components
/// name, once.
fn platform(components: &[Component]) -> Vec<Cpe> {
    let mut platform: Vec<Cpe> = components
        .iter()
        .flat_map(|c| c.cpes.iter().cloned())
        .collect();
    platform.sort();
    platform.dedup();
    platform
}

/// Opens a compiled index file: read whole, in one system call, so that every part the scan
/// needs is borrowed from memory (a few MB; reading ranges one by one cost a `pread` and a
/// buffer per record).
pub(crate) fn open_index(path: &Path) -> anyhow::Result<IndexFile<Vec<u8>>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot open {}", path.display()))?;
    IndexFile::open(bytes).with_context(|| format!("reading the index {}", path.display()))
}

pub(crate) fn run(args: ScanArgs) -> anyhow::Result<Outcome> {
    if args.format == ScanFormat::Cyclonedx && args.sboms.len() != 1 {
        anyhow::bail!("--format cyclonedx writes the report of one SBOM; give one SBOM per run");
    }
    let started = Instant::now();
    let mut sboms = args
        .sboms
        .iter()
        .map(|path| read_sbom(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    tracing::debug!("SBOMs read in {:?}", started.elapsed());
    // The components of every SBOM, to load the index parts they need (one SBOM: borrowed).
    let all: Cow<'_, [Component]> = match sboms.as_slice() {
        [sbom] => Cow::Borrowed(&sbom.components),
        _ => Cow::Owned(
            sboms
                .iter()
                .flat_map(|sbom| sbom.components.iter().cloned())
                .collect(),
        ),
    };
    let from_workspace = match (&args.workspace, &args.database_url) {
        (Some(dir), _) => Some(aftercare_service::WorkspaceLocation::Directory(dir.clone())),
        (None, Some(url)) => Some(aftercare_service::WorkspaceLocation::Database(url.clone())),
        (None, None) => None,
    };
    let mut workspace_kev: HashSet<VulnerabilityId> = HashSet::new();
    let (index, data, mut kev) = match (&args.index, from_workspace) {
        (_, Some(location)) => {
            let (index, records, cves) = workspace_index(location.clone(), &all)?;
            let data = DataDto {
                source: "workspace",
                paths: vec![location.to_string()],
                records,
                peeked: 0,
                warnings: 0,
            };
            workspace_kev = cves.iter().filter_map(|cve| cve.parse().ok()).collect();
            (index, data, Vec::new())
        }
        (Some(path), None) => {
            let file = open_index(path)?;
            let index = file
                .load(&all)
                .with_context(|| format!("reading the index {}", path.display()))?;
            let data = DataDto {
                source: "index",
                paths: vec![path.display().to_string()],
                records: file.summary().records as usize,
                peeked: 0,
                warnings: file.summary().warnings as usize,
            };
            (index, data, Vec::new())
        }
        (None, None) => {
            let wanted: HashSet<PackageKey> =
                all.iter().filter_map(Component::package_key).collect();
            let loaded = super::advisories::load(&args.advisories, Some(&wanted), false)?;
            for warning in loaded.warnings.iter().take(5) {
                tracing::debug!("{warning}");
            }
            let data = DataDto {
                source: "advisories",
                paths: args
                    .advisories
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect(),
                records: loaded.read + loaded.peeked,
                peeked: loaded.peeked,
                warnings: loaded.warnings.len(),
            };
            let building = Instant::now();
            let index = loaded.builder.build();
            tracing::debug!(
                "{} records read, {} peeked at; index built in {:?}",
                loaded.read,
                loaded.peeked,
                building.elapsed()
            );
            (index, data, loaded.kev)
        }
    };
    drop(all);
    tracing::debug!("vulnerability data ready after {:?}", started.elapsed());
    if let Some(path) = &args.kev {
        kev.push(read_kev(path)?);
    }
    let mut kev_ids: HashSet<VulnerabilityId> = kev
        .iter()
        .flat_map(|catalog| catalog.entries.iter().map(|entry| entry.cve.clone()))
        .collect();
    kev_ids.extend(workspace_kev);
    for sbom in &mut sboms {
        sbom.scan = index.scan(&sbom.components, &platform(&sbom.components));
        for finding in &mut sbom.scan.findings {
            if !finding.kev {
                finding.kev = kev_ids.contains(&finding.vulnerability)
                    || finding.aliases.iter().any(|alias| kev_ids.contains(alias));
            }
        }
    }
    tracing::debug!("matched after {:?}", started.elapsed());
    let report = Report {
        sboms: &sboms,
        data,
    };
    let rendering = Instant::now();
    {
        // Streamed through a large buffer: stdout is line-buffered, and a pretty JSON report
        // of a large SBOM has hundreds of thousands of lines.
        let stdout = std::io::stdout();
        let pretty = args.pretty || stdout.is_terminal();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        match args.format {
            ScanFormat::Table => out.write_all(report.table().as_bytes())?,
            ScanFormat::Json => write_json(
                &mut out,
                &export::json::report(&sboms, &report.data),
                pretty,
            )?,
            ScanFormat::Sarif => {
                write_json(&mut out, &export::sarif::report(&sboms, VERSION), pretty)?
            }
            ScanFormat::Cyclonedx => {
                // `run` refused any other count of SBOMs for this format.
                let vdr = sboms.first().map_or_else(
                    || serde_json::json!({}),
                    |sbom| export::vdr::report(sbom, VERSION),
                );
                write_json(&mut out, &vdr, pretty)?
            }
        }
        out.flush()?;
    }
    tracing::debug!("rendered and written in {:?}", rendering.elapsed());
    let findings: Vec<&Finding> = sboms.iter().flat_map(|sbom| &sbom.scan.findings).collect();
    let tripped = tripped(&findings, args.fail_on, args.fail_on_unknown);
    // A one-shot process: the operating system takes the memory back at exit, faster than
    // freeing the index's and the scan's many small allocations one by one (about 3 ms of a
    // 30 ms scan of 1,000 components).
    std::mem::forget(index);
    std::mem::forget(sboms);
    if let Some(why) = tripped {
        eprintln!("scan policy failed: {why}");
        return Ok(Outcome::PolicyFailed);
    }
    Ok(Outcome::Ok)
}

/// The version the reports name as the tool's.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Writes a JSON document and a final newline: indented for people, compact for machines.
fn write_json(out: &mut impl Write, value: &impl Serialize, pretty: bool) -> anyhow::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

fn read_kev(path: &Path) -> anyhow::Result<KevCatalog> {
    let bytes = super::read_file(path)?;
    let parsed = aftercare_intel::read_document(&path.display().to_string(), &bytes)?;
    match parsed.content {
        aftercare_intel::Content::Kev(catalog) => Ok(catalog),
        _ => anyhow::bail!(
            "{} is a {} document, not the CISA KEV catalog (JSON)",
            path.display(),
            parsed.format
        ),
    }
}

/// Why `--fail-on` / `--fail-on-unknown` trips, if it does.
pub(crate) fn tripped(
    findings: &[&Finding],
    fail_on: Option<FailOn>,
    fail_on_unknown: bool,
) -> Option<String> {
    let threshold = match fail_on {
        Some(FailOn::Low) => Some(Severity::Low),
        Some(FailOn::Medium) => Some(Severity::Medium),
        Some(FailOn::High) => Some(Severity::High),
        Some(FailOn::Critical) => Some(Severity::Critical),
        Some(FailOn::Kev) | None => None,
    };
    if let Some(threshold) = threshold {
        let count = findings
            .iter()
            .filter(|finding| {
                finding.severity.severity != Severity::Unknown
                    && finding.severity.severity >= threshold
            })
            .count();
        if count > 0 {
            return Some(format!("{count} finding(s) at or above {threshold}"));
        }
    }
    if fail_on == Some(FailOn::Kev) {
        let count = findings.iter().filter(|finding| finding.kev).count();
        if count > 0 {
            return Some(format!(
                "{count} finding(s) of known exploited vulnerabilities (KEV)"
            ));
        }
    }
    if fail_on_unknown {
        let count = findings
            .iter()
            .filter(|finding| finding.severity.severity == Severity::Unknown)
            .count();
        if count > 0 {
            return Some(format!("{count} finding(s) of unknown severity"));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// The table (the other formats are `aftercare_api::export`'s).

struct Report<'a> {
    sboms: &'a [ScannedSbom],
    data: DataDto,
}

impl Report<'_> {
    fn table(&self) -> String {
        let mut out = String::new();
        for sbom in self.sboms {
            let _ = writeln!(
                out,
                "{}: {} {}, {} components",
                sbom.path,
                sbom.sbom.format.as_str(),
                sbom.sbom.spec_version,
                sbom.components.len()
            );
            let findings = ordered(&sbom.scan);
            let row = |finding: &&Finding, table: &mut Table| {
                let component = &sbom.components[finding.component];
                let records: BTreeSet<String> = finding
                    .reasons
                    .iter()
                    .map(|reason| reason.record.id.to_string())
                    .collect();
                table.row(vec![
                    finding.severity.severity.as_str().to_string(),
                    finding.vulnerability.to_string(),
                    component.name.clone(),
                    cell(component.effective_version()),
                    if finding.fixed_versions.is_empty() {
                        "-".to_string()
                    } else {
                        finding.fixed_versions.join(", ")
                    },
                    if finding.kev {
                        "KEV".into()
                    } else {
                        String::new()
                    },
                    records.into_iter().collect::<Vec<_>>().join(" "),
                ]);
            };
            let header = [
                "SEVERITY",
                "VULNERABILITY",
                "COMPONENT",
                "VERSION",
                "FIXED IN",
                "KEV",
                "MATCHED BY",
            ];
            let mut known = Table::new(&header);
            let mut unknown = Table::new(&header);
            for finding in &findings {
                if finding.severity.severity == Severity::Unknown {
                    row(finding, &mut unknown);
                } else {
                    row(finding, &mut known);
                }
            }
            if !known.is_empty() {
                out.push('\n');
                out.push_str(&known.render());
            }
            if !unknown.is_empty() {
                out.push_str("\nUnknown severity (no record rates these):\n");
                out.push_str(&unknown.render());
            }
            if !sbom.scan.statements.is_empty() {
                let mut table = Table::new(&[
                    "STATUS",
                    "VULNERABILITY",
                    "COMPONENT",
                    "VERSION",
                    "SUPPLIER DOCUMENT",
                ]);
                let mut seen = BTreeSet::new();
                for (position, statement) in &sbom.scan.statements {
                    let key = (
                        *position,
                        statement.about.clone(),
                        statement.status,
                        statement.record.clone(),
                    );
                    if !seen.insert(key) {
                        continue;
                    }
                    let component = &sbom.components[*position];
                    table.row(vec![
                        match &statement.justification {
                            Some(justification) => {
                                format!("{} ({justification})", statement.status.as_str())
                            }
                            None => statement.status.as_str().to_string(),
                        },
                        statement
                            .about
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "-".into()),
                        component.name.clone(),
                        cell(component.effective_version()),
                        statement.record.id.to_string(),
                    ]);
                }
                out.push_str("\nSupplier statements (not findings):\n");
                out.push_str(&table.render());
            }
            let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
            for finding in &findings {
                *counts.entry(finding.severity.severity).or_default() += 1;
            }
            let mut parts: Vec<String> = Severity::ALL
                .iter()
                .rev()
                .filter_map(|severity| {
                    counts
                        .get(severity)
                        .map(|count| format!("{count} {severity}"))
                })
                .collect();
            let kev = findings.iter().filter(|finding| finding.kev).count();
            if kev > 0 {
                parts.push(format!("{kev} KEV"));
            }
            let _ = writeln!(
                out,
                "\n{} finding(s){}{}",
                findings.len(),
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", parts.join(", "))
                },
                if sbom.scan.skipped.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} record(s) could not be compared with a component's version (see --format json)",
                        sbom.scan.skipped.len()
                    )
                }
            );
        }
        let _ = writeln!(
            out,
            "vulnerability data: {} from {} ({} records{})",
            self.data.source,
            self.data.paths.join(", "),
            self.data.records,
            if self.data.peeked > 0 {
                format!(", {} about other packages only peeked at", self.data.peeked)
            } else {
                String::new()
            }
        );
        out
    }
}
