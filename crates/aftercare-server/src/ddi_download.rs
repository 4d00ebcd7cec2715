//! The artifact bytes of a DDI download: the artifact's file in the object store, served by
//! the streaming responder (HEAD, GET, Range).

use aftercare_service::rollout::ddi::OfferedArtifact;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Serves an artifact a device may download.
pub(crate) async fn serve(
    _state: &AppState,
    artifact: &OfferedArtifact,
    _headers: &HeaderMap,
    _head: bool,
) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("{}: the artifact store is not wired into DDI yet", artifact.filename),
    )
        .into_response()
}
