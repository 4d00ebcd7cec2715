//! `/api/v1/incidents`: investigations opened by hand, from a signal or from a report;
//! their links, their signed classification that opens the regulatory clock that fits, their
//! closing, and the lessons learned of a period.

use aftercare_api::error::ErrorDto;
use aftercare_api::incident::{
    ClassifiedIncidentDto, ClassifyIncidentDto, CloseIncidentDto, IncidentDetailDto, IncidentDto,
    LinkIncidentDto, OpenIncidentDto,
};
use aftercare_service::incident::{self, ClassifyRequest, CloseRequest, OpenRequest};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::triage::sign_request;
use crate::auth::{Caller, RequestContext};
use crate::{ApiError, AppState};

fn day(field: &'static str, text: Option<&str>) -> Result<Option<Date>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => text.parse::<Date>().map(Some).map_err(|_| {
            ApiError::from(aftercare_service::ServiceError::InvalidInput {
                field,
                message: format!("{text:?} is not a date (YYYY-MM-DD)"),
            })
        }),
        None => Ok(None),
    }
}

/// The filter of the incident list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct IncidentQuery {
    /// `open`, `classified` or `closed`.
    pub state: Option<String>,
    /// At most this many (default 200).
    pub limit: Option<i64>,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentQuery),
    responses((status = 200, body = [IncidentDto]), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto)))]
pub async fn list_incidents(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<IncidentQuery>,
) -> Result<Json<Vec<IncidentDto>>, ApiError> {
    let rows = incident::list(
        &state.workspace,
        &principal,
        query.state.as_deref(),
        query.limit.unwrap_or(200),
    )
    .await?;
    Ok(Json(rows.iter().map(IncidentDto::from).collect()))
}

/// Opens an incident: by hand, from a signal (open or acknowledged: it moves to `incident`
/// and is linked with its device and rollout) or from a report.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = OpenIncidentDto,
    responses((status = 201, body = IncidentDetailDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn open_incident(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(body): Json<OpenIncidentDto>,
) -> Result<(StatusCode, Json<IncidentDetailDto>), ApiError> {
    let request = OpenRequest {
        title: body.title,
        description: body.description,
        signal: body.signal,
        report: body.report,
        aware_on: day("aware_on", body.aware_on.as_deref())?,
    };
    let detail = incident::open(&state.workspace, &context, &principal, &request).await?;
    Ok((StatusCode::CREATED, Json(IncidentDetailDto::from(&detail))))
}

/// An incident with its links, timeline and the clocks it opened.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = i64, Path, description = "The incident's id (INC-<id>)")),
    responses((status = 200, body = IncidentDetailDto), (status = 403, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn get_incident(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<IncidentDetailDto>, ApiError> {
    let detail = incident::show(&state.workspace, &principal, id).await?;
    Ok(Json(IncidentDetailDto::from(&detail)))
}

/// Classifies an incident under 21 CFR 803 and/or EU MDR Art. 87 — which opens the clock
/// that fits — or as not reportable, always with the rationale and the electronic signature
/// of a person (API tokens cannot sign).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/classify", tag = "incidents",
    params(("id" = i64, Path, description = "The incident's id")), request_body = ClassifyIncidentDto,
    responses((status = 200, body = ClassifiedIncidentDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn classify_incident(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    Json(body): Json<ClassifyIncidentDto>,
) -> Result<Json<ClassifiedIncidentDto>, ApiError> {
    let sign = body.signature.as_ref().map(sign_request).transpose()?;
    let request = ClassifyRequest {
        fda: body.fda,
        remedial_action: body.remedial_action,
        eu: body.eu,
        not_reportable: body.not_reportable,
        rationale: body.rationale,
        product: body.product,
        vulnerability: body.vulnerability,
        aware_on: day("aware_on", body.aware_on.as_deref())?,
    };
    let outcome = incident::classify(
        &state.workspace,
        &context,
        &principal,
        id,
        &request,
        sign.as_ref(),
    )
    .await?;
    Ok(Json(ClassifiedIncidentDto::from(&outcome)))
}

/// Links a device (controller id), finding (id), signal (id) or rollout (name) to an
/// incident; a linked open or acknowledged signal moves to `incident`.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/links", tag = "incidents",
    params(("id" = i64, Path, description = "The incident's id")), request_body = LinkIncidentDto,
    responses((status = 200, body = IncidentDetailDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto),
        (status = 409, body = ErrorDto)))]
pub async fn link_incident(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    Json(body): Json<LinkIncidentDto>,
) -> Result<Json<IncidentDetailDto>, ApiError> {
    let detail = incident::link(
        &state.workspace,
        &context,
        &principal,
        id,
        &body.kind,
        &body.target,
    )
    .await?;
    Ok(Json(IncidentDetailDto::from(&detail)))
}

/// Closes a classified incident with its root cause, corrective actions (CAPA references)
/// and lessons learned, all required; refused while a clock it opened still runs.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/close", tag = "incidents",
    params(("id" = i64, Path, description = "The incident's id")), request_body = CloseIncidentDto,
    responses((status = 200, body = IncidentDetailDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn close_incident(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    Json(body): Json<CloseIncidentDto>,
) -> Result<Json<IncidentDetailDto>, ApiError> {
    let request = CloseRequest {
        root_cause: body.root_cause,
        corrective_actions: body.corrective_actions,
        lessons_learned: body.lessons_learned,
    };
    let detail = incident::close(&state.workspace, &context, &principal, id, &request).await?;
    Ok(Json(IncidentDetailDto::from(&detail)))
}

/// The period of the lessons learned.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LessonsQuery {
    /// From this instant (RFC 3339), inclusive.
    pub from: String,
    /// To this instant (RFC 3339), exclusive.
    pub to: String,
}

/// The incidents closed in a period with their root causes, corrective actions and lessons
/// learned: what the annual cybersecurity review lists.
#[utoipa::path(get, path = "/api/v1/incidents/lessons", tag = "incidents", params(LessonsQuery),
    responses((status = 200, body = [IncidentDto]), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto)))]
pub async fn incident_lessons(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<LessonsQuery>,
) -> Result<Json<Vec<IncidentDto>>, ApiError> {
    let instant = |field: &'static str, text: &str| {
        text.trim().parse::<Timestamp>().map_err(|_| {
            ApiError::from(aftercare_service::ServiceError::InvalidInput {
                field,
                message: format!("{text:?} is not an RFC 3339 instant (2026-01-01T00:00:00Z)"),
            })
        })
    };
    let rows = incident::lessons(
        &state.workspace,
        &principal,
        instant("from", &query.from)?,
        instant("to", &query.to)?,
    )
    .await?;
    Ok(Json(rows.iter().map(IncidentDto::from).collect()))
}
