//! The VEX vocabulary of an assessment: status, justification, response, and the CISA minimum
//! rules a statement must follow before it is stored or published.
//!
//! # Justification mapping
//!
//! CycloneDX (`analysis.justification`) has nine justifications; OpenVEX and the CSAF VEX
//! profile share CISA's five (*Vulnerability Exploitability eXchange (VEX) – Status
//! Justifications*, June 2022, and *Minimum Requirements for VEX*, 2023). aftercare stores the
//! CycloneDX value, because it is the finer one, and derives the other with this table:
//!
//! | CycloneDX | OpenVEX / CSAF | why |
//! | --- | --- | --- |
//! | `code_not_present` | `vulnerable_code_not_present` | same claim: the component is there, the vulnerable code was removed or never built in |
//! | `code_not_reachable` | `vulnerable_code_not_in_execute_path` | same claim: the code is present but never invoked |
//! | `requires_configuration` | `vulnerable_code_not_in_execute_path` | the shipped configuration leaves the vulnerable path unused; users cannot turn it on (if they could, `not_affected` would be wrong) |
//! | `requires_dependency` | `vulnerable_code_not_in_execute_path` | without the missing dependency the vulnerable code cannot run; the vulnerable *component* is present, so `component_not_present` would overclaim |
//! | `requires_environment` | `vulnerable_code_cannot_be_controlled_by_adversary` | the code may run, but the condition the attack needs (platform, network, input source) is absent, so an adversary cannot drive it |
//! | `protected_by_compiler` | `inline_mitigations_already_exist` | a build-time protection inside the product that the user cannot disable |
//! | `protected_at_runtime` | `inline_mitigations_already_exist` | a runtime protection inside the product |
//! | `protected_at_perimeter` | `vulnerable_code_cannot_be_controlled_by_adversary` | lossy: the perimeter is outside the product, so it is not an *inline* mitigation; what it achieves is that the adversary cannot reach the code — while the customer's perimeter holds. [`Justification::is_lossy`] flags this row |
//! | `protected_by_mitigating_control` | `inline_mitigations_already_exist` | lossy: CycloneDX allows controls that only *reduce* likelihood or impact, OpenVEX requires complete prevention. A control that only reduces risk belongs in the determination's compensating controls with status `affected`; [`Justification::is_lossy`] flags this row |
//!
//! The reverse direction ([`OpenVexJustification::to_cyclonedx`]) picks the closest CycloneDX
//! value; `component_not_present` has no CycloneDX counterpart (CycloneDX would simply not list
//! the component) and maps to `code_not_present`.
//!
//! # Export and coherence
//!
//! - An `affected` statement carries an **action statement** (CISA's minimum requirements;
//!   OpenVEX and SPDX 3: it MUST): the one written, or one generated from the responses and the
//!   fixed version ([`action_statement`], [`VexStatement::export`]).
//! - `protected_at_perimeter` and `protected_by_mitigating_control` rest on controls outside
//!   the product — the customer's firewall, the hospital's segmentation — which the FDA's 2016
//!   guidance calls *compensating controls*: the product itself is affected. Exported, such a
//!   `not_affected` becomes `affected` with an action statement and a note naming the control,
//!   unless the policy's `vex.customer_controls_may_justify_not_affected` allows it.
//! - `not_affected` contradicts an **uncontrolled** determination of the same product: the team
//!   cannot tell customers the product is not affected while it reports an unacceptable risk
//!   ([`check_against_determination`]).

use crate::RiskError;
use crate::policy::Policy;
use crate::vocabulary::{RiskClass, vocabulary};

vocabulary! {
    /// The VEX status of a product with respect to a vulnerability (CISA minimum requirements;
    /// OpenVEX and CSAF labels; CycloneDX calls them `analysis.state` with other words).
    pub enum VexStatus as "VEX status" {
        /// The product is not affected; a justification or an impact statement says why.
        NotAffected = "not_affected",
        /// The product is affected; an action statement says what to do.
        Affected = "affected",
        /// These versions contain a fix.
        Fixed = "fixed",
        /// It is not yet known whether the product is affected.
        UnderInvestigation = "under_investigation",
    }
}

vocabulary! {
    /// The nine CycloneDX justifications of a `not_affected` status.
    pub enum Justification as "CycloneDX justification" {
        /// The vulnerable code has been removed or tree-shaken.
        CodeNotPresent = "code_not_present",
        /// The vulnerable code is not invoked at runtime.
        CodeNotReachable = "code_not_reachable",
        /// Exploitability requires a configurable option to be set or unset.
        RequiresConfiguration = "requires_configuration",
        /// Exploitability requires a dependency that is not present.
        RequiresDependency = "requires_dependency",
        /// Exploitability requires an environment that is not present.
        RequiresEnvironment = "requires_environment",
        /// Exploitability requires a compiler flag to be set or unset.
        ProtectedByCompiler = "protected_by_compiler",
        /// Exploits are prevented at runtime.
        ProtectedAtRuntime = "protected_at_runtime",
        /// Attacks are blocked at a physical, logical or network perimeter.
        ProtectedAtPerimeter = "protected_at_perimeter",
        /// Preventive measures reduce the likelihood or impact of the vulnerability.
        ProtectedByMitigatingControl = "protected_by_mitigating_control",
    }
}

vocabulary! {
    /// The five justifications of OpenVEX and the CSAF VEX profile (CISA, June 2022).
    pub enum OpenVexJustification as "OpenVEX justification" {
        /// The vulnerable component is not in the product.
        ComponentNotPresent = "component_not_present",
        /// The component is present but the vulnerable code is not.
        VulnerableCodeNotPresent = "vulnerable_code_not_present",
        /// The vulnerable code is present but cannot be executed as the product uses it.
        VulnerableCodeNotInExecutePath = "vulnerable_code_not_in_execute_path",
        /// The vulnerable code cannot be controlled by an attacker to exploit it.
        VulnerableCodeCannotBeControlledByAdversary = "vulnerable_code_cannot_be_controlled_by_adversary",
        /// Built-in protections that cannot be disabled prevent exploitation.
        InlineMitigationsAlreadyExist = "inline_mitigations_already_exist",
    }
}

vocabulary! {
    /// The CycloneDX responses (`analysis.response`): what the manufacturer does or advises.
    pub enum Response as "VEX response" {
        /// The vulnerability cannot be fixed.
        CanNotFix = "can_not_fix",
        /// The vulnerability will not be fixed.
        WillNotFix = "will_not_fix",
        /// Update to a version that fixes it.
        Update = "update",
        /// Roll back to a version that is not affected.
        Rollback = "rollback",
        /// A workaround is available.
        WorkaroundAvailable = "workaround_available",
    }
}

impl Justification {
    /// The OpenVEX / CSAF justification this CycloneDX value maps to (see the module table).
    pub fn to_openvex(self) -> OpenVexJustification {
        match self {
            Justification::CodeNotPresent => OpenVexJustification::VulnerableCodeNotPresent,
            Justification::CodeNotReachable
            | Justification::RequiresConfiguration
            | Justification::RequiresDependency => {
                OpenVexJustification::VulnerableCodeNotInExecutePath
            }
            Justification::RequiresEnvironment | Justification::ProtectedAtPerimeter => {
                OpenVexJustification::VulnerableCodeCannotBeControlledByAdversary
            }
            Justification::ProtectedByCompiler
            | Justification::ProtectedAtRuntime
            | Justification::ProtectedByMitigatingControl => {
                OpenVexJustification::InlineMitigationsAlreadyExist
            }
        }
    }

    /// Whether the OpenVEX value claims more than this one: CycloneDX's mitigating control may
    /// only reduce risk, OpenVEX's inline mitigation must prevent exploitation; a perimeter
    /// keeps the adversary away only while the customer's perimeter holds, which OpenVEX's
    /// "cannot be controlled by adversary" does not say.
    pub fn is_lossy(self) -> bool {
        self.rests_on_customer_controls()
    }

    /// Whether the justification rests on a control outside the product (the customer's
    /// perimeter or mitigating control): a compensating control, so the product is affected.
    pub fn rests_on_customer_controls(self) -> bool {
        matches!(
            self,
            Justification::ProtectedAtPerimeter | Justification::ProtectedByMitigatingControl
        )
    }
}

impl OpenVexJustification {
    /// The closest CycloneDX justification (see the module documentation).
    pub fn to_cyclonedx(self) -> Justification {
        match self {
            OpenVexJustification::ComponentNotPresent
            | OpenVexJustification::VulnerableCodeNotPresent => Justification::CodeNotPresent,
            OpenVexJustification::VulnerableCodeNotInExecutePath => Justification::CodeNotReachable,
            OpenVexJustification::VulnerableCodeCannotBeControlledByAdversary => {
                Justification::RequiresEnvironment
            }
            OpenVexJustification::InlineMitigationsAlreadyExist => {
                Justification::ProtectedAtRuntime
            }
        }
    }
}

/// The VEX part of an assessment, valid by construction against CISA's minimum requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    status: VexStatus,
    justification: Option<Justification>,
    impact_statement: Option<String>,
    responses: Vec<Response>,
    action_statement: Option<String>,
}

impl VexStatement {
    /// Checks and builds a statement.
    ///
    /// The rules (CISA, *Minimum Requirements for VEX*, and the OpenVEX specification):
    /// `not_affected` needs a justification or an impact statement; `affected` needs an action
    /// statement or at least one response (aftercare accepts a CycloneDX response as the
    /// machine-readable form of the action); a justification is only given with
    /// `not_affected`. Blank texts count as missing and are dropped.
    pub fn new(
        status: VexStatus,
        justification: Option<Justification>,
        impact_statement: Option<&str>,
        responses: &[Response],
        action_statement: Option<&str>,
    ) -> Result<VexStatement, RiskError> {
        let impact_statement = non_blank(impact_statement);
        let action_statement = non_blank(action_statement);
        match status {
            VexStatus::NotAffected => {
                if justification.is_none() && impact_statement.is_none() {
                    return Err(RiskError::VexJustificationMissing);
                }
            }
            VexStatus::Affected => {
                if action_statement.is_none() && responses.is_empty() {
                    return Err(RiskError::VexActionMissing);
                }
            }
            VexStatus::Fixed | VexStatus::UnderInvestigation => {}
        }
        if status != VexStatus::NotAffected && justification.is_some() {
            return Err(RiskError::VexJustificationNotAllowed {
                status: status.as_str(),
            });
        }
        let mut responses = responses.to_vec();
        responses.sort();
        responses.dedup();
        Ok(VexStatement {
            status,
            justification,
            impact_statement,
            responses,
            action_statement,
        })
    }

    /// The status.
    pub fn status(&self) -> VexStatus {
        self.status
    }

    /// The CycloneDX justification, for `not_affected`.
    pub fn justification(&self) -> Option<Justification> {
        self.justification
    }

    /// The OpenVEX / CSAF justification derived from the CycloneDX one.
    pub fn openvex_justification(&self) -> Option<OpenVexJustification> {
        self.justification.map(Justification::to_openvex)
    }

    /// The free-text impact statement.
    pub fn impact_statement(&self) -> Option<&str> {
        self.impact_statement.as_deref()
    }

    /// The responses, sorted and without duplicates.
    pub fn responses(&self) -> &[Response] {
        &self.responses
    }

    /// The free-text action statement.
    pub fn action_statement(&self) -> Option<&str> {
        self.action_statement.as_deref()
    }
}

/// A statement as it is published (OpenVEX, CSAF VEX profile), after the export rules of the
/// module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedStatement {
    /// The published status.
    pub status: VexStatus,
    /// The OpenVEX / CSAF justification, for `not_affected`.
    pub justification: Option<OpenVexJustification>,
    /// The impact statement.
    pub impact_statement: Option<String>,
    /// The action statement: present for every `affected` statement.
    pub action_statement: Option<String>,
    /// Whether aftercare generated the action statement (from the responses and the fixed
    /// version) rather than a person writing it.
    pub action_statement_generated: bool,
    /// What the export changed or lost, for the advisory's notes: a `not_affected` resting on
    /// customer controls published as `affected`, or a lossy justification.
    pub note: Option<String>,
}

/// An action statement generated from the responses and, for `update`, the fixed version:
/// what a customer reads when nobody wrote one. `None` without responses.
pub fn action_statement(responses: &[Response], fixed_version: Option<&str>) -> Option<String> {
    let fixed_version = fixed_version.map(str::trim).filter(|v| !v.is_empty());
    let sentences: Vec<String> = responses
        .iter()
        .map(|response| match (response, fixed_version) {
            (Response::Update, Some(version)) => {
                format!("Update to version {version} or later, which fixes this vulnerability.")
            }
            (Response::Update, None) => {
                "Update to the version that fixes this vulnerability as soon as the manufacturer releases it.".to_string()
            }
            (Response::Rollback, _) => {
                "Roll back to a version that is not affected, as the manufacturer advises.".to_string()
            }
            (Response::WorkaroundAvailable, _) => {
                "Apply the workaround the manufacturer describes in its advisory.".to_string()
            }
            (Response::CanNotFix, _) => {
                "The manufacturer cannot fix this vulnerability; keep the compensating controls of its advisory in place.".to_string()
            }
            (Response::WillNotFix, _) => {
                "The manufacturer will not fix this vulnerability; keep the compensating controls of its advisory in place.".to_string()
            }
        })
        .collect();
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

/// Refuses `not_affected` for a product whose latest determination is uncontrolled: the two
/// records would tell customers and regulators opposite things. `determination` is its outcome
/// and how the refusal names it (`determination 12 of Pump for CVE-2021-23337`).
pub fn check_against_determination(
    status: VexStatus,
    determination: Option<(RiskClass, &str)>,
) -> Result<(), RiskError> {
    match determination {
        Some((RiskClass::Uncontrolled, named)) if status == VexStatus::NotAffected => {
            Err(RiskError::VexContradictsDetermination {
                determination: named.to_string(),
            })
        }
        _ => Ok(()),
    }
}

impl VexStatement {
    /// The statement as it is published, with the policy's export rules applied (see the
    /// module documentation); `fixed_version` is the version a generated action statement
    /// names for `update`.
    pub fn export(&self, policy: &Policy, fixed_version: Option<&str>) -> ExportedStatement {
        let customer_controls = self
            .justification
            .filter(|justification| justification.rests_on_customer_controls());
        match (self.status, customer_controls) {
            (VexStatus::NotAffected, Some(justification))
                if !policy.vex().customer_controls_may_justify_not_affected() =>
            {
                let written = self.action_statement.clone();
                let generated = written.is_none();
                let action = written.unwrap_or_else(|| {
                    format!(
                        "Keep the compensating control in place that protects the device ({}){}",
                        justification.as_str().replace('_', " "),
                        self.impact_statement
                            .as_deref()
                            .map(|impact| format!(": {impact}"))
                            .unwrap_or_else(|| ".".to_string())
                    )
                });
                ExportedStatement {
                    status: VexStatus::Affected,
                    justification: None,
                    impact_statement: self.impact_statement.clone(),
                    action_statement: Some(action),
                    action_statement_generated: generated,
                    note: Some(format!(
                        "assessed not_affected ({justification}), which rests on a control outside the product (a compensating control, FDA 2016): published as affected"
                    )),
                }
            }
            (VexStatus::Affected, _) => {
                let written = self.action_statement.clone();
                let generated = written.is_none();
                let action = written
                    .or_else(|| action_statement(&self.responses, fixed_version))
                    .unwrap_or_else(|| {
                        "Contact the manufacturer for the actions to take.".to_string()
                    });
                ExportedStatement {
                    status: VexStatus::Affected,
                    justification: None,
                    impact_statement: self.impact_statement.clone(),
                    action_statement: Some(action),
                    action_statement_generated: generated,
                    note: None,
                }
            }
            (status, _) => ExportedStatement {
                status,
                justification: self.openvex_justification(),
                impact_statement: self.impact_statement.clone(),
                action_statement: self.action_statement.clone(),
                action_statement_generated: false,
                note: self
                    .justification
                    .filter(|justification| justification.is_lossy())
                    .map(|justification| {
                        format!(
                            "lossy mapping: CycloneDX {justification} is published as {}, which claims more",
                            justification.to_openvex()
                        )
                    }),
            },
        }
    }
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for status in VexStatus::ALL {
            assert_eq!(status.as_str().parse::<VexStatus>().ok(), Some(*status));
        }
        for justification in Justification::ALL {
            assert_eq!(
                justification.as_str().parse::<Justification>().ok(),
                Some(*justification)
            );
        }
        for justification in OpenVexJustification::ALL {
            assert_eq!(
                justification.as_str().parse::<OpenVexJustification>().ok(),
                Some(*justification)
            );
        }
        for response in Response::ALL {
            assert_eq!(response.as_str().parse::<Response>().ok(), Some(*response));
        }
        assert_eq!(Justification::ALL.len(), 9);
        assert_eq!(OpenVexJustification::ALL.len(), 5);
        let error = "Not_Affected".parse::<VexStatus>().map(|_| ()).unwrap_err();
        assert!(
            error.to_string().contains("not_affected, affected, fixed"),
            "{error}"
        );
    }

    fn check_mapping(cyclonedx: &str, openvex: &str) {
        let justification: Justification = cyclonedx.parse().unwrap();
        assert_eq!(justification.to_openvex().as_str(), openvex, "{cyclonedx}");
    }

    #[test]
    fn justification_mapping() {
        check_mapping("code_not_present", "vulnerable_code_not_present");
        check_mapping("code_not_reachable", "vulnerable_code_not_in_execute_path");
        check_mapping(
            "requires_configuration",
            "vulnerable_code_not_in_execute_path",
        );
        check_mapping("requires_dependency", "vulnerable_code_not_in_execute_path");
        check_mapping(
            "requires_environment",
            "vulnerable_code_cannot_be_controlled_by_adversary",
        );
        check_mapping("protected_by_compiler", "inline_mitigations_already_exist");
        check_mapping("protected_at_runtime", "inline_mitigations_already_exist");
        check_mapping(
            "protected_at_perimeter",
            "vulnerable_code_cannot_be_controlled_by_adversary",
        );
        check_mapping(
            "protected_by_mitigating_control",
            "inline_mitigations_already_exist",
        );
    }

    #[test]
    fn reverse_mapping_lands_on_the_same_openvex_value() {
        // Every OpenVEX value except component_not_present survives a round trip.
        for openvex in OpenVexJustification::ALL {
            let back = openvex.to_cyclonedx().to_openvex();
            if *openvex == OpenVexJustification::ComponentNotPresent {
                assert_eq!(back, OpenVexJustification::VulnerableCodeNotPresent);
            } else {
                assert_eq!(back, *openvex);
            }
        }
        let lossy: Vec<_> = Justification::ALL.iter().filter(|j| j.is_lossy()).collect();
        assert_eq!(
            lossy,
            [
                &Justification::ProtectedAtPerimeter,
                &Justification::ProtectedByMitigatingControl
            ]
        );
    }

    /// One VEX validation case: status, justification, impact, responses, action → error text
    /// or `ok`.
    fn check_vex(
        status: &str,
        justification: Option<&str>,
        impact: Option<&str>,
        responses: &[&str],
        action: Option<&str>,
        expected: &str,
    ) {
        let responses: Vec<Response> = responses.iter().map(|r| r.parse().unwrap()).collect();
        let result = VexStatement::new(
            status.parse().unwrap(),
            justification.map(|j| j.parse().unwrap()),
            impact,
            &responses,
            action,
        );
        match result {
            Ok(_) => assert_eq!(expected, "ok", "{status} accepted"),
            Err(error) => assert!(
                error.to_string().contains(expected),
                "{status}: {error} does not contain {expected}"
            ),
        }
    }

    #[test]
    fn vex_validation() {
        check_vex(
            "not_affected",
            Some("code_not_reachable"),
            None,
            &[],
            None,
            "ok",
        );
        check_vex(
            "not_affected",
            None,
            Some("only in the service tool"),
            &[],
            None,
            "ok",
        );
        check_vex(
            "not_affected",
            None,
            None,
            &[],
            None,
            "needs a justification",
        );
        check_vex(
            "not_affected",
            None,
            Some("   "),
            &[],
            None,
            "needs a justification",
        );
        check_vex("affected", None, None, &["update"], None, "ok");
        check_vex("affected", None, None, &[], Some("Install 2.4.1."), "ok");
        check_vex(
            "affected",
            None,
            None,
            &[],
            None,
            "needs an action statement",
        );
        check_vex(
            "affected",
            None,
            None,
            &[],
            Some(""),
            "needs an action statement",
        );
        check_vex(
            "affected",
            Some("code_not_present"),
            None,
            &["update"],
            None,
            "not to one with status affected",
        );
        check_vex("fixed", None, None, &[], None, "ok");
        check_vex("under_investigation", None, None, &[], None, "ok");
        check_vex(
            "fixed",
            Some("requires_configuration"),
            None,
            &[],
            None,
            "belongs to a not_affected statement",
        );
    }

    #[test]
    fn statement_keeps_what_it_was_given() {
        let statement = VexStatement::new(
            VexStatus::NotAffected,
            Some(Justification::ProtectedAtPerimeter),
            Some("  Only reachable from the service port.  "),
            &[Response::Update, Response::Update],
            None,
        )
        .unwrap();
        assert_eq!(
            statement.openvex_justification(),
            Some(OpenVexJustification::VulnerableCodeCannotBeControlledByAdversary)
        );
        assert_eq!(
            statement.impact_statement(),
            Some("Only reachable from the service port.")
        );
        assert_eq!(statement.responses(), &[Response::Update]);
        assert_eq!(statement.action_statement(), None);
    }

    #[test]
    fn generated_action_statements() {
        for (responses, fixed, expected) in [
            (
                &[Response::Update][..],
                Some("2.4.1"),
                Some("Update to version 2.4.1 or later, which fixes this vulnerability."),
            ),
            (
                &[Response::Update][..],
                None,
                Some(
                    "Update to the version that fixes this vulnerability as soon as the manufacturer releases it.",
                ),
            ),
            (
                &[Response::WorkaroundAvailable, Response::Update][..],
                Some("5.0"),
                Some(
                    "Apply the workaround the manufacturer describes in its advisory. Update to version 5.0 or later, which fixes this vulnerability.",
                ),
            ),
            (&[][..], Some("5.0"), None),
        ] {
            assert_eq!(
                action_statement(responses, fixed).as_deref(),
                expected,
                "{responses:?}"
            );
        }
    }

    /// The default policy, or one that lets customer controls justify `not_affected`.
    fn policy(allow: bool) -> Policy {
        let mut document: toml::Table = toml::from_str(crate::policy::DEFAULT_POLICY_TOML).unwrap();
        document
            .get_mut("vex")
            .unwrap()
            .as_table_mut()
            .unwrap()
            .insert(
                "customer_controls_may_justify_not_affected".into(),
                allow.into(),
            );
        Policy::from_toml(&toml::to_string(&document).unwrap(), "test").unwrap()
    }

    /// statement, policy flag → published status, generated action?, note contains.
    fn check_export(statement: VexStatement, allow: bool, expected: (VexStatus, bool, &str)) {
        let exported = statement.export(&policy(allow), Some("2.4.1"));
        assert_eq!(exported.status, expected.0, "{statement:?}");
        assert_eq!(
            exported.action_statement_generated, expected.1,
            "{statement:?}"
        );
        if exported.status == VexStatus::Affected {
            assert!(exported.action_statement.is_some(), "{statement:?}");
        }
        assert!(
            exported.note.as_deref().unwrap_or("").contains(expected.2),
            "{exported:?}"
        );
    }

    #[test]
    fn export_rules() {
        let statement = |status, justification, responses: &[Response], action: Option<&str>| {
            VexStatement::new(
                status,
                justification,
                Some("Only the service port."),
                responses,
                action,
            )
            .unwrap()
        };
        let perimeter = Some(Justification::ProtectedAtPerimeter);
        let mitigated = Some(Justification::ProtectedByMitigatingControl);
        // Customer controls: affected with a compensating-control note, unless allowed.
        check_export(
            statement(VexStatus::NotAffected, perimeter, &[], None),
            false,
            (VexStatus::Affected, true, "compensating control"),
        );
        check_export(
            statement(
                VexStatus::NotAffected,
                mitigated,
                &[],
                Some("Keep VLAN 12."),
            ),
            false,
            (VexStatus::Affected, false, "published as affected"),
        );
        check_export(
            statement(VexStatus::NotAffected, perimeter, &[], None),
            true,
            (VexStatus::NotAffected, false, "lossy mapping"),
        );
        // A product's own protection stays not_affected, without a note.
        check_export(
            statement(
                VexStatus::NotAffected,
                Some(Justification::CodeNotReachable),
                &[],
                None,
            ),
            false,
            (VexStatus::NotAffected, false, ""),
        );
        // Affected: the written statement, or one generated from the response.
        check_export(
            statement(
                VexStatus::Affected,
                None,
                &[Response::Update],
                Some("Install 2.4.1."),
            ),
            false,
            (VexStatus::Affected, false, ""),
        );
        let generated = statement(VexStatus::Affected, None, &[Response::Update], None)
            .export(&policy(false), Some("2.4.1"));
        assert_eq!(
            generated.action_statement.as_deref(),
            Some("Update to version 2.4.1 or later, which fixes this vulnerability.")
        );
        assert!(generated.action_statement_generated);
    }

    #[test]
    fn not_affected_contradicts_an_uncontrolled_determination() {
        for (status, determination, allowed) in [
            (VexStatus::NotAffected, Some(RiskClass::Uncontrolled), false),
            (VexStatus::NotAffected, Some(RiskClass::Controlled), true),
            (VexStatus::NotAffected, None, true),
            (VexStatus::Affected, Some(RiskClass::Uncontrolled), true),
            (VexStatus::Fixed, Some(RiskClass::Uncontrolled), true),
        ] {
            assert_eq!(
                check_against_determination(
                    status,
                    determination.map(|risk| (risk, "determination 7"))
                )
                .is_ok(),
                allowed,
                "{status} with {determination:?}"
            );
        }
        let error = check_against_determination(
            VexStatus::NotAffected,
            Some((
                RiskClass::Uncontrolled,
                "determination 7 of Pump for CVE-2021-23337",
            )),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "not_affected contradicts determination 7 of Pump for CVE-2021-23337, which is \
             uncontrolled: revise the determination (signed) or state affected with an action \
             statement"
        );
    }
}
