//! Approval preconditions: every reason a patch release may not be approved yet.
//!
//! The approval is a 21 CFR Part 11 signature by a holder of the approving role (the service
//! verifies the person, the credentials and the role). Before it is recorded, this rule
//! looks at what the signature will vouch for, and lists **every** reason to refuse it, so
//! that one attempt shows everything left to do (ISO 13485 §7.3.9: a change is reviewed,
//! verified, validated as appropriate and approved before implementation; IEC 62304 §6.2.4
//! change request approval, §9.7 verify problem resolution):
//!
//! 1. **no finding**: a patch that names no finding remediates nothing the workspace knows;
//! 2. **a required evidence kind missing** (the kinds [`required_evidence`] derives from the
//!    policy's `[patch.evidence]` for the plans' risk classes), in [`EvidenceKind::ALL`]
//!    order;
//! 3. **a current evidence item that did not pass** (`fail` or `deviation`), by kind then id:
//!    *any* current item, required kind or not, because the signature binds every current
//!    item and an approver cannot sign over a recorded failure; it is superseded by its
//!    correction or a passing re-run, never edited;
//! 4. **an impact assessment that awaits a clearance** (a new submission is needed and none
//!    is recorded), by id;
//! 5. **a finding not fixed or not matched** ([`crate::fix_evidence`]), by finding id;
//! 6. **the vulnerability still occurring** in the patch release on a component no plan
//!    finding names, unassessed or assessed as neither fixed nor justified not affected
//!    ([`crate::residual_findings`]), by finding id;
//! 7. **segregation of duties** (`patch.evidence.segregation_of_duties`, on by default): the
//!    signer is the only person who executed the current validation evidence (IEC
//!    81001-5-1 §5.7.5, objectivity of the test effort). Someone else taking part suffices;
//!    names are compared without case or surrounding blanks, so a different spelling of the
//!    same login does not pass.
//!
//! The order and the wording ([`Refusal`]'s `Display`) are part of the contract: a person
//! reads them, at the command line and in the approval dialog.

use aftercare_risk::{EvidenceKind, Policy, RiskClass};

use crate::PatchError;
use crate::binding::{ApprovalBinding, PatchRelease, approval_binding};
use crate::cycle::VulnerabilityFacts;
use crate::evidence::{EvidenceId, EvidenceResult, current_evidence};
use crate::fix::{ComponentKey, FindingId, FixEvidence, NotFixedReason, NotMatchedReason};
use crate::fix::{residual_findings, still_open};
use aftercare_model::VulnerabilityId;

/// The evidence kinds a patch for these vulnerabilities requires: every kind the policy's
/// `[patch.evidence]` lists for the risk class of any of them, in [`EvidenceKind::ALL`]
/// order. A vulnerability without a determination requires what an uncontrolled one does:
/// its risk may be uncontrolled, and FDA 2016 (section VI.A) takes a reasonable worst case
/// where a risk is not assessed.
pub fn required_evidence(policy: &Policy, facts: &[VulnerabilityFacts]) -> Vec<EvidenceKind> {
    let rules = policy.patch().evidence();
    EvidenceKind::ALL
        .iter()
        .copied()
        .filter(|kind| {
            facts.iter().any(|fact| {
                rules
                    .required(fact.risk_class.unwrap_or(RiskClass::Uncontrolled))
                    .contains(kind)
            })
        })
        .collect()
}

/// One reason an approval is refused (see the module documentation for the order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The patch names no finding.
    NoFinding,
    /// No current evidence of a required kind.
    EvidenceMissing {
        /// The kind.
        kind: EvidenceKind,
    },
    /// A current evidence item failed or records a deviation.
    EvidenceNotPassed {
        /// The item.
        id: EvidenceId,
        /// Its kind.
        kind: EvidenceKind,
        /// Its title.
        title: String,
        /// `fail` or `deviation`.
        result: EvidenceResult,
    },
    /// A current impact assessment says a new submission is needed and records no clearance.
    SubmissionNotCleared {
        /// The impact assessment's evidence item.
        id: EvidenceId,
    },
    /// A finding of the plan is not fixed by the patch.
    FindingNotFixed {
        /// The finding.
        finding: FindingId,
        /// Its vulnerability.
        vulnerability: VulnerabilityId,
        /// Its component.
        component: ComponentKey,
        /// Why.
        why: NotFixedReason,
    },
    /// The patch release's match result is not known.
    FindingNotMatched {
        /// The finding.
        finding: FindingId,
        /// Its vulnerability.
        vulnerability: VulnerabilityId,
        /// Its component.
        component: ComponentKey,
        /// Why.
        why: NotMatchedReason,
    },
    /// The plan's vulnerability still occurs in the patch release elsewhere.
    StillOccurs {
        /// The patch release's finding.
        finding: FindingId,
        /// Its vulnerability.
        vulnerability: VulnerabilityId,
        /// Its component.
        component: ComponentKey,
        /// Why it counts as open.
        why: NotFixedReason,
    },
    /// The signer alone executed the validation evidence.
    SignerOnlyValidator {
        /// The signer.
        signer: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoFinding => formatter.write_str(
                "the patch names no finding: attach it to a plan that names the findings it remediates",
            ),
            Refusal::EvidenceMissing { kind } => write!(
                formatter,
                "no current {kind} evidence: the policy requires it (patch.evidence)"
            ),
            Refusal::EvidenceNotPassed {
                id,
                kind,
                title,
                result,
            } => write!(
                formatter,
                "{kind} evidence {id} ({title:?}) is {result}: supersede it with its correction or a passing re-run"
            ),
            Refusal::SubmissionNotCleared { id } => write!(
                formatter,
                "impact assessment {id} says a new submission is needed and records no clearance: a change that needs one is distributed only once it is cleared or approved (21 CFR 807.81(a)(3), 814.39(a))"
            ),
            Refusal::FindingNotFixed {
                finding,
                vulnerability,
                component,
                why,
            } => write!(
                formatter,
                "finding {finding} ({vulnerability} in {component}) is not fixed: {why}"
            ),
            Refusal::FindingNotMatched {
                finding,
                vulnerability,
                component,
                why,
            } => write!(
                formatter,
                "finding {finding} ({vulnerability} in {component}) cannot be judged: {why}"
            ),
            Refusal::StillOccurs {
                finding,
                vulnerability,
                component,
                why,
            } => write!(
                formatter,
                "{vulnerability} still occurs in the patch release in {component} (finding {finding}): {why}"
            ),
            Refusal::SignerOnlyValidator { signer } => write!(
                formatter,
                "{signer} is the only person who executed the validation evidence and may not approve it alone (patch.evidence.segregation_of_duties)"
            ),
        }
    }
}

/// Every reason `signer` may not approve `release` now, in the documented order; empty when
/// the approval may be signed. `required` comes from [`required_evidence`].
pub fn approval_refusals(
    policy: &Policy,
    required: &[EvidenceKind],
    release: &PatchRelease,
    signer: &str,
) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    if release.fixes.is_empty() {
        refusals.push(Refusal::NoFinding);
    }
    let current = current_evidence(release.evidence);
    for kind in EvidenceKind::ALL {
        if required.contains(kind) && !current.iter().any(|item| item.content.kind == *kind) {
            refusals.push(Refusal::EvidenceMissing { kind: *kind });
        }
    }
    let mut not_passed: Vec<_> = current
        .iter()
        .filter(|item| item.content.result != EvidenceResult::Pass)
        .collect();
    not_passed.sort_by_key(|item| (item.content.kind, item.id));
    for item in not_passed {
        refusals.push(Refusal::EvidenceNotPassed {
            id: item.id,
            kind: item.content.kind,
            title: item.content.title.trim().to_string(),
            result: item.content.result,
        });
    }
    for item in &current {
        if item
            .content
            .impact
            .as_ref()
            .is_some_and(|impact| impact.awaits_clearance())
        {
            refusals.push(Refusal::SubmissionNotCleared { id: item.id });
        }
    }
    let mut fixes: Vec<_> = release.fixes.iter().collect();
    fixes.sort_by_key(|fix| fix.finding.id);
    for fix in fixes {
        let finding = &fix.finding;
        match &fix.evidence {
            FixEvidence::NotFixed { why } => refusals.push(Refusal::FindingNotFixed {
                finding: finding.id,
                vulnerability: finding.vulnerability.clone(),
                component: finding.component.clone(),
                why: why.clone(),
            }),
            FixEvidence::NotMatched { why } => refusals.push(Refusal::FindingNotMatched {
                finding: finding.id,
                vulnerability: finding.vulnerability.clone(),
                component: finding.component.clone(),
                why: *why,
            }),
            FixEvidence::Removed | FixEvidence::Upgraded { .. } | FixEvidence::Assessed { .. } => {}
        }
    }
    for found in residual_findings(release.fixes, &release.sbom) {
        if let Some(why) = still_open(policy, found) {
            refusals.push(Refusal::StillOccurs {
                finding: found.id,
                vulnerability: found.vulnerability.clone(),
                component: found.component.clone(),
                why,
            });
        }
    }
    if policy.patch().evidence().segregation_of_duties() {
        let same = |person: &str| person.trim().to_lowercase() == signer.trim().to_lowercase();
        let validators: Vec<&str> = current
            .iter()
            .filter(|item| item.content.kind == EvidenceKind::Validation)
            .flat_map(|item| item.content.executors())
            .collect();
        if !validators.is_empty() && validators.iter().all(|person| same(person)) {
            refusals.push(Refusal::SignerOnlyValidator {
                signer: signer.trim().to_string(),
            });
        }
    }
    refusals
}

/// [`approval_refusals`] as a result: the binding the signature must carry when nothing
/// refuses it, else [`PatchError::ApprovalRefused`] with every reason. The service calls it
/// after verifying the signer and before it records anything; a refusal writes nothing but
/// the audit of the refused attempt.
pub fn check_approval(
    policy: &Policy,
    required: &[EvidenceKind],
    release: &PatchRelease,
    signer: &str,
) -> Result<ApprovalBinding, PatchError> {
    let refusals = approval_refusals(policy, required, release, signer);
    if refusals.is_empty() {
        Ok(approval_binding(release))
    } else {
        Err(PatchError::ApprovalRefused { refusals })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::evidence::Evidence;
    use crate::evidence::tests::item;
    use crate::fix::{
        FindingFix, PatchComponent, PatchReleaseFinding, PatchSbom, PlanFinding, plan_fixes,
    };
    use aftercare_model::{Severity, Sha256};

    fn facts(classes: &[Option<&str>]) -> Vec<VulnerabilityFacts> {
        classes
            .iter()
            .enumerate()
            .map(|(index, class)| VulnerabilityFacts {
                vulnerability: format!("CVE-2024-{:04}", index + 1).parse().unwrap(),
                risk_class: class.map(|class| class.parse().unwrap()),
                kev_listed: false,
                cvss_severity: Severity::High,
            })
            .collect()
    }

    fn check_required(classes: &[Option<&str>], expected: &[&str]) {
        let policy = Policy::builtin().unwrap();
        let kinds: Vec<&str> = required_evidence(&policy, &facts(classes))
            .iter()
            .map(|kind| kind.as_str())
            .collect();
        assert_eq!(kinds, expected, "{classes:?}");
    }

    #[test]
    #[rustfmt::skip]
    fn required_kinds_follow_the_worst_risk_class() {
        check_required(&[Some("controlled")], &["verification", "regression", "impact_assessment"]);
        check_required(&[Some("uncontrolled")], &["verification", "validation", "regression", "impact_assessment"]);
        check_required(&[Some("controlled"), Some("uncontrolled")], &["verification", "validation", "regression", "impact_assessment"]);
        check_required(&[None], &["verification", "validation", "regression", "impact_assessment"]);
        check_required(&[], &[]);
    }

    /// The hyper finding of the demo: 0.14.10 in the fielded release.
    pub(crate) fn hyper() -> PlanFinding {
        PlanFinding {
            id: FindingId(7),
            vulnerability: "CVE-2023-26964".parse().unwrap(),
            component: ComponentKey::new("pkg:cargo/hyper").unwrap(),
            version: Some("0.14.10".to_string()),
            fixed_versions: vec!["0.14.26".to_string()],
        }
    }

    /// The patch release's components: `hyper@0.14.28` etc.
    pub(crate) fn components(list: &[&str]) -> Vec<PatchComponent> {
        list.iter()
            .map(|entry| {
                let (name, version) = entry.split_once('@').unwrap();
                PatchComponent {
                    key: ComponentKey::new(&format!("pkg:cargo/{name}")).unwrap(),
                    version: Some(version.to_string()),
                }
            })
            .collect()
    }

    /// The patch release's findings of the hyper vulnerability: `ID name@version [STATUS]`.
    pub(crate) fn patch_findings(list: &[&str]) -> Vec<PatchReleaseFinding> {
        list.iter()
            .map(|entry| {
                let mut words = entry.split_whitespace();
                let id = FindingId(words.next().unwrap().parse().unwrap());
                let (name, version) = words.next().unwrap().split_once('@').unwrap();
                let assessment = words.next().map(|status| crate::fix::Assessment {
                    status: status.parse().unwrap(),
                    justification: None,
                });
                PatchReleaseFinding {
                    id,
                    vulnerability: "CVE-2023-26964".parse().unwrap(),
                    component: ComponentKey::new(&format!("pkg:cargo/{name}")).unwrap(),
                    version: Some(version.to_string()),
                    assessment,
                }
            })
            .collect()
    }

    /// A patch release 2.2.1 of the pump with a matched SBOM.
    pub(crate) fn release<'a>(
        sbom: PatchSbom<'a>,
        fixes: &'a [FindingFix],
        evidence: &'a [Evidence],
    ) -> PatchRelease<'a> {
        PatchRelease {
            product: "infusion-pump",
            version: "2.2.1",
            sbom,
            fixes,
            evidence,
        }
    }

    /// The full evidence of an uncontrolled plan, validated by vera, approved by `signer`.
    const COMPLETE: &[&str] = &[
        "impact_assessment pass ada",
        "verification pass rob",
        "validation pass vera",
        "regression pass rob",
    ];

    /// Patch components, patch findings, evidence lines, signer → the refusals in words.
    fn check(patch: &[&str], found: &[&str], evidence: &[&str], signer: &str, expected: &[&str]) {
        let policy = Policy::builtin().unwrap();
        let components = components(patch);
        let found = patch_findings(found);
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom 2.2.1"),
            components: &components,
            findings: &found,
        };
        let fixes = plan_fixes(&policy, &[hyper()], &sbom);
        let evidence: Vec<Evidence> = evidence
            .iter()
            .enumerate()
            .map(|(index, line)| item(index as i64 + 1, line))
            .collect();
        let required = required_evidence(&policy, &facts(&[Some("uncontrolled")]));
        let refusals: Vec<String> = approval_refusals(
            &policy,
            &required,
            &release(sbom, &fixes, &evidence),
            signer,
        )
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(refusals, expected, "{patch:?} {evidence:?} by {signer}");
    }

    #[test]
    #[rustfmt::skip]
    fn a_complete_patch_may_be_approved() {
        check(&["hyper@0.14.28"], &[], COMPLETE, "quinn", &[]);
        // The validator took part with someone else: not alone.
        check(&["hyper@0.14.28"], &[], &["impact_assessment pass ada", "verification pass rob", "validation pass vera,quinn", "regression pass rob"], "quinn", &[]);
        // A failed validation superseded by a passing re-run.
        check(&["hyper@0.14.28"], &[], &["impact_assessment pass ada", "verification pass rob", "validation fail vera", "regression pass rob", "validation pass vera supersedes=3"], "quinn", &[]);
        // Still present but assessed fixed (a backport).
        check(&["hyper@0.14.10"], &["40 hyper@0.14.10 fixed"], COMPLETE, "quinn", &[]);
    }

    #[test]
    #[rustfmt::skip]
    fn evidence_missing_or_not_passed() {
        check(&["hyper@0.14.28"], &[], &["verification pass rob", "regression pass rob"], "quinn", &["no current validation evidence: the policy requires it (patch.evidence)", "no current impact_assessment evidence: the policy requires it (patch.evidence)"]);
        check(&["hyper@0.14.28"], &[], &["impact_assessment pass ada", "verification pass rob", "validation fail vera", "regression deviation rob", "security_test fail eve"], "quinn", &[
            "validation evidence 3 (\"validation report 3\") is fail: supersede it with its correction or a passing re-run",
            "regression evidence 4 (\"regression report 4\") is deviation: supersede it with its correction or a passing re-run",
            "security_test evidence 5 (\"security_test report 5\") is fail: supersede it with its correction or a passing re-run",
        ]);
        // A superseded item no longer counts, neither for nor against.
        check(&["hyper@0.14.28"], &[], &["impact_assessment pass ada", "verification pass rob", "validation pass vera", "regression pass rob", "validation fail vera supersedes=3"], "quinn", &[
            "validation evidence 5 (\"validation report 5\") is fail: supersede it with its correction or a passing re-run",
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn findings_not_fixed() {
        check(&["hyper@0.14.10"], &["40 hyper@0.14.10"], COMPLETE, "quinn", &["finding 7 (CVE-2023-26964 in pkg:cargo/hyper) is not fixed: still present at 0.14.10 and the finding is not assessed"]);
        check(&["hyper@0.14.10"], &[], COMPLETE, "quinn", &["finding 7 (CVE-2023-26964 in pkg:cargo/hyper) is not fixed: no finding, but the component is still at 0.14.10, as in the fielded release: the patch did not change it, so the missing match is no evidence of a fix (re-match the fielded release)"]);
        check(&["hyper@0.14.28", "hyper-vendored@0.14.10", "hyper-copy@0.14.9"], &["42 hyper-copy@0.14.9 affected", "41 hyper-vendored@0.14.10"], COMPLETE, "quinn", &[
            "CVE-2023-26964 still occurs in the patch release in pkg:cargo/hyper-vendored (finding 41): still present at 0.14.10 and the finding is not assessed",
            "CVE-2023-26964 still occurs in the patch release in pkg:cargo/hyper-copy (finding 42): still present at 0.14.9 and assessed affected",
        ]);
        // Assessed fixed or justified not affected elsewhere: no reason.
        check(&["hyper@0.14.28", "hyper-copy@0.14.9"], &["42 hyper-copy@0.14.9 fixed"], COMPLETE, "quinn", &[]);
        check(&["hyper@0.14.28", "hyper-vendored@0.14.10"], &["41 hyper-vendored@0.14.10 not_affected"], COMPLETE, "quinn", &[
            "CVE-2023-26964 still occurs in the patch release in pkg:cargo/hyper-vendored (finding 41): still present at 0.14.10 and assessed not_affected without a justification",
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn segregation_of_duties() {
        check(&["hyper@0.14.28"], &[], COMPLETE, "vera", &["vera is the only person who executed the validation evidence and may not approve it alone (patch.evidence.segregation_of_duties)"]);
        check(&["hyper@0.14.28"], &[], COMPLETE, " Vera ", &["Vera is the only person who executed the validation evidence and may not approve it alone (patch.evidence.segregation_of_duties)"]);
        // Executing other evidence is no conflict.
        check(&["hyper@0.14.28"], &[], COMPLETE, "rob", &[]);
        // Switched off in the policy.
        let mut document: toml::Table =
            toml::from_str(aftercare_risk::policy::DEFAULT_POLICY_TOML).unwrap();
        document["patch"]["evidence"]
            .as_table_mut()
            .unwrap()
            .insert("segregation_of_duties".into(), false.into());
        let policy = Policy::from_toml(&toml::to_string(&document).unwrap(), "test").unwrap();
        let components = components(&["hyper@0.14.28"]);
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom 2.2.1"),
            components: &components,
            findings: &[],
        };
        let fixes = plan_fixes(&policy, &[hyper()], &sbom);
        let evidence: Vec<Evidence> = COMPLETE
            .iter()
            .enumerate()
            .map(|(index, line)| item(index as i64 + 1, line))
            .collect();
        let required = required_evidence(&policy, &facts(&[Some("uncontrolled")]));
        assert!(
            approval_refusals(
                &policy,
                &required,
                &release(sbom, &fixes, &evidence),
                "vera"
            )
            .is_empty()
        );
    }

    #[test]
    fn every_reason_at_once_in_order() {
        let policy = Policy::builtin().unwrap();
        let evidence: Vec<Evidence> = ["validation fail vera", "impact_assessment pass ada"]
            .iter()
            .enumerate()
            .map(|(index, line)| item(index as i64 + 1, line))
            .collect();
        let mut awaiting = evidence[1]
            .content
            .impact
            .clone()
            .unwrap()
            .answers()
            .clone();
        awaiting.regulatory_path = crate::impact::RegulatoryPath::NewSubmission;
        let mut evidence = evidence;
        evidence[1].content.impact =
            Some(crate::impact::ImpactAssessment::new(&policy, awaiting).unwrap());
        let fixes = plan_fixes(&policy, &[hyper()], &PatchSbom::Missing);
        let required = required_evidence(&policy, &facts(&[Some("uncontrolled")]));
        let release = release(PatchSbom::Missing, &fixes, &evidence);
        let refusals: Vec<String> = approval_refusals(&policy, &required, &release, "vera")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            refusals,
            [
                "no current verification evidence: the policy requires it (patch.evidence)",
                "no current regression evidence: the policy requires it (patch.evidence)",
                "validation evidence 1 (\"validation report 1\") is fail: supersede it with its correction or a passing re-run",
                "impact assessment 2 says a new submission is needed and records no clearance: a change that needs one is distributed only once it is cleared or approved (21 CFR 807.81(a)(3), 814.39(a))",
                "finding 7 (CVE-2023-26964 in pkg:cargo/hyper) cannot be judged: the patch release has no SBOM: import it, then match it",
                "vera is the only person who executed the validation evidence and may not approve it alone (patch.evidence.segregation_of_duties)",
            ]
        );
        let error = check_approval(&policy, &required, &release, "vera").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the approval is refused: no current verification evidence"),
            "{error}"
        );
        let nothing = self::release(PatchSbom::Missing, &[], &[]);
        let refusals = approval_refusals(&policy, &[], &nothing, "quinn");
        assert_eq!(refusals, [Refusal::NoFinding]);
    }
}
