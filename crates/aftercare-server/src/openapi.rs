//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations. A copy is
//! committed at `docs/openapi.json`; a test fails when it is stale.

use axum::Json;
use utoipa::OpenApi;

use crate::api::inventory;
use crate::dto;

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "aftercare",
        description = "Post-market cybersecurity of medical devices: inventory, intelligence, matching, triage and risk, audit.",
        license(name = "Apache-2.0")
    ),
    paths(
        inventory::list_products,
        inventory::create_product,
        inventory::get_product,
        inventory::list_product_releases,
        inventory::create_release,
        inventory::list_releases,
        inventory::get_release,
        inventory::release_components,
        inventory::release_sbom,
        inventory::release_quality,
        inventory::release_warnings,
        inventory::release_diff,
    ),
    components(schemas(
        dto::ProductDto,
        dto::NewProductDto,
        dto::ReleaseDto,
        dto::SbomSummaryDto,
        dto::ComponentDto,
        dto::HashDto,
        dto::DependencyDto,
        dto::WarningDto,
        dto::SbomDto,
        dto::CoverageDto,
        dto::QualityDto,
        dto::VersionChangeDto,
        dto::DiffDto,
        dto::ImportDto,
        dto::ComponentPageDto,
        dto::ErrorDto,
        dto::ErrorBodyDto,
    )),
    tags((name = "inventory", description = "Products, releases, SBOMs and components"))
)]
pub struct ApiDoc;

/// The document as pretty JSON, as committed.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_string())
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
