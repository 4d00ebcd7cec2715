//! `/api/v1` routes of the policy and the regulatory cases and clocks.

use aftercare_service::access::password::Password;
use aftercare_service::access::signature::SignRequest;
use aftercare_service::triage::case::{self, ClockQuery, EventInput};
use aftercare_service::triage::policy::{self, PolicyChange};
use aftercare_service::triage::waiver;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, RequestContext};
use crate::{ApiError, AppState};
use aftercare_api::access::SignDto;
use aftercare_api::error::ErrorDto;
use aftercare_api::triage::{
    CaseDto, ClockDto, NewCaseEventDto, PolicyChangeDto, PolicyDto, WaiverDto,
};
use aftercare_api::vocabulary::VocabularyDto;

/// A signature request from its wire form.
pub fn sign_request(dto: &SignDto) -> Result<SignRequest, ApiError> {
    Ok(SignRequest {
        login: dto.login.clone(),
        password: Password::new(dto.password.clone()),
        meaning: dto.meaning.parse().map_err(ApiError::from)?,
        reason: dto.reason.clone(),
    })
}

/// The words of triage with their labels: VEX statuses, justifications, responses, decision
/// scopes, harm severities, risk classes and signature meanings, in the order a form offers
/// them.
#[utoipa::path(get, path = "/api/v1/vocabulary", tag = "triage",
    responses((status = 200, body = VocabularyDto), (status = 401, body = ErrorDto)))]
pub async fn get_vocabulary() -> Json<VocabularyDto> {
    Json(VocabularyDto::new())
}

/// The policy in force (TOML and digest), its warnings and its signatures. A stored revision
/// this version cannot read (format 1) answers 409 `policy_unreadable`, saying how to replace
/// it.
#[utoipa::path(get, path = "/api/v1/policy", tag = "triage",
    responses((status = 200, body = PolicyDto), (status = 403, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn get_policy(State(state): State<AppState>) -> Result<Json<PolicyDto>, ApiError> {
    Ok(Json(PolicyDto::from(
        &policy::current_signed(&state.workspace).await?,
    )))
}

/// Every stored revision of the policy, newest first, with its signatures; one this version
/// cannot read says why.
#[utoipa::path(get, path = "/api/v1/policy/revisions", tag = "triage",
    responses((status = 200, body = [PolicyDto]), (status = 403, body = ErrorDto)))]
pub async fn policy_revisions(
    State(state): State<AppState>,
) -> Result<Json<Vec<PolicyDto>>, ApiError> {
    Ok(Json(
        policy::history(&state.workspace)
            .await?
            .iter()
            .map(PolicyDto::from)
            .collect(),
    ))
}

/// The JSON schema policy files are validated against.
#[utoipa::path(get, path = "/api/v1/policy/schema", tag = "triage",
    responses((status = 200, description = "JSON Schema", body = Object)))]
pub async fn policy_schema() -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::from_str(aftercare_risk::policy::POLICY_SCHEMA_JSON)
        .map(Json)
        .map_err(|_| ApiError::invalid("the built-in schema is unreadable"))
}

/// Changes the policy: the new TOML is validated, stored as the next revision and signed.
#[utoipa::path(put, path = "/api/v1/policy", tag = "triage", request_body = PolicyChangeDto,
    responses((status = 200, body = PolicyDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto)))]
pub async fn change_policy(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(change): Json<PolicyChangeDto>,
) -> Result<Json<PolicyDto>, ApiError> {
    let signature = change.signature.as_ref().map(sign_request).transpose()?;
    policy::change(
        &state.workspace,
        &context,
        &principal,
        &PolicyChange {
            text: change.source,
            reason: change.reason,
            signature,
        },
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(Json(PolicyDto::from(
        &policy::current_signed(&state.workspace).await?,
    )))
}

/// Which clocks.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ClockParams {
    /// Only open clocks due within this many days.
    pub due_within_days: Option<i64>,
    /// Only clocks past their deadline and not yet done (open, or missed and unsatisfied).
    #[serde(default)]
    pub overdue: bool,
    /// Only clocks in this state (`open`, `met`, `missed`, `waived`).
    pub state: Option<String>,
    /// Only clocks of this product (name or id).
    pub product: Option<String>,
}

/// Lists regulatory clocks, soonest deadline first.
#[utoipa::path(get, path = "/api/v1/clocks", tag = "triage", params(ClockParams),
    responses((status = 200, body = [ClockDto]), (status = 400, body = ErrorDto)))]
pub async fn list_clocks(
    State(state): State<AppState>,
    Query(params): Query<ClockParams>,
) -> Result<Json<Vec<ClockDto>>, ApiError> {
    let query = ClockQuery {
        due_within_days: params.due_within_days,
        overdue: params.overdue,
        state: params
            .state
            .as_deref()
            .map(|s| {
                s.parse()
                    .map_err(|e: aftercare_risk::RiskError| ApiError::invalid(e.to_string()))
            })
            .transpose()?,
        product: params.product,
    };
    let clocks = case::clocks(&state.workspace, &query, jiff::Timestamp::now()).await?;
    let signatures = waiver::signatures(
        &state.workspace,
        clocks.iter().map(|c| (c.listing.clock.id, &c.clock)),
    )
    .await?;
    Ok(Json(
        clocks
            .iter()
            .map(|c| {
                ClockDto::new(
                    c.listing.clock.id,
                    c.listing.clock.case_id,
                    &c.listing.product_name,
                    &c.listing.vulnerability,
                    &c.clock,
                )
                .with_signatures(&signatures)
            })
            .collect(),
    ))
}

/// Shows the case of (product, vulnerability): awareness, determination, clocks, events.
#[utoipa::path(get, path = "/api/v1/cases/{product}/{vulnerability}", tag = "triage",
    params(("product" = String, Path, description = "Product name or id"),
        ("vulnerability" = String, Path, description = "The vulnerability's canonical id")),
    responses((status = 200, body = CaseDto), (status = 404, body = ErrorDto)))]
pub async fn get_case(
    State(state): State<AppState>,
    Path((product, vulnerability)): Path<(String, String)>,
) -> Result<Json<CaseDto>, ApiError> {
    let (view, events) = case::case(&state.workspace, &product, &vulnerability).await?;
    let signatures = waiver::of_case(&state.workspace, &view).await?;
    Ok(Json(
        CaseDto::new(&view, &events).with_signatures(&signatures),
    ))
}

fn parse_time(field: &str, value: &Option<String>) -> Result<Option<jiff::Timestamp>, ApiError> {
    value
        .as_deref()
        .map(|t| {
            t.parse()
                .map_err(|_| ApiError::invalid(format!("{field} {t:?} is not an RFC 3339 time")))
        })
        .transpose()
}

/// Records an event on the case of (product, vulnerability): the clocks follow.
#[utoipa::path(post, path = "/api/v1/cases/events", tag = "triage", request_body = NewCaseEventDto,
    responses((status = 201, body = CaseDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn record_event(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewCaseEventDto>,
) -> Result<(StatusCode, Json<CaseDto>), ApiError> {
    let signature = new.signature.as_ref().map(sign_request).transpose()?;
    let input = EventInput {
        kind: new.kind,
        at: parse_time("at", &new.at)?,
        date: new
            .date
            .as_deref()
            .map(|d| {
                d.parse()
                    .map_err(|_| ApiError::invalid(format!("date {d:?} is not YYYY-MM-DD")))
            })
            .transpose()?,
        reference: new.reference,
        reason: new.reason,
        evidence: new.evidence,
        event_type: new.event_type,
        covers_806: new.covers_806,
        five_day: new.five_day,
        category: new.category,
    };
    let outcome = case::record_event(
        &state.workspace,
        &context,
        &principal,
        &new.product,
        &new.vulnerability,
        &input,
        signature.as_ref(),
    )
    .await?;
    let (view, events) = case::case(
        &state.workspace,
        &outcome.view.product,
        &outcome.view.row.vulnerability,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CaseDto::new(&view, &events))))
}

/// Waives an open clock with a written rationale and an electronic signature.
#[utoipa::path(post, path = "/api/v1/clocks/{id}/waive", tag = "triage",
    params(("id" = i64, Path, description = "Clock id")), request_body = WaiverDto,
    responses((status = 200, body = CaseDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn waive_clock(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    Json(waiver): Json<WaiverDto>,
) -> Result<Json<CaseDto>, ApiError> {
    let signature = waiver.signature.as_ref().map(sign_request).transpose()?;
    let outcome = case::waive(
        &state.workspace,
        &context,
        &principal,
        id,
        &waiver.rationale,
        signature.as_ref(),
        jiff::Timestamp::now(),
    )
    .await?;
    let (view, events) = case::case(
        &state.workspace,
        &outcome.view.product,
        &outcome.view.row.vulnerability,
    )
    .await?;
    let signatures = waiver::of_case(&state.workspace, &view).await?;
    Ok(Json(
        CaseDto::new(&view, &events).with_signatures(&signatures),
    ))
}
