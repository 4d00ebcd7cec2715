//! Reports of a scan, for a file or an export: the scan report as JSON ([`json`]), SARIF 2.1.0
//! for code-scanning dashboards ([`sarif`]) and a CycloneDX 1.6 vulnerability disclosure
//! report of one SBOM ([`vdr`]).
//!
//! Pure functions from the matcher's scan to a serializable value: no I/O, no clock. The CLI's
//! `aftercare scan` writes them to stdout; the server can serve the same bytes as an export.
//! The human table stays with the CLI, which is the only one to print it.

pub mod json;
pub mod sarif;
pub mod vdr;

use aftercare_match::{Component, Finding, Scan};
use aftercare_model::Severity;

/// One SBOM as scanned: what every report reads.
#[derive(Debug)]
pub struct ScannedSbom {
    /// The SBOM's path (or name) as the report shows it.
    pub path: String,
    /// SHA-256 of the document as read, hex: the VDR's serial number is derived from it, so
    /// that the same SBOM and findings give the same report.
    pub bytes_digest: String,
    /// The normalized SBOM.
    pub sbom: aftercare_sbom::Sbom,
    /// The matcher's view of its components, in the SBOM's order (a finding's `component`
    /// indexes both).
    pub components: Vec<Component>,
    /// What the scan found.
    pub scan: Scan,
    /// How many warnings reading the SBOM met.
    pub warnings: usize,
}

/// Findings ordered for people: most severe first, unknown last, then by component.
pub fn ordered(scan: &Scan) -> Vec<&Finding> {
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

pub(crate) fn purl_text(component: &Component) -> Option<String> {
    component.purl.as_ref().map(ToString::to_string)
}
