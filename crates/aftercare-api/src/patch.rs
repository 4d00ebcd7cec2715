//! Patch management's wire types: remediation plans, patch releases with their fix evidence,
//! verification and validation evidence, decisions and distributions, what the gate says, and
//! the chain from finding to distribution (issue 13, ADR 0012).
//!
//! Evidence files travel as base64 inside the JSON body (`files: [{name, content_base64}]`):
//! one request carries the item and its files, so an item is never recorded without the files
//! its digest covers. Downloads are plain bytes at the `download` URL each file carries.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{SignDto, SignatureDto};

/// A reference to a record of the quality system: a change request or a problem report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReferenceDto {
    /// Its identifier there (`CR-2291`).
    pub reference: String,
    /// Where it lives, if given.
    #[serde(default)]
    pub url: Option<String>,
}

impl ReferenceDto {
    fn input(&self) -> aftercare_service::patch::plan::Reference {
        aftercare_service::patch::plan::Reference {
            reference: self.reference.trim().to_string(),
            url: self
                .url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
        }
    }
}

fn references(text: &str) -> Vec<ReferenceDto> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A new interim compensating control a plan names.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewPlanControlDto {
    /// What it is.
    pub description: String,
    /// Where its evidence is (required).
    #[serde(default)]
    pub evidence: String,
}

impl NewPlanControlDto {
    fn input(&self) -> aftercare_service::patch::plan::NewControl {
        aftercare_service::patch::plan::NewControl {
            description: self.description.clone(),
            evidence: self.evidence.clone(),
        }
    }
}

/// A remediation plan as a person asks for it (`POST /api/v1/plans`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NewPlanDto {
    /// The product, by name or id.
    pub product: String,
    /// Vulnerabilities (any of their ids) whose open findings in the product the plan
    /// remediates.
    #[serde(default)]
    pub vulnerabilities: Vec<String>,
    /// Findings of the product the plan remediates, by id.
    #[serde(default)]
    pub findings: Vec<i64>,
    /// The version the fix will ship in.
    pub target_version: String,
    /// `regular` or `out_of_cycle`: an uncontrolled determination, KEV or a critical score
    /// require `out_of_cycle`.
    pub cycle: String,
    /// The written review that lets a plan take the regular cycle for a vulnerability without
    /// a determination yet.
    #[serde(default)]
    pub cycle_review: Option<String>,
    /// The owner's login.
    pub owner: String,
    /// Change requests (IEC 62304 §6.2).
    #[serde(default)]
    pub change_requests: Vec<ReferenceDto>,
    /// Problem reports (IEC 62304 §9).
    #[serde(default)]
    pub problem_reports: Vec<ReferenceDto>,
    /// New interim compensating controls.
    #[serde(default)]
    pub controls: Vec<NewPlanControlDto>,
}

impl NewPlanDto {
    /// The service's input.
    pub fn input(&self) -> aftercare_service::patch::plan::NewPlan {
        aftercare_service::patch::plan::NewPlan {
            product: self.product.clone(),
            vulnerabilities: self.vulnerabilities.clone(),
            findings: self.findings.clone(),
            target_version: self.target_version.clone(),
            cycle: self.cycle.clone(),
            cycle_review: self.cycle_review.clone(),
            owner: self.owner.clone(),
            change_requests: self
                .change_requests
                .iter()
                .map(ReferenceDto::input)
                .collect(),
            problem_reports: self
                .problem_reports
                .iter()
                .map(ReferenceDto::input)
                .collect(),
            controls: self.controls.iter().map(NewPlanControlDto::input).collect(),
        }
    }
}

/// Changes to a plan (`PATCH /api/v1/plans/{id}`); absent fields stay as they are, lists are
/// added to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PlanUpdateDto {
    /// A new owner (login).
    #[serde(default)]
    pub owner: Option<String>,
    /// A new target version.
    #[serde(default)]
    pub target_version: Option<String>,
    /// A new cycle, checked against the policy.
    #[serde(default)]
    pub cycle: Option<String>,
    /// The written review for the regular cycle.
    #[serde(default)]
    pub cycle_review: Option<String>,
    /// More findings (by id, of the product).
    #[serde(default)]
    pub add_findings: Vec<i64>,
    /// More change requests.
    #[serde(default)]
    pub change_requests: Vec<ReferenceDto>,
    /// More problem reports.
    #[serde(default)]
    pub problem_reports: Vec<ReferenceDto>,
    /// More interim compensating controls.
    #[serde(default)]
    pub controls: Vec<NewPlanControlDto>,
    /// Work on the fix has started (`open` → `in_progress`).
    #[serde(default)]
    pub start: bool,
}

impl PlanUpdateDto {
    /// The service's input.
    pub fn input(&self) -> aftercare_service::patch::plan::PlanUpdate {
        aftercare_service::patch::plan::PlanUpdate {
            owner: self.owner.clone(),
            target_version: self.target_version.clone(),
            cycle: self.cycle.clone(),
            cycle_review: self.cycle_review.clone(),
            add_findings: self.add_findings.clone(),
            change_requests: self
                .change_requests
                .iter()
                .map(ReferenceDto::input)
                .collect(),
            problem_reports: self
                .problem_reports
                .iter()
                .map(ReferenceDto::input)
                .collect(),
            controls: self.controls.iter().map(NewPlanControlDto::input).collect(),
            start: self.start,
        }
    }
}

/// Closing a plan (`POST /api/v1/plans/{id}/close`): without a reason a distributed plan is
/// closed; with one, a plan not yet distributed is cancelled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PlanCloseDto {
    /// Why the plan is cancelled (at least the policy's `rationale.min_chars`).
    #[serde(default)]
    pub cancel_reason: Option<String>,
}

/// A plan in a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanSummaryDto {
    /// The id.
    pub id: i64,
    /// The product.
    pub product: String,
    /// The version the fix will ship in.
    pub target_version: String,
    /// `regular` or `out_of_cycle`.
    pub cycle: String,
    /// The owner's login.
    pub owner: String,
    /// `open`, `in_progress`, `patch_built`, `approved`, `distributed`, `closed` or
    /// `cancelled`.
    pub state: String,
    /// The written review of a regular cycle, or why the plan was cancelled.
    pub reason: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl From<&aftercare_store::patch::PlanRow> for PlanSummaryDto {
    fn from(row: &aftercare_store::patch::PlanRow) -> PlanSummaryDto {
        PlanSummaryDto {
            id: row.id,
            product: row.product.clone(),
            target_version: row.target_version.clone(),
            cycle: row.cycle.clone(),
            owner: row.owner.clone(),
            state: row.state.clone(),
            reason: row.reason.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// One reason a plan needs more than the regular cycle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CycleReasonDto {
    /// The vulnerability it concerns.
    pub vulnerability: String,
    /// What this reason alone makes the plan need (`out_of_cycle_candidate`,
    /// `out_of_cycle_required`).
    pub need: String,
    /// Why, in words.
    pub reason: String,
}

/// The cycle the policy asks of a plan's vulnerabilities, with every reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CycleRequirementDto {
    /// `regular`, `out_of_cycle_candidate` (regular needs a written review) or
    /// `out_of_cycle_required` (regular is refused).
    pub need: String,
    /// The reasons, those that require out of cycle first.
    pub reasons: Vec<CycleReasonDto>,
}

impl From<&aftercare_patch::CycleRequirement> for CycleRequirementDto {
    fn from(requirement: &aftercare_patch::CycleRequirement) -> CycleRequirementDto {
        CycleRequirementDto {
            need: requirement.need().as_str().to_string(),
            reasons: requirement
                .reasons()
                .iter()
                .map(|r| CycleReasonDto {
                    vulnerability: r.vulnerability.to_string(),
                    need: r.need.as_str().to_string(),
                    reason: r.reason.clone(),
                })
                .collect(),
        }
    }
}

/// A finding a plan remediates, in brief.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanFindingDto {
    /// The finding's id.
    pub id: i64,
    /// The fielded release's version.
    pub release: String,
    /// The vulnerability (canonical id).
    pub vulnerability: String,
    /// The component's name.
    pub component: String,
    /// Its version.
    pub component_version: Option<String>,
    /// The finding's severity.
    pub severity: String,
    /// Whether the vulnerability is in CISA's KEV catalog.
    pub kev: bool,
    /// `open` or `closed`.
    pub state: String,
    /// The VEX status of the decision that applies, when assessed.
    pub vex_status: Option<String>,
    /// The versions to upgrade to.
    pub fixed_versions: Vec<String>,
}

impl From<&aftercare_store::finding::FindingRow> for PlanFindingDto {
    fn from(row: &aftercare_store::finding::FindingRow) -> PlanFindingDto {
        PlanFindingDto {
            id: row.id,
            release: row.release.clone(),
            vulnerability: row.vulnerability.clone(),
            component: row.component_name.clone(),
            component_version: row.component_version.clone(),
            severity: row.severity.clone(),
            kev: row.kev,
            state: row.state.clone(),
            vex_status: row.vex_status.clone(),
            fixed_versions: serde_json::from_str(&row.fixed_versions).unwrap_or_default(),
        }
    }
}

/// The earliest remediation deadline among the product's clocks for a plan's
/// vulnerabilities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanDueDto {
    /// The vulnerability whose clock it is.
    pub vulnerability: String,
    /// Day N.
    pub day: String,
    /// The instant the deadline ends (RFC 3339, UTC).
    pub end: String,
    /// The clock's state (`open` or `missed`).
    pub clock_state: String,
}

/// An interim compensating control: from the latest determination of one of the plan's
/// vulnerabilities, or the plan's own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanControlDto {
    /// `determination` or `plan`.
    pub source: String,
    /// The vulnerability whose determination lists it (`determination` only).
    pub vulnerability: Option<String>,
    /// What it is.
    pub description: String,
    /// Where its evidence is.
    pub evidence: String,
    /// Whether the analyst claimed it effective (`determination` only).
    pub effective: Option<bool>,
    /// Who verified it: the determination's signer (`determination` only).
    pub verified_by: Option<String>,
}

impl PlanControlDto {
    fn from_json(value: &serde_json::Value) -> PlanControlDto {
        let text = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
        PlanControlDto {
            source: text("source").unwrap_or("plan").to_string(),
            vulnerability: text("vulnerability").map(str::to_string),
            description: text("description").unwrap_or_default().to_string(),
            evidence: text("evidence").unwrap_or_default().to_string(),
            effective: value.get("effective").and_then(serde_json::Value::as_bool),
            verified_by: text("verified_by").map(str::to_string),
        }
    }
}

/// A patch release of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanPatchDto {
    /// The release's id.
    pub release_id: i64,
    /// Its version (`/api/v1/patches/{product}/{version}`).
    pub version: String,
}

/// An event of a plan's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanEventDto {
    /// When.
    pub at: String,
    /// `created`, `updated` or `state`.
    pub kind: String,
    /// What, as recorded (for `state`: `event`, `from`, `to`, and the reason of a
    /// cancellation).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Who.
    pub actor: String,
}

impl From<&aftercare_store::patch::PlanEventRow> for PlanEventDto {
    fn from(row: &aftercare_store::patch::PlanEventRow) -> PlanEventDto {
        PlanEventDto {
            at: row.at.clone(),
            kind: row.kind.clone(),
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
            actor: row.actor.clone(),
        }
    }
}

/// What a plan without a running remediation clock says instead of a due date.
pub const NO_CLOCK: &str = "no clock runs for these vulnerabilities";

/// A remediation plan with what it is made of.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanDto {
    /// The id.
    pub id: i64,
    /// The product.
    pub product: String,
    /// The version the fix will ship in.
    pub target_version: String,
    /// `regular` or `out_of_cycle`.
    pub cycle: String,
    /// The cycle the policy asks for now, with its reasons.
    pub cycle_requirement: CycleRequirementDto,
    /// The owner's login.
    pub owner: String,
    /// `open`, `in_progress`, `patch_built`, `approved`, `distributed`, `closed` or
    /// `cancelled`.
    pub state: String,
    /// The written review of a regular cycle, or why the plan was cancelled.
    pub reason: Option<String>,
    /// Change requests.
    pub change_requests: Vec<ReferenceDto>,
    /// Problem reports.
    pub problem_reports: Vec<ReferenceDto>,
    /// The findings it remediates, across the product's fielded releases.
    pub findings: Vec<PlanFindingDto>,
    /// Their vulnerabilities, sorted.
    pub vulnerabilities: Vec<String>,
    /// The earliest remediation deadline of the product's clocks for those vulnerabilities;
    /// absent when no clock runs for them (`due_note` says so).
    pub due: Option<PlanDueDto>,
    /// `no clock runs for these vulnerabilities` when `due` is absent.
    pub due_note: Option<String>,
    /// Interim compensating controls: the determinations' and the plan's own.
    pub controls: Vec<PlanControlDto>,
    /// Its patch releases.
    pub patches: Vec<PlanPatchDto>,
    /// Its history, oldest first.
    pub events: Vec<PlanEventDto>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl From<&aftercare_service::patch::plan::PlanView> for PlanDto {
    fn from(view: &aftercare_service::patch::plan::PlanView) -> PlanDto {
        let row = &view.row;
        PlanDto {
            id: row.id,
            product: row.product.clone(),
            target_version: row.target_version.clone(),
            cycle: row.cycle.clone(),
            cycle_requirement: CycleRequirementDto::from(&view.cycle),
            owner: row.owner.clone(),
            state: row.state.clone(),
            reason: row.reason.clone(),
            change_requests: references(&row.change_requests),
            problem_reports: references(&row.problem_reports),
            findings: view.findings.iter().map(PlanFindingDto::from).collect(),
            vulnerabilities: view.vulnerabilities.clone(),
            due: view
                .due
                .as_ref()
                .map(|(vulnerability, day, end, state)| PlanDueDto {
                    vulnerability: vulnerability.clone(),
                    day: day.clone(),
                    end: end.clone(),
                    clock_state: state.clone(),
                }),
            due_note: view.due.is_none().then(|| NO_CLOCK.to_string()),
            controls: view
                .controls
                .iter()
                .map(PlanControlDto::from_json)
                .collect(),
            patches: view
                .patches
                .iter()
                .map(|(release_id, version)| PlanPatchDto {
                    release_id: *release_id,
                    version: version.clone(),
                })
                .collect(),
            events: view.events.iter().map(PlanEventDto::from).collect(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// Attaching a release as the patch of plans (`POST …/attach`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachDto {
    /// The plans the patch serves.
    pub plans: Vec<i64>,
}

/// The fix evidence of one finding of the plans in the patch release.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FixDto {
    /// The plan's finding.
    pub finding: i64,
    /// The fielded release it was found in.
    pub release: Option<String>,
    /// Its vulnerability.
    pub vulnerability: String,
    /// Its component's identity (package URL without version, or group and name).
    pub component: String,
    /// The component's version in the fielded release.
    pub version: Option<String>,
    /// `removed`, `upgraded`, `assessed`, `not_fixed` or `not_matched`.
    pub outcome: String,
    /// Whether it counts as fixed.
    pub fixed: bool,
    /// The evidence in a sentence (the fixed versions cited, or why it is not fixed).
    pub sentence: String,
}

impl FixDto {
    fn new(
        fix: &aftercare_patch::FindingFix,
        rows: &std::collections::BTreeMap<i64, aftercare_store::patch::FixFindingRow>,
    ) -> FixDto {
        FixDto {
            finding: fix.finding.id.0,
            release: rows.get(&fix.finding.id.0).map(|row| row.release.clone()),
            vulnerability: fix.finding.vulnerability.to_string(),
            component: fix.finding.component.to_string(),
            version: fix.finding.version.clone(),
            outcome: fix.evidence.label().to_string(),
            fixed: fix.evidence.is_fixed(),
            sentence: fix.evidence.to_string(),
        }
    }
}

/// The fix evidence of one vulnerability, summed over the plans' findings of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityFixDto {
    /// The vulnerability.
    pub vulnerability: String,
    /// The plans' findings of it.
    pub findings: usize,
    /// In how many fielded releases.
    pub releases: usize,
    /// How many count as fixed.
    pub fixed: usize,
    /// By kind of evidence: removed, upgraded, assessed (fixed or not affected).
    pub removed: usize,
    /// See `removed`.
    pub upgraded: usize,
    /// See `removed`.
    pub assessed: usize,
    /// Not fixed: still there, unassessed or assessed affected.
    pub not_fixed: usize,
    /// Not matched: the patch release's SBOM is missing or was never matched.
    pub not_matched: usize,
    /// Its findings' components at their fielded versions (`component version`), distinct.
    pub components: Vec<String>,
    /// The findings that are not fixed, by id.
    pub open_findings: Vec<i64>,
    /// The evidence in words (`2311 removed, 205 upgraded, 7484 not fixed`).
    pub summary: String,
}

impl VulnerabilityFixDto {
    fn new(summary: &aftercare_patch::VulnerabilityFixes<'_>, releases: usize) -> Self {
        let counts = summary.counts;
        VulnerabilityFixDto {
            vulnerability: summary.vulnerability.to_string(),
            findings: counts.total(),
            releases,
            fixed: counts.fixed(),
            removed: counts.removed,
            upgraded: counts.upgraded,
            assessed: counts.assessed,
            not_fixed: counts.not_fixed,
            not_matched: counts.not_matched,
            components: summary
                .components
                .iter()
                .map(|(key, version)| format!("{} {}", key.as_str(), version.unwrap_or("-")))
                .collect(),
            open_findings: summary.open.iter().map(|fix| fix.finding.id.0).collect(),
            summary: counts.to_string(),
        }
    }
}

/// A file of an evidence item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceFileDto {
    /// Its name as uploaded.
    pub name: String,
    /// Its SHA-256 (hex), which the item's digest covers and the download is checked against.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: i64,
    /// Where to download it (always as an attachment, never rendered).
    pub download: String,
}

/// Where an evidence file is downloaded.
pub fn evidence_file_url(evidence: i64, name: &str) -> String {
    format!("/api/v1/evidence/{evidence}/files/{}", encode_segment(name))
}

/// Percent-encodes a path segment: everything but RFC 3986's unreserved characters.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An impact assessment's answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImpactDto {
    /// Whether the change affects the device's safety or essential performance.
    pub safety_and_essential_performance_affected: bool,
    /// The verification re-run (test protocols, suites, reports), one reference each.
    #[serde(default)]
    pub verification_rerun: Vec<String>,
    /// `letter_to_file` or `new_submission`.
    pub regulatory_path: String,
    /// For a new submission, its clearance once granted (a 510(k) number).
    #[serde(default)]
    pub clearance: Option<String>,
    /// Why, in words (at least the policy's `rationale.min_chars`).
    pub rationale: String,
}

impl From<&aftercare_patch::ImpactAnswers> for ImpactDto {
    fn from(answers: &aftercare_patch::ImpactAnswers) -> ImpactDto {
        ImpactDto {
            safety_and_essential_performance_affected: answers
                .safety_and_essential_performance_affected,
            verification_rerun: answers.verification_rerun.clone(),
            regulatory_path: answers.regulatory_path.as_str().to_string(),
            clearance: answers.clearance.clone(),
            rationale: answers.rationale.clone(),
        }
    }
}

/// A verification or validation evidence item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceDto {
    /// The id.
    pub id: i64,
    /// `verification`, `validation`, `regression`, `security_test` or `impact_assessment`.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// `pass`, `fail` or `deviation`.
    pub result: String,
    /// Who executed it.
    pub executed_by: Vec<String>,
    /// The day it was executed.
    pub executed_on: String,
    /// The impact assessment's answers (that kind only).
    pub impact: Option<ImpactDto>,
    /// The item it corrects.
    pub supersedes: Option<i64>,
    /// The item that corrects it, when one does: then it no longer counts.
    pub superseded_by: Option<i64>,
    /// Whether it counts (no item supersedes it).
    pub current: bool,
    /// The SHA-256 of its canonical content (covering its files' digests).
    pub digest: String,
    /// Its files.
    pub files: Vec<EvidenceFileDto>,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: String,
}

impl EvidenceDto {
    fn new(
        row: &aftercare_store::patch::EvidenceRow,
        item: Option<&aftercare_patch::Evidence>,
        superseded_by: Option<i64>,
    ) -> EvidenceDto {
        EvidenceDto {
            id: row.id,
            kind: row.kind.clone(),
            title: row.title.clone(),
            result: row.result.clone(),
            executed_by: serde_json::from_str(&row.executed_by).unwrap_or_default(),
            executed_on: row.executed_on.clone(),
            impact: item
                .and_then(|item| item.content.impact.as_ref())
                .map(|impact| ImpactDto::from(impact.answers())),
            supersedes: row.supersedes,
            superseded_by,
            current: superseded_by.is_none(),
            digest: row.digest.clone(),
            files: row
                .files
                .iter()
                .map(|file| EvidenceFileDto {
                    name: file.name.clone(),
                    sha256: file.sha256.clone(),
                    bytes: file.size,
                    download: evidence_file_url(row.id, &file.name),
                })
                .collect(),
            recorded_by: row.actor.clone(),
            recorded_at: row.created_at.clone(),
        }
    }

    /// Every evidence item of a patch release, oldest first, each marked current or
    /// superseded.
    pub fn list(state: &aftercare_service::patch::release::PatchState) -> Vec<EvidenceDto> {
        state
            .evidence_rows
            .iter()
            .map(|row| {
                let item = state.evidence.iter().find(|item| item.id.0 == row.id);
                let superseded_by = state
                    .evidence_rows
                    .iter()
                    .find(|other| other.supersedes == Some(row.id))
                    .map(|other| other.id);
                EvidenceDto::new(row, item, superseded_by)
            })
            .collect()
    }
}

/// A file sent with new evidence or a distribution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadDto {
    /// Its name.
    pub name: String,
    /// Its bytes, base64 (standard alphabet, with padding).
    pub content_base64: String,
}

/// New verification or validation evidence (`POST …/evidence`). Files travel as base64;
/// each is size-limited by the policy (`patch.evidence.max_file_bytes`) and the request by
/// the server's upload limit (413 above it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewEvidenceDto {
    /// `verification`, `validation`, `regression`, `security_test` or `impact_assessment`.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// `pass`, `fail` or `deviation`.
    pub result: String,
    /// Who executed it (logins or names; at least one).
    #[serde(default)]
    pub executed_by: Vec<String>,
    /// The day it was executed (`YYYY-MM-DD`, not after today).
    pub executed_on: String,
    /// Its files.
    #[serde(default)]
    pub files: Vec<UploadDto>,
    /// An impact assessment's answers (that kind only, and required for it).
    #[serde(default)]
    pub impact: Option<ImpactDto>,
    /// The item it corrects (which then no longer counts; both stay).
    #[serde(default)]
    pub supersedes: Option<i64>,
}

/// What recording evidence did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceAddedDto {
    /// The new item's id.
    pub evidence: i64,
    /// The patch release as it is now (an approval that no longer matches says so).
    pub patch: PatchDto,
}

/// A decision about a patch release, in recorded order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PatchDecisionDto {
    /// `approved`, `rejected` or `revoked`.
    pub kind: String,
    /// The SHA-256 of what an approval signed.
    pub digest: Option<String>,
    /// Who decided.
    pub decided_by: String,
    /// Why (a rejection's or revocation's reason, an approval's comment).
    pub reason: Option<String>,
    /// When.
    pub at: String,
}

impl From<&aftercare_store::patch::PatchDecisionRow> for PatchDecisionDto {
    fn from(row: &aftercare_store::patch::PatchDecisionRow) -> PatchDecisionDto {
        PatchDecisionDto {
            kind: row.kind.clone(),
            digest: row.digest.clone(),
            decided_by: row.decided_by.clone(),
            reason: row.reason.clone(),
            at: row.at.clone(),
        }
    }
}

/// A recorded distribution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DistributionDto {
    /// The id.
    pub id: i64,
    /// `field_service`, `customer_download` or `ota`.
    pub channel: String,
    /// The day the patch was made available.
    pub on: String,
    /// The organisation it went to.
    pub organisation: Option<String>,
    /// Whether a file was kept as its evidence.
    pub has_evidence_file: bool,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: String,
}

impl From<&aftercare_store::patch::DistributionRow> for DistributionDto {
    fn from(row: &aftercare_store::patch::DistributionRow) -> DistributionDto {
        DistributionDto {
            id: row.id,
            channel: row.channel.clone(),
            on: row.distributed_on.clone(),
            organisation: row.organisation.clone(),
            has_evidence_file: row.document_id.is_some(),
            recorded_by: row.actor.clone(),
            recorded_at: row.created_at.clone(),
        }
    }
}

/// The approval that clears a distribution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClearanceDto {
    /// Who signed it.
    pub signer: String,
    /// When (RFC 3339, UTC).
    pub approved_at: String,
    /// The SHA-256 of what it signed.
    pub approval_sha256: String,
}

/// What the gate (`aftercare_patch::may_distribute`) says now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GateDto {
    /// Whether a distribution may be recorded now.
    pub cleared: bool,
    /// The approval that clears it.
    pub clearance: Option<ClearanceDto>,
    /// Every reason it is refused, in words.
    pub refusal: Option<String>,
}

impl GateDto {
    /// The gate's answer on the wire.
    pub fn new(gate: &Result<aftercare_patch::Clearance, String>) -> GateDto {
        match gate {
            Ok(clearance) => GateDto {
                cleared: true,
                clearance: Some(ClearanceDto {
                    signer: clearance.signer().to_string(),
                    approved_at: aftercare_store::timestamp_text(clearance.approved_at()),
                    approval_sha256: clearance.approval_digest().to_hex(),
                }),
                refusal: None,
            },
            Err(why) => GateDto {
                cleared: false,
                clearance: None,
                refusal: Some(why.clone()),
            },
        }
    }
}

/// A patch release: the plans it serves, the fix evidence of their findings, its evidence,
/// the decisions about it with their signatures, what the gate says, and its distributions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PatchDto {
    /// The release's id.
    pub release_id: i64,
    /// The product.
    pub product: String,
    /// The patch release's version.
    pub version: String,
    /// The SHA-256 of its SBOM document, when it has one.
    pub sbom_sha256: Option<String>,
    /// Whether its SBOM was matched (fix evidence needs the match result).
    pub sbom_matched: bool,
    /// The plans it serves.
    pub plans: Vec<PlanSummaryDto>,
    /// The fix evidence of every finding of those plans, by finding id.
    pub fixes: Vec<FixDto>,
    /// The same, summed by vulnerability (what a plan of thousands of findings is read by).
    pub by_vulnerability: Vec<VulnerabilityFixDto>,
    /// Every evidence item, oldest first, superseded ones marked.
    pub evidence: Vec<EvidenceDto>,
    /// The evidence kinds the policy requires of this patch.
    pub required_evidence: Vec<String>,
    /// The required kinds no current item gives.
    pub missing_evidence: Vec<String>,
    /// The decisions about it, in recorded order.
    pub decisions: Vec<PatchDecisionDto>,
    /// `none` (never approved), `matching` (the latest approval still matches the patch as it
    /// is) or `no_longer_matching` (evidence, SBOM or fix evidence changed since: sign again).
    pub approval: String,
    /// The approvals' signatures, with the manifestation of 21 CFR 11.50; `state` is
    /// `content-changed` when the patch changed after signing.
    pub approvals: Vec<SignatureDto>,
    /// What the gate says now.
    pub gate: GateDto,
    /// Its distributions.
    pub distributions: Vec<DistributionDto>,
}

impl PatchDto {
    /// The wire form of a patch release, its approvals' signatures
    /// (`aftercare_service::patch::release::approvals`) and the gate's answer
    /// (`PatchState::gate`, its refusal in words).
    pub fn new(
        state: &aftercare_service::patch::release::PatchState,
        approvals: &[aftercare_service::access::signature::SignatureView],
        gate: &Result<aftercare_patch::Clearance, String>,
    ) -> PatchDto {
        let current: BTreeSet<i64> = aftercare_patch::current_evidence(&state.evidence)
            .iter()
            .map(|item| item.id.0)
            .collect();
        let present: BTreeSet<aftercare_patch::EvidenceKind> = state
            .evidence
            .iter()
            .filter(|item| current.contains(&item.id.0))
            .map(|item| item.content.kind)
            .collect();
        PatchDto {
            release_id: state.release.id,
            product: state.release.product_name.clone(),
            version: state.release.version.clone(),
            sbom_sha256: state.sbom.map(|(digest, _)| digest.to_hex()),
            sbom_matched: state.sbom.is_some_and(|(_, matched)| matched),
            plans: state.plans.iter().map(PlanSummaryDto::from).collect(),
            fixes: state
                .fixes
                .iter()
                .map(|fix| FixDto::new(fix, &state.finding_rows))
                .collect(),
            by_vulnerability: {
                let mut releases: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
                for row in state.finding_rows.values() {
                    releases
                        .entry(row.vulnerability.as_str())
                        .or_default()
                        .insert(row.release.as_str());
                }
                aftercare_patch::fixes_by_vulnerability(&state.fixes)
                    .iter()
                    .map(|summary| {
                        let count = releases
                            .get(summary.vulnerability.as_str())
                            .map_or(0, BTreeSet::len);
                        VulnerabilityFixDto::new(summary, count)
                    })
                    .collect()
            },
            evidence: EvidenceDto::list(state),
            required_evidence: state
                .required
                .iter()
                .map(|kind| kind.as_str().to_string())
                .collect(),
            missing_evidence: state
                .required
                .iter()
                .filter(|kind| !present.contains(kind))
                .map(|kind| kind.as_str().to_string())
                .collect(),
            decisions: state
                .decision_rows
                .iter()
                .map(PatchDecisionDto::from)
                .collect(),
            approval: match state.approval_matches() {
                None => "none",
                Some(true) => "matching",
                Some(false) => "no_longer_matching",
            }
            .to_string(),
            approvals: approvals.iter().map(SignatureDto::from).collect(),
            gate: GateDto::new(gate),
            distributions: state
                .distributions
                .iter()
                .map(DistributionDto::from)
                .collect(),
        }
    }
}

/// Approving a patch release for distribution (`POST …/approve`): a Part 11 signature by a
/// person in a session (an API token never signs).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApproveDto {
    /// The electronic signature; its meaning is usually `approval`.
    pub signature: SignDto,
}

/// Rejecting or revoking a patch release (`POST …/reject`, `…/revoke`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionDto {
    /// Why (at least the policy's `rationale.min_chars`).
    pub reason: String,
}

/// A distribution as a person records it (`POST …/distribute`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewDistributionDto {
    /// `field_service`, `customer_download` or `ota`.
    pub channel: String,
    /// The day the patch was made available (`YYYY-MM-DD`, not after today).
    pub on: String,
    /// The organisation it went to, if one.
    #[serde(default)]
    pub organisation: Option<String>,
    /// A file as evidence of it (a field-service report, a download log).
    #[serde(default)]
    pub evidence_file: Option<UploadDto>,
}

/// The remediation clock of a case, as the chain measures against it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChainClockDto {
    /// `remediation` (uncontrolled) or `regular_patch_cycle` (controlled).
    pub kind: String,
    /// Day N.
    pub deadline_day: String,
    /// The instant the deadline ends (RFC 3339, UTC).
    pub deadline_end: String,
    /// `open`, `met`, `missed` or `waived`.
    pub state: String,
    /// When it was met.
    pub satisfied_at: Option<String>,
}

/// One step of the chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChainStepDto {
    /// `finding`, `assessment`, `determination`, `plan`, `change_request`, `patch_release`,
    /// `fix_evidence`, `evidence`, `approval` or `distribution`.
    pub step: String,
    /// `done`, `pending`, `gap` (the chain is broken here) or `not_applicable`.
    pub status: String,
    /// When (RFC 3339), when known.
    pub at: Option<String>,
    /// What it is, in a sentence.
    pub detail: String,
    /// Against the remediation clock: `within` or `after` its deadline; for the
    /// distribution, the clock's state (`met`, `missed`, `open`); absent without a clock or a
    /// time.
    pub clock: Option<String>,
}

/// The chain of one vulnerability.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChainLinkDto {
    /// The vulnerability.
    pub vulnerability: String,
    /// The case's remediation clock, when one runs.
    pub clock: Option<ChainClockDto>,
    /// The steps, in the chain's order.
    pub steps: Vec<ChainStepDto>,
}

/// A patch release and, per vulnerability it remediates, the chain an auditor asks for:
/// finding → assessment → determination → plan → change request → patch release → fix
/// evidence → V&V evidence → approval → distribution, each step with its time and how that
/// stands against the remediation clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChainDto {
    /// The patch release.
    pub patch: PatchDto,
    /// One chain per vulnerability, by id.
    pub links: Vec<ChainLinkDto>,
}

impl From<&aftercare_service::patch::chain::Chain> for ChainDto {
    fn from(chain: &aftercare_service::patch::chain::Chain) -> ChainDto {
        ChainDto {
            patch: PatchDto::new(&chain.patch, &chain.approvals, &chain.gate),
            links: chain
                .links
                .iter()
                .map(|link| ChainLinkDto {
                    vulnerability: link.vulnerability.clone(),
                    clock: link.clock.as_ref().map(|clock| ChainClockDto {
                        kind: clock.kind.as_str().to_string(),
                        deadline_day: clock.deadline_day.clone(),
                        deadline_end: clock.deadline_end.clone(),
                        state: clock.state.as_str().to_string(),
                        satisfied_at: clock.satisfied_at.clone(),
                    }),
                    steps: link
                        .steps
                        .iter()
                        .map(|step| ChainStepDto {
                            step: step.step.to_string(),
                            status: step.status.as_str().to_string(),
                            at: step.at.clone(),
                            detail: step.detail.clone(),
                            clock: step.clock.map(str::to_string),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_url_encodes_the_file_name_as_one_segment() {
        for (name, expected) in [
            ("report.pdf", "/api/v1/evidence/7/files/report.pdf"),
            ("a b/c?.txt", "/api/v1/evidence/7/files/a%20b%2Fc%3F.txt"),
            ("ünï.log", "/api/v1/evidence/7/files/%C3%BCn%C3%AF.log"),
        ] {
            assert_eq!(evidence_file_url(7, name), expected, "{name}");
        }
    }

    #[test]
    fn a_plan_control_reads_both_sources() {
        let determination = serde_json::json!({"description": "firewall", "evidence": "TR-1",
            "effective": true, "verified_by": "Ada (ada)", "vulnerability": "CVE-2021-23337",
            "source": "determination"});
        let own = serde_json::json!({"description": "disable remote", "evidence": "SOP-9",
            "source": "plan"});
        let read = PlanControlDto::from_json(&determination);
        assert_eq!(
            (
                read.source.as_str(),
                read.vulnerability.as_deref(),
                read.effective
            ),
            ("determination", Some("CVE-2021-23337"), Some(true))
        );
        let read = PlanControlDto::from_json(&own);
        assert_eq!(
            (
                read.source.as_str(),
                read.description.as_str(),
                read.effective
            ),
            ("plan", "disable remote", None)
        );
    }
}
