//! The device side of rollouts: what hawkBit's DDI routes ask of the workspace, for a device
//! the route authenticated (`device::authenticate`).
//!
//! - [`poll`]: the base poll — the device's active action as a `deploymentBase` link (kept
//!   until the device closes it, ddi-protocol.md §0), a `cancelAction` link while a
//!   cancellation is pending, `installedBase` for its last installed action, `configData`
//!   until it has reported its attributes. A scheduled action is offered here once its
//!   rollout runs and its window is open — never outside it (SWUpdate ignores
//!   `maintenanceWindow` and would install at once); an action offered in the window and
//!   fetched after it closed says `update: skip`.
//! - [`deployment`]: `GET deploymentBase/{id}` — the offer (download and update modes, the
//!   artifacts); outside the window `update: skip`, remembered so that SWUpdate's answer is
//!   recorded as `skipped`, not installed.
//! - [`feedback`]: the device's feedback on either channel, through
//!   `aftercare_rollout::apply_feedback`; a closing one records the outcome on the device (the
//!   installed release, from the action) and writes one audit event; the rollout moves on at
//!   the next tick (`rollout::tick`), as hawkBit's rollout scheduler does.
//! - [`config_data`]: the device's own attributes (merge, replace, remove); a version among
//!   them is recorded as *reported*, beside the installed release, never over it.
//! - [`artifact`]: the artifact a device may download — only its own actions' release's.
//!
//! Polls are not written one by one: [`PollClock`] coalesces the last poll of each device
//! and writes them in one transaction when flushed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use aftercare_rollout::{
    ActionEvent, ActionFacts, ActionId, ActionState, Channel, Execution, Feedback, FinalResult,
    RolloutError, UpdateType, apply_event, apply_feedback,
};
use aftercare_store::artifact::ArtifactRow;
use aftercare_store::device::DeviceRow;
use aftercare_store::rollout::{self as stored, ActionRow, ActionStatusRow, RolloutRow};
use serde_json::json;

use super::{rules_of, window_open};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// What the base poll links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollLink {
    /// Nothing to do.
    Nothing,
    /// `deploymentBase/{action}?c={hash}`.
    Deployment {
        /// The action.
        action_id: i64,
        /// A hash of what the offer says now (the `c` parameter).
        hash: String,
    },
    /// `cancelAction/{action}`.
    Cancel {
        /// The action.
        action_id: i64,
    },
}

/// The answer to a base poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    /// The action link, if any.
    pub link: PollLink,
    /// The device's last installed (finished, closed) action.
    pub installed: Option<i64>,
    /// Whether to ask for the device's attributes (it has not sent configData yet).
    pub config_data: bool,
}

fn not_found(action_id: i64) -> ServiceError {
    ServiceError::NotFound {
        entity: "action",
        key: action_id.to_string(),
    }
}

fn action_id(id: i64) -> Result<i64, ServiceError> {
    ActionId::new(id)
        .map(ActionId::get)
        .map_err(|error| ServiceError::rule("action_id", error))
}

fn state_of(action: &ActionRow) -> Result<ActionState, ServiceError> {
    action
        .state
        .parse()
        .map_err(|error| ServiceError::rule("state", error))
}

fn type_of(action: &ActionRow) -> Result<UpdateType, ServiceError> {
    action
        .update_type
        .parse()
        .map_err(|error| ServiceError::rule("update_type", error))
}

async fn rollout_of(workspace: &Workspace, action: &ActionRow) -> Result<RolloutRow, ServiceError> {
    stored::rollout_by_id(workspace.store().pool(), action.rollout_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: action.rollout_id.to_string(),
        })
}

/// The offer's hash: changes when the action's update type, the window's verdict or a
/// `timeforced` offer's becoming forced changes it, so that the link (and the poll's ETag)
/// change with the offer, as hawkBit's `c` does.
fn offer_hash(action: &ActionRow, open: bool, forced: bool) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (action.id, action.update_type.as_str(), open, forced).hash(&mut hasher);
    // A signed 32-bit value, as hawkBit's `c` is.
    (hasher.finish() as u32 as i32).to_string()
}

/// The base poll of an authenticated device.
pub async fn poll(
    workspace: &Workspace,
    context: &Context,
    device: &DeviceRow,
) -> Result<Poll, ServiceError> {
    let pool = workspace.store().pool();
    let config_data = device.reported_at.is_none();
    let installed = stored::installed_action(pool, device.id)
        .await?
        .map(|a| a.id);
    let Some(mut action) = stored::active_action(pool, device.id).await? else {
        return Ok(Poll {
            link: PollLink::Nothing,
            installed,
            config_data,
        });
    };
    let state = state_of(&action)?;
    let link = match state {
        ActionState::Canceling => PollLink::Cancel {
            action_id: action.id,
        },
        ActionState::Scheduled => {
            // Not offered yet: offered here once its rollout runs and its window is open
            // (outside it SWUpdate, which ignores `maintenanceWindow`, would install at once).
            let rollout = rollout_of(workspace, &action).await?;
            let rules = rules_of(&rollout)?;
            let open = window_open(rules.window.as_ref(), context.now);
            if !open || rollout.state != "running" {
                PollLink::Nothing
            } else {
                let mut tx = workspace.store().begin().await?;
                if let Some(current) = stored::action(tx.conn(), action.id).await?
                    && current.state == ActionState::Scheduled.as_str()
                {
                    action = current;
                    action.state = apply_event(state, type_of(&action)?, ActionEvent::Offer)
                        .map_err(|e| ServiceError::rule("action", e))?
                        .as_str()
                        .to_string();
                    stored::update_action(&mut tx, &action, &context.at()).await?;
                }
                tx.commit().await?;
                PollLink::Deployment {
                    action_id: action.id,
                    hash: offer_hash(&action, open, forced_now(&rollout, context.now)),
                }
            }
        }
        ActionState::Running => {
            // Offered: linked until the device closes it; fetched after the window closed,
            // the deployment says `update: skip` (the hash changes with the window).
            let rollout = rollout_of(workspace, &action).await?;
            let rules = rules_of(&rollout)?;
            let open = window_open(rules.window.as_ref(), context.now);
            PollLink::Deployment {
                action_id: action.id,
                hash: offer_hash(&action, open, forced_now(&rollout, context.now)),
            }
        }
        _ => {
            // Fetched, downloading, installed and awaiting the reboot's confirmation: the
            // link stays until the device closes the action.
            let forced = if type_of(&action)? == UpdateType::TimeForced {
                forced_now(&rollout_of(workspace, &action).await?, context.now)
            } else {
                true
            };
            PollLink::Deployment {
                action_id: action.id,
                hash: offer_hash(&action, true, forced),
            }
        }
    };
    Ok(Poll {
        link,
        installed,
        config_data,
    })
}

/// How a deployment is offered (DDI's `download` and `update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `skip`.
    Skip,
    /// `attempt`.
    Attempt,
    /// `forced`.
    Forced,
}

impl Mode {
    /// The DDI word.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Skip => "skip",
            Mode::Attempt => "attempt",
            Mode::Forced => "forced",
        }
    }
}

/// A deployment as DDI's `deploymentBase` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The action.
    pub action_id: i64,
    /// `download`.
    pub download: Mode,
    /// `update`.
    pub update: Mode,
    /// The software module: the release's id (the artifact links' `softwaremodules/{id}`).
    pub module_id: i64,
    /// The product (the chunk's name).
    pub product: String,
    /// The release's version.
    pub version: String,
    /// The artifacts.
    pub artifacts: Vec<ArtifactRow>,
}

/// Whether a rollout's offers are forced now: a `timeforced` rollout's once its instant has
/// passed (hawkBit's `calculateDownloadType`).
fn forced_now(rollout: &RolloutRow, now: jiff::Timestamp) -> bool {
    rollout
        .forced_at
        .as_deref()
        .and_then(|text| text.parse::<jiff::Timestamp>().ok())
        .is_some_and(|at| now >= at)
}

fn modes(update_type: UpdateType, open: bool, forced: bool) -> (Mode, Mode) {
    let download = match update_type {
        UpdateType::Soft => Mode::Attempt,
        UpdateType::TimeForced if !forced => Mode::Attempt,
        UpdateType::TimeForced | UpdateType::Forced | UpdateType::DownloadOnly => Mode::Forced,
    };
    let update = if update_type == UpdateType::DownloadOnly || !open {
        Mode::Skip
    } else {
        download
    };
    (download, update)
}

async fn device_action(
    workspace: &Workspace,
    device: &DeviceRow,
    id: i64,
) -> Result<ActionRow, ServiceError> {
    let id = action_id(id)?;
    match stored::action(workspace.store().pool(), id).await? {
        Some(action) if action.device_id == device.id => Ok(action),
        // Another device's action is as unknown as a missing one.
        _ => Err(not_found(id)),
    }
}

/// `GET deploymentBase/{id}`: the offer, recorded as retrieved. A canceling or canceled
/// action, one never offered, another device's and a revoked patch's are 404; a closed
/// action is described without change (SWUpdate fetches it again after a reboot).
pub async fn deployment(
    workspace: &Workspace,
    context: &Context,
    device: &DeviceRow,
    id: i64,
) -> Result<Deployment, ServiceError> {
    let action = device_action(workspace, device, id).await?;
    let state = state_of(&action)?;
    let update_type = type_of(&action)?;
    if matches!(
        state,
        ActionState::Scheduled | ActionState::Canceling | ActionState::Canceled
    ) {
        return Err(not_found(action.id));
    }
    let pool = workspace.store().pool();
    if stored::is_revoked(pool, action.release_id).await? {
        return Err(not_found(action.id));
    }
    let rollout = rollout_of(workspace, &action).await?;
    let rules = rules_of(&rollout)?;
    let open = window_open(rules.window.as_ref(), context.now);
    let (download, update) = modes(update_type, open, forced_now(&rollout, context.now));
    if action.active {
        let mut tx = workspace.store().begin().await?;
        if let Some(mut current) = stored::action(tx.conn(), action.id).await?
            && current.active
        {
            let now = state_of(&current)?;
            let next = apply_event(now, update_type, ActionEvent::Retrieve).unwrap_or(now);
            let skip = update == Mode::Skip && update_type != UpdateType::DownloadOnly;
            if next != now || current.skip_offered != skip {
                current.state = next.as_str().to_string();
                current.skip_offered = skip;
                stored::update_action(&mut tx, &current, &context.at()).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(Deployment {
        action_id: action.id,
        download,
        update,
        module_id: action.release_id,
        product: rollout.product,
        version: rollout.version,
        artifacts: crate::artifact::of_release(workspace, action.release_id).await?,
    })
}

/// `GET installedBase/{id}`: the deployment of a closed, installed action (404 while it is
/// active or when it did not install).
pub async fn installed_base(
    workspace: &Workspace,
    device: &DeviceRow,
    id: i64,
) -> Result<Deployment, ServiceError> {
    let action = device_action(workspace, device, id).await?;
    if action.active || action.state != ActionState::Finished.as_str() {
        return Err(not_found(action.id));
    }
    let rollout = rollout_of(workspace, &action).await?;
    let (download, update) = modes(type_of(&action)?, true, true);
    Ok(Deployment {
        action_id: action.id,
        download,
        update,
        module_id: action.release_id,
        product: rollout.product,
        version: rollout.version,
        artifacts: crate::artifact::of_release(workspace, action.release_id).await?,
    })
}

/// `GET cancelAction/{id}`: the action being canceled (404 unless it is).
pub async fn cancel_action(
    workspace: &Workspace,
    device: &DeviceRow,
    id: i64,
) -> Result<i64, ServiceError> {
    let action = device_action(workspace, device, id).await?;
    if state_of(&action)? != ActionState::Canceling {
        return Err(not_found(action.id));
    }
    Ok(action.id)
}

/// One feedback as the route read it (leniently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackBody {
    /// `status.execution`.
    pub execution: String,
    /// `status.result.finished`.
    pub finished: String,
    /// `status.details`.
    pub details: Vec<String>,
    /// `status.code`.
    pub code: Option<i64>,
}

fn refused(error: RolloutError, action_id: i64) -> ServiceError {
    match error {
        RolloutError::ActionClosed { state } => ServiceError::Gone {
            what: format!("action {action_id} is closed ({state}): feedback is no longer taken"),
        },
        RolloutError::ActionNotOffered | RolloutError::ActionNotCanceling { .. } => {
            not_found(action_id)
        }
        other => ServiceError::rule("feedback", other),
    }
}

/// A device's feedback on one of its actions, on the deployment or the cancel channel: the
/// status entry, the action's new state; when it closes the action, the outcome on the device
/// (a finished action records its release as installed, source `action`) and one audit event.
/// Closed actions answer [`ServiceError::Gone`]. The rollout is evaluated by [`super::tick`],
/// not here: counting a wave on every feedback would cost a wave's size per device.
pub async fn feedback(
    workspace: &Workspace,
    context: &Context,
    device: &DeviceRow,
    id: i64,
    cancel_channel: bool,
    body: &FeedbackBody,
) -> Result<(), ServiceError> {
    let id = action_id(id)?;
    let execution: Execution = body
        .execution
        .trim()
        .parse()
        .map_err(|error| ServiceError::rule("status.execution", error))?;
    let finished: FinalResult = body
        .finished
        .trim()
        .parse()
        .map_err(|error| ServiceError::rule("status.result.finished", error))?;
    let channel = if cancel_channel {
        Channel::Cancel
    } else {
        Channel::Deployment
    };
    let feedback = Feedback {
        channel,
        execution,
        finished,
        details: body.details.clone(),
    };
    let mut tx = workspace.store().begin().await?;
    let mut action = match stored::action(tx.conn(), id).await? {
        Some(action) if action.device_id == device.id => action,
        _ => return Err(not_found(id)),
    };
    let facts = ActionFacts {
        state: state_of(&action)?,
        update_type: type_of(&action)?,
        status_entries: usize::try_from(action.status_entries).unwrap_or(usize::MAX),
        skip_offered: action.skip_offered,
        progressed: action.progressed,
    };
    let transition = apply_feedback(&facts, &feedback).map_err(|e| refused(e, id))?;
    let kept: Vec<String> = body
        .details
        .iter()
        .take(transition.details_kept)
        .cloned()
        .collect();
    stored::insert_action_status(
        &mut tx,
        &ActionStatusRow {
            id: 0,
            action_id: id,
            channel: if cancel_channel {
                "cancel"
            } else {
                "deployment"
            }
            .to_string(),
            status: transition.status.as_str().to_string(),
            execution: Some(execution.as_str().to_string()),
            result: Some(finished.as_str().to_string()),
            code: body.code,
            details: kept.clone(),
            details_dropped: i64::try_from(transition.details_dropped).unwrap_or(i64::MAX),
            at: context.at(),
        },
    )
    .await?;
    let before = action.state.clone();
    action.state = transition.to.as_str().to_string();
    action.status_entries += 1;
    action.progressed |= transition.progress;
    if let Some(last) = kept.iter().rev().find(|line| !line.trim().is_empty()) {
        action.last_detail = Some(last.chars().take(500).collect());
    }
    if transition.closes {
        action.active = false;
        action.closed_at = Some(context.at());
    }
    stored::update_action(&mut tx, &action, &context.at()).await?;
    if !transition.closes {
        tx.commit().await?;
        return Ok(());
    }
    match transition.to {
        ActionState::Finished => {
            stored::record_installed(
                &mut tx,
                device.id,
                action.release_id,
                "in_sync",
                &context.at(),
            )
            .await?;
        }
        ActionState::Error => {
            stored::set_device_state(&mut tx, device.id, "error", &context.at()).await?;
        }
        _ => {
            let state = if device.installed_release_id.is_some() {
                "unknown"
            } else {
                "registered"
            };
            stored::set_device_state(&mut tx, device.id, state, &context.at()).await?;
        }
    }
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::ActionClose,
            entity_type: "action",
            entity_id: Some(id.to_string()),
            old_value: Some(json!({"state": before})),
            new_value: Some(json!({
                "state": action.state,
                "device": device.controller_id,
                "rollout": action.rollout_id,
                "status_entries": action.status_entries,
                "last_detail": action.last_detail,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How configData changes the stored attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigMode {
    /// Add and overwrite keys (the default).
    Merge,
    /// Replace all attributes.
    Replace,
    /// Remove the given keys.
    Remove,
}

impl std::str::FromStr for ConfigMode {
    type Err = ServiceError;

    fn from_str(text: &str) -> Result<ConfigMode, ServiceError> {
        match text.trim() {
            "" | "merge" => Ok(ConfigMode::Merge),
            "replace" => Ok(ConfigMode::Replace),
            "remove" => Ok(ConfigMode::Remove),
            other => Err(ServiceError::invalid(
                "mode",
                format!("{other:?}: expected merge, replace or remove"),
            )),
        }
    }
}

/// The attribute keys a device's own version is read from, in order (SWUpdate's `identify`
/// entries are the integrator's choice; these are the usual names).
pub const VERSION_KEYS: [&str; 4] = ["swVersion", "sw_version", "version", "release"];

/// Caps on what a device may store of itself.
pub const MAX_ATTRIBUTES: usize = 100;
/// The longest key or value kept.
pub const MAX_ATTRIBUTE_CHARS: usize = 512;

/// `PUT configData`: the device's attributes, merged, replaced or removed; a version among
/// them is recorded as reported (beside the installed release, never over it).
pub async fn config_data(
    workspace: &Workspace,
    context: &Context,
    device: &DeviceRow,
    mode: ConfigMode,
    data: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ServiceError> {
    if data.is_empty() {
        return Err(ServiceError::invalid("data", "must not be empty"));
    }
    if let Some((key, _)) = data.iter().find(|(k, v)| {
        k.chars().count() > MAX_ATTRIBUTE_CHARS || v.chars().count() > MAX_ATTRIBUTE_CHARS
    }) {
        return Err(ServiceError::invalid(
            "data",
            format!("{key:?}: keys and values are at most {MAX_ATTRIBUTE_CHARS} characters"),
        ));
    }
    let pool = workspace.store().pool();
    let mut attributes: BTreeMap<String, String> = stored::attributes(pool, device.id)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    match mode {
        ConfigMode::Merge => attributes.extend(data.clone()),
        ConfigMode::Replace => attributes = data.clone(),
        ConfigMode::Remove => {
            for key in data.keys() {
                attributes.remove(key);
            }
        }
    }
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(ServiceError::invalid(
            "data",
            format!("a device keeps at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    let version = VERSION_KEYS
        .iter()
        .find_map(|key| attributes.get(*key))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let text = serde_json::to_string(&attributes).unwrap_or_else(|_| "{}".into());
    let mut tx = workspace.store().begin().await?;
    stored::record_attributes(&mut tx, device.id, &text, version.as_deref(), &context.at()).await?;
    tx.commit().await?;
    Ok(attributes)
}

/// The artifact `filename` of release (software module) `module_id`, if the device may
/// download it: one of its actions delivers that release.
pub async fn artifact(
    workspace: &Workspace,
    device: &DeviceRow,
    module_id: i64,
    filename: &str,
) -> Result<ArtifactRow, ServiceError> {
    let unknown = || ServiceError::NotFound {
        entity: "artifact",
        key: format!("{module_id}/{filename}"),
    };
    let pool = workspace.store().pool();
    if !stored::device_has_release_action(pool, device.id, module_id).await? {
        return Err(unknown());
    }
    crate::artifact::of_release(workspace, module_id)
        .await?
        .into_iter()
        .find(|a| a.filename == filename)
        .ok_or_else(unknown)
}

/// The last poll of each device, kept in memory and written in one transaction when
/// flushed: a poll costs no write.
#[derive(Debug, Default)]
pub struct PollClock {
    pending: Mutex<HashMap<i64, String>>,
}

impl PollClock {
    /// Notes that a device polled at `at`.
    pub fn note(&self, device_id: i64, at: String) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(device_id, at);
        }
    }

    /// Writes the noted polls; returns how many devices.
    pub async fn flush(&self, workspace: &Workspace) -> Result<usize, ServiceError> {
        let batch: Vec<(i64, String)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let mut tx = workspace.store().begin().await?;
        stored::record_polls(&mut tx, &batch).await?;
        tx.commit().await?;
        Ok(batch.len())
    }
}
