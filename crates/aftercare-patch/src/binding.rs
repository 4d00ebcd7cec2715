//! What an approval signs: a canonical, versioned, length-prefixed digest of the patch
//! release's state, and whether a recorded approval still matches it.
//!
//! The Part 11 signature is bound to its record (21 CFR 11.70); for a patch the record is the
//! state the approver looked at. [`approval_binding`] encodes it, the service stores the
//! digest with the signature, and [`approval_matches`] recomputes it from the current state:
//! adding or superseding evidence, a new SBOM, or a match that changes a finding's evidence
//! makes the approval **no longer matching**, and the gate ([`crate::may_distribute`])
//! refuses until someone signs again.
//!
//! Encoding, version 1: the line `aftercare-patch-approval/1`, then one line per field
//! `name=LENGTH:VALUE` (length in bytes, so that no value can forge a separator):
//! - `release.product`, `release.version`;
//! - `sbom.state` (`missing`, `not_matched`, `matched`) and `sbom.sha256` when there is one;
//! - per finding of the plans, by finding id: `fix.finding`, `fix.vulnerability`,
//!   `fix.component`, `fix.version`, `fix.outcome` (the evidence's label) and its details:
//!   the versions moved between, the assessed status and justification, or the reason it is
//!   not fixed or not matched;
//! - per residual finding of the plans' vulnerabilities ([`crate::residual_findings`]), by id:
//!   `residual.finding`, `.vulnerability`, `.component`, `.version`, `.status`,
//!   `.justification`;
//! - per current evidence item, by id: `evidence.id`, `evidence.sha256` (its
//!   [`crate::EvidenceContent::digest`], which covers its files' SHA-256).
//!
//! **Left out on purpose:** the fixed versions an upgrade cites. They come from the records
//! and change with a feed sync that changes nothing about the patch (a record adding the fix
//! of another branch); like the EPSS score in a determination's inputs, they must not
//! invalidate a signature. A record that makes the patched version affected does change the
//! binding: the finding appears in the patch release and its evidence turns *not fixed*.
//! The policy is left out too: an approval answers for the patch, and a later policy applies
//! to later approvals.

use aftercare_model::Sha256;

use crate::evidence::{Evidence, current_evidence};
use crate::fix::{
    FindingFix, FixEvidence, NotFixedReason, NotMatchedReason, PatchSbom, residual_findings,
};

/// The patch release as the approval and the gate see it. The service reads it in one
/// transaction and passes it to [`crate::check_approval`], [`approval_binding`] and
/// [`crate::may_distribute`].
#[derive(Debug, Clone, Copy)]
pub struct PatchRelease<'a> {
    /// The product's name.
    pub product: &'a str,
    /// The patch release's version.
    pub version: &'a str,
    /// Its SBOM and match result.
    pub sbom: PatchSbom<'a>,
    /// The fix evidence of every finding of the plans it serves ([`crate::plan_fixes`]).
    pub fixes: &'a [FindingFix],
    /// Every evidence item, superseded ones included.
    pub evidence: &'a [Evidence],
}

/// What an approval signs: the canonical encoding and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalBinding {
    canonical: String,
    digest: Sha256,
}

impl ApprovalBinding {
    /// The SHA-256 the service stores with the signature.
    pub fn digest(&self) -> Sha256 {
        self.digest
    }

    /// The encoding it hashes, for audits and tests.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

/// The binding of a patch release's current state (see the module documentation).
pub fn approval_binding(release: &PatchRelease) -> ApprovalBinding {
    let mut out = String::from("aftercare-patch-approval/1\n");
    field(&mut out, "release.product", release.product);
    field(&mut out, "release.version", release.version);
    let state = match release.sbom {
        PatchSbom::Missing => "missing",
        PatchSbom::NotMatched { .. } => "not_matched",
        PatchSbom::Matched { .. } => "matched",
    };
    field(&mut out, "sbom.state", state);
    if let Some(digest) = release.sbom.digest() {
        field(&mut out, "sbom.sha256", &digest.to_hex());
    }
    let mut fixes: Vec<&FindingFix> = release.fixes.iter().collect();
    fixes.sort_by_key(|fix| fix.finding.id);
    for fix in fixes {
        let finding = &fix.finding;
        field(&mut out, "fix.finding", &finding.id.to_string());
        field(
            &mut out,
            "fix.vulnerability",
            finding.vulnerability.as_str(),
        );
        field(&mut out, "fix.component", finding.component.as_str());
        field(
            &mut out,
            "fix.version",
            finding.version.as_deref().unwrap_or(""),
        );
        field(&mut out, "fix.outcome", fix.evidence.label());
        match &fix.evidence {
            FixEvidence::Removed => {}
            FixEvidence::Upgraded { from, to, .. } => {
                field(&mut out, "fix.from", from.as_deref().unwrap_or(""));
                field(&mut out, "fix.to", to);
            }
            FixEvidence::Assessed {
                status,
                justification,
            } => {
                field(&mut out, "fix.status", status.as_str());
                field(
                    &mut out,
                    "fix.justification",
                    justification.map(|j| j.as_str()).unwrap_or(""),
                );
            }
            FixEvidence::NotFixed { why } => field(&mut out, "fix.why", not_fixed_label(why)),
            FixEvidence::NotMatched { why } => field(
                &mut out,
                "fix.why",
                match why {
                    NotMatchedReason::NoSbom => "no_sbom",
                    NotMatchedReason::NeverMatched => "never_matched",
                },
            ),
        }
    }
    for found in residual_findings(release.fixes, &release.sbom) {
        field(&mut out, "residual.finding", &found.id.to_string());
        field(
            &mut out,
            "residual.vulnerability",
            found.vulnerability.as_str(),
        );
        field(&mut out, "residual.component", found.component.as_str());
        field(
            &mut out,
            "residual.version",
            found.version.as_deref().unwrap_or(""),
        );
        let (status, justification) = match &found.assessment {
            None => ("", ""),
            Some(assessment) => (
                assessment.status.as_str(),
                assessment.justification.map(|j| j.as_str()).unwrap_or(""),
            ),
        };
        field(&mut out, "residual.status", status);
        field(&mut out, "residual.justification", justification);
    }
    for item in current_evidence(release.evidence) {
        field(&mut out, "evidence.id", &item.id.to_string());
        field(&mut out, "evidence.sha256", &item.content.digest().to_hex());
    }
    let digest = Sha256::of(out.as_bytes());
    ApprovalBinding {
        canonical: out,
        digest,
    }
}

/// Whether an approval that signed `approved` still matches the patch release's current
/// state.
pub fn approval_matches(approved: Sha256, release: &PatchRelease) -> bool {
    approval_binding(release).digest() == approved
}

/// A stable label of why a finding is not fixed: its kind and the version it names.
fn not_fixed_label(why: &NotFixedReason) -> &'static str {
    match why {
        NotFixedReason::Unassessed { .. } => "unassessed",
        NotFixedReason::Affected { .. } => "affected",
        NotFixedReason::UnderInvestigation { .. } => "under_investigation",
        NotFixedReason::NotAffectedWithoutJustification { .. } => {
            "not_affected_without_justification"
        }
        NotFixedReason::RestsOnCustomerControls { .. } => "rests_on_customer_controls",
        NotFixedReason::SameVersion { .. } => "same_version",
        NotFixedReason::VersionUnknown => "version_unknown",
    }
}

/// Appends one `name=LENGTH:VALUE` line.
pub(crate) fn field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push('=');
    out.push_str(&value.len().to_string());
    out.push(':');
    out.push_str(value);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::tests::{components, hyper, patch_findings, release};
    use crate::evidence::tests::item;
    use crate::fix::plan_fixes;
    use aftercare_risk::Policy;

    /// The digest of the hyper patch with these components, patch findings, evidence lines
    /// and fixed versions.
    fn digest(patch: &[&str], found: &[&str], evidence: &[&str], fixed: &[&str]) -> Sha256 {
        let policy = Policy::builtin().unwrap();
        let components = components(patch);
        let found = patch_findings(found);
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom 2.2.1"),
            components: &components,
            findings: &found,
        };
        let mut finding = hyper();
        finding.fixed_versions = fixed.iter().map(|v| v.to_string()).collect();
        let fixes = plan_fixes(&policy, &[finding], &sbom);
        let evidence: Vec<Evidence> = evidence
            .iter()
            .enumerate()
            .map(|(index, line)| item(index as i64 + 1, line))
            .collect();
        approval_binding(&release(sbom, &fixes, &evidence)).digest()
    }

    const EVIDENCE: &[&str] = &["validation pass vera", "regression pass rob"];

    #[test]
    fn what_the_binding_follows() {
        let base = digest(&["hyper@0.14.28"], &[], EVIDENCE, &["0.14.26"]);
        assert_eq!(
            base,
            digest(&["hyper@0.14.28"], &[], EVIDENCE, &["0.14.26"])
        );
        // Not the fixed versions the records cite.
        assert_eq!(
            base,
            digest(&["hyper@0.14.28"], &[], EVIDENCE, &["0.14.26", "1.0.0"])
        );
        // Not a component the plan does not concern, nor another vulnerability's finding.
        assert_eq!(
            base,
            digest(
                &["hyper@0.14.28", "serde@1.0.200"],
                &[],
                EVIDENCE,
                &["0.14.26"]
            )
        );
        // Evidence added, superseded, or the upgrade's target.
        for (what, other) in [
            (
                "added",
                digest(
                    &["hyper@0.14.28"],
                    &[],
                    &[
                        "validation pass vera",
                        "regression pass rob",
                        "security_test pass eve",
                    ],
                    &["0.14.26"],
                ),
            ),
            (
                "superseded",
                digest(
                    &["hyper@0.14.28"],
                    &[],
                    &[
                        "validation pass vera",
                        "regression pass rob",
                        "regression pass rob supersedes=2",
                    ],
                    &["0.14.26"],
                ),
            ),
            (
                "to",
                digest(&["hyper@0.14.29"], &[], EVIDENCE, &["0.14.26"]),
            ),
            (
                "finding appears",
                digest(
                    &["hyper@0.14.28"],
                    &["40 hyper@0.14.28"],
                    EVIDENCE,
                    &["0.14.26"],
                ),
            ),
            (
                "residual appears",
                digest(
                    &["hyper@0.14.28", "copy@0.14.10"],
                    &["41 copy@0.14.10"],
                    EVIDENCE,
                    &["0.14.26"],
                ),
            ),
        ] {
            assert_ne!(base, other, "{what}");
        }
    }

    #[test]
    fn the_sbom_and_the_release_are_bound() {
        let policy = Policy::builtin().unwrap();
        let fixes = plan_fixes(&policy, &[hyper()], &PatchSbom::Missing);
        let missing = approval_binding(&release(PatchSbom::Missing, &fixes, &[]));
        let unmatched = PatchSbom::NotMatched {
            digest: Sha256::of(b"sbom"),
        };
        let fixes_unmatched = plan_fixes(&policy, &[hyper()], &unmatched);
        let not_matched = approval_binding(&release(unmatched, &fixes_unmatched, &[]));
        assert_ne!(missing.digest(), not_matched.digest());
        let mut other = release(PatchSbom::Missing, &fixes, &[]);
        other.version = "2.2.2";
        assert_ne!(approval_binding(&other).digest(), missing.digest());
        assert_eq!(
            missing.canonical(),
            "aftercare-patch-approval/1\n\
             release.product=13:infusion-pump\n\
             release.version=5:2.2.1\n\
             sbom.state=7:missing\n\
             fix.finding=1:7\n\
             fix.vulnerability=14:CVE-2023-26964\n\
             fix.component=15:pkg:cargo/hyper\n\
             fix.version=7:0.14.10\n\
             fix.outcome=11:not_matched\n\
             fix.why=7:no_sbom\n"
        );
        assert!(approval_matches(
            missing.digest(),
            &release(PatchSbom::Missing, &fixes, &[])
        ));
        assert!(!approval_matches(missing.digest(), &other));
    }
}
