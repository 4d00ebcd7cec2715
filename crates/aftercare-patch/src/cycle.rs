//! The cycle a remediation plan needs: the regular, reasonably justified update cycle, or an
//! out-of-cycle patch as soon as possible (FD&C Act section 524B(b)(2)(A) and (B)).
//!
//! The rule per vulnerability is `aftercare_risk::patch_path`, not a second copy of it: an
//! uncontrolled determination requires the out-of-cycle path; a vulnerability listed in CISA
//! KEV (`patch.out_of_cycle_when_kev`) or whose highest CVSS severity reaches
//! `patch.out_of_cycle_cvss_severity` is a candidate for it in a determination's patch path.
//! For a **plan** — the patch itself — all three **require** it (issue 13: "an uncontrolled
//! determination, a KEV entry or a critical score require out_of_cycle"; 524B(b)(2)(B): as
//! soon as possible for critical vulnerabilities). This module adds what a plan needs on top:
//!
//! - **A plan covers several vulnerabilities**: it needs the most demanding path of any of
//!   them, and lists every reason of every vulnerability (the blocking ones first).
//! - **A vulnerability without a determination** is a candidate ("no determination yet"):
//!   its risk may be uncontrolled, so the regular cycle is not taken without a look. The
//!   clocks run from awareness whatever the determination (FDA 2016), so a plan is often made
//!   before the determination; it is checked again when the facts change.
//! - **What a candidate means for a plan.** Only a vulnerability without a determination is
//!   a candidate: a plan may ask for the `regular` cycle for it only with a written
//!   **review**, at least `rationale.min_chars` long, saying why the regular cycle is
//!   reasonably justified; the service keeps it with the plan. Without one it is refused with
//!   the reasons. A required out-of-cycle path is never waived by a review: asking for
//!   `regular` is refused with every reason.
//! - Asking for `out_of_cycle` is always allowed: patching sooner than needed is no risk.

use aftercare_model::{Severity, VulnerabilityId};
use aftercare_risk::{PatchPath, Policy, RiskClass, patch_path};

use crate::PatchError;
use crate::plan::check_rationale;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The update cycle a plan asks for.
    pub enum Cycle as "cycle" {
        /// The regular, reasonably justified cycle (524B(b)(2)(A)).
        Regular = "regular",
        /// As soon as possible, out of cycle (524B(b)(2)(B)).
        OutOfCycle = "out_of_cycle",
    }
}

vocabulary! {
    /// How strongly a plan needs the out-of-cycle path, least first.
    pub enum CycleNeed as "cycle need" {
        /// The regular cycle will do.
        Regular = "regular",
        /// A candidate for out of cycle: `regular` needs a written review.
        OutOfCycleCandidate = "out_of_cycle_candidate",
        /// Out of cycle is required: `regular` is refused.
        OutOfCycleRequired = "out_of_cycle_required",
    }
}

/// What a plan knows of one of its vulnerabilities, as the cycle and the evidence
/// requirements ([`crate::required_evidence`]) need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnerabilityFacts {
    /// The vulnerability.
    pub vulnerability: VulnerabilityId,
    /// The outcome of the product's current determination for it, if there is one.
    pub risk_class: Option<RiskClass>,
    /// Whether it is listed in CISA KEV.
    pub kev_listed: bool,
    /// The highest CVSS base severity among its findings (`Unknown` when none is scored).
    pub cvss_severity: Severity,
}

/// One reason a plan needs more than the regular cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleReason {
    /// The vulnerability it concerns.
    pub vulnerability: VulnerabilityId,
    /// What this reason alone makes the plan need.
    pub need: CycleNeed,
    /// Why, in words (`listed in CISA KEV`).
    pub reason: String,
}

impl std::fmt::Display for CycleReason {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.vulnerability, self.reason)
    }
}

/// The cycle a plan needs, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRequirement {
    need: CycleNeed,
    reasons: Vec<CycleReason>,
}

/// The cycle a plan with these vulnerabilities needs (see the module documentation).
///
/// Reasons come in a fixed order, because a person reads them: those that require out of
/// cycle first, then the candidates; within each, by vulnerability id; for one vulnerability,
/// the determination, then KEV, then the CVSS severity.
pub fn required_cycle(policy: &Policy, facts: &[VulnerabilityFacts]) -> CycleRequirement {
    let mut reasons = Vec::new();
    for fact in facts {
        let mut reason = |need: CycleNeed, text: String| {
            reasons.push(CycleReason {
                vulnerability: fact.vulnerability.clone(),
                need,
                reason: text,
            });
        };
        match fact.risk_class {
            // The policy's rule decides what is required, so that a change to it reaches
            // plans (today: an uncontrolled determination).
            Some(class) => {
                if patch_path(policy, class, fact.kev_listed, fact.cvss_severity)
                    == PatchPath::OutOfCycleRequired
                {
                    reason(
                        CycleNeed::OutOfCycleRequired,
                        format!("the determination is {class}"),
                    );
                }
            }
            None => reason(
                CycleNeed::OutOfCycleCandidate,
                "no determination yet: the risk may be uncontrolled".to_string(),
            ),
        }
        // The KEV and CVSS reasons of the same rule, asked as for a controlled risk so that
        // they are listed for an uncontrolled one too (its answer is only "required"). For a
        // plan they require the out-of-cycle path (issue 13: "an uncontrolled determination,
        // a KEV entry or a critical score require out_of_cycle"): a plan is the patch, and
        // 524B(b)(2)(B) asks for critical vulnerabilities to be patched as soon as possible.
        if let PatchPath::OutOfCycleCandidate { reasons: found } = patch_path(
            policy,
            RiskClass::Controlled,
            fact.kev_listed,
            fact.cvss_severity,
        ) {
            for text in found {
                reason(CycleNeed::OutOfCycleRequired, text);
            }
        }
    }
    // Stable: for one vulnerability, the order in which the reasons were found.
    reasons.sort_by(|a, b| {
        b.need
            .cmp(&a.need)
            .then_with(|| a.vulnerability.as_str().cmp(b.vulnerability.as_str()))
    });
    let need = reasons
        .iter()
        .map(|reason| reason.need)
        .max()
        .unwrap_or(CycleNeed::Regular);
    CycleRequirement { need, reasons }
}

impl CycleRequirement {
    /// How strongly the plan needs the out-of-cycle path.
    pub fn need(&self) -> CycleNeed {
        self.need
    }

    /// Every reason, in the order of [`required_cycle`].
    pub fn reasons(&self) -> &[CycleReason] {
        &self.reasons
    }

    /// Whether a plan may ask for `requested`; `review` is the written review that lets a
    /// candidate take the regular cycle. The service stores an accepted review with the plan.
    pub fn check(
        &self,
        policy: &Policy,
        requested: Cycle,
        review: Option<&str>,
    ) -> Result<(), PatchError> {
        let reasons = || self.reasons.iter().map(ToString::to_string).collect();
        match (requested, self.need) {
            (Cycle::OutOfCycle, _) | (Cycle::Regular, CycleNeed::Regular) => Ok(()),
            (Cycle::Regular, CycleNeed::OutOfCycleRequired) => {
                Err(PatchError::OutOfCycleRequired { reasons: reasons() })
            }
            (Cycle::Regular, CycleNeed::OutOfCycleCandidate) => match review {
                None => Err(PatchError::CycleReviewMissing { reasons: reasons() }),
                Some(text) => {
                    check_rationale(policy, "the review of the regular cycle", text).map(|_| ())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CVE-2024-0001 uncontrolled kev critical` → facts; `-` for no determination.
    fn facts(line: &str) -> VulnerabilityFacts {
        let mut words = line.split_whitespace();
        let vulnerability = words.next().unwrap().parse().unwrap();
        let risk_class = match words.next().unwrap() {
            "-" => None,
            class => Some(class.parse().unwrap()),
        };
        let kev_listed = match words.next().unwrap() {
            "kev" => true,
            "-" => false,
            other => panic!("{other}"),
        };
        let cvss_severity = words.next().unwrap().parse().unwrap();
        VulnerabilityFacts {
            vulnerability,
            risk_class,
            kev_listed,
            cvss_severity,
        }
    }

    /// The plan's vulnerabilities → the need and the reasons, one a line.
    fn check(lines: &[&str], need: &str, reasons: &[&str]) {
        let policy = Policy::builtin().unwrap();
        let facts: Vec<VulnerabilityFacts> = lines.iter().map(|line| facts(line)).collect();
        let requirement = required_cycle(&policy, &facts);
        let found: Vec<String> = requirement
            .reasons()
            .iter()
            .map(|reason| format!("{} ({})", reason, reason.need))
            .collect();
        assert_eq!(requirement.need().as_str(), need, "{lines:?}");
        assert_eq!(found, reasons, "{lines:?}");
    }

    #[test]
    #[rustfmt::skip]
    fn one_vulnerability() {
        check(&["CVE-2024-0001 controlled - high"], "regular", &[]);
        check(&["CVE-2024-0001 controlled - unknown"], "regular", &[]);
        check(&["CVE-2024-0001 uncontrolled - low"], "out_of_cycle_required", &["CVE-2024-0001: the determination is uncontrolled (out_of_cycle_required)"]);
        check(&["CVE-2024-0001 controlled kev low"], "out_of_cycle_required", &["CVE-2024-0001: listed in CISA KEV (out_of_cycle_required)"]);
        check(&["CVE-2024-0001 controlled - critical"], "out_of_cycle_required", &["CVE-2024-0001: CVSS severity critical (>= critical) (out_of_cycle_required)"]);
        check(&["CVE-2024-0001 - - medium"], "out_of_cycle_candidate", &["CVE-2024-0001: no determination yet: the risk may be uncontrolled (out_of_cycle_candidate)"]);
    }

    #[test]
    #[rustfmt::skip]
    fn every_reason_is_listed_blocking_ones_first() {
        check(&["CVE-2024-0001 uncontrolled kev critical"], "out_of_cycle_required", &[
            "CVE-2024-0001: the determination is uncontrolled (out_of_cycle_required)",
            "CVE-2024-0001: listed in CISA KEV (out_of_cycle_required)",
            "CVE-2024-0001: CVSS severity critical (>= critical) (out_of_cycle_required)",
        ]);
        check(&["CVE-2024-0003 controlled kev high", "CVE-2024-0002 uncontrolled - low", "GHSA-aaaa-bbbb-cccc - - unknown"], "out_of_cycle_required", &[
            "CVE-2024-0002: the determination is uncontrolled (out_of_cycle_required)",
            "CVE-2024-0003: listed in CISA KEV (out_of_cycle_required)",
            "GHSA-aaaa-bbbb-cccc: no determination yet: the risk may be uncontrolled (out_of_cycle_candidate)",
        ]);
        check(&["CVE-2024-0001 controlled - low", "CVE-2024-0002 controlled - medium"], "regular", &[]);
        check(&[], "regular", &[]);
    }

    /// need of the vulnerabilities, requested cycle, review → the error's text or `ok`.
    fn check_request(line: &str, requested: &str, review: Option<&str>, expected: &str) {
        let policy = Policy::builtin().unwrap();
        let requirement = required_cycle(&policy, &[facts(line)]);
        let found = match requirement.check(&policy, requested.parse().unwrap(), review) {
            Ok(()) => "ok".to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{line} asking {requested} with {review:?}");
    }

    const REVIEW: Option<&str> =
        Some("Reachable only from the service port, closed in every shipped configuration.");

    #[test]
    #[rustfmt::skip]
    fn asking_for_a_cycle() {
        check_request("CVE-2024-0001 controlled - low", "regular", None, "ok");
        check_request("CVE-2024-0001 controlled - low", "out_of_cycle", None, "ok");
        check_request("CVE-2024-0001 uncontrolled - low", "out_of_cycle", None, "ok");
        check_request("CVE-2024-0001 uncontrolled kev low", "regular", None, "the regular cycle is refused: out of cycle is required (FD&C Act 524B(b)(2)(B)) because CVE-2024-0001: the determination is uncontrolled; CVE-2024-0001: listed in CISA KEV");
        check_request("CVE-2024-0001 uncontrolled - low", "regular", REVIEW, "the regular cycle is refused: out of cycle is required (FD&C Act 524B(b)(2)(B)) because CVE-2024-0001: the determination is uncontrolled");
        check_request("CVE-2024-0001 controlled kev low", "regular", None, "the regular cycle is refused: out of cycle is required (FD&C Act 524B(b)(2)(B)) because CVE-2024-0001: listed in CISA KEV");
        check_request("CVE-2024-0001 controlled - critical", "regular", REVIEW, "the regular cycle is refused: out of cycle is required (FD&C Act 524B(b)(2)(B)) because CVE-2024-0001: CVSS severity critical (>= critical)");
        check_request("CVE-2024-0001 - - unknown", "regular", Some("fine"), "the review of the regular cycle is 4 characters long; the policy asks for at least 20 (rationale.min_chars)");
        check_request("CVE-2024-0001 - - unknown", "regular", REVIEW, "ok");
        check_request("CVE-2024-0001 - - unknown", "regular", None, "the regular cycle needs a written review of why it is reasonably justified (FD&C Act 524B(b)(2)(A)) because CVE-2024-0001: no determination yet: the risk may be uncontrolled");
    }
}
