//! The device registry's wire types: organisations, sites, devices (with the installed
//! release's source and any disagreement with what the device reports), a registered device
//! with its token (shown once), and the requests that create, change, decommission and import
//! them.

use aftercare_service::device::{DeviceUpdate, DeviceView, Registered};
use aftercare_store::device::{OrganisationRow, SiteRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organisation that owns devices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationDto {
    /// The id.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// A description.
    pub description: Option<String>,
    /// When it was added (RFC 3339, UTC).
    pub created_at: String,
}

impl From<&OrganisationRow> for OrganisationDto {
    fn from(row: &OrganisationRow) -> OrganisationDto {
        OrganisationDto {
            id: row.id,
            name: row.name.clone(),
            description: row.description.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

/// A new organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewOrganisationDto {
    /// The unique name.
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A site of an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SiteDto {
    /// The id.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// Its organisation's name.
    pub organisation: String,
    /// Its IANA time zone.
    pub timezone: Option<String>,
    /// When it was added (RFC 3339, UTC).
    pub created_at: String,
}

impl From<&SiteRow> for SiteDto {
    fn from(row: &SiteRow) -> SiteDto {
        SiteDto {
            id: row.id,
            name: row.name.clone(),
            organisation: row.organisation.clone(),
            timezone: row.timezone.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

/// A new site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewSiteDto {
    /// The unique name.
    pub name: String,
    /// Its organisation, by name.
    pub organisation: String,
    /// Its IANA time zone (`Europe/Berlin`).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// A device in the field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceDto {
    /// The id.
    pub id: i64,
    /// Its controller id (DDI).
    pub controller_id: String,
    /// Its product.
    pub product: String,
    /// Its serial number.
    pub serial: String,
    /// Its hardware revision.
    pub hardware: Option<String>,
    /// Its site.
    pub site: Option<String>,
    /// Its organisation.
    pub organisation: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
    /// The version recorded as installed.
    pub installed_release: Option<String>,
    /// Where that record came from: `import`, `manual` (later a rollout action's result).
    pub installed_source: Option<String>,
    /// When it was recorded (RFC 3339, UTC).
    pub installed_at: Option<String>,
    /// The version the device last reported itself, if any.
    pub reported_version: Option<String>,
    /// The device reports another version than the one recorded: shown, never resolved.
    pub disagreement: Option<String>,
    /// `registered`, `in_sync`, `pending`, `error`, `unknown` or `decommissioned`.
    pub state: String,
    /// Why it was decommissioned.
    pub decommission_reason: Option<String>,
    /// When it last polled (RFC 3339, UTC).
    pub last_poll_at: Option<String>,
    /// Its update client: `swupdate`, `rauc_hawkbit_updater` or `unknown`.
    pub client: String,
    /// When it was registered (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

impl From<&DeviceView> for DeviceDto {
    fn from(view: &DeviceView) -> DeviceDto {
        let row = &view.row;
        DeviceDto {
            id: row.id,
            controller_id: row.controller_id.clone(),
            product: row.product.clone(),
            serial: row.serial.clone(),
            hardware: row.hardware.clone(),
            site: row.site.clone(),
            organisation: row.organisation.clone(),
            tags: row.tags.clone(),
            installed_release: row.installed_version.clone(),
            installed_source: row.installed_source.clone(),
            installed_at: row.installed_at.clone(),
            reported_version: row.reported_version.clone(),
            disagreement: view.disagreement.clone(),
            state: row.state.clone(),
            decommission_reason: row.decommission_reason.clone(),
            last_poll_at: row.last_poll_at.clone(),
            client: row.client_kind.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// A device just registered, with its security token: shown this once, stored only as its
/// SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredDeviceDto {
    /// The device.
    pub device: DeviceDto,
    /// Its security token (`Authorization: TargetToken …` for DDI), never shown again.
    pub token: String,
}

impl From<&Registered> for RegisteredDeviceDto {
    fn from(registered: &Registered) -> RegisteredDeviceDto {
        RegisteredDeviceDto {
            device: DeviceDto::from(&registered.device),
            token: registered.token.expose().to_string(),
        }
    }
}

/// A device to register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewDeviceDto {
    /// Its controller id: 1 to 256 characters, no blanks, no `/`.
    pub controller_id: String,
    /// Its product, by name or id.
    pub product: String,
    /// Its serial number (unique per product).
    pub serial: String,
    /// Its hardware revision.
    #[serde(default)]
    pub hardware: Option<String>,
    /// Its site, by name (the organisation defaults to the site's).
    #[serde(default)]
    pub site: Option<String>,
    /// Its organisation, by name.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The version installed on it (recorded with the source `manual`).
    #[serde(default)]
    pub release: Option<String>,
    /// Its update client: `swupdate`, `rauc_hawkbit_updater` or `unknown` (the default).
    #[serde(default)]
    pub client: Option<String>,
}

impl From<NewDeviceDto> for aftercare_service::device::NewDeviceRequest {
    fn from(dto: NewDeviceDto) -> aftercare_service::device::NewDeviceRequest {
        aftercare_service::device::NewDeviceRequest {
            controller_id: dto.controller_id,
            product: dto.product,
            serial: dto.serial,
            hardware: dto.hardware,
            site: dto.site,
            organisation: dto.organisation,
            tags: dto.tags,
            release: dto.release,
            client: dto.client,
        }
    }
}

/// What changes of a device; an absent field is left as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct DeviceUpdateDto {
    /// A new site, by name (the organisation follows the site's unless given).
    #[serde(default)]
    pub site: Option<String>,
    /// A new organisation, by name.
    #[serde(default)]
    pub organisation: Option<String>,
    /// The new tags, replacing the old ones (`[]` removes them all).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// The version now installed (a release of the device's product), recorded with the
    /// source `manual`.
    #[serde(default)]
    pub release: Option<String>,
}

impl From<DeviceUpdateDto> for DeviceUpdate {
    fn from(dto: DeviceUpdateDto) -> DeviceUpdate {
        DeviceUpdate {
            site: dto.site,
            organisation: dto.organisation,
            tags: dto.tags,
            release: dto.release,
        }
    }
}

/// Why a device is taken out of service.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecommissionDto {
    /// The reason, kept with the device.
    pub reason: String,
}

/// A CSV file of devices to register in one transaction (the columns of `aftercare device
/// import`: `controller_id,serial,product,hardware,site,organisation,tags,release,client`,
/// tags `;`-separated).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceImportDto {
    /// The file's name, used in messages that name a line (default `devices.csv`).
    #[serde(default)]
    pub name: Option<String>,
    /// The CSV text, header first.
    pub csv: String,
}
