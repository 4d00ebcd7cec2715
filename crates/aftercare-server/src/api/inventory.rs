//! `/api/v1` routes of the inventory: products, releases, their SBOMs and components.

use aftercare_service::inventory::{self, SbomFile};
use aftercare_store::release::ReleaseRow;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::RequestContext;
use crate::{ApiError, AppState};
use aftercare_api::error::ErrorDto;
use aftercare_api::flow::ImportDto;
use aftercare_api::inventory::{
    ComponentDto, ComponentPageDto, DiffDto, NewProductDto, ProductDto, QualityDto, ReleaseDto,
    SupportOutcomeDto, WarningDto,
};

/// Lists products.
#[utoipa::path(get, path = "/api/v1/products", tag = "inventory",
    responses((status = 200, body = [ProductDto])))]
pub async fn list_products(
    State(state): State<AppState>,
) -> Result<Json<Vec<ProductDto>>, ApiError> {
    let products = inventory::products(&state.workspace).await?;
    Ok(Json(products.iter().map(ProductDto::from).collect()))
}

/// Registers a product.
#[utoipa::path(post, path = "/api/v1/products", tag = "inventory",
    request_body = NewProductDto,
    responses((status = 201, body = ProductDto), (status = 409, body = ErrorDto), (status = 400, body = ErrorDto)))]
pub async fn create_product(
    State(state): State<AppState>,
    context: RequestContext,
    Json(new): Json<NewProductDto>,
) -> Result<(StatusCode, Json<ProductDto>), ApiError> {
    let created = inventory::add_product(
        &state.workspace,
        &context.0,
        &new.name,
        new.description.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ProductDto::from(&created))))
}

/// Shows a product, by name or id.
#[utoipa::path(get, path = "/api/v1/products/{product}", tag = "inventory",
    params(("product" = String, Path, description = "Product name or id")),
    responses((status = 200, body = ProductDto), (status = 404, body = ErrorDto)))]
pub async fn get_product(
    State(state): State<AppState>,
    Path(product): Path<String>,
) -> Result<Json<ProductDto>, ApiError> {
    let found = inventory::product(&state.workspace, &product).await?;
    Ok(Json(ProductDto::from(&found)))
}

async fn release_dto(state: &AppState, release: &ReleaseRow) -> Result<ReleaseDto, ApiError> {
    let sbom = inventory::release_sbom(&state.workspace, release).await?;
    Ok(ReleaseDto::new(release, sbom.as_ref()))
}

/// Filters for listing releases.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReleaseFilter {
    /// Only the releases of this product (name or id).
    pub product: Option<String>,
}

/// Lists releases, newest first within each product.
#[utoipa::path(get, path = "/api/v1/releases", tag = "inventory", params(ReleaseFilter),
    responses((status = 200, body = [ReleaseDto])))]
pub async fn list_releases(
    State(state): State<AppState>,
    Query(filter): Query<ReleaseFilter>,
) -> Result<Json<Vec<ReleaseDto>>, ApiError> {
    let releases = inventory::releases(&state.workspace, filter.product.as_deref()).await?;
    let mut out = Vec::with_capacity(releases.len());
    for release in &releases {
        out.push(release_dto(&state, release).await?);
    }
    Ok(Json(out))
}

/// Lists the releases of one product.
#[utoipa::path(get, path = "/api/v1/products/{product}/releases", tag = "inventory",
    params(("product" = String, Path, description = "Product name or id")),
    responses((status = 200, body = [ReleaseDto]), (status = 404, body = ErrorDto)))]
pub async fn list_product_releases(
    State(state): State<AppState>,
    Path(product): Path<String>,
) -> Result<Json<Vec<ReleaseDto>>, ApiError> {
    list_releases(
        State(state),
        Query(ReleaseFilter {
            product: Some(product),
        }),
    )
    .await
}

/// Where the version of a new release comes from when the body is the raw SBOM.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NewReleaseQuery {
    /// The release's version (required unless a multipart body carries a `version` field).
    pub version: Option<String>,
    /// The SBOM's file name, for messages (optional).
    pub filename: Option<String>,
}

/// The body of a release upload: the SBOM as raw bytes, or a multipart form with a `version`
/// field and an `sbom` file.
#[derive(Debug)]
pub struct Upload {
    version: Option<String>,
    file: Option<SbomFile>,
}

impl FromRequest<AppState> for Upload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Upload, ApiError> {
        let limit = state.settings.max_upload_bytes;
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if multipart {
            let mut form = Multipart::from_request(request, state)
                .await
                .map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
            let mut upload = Upload {
                version: None,
                file: None,
            };
            loop {
                let field = match form.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(ApiError::too_large(limit));
                    }
                    Err(error) => return Err(ApiError::invalid(error.body_text())),
                };
                match field.name() {
                    Some("version") => {
                        upload.version = Some(field.text().await.map_err(|e| {
                            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                                ApiError::too_large(limit)
                            } else {
                                ApiError::invalid(e.body_text())
                            }
                        })?);
                    }
                    Some("sbom") => {
                        let name = field.file_name().unwrap_or("upload").to_string();
                        let bytes = field.bytes().await.map_err(|e| {
                            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                                ApiError::too_large(limit)
                            } else {
                                ApiError::invalid(e.body_text())
                            }
                        })?;
                        upload.file = Some(SbomFile {
                            name,
                            bytes: bytes.to_vec(),
                        });
                    }
                    _ => {}
                }
            }
            return Ok(upload);
        }
        let bytes: Result<Bytes, BytesRejection> = Bytes::from_request(request, state).await;
        let bytes = bytes.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(limit)
            } else {
                ApiError::invalid(rejection.body_text())
            }
        })?;
        Ok(Upload {
            version: None,
            file: (!bytes.is_empty()).then(|| SbomFile {
                name: "upload".to_string(),
                bytes: bytes.to_vec(),
            }),
        })
    }
}

/// Adds a release of a product, with its SBOM in the body (raw bytes of any supported
/// format, optionally compressed, or multipart with `version` and `sbom`). Importing the same
/// bytes again answers 200 with `duplicate: true` and writes nothing.
#[utoipa::path(post, path = "/api/v1/products/{product}/releases", tag = "inventory",
    params(("product" = String, Path, description = "Product name or id"), NewReleaseQuery),
    request_body(content = Vec<u8>, description = "The SBOM document (CycloneDX or SPDX, any encoding, optionally gzip/bzip2/xz compressed), or multipart/form-data with fields `version` and `sbom`", content_type = "application/octet-stream"),
    responses((status = 201, body = ImportDto), (status = 200, description = "Duplicate: these bytes are already the release's SBOM", body = ImportDto),
        (status = 404, body = ErrorDto), (status = 409, body = ErrorDto), (status = 413, body = ErrorDto), (status = 422, body = ErrorDto)))]
pub async fn create_release(
    State(state): State<AppState>,
    context: RequestContext,
    Path(product): Path<String>,
    Query(query): Query<NewReleaseQuery>,
    upload: Upload,
) -> Result<(StatusCode, Json<ImportDto>), ApiError> {
    let version = upload
        .version
        .or(query.version)
        .ok_or_else(|| ApiError::invalid("the release's version is missing: add ?version=…"))?;
    let file = upload.file.map(|mut file| {
        if let Some(name) = query.filename {
            file.name = name;
        }
        file
    });
    let outcome = aftercare_service::flow::import_release(
        &state.workspace,
        &context.0,
        &product,
        &version,
        file.as_ref(),
    )
    .await?;
    let status = if outcome.import.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(ImportDto::from(&outcome))))
}

/// Shows a release.
#[utoipa::path(get, path = "/api/v1/releases/{id}", tag = "inventory",
    params(("id" = i64, Path, description = "Release id")),
    responses((status = 200, body = ReleaseDto), (status = 404, body = ErrorDto)))]
pub async fn get_release(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ReleaseDto>, ApiError> {
    let release = inventory::release_by_id(&state.workspace, id).await?;
    Ok(Json(release_dto(&state, &release).await?))
}

/// Paging and search of components.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ComponentQuery {
    /// Case-insensitive text found in the name, group, version or purl.
    pub search: Option<String>,
    /// The first item's offset (default 0).
    pub offset: Option<i64>,
    /// The page size (default 100, at most 10,000).
    pub limit: Option<i64>,
}

/// Lists a release's components, paginated and filterable.
#[utoipa::path(get, path = "/api/v1/releases/{id}/components", tag = "inventory",
    params(("id" = i64, Path, description = "Release id"), ComponentQuery),
    responses((status = 200, body = ComponentPageDto), (status = 404, body = ErrorDto)))]
pub async fn release_components(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<ComponentQuery>,
) -> Result<Json<ComponentPageDto>, ApiError> {
    let release = inventory::release_by_id(&state.workspace, id).await?;
    let offset = query.offset.unwrap_or(0).max(0);
    let limit = query.limit.unwrap_or(100).clamp(1, 10_000);
    let (items, total) = inventory::components(
        &state.workspace,
        &release,
        query.search.as_deref(),
        offset,
        limit,
    )
    .await?;
    Ok(Json(ComponentPageDto {
        items: items
            .iter()
            .map(|c| ComponentDto::from_record(c, None))
            .collect(),
        total,
        offset,
        limit,
    }))
}

/// Downloads a release's original SBOM document, byte for byte.
#[utoipa::path(get, path = "/api/v1/releases/{id}/sbom", tag = "inventory",
    params(("id" = i64, Path, description = "Release id")),
    responses((status = 200, description = "The original document", content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorDto)))]
pub async fn release_sbom(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let release = inventory::release_by_id(&state.workspace, id).await?;
    let document = inventory::sbom_document(&state.workspace, &release).await?;
    let file_name = document
        .name
        .as_deref()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).replace('"', ""))
        .unwrap_or_else(|| format!("release-{id}-sbom"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::ETAG, format!("\"sha256:{}\"", document.sha256)),
        ],
        document.content,
    )
        .into_response())
}

/// The quality of a release's SBOM against the NTIA minimum elements and the FDA fields.
#[utoipa::path(get, path = "/api/v1/releases/{id}/quality", tag = "inventory",
    params(("id" = i64, Path, description = "Release id")),
    responses((status = 200, body = QualityDto), (status = 404, body = ErrorDto)))]
pub async fn release_quality(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<QualityDto>, ApiError> {
    let release = inventory::release_by_id(&state.workspace, id).await?;
    let (sbom, _, _) = inventory::stored_sbom(&state.workspace, &release).await?;
    Ok(Json(QualityDto::from(&aftercare_sbom::quality(&sbom))))
}

/// The warnings met while reading a release's SBOM.
#[utoipa::path(get, path = "/api/v1/releases/{id}/warnings", tag = "inventory",
    params(("id" = i64, Path, description = "Release id")),
    responses((status = 200, body = [WarningDto]), (status = 404, body = ErrorDto)))]
pub async fn release_warnings(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<WarningDto>>, ApiError> {
    let release = inventory::release_by_id(&state.workspace, id).await?;
    let (_, _, warnings) = inventory::stored_sbom(&state.workspace, &release).await?;
    Ok(Json(warnings.iter().map(WarningDto::from).collect()))
}

/// The release to compare against.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DiffQuery {
    /// The older release's id.
    pub from: i64,
}

/// What changed from another release's SBOM to this one's.
#[utoipa::path(get, path = "/api/v1/releases/{id}/diff", tag = "inventory",
    params(("id" = i64, Path, description = "The newer release's id"), DiffQuery),
    responses((status = 200, body = DiffDto), (status = 404, body = ErrorDto)))]
pub async fn release_diff(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Json<DiffDto>, ApiError> {
    let new = inventory::release_by_id(&state.workspace, id).await?;
    let old = inventory::release_by_id(&state.workspace, query.from).await?;
    let diff = inventory::diff_releases(&state.workspace, &old, &new).await?;
    Ok(Json(DiffDto::from(&diff)))
}

/// Imports a support addendum for a release (CSV or JSON in the body): the FDA's level of
/// support and end-of-support date per component.
#[utoipa::path(put, path = "/api/v1/releases/{id}/support", tag = "inventory",
    params(("id" = i64, Path, description = "Release id")),
    request_body(content = Vec<u8>, description = "CSV with a header row (purl or bom-ref or name+version, level_of_support, end_of_support) or a JSON array of objects with the same keys", content_type = "text/csv"),
    responses((status = 200, body = SupportOutcomeDto), (status = 404, body = ErrorDto), (status = 413, body = ErrorDto), (status = 422, body = ErrorDto)))]
pub async fn release_support(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<i64>,
    upload: Upload,
) -> Result<Json<SupportOutcomeDto>, ApiError> {
    let release = inventory::release_by_id(&state.workspace, id).await?;
    let file = upload
        .file
        .ok_or_else(|| ApiError::invalid("the body is empty: send the addendum's CSV or JSON"))?;
    let outcome =
        inventory::apply_support_addendum(&state.workspace, &context.0, &release, &file).await?;
    Ok(Json(SupportOutcomeDto::from(&outcome)))
}
