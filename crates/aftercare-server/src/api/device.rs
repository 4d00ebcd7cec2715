//! `/api/v1` routes of the device registry (issue 14): organisations, sites and devices —
//! list, show, create, change, decommission, and the import of a CSV file. A created or
//! imported device's token is in that answer once; the DDI routes (`crate::ddi`) use it.

use aftercare_service::device::{self, DeviceQuery};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, RequestContext};
use crate::{ApiError, AppState};
use aftercare_api::device::{
    DecommissionDto, DeviceDto, DeviceImportDto, DeviceUpdateDto, NewDeviceDto, NewOrganisationDto,
    NewSiteDto, OrganisationDto, RegisteredDeviceDto, SiteDto,
};
use aftercare_api::error::ErrorDto;

/// Lists organisations, by name.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "devices",
    responses((status = 200, body = [OrganisationDto])))]
pub async fn list_organisations(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<OrganisationDto>>, ApiError> {
    let rows = device::organisations(&state.workspace, &principal).await?;
    Ok(Json(rows.iter().map(OrganisationDto::from).collect()))
}

/// Adds an organisation.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "devices",
    request_body = NewOrganisationDto,
    responses((status = 201, body = OrganisationDto), (status = 400, body = ErrorDto),
        (status = 409, body = ErrorDto)))]
pub async fn create_organisation(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewOrganisationDto>,
) -> Result<(StatusCode, Json<OrganisationDto>), ApiError> {
    let row = device::add_organisation(
        &state.workspace,
        &context,
        &principal,
        &new.name,
        new.description.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(OrganisationDto::from(&row))))
}

/// Shows an organisation, by name.
#[utoipa::path(get, path = "/api/v1/organisations/{name}", tag = "devices",
    params(("name" = String, Path, description = "The organisation's name")),
    responses((status = 200, body = OrganisationDto), (status = 404, body = ErrorDto)))]
pub async fn get_organisation(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<OrganisationDto>, ApiError> {
    let row = device::organisation_named(&state.workspace, &name).await?;
    Ok(Json(OrganisationDto::from(&row)))
}

/// Which sites.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SiteParams {
    /// Only the sites of this organisation.
    pub organisation: Option<String>,
}

/// Lists sites, by name.
#[utoipa::path(get, path = "/api/v1/sites", tag = "devices", params(SiteParams),
    responses((status = 200, body = [SiteDto]), (status = 404, body = ErrorDto)))]
pub async fn list_sites(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(params): Query<SiteParams>,
) -> Result<Json<Vec<SiteDto>>, ApiError> {
    let rows = device::sites(&state.workspace, &principal, params.organisation.as_deref()).await?;
    Ok(Json(rows.iter().map(SiteDto::from).collect()))
}

/// Adds a site of an organisation.
#[utoipa::path(post, path = "/api/v1/sites", tag = "devices", request_body = NewSiteDto,
    responses((status = 201, body = SiteDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn create_site(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewSiteDto>,
) -> Result<(StatusCode, Json<SiteDto>), ApiError> {
    let row = device::add_site(
        &state.workspace,
        &context,
        &principal,
        &new.name,
        &new.organisation,
        new.timezone.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(SiteDto::from(&row))))
}

/// Shows a site, by name.
#[utoipa::path(get, path = "/api/v1/sites/{name}", tag = "devices",
    params(("name" = String, Path, description = "The site's name")),
    responses((status = 200, body = SiteDto), (status = 404, body = ErrorDto)))]
pub async fn get_site(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<SiteDto>, ApiError> {
    let row = device::site_named(&state.workspace, &name).await?;
    Ok(Json(SiteDto::from(&row)))
}

/// Which devices: every given criterion must hold.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DeviceParams {
    /// Only devices of this product (name or id).
    pub product: Option<String>,
    /// Only devices at this site.
    pub site: Option<String>,
    /// Only devices of this organisation.
    pub organisation: Option<String>,
    /// Only devices with this tag.
    pub tag: Option<String>,
    /// Only devices in this state (`registered`, `in_sync`, `pending`, `error`, `unknown`,
    /// `decommissioned`).
    pub state: Option<String>,
    /// Only devices whose installed release has an open finding of this vulnerability (any
    /// of its ids).
    pub exposed_to: Option<String>,
}

/// Lists devices, by controller id.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", params(DeviceParams),
    responses((status = 200, body = [DeviceDto]), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn list_devices(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(params): Query<DeviceParams>,
) -> Result<Json<Vec<DeviceDto>>, ApiError> {
    let query = DeviceQuery {
        product: params.product,
        site: params.site,
        organisation: params.organisation,
        tag: params.tag,
        state: params.state,
        exposed_to: params.exposed_to,
    };
    let views = device::list(&state.workspace, &principal, &query).await?;
    Ok(Json(views.iter().map(DeviceDto::from).collect()))
}

/// Registers a device; the answer carries its security token, shown this once (only its
/// SHA-256 is stored).
#[utoipa::path(post, path = "/api/v1/devices", tag = "devices", request_body = NewDeviceDto,
    responses((status = 201, body = RegisteredDeviceDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn create_device(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewDeviceDto>,
) -> Result<(StatusCode, Json<RegisteredDeviceDto>), ApiError> {
    let registered = device::add(&state.workspace, &context, &principal, &new.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredDeviceDto::from(&registered)),
    ))
}

/// Shows a device: its facts, installed release and its source, state, last poll.
#[utoipa::path(get, path = "/api/v1/devices/{controller_id}", tag = "devices",
    params(("controller_id" = String, Path, description = "The device's controller id")),
    responses((status = 200, body = DeviceDto), (status = 404, body = ErrorDto)))]
pub async fn get_device(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(controller_id): Path<String>,
) -> Result<Json<DeviceDto>, ApiError> {
    let view = device::show(&state.workspace, &principal, &controller_id).await?;
    Ok(Json(DeviceDto::from(&view)))
}

/// Changes a device: site, organisation, tags, the installed release (recorded with the source
/// `manual`). A decommissioned device is not changed; an empty change is refused.
#[utoipa::path(patch, path = "/api/v1/devices/{controller_id}", tag = "devices",
    params(("controller_id" = String, Path, description = "The device's controller id")),
    request_body = DeviceUpdateDto,
    responses((status = 200, body = DeviceDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn update_device(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(controller_id): Path<String>,
    Json(change): Json<DeviceUpdateDto>,
) -> Result<Json<DeviceDto>, ApiError> {
    let view = device::update(
        &state.workspace,
        &context,
        &principal,
        &controller_id,
        &change.into(),
    )
    .await?;
    Ok(Json(DeviceDto::from(&view)))
}

/// Decommissions a device, with the reason: it is kept as it was, in state `decommissioned`,
/// and its token stops working.
#[utoipa::path(post, path = "/api/v1/devices/{controller_id}/decommission", tag = "devices",
    params(("controller_id" = String, Path, description = "The device's controller id")),
    request_body = DecommissionDto,
    responses((status = 200, body = DeviceDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn decommission_device(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(controller_id): Path<String>,
    Json(body): Json<DecommissionDto>,
) -> Result<Json<DeviceDto>, ApiError> {
    let view = device::decommission(
        &state.workspace,
        &context,
        &principal,
        &controller_id,
        &body.reason,
    )
    .await?;
    Ok(Json(DeviceDto::from(&view)))
}

/// Registers every device of a CSV file in one transaction. One bad row refuses the whole
/// file with a 400 naming its line and field, and nothing is registered. The answer carries
/// each device's token, shown this once (only its SHA-256 is stored).
#[utoipa::path(post, path = "/api/v1/device-imports", tag = "devices",
    request_body = DeviceImportDto,
    responses((status = 201, body = [RegisteredDeviceDto]), (status = 400, body = ErrorDto),
        (status = 409, body = ErrorDto), (status = 413, body = ErrorDto)))]
pub async fn import_devices(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(body): Json<DeviceImportDto>,
) -> Result<(StatusCode, Json<Vec<RegisteredDeviceDto>>), ApiError> {
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or("devices.csv");
    let registered = device::import(
        &state.workspace,
        &context,
        &principal,
        name,
        body.csv.as_bytes(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(registered.iter().map(RegisteredDeviceDto::from).collect()),
    ))
}
