//! Triage's wire types: assessments (VEX) and their signals, determinations, the MITRE/MDIC
//! rubric, regulatory cases and clocks, and the policy.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{SignDto, SignatureDto};

/// A warning about a valid policy: something a reviewer should look at before signing it (a
/// statutory clock made longer or disabled, with its rationale; a default exploitability level
/// below the worst).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyWarningDto {
    /// The dotted key concerned (`clock.mdr_803.days`).
    pub key: String,
    /// What it does, and the rationale given.
    pub message: String,
}

fn warnings(policy: &aftercare_risk::Policy) -> Vec<PolicyWarningDto> {
    policy
        .warnings()
        .iter()
        .map(|w| PolicyWarningDto {
            key: w.key.clone(),
            message: w.message.clone(),
        })
        .collect()
}

/// The policy in force, or a stored revision of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyDto {
    /// The workspace revision (absent before any was stored: the built-in default).
    pub revision: Option<i64>,
    /// The policy's id.
    pub id: String,
    /// The policy's version.
    pub version: String,
    /// The canonical digest recorded with every clock it drives.
    pub digest: String,
    /// The IANA time zone of the FDA clocks' deadlines (absent for a stored revision this
    /// version cannot read).
    pub time_zone: Option<String>,
    /// When the revision was stored, and by whom.
    pub created_at: Option<String>,
    /// Who stored it.
    pub created_by: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The TOML text.
    pub source: String,
    /// What a reviewer should look at: statutory clocks made longer or disabled, with their
    /// rationale (`aftercare policy check` prints the same).
    #[serde(default)]
    pub warnings: Vec<PolicyWarningDto>,
    /// The revision's electronic signatures, with the manifestation of 21 CFR 11.50 and
    /// whether each still matches the stored text.
    #[serde(default)]
    pub signatures: Vec<SignatureDto>,
    /// Why this version cannot read the stored revision (a format 1 policy), when it cannot:
    /// replace it with a signed format 2 policy.
    #[serde(default)]
    pub unreadable: Option<String>,
}

impl From<&aftercare_service::triage::policy::SignedPolicy> for PolicyDto {
    fn from(signed: &aftercare_service::triage::policy::SignedPolicy) -> PolicyDto {
        let current = &signed.current;
        let revision = current.revision.as_ref();
        PolicyDto {
            revision: revision.map(|r| r.revision),
            id: current.policy.id().to_string(),
            version: current.policy.version().to_string(),
            digest: current.policy.digest().to_hex(),
            time_zone: Some(current.policy.calendar().time_zone_name().to_string()),
            created_at: revision.map(|r| r.created_at.clone()),
            created_by: revision.map(|r| r.created_by.clone()),
            reason: revision.and_then(|r| r.reason.clone()),
            source: revision.map_or_else(
                || aftercare_risk::policy::DEFAULT_POLICY_TOML.to_string(),
                |r| r.source.clone(),
            ),
            warnings: warnings(&current.policy),
            signatures: signed.signatures.iter().map(SignatureDto::from).collect(),
            unreadable: None,
        }
    }
}

impl From<&aftercare_service::triage::policy::PolicyRevision> for PolicyDto {
    fn from(revision: &aftercare_service::triage::policy::PolicyRevision) -> PolicyDto {
        let row = &revision.row;
        PolicyDto {
            revision: Some(row.revision),
            // As stored: a revision this version cannot read still has its row's words.
            id: row.policy_id.clone(),
            version: row.policy_version.clone(),
            digest: row.digest.clone(),
            time_zone: revision
                .policy
                .as_ref()
                .map(|p| p.calendar().time_zone_name().to_string()),
            created_at: Some(row.created_at.clone()),
            created_by: Some(row.created_by.clone()),
            reason: row.reason.clone(),
            source: row.source.clone(),
            warnings: revision.policy.as_ref().map(warnings).unwrap_or_default(),
            signatures: revision.signatures.iter().map(SignatureDto::from).collect(),
            unreadable: revision.unreadable.clone(),
        }
    }
}

/// The policy in force, summed up with its clock rules (`aftercare policy show --format
/// json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicySummaryDto {
    /// The workspace revision (absent before any was stored: the built-in default).
    pub revision: Option<i64>,
    /// The policy's id.
    pub id: String,
    /// The policy's version.
    pub version: String,
    /// The canonical digest recorded with every clock it drives.
    pub digest: String,
    /// The IANA time zone deadlines are counted in.
    pub time_zone: String,
    /// The rule of each kind of clock.
    pub clocks: Vec<ClockRuleSummaryDto>,
    /// What a reviewer should look at (statutory clocks made longer or disabled, with their
    /// rationale).
    #[serde(default)]
    pub warnings: Vec<PolicyWarningDto>,
}

/// The policy's rule for one kind of clock.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockRuleSummaryDto {
    /// The kind of clock (`customer_communication`, `remediation`, …).
    pub kind: String,
    /// N: the deadline is day N.
    pub days: u32,
    /// `calendar` or `working`.
    pub day_kind: String,
    /// Whether the policy opens this clock.
    pub enabled: bool,
    /// The regulation or guidance it comes from.
    pub source: String,
}

impl From<&aftercare_service::triage::policy::CurrentPolicy> for PolicySummaryDto {
    fn from(current: &aftercare_service::triage::policy::CurrentPolicy) -> PolicySummaryDto {
        let policy = &current.policy;
        PolicySummaryDto {
            revision: current.revision.as_ref().map(|r| r.revision),
            id: policy.id().to_string(),
            version: policy.version().to_string(),
            digest: policy.digest().to_hex(),
            time_zone: policy.calendar().time_zone_name().to_string(),
            clocks: aftercare_risk::ClockKind::ALL
                .iter()
                .map(|kind| {
                    let rule = policy.clock_rule(*kind);
                    ClockRuleSummaryDto {
                        kind: kind.as_str().to_string(),
                        days: rule.days(),
                        day_kind: rule.day_kind().as_str().to_string(),
                        enabled: rule.enabled(),
                        source: rule.source().to_string(),
                    }
                })
                .collect(),
            warnings: warnings(policy),
        }
    }
}

/// A stored revision of the policy, without its text (`aftercare policy history --format
/// json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRevisionDto {
    /// The workspace revision.
    pub revision: i64,
    /// The policy's id.
    pub id: String,
    /// The policy's version.
    pub version: String,
    /// The canonical digest.
    pub digest: String,
    /// When it was stored.
    pub created_at: String,
    /// Who stored it.
    pub created_by: String,
    /// Why.
    pub reason: Option<String>,
    /// Its electronic signatures, with the manifestation of 21 CFR 11.50.
    #[serde(default)]
    pub signatures: Vec<SignatureDto>,
    /// Why this version cannot read it (a format 1 policy), when it cannot.
    #[serde(default)]
    pub unreadable: Option<String>,
}

impl From<&aftercare_service::triage::policy::PolicyRevision> for PolicyRevisionDto {
    fn from(revision: &aftercare_service::triage::policy::PolicyRevision) -> PolicyRevisionDto {
        let row = &revision.row;
        PolicyRevisionDto {
            revision: row.revision,
            id: row.policy_id.clone(),
            version: row.policy_version.clone(),
            digest: row.digest.clone(),
            created_at: row.created_at.clone(),
            created_by: row.created_by.clone(),
            reason: row.reason.clone(),
            signatures: revision.signatures.iter().map(SignatureDto::from).collect(),
            unreadable: revision.unreadable.clone(),
        }
    }
}

/// A policy change: the new TOML, why, and the signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyChangeDto {
    /// The new policy (TOML).
    pub source: String,
    /// Why it changes.
    pub reason: String,
    /// The electronic signature (required by default).
    #[serde(default)]
    pub signature: Option<SignDto>,
}

/// A regulatory clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockDto {
    /// The id.
    pub id: i64,
    /// The case it belongs to.
    pub case_id: i64,
    /// The product.
    pub product: String,
    /// The vulnerability.
    pub vulnerability: String,
    /// What it is for (`customer_communication`, `remediation`, `report_806`, …).
    pub kind: String,
    /// The report, MDR or incident number.
    pub reference: Option<String>,
    /// `open`, `met`, `missed` or `waived`.
    pub state: String,
    /// What day 0 is (`awareness`, `correction_start`, `provisional`, `event`).
    pub basis: String,
    /// Day 0.
    pub start: String,
    /// N.
    pub days: u32,
    /// `calendar` or `working`.
    pub day_kind: String,
    /// Day N.
    pub deadline_day: String,
    /// The instant the deadline ends (23:59:59 of day N in the policy's time zone), UTC.
    pub deadline_end: String,
    /// The time zone.
    pub time_zone: String,
    /// When it was satisfied, if it was.
    pub satisfied_at: Option<String>,
    /// The waiver's rationale, if waived.
    pub waiver: Option<String>,
    /// Why it was opened, when not obvious.
    pub note: Option<String>,
    /// The regulation or guidance it comes from.
    pub source: String,
    /// The digest of the policy that computed it.
    pub policy_digest: String,
    /// The waiver's electronic signatures, with the manifestation of 21 CFR 11.50 and whether
    /// each still matches the stored clock (empty unless waived).
    #[serde(default)]
    pub signatures: Vec<SignatureDto>,
}

impl ClockDto {
    /// The same clock with its waiver's signatures, when `signatures` (by clock id, from
    /// `aftercare_service::triage::waiver::signatures`) has any.
    pub fn with_signatures(
        mut self,
        signatures: &std::collections::BTreeMap<
            i64,
            Vec<aftercare_service::access::signature::SignatureView>,
        >,
    ) -> ClockDto {
        if let Some(views) = signatures.get(&self.id) {
            self.signatures = views.iter().map(SignatureDto::from).collect();
        }
        self
    }

    /// The wire form of a clock.
    pub fn new(
        id: i64,
        case_id: i64,
        product: &str,
        vulnerability: &str,
        clock: &aftercare_risk::Clock,
    ) -> ClockDto {
        let stamp = aftercare_store::timestamp_text;
        ClockDto {
            id,
            case_id,
            product: product.to_string(),
            vulnerability: vulnerability.to_string(),
            kind: clock.kind().as_str().to_string(),
            reference: clock.reference().map(str::to_string),
            state: clock.state().as_str().to_string(),
            basis: clock.basis().as_str().to_string(),
            start: clock.start().to_string(),
            days: clock.days(),
            day_kind: clock.day_kind().as_str().to_string(),
            deadline_day: clock.deadline().day.to_string(),
            deadline_end: stamp(clock.deadline().end),
            time_zone: clock.time_zone().iana_name().unwrap_or("UTC").to_string(),
            satisfied_at: clock.satisfied_at().map(stamp),
            waiver: clock.waiver().map(|w| w.rationale.clone()),
            note: clock.note().map(str::to_string),
            source: clock.source().to_string(),
            policy_digest: clock.policy_digest().to_hex(),
            signatures: Vec::new(),
        }
    }
}

/// An event applied to a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseEventDto {
    /// When it happened (the time the event claims).
    pub at: String,
    /// When it was recorded (the server's time), kept beside the claimed time.
    pub recorded_at: String,
    /// Its kind.
    pub kind: String,
    /// Its details (JSON text): the reference, dates, and for a backdated event the reason and
    /// evidence given for it.
    pub detail: String,
    /// Who recorded it.
    pub actor: String,
}

/// A regulatory case: one (product, vulnerability), its awareness date, determination and
/// clocks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseDto {
    /// The id.
    pub id: i64,
    /// The product.
    pub product: String,
    /// The vulnerability.
    pub vulnerability: String,
    /// The awareness date (day 0 of the clocks that run from it).
    pub awareness_date: Option<String>,
    /// Where the awareness date comes from.
    pub awareness_basis: Option<String>,
    /// `controlled` or `uncontrolled`, once determined.
    pub risk: Option<String>,
    /// The recorded start of the correction.
    pub correction_started: Option<String>,
    /// The clocks.
    pub clocks: Vec<ClockDto>,
    /// The events, in the order they were applied.
    pub events: Vec<CaseEventDto>,
}

impl CaseDto {
    /// The same case with its waived clocks' signatures (by clock id, from
    /// `aftercare_service::triage::waiver::signatures`).
    pub fn with_signatures(
        mut self,
        signatures: &std::collections::BTreeMap<
            i64,
            Vec<aftercare_service::access::signature::SignatureView>,
        >,
    ) -> CaseDto {
        self.clocks = self
            .clocks
            .into_iter()
            .map(|clock| clock.with_signatures(signatures))
            .collect();
        self
    }

    /// The wire form of a case.
    pub fn new(
        view: &aftercare_service::triage::case::CaseView,
        events: &[aftercare_store::case::CaseEventRow],
    ) -> CaseDto {
        let awareness = view.case.awareness();
        CaseDto {
            id: view.row.id,
            product: view.product.clone(),
            vulnerability: view.row.vulnerability.clone(),
            awareness_date: awareness.map(|a| a.date.to_string()),
            awareness_basis: awareness.map(|a| match &a.basis {
                aftercare_risk::AwarenessBasis::FirstMatch => "first_match".to_string(),
                aftercare_risk::AwarenessBasis::ReportReceived => "report_received".to_string(),
                aftercare_risk::AwarenessBasis::AdvisoryReceived => "advisory_received".to_string(),
                aftercare_risk::AwarenessBasis::Analyst { reason } => format!("analyst: {reason}"),
            }),
            risk: view.case.risk().map(|r| r.as_str().to_string()),
            correction_started: view.case.correction_started().map(|d| d.to_string()),
            clocks: view
                .case
                .clocks()
                .iter()
                .zip(&view.clock_ids)
                .map(|(clock, id)| {
                    ClockDto::new(
                        *id,
                        view.row.id,
                        &view.product,
                        &view.row.vulnerability,
                        clock,
                    )
                })
                .collect(),
            events: events
                .iter()
                .map(|e| CaseEventDto {
                    at: e.at.clone(),
                    recorded_at: e.recorded_at.clone(),
                    kind: e.kind.clone(),
                    detail: e.detail.clone(),
                    actor: e.actor.clone(),
                })
                .collect(),
        }
    }
}

/// An event to record on the case of (product, vulnerability).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewCaseEventDto {
    /// The product (name or id).
    pub product: String,
    /// The vulnerability (its canonical id).
    pub vulnerability: String,
    /// `finding_first_seen`, `advisory_received`, `report_received`, `report_acknowledged`,
    /// `awareness_date_entered`, `correction_started`, `customer_communication_sent`,
    /// `fix_distributed`, `rollout_started`, `isao_shared`, `serious_adverse_event_known`,
    /// `report_806_submitted`, `correction_recorded`, `mdr_reportable_event`,
    /// `mdr_supplemental_information`, `mdr_report_submitted`, `serious_incident`,
    /// `eu_mdr_report_submitted`. A determination is made through a finding's signed
    /// assessment, never here; the report submissions and the 806.20 record
    /// (`correction_recorded`) need a `signature` of a person (a session, never a token) and the
    /// agency's `reference`.
    pub kind: String,
    /// When it happened (RFC 3339; default now).
    #[serde(default)]
    pub at: Option<String>,
    /// A date the event carries (awareness date, correction start, MDR awareness,
    /// supplemental information received), `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// The report, MDR or incident number.
    #[serde(default)]
    pub reference: Option<String>,
    /// Why it is recorded (required: a regulatory edit says why; for `correction_recorded`,
    /// the rationale for not reporting the correction).
    #[serde(default)]
    pub reason: Option<String>,
    /// A reference to the evidence of the claimed time (a document id, a ticket): required,
    /// with the reason, for an event dated more than a day before it is recorded.
    #[serde(default)]
    pub evidence: Option<String>,
    /// 803 reportable event: `death`, `serious_injury` or `malfunction`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// 803 report: it carries the 806.10(c) data, so it covers the 806 report (806.10(f)).
    #[serde(default)]
    pub covers_806: bool,
    /// 803: the five-work-day report applies.
    #[serde(default)]
    pub five_day: bool,
    /// EU MDR: `serious_incident`, `public_health_threat` or `death_or_serious_deterioration`.
    #[serde(default)]
    pub category: Option<String>,
    /// The electronic signature of a report's submission or an 806.20 record.
    #[serde(default)]
    pub signature: Option<crate::access::SignDto>,
}

/// A waiver of an open clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WaiverDto {
    /// The written rationale.
    pub rationale: String,
    /// The electronic signature (required by default).
    #[serde(default)]
    pub signature: Option<SignDto>,
}

/// A compensating control as entered. It lowers the determination only with evidence, claimed
/// effective, and verified by a person: the signer of the determination.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ControlDto {
    /// What it is.
    pub description: String,
    /// Where the evidence is (a document id, a test report). Required: a control without
    /// evidence is refused (an absent field is refused with the same words as an empty one).
    #[serde(default)]
    pub evidence: String,
    /// Whether it prevents or substantially hinders exploitation of this vulnerability.
    #[serde(default = "yes")]
    pub effective: bool,
}

fn yes() -> bool {
    true
}

/// A compensating control as recorded with a decision or a determination.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordedControlDto {
    /// What it is.
    pub description: String,
    /// Where the evidence is.
    pub evidence: String,
    /// Whether the analyst claimed it prevents or substantially hinders exploitation.
    pub effective: bool,
    /// Who verified the claim: the determination's signer (printed name and login); absent
    /// when nobody signed, and then the control lowered nothing.
    #[serde(default)]
    pub verified_by: Option<String>,
    /// Whether it counted: claimed effective and verified (it lowered the determination as
    /// the policy says).
    #[serde(default)]
    pub counted: bool,
}

/// A decision's VEX statement as it would be published (OpenVEX, CSAF VEX profile) under the
/// policy in force.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishedStatementDto {
    /// The published status (a `not_affected` resting on the customer's controls is published
    /// `affected` unless the policy allows it).
    pub status: String,
    /// The OpenVEX / CSAF justification, for `not_affected`.
    pub justification: Option<String>,
    /// The action statement: present for every `affected` statement.
    pub action_statement: Option<String>,
    /// Whether aftercare generated it from the responses and the fixed version.
    pub action_statement_generated: bool,
    /// What the export changes or loses, for the reviewer and the advisory's notes.
    pub note: Option<String>,
}

impl From<&aftercare_risk::ExportedStatement> for PublishedStatementDto {
    fn from(exported: &aftercare_risk::ExportedStatement) -> PublishedStatementDto {
        PublishedStatementDto {
            status: exported.status.as_str().to_string(),
            justification: exported.justification.map(|j| j.as_str().to_string()),
            action_statement: exported.action_statement.clone(),
            action_statement_generated: exported.action_statement_generated,
            note: exported.note.clone(),
        }
    }
}

fn recorded_controls(text: &str) -> Vec<RecordedControlDto> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The assessment that applies to a finding: the decision, and how it applies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentDto {
    /// The decision's id.
    pub decision: i64,
    /// The finding it was made on.
    pub made_on_finding: i64,
    /// Whether it was made on another finding.
    pub inherited: bool,
    /// Whether this finding needs a re-review.
    pub review_required: bool,
    /// Why.
    pub review_reason: Option<String>,
    /// `finding`, `product` or `portfolio`.
    pub scope: String,
    /// The versions of the component it covers.
    pub versions: String,
    /// VEX status.
    pub status: String,
    /// CycloneDX justification (for `not_affected`).
    pub justification: Option<String>,
    /// The OpenVEX / CSAF justification it maps to.
    pub openvex_justification: Option<String>,
    /// Why not affected, in words.
    pub impact_statement: Option<String>,
    /// Responses.
    pub responses: Vec<String>,
    /// What users should do.
    pub action_statement: Option<String>,
    /// Whether aftercare generated the action statement (none was written for an `affected`
    /// statement).
    #[serde(default)]
    pub action_statement_generated: bool,
    /// Notes.
    pub details: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// The CVSS vector rescored for the device.
    pub cvss_vector: Option<String>,
    /// Its score.
    pub cvss_score: Option<f64>,
    /// The medical-device rubric's extended vector of answers.
    pub rubric_vector: Option<String>,
    /// ISO 14971 harm severity.
    pub harm_severity: Option<String>,
    /// Whether the device's safety and essential performance is affected (FDA 2016 final
    /// guidance; the draft's "essential clinical performance").
    #[serde(alias = "essential_clinical_performance_affected")]
    pub safety_and_essential_performance_affected: Option<bool>,
    /// Compensating controls, with who verified them.
    pub controls: Vec<RecordedControlDto>,
    /// When the decision was made.
    pub made_at: String,
    /// Who made it.
    pub made_by: String,
    /// The statement as it would be published under the policy in force: flagged (`note`)
    /// when a justification resting on the customer's controls is published as `affected`.
    #[serde(default)]
    pub published: Option<PublishedStatementDto>,
}

/// The exploitability signals of a finding and the level the policy gives them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignalsDto {
    /// In CISA's KEV catalog since this date.
    pub kev_date_added: Option<String>,
    /// KEV: known use in ransomware campaigns.
    pub kev_ransomware: bool,
    /// The latest EPSS score (0–1).
    pub epss: Option<f64>,
    /// Its percentile.
    pub epss_percentile: Option<f64>,
    /// Its date.
    pub epss_date: Option<String>,
    /// How much the score rose over the policy's trend window.
    pub epss_rise: Option<f64>,
    /// The exploit maturity of the device vector.
    pub exploit_maturity: Option<String>,
    /// Public exploit references in the vulnerability's records (links tagged as exploits,
    /// Exploit-DB, Packet Storm, Metasploit).
    pub public_exploit_references: u32,
    /// The policy's exploitability level.
    pub exploitability: String,
    /// The rules that fired (`rule`, `level`, `detail`).
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<serde_json::Value>,
}

/// A determination: controlled or uncontrolled, with its inputs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeterminationDto {
    /// The id.
    pub id: i64,
    /// `controlled` or `uncontrolled`.
    pub outcome: String,
    /// What the policy computed (differs from the outcome when overridden).
    pub computed: String,
    /// The exploitability level.
    pub exploitability: String,
    /// The rules that fired.
    #[schema(value_type = Vec<Object>)]
    pub exploitability_reasons: Vec<serde_json::Value>,
    /// The harm severity.
    pub harm_severity: String,
    /// Whether the device's safety and essential performance is affected (FDA 2016 final
    /// guidance; the draft's "essential clinical performance").
    #[serde(alias = "essential_clinical_performance_affected")]
    pub safety_and_essential_performance_affected: bool,
    /// The override's rationale.
    pub override_rationale: Option<String>,
    /// The patch path (`regular_cycle`, `out_of_cycle_candidate` with reasons,
    /// `out_of_cycle_required`).
    #[schema(value_type = Object)]
    pub patch_path: serde_json::Value,
    /// The SHA-256 of its canonical inputs.
    pub inputs_sha256: String,
    /// The SHA-256 of the policy that made it.
    pub policy_sha256: String,
    /// Its electronic signature.
    pub signature_id: Option<i64>,
    /// Its signatures, with the manifestation of 21 CFR 11.50 and whether each still matches
    /// the stored record (filled for the latest determination of a finding's triage).
    #[serde(default)]
    pub signatures: Vec<SignatureDto>,
    /// The compensating controls it considered, with who verified each and whether it
    /// counted.
    #[serde(default)]
    pub controls: Vec<RecordedControlDto>,
    /// How the policy went from the inputs to the matrix cell, in words: verified controls,
    /// the KEV floor when it applied, the safety and essential performance gate.
    #[serde(default)]
    pub steps: Vec<String>,
    /// When.
    pub created_at: String,
    /// Who.
    pub created_by: String,
}

impl From<&aftercare_store::assessment::DeterminationRow> for DeterminationDto {
    fn from(d: &aftercare_store::assessment::DeterminationRow) -> DeterminationDto {
        DeterminationDto {
            id: d.id,
            outcome: d.outcome.clone(),
            computed: d.computed.clone(),
            exploitability: d.exploitability_level.clone(),
            exploitability_reasons: serde_json::from_str(&d.exploitability_reasons)
                .unwrap_or_default(),
            harm_severity: d.harm_severity.clone(),
            // The store's `ecp_affected` column keeps the draft guidance's name.
            safety_and_essential_performance_affected: d.ecp_affected,
            override_rationale: d.override_rationale.clone(),
            patch_path: serde_json::from_str(&d.patch_path).unwrap_or_default(),
            inputs_sha256: d.inputs_digest.clone(),
            policy_sha256: d.policy_digest.clone(),
            signature_id: d.signature_id,
            signatures: Vec::new(),
            controls: recorded_controls(&d.controls),
            steps: serde_json::from_str(&d.steps).unwrap_or_default(),
            created_at: d.created_at.clone(),
            created_by: d.created_by.clone(),
        }
    }
}

/// The triage of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TriageDto {
    /// The assessment, when assessed.
    pub assessment: Option<AssessmentDto>,
    /// The exploitability signals.
    pub signals: SignalsDto,
    /// The latest determination of the product and the vulnerability.
    pub determination: Option<DeterminationDto>,
    /// Earlier determinations, newest first.
    pub earlier_determinations: Vec<DeterminationDto>,
}

impl From<&aftercare_service::triage::assessment::Triage> for TriageDto {
    fn from(t: &aftercare_service::triage::assessment::Triage) -> TriageDto {
        let assessment = match (&t.assessment, &t.decision) {
            (Some(a), Some(d)) => Some(AssessmentDto {
                decision: d.id,
                made_on_finding: d.finding_id,
                inherited: a.inherited,
                review_required: a.review_required,
                review_reason: a.review_reason.clone(),
                scope: d.scope.clone(),
                versions: d.versions.clone(),
                status: d.status.clone(),
                justification: d.justification.clone(),
                openvex_justification: d
                    .justification
                    .as_deref()
                    .and_then(|j| j.parse::<aftercare_risk::Justification>().ok())
                    .map(|j| j.to_openvex().as_str().to_string()),
                impact_statement: d.impact_statement.clone(),
                responses: serde_json::from_str(&d.responses).unwrap_or_default(),
                action_statement: d.action_statement.clone(),
                action_statement_generated: d.action_statement_generated,
                details: d.details.clone(),
                assignee: d.assignee.clone(),
                cvss_vector: d.cvss_vector.clone(),
                cvss_score: d.cvss_score,
                rubric_vector: d.rubric_vector.clone(),
                harm_severity: d.harm_severity.clone(),
                // The store's `ecp_affected` column keeps the draft guidance's name.
                safety_and_essential_performance_affected: d.ecp_affected,
                controls: recorded_controls(&d.controls),
                made_at: d.created_at.clone(),
                made_by: d.created_by.clone(),
                published: t.published.as_ref().map(PublishedStatementDto::from),
            }),
            _ => None,
        };
        let s = &t.signals;
        TriageDto {
            assessment,
            signals: SignalsDto {
                kev_date_added: s.kev.map(|k| k.date_added.to_string()),
                kev_ransomware: s.kev.is_some_and(|k| k.known_ransomware_use),
                epss: s.epss.as_ref().map(|e| e.score()),
                epss_percentile: s.epss.as_ref().map(|e| e.percentile()),
                epss_date: s.epss.as_ref().map(|e| e.date().to_string()),
                epss_rise: s.epss.as_ref().and_then(|e| e.rise(30)),
                exploit_maturity: s.exploit_maturity.map(|m| m.as_str().to_string()),
                public_exploit_references: s.public_exploit_references,
                exploitability: t.exploitability.level.id().to_string(),
                reasons: t
                    .exploitability
                    .reasons
                    .iter()
                    .map(|r| serde_json::json!({"rule": r.rule, "level": r.level, "detail": r.detail}))
                    .collect(),
            },
            determination: t.determination.as_ref().map(|d| {
                let mut dto = DeterminationDto::from(d);
                dto.signatures = t
                    .determination_signatures
                    .iter()
                    .map(SignatureDto::from)
                    .collect();
                dto
            }),
            earlier_determinations: t
                .earlier_determinations
                .iter()
                .map(DeterminationDto::from)
                .collect(),
        }
    }
}

/// An assessment to record on one or several findings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NewAssessmentDto {
    /// The findings (for `POST /api/v1/findings/assessments`; the path names it otherwise).
    #[serde(default)]
    pub findings: Vec<i64>,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    /// One of the nine CycloneDX justifications, for `not_affected`.
    pub justification: Option<String>,
    /// Why not affected, in words.
    pub impact_statement: Option<String>,
    /// `can_not_fix`, `will_not_fix`, `update`, `rollback`, `workaround_available`.
    #[serde(default)]
    pub responses: Vec<String>,
    /// What users should do.
    pub action_statement: Option<String>,
    /// Notes.
    pub details: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// `finding` (default), `product` (every release of the product with the same component)
    /// or `portfolio` (every product).
    pub scope: Option<String>,
    /// The versions of the component it covers (default: exactly the finding's version):
    /// `*`, `=1.2.3`, `>=1.0,<2.0`.
    pub versions: Option<String>,
    /// The CVSS vector rescored for the device.
    pub cvss_vector: Option<String>,
    /// The MITRE/MDIC rubric's extended vector of answers (gives the CVSS vector when none
    /// is typed).
    pub rubric: Option<String>,
    /// ISO 14971 harm severity (`negligible` … `catastrophic`): with it, the determination
    /// of the product and the vulnerability is made.
    pub harm: Option<String>,
    /// Whether the device's safety and essential performance is affected (default true with
    /// a harm). FDA's final 2016 guidance; `essential_clinical_performance_affected`, the
    /// draft guidance's term, is still accepted.
    #[serde(alias = "essential_clinical_performance_affected")]
    pub safety_and_essential_performance_affected: Option<bool>,
    /// Compensating controls.
    #[serde(default)]
    pub controls: Vec<ControlDto>,
    /// Override the determination's outcome (`controlled`, `uncontrolled`).
    pub override_outcome: Option<String>,
    /// The override's written rationale.
    pub override_rationale: Option<String>,
    /// The electronic signature (a determination requires one by default).
    pub signature: Option<SignDto>,
}

impl NewAssessmentDto {
    /// The service's input.
    pub fn input(&self) -> aftercare_service::triage::assessment::AssessmentInput {
        aftercare_service::triage::assessment::AssessmentInput {
            status: self.status.clone(),
            justification: self.justification.clone(),
            impact_statement: self.impact_statement.clone(),
            responses: self.responses.clone(),
            action_statement: self.action_statement.clone(),
            details: self.details.clone(),
            assignee: self.assignee.clone(),
            scope: self.scope.clone(),
            versions: self.versions.clone(),
            cvss_vector: self.cvss_vector.clone(),
            rubric: self.rubric.clone(),
            harm: self.harm.clone(),
            safety_and_essential_performance_affected: self
                .safety_and_essential_performance_affected,
            controls: self
                .controls
                .iter()
                .map(|c| aftercare_service::triage::assessment::ControlInput {
                    description: c.description.clone(),
                    evidence: c.evidence.clone(),
                    effective: c.effective,
                })
                .collect(),
            override_risk: self.override_outcome.clone(),
            override_rationale: self.override_rationale.clone(),
        }
    }
}

/// What an assessment did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessOutcomeDto {
    /// The decisions made, one per finding assessed.
    pub decisions: Vec<i64>,
    /// Other findings that inherited the decision.
    pub inherited: Vec<i64>,
    /// Other findings flagged for a re-review (their version is outside the decision's).
    pub flagged: Vec<i64>,
    /// The determinations made.
    pub determinations: Vec<DeterminationDto>,
    /// What aftercare added or the reader should know: an action statement it generated.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl From<&aftercare_service::triage::assessment::AssessOutcome> for AssessOutcomeDto {
    fn from(o: &aftercare_service::triage::assessment::AssessOutcome) -> AssessOutcomeDto {
        AssessOutcomeDto {
            decisions: o.decisions.clone(),
            inherited: o.inherited.clone(),
            flagged: o.flagged.clone(),
            determinations: o
                .determinations
                .iter()
                .map(DeterminationDto::from)
                .collect(),
            notes: o.notes.clone(),
        }
    }
}

/// One answer option of a rubric question.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricOptionDto {
    /// The code stored in the extended vector.
    pub code: String,
    /// The answer in words.
    pub label: String,
    /// The next question, when the answer leads to one.
    pub next: Option<String>,
    /// The metric value, when the answer sets one.
    pub value: Option<String>,
}

/// One question of the rubric.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricQuestionDto {
    /// The extended-vector element (`XAVN`).
    pub id: String,
    /// The CVSS base metric it decides.
    pub metric: String,
    /// Its number in the rubric.
    pub number: String,
    /// The clinical category, for impact questions.
    pub category: Option<String>,
    /// The question.
    pub text: String,
    /// The options.
    pub options: Vec<RubricOptionDto>,
}

/// One CVSS base metric of the rubric and the first question of each of its decision flows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricMetricDto {
    /// Its abbreviation (`AV`).
    pub name: String,
    /// Its name.
    pub title: String,
    /// Its values, least severe first.
    pub values: Vec<String>,
    /// The first question of each flow.
    pub roots: Vec<String>,
}

/// The MITRE/MDIC medical-device rubric as a questionnaire.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricDto {
    /// Its id.
    pub id: String,
    /// Its version (the extended vector names it).
    pub version: String,
    /// Its title.
    pub title: String,
    /// Where it comes from.
    pub source: String,
    /// How its extended vectors start (`MDR:1.0`): then `/ID:CODE` per answered question, in
    /// the order of `questions`.
    pub extended_vector_prefix: String,
    /// The metrics in vector order.
    pub metrics: Vec<RubricMetricDto>,
    /// The questions.
    pub questions: Vec<RubricQuestionDto>,
}

impl From<&aftercare_risk::Rubric> for RubricDto {
    fn from(rubric: &aftercare_risk::Rubric) -> RubricDto {
        RubricDto {
            id: rubric.id().to_string(),
            version: rubric.version().to_string(),
            title: rubric.title().to_string(),
            source: rubric.source().to_string(),
            extended_vector_prefix: format!(
                "{}:{}",
                rubric.extended_vector_prefix(),
                rubric.version()
            ),
            metrics: rubric
                .metrics()
                .iter()
                .map(|m| RubricMetricDto {
                    name: m.name.clone(),
                    title: m.title.clone(),
                    values: m.values.clone(),
                    roots: m.roots.clone(),
                })
                .collect(),
            questions: rubric
                .questions()
                .iter()
                .map(|q| RubricQuestionDto {
                    id: q.id.clone(),
                    metric: q.metric.clone(),
                    number: q.number.clone(),
                    category: q.category.clone(),
                    text: q.text.clone(),
                    options: q
                        .options
                        .iter()
                        .map(|o| {
                            let (next, value) = match &o.outcome {
                                aftercare_risk::rubric::OptionOutcome::Next(n) => {
                                    (Some(n.clone()), None)
                                }
                                aftercare_risk::rubric::OptionOutcome::Value(v) => {
                                    (None, Some(v.clone()))
                                }
                            };
                            RubricOptionDto {
                                code: o.code.clone(),
                                label: o.label.clone(),
                                next,
                                value,
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Answers to score.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RubricAnswersDto {
    /// The answers as the rubric's extended vector (`MDR:1.0/XAVN:Y/…`).
    pub extended_vector: String,
}

/// The rubric's answers scored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricScoreDto {
    /// The extended vector of the answers, as stored.
    pub extended_vector: String,
    /// The CVSS v3.0 base vector the answers give.
    pub base_vector: String,
    /// Its base score.
    pub base_score: f64,
    /// Its severity.
    pub severity: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_guidance_field_name_is_still_accepted() {
        for (body, expected) in [
            (r#"{"status": "affected"}"#, None),
            (
                r#"{"status": "affected", "safety_and_essential_performance_affected": false}"#,
                Some(false),
            ),
            (
                r#"{"status": "affected", "essential_clinical_performance_affected": false}"#,
                Some(false),
            ),
        ] {
            let dto: NewAssessmentDto = serde_json::from_str(body).unwrap();
            assert_eq!(
                dto.input().safety_and_essential_performance_affected,
                expected,
                "{body}"
            );
        }
    }
}
