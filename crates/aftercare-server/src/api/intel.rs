//! `/api/v1` routes of the intelligence: vulnerabilities (search, look-up by any alias) and
//! feeds (list, add, remove, sync).

use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::lookup::{self, SearchQuery};
use aftercare_service::intel::sync;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, RequestContext};
use crate::{ApiError, AppState};
use aftercare_api::error::ErrorDto;
use aftercare_api::flow::SyncReportDto;
use aftercare_api::intel::{
    FeedDetailDto, FeedDto, NewFeedDto, SyncStartedDto, VulnerabilityDto, VulnerabilityLookupDto,
    VulnerabilityPageDto, VulnerabilitySummaryDto,
};

/// Which vulnerabilities.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VulnerabilityParams {
    /// Text in an id, summary or description.
    pub q: Option<String>,
    /// Only vulnerabilities in CISA's KEV catalog.
    #[serde(default)]
    pub kev: bool,
    /// Only those whose latest EPSS score is above this (0–1).
    pub epss_above: Option<f64>,
    /// Only those affecting a package of this ecosystem (`PyPI`, `npm` …).
    pub ecosystem: Option<String>,
    /// Only those affecting a package of this name.
    pub package: Option<String>,
    /// Only those published on or after this date (YYYY-MM-DD) or time.
    pub published_since: Option<String>,
    /// Include vulnerabilities whose every record is withdrawn.
    #[serde(default)]
    pub include_withdrawn: bool,
    /// Skip this many.
    #[serde(default)]
    pub offset: i64,
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<i64>,
}

/// Searches vulnerabilities, newest publication first.
#[utoipa::path(get, path = "/api/v1/vulnerabilities", tag = "intelligence", params(VulnerabilityParams),
    responses((status = 200, body = VulnerabilityPageDto), (status = 400, body = ErrorDto)))]
pub async fn list_vulnerabilities(
    State(state): State<AppState>,
    Query(params): Query<VulnerabilityParams>,
) -> Result<Json<VulnerabilityPageDto>, ApiError> {
    let limit = params.limit.unwrap_or(100).clamp(1, 1_000);
    let page = lookup::search(
        &state.workspace,
        &SearchQuery {
            text: params.q,
            kev: params.kev,
            epss_above: params.epss_above,
            ecosystem: params.ecosystem,
            package: params.package,
            published_since: params.published_since,
            include_withdrawn: params.include_withdrawn,
            offset: params.offset.max(0),
            limit,
        },
    )
    .await?;
    Ok(Json(VulnerabilityPageDto {
        items: page
            .items
            .iter()
            .map(VulnerabilitySummaryDto::from)
            .collect(),
        total: page.total,
        offset: params.offset.max(0),
        limit,
    }))
}

/// A vulnerability by any of its ids (CVE, GHSA, PYSEC, RUSTSEC, GO-…, a CSAF document id) or
/// its row id; a shared id (a record aliasing several CVEs) resolves to each.
#[utoipa::path(get, path = "/api/v1/vulnerabilities/{id}", tag = "intelligence",
    params(("id" = String, Path, description = "Any alias, or the row id")),
    responses((status = 200, body = VulnerabilityLookupDto), (status = 404, body = ErrorDto)))]
pub async fn get_vulnerability(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VulnerabilityLookupDto>, ApiError> {
    let aliases = &state.intel.aliases;
    // The warm map answers first; a name it does not know (synced on another node since it
    // was built) is looked up in the database.
    let index = (!aliases.resolve(&id).is_empty()).then_some(aliases);
    let found = lookup::show(&state.workspace, index, &id).await?;
    Ok(Json(VulnerabilityLookupDto {
        query: id,
        vulnerabilities: found.iter().map(VulnerabilityDto::from).collect(),
    }))
}

/// Lists feeds with their newest run.
#[utoipa::path(get, path = "/api/v1/feeds", tag = "intelligence",
    responses((status = 200, body = [FeedDto])))]
pub async fn list_feeds(State(state): State<AppState>) -> Result<Json<Vec<FeedDto>>, ApiError> {
    let feeds = feed::list(&state.workspace).await?;
    Ok(Json(feeds.iter().map(FeedDto::from).collect()))
}

/// A feed with its recent runs and the warnings of the newest.
#[utoipa::path(get, path = "/api/v1/feeds/{name}", tag = "intelligence",
    params(("name" = String, Path, description = "The feed's name")),
    responses((status = 200, body = FeedDetailDto), (status = 404, body = ErrorDto)))]
pub async fn get_feed(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<FeedDetailDto>, ApiError> {
    let detail = feed::show(&state.workspace, &name).await?;
    Ok(Json(FeedDetailDto::from(&detail)))
}

/// Adds a feed.
#[utoipa::path(post, path = "/api/v1/feeds", tag = "intelligence", request_body = NewFeedDto,
    responses((status = 201, body = FeedDto), (status = 400, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn create_feed(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Json(new): Json<NewFeedDto>,
) -> Result<(StatusCode, Json<FeedDto>), ApiError> {
    let kind: FeedKind = new.kind.parse()?;
    let created = feed::add(
        &state.workspace,
        &context,
        &principal,
        &NewFeedRequest {
            name: new.name,
            kind,
            url: new.url,
            path: new.path,
            ecosystem: new.ecosystem,
        },
    )
    .await?;
    let status = feed::list(&state.workspace)
        .await?
        .into_iter()
        .find(|status| status.feed.id == created.id)
        .ok_or_else(|| ApiError::invalid("the feed vanished"))?;
    Ok((StatusCode::CREATED, Json(FeedDto::from(&status))))
}

/// Removes a feed (its records stay).
#[utoipa::path(delete, path = "/api/v1/feeds/{name}", tag = "intelligence",
    params(("name" = String, Path, description = "The feed's name")),
    responses((status = 204), (status = 404, body = ErrorDto)))]
pub async fn delete_feed(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    feed::remove(&state.workspace, &context, &principal, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How to run a sync.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SyncParams {
    /// Wait for the sync and return its report (default: start it and answer 202).
    #[serde(default)]
    pub wait: bool,
}

/// Syncs a feed now: in the background (202), or with `wait=true` until done (200, the
/// report). 409 when another node is syncing it.
#[utoipa::path(post, path = "/api/v1/feeds/{name}/sync", tag = "intelligence",
    params(("name" = String, Path, description = "The feed's name"), SyncParams),
    responses((status = 200, body = SyncReportDto), (status = 202, body = SyncStartedDto),
        (status = 404, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn sync_feed(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RequestContext(context): RequestContext,
    Path(name): Path<String>,
    Query(params): Query<SyncParams>,
) -> Result<Response, ApiError> {
    let found = feed::get(&state.workspace, &name).await?;
    principal
        .require(aftercare_model::Permission::FeedManage)
        .map_err(ApiError::from)?;
    if params.wait {
        let report = aftercare_service::flow::sync(
            &state.workspace,
            &context,
            &principal,
            &found.name,
            &state.intel.options,
            &sync::NoProgress,
        )
        .await?;
        let _ = state.intel.aliases.refresh(&state.workspace).await;
        return Ok(Json(SyncReportDto::from(&report)).into_response());
    }
    let background = state.clone();
    let feed_name = found.name.clone();
    tokio::spawn(async move {
        let result = aftercare_service::flow::sync(
            &background.workspace,
            &context,
            &principal,
            &feed_name,
            &background.intel.options,
            &sync::NoProgress,
        )
        .await;
        match result {
            Ok(report) => {
                tracing::info!(feed = %feed_name, status = report.sync.status.as_str(), "sync finished")
            }
            Err(error) => tracing::warn!(feed = %feed_name, error = %error, "sync failed"),
        }
        let _ = background
            .intel
            .aliases
            .refresh(&background.workspace)
            .await;
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncStartedDto {
            feed: found.name,
            status: "started".to_string(),
        }),
    )
        .into_response())
}
