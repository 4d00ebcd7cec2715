//! The one error type of this crate: every refusal names the state, event, key, item or
//! finding it concerns, and lists every reason where there can be several, so that a person
//! can act on the message.

use jiff::civil::Date;

use crate::approval::Refusal;
use crate::evidence::{EvidenceId, EvidenceKind};
use crate::gate::GateRefusal;
use crate::plan::{PlanEventKind, PlanState};

/// Everything the rules of patch management refuse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// A label of a fixed vocabulary (plan state, cycle, evidence result …) is not one of
    /// its values.
    #[error("unknown {vocabulary} {value:?}: expected one of {expected}")]
    UnknownLabel {
        /// Which vocabulary was parsed, e.g. `plan state`.
        vocabulary: &'static str,
        /// The rejected input.
        value: String,
        /// The accepted values, comma-separated.
        expected: String,
    },

    /// A text that must say something is blank.
    #[error("{what} must not be blank")]
    Blank {
        /// What it is, e.g. `an evidence item's title`.
        what: &'static str,
    },

    /// A plan event that the plan's state does not allow.
    #[error("a plan that is {state} cannot take the event {event} (allowed: {allowed})")]
    IllegalTransition {
        /// The plan's state.
        state: PlanState,
        /// The refused event.
        event: PlanEventKind,
        /// The events the state allows, comma-separated.
        allowed: String,
    },

    /// A written rationale (a cancellation, a cycle review, an impact assessment) shorter than
    /// the policy's `rationale.min_chars`.
    #[error(
        "{what} is {length} characters long; the policy asks for at least {minimum} (rationale.min_chars)"
    )]
    RationaleTooShort {
        /// What the rationale is for.
        what: &'static str,
        /// Characters given (after trimming).
        length: usize,
        /// Characters required.
        minimum: usize,
    },

    /// A plan asks for the regular cycle while out of cycle is required.
    #[error(
        "the regular cycle is refused: out of cycle is required (FD&C Act 524B(b)(2)(B)) because {}",
        .reasons.join("; ")
    )]
    OutOfCycleRequired {
        /// Every reason, in [`crate::required_cycle`]'s order.
        reasons: Vec<String>,
    },

    /// A plan asks for the regular cycle for a candidate for out of cycle, without a review.
    #[error(
        "the regular cycle needs a written review of why it is reasonably justified (FD&C Act 524B(b)(2)(A)) because {}",
        .reasons.join("; ")
    )]
    CycleReviewMissing {
        /// Every reason, in [`crate::required_cycle`]'s order.
        reasons: Vec<String>,
    },

    /// An evidence file above the policy's limit.
    #[error(
        "evidence file {name:?} is {bytes} bytes; the policy accepts at most {limit} (patch.evidence.max_file_bytes)"
    )]
    EvidenceFileTooLarge {
        /// The file's name.
        name: String,
        /// Its size.
        bytes: u64,
        /// `patch.evidence.max_file_bytes`.
        limit: u64,
    },

    /// Evidence dated after the day it is recorded.
    #[error(
        "evidence executed on {executed_on} cannot be recorded on {recorded_on}, before it happened"
    )]
    EvidenceDatedAfterRecording {
        /// The claimed execution day.
        executed_on: Date,
        /// The day of recording.
        recorded_on: Date,
    },

    /// `impact_assessment` evidence without its structured assessment.
    #[error(
        "impact_assessment evidence carries the structured impact assessment (safety and essential performance, verification re-run, regulatory path, rationale)"
    )]
    ImpactAssessmentMissing,

    /// A structured impact assessment on evidence of another kind.
    #[error(
        "{kind} evidence carries no impact assessment: record it as impact_assessment evidence"
    )]
    ImpactAssessmentMisplaced {
        /// The item's kind.
        kind: EvidenceKind,
    },

    /// An impact assessment that names no verification re-run.
    #[error(
        "an impact assessment names the verification that was re-run (IEC 62304 §6.3.1, §5.7.3)"
    )]
    VerificationRerunMissing,

    /// A clearance recorded on a letter to file.
    #[error("a clearance belongs to a new submission, not to a letter to file")]
    ClearanceWithoutSubmission,

    /// A correction of an item that is not the patch release's.
    #[error(
        "evidence {id} is not evidence of this patch release: only its own items can be superseded"
    )]
    SupersededUnknown {
        /// The item named.
        id: EvidenceId,
    },

    /// A correction of an item that is already superseded.
    #[error(
        "evidence {id} is already superseded by evidence {by}: correct the current item instead"
    )]
    SupersededTwice {
        /// The item named.
        id: EvidenceId,
        /// The item that superseded it.
        by: EvidenceId,
    },

    /// The approval is refused ([`crate::approval_refusals`]).
    #[error(
        "the approval is refused: {}",
        .refusals.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    ApprovalRefused {
        /// Every reason, in the documented order.
        refusals: Vec<Refusal>,
    },

    /// The distribution is refused ([`crate::may_distribute`]).
    #[error(
        "the distribution is refused: {}",
        .refusals.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    DistributionRefused {
        /// Every reason, in the documented order.
        refusals: Vec<GateRefusal>,
    },
}

impl aftercare_model::label::UnknownLabel for PatchError {
    fn unknown_label(vocabulary: &'static str, value: &str, expected: String) -> Self {
        PatchError::UnknownLabel {
            vocabulary,
            value: value.to_string(),
            expected,
        }
    }
}
