//! The device registry: organisations and their sites, the devices in the field with their
//! security tokens, installed release (with its source), tags and state, and which devices a
//! vulnerability reaches now (their installed release has an open finding of it).
//!
//! The rules of names are `aftercare-rollout`'s (`ControllerId`, the `TargetFilter` a device
//! list is narrowed by, over each device's `DeviceFacts`), so that a list today and a rollout's
//! targets tomorrow select devices the same way. A device's token is random (32 bytes, hex),
//! shown once, and stored only as its SHA-256; [`authenticate`] compares in constant time and
//! refuses a decommissioned device.
//!
//! Uses `access`, `inventory` (products, releases) and `intel` (a vulnerability by any alias).

pub mod import;

use aftercare_model::{Permission, Sha256};
use aftercare_rollout::{ClientKind, ControllerId, DeviceFacts, TargetFilter};
use aftercare_store::device::{
    self as stored, DeviceRow, DeviceSelection, NewDevice, OrganisationRow, SiteRow,
};
use rand::RngCore;
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

pub use import::import;

/// The states a device can be in. `registered` at creation; rollouts move the others later;
/// `decommissioned` is final.
pub const STATES: [&str; 6] = [
    "registered",
    "in_sync",
    "pending",
    "error",
    "unknown",
    "decommissioned",
];

/// Where the record of a device's installed release came from.
pub const SOURCE_IMPORT: &str = "import";
/// The installed release set by a person (`device add`, `device update`).
pub const SOURCE_MANUAL: &str = "manual";

/// A device's security token, shown once to whoever registered it; never printed by `Debug`.
#[derive(Clone)]
pub struct DeviceToken(String);

impl DeviceToken {
    fn generate() -> DeviceToken {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        DeviceToken(hex::encode(bytes))
    }

    /// Wraps a token a device presented.
    pub fn new(value: impl Into<String>) -> DeviceToken {
        DeviceToken(value.into())
    }

    /// The token's text, to hand over once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 (hex) of the token's text: what the registry stores.
    pub fn digest(&self) -> String {
        Sha256::of(self.0.as_bytes()).to_hex()
    }
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(***)")
    }
}

/// A device as registered, with its token (the only time it is available).
#[derive(Debug, Clone)]
pub struct Registered {
    /// The stored device.
    pub device: DeviceView,
    /// Its security token, in clear, once.
    pub token: DeviceToken,
}

/// A device with what the registry concludes about it.
#[derive(Debug, Clone)]
pub struct DeviceView {
    /// The stored device.
    pub row: DeviceRow,
    /// The device reported a version other than the release recorded as installed: the
    /// record is kept, and the disagreement shown, never resolved silently.
    pub disagreement: Option<String>,
}

impl DeviceView {
    fn of(row: DeviceRow) -> DeviceView {
        let disagreement = match (&row.reported_version, &row.installed_version) {
            (Some(reported), Some(recorded)) if reported != recorded => Some(format!(
                "the device reports {reported} ({}), the registry records {recorded} ({})",
                row.reported_source.as_deref().unwrap_or("unknown source"),
                row.installed_source.as_deref().unwrap_or("unknown source"),
            )),
            (Some(reported), None) => Some(format!(
                "the device reports {reported}, the registry records no release"
            )),
            _ => None,
        };
        DeviceView { row, disagreement }
    }
}

fn name(field: &'static str, text: &str) -> Result<String, ServiceError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    Ok(trimmed.to_string())
}

/// Adds an organisation (permission `device.manage`).
pub async fn add_organisation(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    organisation: &str,
    description: Option<&str>,
) -> Result<OrganisationRow, ServiceError> {
    principal.require(Permission::DeviceManage)?;
    let organisation = name("organisation", organisation)?;
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    let pool = workspace.store().pool();
    if stored::organisation(pool, &organisation).await?.is_some() {
        return Err(ServiceError::AlreadyExists {
            entity: "organisation",
            key: organisation,
        });
    }
    let mut tx = workspace.store().begin().await?;
    let id =
        stored::insert_organisation(&mut tx, &organisation, description, &context.at()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::OrganisationAdd,
            entity_type: "organisation",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({"name": organisation, "description": description})),
        },
    )
    .await?;
    tx.commit().await?;
    organisation_named(workspace, &organisation).await
}

/// An organisation by name.
pub async fn organisation_named(
    workspace: &Workspace,
    organisation: &str,
) -> Result<OrganisationRow, ServiceError> {
    stored::organisation(workspace.store().pool(), organisation.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "organisation",
            key: organisation.trim().to_string(),
        })
}

/// Every organisation (permission `device.read`).
pub async fn organisations(
    workspace: &Workspace,
    principal: &Principal,
) -> Result<Vec<OrganisationRow>, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    Ok(stored::organisations(workspace.store().pool()).await?)
}

/// Adds a site of an organisation (permission `device.manage`); a time zone must be an IANA
/// name this build knows (`Europe/Berlin`).
pub async fn add_site(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    site: &str,
    organisation: &str,
    timezone: Option<&str>,
) -> Result<SiteRow, ServiceError> {
    principal.require(Permission::DeviceManage)?;
    let site = name("site", site)?;
    let owner = organisation_named(workspace, organisation).await?;
    let timezone = timezone.map(str::trim).filter(|t| !t.is_empty());
    if let Some(zone) = timezone {
        jiff::tz::TimeZone::get(zone).map_err(|error| ServiceError::rule("timezone", error))?;
    }
    if stored::site(workspace.store().pool(), &site)
        .await?
        .is_some()
    {
        return Err(ServiceError::AlreadyExists {
            entity: "site",
            key: site,
        });
    }
    let mut tx = workspace.store().begin().await?;
    let id = stored::insert_site(&mut tx, owner.id, &site, timezone, &context.at()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::SiteAdd,
            entity_type: "site",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(
                json!({"name": site, "organisation": owner.name, "timezone": timezone}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    site_named(workspace, &site).await
}

/// A site by name.
pub async fn site_named(workspace: &Workspace, site: &str) -> Result<SiteRow, ServiceError> {
    stored::site(workspace.store().pool(), site.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "site",
            key: site.trim().to_string(),
        })
}

/// Sites, of an organisation or every one (permission `device.read`).
pub async fn sites(
    workspace: &Workspace,
    principal: &Principal,
    organisation: Option<&str>,
) -> Result<Vec<SiteRow>, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    let organisation_id = match organisation.map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(organisation_named(workspace, name).await?.id),
        None => None,
    };
    Ok(stored::sites(workspace.store().pool(), organisation_id).await?)
}

/// A device as a person (or a CSV row) registers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDeviceRequest {
    /// Its controller id (DDI): 1 to 256 characters, no blanks, no `/`.
    pub controller_id: String,
    /// Its product, by name or id.
    pub product: String,
    /// Its serial number (unique per product).
    pub serial: String,
    /// Its hardware revision.
    pub hardware: Option<String>,
    /// Its site, by name; the organisation defaults to the site's.
    pub site: Option<String>,
    /// Its organisation, by name; must be the site's when both are given.
    pub organisation: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// The version of the product installed on it, a release of the product.
    pub release: Option<String>,
    /// Its update client: `swupdate`, `rauc_hawkbit_updater` or `unknown` (the default).
    pub client: Option<String>,
}

/// A request checked against the workspace, ready to write.
struct Checked {
    device: NewDevice,
    tags: Vec<String>,
    audit: Value,
}

/// Why a request is refused: the field and what is wrong, for the CSV import to name.
struct Refusal {
    field: &'static str,
    error: ServiceError,
}

fn refuse(field: &'static str) -> impl FnOnce(ServiceError) -> Refusal {
    move |error| Refusal { field, error }
}

fn tags_of(tags: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ServiceError::invalid(
                "tag",
                format!("{tag:?}: a tag has no blanks"),
            ));
        }
        out.push(tag.to_string());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Resolves a site and organisation: the organisation defaults to the site's, and must be
/// the site's when both are named.
async fn placement(
    workspace: &Workspace,
    site: Option<&str>,
    organisation: Option<&str>,
) -> Result<(Option<SiteRow>, Option<OrganisationRow>), Refusal> {
    let site = match site.map(str::trim).filter(|s| !s.is_empty()) {
        Some(site) => Some(site_named(workspace, site).await.map_err(refuse("site"))?),
        None => None,
    };
    let organisation = match organisation.map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(
            organisation_named(workspace, name)
                .await
                .map_err(refuse("organisation"))?,
        ),
        None => match &site {
            Some(site) => Some(
                organisation_named(workspace, &site.organisation)
                    .await
                    .map_err(refuse("organisation"))?,
            ),
            None => None,
        },
    };
    if let (Some(site), Some(organisation)) = (&site, &organisation)
        && site.organisation_id != organisation.id
    {
        return Err(Refusal {
            field: "organisation",
            error: ServiceError::invalid(
                "organisation",
                format!(
                    "site {:?} belongs to {:?}, not {:?}",
                    site.name, site.organisation, organisation.name
                ),
            ),
        });
    }
    Ok((site, organisation))
}

/// Checks a request against the workspace (not yet against devices registered in the same
/// transaction: the writer checks the controller id in its transaction).
async fn check(
    workspace: &Workspace,
    request: &NewDeviceRequest,
    token: &DeviceToken,
    source: &str,
) -> Result<Checked, Refusal> {
    let controller_id = ControllerId::new(request.controller_id.trim())
        .map_err(|error| ServiceError::rule("controller_id", error))
        .map_err(refuse("controller_id"))?;
    let product = crate::inventory::product(workspace, &request.product)
        .await
        .map_err(refuse("product"))?;
    let serial = name("serial", &request.serial).map_err(refuse("serial"))?;
    let hardware = request
        .hardware
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    let (site, organisation) = placement(
        workspace,
        request.site.as_deref(),
        request.organisation.as_deref(),
    )
    .await?;
    let tags = tags_of(&request.tags).map_err(refuse("tags"))?;
    let client = match request
        .client
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(text) => text
            .parse::<ClientKind>()
            .map_err(|error| ServiceError::rule("client", error))
            .map_err(refuse("client"))?,
        None => ClientKind::Unknown,
    };
    let release = match request
        .release
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(version) => Some(
            crate::inventory::release(workspace, &product.name, version)
                .await
                .map_err(refuse("release"))?,
        ),
        None => None,
    };
    let audit = json!({
        "controller_id": controller_id.as_str(),
        "product": product.name,
        "serial": serial,
        "hardware": hardware,
        "site": site.as_ref().map(|s| s.name.clone()),
        "organisation": organisation.as_ref().map(|o| o.name.clone()),
        "tags": tags,
        "release": release.as_ref().map(|r| r.version.clone()),
        "release_source": release.as_ref().map(|_| source),
        "token_sha256": token.digest(),
        "state": STATES[0],
        "client": client.as_str(),
    });
    Ok(Checked {
        device: NewDevice {
            controller_id: controller_id.as_str().to_string(),
            token_sha256: token.digest(),
            product_id: product.id,
            serial,
            hardware,
            site_id: site.map(|s| s.id),
            organisation_id: organisation.map(|o| o.id),
            installed_release_id: release.as_ref().map(|r| r.id),
            installed_source: release.map(|_| source.to_string()),
            state: STATES[0].to_string(),
            client_kind: client.as_str().to_string(),
        },
        tags,
        audit,
    })
}

/// Writes a checked device in the caller's transaction, refusing a controller id or serial
/// taken (by an earlier device, or by one of the same transaction: `written` holds the
/// (product, serial) pairs written so far).
async fn write(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    checked: &Checked,
    written: &mut std::collections::BTreeSet<(i64, String)>,
) -> Result<i64, Refusal> {
    let device = &checked.device;
    if stored::controller_id_taken(tx, &device.controller_id)
        .await
        .map_err(|e| refuse("controller_id")(e.into()))?
    {
        return Err(Refusal {
            field: "controller_id",
            error: ServiceError::AlreadyExists {
                entity: "device",
                key: device.controller_id.clone(),
            },
        });
    }
    let taken = stored::serial_taken(tx, device.product_id, &device.serial)
        .await
        .map_err(|e| refuse("serial")(e.into()))?;
    if taken || !written.insert((device.product_id, device.serial.clone())) {
        return Err(Refusal {
            field: "serial",
            error: ServiceError::AlreadyExists {
                entity: "device serial",
                key: device.serial.clone(),
            },
        });
    }
    stored::insert_device(tx, device, &checked.tags, &context.at())
        .await
        .map_err(|e| refuse("controller_id")(e.into()))
}

/// Registers a device (permission `device.manage`) in state `registered`; its installed
/// release, when given, is recorded with the source `manual`. Answers the device and its
/// token, which is stored only as its SHA-256 and never shown again.
pub async fn add(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    request: &NewDeviceRequest,
) -> Result<Registered, ServiceError> {
    principal.require(Permission::DeviceManage)?;
    let token = DeviceToken::generate();
    let checked = check(workspace, request, &token, SOURCE_MANUAL)
        .await
        .map_err(|refusal| refusal.error)?;
    let mut tx = workspace.store().begin().await?;
    let id = write(
        &mut tx,
        context,
        &checked,
        &mut std::collections::BTreeSet::new(),
    )
    .await
    .map_err(|refusal| refusal.error)?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::DeviceAdd,
            entity_type: "device",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(checked.audit.clone()),
        },
    )
    .await?;
    tx.commit().await?;
    let device = stored_device(workspace, &checked.device.controller_id).await?;
    Ok(Registered {
        device: DeviceView::of(device),
        token,
    })
}

async fn stored_device(
    workspace: &Workspace,
    controller_id: &str,
) -> Result<DeviceRow, ServiceError> {
    stored::device(workspace.store().pool(), controller_id.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "device",
            key: controller_id.trim().to_string(),
        })
}

/// Whether a principal sees a device: holders of `device.read` see every one; a customer
/// (`customer.portal`) only those of its own organisation.
fn sees(principal: &Principal, device: &DeviceRow) -> bool {
    principal.allows(Permission::DeviceRead)
        || (principal.allows(Permission::CustomerPortal)
            && principal.organisation.is_some()
            && principal.organisation == device.organisation)
}

fn require_read(principal: &Principal) -> Result<(), ServiceError> {
    if principal.allows(Permission::CustomerPortal) {
        Ok(())
    } else {
        principal.require(Permission::DeviceRead)
    }
}

/// A device by controller id (permission `device.read`, or a customer's own).
pub async fn show(
    workspace: &Workspace,
    principal: &Principal,
    controller_id: &str,
) -> Result<DeviceView, ServiceError> {
    require_read(principal)?;
    let device = stored_device(workspace, controller_id).await?;
    if !sees(principal, &device) {
        // A customer learns nothing of another organisation's devices, not even that one
        // exists.
        return Err(ServiceError::NotFound {
            entity: "device",
            key: controller_id.trim().to_string(),
        });
    }
    Ok(DeviceView::of(device))
}

/// A device list query: every given criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceQuery {
    /// A product, by name or id.
    pub product: Option<String>,
    /// A site, by name.
    pub site: Option<String>,
    /// An organisation, by name.
    pub organisation: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// A state (see [`STATES`]).
    pub state: Option<String>,
    /// A vulnerability, by any id: only devices whose installed release has an open finding
    /// of it.
    pub exposed_to: Option<String>,
}

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The target filter of the list's product, site, organisation and tag, if any is given.
fn filter_of(
    query: &DeviceQuery,
    product: Option<&str>,
) -> Result<Option<TargetFilter>, ServiceError> {
    let mut terms = Vec::new();
    if let Some(product) = product {
        terms.push(format!("product={}", quoted(product)));
    }
    for (key, value) in [
        ("site", &query.site),
        ("organisation", &query.organisation),
        ("tag", &query.tag),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            terms.push(format!("{key}={}", quoted(value)));
        }
    }
    if terms.is_empty() {
        return Ok(None);
    }
    terms
        .join(" ")
        .parse::<TargetFilter>()
        .map(Some)
        .map_err(|error| ServiceError::rule("filter", error))
}

/// What a target filter sees of a device.
pub fn facts(device: &DeviceRow) -> DeviceFacts {
    DeviceFacts {
        product: device.product.clone(),
        release: device.installed_version.clone(),
        site: device.site.clone(),
        organisation: device.organisation.clone(),
        tags: device.tags.clone(),
        hw: device.hardware.clone(),
    }
}

/// The canonical id of a vulnerability named by any of its ids, as findings store it (the
/// name itself when no record knows it).
pub(crate) async fn canonical(workspace: &Workspace, name: &str) -> Result<String, ServiceError> {
    let found = crate::intel::lookup::resolve(workspace, None, name.trim()).await;
    if let Ok(found) = found
        && let Some((id, _)) = found.first()
        && let Some(vulnerability) =
            aftercare_store::intel::vulnerability(workspace.store().pool(), *id).await?
    {
        return Ok(vulnerability.canonical);
    }
    Ok(name.trim().to_string())
}

/// Devices, by controller id (permission `device.read`; a customer sees only its own
/// organisation's). `exposed_to` lists the devices whose installed release has an open finding
/// of the vulnerability now.
pub async fn list(
    workspace: &Workspace,
    principal: &Principal,
    query: &DeviceQuery,
) -> Result<Vec<DeviceView>, ServiceError> {
    require_read(principal)?;
    let mut selection = DeviceSelection::default();
    let product = match query
        .product
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(key) => {
            let product = crate::inventory::product(workspace, key).await?;
            selection.product_id = Some(product.id);
            Some(product.name)
        }
        None => None,
    };
    if let Some(state) = query
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !STATES.contains(&state) {
            return Err(ServiceError::invalid(
                "state",
                format!("{state:?}: expected one of {}", STATES.join(", ")),
            ));
        }
        selection.state = Some(state.to_string());
    }
    if let Some(name) = query.exposed_to.as_deref().filter(|v| !v.trim().is_empty()) {
        selection.exposed_to = Some(canonical(workspace, name).await?);
    }
    let filter = filter_of(query, product.as_deref())?;
    let devices = stored::devices(workspace.store().pool(), &selection).await?;
    Ok(devices
        .into_iter()
        .filter(|device| filter.as_ref().is_none_or(|f| f.matches(&facts(device))))
        .filter(|device| sees(principal, device))
        .map(DeviceView::of)
        .collect())
}

/// What may change of a device; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceUpdate {
    /// A new site (by name); the organisation follows the site's unless given.
    pub site: Option<String>,
    /// A new organisation (by name).
    pub organisation: Option<String>,
    /// The new tags (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// The release now installed (a version of the device's product), recorded with the
    /// source `manual`.
    pub release: Option<String>,
}

fn view_json(device: &DeviceRow) -> Value {
    json!({
        "site": device.site,
        "organisation": device.organisation,
        "tags": device.tags,
        "release": device.installed_version,
        "release_source": device.installed_source,
        "state": device.state,
        "decommission_reason": device.decommission_reason,
    })
}

async fn live_device(
    workspace: &Workspace,
    controller_id: &str,
) -> Result<DeviceRow, ServiceError> {
    let device = stored_device(workspace, controller_id).await?;
    if device.state == "decommissioned" {
        return Err(ServiceError::invalid(
            "device",
            format!(
                "{} is decommissioned: it is kept as it was",
                device.controller_id
            ),
        ));
    }
    Ok(device)
}

/// Changes a device (permission `device.manage`): site, organisation, tags, the installed
/// release (source `manual`). A decommissioned device is not changed.
pub async fn update(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    controller_id: &str,
    change: &DeviceUpdate,
) -> Result<DeviceView, ServiceError> {
    principal.require(Permission::DeviceManage)?;
    if *change == DeviceUpdate::default() {
        return Err(ServiceError::invalid(
            "update",
            "nothing to change: name a site, an organisation, tags or a release",
        ));
    }
    let before = live_device(workspace, controller_id).await?;
    let mut after = before.clone();
    if change.site.is_some() || change.organisation.is_some() {
        let (site, organisation) = placement(
            workspace,
            change.site.as_deref().or(before.site.as_deref()),
            change.organisation.as_deref().or(if change.site.is_some() {
                None
            } else {
                before.organisation.as_deref()
            }),
        )
        .await
        .map_err(|refusal| refusal.error)?;
        after.site_id = site.as_ref().map(|s| s.id);
        after.site = site.map(|s| s.name);
        after.organisation_id = organisation.as_ref().map(|o| o.id);
        after.organisation = organisation.map(|o| o.name);
    }
    if let Some(tags) = &change.tags {
        after.tags = tags_of(tags)?;
    }
    if let Some(version) = change.release.as_deref() {
        let release = crate::inventory::release(workspace, &before.product, version).await?;
        after.installed_release_id = Some(release.id);
        after.installed_version = Some(release.version);
        after.installed_source = Some(SOURCE_MANUAL.to_string());
        after.installed_at = Some(context.at());
    }
    write_device(
        workspace,
        context,
        &before,
        &after,
        AuditAction::DeviceUpdate,
    )
    .await
}

/// Writes a device's new row (and its tags, when they changed) with one audit event from
/// `before` to `after` in one transaction, and reads the device back.
async fn write_device(
    workspace: &Workspace,
    context: &Context,
    before: &DeviceRow,
    after: &DeviceRow,
    action: AuditAction,
) -> Result<DeviceView, ServiceError> {
    let mut tx = workspace.store().begin().await?;
    stored::update_device(&mut tx, after, &context.at()).await?;
    if after.tags != before.tags {
        stored::set_tags(&mut tx, after.id, &after.tags).await?;
    }
    audit::record(
        &mut tx,
        context,
        Change {
            action,
            entity_type: "device",
            entity_id: Some(before.id.to_string()),
            old_value: Some(view_json(before)),
            new_value: Some(view_json(after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DeviceView::of(
        stored_device(workspace, &before.controller_id).await?,
    ))
}

/// Decommissions a device (permission `device.manage`) with a reason: its state becomes
/// `decommissioned`, it is kept, and its token stops working.
pub async fn decommission(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    controller_id: &str,
    reason: &str,
) -> Result<DeviceView, ServiceError> {
    principal.require(Permission::DeviceManage)?;
    let reason = name("reason", reason)?;
    let before = live_device(workspace, controller_id).await?;
    let mut after = before.clone();
    after.state = "decommissioned".to_string();
    after.decommission_reason = Some(reason);
    write_device(
        workspace,
        context,
        &before,
        &after,
        AuditAction::DeviceDecommission,
    )
    .await
}

/// The device a controller id and token name, for the DDI routes: the token's SHA-256 is
/// compared with the stored one in constant time; an unknown device, a wrong token and a
/// decommissioned device are refused alike.
pub async fn authenticate(
    workspace: &Workspace,
    controller_id: &str,
    token: &DeviceToken,
) -> Result<DeviceRow, ServiceError> {
    use subtle::ConstantTimeEq;
    let refused = ServiceError::Unauthenticated {
        reason: "unknown device, wrong token or decommissioned device",
    };
    let Some(device) =
        stored::device_untagged(workspace.store().pool(), controller_id.trim()).await?
    else {
        return Err(refused);
    };
    let matches: bool = device
        .token_sha256
        .as_bytes()
        .ct_eq(token.digest().as_bytes())
        .into();
    if !matches || device.state == "decommissioned" {
        return Err(refused);
    }
    Ok(device)
}

/// The device a controller id names, for a request carrying the tenant's gateway token
/// (`configured`; off when `None`): compared in constant time; a decommissioned device is
/// refused.
pub async fn authenticate_gateway(
    workspace: &Workspace,
    controller_id: &str,
    presented: &str,
    configured: Option<&str>,
) -> Result<DeviceRow, ServiceError> {
    use subtle::ConstantTimeEq;
    let refused = ServiceError::Unauthenticated {
        reason: "gateway tokens are off, or the gateway token is wrong, or the device is \
                 unknown or decommissioned",
    };
    let Some(configured) = configured else {
        return Err(refused);
    };
    let matches: bool = Sha256::of(presented.as_bytes())
        .to_hex()
        .as_bytes()
        .ct_eq(Sha256::of(configured.as_bytes()).to_hex().as_bytes())
        .into();
    if !matches {
        return Err(refused);
    }
    match stored::device_untagged(workspace.store().pool(), controller_id.trim()).await? {
        Some(device) if device.state != "decommissioned" => Ok(device),
        _ => Err(refused),
    }
}

/// The device a client certificate names (its controller id, as a trusted reverse proxy
/// forwards it after checking the certificate); a decommissioned device is refused.
pub async fn authenticate_certificate(
    workspace: &Workspace,
    controller_id: &str,
) -> Result<DeviceRow, ServiceError> {
    match stored::device_untagged(workspace.store().pool(), controller_id.trim()).await? {
        Some(device) if device.state != "decommissioned" => Ok(device),
        _ => Err(ServiceError::Unauthenticated {
            reason: "the certificate names an unknown or decommissioned device",
        }),
    }
}

/// Records, as one security event, how many device credentials the DDI routes refused since
/// the last such event (a wrong token is counted, not written one poll at a time).
pub async fn record_refused_credentials(
    workspace: &Workspace,
    context: &Context,
    count: u64,
) -> Result<(), ServiceError> {
    let mut tx = workspace.store().begin().await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::DeviceCredentialRefused,
            entity_type: "device",
            entity_id: None,
            old_value: None,
            new_value: Some(json!({ "refused": count })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The devices a finding of `product` `version` reaches now, by controller id: those that run
/// the release while the finding is `open` (none otherwise). Answers an empty list to a
/// principal who may not read the registry, so that a finding's page shows what it may.
pub async fn exposed_by_finding(
    workspace: &Workspace,
    principal: &Principal,
    product: &str,
    version: &str,
    state: &str,
) -> Result<Vec<String>, ServiceError> {
    if state != "open" || require_read(principal).is_err() {
        return Ok(Vec::new());
    }
    let devices = list(
        workspace,
        principal,
        &DeviceQuery {
            product: Some(product.to_string()),
            ..DeviceQuery::default()
        },
    )
    .await?;
    Ok(devices
        .into_iter()
        .filter(|d| {
            d.row.installed_version.as_deref() == Some(version) && d.row.state != "decommissioned"
        })
        .map(|d| d.row.controller_id)
        .collect())
}
