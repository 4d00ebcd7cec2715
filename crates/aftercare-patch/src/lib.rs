//! Patch management, the pure rules: remediation plans, the cycle a plan needs, the fix
//! evidence of a patch release, its verification and validation evidence, the approval's
//! preconditions and binding, and **the gate** that alone decides whether a release may be
//! distributed: [`may_distribute`].
//!
//! This crate is the pure core of step 6 of the loop in the BRIEF. For an uncontrolled risk
//! the FDA's 60-day expectation is met when a **validated** fix is **distributed** (FDA 2016,
//! uncontrolled risk, condition 3), never when a ticket is opened; IEC 62304's maintenance
//! process (problem report → change request → verified change → release) and FD&C Act 524B
//! (a regular cycle, out-of-cycle patches for critical vulnerabilities) describe the chain
//! an auditor asks for. Each link is one module:
//!
//! - [`plan`]: the remediation plan's states, `open → in_progress → patch_built → approved →
//!   distributed → closed` and `cancelled`, moved by events ([`next_state`]).
//! - [`cycle`]: the cycle a plan needs (regular, a candidate for out of cycle, out of cycle
//!   required), from `aftercare_risk::patch_path` ([`required_cycle`]).
//! - [`fix`]: a finding's fix evidence from the patch release's own match result
//!   ([`fix_evidence`], [`plan_fixes`], [`residual_findings`]).
//! - [`evidence`]: kinds, results, the checks of a new item, supersession, item digests.
//! - [`impact`]: the structured impact assessment.
//! - [`approval`]: the evidence a patch requires ([`required_evidence`]) and every reason an
//!   approval is refused ([`approval_refusals`], [`check_approval`]).
//! - [`binding`]: what an approval signs and whether it still matches ([`approval_binding`],
//!   [`approval_matches`]).
//! - [`gate`]: the gate, [`may_distribute`].
//!
//! Like `aftercare-risk`, it never does I/O, never reads the wall clock (days and instants
//! are arguments) and derives no wire format: storage, the CLI and the REST API read the
//! workspace, call these functions inside their transaction and write what they decide.
//! The policy (`[patch]`, `[patch.evidence]`, `rationale.min_chars`, `[vex]`) comes in as
//! `aftercare_risk::Policy`. See `docs/adr/0012-patch-management.md`.

#![warn(missing_docs)]

pub mod approval;
pub mod binding;
pub mod cycle;
mod error;
pub mod evidence;
pub mod fix;
pub mod gate;
pub mod impact;
pub mod plan;
mod vocabulary;

pub use gate::{Clearance, GateRefusal, PatchDecision, may_distribute};

pub use approval::{Refusal, approval_refusals, check_approval, required_evidence};
pub use binding::{ApprovalBinding, PatchRelease, approval_binding, approval_matches};
pub use cycle::{
    Cycle, CycleNeed, CycleReason, CycleRequirement, VulnerabilityFacts, required_cycle,
};
pub use error::PatchError;
pub use evidence::{
    Evidence, EvidenceContent, EvidenceFile, EvidenceId, EvidenceKind, EvidenceResult,
    check_file_size, current_evidence,
};
pub use fix::{
    AssessedStatus, Assessment, ComponentKey, FindingFix, FindingId, FixCounts, FixEvidence,
    NotFixedReason, NotMatchedReason, PatchComponent, PatchFinding, PatchReleaseFinding, PatchSbom,
    PatchSide, PlanFinding, VulnerabilityFixes, fix_evidence, fixes_by_vulnerability, plan_fixes,
    residual_findings,
};
pub use impact::{ImpactAnswers, ImpactAssessment, RegulatoryPath};
pub use plan::{
    ApprovalLoss, CancellationReason, PlanEvent, PlanEventKind, PlanState, TRANSITIONS, next_state,
};
