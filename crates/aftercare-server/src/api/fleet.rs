//! Fleet monitoring over HTTP: a device's telemetry batch (the device authenticates itself as
//! on the DDI routes), a device's telemetry for people, and the signals with their triage.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aftercare_api::error::ErrorDto;
use aftercare_api::fleet::{
    DeviceTelemetryDto, DismissDto, ExposureDto, IngestedDto, RolloutReportDto, SignalDto,
};
use aftercare_fleet::telemetry::MAX_BATCH_BYTES;
use aftercare_service::{Context, fleet};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, RequestContext};
use crate::ddi::{self, Peer};
use crate::{ApiError, AppState};

/// Telemetry lines a device may send per minute, by default: a day of ten metrics every five
/// minutes, flushed at once after an outage, fits twice.
pub const DEFAULT_LINES_PER_MINUTE: u32 = 6_000;

/// The fleet side of a server: the per-device rate limit and the detectors, shared by the
/// HTTP route and the MQTT subscriber.
#[derive(Debug)]
pub struct FleetRuntime {
    lines_per_minute: u32,
    windows: Mutex<HashMap<i64, (Instant, u32)>>,
    /// The detectors every batch feeds.
    pub detectors: fleet::Detectors,
    /// Whether batches marked as replays (`X-Aftercare-Replay: true`, the MQTT user property
    /// `replay`) are stored at their lines' own times: for simulations and trusted gateways
    /// only (`serve --trust-device-time`).
    pub trust_device_time: bool,
}

impl Default for FleetRuntime {
    fn default() -> FleetRuntime {
        FleetRuntime::new(DEFAULT_LINES_PER_MINUTE)
    }
}

impl FleetRuntime {
    /// A runtime allowing `lines_per_minute` lines per device and minute.
    pub fn new(lines_per_minute: u32) -> FleetRuntime {
        FleetRuntime {
            lines_per_minute,
            windows: Mutex::new(HashMap::new()),
            detectors: fleet::Detectors::default(),
            trust_device_time: false,
        }
    }

    /// Whether a device may send `lines` more lines in its current minute (and counts them if
    /// so); otherwise the seconds until its window opens again.
    pub fn admit(&self, device_id: i64, lines: u32) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 1_000_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let (start, used) = windows.entry(device_id).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *used = 0;
        }
        if used.saturating_add(lines) > self.lines_per_minute {
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *used += lines;
        Ok(())
    }
}

/// The non-blank lines of a batch, as the rate limit counts them.
pub fn count_lines(body: &[u8]) -> u32 {
    let lines = body
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count();
    u32::try_from(lines).unwrap_or(u32::MAX)
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// Receives a batch of telemetry lines from a device (`Authorization: TargetToken …`, or a
/// client certificate through a trusted proxy, as on the DDI routes). Good lines are stored,
/// each bad one is reported with its number, field and reason: 200 when one line or more was
/// stored, 422 when none was. A batch over 1 MiB is 413; a device over its rate limit 429
/// with `Retry-After`. `X-Aftercare-Replay: true` stores each line at its own `ts` (a
/// simulation or a trusted gateway's buffer), only on a server started with
/// `--trust-device-time` (409 otherwise).
#[utoipa::path(post, path = "/api/v1/devices/{controller_id}/telemetry", tag = "fleet",
    params(("controller_id" = String, Path, description = "The device's controller id")),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One JSON object per line: heartbeat, metric or security_event"),
    responses((status = 200, body = IngestedDto), (status = 401, description = "Unknown device or wrong token"),
        (status = 409, body = ErrorDto), (status = 413, body = ErrorDto), (status = 422, body = IngestedDto),
        (status = 429, body = ErrorDto)))]
pub async fn ingest(
    State(state): State<AppState>,
    Peer(peer): Peer,
    Path(controller_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tenant = state.ddi.settings.tenant.clone();
    let device = match ddi::authenticate(&state, peer, &tenant, &controller_id, &headers).await {
        Ok(device) => device,
        Err(response) => return response,
    };
    if body.len() > MAX_BATCH_BYTES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the batch is {} bytes; at most {MAX_BATCH_BYTES} bytes are accepted",
                body.len()
            ),
        );
    }
    if let Err(wait) = state.fleet.admit(device.id, count_lines(&body)) {
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "{controller_id} sent more telemetry than its limit per minute: retry in {wait} s"
            ),
        );
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let replay = headers
        .get("x-aftercare-replay")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
    if replay && !state.fleet.trust_device_time {
        return error(
            StatusCode::CONFLICT,
            "replay_refused",
            "this server stores telemetry at its own receive time; a replay at the lines' own \
             times needs `aftercare serve --trust-device-time` (simulations and trusted gateways only)"
                .to_string(),
        );
    }
    let context = Context::new(
        aftercare_model::Actor::system(&format!("device:{}", device.controller_id)),
        Timestamp::now(),
    );
    let stored = if replay {
        fleet::replay(
            &state.workspace,
            &context,
            &state.fleet.detectors,
            &device,
            &body,
        )
        .await
    } else {
        fleet::ingest(
            &state.workspace,
            &context,
            &state.fleet.detectors,
            &device,
            &body,
        )
        .await
    };
    match stored {
        Ok(ingested) => {
            let status = if ingested.accepted == 0 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (status, Json(IngestedDto::from(&ingested))).into_response()
        }
        Err(failure) => ApiError::from(failure).into_response(),
    }
}

/// The window of a device's telemetry.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TelemetryQuery {
    /// `hour` (default) or `day`.
    pub grain: Option<String>,
    /// How many hours back from now (default 48, at most 24 × 400).
    pub hours: Option<i64>,
}

/// A device's telemetry: its last heartbeat, what it reported, its clock skew and its
/// rollups per metric.
#[utoipa::path(get, path = "/api/v1/devices/{controller_id}/telemetry", tag = "fleet",
    params(("controller_id" = String, Path, description = "The device's controller id"), TelemetryQuery),
    responses((status = 200, body = DeviceTelemetryDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn device_telemetry(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(controller_id): Path<String>,
    Query(query): Query<TelemetryQuery>,
) -> Result<Json<DeviceTelemetryDto>, ApiError> {
    let to = Timestamp::now();
    let hours = query.hours.unwrap_or(48).clamp(1, 24 * 400);
    let from = to
        .checked_sub(SignedDuration::from_hours(hours))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let grain = query.grain.as_deref().unwrap_or("hour");
    let (telemetry, rollups) = fleet::telemetry(
        &state.workspace,
        &principal,
        &controller_id,
        grain,
        from,
        to,
    )
    .await?;
    Ok(Json(DeviceTelemetryDto::new(
        &controller_id,
        telemetry.as_ref(),
        &rollups,
    )))
}

/// The filter of the signal list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SignalQuery {
    /// `open`, `acknowledged`, `dismissed` or `incident`.
    pub state: Option<String>,
    /// The detector.
    pub kind: Option<String>,
    /// A device's controller id.
    pub device: Option<String>,
    /// At most this many (default 200).
    pub limit: Option<i64>,
}

/// The signals, newest first.
#[utoipa::path(get, path = "/api/v1/signals", tag = "fleet", params(SignalQuery),
    responses((status = 200, body = [SignalDto]), (status = 404, body = ErrorDto)))]
pub async fn list_signals(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<SignalQuery>,
) -> Result<Json<Vec<SignalDto>>, ApiError> {
    let rows = fleet::signals(
        &state.workspace,
        &principal,
        query.state.as_deref(),
        query.kind.as_deref(),
        query.device.as_deref(),
        query.limit.unwrap_or(200),
    )
    .await?;
    Ok(Json(rows.iter().map(SignalDto::from).collect()))
}

/// One signal with its evidence.
#[utoipa::path(get, path = "/api/v1/signals/{id}", tag = "fleet",
    params(("id" = i64, Path, description = "The signal's id")),
    responses((status = 200, body = SignalDto), (status = 404, body = ErrorDto)))]
pub async fn get_signal(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<SignalDto>, ApiError> {
    let row = fleet::signal(&state.workspace, &principal, id).await?;
    Ok(Json(SignalDto::from(&row)))
}

/// Acknowledges an open signal: a person saw it and keeps watching.
#[utoipa::path(post, path = "/api/v1/signals/{id}/acknowledge", tag = "fleet",
    params(("id" = i64, Path, description = "The signal's id")),
    responses((status = 200, body = SignalDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn acknowledge_signal(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<SignalDto>, ApiError> {
    let row = fleet::acknowledge(&state.workspace, &context, &principal, id).await?;
    Ok(Json(SignalDto::from(&row)))
}

/// Dismisses an open signal with the reason it is not a concern.
#[utoipa::path(post, path = "/api/v1/signals/{id}/dismiss", tag = "fleet",
    params(("id" = i64, Path, description = "The signal's id")), request_body = DismissDto,
    responses((status = 200, body = SignalDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn dismiss_signal(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    Json(dismissal): Json<DismissDto>,
) -> Result<Json<SignalDto>, ApiError> {
    let row = fleet::dismiss(
        &state.workspace,
        &context,
        &principal,
        id,
        &dismissal.reason,
    )
    .await?;
    Ok(Json(SignalDto::from(&row)))
}

/// The exposure question.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExposureQuery {
    /// The vulnerability (an id or an alias: `CVE-2021-32714`).
    pub vulnerability: String,
    /// Group the devices exposed now by `product` (default), `release`, `organisation` or
    /// `site`.
    pub by: Option<String>,
    /// Days of the residual-exposure curve (default 90).
    pub days: Option<i64>,
}

/// A vulnerability's exposure across the fleet: the devices running a release with an open
/// finding of it now (by product, release, organisation or site), the residual-exposure
/// curve, and each remediating patch's delivery from approval to install (median, p90).
#[utoipa::path(get, path = "/api/v1/exposure", tag = "fleet", params(ExposureQuery),
    responses((status = 200, body = ExposureDto), (status = 400, body = ErrorDto)))]
pub async fn exposure(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<ExposureQuery>,
) -> Result<Json<ExposureDto>, ApiError> {
    let by = query.by.as_deref().unwrap_or("product");
    if !["product", "release", "organisation", "site"].contains(&by) {
        return Err(aftercare_service::ServiceError::InvalidInput {
            field: "by",
            message: format!("{by:?}: expected product, release, organisation or site"),
        }
        .into());
    }
    let exposure = fleet::exposure(
        &state.workspace,
        &principal,
        &query.vulnerability,
        query.days.unwrap_or(90),
        Timestamp::now(),
    )
    .await?;
    Ok(Json(ExposureDto::new(&exposure, by)))
}

/// The report's form.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// `json` (default) or `csv` (the metrics, one row per metric and cohort).
    pub format: Option<String>,
}

/// A rollout's post-patch report: the exposure of its devices before and after, the metrics of
/// the patched and unpatched cohorts before and after (with hourly series), and the signals
/// raised during the rollout.
#[utoipa::path(get, path = "/api/v1/rollouts/{name}/report", tag = "fleet",
    params(("name" = String, Path, description = "The rollout's name"), ReportQuery),
    responses((status = 200, body = RolloutReportDto), (status = 404, body = ErrorDto)))]
pub async fn rollout_report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(name): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let report =
        fleet::rollout_report(&state.workspace, &principal, &name, Timestamp::now()).await?;
    let dto = RolloutReportDto::from(&report);
    if query.format.as_deref() == Some("csv") {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            dto.metrics_csv(),
        )
            .into_response());
    }
    Ok(Json(dto).into_response())
}
