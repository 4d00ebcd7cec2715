//! Feed use cases: add, list, show and remove the sources a workspace syncs.

use aftercare_model::Permission;
use aftercare_store::feed::{self, FeedRow, NewFeed, RunRow, WarningRow};

use super::{FeedKind, defaults};
use crate::access::auth::Principal;
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// A feed to add.
#[derive(Debug, Clone)]
pub struct NewFeedRequest {
    /// The unique name (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// The kind.
    pub kind: FeedKind,
    /// The URL (default: the official source of the kind).
    pub url: Option<String>,
    /// A local mirror instead of a URL: a file, a zip or a folder.
    pub path: Option<String>,
    /// The OSV ecosystem, for the default osv.dev URL (`PyPI`, `npm`, `Go` …).
    pub ecosystem: Option<String>,
}

/// A feed with what its last runs did.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    /// The feed.
    pub feed: FeedRow,
    /// The URL it is fetched from (its own, or the default of its kind).
    pub effective_url: Option<String>,
    /// Its newest run.
    pub last_run: Option<RunRow>,
}

/// A feed with its recent runs and the warnings of the newest one.
#[derive(Debug, Clone)]
pub struct FeedDetail {
    /// The feed and its newest run.
    pub status: FeedStatus,
    /// Its recent runs, newest first.
    pub runs: Vec<RunRow>,
    /// The warnings of the newest run that read documents.
    pub warnings: Vec<WarningRow>,
}

fn check_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ServiceError::invalid(
            "feed name",
            "use 1 to 100 characters",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ServiceError::invalid(
            "feed name",
            "use letters, digits, `.`, `_` and `-` only",
        ));
    }
    Ok(name.to_string())
}

/// Adds a feed.
pub async fn add(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    request: &NewFeedRequest,
) -> Result<FeedRow, ServiceError> {
    principal.require(Permission::FeedManage)?;
    let name = check_name(&request.name)?;
    let url = request
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let path = request
        .path
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let ecosystem = request
        .ecosystem
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if url.is_some() && path.is_some() {
        return Err(ServiceError::invalid(
            "feed source",
            "give either a URL or a path, not both",
        ));
    }
    if let Some(url) = url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ServiceError::invalid(
            "feed URL",
            format!("{url:?}: use an http:// or https:// URL, or --path for a local mirror"),
        ));
    }
    if let Some(path) = path
        && !std::path::Path::new(path).exists()
    {
        return Err(ServiceError::invalid(
            "feed path",
            format!("{path} does not exist"),
        ));
    }
    if url.is_none() && path.is_none() && defaults::url(request.kind, ecosystem).is_none() {
        let hint = match request.kind {
            FeedKind::Osv => "give --ecosystem (PyPI, npm, Go …) for osv.dev, or --url / --path",
            _ => "this kind has no official default: give --url or --path",
        };
        return Err(ServiceError::invalid("feed source", hint));
    }
    let mut tx = workspace.store().begin().await?;
    let actor = context.actor.to_string();
    let created = match feed::insert(
        &mut tx,
        &NewFeed {
            name: &name,
            kind: request.kind.as_str(),
            url,
            path,
            ecosystem,
            created_by: &actor,
        },
        &context.at(),
    )
    .await
    {
        Ok(created) => created,
        Err(error) if error.is_unique_violation() => {
            return Err(ServiceError::AlreadyExists {
                entity: "feed",
                key: name,
            });
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::FeedAdd,
            entity_type: "feed",
            entity_id: Some(created.name.clone()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "kind": created.kind,
                "url": created.url,
                "path": created.path,
                "ecosystem": created.ecosystem,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

fn effective_url(feed: &FeedRow) -> Option<String> {
    if feed.path.is_some() {
        return None;
    }
    feed.url.clone().or_else(|| {
        feed.kind
            .parse::<FeedKind>()
            .ok()
            .and_then(|kind| defaults::url(kind, feed.ecosystem.as_deref()))
    })
}

async fn status(workspace: &Workspace, feed: FeedRow) -> Result<FeedStatus, ServiceError> {
    let last_run = feed::runs(workspace.store().pool(), Some(feed.id), None, 1)
        .await?
        .into_iter()
        .next();
    Ok(FeedStatus {
        effective_url: effective_url(&feed),
        feed,
        last_run,
    })
}

/// Every feed with its newest run.
pub async fn list(workspace: &Workspace) -> Result<Vec<FeedStatus>, ServiceError> {
    let mut out = Vec::new();
    for feed in feed::list(workspace.store().pool()).await? {
        out.push(status(workspace, feed).await?);
    }
    Ok(out)
}

/// A feed by name.
pub async fn get(workspace: &Workspace, name: &str) -> Result<FeedRow, ServiceError> {
    feed::by_name(workspace.store().pool(), name.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "feed",
            key: name.to_string(),
        })
}

/// A feed with its recent runs and the warnings of the newest.
pub async fn show(workspace: &Workspace, name: &str) -> Result<FeedDetail, ServiceError> {
    let feed = get(workspace, name).await?;
    let runs = feed::runs(workspace.store().pool(), Some(feed.id), None, 10).await?;
    // The warnings of the newest run that read documents: a no-change run after it read
    // nothing, and the problems it found are still there.
    let warnings = match runs
        .iter()
        .find(|run| run.counts.documents > 0)
        .or(runs.first())
    {
        Some(run) => feed::warnings(workspace.store().pool(), run.id, 1_000).await?,
        None => Vec::new(),
    };
    Ok(FeedDetail {
        status: status(workspace, feed).await?,
        runs,
        warnings,
    })
}

/// Removes a feed. Its records stay, with the vulnerabilities they joined; its runs stay as
/// evidence.
pub async fn remove(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> Result<(), ServiceError> {
    principal.require(Permission::FeedManage)?;
    let feed = get(workspace, name).await?;
    let mut tx = workspace.store().begin().await?;
    feed::remove(&mut tx, feed.id, &context.at()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::FeedRemove,
            entity_type: "feed",
            entity_id: Some(feed.name.clone()),
            old_value: Some(serde_json::json!({
                "kind": feed.kind,
                "url": feed.url,
                "path": feed.path,
                "ecosystem": feed.ecosystem,
            })),
            new_value: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The delta of a run: what the matching layer should re-match.
pub async fn run_delta(
    workspace: &Workspace,
    run_id: i64,
) -> Result<super::sync::SyncDelta, ServiceError> {
    let changes = feed::changes(workspace.store().pool(), run_id).await?;
    Ok(super::sync::SyncDelta::from_changes(&changes))
}

/// Completed runs after a run id, oldest first: the matching layer keeps the last run it
/// re-matched and asks for the ones since.
pub async fn runs_since(
    workspace: &Workspace,
    after_run_id: i64,
) -> Result<Vec<RunRow>, ServiceError> {
    let mut runs: Vec<RunRow> =
        feed::runs(workspace.store().pool(), None, Some(after_run_id), 10_000)
            .await?
            .into_iter()
            .filter(|run| run.status != "running")
            .collect();
    runs.reverse();
    Ok(runs)
}
