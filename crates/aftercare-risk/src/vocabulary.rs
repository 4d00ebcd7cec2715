//! The fixed vocabularies that several modules share, and the macro that declares them: an
//! enum whose values print and parse as snake_case labels, with the list of all values for
//! messages and tests.
//!
//! The policy schema (`policy`) names clock kinds, risk classes, evidence kinds, exploit
//! maturities and jurisdictions, and the rules that read the policy (`clock`, `determination`,
//! `exploitability`) name them too. Declaring them here, below both, keeps the module
//! dependencies pointing one way: rules → policy → vocabulary.

/// Declares a label enum of this crate ([`aftercare_model::label_enum!`]): `as_str`, `ALL`,
/// `Display`, and a `FromStr` whose error is a [`crate::RiskError::UnknownLabel`] naming the
/// vocabulary and every accepted label.
macro_rules! vocabulary {
    ($($body:tt)+) => {
        aftercare_model::label_enum! { error = $crate::RiskError; $($body)+ }
    };
}

pub(crate) use vocabulary;

vocabulary! {
    /// What a clock is for; its length and counting come from the policy's `[clock.KIND]`.
    pub enum ClockKind as "clock kind" {
        /// Uncontrolled risk: communicate with customers and the user community (FDA 2016).
        CustomerCommunication = "customer_communication",
        /// Uncontrolled risk: fix, validate and distribute the deployable fix (FDA 2016).
        Remediation = "remediation",
        /// Uncontrolled risk: share the customer communication with the ISAO (FDA 2016).
        IsaoSharing = "isao_sharing",
        /// Report of a correction or removal (21 CFR 806.10).
        Report806 = "report_806",
        /// Controlled risk: fix in the regular patch cycle (FD&C Act 524B(b)(2)(A)).
        RegularPatchCycle = "regular_patch_cycle",
        /// Medical device report, 30 calendar days (21 CFR 803.50).
        Mdr803 = "mdr_803",
        /// Five-day report: remedial action needed, or FDA's written request (21 CFR 803.53).
        Mdr803FiveDay = "mdr_803_5day",
        /// Supplemental report (21 CFR 803.56).
        Mdr803Supplemental = "mdr_803_supplemental",
        /// EU serious incident report, 15 days (MDR 2017/745 Art. 87(3)).
        EuMdrArt87 = "eu_mdr_art87",
        /// EU serious public health threat, 2 days (Art. 87(4)).
        EuMdrArt87PublicHealthThreat = "eu_mdr_art87_public_health_threat",
        /// EU death or unanticipated serious deterioration of health, 10 days (Art. 87(5)).
        EuMdrArt87DeathOrSeriousDeterioration = "eu_mdr_art87_death_or_serious_deterioration",
        /// Acknowledge a vulnerability report (ISO/IEC 29147; days are policy).
        DisclosureAck = "disclosure_ack",
    }
}

vocabulary! {
    /// The FDA's binary classification of the residual risk of patient harm (2016 guidance).
    pub enum RiskClass as "risk class" {
        /// Residual risk of patient harm is acceptable: routine updates.
        Controlled = "controlled",
        /// Residual risk is unacceptable: the 30/60-day path of the FDA guidance, out of cycle.
        Uncontrolled = "uncontrolled",
    }
}

vocabulary! {
    /// A kind of verification and validation evidence of a patch release. The policy's
    /// `[patch.evidence]` lists the kinds each risk class requires before a patch may be
    /// approved; the rules of evidence live in `aftercare-patch`. Declared here because the
    /// policy names them.
    pub enum EvidenceKind as "evidence kind" {
        /// The change does what it should: the fix is in and removes the vulnerability
        /// (IEC 62304 §5.7 software system testing, §9.7 verify problem resolution;
        /// IEC 81001-5-1 §6.2.2 verification of a security update).
        Verification = "verification",
        /// The patched device meets its intended use and user needs in its clinical setting,
        /// and the residual risk is acceptable (ISO 13485 §7.3.7; FDA 2016, uncontrolled risk,
        /// condition 3: the manufacturer *validates* the change).
        Validation = "validation",
        /// The change introduced no unintended side effect (IEC 62304 §5.7.3 b) retest after
        /// changes, §6.3.1 repeat the clause 5 activities a modification needs).
        Regression = "regression",
        /// Security testing of the patch: vulnerability scan, fuzzing, penetration test
        /// (IEC 81001-5-1 §5.7).
        SecurityTest = "security_test",
        /// The structured evaluation of the patch's impact: safety and essential performance,
        /// the verification re-run, the regulatory path (IEC 62304 §6.2.3, §7.4).
        ImpactAssessment = "impact_assessment",
    }
}

vocabulary! {
    /// CVSS exploit maturity, by its one-letter code: v3.x Exploit Code Maturity (`E`) and v4.0
    /// Exploit Maturity (`E`). v3 `U` (unproven) and v4 `U` (unreported) share the code because
    /// both say that no exploit is known. `X` (not defined) is no value at all.
    pub enum ExploitMaturity as "exploit maturity" {
        /// v3 `U` unproven, v4 `U` unreported.
        Unreported = "U",
        /// v3 and v4 `P`: proof-of-concept code exists.
        ProofOfConcept = "P",
        /// v3 `F`: functional exploit code exists.
        Functional = "F",
        /// v3 `H`: autonomous exploit code exists or no exploit is needed.
        High = "H",
        /// v4 `A`: attacks have been reported.
        Attacked = "A",
    }
}

vocabulary! {
    /// A regulatory jurisdiction: each has its own time zone and working-day calendar in the
    /// policy (`[jurisdiction.us]`, `[jurisdiction.eu]`).
    pub enum Jurisdiction as "jurisdiction" {
        /// The United States: FDA's guidance and 21 CFR 803/806, counted in the manufacturer's
        /// US time zone on US federal working days.
        Us = "us",
        /// The European Union: MDR Art. 87, counted in the manufacturer's EU time zone on the
        /// working days of the Member State.
        Eu = "eu",
    }
}

impl ClockKind {
    /// The jurisdiction whose calendar counts the clock: the EU MDR Art. 87 clocks are the
    /// EU's; every other clock is counted on the US calendar, because the FDA guidance's
    /// clocks, 21 CFR 803 and 806 are US law and the manufacturer's own clocks (patch cycle,
    /// disclosure acknowledgement) follow its primary, FDA-facing calendar.
    pub fn jurisdiction(self) -> Jurisdiction {
        match self {
            ClockKind::EuMdrArt87
            | ClockKind::EuMdrArt87PublicHealthThreat
            | ClockKind::EuMdrArt87DeathOrSeriousDeterioration => Jurisdiction::Eu,
            ClockKind::CustomerCommunication
            | ClockKind::Remediation
            | ClockKind::IsaoSharing
            | ClockKind::Report806
            | ClockKind::RegularPatchCycle
            | ClockKind::Mdr803
            | ClockKind::Mdr803FiveDay
            | ClockKind::Mdr803Supplemental
            | ClockKind::DisclosureAck => Jurisdiction::Us,
        }
    }
}

vocabulary! {
    /// A CVSS metric that says how exploitable a vulnerability is, as the FDA's 2016 guidance
    /// (section VI.A) lists the CVSS factors: the base exploitability metrics of v3.x and v4.0
    /// and the temporal (v3) or threat (v4) metrics. Labels are the vector abbreviations.
    pub enum ExploitabilityMetric as "CVSS exploitability metric" {
        /// Attack Vector (v3, v4): N, A, L, P.
        AttackVector = "AV",
        /// Attack Complexity (v3, v4): L, H.
        AttackComplexity = "AC",
        /// Attack Requirements (v4 only): N, P.
        AttackRequirements = "AT",
        /// Privileges Required (v3, v4): N, L, H.
        PrivilegesRequired = "PR",
        /// User Interaction (v3: N, R; v4: N, P, A).
        UserInteraction = "UI",
        /// Scope (v3 only): U, C. (v4's `S` is the supplemental Safety metric, not this.)
        Scope = "S",
        /// Exploit (Code) Maturity (v3: U, P, F, H; v4: U, P, A); X when not defined.
        ExploitMaturity = "E",
        /// Remediation Level (v3 only): O, T, W, U; X when not defined.
        RemediationLevel = "RL",
        /// Report Confidence (v3 only): U, R, C; X when not defined.
        ReportConfidence = "RC",
    }
}

impl ExploitabilityMetric {
    /// The values a policy condition may name: the union of the v3.x and v4.0 values, and `X`
    /// (not defined) for the metrics that may be left out of a vector.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            ExploitabilityMetric::AttackVector => &["N", "A", "L", "P"],
            ExploitabilityMetric::AttackComplexity => &["L", "H"],
            ExploitabilityMetric::AttackRequirements => &["N", "P"],
            ExploitabilityMetric::PrivilegesRequired => &["N", "L", "H"],
            ExploitabilityMetric::UserInteraction => &["N", "R", "P", "A"],
            ExploitabilityMetric::Scope => &["U", "C"],
            ExploitabilityMetric::ExploitMaturity => &["X", "U", "P", "F", "H", "A"],
            ExploitabilityMetric::RemediationLevel => &["X", "O", "T", "W", "U"],
            ExploitabilityMetric::ReportConfidence => &["X", "U", "R", "C"],
        }
    }
}
