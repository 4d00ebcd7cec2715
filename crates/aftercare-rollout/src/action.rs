//! The action: one device's part in one rollout, and how DDI feedback and the server's own
//! events move it (hawkBit's action state machine, as the real clients drive it).
//!
//! ```text
//!                 offer              retrieve (GET deploymentBase)
//! scheduled ─────────────► running ───────────────► retrieved
//!     │                     │  ▲ proceeding, scheduled, resumed
//!     │ cancel              │  │        download            downloaded
//!     ▼                     ▼  │   ┌──────────► downloading ─────────► downloaded
//! canceled            (any open state but scheduled)
//!     ▲                     │ cancel
//!     │ closed (+ not failure)                     rejected (cancel) / closed+failure (cancel)
//!     └──────────────── canceling ──────────────────────────────────────────► running
//!
//! open state ── closed + failure ──► error
//! open state ── closed + success|none ──► finished, or skipped (see below)
//! open state ── canceled (deployment feedback) ──► canceled
//! ```
//!
//! **Deployment feedback** (`POST deploymentBase/{id}/feedback`) maps as hawkBit's
//! `DdiRootController.generateUpdateStatus` does (reference `ddi-protocol.md` §1.5):
//!
//! | execution | status entry | the action |
//! | --- | --- | --- |
//! | `canceled` | `canceled` | ends `canceled` |
//! | `rejected` | `warning` | stays where it is (open) |
//! | `closed` + `failure` | `error` | ends `error` |
//! | `closed` + `success` or `none` | `finished` or `skipped` | ends `finished`, or `skipped` |
//! | `download` | `download` | `downloading` |
//! | `downloaded` | `downloaded` | `downloaded`; for a download-only action this ends it |
//! | `proceeding`, `scheduled`, `resumed` | `running` | `running` |
//!
//! While a cancellation is pending (`canceling`), progress feedback is recorded but leaves the
//! action `canceling`: the request to stop stands until the device answers it. A `closed`
//! feedback still ends it (the device finished before it saw the request).
//!
//! **Skipped, not installed.** SWUpdate answers a deploymentBase with `update: skip` (outside
//! the maintenance window, which it ignores, or download-only, which it cannot do) with
//! `closed`/`success` and the detail `"Skipped Update."` (tested with 2022.12 and 2025.12,
//! reference §0.4). Recording that as `finished` would count a device as patched that installed
//! nothing. A `closed` feedback that is not a failure is therefore `skipped` when
//! - a detail line is exactly `Skipped Update.` (trimmed), or
//! - the last deploymentBase the device retrieved for this action said `update: skip`
//!   ([`ActionFacts::skip_offered`]) **and** the device never reported progress on it
//!   ([`ActionFacts::progressed`]).
//!
//! The second condition alone would be wrong: a device that installed inside the window and
//! rebooted after it closed fetches deploymentBase again (now `skip`) only to learn the action
//! id, then reports `closed`/`success` "Update Installed." — a real installation, preceded by
//! progress feedback. A skipped action is closed like any other (further feedback is 410); the
//! rollout offers the device a **new** action when the window opens ([`crate::assignments`]).
//!
//! **Cancel feedback** (`POST cancelAction/{id}/feedback`) maps as hawkBit's
//! `generateActionCancelStatus` and `addCancelActionStatus` do: `canceled` is only a warning
//! ("not supported"; hawkBit asks for `closed` to accept a cancellation); `rejected` and
//! `closed` + `failure` refuse the cancellation and put the action back to `running`;
//! `closed` with anything else ends it `canceled`; any other value is an information entry.
//! Cancel feedback is accepted on a `canceling` action and, recorded without effect, on a
//! `canceled` one (a repeated acknowledgement); on any other state it is refused.
//!
//! **Refusals** ([`RolloutError`]): feedback on a closed action
//! ([`RolloutError::ActionClosed`], which the DDI route answers `410 Gone` as hawkBit does);
//! on an action never offered ([`RolloutError::ActionNotOffered`], `404`); cancel feedback on
//! an action that is not being canceled ([`RolloutError::ActionNotCanceling`]). Caps from
//! hawkBit's `HawkbitSecurityProperties`: an action holds at most
//! [`MAX_STATUS_ENTRIES_PER_ACTION`] status entries; feedback that changes the action's state
//! is always accepted (a device must always be able to close its action), an information
//! entry beyond the cap is refused ([`RolloutError::StatusEntriesExhausted`]), as hawkBit's
//! quota check does. A status keeps at most [`MAX_MESSAGES_PER_STATUS`] detail lines; unlike
//! hawkBit, which refuses such feedback, the rest are dropped and counted
//! ([`Transition::details_dropped`]), because SWUpdate flushes its install log as one feedback
//! and a refused one loses the whole log.
//!
//! **Action ids** stay below 2^31: SWUpdate reads them with `json_object_get_int`
//! ([`ActionId`]).

use std::fmt;
use std::str::FromStr;

use crate::RolloutError;
use crate::vocabulary::vocabulary;

/// At most this many status entries per action (hawkBit's `maxStatusEntriesPerAction`).
pub const MAX_STATUS_ENTRIES_PER_ACTION: usize = 1000;

/// At most this many detail lines per status entry (hawkBit's `maxMessagesPerActionStatus`).
pub const MAX_MESSAGES_PER_STATUS: usize = 50;

/// The detail line SWUpdate sends when it skips an update (`server_hawkbit.c`).
pub const SWUPDATE_SKIPPED: &str = "Skipped Update.";

/// An action's id on the DDI wire: positive and below 2^31, because SWUpdate reads it as a
/// 32-bit signed int.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId(i64);

impl ActionId {
    /// The largest id a device can read: 2^31 − 1.
    pub const MAX: i64 = i32::MAX as i64;

    /// Checks the id's range.
    pub fn new(value: i64) -> Result<ActionId, RolloutError> {
        if (1..=ActionId::MAX).contains(&value) {
            Ok(ActionId(value))
        } else {
            Err(RolloutError::ActionIdOutOfRange { value })
        }
    }

    /// The id.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

impl FromStr for ActionId {
    type Err = RolloutError;

    /// Reads the id of a DDI path segment (`deploymentBase/42`) or a feedback's `id`.
    fn from_str(text: &str) -> Result<ActionId, RolloutError> {
        let value: i64 = text
            .trim()
            .parse()
            .map_err(|_| RolloutError::ActionIdInvalid {
                text: text.to_string(),
            })?;
        ActionId::new(value)
    }
}

vocabulary! {
    /// Where an action is (hawkBit's action states, plus `skipped`).
    pub enum ActionState as "action state" {
        /// Assigned, not offered to the device yet (its wave has not started, or it waits
        /// for the maintenance window).
        Scheduled = "scheduled",
        /// Offered (deploymentBase is in the device's poll), or the device reports progress.
        Running = "running",
        /// The device fetched the deploymentBase.
        Retrieved = "retrieved",
        /// The device reports that it downloads.
        Downloading = "downloading",
        /// The device reports that it has downloaded (ends a download-only action).
        Downloaded = "downloaded",
        /// A cancellation is asked for; the poll offers cancelAction until the device answers.
        Canceling = "canceling",
        /// Ended: canceled.
        Canceled = "canceled",
        /// Ended: the device reports it installed the update.
        Finished = "finished",
        /// Ended: the device reports a failure.
        Error = "error",
        /// Ended: the device skipped the update and installed nothing ("Skipped Update.").
        Skipped = "skipped",
    }
}

vocabulary! {
    /// `status.execution` of a DDI feedback (`DdiStatus.ExecutionStatus`).
    pub enum Execution as "feedback execution" {
        /// The device is done with the action (see `finished` for how).
        Closed = "closed",
        /// Work in progress.
        Proceeding = "proceeding",
        /// The device canceled the action.
        Canceled = "canceled",
        /// The device scheduled the work.
        Scheduled = "scheduled",
        /// The device rejects the action (or the cancellation).
        Rejected = "rejected",
        /// The device resumed the work.
        Resumed = "resumed",
        /// The device has downloaded the artifacts.
        Downloaded = "downloaded",
        /// The device downloads.
        Download = "download",
    }
}

vocabulary! {
    /// `status.result.finished` of a DDI feedback (`DdiResult.FinalResult`).
    pub enum FinalResult as "feedback result" {
        /// Succeeded.
        Success = "success",
        /// Failed.
        Failure = "failure",
        /// No result yet (with `closed`, hawkBit reads it as success).
        None = "none",
    }
}

vocabulary! {
    /// The word of one stored status entry of an action (hawkBit's `ActionStatus`, plus
    /// `skipped`).
    pub enum ActionStatus as "action status" {
        /// Progress, or an information entry.
        Running = "running",
        /// The device downloads.
        Download = "download",
        /// The device has downloaded.
        Downloaded = "downloaded",
        /// The device rejected the action; it stays open.
        Warning = "warning",
        /// Canceled.
        Canceled = "canceled",
        /// The device refused the cancellation.
        CancelRejected = "cancel_rejected",
        /// Installed.
        Finished = "finished",
        /// Failed.
        Error = "error",
        /// Skipped: nothing installed.
        Skipped = "skipped",
    }
}

vocabulary! {
    /// How a rollout's actions are offered (hawkBit's action types).
    pub enum UpdateType as "update type" {
        /// Download and install at once (`download: forced`, `update: forced`).
        Forced = "forced",
        /// The device (or its user) decides when (`attempt`).
        Soft = "soft",
        /// Soft until a deadline, then forced.
        TimeForced = "timeforced",
        /// Download only (`update: skip`); the download ends the action. SWUpdate cannot do
        /// it (it answers "Skipped Update."), so it is refused for such clients at creation
        /// ([`crate::check_update_type`]).
        DownloadOnly = "download_only",
    }
}

/// Which DDI endpoint a feedback came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `POST deploymentBase/{id}/feedback`.
    Deployment,
    /// `POST cancelAction/{id}/feedback`.
    Cancel,
}

/// One DDI feedback, as the DDI route read it (leniently: `id`, `time` and `timestamp` are
/// not needed here and may be absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The endpoint it came to.
    pub channel: Channel,
    /// `status.execution`.
    pub execution: Execution,
    /// `status.result.finished`.
    pub finished: FinalResult,
    /// `status.details`: the device's messages (SWUpdate's install log).
    pub details: Vec<String>,
}

/// What the rules need to know about the action a feedback is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionFacts {
    /// Its state.
    pub state: ActionState,
    /// Its rollout's update type.
    pub update_type: UpdateType,
    /// How many status entries it holds.
    pub status_entries: usize,
    /// Whether the last deploymentBase the device retrieved for it said `update: skip`.
    pub skip_offered: bool,
    /// Whether the device ever reported progress on it ([`Transition::progress`]).
    pub progressed: bool,
}

impl ActionFacts {
    /// Whether the action is active: a device has at most one (scheduled or offered, not
    /// ended). A download-only action ends when `downloaded`.
    pub fn is_active(&self) -> bool {
        is_active(self.state, self.update_type)
    }
}

/// Whether an action in `state` of a rollout of `update_type` is active (not ended).
pub fn is_active(state: ActionState, update_type: UpdateType) -> bool {
    match state {
        ActionState::Canceled
        | ActionState::Finished
        | ActionState::Error
        | ActionState::Skipped => false,
        ActionState::Downloaded => update_type != UpdateType::DownloadOnly,
        ActionState::Scheduled
        | ActionState::Running
        | ActionState::Retrieved
        | ActionState::Downloading
        | ActionState::Canceling => true,
    }
}

/// What a feedback does to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: ActionState,
    /// The state after (may equal `from`).
    pub to: ActionState,
    /// The word of the status entry to store.
    pub status: ActionStatus,
    /// Whether this feedback ends the action (later feedback is `410 Gone`).
    pub closes: bool,
    /// Whether it counts as progress on the deployment ([`ActionFacts::progressed`]).
    pub progress: bool,
    /// How many detail lines to store (the first ones).
    pub details_kept: usize,
    /// How many detail lines are dropped beyond [`MAX_MESSAGES_PER_STATUS`].
    pub details_dropped: usize,
}

/// The transition a DDI feedback causes on an action, or why it is refused.
pub fn apply_feedback(
    action: &ActionFacts,
    feedback: &Feedback,
) -> Result<Transition, RolloutError> {
    let from = action.state;
    let (to, status) = match feedback.channel {
        Channel::Deployment => deployment_feedback(action, feedback)?,
        Channel::Cancel => cancel_feedback(action, feedback)?,
    };
    let closes = is_active(from, action.update_type) && !is_active(to, action.update_type);
    if to == from && !closes && action.status_entries >= MAX_STATUS_ENTRIES_PER_ACTION {
        return Err(RolloutError::StatusEntriesExhausted {
            limit: MAX_STATUS_ENTRIES_PER_ACTION,
        });
    }
    let progress = feedback.channel == Channel::Deployment
        && !closes
        && matches!(
            feedback.execution,
            Execution::Proceeding
                | Execution::Scheduled
                | Execution::Resumed
                | Execution::Download
                | Execution::Downloaded
        );
    let details_kept = feedback.details.len().min(MAX_MESSAGES_PER_STATUS);
    Ok(Transition {
        from,
        to,
        status,
        closes,
        progress,
        details_kept,
        details_dropped: feedback.details.len() - details_kept,
    })
}

fn deployment_feedback(
    action: &ActionFacts,
    feedback: &Feedback,
) -> Result<(ActionState, ActionStatus), RolloutError> {
    let state = action.state;
    if state == ActionState::Scheduled {
        return Err(RolloutError::ActionNotOffered);
    }
    if !action.is_active() {
        return Err(RolloutError::ActionClosed { state });
    }
    let canceling = state == ActionState::Canceling;
    // Progress leaves a pending cancellation pending.
    let progress_to = |to: ActionState| if canceling { state } else { to };
    Ok(match feedback.execution {
        Execution::Canceled => (ActionState::Canceled, ActionStatus::Canceled),
        Execution::Rejected => (state, ActionStatus::Warning),
        Execution::Closed => match feedback.finished {
            FinalResult::Failure => (ActionState::Error, ActionStatus::Error),
            FinalResult::Success | FinalResult::None => {
                if was_skipped(action, feedback) {
                    (ActionState::Skipped, ActionStatus::Skipped)
                } else {
                    (ActionState::Finished, ActionStatus::Finished)
                }
            }
        },
        Execution::Download => (
            progress_to(ActionState::Downloading),
            ActionStatus::Download,
        ),
        Execution::Downloaded => {
            if action.update_type == UpdateType::DownloadOnly {
                (ActionState::Downloaded, ActionStatus::Downloaded)
            } else {
                (
                    progress_to(ActionState::Downloaded),
                    ActionStatus::Downloaded,
                )
            }
        }
        Execution::Proceeding | Execution::Scheduled | Execution::Resumed => {
            (progress_to(ActionState::Running), ActionStatus::Running)
        }
    })
}

/// The rule of the module docs: SWUpdate's detail line, or a skip offered and no progress.
fn was_skipped(action: &ActionFacts, feedback: &Feedback) -> bool {
    feedback
        .details
        .iter()
        .any(|line| line.trim() == SWUPDATE_SKIPPED)
        || (action.skip_offered && !action.progressed)
}

fn cancel_feedback(
    action: &ActionFacts,
    feedback: &Feedback,
) -> Result<(ActionState, ActionStatus), RolloutError> {
    let state = action.state;
    let status = match (feedback.execution, feedback.finished) {
        (Execution::Canceled, _) => ActionStatus::Warning,
        (Execution::Rejected, _) => ActionStatus::CancelRejected,
        (Execution::Closed, FinalResult::Failure) => ActionStatus::Error,
        (Execution::Closed, _) => ActionStatus::Canceled,
        _ => ActionStatus::Running,
    };
    match state {
        ActionState::Canceling => {
            let to = match status {
                ActionStatus::Canceled => ActionState::Canceled,
                ActionStatus::CancelRejected | ActionStatus::Error => ActionState::Running,
                _ => ActionState::Canceling,
            };
            Ok((to, status))
        }
        // A repeated acknowledgement: recorded, changes nothing.
        ActionState::Canceled => Ok((ActionState::Canceled, status)),
        _ => Err(RolloutError::ActionNotCanceling { state }),
    }
}

/// What the server does to an action, apart from feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionEvent {
    /// Its wave started (and its window is open): put deploymentBase in the poll.
    Offer,
    /// The device fetched `GET deploymentBase/{id}`.
    Retrieve,
    /// A person (or a revoked patch, or the rollout's cancellation) asks to cancel it.
    Cancel,
}

/// The state an action reaches with a server event, or why the event is refused.
///
/// - `offer`: only from `scheduled`.
/// - `retrieve`: `running` becomes `retrieved`; later states stay (a device fetches the
///   deploymentBase again while installing and after a reboot); refused on a scheduled
///   action (`404`, never offered), a canceling one (`404`: the poll offers cancelAction) and
///   a closed one.
/// - `cancel`: a scheduled action is canceled at once (the device never saw it); an offered
///   one becomes `canceling` until the device answers; a canceling one stays; a closed one is
///   refused.
pub fn apply_event(
    state: ActionState,
    update_type: UpdateType,
    event: ActionEvent,
) -> Result<ActionState, RolloutError> {
    if !is_active(state, update_type) {
        return Err(RolloutError::ActionClosed { state });
    }
    match (event, state) {
        (ActionEvent::Offer, ActionState::Scheduled) => Ok(ActionState::Running),
        (ActionEvent::Offer, _) => Err(RolloutError::ActionAlreadyOffered { state }),
        (ActionEvent::Retrieve, ActionState::Scheduled) => Err(RolloutError::ActionNotOffered),
        (ActionEvent::Retrieve, ActionState::Canceling) => Err(RolloutError::ActionCanceling),
        (ActionEvent::Retrieve, ActionState::Running) => Ok(ActionState::Retrieved),
        (ActionEvent::Retrieve, state) => Ok(state),
        (ActionEvent::Cancel, ActionState::Scheduled) => Ok(ActionState::Canceled),
        (ActionEvent::Cancel, _) => Ok(ActionState::Canceling),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(state: &str) -> ActionFacts {
        ActionFacts {
            state: state.parse().unwrap(),
            update_type: UpdateType::Forced,
            status_entries: 3,
            skip_offered: false,
            progressed: true,
        }
    }

    fn feedback(channel: Channel, execution: &str, finished: &str, details: &[&str]) -> Feedback {
        Feedback {
            channel,
            execution: execution.parse().unwrap(),
            finished: finished.parse().unwrap(),
            details: details.iter().map(|line| line.to_string()).collect(),
        }
    }

    /// action, feedback → "to status [closes]" or the error's text.
    fn check_with(
        action: ActionFacts,
        channel: Channel,
        execution: &str,
        finished: &str,
        details: &[&str],
        expected: &str,
    ) {
        let found = match apply_feedback(&action, &feedback(channel, execution, finished, details))
        {
            Ok(t) => format!(
                "{} {}{}",
                t.to,
                t.status,
                if t.closes { " closes" } else { "" }
            ),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{} + {execution}/{finished}", action.state);
    }

    fn check(state: &str, execution: &str, finished: &str, expected: &str) {
        check_with(
            facts(state),
            Channel::Deployment,
            execution,
            finished,
            &[],
            expected,
        );
    }

    fn check_cancel(state: &str, execution: &str, finished: &str, expected: &str) {
        check_with(
            facts(state),
            Channel::Cancel,
            execution,
            finished,
            &[],
            expected,
        );
    }

    #[test]
    #[rustfmt::skip]
    fn deployment_feedback_maps_as_hawkbit() {
        check("running", "proceeding", "none", "running running");
        check("retrieved", "proceeding", "none", "running running");
        check("retrieved", "scheduled", "none", "running running");
        check("downloading", "resumed", "none", "running running");
        check("retrieved", "download", "none", "downloading download");
        check("downloading", "downloaded", "none", "downloaded downloaded");
        check("running", "rejected", "none", "running warning");
        check("downloaded", "rejected", "none", "downloaded warning");
        check("running", "canceled", "none", "canceled canceled closes");
        check("running", "closed", "failure", "error error closes");
        check("running", "closed", "success", "finished finished closes");
        // hawkBit reads closed + none as success.
        check("downloaded", "closed", "none", "finished finished closes");
    }

    #[test]
    #[rustfmt::skip]
    fn progress_leaves_a_pending_cancellation_pending() {
        check("canceling", "proceeding", "none", "canceling running");
        check("canceling", "download", "none", "canceling download");
        check("canceling", "downloaded", "none", "canceling downloaded");
        check("canceling", "closed", "success", "finished finished closes");
        check("canceling", "closed", "failure", "error error closes");
        check("canceling", "canceled", "none", "canceled canceled closes");
    }

    #[test]
    #[rustfmt::skip]
    fn feedback_on_a_closed_or_unoffered_action_is_refused() {
        for closed in ["finished", "error", "canceled", "skipped"] {
            check(closed, "closed", "success", &format!("the action is already {closed}: no more feedback is taken (410 Gone)"));
            check(closed, "proceeding", "none", &format!("the action is already {closed}: no more feedback is taken (410 Gone)"));
        }
        check("scheduled", "proceeding", "none", "the action was not offered to the device yet");
    }

    #[test]
    #[rustfmt::skip]
    fn swupdate_skipped_update_is_skipped_not_finished() {
        // SWUpdate's own words, whatever was offered.
        check_with(facts("retrieved"), Channel::Deployment, "closed", "success", &["Skipped Update."], "skipped skipped closes");
        check_with(facts("retrieved"), Channel::Deployment, "closed", "success", &["  Skipped Update.  "], "skipped skipped closes");
        // A skip offered and no progress: skipped even without the words.
        let offered_skip = ActionFacts { skip_offered: true, progressed: false, ..facts("retrieved") };
        check_with(offered_skip, Channel::Deployment, "closed", "success", &[], "skipped skipped closes");
        // A skip offered after the device installed (the reboot after the window closed):
        // a real installation.
        let installed = ActionFacts { skip_offered: true, progressed: true, ..facts("running") };
        check_with(installed, Channel::Deployment, "closed", "success", &["Update Installed."], "finished finished closes");
        // A failure is a failure, skip or not.
        check_with(offered_skip, Channel::Deployment, "closed", "failure", &["Skipped Update."], "error error closes");
    }

    #[test]
    #[rustfmt::skip]
    fn download_only_ends_with_downloaded() {
        let action = ActionFacts { update_type: UpdateType::DownloadOnly, ..facts("downloading") };
        check_with(action, Channel::Deployment, "downloaded", "none", &[], "downloaded downloaded closes");
        let done = ActionFacts { update_type: UpdateType::DownloadOnly, ..facts("downloaded") };
        check_with(done, Channel::Deployment, "closed", "success", &[], "the action is already downloaded: no more feedback is taken (410 Gone)");
    }

    #[test]
    #[rustfmt::skip]
    fn cancel_feedback_maps_as_hawkbit() {
        // SWUpdate's acknowledgement: closed/success "cancellation acknowledged."
        check_cancel("canceling", "closed", "success", "canceled canceled closes");
        check_cancel("canceling", "closed", "none", "canceled canceled closes");
        check_cancel("canceling", "closed", "failure", "running error");
        check_cancel("canceling", "rejected", "none", "running cancel_rejected");
        check_cancel("canceling", "canceled", "none", "canceling warning");
        check_cancel("canceling", "proceeding", "none", "canceling running");
        // A repeated acknowledgement.
        check_cancel("canceled", "closed", "success", "canceled canceled");
        check_cancel("canceled", "rejected", "none", "canceled cancel_rejected");
        check_cancel("running", "closed", "success", "the action is running, not being canceled: cancel feedback is refused");
        check_cancel("finished", "closed", "success", "the action is finished, not being canceled: cancel feedback is refused");
    }

    #[test]
    fn the_status_entry_cap_refuses_information_only() {
        let full = ActionFacts {
            status_entries: MAX_STATUS_ENTRIES_PER_ACTION,
            ..facts("running")
        };
        let refused = "the action already holds 1000 status entries: information feedback is refused until it changes state";
        check_with(
            full,
            Channel::Deployment,
            "proceeding",
            "none",
            &[],
            refused,
        );
        check_with(full, Channel::Deployment, "rejected", "none", &[], refused);
        check_with(
            full,
            Channel::Deployment,
            "download",
            "none",
            &[],
            "downloading download",
        );
        check_with(
            full,
            Channel::Deployment,
            "closed",
            "success",
            &[],
            "finished finished closes",
        );
        let below = ActionFacts {
            status_entries: MAX_STATUS_ENTRIES_PER_ACTION - 1,
            ..facts("running")
        };
        check_with(
            below,
            Channel::Deployment,
            "proceeding",
            "none",
            &[],
            "running running",
        );
    }

    #[test]
    fn details_beyond_fifty_are_dropped_and_counted() {
        let lines: Vec<String> = (0..73).map(|i| format!("line {i}")).collect();
        let feedback = Feedback {
            channel: Channel::Deployment,
            execution: Execution::Proceeding,
            finished: FinalResult::None,
            details: lines,
        };
        let transition = apply_feedback(&facts("running"), &feedback).unwrap();
        assert_eq!(
            (transition.details_kept, transition.details_dropped),
            (50, 23)
        );
        assert!(transition.progress);
    }

    #[test]
    fn progress_is_deployment_feedback_that_moves_the_work() {
        let progress = |channel, execution: &str| {
            apply_feedback(
                &facts("canceling"),
                &feedback(channel, execution, "none", &[]),
            )
            .unwrap()
            .progress
        };
        assert!(progress(Channel::Deployment, "proceeding"));
        assert!(progress(Channel::Deployment, "download"));
        assert!(!progress(Channel::Deployment, "rejected"));
        assert!(!progress(Channel::Cancel, "proceeding"));
    }

    /// state, event → next state or the error's text.
    fn check_event(state: &str, event: ActionEvent, expected: &str) {
        let found = match apply_event(state.parse().unwrap(), UpdateType::Soft, event) {
            Ok(state) => state.to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{state} + {event:?}");
    }

    #[test]
    #[rustfmt::skip]
    fn server_events() {
        use ActionEvent::*;
        check_event("scheduled", Offer, "running");
        check_event("running", Offer, "the action is already running: it was offered before");
        check_event("running", Retrieve, "retrieved");
        check_event("retrieved", Retrieve, "retrieved");
        check_event("downloaded", Retrieve, "downloaded");
        check_event("scheduled", Retrieve, "the action was not offered to the device yet");
        check_event("canceling", Retrieve, "the action is being canceled: the device is offered cancelAction instead");
        check_event("finished", Retrieve, "the action is already finished: no more feedback is taken (410 Gone)");
        check_event("scheduled", Cancel, "canceled");
        check_event("downloading", Cancel, "canceling");
        check_event("canceling", Cancel, "canceling");
        check_event("skipped", Cancel, "the action is already skipped: no more feedback is taken (410 Gone)");
    }

    #[test]
    fn action_ids_stay_below_two_to_the_thirty_one() {
        assert_eq!("42".parse::<ActionId>().unwrap().get(), 42);
        assert_eq!(
            ActionId::new(2_147_483_647).unwrap().get(),
            i64::from(i32::MAX)
        );
        assert_eq!(
            ActionId::new(2_147_483_648).unwrap_err().to_string(),
            "action id 2147483648 is out of range: DDI action ids are 1 to 2147483647 (SWUpdate reads them as a 32-bit int)"
        );
        assert!(ActionId::new(0).is_err());
        assert_eq!(
            "4x".parse::<ActionId>().unwrap_err().to_string(),
            "\"4x\" is not an action id"
        );
    }
}
