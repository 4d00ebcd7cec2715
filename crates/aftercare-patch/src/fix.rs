//! Fix evidence: does a patch release fix a finding of the plan, and what shows it?
//!
//! A finding is a vulnerability matched to a component of a fielded release. Its fix evidence
//! compares that finding with the **patch release's own match result**: the component of the
//! same identity there (absent, or present at a version) and the finding of the same
//! vulnerability on it (absent, or present with its assessment).
//!
//! | in the patch release | evidence |
//! | --- | --- |
//! | no SBOM, or an SBOM never matched | [`FixEvidence::NotMatched`]: said so, never guessed |
//! | the component is gone | [`FixEvidence::Removed`] |
//! | present at another version, no finding | [`FixEvidence::Upgraded`], citing the records' fixed versions |
//! | present, finding assessed `fixed`, or `not_affected` with a justification | [`FixEvidence::Assessed`] |
//! | present, finding unassessed, `affected` or `under_investigation` | [`FixEvidence::NotFixed`] |
//! | present at the **same** version (or none), no finding | [`FixEvidence::NotFixed`] |
//!
//! **Why the match result is the evidence.** Whether a version lies inside an affected range
//! is the matcher's question: it evaluates every record's ranges, version lists and CPE
//! configurations under the ecosystem's version semantics (`aftercare-match`,
//! `aftercare-version`) and writes one finding per (component, vulnerability) with its
//! reasons. This rule reads that outcome instead of evaluating ranges a second time, so that
//! the fix evidence can never disagree with the findings the product shows, and a record
//! that later widens its range makes the patch's finding appear and this evidence turn to
//! *not fixed* on the next match. The fixed versions are cited from the records, for a person
//! to read; they decide nothing.
//!
//! Three cases are *not fixed* although no finding fires, because the missing finding is then
//! no evidence of the patch's doing:
//! - the component has the **same version** as in the fielded release: the patch did not
//!   change it, so the match stopped firing for another reason (a withdrawn record, a stale
//!   match of the fielded release); re-match the fielded release;
//! - the patch SBOM gives the component **no version**: the matcher could not evaluate a
//!   range against it;
//! - a `not_affected` assessment whose justification rests on **the customer's controls**
//!   (`protected_at_perimeter`, `protected_by_mitigating_control`) while the policy's
//!   `vex.customer_controls_may_justify_not_affected` is off: the product itself is still
//!   affected (FDA 2016: those are compensating controls), so nothing was fixed.
//!
//! "Upgraded" means *moved to another version*: a rollback to an unaffected version (the VEX
//! response `rollback`) counts the same, because the evidence is that the match no longer
//! fires, not the direction. That the patch release is newer than the one it fixes is the
//! service's check.
//!
//! [`plan_fixes`] computes the evidence of every finding of a plan from the patch release's
//! components and findings in one pass, and [`residual_findings`] finds what the per-finding
//! view cannot see: the plan's vulnerability still occurring in the patch release on a
//! component no plan finding names (a vendored copy, a new dependency).

use std::collections::HashMap;

use aftercare_model::{Sha256, VulnerabilityId};
use aftercare_risk::{Justification, Policy, VexStatus};

use crate::PatchError;
use crate::vocabulary::vocabulary;

/// A finding's row id, as storage gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(pub i64);

impl std::fmt::Display for FindingId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// What makes two components of different releases the same package: the identity key the
/// SBOM diff uses (the package URL without version, qualifiers and subpath; else the group
/// and name), computed by the service. Never blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentKey(String);

impl ComponentKey {
    /// A key; blank text is refused.
    pub fn new(key: &str) -> Result<ComponentKey, PatchError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(PatchError::Blank {
                what: "a component key",
            });
        }
        Ok(ComponentKey(key.to_string()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ComponentKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A finding the plan remediates, in a fielded release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFinding {
    /// The finding.
    pub id: FindingId,
    /// Its vulnerability (canonical id).
    pub vulnerability: VulnerabilityId,
    /// The identity of its component.
    pub component: ComponentKey,
    /// The component's version in the fielded release, when the SBOM gives one.
    pub version: Option<String>,
    /// The fixed versions its matching records give, for citation.
    pub fixed_versions: Vec<String>,
}

/// The VEX part of an assessment, as fix evidence reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// The VEX status.
    pub status: VexStatus,
    /// The justification of a `not_affected` status.
    pub justification: Option<Justification>,
}

/// The finding of the same vulnerability on the patch release's component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchFinding {
    /// The match does not fire there.
    Absent,
    /// It fires and is not assessed.
    Unassessed,
    /// It fires and is assessed.
    Assessed(Assessment),
}

/// What the patch release shows for one finding's component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchSide {
    /// The patch release has no SBOM.
    NoSbom,
    /// Its SBOM was never matched.
    NotMatched,
    /// No component of the same identity.
    ComponentAbsent,
    /// The component of the same identity.
    ComponentPresent {
        /// Its version, when the SBOM gives one.
        version: Option<String>,
        /// The finding of the same vulnerability on it.
        finding: PatchFinding,
    },
}

vocabulary! {
    /// The status of an assessment that counts as a fix.
    pub enum AssessedStatus as "fixing status" {
        /// The patch release contains a fix (a backport, for instance).
        Fixed = "fixed",
        /// The patch release is not affected, with a justification.
        NotAffected = "not_affected",
    }
}

/// Why a finding is not fixed by the patch release (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFixedReason {
    /// The match still fires and nobody assessed it.
    Unassessed {
        /// The component's version in the patch release.
        version: Option<String>,
    },
    /// Assessed `affected` in the patch release.
    Affected {
        /// The component's version in the patch release.
        version: Option<String>,
    },
    /// Assessed `under_investigation` in the patch release.
    UnderInvestigation {
        /// The component's version in the patch release.
        version: Option<String>,
    },
    /// Assessed `not_affected` without a justification.
    NotAffectedWithoutJustification {
        /// The component's version in the patch release.
        version: Option<String>,
    },
    /// Assessed `not_affected` for a reason that rests on the customer's controls.
    RestsOnCustomerControls {
        /// The justification.
        justification: Justification,
    },
    /// No finding, but the component did not change version.
    SameVersion {
        /// The version of both releases.
        version: String,
    },
    /// No finding, but the patch SBOM gives the component no version.
    VersionUnknown,
}

impl std::fmt::Display for NotFixedReason {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |version: &Option<String>| match version {
            Some(version) => format!("at {version}"),
            None => "without a version".to_string(),
        };
        match self {
            NotFixedReason::Unassessed { version } => write!(
                formatter,
                "still present {} and the finding is not assessed",
                at(version)
            ),
            NotFixedReason::Affected { version } => write!(
                formatter,
                "still present {} and assessed affected",
                at(version)
            ),
            NotFixedReason::UnderInvestigation { version } => write!(
                formatter,
                "still present {} and under investigation",
                at(version)
            ),
            NotFixedReason::NotAffectedWithoutJustification { version } => write!(
                formatter,
                "still present {} and assessed not_affected without a justification",
                at(version)
            ),
            NotFixedReason::RestsOnCustomerControls { justification } => write!(
                formatter,
                "assessed not_affected because {justification}, which rests on the customer's controls: the product itself is still affected (vex.customer_controls_may_justify_not_affected is off)"
            ),
            NotFixedReason::SameVersion { version } => write!(
                formatter,
                "no finding, but the component is still at {version}, as in the fielded release: the patch did not change it, so the missing match is no evidence of a fix (re-match the fielded release)"
            ),
            NotFixedReason::VersionUnknown => formatter.write_str(
                "no finding, but the patch SBOM gives the component no version, so the matcher could not evaluate the affected ranges",
            ),
        }
    }
}

/// Why the patch release's match result is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotMatchedReason {
    /// The patch release has no SBOM.
    NoSbom,
    /// Its SBOM was never matched.
    NeverMatched,
}

impl std::fmt::Display for NotMatchedReason {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            NotMatchedReason::NoSbom => "the patch release has no SBOM: import it, then match it",
            NotMatchedReason::NeverMatched => {
                "the patch release's SBOM was never matched: run the match"
            }
        })
    }
}

/// The fix evidence of one finding in a patch release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixEvidence {
    /// The component is gone from the patch release.
    Removed,
    /// The component moved to another version and the match no longer fires.
    Upgraded {
        /// Its version in the fielded release.
        from: Option<String>,
        /// Its version in the patch release.
        to: String,
        /// The fixed versions the records give (cited, not judged).
        fixed_versions: Vec<String>,
    },
    /// The finding occurs in the patch release and is assessed as fixed or not affected.
    Assessed {
        /// `fixed` or `not_affected`.
        status: AssessedStatus,
        /// The justification of `not_affected`.
        justification: Option<Justification>,
    },
    /// The patch release does not fix the finding.
    NotFixed {
        /// Why.
        why: NotFixedReason,
    },
    /// The patch release's match result is not known.
    NotMatched {
        /// Why.
        why: NotMatchedReason,
    },
}

impl FixEvidence {
    /// Whether the finding counts as fixed.
    pub fn is_fixed(&self) -> bool {
        matches!(
            self,
            FixEvidence::Removed | FixEvidence::Upgraded { .. } | FixEvidence::Assessed { .. }
        )
    }

    /// The outcome's label: `removed`, `upgraded`, `assessed`, `not_fixed`, `not_matched`.
    pub fn label(&self) -> &'static str {
        match self {
            FixEvidence::Removed => "removed",
            FixEvidence::Upgraded { .. } => "upgraded",
            FixEvidence::Assessed { .. } => "assessed",
            FixEvidence::NotFixed { .. } => "not_fixed",
            FixEvidence::NotMatched { .. } => "not_matched",
        }
    }
}

impl std::fmt::Display for FixEvidence {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixEvidence::Removed => formatter.write_str("removed: the component is gone"),
            FixEvidence::Upgraded {
                from,
                to,
                fixed_versions,
            } => {
                write!(
                    formatter,
                    "upgraded from {} to {to}: the match no longer fires",
                    from.as_deref().unwrap_or("an unknown version")
                )?;
                if fixed_versions.is_empty() {
                    formatter.write_str(" (the records give no fixed version)")
                } else {
                    write!(formatter, " (fixed in {})", fixed_versions.join(", "))
                }
            }
            FixEvidence::Assessed {
                status,
                justification,
            } => {
                write!(formatter, "assessed {status}")?;
                match justification {
                    Some(justification) => write!(formatter, " ({justification})"),
                    None => Ok(()),
                }
            }
            FixEvidence::NotFixed { why } => write!(formatter, "not fixed: {why}"),
            FixEvidence::NotMatched { why } => write!(formatter, "not matched: {why}"),
        }
    }
}

/// The fix evidence of `finding` given what the patch release shows for it (see the module
/// documentation for the rule and its reasons).
pub fn fix_evidence(policy: &Policy, finding: &PlanFinding, patch: &PatchSide) -> FixEvidence {
    match patch {
        PatchSide::NoSbom => FixEvidence::NotMatched {
            why: NotMatchedReason::NoSbom,
        },
        PatchSide::NotMatched => FixEvidence::NotMatched {
            why: NotMatchedReason::NeverMatched,
        },
        PatchSide::ComponentAbsent => FixEvidence::Removed,
        PatchSide::ComponentPresent {
            version,
            finding: PatchFinding::Absent,
        } => match version {
            None => FixEvidence::NotFixed {
                why: NotFixedReason::VersionUnknown,
            },
            Some(version) if finding.version.as_deref() == Some(version.as_str()) => {
                FixEvidence::NotFixed {
                    why: NotFixedReason::SameVersion {
                        version: version.clone(),
                    },
                }
            }
            Some(version) => FixEvidence::Upgraded {
                from: finding.version.clone(),
                to: version.clone(),
                fixed_versions: finding.fixed_versions.clone(),
            },
        },
        PatchSide::ComponentPresent {
            version,
            finding: PatchFinding::Unassessed,
        } => FixEvidence::NotFixed {
            why: NotFixedReason::Unassessed {
                version: version.clone(),
            },
        },
        PatchSide::ComponentPresent {
            version,
            finding: PatchFinding::Assessed(assessment),
        } => assessed(policy, assessment, version),
    }
}

/// What an assessment of a finding that still fires in the patch release says.
fn assessed(policy: &Policy, assessment: &Assessment, version: &Option<String>) -> FixEvidence {
    let version = version.clone();
    let not_fixed = |why| FixEvidence::NotFixed { why };
    match (assessment.status, assessment.justification) {
        (VexStatus::Fixed, _) => FixEvidence::Assessed {
            status: AssessedStatus::Fixed,
            justification: None,
        },
        (VexStatus::NotAffected, None) => {
            not_fixed(NotFixedReason::NotAffectedWithoutJustification { version })
        }
        (VexStatus::NotAffected, Some(justification))
            if justification.rests_on_customer_controls()
                && !policy.vex().customer_controls_may_justify_not_affected() =>
        {
            not_fixed(NotFixedReason::RestsOnCustomerControls { justification })
        }
        (VexStatus::NotAffected, Some(justification)) => FixEvidence::Assessed {
            status: AssessedStatus::NotAffected,
            justification: Some(justification),
        },
        (VexStatus::Affected, _) => not_fixed(NotFixedReason::Affected { version }),
        (VexStatus::UnderInvestigation, _) => {
            not_fixed(NotFixedReason::UnderInvestigation { version })
        }
    }
}

/// A finding's fix evidence, with the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingFix {
    /// The plan's finding.
    pub finding: PlanFinding,
    /// What the patch release shows for it.
    pub evidence: FixEvidence,
}

/// A component of the patch release's SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchComponent {
    /// Its identity.
    pub key: ComponentKey,
    /// Its version, when the SBOM gives one.
    pub version: Option<String>,
}

/// An open finding of the patch release, with its assessment there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchReleaseFinding {
    /// The finding.
    pub id: FindingId,
    /// Its vulnerability (canonical id).
    pub vulnerability: VulnerabilityId,
    /// Its component's identity.
    pub component: ComponentKey,
    /// Its component's version.
    pub version: Option<String>,
    /// Its assessment in the patch release, if any.
    pub assessment: Option<Assessment>,
}

/// What the workspace knows of the patch release's SBOM and its match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchSbom<'a> {
    /// No SBOM was imported for the patch release.
    Missing,
    /// An SBOM was imported but never matched.
    NotMatched {
        /// The SBOM document's SHA-256.
        digest: Sha256,
    },
    /// The SBOM was matched.
    Matched {
        /// The SBOM document's SHA-256.
        digest: Sha256,
        /// Its components.
        components: &'a [PatchComponent],
        /// Its open findings; those of vulnerabilities no plan finding names are ignored.
        findings: &'a [PatchReleaseFinding],
    },
}

impl PatchSbom<'_> {
    /// The SBOM document's digest, when there is one.
    pub fn digest(&self) -> Option<Sha256> {
        match self {
            PatchSbom::Missing => None,
            PatchSbom::NotMatched { digest } | PatchSbom::Matched { digest, .. } => Some(*digest),
        }
    }
}

/// The fix evidence of every finding of a plan (or of the plans a patch serves), sorted by
/// finding id.
///
/// When the patch SBOM lists the finding's component identity more than once (two versions of
/// one npm package), each is judged: the finding is fixed only if every one is, and its
/// evidence is the first that is not fixed, else the first (in the text order of versions,
/// so that the result does not depend on the order the service read them).
pub fn plan_fixes(policy: &Policy, findings: &[PlanFinding], patch: &PatchSbom) -> Vec<FindingFix> {
    let judge = |evidence: &dyn Fn(&PlanFinding) -> FixEvidence| {
        findings
            .iter()
            .map(|finding| FindingFix {
                finding: finding.clone(),
                evidence: evidence(finding),
            })
            .collect::<Vec<_>>()
    };
    let mut fixes = match patch {
        PatchSbom::Missing => judge(&|finding| fix_evidence(policy, finding, &PatchSide::NoSbom)),
        PatchSbom::NotMatched { .. } => {
            judge(&|finding| fix_evidence(policy, finding, &PatchSide::NotMatched))
        }
        PatchSbom::Matched {
            components,
            findings: patch_findings,
            ..
        } => {
            let index = PatchIndex::new(components, patch_findings);
            judge(&|finding| index.evidence(policy, finding))
        }
    };
    fixes.sort_by_key(|fix| fix.finding.id);
    fixes
}

/// The patch release's components by identity and its findings by (identity, version,
/// vulnerability): one pass over each, so that a plan of many findings costs lookups.
struct PatchIndex<'a> {
    components: HashMap<&'a ComponentKey, Vec<&'a PatchComponent>>,
    findings: HashMap<(&'a ComponentKey, Option<&'a str>, &'a str), &'a PatchReleaseFinding>,
}

impl<'a> PatchIndex<'a> {
    fn new(components: &'a [PatchComponent], findings: &'a [PatchReleaseFinding]) -> Self {
        let mut by_key: HashMap<&ComponentKey, Vec<&PatchComponent>> = HashMap::new();
        for component in components {
            by_key.entry(&component.key).or_default().push(component);
        }
        for instances in by_key.values_mut() {
            instances.sort_by(|a, b| a.version.cmp(&b.version));
        }
        let findings = findings
            .iter()
            .map(|found| {
                let key = (
                    &found.component,
                    found.version.as_deref(),
                    found.vulnerability.as_str(),
                );
                (key, found)
            })
            .collect();
        PatchIndex {
            components: by_key,
            findings,
        }
    }

    /// The evidence of one finding: each instance of its component judged, the first that
    /// is not fixed returned, else the first.
    fn evidence(&self, policy: &Policy, finding: &PlanFinding) -> FixEvidence {
        let mut first = None;
        for instance in self
            .components
            .get(&finding.component)
            .into_iter()
            .flatten()
        {
            let key = (
                &instance.key,
                instance.version.as_deref(),
                finding.vulnerability.as_str(),
            );
            let there = match self.findings.get(&key) {
                None => PatchFinding::Absent,
                Some(found) => match found.assessment {
                    None => PatchFinding::Unassessed,
                    Some(assessment) => PatchFinding::Assessed(assessment),
                },
            };
            let side = PatchSide::ComponentPresent {
                version: instance.version.clone(),
                finding: there,
            };
            let evidence = fix_evidence(policy, finding, &side);
            if !evidence.is_fixed() {
                return evidence;
            }
            first.get_or_insert(evidence);
        }
        // No instance: the component is gone.
        first.unwrap_or_else(|| fix_evidence(policy, finding, &PatchSide::ComponentAbsent))
    }
}

/// How many findings each kind of fix evidence covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixCounts {
    /// [`FixEvidence::Removed`].
    pub removed: usize,
    /// [`FixEvidence::Upgraded`].
    pub upgraded: usize,
    /// [`FixEvidence::Assessed`].
    pub assessed: usize,
    /// [`FixEvidence::NotFixed`].
    pub not_fixed: usize,
    /// [`FixEvidence::NotMatched`].
    pub not_matched: usize,
}

impl FixCounts {
    /// Counts one more finding with `evidence`.
    pub fn add(&mut self, evidence: &FixEvidence) {
        match evidence {
            FixEvidence::Removed => self.removed += 1,
            FixEvidence::Upgraded { .. } => self.upgraded += 1,
            FixEvidence::Assessed { .. } => self.assessed += 1,
            FixEvidence::NotFixed { .. } => self.not_fixed += 1,
            FixEvidence::NotMatched { .. } => self.not_matched += 1,
        }
    }

    /// The findings counted.
    pub fn total(&self) -> usize {
        self.fixed() + self.not_fixed + self.not_matched
    }

    /// The findings that count as fixed.
    pub fn fixed(&self) -> usize {
        self.removed + self.upgraded + self.assessed
    }
}

impl std::fmt::Display for FixCounts {
    /// `2311 removed, 205 upgraded, 7484 not fixed`: the kinds that occur, fixed first.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = [
            (self.removed, "removed"),
            (self.upgraded, "upgraded"),
            (self.assessed, "assessed fixed or not affected"),
            (self.not_fixed, "not fixed"),
            (self.not_matched, "not matched"),
        ];
        let mut first = true;
        for (count, kind) in kinds.iter().filter(|(count, _)| *count > 0) {
            if !first {
                formatter.write_str(", ")?;
            }
            write!(formatter, "{count} {kind}")?;
            first = false;
        }
        if first {
            formatter.write_str("no findings")?;
        }
        Ok(())
    }
}

/// The fix evidence of one vulnerability, summed over the plan's findings of it: what a
/// reader of a plan of thousands of findings looks at first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnerabilityFixes<'a> {
    /// The vulnerability.
    pub vulnerability: &'a VulnerabilityId,
    /// The evidence, counted.
    pub counts: FixCounts,
    /// Its findings' components at their fielded versions, distinct, in text order.
    pub components: Vec<(&'a ComponentKey, Option<&'a str>)>,
    /// The findings that are not fixed (not fixed or not matched), by finding id.
    pub open: Vec<&'a FindingFix>,
}

/// The fix evidence by vulnerability, in vulnerability order (`fixes` as [`plan_fixes`]
/// returns them).
pub fn fixes_by_vulnerability(fixes: &[FindingFix]) -> Vec<VulnerabilityFixes<'_>> {
    let mut by: std::collections::BTreeMap<&str, VulnerabilityFixes<'_>> =
        std::collections::BTreeMap::new();
    for fix in fixes {
        let entry = by
            .entry(fix.finding.vulnerability.as_str())
            .or_insert_with(|| VulnerabilityFixes {
                vulnerability: &fix.finding.vulnerability,
                counts: FixCounts::default(),
                components: Vec::new(),
                open: Vec::new(),
            });
        entry.counts.add(&fix.evidence);
        entry
            .components
            .push((&fix.finding.component, fix.finding.version.as_deref()));
        if !fix.evidence.is_fixed() {
            entry.open.push(fix);
        }
    }
    by.into_values()
        .map(|mut summary| {
            summary.components.sort();
            summary.components.dedup();
            summary.open.sort_by_key(|fix| fix.finding.id);
            summary
        })
        .collect()
}

/// The patch release's findings of a plan's vulnerabilities on components that no plan
/// finding of the same vulnerability names, sorted by finding id: the vulnerability still
/// occurs in the patch, somewhere the per-finding evidence does not look.
pub fn residual_findings<'a>(
    fixes: &[FindingFix],
    patch: &PatchSbom<'a>,
) -> Vec<&'a PatchReleaseFinding> {
    let PatchSbom::Matched { findings, .. } = patch else {
        return Vec::new();
    };
    let covered: std::collections::HashSet<(&str, &ComponentKey)> = fixes
        .iter()
        .map(|fix| (fix.finding.vulnerability.as_str(), &fix.finding.component))
        .collect();
    let vulnerabilities: std::collections::HashSet<&str> = fixes
        .iter()
        .map(|fix| fix.finding.vulnerability.as_str())
        .collect();
    let mut residual: Vec<&PatchReleaseFinding> = findings
        .iter()
        .filter(|found| {
            vulnerabilities.contains(found.vulnerability.as_str())
                && !covered.contains(&(found.vulnerability.as_str(), &found.component))
        })
        .collect();
    residual.sort_by_key(|found| found.id);
    residual
}

/// Whether a finding of the patch release is assessed as fixed or not affected (with a
/// justification the policy accepts); `None` when it is, else why not.
pub(crate) fn still_open(policy: &Policy, found: &PatchReleaseFinding) -> Option<NotFixedReason> {
    let evidence = match &found.assessment {
        None => FixEvidence::NotFixed {
            why: NotFixedReason::Unassessed {
                version: found.version.clone(),
            },
        },
        Some(assessment) => assessed(policy, assessment, &found.version),
    };
    match evidence {
        FixEvidence::NotFixed { why } => Some(why),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(version: Option<&str>) -> PlanFinding {
        PlanFinding {
            id: FindingId(7),
            vulnerability: "CVE-2023-26964".parse().unwrap(),
            component: ComponentKey::new("pkg:cargo/hyper").unwrap(),
            version: version.map(str::to_string),
            fixed_versions: vec!["0.14.26".to_string(), "1.0.0-rc.4".to_string()],
        }
    }

    /// `no_sbom`, `not_matched`, `absent`, or `VERSION FINDING` where VERSION is a version or
    /// `-` and FINDING is `none`, `unassessed` or `STATUS[/JUSTIFICATION]`.
    fn side(text: &str) -> PatchSide {
        match text {
            "no_sbom" => PatchSide::NoSbom,
            "not_matched" => PatchSide::NotMatched,
            "absent" => PatchSide::ComponentAbsent,
            _ => {
                let (version, finding) = text.split_once(' ').unwrap();
                let version = (version != "-").then(|| version.to_string());
                let finding = match finding {
                    "none" => PatchFinding::Absent,
                    "unassessed" => PatchFinding::Unassessed,
                    assessed => {
                        let (status, justification) = match assessed.split_once('/') {
                            Some((status, justification)) => {
                                (status, Some(justification.parse().unwrap()))
                            }
                            None => (assessed, None),
                        };
                        PatchFinding::Assessed(Assessment {
                            status: status.parse().unwrap(),
                            justification,
                        })
                    }
                };
                PatchSide::ComponentPresent { version, finding }
            }
        }
    }

    /// The fielded version, what the patch shows → the evidence in words.
    fn check(fielded: Option<&str>, patch: &str, expected: &str) {
        let policy = Policy::builtin().unwrap();
        let evidence = fix_evidence(&policy, &finding(fielded), &side(patch));
        assert_eq!(evidence.to_string(), expected, "{fielded:?} → {patch}");
        assert_eq!(
            evidence.is_fixed(),
            matches!(evidence.label(), "removed" | "upgraded" | "assessed")
        );
    }

    #[test]
    #[rustfmt::skip]
    fn fixed() {
        check(Some("0.14.10"), "absent", "removed: the component is gone");
        check(Some("0.14.10"), "0.14.28 none", "upgraded from 0.14.10 to 0.14.28: the match no longer fires (fixed in 0.14.26, 1.0.0-rc.4)");
        check(None, "0.14.28 none", "upgraded from an unknown version to 0.14.28: the match no longer fires (fixed in 0.14.26, 1.0.0-rc.4)");
        check(Some("0.14.10"), "0.14.9 none", "upgraded from 0.14.10 to 0.14.9: the match no longer fires (fixed in 0.14.26, 1.0.0-rc.4)");
        check(Some("0.14.10"), "0.14.10 fixed", "assessed fixed");
        check(Some("0.14.10"), "0.14.10 fixed/code_not_present", "assessed fixed");
        check(Some("0.14.10"), "0.14.10 not_affected/code_not_reachable", "assessed not_affected (code_not_reachable)");
        check(Some("0.14.10"), "0.14.11 not_affected/requires_configuration", "assessed not_affected (requires_configuration)");
    }

    #[test]
    #[rustfmt::skip]
    fn not_fixed() {
        check(Some("0.14.10"), "0.14.10 unassessed", "not fixed: still present at 0.14.10 and the finding is not assessed");
        check(Some("0.14.10"), "0.14.11 unassessed", "not fixed: still present at 0.14.11 and the finding is not assessed");
        check(Some("0.14.10"), "- unassessed", "not fixed: still present without a version and the finding is not assessed");
        check(Some("0.14.10"), "0.14.10 affected", "not fixed: still present at 0.14.10 and assessed affected");
        check(Some("0.14.10"), "0.14.10 under_investigation", "not fixed: still present at 0.14.10 and under investigation");
        check(Some("0.14.10"), "0.14.10 not_affected", "not fixed: still present at 0.14.10 and assessed not_affected without a justification");
        check(Some("0.14.10"), "0.14.10 not_affected/protected_at_perimeter", "not fixed: assessed not_affected because protected_at_perimeter, which rests on the customer's controls: the product itself is still affected (vex.customer_controls_may_justify_not_affected is off)");
        check(Some("0.14.10"), "0.14.10 not_affected/protected_by_mitigating_control", "not fixed: assessed not_affected because protected_by_mitigating_control, which rests on the customer's controls: the product itself is still affected (vex.customer_controls_may_justify_not_affected is off)");
        check(Some("0.14.10"), "0.14.10 none", "not fixed: no finding, but the component is still at 0.14.10, as in the fielded release: the patch did not change it, so the missing match is no evidence of a fix (re-match the fielded release)");
        check(Some("0.14.10"), "- none", "not fixed: no finding, but the patch SBOM gives the component no version, so the matcher could not evaluate the affected ranges");
    }

    #[test]
    #[rustfmt::skip]
    fn not_matched_is_said_never_guessed() {
        check(Some("0.14.10"), "no_sbom", "not matched: the patch release has no SBOM: import it, then match it");
        check(Some("0.14.10"), "not_matched", "not matched: the patch release's SBOM was never matched: run the match");
    }

    #[test]
    fn customer_controls_count_when_the_policy_says_so() {
        let mut document: toml::Table =
            toml::from_str(aftercare_risk::policy::DEFAULT_POLICY_TOML).unwrap();
        document["vex"].as_table_mut().unwrap().insert(
            "customer_controls_may_justify_not_affected".into(),
            true.into(),
        );
        let policy = Policy::from_toml(&toml::to_string(&document).unwrap(), "test").unwrap();
        let evidence = fix_evidence(
            &policy,
            &finding(Some("0.14.10")),
            &side("0.14.10 not_affected/protected_at_perimeter"),
        );
        assert_eq!(
            evidence.to_string(),
            "assessed not_affected (protected_at_perimeter)"
        );
    }

    fn component(key: &str, version: &str) -> PatchComponent {
        PatchComponent {
            key: ComponentKey::new(key).unwrap(),
            version: Some(version.to_string()),
        }
    }

    fn patch_finding(
        id: i64,
        key: &str,
        version: &str,
        assessment: Option<&str>,
    ) -> PatchReleaseFinding {
        PatchReleaseFinding {
            id: FindingId(id),
            vulnerability: "CVE-2023-26964".parse().unwrap(),
            component: ComponentKey::new(key).unwrap(),
            version: Some(version.to_string()),
            assessment: assessment.map(|status| Assessment {
                status: status.parse().unwrap(),
                justification: None,
            }),
        }
    }

    #[test]
    fn a_plan_in_one_pass() {
        let policy = Policy::builtin().unwrap();
        let mut h2 = finding(Some("0.3.15"));
        h2.id = FindingId(3);
        h2.component = ComponentKey::new("pkg:cargo/h2").unwrap();
        let mut removed = finding(Some("1.0.0"));
        removed.id = FindingId(9);
        removed.component = ComponentKey::new("pkg:cargo/hyper-old").unwrap();
        let findings = [finding(Some("0.14.10")), h2, removed];
        let components = [
            component("pkg:cargo/hyper", "0.14.28"),
            component("pkg:cargo/h2", "0.3.15"),
            component("pkg:cargo/h2", "0.3.24"),
            component("pkg:cargo/vendored-hyper", "0.14.10"),
        ];
        let patch_findings = [
            patch_finding(40, "pkg:cargo/h2", "0.3.15", None),
            patch_finding(41, "pkg:cargo/vendored-hyper", "0.14.10", None),
            patch_finding(42, "pkg:cargo/hyper-util", "0.1.0", Some("fixed")),
        ];
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom"),
            components: &components,
            findings: &patch_findings,
        };
        let fixes = plan_fixes(&policy, &findings, &sbom);
        let found: Vec<String> = fixes
            .iter()
            .map(|fix| format!("{} {}", fix.finding.id, fix.evidence.label()))
            .collect();
        // h2 is there twice: 0.3.24 is fixed, 0.3.15 is not, so the finding is not fixed.
        assert_eq!(found, ["3 not_fixed", "7 upgraded", "9 removed"]);
        let residual: Vec<FindingId> = residual_findings(&fixes, &sbom)
            .iter()
            .map(|found| found.id)
            .collect();
        assert_eq!(residual, [FindingId(41), FindingId(42)]);
        assert_eq!(
            still_open(&policy, &patch_findings[1]).map(|why| why.to_string()),
            Some("still present at 0.14.10 and the finding is not assessed".to_string())
        );
        assert_eq!(still_open(&policy, &patch_findings[2]), None);
        // Without a matched SBOM every finding says so.
        let unmatched = plan_fixes(&policy, &findings, &PatchSbom::Missing);
        assert!(
            unmatched
                .iter()
                .all(|fix| fix.evidence.label() == "not_matched")
        );
        assert!(residual_findings(&unmatched, &PatchSbom::Missing).is_empty());
    }

    #[test]
    fn a_plan_summed_by_vulnerability() {
        let policy = Policy::builtin().unwrap();
        // hyper (CVE-2023-26964) in three fielded releases at two versions, one of them
        // upgraded away and one still there; h2 (another vulnerability) removed.
        let mut findings = Vec::new();
        for (id, version) in [(7, "0.14.10"), (8, "0.14.10"), (12, "0.14.28")] {
            let mut f = finding(Some(version));
            f.id = FindingId(id);
            findings.push(f);
        }
        let mut h2 = finding(Some("0.3.15"));
        h2.id = FindingId(3);
        h2.vulnerability = "GHSA-8r5v-vm4m-4g25".parse().unwrap();
        h2.component = ComponentKey::new("pkg:cargo/h2").unwrap();
        findings.push(h2);
        // The patch keeps hyper at 0.14.28 (where the match no longer fires) and drops h2.
        let components = [component("pkg:cargo/hyper", "0.14.28")];
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom"),
            components: &components,
            findings: &[],
        };
        let fixes = plan_fixes(&policy, &findings, &sbom);
        let summary: Vec<String> = fixes_by_vulnerability(&fixes)
            .iter()
            .map(|v| {
                let components: Vec<String> = v
                    .components
                    .iter()
                    .map(|(key, version)| format!("{}@{}", key.as_str(), version.unwrap_or("-")))
                    .collect();
                let open: Vec<i64> = v.open.iter().map(|fix| fix.finding.id.0).collect();
                format!(
                    "{}: {} of {} fixed ({}); {}; open {open:?}",
                    v.vulnerability,
                    v.counts.fixed(),
                    v.counts.total(),
                    v.counts,
                    components.join(" ")
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "CVE-2023-26964: 2 of 3 fixed (2 upgraded, 1 not fixed); pkg:cargo/hyper@0.14.10 pkg:cargo/hyper@0.14.28; open [12]",
                "GHSA-8r5v-vm4m-4g25: 1 of 1 fixed (1 removed); pkg:cargo/h2@0.3.15; open []",
            ]
        );
        assert_eq!(FixCounts::default().to_string(), "no findings");
    }

    #[test]
    fn a_component_key_is_never_blank() {
        assert_eq!(
            ComponentKey::new("  ").unwrap_err().to_string(),
            "a component key must not be blank"
        );
        assert_eq!(
            ComponentKey::new(" pkg:npm/a ").unwrap().as_str(),
            "pkg:npm/a"
        );
    }
}
