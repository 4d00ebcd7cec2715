//! The chain an auditor asks for, per vulnerability a patch release remediates: finding →
//! assessment → determination (signed) → plan → change request → patch release → fix evidence
//! → verification and validation evidence → approval (its manifestation) → distribution, each
//! step with when it happened and how that stands against the case's remediation clock
//! (`remediation` for an uncontrolled risk, `regular_patch_cycle` for a controlled one).

use std::collections::{BTreeMap, BTreeSet};

use aftercare_patch::{Clearance, FindingFix, FixCounts, current_evidence};
use aftercare_risk::{Clock, ClockKind, ClockState};
use aftercare_store::timestamp_text;
use jiff::Timestamp;
use serde_json::Value;

use super::release::{self, PatchState};
use crate::access::signature::SignatureView;
use crate::triage::case;
use crate::{ServiceError, Workspace};

/// Whether a step happened, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// It happened.
    Done,
    /// It has not happened yet.
    Pending,
    /// It happened with a gap (a finding not fixed, an approval no longer matching, a failed
    /// test): the chain is broken here.
    Gap,
    /// It does not apply (no determination is needed for a controlled finding's VEX `fixed`).
    NotApplicable,
}

impl StepStatus {
    /// `done`, `pending`, `gap` or `not_applicable`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::Pending => "pending",
            StepStatus::Gap => "gap",
            StepStatus::NotApplicable => "not_applicable",
        }
    }
}

/// One step of the chain.
#[derive(Debug, Clone)]
pub struct ChainStep {
    /// `finding`, `assessment`, `determination`, `plan`, `change_request`, `patch_release`,
    /// `fix_evidence`, `evidence`, `approval` or `distribution`.
    pub step: &'static str,
    /// Whether it happened.
    pub status: StepStatus,
    /// When (RFC 3339), when known.
    pub at: Option<String>,
    /// What it is, in a sentence.
    pub detail: String,
    /// How its time stands against the remediation clock: `within` (at or before the
    /// deadline's end), `after`; for the distribution, `met` or `missed`; `None` without a
    /// clock or a time.
    pub clock: Option<&'static str>,
}

/// The remediation clock of a case, as the chain measures against it.
#[derive(Debug, Clone)]
pub struct ChainClock {
    /// `remediation` or `regular_patch_cycle`.
    pub kind: ClockKind,
    /// The deadline's day.
    pub deadline_day: String,
    /// The deadline's end (RFC 3339).
    pub deadline_end: String,
    /// `open`, `met`, `missed`, `waived` or `recorded`.
    pub state: ClockState,
    /// When it was met.
    pub satisfied_at: Option<String>,
}

/// The chain of one vulnerability.
#[derive(Debug, Clone)]
pub struct ChainLink {
    /// The vulnerability's canonical id.
    pub vulnerability: String,
    /// The case's remediation clock, when one runs.
    pub clock: Option<ChainClock>,
    /// The steps, in the chain's order.
    pub steps: Vec<ChainStep>,
}

/// A patch release and its chain.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The patch release's state.
    pub patch: PatchState,
    /// Its approvals' signatures, each checked against the patch as it is now.
    pub approvals: Vec<SignatureView>,
    /// What the gate says now: the clearance, or every reason it refuses.
    pub gate: Result<Clearance, String>,
    /// One chain per vulnerability, by id.
    pub links: Vec<ChainLink>,
}

/// The chain of a patch release at `now`.
pub async fn chain(
    workspace: &Workspace,
    product: &str,
    version: &str,
    now: Timestamp,
) -> Result<Chain, ServiceError> {
    let patch = release::state(workspace, product, version).await?;
    chain_of(workspace, patch, now).await
}

/// The chain of a patch release whose state the caller has just read (a use case that
/// returns the state, then shows the chain, reads it once).
pub async fn chain_of(
    workspace: &Workspace,
    patch: PatchState,
    now: Timestamp,
) -> Result<Chain, ServiceError> {
    let approvals = release::approvals(workspace, &patch).await?;
    let gate = patch.gate(now).map_err(|error| error.to_string());
    let pool = workspace.store().pool();
    let mut by_vulnerability: BTreeMap<String, Vec<&aftercare_patch::FindingFix>> = BTreeMap::new();
    for fix in &patch.fixes {
        by_vulnerability
            .entry(fix.finding.vulnerability.to_string())
            .or_default()
            .push(fix);
    }
    let product_name = patch.release.product_name.clone();
    let product_id = patch.release.product_id;
    let current_items = current_evidence(&patch.evidence);
    let latest_approval = approvals.last();
    // Computed once: the binding digest covers every finding's fix evidence.
    let approval_matches = patch.approval_matches() == Some(true);
    let mut links = Vec::with_capacity(by_vulnerability.len());
    for (vulnerability, fixes) in &by_vulnerability {
        let clock = match case::case(workspace, &product_name, vulnerability).await {
            Ok((view, _)) => remediation_clock(view.case.clocks()),
            Err(ServiceError::NotFound { .. }) => None,
            Err(error) => return Err(error),
        };
        let deadline = clock.as_ref().map(|c| c.deadline_end.clone());
        let against = |at: &Option<String>| -> Option<&'static str> {
            match (at, &deadline) {
                (Some(at), Some(end)) => Some(if at <= end { "within" } else { "after" }),
                _ => None,
            }
        };
        let mut steps = Vec::new();
        // Findings and their assessments in the fielded releases.
        let first_seen = fixes
            .iter()
            .filter_map(|fix| {
                patch
                    .finding_rows
                    .get(&fix.finding.id.0)
                    .map(|row| row.first_seen.as_str())
            })
            .min()
            .map(str::to_string);
        steps.push(ChainStep {
            step: "finding",
            status: StepStatus::Done,
            at: first_seen.clone(),
            detail: findings_detail(&patch, fixes),
            clock: against(&first_seen),
        });
        let assessed: Vec<String> = fixes
            .iter()
            .filter_map(|fix| {
                let row = patch.finding_rows.get(&fix.finding.id.0)?;
                row.status
                    .as_ref()
                    .map(|status| format!("finding {}: {status}", row.id))
            })
            .collect();
        steps.push(ChainStep {
            step: "assessment",
            status: if assessed.is_empty() {
                StepStatus::Pending
            } else {
                StepStatus::Done
            },
            at: None,
            detail: if assessed.is_empty() {
                "not assessed in the fielded release".into()
            } else {
                assessed.join("; ")
            },
            clock: None,
        });
        // The product's latest determination, and who signed it.
        let determinations =
            aftercare_store::assessment::determinations(pool, product_id, vulnerability).await?;
        match determinations.first() {
            Some(latest) => {
                let signer = match latest.signature_id {
                    Some(id) => aftercare_store::signature::signature_by_id(pool, id)
                        .await?
                        .map(|s| format!(", signed by {} ({})", s.printed_name, s.meaning)),
                    None => None,
                };
                let at = Some(latest.created_at.clone());
                steps.push(ChainStep {
                    step: "determination",
                    status: if latest.signature_id.is_some() {
                        StepStatus::Done
                    } else {
                        StepStatus::Gap
                    },
                    clock: against(&at),
                    at,
                    detail: format!(
                        "{} risk{}",
                        latest.outcome,
                        signer.unwrap_or_else(|| ", not signed".into())
                    ),
                });
            }
            None => steps.push(ChainStep {
                step: "determination",
                status: StepStatus::Pending,
                at: None,
                detail: "no determination yet".into(),
                clock: None,
            }),
        }
        // The plans that name its findings, and their change requests.
        let plans: Vec<_> = patch
            .plans
            .iter()
            .filter(|plan| {
                patch.plan_members.get(&plan.id).is_some_and(|members| {
                    fixes.iter().any(|fix| members.contains(&fix.finding.id.0))
                })
            })
            .collect();
        for plan in &plans {
            let at = Some(plan.created_at.clone());
            steps.push(ChainStep {
                step: "plan",
                status: StepStatus::Done,
                clock: against(&at),
                at,
                detail: format!(
                    "plan {} ({}, {}, owner {}, target {})",
                    plan.id, plan.state, plan.cycle, plan.owner, plan.target_version
                ),
            });
        }
        let requests: Vec<String> = plans
            .iter()
            .flat_map(|plan| {
                serde_json::from_str::<Vec<Value>>(&plan.change_requests).unwrap_or_default()
            })
            .filter_map(|r| {
                let reference = r.get("reference")?.as_str()?.to_string();
                Some(match r.get("url").and_then(Value::as_str) {
                    Some(url) => format!("{reference} ({url})"),
                    None => reference,
                })
            })
            .collect();
        steps.push(ChainStep {
            step: "change_request",
            status: if requests.is_empty() {
                StepStatus::Pending
            } else {
                StepStatus::Done
            },
            at: None,
            detail: if requests.is_empty() {
                "no change request recorded".into()
            } else {
                requests.join(", ")
            },
            clock: None,
        });
        let attached = Some(patch.release.created_at.clone());
        steps.push(ChainStep {
            step: "patch_release",
            status: StepStatus::Done,
            clock: against(&attached),
            at: attached,
            detail: format!("{} {}", patch.release.product_name, patch.release.version),
        });
        let all_fixed = fixes.iter().all(|fix| fix.evidence.is_fixed());
        steps.push(ChainStep {
            step: "fix_evidence",
            status: if all_fixed {
                StepStatus::Done
            } else {
                StepStatus::Gap
            },
            at: None,
            detail: fix_detail(fixes),
            clock: None,
        });
        let missing: Vec<&str> = patch
            .required
            .iter()
            .filter(|kind| !current_items.iter().any(|item| item.content.kind == **kind))
            .map(|kind| kind.as_str())
            .collect();
        let failing = current_items
            .iter()
            .any(|item| item.content.result != aftercare_patch::EvidenceResult::Pass);
        let evidence_at = patch
            .evidence_rows
            .iter()
            .map(|e| e.created_at.clone())
            .max();
        steps.push(ChainStep {
            step: "evidence",
            status: if current_items.is_empty() {
                StepStatus::Pending
            } else if missing.is_empty() && !failing {
                StepStatus::Done
            } else {
                StepStatus::Gap
            },
            clock: against(&evidence_at),
            at: evidence_at,
            detail: {
                let mut text = current_items
                    .iter()
                    .map(|item| {
                        format!(
                            "{} {}: {}",
                            item.content.kind.as_str(),
                            item.content.result.as_str(),
                            item.content.title
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                if !missing.is_empty() {
                    if !text.is_empty() {
                        text.push_str("; ");
                    }
                    text.push_str(&format!("missing: {}", missing.join(", ")));
                }
                text
            },
        });
        match latest_approval {
            Some(signature) => {
                let at = Some(signature.signature.signed_at.clone());
                let matching = approval_matches
                    && signature.state == crate::access::signature::SignatureState::Valid;
                steps.push(ChainStep {
                    step: "approval",
                    status: if matching && gate.is_ok() {
                        StepStatus::Done
                    } else {
                        StepStatus::Gap
                    },
                    clock: against(&at),
                    at,
                    detail: format!(
                        "{} by {}{}",
                        signature.signature.meaning,
                        signature.signature.printed_name,
                        match (&gate, matching) {
                            (_, false) => " — no longer matches the patch as it is now".to_string(),
                            (Err(why), true) => format!(" — the gate refuses: {why}"),
                            (Ok(_), true) => String::new(),
                        }
                    ),
                });
            }
            None => steps.push(ChainStep {
                step: "approval",
                status: StepStatus::Pending,
                at: None,
                detail: "awaiting approval".into(),
                clock: None,
            }),
        }
        match patch.distributions.first() {
            Some(first) => {
                let at = Some(first.created_at.clone());
                let verdict = clock.as_ref().map(|c| match c.state {
                    ClockState::Met => "met",
                    ClockState::Missed => "missed",
                    _ => "open",
                });
                steps.push(ChainStep {
                    step: "distribution",
                    status: StepStatus::Done,
                    at,
                    detail: format!(
                        "{} on {}{}",
                        first.channel,
                        first.distributed_on,
                        first
                            .organisation
                            .as_ref()
                            .map(|o| format!(" to {o}"))
                            .unwrap_or_default()
                    ),
                    clock: verdict,
                });
            }
            None => steps.push(ChainStep {
                step: "distribution",
                status: StepStatus::Pending,
                at: None,
                detail: "not distributed yet".into(),
                clock: None,
            }),
        }
        links.push(ChainLink {
            vulnerability: vulnerability.clone(),
            clock,
            steps,
        });
    }
    Ok(Chain {
        patch,
        approvals,
        gate,
        links,
    })
}

/// At most this many findings are named one by one in a step of a vulnerability's chain; a
/// plan of more is summed (the fix evidence lists every one).
const NAMED: usize = 5;

/// The findings of one vulnerability: each named (few), or counted with their components.
fn findings_detail(patch: &PatchState, fixes: &[&FindingFix]) -> String {
    let release_of = |fix: &FindingFix| {
        patch
            .finding_rows
            .get(&fix.finding.id.0)
            .map_or("?", |row| row.release.as_str())
    };
    let component = |fix: &FindingFix| {
        format!(
            "{} {}",
            fix.finding.component.as_str(),
            fix.finding.version.as_deref().unwrap_or("(no version)")
        )
    };
    if fixes.len() <= NAMED {
        return fixes
            .iter()
            .map(|fix| {
                format!(
                    "finding {} in {}: {}",
                    fix.finding.id.0,
                    release_of(fix),
                    component(fix)
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    let releases: BTreeSet<&str> = fixes.iter().map(|fix| release_of(fix)).collect();
    let components: BTreeSet<String> = fixes.iter().map(|fix| component(fix)).collect();
    format!(
        "{} findings in {} releases: {}",
        fixes.len(),
        releases.len(),
        listed(components.iter().map(String::as_str), components.len())
    )
}

/// The fix evidence of one vulnerability: each finding's (few), or the counts and the
/// findings not fixed.
fn fix_detail(fixes: &[&FindingFix]) -> String {
    let each = |fix: &FindingFix| format!("finding {}: {}", fix.finding.id.0, fix.evidence);
    if fixes.len() <= NAMED {
        return fixes
            .iter()
            .map(|fix| each(fix))
            .collect::<Vec<_>>()
            .join("; ");
    }
    let mut counts = FixCounts::default();
    for fix in fixes {
        counts.add(&fix.evidence);
    }
    let open: Vec<String> = fixes
        .iter()
        .filter(|fix| !fix.evidence.is_fixed())
        .take(NAMED)
        .map(|fix| each(fix))
        .collect();
    let not_fixed = counts.total() - counts.fixed();
    if open.is_empty() {
        format!("{} of {} fixed: {counts}", counts.fixed(), counts.total())
    } else {
        format!(
            "{} of {} fixed: {counts}; {}",
            counts.fixed(),
            counts.total(),
            listed(open.iter().map(String::as_str), not_fixed)
        )
    }
}

/// The first [`NAMED`] of `total` items, and how many more there are.
fn listed<'a>(items: impl Iterator<Item = &'a str>, total: usize) -> String {
    let mut text = items.take(NAMED).collect::<Vec<_>>().join("; ");
    if total > NAMED {
        text.push_str(&format!(" and {} more", total - NAMED));
    }
    text
}

/// The clock a fix meets: `remediation` (uncontrolled) before `regular_patch_cycle`.
fn remediation_clock(clocks: &[Clock]) -> Option<ChainClock> {
    [ClockKind::Remediation, ClockKind::RegularPatchCycle]
        .iter()
        .find_map(|kind| clocks.iter().find(|clock| clock.kind() == *kind))
        .map(|clock| ChainClock {
            kind: clock.kind(),
            deadline_day: clock.deadline().day.to_string(),
            deadline_end: timestamp_text(clock.deadline().end),
            state: clock.state(),
            satisfied_at: clock.satisfied_at().map(timestamp_text),
        })
}

#[cfg(test)]
mod tests {
    use aftercare_patch::{ComponentKey, FindingId, FixEvidence, NotFixedReason, PlanFinding};

    use super::*;

    fn fix(id: i64, version: &str, evidence: FixEvidence) -> FindingFix {
        FindingFix {
            finding: PlanFinding {
                id: FindingId(id),
                vulnerability: "CVE-2023-26964".parse().unwrap(),
                component: ComponentKey::new("pkg:cargo/hyper").unwrap(),
                version: Some(version.to_string()),
                fixed_versions: Vec::new(),
            },
            evidence,
        }
    }

    fn same(version: &str) -> FixEvidence {
        FixEvidence::NotFixed {
            why: NotFixedReason::SameVersion {
                version: version.to_string(),
            },
        }
    }

    #[test]
    fn few_findings_are_named_many_are_summed() {
        let few = [
            fix(1, "0.14.10", FixEvidence::Removed),
            fix(2, "0.14.10", same("0.14.10")),
        ];
        let few: Vec<&FindingFix> = few.iter().collect();
        assert_eq!(
            fix_detail(&few),
            format!(
                "finding 1: removed: the component is gone; finding 2: {}",
                same("0.14.10")
            )
        );
        // 7 removed and 8 not fixed: the counts, then the first five not fixed.
        let many: Vec<FindingFix> = (1..=15)
            .map(|id| {
                if id % 2 == 1 && id < 15 {
                    fix(id, "0.14.10", FixEvidence::Removed)
                } else {
                    fix(id, "0.14.28", same("0.14.28"))
                }
            })
            .collect();
        let many: Vec<&FindingFix> = many.iter().collect();
        let not_fixed = same("0.14.28");
        assert_eq!(
            fix_detail(&many),
            format!(
                "7 of 15 fixed: 7 removed, 8 not fixed; finding 2: {not_fixed}; finding 4: {not_fixed}; \
                 finding 6: {not_fixed}; finding 8: {not_fixed}; finding 10: {not_fixed} and 3 more"
            )
        );
        assert_eq!(listed(["a", "b"].into_iter(), 2), "a; b");
        assert_eq!(
            listed(["a", "b", "c", "d", "e", "f", "g"].into_iter(), 7),
            "a; b; c; d; e and 2 more"
        );
    }
}
