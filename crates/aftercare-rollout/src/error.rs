//! The one error type of this crate: every refusal names the state, event, term, wave or
//! value it concerns and says what is accepted, so that a person (or, through the DDI
//! route's status code, a device) can act on it.

use crate::action::ActionState;
use crate::filter::ControllerId;
use crate::rollout::{RolloutEventKind, RolloutState};

/// Everything the rollout rules refuse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RolloutError {
    /// A label of a fixed vocabulary (action state, feedback execution, update type …) is
    /// not one of its values.
    #[error("unknown {vocabulary} {value:?}: expected one of {expected}")]
    UnknownLabel {
        /// Which vocabulary was parsed, e.g. `action state`.
        vocabulary: &'static str,
        /// The rejected input.
        value: String,
        /// The accepted values, comma-separated.
        expected: String,
    },

    /// An action id outside what devices can read.
    #[error(
        "action id {value} is out of range: DDI action ids are 1 to 2147483647 (SWUpdate reads them as a 32-bit int)"
    )]
    ActionIdOutOfRange {
        /// The id.
        value: i64,
    },

    /// An action id that is not a number.
    #[error("{text:?} is not an action id")]
    ActionIdInvalid {
        /// The text.
        text: String,
    },

    /// Feedback (or a fetch) for an action that has ended: the DDI route answers `410 Gone`.
    #[error("the action is already {state}: no more feedback is taken (410 Gone)")]
    ActionClosed {
        /// Its final state.
        state: ActionState,
    },

    /// Feedback (or a fetch) for an action the device was never offered.
    #[error("the action was not offered to the device yet")]
    ActionNotOffered,

    /// A fetch of deploymentBase while the action is being canceled.
    #[error("the action is being canceled: the device is offered cancelAction instead")]
    ActionCanceling,

    /// An offer of an action already offered.
    #[error("the action is already {state}: it was offered before")]
    ActionAlreadyOffered {
        /// Its state.
        state: ActionState,
    },

    /// Cancel feedback for an action that is not being canceled.
    #[error("the action is {state}, not being canceled: cancel feedback is refused")]
    ActionNotCanceling {
        /// Its state.
        state: ActionState,
    },

    /// Information feedback beyond the cap of status entries per action.
    #[error(
        "the action already holds {limit} status entries: information feedback is refused until it changes state"
    )]
    StatusEntriesExhausted {
        /// The cap.
        limit: usize,
    },

    /// A rollout event that the rollout's state does not allow.
    #[error("a rollout that is {state} cannot take the event {event} (allowed: {allowed})")]
    IllegalTransition {
        /// The rollout's state.
        state: RolloutState,
        /// The refused event.
        event: RolloutEventKind,
        /// The events the state allows, comma-separated.
        allowed: String,
    },

    /// A percentage that does not parse.
    #[error("{text:?} is not a percentage: write it like 95% or 99.5% (at most two decimals)")]
    PercentInvalid {
        /// The text.
        text: String,
    },

    /// A percentage above 100 %.
    #[error("{text:?} is more than 100%")]
    PercentOutOfRange {
        /// The text.
        text: String,
    },

    /// One entry of `--waves` is wrong.
    #[error("wave {wave} ({entry:?}): {problem}")]
    WaveEntry {
        /// The wave, counted from 1.
        wave: usize,
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        problem: String,
    },

    /// `--waves` does not end with everything.
    #[error(
        "the last wave is {last:?}: it must be 100% or all, so that every targeted device is in a wave"
    )]
    WavesIncomplete {
        /// The last entry.
        last: String,
    },

    /// Too many (or no) waves.
    #[error("a rollout has 1 to {max} waves, not {waves}", max = crate::wave::MAX_WAVES)]
    WaveCount {
        /// How many were given.
        waves: usize,
    },

    /// An explicit wave without devices.
    #[error("wave {wave} lists no device")]
    WaveListEmpty {
        /// The wave, counted from 1.
        wave: usize,
    },

    /// A device in two explicit waves.
    #[error("device {device} is listed in wave {first} and in wave {second}")]
    WaveListDuplicate {
        /// The device.
        device: ControllerId,
        /// The first wave that lists it, counted from 1.
        first: usize,
        /// The second.
        second: usize,
    },

    /// Devices of explicit waves that the filter does not target.
    #[error(
        "{} listed in a wave but not targeted by the rollout's filter",
        devices_are(.devices)
    )]
    WaveListNotTargeted {
        /// Their ids.
        devices: Vec<String>,
    },

    /// Targeted devices that no explicit wave lists, without a wave for the rest.
    #[error(
        "{} in no wave (the first is {first}): list it, or add a last wave for the rest",
        count_devices(*.unlisted)
    )]
    WaveListsIncomplete {
        /// How many.
        unlisted: usize,
        /// The first of them.
        first: ControllerId,
    },

    /// The same device twice among the targeted devices.
    #[error("device {device} is listed twice among the targeted devices")]
    DeviceTwice {
        /// The device.
        device: ControllerId,
    },

    /// A controller id that cannot be a DDI path segment.
    #[error(
        "{id:?} is not a controller id: 1 to 256 characters, no blanks, no /, no control characters"
    )]
    ControllerIdInvalid {
        /// The text.
        id: String,
    },

    /// An empty target filter.
    #[error(
        "the filter is empty: name at least one term (product=…, release=…, site=…, organisation=…, tag=…, hw=…), so that a filter never means every device by accident"
    )]
    FilterEmpty,

    /// One term of the target filter is wrong.
    #[error("filter term {term:?}: {problem}")]
    FilterTerm {
        /// The term as written.
        term: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A downgrade in a rollout that is not a rollback.
    #[error(
        "the target release is older than the installed one: a downgrade needs a rollback rollout with a rationale"
    )]
    Downgrade,

    /// A rollback's rationale that is too short.
    #[error("the rationale of a rollback is {length} characters long; it needs at least {minimum}")]
    RationaleTooShort {
        /// Characters given (trimmed).
        length: usize,
        /// Characters required.
        minimum: usize,
    },

    /// Download-only for devices whose client cannot honour it.
    #[error(
        "download-only is refused: {} a client that cannot honour it (SWUpdate answers \"Skipped Update.\")",
        devices_run(*.devices)
    )]
    DownloadOnlyUnsupported {
        /// How many targeted devices.
        devices: usize,
    },

    /// A maintenance window that is not seven parts.
    #[error(
        "the window {text:?} has {tokens} parts; write 'CRON DURATION TZ' with five cron fields, e.g. '0 2 * * 1-5 02:00 Europe/Berlin'"
    )]
    WindowShape {
        /// The text.
        text: String,
        /// How many blank-separated parts it has.
        tokens: usize,
    },

    /// One cron field of a maintenance window is wrong.
    #[error("cron {field} {text:?}: {problem}")]
    CronField {
        /// Which field.
        field: &'static str,
        /// The field as written.
        text: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A maintenance window's duration that does not parse or is out of range.
    #[error("the window's duration {text:?} is not HH:MM (more than 00:00, at most 168:00)")]
    WindowDuration {
        /// The text.
        text: String,
    },

    /// A maintenance window's zone with characters no zone has.
    #[error(
        "the window's zone {text:?} is not a zone name (Europe/Berlin, UTC) or an offset (+01:00)"
    )]
    WindowZone {
        /// The text.
        text: String,
    },

    /// A local date and time that does not exist on the calendar.
    #[error("{text} is not a local date and time")]
    LocalTimeInvalid {
        /// The date and time as given.
        text: String,
    },
}

fn count_devices(count: usize) -> String {
    if count == 1 {
        "1 targeted device is".to_string()
    } else {
        format!("{count} targeted devices are")
    }
}

fn devices_run(count: usize) -> String {
    if count == 1 {
        "1 targeted device runs".to_string()
    } else {
        format!("{count} targeted devices run")
    }
}

fn devices_are(devices: &[String]) -> String {
    match devices {
        [one] => format!("device {one} is"),
        many => format!("devices {} are", many.join(", ")),
    }
}

impl aftercare_model::label::UnknownLabel for RolloutError {
    fn unknown_label(vocabulary: &'static str, value: &str, expected: String) -> Self {
        RolloutError::UnknownLabel {
            vocabulary,
            value: value.to_string(),
            expected,
        }
    }
}
