//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations. A copy is
//! committed at `docs/openapi.json`; a test fails when it is stale.

use axum::Json;
use utoipa::OpenApi;

use crate::api::{access, finding, intel, inventory, triage};
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
        access::login,
        access::logout,
        access::me,
        access::list_tokens,
        access::create_token,
        access::revoke_token,
        access::list_accounts,
        access::create_account,
        access::update_account,
        access::list_trainings,
        access::add_training,
        access::list_audit,
        access::verify_audit,
        access::list_alerts,
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
        inventory::release_support,
        intel::list_vulnerabilities,
        intel::get_vulnerability,
        intel::list_feeds,
        intel::create_feed,
        intel::get_feed,
        intel::delete_feed,
        intel::sync_feed,
        finding::list_findings,
        finding::get_finding,
        finding::match_all,
        finding::get_assessment,
        finding::put_assessment,
        finding::bulk_assess,
        finding::get_rubric,
        finding::score_rubric,
        triage::get_policy,
        triage::change_policy,
        triage::policy_revisions,
        triage::policy_schema,
        triage::list_clocks,
        triage::waive_clock,
        triage::get_case,
        triage::record_event,
    ),
    components(schemas(
        dto::ProductDto,
        dto::MatchReportDto,
        dto::FindingComponentDto,
        dto::FindingVulnerabilityDto,
        dto::FindingDto,
        dto::FindingPageDto,
        dto::FindingEventDto,
        dto::FindingDetailDto,
        dto::ControlDto,
        dto::AssessmentDto,
        dto::SignalsDto,
        dto::DeterminationDto,
        dto::TriageDto,
        dto::NewAssessmentDto,
        dto::AssessOutcomeDto,
        dto::RubricOptionDto,
        dto::RubricQuestionDto,
        dto::RubricMetricDto,
        dto::RubricDto,
        dto::RubricScoreDto,
        crate::api::finding::RubricAnswersDto,
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
        dto::SupportOutcomeDto,
        dto::ErrorDto,
        dto::ErrorBodyDto,
        dto::LoginDto,
        dto::MeDto,
        dto::AccountDto,
        dto::NewAccountDto,
        dto::AccountChangeDto,
        dto::TrainingDto,
        dto::NewTokenDto,
        dto::TokenDto,
        dto::AuditEventDto,
        dto::AuditVerificationDto,
        dto::AlertDto,
        dto::SignatureDto,
        dto::SignDto,
        dto::PolicyDto,
        dto::PolicyChangeDto,
        dto::ClockDto,
        dto::CaseDto,
        dto::CaseEventDto,
        dto::NewCaseEventDto,
        dto::WaiverDto,
        dto::SyncRunDto,
        dto::FeedDto,
        dto::NewFeedDto,
        dto::SyncWarningDto,
        dto::FeedDetailDto,
        dto::SyncDeltaDto,
        dto::SyncReportDto,
        dto::SyncStartedDto,
        dto::AffectedDto,
        dto::RecordDto,
        dto::KevDto,
        dto::EpssDto,
        dto::VulnerabilityDto,
        dto::VulnerabilityLookupDto,
        dto::VulnerabilitySummaryDto,
        dto::VulnerabilityPageDto,
    )),
    modifiers(&Security),
    security(("session" = []), ("token" = [])),
    tags(
        (name = "inventory", description = "Products, releases, SBOMs and components"),
        (name = "access", description = "Login, sessions, API tokens, accounts and trainings"),
        (name = "audit", description = "The tamper-evident audit trail and security alerts"),
        (name = "intelligence", description = "Vulnerabilities by any alias, feeds and their sync"),
        (name = "findings", description = "Vulnerabilities matched to the components of every release, with why, and their history"),
        (name = "triage", description = "The policy, regulatory cases and their clocks")
    )
)]
pub struct ApiDoc;

/// Declares the two ways to authenticate: the session cookie and a bearer API token.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

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
