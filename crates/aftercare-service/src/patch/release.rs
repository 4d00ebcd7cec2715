//! Patch releases: a release attached to the remediation plans it serves, its fix evidence
//! (computed from its own match result), its verification and validation evidence (never
//! edited; a correction supersedes), the decisions about it (a signed approval binding the
//! SBOM, the fix evidence and every evidence item; a rejection; a revocation), its
//! distributions as the gate allows them, and the chain from finding to distribution.

use aftercare_model::{Permission, Sha256};
use aftercare_patch::evidence::EvidenceKind;
use aftercare_patch::impact::{ImpactAnswers, ImpactAssessment};
use aftercare_patch::plan::{ApprovalLoss, PlanEvent, PlanState};
use aftercare_patch::{
    Clearance, Evidence, EvidenceContent, EvidenceFile, EvidenceId, FindingFix, PatchDecision,
    PatchRelease, PatchSbom, approval_matches, check_approval, may_distribute, plan_fixes,
    required_evidence,
};
use aftercare_store::patch::{
    self as stored, DistributionRow, EvidenceRow, PatchDecisionRow, PlanRow,
};
use aftercare_store::release::ReleaseRow;
use aftercare_store::timestamp_text;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};

use super::plan as plans;
use crate::access::auth::Principal;
use crate::access::signature::{self, SignRequest, Signable, SignatureView};
use crate::audit::{self, AuditAction, Change};
use crate::triage::policy;
use crate::{Context, ServiceError, Workspace};

/// Everything the rules read of a patch release.
#[derive(Debug, Clone)]
pub struct PatchState {
    /// The release.
    pub release: ReleaseRow,
    /// The plans it serves.
    pub plans: Vec<PlanRow>,
    /// The fix evidence of every finding of those plans, by finding id.
    pub fixes: Vec<FindingFix>,
    /// Every evidence item (superseded ones included), oldest first, as stored.
    pub evidence_rows: Vec<EvidenceRow>,
    /// The same, as the rules read them.
    pub evidence: Vec<Evidence>,
    /// The decisions about it, in order, as stored.
    pub decision_rows: Vec<PatchDecisionRow>,
    /// The same, as the gate reads them.
    pub decisions: Vec<PatchDecision>,
    /// Its distributions.
    pub distributions: Vec<DistributionRow>,
    /// The SBOM's digest, when it has one; whether it was matched.
    pub sbom: Option<(Sha256, bool)>,
    /// The evidence kinds the policy requires of it.
    pub required: Vec<EvidenceKind>,
    /// The findings its plans name, as stored, by id.
    pub finding_rows: std::collections::BTreeMap<i64, aftercare_store::patch::FixFindingRow>,
    /// The findings each plan names, by plan id.
    pub plan_members: std::collections::BTreeMap<i64, Vec<i64>>,
    /// The components and open findings of the release, as the fix evidence reads them.
    components: Vec<aftercare_patch::PatchComponent>,
    release_findings: Vec<aftercare_patch::PatchReleaseFinding>,
}

impl PatchState {
    /// What the patch release is, as the binding and the gate read it.
    pub fn as_release(&self) -> PatchRelease<'_> {
        PatchRelease {
            product: &self.release.product_name,
            version: &self.release.version,
            sbom: self.sbom(),
            fixes: &self.fixes,
            evidence: &self.evidence,
        }
    }

    fn sbom(&self) -> PatchSbom<'_> {
        match self.sbom {
            None => PatchSbom::Missing,
            Some((digest, false)) => PatchSbom::NotMatched { digest },
            Some((digest, true)) => PatchSbom::Matched {
                digest,
                components: &self.components,
                findings: &self.release_findings,
            },
        }
    }

    /// Whether the latest approval still matches the patch as it is now (`None`: not approved).
    pub fn approval_matches(&self) -> Option<bool> {
        let digest = self
            .decisions
            .iter()
            .rev()
            .find_map(|decision| match decision {
                PatchDecision::Approved { digest, .. } => Some(*digest),
                _ => None,
            })?;
        Some(approval_matches(digest, &self.as_release()))
    }

    /// What the gate says now.
    pub fn gate(&self, at: Timestamp) -> Result<Clearance, aftercare_patch::PatchError> {
        may_distribute(&self.decisions, &self.as_release(), at)
    }
}

/// Reads a patch release's state (the release must be a patch: attached to a plan).
pub async fn state(
    workspace: &Workspace,
    product: &str,
    version: &str,
) -> Result<PatchState, ServiceError> {
    let release = crate::inventory::release(workspace, product, version).await?;
    state_of(workspace, release).await
}

pub(crate) async fn state_of(
    workspace: &Workspace,
    release: ReleaseRow,
) -> Result<PatchState, ServiceError> {
    let pool = workspace.store().pool();
    if !stored::is_patch(pool, release.id).await? {
        return Err(ServiceError::invalid(
            "release",
            format!(
                "{} {} is not a patch release: attach it to a plan first (patch attach, or release add --patch-for)",
                release.product_name, release.version
            ),
        ));
    }
    let plan_ids = stored::plans_of_patch(pool, release.id).await?;
    let mut plan_rows = Vec::with_capacity(plan_ids.len());
    for id in &plan_ids {
        plan_rows.push(plans::plan(workspace, *id).await?);
    }
    let finding_rows = super::findings_of_plans(workspace, &plan_ids).await?;
    let plan_findings = super::plan_findings(&finding_rows)?;
    let sbom = match crate::inventory::release_sbom(workspace, &release).await? {
        Some(row) => {
            let digest = row
                .sha256
                .parse::<Sha256>()
                .map_err(|error| super::corrupt("sbom", row.id, error))?;
            let matched = aftercare_store::sbom::matched_at(pool, release.id)
                .await?
                .is_some();
            Some((digest, matched))
        }
        None => None,
    };
    let components: Vec<_> = stored::release_components(pool, release.id)
        .await?
        .iter()
        .filter_map(super::patch_component)
        .collect();
    let release_findings =
        super::fix_findings(workspace, stored::FixSelection::OpenOfRelease(release.id))
            .await?
            .iter()
            .map(super::release_finding)
            .collect::<Result<Vec<_>, _>>()?;
    let evidence_rows = stored::evidence_of(pool, release.id).await?;
    let evidence = evidence_rows
        .iter()
        .map(super::evidence)
        .collect::<Result<Vec<_>, _>>()?;
    let decision_rows = stored::decisions(pool, release.id).await?;
    let decisions = decision_rows
        .iter()
        .map(super::decision)
        .collect::<Result<Vec<_>, _>>()?;
    let distributions = stored::distributions(pool, release.id).await?;
    let current = policy::current(workspace).await?;
    let mut plan_members = std::collections::BTreeMap::new();
    for plan in &plan_rows {
        plan_members.insert(plan.id, stored::plan_findings(pool, plan.id).await?);
    }
    let facts = plans::facts(
        workspace,
        release.product_id,
        &finding_rows
            .iter()
            .map(plans::FindingFacts::from)
            .collect::<Vec<_>>(),
    )
    .await?;
    let finding_rows: std::collections::BTreeMap<i64, _> =
        finding_rows.into_iter().map(|row| (row.id, row)).collect();
    let required = required_evidence(&current.policy, &facts);
    let mut state = PatchState {
        release,
        plans: plan_rows,
        fixes: Vec::new(),
        evidence_rows,
        evidence,
        decision_rows,
        decisions,
        distributions,
        sbom,
        required,
        finding_rows,
        plan_members,
        components,
        release_findings,
    };
    state.fixes = plan_fixes(&current.policy, &plan_findings, &state.sbom());
    Ok(state)
}

/// Attaches a release as the patch of remediation plans (permission `patch.manage`): each plan
/// must be of the release's product and still open to a patch, and the release must be newer
/// than every release whose findings the plan names (a patch is not older than what it fixes).
pub async fn attach(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    version: &str,
    plan_ids: &[i64],
) -> Result<PatchState, ServiceError> {
    principal.require(Permission::PatchManage)?;
    if plan_ids.is_empty() {
        return Err(ServiceError::invalid(
            "plan",
            "name the plan the patch serves",
        ));
    }
    let release = crate::inventory::release(workspace, product, version).await?;
    let pool = workspace.store().pool();
    check_attach(
        workspace,
        (release.product_id, &release.product_name),
        &release.version,
        plan_ids,
    )
    .await?;
    let at = timestamp_text(context.now);
    let mut tx = workspace.store().begin().await?;
    stored::ensure_patch(&mut tx, release.id, &at).await?;
    for id in plan_ids {
        if stored::plans_of_patch(pool, release.id).await?.contains(id) {
            continue;
        }
        stored::attach(&mut tx, release.id, *id).await?;
        plans::transition(
            &mut tx,
            context,
            *id,
            &PlanEvent::PatchAttached,
            json!({"release": release.id, "version": release.version}),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::PatchAttach,
            entity_type: "release",
            entity_id: Some(release.id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "product": release.product_name,
                "version": release.version,
                "plans": plan_ids,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    state_of(workspace, release).await
}

/// Checks that a release of a product may be attached as the patch of some plans: each plan
/// is of the product and still open to a patch, and the version is newer than every release
/// whose findings the plan names (a patch is not older than what it fixes). Called before a
/// patch release is imported, so that a refused one leaves nothing behind.
pub async fn check_attach(
    workspace: &Workspace,
    (product_id, product): (i64, &str),
    version: &str,
    plan_ids: &[i64],
) -> Result<(), ServiceError> {
    if plan_ids.is_empty() {
        return Err(ServiceError::invalid(
            "plan",
            "name the plan the patch serves",
        ));
    }
    for id in plan_ids {
        let plan = plans::plan(workspace, *id).await?;
        if plan.product_id != product_id {
            return Err(ServiceError::invalid(
                "plan",
                format!("plan {id} remediates {}, not {product}", plan.product),
            ));
        }
        aftercare_patch::next_state(plans::state_of(&plan)?, &PlanEvent::PatchAttached)
            .map_err(|error| ServiceError::rule("plan", error))?;
        // Each fielded release once, with one of its findings to name.
        let mut fielded: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
        for finding in super::findings_of_plans(workspace, &[*id]).await? {
            fielded.entry(finding.release_id).or_insert(finding.id);
        }
        for (release_id, finding) in fielded {
            let fielded = crate::inventory::release_by_id(workspace, release_id).await?;
            if !newer(version, &fielded.version) {
                return Err(ServiceError::invalid(
                    "release",
                    format!(
                        "{product} {version} is not newer than {product} {}, whose finding {finding} plan {id} remediates: a patch comes after the release it fixes",
                        fielded.version
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Whether one version is newer than another, in the generic scheme (dotted numbers with
/// qualifiers), which product versions follow.
fn newer(candidate: &str, than: &str) -> bool {
    let scheme = aftercare_version::Scheme::Generic;
    match (
        aftercare_version::parse(scheme, candidate),
        aftercare_version::parse(scheme, than),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => candidate != than,
    }
}

/// A file of new evidence.
#[derive(Debug, Clone)]
pub struct EvidenceUpload {
    /// Its name.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// New evidence as a person records it.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    /// `verification`, `validation`, `regression`, `security_test` or `impact_assessment`.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// `pass`, `fail` or `deviation`.
    pub result: String,
    /// Who executed it (logins or names).
    pub executed_by: Vec<String>,
    /// The day it was executed.
    pub executed_on: Date,
    /// Its files.
    pub files: Vec<EvidenceUpload>,
    /// An impact assessment's answers (only for that kind).
    pub impact: Option<ImpactAnswers>,
    /// The item it corrects.
    pub supersedes: Option<i64>,
}

/// Records verification or validation evidence for a patch release (permission
/// `patch.manage`): files stored by SHA-256 in the database, size-limited by the policy,
/// never edited; a correction supersedes. An approval that no longer matches afterwards takes
/// its plans back to `patch_built`, in the same transaction.
pub async fn add_evidence(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    version: &str,
    new: &NewEvidence,
) -> Result<(i64, PatchState), ServiceError> {
    principal.require(Permission::PatchManage)?;
    let before = state(workspace, product, version).await?;
    let current = policy::current(workspace).await?;
    let rule = |error| ServiceError::rule("evidence", error);
    let impact = match &new.impact {
        Some(answers) => {
            Some(ImpactAssessment::new(&current.policy, answers.clone()).map_err(rule)?)
        }
        None => None,
    };
    let files: Vec<EvidenceFile> = new
        .files
        .iter()
        .map(|file| EvidenceFile {
            name: file.name.clone(),
            sha256: Sha256::of(&file.bytes),
            bytes: u64::try_from(file.bytes.len()).unwrap_or(u64::MAX),
        })
        .collect();
    let content = EvidenceContent {
        kind: new
            .kind
            .trim()
            .parse()
            .map_err(|error| ServiceError::rule("kind", error))?,
        title: new.title.trim().to_string(),
        result: new.result.trim().parse().map_err(rule)?,
        executed_by: new
            .executed_by
            .iter()
            .map(|p| p.trim().to_string())
            .collect(),
        executed_on: new.executed_on,
        files,
        impact,
        supersedes: new.supersedes.map(EvidenceId),
    };
    let today = current.policy.calendar().day_of(context.now);
    content
        .check(&current.policy, &before.evidence, today)
        .map_err(rule)?;
    let detail = json!({"impact": content.impact.as_ref().map(|i| impact_json(i.answers()))});
    let row = EvidenceRow {
        id: 0,
        release_id: before.release.id,
        kind: content.kind.as_str().to_string(),
        title: content.title.clone(),
        result: content.result.as_str().to_string(),
        executed_by: json!(content.executors()).to_string(),
        executed_on: content.executed_on.to_string(),
        detail: detail.to_string(),
        supersedes: new.supersedes,
        digest: content.digest().to_hex(),
        actor: context.actor.to_string(),
        created_at: String::new(),
        files: Vec::new(),
    };
    let at = timestamp_text(context.now);
    let mut tx = workspace.store().begin().await?;
    let id = stored::insert_evidence(&mut tx, &row, &at).await?;
    for file in &new.files {
        let document =
            aftercare_store::document::put(&mut tx, "evidence", Some(&file.name), &file.bytes, &at)
                .await?;
        stored::add_evidence_file(&mut tx, id, document.id, &file.name).await?;
    }
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::PatchEvidenceAdd,
            entity_type: "evidence",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "release": before.release.id,
                "kind": row.kind,
                "title": row.title,
                "result": row.result,
                "executed_by": content.executors(),
                "executed_on": row.executed_on,
                "supersedes": row.supersedes,
                "digest": row.digest,
                "files": content.files.iter().map(|f| json!({"name": f.name, "sha256": f.sha256.to_hex(), "bytes": f.bytes})).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    lose_approval_if_changed(&mut tx, context, &before, id).await?;
    tx.commit().await?;
    let after = state(workspace, product, version).await?;
    Ok((id, after))
}

/// When a patch's approval matched before a change and the change is to its evidence, its
/// approved plans go back to `patch_built` (the approval no longer matching is computed from
/// the binding at every read; this records what it did to the plans).
async fn lose_approval_if_changed(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    before: &PatchState,
    evidence_id: i64,
) -> Result<(), ServiceError> {
    if before.approval_matches() != Some(true) {
        return Ok(());
    }
    for plan in &before.plans {
        if plans::state_of(plan)? == PlanState::Approved {
            plans::transition(
                tx,
                context,
                plan.id,
                &PlanEvent::ApprovalLost(ApprovalLoss::NoLongerMatching),
                json!({"release": before.release.id, "evidence": evidence_id}),
            )
            .await?;
        }
    }
    Ok(())
}

/// The patch release an evidence item belongs to, as its state (the item is among
/// `evidence_rows`).
pub async fn state_of_evidence(
    workspace: &Workspace,
    evidence_id: i64,
) -> Result<PatchState, ServiceError> {
    let release_id = stored::evidence_release(workspace.store().pool(), evidence_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "evidence",
            key: evidence_id.to_string(),
        })?;
    let release = crate::inventory::release_by_id(workspace, release_id).await?;
    state_of(workspace, release).await
}

/// An evidence file's bytes, checked against the digest recorded with it.
pub async fn evidence_file(
    workspace: &Workspace,
    evidence_id: i64,
    name: &str,
) -> Result<(String, Vec<u8>), ServiceError> {
    let pool = workspace.store().pool();
    let release_id = stored::evidence_release(pool, evidence_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "evidence",
            key: evidence_id.to_string(),
        })?;
    let item = stored::evidence_of(pool, release_id)
        .await?
        .into_iter()
        .find(|item| item.id == evidence_id)
        .ok_or_else(|| ServiceError::NotFound {
            entity: "evidence",
            key: evidence_id.to_string(),
        })?;
    let file = item
        .files
        .iter()
        .find(|file| file.name == name)
        .ok_or_else(|| ServiceError::NotFound {
            entity: "evidence file",
            key: format!("{evidence_id}/{name}"),
        })?;
    let document = aftercare_store::document::get(pool, file.document_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "document",
            key: file.document_id.to_string(),
        })?;
    if Sha256::of(&document.content).to_hex() != file.sha256 {
        return Err(super::corrupt(
            "document",
            file.document_id,
            "its bytes no longer give the SHA-256 recorded with them",
        ));
    }
    Ok((file.name.clone(), document.content))
}

/// Approves a patch release for distribution (permission `patch.approve`): a Part 11
/// signature by a person, bound to the patch's SBOM digest, its fix evidence and every
/// evidence item. Refused, with every reason and nothing written, when a required evidence
/// kind is missing or not passed, a finding of its plans is not fixed, or the signer is the only
/// executor of the validation evidence; a refused signature is audited.
pub async fn approve(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    version: &str,
    sign: &SignRequest,
) -> Result<PatchState, ServiceError> {
    let before = state(workspace, product, version).await?;
    let entity_id = before.release.id.to_string();
    if let Err(error) = principal.require(Permission::PatchApprove) {
        signature::record_refusal(
            workspace,
            context,
            principal,
            "patch",
            &entity_id,
            &error.to_string(),
        )
        .await?;
        return Err(error);
    }
    if matches!(principal.via, crate::access::auth::Via::Token { .. }) {
        let reason = "only people sign: API tokens cannot sign, log in with a session";
        signature::record_refusal(workspace, context, principal, "patch", &entity_id, reason)
            .await?;
        return Err(ServiceError::SignatureRefused {
            reason: reason.into(),
        });
    }
    let current = policy::current(workspace).await?;
    let binding = match check_approval(
        &current.policy,
        &before.required,
        &before.as_release(),
        &principal.login,
    ) {
        Ok(binding) => binding,
        Err(error) => {
            signature::record_refusal(
                workspace,
                context,
                principal,
                "patch",
                &entity_id,
                &error.to_string(),
            )
            .await?;
            return Err(ServiceError::rule("approval", error));
        }
    };
    let content = binding.canonical().to_string();
    let signable = Signable {
        entity_type: "patch",
        entity_id: before.release.id.to_string(),
        content: content.as_bytes(),
        author_account_id: None,
    };
    let signer =
        signature::verify_signer(workspace, context, principal, &signable, sign, context.now)
            .await?;
    let at = timestamp_text(context.now);
    let mut tx = workspace.store().begin().await?;
    stored::insert_decision(
        &mut tx,
        &PatchDecisionRow {
            id: 0,
            release_id: before.release.id,
            kind: "approved".into(),
            digest: Some(binding.digest().to_hex()),
            decided_by: principal.login.clone(),
            reason: sign.reason.clone(),
            at,
        },
    )
    .await?;
    signature::record(&mut tx, context, &signer, &signable).await?;
    for plan in &before.plans {
        if plans::state_of(plan)? == PlanState::PatchBuilt {
            plans::transition(
                &mut tx,
                context,
                plan.id,
                &PlanEvent::PatchApproved,
                json!({"release": before.release.id}),
            )
            .await?;
        }
    }
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::PatchApprove,
            entity_type: "release",
            entity_id: Some(before.release.id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "product": before.release.product_name,
                "version": before.release.version,
                "digest": binding.digest().to_hex(),
                "signer": signer.printed_name(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    state(workspace, product, version).await
}

/// Rejects (`revoke = false`) or revokes (recalls) a patch release with a reason (permission
/// `patch.approve`); its approved plans go back to `patch_built`. A revoked patch never passes
/// the gate again.
pub async fn decide_against(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    version: &str,
    reason: &str,
    revoke: bool,
) -> Result<PatchState, ServiceError> {
    principal.require(Permission::PatchApprove)?;
    let before = state(workspace, product, version).await?;
    let current = policy::current(workspace).await?;
    let reason = aftercare_patch::plan::check_rationale(&current.policy, "the reason", reason)
        .map_err(|error| ServiceError::rule("reason", error))?;
    let (kind, loss, action) = if revoke {
        ("revoked", ApprovalLoss::Revoked, AuditAction::PatchRevoke)
    } else {
        ("rejected", ApprovalLoss::Rejected, AuditAction::PatchReject)
    };
    let at = timestamp_text(context.now);
    let mut tx = workspace.store().begin().await?;
    stored::insert_decision(
        &mut tx,
        &PatchDecisionRow {
            id: 0,
            release_id: before.release.id,
            kind: kind.into(),
            digest: None,
            decided_by: principal.login.clone(),
            reason: Some(reason.clone()),
            at,
        },
    )
    .await?;
    for plan in &before.plans {
        if plans::state_of(plan)? == PlanState::Approved {
            plans::transition(
                &mut tx,
                context,
                plan.id,
                &PlanEvent::ApprovalLost(loss),
                json!({"release": before.release.id, "reason": reason}),
            )
            .await?;
        }
    }
    audit::record(
        &mut tx,
        &context.clone().with_reason(Some(reason.clone())),
        Change {
            action,
            entity_type: "release",
            entity_id: Some(before.release.id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "product": before.release.product_name,
                "version": before.release.version,
                "decision": kind,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    state(workspace, product, version).await
}

/// A distribution as a person records it.
#[derive(Debug, Clone)]
pub struct NewDistribution {
    /// `field_service`, `customer_download` or `ota`.
    pub channel: String,
    /// The day the patch was made available.
    pub on: Date,
    /// The organisation it went to, if one.
    pub organisation: Option<String>,
    /// A file as evidence of it.
    pub evidence: Option<EvidenceUpload>,
}

/// The channels a patch is distributed through.
pub const CHANNELS: &[&str] = &["field_service", "customer_download", "ota"];

/// Records a distribution the gate allows, inside the caller's transaction (`flow::distribute`
/// also records the `fix_distributed` event of every case the plans cover, and moves the
/// plans). Returns the distribution's id and the instant it counts from.
pub(crate) async fn record_distribution(
    workspace: &Workspace,
    tx: &mut aftercare_store::Tx,
    context: &Context,
    state: &PatchState,
    new: &NewDistribution,
    at: Timestamp,
) -> Result<i64, ServiceError> {
    let document_id = match &new.evidence {
        Some(file) => {
            let current = policy::current(workspace).await?;
            aftercare_patch::check_file_size(
                &current.policy,
                &file.name,
                u64::try_from(file.bytes.len()).unwrap_or(u64::MAX),
            )
            .map_err(|error| ServiceError::rule("evidence", error))?;
            let now = timestamp_text(context.now);
            Some(
                aftercare_store::document::put(
                    tx,
                    "distribution",
                    Some(&file.name),
                    &file.bytes,
                    &now,
                )
                .await?
                .id,
            )
        }
        None => None,
    };
    let id = stored::insert_distribution(
        tx,
        &DistributionRow {
            id: 0,
            release_id: state.release.id,
            channel: new.channel.clone(),
            distributed_on: new.on.to_string(),
            organisation: new.organisation.clone(),
            document_id,
            actor: context.actor.to_string(),
            created_at: String::new(),
        },
        &timestamp_text(context.now),
    )
    .await?;
    for plan in &state.plans {
        let now = plans::state_of(plan)?;
        if matches!(now, PlanState::Approved | PlanState::Distributed) {
            plans::transition(
                tx,
                context,
                plan.id,
                &PlanEvent::Distributed,
                json!({"release": state.release.id, "distribution": id, "on": new.on.to_string()}),
            )
            .await?;
        }
    }
    audit::record(
        tx,
        context,
        Change {
            action: AuditAction::PatchDistribute,
            entity_type: "release",
            entity_id: Some(state.release.id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "product": state.release.product_name,
                "version": state.release.version,
                "distribution": id,
                "channel": new.channel,
                "on": new.on.to_string(),
                "at": timestamp_text(at),
                "organisation": new.organisation,
            })),
        },
    )
    .await?;
    Ok(id)
}

/// The signatures of a patch's approvals, each checked against the patch as it is now.
pub async fn approvals(
    workspace: &Workspace,
    state: &PatchState,
) -> Result<Vec<SignatureView>, ServiceError> {
    let content = aftercare_patch::approval_binding(&state.as_release())
        .canonical()
        .to_string();
    signature::signatures(
        workspace,
        "patch",
        &state.release.id.to_string(),
        content.as_bytes(),
    )
    .await
}

/// An impact assessment's answers as stored (JSON).
pub(crate) fn impact_json(answers: &ImpactAnswers) -> Value {
    json!({
        "safety_and_essential_performance_affected": answers.safety_and_essential_performance_affected,
        "verification_rerun": answers.verification_rerun,
        "regulatory_path": answers.regulatory_path.as_str(),
        "clearance": answers.clearance,
        "rationale": answers.rationale,
    })
}

/// An impact assessment read back from its stored answers.
pub(crate) fn impact_from_json(value: &Value) -> Result<ImpactAssessment, String> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    Ok(ImpactAssessment::stored(ImpactAnswers {
        safety_and_essential_performance_affected: value
            .get("safety_and_essential_performance_affected")
            .and_then(Value::as_bool)
            .ok_or("safety_and_essential_performance_affected is missing")?,
        verification_rerun: value
            .get("verification_rerun")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        regulatory_path: text("regulatory_path")
            .ok_or("regulatory_path is missing")?
            .parse()
            .map_err(|error: aftercare_patch::PatchError| error.to_string())?,
        clearance: text("clearance"),
        rationale: text("rationale").unwrap_or_default(),
    }))
}
