//! `/api/v1` routes of artifacts: the files of a release that devices download — list, upload
//! (the raw bytes, streamed to a temporary file, then checked and stored by the service), and
//! download through [`crate::download::serve_file`] (HEAD, ranges, `If-Match`).

use aftercare_api::artifact::ArtifactDto;
use aftercare_api::error::ErrorDto;
use aftercare_service::artifact;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;

use crate::auth::{Caller, RequestContext};
use crate::download::{ServedFile, serve_file};
use crate::{ApiError, AppState};

/// Lists the files of a release, by name, with their digests and verified signer.
#[utoipa::path(get, path = "/api/v1/releases/{product}/{version}/artifacts", tag = "artifacts",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The release's version")),
    responses((status = 200, body = [ArtifactDto]), (status = 404, body = ErrorDto)))]
pub async fn list_artifacts(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((product, version)): Path<(String, String)>,
) -> Result<Json<Vec<ArtifactDto>>, ApiError> {
    let rows = artifact::list(&state.workspace, &principal, &product, &version).await?;
    Ok(Json(rows.iter().map(ArtifactDto::from).collect()))
}

/// The name of an uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The file name devices will see (`pump-1.2.0.swu`); a `.swu` is checked against the
    /// product's update CA.
    pub filename: String,
}

/// Adds a file to a release: the body is the file's bytes. A `.swu` is stored only when its
/// CMS signature over sw-description verifies against the product's update CA as SWUpdate
/// verifies it (422 `artifact_refused` with the reason otherwise; 409 `no_update_ca` when the
/// product has none); other files are stored as they are. A file name already in the release
/// is 409.
#[utoipa::path(post, path = "/api/v1/releases/{product}/{version}/artifacts", tag = "artifacts",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The release's version"), UploadQuery),
    request_body(content = Vec<u8>, description = "The file's bytes", content_type = "application/octet-stream"),
    responses((status = 201, body = ArtifactDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto), (status = 409, body = ErrorDto),
        (status = 413, body = ErrorDto), (status = 422, body = ErrorDto)))]
pub async fn upload_artifact(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path((product, version)): Path<(String, String)>,
    Query(query): Query<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<ArtifactDto>), ApiError> {
    let limit = state.settings.max_upload_bytes;
    // The bytes go to a temporary file as they arrive (memory stays flat); the service
    // copies them into the object store while hashing and checks that copy.
    let temp = tempfile::NamedTempFile::new().map_err(|error| upload_failed(&error))?;
    let handle = temp.reopen().map_err(|error| upload_failed(&error))?;
    let mut file = tokio::fs::File::from_std(handle);
    let mut stream = body.into_data_stream();
    let mut received = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|error| ApiError::invalid(format!("the upload was interrupted: {error}")))?;
        received = received.saturating_add(chunk.len());
        if received > limit {
            return Err(ApiError::too_large(limit));
        }
        file.write_all(&chunk)
            .await
            .map_err(|error| upload_failed(&error))?;
    }
    file.flush().await.map_err(|error| upload_failed(&error))?;
    drop(file);
    let row = artifact::add_named(
        &state.workspace,
        &context,
        &principal,
        &product,
        &version,
        temp.path(),
        &query.filename,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ArtifactDto::from(&row))))
}

fn upload_failed(error: &std::io::Error) -> ApiError {
    tracing::error!(%error, "cannot buffer an upload");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server could not complete the request; the details are in its log",
    )
}

/// Downloads an artifact's bytes: `HEAD` for its size, `Range` for a part (206; 416 past the
/// end), `If-Match` against the ETag, which is its SHA-1 in quotes (412 when it differs).
/// Always an attachment (`application/octet-stream`).
#[utoipa::path(get, path = "/api/v1/artifacts/{id}/content", tag = "artifacts",
    params(("id" = i64, Path, description = "The artifact's id")),
    responses((status = 200, description = "The file, as an attachment; ETag \"<sha1>\"",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The range asked for, with Content-Range",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ErrorDto),
        (status = 412, description = "If-Match names another ETag"),
        (status = 416, description = "The range starts past the end; Content-Range: bytes */size")))]
pub async fn download_artifact(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (row, path) = artifact::content(&state.workspace, &principal, id).await?;
    let file = ServedFile::artifact(&row, path);
    Ok(serve_file(&file, &headers, method == Method::HEAD).await)
}
