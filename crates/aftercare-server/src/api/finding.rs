//! `/api/v1` routes of the findings: the list with its filters, one finding with its
//! history, and a full re-match.

use aftercare_service::finding::{self, FindingQuery, MatchScope};
use aftercare_service::triage::assessment;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::triage::sign_request;
use crate::auth::{Caller, RequestContext};
use crate::{ApiError, AppState};
use aftercare_api::error::ErrorDto;
use aftercare_api::finding::{FindingDetailDto, FindingDto, FindingPageDto, MatchReportDto};
use aftercare_api::triage::{
    AssessOutcomeDto, NewAssessmentDto, RubricAnswersDto, RubricDto, RubricScoreDto, TriageDto,
};

/// Which findings.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct FindingParams {
    /// Only this product (name or id).
    pub product: Option<String>,
    /// Only this release of the product (its version).
    pub release: Option<String>,
    /// Only these severities, comma-separated (`critical,high`).
    pub severity: Option<String>,
    /// Only KEV findings (`true`) or only the others (`false`).
    pub kev: Option<bool>,
    /// `open` (the default), `closed` or `all`.
    pub state: Option<String>,
    /// Only this vulnerability, by any of its ids.
    pub vulnerability: Option<String>,
    /// Text in the component's name or purl, or in the vulnerability's ids.
    pub search: Option<String>,
    /// `unassessed`, `assessed`, `needs_review`, or a VEX status (`not_affected` …).
    pub assessment: Option<String>,
    /// Skip this many (default 0).
    pub offset: Option<i64>,
    /// At most this many (default 100, at most 10,000).
    pub limit: Option<i64>,
}

impl FindingParams {
    /// The service's query.
    pub fn query(&self) -> FindingQuery {
        FindingQuery {
            product: self.product.clone(),
            release: self.release.clone(),
            severities: self
                .severity
                .as_deref()
                .map(|s| {
                    s.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            kev: self.kev,
            state: self.state.clone(),
            vulnerability: self.vulnerability.clone(),
            search: self.search.clone(),
            assessment: self.assessment.clone(),
            offset: self.offset.unwrap_or(0),
            limit: self.limit.unwrap_or(100),
        }
    }
}

/// Lists findings, most severe first (KEV first within a severity).
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingParams),
    responses((status = 200, body = FindingPageDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn list_findings(
    State(state): State<AppState>,
    Query(params): Query<FindingParams>,
) -> Result<Json<FindingPageDto>, ApiError> {
    let query = params.query();
    let page = finding::list(&state.workspace, &query).await?;
    Ok(Json(FindingPageDto {
        items: page.findings.iter().map(FindingDto::from).collect(),
        total: page.total,
        offset: query.offset.max(0),
        limit: query.limit,
    }))
}

/// One finding: why it matched, its severity and fixed versions, and its history.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = i64, Path, description = "The finding's id")),
    responses((status = 200, body = FindingDetailDto), (status = 404, body = ErrorDto)))]
pub async fn get_finding(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<FindingDetailDto>, ApiError> {
    let detail = finding::show(&state.workspace, id).await?;
    let mut dto = FindingDetailDto::from(&detail);
    dto.exposed_devices = aftercare_service::device::exposed_by_finding(
        &state.workspace,
        &principal,
        &dto.finding.product,
        &dto.finding.release,
        &dto.finding.state,
    )
    .await?;
    Ok(Json(dto))
}

/// Re-matches every component of every release against the stored intelligence and reports
/// what changed (imports and feed syncs already match what they touch).
#[utoipa::path(post, path = "/api/v1/match", tag = "findings",
    responses((status = 200, body = MatchReportDto), (status = 403, body = ErrorDto)))]
pub async fn match_all(
    State(state): State<AppState>,
    RequestContext(context): RequestContext,
) -> Result<Json<MatchReportDto>, ApiError> {
    let report = finding::rematch(&state.workspace, &context, MatchScope::All).await?;
    Ok(Json(MatchReportDto::from(&report)))
}

/// The triage of a finding: its assessment, exploitability signals and determination.
#[utoipa::path(get, path = "/api/v1/findings/{id}/assessment", tag = "findings",
    params(("id" = i64, Path, description = "The finding's id")),
    responses((status = 200, body = TriageDto), (status = 404, body = ErrorDto)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<TriageDto>, ApiError> {
    let detail = finding::show(&state.workspace, id).await?;
    Ok(Json(TriageDto::from(&detail.triage)))
}

/// Records the assessment of a finding (and, with a harm severity, the signed determination
/// of its product and vulnerability); returns the finding as it is now.
#[utoipa::path(put, path = "/api/v1/findings/{id}/assessment", tag = "findings",
    params(("id" = i64, Path, description = "The finding's id")),
    request_body = NewAssessmentDto,
    responses((status = 200, body = FindingDetailDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn put_assessment(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    Json(new): Json<NewAssessmentDto>,
) -> Result<Json<FindingDetailDto>, ApiError> {
    let signature = new.signature.as_ref().map(sign_request).transpose()?;
    assessment::assess(
        &state.workspace,
        &context,
        &principal,
        &[id],
        &new.input(),
        signature.as_ref(),
        jiff::Timestamp::now(),
    )
    .await?;
    let detail = finding::show(&state.workspace, id).await?;
    Ok(Json(FindingDetailDto::from(&detail)))
}

/// Assesses several findings at once with one assessment (`findings` lists them).
#[utoipa::path(post, path = "/api/v1/findings/assessments", tag = "findings",
    request_body = NewAssessmentDto,
    responses((status = 200, body = AssessOutcomeDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn bulk_assess(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewAssessmentDto>,
) -> Result<Json<AssessOutcomeDto>, ApiError> {
    let signature = new.signature.as_ref().map(sign_request).transpose()?;
    let outcome = assessment::assess(
        &state.workspace,
        &context,
        &principal,
        &new.findings,
        &new.input(),
        signature.as_ref(),
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(Json(AssessOutcomeDto::from(&outcome)))
}

/// The MITRE/MDIC rubric for applying CVSS to medical devices, as a questionnaire.
#[utoipa::path(get, path = "/api/v1/rubric", tag = "findings",
    responses((status = 200, body = RubricDto)))]
pub async fn get_rubric() -> Result<Json<RubricDto>, ApiError> {
    let rubric =
        aftercare_risk::Rubric::mitre_2020().map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(Json(RubricDto::from(&rubric)))
}

/// Scores the rubric's answers: the CVSS base vector they give and its score.
#[utoipa::path(post, path = "/api/v1/rubric/score", tag = "findings",
    request_body = RubricAnswersDto,
    responses((status = 200, body = RubricScoreDto), (status = 400, body = ErrorDto)))]
pub async fn score_rubric(
    Json(answers): Json<RubricAnswersDto>,
) -> Result<Json<RubricScoreDto>, ApiError> {
    let (extended_vector, base_vector, base_score, severity) =
        assessment::score_rubric(&answers.extended_vector)?;
    Ok(Json(RubricScoreDto {
        extended_vector,
        base_vector,
        base_score,
        severity,
    }))
}
