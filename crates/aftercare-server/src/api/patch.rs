//! `/api/v1` routes of patch management (issue 13): remediation plans, patch releases with
//! their fix evidence, verification and validation evidence (files up as base64 in the JSON
//! body, down as attachments checked against their SHA-256), the signed approval, rejection
//! and revocation, distribution (which meets the remediation clock), and the chain view.

use aftercare_service::patch::chain;
use aftercare_service::patch::plan;
use aftercare_service::patch::release::{
    self, EvidenceUpload, NewDistribution, NewEvidence, PatchState,
};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::triage::sign_request;
use crate::auth::{Caller, RequestContext};
use crate::download::attachment;
use crate::{ApiError, AppState};
use aftercare_api::error::ErrorDto;
use aftercare_api::patch::{
    ApproveDto, AttachDto, ChainDto, DecisionDto, EvidenceAddedDto, EvidenceDto,
    NewDistributionDto, NewEvidenceDto, NewPlanDto, PatchDto, PlanCloseDto, PlanDto,
    PlanSummaryDto, PlanUpdateDto, UploadDto,
};

/// A JSON body, or the error envelope: 413 above the server's upload limit (evidence files
/// travel inside the body), 400 for a body that does not parse.
fn body<T>(state: &AppState, body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match body {
        Ok(Json(value)) => Ok(value),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ApiError::too_large(state.settings.max_upload_bytes))
        }
        Err(rejection) => Err(ApiError::invalid(rejection.body_text())),
    }
}

/// The patch release as the API shows it: its approvals' signatures and the gate's answer
/// now.
async fn patch_dto(state: &AppState, patch: &PatchState) -> Result<PatchDto, ApiError> {
    let approvals = release::approvals(&state.workspace, patch).await?;
    let gate = patch
        .gate(jiff::Timestamp::now())
        .map_err(|error| error.to_string());
    Ok(PatchDto::new(patch, &approvals, &gate))
}

fn date(field: &str, text: &str) -> Result<jiff::civil::Date, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid(format!("{field} {text:?} is not a date (YYYY-MM-DD)")))
}

fn upload(file: &UploadDto) -> Result<EvidenceUpload, ApiError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file.content_base64.trim())
        .map_err(|error| {
            ApiError::invalid(format!(
                "file {:?}: content_base64 is not base64 ({error})",
                file.name
            ))
        })?;
    Ok(EvidenceUpload {
        name: file.name.clone(),
        bytes,
    })
}

/// Which plans.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PlanParams {
    /// Only plans of this product (name or id).
    pub product: Option<String>,
    /// Only plans in this state (`open`, `in_progress`, `patch_built`, `approved`,
    /// `distributed`, `closed`, `cancelled`).
    pub state: Option<String>,
    /// Only plans that name this finding (the finding page's plans).
    pub finding: Option<i64>,
}

/// Lists remediation plans, newest first.
#[utoipa::path(get, path = "/api/v1/plans", tag = "patches", params(PlanParams),
    responses((status = 200, body = [PlanSummaryDto]), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn list_plans(
    State(state): State<AppState>,
    Query(params): Query<PlanParams>,
) -> Result<Json<Vec<PlanSummaryDto>>, ApiError> {
    let mut rows = plan::list(
        &state.workspace,
        params.product.as_deref(),
        params.state.as_deref(),
    )
    .await?;
    if let Some(finding) = params.finding {
        let naming: Vec<i64> = plan::plans_of_finding(&state.workspace, finding)
            .await?
            .iter()
            .map(|row| row.id)
            .collect();
        rows.retain(|row| naming.contains(&row.id));
    }
    Ok(Json(rows.iter().map(PlanSummaryDto::from).collect()))
}

/// Creates a remediation plan: the findings it names must be of the product, the cycle one
/// the policy allows for its vulnerabilities (an uncontrolled determination, KEV or a critical
/// score require `out_of_cycle`), the owner an account.
#[utoipa::path(post, path = "/api/v1/plans", tag = "patches", request_body = NewPlanDto,
    responses((status = 201, body = PlanDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn create_plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    new: Result<Json<NewPlanDto>, JsonRejection>,
) -> Result<(StatusCode, Json<PlanDto>), ApiError> {
    let new = body(&state, new)?;
    let view = plan::create(&state.workspace, &context, &principal, &new.input()).await?;
    Ok((StatusCode::CREATED, Json(PlanDto::from(&view))))
}

/// One plan: its findings, the cycle it needs and why, its due date, controls, patches and
/// history.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "patches",
    params(("id" = i64, Path, description = "The plan's id")),
    responses((status = 200, body = PlanDto), (status = 404, body = ErrorDto)))]
pub async fn get_plan(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PlanDto>, ApiError> {
    Ok(Json(PlanDto::from(
        &plan::show(&state.workspace, id).await?,
    )))
}

/// Changes a plan: owner, target, cycle (checked against the policy), more findings, change
/// requests, problem reports and controls, or the start of work.
#[utoipa::path(patch, path = "/api/v1/plans/{id}", tag = "patches",
    params(("id" = i64, Path, description = "The plan's id")), request_body = PlanUpdateDto,
    responses((status = 200, body = PlanDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn update_plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    change: Result<Json<PlanUpdateDto>, JsonRejection>,
) -> Result<Json<PlanDto>, ApiError> {
    let change = body(&state, change)?;
    let view = plan::update(&state.workspace, &context, &principal, id, &change.input()).await?;
    Ok(Json(PlanDto::from(&view)))
}

/// Closes a distributed plan, or, with a `cancel_reason`, cancels one not yet distributed.
#[utoipa::path(post, path = "/api/v1/plans/{id}/close", tag = "patches",
    params(("id" = i64, Path, description = "The plan's id")), request_body = PlanCloseDto,
    responses((status = 200, body = PlanDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn close_plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(id): Path<i64>,
    close: Result<Json<PlanCloseDto>, JsonRejection>,
) -> Result<Json<PlanDto>, ApiError> {
    let close = body(&state, close)?;
    let reason = close
        .cancel_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let view = plan::close(&state.workspace, &context, &principal, id, reason).await?;
    Ok(Json(PlanDto::from(&view)))
}

/// A patch release: the plans it serves, the fix evidence of their findings, its evidence
/// (superseded items marked, required kinds and those missing), decisions with their
/// signatures, whether the approval still matches, what the gate says now, and its
/// distributions.
#[utoipa::path(get, path = "/api/v1/patches/{product}/{version}", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    responses((status = 200, body = PatchDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn get_patch(
    State(state): State<AppState>,
    Path((product, version)): Path<(String, String)>,
) -> Result<Json<PatchDto>, ApiError> {
    let patch = release::state(&state.workspace, &product, &version).await?;
    Ok(Json(patch_dto(&state, &patch).await?))
}

/// The chain per vulnerability: finding → assessment → determination → plan → change request
/// → patch release → fix evidence → V&V evidence → approval → distribution, each step with its
/// time and how it stands against the remediation clock.
#[utoipa::path(get, path = "/api/v1/patches/{product}/{version}/chain", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    responses((status = 200, body = ChainDto), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn get_chain(
    State(state): State<AppState>,
    Path((product, version)): Path<(String, String)>,
) -> Result<Json<ChainDto>, ApiError> {
    let found = chain::chain(&state.workspace, &product, &version, jiff::Timestamp::now()).await?;
    Ok(Json(ChainDto::from(&found)))
}

/// Attaches a release as the patch of remediation plans (of its product, still open to a
/// patch; the release must be newer than every release whose findings they name).
#[utoipa::path(post, path = "/api/v1/patches/{product}/{version}/attach", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The release's version")),
    request_body = AttachDto,
    responses((status = 200, body = PatchDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn attach(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path((product, version)): Path<(String, String)>,
    plans: Result<Json<AttachDto>, JsonRejection>,
) -> Result<Json<PatchDto>, ApiError> {
    let plans = body(&state, plans)?;
    let patch = release::attach(
        &state.workspace,
        &context,
        &principal,
        &product,
        &version,
        &plans.plans,
    )
    .await?;
    Ok(Json(patch_dto(&state, &patch).await?))
}

/// A patch release's verification and validation evidence, oldest first, superseded items
/// marked; each file with its SHA-256 and download URL.
#[utoipa::path(get, path = "/api/v1/patches/{product}/{version}/evidence", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    responses((status = 200, body = [EvidenceDto]), (status = 400, body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn list_evidence(
    State(state): State<AppState>,
    Path((product, version)): Path<(String, String)>,
) -> Result<Json<Vec<EvidenceDto>>, ApiError> {
    let patch = release::state(&state.workspace, &product, &version).await?;
    Ok(Json(EvidenceDto::list(&patch)))
}

/// Records verification or validation evidence; files come as base64 in the body, are stored
/// by SHA-256 and limited by the policy (`patch.evidence.max_file_bytes`). Evidence is never
/// edited: a correction names the item it `supersedes`. An approval that no longer matches
/// afterwards shows as such.
#[utoipa::path(post, path = "/api/v1/patches/{product}/{version}/evidence", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    request_body = NewEvidenceDto,
    responses((status = 201, body = EvidenceAddedDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto),
        (status = 413, body = ErrorDto)))]
pub async fn add_evidence(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path((product, version)): Path<(String, String)>,
    new: Result<Json<NewEvidenceDto>, JsonRejection>,
) -> Result<(StatusCode, Json<EvidenceAddedDto>), ApiError> {
    let new = body(&state, new)?;
    let impact = new
        .impact
        .as_ref()
        .map(|impact| {
            Ok::<_, ApiError>(aftercare_patch::ImpactAnswers {
                safety_and_essential_performance_affected: impact
                    .safety_and_essential_performance_affected,
                verification_rerun: impact.verification_rerun.clone(),
                regulatory_path: impact.regulatory_path.trim().parse().map_err(
                    |error: aftercare_patch::PatchError| {
                        ApiError::invalid(format!("impact.regulatory_path: {error}"))
                    },
                )?,
                clearance: impact
                    .clearance
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
                rationale: impact.rationale.clone(),
            })
        })
        .transpose()?;
    let input = NewEvidence {
        kind: new.kind,
        title: new.title,
        result: new.result,
        executed_by: new.executed_by,
        executed_on: date("executed_on", &new.executed_on)?,
        files: new.files.iter().map(upload).collect::<Result<_, _>>()?,
        impact,
        supersedes: new.supersedes,
    };
    let (id, patch) = release::add_evidence(
        &state.workspace,
        &context,
        &principal,
        &product,
        &version,
        &input,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(EvidenceAddedDto {
            evidence: id,
            patch: patch_dto(&state, &patch).await?,
        }),
    ))
}

/// Downloads an evidence file, byte for byte, after checking its bytes against the SHA-256
/// recorded with it (a mismatch is a server error, never served). Always an attachment
/// (`application/octet-stream`, `nosniff`): evidence is never rendered by a browser.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/files/{name}", tag = "patches",
    params(("id" = i64, Path, description = "The evidence item's id"),
        ("name" = String, Path, description = "The file's name")),
    responses((status = 200, description = "The file, as an attachment; ETag \"sha256:<hex>\"",
        content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ErrorDto)))]
pub async fn download_evidence_file(
    State(state): State<AppState>,
    Path((id, name)): Path<(i64, String)>,
) -> Result<Response, ApiError> {
    let (name, bytes) = release::evidence_file(&state.workspace, id, &name).await?;
    let digest = aftercare_model::Sha256::of(&bytes).to_hex();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::ETAG, format!("\"sha256:{digest}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// Approves a patch release for distribution: a Part 11 signature by a person in a session
/// (an API token is refused), bound to the SBOM's digest, the fix evidence and every current
/// evidence item. Refused with every reason and nothing written when evidence is missing or
/// failed, a finding is not fixed, or the signer alone executed the validation.
#[utoipa::path(post, path = "/api/v1/patches/{product}/{version}/approve", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    request_body = ApproveDto,
    responses((status = 200, body = PatchDto), (status = 400, body = ErrorDto),
        (status = 403, description = "Forbidden, or the signature refused (`signature_refused`)", body = ErrorDto),
        (status = 404, body = ErrorDto)))]
pub async fn approve(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path((product, version)): Path<(String, String)>,
    approval: Result<Json<ApproveDto>, JsonRejection>,
) -> Result<Json<PatchDto>, ApiError> {
    let approval = body(&state, approval)?;
    let sign = sign_request(&approval.signature)?;
    let patch = release::approve(
        &state.workspace,
        &context,
        &principal,
        &product,
        &version,
        &sign,
    )
    .await?;
    Ok(Json(patch_dto(&state, &patch).await?))
}

async fn decide_against(
    state: &AppState,
    principal: &aftercare_service::access::auth::Principal,
    context: &aftercare_service::Context,
    (product, version): (String, String),
    decision: Result<Json<DecisionDto>, JsonRejection>,
    revoke: bool,
) -> Result<Json<PatchDto>, ApiError> {
    let decision = body(state, decision)?;
    let patch = release::decide_against(
        &state.workspace,
        context,
        principal,
        &product,
        &version,
        &decision.reason,
        revoke,
    )
    .await?;
    Ok(Json(patch_dto(state, &patch).await?))
}

/// Rejects a patch release with a reason: its approved plans go back to `patch_built`.
#[utoipa::path(post, path = "/api/v1/patches/{product}/{version}/reject", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    request_body = DecisionDto,
    responses((status = 200, body = PatchDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn reject(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(path): Path<(String, String)>,
    decision: Result<Json<DecisionDto>, JsonRejection>,
) -> Result<Json<PatchDto>, ApiError> {
    decide_against(&state, &principal, &context, path, decision, false).await
}

/// Revokes (recalls) a patch release with a reason: it never passes the gate again.
#[utoipa::path(post, path = "/api/v1/patches/{product}/{version}/revoke", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    request_body = DecisionDto,
    responses((status = 200, body = PatchDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(path): Path<(String, String)>,
    decision: Result<Json<DecisionDto>, JsonRejection>,
) -> Result<Json<PatchDto>, ApiError> {
    decide_against(&state, &principal, &context, path, decision, true).await
}

/// Records that the approved patch release was made available to customers, as the gate
/// allows it, and the `fix_distributed` event of every case its plans cover: this meets the
/// remediation clock. A day after today is refused.
#[utoipa::path(post, path = "/api/v1/patches/{product}/{version}/distribute", tag = "patches",
    params(("product" = String, Path, description = "Product name or id"),
        ("version" = String, Path, description = "The patch release's version")),
    request_body = NewDistributionDto,
    responses((status = 201, body = PatchDto), (status = 400, body = ErrorDto),
        (status = 403, body = ErrorDto), (status = 404, body = ErrorDto),
        (status = 413, body = ErrorDto)))]
pub async fn distribute(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path((product, version)): Path<(String, String)>,
    new: Result<Json<NewDistributionDto>, JsonRejection>,
) -> Result<(StatusCode, Json<PatchDto>), ApiError> {
    let new = body(&state, new)?;
    let input = NewDistribution {
        channel: new.channel.trim().to_string(),
        on: date("on", &new.on)?,
        organisation: new
            .organisation
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string),
        evidence: new.evidence_file.as_ref().map(upload).transpose()?,
    };
    let patch = aftercare_service::flow::distribute(
        &state.workspace,
        &context,
        &principal,
        &product,
        &version,
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(patch_dto(&state, &patch).await?)))
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn a_download_is_always_an_attachment_with_a_safe_name() {
        for (name, expected) in [
            (
                "report.pdf",
                "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
            ),
            (
                "../x\"y;.html",
                "attachment; filename=\".._x_y_.html\"; filename*=UTF-8''.._x%22y%3B.html",
            ),
            (
                "prüf bericht.txt",
                "attachment; filename=\"pr_f bericht.txt\"; filename*=UTF-8''pr%C3%BCf%20bericht.txt",
            ),
        ] {
            assert_eq!(attachment(name), expected, "{name}");
        }
    }
}
