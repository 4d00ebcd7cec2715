//! Who is calling, and may they: credentials (a session cookie or an API token), the route
//! table's access rule for every route, and the denial of everything else.
//!
//! Default deny: every route is registered with an [`Access`]; a route that needs a
//! permission refuses callers without credentials (401) and callers whose roles lack the
//! permission (403, audited as an unauthorized attempt, 21 CFR 11.300(d)).

use aftercare_model::Permission;
use aftercare_service::access::auth::{self, Principal, Secret};
use aftercare_service::{Context, ServiceError};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// The cookie that carries a session.
pub const SESSION_COOKIE: &str = "aftercare_session";

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login, the OpenAPI document).
    Public,
    /// Any authenticated caller (their own session and tokens).
    Authenticated,
    /// A caller holding this permission.
    Permission(Permission),
    /// A device, by its own credentials (the DDI routes authenticate it themselves:
    /// `TargetToken`, a gateway token, or a client certificate through a trusted proxy).
    Device,
}

impl Access {
    /// A label for documentation and tests.
    pub fn label(self) -> String {
        match self {
            Access::Public => "public".to_string(),
            Access::Authenticated => "authenticated".to_string(),
            Access::Permission(permission) => permission.as_str().to_string(),
            Access::Device => "device".to_string(),
        }
    }
}

/// The credentials a request carries, if any.
fn credentials(headers: &HeaderMap) -> Option<(bool, Secret)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        return Some((true, Secret::new(token.trim())));
    }
    let cookies = headers.get_all(header::COOKIE);
    for cookie in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for pair in cookie.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=')
                && name == SESSION_COOKIE
                && !value.is_empty()
            {
                return Some((false, Secret::new(value)));
            }
        }
    }
    None
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(100).collect())
}

/// The middleware every route runs behind: resolves the caller and enforces the route's
/// access rule.
pub async fn authorize(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    if access == Access::Device {
        // The DDI handler authenticates the device named in the path.
        return next.run(request).await;
    }
    let now = jiff::Timestamp::now();
    let resolved = match credentials(request.headers()) {
        None => None,
        Some((bearer, secret)) => {
            let result = if bearer {
                auth::token_principal(&state.workspace, &secret, now).await
            } else {
                auth::session_principal(&state.workspace, &secret, now).await
            };
            match result {
                Ok(principal) => Some(principal),
                // Bad credentials on a public route are ignored (a stale cookie must not
                // block the login page); elsewhere they are the answer.
                Err(_) if access == Access::Public => None,
                Err(error) => return ApiError::from(error).into_response(),
            }
        }
    };
    match (access, &resolved) {
        (Access::Public | Access::Device, _) => {}
        (_, None) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)",
            )
            .into_response();
        }
        (Access::Authenticated, Some(_)) => {}
        (Access::Permission(permission), Some(principal)) => {
            if !principal.allows(permission) {
                let attempt = Attempt {
                    method: request.method().to_string(),
                    path: request.uri().path().to_string(),
                    request_id: request_id(request.headers()),
                };
                deny(&state, principal, permission, attempt).await;
                return ApiError::from(ServiceError::Forbidden { permission }).into_response();
            }
        }
    }
    if let Some(principal) = resolved {
        request.extensions_mut().insert(principal.actor());
        request.extensions_mut().insert(principal);
    }
    next.run(request).await
}

/// What a refused request tried.
struct Attempt {
    method: String,
    path: String,
    request_id: Option<String>,
}

/// Audits a refused request: an unauthorized attempt, reported at once (log and trail).
async fn deny(state: &AppState, principal: &Principal, permission: Permission, attempt: Attempt) {
    tracing::warn!(
        caller = %principal.login,
        permission = %permission,
        method = %attempt.method,
        path = %attempt.path,
        "request refused: missing permission"
    );
    let context = Context {
        actor: principal.actor(),
        now: jiff::Timestamp::now(),
        request_id: attempt.request_id,
        reason: None,
    };
    let detail = serde_json::json!({
        "method": attempt.method,
        "path": attempt.path,
        "permission": permission.as_str(),
    });
    if let Err(error) =
        aftercare_service::audit::access_denied(&state.workspace, &context, detail).await
    {
        tracing::error!(error = %error, "could not audit a refused request");
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "log in or send an API token",
                )
            })
    }
}

/// The authenticated caller as an audit context (actor and request id).
#[derive(Debug, Clone)]
pub struct RequestContext(pub Context);

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        Ok(RequestContext(Context {
            actor: principal.actor(),
            now: jiff::Timestamp::now(),
            request_id: request_id(&parts.headers),
            reason: None,
        }))
    }
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(secret: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}
