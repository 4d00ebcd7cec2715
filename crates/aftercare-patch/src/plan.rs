//! The remediation plan's state machine: which events move a plan from `open` to `closed`,
//! and which are refused.
//!
//! A plan names the findings it remediates and follows the IEC 62304 maintenance chain
//! (§6.2 problem and modification analysis → §6.3 modification implementation → §5.8 / §6.3.2
//! re-release) up to the FDA's expectation for an uncontrolled risk: a **validated** fix
//! **distributed** (FDA 2016, uncontrolled risk, condition 3). The states say how far it got:
//!
//! ```text
//! open ──work_started──► in_progress ──patch_attached──► patch_built ──patch_approved──► approved
//!  │                                                       ▲     ▲                          │
//!  └──────────────────────patch_attached───────────────────┘     └──approval_lost───────────┤
//!                                                                   patch_attached          │
//!                                                                                      distributed
//!                                                                                           │
//!                                        closed ◄──closed── distributed ◄───────────────────┘
//!
//! patch_built ──patch_attached──► patch_built        (a replacement release)
//! distributed ──distributed────► distributed        (another channel or organisation)
//! open, in_progress, patch_built, approved ──cancelled (with a reason)──► cancelled
//! ```
//!
//! Every allowed transition is one row of [`TRANSITIONS`]; anything else is refused with
//! [`PatchError::IllegalTransition`], which names the state, the event and the events the
//! state allows.
//!
//! Why these edges:
//! - **A patch may be attached straight from `open`**: a release added with `--patch-for`
//!   is proof that work happened; asking for `work_started` first would only add a click.
//! - **A patch attached to `patch_built` or `approved` leaves the plan `patch_built`**: a
//!   replacement release (2.2.2 after 2.2.1 failed validation) needs its own approval; the
//!   plan waits for the approval of the release attached last.
//! - **`approval_lost` goes back to `patch_built`**: an approval that no longer matches the
//!   patch (evidence added or superseded, a new match result), a revoked or a rejected
//!   patch all leave a built patch that needs a signature again ([`ApprovalLoss`] says which).
//! - **`distributed` is reached only from `approved`**: the state machine mirrors the gate
//!   ([`crate::may_distribute`]), which alone decides whether a release may be distributed.
//!   A second distribution (another channel, another organisation) keeps the plan
//!   `distributed`.
//! - **No way back from `distributed`**: a distribution is a fact in the field and meets the
//!   remediation clock. A patch recalled afterwards fails the gate from then on and is a
//!   correction of its own (21 CFR 806); a new plan remediates again.
//! - **`cancelled` only before `distributed`, with a reason** of at least the policy's
//!   `rationale.min_chars`: abandoning a remediation is a decision an auditor will ask about.
//!   A distributed plan is closed, not cancelled.

use aftercare_risk::Policy;

use crate::PatchError;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// How far a remediation plan got.
    pub enum PlanState as "plan state" {
        /// Created: the findings are named, nothing is built yet.
        Open = "open",
        /// Someone works on the fix.
        InProgress = "in_progress",
        /// A patch release is attached and awaits approval.
        PatchBuilt = "patch_built",
        /// The attached patch release is approved (e-signed) and its approval matches it.
        Approved = "approved",
        /// The approved patch was made available to customers.
        Distributed = "distributed",
        /// Done: distributed and closed by its owner.
        Closed = "closed",
        /// Abandoned before distribution, with a reason.
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// An event that moves a plan, without its payload ([`PlanEvent::kind`]).
    pub enum PlanEventKind as "plan event" {
        /// Work on the fix started.
        WorkStarted = "work_started",
        /// A patch release was attached to the plan.
        PatchAttached = "patch_attached",
        /// The attached patch release was approved.
        PatchApproved = "patch_approved",
        /// The approval no longer holds: no longer matching, revoked or rejected.
        ApprovalLost = "approval_lost",
        /// The approved patch was distributed.
        Distributed = "distributed",
        /// The plan's owner closed it.
        Closed = "closed",
        /// The plan was abandoned, with a reason.
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// Why an approved plan's approval no longer holds.
    pub enum ApprovalLoss as "approval loss" {
        /// The patch changed since the signature (evidence added or superseded, a new match
        /// result): the approval's digest no longer matches ([`crate::approval_matches`]).
        NoLongerMatching = "no_longer_matching",
        /// The approval was revoked (a recalled patch).
        Revoked = "revoked",
        /// The patch was rejected after its approval.
        Rejected = "rejected",
    }
}

/// The written reason a plan is cancelled, at least the policy's `rationale.min_chars` long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationReason(String);

impl CancellationReason {
    /// Checks the reason's length against the policy (trimmed, in characters).
    pub fn new(policy: &Policy, reason: &str) -> Result<CancellationReason, PatchError> {
        let reason = check_rationale(policy, "the reason for cancelling a plan", reason)?;
        Ok(CancellationReason(reason))
    }

    /// The reason, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An event that moves a plan, with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanEvent {
    /// Work on the fix started.
    WorkStarted,
    /// A patch release was attached to the plan.
    PatchAttached,
    /// The attached patch release was approved.
    PatchApproved,
    /// The approval no longer holds.
    ApprovalLost(ApprovalLoss),
    /// The approved patch was distributed.
    Distributed,
    /// The plan's owner closed it.
    Closed,
    /// The plan was abandoned.
    Cancelled(CancellationReason),
}

impl PlanEvent {
    /// The event without its payload.
    pub fn kind(&self) -> PlanEventKind {
        match self {
            PlanEvent::WorkStarted => PlanEventKind::WorkStarted,
            PlanEvent::PatchAttached => PlanEventKind::PatchAttached,
            PlanEvent::PatchApproved => PlanEventKind::PatchApproved,
            PlanEvent::ApprovalLost(_) => PlanEventKind::ApprovalLost,
            PlanEvent::Distributed => PlanEventKind::Distributed,
            PlanEvent::Closed => PlanEventKind::Closed,
            PlanEvent::Cancelled(_) => PlanEventKind::Cancelled,
        }
    }
}

/// Every allowed transition: (from, event, to). Anything not listed is refused.
pub const TRANSITIONS: &[(PlanState, PlanEventKind, PlanState)] = {
    use PlanEventKind as E;
    use PlanState as S;
    &[
        (S::Open, E::WorkStarted, S::InProgress),
        (S::Open, E::PatchAttached, S::PatchBuilt),
        (S::Open, E::Cancelled, S::Cancelled),
        (S::InProgress, E::PatchAttached, S::PatchBuilt),
        (S::InProgress, E::Cancelled, S::Cancelled),
        (S::PatchBuilt, E::PatchAttached, S::PatchBuilt),
        (S::PatchBuilt, E::PatchApproved, S::Approved),
        (S::PatchBuilt, E::Cancelled, S::Cancelled),
        (S::Approved, E::PatchAttached, S::PatchBuilt),
        (S::Approved, E::ApprovalLost, S::PatchBuilt),
        (S::Approved, E::Distributed, S::Distributed),
        (S::Approved, E::Cancelled, S::Cancelled),
        (S::Distributed, E::Distributed, S::Distributed),
        (S::Distributed, E::Closed, S::Closed),
    ]
};

impl PlanState {
    /// The events this state allows, in [`PlanEventKind::ALL`] order.
    pub fn allowed_events(self) -> Vec<PlanEventKind> {
        PlanEventKind::ALL
            .iter()
            .copied()
            .filter(|event| {
                TRANSITIONS
                    .iter()
                    .any(|(from, allowed, _)| *from == self && allowed == event)
            })
            .collect()
    }

    /// Whether no event moves the plan any more (`closed`, `cancelled`).
    pub fn is_final(self) -> bool {
        self.allowed_events().is_empty()
    }
}

/// The state a plan in `state` reaches with `event`, or why the event is refused.
pub fn next_state(state: PlanState, event: &PlanEvent) -> Result<PlanState, PatchError> {
    let kind = event.kind();
    TRANSITIONS
        .iter()
        .find(|(from, allowed, _)| *from == state && *allowed == kind)
        .map(|(_, _, to)| *to)
        .ok_or_else(|| {
            let allowed = state.allowed_events();
            PatchError::IllegalTransition {
                state,
                event: kind,
                allowed: if allowed.is_empty() {
                    "none: the plan is final".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|event| event.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            }
        })
}

/// Checks a written rationale against the policy's `rationale.min_chars` and returns it
/// trimmed.
pub fn check_rationale(
    policy: &Policy,
    what: &'static str,
    text: &str,
) -> Result<String, PatchError> {
    let text = text.trim();
    let length = text.chars().count();
    let minimum = policy.rationale_min_chars().max(1);
    if length < minimum {
        return Err(PatchError::RationaleTooShort {
            what,
            length,
            minimum,
        });
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::builtin().unwrap()
    }

    fn event(kind: &str) -> PlanEvent {
        match kind {
            "work_started" => PlanEvent::WorkStarted,
            "patch_attached" => PlanEvent::PatchAttached,
            "patch_approved" => PlanEvent::PatchApproved,
            "distributed" => PlanEvent::Distributed,
            "closed" => PlanEvent::Closed,
            "cancelled" => PlanEvent::Cancelled(
                CancellationReason::new(&policy(), "Superseded by plan 12, which covers 2.3.0.")
                    .unwrap(),
            ),
            loss => PlanEvent::ApprovalLost(loss.parse().unwrap()),
        }
    }

    /// state, event → the next state, or the error's text.
    fn check(state: &str, kind: &str, expected: &str) {
        let state: PlanState = state.parse().unwrap();
        let found = match next_state(state, &event(kind)) {
            Ok(next) => next.to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{state} + {kind}");
    }

    #[test]
    #[rustfmt::skip]
    fn the_way_to_closed() {
        check("open", "work_started", "in_progress");
        check("open", "patch_attached", "patch_built");
        check("in_progress", "patch_attached", "patch_built");
        check("patch_built", "patch_attached", "patch_built");
        check("patch_built", "patch_approved", "approved");
        check("approved", "distributed", "distributed");
        check("distributed", "distributed", "distributed");
        check("distributed", "closed", "closed");
    }

    #[test]
    #[rustfmt::skip]
    fn an_approval_lost_or_a_new_patch_goes_back_to_patch_built() {
        check("approved", "no_longer_matching", "patch_built");
        check("approved", "revoked", "patch_built");
        check("approved", "rejected", "patch_built");
        check("approved", "patch_attached", "patch_built");
    }

    #[test]
    #[rustfmt::skip]
    fn cancelled_only_before_distributed() {
        check("open", "cancelled", "cancelled");
        check("in_progress", "cancelled", "cancelled");
        check("patch_built", "cancelled", "cancelled");
        check("approved", "cancelled", "cancelled");
        check("distributed", "cancelled", "a plan that is distributed cannot take the event cancelled (allowed: distributed, closed)");
        check("closed", "cancelled", "a plan that is closed cannot take the event cancelled (allowed: none: the plan is final)");
    }

    #[test]
    #[rustfmt::skip]
    fn illegal_events_name_the_state_the_event_and_what_is_allowed() {
        check("open", "patch_approved", "a plan that is open cannot take the event patch_approved (allowed: work_started, patch_attached, cancelled)");
        check("open", "distributed", "a plan that is open cannot take the event distributed (allowed: work_started, patch_attached, cancelled)");
        check("in_progress", "work_started", "a plan that is in_progress cannot take the event work_started (allowed: patch_attached, cancelled)");
        check("patch_built", "distributed", "a plan that is patch_built cannot take the event distributed (allowed: patch_attached, patch_approved, cancelled)");
        check("patch_built", "revoked", "a plan that is patch_built cannot take the event approval_lost (allowed: patch_attached, patch_approved, cancelled)");
        check("approved", "closed", "a plan that is approved cannot take the event closed (allowed: patch_attached, approval_lost, distributed, cancelled)");
        check("distributed", "revoked", "a plan that is distributed cannot take the event approval_lost (allowed: distributed, closed)");
        check("distributed", "patch_attached", "a plan that is distributed cannot take the event patch_attached (allowed: distributed, closed)");
        check("cancelled", "work_started", "a plan that is cancelled cannot take the event work_started (allowed: none: the plan is final)");
        check("closed", "distributed", "a plan that is closed cannot take the event distributed (allowed: none: the plan is final)");
    }

    #[test]
    fn final_states() {
        let finals: Vec<PlanState> = PlanState::ALL
            .iter()
            .copied()
            .filter(|state| state.is_final())
            .collect();
        assert_eq!(finals, [PlanState::Closed, PlanState::Cancelled]);
        // Every state is reached by some transition, or is the start.
        for state in PlanState::ALL {
            assert!(
                *state == PlanState::Open || TRANSITIONS.iter().any(|(_, _, to)| to == state),
                "{state} is unreachable"
            );
        }
    }

    #[test]
    fn a_cancellation_needs_a_reason() {
        let policy = policy();
        let error = CancellationReason::new(&policy, "  dup  ").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the reason for cancelling a plan is 3 characters long; the policy asks for at least 20 (rationale.min_chars)"
        );
        let reason =
            CancellationReason::new(&policy, "  The component was removed in 3.0.  ").unwrap();
        assert_eq!(reason.as_str(), "The component was removed in 3.0.");
    }

    #[test]
    fn labels_round_trip() {
        for state in PlanState::ALL {
            assert_eq!(state.as_str().parse::<PlanState>().unwrap(), *state);
        }
        let error = "done".parse::<PlanState>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown plan state \"done\": expected one of open, in_progress, patch_built, approved, distributed, closed, cancelled"
        );
    }
}
