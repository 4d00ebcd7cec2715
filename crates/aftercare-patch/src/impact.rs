//! The impact assessment of a patch: the structured record of "evaluating patch impact"
//! that an `impact_assessment` evidence item carries.
//!
//! It answers the questions an auditor asks of a software change (IEC 62304 §6.2.3 analyse
//! the change request, §7.4 risk management of software changes; ISO 13485 §7.3.9 review of
//! design changes):
//! - does the change affect the device's **safety or essential performance**?
//! - which **verification was re-run** (IEC 62304 §6.3.1: the clause 5 activities the
//!   modification needs; §5.7.3 retest after changes)? At least one is named: a change
//!   verified by nothing is not a validated fix;
//! - the **regulatory path**: documented as a *letter to file*, or a *new submission* is
//!   needed (FDA, *Deciding When to Submit a 510(k) for a Software Change to an Existing
//!   Device*, 2017; for a PMA device, 21 CFR 814.39). A new submission names its clearance or
//!   approval once granted; until then the patch is not approved for distribution
//!   ([`crate::Refusal::SubmissionNotCleared`]), because a change that needs one is marketed
//!   only once cleared (21 CFR 807.81(a)(3), 814.39(a));
//! - a **rationale** of at least the policy's `rationale.min_chars`.
//!
//! A change that affects safety or essential performance may still be documented as a letter
//! to file (FDA's 2016 postmarket guidance expects most cybersecurity patches to need no new
//! submission); the rationale is where that is argued, and it is not checked by machine.

use aftercare_risk::Policy;

use crate::PatchError;
use crate::plan::check_rationale;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// How the change is documented for the regulator.
    pub enum RegulatoryPath as "regulatory path" {
        /// No new submission: the change and its assessment are documented to file.
        LetterToFile = "letter_to_file",
        /// A new submission (510(k), PMA supplement) is needed before distribution.
        NewSubmission = "new_submission",
    }
}

/// The answers of an impact assessment, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactAnswers {
    /// Whether the change affects the device's safety or essential performance.
    pub safety_and_essential_performance_affected: bool,
    /// The verification re-run (test protocols, suites, reports), one reference each.
    pub verification_rerun: Vec<String>,
    /// The regulatory path.
    pub regulatory_path: RegulatoryPath,
    /// For a new submission, its clearance or approval once granted (a 510(k) number, a PMA
    /// supplement number).
    pub clearance: Option<String>,
    /// Why, in words.
    pub rationale: String,
}

/// A checked impact assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactAssessment(ImpactAnswers);

impl ImpactAssessment {
    /// Checks the answers: a rationale of at least `rationale.min_chars`, at least one
    /// verification re-run, a clearance only for a new submission. Texts are trimmed and blank
    /// ones dropped.
    pub fn new(policy: &Policy, answers: ImpactAnswers) -> Result<ImpactAssessment, PatchError> {
        let rationale = check_rationale(
            policy,
            "the rationale of an impact assessment",
            &answers.rationale,
        )?;
        let verification_rerun: Vec<String> = answers
            .verification_rerun
            .iter()
            .map(|reference| reference.trim().to_string())
            .filter(|reference| !reference.is_empty())
            .collect();
        if verification_rerun.is_empty() {
            return Err(PatchError::VerificationRerunMissing);
        }
        let clearance = answers
            .clearance
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty());
        if clearance.is_some() && answers.regulatory_path == RegulatoryPath::LetterToFile {
            return Err(PatchError::ClearanceWithoutSubmission);
        }
        Ok(ImpactAssessment(ImpactAnswers {
            safety_and_essential_performance_affected: answers
                .safety_and_essential_performance_affected,
            verification_rerun,
            regulatory_path: answers.regulatory_path,
            clearance,
            rationale,
        }))
    }

    /// An assessment read back from storage, where [`ImpactAssessment::new`] checked it when
    /// it was recorded. Not checked again: a later policy (a longer `rationale.min_chars`) must
    /// not make recorded evidence unreadable.
    pub fn stored(answers: ImpactAnswers) -> ImpactAssessment {
        ImpactAssessment(answers)
    }

    /// The answers.
    pub fn answers(&self) -> &ImpactAnswers {
        &self.0
    }

    /// Whether a new submission is needed and no clearance is recorded yet.
    pub fn awaits_clearance(&self) -> bool {
        self.0.regulatory_path == RegulatoryPath::NewSubmission && self.0.clearance.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATIONALE: &str = "Only the TLS library changes; the infusion logic is untouched.";

    /// affected, re-run references, path, clearance, rationale → `ok` or the error.
    fn check(
        affected: bool,
        rerun: &[&str],
        path: &str,
        clearance: Option<&str>,
        rationale: &str,
        expected: &str,
    ) {
        let policy = Policy::builtin().unwrap();
        let answers = ImpactAnswers {
            safety_and_essential_performance_affected: affected,
            verification_rerun: rerun.iter().map(|r| r.to_string()).collect(),
            regulatory_path: path.parse().unwrap(),
            clearance: clearance.map(str::to_string),
            rationale: rationale.to_string(),
        };
        let found = match ImpactAssessment::new(&policy, answers) {
            Ok(assessment) if assessment.awaits_clearance() => "ok, awaits clearance".to_string(),
            Ok(_) => "ok".to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected);
    }

    #[test]
    #[rustfmt::skip]
    fn answers_are_checked() {
        check(false, &["SYS-TEST-41"], "letter_to_file", None, RATIONALE, "ok");
        check(true, &["SYS-TEST-41", "  "], "letter_to_file", None, RATIONALE, "ok");
        check(true, &["SYS-TEST-41"], "new_submission", None, RATIONALE, "ok, awaits clearance");
        check(true, &["SYS-TEST-41"], "new_submission", Some("K251234"), RATIONALE, "ok");
        check(true, &["SYS-TEST-41"], "new_submission", Some("  "), RATIONALE, "ok, awaits clearance");
        check(false, &["SYS-TEST-41"], "letter_to_file", Some("K251234"), RATIONALE, "a clearance belongs to a new submission, not to a letter to file");
        check(false, &[], "letter_to_file", None, RATIONALE, "an impact assessment names the verification that was re-run (IEC 62304 §6.3.1, §5.7.3)");
        check(false, &[" "], "letter_to_file", None, RATIONALE, "an impact assessment names the verification that was re-run (IEC 62304 §6.3.1, §5.7.3)");
        check(false, &["SYS-TEST-41"], "letter_to_file", None, "trivial", "the rationale of an impact assessment is 7 characters long; the policy asks for at least 20 (rationale.min_chars)");
    }

    #[test]
    fn texts_are_trimmed() {
        let policy = Policy::builtin().unwrap();
        let assessment = ImpactAssessment::new(
            &policy,
            ImpactAnswers {
                safety_and_essential_performance_affected: false,
                verification_rerun: vec![" SYS-TEST-41 ".to_string(), String::new()],
                regulatory_path: RegulatoryPath::NewSubmission,
                clearance: Some(" K251234 ".to_string()),
                rationale: format!("  {RATIONALE}  "),
            },
        )
        .unwrap();
        assert_eq!(assessment.answers().verification_rerun, ["SYS-TEST-41"]);
        assert_eq!(assessment.answers().clearance.as_deref(), Some("K251234"));
        assert_eq!(assessment.answers().rationale, RATIONALE);
    }
}
