//! Eclipse hawkBit's Direct Device Integration API under `/{tenant}/controller/v1/{id}`, as
//! real clients use it (SWUpdate's suricatta, rauc-hawkbit-updater; `ddi-protocol.md` in the
//! shared reference, §0 and §1.9):
//!
//! - every base poll answers `config.polling.sleep`, absolute links, an ETag (and 304 when
//!   the client sends it back);
//! - `deploymentBase/{id}` carries the action id as a string, one chunk with the release's
//!   artifacts (SHA-1, MD5, SHA-256, size, `download`/`download-http` links);
//! - feedback bodies are read leniently (`id` as number or string, `time`, `timestamp`,
//!   unknown fields ignored; `details` may hold non-strings); closed actions answer 410;
//! - `PUT configData` is accepted at any time;
//! - the artifact download answers `HEAD`, `GET` and `Range`, and `.MD5SUM`.
//!
//! Authentication (hawkBit's, §1.8): `Authorization: TargetToken …` (compared by SHA-256 in
//! constant time), a tenant `GatewayToken` only when configured, or a client certificate
//! through a reverse proxy (`X-Controller-Id` equal to the path's id and an issuer hash in
//! `X-Authority` from the configured list, accepted only from the configured proxy addresses).
//! A refused credential is 401, counted (one audit event per minute with the count, not one
//! per poll), and an address that keeps failing gets 429 for a minute.
//!
//! The rules and the storage are `aftercare_service::rollout::ddi`'s; this module is the
//! wire.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aftercare_service::device::{self, DeviceToken};
use aftercare_service::rollout::PollClock;
use aftercare_service::rollout::ddi::{self, ConfigMode, Deployment, FeedbackBody, PollLink};
use aftercare_service::{Context, ServiceError};
use aftercare_store::device::DeviceRow;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{ApiError, AppState};

/// The DDI settings of a server.
#[derive(Debug, Clone)]
pub struct DdiSettings {
    /// The tenant this workspace answers as (`DEFAULT`); other tenants are 404.
    pub tenant: String,
    /// The poll interval given to devices, `HH:MM:SS`.
    pub polling_sleep: String,
    /// The base of the absolute links (`https://updates.example.com`); the request's `Host`
    /// over plain HTTP when unset.
    pub public_url: Option<String>,
    /// The tenant's gateway token; off when unset.
    pub gateway_token: Option<String>,
    /// The reverse proxies whose certificate headers are trusted.
    pub trusted_proxies: Vec<IpAddr>,
    /// The issuer hashes accepted in `X-Authority` from a trusted proxy.
    pub authorities: Vec<String>,
    /// Refused credentials per address and minute before 429.
    pub failures_per_minute: u32,
    /// The largest feedback or configData body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for DdiSettings {
    fn default() -> DdiSettings {
        DdiSettings {
            tenant: "DEFAULT".to_string(),
            polling_sleep: "00:05:00".to_string(),
            public_url: None,
            gateway_token: None,
            trusted_proxies: Vec::new(),
            authorities: Vec::new(),
            failures_per_minute: 20,
            max_body_bytes: 512 * 1024,
        }
    }
}

/// The DDI side of a running server: settings, the coalesced poll clock, the refused-
/// credential counters.
#[derive(Debug, Default)]
pub struct DdiRuntime {
    /// The settings.
    pub settings: DdiSettings,
    /// The last poll of each device, written in batches.
    pub polls: PollClock,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    refused: AtomicU64,
    refused_reported: AtomicU64,
}

impl DdiRuntime {
    /// A runtime with these settings.
    pub fn new(settings: DdiSettings) -> DdiRuntime {
        DdiRuntime {
            settings,
            ..DdiRuntime::default()
        }
    }

    /// How many credentials were refused since the server started.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn limited(&self, address: IpAddr) -> bool {
        // Without a peer (an in-process request) there is no address to hold back.
        if address.is_unspecified() {
            return false;
        }
        let Ok(failures) = self.failures.lock() else {
            return false;
        };
        failures.get(&address).is_some_and(|(since, count)| {
            since.elapsed() < Duration::from_secs(60) && *count >= self.settings.failures_per_minute
        })
    }

    fn fail(&self, address: IpAddr) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut failures) = self.failures.lock() {
            let entry = failures.entry(address).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= Duration::from_secs(60) {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }

    /// Writes the coalesced polls and, when credentials were refused since the last call,
    /// one security event with their count.
    pub async fn flush(&self, workspace: &aftercare_service::Workspace) {
        if let Err(error) = self.polls.flush(workspace).await {
            tracing::warn!(%error, "cannot record device polls");
        }
        let total = self.refused.load(Ordering::Relaxed);
        let reported = self.refused_reported.swap(total, Ordering::Relaxed);
        if total > reported {
            let context = Context::new(
                aftercare_model::Actor::system("ddi"),
                jiff::Timestamp::now(),
            );
            if let Err(error) =
                device::record_refused_credentials(workspace, &context, total - reported).await
            {
                tracing::warn!(%error, "cannot record refused device credentials");
            }
        }
    }
}

/// The address a request came from (the unspecified address when the server runs without
/// connection info, as in tests through `oneshot`).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip()),
        ))
    }
}

fn ddi_error(status: StatusCode, message: impl Into<String>) -> Response {
    // hawkBit's error shape.
    let message = message.into();
    (
        status,
        axum::Json(json!({
            "errorCode": match status {
                StatusCode::NOT_FOUND => "hawkbit.server.error.repo.entitiyNotFound",
                StatusCode::GONE => "hawkbit.server.error.action.closed",
                StatusCode::UNAUTHORIZED => "hawkbit.server.error.unauthorized",
                StatusCode::TOO_MANY_REQUESTS => "hawkbit.server.error.toomanyrequests",
                StatusCode::PAYLOAD_TOO_LARGE => "hawkbit.server.error.payloadtoolarge",
                _ => "hawkbit.server.error.rest.body.notReadable",
            },
            "message": message,
        })),
    )
        .into_response()
}

fn from_service(error: ServiceError) -> Response {
    let status = match &error {
        ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ServiceError::Gone { .. } => StatusCode::GONE,
        ServiceError::InvalidInput { .. } | ServiceError::Rule { .. } => StatusCode::BAD_REQUEST,
        ServiceError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        _ => return ApiError::from(error).into_response(),
    };
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ddi_error(status, text)
}

fn context(controller_id: &str) -> Context {
    Context::new(
        aftercare_model::Actor::system(&format!("device:{controller_id}")),
        jiff::Timestamp::now(),
    )
}

/// Authenticates the device a DDI request names; a refusal is the response to send.
pub(crate) async fn authenticate(
    state: &AppState,
    address: IpAddr,
    tenant: &str,
    controller_id: &str,
    headers: &HeaderMap,
) -> Result<DeviceRow, Response> {
    let ddi = &state.ddi;
    let ip = address;
    if ddi.limited(ip) {
        return Err(ddi_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too many refused credentials from this address: retry in a minute",
        ));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let result = if let Some(token) = authorization.and_then(|v| v.strip_prefix("TargetToken ")) {
        device::authenticate(
            &state.workspace,
            controller_id,
            &DeviceToken::new(token.trim()),
        )
        .await
    } else if let Some(token) = authorization.and_then(|v| v.strip_prefix("GatewayToken ")) {
        device::authenticate_gateway(
            &state.workspace,
            controller_id,
            token.trim(),
            ddi.settings.gateway_token.as_deref(),
        )
        .await
    } else if let Some(certificate) = headers.get("x-controller-id").and_then(|v| v.to_str().ok()) {
        let authority_ok = headers.iter().any(|(name, value)| {
            let name = name.as_str();
            (name == "x-authority" || name.starts_with("x-authority-"))
                && value.to_str().is_ok_and(|v| {
                    v.split([';', ','])
                        .any(|hash| ddi.settings.authorities.iter().any(|a| a == hash.trim()))
                })
        });
        if ddi.settings.trusted_proxies.contains(&ip)
            && authority_ok
            && certificate == controller_id
        {
            device::authenticate_certificate(&state.workspace, controller_id).await
        } else {
            Err(ServiceError::Unauthenticated {
                reason: "certificate headers from an untrusted address, with an unknown \
                         issuer, or for another controller",
            })
        }
    } else {
        Err(ServiceError::Unauthenticated {
            reason: "send Authorization: TargetToken <the device's token>",
        })
    };
    match result {
        // The tenant after the credentials: an unknown tenant tells a stranger nothing.
        Ok(_) if !tenant.eq_ignore_ascii_case(&ddi.settings.tenant) => Err(ddi_error(
            StatusCode::NOT_FOUND,
            format!("tenant {tenant:?} is not served here"),
        )),
        Ok(device) => Ok(device),
        Err(ServiceError::Unauthenticated { reason }) => {
            ddi.fail(ip);
            tracing::warn!(controller_id, %ip, reason, "DDI credential refused");
            Err(ddi_error(StatusCode::UNAUTHORIZED, reason))
        }
        Err(error) => Err(from_service(error)),
    }
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.ddi.settings.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn controller_url(state: &AppState, headers: &HeaderMap, tenant: &str, id: &str) -> String {
    format!("{}/{tenant}/controller/v1/{id}", base_url(state, headers))
}

fn etag_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

fn json_response(headers: &HeaderMap, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let etag = etag_of(&bytes);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/hal+json".to_string()),
            (header::ETAG, etag),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /{tenant}/controller/v1/{controllerId}`: the base poll.
pub async fn poll(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path((tenant, controller_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let device = match authenticate(&state, address, &tenant, &controller_id, &headers).await {
        Ok(device) => device,
        Err(response) => return response,
    };
    let context = context(&controller_id);
    state
        .ddi
        .polls
        .note(device.id, aftercare_store::timestamp_text(context.now));
    let answer = match ddi::poll(&state.workspace, &context, &device).await {
        Ok(answer) => answer,
        Err(error) => return from_service(error),
    };
    let base = controller_url(&state, &headers, &tenant, &controller_id);
    let mut links = serde_json::Map::new();
    match answer.link {
        PollLink::Nothing => {}
        PollLink::Deployment { action_id, hash } => {
            links.insert(
                "deploymentBase".into(),
                json!({"href": format!("{base}/deploymentBase/{action_id}?c={hash}")}),
            );
        }
        PollLink::Cancel { action_id } => {
            links.insert(
                "cancelAction".into(),
                json!({"href": format!("{base}/cancelAction/{action_id}")}),
            );
        }
    }
    if let Some(installed) = answer.installed {
        links.insert(
            "installedBase".into(),
            json!({"href": format!("{base}/installedBase/{installed}")}),
        );
    }
    if answer.config_data {
        links.insert(
            "configData".into(),
            json!({"href": format!("{base}/configData")}),
        );
    }
    let mut body = json!({"config": {"polling": {"sleep": state.ddi.settings.polling_sleep}}});
    if !links.is_empty() {
        body["_links"] = Value::Object(links);
    }
    json_response(&headers, &body)
}

fn deployment_json(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &str,
    controller_id: &str,
    deployment: &Deployment,
) -> Value {
    let base = controller_url(state, headers, tenant, controller_id);
    let artifacts: Vec<Value> = deployment
        .artifacts
        .iter()
        .map(|artifact| {
            let href = format!(
                "{base}/softwaremodules/{}/artifacts/{}",
                deployment.module_id,
                percent_encode(&artifact.filename)
            );
            let secure = href.starts_with("https://");
            let (download, md5sum) = if secure {
                ("download", "md5sum")
            } else {
                ("download-http", "md5sum-http")
            };
            json!({
                "filename": artifact.filename,
                "hashes": {"sha1": artifact.sha1, "md5": artifact.md5, "sha256": artifact.sha256},
                "size": artifact.size,
                "_links": {
                    download: {"href": href},
                    md5sum: {"href": format!("{href}.MD5SUM")},
                },
            })
        })
        .collect();
    json!({
        "id": deployment.action_id.to_string(),
        "deployment": {
            "download": deployment.download.as_str(),
            "update": deployment.update.as_str(),
            "chunks": [{
                "part": "os",
                "version": deployment.version,
                "name": deployment.product,
                "artifacts": artifacts,
            }],
        },
    })
}

fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET …/deploymentBase/{actionId}`.
pub async fn deployment_base(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path((tenant, controller_id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (device, id) =
        match device_action(&state, address, &tenant, &controller_id, &action, &headers).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match ddi::deployment(&state.workspace, &context(&controller_id), &device, id).await {
        Ok(deployment) => json_response(
            &headers,
            &deployment_json(&state, &headers, &tenant, &controller_id, &deployment),
        ),
        Err(error) => from_service(error),
    }
}

/// `GET …/installedBase/{actionId}`.
pub async fn installed_base(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path((tenant, controller_id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (device, id) =
        match device_action(&state, address, &tenant, &controller_id, &action, &headers).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match ddi::installed_base(&state.workspace, &device, id).await {
        Ok(deployment) => json_response(
            &headers,
            &deployment_json(&state, &headers, &tenant, &controller_id, &deployment),
        ),
        Err(error) => from_service(error),
    }
}

/// `GET …/cancelAction/{actionId}`.
pub async fn cancel_action(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path((tenant, controller_id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (device, id) =
        match device_action(&state, address, &tenant, &controller_id, &action, &headers).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match ddi::cancel_action(&state.workspace, &device, id).await {
        Ok(id) => json_response(
            &headers,
            &json!({"id": id.to_string(), "cancelAction": {"stopId": id.to_string()}}),
        ),
        Err(error) => from_service(error),
    }
}

/// The authenticated device and the action id of a request under `…/{action}`; a refusal
/// is the response to send.
async fn device_action(
    state: &AppState,
    address: IpAddr,
    tenant: &str,
    controller_id: &str,
    action: &str,
    headers: &HeaderMap,
) -> Result<(DeviceRow, i64), Response> {
    let device = authenticate(state, address, tenant, controller_id, headers).await?;
    let Some(id) = parse_id(action) else {
        return Err(ddi_error(
            StatusCode::NOT_FOUND,
            format!("action {action:?} is not an action id"),
        ));
    };
    Ok((device, id))
}

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Reads a feedback body as hawkBit does: `status.execution` and `status.result.finished`
/// are required; `details` is a list (non-string entries are kept as their JSON text);
/// `code` an integer; everything else (`id`, `time`, `timestamp`, `progress`) is ignored.
pub fn read_feedback(body: &[u8]) -> Result<FeedbackBody, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| format!("the body is not JSON: {error}"))?;
    let status = value
        .get("status")
        .filter(|s| s.is_object())
        .ok_or("status: required, an object")?;
    let execution = status
        .get("execution")
        .and_then(Value::as_str)
        .ok_or("status.execution: required, a string")?;
    let finished = status
        .get("result")
        .and_then(|r| r.get("finished"))
        .and_then(Value::as_str)
        .ok_or("status.result.finished: required, a string")?;
    let details = match status.get("details") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(text)) => vec![text.clone()],
        Some(_) => return Err("status.details: a list of strings".into()),
    };
    let code = match status.get("code") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or("status.code: an integer")?,
        ),
    };
    Ok(FeedbackBody {
        execution: execution.to_string(),
        finished: finished.to_string(),
        details,
        code,
    })
}

async fn feedback(
    state: AppState,
    address: IpAddr,
    (tenant, controller_id, action): (String, String, String),
    headers: HeaderMap,
    body: Bytes,
    cancel_channel: bool,
) -> Response {
    let (device, id) =
        match device_action(&state, address, &tenant, &controller_id, &action, &headers).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    if body.len() > state.ddi.settings.max_body_bytes {
        return ddi_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a feedback is at most {} bytes",
                state.ddi.settings.max_body_bytes
            ),
        );
    }
    let feedback = match read_feedback(&body) {
        Ok(feedback) => feedback,
        Err(message) => return ddi_error(StatusCode::BAD_REQUEST, message),
    };
    match ddi::feedback(
        &state.workspace,
        &context(&controller_id),
        &device,
        id,
        cancel_channel,
        &feedback,
    )
    .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => from_service(error),
    }
}

/// `POST …/deploymentBase/{actionId}/feedback`.
pub async fn deployment_feedback(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path(path): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    feedback(state, address, path, headers, body, false).await
}

/// `POST …/cancelAction/{actionId}/feedback`.
pub async fn cancel_feedback(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path(path): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    feedback(state, address, path, headers, body, true).await
}

/// `PUT …/configData`: `{"mode": "merge"|"replace"|"remove", "data": {…}}`; `id`, `time`
/// and `status` (SWUpdate sends them) are ignored.
pub async fn config_data(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path((tenant, controller_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let device = match authenticate(&state, address, &tenant, &controller_id, &headers).await {
        Ok(device) => device,
        Err(response) => return response,
    };
    if body.len() > state.ddi.settings.max_body_bytes {
        return ddi_error(StatusCode::PAYLOAD_TOO_LARGE, "configData is too large");
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            return ddi_error(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {error}"),
            );
        }
    };
    let mode = match value
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("merge")
        .parse::<ConfigMode>()
    {
        Ok(mode) => mode,
        Err(error) => return from_service(error),
    };
    let Some(data) = value.get("data").and_then(Value::as_object) else {
        return ddi_error(
            StatusCode::BAD_REQUEST,
            "data: required, an object of strings",
        );
    };
    let data: BTreeMap<String, String> = data
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            )
        })
        .collect();
    match ddi::config_data(
        &state.workspace,
        &context(&controller_id),
        &device,
        mode,
        &data,
    )
    .await
    {
        Ok(_) => StatusCode::OK.into_response(),
        Err(error) => from_service(error),
    }
}

/// `GET|HEAD …/softwaremodules/{module}/artifacts/{file}` and `{file}.MD5SUM`: only an
/// artifact of a release one of the device's actions delivers.
pub async fn artifact(
    State(state): State<AppState>,
    Peer(address): Peer,
    Path((tenant, controller_id, module, file)): Path<(String, String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let device = match authenticate(&state, address, &tenant, &controller_id, &headers).await {
        Ok(device) => device,
        Err(response) => return response,
    };
    let Some(module) = parse_id(&module) else {
        return ddi_error(StatusCode::NOT_FOUND, "no such software module");
    };
    let (name, md5sum) = match file.strip_suffix(".MD5SUM") {
        Some(name) => (name.to_string(), true),
        None => (file.clone(), false),
    };
    let found = match ddi::artifact(&state.workspace, &device, module, &name).await {
        Ok(found) => found,
        Err(error) => return from_service(error),
    };
    if md5sum {
        return (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment;filename={name}.MD5SUM"),
                ),
            ],
            format!("{}  {}", found.md5, found.filename),
        )
            .into_response();
    }
    match aftercare_service::artifact::locate(&state.workspace, found.id).await {
        Ok((row, path)) => {
            crate::download::serve_file(
                &crate::download::ServedFile::artifact(&row, path),
                &headers,
                method == Method::HEAD,
            )
            .await
        }
        Err(error) => from_service(error),
    }
}
