//! The device registry: organisations, their sites, and the devices in the field with their
//! tags, installed release (and its source), state and last poll.
//!
//! A device is never deleted: decommissioning sets its state. Its security token is stored
//! only as the SHA-256 of the token's text. The installed release keeps its source
//! (`import`, `manual`, later a DDI action's result), and what the device reports itself
//! (`reported_*`, from configData later) is kept beside it, so that a disagreement can be
//! shown rather than silently resolved.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// An organisation that owns devices (a hospital, a group of clinics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationRow {
    /// The id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// A description.
    pub description: Option<String>,
    /// When it was added.
    pub created_at: String,
}

/// A site of an organisation (a hospital campus, a ward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRow {
    /// The id.
    pub id: i64,
    /// Its organisation.
    pub organisation_id: i64,
    /// The organisation's name.
    pub organisation: String,
    /// Its unique name.
    pub name: String,
    /// Its IANA time zone (`Europe/Berlin`), if known.
    pub timezone: Option<String>,
    /// When it was added.
    pub created_at: String,
}

/// A device in the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// The id.
    pub id: i64,
    /// Its controller id (DDI), unique.
    pub controller_id: String,
    /// The SHA-256 (hex) of its security token.
    pub token_sha256: String,
    /// Its product.
    pub product_id: i64,
    /// The product's name.
    pub product: String,
    /// Its serial number (unique per product).
    pub serial: String,
    /// Its hardware revision.
    pub hardware: Option<String>,
    /// Its site, by id.
    pub site_id: Option<i64>,
    /// The site's name.
    pub site: Option<String>,
    /// Its organisation, by id.
    pub organisation_id: Option<i64>,
    /// The organisation's name.
    pub organisation: Option<String>,
    /// The release recorded as installed.
    pub installed_release_id: Option<i64>,
    /// Its version.
    pub installed_version: Option<String>,
    /// Where that record came from: `import`, `manual` (later `action`).
    pub installed_source: Option<String>,
    /// When it was recorded.
    pub installed_at: Option<String>,
    /// The version the device last reported itself (configData), if any.
    pub reported_version: Option<String>,
    /// Where that report came from.
    pub reported_source: Option<String>,
    /// When it was reported.
    pub reported_at: Option<String>,
    /// `registered`, `in_sync`, `pending`, `error`, `unknown` or `decommissioned`.
    pub state: String,
    /// Why it was decommissioned.
    pub decommission_reason: Option<String>,
    /// When it last polled.
    pub last_poll_at: Option<String>,
    /// When it was registered.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Its update client (`swupdate`, `rauc_hawkbit_updater`, `unknown`).
    pub client_kind: String,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

/// Inserts an organisation created `at`; returns its id.
pub async fn insert_organisation(
    tx: &mut Tx,
    name: &str,
    description: Option<&str>,
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO organisations (name, description, created_at) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(name)
    .bind(description)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert an organisation"))?;
    row.try_get("id")
        .map_err(StoreError::query("insert an organisation"))
}

fn organisation_from_row(row: &AnyRow) -> Result<OrganisationRow, sqlx::Error> {
    Ok(OrganisationRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
    })
}

/// An organisation by name.
pub async fn organisation(
    pool: &sqlx::AnyPool,
    name: &str,
) -> Result<Option<OrganisationRow>, StoreError> {
    let row =
        sqlx::query("SELECT id, name, description, created_at FROM organisations WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::query("read an organisation"))?;
    row.as_ref()
        .map(organisation_from_row)
        .transpose()
        .map_err(StoreError::query("read an organisation"))
}

/// Every organisation, by name.
pub async fn organisations(pool: &sqlx::AnyPool) -> Result<Vec<OrganisationRow>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name, description, created_at FROM organisations ORDER BY name")
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("list organisations"))?;
    rows.iter()
        .map(organisation_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list organisations"))
}

/// Inserts a site created `at`; returns its id.
pub async fn insert_site(
    tx: &mut Tx,
    organisation_id: i64,
    name: &str,
    timezone: Option<&str>,
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO sites (organisation_id, name, timezone, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(organisation_id)
    .bind(name)
    .bind(timezone)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert a site"))?;
    row.try_get("id")
        .map_err(StoreError::query("insert a site"))
}

const SITE_SELECT: &str = "SELECT s.id, s.organisation_id, o.name AS organisation, s.name, \
     s.timezone, s.created_at FROM sites s JOIN organisations o ON o.id = s.organisation_id";

fn site_from_row(row: &AnyRow) -> Result<SiteRow, sqlx::Error> {
    Ok(SiteRow {
        id: row.try_get("id")?,
        organisation_id: row.try_get("organisation_id")?,
        organisation: row.try_get("organisation")?,
        name: row.try_get("name")?,
        timezone: row.try_get("timezone")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A site by name.
pub async fn site(pool: &sqlx::AnyPool, name: &str) -> Result<Option<SiteRow>, StoreError> {
    let sql = format!("{SITE_SELECT} WHERE s.name = $1");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a site"))?;
    row.as_ref()
        .map(site_from_row)
        .transpose()
        .map_err(StoreError::query("read a site"))
}

/// Sites, by name: of an organisation, or every one.
pub async fn sites(
    pool: &sqlx::AnyPool,
    organisation_id: Option<i64>,
) -> Result<Vec<SiteRow>, StoreError> {
    let sql = format!("{SITE_SELECT} WHERE ($1 IS NULL OR s.organisation_id = $1) ORDER BY s.name");
    let rows = sqlx::query(&sql)
        .bind(organisation_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list sites"))?;
    rows.iter()
        .map(site_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list sites"))
}

/// A device as written: everything but its id, names, tags and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// Its controller id.
    pub controller_id: String,
    /// The SHA-256 (hex) of its token.
    pub token_sha256: String,
    /// Its product.
    pub product_id: i64,
    /// Its serial number.
    pub serial: String,
    /// Its hardware revision.
    pub hardware: Option<String>,
    /// Its site.
    pub site_id: Option<i64>,
    /// Its organisation.
    pub organisation_id: Option<i64>,
    /// The release recorded as installed.
    pub installed_release_id: Option<i64>,
    /// Where that record came from.
    pub installed_source: Option<String>,
    /// Its state.
    pub state: String,
    /// Its update client (`swupdate`, `rauc_hawkbit_updater`, `unknown`).
    pub client_kind: String,
}

/// Inserts a device registered `at`, with its tags; returns its id.
pub async fn insert_device(
    tx: &mut Tx,
    device: &NewDevice,
    tags: &[String],
    at: &str,
) -> Result<i64, StoreError> {
    let installed_at = device.installed_release_id.map(|_| at.to_string());
    let row = sqlx::query(
        "INSERT INTO devices (controller_id, token_sha256, product_id, serial, hardware, site_id, \
         organisation_id, installed_release_id, installed_source, installed_at, state, \
         created_at, updated_at, client_kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
    )
    .bind(&device.controller_id)
    .bind(&device.token_sha256)
    .bind(device.product_id)
    .bind(&device.serial)
    .bind(&device.hardware)
    .bind(device.site_id)
    .bind(device.organisation_id)
    .bind(device.installed_release_id)
    .bind(&device.installed_source)
    .bind(installed_at)
    .bind(&device.state)
    .bind(at)
    .bind(&device.client_kind)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert a device"))?;
    let id: i64 = row
        .try_get("id")
        .map_err(StoreError::query("insert a device"))?;
    set_tags(tx, id, tags).await?;
    Ok(id)
}

/// Replaces a device's tags.
pub async fn set_tags(tx: &mut Tx, device_id: i64, tags: &[String]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM device_tags WHERE device_id = $1")
        .bind(device_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("replace a device's tags"))?;
    for tag in tags {
        sqlx::query(
            "INSERT INTO device_tags (device_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(device_id)
        .bind(tag)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("tag a device"))?;
    }
    Ok(())
}

/// Writes a device's changeable fields (site, organisation, installed release with its source
/// and time, state, decommission reason), `at`.
pub async fn update_device(tx: &mut Tx, device: &DeviceRow, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE devices SET site_id = $1, organisation_id = $2, installed_release_id = $3, \
         installed_source = $4, installed_at = $5, state = $6, decommission_reason = $7, \
         updated_at = $8 WHERE id = $9",
    )
    .bind(device.site_id)
    .bind(device.organisation_id)
    .bind(device.installed_release_id)
    .bind(&device.installed_source)
    .bind(&device.installed_at)
    .bind(&device.state)
    .bind(&device.decommission_reason)
    .bind(at)
    .bind(device.id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("update a device"))?;
    Ok(())
}

const DEVICE_SELECT: &str = "SELECT d.id, d.controller_id, d.token_sha256, d.product_id, \
     p.name AS product, d.serial, d.hardware, d.site_id, s.name AS site, d.organisation_id, \
     o.name AS organisation, d.installed_release_id, r.version AS installed_version, \
     d.installed_source, d.installed_at, d.reported_version, d.reported_source, d.reported_at, \
     d.state, d.decommission_reason, d.last_poll_at, d.created_at, d.updated_at, \
     d.client_kind \
     FROM devices d JOIN products p ON p.id = d.product_id \
     LEFT JOIN sites s ON s.id = d.site_id \
     LEFT JOIN organisations o ON o.id = d.organisation_id \
     LEFT JOIN releases r ON r.id = d.installed_release_id";

fn device_from_row(row: &AnyRow) -> Result<DeviceRow, sqlx::Error> {
    Ok(DeviceRow {
        id: row.try_get("id")?,
        controller_id: row.try_get("controller_id")?,
        token_sha256: row.try_get("token_sha256")?,
        product_id: row.try_get("product_id")?,
        product: row.try_get("product")?,
        serial: row.try_get("serial")?,
        hardware: row.try_get("hardware")?,
        site_id: row.try_get("site_id")?,
        site: row.try_get("site")?,
        organisation_id: row.try_get("organisation_id")?,
        organisation: row.try_get("organisation")?,
        installed_release_id: row.try_get("installed_release_id")?,
        installed_version: row.try_get("installed_version")?,
        installed_source: row.try_get("installed_source")?,
        installed_at: row.try_get("installed_at")?,
        reported_version: row.try_get("reported_version")?,
        reported_source: row.try_get("reported_source")?,
        reported_at: row.try_get("reported_at")?,
        state: row.try_get("state")?,
        decommission_reason: row.try_get("decommission_reason")?,
        last_poll_at: row.try_get("last_poll_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        client_kind: row.try_get("client_kind")?,
        tags: Vec::new(),
    })
}

async fn with_tags<'e, E>(
    executor: E,
    mut devices: Vec<DeviceRow>,
) -> Result<Vec<DeviceRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if devices.is_empty() {
        return Ok(devices);
    }
    // A few devices (a poll, a show): their own tags by id; many (a list): every tag once.
    let rows = if devices.len() <= 100 {
        let ids: Vec<String> = devices.iter().map(|d| d.id.to_string()).collect();
        let sql = format!(
            "SELECT device_id, tag FROM device_tags WHERE device_id IN ({}) \
             ORDER BY device_id, tag",
            ids.join(", ")
        );
        sqlx::query(&sql).fetch_all(executor).await
    } else {
        sqlx::query("SELECT device_id, tag FROM device_tags ORDER BY device_id, tag")
            .fetch_all(executor)
            .await
    }
    .map_err(StoreError::query("read device tags"))?;
    let mut by_device: std::collections::HashMap<i64, Vec<String>> =
        std::collections::HashMap::new();
    for row in &rows {
        let device_id: i64 = row
            .try_get("device_id")
            .map_err(StoreError::query("read device tags"))?;
        let tag: String = row
            .try_get("tag")
            .map_err(StoreError::query("read device tags"))?;
        by_device.entry(device_id).or_default().push(tag);
    }
    for device in &mut devices {
        device.tags = by_device.remove(&device.id).unwrap_or_default();
    }
    Ok(devices)
}

/// A device by controller id, with its tags.
pub async fn device(
    pool: &sqlx::AnyPool,
    controller_id: &str,
) -> Result<Option<DeviceRow>, StoreError> {
    let sql = format!("{DEVICE_SELECT} WHERE d.controller_id = $1");
    let row = sqlx::query(&sql)
        .bind(controller_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a device"))?;
    let Some(device) = row
        .as_ref()
        .map(device_from_row)
        .transpose()
        .map_err(StoreError::query("read a device"))?
    else {
        return Ok(None);
    };
    Ok(with_tags(pool, vec![device]).await?.pop())
}

/// Whether a controller id is taken, read in the writer's transaction.
pub async fn controller_id_taken(tx: &mut Tx, controller_id: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT id FROM devices WHERE controller_id = $1")
        .bind(controller_id)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::query("look up a controller id"))?;
    Ok(row.is_some())
}

/// Whether a product's serial number is taken, read in the writer's transaction.
pub async fn serial_taken(tx: &mut Tx, product_id: i64, serial: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT id FROM devices WHERE product_id = $1 AND serial = $2")
        .bind(product_id)
        .bind(serial)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::query("look up a serial number"))?;
    Ok(row.is_some())
}

/// What the device list is narrowed by in SQL (the rest is the service's filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceSelection {
    /// Only devices of this product.
    pub product_id: Option<i64>,
    /// Only devices of this organisation.
    pub organisation_id: Option<i64>,
    /// Only devices in this state.
    pub state: Option<String>,
    /// Only devices whose installed release has an open finding of this vulnerability
    /// (its canonical id, as findings store it).
    pub exposed_to: Option<String>,
}

/// Devices, by controller id, with their tags.
pub async fn devices(
    pool: &sqlx::AnyPool,
    selection: &DeviceSelection,
) -> Result<Vec<DeviceRow>, StoreError> {
    let sql = format!(
        "{DEVICE_SELECT} WHERE ($1 IS NULL OR d.product_id = $1) \
         AND ($2 IS NULL OR d.organisation_id = $2) AND ($3 IS NULL OR d.state = $3) \
         AND ($4 IS NULL OR EXISTS (SELECT 1 FROM findings f \
             WHERE f.release_id = d.installed_release_id AND f.vulnerability = $4 \
             AND f.state = 'open')) \
         ORDER BY d.controller_id"
    );
    let rows = sqlx::query(&sql)
        .bind(selection.product_id)
        .bind(selection.organisation_id)
        .bind(&selection.state)
        .bind(&selection.exposed_to)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list devices"))?;
    let devices = rows
        .iter()
        .map(device_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::query("list devices"))?;
    with_tags(pool, devices).await
}

const TARGET_SELECT: &str = "SELECT d.id, d.controller_id, p.name AS product, d.hardware, \
     s.name AS site, o.name AS organisation, d.installed_release_id, \
     r.version AS installed_version, d.state, d.client_kind \
     FROM devices d JOIN products p ON p.id = d.product_id \
     LEFT JOIN sites s ON s.id = d.site_id \
     LEFT JOIN organisations o ON o.id = d.organisation_id \
     LEFT JOIN releases r ON r.id = d.installed_release_id \
     WHERE d.product_id = $1 ORDER BY d.controller_id";

/// A targeted device's row with the fields a filter does not read left empty.
#[allow(clippy::too_many_arguments)]
fn target_row(
    id: i64,
    controller_id: String,
    product_id: i64,
    product: String,
    hardware: Option<String>,
    site: Option<String>,
    organisation: Option<String>,
    installed: (Option<i64>, Option<String>),
    state: String,
    client_kind: String,
) -> DeviceRow {
    DeviceRow {
        id,
        controller_id,
        token_sha256: String::new(),
        product_id,
        product,
        serial: String::new(),
        hardware,
        site_id: None,
        site,
        organisation_id: None,
        organisation,
        installed_release_id: installed.0,
        installed_version: installed.1,
        installed_source: None,
        installed_at: None,
        reported_version: None,
        reported_source: None,
        reported_at: None,
        state,
        decommission_reason: None,
        last_poll_at: None,
        created_at: String::new(),
        updated_at: String::new(),
        client_kind,
        tags: Vec::new(),
    }
}

/// [`devices_for_targeting`] on a SQLite file, through rusqlite on a read-only connection
/// of its own, as the audit walk and the fix evidence read (the `Any` driver copies every
/// value several times and hands each row between threads: most of a 100,000-device
/// rollout's creation). Reads what is committed. Blocking: call it from `spawn_blocking`.
pub fn devices_for_targeting_sqlite(
    file: &std::path::Path,
    product_id: i64,
) -> Result<Vec<DeviceRow>, StoreError> {
    use rusqlite::OpenFlags;
    let failed = |source: rusqlite::Error| StoreError::Scan {
        operation: "list devices to target",
        message: source.to_string(),
    };
    let connection = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(failed)?;
    let mut statement = connection
        .prepare(&TARGET_SELECT.replace("$1", "?1"))
        .map_err(failed)?;
    let mut devices: Vec<DeviceRow> = statement
        .query_map([product_id], |row| {
            Ok(target_row(
                row.get(0)?,
                row.get(1)?,
                product_id,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                (row.get(6)?, row.get(7)?),
                row.get(8)?,
                row.get(9)?,
            ))
        })
        .map_err(failed)?
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    let mut tags = connection
        .prepare("SELECT device_id, tag FROM device_tags ORDER BY device_id, tag")
        .map_err(failed)?;
    let mut by_device: std::collections::HashMap<i64, Vec<String>> =
        std::collections::HashMap::new();
    for row in tags
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(failed)?
    {
        let (device, tag) = row.map_err(failed)?;
        by_device.entry(device).or_default().push(tag);
    }
    for device in &mut devices {
        device.tags = by_device.remove(&device.id).unwrap_or_default();
    }
    Ok(devices)
}

/// The devices of a product as a rollout's filter reads them — id, controller id, installed
/// version, site, organisation, hardware, client, state and tags — and nothing else (the
/// other fields are left empty): a rollout over 100,000 devices reads this list twice.
pub async fn devices_for_targeting(
    pool: &sqlx::AnyPool,
    product_id: i64,
) -> Result<Vec<DeviceRow>, StoreError> {
    let rows = sqlx::query(TARGET_SELECT)
        .bind(product_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list devices to target"))?;
    let devices = rows
        .iter()
        .map(|row| {
            Ok(target_row(
                row.try_get("id")?,
                row.try_get("controller_id")?,
                product_id,
                row.try_get("product")?,
                row.try_get("hardware")?,
                row.try_get("site")?,
                row.try_get("organisation")?,
                (
                    row.try_get("installed_release_id")?,
                    row.try_get("installed_version")?,
                ),
                row.try_get("state")?,
                row.try_get("client_kind")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(StoreError::query("list devices to target"))?;
    with_tags(pool, devices).await
}

/// A device by controller id without its tags, for the DDI routes (every poll reads it).
pub async fn device_untagged(
    pool: &sqlx::AnyPool,
    controller_id: &str,
) -> Result<Option<DeviceRow>, StoreError> {
    let sql = format!("{DEVICE_SELECT} WHERE d.controller_id = $1");
    sqlx::query(&sql)
        .bind(controller_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a device"))?
        .as_ref()
        .map(device_from_row)
        .transpose()
        .map_err(StoreError::query("read a device"))
}
