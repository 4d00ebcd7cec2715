//! Patch management: remediation plans, patch releases with their verification and validation
//! evidence, the signed approval, and the distribution the gate allows.
//!
//! The rules are `aftercare-patch`'s (plan states, the cycle a plan needs, fix evidence,
//! evidence requirements, the approval's preconditions and binding, and the gate); this slice
//! reads the workspace, calls them, and writes what they decide, each change with its plan
//! event and audit event. `plan` holds the plans; `release` the patch releases (attach,
//! evidence, approve, reject, revoke, record a distribution, the chain view). A distribution
//! meets the regulatory clocks through `flow::distribute`, the one place that chains this slice
//! to the cases.
//!
//! Uses `access`, `inventory`, `triage` (cases, clocks, determinations, the component
//! identity decisions follow) and `finding` (the findings a plan remediates).

pub mod chain;
pub mod plan;
pub mod release;

use aftercare_model::{Sha256, VulnerabilityId};
use aftercare_patch::{
    Assessment, ComponentKey, Evidence, EvidenceContent, EvidenceFile, EvidenceId, FindingId,
    PatchComponent, PatchDecision, PatchReleaseFinding, PlanFinding,
};
use aftercare_store::patch::{self as stored, EvidenceRow, FixFindingRow, PatchDecisionRow};
use jiff::Timestamp;

use crate::triage::assessment::component_key;
use crate::{ServiceError, Workspace};

/// A stored value that does not read back (a corrupt row).
fn corrupt(entity: &'static str, id: impl ToString, message: impl ToString) -> ServiceError {
    ServiceError::Store(aftercare_store::StoreError::Corrupt {
        entity,
        id: id.to_string(),
        field: "record",
        message: message.to_string(),
    })
}

fn timestamp(entity: &'static str, id: i64, text: &str) -> Result<Timestamp, ServiceError> {
    text.parse::<Timestamp>()
        .map_err(|error| corrupt(entity, id, error))
}

/// A stored finding as the fix evidence reads it.
fn plan_finding(row: &FixFindingRow) -> Result<PlanFinding, ServiceError> {
    let component = component_of(row.purl.as_deref(), row.group.as_deref(), &row.name)
        .map_err(|error| corrupt("finding", row.id, error))?;
    plan_finding_of(row, component)
}

fn plan_finding_of(
    row: &FixFindingRow,
    component: ComponentKey,
) -> Result<PlanFinding, ServiceError> {
    Ok(PlanFinding {
        id: FindingId(row.id),
        vulnerability: row
            .vulnerability
            .parse::<VulnerabilityId>()
            .map_err(|error| corrupt("finding", row.id, error))?,
        component,
        version: row.version.clone(),
        fixed_versions: serde_json::from_str(&row.fixed_versions).unwrap_or_default(),
    })
}

/// The plan findings of many rows, each component's identity worked out once (a plan of
/// thousands of findings names the same few packages in every release).
fn plan_findings(rows: &[FixFindingRow]) -> Result<Vec<PlanFinding>, ServiceError> {
    let mut keys: std::collections::HashMap<(Option<&str>, Option<&str>, &str), ComponentKey> =
        std::collections::HashMap::new();
    rows.iter()
        .map(|row| {
            let identity = (row.purl.as_deref(), row.group.as_deref(), row.name.as_str());
            let component = match keys.get(&identity) {
                Some(key) => key.clone(),
                None => {
                    let key = component_of(identity.0, identity.1, identity.2)
                        .map_err(|error| corrupt("finding", row.id, error))?;
                    keys.insert(identity, key.clone());
                    key
                }
            };
            plan_finding_of(row, component)
        })
        .collect()
}

/// The identity a component keeps across releases (the one decisions follow).
fn component_of(
    purl: Option<&str>,
    group: Option<&str>,
    name: &str,
) -> Result<ComponentKey, aftercare_patch::PatchError> {
    ComponentKey::new(&component_key(purl, group, name))
}

/// A patch release's open finding, with its assessment there.
fn release_finding(row: &FixFindingRow) -> Result<PatchReleaseFinding, ServiceError> {
    let finding = plan_finding(row)?;
    let assessment = match &row.status {
        Some(status) => Some(Assessment {
            status: status
                .parse()
                .map_err(|error| corrupt("finding", row.id, error))?,
            justification: row
                .justification
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|error: aftercare_risk::RiskError| corrupt("finding", row.id, error))?,
        }),
        None => None,
    };
    Ok(PatchReleaseFinding {
        id: finding.id,
        vulnerability: finding.vulnerability,
        component: finding.component,
        version: finding.version,
        assessment,
    })
}

/// A component of a release, by its identity.
fn patch_component(
    (purl, group, name, version): &(Option<String>, Option<String>, String, Option<String>),
) -> Option<PatchComponent> {
    Some(PatchComponent {
        key: component_of(purl.as_deref(), group.as_deref(), name).ok()?,
        version: version.clone(),
    })
}

/// A stored evidence item as the rules read it.
fn evidence(row: &EvidenceRow) -> Result<Evidence, ServiceError> {
    let bad = |error: &dyn std::fmt::Display| corrupt("evidence", row.id, error);
    let detail: serde_json::Value = serde_json::from_str(&row.detail).map_err(|e| bad(&e))?;
    let impact = match detail.get("impact") {
        Some(answers) if !answers.is_null() => {
            Some(release::impact_from_json(answers).map_err(|e| bad(&e))?)
        }
        _ => None,
    };
    let executed_by: Vec<String> = serde_json::from_str(&row.executed_by).map_err(|e| bad(&e))?;
    let mut files = Vec::with_capacity(row.files.len());
    for file in &row.files {
        files.push(EvidenceFile {
            name: file.name.clone(),
            sha256: file.sha256.parse::<Sha256>().map_err(|e| bad(&e))?,
            bytes: u64::try_from(file.size).unwrap_or(0),
        });
    }
    Ok(Evidence {
        id: EvidenceId(row.id),
        content: EvidenceContent {
            kind: row
                .kind
                .parse()
                .map_err(|e: aftercare_risk::RiskError| bad(&e))?,
            title: row.title.clone(),
            result: row
                .result
                .parse()
                .map_err(|e: aftercare_patch::PatchError| bad(&e))?,
            executed_by,
            executed_on: row.executed_on.parse().map_err(|e: jiff::Error| bad(&e))?,
            files,
            impact,
            supersedes: row.supersedes.map(EvidenceId),
        },
    })
}

/// A stored decision as the gate reads it.
fn decision(row: &PatchDecisionRow) -> Result<PatchDecision, ServiceError> {
    let at = timestamp("patch decision", row.id, &row.at)?;
    let reason = row.reason.clone().unwrap_or_default();
    match row.kind.as_str() {
        "approved" => Ok(PatchDecision::Approved {
            digest: row
                .digest
                .as_deref()
                .unwrap_or_default()
                .parse::<Sha256>()
                .map_err(|error| corrupt("patch decision", row.id, error))?,
            signer: row.decided_by.clone(),
            at,
        }),
        "rejected" => Ok(PatchDecision::Rejected {
            by: row.decided_by.clone(),
            reason,
            at,
        }),
        "revoked" => Ok(PatchDecision::Revoked {
            by: row.decided_by.clone(),
            reason,
            at,
        }),
        other => Err(corrupt(
            "patch decision",
            row.id,
            format!("unknown kind {other:?}"),
        )),
    }
}

/// The findings of some plans, as the fix evidence reads them, each once.
async fn findings_of_plans(
    workspace: &Workspace,
    plan_ids: &[i64],
) -> Result<Vec<FixFindingRow>, ServiceError> {
    fix_findings(workspace, stored::FixSelection::Plans(plan_ids.to_vec())).await
}

/// Findings as the fix evidence reads them: on a SQLite file through its own read-only
/// connection, off the runtime (`stored::fix_findings_sqlite`, a plan names thousands), else
/// through the pool.
async fn fix_findings(
    workspace: &Workspace,
    selection: stored::FixSelection,
) -> Result<Vec<FixFindingRow>, ServiceError> {
    if let Some(file) = workspace.store().sqlite_file() {
        let file = file.to_path_buf();
        return tokio::task::spawn_blocking(move || stored::fix_findings_sqlite(&file, &selection))
            .await
            .map_err(|_| ServiceError::Background {
                operation: "read findings for their fix evidence",
            })?
            .map_err(ServiceError::from);
    }
    let pool = workspace.store().pool();
    Ok(match selection {
        stored::FixSelection::Plans(plans) => stored::fix_findings_of_plans(pool, &plans).await?,
        stored::FixSelection::OpenOfRelease(release) => {
            stored::open_findings_of_release(pool, release).await?
        }
    })
}
