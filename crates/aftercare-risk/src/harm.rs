//! Patient harm: the ISO 14971 severity scale, whether safety and essential performance is
//! affected, and the compensating controls that stand between the vulnerability and a patient.
//!
//! Loss of confidentiality of patient data is not patient harm for the FDA determination
//! (BRIEF, step 4): a vulnerability that only discloses PHI is rated `negligible` here, however
//! serious it is as a privacy incident; privacy is handled by the CVSS confidentiality impact.

use crate::RiskError;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The five-level severity of patient harm used by FDA's postmarket cybersecurity guidance
    /// (2016), which takes it from ANSI/AAMI/ISO 14971. Ordered from least to most severe. The
    /// policy gives each level the manufacturer's own label.
    pub enum HarmSeverity as "harm severity" {
        /// Inconvenience or temporary discomfort.
        Negligible = "negligible",
        /// Temporary injury or impairment not requiring professional medical intervention.
        Minor = "minor",
        /// Injury or impairment requiring professional medical intervention.
        Serious = "serious",
        /// Permanent impairment or life-threatening injury.
        Critical = "critical",
        /// Results in patient death.
        Catastrophic = "catastrophic",
    }
}

impl HarmSeverity {
    /// The position on the scale, 0 for negligible to 4 for catastrophic.
    pub fn rank(self) -> usize {
        self as usize
    }
}

/// A measure that lowers the exploitability of a vulnerability in the field (network
/// segmentation, a disabled service, an allow-list), or the severity of the harm it can cause
/// (a hardware interlock), with the evidence that it is in place.
///
/// A control is **evidence, not a checkbox**: it lowers a determination only when it carries an
/// evidence reference, is claimed effective, and a named person verified that claim
/// ([`CompensatingControl::verify`], [`CompensatingControl::counts`]). The person is the caller's
/// to authenticate: the service records the signer of the determination (a person, never a
/// token), so that an unverified claim typed into a form cannot turn an uncontrolled risk into
/// a controlled one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompensatingControl {
    description: String,
    evidence: String,
    effective: bool,
    verified_by: Option<String>,
}

impl CompensatingControl {
    /// A control with its description and an evidence reference (a document id, a test
    /// report, a configuration baseline). `effective` is the analyst's claim that the control
    /// prevents or substantially hinders exploitation of this vulnerability; it changes the
    /// determination only once a person verified it ([`CompensatingControl::verify`]).
    pub fn new(
        description: &str,
        evidence: &str,
        effective: bool,
    ) -> Result<CompensatingControl, RiskError> {
        let description = description.trim();
        let evidence = evidence.trim();
        if description.is_empty() {
            return Err(RiskError::CompensatingControlIncomplete {
                field: "description",
            });
        }
        if evidence.is_empty() {
            return Err(RiskError::CompensatingControlIncomplete { field: "evidence" });
        }
        Ok(CompensatingControl {
            description: description.to_string(),
            evidence: evidence.to_string(),
            effective,
            verified_by: None,
        })
    }

    /// The same control, its effectiveness verified by `person` (a printed name or login):
    /// only a verified effective control lowers a determination.
    pub fn verify(mut self, person: &str) -> Result<CompensatingControl, RiskError> {
        let person = person.trim();
        if person.is_empty() {
            return Err(RiskError::CompensatingControlIncomplete {
                field: "verified_by",
            });
        }
        self.verified_by = Some(person.to_string());
        Ok(self)
    }

    /// Who verified the control's effectiveness, if anyone did.
    pub fn verified_by(&self) -> Option<&str> {
        self.verified_by.as_deref()
    }

    /// Whether the control lowers the determination: claimed effective, with evidence (always
    /// present), and verified by a person.
    pub fn counts(&self) -> bool {
        self.effective && self.verified_by.is_some()
    }

    /// What the control is.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Where the evidence for it is.
    pub fn evidence(&self) -> &str {
        &self.evidence
    }

    /// Whether the analyst claims it is effective against this vulnerability (the claim alone
    /// changes nothing; see [`CompensatingControl::counts`]).
    pub fn effective(&self) -> bool {
        self.effective
    }
}

/// The harm side of a determination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientHarm {
    /// The worst credible harm to a patient if the vulnerability were exploited.
    pub severity: HarmSeverity,
    /// Whether exploitation could compromise the device's safety and essential performance.
    pub safety_and_essential_performance_affected: bool,
    /// The compensating controls in place.
    pub compensating_controls: Vec<CompensatingControl>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_ordered_and_parses() {
        let ranks: Vec<usize> = HarmSeverity::ALL.iter().map(|s| s.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        assert!(HarmSeverity::Catastrophic > HarmSeverity::Serious);
        assert_eq!(
            "critical".parse::<HarmSeverity>().ok(),
            Some(HarmSeverity::Critical)
        );
        assert!("severe".parse::<HarmSeverity>().is_err());
    }

    #[test]
    fn control_needs_description_and_evidence() {
        for (description, evidence, verifier, expected) in [
            ("Firewall blocks 443", "DOC-12", "Vera Verifier", "ok"),
            ("", "DOC-12", "Vera Verifier", "description"),
            ("Firewall", "  ", "Vera Verifier", "evidence"),
            ("Firewall", "DOC-12", "  ", "verified_by"),
        ] {
            match CompensatingControl::new(description, evidence, true)
                .and_then(|control| control.verify(verifier))
            {
                Ok(control) => {
                    assert_eq!(expected, "ok");
                    assert_eq!(control.evidence(), "DOC-12");
                    assert_eq!(control.verified_by(), Some("Vera Verifier"));
                    assert!(control.counts());
                }
                Err(error) => assert!(error.to_string().contains(expected), "{error}"),
            }
        }
        // A claim alone, or a verified control claimed ineffective, does not count.
        let claimed = CompensatingControl::new("Firewall", "DOC-12", true).unwrap();
        assert!(!claimed.counts());
        let ineffective = CompensatingControl::new("Firewall", "DOC-12", false)
            .unwrap()
            .verify("Vera Verifier")
            .unwrap();
        assert!(!ineffective.counts());
    }
}
