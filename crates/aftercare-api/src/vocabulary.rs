//! The words of triage as a form offers them: every VEX status, CycloneDX justification,
//! response, decision scope, harm severity, risk class and signature meaning, each with the
//! label a person reads (`GET /api/v1/vocabulary`). The web UI takes them from here instead
//! of keeping its own copies.
//!
//! The values come from the enums that parse them (`aftercare-risk`'s vocabularies,
//! `aftercare_service::access::signature::Meaning`), so a value added there is offered at
//! once; the labels are written here, one `match` per enum, so that a new value without a
//! label does not compile. Decision scopes have no enum yet (the service checks three
//! strings): they are listed here, and a server test assesses a finding with each.

use aftercare_risk::{HarmSeverity, Justification, Response, RiskClass, VexStatus};
use aftercare_service::access::signature::Meaning;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One word of a vocabulary: the value on the wire and its label.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TermDto {
    /// The value, as sent and stored (`not_affected`).
    pub value: String,
    /// What a person reads (`Not affected`).
    pub label: String,
    /// What choosing it claims or means, in a phrase, when the label alone does not say.
    pub description: Option<String>,
}

/// A CycloneDX justification of `not_affected`, with the OpenVEX / CSAF one it maps to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JustificationTermDto {
    /// The CycloneDX value (`code_not_reachable`).
    pub value: String,
    /// What a person reads.
    pub label: String,
    /// What it claims.
    pub description: String,
    /// The OpenVEX / CSAF justification it is exported as
    /// (`vulnerable_code_not_in_execute_path`).
    pub openvex: String,
}

/// The vocabularies of triage, with their labels, in the order a form offers them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VocabularyDto {
    /// The VEX statuses of an assessment.
    pub vex_statuses: Vec<TermDto>,
    /// The nine CycloneDX justifications of `not_affected`.
    pub justifications: Vec<JustificationTermDto>,
    /// The CycloneDX responses.
    pub responses: Vec<TermDto>,
    /// How far a decision reaches.
    pub scopes: Vec<TermDto>,
    /// The ISO 14971 harm severities, least severe first.
    pub harm_severities: Vec<TermDto>,
    /// The outcomes of a determination (an override names one).
    pub risk_classes: Vec<TermDto>,
    /// The meanings of an electronic signature (21 CFR 11.50).
    pub signature_meanings: Vec<TermDto>,
}

impl Default for VocabularyDto {
    fn default() -> VocabularyDto {
        VocabularyDto::new()
    }
}

fn term(value: &str, label: &str, description: Option<&str>) -> TermDto {
    TermDto {
        value: value.to_string(),
        label: label.to_string(),
        description: description.map(str::to_string),
    }
}

impl VocabularyDto {
    /// Every vocabulary, from the enums that parse its values.
    pub fn new() -> VocabularyDto {
        VocabularyDto {
            vex_statuses: VexStatus::ALL
                .iter()
                .map(|status| term(status.as_str(), vex_status_label(*status), None))
                .collect(),
            justifications: Justification::ALL
                .iter()
                .map(|justification| {
                    let (label, description) = justification_words(*justification);
                    JustificationTermDto {
                        value: justification.as_str().to_string(),
                        label: label.to_string(),
                        description: description.to_string(),
                        openvex: justification.to_openvex().as_str().to_string(),
                    }
                })
                .collect(),
            responses: Response::ALL
                .iter()
                .map(|response| term(response.as_str(), response_label(*response), None))
                .collect(),
            scopes: SCOPES
                .iter()
                .map(|(value, label)| term(value, label, None))
                .collect(),
            harm_severities: HarmSeverity::ALL
                .iter()
                .map(|harm| {
                    let (label, description) = harm_words(*harm);
                    term(harm.as_str(), label, Some(description))
                })
                .collect(),
            risk_classes: RiskClass::ALL
                .iter()
                .map(|risk| {
                    let (label, description) = risk_words(*risk);
                    term(risk.as_str(), label, Some(description))
                })
                .collect(),
            signature_meanings: Meaning::ALL
                .iter()
                .map(|meaning| {
                    let (label, description) = meaning_words(*meaning);
                    term(meaning.as_str(), label, Some(description))
                })
                .collect(),
        }
    }
}

/// The scopes of a decision, as the service accepts them (`triage::assessment::assess`).
const SCOPES: &[(&str, &str)] = &[
    ("finding", "This finding only"),
    (
        "product",
        "Every release of this product with the component",
    ),
    ("portfolio", "Every product with the component"),
];

fn vex_status_label(status: VexStatus) -> &'static str {
    match status {
        VexStatus::NotAffected => "Not affected",
        VexStatus::Affected => "Affected",
        VexStatus::Fixed => "Fixed",
        VexStatus::UnderInvestigation => "Under investigation",
    }
}

fn justification_words(justification: Justification) -> (&'static str, &'static str) {
    match justification {
        Justification::CodeNotPresent => (
            "Code not present",
            "the vulnerable code was removed or never built in",
        ),
        Justification::CodeNotReachable => (
            "Code not reachable",
            "the vulnerable code is present but never invoked",
        ),
        Justification::RequiresConfiguration => (
            "Requires configuration",
            "the shipped configuration leaves the vulnerable path unused",
        ),
        Justification::RequiresDependency => (
            "Requires dependency",
            "a dependency the exploit needs is not present",
        ),
        Justification::RequiresEnvironment => (
            "Requires environment",
            "the environment the exploit needs is not present",
        ),
        Justification::ProtectedByCompiler => (
            "Protected by compiler",
            "a build-time protection prevents exploitation",
        ),
        Justification::ProtectedAtRuntime => (
            "Protected at runtime",
            "a runtime protection prevents exploitation",
        ),
        Justification::ProtectedAtPerimeter => (
            "Protected at perimeter",
            "a physical, logical or network perimeter blocks attacks",
        ),
        Justification::ProtectedByMitigatingControl => (
            "Protected by mitigating control",
            "preventive measures reduce likelihood or impact",
        ),
    }
}

fn response_label(response: Response) -> &'static str {
    match response {
        Response::CanNotFix => "Cannot fix",
        Response::WillNotFix => "Will not fix",
        Response::Update => "Update",
        Response::Rollback => "Roll back",
        Response::WorkaroundAvailable => "Workaround available",
    }
}

fn harm_words(harm: HarmSeverity) -> (&'static str, &'static str) {
    match harm {
        HarmSeverity::Negligible => ("Negligible", "inconvenience or temporary discomfort"),
        HarmSeverity::Minor => ("Minor", "temporary injury not needing medical intervention"),
        HarmSeverity::Serious => ("Serious", "injury needing medical intervention"),
        HarmSeverity::Critical => (
            "Critical",
            "permanent impairment or life-threatening injury",
        ),
        HarmSeverity::Catastrophic => ("Catastrophic", "results in patient death"),
    }
}

fn risk_words(risk: RiskClass) -> (&'static str, &'static str) {
    match risk {
        RiskClass::Controlled => (
            "Controlled",
            "the residual risk of patient harm is acceptable: routine updates",
        ),
        RiskClass::Uncontrolled => (
            "Uncontrolled",
            "the residual risk is unacceptable: the 30/60-day path, out of cycle",
        ),
    }
}

fn meaning_words(meaning: Meaning) -> (&'static str, &'static str) {
    match meaning {
        Meaning::Authorship => ("Authorship", "I wrote this"),
        Meaning::Review => ("Review", "I reviewed this"),
        Meaning::Approval => ("Approval", "I approve this"),
        Meaning::Responsibility => ("Responsibility", "I take responsibility for this"),
    }
}

#[cfg(test)]
mod tests {
    use super::{TermDto, VocabularyDto};

    fn values(terms: &[TermDto]) -> Vec<&str> {
        terms.iter().map(|t| t.value.as_str()).collect()
    }

    /// Every value of the vocabulary parses with the enum it came from, every label is
    /// written, and no vocabulary lists a value twice.
    #[test]
    fn every_term_parses_and_has_a_label() {
        let vocabulary = VocabularyDto::new();
        let check = |name: &str, values: Vec<&str>, parses: &dyn Fn(&str) -> bool| {
            assert!(!values.is_empty(), "{name} is empty");
            let mut unique = values.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), values.len(), "{name} lists a value twice");
            for value in values {
                assert!(parses(value), "{name}: {value} does not parse");
            }
        };
        check("vex_statuses", values(&vocabulary.vex_statuses), &|v| {
            v.parse::<aftercare_risk::VexStatus>().is_ok()
        });
        check(
            "justifications",
            vocabulary
                .justifications
                .iter()
                .map(|t| t.value.as_str())
                .collect(),
            &|v| v.parse::<aftercare_risk::Justification>().is_ok(),
        );
        check("responses", values(&vocabulary.responses), &|v| {
            v.parse::<aftercare_risk::Response>().is_ok()
        });
        check(
            "harm_severities",
            values(&vocabulary.harm_severities),
            &|v| v.parse::<aftercare_risk::HarmSeverity>().is_ok(),
        );
        check("risk_classes", values(&vocabulary.risk_classes), &|v| {
            v.parse::<aftercare_risk::RiskClass>().is_ok()
        });
        check(
            "signature_meanings",
            values(&vocabulary.signature_meanings),
            &|v| {
                v.parse::<aftercare_service::access::signature::Meaning>()
                    .is_ok()
            },
        );
        check("scopes", values(&vocabulary.scopes), &|_| true);
        assert_eq!(vocabulary.justifications.len(), 9);
        for term in vocabulary
            .vex_statuses
            .iter()
            .chain(&vocabulary.responses)
            .chain(&vocabulary.scopes)
            .chain(&vocabulary.harm_severities)
            .chain(&vocabulary.signature_meanings)
        {
            assert!(!term.label.is_empty(), "{} has no label", term.value);
        }
    }
}
