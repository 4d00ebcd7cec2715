//! The FDA determination: is the residual risk of patient harm **controlled** or
//! **uncontrolled**? A record of its own, holding every input it used, so that storage can tell
//! when those inputs changed ([`Determination::inputs_digest`]).
//!
//! How it is made (FDA, *Postmarket Management of Cybersecurity in Medical Devices*, 2016,
//! which relates exploitability to the severity of patient harm in a figure whose boundary
//! between controlled and uncontrolled is left to the manufacturer):
//!
//! 1. the exploitability level comes from the policy's rule ([`crate::assess_exploitability`]);
//! 2. if at least one compensating control **counts** — it carries evidence, is claimed
//!    effective and a named person verified it ([`CompensatingControl::counts`]) — the level is
//!    lowered by `determination.compensating_control_exploitability_steps` and the severity of
//!    harm by `determination.compensating_control_severity_steps` — once, not per control,
//!    because several controls against the same attack are not independent evidence. An
//!    unverified claim lowers nothing (FDA 2016 defines a compensating control as one that
//!    provides *supplementary or alternative mitigations*; the manufacturer must be able to
//!    show it does);
//! 3. a KEV-listed vulnerability is exploited in the wild: controls never lower it below
//!    `determination.kev_floor`; only an override with a written rationale (signed by the
//!    service) can decide otherwise;
//! 4. the policy's matrix maps (lowered level, lowered severity) to controlled or uncontrolled;
//! 5. when `determination.safety_and_essential_performance_required` is set (the default) and
//!    the device's safety and essential performance is not affected, the risk is controlled
//!    whatever the cell says. The final guidance (December 2016) assesses the risk of patient
//!    harm from the likelihood of exploit, the impact on the device's *safety and essential
//!    performance* and the severity of harm; "essential clinical performance" was the term of
//!    the January 2016 draft and is not used here;
//! 6. an analyst may override the outcome only with a written rationale of at least
//!    `rationale.min_chars` characters; the computed outcome is kept beside the override.

use aftercare_model::{Severity, Sha256};

use crate::RiskError;
use crate::exploitability::{ExploitabilityAssessment, ExploitabilityLevel, ExploitabilityReason};
use crate::harm::{CompensatingControl, HarmSeverity, PatientHarm};
use crate::policy::{Policy, check_rationale};
pub use crate::vocabulary::RiskClass;

/// A manual change of the outcome, with its written rationale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    outcome: RiskClass,
    rationale: String,
}

impl Override {
    /// An override to `outcome`; the rationale is checked against the policy when the
    /// determination is made.
    pub fn new(outcome: RiskClass, rationale: &str) -> Override {
        Override {
            outcome,
            rationale: rationale.trim().to_string(),
        }
    }

    /// The outcome the analyst chose.
    pub fn outcome(&self) -> RiskClass {
        self.outcome
    }

    /// Why.
    pub fn rationale(&self) -> &str {
        &self.rationale
    }
}

/// The matrix cell a determination fell in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixCell {
    /// The exploitability level after compensating controls and the KEV floor.
    pub exploitability: ExploitabilityLevel,
    /// The harm severity after compensating controls.
    pub severity: HarmSeverity,
    /// What the matrix says for this cell.
    pub outcome: RiskClass,
}

/// A determination with all its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Determination {
    exploitability: ExploitabilityAssessment,
    harm: PatientHarm,
    cell: MatrixCell,
    computed: RiskClass,
    override_: Option<Override>,
    policy_digest: Sha256,
    steps: Vec<String>,
}

/// Makes a determination (see the module documentation for the steps).
pub fn determine(
    policy: &Policy,
    exploitability: &ExploitabilityAssessment,
    harm: &PatientHarm,
    override_: Option<Override>,
) -> Result<Determination, RiskError> {
    let rules = policy.determination();
    // The level must be one of this policy's levels: a level from another policy would make
    // the matrix lookup meaningless.
    let level = policy
        .exploitability()
        .level(exploitability.level.id())
        .filter(|level| *level == exploitability.level)
        .ok_or_else(|| RiskError::UnknownExploitabilityLevel {
            level: exploitability.level.id().to_string(),
            expected: policy.exploitability().level_ids(),
        })?;
    let mut steps = Vec::new();
    let counted: Vec<&CompensatingControl> = harm
        .compensating_controls
        .iter()
        .filter(|control| control.counts())
        .collect();
    for control in &harm.compensating_controls {
        if control.effective() && !control.counts() {
            steps.push(format!(
                "control {:?} is claimed effective but not verified by a person: it lowers nothing",
                control.description()
            ));
        }
    }
    let (mut lowered, severity) = if counted.is_empty() {
        (level.rank(), harm.severity)
    } else {
        let exploitability_steps = rules.compensating_control_exploitability_steps() as usize;
        let severity_steps = rules.compensating_control_severity_steps() as usize;
        let lowered = level.rank().saturating_sub(exploitability_steps);
        let severity = HarmSeverity::ALL
            .get(harm.severity.rank().saturating_sub(severity_steps))
            .copied()
            .unwrap_or(harm.severity);
        steps.push(format!(
            "{} verified control(s) ({}): exploitability lowered {exploitability_steps} step(s) from {} to {}, severity {severity_steps} step(s) from {} to {}",
            counted.len(),
            counted
                .iter()
                .map(|control| format!(
                    "{:?} verified by {}",
                    control.description(),
                    control.verified_by().unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(", "),
            level.id(),
            policy.exploitability().level_at(lowered).id(),
            harm.severity,
            severity
        ));
        (lowered, severity)
    };
    let floor = rules.kev_floor().rank().min(level.rank());
    if exploitability.kev_listed && lowered < floor {
        lowered = floor;
        steps.push(format!(
            "listed in CISA KEV: exploitability is not lowered below {} (determination.kev_floor); only an override with a rationale can decide otherwise",
            policy.exploitability().level_at(floor).id()
        ));
    }
    let cell_level = policy.exploitability().level_at(lowered);
    let cell_outcome = rules.outcome(lowered, severity);
    let computed = if rules.safety_and_essential_performance_required()
        && !harm.safety_and_essential_performance_affected
    {
        steps.push(
            "the device's safety and essential performance is not affected: controlled whatever the matrix says".to_string(),
        );
        RiskClass::Controlled
    } else {
        cell_outcome
    };
    if let Some(chosen) = &override_ {
        check_rationale(policy, "an override", chosen.rationale())?;
    }
    let mut harm = harm.clone();
    harm.compensating_controls.sort();
    Ok(Determination {
        exploitability: exploitability.clone(),
        harm,
        cell: MatrixCell {
            exploitability: cell_level,
            severity,
            outcome: cell_outcome,
        },
        computed,
        override_,
        policy_digest: policy.digest(),
        steps,
    })
}

impl Determination {
    /// The outcome: the override's when there is one, else the computed one.
    pub fn outcome(&self) -> RiskClass {
        self.override_
            .as_ref()
            .map_or(self.computed, Override::outcome)
    }

    /// The outcome the policy computed, before any override.
    pub fn computed(&self) -> RiskClass {
        self.computed
    }

    /// The exploitability level before compensating controls.
    pub fn exploitability_level(&self) -> &ExploitabilityLevel {
        &self.exploitability.level
    }

    /// The rules that fired for the exploitability level.
    pub fn exploitability_reasons(&self) -> &[ExploitabilityReason] {
        &self.exploitability.reasons
    }

    /// The harm severity.
    pub fn harm_severity(&self) -> HarmSeverity {
        self.harm.severity
    }

    /// Whether safety and essential performance is affected.
    pub fn safety_and_essential_performance_affected(&self) -> bool {
        self.harm.safety_and_essential_performance_affected
    }

    /// The compensating controls considered, sorted.
    pub fn compensating_controls(&self) -> &[CompensatingControl] {
        &self.harm.compensating_controls
    }

    /// The matrix cell (after compensating controls) and what it says.
    pub fn cell(&self) -> &MatrixCell {
        &self.cell
    }

    /// How the policy went from the inputs to the cell, in words: controls that counted or did
    /// not, the KEV floor, the safety and essential performance gate. Empty when the cell is
    /// the inputs' own.
    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    /// The override, when the analyst changed the outcome.
    pub fn override_(&self) -> Option<&Override> {
        self.override_.as_ref()
    }

    /// The canonical digest of the policy that made it.
    pub fn policy_digest(&self) -> Sha256 {
        self.policy_digest
    }

    /// A stable SHA-256 of the determination's inputs: the exploitability level, the ids of
    /// the rules that fired and the KEV listing, the harm severity, whether safety and
    /// essential performance is affected, the compensating controls with their verifiers (as a
    /// set), the override and its rationale, and the policy's canonical digest.
    ///
    /// The rules' *details* (the EPSS score of the day) are left out on purpose: a daily EPSS
    /// update that fires the same rules does not change the decision and must not invalidate
    /// it; a change of level or of the rules that fired does. A determination carries over to
    /// another release of the same product only while this digest is unchanged.
    ///
    /// Encoding, version 2 (version 1 named the draft guidance's "essential clinical
    /// performance"): the line `aftercare-determination-inputs/2`, then one line per
    /// field `name=LENGTH:VALUE` (length in bytes, so that no value can forge a separator), in
    /// the order written in [`Determination::canonical_inputs`].
    pub fn inputs_digest(&self) -> Sha256 {
        Sha256::of(self.canonical_inputs().as_bytes())
    }

    /// The canonical encoding hashed by [`Determination::inputs_digest`], for audits and tests.
    pub fn canonical_inputs(&self) -> String {
        let mut out = String::from("aftercare-determination-inputs/2\n");
        field(
            &mut out,
            "exploitability.level",
            self.exploitability.level.id(),
        );
        let mut rules: Vec<&str> = self
            .exploitability
            .reasons
            .iter()
            .map(|reason| reason.rule.as_str())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        for rule in rules {
            field(&mut out, "exploitability.rule", rule);
        }
        field(
            &mut out,
            "exploitability.kev_listed",
            if self.exploitability.kev_listed {
                "true"
            } else {
                "false"
            },
        );
        field(&mut out, "harm.severity", self.harm.severity.as_str());
        field(
            &mut out,
            "harm.safety_and_essential_performance_affected",
            if self.harm.safety_and_essential_performance_affected {
                "true"
            } else {
                "false"
            },
        );
        for control in &self.harm.compensating_controls {
            field(&mut out, "control.description", control.description());
            field(&mut out, "control.evidence", control.evidence());
            field(
                &mut out,
                "control.effective",
                if control.effective() { "true" } else { "false" },
            );
            field(
                &mut out,
                "control.verified_by",
                control.verified_by().unwrap_or_default(),
            );
        }
        if let Some(chosen) = &self.override_ {
            field(&mut out, "override.outcome", chosen.outcome().as_str());
            field(&mut out, "override.rationale", chosen.rationale());
        }
        field(&mut out, "policy.digest", &self.policy_digest.to_hex());
        out
    }
}

fn field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push('=');
    out.push_str(&value.len().to_string());
    out.push(':');
    out.push_str(value);
    out.push('\n');
}

/// Which patch path a finding takes (FD&C Act section 524B(b)(2)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchPath {
    /// Fixed in the regular, reasonably justified patch cycle.
    RegularCycle,
    /// A candidate for an out-of-cycle update, to be reviewed: the reasons say why (KEV, a
    /// critical CVSS severity).
    OutOfCycleCandidate {
        /// Why it is a candidate.
        reasons: Vec<String>,
    },
    /// An uncontrolled risk: the out-of-cycle path is required.
    OutOfCycleRequired,
}

/// The patch path for a determination's outcome, KEV listing and CVSS severity.
///
/// An uncontrolled determination always requires the out-of-cycle path. A controlled one is a
/// candidate when the policy's `patch.out_of_cycle_when_kev` is set and the vulnerability is
/// in KEV, or when its CVSS severity is at least `patch.out_of_cycle_cvss_severity`.
pub fn patch_path(
    policy: &Policy,
    outcome: RiskClass,
    kev_listed: bool,
    cvss_severity: Severity,
) -> PatchPath {
    if outcome == RiskClass::Uncontrolled {
        return PatchPath::OutOfCycleRequired;
    }
    let mut reasons = Vec::new();
    if kev_listed && policy.patch().out_of_cycle_when_kev() {
        reasons.push("listed in CISA KEV".to_string());
    }
    let threshold = policy.patch().out_of_cycle_cvss_severity();
    if cvss_severity != Severity::Unknown && cvss_severity >= threshold {
        reasons.push(format!("CVSS severity {cvss_severity} (>= {threshold})"));
    }
    if reasons.is_empty() {
        PatchPath::RegularCycle
    } else {
        PatchPath::OutOfCycleCandidate { reasons }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exploitability::ExploitabilityReason;

    fn assessment(policy: &Policy, level: &str, rules: &[&str]) -> ExploitabilityAssessment {
        ExploitabilityAssessment {
            level: policy.exploitability().level(level).unwrap(),
            reasons: rules
                .iter()
                .map(|rule| ExploitabilityReason {
                    rule: rule.to_string(),
                    level: level.to_string(),
                    detail: format!("{rule} fired"),
                })
                .collect(),
            kev_listed: rules.contains(&"kev"),
        }
    }

    fn harm(severity: &str, performance_affected: bool, controls: &[(&str, bool)]) -> PatientHarm {
        PatientHarm {
            severity: severity.parse().unwrap(),
            safety_and_essential_performance_affected: performance_affected,
            // An effective control is verified by a person; see the tests below for claims.
            compensating_controls: controls
                .iter()
                .map(|(description, effective)| {
                    let control =
                        CompensatingControl::new(description, "EVIDENCE-1", *effective).unwrap();
                    if *effective {
                        control.verify("Vera Verifier").unwrap()
                    } else {
                        control
                    }
                })
                .collect(),
        }
    }

    /// exploitability level, harm severity, safety and essential performance affected, an
    /// effective control → outcome and
    /// the matrix cell's level.
    fn check(
        level: &str,
        severity: &str,
        performance_affected: bool,
        control: bool,
        expected: &str,
        cell: &str,
    ) {
        let policy = Policy::builtin().unwrap();
        let controls: &[(&str, bool)] = if control {
            &[("Segmented network", true)]
        } else {
            &[]
        };
        let determination = determine(
            &policy,
            &assessment(&policy, level, &[]),
            &harm(severity, performance_affected, controls),
            None,
        )
        .unwrap();
        assert_eq!(
            determination.outcome().as_str(),
            expected,
            "{level} x {severity} (performance affected {performance_affected}, control {control})"
        );
        assert_eq!(determination.cell().exploitability.id(), cell);
    }

    #[test]
    fn default_matrix() {
        // Without controls, safety and essential performance affected: the diagonal boundary of
        // the default policy.
        for (level, row) in [
            ("low", ["c", "c", "c", "c", "u"]),
            ("medium", ["c", "c", "c", "u", "u"]),
            ("high", ["c", "c", "u", "u", "u"]),
        ] {
            for (severity, expected) in HarmSeverity::ALL.iter().zip(row) {
                let expected = if expected == "u" {
                    "uncontrolled"
                } else {
                    "controlled"
                };
                check(level, severity.as_str(), true, false, expected, level);
            }
        }
    }

    #[test]
    fn compensating_controls_and_safety_and_essential_performance() {
        // An effective control lowers exploitability one step.
        check("high", "serious", true, true, "controlled", "medium");
        check("high", "critical", true, true, "uncontrolled", "medium");
        check("medium", "critical", true, true, "controlled", "low");
        check("low", "catastrophic", true, true, "uncontrolled", "low");
        // Safety and essential performance not affected: controlled whatever the cell.
        check("high", "catastrophic", false, false, "controlled", "high");
        // A control claimed ineffective changes nothing.
        let policy = Policy::builtin().unwrap();
        let determination = determine(
            &policy,
            &assessment(&policy, "high", &["kev"]),
            &harm("serious", true, &[("Password policy", false)]),
            None,
        )
        .unwrap();
        assert_eq!(determination.outcome(), RiskClass::Uncontrolled);
    }

    #[test]
    fn a_control_counts_only_with_a_verifier() {
        let policy = Policy::builtin().unwrap();
        let claimed = PatientHarm {
            severity: HarmSeverity::Serious,
            safety_and_essential_performance_affected: true,
            compensating_controls: vec![
                CompensatingControl::new("Segmented network", "NET-7", true).unwrap(),
            ],
        };
        // high x serious is uncontrolled; the unverified claim changes nothing.
        let determination =
            determine(&policy, &assessment(&policy, "high", &[]), &claimed, None).unwrap();
        assert_eq!(determination.outcome(), RiskClass::Uncontrolled);
        assert_eq!(determination.cell().exploitability.id(), "high");
        assert!(
            determination.steps()[0].contains("not verified by a person"),
            "{:?}",
            determination.steps()
        );
        let mut verified = claimed.clone();
        verified.compensating_controls = vec![
            CompensatingControl::new("Segmented network", "NET-7", true)
                .unwrap()
                .verify("Vera Verifier")
                .unwrap(),
        ];
        let determination =
            determine(&policy, &assessment(&policy, "high", &[]), &verified, None).unwrap();
        assert_eq!(determination.outcome(), RiskClass::Controlled);
        assert!(
            determination.steps()[0].contains("verified by Vera Verifier"),
            "{:?}",
            determination.steps()
        );
        // The verifier is an input: the digest tells a verified control from a claimed one.
        let claimed_digest =
            determine(&policy, &assessment(&policy, "high", &[]), &claimed, None).unwrap();
        assert_ne!(
            claimed_digest.inputs_digest(),
            determination.inputs_digest()
        );
    }

    /// level, rules, severity, exploitability steps, severity steps, KEV floor → cell level,
    /// cell severity, outcome.
    #[allow(clippy::too_many_arguments, reason = "one table row per case")]
    fn check_lowering(
        level: &str,
        rules: &[&str],
        severity: &str,
        exploitability_steps: i64,
        severity_steps: i64,
        floor: &str,
        expected: (&str, &str, &str),
    ) {
        let mut document: toml::Table = toml::from_str(crate::policy::DEFAULT_POLICY_TOML).unwrap();
        let determination_table = document
            .get_mut("determination")
            .unwrap()
            .as_table_mut()
            .unwrap();
        determination_table.insert(
            "compensating_control_exploitability_steps".into(),
            exploitability_steps.into(),
        );
        determination_table.insert(
            "compensating_control_severity_steps".into(),
            severity_steps.into(),
        );
        determination_table.insert("kev_floor".into(), floor.into());
        let policy = Policy::from_toml(&toml::to_string(&document).unwrap(), "test").unwrap();
        let determination = determine(
            &policy,
            &assessment(&policy, level, rules),
            &harm(severity, true, &[("Allow-list on the pump", true)]),
            None,
        )
        .unwrap();
        let cell = determination.cell();
        assert_eq!(
            (
                cell.exploitability.id(),
                cell.severity.as_str(),
                determination.outcome().as_str()
            ),
            expected,
            "{level} {rules:?} {severity} steps {exploitability_steps}/{severity_steps} floor {floor}"
        );
    }

    #[test]
    fn controls_lower_exploitability_and_severity_but_not_kev_below_the_floor() {
        // The default: one step of exploitability, none of severity, KEV floor medium.
        check_lowering(
            "high",
            &["kev"],
            "serious",
            1,
            0,
            "medium",
            ("medium", "serious", "controlled"),
        );
        // Two steps would reach low; KEV holds it at the floor, and critical harm stays
        // uncontrolled there.
        check_lowering(
            "high",
            &["kev"],
            "critical",
            2,
            0,
            "medium",
            ("medium", "critical", "uncontrolled"),
        );
        check_lowering(
            "high",
            &[],
            "critical",
            2,
            0,
            "medium",
            ("low", "critical", "controlled"),
        );
        // A floor of high: a KEV-listed vulnerability is not lowered at all.
        check_lowering(
            "high",
            &["kev"],
            "serious",
            1,
            0,
            "high",
            ("high", "serious", "uncontrolled"),
        );
        // The floor never raises a level that was already below it.
        check_lowering(
            "low",
            &["kev"],
            "catastrophic",
            1,
            0,
            "medium",
            ("low", "catastrophic", "uncontrolled"),
        );
        // Severity steps: critical lowered to serious; high x serious is uncontrolled.
        check_lowering(
            "high",
            &[],
            "critical",
            0,
            1,
            "medium",
            ("high", "serious", "uncontrolled"),
        );
        check_lowering(
            "medium",
            &[],
            "critical",
            0,
            1,
            "medium",
            ("medium", "serious", "controlled"),
        );
        check_lowering(
            "medium",
            &[],
            "negligible",
            0,
            4,
            "medium",
            ("medium", "negligible", "controlled"),
        );
    }

    #[test]
    fn override_needs_a_rationale() {
        let policy = Policy::builtin().unwrap();
        let exploitability = assessment(&policy, "high", &["kev"]);
        let harm = harm("critical", true, &[]);
        let short = determine(
            &policy,
            &exploitability,
            &harm,
            Some(Override::new(RiskClass::Controlled, "  trust me  ")),
        )
        .unwrap_err();
        assert!(
            short.to_string().contains("is 8 characters long"),
            "{short}"
        );
        let determination = determine(
            &policy,
            &exploitability,
            &harm,
            Some(Override::new(
                RiskClass::Controlled,
                "The affected service is disabled in every shipped configuration (CFG-7).",
            )),
        )
        .unwrap();
        assert_eq!(determination.outcome(), RiskClass::Controlled);
        assert_eq!(determination.computed(), RiskClass::Uncontrolled);
        assert!(determination.override_().is_some());
    }

    #[test]
    fn level_from_another_policy_is_refused() {
        let policy = Policy::builtin().unwrap();
        let foreign = ExploitabilityAssessment {
            level: crate::exploitability::ExploitabilityLevel::new(4, "extreme", "Extreme"),
            reasons: Vec::new(),
            kev_listed: false,
        };
        let error = determine(&policy, &foreign, &harm("minor", true, &[]), None).unwrap_err();
        assert!(error.to_string().contains("\"extreme\""), "{error}");
    }

    #[test]
    fn inputs_digest_tracks_inputs_only() {
        let policy = Policy::builtin().unwrap();
        let make = |rules: &[&str], detail: &str, severity: &str, controls: &[(&str, bool)]| {
            let mut exploitability = assessment(&policy, "high", rules);
            for reason in &mut exploitability.reasons {
                reason.detail = detail.to_string();
            }
            determine(
                &policy,
                &exploitability,
                &harm(severity, true, controls),
                None,
            )
            .unwrap()
        };
        let base = make(
            &["kev", "epss"],
            "EPSS 0.42",
            "serious",
            &[("A", false), ("B", false)],
        );
        // Stable across: the details of the day, the order of rules and of controls.
        let same = make(
            &["epss", "kev"],
            "EPSS 0.43",
            "serious",
            &[("B", false), ("A", false)],
        );
        assert_eq!(base.inputs_digest(), same.inputs_digest());
        // Changes with: severity, the rules that fired, a control, an override.
        let severity = make(
            &["kev", "epss"],
            "",
            "critical",
            &[("A", false), ("B", false)],
        );
        let rules = make(&["kev"], "", "serious", &[("A", false), ("B", false)]);
        let control = make(
            &["kev", "epss"],
            "",
            "serious",
            &[("A", false), ("B", true)],
        );
        for other in [&severity, &rules, &control] {
            assert_ne!(base.inputs_digest(), other.inputs_digest());
        }
        assert!(
            base.canonical_inputs()
                .starts_with("aftercare-determination-inputs/2\n")
        );
        assert!(
            base.canonical_inputs()
                .contains("harm.severity=7:serious\n")
        );
        assert_eq!(base.policy_digest(), policy.digest());
    }

    #[test]
    fn patch_paths() {
        let policy = Policy::builtin().unwrap();
        for (outcome, kev, severity, expected) in [
            (RiskClass::Uncontrolled, false, Severity::Low, "required"),
            (RiskClass::Controlled, false, Severity::High, "regular"),
            (RiskClass::Controlled, true, Severity::Low, "candidate"),
            (
                RiskClass::Controlled,
                false,
                Severity::Critical,
                "candidate",
            ),
            (RiskClass::Controlled, false, Severity::Unknown, "regular"),
        ] {
            let path = patch_path(&policy, outcome, kev, severity);
            let found = match path {
                PatchPath::RegularCycle => "regular",
                PatchPath::OutOfCycleCandidate { .. } => "candidate",
                PatchPath::OutOfCycleRequired => "required",
            };
            assert_eq!(found, expected, "{outcome} kev={kev} {severity}");
        }
    }
}
