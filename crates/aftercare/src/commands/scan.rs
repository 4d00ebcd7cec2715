//! `aftercare scan`: SBOMs against local vulnerability data, findings out as a table, JSON,
//! SARIF or a CycloneDX VDR; exit 1 when `--fail-on` trips.
//!
//! The matching is `aftercare-match`'s; this module reads the inputs (SBOMs, `--advisories`
//! or `--index`, `--kev`), runs the scan, and renders the result. It is synchronous: the
//! binary runs it on the main thread without starting an async runtime.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::{BufWriter, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use aftercare_intel::KevCatalog;
use aftercare_match::file::IndexFile;
use aftercare_match::{Basis, Component, FileHash, Finding, Matched, Reason, Scan, SkipReason};
use aftercare_model::{Cpe, PackageKey, Severity, VulnerabilityId};
use anyhow::Context as _;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{FailOn, ScanArgs, ScanFormat};
use crate::output::{Table, cell};

/// One SBOM, read.
pub(crate) struct ScannedSbom {
    pub path: PathBuf,
    /// The path as the report shows it.
    pub path_text: String,
    pub bytes_digest: String,
    pub sbom: aftercare_sbom::Sbom,
    pub components: Vec<Component>,
    pub platform: Vec<Cpe>,
    pub scan: Scan,
    pub warnings: usize,
}

/// Where the vulnerability data came from, for the report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DataDto {
    /// `advisories` or `index`.
    pub source: &'static str,
    /// The paths given.
    pub paths: Vec<String>,
    /// Records available to the scan.
    pub records: usize,
    /// Records only peeked at (not about the SBOMs' packages).
    pub peeked: usize,
    /// Warnings met reading the data.
    pub warnings: usize,
}

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
    let mut platform: Vec<Cpe> = components
        .iter()
        .flat_map(|c| c.cpes.iter().cloned())
        .collect();
    platform.sort();
    platform.dedup();
    Ok(ScannedSbom {
        path: path.to_path_buf(),
        path_text: path.display().to_string(),
        bytes_digest: aftercare_model::Sha256::of(&bytes).to_hex(),
        sbom: outcome.sbom,
        components,
        platform,
        scan: Scan::default(),
        warnings: outcome.warnings.len(),
    })
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
        sbom.scan = index.scan(&sbom.components, &sbom.platform);
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
            ScanFormat::Json => write_json(&mut out, &report.json(), pretty)?,
            ScanFormat::Sarif => write_json(&mut out, &report.sarif(), pretty)?,
            ScanFormat::Cyclonedx => write_json(&mut out, &report.cyclonedx(), pretty)?,
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
// The report in each format.

struct Report<'a> {
    sboms: &'a [ScannedSbom],
    data: DataDto,
}

/// Findings ordered for people: most severe first, unknown last, then by component.
fn ordered(scan: &Scan) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = scan.findings.iter().collect();
    findings.sort_by(|a, b| {
        let rank = |finding: &Finding| match finding.severity.severity {
            Severity::Unknown => 0u8,
            other => 1 + other as u8,
        };
        rank(b)
            .cmp(&rank(a))
            .then_with(|| b.kev.cmp(&a.kev))
            .then_with(|| a.component.cmp(&b.component))
            .then_with(|| a.vulnerability.cmp(&b.vulnerability))
    });
    findings
}

fn purl_text(component: &Component) -> Option<String> {
    component.purl.as_ref().map(ToString::to_string)
}

/// A value serialized through its `Display`: written straight into the JSON output, without
/// a `String` in between.
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Vulnerability ids as a JSON array of strings, borrowed.
struct Ids<'a>(&'a [VulnerabilityId]);

impl Serialize for Ids<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(VulnerabilityId::as_str))
    }
}

// The JSON report borrows from the scan: a report of thousands of findings is written
// without copying their texts first.

#[derive(Serialize)]
struct ComponentDto<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    name: &'a str,
    version: Option<&'a str>,
    purl: Option<Shown<&'a aftercare_model::Purl>>,
}

#[derive(Serialize)]
struct VulnerabilityDto<'a> {
    id: &'a str,
    aliases: Ids<'a>,
    summary: Option<&'a str>,
}

#[derive(Serialize)]
struct SeverityBasisDto<'a> {
    /// `cvss`, `label` or `none`.
    source: &'static str,
    record: Option<&'a str>,
    cvss_version: Option<&'static str>,
    vector: Option<&'a str>,
    score: Option<f64>,
    label: Option<&'a str>,
}

/// `ecosystem/package`.
struct PackageText<'a>(&'a str, &'a str);

impl std::fmt::Display for PackageText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0, self.1)
    }
}

#[derive(Serialize)]
struct ReasonDto<'a> {
    record: &'a str,
    source: &'static str,
    /// `range`, `versions`, `cpe`, `csaf` or `cve5`.
    kind: &'static str,
    /// What matched, in words.
    text: String,
    package: Option<Shown<PackageText<'a>>>,
    range: Option<String>,
    introduced: Option<&'a str>,
    fixed: Option<&'a str>,
    last_affected: Option<&'a str>,
    criterion: Option<Cow<'a, str>>,
    cpe: Option<&'a str>,
    product: Option<&'a str>,
    status: Option<&'static str>,
    version: Option<&'a str>,
    fixed_versions: &'a [String],
    confidence: &'static str,
}

impl<'a> ReasonDto<'a> {
    fn new(reason: &'a Reason) -> ReasonDto<'a> {
        let mut dto = ReasonDto {
            record: reason.record.id.as_str(),
            source: reason.record.source.as_str(),
            kind: "",
            text: reason.describe(),
            package: None,
            range: None,
            introduced: None,
            fixed: None,
            last_affected: None,
            criterion: None,
            cpe: None,
            product: None,
            status: None,
            version: reason.version.as_deref(),
            fixed_versions: &reason.fixed,
            confidence: reason.confidence.as_str(),
        };
        match &reason.matched {
            Matched::Range {
                affected,
                ecosystem,
                package,
                range,
                kind,
                introduced,
                fixed,
                last_affected,
            } => {
                dto.kind = "range";
                dto.package = Some(Shown(PackageText(ecosystem, package)));
                dto.range = Some(format!(
                    "affected[{affected}].ranges[{range}] ({})",
                    kind.as_str()
                ));
                dto.introduced = Some(introduced);
                dto.fixed = fixed.as_deref();
                dto.last_affected = last_affected.as_deref();
            }
            Matched::Listed {
                affected,
                ecosystem,
                package,
                ..
            } => {
                dto.kind = "versions";
                dto.package = Some(Shown(PackageText(ecosystem, package)));
                dto.range = Some(format!("affected[{affected}].versions"));
            }
            Matched::Cpe {
                criterion, matched, ..
            } => {
                dto.kind = "cpe";
                dto.criterion = Some(Cow::Borrowed(criterion));
                dto.cpe = Some(matched);
            }
            Matched::Csaf {
                product,
                status,
                helper,
                ..
            } => {
                dto.kind = "csaf";
                dto.product = Some(product);
                dto.status = Some(status.as_str());
                dto.criterion = Some(Cow::Owned(helper.to_string()));
            }
            Matched::Cve5 { product, cpe, .. } => {
                dto.kind = "cve5";
                dto.product = Some(product);
                dto.cpe = cpe.as_deref();
            }
        }
        dto
    }
}

#[derive(Serialize)]
struct FindingDto<'a> {
    sbom: &'a str,
    component: ComponentDto<'a>,
    vulnerability: VulnerabilityDto<'a>,
    severity: &'static str,
    severity_basis: SeverityBasisDto<'a>,
    kev: bool,
    fixed_versions: &'a [String],
    confidence: &'static str,
    reason: Vec<ReasonDto<'a>>,
}

#[derive(Serialize)]
struct StatementDto<'a> {
    sbom: &'a str,
    component: ComponentDto<'a>,
    vulnerability: Option<&'a str>,
    status: &'static str,
    justification: Option<&'a str>,
    record: &'a str,
    product: &'a str,
    matched_by: Shown<&'a aftercare_match::csaf::Helper>,
}

#[derive(Serialize)]
struct SkippedDto<'a> {
    sbom: &'a str,
    component: ComponentDto<'a>,
    record: &'a str,
    reason: String,
}

#[derive(Serialize)]
struct SbomSummaryDto<'a> {
    file: &'a str,
    format: String,
    components: usize,
    warnings: usize,
}

#[derive(Serialize, Default)]
struct SummaryDto {
    findings: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    none: usize,
    unknown: usize,
    kev: usize,
    components_affected: usize,
    vulnerabilities: usize,
    statements: usize,
    not_compared: usize,
}

#[derive(Serialize)]
struct ScanDto<'a> {
    sboms: Vec<SbomSummaryDto<'a>>,
    data: &'a DataDto,
    summary: SummaryDto,
    /// Every finding, most severe first; unknown severities last (listed apart in
    /// `unknown_severity` too).
    findings: Vec<FindingDto<'a>>,
    /// The findings no record rates: `sbom`, component purl or name, vulnerability.
    unknown_severity: Vec<[String; 3]>,
    /// Supplier statements that are not findings (CSAF fixed, known_not_affected …).
    statements: Vec<StatementDto<'a>>,
    /// Records of a component's package that could not be compared with its version.
    not_compared: Vec<SkippedDto<'a>>,
}

impl Report<'_> {
    fn component_dto(sbom: &ScannedSbom, position: usize) -> ComponentDto<'_> {
        let component = &sbom.components[position];
        let original = &sbom.sbom.components[position];
        ComponentDto {
            reference: &original.reference,
            name: &component.name,
            version: component.effective_version(),
            purl: component.purl.as_ref().map(Shown),
        }
    }

    fn finding_dto<'a>(sbom: &'a ScannedSbom, finding: &'a Finding) -> FindingDto<'a> {
        let basis = match &finding.severity.basis {
            Basis::Cvss {
                record,
                version,
                vector,
                score,
            } => SeverityBasisDto {
                source: "cvss",
                record: Some(record.as_str()),
                cvss_version: Some(version.as_str()),
                vector: Some(vector),
                score: Some(*score),
                label: None,
            },
            Basis::Label { record, label } => SeverityBasisDto {
                source: "label",
                record: Some(record.as_str()),
                cvss_version: None,
                vector: None,
                score: None,
                label: Some(label),
            },
            Basis::Unknown => SeverityBasisDto {
                source: "none",
                record: None,
                cvss_version: None,
                vector: None,
                score: None,
                label: None,
            },
        };
        FindingDto {
            sbom: &sbom.path_text,
            component: Self::component_dto(sbom, finding.component),
            vulnerability: VulnerabilityDto {
                id: finding.vulnerability.as_str(),
                aliases: Ids(&finding.aliases),
                summary: finding.summary.as_deref(),
            },
            severity: finding.severity.severity.as_str(),
            severity_basis: basis,
            kev: finding.kev,
            fixed_versions: &finding.fixed_versions,
            confidence: finding.confidence.as_str(),
            reason: finding.reasons.iter().map(ReasonDto::new).collect(),
        }
    }

    fn json(&self) -> ScanDto<'_> {
        let mut summary = SummaryDto::default();
        let capacity = self.sboms.iter().map(|sbom| sbom.scan.findings.len()).sum();
        let mut findings = Vec::with_capacity(capacity);
        let mut unknown = Vec::new();
        let mut statements = Vec::new();
        let mut not_compared = Vec::new();
        let mut vulnerabilities: HashSet<&VulnerabilityId> = HashSet::with_capacity(capacity);
        for sbom in self.sboms {
            let mut affected: HashSet<usize> = HashSet::new();
            for finding in ordered(&sbom.scan) {
                summary.findings += 1;
                match finding.severity.severity {
                    Severity::Critical => summary.critical += 1,
                    Severity::High => summary.high += 1,
                    Severity::Medium => summary.medium += 1,
                    Severity::Low => summary.low += 1,
                    Severity::None => summary.none += 1,
                    Severity::Unknown => {
                        summary.unknown += 1;
                        let component = &sbom.components[finding.component];
                        unknown.push([
                            sbom.path_text.clone(),
                            purl_text(component).unwrap_or_else(|| component.name.clone()),
                            finding.vulnerability.to_string(),
                        ]);
                    }
                }
                summary.kev += usize::from(finding.kev);
                affected.insert(finding.component);
                vulnerabilities.insert(&finding.vulnerability);
                findings.push(Self::finding_dto(sbom, finding));
            }
            summary.components_affected += affected.len();
            for (position, statement) in &sbom.scan.statements {
                statements.push(StatementDto {
                    sbom: &sbom.path_text,
                    component: Self::component_dto(sbom, *position),
                    vulnerability: statement.about.as_ref().map(VulnerabilityId::as_str),
                    status: statement.status.as_str(),
                    justification: statement.justification.as_deref(),
                    record: statement.record.id.as_str(),
                    product: &statement.product,
                    matched_by: Shown(&statement.helper),
                });
            }
            for (position, skipped) in &sbom.scan.skipped {
                not_compared.push(SkippedDto {
                    sbom: &sbom.path_text,
                    component: Self::component_dto(sbom, *position),
                    record: skipped.record.id.as_str(),
                    reason: match &skipped.reason {
                        SkipReason::NoVersion => "the component has no version".to_string(),
                        SkipReason::Unparsed { version, scheme } => {
                            format!("{version:?} is not a {scheme} version")
                        }
                    },
                });
            }
        }
        summary.vulnerabilities = vulnerabilities.len();
        summary.statements = statements.len();
        summary.not_compared = not_compared.len();
        ScanDto {
            sboms: self
                .sboms
                .iter()
                .map(|sbom| SbomSummaryDto {
                    file: &sbom.path_text,
                    format: format!("{} {}", sbom.sbom.format.as_str(), sbom.sbom.spec_version),
                    components: sbom.components.len(),
                    warnings: sbom.warnings,
                })
                .collect(),
            data: &self.data,
            summary,
            findings,
            unknown_severity: unknown,
            statements,
            not_compared,
        }
    }

    fn table(&self) -> String {
        let mut out = String::new();
        for sbom in self.sboms {
            let _ = writeln!(
                out,
                "{}: {} {}, {} components",
                sbom.path.display(),
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

    fn sarif(&self) -> serde_json::Value {
        use serde_json::json;
        let mut rules: Vec<serde_json::Value> = Vec::new();
        let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
        let mut results = Vec::new();
        for sbom in self.sboms {
            for finding in ordered(&sbom.scan) {
                let id = finding.vulnerability.to_string();
                let index = *rule_index.entry(id.clone()).or_insert_with(|| {
                    let score = match &finding.severity.basis {
                        Basis::Cvss { score, .. } => *score,
                        _ => match finding.severity.severity {
                            Severity::Critical => 9.5,
                            Severity::High => 8.0,
                            Severity::Medium => 5.5,
                            Severity::Low => 2.0,
                            Severity::None | Severity::Unknown => 0.0,
                        },
                    };
                    let text = finding.summary.clone().unwrap_or_else(|| id.clone());
                    rules.push(json!({
                        "id": id,
                        "name": id,
                        "shortDescription": {"text": text},
                        "fullDescription": {"text": text},
                        "helpUri": format!("https://osv.dev/vulnerability/{id}"),
                        "help": {"text": format!("{id}: {text}. Aliases: {}", if finding.aliases.is_empty() { "none".to_string() } else { finding.aliases.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") })},
                        "properties": {
                            "security-severity": format!("{score:.1}"),
                            "tags": ["security", "vulnerability", finding.severity.severity.as_str()],
                            "aliases": finding.aliases.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        }
                    }));
                    rules.len() - 1
                });
                let component = &sbom.components[finding.component];
                let level = match finding.severity.severity {
                    Severity::Critical | Severity::High => "error",
                    Severity::Medium => "warning",
                    _ => "note",
                };
                let name = purl_text(component).unwrap_or_else(|| component.name.clone());
                let message = format!(
                    "{} {} is affected by {id} ({}){}. Matched by {}.",
                    component.name,
                    component.effective_version().unwrap_or("(no version)"),
                    finding.severity.severity,
                    if finding.fixed_versions.is_empty() {
                        String::new()
                    } else {
                        format!("; fixed in {}", finding.fixed_versions.join(", "))
                    },
                    finding
                        .reasons
                        .iter()
                        .map(Reason::describe)
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                results.push(json!({
                    "ruleId": id,
                    "ruleIndex": index,
                    "level": level,
                    "message": {"text": message},
                    "locations": [{
                        "physicalLocation": {"artifactLocation": {"uri": sbom.path.display().to_string()}},
                        "logicalLocations": [{"name": name, "kind": "package"}]
                    }],
                    "partialFingerprints": {"aftercare/component-vulnerability/v1": format!("{name}|{id}")},
                    "properties": {
                        "severity": finding.severity.severity.as_str(),
                        "kev": finding.kev,
                        "fixedVersions": finding.fixed_versions,
                        "confidence": finding.confidence.as_str(),
                    }
                }));
            }
        }
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "aftercare",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/aftercare/aftercare",
                    "rules": rules,
                }},
                "results": results,
            }]
        })
    }

    fn cyclonedx(&self) -> serde_json::Value {
        use serde_json::json;
        let Some(sbom) = self.sboms.first() else {
            return json!({});
        };
        // The subject goes into `metadata.component`, the others into `components`.
        let components: Vec<serde_json::Value> = sbom
            .sbom
            .components
            .iter()
            .enumerate()
            .filter(|(position, _)| Some(*position) != sbom.sbom.subject)
            .map(|(_, component)| {
                let mut value = json!({
                    "bom-ref": component.reference,
                    "type": component.kind.as_str(),
                    "name": component.name,
                });
                if let Some(group) = &component.group {
                    value["group"] = json!(group);
                }
                if let Some(version) = &component.version {
                    value["version"] = json!(version);
                }
                if let Some(purl) = &component.purl {
                    value["purl"] = json!(purl.to_string());
                }
                if let Some(cpe) = component.cpes.first() {
                    value["cpe"] = json!(cpe.to_string());
                }
                value
            })
            .collect();
        // One vulnerability entry per vulnerability, affecting every component it matched.
        let mut by_vulnerability: BTreeMap<&VulnerabilityId, Vec<&Finding>> = BTreeMap::new();
        for finding in &sbom.scan.findings {
            by_vulnerability
                .entry(&finding.vulnerability)
                .or_default()
                .push(finding);
        }
        let source_of = |id: &VulnerabilityId| match id.kind() {
            aftercare_model::VulnerabilityIdKind::Cve => {
                json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")})
            }
            aftercare_model::VulnerabilityIdKind::Ghsa => {
                json!({"name": "GitHub", "url": format!("https://github.com/advisories/{id}")})
            }
            _ => json!({"name": "OSV", "url": format!("https://osv.dev/vulnerability/{id}")}),
        };
        let mut vulnerabilities = Vec::new();
        for (id, findings) in by_vulnerability {
            let Some(first) = findings.first() else {
                continue;
            };
            let mut ratings = Vec::new();
            match &first.severity.basis {
                Basis::Cvss {
                    record,
                    version,
                    vector,
                    score,
                } => ratings.push(json!({
                    "source": source_of(record),
                    "score": score,
                    "severity": first.severity.severity.as_str(),
                    "method": match version {
                        aftercare_match::severity::CvssVersion::V2 => "CVSSv2",
                        aftercare_match::severity::CvssVersion::V3_0 => "CVSSv3",
                        aftercare_match::severity::CvssVersion::V3_1 => "CVSSv31",
                        aftercare_match::severity::CvssVersion::V4_0 => "CVSSv4",
                    },
                    "vector": vector,
                })),
                Basis::Label { record, .. } => ratings.push(json!({
                    "source": source_of(record),
                    "severity": first.severity.severity.as_str(),
                    "method": "other",
                })),
                Basis::Unknown => ratings.push(json!({"severity": "unknown"})),
            }
            let mut affects = Vec::new();
            let mut fixed: BTreeSet<String> = BTreeSet::new();
            let mut reasons = Vec::new();
            for finding in &findings {
                let component = &sbom.sbom.components[finding.component];
                let mut affect = json!({"ref": component.reference});
                if let Some(version) = sbom.components[finding.component].effective_version() {
                    affect["versions"] = json!([{"version": version, "status": "affected"}]);
                }
                affects.push(affect);
                fixed.extend(finding.fixed_versions.iter().cloned());
                for reason in &finding.reasons {
                    reasons.push(json!({"name": "aftercare:reason", "value": reason.describe()}));
                }
            }
            let mut value = json!({
                "bom-ref": format!("vulnerability-{id}"),
                "id": id.to_string(),
                "source": source_of(id),
                "references": first.aliases.iter().map(|alias| json!({"id": alias.to_string(), "source": source_of(alias)})).collect::<Vec<_>>(),
                "ratings": ratings,
                "affects": affects,
                "properties": reasons,
            });
            if let Some(summary) = &first.summary {
                value["description"] = json!(summary);
            }
            if !fixed.is_empty() {
                value["recommendation"] = json!(format!(
                    "Upgrade to a fixed version: {}",
                    fixed.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            if first.kev
                && let Some(list) = value["properties"].as_array_mut()
            {
                list.push(json!({"name": "aftercare:kev", "value": "true"}));
            }
            vulnerabilities.push(value);
        }
        let digest = aftercare_model::Sha256::of(
            format!("{}{}", sbom.bytes_digest, vulnerabilities.len()).as_bytes(),
        )
        .to_hex();
        let serial = format!(
            "urn:uuid:{}-{}-5{}-8{}-{}",
            &digest[0..8],
            &digest[8..12],
            &digest[13..16],
            &digest[17..20],
            &digest[20..32]
        );
        let mut metadata = json!({
            "tools": {"components": [{"type": "application", "name": "aftercare", "version": env!("CARGO_PKG_VERSION")}]},
        });
        if let Some(subject) = sbom
            .sbom
            .subject
            .and_then(|index| sbom.sbom.components.get(index))
        {
            let mut component = json!({"bom-ref": subject.reference, "type": subject.kind.as_str(), "name": subject.name});
            if let Some(version) = &subject.version {
                component["version"] = json!(version);
            }
            metadata["component"] = component;
        }
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": serial,
            "version": 1,
            "metadata": metadata,
            "components": components,
            "vulnerabilities": vulnerabilities,
        })
    }
}
