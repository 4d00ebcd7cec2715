//! Rollouts' wire types: a rollout with its waves and counts, the request that creates it,
//! a device's actions with every status entry its device reported.

use std::collections::BTreeMap;

use aftercare_service::rollout::{NewRollout, RolloutView};
use aftercare_store::rollout::{ActionRow, ActionStatusRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One wave of a rollout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WaveDto {
    /// The wave, counted from 1.
    pub wave: i64,
    /// How many devices it holds.
    pub devices: i64,
    /// When it started (RFC 3339, UTC).
    pub started_at: Option<String>,
    /// Whether a person decides go or no-go after it.
    pub hold_after: bool,
    /// The decision at its hold point.
    pub decision: Option<String>,
    /// How many of its devices have their latest action in each state (`none`: no action
    /// yet).
    pub counts: BTreeMap<String, i64>,
}

/// A rollout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RolloutDto {
    /// The id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// The product of the release it delivers.
    pub product: String,
    /// The release's version.
    pub version: String,
    /// The target filter.
    pub filter: String,
    /// `update` or `rollback`.
    pub kind: String,
    /// A rollback's rationale.
    pub rationale: Option<String>,
    /// `forced`, `soft`, `timeforced` or `download_only`.
    pub update_type: String,
    /// The waves as given.
    pub waves_spec: String,
    /// The success threshold (`95%`).
    pub success_threshold: String,
    /// The error threshold (`5%`).
    pub error_threshold: String,
    /// The maintenance window.
    pub window: Option<String>,
    /// Whether devices that appear later join it.
    pub dynamic: bool,
    /// A `timeforced` rollout's instant from which its offers are forced (RFC 3339, UTC).
    pub forced_at: Option<String>,
    /// `created`, `starting`, `running`, `paused`, `awaiting_decision`, `finished`,
    /// `canceled`.
    pub state: String,
    /// The current wave, counted from 1 (0 before it starts).
    pub wave: i64,
    /// Why it is paused or was canceled.
    pub pause_reason: Option<String>,
    /// The distribution recorded once every targeted device was offered the release (and,
    /// when the policy's `[patch.fix_distributed]` asks for it, a share of them installed it).
    pub distribution_id: Option<i64>,
    /// Its waves.
    pub waves: Vec<WaveDto>,
    /// The counts of the whole rollout, by state of each device's latest action.
    pub totals: BTreeMap<String, i64>,
    /// Who created it.
    pub created_by: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

fn percent(hundredths: i64) -> String {
    if hundredths % 100 == 0 {
        format!("{}%", hundredths / 100)
    } else {
        format!("{}.{:02}%", hundredths / 100, hundredths % 100)
    }
}

impl From<&RolloutView> for RolloutDto {
    fn from(view: &RolloutView) -> RolloutDto {
        let row = &view.row;
        let holds: Vec<i64> = row
            .holds_after
            .split(',')
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        RolloutDto {
            id: row.id,
            name: row.name.clone(),
            product: row.product.clone(),
            version: row.version.clone(),
            filter: row.filter_text.clone(),
            kind: row.kind.clone(),
            rationale: row.rationale.clone(),
            update_type: row.update_type.clone(),
            waves_spec: row.waves_text.clone(),
            success_threshold: percent(row.success_hundredths),
            error_threshold: percent(row.error_hundredths),
            window: row.window_text.clone(),
            dynamic: row.dynamic,
            forced_at: row.forced_at.clone(),
            state: row.state.clone(),
            wave: if view.waves.is_empty() {
                0
            } else {
                row.wave + 1
            },
            pause_reason: row.pause_reason.clone(),
            distribution_id: row.distribution_id,
            waves: view
                .waves
                .iter()
                .zip(view.counts.iter())
                .map(|(wave, counts)| WaveDto {
                    wave: wave.wave + 1,
                    devices: wave.devices,
                    started_at: wave.started_at.clone(),
                    hold_after: holds.contains(&wave.wave),
                    decision: wave.decision.clone(),
                    counts: counts.clone(),
                })
                .collect(),
            totals: view.totals(),
            created_by: row.created_by.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// A rollout to create.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewRolloutDto {
    /// Its unique name.
    pub name: String,
    /// The product of the release to deliver.
    pub product: String,
    /// The release's version.
    pub version: String,
    /// The target filter: `product=… release=… site=… organisation=… tag=… hw=…`.
    pub filter: String,
    /// The waves: `1%,10%,100%` or `10,100,all`.
    #[serde(default)]
    pub waves: Option<String>,
    /// Explicit waves instead: one list of controller ids per wave.
    #[serde(default)]
    pub wave_lists: Vec<Vec<String>>,
    /// With explicit waves: the devices no list names form a last wave.
    #[serde(default)]
    pub rest: bool,
    /// The success threshold, default `95%`.
    #[serde(default)]
    pub success_threshold: Option<String>,
    /// The error threshold, default `5%`.
    #[serde(default)]
    pub error_threshold: Option<String>,
    /// `forced` (default), `soft`, `timeforced` or `download_only`.
    #[serde(default)]
    pub update_type: Option<String>,
    /// A maintenance window: `'CRON DURATION TZ'`.
    #[serde(default)]
    pub window: Option<String>,
    /// The waves (counted from 1) after which a person decides go or no-go.
    #[serde(default)]
    pub hold_after: Vec<usize>,
    /// Devices that appear later join the last wave.
    #[serde(default)]
    pub dynamic: bool,
    /// With `timeforced`: the instant (RFC 3339) from which its offers are forced.
    #[serde(default)]
    pub forced_at: Option<String>,
    /// A rollback's rationale (the release may be older than the installed one).
    #[serde(default)]
    pub rollback: Option<String>,
}

impl From<NewRolloutDto> for NewRollout {
    fn from(dto: NewRolloutDto) -> NewRollout {
        NewRollout {
            name: dto.name,
            product: dto.product,
            version: dto.version,
            filter: dto.filter,
            waves: dto.waves.unwrap_or_else(|| "100%".to_string()),
            wave_lists: dto.wave_lists,
            rest: dto.rest,
            success: dto.success_threshold.unwrap_or_else(|| "95%".to_string()),
            error: dto.error_threshold.unwrap_or_else(|| "5%".to_string()),
            update_type: dto.update_type.unwrap_or_else(|| "forced".to_string()),
            window: dto.window,
            holds_after: dto.hold_after,
            dynamic: dto.dynamic,
            forced_at: dto.forced_at,
            rollback: dto.rollback,
        }
    }
}

/// The decision at a hold point, signed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RolloutDecisionDto {
    /// `true`: go on with the next wave; `false`: stop (the rollout is canceled).
    pub go: bool,
    /// The electronic signature (its meaning is usually `approval`).
    pub signature: crate::access::SignDto,
}

/// Why a person pauses or cancels a rollout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RolloutReasonDto {
    /// Why, in their words.
    pub reason: String,
}

/// One status entry of an action.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionStatusDto {
    /// `deployment` or `cancel`: the DDI channel it came on.
    pub channel: String,
    /// The status word (`running`, `finished`, `error`, `skipped`, `canceled`, …).
    pub status: String,
    /// The feedback's `execution`.
    pub execution: Option<String>,
    /// The feedback's `finished`.
    pub result: Option<String>,
    /// The device's status code.
    pub code: Option<i64>,
    /// The detail lines kept (at most 50).
    pub details: Vec<String>,
    /// How many were dropped beyond the cap.
    pub details_dropped: i64,
    /// When it was recorded (RFC 3339, UTC).
    pub at: String,
}

impl From<&ActionStatusRow> for ActionStatusDto {
    fn from(row: &ActionStatusRow) -> ActionStatusDto {
        ActionStatusDto {
            channel: row.channel.clone(),
            status: row.status.clone(),
            execution: row.execution.clone(),
            result: row.result.clone(),
            code: row.code,
            details: row.details.clone(),
            details_dropped: row.details_dropped,
            at: row.at.clone(),
        }
    }
}

/// One action: an offer of a rollout's release to a device.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionDto {
    /// The id (the DDI action id).
    pub id: i64,
    /// Its rollout.
    pub rollout: String,
    /// Its wave, counted from 1.
    pub wave: i64,
    /// `first`, `after_skip` or `retry`.
    pub assignment: String,
    /// Its state.
    pub state: String,
    /// Whether it is still open.
    pub active: bool,
    /// The last detail line the device sent.
    pub last_detail: Option<String>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it ended.
    pub closed_at: Option<String>,
    /// Every status entry, oldest first.
    pub statuses: Vec<ActionStatusDto>,
}

impl ActionDto {
    /// An action of a rollout with its status entries.
    pub fn of(action: &ActionRow, rollout: &str, statuses: &[ActionStatusRow]) -> ActionDto {
        ActionDto {
            id: action.id,
            rollout: rollout.to_string(),
            wave: action.wave + 1,
            assignment: action.assignment.clone(),
            state: action.state.clone(),
            active: action.active,
            last_detail: action.last_detail.clone(),
            created_at: action.created_at.clone(),
            closed_at: action.closed_at.clone(),
            statuses: statuses.iter().map(ActionStatusDto::from).collect(),
        }
    }
}
