//! Rollouts: an approved patch release delivered to the devices a filter targets, wave by
//! wave, over hawkBit's DDI (the device side is [`ddi`]).
//!
//! The rules are `aftercare-rollout`'s: the filter, the wave spec and its split, the
//! thresholds and the step they give, the update type against the targeted clients,
//! anti-downgrade, the window, the state machines of the rollout and of each action. This
//! module reads what they need, calls them inside one transaction, and writes what they
//! decide with its audit event. **The approval gate** (`aftercare_patch::may_distribute`, read
//! through `patch::release::state`) is checked when a rollout is created, when it starts and
//! before each later wave: a release that fails it is never offered. A revoked patch cancels
//! the rollout and its open actions; any other refusal pauses it with the gate's reason.
//!
//! A rollout's progress is evaluated when it starts or resumes and on the server's tick
//! ([`tick`], every few seconds, as hawkBit's rollout scheduler; counting a wave on every
//! feedback would cost a wave's size per device): a wave that reaches its success threshold starts the next one (or
//! waits at a hold point, or finishes the rollout), a wave above its error threshold pauses
//! the rollout by itself, skipped devices get a new action once the window opens, and
//! devices registered later join a dynamic rollout's last wave. When the last wave has been
//! offered, the use case answers [`Moved::offered_all`] so that `flow` records the
//! distribution and the `fix_distributed` event of the cases the patch serves (when the
//! policy's `[patch.fix_distributed]` also asks for a share installed, `flow` counts it with
//! `installed_share` first).
//!
//! Uses `access`, `inventory`, `device` (the registry and its filter facts) and `patch` (the
//! gate). See `docs/adr/0013-rollouts-and-ddi.md`.

pub mod ddi;

pub use ddi::PollClock;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use aftercare_model::Permission;
use aftercare_rollout::{
    ActionState, Assignment, Candidate, ClientKind, ControllerId, MaintenanceWindow, PauseReason,
    Percent, RolloutEvent, RolloutFacts, RolloutKind, RolloutState, Step, TargetFilter, Thresholds,
    UpdateType, WaveCounts, WaveSpec, assignments, check_update_type, check_version_step,
    next_state, plan_waves, step,
};
use aftercare_store::Tx;
use aftercare_store::device::DeviceRow;
use aftercare_store::rollout::{
    self as stored, ActionRow, ActionStatusRow, NewAction, RolloutRow, WaveRow,
};
use aftercare_version::{Scheme, Version};
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// A rollout as a person asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRollout {
    /// Its unique name.
    pub name: String,
    /// The product of the release it delivers.
    pub product: String,
    /// The release's version.
    pub version: String,
    /// The target filter (`product=… release=… site=… organisation=… tag=… hw=…`).
    pub filter: String,
    /// The waves: `1%,10%,100%`, `10,100,all`; ignored when `wave_lists` is given.
    pub waves: String,
    /// Explicit waves, one list of controller ids per wave.
    pub wave_lists: Vec<Vec<String>>,
    /// With explicit waves: whether the devices no list names form a last wave.
    pub rest: bool,
    /// The success threshold (`95%`).
    pub success: String,
    /// The error threshold (`5%`).
    pub error: String,
    /// `forced`, `soft`, `timeforced` or `download_only`.
    pub update_type: String,
    /// A maintenance window: `'CRON DURATION TZ'`.
    pub window: Option<String>,
    /// The waves (counted from 1) after which a person decides go or no-go.
    pub holds_after: Vec<usize>,
    /// Whether devices that appear later with a targeted release join it.
    pub dynamic: bool,
    /// A `timeforced` rollout's instant (RFC 3339) from which its offers are forced (required
    /// for that type, refused for the others).
    pub forced_at: Option<String>,
    /// A rollback's rationale: the release may be older than the installed one.
    pub rollback: Option<String>,
}

/// A rollout with its waves and counts.
#[derive(Debug, Clone)]
pub struct RolloutView {
    /// The stored rollout.
    pub row: RolloutRow,
    /// Its waves.
    pub waves: Vec<WaveRow>,
    /// Per wave, how many planned devices have their latest action in each state (`none`:
    /// no action yet).
    pub counts: Vec<BTreeMap<String, i64>>,
}

impl RolloutView {
    /// The counts of the whole rollout, by state.
    pub fn totals(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for wave in &self.counts {
            for (state, n) in wave {
                *out.entry(state.clone()).or_insert(0) += n;
            }
        }
        out
    }
}

/// What a use case did to a rollout, for `flow` to follow up.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The rollout now.
    pub rollout: RolloutRow,
    /// Every targeted device has now been offered the release (the last wave started) and
    /// no distribution is recorded yet: `flow` records it.
    pub offered_all: bool,
}

fn text(field: &'static str, value: &str) -> Result<String, ServiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    Ok(trimmed.to_string())
}

/// A rollout's rules, parsed from its row.
struct Rules {
    filter: TargetFilter,
    update_type: UpdateType,
    thresholds: Thresholds,
    window: Option<MaintenanceWindow>,
    kind: RolloutKind,
}

fn rules_of(row: &RolloutRow) -> Result<Rules, ServiceError> {
    let rule = |field, e| ServiceError::rule(field, e);
    let percent = |field, hundredths: i64| {
        Percent::from_hundredths(u16::try_from(hundredths).unwrap_or(u16::MAX))
            .map_err(|e| rule(field, e))
    };
    Ok(Rules {
        filter: row.filter_text.parse().map_err(|e| rule("filter", e))?,
        update_type: row
            .update_type
            .parse()
            .map_err(|e| rule("update_type", e))?,
        thresholds: Thresholds {
            success: percent("success", row.success_hundredths)?,
            error: percent("error", row.error_hundredths)?,
        },
        window: row
            .window_text
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| rule("window", e))?,
        kind: match &row.rationale {
            Some(rationale) if row.kind == "rollback" => RolloutKind::Rollback {
                rationale: rationale.clone(),
            },
            _ => RolloutKind::Update,
        },
    })
}

fn facts_of(row: &RolloutRow, rules: &Rules) -> Result<RolloutFacts, ServiceError> {
    Ok(RolloutFacts {
        state: row
            .state
            .parse()
            .map_err(|e| ServiceError::rule("state", e))?,
        wave: usize::try_from(row.wave).unwrap_or(0),
        waves: usize::try_from(row.waves).unwrap_or(1),
        holds_after: holds_of(&row.holds_after),
        dynamic: row.dynamic,
        thresholds: rules.thresholds,
    })
}

fn holds_of(text: &str) -> Vec<usize> {
    text.split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

/// Whether the window (if any) is open at `now`.
fn window_open(window: Option<&MaintenanceWindow>, now: jiff::Timestamp) -> bool {
    let Some(window) = window else { return true };
    let Ok(zone) = jiff::tz::TimeZone::get(window.zone()) else {
        return false;
    };
    let local = now.to_zoned(zone).datetime();
    aftercare_rollout::LocalTime::new(
        i32::from(local.year()),
        u32::from(local.month().unsigned_abs()),
        u32::from(local.day().unsigned_abs()),
        u32::from(local.hour().unsigned_abs()),
        u32::from(local.minute().unsigned_abs()),
    )
    .map(|time| window.is_open(time))
    .unwrap_or(false)
}

/// The devices a filter targets now (never decommissioned ones), by controller id.
async fn targets(
    workspace: &Workspace,
    product_id: i64,
    filter: &TargetFilter,
) -> Result<Vec<DeviceRow>, ServiceError> {
    let devices = if let Some(file) = workspace.store().sqlite_file() {
        // On a SQLite file through its own connection, off the runtime (100,000 rows).
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || {
            aftercare_store::device::devices_for_targeting_sqlite(&file, product_id)
        })
        .await
        .map_err(|_| ServiceError::Background {
            operation: "list devices to target",
        })??
    } else {
        aftercare_store::device::devices_for_targeting(workspace.store().pool(), product_id).await?
    };
    Ok(devices
        .into_iter()
        .filter(|device| device.state != "decommissioned")
        .filter(|device| filter.matches(&crate::device::facts(device)))
        .collect())
}

fn version(text: &str) -> Option<Version> {
    Version::parse(Scheme::Generic, text).ok()
}

/// The targeted devices that get the release: those that run it already are left out (in
/// sync); a downgrade is refused unless the rollout is a rollback. Checks the update type
/// against their clients.
fn eligible(
    devices: Vec<DeviceRow>,
    target: &str,
    rules: &Rules,
) -> Result<Vec<DeviceRow>, ServiceError> {
    let target_version = version(target);
    let mut out = Vec::with_capacity(devices.len());
    let mut downgrades = Vec::new();
    for device in devices {
        let order = match (
            &target_version,
            device.installed_version.as_deref().and_then(version),
        ) {
            (Some(target), Some(installed)) => target.cmp(&installed),
            _ => Ordering::Greater,
        };
        match check_version_step(&rules.kind, order) {
            Ok(aftercare_rollout::VersionStep::Same) => {}
            Ok(_) => out.push(device),
            Err(_) => downgrades.push(format!(
                "{} runs {}",
                device.controller_id,
                device.installed_version.as_deref().unwrap_or("?")
            )),
        }
    }
    if !downgrades.is_empty() {
        let shown: Vec<_> = downgrades.iter().take(5).cloned().collect();
        return Err(ServiceError::invalid(
            "release",
            format!(
                "{target} is older than the release {} targeted device(s) run ({}{}): a \
                 downgrade needs a rollback with a rationale (--rollback \"why\")",
                downgrades.len(),
                shown.join(", "),
                if downgrades.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ),
        ));
    }
    check_update_type(
        rules.update_type,
        out.iter().map(|device| {
            device
                .client_kind
                .parse::<ClientKind>()
                .unwrap_or(ClientKind::Unknown)
                .capabilities()
        }),
    )
    .map_err(|error| ServiceError::rule("update_type", error))?;
    Ok(out)
}

/// The approval gate for a release now: `Err` with the gate's refusal.
async fn gate(
    workspace: &Workspace,
    product: &str,
    version: &str,
    now: jiff::Timestamp,
) -> Result<(), ServiceError> {
    let state = crate::patch::release::state(workspace, product, version)
        .await
        .map_err(|error| {
            ServiceError::invalid(
                "release",
                format!(
                    "{product} {version} is not a patch release the gate can clear ({error}): \
                     attach it to a remediation plan, add its evidence and approve it"
                ),
            )
        })?;
    state
        .gate(now)
        .map(|_| ())
        .map_err(|error| ServiceError::rule("release", error))
}

/// Creates a rollout (permission `rollout.manage`) in state `created`: the approval gate
/// must clear the release, the filter must target at least one device that needs it, no
/// targeted device may run a newer release (unless a rollback), and every targeted client must
/// honour the update type.
pub async fn create(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    new: &NewRollout,
) -> Result<RolloutView, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let name = text("name", &new.name)?;
    let release = crate::inventory::release(workspace, &new.product, &new.version).await?;
    let filter: TargetFilter = new
        .filter
        .parse()
        .map_err(|error| ServiceError::rule("filter", error))?;
    let spec = if new.wave_lists.is_empty() {
        new.waves
            .parse::<WaveSpec>()
            .map_err(|error| ServiceError::rule("waves", error))?
    } else {
        let lists = new
            .wave_lists
            .iter()
            .map(|list| {
                list.iter()
                    .map(|id| ControllerId::new(id.trim()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| ServiceError::rule("waves", error))?;
        WaveSpec::explicit(lists, new.rest).map_err(|error| ServiceError::rule("waves", error))?
    };
    let waves_text = if new.wave_lists.is_empty() {
        new.waves.trim().to_string()
    } else {
        let mut parts: Vec<String> = new.wave_lists.iter().map(|l| l.join(" ")).collect();
        if new.rest {
            parts.push("rest".into());
        }
        parts.join(" | ")
    };
    let success: Percent = new
        .success
        .parse()
        .map_err(|error| ServiceError::rule("success_threshold", error))?;
    let error: Percent = new
        .error
        .parse()
        .map_err(|error| ServiceError::rule("error_threshold", error))?;
    let update_type: UpdateType = new
        .update_type
        .parse()
        .map_err(|error| ServiceError::rule("type", error))?;
    let forced_at = match (
        update_type,
        new.forced_at
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty()),
    ) {
        (UpdateType::TimeForced, Some(text)) => Some(
            text.parse::<jiff::Timestamp>()
                .map_err(|error| ServiceError::rule("forced_at", error))?,
        ),
        (UpdateType::TimeForced, None) => {
            return Err(ServiceError::invalid(
                "forced_at",
                "a timeforced rollout names the instant its offers become forced \
                 (--forced-at 2026-12-10T02:00:00Z)",
            ));
        }
        (_, Some(_)) => {
            return Err(ServiceError::invalid(
                "forced_at",
                "only a timeforced rollout has an instant its offers become forced",
            ));
        }
        (_, None) => None,
    };
    let window = new
        .window
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| w.parse::<MaintenanceWindow>())
        .transpose()
        .map_err(|error| ServiceError::rule("window", error))?;
    if let Some(window) = &window
        && jiff::tz::TimeZone::get(window.zone()).is_err()
    {
        return Err(ServiceError::invalid(
            "window",
            format!("{:?} is not a time zone this server knows", window.zone()),
        ));
    }
    let kind = match new.rollback.as_deref() {
        Some(rationale) => {
            let current = crate::triage::policy::current(workspace).await?;
            RolloutKind::rollback(rationale, current.policy.rationale_min_chars())
                .map_err(|error| ServiceError::rule("rollback", error))?
        }
        None => RolloutKind::Update,
    };
    let waves = spec.waves();
    for hold in &new.holds_after {
        if *hold == 0 || *hold >= waves {
            return Err(ServiceError::invalid(
                "hold_after",
                format!(
                    "wave {hold}: a hold point follows a wave from 1 to {}",
                    waves - 1
                ),
            ));
        }
    }
    let rules = Rules {
        filter: filter.clone(),
        update_type,
        thresholds: Thresholds { success, error },
        window: window.clone(),
        kind: kind.clone(),
    };
    let devices = eligible(
        targets(workspace, release.product_id, &filter).await?,
        &release.version,
        &rules,
    )?;
    if devices.is_empty() && !new.dynamic {
        return Err(ServiceError::invalid(
            "filter",
            format!(
                "{filter} targets no device of {} that needs {} (none registered, all \
                 decommissioned, or all run it already)",
                release.product_name, release.version
            ),
        ));
    }
    gate(
        workspace,
        &release.product_name,
        &release.version,
        context.now,
    )
    .await?;
    let row = RolloutRow {
        id: 0,
        name: name.clone(),
        release_id: release.id,
        product: release.product_name.clone(),
        product_id: release.product_id,
        version: release.version.clone(),
        filter_text: filter.to_string(),
        kind: match &kind {
            RolloutKind::Update => "update".into(),
            RolloutKind::Rollback { .. } => "rollback".into(),
        },
        rationale: match &kind {
            RolloutKind::Update => None,
            RolloutKind::Rollback { rationale } => Some(rationale.clone()),
        },
        update_type: update_type.as_str().to_string(),
        waves_text,
        waves: i64::try_from(waves).unwrap_or(i64::MAX),
        holds_after: new
            .holds_after
            .iter()
            .map(|h| (h - 1).to_string())
            .collect::<Vec<_>>()
            .join(","),
        success_hundredths: i64::from(success.hundredths()),
        error_hundredths: i64::from(error.hundredths()),
        window_text: window.as_ref().map(ToString::to_string),
        dynamic: new.dynamic,
        forced_at: forced_at.map(aftercare_store::timestamp_text),
        state: RolloutState::Created.as_str().to_string(),
        wave: 0,
        pause_reason: None,
        distribution_id: None,
        created_by: context.actor.to_string(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    let mut tx = workspace.store().begin().await?;
    if stored::rollout(tx.conn(), &name).await?.is_some() {
        return Err(ServiceError::AlreadyExists {
            entity: "rollout",
            key: name,
        });
    }
    let id = stored::insert_rollout(&mut tx, &row, &context.at()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::RolloutCreate,
            entity_type: "rollout",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "name": row.name,
                "release": format!("{}@{}", row.product, row.version),
                "filter": row.filter_text,
                "waves": row.waves_text,
                "success_threshold": success.to_string(),
                "error_threshold": error.to_string(),
                "type": row.update_type,
                "window": row.window_text,
                "kind": row.kind,
                "rationale": row.rationale,
                "dynamic": row.dynamic,
                "forced_at": row.forced_at,
                "targeted_now": devices.len(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    show(workspace, principal, &name).await
}

async fn view(workspace: &Workspace, row: RolloutRow) -> Result<RolloutView, ServiceError> {
    let pool = workspace.store().pool();
    let waves = stored::waves(pool, row.id).await?;
    let mut counts: Vec<BTreeMap<String, i64>> = vec![BTreeMap::new(); waves.len()];
    for (wave, state, n) in stored::rollout_counts(pool, row.id).await? {
        if let Some(slot) = usize::try_from(wave).ok().and_then(|w| counts.get_mut(w)) {
            slot.insert(state, n);
        }
    }
    Ok(RolloutView { row, waves, counts })
}

fn require_read(principal: &Principal) -> Result<(), ServiceError> {
    principal.require(Permission::DeviceRead)
}

/// A rollout by name with its waves and counts (permission `device.read`).
pub async fn show(
    workspace: &Workspace,
    principal: &Principal,
    name: &str,
) -> Result<RolloutView, ServiceError> {
    require_read(principal)?;
    let row = stored::rollout(workspace.store().pool(), name.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: name.trim().to_string(),
        })?;
    view(workspace, row).await
}

/// Every rollout, newest first (permission `device.read`).
pub async fn list(
    workspace: &Workspace,
    principal: &Principal,
) -> Result<Vec<RolloutView>, ServiceError> {
    require_read(principal)?;
    let mut out = Vec::new();
    for row in stored::rollouts(workspace.store().pool()).await? {
        out.push(view(workspace, row).await?);
    }
    Ok(out)
}

async fn locked(tx: &mut Tx, name: &str) -> Result<RolloutRow, ServiceError> {
    // Takes the row's write lock first on PostgreSQL (SQLite's writer holds the database):
    // two feedbacks of one wave never start the next wave twice.
    sqlx_touch(tx, name).await?;
    stored::rollout(tx.conn(), name)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: name.to_string(),
        })
}

async fn sqlx_touch(tx: &mut Tx, name: &str) -> Result<(), ServiceError> {
    aftercare_store::rollout::lock_rollout(tx, name).await?;
    Ok(())
}

fn transition(row: &mut RolloutRow, event: &RolloutEvent) -> Result<RolloutState, ServiceError> {
    let state: RolloutState = row
        .state
        .parse()
        .map_err(|e| ServiceError::rule("state", e))?;
    let next = next_state(state, event).map_err(|e| ServiceError::rule("rollout", e))?;
    row.state = next.as_str().to_string();
    Ok(next)
}

fn summary(row: &RolloutRow) -> Value {
    json!({
        "state": row.state,
        "wave": row.wave + 1,
        "pause_reason": row.pause_reason,
    })
}

async fn record(
    tx: &mut Tx,
    context: &Context,
    action: AuditAction,
    before: &RolloutRow,
    after: &RolloutRow,
    extra: Option<Value>,
) -> Result<(), ServiceError> {
    let mut new_value = summary(after);
    if let (Some(extra), Some(object)) = (extra, new_value.as_object_mut()) {
        object.insert("detail".into(), extra);
    }
    audit::record(
        tx,
        context,
        Change {
            action,
            entity_type: "rollout",
            entity_id: Some(after.id.to_string()),
            old_value: Some(summary(before)),
            new_value: Some(new_value),
        },
    )
    .await
}

/// Starts a created rollout (permission `rollout.manage`): the gate again, the plan (the
/// devices the filter targets now, in waves, by controller id), the first wave's actions.
pub async fn start(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> Result<Moved, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let existing = stored::rollout(workspace.store().pool(), name.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: name.trim().to_string(),
        })?;
    let rules = rules_of(&existing)?;
    gate(workspace, &existing.product, &existing.version, context.now).await?;
    let devices = eligible(
        targets(workspace, existing.product_id, &rules.filter).await?,
        &existing.version,
        &rules,
    )?;
    let spec: WaveSpec = if existing.waves_text.contains('|') || existing.waves_text == "rest" {
        explicit_spec(&existing.waves_text)?
    } else {
        existing
            .waves_text
            .parse()
            .map_err(|e| ServiceError::rule("waves", e))?
    };
    let ids: Vec<ControllerId> = devices
        .iter()
        .map(|d| ControllerId::new(&d.controller_id))
        .collect::<Result<_, _>>()
        .map_err(|e| ServiceError::rule("controller_id", e))?;
    let planned = plan_waves(&ids, &spec).map_err(|e| ServiceError::rule("waves", e))?;
    let by_controller: BTreeMap<&str, i64> = devices
        .iter()
        .map(|d| (d.controller_id.as_str(), d.id))
        .collect();
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, &existing.name).await?;
    let before = row.clone();
    transition(&mut row, &RolloutEvent::Start)?;
    let sizes: Vec<i64> = planned
        .iter()
        .map(|w| i64::try_from(w.len()).unwrap_or(i64::MAX))
        .collect();
    stored::insert_waves(&mut tx, row.id, &sizes).await?;
    let mut plan = Vec::with_capacity(devices.len());
    for (wave, members) in planned.iter().enumerate() {
        for member in members {
            if let Some(id) = by_controller.get(member.as_str()) {
                plan.push((*id, i64::try_from(wave).unwrap_or(i64::MAX)));
            }
        }
    }
    stored::insert_rollout_devices(&mut tx, row.id, &plan).await?;
    transition(&mut row, &RolloutEvent::Started)?;
    row.wave = 0;
    let offered = begin_wave(&mut tx, context, &mut row, &rules, 0, false).await?;
    stored::update_rollout(&mut tx, &row, &context.at()).await?;
    record(
        &mut tx,
        context,
        AuditAction::RolloutStart,
        &before,
        &row,
        Some(json!({"devices": plan.len(), "waves": sizes, "first_wave_actions": offered})),
    )
    .await?;
    let moved = settle(workspace, &mut tx, context, row, &rules).await?;
    tx.commit().await?;
    Ok(moved)
}

fn explicit_spec(text: &str) -> Result<WaveSpec, ServiceError> {
    let mut lists = Vec::new();
    let mut rest = false;
    for part in text.split('|').map(str::trim) {
        if part == "rest" {
            rest = true;
            continue;
        }
        lists.push(
            part.split_whitespace()
                .map(ControllerId::new)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ServiceError::rule("waves", e))?,
        );
    }
    WaveSpec::explicit(lists, rest).map_err(|e| ServiceError::rule("waves", e))
}

/// Starts wave `wave` (from 0): creates the actions the rules assign (offered at once when
/// the window is open, else scheduled), and marks the wave started. Returns how many.
async fn begin_wave(
    tx: &mut Tx,
    context: &Context,
    row: &mut RolloutRow,
    rules: &Rules,
    wave: i64,
    retry_failed: bool,
) -> Result<usize, ServiceError> {
    row.wave = wave;
    stored::start_wave(tx, row.id, wave, &context.at()).await?;
    assign(tx, context, row, rules, retry_failed).await
}

/// Creates the actions the rules assign now (first offers, offers again after a skip,
/// retries when asked), up to the current wave.
async fn assign(
    tx: &mut Tx,
    context: &Context,
    row: &RolloutRow,
    rules: &Rules,
    retry_failed: bool,
) -> Result<usize, ServiceError> {
    let facts = facts_of(row, rules)?;
    let planned = stored::planned_devices(tx, row.id, row.wave).await?;
    let planned: Vec<_> = planned
        .into_iter()
        .filter(|p| p.device_state != "decommissioned")
        .collect();
    let candidates: Vec<Candidate> = planned
        .iter()
        .map(|p| Candidate {
            wave: usize::try_from(p.wave).unwrap_or(usize::MAX),
            active: p.active,
            latest: p
                .latest
                .as_deref()
                .and_then(|s| s.parse::<ActionState>().ok()),
        })
        .collect();
    let open = window_open(rules.window.as_ref(), context.now);
    let chosen = assignments(&facts, &candidates, retry_failed);
    // A skipped device is offered again only when the window is open.
    let new: Vec<NewAction> = chosen
        .into_iter()
        .filter(|(_, why)| open || *why != Assignment::AfterSkip)
        .filter_map(|(index, why)| {
            planned.get(index).map(|p| NewAction {
                device_id: p.device_id,
                wave: p.wave,
                assignment: match why {
                    Assignment::First => "first",
                    Assignment::AfterSkip => "after_skip",
                    Assignment::Retry => "retry",
                }
                .to_string(),
                state: if open {
                    ActionState::Running
                } else {
                    ActionState::Scheduled
                }
                .as_str()
                .to_string(),
            })
        })
        .collect();
    let count = new.len();
    stored::insert_actions(tx, row, &new, &context.at()).await?;
    stored::mark_pending(tx, row.id, &context.at()).await?;
    Ok(count)
}

/// Evaluates a rollout after a change: the current wave's counts, the step they give (start
/// the next wave after the gate, hold, pause, finish), then answers whether every targeted
/// device has now been offered the release.
async fn settle(
    workspace: &Workspace,
    tx: &mut Tx,
    context: &Context,
    mut row: RolloutRow,
    rules: &Rules,
) -> Result<Moved, ServiceError> {
    // One wave may be done at once (a small wave, a threshold of 0 %): a few rounds.
    for _ in 0..=row.waves {
        let facts = facts_of(&row, rules)?;
        if facts.state != RolloutState::Running {
            break;
        }
        let latest = stored::wave_latest_states(tx, row.id, row.wave).await?;
        let counts = WaveCounts::tally(
            latest
                .iter()
                .map(|s| s.as_deref().and_then(|s| s.parse::<ActionState>().ok())),
            rules.update_type,
        );
        let before = row.clone();
        match step(&facts, &counts) {
            Step::Wait => break,
            Step::Pause(reason) => {
                transition(&mut row, &RolloutEvent::Pause(reason.clone()))?;
                row.pause_reason = Some(reason.to_string());
                stored::update_rollout(tx, &row, &context.at()).await?;
                record(tx, context, AuditAction::RolloutPause, &before, &row, None).await?;
                break;
            }
            Step::Hold => {
                transition(&mut row, &RolloutEvent::Hold)?;
                stored::update_rollout(tx, &row, &context.at()).await?;
                record(
                    tx,
                    context,
                    AuditAction::RolloutPause,
                    &before,
                    &row,
                    Some(json!("hold point")),
                )
                .await?;
                break;
            }
            Step::Finish => {
                transition(&mut row, &RolloutEvent::Finish)?;
                stored::update_rollout(tx, &row, &context.at()).await?;
                record(tx, context, AuditAction::RolloutFinish, &before, &row, None).await?;
                break;
            }
            Step::StartWave(next) => {
                // The gate again before each wave: a revocation cancels the rollout, any
                // other refusal pauses it with the gate's reason.
                if let Some(refusal) = revoked(tx, row.release_id).await? {
                    cancel_in(
                        tx,
                        context,
                        &mut row,
                        &format!("the patch was revoked: {refusal}"),
                    )
                    .await?;
                    break;
                }
                if let Err(error) = gate(workspace, &row.product, &row.version, context.now).await {
                    let reason = PauseReason::Gate {
                        refusal: error_text(&error),
                    };
                    transition(&mut row, &RolloutEvent::Pause(reason.clone()))?;
                    row.pause_reason = Some(reason.to_string());
                    stored::update_rollout(tx, &row, &context.at()).await?;
                    record(tx, context, AuditAction::RolloutPause, &before, &row, None).await?;
                    break;
                }
                let offered = begin_wave(
                    tx,
                    context,
                    &mut row,
                    rules,
                    i64::try_from(next).unwrap_or(i64::MAX),
                    false,
                )
                .await?;
                stored::update_rollout(tx, &row, &context.at()).await?;
                record(
                    tx,
                    context,
                    AuditAction::RolloutWave,
                    &before,
                    &row,
                    Some(json!({"actions": offered})),
                )
                .await?;
            }
        }
    }
    let offered_all = row.distribution_id.is_none()
        && row.wave + 1 >= row.waves
        && matches!(
            row.state.as_str(),
            "running" | "paused" | "awaiting_decision" | "finished"
        );
    Ok(Moved {
        rollout: row,
        offered_all,
    })
}

/// Whether a release was revoked: who and why, read in the transaction.
async fn revoked(tx: &mut Tx, release_id: i64) -> Result<Option<String>, ServiceError> {
    Ok(aftercare_store::rollout::revocation(tx, release_id).await?)
}

async fn cancel_in(
    tx: &mut Tx,
    context: &Context,
    row: &mut RolloutRow,
    why: &str,
) -> Result<(), ServiceError> {
    let before = row.clone();
    transition(row, &RolloutEvent::Cancel)?;
    row.pause_reason = Some(why.to_string());
    let (canceled, canceling) =
        stored::cancel_actions_of_rollout(tx, row.id, &context.at()).await?;
    stored::update_rollout(tx, row, &context.at()).await?;
    record(
        tx,
        context,
        AuditAction::RolloutCancel,
        &before,
        row,
        Some(json!({"reason": why, "canceled": canceled, "canceling": canceling})),
    )
    .await
}

/// Pauses a running rollout (permission `rollout.manage`): nothing new is assigned; offered
/// actions go on.
pub async fn pause(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
    reason: &str,
) -> Result<RolloutView, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let reason = text("reason", reason)?;
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, name.trim()).await?;
    let before = row.clone();
    let why = PauseReason::Person {
        by: context.actor.to_string(),
        reason,
    };
    transition(&mut row, &RolloutEvent::Pause(why.clone()))?;
    row.pause_reason = Some(why.to_string());
    stored::update_rollout(&mut tx, &row, &context.at()).await?;
    record(
        &mut tx,
        context,
        AuditAction::RolloutPause,
        &before,
        &row,
        None,
    )
    .await?;
    tx.commit().await?;
    show(workspace, principal, name).await
}

/// Pauses a running rollout by itself, for a reason that is no person's (the fleet's health
/// gate, through `flow`), with the evidence in its `rollout.pause` event. Returns whether it
/// was running (a rollout paused, canceled or finished meanwhile is left as it is).
pub async fn pause_by_itself(
    workspace: &Workspace,
    context: &Context,
    name: &str,
    why: PauseReason,
    evidence: Value,
) -> Result<bool, ServiceError> {
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, name.trim()).await?;
    if row.state != "running" {
        return Ok(false);
    }
    let before = row.clone();
    transition(&mut row, &RolloutEvent::Pause(why.clone()))?;
    row.pause_reason = Some(why.to_string());
    stored::update_rollout(&mut tx, &row, &context.at()).await?;
    record(
        &mut tx,
        context,
        AuditAction::RolloutPause,
        &before,
        &row,
        Some(evidence),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Resumes a paused rollout (permission `rollout.manage`) after the gate, and evaluates it.
pub async fn resume(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> Result<Moved, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let existing = show(workspace, principal, name).await?.row;
    gate(workspace, &existing.product, &existing.version, context.now).await?;
    let rules = rules_of(&existing)?;
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, &existing.name).await?;
    let before = row.clone();
    transition(&mut row, &RolloutEvent::Resume)?;
    row.pause_reason = None;
    let offered = assign(&mut tx, context, &row, &rules, false).await?;
    stored::update_rollout(&mut tx, &row, &context.at()).await?;
    record(
        &mut tx,
        context,
        AuditAction::RolloutResume,
        &before,
        &row,
        Some(json!({"actions": offered})),
    )
    .await?;
    let moved = settle(workspace, &mut tx, context, row, &rules).await?;
    tx.commit().await?;
    Ok(moved)
}

/// Cancels a rollout (permission `rollout.manage`): not-yet-offered actions are canceled at
/// once, offered ones are asked to cancel (the device answers on cancelAction).
pub async fn cancel(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
    reason: &str,
) -> Result<RolloutView, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let reason = text("reason", reason)?;
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, name.trim()).await?;
    cancel_in(
        &mut tx,
        context,
        &mut row,
        &format!("canceled by {}: {reason}", context.actor),
    )
    .await?;
    tx.commit().await?;
    show(workspace, principal, name).await
}

/// Offers the release again to the devices whose last action in the rollout failed
/// (permission `rollout.manage`), up to the current wave, after the approval gate. A rollout
/// the error threshold paused is resumed by it: the failed devices' new actions take their
/// failures out of the wave's count (resuming alone would pause it again at once).
pub async fn retry_failed(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> Result<(RolloutView, usize), ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let existing = show(workspace, principal, name).await?.row;
    gate(workspace, &existing.product, &existing.version, context.now).await?;
    let rules = rules_of(&existing)?;
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, &existing.name).await?;
    let before = row.clone();
    match row.state.as_str() {
        "running" => {}
        "paused" => {
            transition(&mut row, &RolloutEvent::Resume)?;
            row.pause_reason = None;
        }
        other => {
            return Err(ServiceError::invalid(
                "rollout",
                format!(
                    "{} is {other}: only a running or paused rollout retries its failed devices",
                    row.name
                ),
            ));
        }
    }
    let offered = assign(&mut tx, context, &row, &rules, true).await?;
    stored::update_rollout(&mut tx, &row, &context.at()).await?;
    record(
        &mut tx,
        context,
        AuditAction::RolloutRetry,
        &before,
        &row,
        Some(json!({"actions": offered})),
    )
    .await?;
    tx.commit().await?;
    Ok((show(workspace, principal, name).await?, offered))
}

/// The signed go or no-go at a rollout's hold point (permission `patch.approve`; a person
/// signs, API tokens cannot): go starts the next wave, after the approval gate; no-go cancels
/// the rollout and its open actions. The signature binds the rollout, the wave and the
/// decision (21 CFR 11.50: the printed name, the time and the meaning are kept with it).
pub async fn decide(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
    go: bool,
    sign: &crate::access::signature::SignRequest,
) -> Result<Moved, ServiceError> {
    use crate::access::signature::{self, Signable};
    let existing = show_row(workspace, name).await?;
    let entity_id = existing.id.to_string();
    let refuse = |reason: String| async move {
        signature::record_refusal(
            workspace, context, principal, "rollout", &entity_id, &reason,
        )
        .await
    };
    if let Err(error) = principal.require(Permission::PatchApprove) {
        refuse(error.to_string()).await?;
        return Err(error);
    }
    if matches!(principal.via, crate::access::auth::Via::Token { .. }) {
        let reason = "only people sign: API tokens cannot sign, log in with a session";
        refuse(reason.to_string()).await?;
        return Err(ServiceError::SignatureRefused {
            reason: reason.into(),
        });
    }
    if existing.state != RolloutState::AwaitingDecision.as_str() {
        return Err(ServiceError::invalid(
            "rollout",
            format!(
                "{} is {}: a decision is taken only at a hold point (awaiting_decision)",
                existing.name, existing.state
            ),
        ));
    }
    if go {
        gate(workspace, &existing.product, &existing.version, context.now).await?;
    }
    let decision = if go { "go" } else { "no_go" };
    let content = format!(
        "rollout {} ({}@{}, filter {}): {decision} after wave {} of {}",
        existing.name,
        existing.product,
        existing.version,
        existing.filter_text,
        existing.wave + 1,
        existing.waves
    );
    let signable = Signable {
        entity_type: "rollout",
        entity_id: existing.id.to_string(),
        content: content.as_bytes(),
        author_account_id: None,
    };
    let signer =
        signature::verify_signer(workspace, context, principal, &signable, sign, context.now)
            .await?;
    let rules = rules_of(&existing)?;
    let mut tx = workspace.store().begin().await?;
    let mut row = locked(&mut tx, &existing.name).await?;
    let before = row.clone();
    let signature = signature::record(&mut tx, context, &signer, &signable).await?;
    stored::decide_wave(
        &mut tx,
        row.id,
        row.wave,
        decision,
        &principal.login,
        signature.id,
        &context.at(),
    )
    .await?;
    let detail = json!({"decision": decision, "wave": row.wave + 1, "signature": signature.id});
    if go {
        transition(&mut row, &RolloutEvent::Go)?;
        let next = row.wave + 1;
        let offered = begin_wave(&mut tx, context, &mut row, &rules, next, false).await?;
        stored::update_rollout(&mut tx, &row, &context.at()).await?;
        record(
            &mut tx,
            context,
            AuditAction::RolloutDecide,
            &before,
            &row,
            Some(json!({"decision": detail, "actions": offered})),
        )
        .await?;
    } else {
        record(
            &mut tx,
            context,
            AuditAction::RolloutDecide,
            &before,
            &row,
            Some(detail),
        )
        .await?;
        cancel_in(
            &mut tx,
            context,
            &mut row,
            &format!(
                "no-go after wave {} by {}",
                before.wave + 1,
                principal.login
            ),
        )
        .await?;
    }
    let moved = settle(workspace, &mut tx, context, row, &rules).await?;
    tx.commit().await?;
    Ok(moved)
}

async fn show_row(workspace: &Workspace, name: &str) -> Result<RolloutRow, ServiceError> {
    stored::rollout(workspace.store().pool(), name.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "rollout",
            key: name.trim().to_string(),
        })
}

/// The server's periodic pass over live rollouts (no principal: the system acts): a revoked
/// patch cancels its rollouts; devices registered since join dynamic rollouts' last wave;
/// skipped devices get a new action once the window opens; scheduled actions whose window
/// opened are offered; every running rollout is evaluated. Returns the rollouts moved.
pub async fn tick(workspace: &Workspace, context: &Context) -> Result<Vec<Moved>, ServiceError> {
    let mut moved = Vec::new();
    let mut tx = workspace.store().begin().await?;
    let live = stored::live_rollouts_in(&mut tx).await?;
    tx.rollback().await?;
    for existing in live {
        let rules = rules_of(&existing)?;
        let joiners = if existing.dynamic && existing.state != "canceled" {
            eligible(
                targets(workspace, existing.product_id, &rules.filter).await?,
                &existing.version,
                &rules,
            )
            .unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut tx = workspace.store().begin().await?;
        let mut row = locked(&mut tx, &existing.name).await?;
        if let Some(refusal) = revoked(&mut tx, row.release_id).await? {
            if row.state != "canceled" && row.state != "finished" {
                cancel_in(
                    &mut tx,
                    context,
                    &mut row,
                    &format!("the patch was revoked: {refusal}"),
                )
                .await?;
                tx.commit().await?;
            }
            continue;
        }
        if !joiners.is_empty() {
            let last = row.waves - 1;
            let known = stored::planned_device_ids(&mut tx, row.id).await?;
            let late: Vec<(i64, i64)> = joiners
                .iter()
                .filter(|d| !known.contains(&d.id))
                .map(|d| (d.id, last))
                .collect();
            if !late.is_empty() {
                stored::insert_rollout_devices(&mut tx, row.id, &late).await?;
                stored::grow_wave(
                    &mut tx,
                    row.id,
                    last,
                    i64::try_from(late.len()).unwrap_or(0),
                )
                .await?;
            }
        }
        // Offers again after a skip (a window) and to late devices (dynamic); without
        // either nothing new is due between waves, and the pass stays a count.
        if row.state == "running" && (rules.window.is_some() || row.dynamic) {
            if window_open(rules.window.as_ref(), context.now) {
                stored::offer_scheduled(&mut tx, row.id, row.wave, &context.at()).await?;
            }
            assign(&mut tx, context, &row, &rules, false).await?;
        }
        let result = settle(workspace, &mut tx, context, row, &rules).await?;
        tx.commit().await?;
        moved.push(result);
    }
    Ok(moved)
}

/// How many of a rollout's planned devices have its release installed (their latest action in
/// it finished), and how many it plans: what `[patch.fix_distributed]`'s share is measured
/// on.
pub(crate) async fn installed_share(
    workspace: &Workspace,
    rollout_id: i64,
) -> Result<(u64, u64), ServiceError> {
    let mut installed = 0u64;
    let mut targeted = 0u64;
    for (_, state, n) in stored::rollout_counts(workspace.store().pool(), rollout_id).await? {
        let n = u64::try_from(n).unwrap_or(0);
        targeted += n;
        if state == ActionState::Finished.as_str() {
            installed += n;
        }
    }
    Ok((installed, targeted))
}

/// The finished rollouts that have no distribution yet (a policy that asks for an installed
/// share may not have seen it reached when they finished), as moves that offered every
/// targeted device the release.
pub(crate) async fn finished_without_distribution(
    workspace: &Workspace,
) -> Result<Vec<Moved>, ServiceError> {
    Ok(stored::rollouts(workspace.store().pool())
        .await?
        .into_iter()
        .filter(|row| row.state == RolloutState::Finished.as_str() && row.distribution_id.is_none())
        .map(|row| Moved {
            rollout: row,
            offered_all: true,
        })
        .collect())
}

/// Records, in the rollout, the distribution `flow` wrote for it.
pub(crate) async fn set_distribution(
    tx: &mut Tx,
    context: &Context,
    rollout_id: i64,
    distribution_id: i64,
) -> Result<(), ServiceError> {
    let Some(mut row) = stored::rollout_by_id(tx.conn(), rollout_id).await? else {
        return Ok(());
    };
    row.distribution_id = Some(distribution_id);
    stored::update_rollout(tx, &row, &context.at()).await?;
    Ok(())
}

/// A device's actions, newest first, each with its status entries (permission
/// `device.read`, or a customer's own device).
pub async fn history(
    workspace: &Workspace,
    principal: &Principal,
    controller_id: &str,
) -> Result<Vec<(ActionRow, String, Vec<ActionStatusRow>)>, ServiceError> {
    let device = crate::device::show(workspace, principal, controller_id).await?;
    let pool = workspace.store().pool();
    let mut out = Vec::new();
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    for action in stored::actions_of_device(pool, device.row.id).await? {
        let rollout = match names.get(&action.rollout_id) {
            Some(name) => name.clone(),
            None => {
                let name = stored::rollout_by_id(pool, action.rollout_id)
                    .await?
                    .map(|r| r.name)
                    .unwrap_or_default();
                names.insert(action.rollout_id, name.clone());
                name
            }
        };
        let statuses = stored::action_statuses(pool, action.id).await?;
        out.push((action, rollout, statuses));
    }
    Ok(out)
}

/// An error with its sources, in one line.
fn error_text(error: &ServiceError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
