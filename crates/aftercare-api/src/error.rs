//! The error envelope of every `/api/v1` error response: a stable machine code and a
//! message. The mapping from service errors to codes and statuses is the server's
//! (`aftercare_server::ApiError`); this is only its shape.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error: a stable machine code and a message a person can act on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDto {
    /// The error.
    pub error: ErrorBodyDto,
}

/// The body of an error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBodyDto {
    /// A stable machine code (`not_found`, `already_exists`, `invalid_input`,
    /// `unreadable_document`, `payload_too_large`, `unauthorized`, `forbidden`,
    /// `internal`).
    pub code: String,
    /// What went wrong, in a sentence.
    pub message: String,
}
