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
/// segmentation, a disabled service, an allow-list), with the evidence that it is in place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompensatingControl {
    description: String,
    evidence: String,
    effective: bool,
}

impl CompensatingControl {
    /// A control with its description and an evidence reference (a document id, a test
    /// report, a configuration baseline). `effective` is the analyst's claim that the control
    /// prevents or substantially hinders exploitation of this vulnerability; only effective
    /// controls change the determination.
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
        })
    }

    /// What the control is.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Where the evidence for it is.
    pub fn evidence(&self) -> &str {
        &self.evidence
    }

    /// Whether the analyst claims it is effective against this vulnerability.
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
        for (description, evidence, expected) in [
            ("Firewall blocks 443", "DOC-12", "ok"),
            ("", "DOC-12", "description"),
            ("Firewall", "  ", "evidence"),
        ] {
            match CompensatingControl::new(description, evidence, true) {
                Ok(control) => {
                    assert_eq!(expected, "ok");
                    assert_eq!(control.evidence(), "DOC-12");
                }
                Err(error) => assert!(error.to_string().contains(expected), "{error}"),
            }
        }
    }
}
