//! The policy: a versioned TOML file that the manufacturer edits — the jurisdictions' calendars,
//! severity labels,
//! the exploitability rule, the determination matrix, patch paths and the evidence a patch
//! needs, and every clock's length —
//! validated on load and identified by its digest.
//!
//! Loading runs in three steps, each with errors that name the dotted key:
//! 1. TOML syntax (the parser names the line);
//! 2. the shape of `policy/policy.schema.json`, mirrored in Rust by the private `shape` module (unknown keys,
//!    missing keys, types, bounds, labels);
//! 3. the rules the schema cannot express: cross-references (a rule's level, the matrix rows),
//!    unique ids, known time zones, holiday rules that name a day, and the **statutory
//!    limits**: an 803, 806 or EU MDR Art. 87 clock may not be longer than the law, count
//!    working days where the law counts calendar days, or be disabled, unless its
//!    `deviation_rationale` says why (the policy change itself is e-signed by the service).
//!    Such a policy loads, and [`Policy::warnings`] names every deviation, as it names a
//!    default exploitability level that is not the policy's worst.
//!
//! # Digest
//!
//! [`Policy::digest`] is the SHA-256 of a **canonical form** of the parsed document: tables
//! with their keys sorted, arrays in order, no comments or whitespace. So reordering keys or
//! editing a comment keeps the digest; changing any value, including a `source` citation,
//! changes it. Clocks and determinations record this digest, so a cosmetic edit does not make
//! every determination look stale. [`Policy::source_digest`] is the SHA-256 of the file's
//! bytes, for storing the original document as evidence.

pub(crate) mod shape;
mod statute;

pub use statute::{StatutoryLimit, statutory_limit};

use aftercare_model::{Severity, Sha256};
use jiff::civil::Date;
use serde::Deserialize;

use crate::RiskError;
use crate::calendar::{Calendar, CalendarRules, Closure, DayKind, DeadlineRoll, parse_weekday};
use crate::harm::HarmSeverity;
use crate::holiday::{HolidayDate, HolidayRule, Observance};
use crate::vocabulary::{
    ClockKind, EvidenceKind, ExploitMaturity, ExploitabilityMetric, Jurisdiction, RiskClass,
};

/// The default policy, with every value's source cited in comments.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../../../policy/default.toml");

/// The JSON Schema that policy files follow.
pub const POLICY_SCHEMA_JSON: &str = include_str!("../../../../policy/policy.schema.json");

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    id: String,
    version: String,
    description: String,
    us: Calendar,
    eu: Calendar,
    harm_labels: HarmLabels,
    exploitability: ExploitabilityPolicy,
    determination: DeterminationPolicy,
    rationale_min_chars: usize,
    patch: PatchPolicy,
    isao: IsaoPolicy,
    event_time: EventTimePolicy,
    vex: VexPolicy,
    clocks: ClockRules,
    warnings: Vec<PolicyWarning>,
    digest: Sha256,
    source_digest: Sha256,
}

/// Something a valid policy does that a reviewer should look at before signing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWarning {
    /// The dotted key concerned (`clock.mdr_803.days`).
    pub key: String,
    /// What it does and why it deserves attention.
    pub message: String,
}

impl std::fmt::Display for PolicyWarning {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HarmLabels {
    negligible: String,
    minor: String,
    serious: String,
    critical: String,
    catastrophic: String,
}

/// The exploitability part of a policy: the levels and the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ExploitabilityPolicy {
    levels: Vec<ExploitabilityLevel>,
    default: ExploitabilityLevel,
    rules: Vec<ExploitabilityRule>,
    epss_trend_window_days: u32,
}

/// One rule: a condition and the level it implies.
#[derive(Debug, Clone, PartialEq)]
pub struct ExploitabilityRule {
    id: String,
    description: String,
    level: ExploitabilityLevel,
    condition: Condition,
}

/// A condition over the exploitability signals.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Listed in CISA KEV (`true`) or not listed (`false`).
    Kev(bool),
    /// KEV records known ransomware use (`true`) or does not (`false`).
    KevRansomware(bool),
    /// The latest EPSS score is at least this.
    EpssScoreAtLeast(f64),
    /// The latest EPSS percentile is at least this.
    EpssPercentileAtLeast(f64),
    /// The EPSS score rose at least this much within the policy's trend window.
    EpssRiseAtLeast(f64),
    /// The CVSS exploit maturity is one of these.
    ExploitMaturityIn(Vec<ExploitMaturity>),
    /// At least this many public exploit references.
    PublicExploitsAtLeast(u32),
    /// Every named CVSS exploitability metric of the vector used (device context, else base)
    /// has one of the listed values: `cvss = { AV = ["N"], AC = ["L"] }`. A metric the vector's
    /// version does not have (`AT` in v3, `S` in v4) does not match.
    Cvss(Vec<(ExploitabilityMetric, Vec<String>)>),
    /// The CVSS v3 exploitability subscore of the vector used is at least this (v4 has none).
    CvssExploitabilityAtLeast(f64),
    /// Any of these holds.
    Any(Vec<Condition>),
    /// All of these hold.
    All(Vec<Condition>),
}

/// The determination part of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeterminationPolicy {
    safety_and_essential_performance_required: bool,
    compensating_control_exploitability_steps: u32,
    compensating_control_severity_steps: u32,
    kev_floor: ExploitabilityLevel,
    /// One row per exploitability level (by rank), one column per harm severity (by rank).
    matrix: Vec<[RiskClass; 5]>,
}

/// The patch part of a policy: the patch paths (FD&C Act 524B(b)(2)) and the evidence a patch
/// needs before it is approved (`[patch.evidence]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPolicy {
    out_of_cycle_when_kev: bool,
    out_of_cycle_cvss_severity: Severity,
    evidence: PatchEvidencePolicy,
    fix_distributed: FixDistributed,
}

/// When a rollout's delivery of a patch counts as its distribution, the `fix_distributed`
/// event that meets the remediation clock (`[patch.fix_distributed]`; without that table,
/// [`FixDistributed::Offered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixDistributed {
    /// Once the rollout has offered the patch to every targeted device (its last wave started).
    #[default]
    Offered,
    /// Once it has offered the patch to every targeted device *and* at least this share of
    /// them, in hundredths of a percent (`9000` = 90 %), has it installed.
    Installed {
        /// The share, in hundredths of a percent, from 1 to 10,000.
        share_hundredths: u16,
    },
}

impl FixDistributed {
    /// Whether a rollout has distributed the fix: `offered_all` says its last wave has been
    /// started, `installed` of its `targeted` devices have the release installed.
    pub fn is_met(self, offered_all: bool, installed: u64, targeted: u64) -> bool {
        match self {
            FixDistributed::Offered => offered_all,
            FixDistributed::Installed { share_hundredths } => {
                // installed / targeted >= share / 10,000, in integers.
                offered_all
                    && targeted > 0
                    && u128::from(installed) * 10_000
                        >= u128::from(share_hundredths) * u128::from(targeted)
            }
        }
    }

    /// Whether the installed share must be counted (the policy asks for one).
    pub fn needs_installed_share(self) -> bool {
        matches!(self, FixDistributed::Installed { .. })
    }
}

impl std::fmt::Display for FixDistributed {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixDistributed::Offered => write!(formatter, "offered to every targeted device"),
            FixDistributed::Installed { share_hundredths } => {
                let whole = share_hundredths / 100;
                let fraction = share_hundredths % 100;
                if fraction == 0 {
                    write!(
                        formatter,
                        "offered to every targeted device and installed on {whole}% of them"
                    )
                } else {
                    write!(
                        formatter,
                        "offered to every targeted device and installed on {whole}.{fraction:02}% of them"
                    )
                }
            }
        }
    }
}

/// What a patch release must carry before it is approved (`[patch.evidence]`): the evidence
/// kinds each risk class requires, the largest evidence file, and whether the signer may be
/// the only person who executed the validation. The rules that apply it are in
/// `aftercare-patch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchEvidencePolicy {
    controlled: Vec<EvidenceKind>,
    uncontrolled: Vec<EvidenceKind>,
    max_file_bytes: u64,
    segregation_of_duties: bool,
}

/// The manufacturer's participation in an Information Sharing and Analysis Organization
/// (FDA 2016, section VII.B, condition 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsaoPolicy {
    member: bool,
    name: Option<String>,
}

impl IsaoPolicy {
    /// Whether the manufacturer actively participates as a member of an ISAO.
    pub fn member(&self) -> bool {
        self.member
    }

    /// The ISAO's name, for a member.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// How far an event's claimed time may stray from the time it is recorded
/// ([`crate::event_time`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTimePolicy {
    future_tolerance_minutes: u32,
    backdating_after_hours: u32,
}

impl EventTimePolicy {
    /// How many minutes after its recording an event may claim to have happened (clock skew).
    pub fn future_tolerance_minutes(&self) -> u32 {
        self.future_tolerance_minutes
    }

    /// How many hours before its recording an event may claim to have happened without a
    /// reason and an evidence reference.
    pub fn backdating_after_hours(&self) -> u32 {
        self.backdating_after_hours
    }
}

/// How VEX statements are published ([`crate::vex`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexPolicy {
    customer_controls_may_justify_not_affected: bool,
}

impl VexPolicy {
    /// Whether `protected_at_perimeter` and `protected_by_mitigating_control` may be published
    /// as `not_affected` (otherwise they are published as `affected` with a
    /// compensating-control note).
    pub fn customer_controls_may_justify_not_affected(&self) -> bool {
        self.customer_controls_may_justify_not_affected
    }
}

/// The length and counting of one clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRule {
    days: u32,
    day_kind: DayKind,
    enabled: bool,
    source: String,
    deviation_rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ClockRules {
    customer_communication: ClockRule,
    remediation: ClockRule,
    isao_sharing: ClockRule,
    report_806: ClockRule,
    regular_patch_cycle: ClockRule,
    mdr_803: ClockRule,
    mdr_803_5day: ClockRule,
    mdr_803_supplemental: ClockRule,
    eu_mdr_art87: ClockRule,
    eu_mdr_art87_public_health_threat: ClockRule,
    eu_mdr_art87_death_or_serious_deterioration: ClockRule,
    disclosure_ack: ClockRule,
}

impl Policy {
    /// Loads and validates a policy from TOML text; `origin` (a path) goes into messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Policy, RiskError> {
        let document: toml::Value =
            toml::from_str(text).map_err(|source| RiskError::PolicySyntax {
                origin: origin.to_string(),
                source: Box::new(source),
            })?;
        refuse_format_1(&document)?;
        shape::check(&document, &shape::POLICY, "")?;
        let digest = canonical_digest(&document);
        let file: PolicyFile = document
            .try_into()
            .map_err(|source| RiskError::PolicySyntax {
                origin: origin.to_string(),
                source: Box::new(source),
            })?;
        let mut policy = convert(file)?;
        policy.digest = digest;
        policy.source_digest = Sha256::of(text.as_bytes());
        Ok(policy)
    }

    /// The built-in default policy (`policy/default.toml`).
    pub fn builtin() -> Result<Policy, RiskError> {
        Policy::from_toml(DEFAULT_POLICY_TOML, "built-in policy/default.toml")
    }

    /// The policy's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The manufacturer's version of the policy.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// What the policy is for.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The US calendar (`[jurisdiction.us]`): the FDA clocks' time zone and working days, and
    /// the zone in which an event's instant becomes the awareness day.
    pub fn calendar(&self) -> &Calendar {
        &self.us
    }

    /// The calendar of a jurisdiction.
    pub fn calendar_for(&self, jurisdiction: Jurisdiction) -> &Calendar {
        match jurisdiction {
            Jurisdiction::Us => &self.us,
            Jurisdiction::Eu => &self.eu,
        }
    }

    /// The manufacturer's label for a harm severity.
    pub fn harm_label(&self, severity: HarmSeverity) -> &str {
        let labels = &self.harm_labels;
        match severity {
            HarmSeverity::Negligible => &labels.negligible,
            HarmSeverity::Minor => &labels.minor,
            HarmSeverity::Serious => &labels.serious,
            HarmSeverity::Critical => &labels.critical,
            HarmSeverity::Catastrophic => &labels.catastrophic,
        }
    }

    /// The exploitability levels and rules.
    pub fn exploitability(&self) -> &ExploitabilityPolicy {
        &self.exploitability
    }

    /// The determination matrix and its options.
    pub fn determination(&self) -> &DeterminationPolicy {
        &self.determination
    }

    /// The minimum length of a written rationale (override, waiver).
    pub fn rationale_min_chars(&self) -> usize {
        self.rationale_min_chars
    }

    /// The patch-path options.
    pub fn patch(&self) -> &PatchPolicy {
        &self.patch
    }

    /// The ISAO membership.
    pub fn isao(&self) -> &IsaoPolicy {
        &self.isao
    }

    /// The limits on events' claimed times.
    pub fn event_time(&self) -> &EventTimePolicy {
        &self.event_time
    }

    /// The VEX export rules.
    pub fn vex(&self) -> &VexPolicy {
        &self.vex
    }

    /// The rule of a clock kind.
    pub fn clock_rule(&self, kind: ClockKind) -> &ClockRule {
        let clocks = &self.clocks;
        match kind {
            ClockKind::CustomerCommunication => &clocks.customer_communication,
            ClockKind::Remediation => &clocks.remediation,
            ClockKind::IsaoSharing => &clocks.isao_sharing,
            ClockKind::Report806 => &clocks.report_806,
            ClockKind::RegularPatchCycle => &clocks.regular_patch_cycle,
            ClockKind::Mdr803 => &clocks.mdr_803,
            ClockKind::Mdr803FiveDay => &clocks.mdr_803_5day,
            ClockKind::Mdr803Supplemental => &clocks.mdr_803_supplemental,
            ClockKind::EuMdrArt87 => &clocks.eu_mdr_art87,
            ClockKind::EuMdrArt87PublicHealthThreat => &clocks.eu_mdr_art87_public_health_threat,
            ClockKind::EuMdrArt87DeathOrSeriousDeterioration => {
                &clocks.eu_mdr_art87_death_or_serious_deterioration
            }
            ClockKind::DisclosureAck => &clocks.disclosure_ack,
        }
    }

    /// What a reviewer should look at before signing this policy: each statutory clock that
    /// deviates from the law (with its rationale), a default exploitability level below the
    /// worst. `policy check` prints them.
    pub fn warnings(&self) -> &[PolicyWarning] {
        &self.warnings
    }

    /// The SHA-256 of the policy's canonical form (see the module documentation).
    pub fn digest(&self) -> Sha256 {
        self.digest
    }

    /// The SHA-256 of the file's bytes as loaded.
    pub fn source_digest(&self) -> Sha256 {
        self.source_digest
    }
}

impl ExploitabilityPolicy {
    /// The levels, least exploitable first.
    pub fn levels(&self) -> &[ExploitabilityLevel] {
        &self.levels
    }

    /// The level with this id.
    pub fn level(&self, id: &str) -> Option<ExploitabilityLevel> {
        self.levels.iter().find(|level| level.id() == id).cloned()
    }

    /// The level at a rank, or the highest level for a rank beyond the scale.
    pub fn level_at(&self, rank: usize) -> ExploitabilityLevel {
        self.levels
            .get(rank)
            .or_else(|| self.levels.last())
            .cloned()
            .unwrap_or_else(|| self.default.clone())
    }

    /// The level when no rule fires.
    pub fn default_level(&self) -> &ExploitabilityLevel {
        &self.default
    }

    /// The rules, in the policy's order.
    pub fn rules(&self) -> &[ExploitabilityRule] {
        &self.rules
    }

    /// The window over which the EPSS rise is measured.
    pub fn epss_trend_window_days(&self) -> u32 {
        self.epss_trend_window_days
    }

    /// The level ids, comma-separated, for messages.
    pub fn level_ids(&self) -> String {
        self.levels
            .iter()
            .map(ExploitabilityLevel::id)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ExploitabilityRule {
    /// The rule's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the rule means, in words.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The level it implies.
    pub fn level(&self) -> &ExploitabilityLevel {
        &self.level
    }

    /// Its condition.
    pub fn condition(&self) -> &Condition {
        &self.condition
    }
}

impl DeterminationPolicy {
    /// Whether an unaffected safety and essential performance makes the risk controlled.
    pub fn safety_and_essential_performance_required(&self) -> bool {
        self.safety_and_essential_performance_required
    }

    /// How many levels verified effective compensating controls lower exploitability (once).
    pub fn compensating_control_exploitability_steps(&self) -> u32 {
        self.compensating_control_exploitability_steps
    }

    /// How many levels verified effective compensating controls lower the severity of harm
    /// (once).
    pub fn compensating_control_severity_steps(&self) -> u32 {
        self.compensating_control_severity_steps
    }

    /// The level below which compensating controls never lower a KEV-listed vulnerability.
    pub fn kev_floor(&self) -> &ExploitabilityLevel {
        &self.kev_floor
    }

    /// The matrix cell for an exploitability rank and a harm severity.
    ///
    /// A rank beyond the matrix cannot come from a validated policy; it is answered
    /// `uncontrolled`, the conservative side.
    pub fn outcome(&self, exploitability_rank: usize, severity: HarmSeverity) -> RiskClass {
        self.matrix
            .get(exploitability_rank)
            .and_then(|row| row.get(severity.rank()))
            .copied()
            .unwrap_or(RiskClass::Uncontrolled)
    }
}

impl PatchPolicy {
    /// Whether a KEV listing makes a controlled finding an out-of-cycle candidate.
    pub fn out_of_cycle_when_kev(&self) -> bool {
        self.out_of_cycle_when_kev
    }

    /// The CVSS severity from which a controlled finding is an out-of-cycle candidate.
    pub fn out_of_cycle_cvss_severity(&self) -> Severity {
        self.out_of_cycle_cvss_severity
    }

    /// The evidence a patch needs before it is approved.
    pub fn evidence(&self) -> &PatchEvidencePolicy {
        &self.evidence
    }

    /// When a rollout's delivery counts as the patch's distribution (`fix_distributed`).
    pub fn fix_distributed(&self) -> FixDistributed {
        self.fix_distributed
    }
}

impl PatchEvidencePolicy {
    /// The evidence kinds a patch for a vulnerability of this risk class requires, in the
    /// policy's order.
    pub fn required(&self, class: RiskClass) -> &[EvidenceKind] {
        match class {
            RiskClass::Controlled => &self.controlled,
            RiskClass::Uncontrolled => &self.uncontrolled,
        }
    }

    /// The largest evidence file accepted, in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// Whether an approval is refused when its signer is the only person who executed the
    /// validation evidence.
    pub fn segregation_of_duties(&self) -> bool {
        self.segregation_of_duties
    }
}

impl ClockRule {
    /// The number of days N: the deadline ends at 23:59 of day N.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// Calendar or working days.
    pub fn day_kind(&self) -> DayKind {
        self.day_kind
    }

    /// Whether clocks of this kind are opened at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The citation of the rule's source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Why the rule deviates from the law's limit, when it does.
    pub fn deviation_rationale(&self) -> Option<&str> {
        self.deviation_rationale.as_deref()
    }
}

/// A level of the policy's exploitability scale.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExploitabilityLevel {
    rank: usize,
    id: String,
    label: String,
}

impl ExploitabilityLevel {
    pub(crate) fn new(rank: usize, id: &str, label: &str) -> ExploitabilityLevel {
        ExploitabilityLevel {
            rank,
            id: id.to_string(),
            label: label.to_string(),
        }
    }

    /// The position on the policy's scale, 0 for the least exploitable.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The level's id, as the policy's rules and matrix name it (`high`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The manufacturer's label for it (`High`).
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Checks a written rationale (of an override or a clock waiver) against the policy.
pub(crate) fn check_rationale(
    policy: &Policy,
    what: &'static str,
    rationale: &str,
) -> Result<(), RiskError> {
    let length = rationale.trim().chars().count();
    let minimum = policy.rationale_min_chars();
    if length < minimum || length == 0 {
        return Err(RiskError::RationaleTooShort {
            what,
            length,
            minimum: minimum.max(1),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The file as serde reads it, after the shape check.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    policy: HeaderFile,
    jurisdiction: JurisdictionsFile,
    harm_severity: HarmSeverityFile,
    exploitability: ExploitabilityFile,
    determination: DeterminationFile,
    rationale: RationaleFile,
    patch: PatchFile,
    isao: IsaoFile,
    event_time: EventTimeFile,
    vex: VexFile,
    clock: ClockFiles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VexFile {
    customer_controls_may_justify_not_affected: bool,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventTimeFile {
    future_tolerance_minutes: u32,
    backdating_after_hours: u32,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IsaoFile {
    member: bool,
    name: Option<String>,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderFile {
    id: String,
    version: String,
    #[allow(dead_code, reason = "checked before the shape: only format 2 is read")]
    format: u32,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JurisdictionsFile {
    us: CalendarFile,
    eu: CalendarFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    time_zone: String,
    weekend: Vec<String>,
    holidays: Vec<HolidayFile>,
    closures: Vec<ClosureFile>,
    coverage_from_year: i16,
    coverage_until_year: i16,
    deadline_on_non_working_day: String,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    name: String,
    date: Option<String>,
    month: Option<i8>,
    weekday: Option<String>,
    nth: Option<i8>,
    easter_offset: Option<i16>,
    observed: Option<String>,
    from_year: Option<i16>,
    until_year: Option<i16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureFile {
    date: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HarmSeverityFile {
    negligible: String,
    minor: String,
    serious: String,
    critical: String,
    catastrophic: String,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExploitabilityFile {
    default: String,
    epss_trend_window_days: u32,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
    level: Vec<LevelFile>,
    rule: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelFile {
    id: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    description: String,
    level: String,
    when: ConditionFile,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ConditionFile {
    Kev(bool),
    KevRansomware(bool),
    EpssScoreAtLeast(f64),
    EpssPercentileAtLeast(f64),
    EpssRiseAtLeast(f64),
    ExploitMaturityIn(Vec<String>),
    PublicExploitsAtLeast(u32),
    Cvss(std::collections::BTreeMap<String, Vec<String>>),
    CvssExploitabilityAtLeast(f64),
    Any(Vec<ConditionFile>),
    All(Vec<ConditionFile>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeterminationFile {
    safety_and_essential_performance_required: bool,
    compensating_control_exploitability_steps: u32,
    compensating_control_severity_steps: u32,
    kev_floor: String,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
    matrix: Vec<MatrixRowFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixRowFile {
    exploitability: String,
    negligible: String,
    minor: String,
    serious: String,
    critical: String,
    catastrophic: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RationaleFile {
    min_chars: u32,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchFile {
    out_of_cycle_when_kev: bool,
    out_of_cycle_cvss_severity: String,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
    evidence: PatchEvidenceFile,
    fix_distributed: Option<FixDistributedFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixDistributedFile {
    when: String,
    share: Option<f64>,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchEvidenceFile {
    controlled: Vec<String>,
    uncontrolled: Vec<String>,
    max_file_bytes: u64,
    segregation_of_duties: bool,
    #[allow(dead_code, reason = "a citation for people; part of the digest")]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockFile {
    days: u32,
    day_kind: String,
    enabled: bool,
    source: String,
    deviation_rationale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockFiles {
    customer_communication: ClockFile,
    remediation: ClockFile,
    isao_sharing: ClockFile,
    report_806: ClockFile,
    regular_patch_cycle: ClockFile,
    mdr_803: ClockFile,
    mdr_803_5day: ClockFile,
    mdr_803_supplemental: ClockFile,
    eu_mdr_art87: ClockFile,
    eu_mdr_art87_public_health_threat: ClockFile,
    eu_mdr_art87_death_or_serious_deterioration: ClockFile,
    disclosure_ack: ClockFile,
}

/// A format 1 policy is refused with what changed, instead of with its first unknown key:
/// its one `[calendar]` with a finite holiday list ran out silently, and its words were the
/// draft guidance's.
fn refuse_format_1(document: &toml::Value) -> Result<(), RiskError> {
    let format = document
        .get("policy")
        .and_then(|header| header.get("format"))
        .and_then(toml::Value::as_integer);
    if format == Some(1) {
        return Err(invalid(
            "policy.format",
            "format 1 is no longer read. Start from policy/default.toml (format 2) and carry \
             your values over: [calendar] became [jurisdiction.us] and [jurisdiction.eu] with \
             holiday rules, closures and an explicit coverage; \
             determination.essential_clinical_performance_required became \
             safety_and_essential_performance_required; [isao], [event_time] and [vex] are new; \
             compensating_control_steps became compensating_control_exploitability_steps \
             beside compensating_control_severity_steps and kev_floor",
        ));
    }
    Ok(())
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> RiskError {
    RiskError::PolicyInvalid {
        key: key.into(),
        problem: problem.into(),
    }
}

/// Turns the checked file into a policy, applying the rules the schema cannot express.
fn convert(file: PolicyFile) -> Result<Policy, RiskError> {
    let us = convert_calendar(file.jurisdiction.us, "jurisdiction.us")?;
    let eu = convert_calendar(file.jurisdiction.eu, "jurisdiction.eu")?;

    let exploitability = convert_exploitability(file.exploitability)?;
    let determination = convert_determination(file.determination, &exploitability)?;
    let out_of_cycle_cvss_severity = file
        .patch
        .out_of_cycle_cvss_severity
        .parse::<Severity>()
        .map_err(|error| invalid("patch.out_of_cycle_cvss_severity", error.to_string()))?;
    let rationale_min_chars = file.rationale.min_chars as usize;
    let mut warnings = Vec::new();
    let evidence = convert_patch_evidence(file.patch.evidence, &mut warnings)?;
    let fix_distributed = convert_fix_distributed(file.patch.fix_distributed)?;
    let mut clock = |name: &str, rule: ClockFile| -> Result<ClockRule, RiskError> {
        let rule = ClockRule {
            days: rule.days,
            day_kind: rule.day_kind.parse().map_err(|error: RiskError| {
                invalid(format!("clock.{name}.day_kind"), error.to_string())
            })?,
            enabled: rule.enabled,
            source: rule.source,
            deviation_rationale: rule
                .deviation_rationale
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty()),
        };
        if let Ok(kind) = name.parse::<ClockKind>() {
            warnings.extend(statute::check(kind, &rule, rationale_min_chars)?);
        }
        Ok(rule)
    };
    let clocks = file.clock;
    let clock_rules = ClockRules {
        customer_communication: clock("customer_communication", clocks.customer_communication)?,
        remediation: clock("remediation", clocks.remediation)?,
        isao_sharing: clock("isao_sharing", clocks.isao_sharing)?,
        report_806: clock("report_806", clocks.report_806)?,
        regular_patch_cycle: clock("regular_patch_cycle", clocks.regular_patch_cycle)?,
        mdr_803: clock("mdr_803", clocks.mdr_803)?,
        mdr_803_5day: clock("mdr_803_5day", clocks.mdr_803_5day)?,
        mdr_803_supplemental: clock("mdr_803_supplemental", clocks.mdr_803_supplemental)?,
        eu_mdr_art87: clock("eu_mdr_art87", clocks.eu_mdr_art87)?,
        eu_mdr_art87_public_health_threat: clock(
            "eu_mdr_art87_public_health_threat",
            clocks.eu_mdr_art87_public_health_threat,
        )?,
        eu_mdr_art87_death_or_serious_deterioration: clock(
            "eu_mdr_art87_death_or_serious_deterioration",
            clocks.eu_mdr_art87_death_or_serious_deterioration,
        )?,
        disclosure_ack: clock("disclosure_ack", clocks.disclosure_ack)?,
    };
    if let (Some(worst), default) = (
        exploitability.levels().last(),
        exploitability.default_level(),
    ) && worst != default
    {
        warnings.push(PolicyWarning {
            key: "exploitability.default".to_string(),
            message: format!(
                "the level when no rule fires is {:?}, not the worst level {:?}: FDA 2016 section VI.A asks for a reasonable worst case where exploitability cannot be assessed",
                default.id(),
                worst.id()
            ),
        });
    }
    let isao_name = file
        .isao
        .name
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty());
    if file.isao.member && isao_name.is_none() {
        return Err(invalid(
            "isao.name",
            "a member names its ISAO (the FDA guidance asks for active participation in one)",
        ));
    }
    Ok(Policy {
        id: file.policy.id,
        version: file.policy.version,
        description: file.policy.description,
        us,
        eu,
        harm_labels: HarmLabels {
            negligible: file.harm_severity.negligible,
            minor: file.harm_severity.minor,
            serious: file.harm_severity.serious,
            critical: file.harm_severity.critical,
            catastrophic: file.harm_severity.catastrophic,
        },
        exploitability,
        determination,
        rationale_min_chars: file.rationale.min_chars as usize,
        patch: PatchPolicy {
            out_of_cycle_when_kev: file.patch.out_of_cycle_when_kev,
            out_of_cycle_cvss_severity,
            evidence,
            fix_distributed,
        },
        isao: IsaoPolicy {
            member: file.isao.member,
            name: isao_name,
        },
        event_time: EventTimePolicy {
            future_tolerance_minutes: file.event_time.future_tolerance_minutes,
            backdating_after_hours: file.event_time.backdating_after_hours,
        },
        vex: VexPolicy {
            customer_controls_may_justify_not_affected: file
                .vex
                .customer_controls_may_justify_not_affected,
        },
        clocks: clock_rules,
        warnings,
        digest: Sha256::of(b""),
        source_digest: Sha256::of(b""),
    })
}

/// The evidence a patch needs. Two choices load with a warning, because they remove what the
/// sources ask for: an uncontrolled risk whose patch needs no validation (FDA 2016,
/// uncontrolled risk, condition 3: the manufacturer *validates* the change), and approvals
/// without segregation of duties (IEC 81001-5-1 §5.7.5: objectivity of the test effort).
/// `[patch.fix_distributed]`: `when = "offered"` (no share), or `when = "installed"` with a
/// share above 0 and at most 1; an absent table is `offered`.
fn convert_fix_distributed(file: Option<FixDistributedFile>) -> Result<FixDistributed, RiskError> {
    let Some(file) = file else {
        return Ok(FixDistributed::Offered);
    };
    match (file.when.as_str(), file.share) {
        ("offered", None) => Ok(FixDistributed::Offered),
        ("offered", Some(_)) => Err(invalid(
            "patch.fix_distributed.share",
            "a share applies only with when = \"installed\" (\"offered\" counts every targeted device offered the patch)",
        )),
        ("installed", None) => Err(invalid(
            "patch.fix_distributed.share",
            "when = \"installed\" needs the share of targeted devices that must have the patch installed, above 0 and at most 1 (0.9 = 90 %)",
        )),
        ("installed", Some(share)) => {
            let hundredths = (share * 10_000.0).round();
            if !(share > 0.0 && share <= 1.0) || hundredths < 1.0 {
                return Err(invalid(
                    "patch.fix_distributed.share",
                    format!("{share} is not a share above 0 and at most 1 (0.9 = 90 %)"),
                ));
            }
            // A whole number in 1..=10,000 after the check above: the cast is exact.
            let share_hundredths = hundredths as u16;
            Ok(FixDistributed::Installed { share_hundredths })
        }
        (other, _) => Err(invalid(
            "patch.fix_distributed.when",
            format!("{other:?} is not one of offered, installed"),
        )),
    }
}

fn convert_patch_evidence(
    file: PatchEvidenceFile,
    warnings: &mut Vec<PolicyWarning>,
) -> Result<PatchEvidencePolicy, RiskError> {
    let kinds = |labels: &[String], name: &str| {
        labels
            .iter()
            .enumerate()
            .map(|(index, label)| {
                label.parse::<EvidenceKind>().map_err(|error| {
                    invalid(format!("patch.evidence.{name}[{index}]"), error.to_string())
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let controlled = kinds(&file.controlled, "controlled")?;
    let uncontrolled = kinds(&file.uncontrolled, "uncontrolled")?;
    if !uncontrolled.contains(&EvidenceKind::Validation) {
        warnings.push(PolicyWarning {
            key: "patch.evidence.uncontrolled".to_string(),
            message: "a patch for an uncontrolled risk needs no validation evidence: FDA 2016 (uncontrolled risk, condition 3) expects the manufacturer to validate the change before it distributes it".to_string(),
        });
    }
    if !file.segregation_of_duties {
        warnings.push(PolicyWarning {
            key: "patch.evidence.segregation_of_duties".to_string(),
            message: "off: the person who alone executed a patch's validation may approve it (IEC 81001-5-1 §5.7.5 asks for objectivity of the test effort)".to_string(),
        });
    }
    Ok(PatchEvidencePolicy {
        controlled,
        uncontrolled,
        max_file_bytes: file.max_file_bytes,
        segregation_of_duties: file.segregation_of_duties,
    })
}

fn convert_calendar(file: CalendarFile, key: &str) -> Result<Calendar, RiskError> {
    let weekend = file
        .weekend
        .iter()
        .enumerate()
        .map(|(index, name)| {
            parse_weekday(name)
                .ok_or_else(|| invalid(format!("{key}.weekend[{index}]"), "not a weekday"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let holidays = file
        .holidays
        .into_iter()
        .enumerate()
        .map(|(index, rule)| convert_holiday(rule, &format!("{key}.holidays[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let closures = file
        .closures
        .into_iter()
        .enumerate()
        .map(|(index, closure)| {
            Ok(Closure {
                date: closure.date.parse::<Date>().map_err(|error| {
                    invalid(format!("{key}.closures[{index}].date"), error.to_string())
                })?,
                reason: closure.reason.trim().to_string(),
            })
        })
        .collect::<Result<Vec<_>, RiskError>>()?;
    if file.coverage_from_year > file.coverage_until_year {
        return Err(invalid(
            format!("{key}.coverage_until_year"),
            format!(
                "{} is before coverage_from_year {}",
                file.coverage_until_year, file.coverage_from_year
            ),
        ));
    }
    let roll: DeadlineRoll =
        file.deadline_on_non_working_day
            .parse()
            .map_err(|error: RiskError| {
                invalid(
                    format!("{key}.deadline_on_non_working_day"),
                    error.to_string(),
                )
            })?;
    Calendar::new(CalendarRules {
        key: key.to_string(),
        time_zone: file.time_zone,
        weekend,
        holidays,
        closures,
        coverage: file.coverage_from_year..=file.coverage_until_year,
        roll,
    })
}

/// One holiday rule: exactly one of `date`, `month` + `weekday` + `nth`, or `easter_offset`.
fn convert_holiday(file: HolidayFile, key: &str) -> Result<HolidayRule, RiskError> {
    let date = match (
        &file.date,
        (file.month, &file.weekday, file.nth),
        file.easter_offset,
    ) {
        (Some(text), (None, None, None), None) => {
            let parsed = text
                .split_once('-')
                .filter(|(month, day)| month.len() == 2 && day.len() == 2)
                .and_then(|(month, day)| {
                    Some((month.parse::<i8>().ok()?, day.parse::<i8>().ok()?))
                });
            let (month, day) = parsed
                .ok_or_else(|| invalid(format!("{key}.date"), format!("{text:?} is not MM-DD")))?;
            HolidayDate::Fixed { month, day }
        }
        (None, (Some(month), Some(weekday), Some(nth)), None) => HolidayDate::NthWeekday {
            month,
            weekday: parse_weekday(weekday)
                .ok_or_else(|| invalid(format!("{key}.weekday"), "not a weekday"))?,
            nth,
        },
        (None, (None, None, None), Some(offset)) => HolidayDate::Easter { offset },
        _ => {
            return Err(invalid(
                key,
                "a holiday has exactly one of: date = \"MM-DD\"; month, weekday and nth; easter_offset",
            ));
        }
    };
    let observance = match &file.observed {
        Some(text) => text
            .parse::<Observance>()
            .map_err(|error: RiskError| invalid(format!("{key}.observed"), error.to_string()))?,
        None => Observance::OnTheDay,
    };
    HolidayRule::new(
        &file.name,
        date,
        observance,
        file.from_year,
        file.until_year,
    )
    .map_err(|error| invalid(key, error.to_string()))
}

fn convert_exploitability(file: ExploitabilityFile) -> Result<ExploitabilityPolicy, RiskError> {
    let mut levels: Vec<ExploitabilityLevel> = Vec::new();
    for (rank, level) in file.level.iter().enumerate() {
        if levels.iter().any(|known| known.id() == level.id) {
            return Err(invalid(
                format!("exploitability.level[{rank}].id"),
                format!("level {:?} is defined twice", level.id),
            ));
        }
        levels.push(ExploitabilityLevel::new(rank, &level.id, &level.label));
    }
    let find = |key: String, id: &str| {
        levels
            .iter()
            .find(|level| level.id() == id)
            .cloned()
            .ok_or_else(|| {
                invalid(
                    key,
                    format!(
                        "{id:?} is not a level (levels: {})",
                        levels
                            .iter()
                            .map(ExploitabilityLevel::id)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    };
    let default = find("exploitability.default".to_string(), &file.default)?;
    let mut rules: Vec<ExploitabilityRule> = Vec::new();
    for (index, rule) in file.rule.into_iter().enumerate() {
        if rules.iter().any(|known| known.id == rule.id) {
            return Err(invalid(
                format!("exploitability.rule[{index}].id"),
                format!("rule {:?} is defined twice", rule.id),
            ));
        }
        if rule.id == crate::exploitability::DEFAULT_RULE_ID {
            return Err(invalid(
                format!("exploitability.rule[{index}].id"),
                "\"default\" is reserved for the reason given when no rule fires",
            ));
        }
        let level = find(format!("exploitability.rule[{index}].level"), &rule.level)?;
        let condition =
            convert_condition(rule.when, &format!("exploitability.rule[{index}].when"))?;
        rules.push(ExploitabilityRule {
            id: rule.id,
            description: rule.description,
            level,
            condition,
        });
    }
    Ok(ExploitabilityPolicy {
        levels,
        default,
        rules,
        epss_trend_window_days: file.epss_trend_window_days,
    })
}

fn convert_condition(file: ConditionFile, key: &str) -> Result<Condition, RiskError> {
    let nested = |conditions: Vec<ConditionFile>, name: &str| {
        conditions
            .into_iter()
            .enumerate()
            .map(|(index, condition)| {
                convert_condition(condition, &format!("{key}.{name}[{index}]"))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match file {
        ConditionFile::Kev(listed) => Condition::Kev(listed),
        ConditionFile::KevRansomware(known) => Condition::KevRansomware(known),
        ConditionFile::EpssScoreAtLeast(value) => Condition::EpssScoreAtLeast(value),
        ConditionFile::EpssPercentileAtLeast(value) => Condition::EpssPercentileAtLeast(value),
        ConditionFile::EpssRiseAtLeast(value) => Condition::EpssRiseAtLeast(value),
        ConditionFile::ExploitMaturityIn(codes) => Condition::ExploitMaturityIn(
            codes
                .iter()
                .enumerate()
                .map(|(index, code)| {
                    code.parse().map_err(|error: RiskError| {
                        invalid(
                            format!("{key}.exploit_maturity_in[{index}]"),
                            error.to_string(),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        ConditionFile::PublicExploitsAtLeast(count) => Condition::PublicExploitsAtLeast(count),
        ConditionFile::Cvss(metrics) => {
            if metrics.is_empty() {
                return Err(invalid(
                    format!("{key}.cvss"),
                    "name at least one metric (AV, AC, AT, PR, UI, S, E, RL, RC)",
                ));
            }
            let mut requirements = metrics
                .into_iter()
                .map(|(name, values)| {
                    let metric = name.parse::<ExploitabilityMetric>().map_err(|error| {
                        invalid(format!("{key}.cvss.{name}"), error.to_string())
                    })?;
                    for (index, value) in values.iter().enumerate() {
                        if !metric.values().contains(&value.as_str()) {
                            return Err(invalid(
                                format!("{key}.cvss.{name}[{index}]"),
                                format!(
                                    "{value:?} is not a value of {name} (values: {})",
                                    metric.values().join(", ")
                                ),
                            ));
                        }
                    }
                    Ok((metric, values))
                })
                .collect::<Result<Vec<_>, RiskError>>()?;
            // The specification's order, so that reasons read AV:N/AC:L/PR:N/UI:N.
            requirements.sort_by_key(|(metric, _)| *metric);
            Condition::Cvss(requirements)
        }
        ConditionFile::CvssExploitabilityAtLeast(value) => {
            Condition::CvssExploitabilityAtLeast(value)
        }
        ConditionFile::Any(conditions) => Condition::Any(nested(conditions, "any")?),
        ConditionFile::All(conditions) => Condition::All(nested(conditions, "all")?),
    })
}

fn convert_determination(
    file: DeterminationFile,
    exploitability: &ExploitabilityPolicy,
) -> Result<DeterminationPolicy, RiskError> {
    let mut matrix: Vec<Option<[RiskClass; 5]>> = vec![None; exploitability.levels.len()];
    for (index, row) in file.matrix.iter().enumerate() {
        let key = format!("determination.matrix[{index}]");
        let level = exploitability.level(&row.exploitability).ok_or_else(|| {
            invalid(
                format!("{key}.exploitability"),
                format!(
                    "{:?} is not a level (levels: {})",
                    row.exploitability,
                    exploitability.level_ids()
                ),
            )
        })?;
        let class = |name: &str, text: &str| {
            text.parse::<RiskClass>()
                .map_err(|error| invalid(format!("{key}.{name}"), error.to_string()))
        };
        let cells = [
            class("negligible", &row.negligible)?,
            class("minor", &row.minor)?,
            class("serious", &row.serious)?,
            class("critical", &row.critical)?,
            class("catastrophic", &row.catastrophic)?,
        ];
        match matrix.get_mut(level.rank()) {
            Some(slot @ None) => *slot = Some(cells),
            _ => {
                return Err(invalid(
                    format!("{key}.exploitability"),
                    format!("level {:?} has more than one row", row.exploitability),
                ));
            }
        }
    }
    let matrix = matrix
        .into_iter()
        .zip(&exploitability.levels)
        .map(|(row, level)| {
            row.ok_or_else(|| {
                invalid(
                    "determination.matrix",
                    format!("no row for exploitability level {:?}", level.id()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let kev_floor = exploitability.level(&file.kev_floor).ok_or_else(|| {
        invalid(
            "determination.kev_floor",
            format!(
                "{:?} is not a level (levels: {})",
                file.kev_floor,
                exploitability.level_ids()
            ),
        )
    })?;
    Ok(DeterminationPolicy {
        safety_and_essential_performance_required: file.safety_and_essential_performance_required,
        compensating_control_exploitability_steps: file.compensating_control_exploitability_steps,
        compensating_control_severity_steps: file.compensating_control_severity_steps,
        kev_floor,
        matrix,
    })
}

// ---------------------------------------------------------------------------------------------
// Canonical form.

/// The digest of a parsed document's canonical form (see the module documentation).
fn canonical_digest(document: &toml::Value) -> Sha256 {
    let mut out = String::from("aftercare-policy-canonical/1\n");
    canonical(document, &mut out);
    Sha256::of(out.as_bytes())
}

/// Writes a value in a JSON-like canonical form: sorted keys, no whitespace, floats in Rust's
/// shortest round-trip form with a decimal point, so that `1` and `1.0` differ.
fn canonical(value: &toml::Value, out: &mut String) {
    match value {
        toml::Value::String(text) => quote(text, out),
        toml::Value::Integer(number) => out.push_str(&number.to_string()),
        toml::Value::Float(number) => out.push_str(&format!("{number:?}")),
        toml::Value::Boolean(flag) => out.push_str(if *flag { "true" } else { "false" }),
        toml::Value::Datetime(datetime) => {
            out.push('d');
            quote(&datetime.to_string(), out);
        }
        toml::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        toml::Value::Table(table) => {
            // Sorted explicitly: toml's map keeps insertion order when a dependency enables
            // its `preserve_order` feature.
            let mut keys: Vec<&String> = table.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                quote(key, out);
                out.push(':');
                if let Some(child) = table.get(key) {
                    canonical(child, out);
                }
            }
            out.push('}');
        }
    }
}

fn quote(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            control if control.is_control() => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_document() -> toml::Value {
        toml::from_str(DEFAULT_POLICY_TOML).unwrap()
    }

    /// Loads the default policy after `edit` changed its parsed document.
    fn load_edited(edit: impl FnOnce(&mut toml::Table)) -> Result<Policy, RiskError> {
        let mut document = default_document();
        edit(document.as_table_mut().unwrap());
        Policy::from_toml(&toml::to_string(&document).unwrap(), "test")
    }

    fn table<'a>(document: &'a mut toml::Table, path: &[&str]) -> &'a mut toml::Table {
        let mut current = document;
        for key in path {
            current = current.get_mut(*key).unwrap().as_table_mut().unwrap();
        }
        current
    }

    fn closure(date: &str, reason: &str) -> toml::Value {
        let mut closure = toml::Table::new();
        closure.insert("date".into(), date.into());
        closure.insert("reason".into(), reason.into());
        closure.into()
    }

    fn rule(document: &mut toml::Table, index: usize) -> &mut toml::Table {
        table(document, &["exploitability"])
            .get_mut("rule")
            .unwrap()
            .as_array_mut()
            .unwrap()[index]
            .as_table_mut()
            .unwrap()
    }

    #[test]
    fn default_policy_loads_with_its_values() {
        let policy = Policy::builtin().unwrap();
        assert_eq!(policy.id(), "aftercare-default");
        assert_eq!(policy.calendar().time_zone_name(), "America/New_York");
        assert_eq!(
            policy.calendar_for(Jurisdiction::Eu).time_zone_name(),
            "Europe/Berlin"
        );
        assert_eq!(policy.calendar().coverage(), &(1971..=2199));
        assert_eq!(policy.calendar().roll(), DeadlineRoll::Keep);
        let days = |kind| {
            let rule = policy.clock_rule(kind);
            (rule.days(), rule.day_kind())
        };
        assert_eq!(
            days(ClockKind::CustomerCommunication),
            (30, DayKind::Calendar)
        );
        assert_eq!(days(ClockKind::Remediation), (60, DayKind::Calendar));
        assert_eq!(days(ClockKind::Report806), (10, DayKind::Working));
        assert_eq!(days(ClockKind::RegularPatchCycle), (180, DayKind::Calendar));
        assert_eq!(days(ClockKind::Mdr803), (30, DayKind::Calendar));
        assert_eq!(days(ClockKind::Mdr803FiveDay), (5, DayKind::Working));
        assert_eq!(days(ClockKind::Mdr803Supplemental), (30, DayKind::Calendar));
        assert_eq!(days(ClockKind::EuMdrArt87), (15, DayKind::Calendar));
        assert_eq!(
            days(ClockKind::EuMdrArt87PublicHealthThreat),
            (2, DayKind::Calendar)
        );
        assert_eq!(
            days(ClockKind::EuMdrArt87DeathOrSeriousDeterioration),
            (10, DayKind::Calendar)
        );
        assert_eq!(days(ClockKind::DisclosureAck), (5, DayKind::Working));
        for kind in ClockKind::ALL {
            assert!(
                !policy.clock_rule(*kind).source().is_empty(),
                "{kind} cites a source"
            );
        }
        assert_eq!(policy.exploitability().level_ids(), "low, medium, high");
        assert_eq!(policy.exploitability().default_level().id(), "high");
        assert!(
            policy
                .harm_label(HarmSeverity::Catastrophic)
                .starts_with("Catastrophic")
        );
        assert_eq!(
            policy.patch().out_of_cycle_cvss_severity(),
            Severity::Critical
        );
        assert_eq!(policy.rationale_min_chars(), 20);
        let evidence = policy.patch().evidence();
        assert_eq!(
            evidence.required(RiskClass::Uncontrolled),
            [
                EvidenceKind::ImpactAssessment,
                EvidenceKind::Verification,
                EvidenceKind::Validation,
                EvidenceKind::Regression
            ]
        );
        assert_eq!(
            evidence.required(RiskClass::Controlled),
            [
                EvidenceKind::ImpactAssessment,
                EvidenceKind::Verification,
                EvidenceKind::Regression
            ]
        );
        assert_eq!(evidence.max_file_bytes(), 256 * 1024 * 1024);
        assert!(evidence.segregation_of_duties());
        assert_eq!(
            policy.source_digest(),
            Sha256::of(DEFAULT_POLICY_TOML.as_bytes())
        );
    }

    #[test]
    fn deviations_from_the_law_load_with_a_rationale_and_a_warning() {
        assert!(Policy::builtin().unwrap().warnings().is_empty());
        let short = load_edited(|d| {
            let rule = table(d, &["clock", "mdr_803"]);
            rule.insert("days".into(), 45.into());
            rule.insert("deviation_rationale".into(), "because".into());
        })
        .unwrap_err()
        .to_string();
        assert!(short.contains("at least 20 characters; 7 given"), "{short}");
        let policy = load_edited(|d| {
            let rule = table(d, &["clock", "mdr_803"]);
            rule.insert("days".into(), 45.into());
            rule.insert(
                "deviation_rationale".into(),
                "Tracked for internal review only; reporting runs in the QMS (SOP-803).".into(),
            );
            table(d, &["exploitability"]).insert("default".into(), "low".into());
        })
        .unwrap();
        let warnings: Vec<String> = policy.warnings().iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("clock.mdr_803.days: 45 days is longer"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("SOP-803"), "{warnings:?}");
        assert!(
            warnings[1].starts_with("exploitability.default:")
                && warnings[1].contains("worst case"),
            "{warnings:?}"
        );
        // Stricter than the law is always allowed, and a rationale on a clock the law does not
        // set changes nothing.
        let stricter = load_edited(|d| {
            table(d, &["clock", "mdr_803"]).insert("days".into(), 20.into());
            table(d, &["clock", "report_806"]).insert("day_kind".into(), "calendar".into());
            table(d, &["clock", "remediation"]).insert("days".into(), 90.into());
        })
        .unwrap();
        assert!(stricter.warnings().is_empty());
        assert_eq!(
            statutory_limit(ClockKind::EuMdrArt87PublicHealthThreat).map(|law| law.days),
            Some(2)
        );
        assert_eq!(statutory_limit(ClockKind::Remediation), None);
    }

    #[test]
    fn patch_evidence_is_checked_and_weakening_it_warns() {
        let kinds = |labels: &[&str]| {
            toml::Value::Array(labels.iter().map(|label| (*label).into()).collect())
        };
        check_invalid(
            |d| {
                table(d, &["patch"]).remove("evidence");
            },
            &["patch.evidence", "required key is missing"],
        );
        check_invalid(
            |d| {
                table(d, &["patch", "evidence"]).insert("controlled".into(), kinds(&["review"]));
            },
            &[
                "patch.evidence.controlled[0]",
                "\"review\" is not one of",
                "security_test",
            ],
        );
        check_invalid(
            |d| {
                table(d, &["patch", "evidence"]).insert("uncontrolled".into(), kinds(&[]));
            },
            &["patch.evidence.uncontrolled", "at least 1 item"],
        );
        check_invalid(
            |d| {
                table(d, &["patch", "evidence"])
                    .insert("controlled".into(), kinds(&["validation", "validation"]));
            },
            &["patch.evidence.controlled", "repeats an earlier item"],
        );
        check_invalid(
            |d| {
                table(d, &["patch", "evidence"])
                    .insert("max_file_bytes".into(), 2_000_000_000.into());
            },
            &["patch.evidence.max_file_bytes", "outside 1..=1000000000"],
        );
        let weakened = load_edited(|d| {
            let evidence = table(d, &["patch", "evidence"]);
            evidence.insert("uncontrolled".into(), kinds(&["regression"]));
            evidence.insert("segregation_of_duties".into(), false.into());
        })
        .unwrap();
        let warnings: Vec<String> = weakened
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("patch.evidence.uncontrolled: ")
                && warnings[0].contains("condition 3"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("patch.evidence.segregation_of_duties: ")
                && warnings[1].contains("5.7.5"),
            "{warnings:?}"
        );
        assert_eq!(
            weakened
                .patch()
                .evidence()
                .required(RiskClass::Uncontrolled),
            [EvidenceKind::Regression]
        );
    }

    #[test]
    fn digest_is_canonical() {
        let policy = Policy::builtin().unwrap();
        // Re-serialized: comments gone, keys reordered and reformatted by the serializer.
        let reformatted = toml::to_string(&default_document()).unwrap();
        let same = Policy::from_toml(&reformatted, "reformatted").unwrap();
        assert_eq!(same.digest(), policy.digest());
        assert_ne!(same.source_digest(), policy.source_digest());
        // A comment or reordered top-level tables keep the digest.
        let commented = format!("# edited by QA\n{DEFAULT_POLICY_TOML}");
        assert_eq!(
            Policy::from_toml(&commented, "commented").unwrap().digest(),
            policy.digest()
        );
        let (head, tail) =
            DEFAULT_POLICY_TOML.split_at(DEFAULT_POLICY_TOML.find("[clock.").unwrap());
        let reordered = format!("{tail}\n{head}");
        assert_eq!(
            Policy::from_toml(&reordered, "reordered").unwrap().digest(),
            policy.digest()
        );
        // Any value change changes it, even in a citation.
        let changed = load_edited(|document| {
            table(document, &["clock", "remediation"]).insert("days".into(), 59.into());
        })
        .unwrap();
        assert_ne!(changed.digest(), policy.digest());
        let recited = load_edited(|document| {
            table(document, &["patch"]).insert("source".into(), "other".into());
        })
        .unwrap();
        assert_ne!(recited.digest(), policy.digest());
        // The digest of the default is pinned: a change to policy/default.toml is deliberate.
        assert_eq!(policy.digest().to_hex().len(), 64);
    }

    /// One malformed policy: the edit, and text the error must contain (the key).
    fn check_invalid(edit: impl FnOnce(&mut toml::Table), expected: &[&str]) {
        let error = load_edited(edit).unwrap_err().to_string();
        for part in expected {
            assert!(error.contains(part), "{error:?} does not contain {part:?}");
        }
    }

    #[test]
    fn malformed_policies_name_the_key() {
        check_invalid(
            |d| {
                table(d, &["clock", "remediation"]).remove("days");
            },
            &["clock.remediation.days", "missing"],
        );
        check_invalid(
            |d| {
                table(d, &["clock", "remediation"]).insert("days".into(), (-1).into());
            },
            &["clock.remediation.days", "outside 0..=3650"],
        );
        check_invalid(
            |d| {
                table(d, &["clock", "remediation"]).insert("dayz".into(), 1.into());
            },
            &["clock.remediation.dayz", "unknown key"],
        );
        check_invalid(
            |d| {
                table(d, &["clock", "remediation"]).insert("day_kind".into(), "business".into());
            },
            &["clock.remediation.day_kind", "calendar, working"],
        );
        check_invalid(
            |d| {
                table(d, &["clock"]).remove("report_806");
            },
            &["clock.report_806", "missing"],
        );
        check_invalid(
            |d| {
                table(d, &["jurisdiction", "eu"])
                    .insert("time_zone".into(), "Mars/Olympus_Mons".into());
            },
            &["jurisdiction.eu.time_zone", "Mars/Olympus_Mons"],
        );
        check_invalid(
            |d| {
                table(d, &["jurisdiction", "us"]).insert(
                    "closures".into(),
                    toml::Value::Array(vec![closure("2025-02-30", "a day that does not exist")]),
                );
            },
            &["jurisdiction.us.closures[0].date", "not a YYYY-MM-DD date"],
        );
        check_invalid(
            |d| {
                table(d, &["jurisdiction", "us"]).insert(
                    "closures".into(),
                    toml::Value::Array(vec![closure("2300-01-02", "beyond the rules' years")]),
                );
            },
            &[
                "jurisdiction.us.closures[0].date",
                "outside the calendar's coverage",
            ],
        );
        check_invalid(
            |d| {
                table(d, &["jurisdiction", "us"]).insert(
                    "weekend".into(),
                    toml::Value::Array(vec!["caturday".into()]),
                );
            },
            &["jurisdiction.us.weekend[0]"],
        );
        check_invalid(
            |d| {
                table(d, &["jurisdiction", "us"]).insert("coverage_until_year".into(), 1970.into());
            },
            &[
                "jurisdiction.us.coverage_until_year",
                "before coverage_from_year",
            ],
        );
        check_invalid(
            |d| {
                table(d, &["jurisdiction", "eu"])
                    .insert("deadline_on_non_working_day".into(), "previous".into());
            },
            &[
                "jurisdiction.eu.deadline_on_non_working_day",
                "keep, next_working_day",
            ],
        );
        // A holiday with two kinds of date, with none, and with impossible values.
        for (holiday, expected) in [
            (
                "{ name = \"Both\", date = \"01-01\", easter_offset = 1 }",
                "exactly one of",
            ),
            ("{ name = \"None\" }", "exactly one of"),
            (
                "{ name = \"Leap\", date = \"02-29\" }",
                "not a date of every year",
            ),
            ("{ name = \"Odd\", date = \"1-1\" }", "at least 5"),
            ("{ name = \"Odd\", date = \"Jan-1\" }", "is not MM-DD"),
            (
                "{ name = \"Zeroth\", month = 1, weekday = \"monday\", nth = 0 }",
                "nth 0",
            ),
            (
                "{ name = \"Half\", month = 1, weekday = \"monday\" }",
                "exactly one of",
            ),
        ] {
            let parsed: toml::Table = toml::from_str(&format!("rule = {holiday}")).unwrap();
            let rule = parsed["rule"].clone();
            let error = load_edited(|d| {
                table(d, &["jurisdiction", "us"])
                    .insert("holidays".into(), toml::Value::Array(vec![rule]));
            })
            .unwrap_err()
            .to_string();
            assert!(
                error.contains("jurisdiction.us.holidays[0]") && error.contains(expected),
                "{holiday}: {error}"
            );
        }
        check_invalid(
            |d| {
                rule(d, 0).insert("level".into(), "extreme".into());
            },
            &["exploitability.rule[0].level", "\"extreme\" is not a level"],
        );
        check_invalid(
            |d| {
                let mut when = toml::Table::new();
                when.insert("epss_score_at_least".into(), 2.0.into());
                rule(d, 1).insert("when".into(), when.into());
            },
            &[
                "exploitability.rule[1].when.epss_score_at_least",
                "outside 0..=1",
            ],
        );
        check_invalid(
            |d| {
                let mut when = toml::Table::new();
                when.insert("kev".into(), true.into());
                when.insert("kev_ransomware".into(), true.into());
                rule(d, 0).insert("when".into(), when.into());
            },
            &["exploitability.rule[0].when", "exactly one condition"],
        );
        check_invalid(
            |d| {
                let mut when = toml::Table::new();
                when.insert(
                    "exploit_maturity_in".into(),
                    toml::Value::Array(vec!["Z".into()]),
                );
                rule(d, 2).insert("when".into(), when.into());
            },
            &[
                "exploitability.rule[2].when.exploit_maturity_in[0]",
                "U, P, F, H, A",
            ],
        );
        check_invalid(
            |d| {
                let mut when = toml::Table::new();
                when.insert("cvss_at_least".into(), 9.into());
                rule(d, 0).insert("when".into(), when.into());
            },
            &[
                "exploitability.rule[0].when.cvss_at_least",
                "unknown condition",
            ],
        );
        check_invalid(
            |d| {
                let id = rule(d, 0).get("id").unwrap().clone();
                rule(d, 1).insert("id".into(), id);
            },
            &["exploitability.rule[1].id", "defined twice"],
        );
        check_invalid(
            |d| {
                rule(d, 0).insert("id".into(), "default".into());
            },
            &["exploitability.rule[0].id", "reserved"],
        );
        for (condition, expected) in [
            (
                "{ cvss = { AV = [\"Q\"] } }",
                &["when.cvss.AV[0]", "N, A, L, P"][..],
            ),
            ("{ cvss = {} }", &["when.cvss", "at least one metric"][..]),
            (
                "{ cvss = { AVX = [\"N\"] } }",
                &["when.cvss.AVX", "unknown key"][..],
            ),
            (
                "{ cvss_exploitability_at_least = 4.5 }",
                &["when.cvss_exploitability_at_least", "outside 0..=3.9"][..],
            ),
        ] {
            let parsed: toml::Table = toml::from_str(&format!("when = {condition}")).unwrap();
            let when = parsed["when"].clone();
            check_invalid(
                |d| {
                    rule(d, 0).insert("when".into(), when);
                },
                expected,
            );
        }
        check_invalid(
            |d| {
                table(d, &["determination"])
                    .get_mut("matrix")
                    .unwrap()
                    .as_array_mut()
                    .unwrap()
                    .remove(1);
            },
            &[
                "determination.matrix",
                "no row for exploitability level \"medium\"",
            ],
        );
        check_invalid(
            |d| {
                table(d, &["exploitability"]).insert("default".into(), "none".into());
            },
            &["exploitability.default"],
        );
        check_invalid(
            |d| {
                table(d, &["policy"]).insert("format".into(), 3.into());
            },
            &["policy.format", "outside 2..=2"],
        );
        check_invalid(
            |d| {
                table(d, &["policy"]).insert("format".into(), 1.into());
            },
            &[
                "policy.format",
                "format 1 is no longer read",
                "[jurisdiction.us]",
            ],
        );
        check_invalid(
            |d| {
                d.insert("extra".into(), 1.into());
            },
            &["`extra`", "unknown key"],
        );
        check_invalid(
            |d| {
                table(d, &["rationale"]).insert("min_chars".into(), "twenty".into());
            },
            &["rationale.min_chars", "expected an integer"],
        );
        // Statutory clocks may not be laxer than the law without a rationale.
        for (clock, key, value, expected) in [
            (
                "mdr_803",
                "days",
                toml::Value::from(45),
                "45 days is longer than the law's 30 calendar days (21 CFR 803.50(a))",
            ),
            (
                "report_806",
                "enabled",
                false.into(),
                "disabled, though the law sets 10 working days (21 CFR 806.10(b))",
            ),
            (
                "eu_mdr_art87",
                "day_kind",
                "working".into(),
                "working days are longer than the law's 15 calendar days",
            ),
        ] {
            let message = format!("clock.{clock}.{key}");
            check_invalid(
                |d| {
                    table(d, &["clock", clock]).insert(key.into(), value);
                },
                &[&message, expected, "deviation_rationale"],
            );
        }
        let syntax = Policy::from_toml("[policy\nid = 1", "broken.toml").unwrap_err();
        assert!(syntax.to_string().contains("broken.toml"), "{syntax}");
    }

    /// `[patch.fix_distributed]` as written → the rule, or the refused key and a word of
    /// the refusal.
    fn check_fix_distributed(
        when: Option<&str>,
        share: Option<f64>,
        expect: Result<FixDistributed, (&str, &str)>,
    ) {
        let loaded = load_edited(|document| {
            let patch = table(document, &["patch"]);
            match when {
                None => {
                    patch.remove("fix_distributed");
                }
                Some(when) => {
                    let rule = patch
                        .get_mut("fix_distributed")
                        .unwrap()
                        .as_table_mut()
                        .unwrap();
                    rule.insert("when".into(), when.into());
                    if let Some(share) = share {
                        rule.insert("share".into(), share.into());
                    }
                }
            }
        });
        match (loaded, expect) {
            (Ok(policy), Ok(rule)) => assert_eq!(policy.patch().fix_distributed(), rule),
            (Err(RiskError::PolicyInvalid { key, problem }), Err((expected_key, word))) => {
                assert_eq!(key, expected_key, "{problem}");
                assert!(problem.contains(word), "{problem}");
            }
            (other, expect) => panic!("{when:?} {share:?}: {other:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn fix_distributed_is_offered_by_default_or_an_installed_share() {
        use FixDistributed::{Installed, Offered};
        check_fix_distributed(Some("offered"), None, Ok(Offered));
        // A policy written before the key existed keeps loading, as "offered".
        check_fix_distributed(None, None, Ok(Offered));
        check_fix_distributed(
            Some("installed"),
            Some(0.9),
            Ok(Installed {
                share_hundredths: 9000,
            }),
        );
        check_fix_distributed(
            Some("installed"),
            Some(1.0),
            Ok(Installed {
                share_hundredths: 10_000,
            }),
        );
        check_fix_distributed(
            Some("installed"),
            Some(0.0001),
            Ok(Installed {
                share_hundredths: 1,
            }),
        );
        check_fix_distributed(
            Some("installed"),
            None,
            Err(("patch.fix_distributed.share", "needs the share")),
        );
        check_fix_distributed(
            Some("installed"),
            Some(0.0),
            Err(("patch.fix_distributed.share", "above 0")),
        );
        check_fix_distributed(
            Some("installed"),
            Some(1.5),
            Err(("patch.fix_distributed.share", "1.5")),
        );
        check_fix_distributed(
            Some("offered"),
            Some(0.5),
            Err(("patch.fix_distributed.share", "only with")),
        );
        check_fix_distributed(
            Some("always"),
            None,
            Err(("patch.fix_distributed.when", "offered, installed")),
        );
    }

    #[test]
    fn fix_distributed_counts_the_installed_share_exactly() {
        let ninety = FixDistributed::Installed {
            share_hundredths: 9000,
        };
        for (rule, offered_all, installed, targeted, met) in [
            (FixDistributed::Offered, true, 0, 10, true),
            (FixDistributed::Offered, false, 10, 10, false),
            (ninety, true, 9, 10, true),
            (ninety, true, 8, 10, false),
            (ninety, true, 89_999, 100_000, false),
            (ninety, true, 90_000, 100_000, true),
            (ninety, false, 10, 10, false),
            (ninety, true, 0, 0, false),
        ] {
            assert_eq!(
                rule.is_met(offered_all, installed, targeted),
                met,
                "{rule:?} {offered_all} {installed}/{targeted}"
            );
        }
        assert_eq!(
            ninety.to_string(),
            "offered to every targeted device and installed on 90% of them"
        );
        assert_eq!(
            FixDistributed::Installed {
                share_hundredths: 9_550
            }
            .to_string(),
            "offered to every targeted device and installed on 95.50% of them"
        );
    }
}
