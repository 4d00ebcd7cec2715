//! `aftercare organisation …`, `aftercare site …` and `aftercare device …`: the device
//! registry.
//!
//! A device's token is shown once: `device add` prints it (with a note on stderr that it will
//! not be shown again); `device import` prints the tokens of every device, or, with
//! `--tokens-out FILE`, writes them to a new file readable by its owner only (mode 0600 on
//! Unix), created before the import so that a file that cannot be written stops the import
//! before anything is registered.

use std::io::Write as _;
use std::path::Path;

use aftercare_api::device::{DeviceDto, OrganisationDto, RegisteredDeviceDto, SiteDto};
use aftercare_api::rollout::ActionDto;
use aftercare_service::device::{self, DeviceQuery, DeviceUpdate, NewDeviceRequest};
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{DeviceCommand, OrganisationCommand, SiteCommand};
use crate::output::{Table, cell, emit};

pub(crate) async fn organisation(command: OrganisationCommand) -> anyhow::Result<Outcome> {
    match command {
        OrganisationCommand::Add {
            name,
            description,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let row = device::add_organisation(
                &workspace,
                &context,
                &principal,
                &name,
                description.as_deref(),
            )
            .await?;
            let dto = OrganisationDto::from(&row);
            emit(format.format, &dto, || {
                organisations_table(std::slice::from_ref(&dto))
            })?;
        }
        OrganisationCommand::List { workspace, format } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let dtos: Vec<OrganisationDto> = device::organisations(&workspace, &principal)
                .await?
                .iter()
                .map(OrganisationDto::from)
                .collect();
            emit(format.format, &dtos, || organisations_table(&dtos))?;
        }
    }
    Ok(Outcome::Ok)
}

fn organisations_table(list: &[OrganisationDto]) -> String {
    let mut table = Table::new(&["ID", "NAME", "DESCRIPTION"]);
    for organisation in list {
        table.row(vec![
            organisation.id.to_string(),
            organisation.name.clone(),
            cell(organisation.description.as_deref()),
        ]);
    }
    table.render()
}

pub(crate) async fn site(command: SiteCommand) -> anyhow::Result<Outcome> {
    match command {
        SiteCommand::Add {
            name,
            organisation,
            timezone,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let row = device::add_site(
                &workspace,
                &context,
                &principal,
                &name,
                &organisation,
                timezone.as_deref(),
            )
            .await?;
            let dto = SiteDto::from(&row);
            emit(format.format, &dto, || {
                sites_table(std::slice::from_ref(&dto))
            })?;
        }
        SiteCommand::List {
            organisation,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let dtos: Vec<SiteDto> = device::sites(&workspace, &principal, organisation.as_deref())
                .await?
                .iter()
                .map(SiteDto::from)
                .collect();
            emit(format.format, &dtos, || sites_table(&dtos))?;
        }
    }
    Ok(Outcome::Ok)
}

fn sites_table(list: &[SiteDto]) -> String {
    let mut table = Table::new(&["ID", "NAME", "ORGANISATION", "TIMEZONE"]);
    for site in list {
        table.row(vec![
            site.id.to_string(),
            site.name.clone(),
            site.organisation.clone(),
            cell(site.timezone.as_deref()),
        ]);
    }
    table.render()
}

fn release_cell(device: &DeviceDto) -> String {
    match (&device.installed_release, &device.installed_source) {
        (Some(version), Some(source)) => format!("{version} ({source})"),
        (Some(version), None) => version.clone(),
        _ => "-".to_string(),
    }
}

fn devices_table(list: &[DeviceDto]) -> String {
    let mut table = Table::new(&[
        "CONTROLLER ID",
        "PRODUCT",
        "SERIAL",
        "RELEASE",
        "SITE",
        "ORGANISATION",
        "TAGS",
        "STATE",
        "LAST POLL",
    ]);
    for device in list {
        table.row(vec![
            device.controller_id.clone(),
            device.product.clone(),
            device.serial.clone(),
            release_cell(device),
            cell(device.site.as_deref()),
            cell(device.organisation.as_deref()),
            if device.tags.is_empty() {
                "-".to_string()
            } else {
                device.tags.join(",")
            },
            device.state.clone(),
            cell(device.last_poll_at.as_deref()),
        ]);
    }
    table.render()
}

fn device_detail(device: &DeviceDto) -> String {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    let rows: Vec<(&str, String)> = vec![
        ("controller id", device.controller_id.clone()),
        ("product", device.product.clone()),
        ("serial", device.serial.clone()),
        ("hardware", cell(device.hardware.as_deref())),
        ("site", cell(device.site.as_deref())),
        ("organisation", cell(device.organisation.as_deref())),
        ("tags", device.tags.join(",")),
        ("installed release", release_cell(device)),
        ("installed at", cell(device.installed_at.as_deref())),
        ("reported version", cell(device.reported_version.as_deref())),
        ("disagreement", cell(device.disagreement.as_deref())),
        ("state", device.state.clone()),
        (
            "decommission reason",
            cell(device.decommission_reason.as_deref()),
        ),
        ("last poll", cell(device.last_poll_at.as_deref())),
        ("registered", device.created_at.clone()),
    ];
    for (field, value) in rows {
        table.row(vec![field.to_string(), value]);
    }
    table.render()
}

/// Creates the tokens file, new and readable by its owner only.
fn tokens_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).with_context(|| {
        format!(
            "cannot create {} for the tokens (an existing file is not overwritten)",
            path.display()
        )
    })
}

pub(crate) async fn run(command: DeviceCommand) -> anyhow::Result<Outcome> {
    match command {
        DeviceCommand::Add {
            controller_id,
            product,
            serial,
            hardware,
            site,
            organisation,
            tag,
            release,
            client,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let request = NewDeviceRequest {
                controller_id,
                product,
                serial,
                hardware,
                site,
                organisation,
                tags: tag,
                release,
                client,
            };
            let registered = device::add(&workspace, &context, &principal, &request).await?;
            let dto = RegisteredDeviceDto::from(&registered);
            emit(format.format, &dto, || {
                format!(
                    "{}\ntoken: {}\n",
                    devices_table(std::slice::from_ref(&dto.device)),
                    dto.token
                )
            })?;
            eprintln!(
                "the device's token is shown this once: give it to the device now (only its SHA-256 is kept)"
            );
        }
        DeviceCommand::Import {
            file,
            tokens_out,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let bytes = super::read_file(&file)?;
            let mut out = tokens_out.as_deref().map(tokens_file).transpose()?;
            let name = file.display().to_string();
            let registered = device::import(&workspace, &context, &principal, &name, &bytes).await;
            let registered = match registered {
                Ok(registered) => registered,
                Err(error) => {
                    if let Some(path) = &tokens_out {
                        // Nothing was registered: the empty tokens file goes too.
                        drop(out.take());
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(error.into());
                }
            };
            let mut dtos: Vec<RegisteredDeviceDto> =
                registered.iter().map(RegisteredDeviceDto::from).collect();
            if let (Some(file), Some(path)) = (out.as_mut(), &tokens_out) {
                let mut text = String::from("controller_id,token\n");
                for dto in &dtos {
                    text.push_str(&format!("{},{}\n", dto.device.controller_id, dto.token));
                }
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("writing the tokens to {}", path.display()))?;
                for dto in &mut dtos {
                    dto.token = String::new();
                }
                eprintln!(
                    "registered {} devices; their tokens are in {} (mode 0600), shown nowhere else",
                    dtos.len(),
                    path.display()
                );
                let devices: Vec<DeviceDto> = dtos.into_iter().map(|d| d.device).collect();
                emit(format.format, &devices, || devices_table(&devices))?;
            } else {
                eprintln!(
                    "registered {} devices; their tokens are shown this once",
                    dtos.len()
                );
                emit(format.format, &dtos, || {
                    let devices: Vec<DeviceDto> = dtos.iter().map(|d| d.device.clone()).collect();
                    let mut table = Table::new(&["CONTROLLER ID", "TOKEN"]);
                    for dto in &dtos {
                        table.row(vec![dto.device.controller_id.clone(), dto.token.clone()]);
                    }
                    format!("{}\n{}", devices_table(&devices), table.render())
                })?;
            }
        }
        DeviceCommand::List {
            product,
            site,
            organisation,
            tag,
            state,
            exposed_to,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let query = DeviceQuery {
                product,
                site,
                organisation,
                tag,
                state,
                exposed_to,
            };
            let dtos: Vec<DeviceDto> = device::list(&workspace, &principal, &query)
                .await?
                .iter()
                .map(DeviceDto::from)
                .collect();
            emit(format.format, &dtos, || devices_table(&dtos))?;
        }
        DeviceCommand::Show {
            controller_id,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let view = device::show(&workspace, &principal, &controller_id).await?;
            let dto = DeviceDto::from(&view);
            emit(format.format, &dto, || device_detail(&dto))?;
        }
        DeviceCommand::Update {
            controller_id,
            site,
            organisation,
            tag,
            release,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let change = DeviceUpdate {
                site,
                organisation,
                tags: (!tag.is_empty()).then_some(tag),
                release,
            };
            let view =
                device::update(&workspace, &context, &principal, &controller_id, &change).await?;
            let dto = DeviceDto::from(&view);
            emit(format.format, &dto, || device_detail(&dto))?;
        }
        DeviceCommand::History {
            controller_id,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let history =
                aftercare_service::rollout::history(&workspace, &principal, &controller_id).await?;
            let dtos: Vec<ActionDto> = history
                .iter()
                .map(|(action, rollout, statuses)| ActionDto::of(action, rollout, statuses))
                .collect();
            emit(format.format, &dtos, || history_text(&controller_id, &dtos))?;
        }
        DeviceCommand::Telemetry {
            controller_id,
            grain,
            hours,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let to = jiff::Timestamp::now();
            let from = to
                .checked_sub(jiff::SignedDuration::from_hours(hours.clamp(1, 24 * 400)))
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let (state, rollups) = aftercare_service::fleet::telemetry(
                &workspace,
                &principal,
                &controller_id,
                &grain,
                from,
                to,
            )
            .await?;
            let dto = aftercare_api::fleet::DeviceTelemetryDto::new(
                &controller_id,
                state.as_ref(),
                &rollups,
            );
            emit(format.format, &dto, || telemetry_text(&dto))?;
        }
        DeviceCommand::Decommission {
            controller_id,
            reason,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let view =
                device::decommission(&workspace, &context, &principal, &controller_id, &reason)
                    .await?;
            let dto = DeviceDto::from(&view);
            emit(format.format, &dto, || device_detail(&dto))?;
        }
    }
    Ok(Outcome::Ok)
}

fn history_text(controller_id: &str, actions: &[ActionDto]) -> String {
    if actions.is_empty() {
        return format!("{controller_id} has had no rollout action\n");
    }
    let mut out = String::new();
    for action in actions {
        out.push_str(&format!(
            "action {} — rollout {} wave {} ({}): {}{}\n",
            action.id,
            action.rollout,
            action.wave,
            action.assignment,
            action.state,
            if action.active { ", open" } else { "" }
        ));
        for status in &action.statuses {
            out.push_str(&format!(
                "  {} {} [{}] {}/{}{}\n",
                status.at,
                status.status,
                status.channel,
                status.execution.as_deref().unwrap_or("-"),
                status.result.as_deref().unwrap_or("-"),
                status
                    .code
                    .map(|c| format!(" code {c}"))
                    .unwrap_or_default()
            ));
            for line in &status.details {
                out.push_str(&format!("      {line}\n"));
            }
            if status.details_dropped > 0 {
                out.push_str(&format!(
                    "      … {} more line(s) dropped\n",
                    status.details_dropped
                ));
            }
        }
    }
    out
}

fn telemetry_text(dto: &aftercare_api::fleet::DeviceTelemetryDto) -> String {
    let time = |ms: Option<i64>| {
        ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .map_or_else(|| "-".to_string(), |at| at.to_string())
    };
    let mut out = format!(
        "Telemetry of {}\n  last heartbeat:   {}\n  last event:       {}\n  reports release:  {}\n  firmware SHA-256: {}\n  uptime:           {}\n  clock skew:       {}\n  lines:            {} stored, {} refused\n",
        dto.device,
        time(dto.last_heartbeat_ms),
        time(dto.last_event_ms),
        dto.reported_release.as_deref().unwrap_or("-"),
        dto.firmware_sha256.as_deref().unwrap_or("-"),
        dto.uptime_s
            .map_or_else(|| "-".to_string(), |s| format!("{s} s")),
        dto.skew_ms.map_or_else(
            || "-".to_string(),
            |ms| format!("{:.1} s", ms as f64 / 1000.0)
        ),
        dto.events,
        dto.rejected,
    );
    if dto.rollups.is_empty() {
        out.push_str("\nNo rollups in the window.\n");
        return out;
    }
    let mut table = Table::new(&["METRIC", "START", "SAMPLES", "MEAN", "MIN", "MAX"]);
    for rollup in &dto.rollups {
        table.row(vec![
            rollup.metric.clone(),
            time(Some(rollup.start_ms)),
            rollup.samples.to_string(),
            format!("{:.3}", rollup.mean),
            format!("{:.3}", rollup.min),
            format!("{:.3}", rollup.max),
        ]);
    }
    out.push('\n');
    out.push_str(&table.render());
    out
}
