//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations. A copy is
//! committed at `docs/openapi.json`; a test fails when it is stale.

use axum::Json;
use utoipa::OpenApi;

use crate::api::{access, finding, intel, inventory, patch, triage};
use aftercare_api as wire;

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "aftercare",
        description = "Post-market cybersecurity of medical devices: inventory, intelligence, matching, triage and risk, patch management, audit.",
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
        triage::get_vocabulary,
        triage::get_policy,
        triage::change_policy,
        triage::policy_revisions,
        triage::policy_schema,
        triage::list_clocks,
        triage::waive_clock,
        triage::get_case,
        triage::record_event,
        patch::list_plans,
        patch::create_plan,
        patch::get_plan,
        patch::update_plan,
        patch::close_plan,
        patch::get_patch,
        patch::get_chain,
        patch::attach,
        patch::list_evidence,
        patch::add_evidence,
        patch::download_evidence_file,
        patch::approve,
        patch::reject,
        patch::revoke,
        patch::distribute,
    ),
    components(schemas(
        wire::inventory::ProductDto,
        wire::finding::MatchReportDto,
        wire::finding::FindingComponentDto,
        wire::finding::FindingVulnerabilityDto,
        wire::finding::FindingDto,
        wire::finding::FindingPageDto,
        wire::finding::FindingEventDto,
        wire::finding::FindingDetailDto,
        wire::triage::ControlDto,
        wire::triage::RecordedControlDto,
        wire::triage::PublishedStatementDto,
        wire::triage::AssessmentDto,
        wire::triage::SignalsDto,
        wire::triage::DeterminationDto,
        wire::triage::TriageDto,
        wire::triage::NewAssessmentDto,
        wire::triage::AssessOutcomeDto,
        wire::triage::RubricOptionDto,
        wire::triage::RubricQuestionDto,
        wire::triage::RubricMetricDto,
        wire::triage::RubricDto,
        wire::triage::RubricScoreDto,
        wire::triage::RubricAnswersDto,
        wire::inventory::NewProductDto,
        wire::inventory::ReleaseDto,
        wire::inventory::SbomSummaryDto,
        wire::inventory::ComponentDto,
        wire::inventory::HashDto,
        wire::inventory::DependencyDto,
        wire::inventory::WarningDto,
        wire::inventory::SbomDto,
        wire::inventory::CoverageDto,
        wire::inventory::QualityDto,
        wire::inventory::VersionChangeDto,
        wire::inventory::DiffDto,
        wire::flow::ImportDto,
        wire::inventory::ComponentPageDto,
        wire::inventory::SupportOutcomeDto,
        wire::error::ErrorDto,
        wire::error::ErrorBodyDto,
        wire::access::LoginDto,
        wire::access::MeDto,
        wire::access::AccountDto,
        wire::access::NewAccountDto,
        wire::access::AccountChangeDto,
        wire::access::TrainingDto,
        wire::access::NewTokenDto,
        wire::access::TokenDto,
        wire::access::AuditEventDto,
        wire::access::AuditVerificationDto,
        wire::access::SignatureMismatchDto,
        wire::access::AlertDto,
        wire::access::SignatureDto,
        wire::access::SignDto,
        wire::triage::PolicyDto,
        wire::triage::PolicyChangeDto,
        wire::triage::PolicyWarningDto,
        wire::triage::ClockDto,
        wire::triage::CaseDto,
        wire::triage::CaseEventDto,
        wire::triage::NewCaseEventDto,
        wire::triage::WaiverDto,
        wire::intel::SyncRunDto,
        wire::intel::FeedDto,
        wire::intel::NewFeedDto,
        wire::intel::SyncWarningDto,
        wire::intel::FeedDetailDto,
        wire::intel::SyncDeltaDto,
        wire::flow::SyncReportDto,
        wire::intel::SyncStartedDto,
        wire::intel::AffectedDto,
        wire::intel::RecordDto,
        wire::intel::KevDto,
        wire::intel::EpssDto,
        wire::intel::VulnerabilityDto,
        wire::intel::VulnerabilityLookupDto,
        wire::intel::VulnerabilitySummaryDto,
        wire::intel::VulnerabilityPageDto,
        wire::vocabulary::TermDto,
        wire::vocabulary::JustificationTermDto,
        wire::vocabulary::VocabularyDto,
        wire::patch::ReferenceDto,
        wire::patch::NewPlanControlDto,
        wire::patch::NewPlanDto,
        wire::patch::PlanUpdateDto,
        wire::patch::PlanCloseDto,
        wire::patch::PlanSummaryDto,
        wire::patch::CycleReasonDto,
        wire::patch::CycleRequirementDto,
        wire::patch::PlanFindingDto,
        wire::patch::PlanDueDto,
        wire::patch::PlanControlDto,
        wire::patch::PlanPatchDto,
        wire::patch::PlanEventDto,
        wire::patch::PlanDto,
        wire::patch::AttachDto,
        wire::patch::FixDto,
        wire::patch::EvidenceFileDto,
        wire::patch::ImpactDto,
        wire::patch::EvidenceDto,
        wire::patch::UploadDto,
        wire::patch::NewEvidenceDto,
        wire::patch::EvidenceAddedDto,
        wire::patch::PatchDecisionDto,
        wire::patch::DistributionDto,
        wire::patch::ClearanceDto,
        wire::patch::GateDto,
        wire::patch::PatchDto,
        wire::patch::ApproveDto,
        wire::patch::DecisionDto,
        wire::patch::NewDistributionDto,
        wire::patch::ChainClockDto,
        wire::patch::ChainStepDto,
        wire::patch::ChainLinkDto,
        wire::patch::ChainDto,
    )),
    modifiers(&Security),
    security(("session" = []), ("token" = [])),
    tags(
        (name = "inventory", description = "Products, releases, SBOMs and components"),
        (name = "access", description = "Login, sessions, API tokens, accounts and trainings"),
        (name = "audit", description = "The tamper-evident audit trail and security alerts"),
        (name = "intelligence", description = "Vulnerabilities by any alias, feeds and their sync"),
        (name = "findings", description = "Vulnerabilities matched to the components of every release, with why, and their history"),
        (name = "triage", description = "The policy, regulatory cases and their clocks"),
        (name = "patches", description = "Remediation plans, patch releases with their fix and V&V evidence, the signed approval, and the distribution that meets the remediation clock")
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
