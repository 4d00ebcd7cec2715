//! Rollouts, the pure rules: how DDI feedback moves an action, how a rollout moves from wave
//! to wave, how devices are split into waves, when thresholds advance or pause, which devices
//! a filter targets, when a downgrade is refused, and when a maintenance window is open.
//!
//! This crate is the pure core of step 7 of the loop in the BRIEF (issue 14). Devices speak
//! Eclipse hawkBit's Direct Device Integration API, so that SWUpdate's suricatta and
//! rauc-hawkbit-updater work unchanged; the rules follow what those clients really do
//! (`ddi-protocol.md` in the shared reference, §0). One module per rule:
//!
//! - [`action`]: the action's states, the mapping of deployment and cancel feedback onto
//!   them ([`apply_feedback`]), the server's own events ([`apply_event`]), `skipped` vs
//!   `finished`, the caps on status entries, action ids below 2^31.
//! - [`rollout`]: the rollout's states and events ([`next_state`], one `TRANSITIONS` table),
//!   the step from a wave's counts ([`step`]), who is assigned ([`assignments`]), where a late
//!   device joins ([`join_wave`]).
//! - [`wave`]: the text of `--waves` and the split of the targeted devices ([`plan_waves`]).
//! - [`threshold`]: percentages, a wave's counts and the verdict ([`evaluate`]).
//! - [`filter`]: the target filter ([`TargetFilter`]) and the device facts it reads.
//! - [`downgrade`]: anti-downgrade ([`check_version_step`]) and what an update type asks of
//!   the clients ([`check_update_type`]).
//! - [`window`]: maintenance windows ([`MaintenanceWindow`]).
//!
//! Like `aftercare-patch`, it never does I/O, never reads the wall clock (local times are
//! arguments), derives no wire format and never panics on input: storage, the DDI routes,
//! the CLI and the REST API call these functions inside their transaction and write what
//! they decide. It does not know patches: the service checks `aftercare_patch::may_distribute`
//! before a rollout is created, started, or a wave begins. Version order comes in as a
//! `std::cmp::Ordering`. See `docs/adr/0013-rollouts-and-ddi.md`.

#![warn(missing_docs)]

pub mod action;
pub mod downgrade;
mod error;
pub mod filter;
pub mod rollout;
pub mod threshold;
mod vocabulary;
pub mod wave;
pub mod window;

pub use action::{
    ActionEvent, ActionFacts, ActionId, ActionState, ActionStatus, Channel, Execution, Feedback,
    FinalResult, MAX_MESSAGES_PER_STATUS, MAX_STATUS_ENTRIES_PER_ACTION, Transition, UpdateType,
    apply_event, apply_feedback, is_active,
};
pub use downgrade::{
    ClientCapabilities, ClientKind, RolloutKind, VersionStep, check_update_type, check_version_step,
};
pub use error::RolloutError;
pub use filter::{ControllerId, DeviceFacts, FilterKey, TargetFilter};
pub use rollout::{
    Assignment, Candidate, PauseReason, RolloutEvent, RolloutEventKind, RolloutFacts, RolloutState,
    Step, TRANSITIONS, assignments, join_wave, next_state, step,
};
pub use threshold::{Percent, ThresholdTrip, Thresholds, Verdict, WaveCounts, evaluate};
pub use wave::{MAX_WAVES, WaveSpec, WaveTarget, plan_waves, wave_sizes};
pub use window::{LocalTime, MaintenanceWindow};
