//! HTTP error mapping: a stable machine code, a message a user can act on, and a generic
//! body for server errors (whose details go to the log, not to the client).

use aftercare_service::{ArtifactError, ServiceError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use aftercare_api::error::{ErrorBodyDto, ErrorDto};

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_seconds: Option<i64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    /// 400 with `invalid_input`.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 413 with `payload_too_large`.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the upload is larger than the server's limit of {limit} bytes"),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        match &error {
            ServiceError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            ServiceError::AlreadyExists { .. } => {
                ApiError::new(StatusCode::CONFLICT, "already_exists", error.to_string())
            }
            ServiceError::InvalidInput { .. } | ServiceError::ImportRow { .. } => {
                ApiError::invalid(error.to_string())
            }
            // The rule's own words follow the field: the caller can act on them.
            ServiceError::Rule { source, .. } => ApiError::invalid(format!("{error}: {source}")),
            // The workspace's state, not the request, is wrong: the message says how to fix it.
            ServiceError::PolicyUnreadable { source, .. } => ApiError::new(
                StatusCode::CONFLICT,
                "policy_unreadable",
                format!("{error}: {source}"),
            ),
            ServiceError::Unauthenticated { .. } => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", error.to_string())
            }
            ServiceError::LockedOut {
                retry_after_seconds,
                ..
            } => ApiError {
                retry_after_seconds: Some(*retry_after_seconds),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "locked_out",
                    error.to_string(),
                )
            },
            ServiceError::Forbidden { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", error.to_string())
            }
            ServiceError::SignatureRefused { .. } => ApiError::new(
                StatusCode::FORBIDDEN,
                "signature_refused",
                error.to_string(),
            ),
            ServiceError::Busy { .. } => {
                ApiError::new(StatusCode::CONFLICT, "busy", error.to_string())
            }
            ServiceError::Gone { .. } => ApiError::new(StatusCode::GONE, "gone", error.to_string()),
            ServiceError::Fetch(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "fetch_failed", error.to_string())
            }
            ServiceError::ReadIntel(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable_document",
                error.to_string(),
            ),
            ServiceError::ReadSbom(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable_document",
                error.to_string(),
            ),
            // The product's state, not the file, is wrong: the message says how to fix it.
            ServiceError::Artifact(ArtifactError::NoCa { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "no_update_ca", error.to_string())
            }
            ServiceError::Artifact(artifact) if artifact.is_refusal() => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "artifact_refused",
                error.to_string(),
            ),
            ServiceError::Artifact(_)
            | ServiceError::NotInitialized { .. }
            | ServiceError::WorkspaceDirectory { .. }
            | ServiceError::Store(_)
            | ServiceError::Background { .. } => {
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; the details are in its log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorDto {
            error: ErrorBodyDto {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
