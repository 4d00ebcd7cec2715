//! The scan report as JSON (`aftercare scan --format json`): every finding with why it
//! matched, the supplier statements that are not findings, and the records that could not be
//! compared with a component's version.
//!
//! The report borrows from the scan: a report of thousands of findings is written without
//! copying their texts first.

use std::borrow::Cow;
use std::collections::HashSet;

use aftercare_match::{Basis, Finding, Matched, Reason, SkipReason};
use aftercare_model::{Severity, VulnerabilityId};
use serde::Serialize;

use super::{ScannedSbom, ordered, purl_text};

/// Where the vulnerability data came from, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct DataDto {
    /// `advisories`, `index` or `workspace`.
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

/// A value serialized through its `Display`: written straight into the JSON output, without
/// a `String` in between.
#[derive(Debug)]
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Vulnerability ids as a JSON array of strings, borrowed.
#[derive(Debug)]
struct Ids<'a>(&'a [VulnerabilityId]);

impl Serialize for Ids<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(VulnerabilityId::as_str))
    }
}

#[derive(Debug, Serialize)]
struct ComponentDto<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    name: &'a str,
    version: Option<&'a str>,
    purl: Option<Shown<&'a aftercare_model::Purl>>,
}

#[derive(Debug, Serialize)]
struct VulnerabilityDto<'a> {
    id: &'a str,
    aliases: Ids<'a>,
    summary: Option<&'a str>,
}

#[derive(Debug, Serialize)]
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
#[derive(Debug)]
struct PackageText<'a>(&'a str, &'a str);

impl std::fmt::Display for PackageText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0, self.1)
    }
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
struct SkippedDto<'a> {
    sbom: &'a str,
    component: ComponentDto<'a>,
    record: &'a str,
    reason: String,
}

#[derive(Debug, Serialize)]
struct SbomSummaryDto<'a> {
    file: &'a str,
    format: String,
    components: usize,
    warnings: usize,
}

#[derive(Debug, Serialize, Default)]
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

/// The scan report: one per run, over every SBOM scanned.
#[derive(Debug, Serialize)]
pub struct ScanDto<'a> {
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
        sbom: &sbom.path,
        component: component_dto(sbom, finding.component),
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

pub fn report<'a>(sboms: &'a [ScannedSbom], data: &'a DataDto) -> ScanDto<'a> {
    let mut summary = SummaryDto::default();
    let capacity = sboms.iter().map(|sbom| sbom.scan.findings.len()).sum();
    let mut findings = Vec::with_capacity(capacity);
    let mut unknown = Vec::new();
    let mut statements = Vec::new();
    let mut not_compared = Vec::new();
    let mut vulnerabilities: HashSet<&VulnerabilityId> = HashSet::with_capacity(capacity);
    for sbom in sboms {
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
                        sbom.path.clone(),
                        purl_text(component).unwrap_or_else(|| component.name.clone()),
                        finding.vulnerability.to_string(),
                    ]);
                }
            }
            summary.kev += usize::from(finding.kev);
            affected.insert(finding.component);
            vulnerabilities.insert(&finding.vulnerability);
            findings.push(finding_dto(sbom, finding));
        }
        summary.components_affected += affected.len();
        for (position, statement) in &sbom.scan.statements {
            statements.push(StatementDto {
                sbom: &sbom.path,
                component: component_dto(sbom, *position),
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
                sbom: &sbom.path,
                component: component_dto(sbom, *position),
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
        sboms: sboms
            .iter()
            .map(|sbom| SbomSummaryDto {
                file: &sbom.path,
                format: format!("{} {}", sbom.sbom.format.as_str(), sbom.sbom.spec_version),
                components: sbom.components.len(),
                warnings: sbom.warnings,
            })
            .collect(),
        data,
        summary,
        findings,
        unknown_severity: unknown,
        statements,
        not_compared,
    }
}
