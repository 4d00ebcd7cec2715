//! `/api/v1` routes of rollouts (issue 14): list, create (behind the approval gate), show,
//! start, pause, resume, cancel, retry the failed; a device's actions with every status
//! message. The devices' own side is hawkBit's DDI (`crate::ddi`).

use aftercare_api::error::ErrorDto;
use aftercare_api::rollout::{
    ActionDto, NewRolloutDto, RolloutDecisionDto, RolloutDto, RolloutReasonDto,
};
use aftercare_service::{flow, rollout};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::{Caller, RequestContext};
use crate::{ApiError, AppState};

async fn dto(
    state: &AppState,
    principal: &aftercare_service::access::auth::Principal,
    name: &str,
) -> Result<Json<RolloutDto>, ApiError> {
    let view = rollout::show(&state.workspace, principal, name).await?;
    Ok(Json(RolloutDto::from(&view)))
}

/// Lists rollouts, newest first, with their waves and counts.
#[utoipa::path(get, path = "/api/v1/rollouts", tag = "rollouts",
    responses((status = 200, body = [RolloutDto])))]
pub async fn list_rollouts(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<RolloutDto>>, ApiError> {
    let views = rollout::list(&state.workspace, &principal).await?;
    Ok(Json(views.iter().map(RolloutDto::from).collect()))
}

/// Creates a rollout of an approved patch release: refused when the approval gate does not
/// clear the release, when the filter targets no device that needs it, for a downgrade that
/// is not a rollback, or an update type a targeted client cannot honour.
#[utoipa::path(post, path = "/api/v1/rollouts", tag = "rollouts", request_body = NewRolloutDto,
    responses((status = 201, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn create_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewRolloutDto>,
) -> Result<(StatusCode, Json<RolloutDto>), ApiError> {
    let view = rollout::create(&state.workspace, &context, &principal, &new.into()).await?;
    Ok((StatusCode::CREATED, Json(RolloutDto::from(&view))))
}

/// Shows a rollout with its waves and counts.
#[utoipa::path(get, path = "/api/v1/rollouts/{name}", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    responses((status = 200, body = RolloutDto), (status = 404, body = ErrorDto)))]
pub async fn get_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(name): Path<String>,
) -> Result<Json<RolloutDto>, ApiError> {
    dto(&state, &principal, &name).await
}

/// Starts a created rollout: the approval gate again, the plan of waves, the first wave.
#[utoipa::path(post, path = "/api/v1/rollouts/{name}/start", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    responses((status = 200, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn start_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
) -> Result<Json<RolloutDto>, ApiError> {
    flow::start_rollout(&state.workspace, &context, &principal, &name).await?;
    dto(&state, &principal, &name).await
}

/// Pauses a running rollout, with the reason.
#[utoipa::path(post, path = "/api/v1/rollouts/{name}/pause", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    request_body = RolloutReasonDto,
    responses((status = 200, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn pause_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
    Json(body): Json<RolloutReasonDto>,
) -> Result<Json<RolloutDto>, ApiError> {
    let view = rollout::pause(&state.workspace, &context, &principal, &name, &body.reason).await?;
    Ok(Json(RolloutDto::from(&view)))
}

/// Resumes a paused rollout (after the approval gate).
#[utoipa::path(post, path = "/api/v1/rollouts/{name}/resume", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    responses((status = 200, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn resume_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
) -> Result<Json<RolloutDto>, ApiError> {
    flow::resume_rollout(&state.workspace, &context, &principal, &name).await?;
    dto(&state, &principal, &name).await
}

/// Cancels a rollout, with the reason: actions not offered yet end at once, offered ones are
/// asked to cancel.
#[utoipa::path(post, path = "/api/v1/rollouts/{name}/cancel", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    request_body = RolloutReasonDto,
    responses((status = 200, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn cancel_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
    Json(body): Json<RolloutReasonDto>,
) -> Result<Json<RolloutDto>, ApiError> {
    let view = rollout::cancel(&state.workspace, &context, &principal, &name, &body.reason).await?;
    Ok(Json(RolloutDto::from(&view)))
}

/// The signed go or no-go at a hold point (a person's session: API tokens cannot sign).
#[utoipa::path(post, path = "/api/v1/rollouts/{name}/decide", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    request_body = RolloutDecisionDto,
    responses((status = 200, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 403, description = "Forbidden, or the signature refused (`signature_refused`)", body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn decide_rollout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
    Json(body): Json<RolloutDecisionDto>,
) -> Result<Json<RolloutDto>, ApiError> {
    let sign = crate::api::triage::sign_request(&body.signature)?;
    flow::decide_rollout(
        &state.workspace,
        &context,
        &principal,
        &name,
        body.go,
        &sign,
    )
    .await?;
    dto(&state, &principal, &name).await
}

/// Offers the release again to the devices whose action failed.
#[utoipa::path(post, path = "/api/v1/rollouts/{name}/retry-failed", tag = "rollouts",
    params(("name" = String, Path, description = "The rollout's name")),
    responses((status = 200, body = RolloutDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn retry_failed(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
) -> Result<Json<RolloutDto>, ApiError> {
    let (view, _) = rollout::retry_failed(&state.workspace, &context, &principal, &name).await?;
    Ok(Json(RolloutDto::from(&view)))
}

/// A device's rollout actions, newest first, with every status message it reported.
#[utoipa::path(get, path = "/api/v1/devices/{controller_id}/actions", tag = "rollouts",
    params(("controller_id" = String, Path, description = "The device's controller id")),
    responses((status = 200, body = [ActionDto]), (status = 404, body = ErrorDto)))]
pub async fn device_actions(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(controller_id): Path<String>,
) -> Result<Json<Vec<ActionDto>>, ApiError> {
    let history = rollout::history(&state.workspace, &principal, &controller_id).await?;
    Ok(Json(
        history
            .iter()
            .map(|(action, name, statuses)| ActionDto::of(action, name, statuses))
            .collect(),
    ))
}
