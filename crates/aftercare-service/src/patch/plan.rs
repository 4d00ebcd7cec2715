//! Remediation plans: which findings a fix will remediate (across the product's fielded
//! releases), the version it will ship in, its cycle (the policy decides which one it needs),
//! its owner, its change requests and problem reports (IEC 62304 §6, §9), interim
//! compensating controls, its due date from the product's clocks, and its state.

use std::collections::BTreeSet;

use aftercare_model::{Permission, Severity, VulnerabilityId};
use aftercare_patch::plan::{CancellationReason, PlanEvent, PlanState, next_state};
use aftercare_patch::{Cycle, CycleRequirement, VulnerabilityFacts, required_cycle};
use aftercare_risk::{ClockKind, ClockState, RiskClass};
use aftercare_store::finding::{self as findings, FindingRow};
use aftercare_store::patch::{self as stored, PlanEventRow, PlanRow};
use aftercare_store::timestamp_text;
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::audit::{self, AuditAction, Change};
use crate::triage::{case, policy};
use crate::{Context, ServiceError, Workspace};

/// A reference to a record of the quality system (a change request, a problem report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Its identifier there (`CR-2291`).
    pub reference: String,
    /// Where it lives, if given.
    pub url: Option<String>,
}

impl std::str::FromStr for Reference {
    type Err = ServiceError;

    /// `REF` or `REF=URL`.
    fn from_str(text: &str) -> Result<Reference, ServiceError> {
        let (reference, url) = match text.split_once('=') {
            Some((reference, url)) => (reference.trim(), Some(url.trim())),
            None => (text.trim(), None),
        };
        if reference.is_empty() {
            return Err(ServiceError::invalid(
                "reference",
                format!("{text:?}: expected REF or REF=URL"),
            ));
        }
        Ok(Reference {
            reference: reference.to_string(),
            url: url.filter(|u| !u.is_empty()).map(str::to_string),
        })
    }
}

fn references_json(list: &[Reference]) -> String {
    Value::Array(
        list.iter()
            .map(|r| json!({"reference": r.reference, "url": r.url}))
            .collect(),
    )
    .to_string()
}

/// A new interim compensating control a plan names, with where its evidence is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewControl {
    /// What it is.
    pub description: String,
    /// Where the evidence of it is.
    pub evidence: String,
}

/// A plan as a person asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewPlan {
    /// The product, by name or id.
    pub product: String,
    /// Vulnerabilities whose open findings in the product the plan remediates (any id).
    pub vulnerabilities: Vec<String>,
    /// Findings the plan remediates, by id (of the product).
    pub findings: Vec<i64>,
    /// The version the fix will ship in.
    pub target_version: String,
    /// `regular` or `out_of_cycle`.
    pub cycle: String,
    /// The written review that lets a plan take the regular cycle for a vulnerability without a
    /// determination yet.
    pub cycle_review: Option<String>,
    /// The owner's login.
    pub owner: String,
    /// Change requests.
    pub change_requests: Vec<Reference>,
    /// Problem reports.
    pub problem_reports: Vec<Reference>,
    /// New interim compensating controls.
    pub controls: Vec<NewControl>,
}

/// A plan with what it is made of.
#[derive(Debug, Clone)]
pub struct PlanView {
    /// The stored plan.
    pub row: PlanRow,
    /// Its findings.
    pub findings: Vec<FindingRow>,
    /// Its vulnerabilities (canonical ids), sorted.
    pub vulnerabilities: Vec<String>,
    /// The cycle the policy asks for, with its reasons.
    pub cycle: CycleRequirement,
    /// The earliest deadline of the clocks a fix meets (`remediation` for an uncontrolled risk,
    /// `regular_patch_cycle` for a controlled one) for its vulnerabilities, a running clock
    /// before a met one: (vulnerability, deadline day, deadline end, clock state); `None`: no
    /// such clock runs for them.
    pub due: Option<(String, String, String, String)>,
    /// The compensating controls of the vulnerabilities' latest determinations (JSON), and the
    /// plan's own (JSON).
    pub controls: Vec<Value>,
    /// Its patch releases: (release id, version).
    pub patches: Vec<(i64, String)>,
    /// Its history, oldest first.
    pub events: Vec<PlanEventRow>,
}

/// Creates a remediation plan (permission `patch.manage`): the findings it names must be of
/// the product; the cycle it asks for must be one the policy allows for its vulnerabilities
/// (an uncontrolled determination, KEV or a critical score require `out_of_cycle`); the owner
/// must be an account.
pub async fn create(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    new: &NewPlan,
) -> Result<PlanView, ServiceError> {
    principal.require(Permission::PatchManage)?;
    let product = crate::inventory::product(workspace, &new.product).await?;
    let target = new.target_version.trim();
    if target.is_empty() {
        return Err(ServiceError::invalid(
            "target",
            "name the version the fix will ship in",
        ));
    }
    crate::access::account::by_login(workspace, new.owner.trim()).await?;
    let findings = gather(
        workspace,
        product.id,
        &product.name,
        &new.vulnerabilities,
        &new.findings,
    )
    .await?;
    let current = policy::current(workspace).await?;
    let cycle: Cycle = new
        .cycle
        .trim()
        .parse()
        .map_err(|error| ServiceError::rule("cycle", error))?;
    let requirement = requirement(workspace, product.id, &findings, &current.policy).await?;
    requirement
        .check(&current.policy, cycle, new.cycle_review.as_deref())
        .map_err(|error| ServiceError::rule("cycle", error))?;
    for control in &new.controls {
        if control.description.trim().is_empty() || control.evidence.trim().is_empty() {
            return Err(ServiceError::invalid(
                "control",
                "an interim compensating control needs a description and its evidence (DESC::EVIDENCE)",
            ));
        }
    }
    let controls: Vec<Value> = new
        .controls
        .iter()
        .map(|c| json!({"description": c.description.trim(), "evidence": c.evidence.trim()}))
        .collect();
    let at = timestamp_text(context.now);
    let mut row = PlanRow {
        id: 0,
        product_id: product.id,
        product: product.name.clone(),
        target_version: target.to_string(),
        cycle: cycle.as_str().to_string(),
        owner: new.owner.trim().to_string(),
        state: PlanState::Open.as_str().to_string(),
        reason: new.cycle_review.clone(),
        change_requests: references_json(&new.change_requests),
        problem_reports: references_json(&new.problem_reports),
        controls: Value::Array(controls).to_string(),
        created_at: at.clone(),
        updated_at: at.clone(),
    };
    let ids: Vec<i64> = findings.iter().map(|f| f.id).collect();
    let mut tx = workspace.store().begin().await?;
    row.id = stored::insert_plan(&mut tx, &row, &at).await?;
    stored::add_plan_findings(&mut tx, row.id, &ids).await?;
    let detail = json!({
        "product": product.name,
        "findings": ids,
        "target_version": row.target_version,
        "cycle": row.cycle,
        "cycle_review": new.cycle_review,
        "owner": row.owner,
        "change_requests": serde_json::from_str::<Value>(&row.change_requests).unwrap_or(Value::Null),
        "problem_reports": serde_json::from_str::<Value>(&row.problem_reports).unwrap_or(Value::Null),
    });
    log(&mut tx, context, row.id, "created", detail.clone()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::PlanCreate,
            entity_type: "plan",
            entity_id: Some(row.id.to_string()),
            old_value: None,
            new_value: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    show(workspace, row.id).await
}

/// What may change of a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanUpdate {
    /// A new owner (login).
    pub owner: Option<String>,
    /// A new target version.
    pub target_version: Option<String>,
    /// A new cycle, checked against the policy.
    pub cycle: Option<String>,
    /// The written review for the regular cycle.
    pub cycle_review: Option<String>,
    /// More findings (by id, of the product).
    pub add_findings: Vec<i64>,
    /// More change requests.
    pub change_requests: Vec<Reference>,
    /// More problem reports.
    pub problem_reports: Vec<Reference>,
    /// More interim compensating controls.
    pub controls: Vec<NewControl>,
    /// Work on the fix has started (`open` → `in_progress`).
    pub start: bool,
}

/// Changes a plan (permission `patch.manage`); every change is a plan event and one audit
/// event with the values before and after.
pub async fn update(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    change: &PlanUpdate,
) -> Result<PlanView, ServiceError> {
    principal.require(Permission::PatchManage)?;
    let before = plan(workspace, id).await?;
    let mut row = before.clone();
    if let Some(owner) = &change.owner {
        crate::access::account::by_login(workspace, owner.trim()).await?;
        row.owner = owner.trim().to_string();
    }
    if let Some(target) = change.target_version.as_deref().map(str::trim) {
        if target.is_empty() {
            return Err(ServiceError::invalid(
                "target",
                "name the version the fix will ship in",
            ));
        }
        row.target_version = target.to_string();
    }
    let mut ids = stored::plan_findings(workspace.store().pool(), id).await?;
    if !change.add_findings.is_empty() {
        let added = gather(
            workspace,
            row.product_id,
            &row.product,
            &[],
            &change.add_findings,
        )
        .await?;
        ids.extend(added.iter().map(|f| f.id));
        ids.sort_unstable();
        ids.dedup();
    }
    let current = policy::current(workspace).await?;
    if change.cycle.is_some() || !change.add_findings.is_empty() {
        let cycle: Cycle = change
            .cycle
            .as_deref()
            .unwrap_or(&row.cycle)
            .trim()
            .parse()
            .map_err(|error| ServiceError::rule("cycle", error))?;
        let all = findings_by_id(workspace, &ids).await?;
        let review = change.cycle_review.as_deref().or(row.reason.as_deref());
        requirement(workspace, row.product_id, &all, &current.policy)
            .await?
            .check(&current.policy, cycle, review)
            .map_err(|error| ServiceError::rule("cycle", error))?;
        row.cycle = cycle.as_str().to_string();
        if change.cycle_review.is_some() {
            row.reason.clone_from(&change.cycle_review);
        }
    }
    let extend = |text: &str, more: &[Reference]| -> String {
        let mut list: Vec<Value> = serde_json::from_str(text).unwrap_or_default();
        list.extend(
            more.iter()
                .map(|r| json!({"reference": r.reference, "url": r.url})),
        );
        Value::Array(list).to_string()
    };
    row.change_requests = extend(&row.change_requests, &change.change_requests);
    row.problem_reports = extend(&row.problem_reports, &change.problem_reports);
    let mut controls: Vec<Value> = serde_json::from_str(&row.controls).unwrap_or_default();
    for control in &change.controls {
        if control.description.trim().is_empty() || control.evidence.trim().is_empty() {
            return Err(ServiceError::invalid(
                "control",
                "an interim compensating control needs a description and its evidence (DESC::EVIDENCE)",
            ));
        }
        controls.push(
            json!({"description": control.description.trim(), "evidence": control.evidence.trim()}),
        );
    }
    row.controls = Value::Array(controls).to_string();
    let state = state_of(&row)?;
    let moved = if change.start {
        Some(
            next_state(state, &PlanEvent::WorkStarted)
                .map_err(|error| ServiceError::rule("plan", error))?,
        )
    } else {
        None
    };
    if let Some(next) = moved {
        row.state = next.as_str().to_string();
    }
    let at = timestamp_text(context.now);
    let mut tx = workspace.store().begin().await?;
    stored::update_plan(&mut tx, &row, &at).await?;
    stored::add_plan_findings(&mut tx, id, &ids).await?;
    let detail = json!({
        "before": plan_json(&before),
        "after": plan_json(&row),
        "added_findings": change.add_findings,
    });
    log(&mut tx, context, id, "updated", detail.clone()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::PlanUpdate,
            entity_type: "plan",
            entity_id: Some(id.to_string()),
            old_value: Some(plan_json(&before)),
            new_value: Some(plan_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    show(workspace, id).await
}

/// Closes a distributed plan (`distributed` → `closed`), or cancels one before distribution
/// with a reason (at least the policy's `rationale.min_chars`); permission `patch.manage`.
pub async fn close(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    cancel_reason: Option<&str>,
) -> Result<PlanView, ServiceError> {
    principal.require(Permission::PatchManage)?;
    let current = policy::current(workspace).await?;
    let event = match cancel_reason {
        Some(reason) => PlanEvent::Cancelled(
            CancellationReason::new(&current.policy, reason)
                .map_err(|error| ServiceError::rule("reason", error))?,
        ),
        None => PlanEvent::Closed,
    };
    let mut tx = workspace.store().begin().await?;
    transition(&mut tx, context, id, &event, json!({})).await?;
    tx.commit().await?;
    show(workspace, id).await
}

/// Moves a plan by an event inside the caller's transaction: the pure state machine decides;
/// the new state, a plan event and an audit event are written. Returns the new state.
pub(crate) async fn transition(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    id: i64,
    event: &PlanEvent,
    detail: Value,
) -> Result<PlanState, ServiceError> {
    let mut row = stored::plan_for_update(tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "plan",
            key: id.to_string(),
        })?;
    let before = state_of(&row)?;
    let after = next_state(before, event).map_err(|error| ServiceError::rule("plan", error))?;
    row.state = after.as_str().to_string();
    if let PlanEvent::Cancelled(reason) = event {
        row.reason = Some(reason.as_str().to_string());
    }
    let at = timestamp_text(context.now);
    stored::update_plan(tx, &row, &at).await?;
    let mut detail = detail;
    if let Value::Object(map) = &mut detail {
        map.insert("event".into(), json!(event.kind().as_str()));
        map.insert("from".into(), json!(before.as_str()));
        map.insert("to".into(), json!(after.as_str()));
        if let PlanEvent::Cancelled(reason) = event {
            map.insert("reason".into(), json!(reason.as_str()));
        }
    }
    log(tx, context, id, "state", detail.clone()).await?;
    audit::record(
        tx,
        context,
        Change {
            action: AuditAction::PlanTransition,
            entity_type: "plan",
            entity_id: Some(id.to_string()),
            old_value: Some(json!({"state": before.as_str()})),
            new_value: Some(detail),
        },
    )
    .await?;
    Ok(after)
}

/// Plans, newest first: of a product, in a state, or every one.
pub async fn list(
    workspace: &Workspace,
    product: Option<&str>,
    state: Option<&str>,
) -> Result<Vec<PlanRow>, ServiceError> {
    let product_id = match product {
        Some(key) => Some(crate::inventory::product(workspace, key).await?.id),
        None => None,
    };
    if let Some(state) = state {
        state
            .parse::<PlanState>()
            .map_err(|error| ServiceError::rule("state", error))?;
    }
    Ok(stored::plans(workspace.store().pool(), product_id, state).await?)
}

/// A plan with its findings, cycle, due date, controls, patches and history.
pub async fn show(workspace: &Workspace, id: i64) -> Result<PlanView, ServiceError> {
    let row = plan(workspace, id).await?;
    let pool = workspace.store().pool();
    let ids = stored::plan_findings(pool, id).await?;
    let findings = findings_by_id(workspace, &ids).await?;
    let current = policy::current(workspace).await?;
    let cycle = requirement(workspace, row.product_id, &findings, &current.policy).await?;
    let vulnerabilities: Vec<String> = findings
        .iter()
        .map(|f| f.vulnerability.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut due: Option<(String, String, String, String)> = None;
    let mut controls: Vec<Value> = Vec::new();
    for vulnerability in &vulnerabilities {
        if let Ok((view, _)) = case::case(workspace, &row.product, vulnerability).await {
            for clock in view.case.clocks() {
                // The clock a fix meets: remediation (uncontrolled) or the regular patch
                // cycle (controlled); a met one still shows the plan's deadline.
                let counts = matches!(
                    clock.state(),
                    ClockState::Open | ClockState::Missed | ClockState::Met
                );
                let fixes = matches!(
                    clock.kind(),
                    ClockKind::Remediation | ClockKind::RegularPatchCycle
                );
                if fixes && counts {
                    // A running clock before a met one; the earliest deadline first.
                    let met = clock.state() == ClockState::Met;
                    let end = timestamp_text(clock.deadline().end);
                    let earlier = due.as_ref().is_none_or(|(_, _, earliest, state)| {
                        let was_met = state == ClockState::Met.as_str();
                        (met, end.as_str()) < (was_met, earliest.as_str())
                    });
                    if earlier {
                        due = Some((
                            vulnerability.clone(),
                            clock.deadline().day.to_string(),
                            end,
                            clock.state().as_str().to_string(),
                        ));
                    }
                }
            }
        }
        let determinations =
            aftercare_store::assessment::determinations(pool, row.product_id, vulnerability)
                .await?;
        if let Some(latest) = determinations.first() {
            let list: Vec<Value> = serde_json::from_str(&latest.controls).unwrap_or_default();
            controls.extend(list.into_iter().map(|mut control| {
                if let Value::Object(map) = &mut control {
                    map.insert("vulnerability".into(), json!(vulnerability));
                    map.insert("source".into(), json!("determination"));
                }
                control
            }));
        }
    }
    let own: Vec<Value> = serde_json::from_str(&row.controls).unwrap_or_default();
    controls.extend(own.into_iter().map(|mut control| {
        if let Value::Object(map) = &mut control {
            map.insert("source".into(), json!("plan"));
        }
        control
    }));
    let mut patches = Vec::new();
    for release_id in stored::patches_of_plan(pool, id).await? {
        let release = crate::inventory::release_by_id(workspace, release_id).await?;
        patches.push((release_id, release.version));
    }
    let events = stored::plan_events(pool, id).await?;
    Ok(PlanView {
        row,
        findings,
        vulnerabilities,
        cycle,
        due,
        controls,
        patches,
        events,
    })
}

/// The plans that name a finding (for its page).
pub async fn plans_of_finding(
    workspace: &Workspace,
    finding_id: i64,
) -> Result<Vec<PlanRow>, ServiceError> {
    let mut out = Vec::new();
    for id in stored::plans_of_finding(workspace.store().pool(), finding_id).await? {
        out.push(plan(workspace, id).await?);
    }
    Ok(out)
}

pub(crate) async fn plan(workspace: &Workspace, id: i64) -> Result<PlanRow, ServiceError> {
    stored::plan(workspace.store().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "plan",
            key: id.to_string(),
        })
}

pub(crate) fn state_of(row: &PlanRow) -> Result<PlanState, ServiceError> {
    row.state
        .parse::<PlanState>()
        .map_err(|error| super::corrupt("plan", row.id, error))
}

fn plan_json(row: &PlanRow) -> Value {
    json!({
        "target_version": row.target_version,
        "cycle": row.cycle,
        "owner": row.owner,
        "state": row.state,
        "reason": row.reason,
        "change_requests": serde_json::from_str::<Value>(&row.change_requests).unwrap_or(Value::Null),
        "problem_reports": serde_json::from_str::<Value>(&row.problem_reports).unwrap_or(Value::Null),
        "controls": serde_json::from_str::<Value>(&row.controls).unwrap_or(Value::Null),
    })
}

async fn log(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    plan_id: i64,
    kind: &str,
    detail: Value,
) -> Result<(), ServiceError> {
    stored::insert_plan_event(
        tx,
        plan_id,
        &PlanEventRow {
            at: timestamp_text(context.now),
            kind: kind.to_string(),
            detail: detail.to_string(),
            actor: context.actor.to_string(),
        },
    )
    .await?;
    Ok(())
}

/// Findings by id (each must exist).
async fn findings_by_id(
    workspace: &Workspace,
    ids: &[i64],
) -> Result<Vec<FindingRow>, ServiceError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = findings::by_id(workspace.store().pool(), *id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "finding",
                key: id.to_string(),
            })?;
        out.push(row);
    }
    Ok(out)
}

/// The findings a plan names: the open findings of the product for each vulnerability (any
/// of its ids), and the findings given by id, which must be of the product.
async fn gather(
    workspace: &Workspace,
    product_id: i64,
    product: &str,
    vulnerabilities: &[String],
    ids: &[i64],
) -> Result<Vec<FindingRow>, ServiceError> {
    let mut out: Vec<FindingRow> = Vec::new();
    for name in vulnerabilities {
        let page = crate::finding::list(
            workspace,
            &crate::finding::FindingQuery {
                product: Some(product_id.to_string()),
                vulnerability: Some(name.clone()),
                state: Some("open".into()),
                limit: 10_000,
                ..Default::default()
            },
        )
        .await?;
        if page.findings.is_empty() {
            return Err(ServiceError::invalid(
                "vulnerability",
                format!("{name}: no open finding of it in {product}"),
            ));
        }
        out.extend(page.findings);
    }
    for finding in findings_by_id(workspace, ids).await? {
        if finding.product_id != product_id {
            return Err(ServiceError::invalid(
                "finding",
                format!(
                    "finding {} belongs to {}, not to {product}: a plan remediates one product's findings",
                    finding.id, finding.product
                ),
            ));
        }
        out.push(finding);
    }
    out.sort_by_key(|f| f.id);
    out.dedup_by_key(|f| f.id);
    if out.is_empty() {
        return Err(ServiceError::invalid(
            "findings",
            "name the vulnerabilities (or findings) the plan remediates",
        ));
    }
    Ok(out)
}

/// The cycle the policy asks of some findings' vulnerabilities: the product's latest
/// determination of each, KEV, and the highest CVSS severity among the findings.
pub(crate) async fn requirement(
    workspace: &Workspace,
    product_id: i64,
    findings: &[FindingRow],
    policy: &aftercare_risk::Policy,
) -> Result<CycleRequirement, ServiceError> {
    let facts_of: Vec<FindingFacts<'_>> = findings.iter().map(FindingFacts::from).collect();
    Ok(required_cycle(
        policy,
        &facts(workspace, product_id, &facts_of).await?,
    ))
}

/// What the cycle and the evidence requirements read of a finding.
pub(crate) struct FindingFacts<'a> {
    vulnerability: &'a str,
    kev: bool,
    scored: bool,
    severity: &'a str,
}

impl<'a> From<&'a FindingRow> for FindingFacts<'a> {
    fn from(row: &'a FindingRow) -> Self {
        FindingFacts {
            vulnerability: &row.vulnerability,
            kev: row.kev,
            scored: row.score.is_some(),
            severity: &row.severity,
        }
    }
}

impl<'a> From<&'a aftercare_store::patch::FixFindingRow> for FindingFacts<'a> {
    fn from(row: &'a aftercare_store::patch::FixFindingRow) -> Self {
        FindingFacts {
            vulnerability: &row.vulnerability,
            kev: row.kev,
            scored: row.scored,
            severity: &row.severity,
        }
    }
}

/// What the cycle and the evidence requirements know of some findings' vulnerabilities.
pub(crate) async fn facts(
    workspace: &Workspace,
    product_id: i64,
    findings: &[FindingFacts<'_>],
) -> Result<Vec<VulnerabilityFacts>, ServiceError> {
    let names: BTreeSet<&str> = findings.iter().map(|f| f.vulnerability).collect();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let of_it: Vec<&FindingFacts> = findings
            .iter()
            .filter(|f| f.vulnerability == name)
            .collect();
        let determinations =
            aftercare_store::assessment::determinations(workspace.store().pool(), product_id, name)
                .await?;
        let risk_class = determinations
            .first()
            .map(|d| d.outcome.parse::<RiskClass>())
            .transpose()
            .map_err(|error| super::corrupt("determination", name, error))?;
        out.push(VulnerabilityFacts {
            vulnerability: name
                .parse::<VulnerabilityId>()
                .map_err(|error| super::corrupt("finding", name, error))?,
            risk_class,
            kev_listed: of_it.iter().any(|f| f.kev),
            cvss_severity: of_it
                .iter()
                .filter(|f| f.scored)
                .filter_map(|f| f.severity.parse::<Severity>().ok())
                .max()
                .unwrap_or(Severity::Unknown),
        });
    }
    Ok(out)
}
