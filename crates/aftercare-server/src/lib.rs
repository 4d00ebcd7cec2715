//! The HTTP server: REST API under `/api/v1`, its OpenAPI document and the wire format.
//!
//! Handlers are thin: they extract, call one service function, and map the result to the
//! wire format in [`dto`]. HTTP error mapping lives only here ([`ApiError`]).

pub mod api;
pub mod dto;
mod error;
pub mod openapi;

use std::net::SocketAddr;

use aftercare_model::Actor;
use aftercare_service::{Context, Workspace};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;

pub use error::ApiError;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest accepted upload, in bytes; larger ones get 413.
    pub max_upload_bytes: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_upload_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The workspace.
    pub workspace: Workspace,
    /// The settings.
    pub settings: Settings,
}

/// The authenticated actor of a request, with its request id.
#[derive(Debug, Clone)]
pub struct RequestContext(pub Context);

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let actor = parts.extensions.get::<Actor>().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in or send an API token",
            )
        })?;
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(RequestContext(Context {
            actor,
            request_id,
            reason: None,
        }))
    }
}

/// The application's router.
pub fn router(state: AppState) -> Router {
    use api::inventory as inv;
    let limit = state.settings.max_upload_bytes;
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route(
            "/api/v1/products",
            get(inv::list_products).post(inv::create_product),
        )
        .route("/api/v1/products/{product}", get(inv::get_product))
        .route(
            "/api/v1/products/{product}/releases",
            get(inv::list_product_releases).post(inv::create_release),
        )
        .route("/api/v1/releases", get(inv::list_releases))
        .route("/api/v1/releases/{id}", get(inv::get_release))
        .route(
            "/api/v1/releases/{id}/components",
            get(inv::release_components),
        )
        .route("/api/v1/releases/{id}/sbom", get(inv::release_sbom))
        .route("/api/v1/releases/{id}/quality", get(inv::release_quality))
        .route("/api/v1/releases/{id}/warnings", get(inv::release_warnings))
        .route("/api/v1/releases/{id}/diff", get(inv::release_diff))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves the router on an address until `shutdown` resolves, then finishes the requests in
/// flight.
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
