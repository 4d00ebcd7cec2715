//! The intelligence's wire types: feeds and their sync runs, warnings and deltas, and
//! vulnerabilities with every source's record, KEV and EPSS.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A sync run of a feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncRunDto {
    /// The run's id.
    pub id: i64,
    /// `running` (interrupted; the next sync resumes it), `completed` or `unchanged`.
    pub status: String,
    /// Who started it (`user:…`, `system:feed-sync`).
    pub actor: String,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
    /// Documents read.
    pub documents: i64,
    /// Records seen for the first time.
    pub new: i64,
    /// Records that changed.
    pub updated: i64,
    /// Records the source withdrew in this run.
    pub withdrawn: i64,
    /// Records already stored as they are.
    pub unchanged: i64,
    /// Warnings (bad dates, vectors, ids; unreadable documents).
    pub warnings: i64,
    /// Transactions committed.
    pub batches: i64,
    /// Times the run was started (1 + resumptions).
    pub attempts: i64,
    /// SHA-256 of the run's delta.
    pub delta_sha256: Option<String>,
}

impl From<&aftercare_store::feed::RunRow> for SyncRunDto {
    fn from(run: &aftercare_store::feed::RunRow) -> SyncRunDto {
        SyncRunDto {
            id: run.id,
            status: run.status.clone(),
            actor: run.actor.clone(),
            started_at: run.started_at.clone(),
            finished_at: run.finished_at.clone(),
            documents: run.counts.documents,
            new: run.counts.new,
            updated: run.counts.updated,
            withdrawn: run.counts.withdrawn,
            unchanged: run.counts.unchanged,
            warnings: run.counts.warnings,
            batches: run.counts.batches,
            attempts: run.attempts,
            delta_sha256: run.delta_digest.clone(),
        }
    }
}

/// A feed: a source of vulnerability intelligence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedDto {
    /// The unique name.
    pub name: String,
    /// `osv`, `nvd`, `cve5`, `kev`, `epss` or `csaf`.
    pub kind: String,
    /// The URL given when it was added.
    pub url: Option<String>,
    /// The local mirror, when it reads one.
    pub path: Option<String>,
    /// The OSV ecosystem.
    pub ecosystem: Option<String>,
    /// The URL it is fetched from (its own or the official default).
    pub effective_url: Option<String>,
    /// When it was added.
    pub created_at: String,
    /// Who added it.
    pub created_by: String,
    /// When a sync last started.
    pub last_attempt_at: Option<String>,
    /// When a sync last completed.
    pub last_success_at: Option<String>,
    /// `completed`, `unchanged` or `failed`.
    pub last_status: Option<String>,
    /// Why the last sync failed.
    pub last_error: Option<String>,
    /// Its newest run.
    pub last_run: Option<SyncRunDto>,
}

impl From<&aftercare_service::intel::feed::FeedStatus> for FeedDto {
    fn from(status: &aftercare_service::intel::feed::FeedStatus) -> FeedDto {
        let feed = &status.feed;
        FeedDto {
            name: feed.name.clone(),
            kind: feed.kind.clone(),
            url: feed.url.clone(),
            path: feed.path.clone(),
            ecosystem: feed.ecosystem.clone(),
            effective_url: status.effective_url.clone(),
            created_at: feed.created_at.clone(),
            created_by: feed.created_by.clone(),
            last_attempt_at: feed.last_attempt_at.clone(),
            last_success_at: feed.last_success_at.clone(),
            last_status: feed.last_status.clone(),
            last_error: feed.last_error.clone(),
            last_run: status.last_run.as_ref().map(SyncRunDto::from),
        }
    }
}

/// A new feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewFeedDto {
    /// The unique name (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// `osv`, `nvd`, `cve5`, `kev`, `epss` or `csaf`.
    pub kind: String,
    /// The URL (default: the kind's official source).
    #[serde(default)]
    pub url: Option<String>,
    /// A local mirror on the server instead of a URL.
    #[serde(default)]
    pub path: Option<String>,
    /// The OSV ecosystem for the default osv.dev URL (`PyPI`, `npm` …).
    #[serde(default)]
    pub ecosystem: Option<String>,
}

/// A warning met during a sync.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncWarningDto {
    /// The document (URL, path or `archive!member`).
    pub document: String,
    /// The record, when about one.
    pub record: Option<String>,
    /// `InvalidDate`, `InvalidCvss`, `InvalidId`, `SkippedRecord`, `Unsupported` …
    pub kind: String,
    /// What happened.
    pub message: String,
}

impl From<&aftercare_store::feed::WarningRow> for SyncWarningDto {
    fn from(warning: &aftercare_store::feed::WarningRow) -> SyncWarningDto {
        SyncWarningDto {
            document: warning.document.clone(),
            record: warning.record.clone(),
            kind: warning.kind.clone(),
            message: warning.message.clone(),
        }
    }
}

/// A feed with its recent runs and the warnings of the newest.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedDetailDto {
    /// The feed.
    pub feed: FeedDto,
    /// Its recent runs, newest first.
    pub runs: Vec<SyncRunDto>,
    /// The warnings of the newest run.
    pub warnings: Vec<SyncWarningDto>,
}

impl From<&aftercare_service::intel::feed::FeedDetail> for FeedDetailDto {
    fn from(detail: &aftercare_service::intel::feed::FeedDetail) -> FeedDetailDto {
        FeedDetailDto {
            feed: FeedDto::from(&detail.status),
            runs: detail.runs.iter().map(SyncRunDto::from).collect(),
            warnings: detail.warnings.iter().map(SyncWarningDto::from).collect(),
        }
    }
}

/// What changed in a sync, for re-matching.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncDeltaDto {
    /// Row ids of vulnerabilities that are new, changed or merged away.
    pub vulnerabilities: Vec<i64>,
    /// Package keys (`Ecosystem/name`) named before or after a change.
    pub packages: Vec<String>,
    /// CPE `vendor:product` pairs named before or after a change (`*:*`: a wildcard).
    pub products: Vec<String>,
    /// CVEs whose KEV entry changed.
    pub kev: Vec<String>,
    /// EPSS score dates applied.
    pub epss: Vec<String>,
}

impl From<&aftercare_service::intel::sync::SyncDelta> for SyncDeltaDto {
    fn from(delta: &aftercare_service::intel::sync::SyncDelta) -> SyncDeltaDto {
        SyncDeltaDto {
            vulnerabilities: delta.vulnerabilities.clone(),
            packages: delta.packages.clone(),
            products: delta
                .products
                .iter()
                .map(|(vendor, product)| format!("{vendor}:{product}"))
                .collect(),
            kev: delta.kev.clone(),
            epss: delta.epss.clone(),
        }
    }
}

/// A sync started in the background.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncStartedDto {
    /// The feed.
    pub feed: String,
    /// `started`.
    pub status: String,
}

/// What a record says is affected, in words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AffectedDto {
    /// `package`, `cpe`, `product` or `csaf`.
    pub kind: String,
    /// The package key, CPE, product or CSAF product name.
    pub name: String,
    /// Versions, ranges or status.
    pub detail: String,
}

/// One source's record about a vulnerability.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordDto {
    /// `osv`, `nvd`, `nvd-1.1`, `cve5` or `csaf`.
    pub source: String,
    /// The record's own id.
    pub id: String,
    /// The feed that delivered it.
    pub feed: String,
    /// Last modification.
    pub modified: Option<String>,
    /// First publication.
    pub published: Option<String>,
    /// Whether the source withdrew or rejected it.
    pub withdrawn: bool,
    /// Why.
    pub withdrawn_reason: Option<String>,
    /// The summary.
    pub summary: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The highest severity of its ratings.
    pub severity: Option<String>,
    /// Its ratings (CVSS vectors, scores, labels).
    #[schema(value_type = Object)]
    pub ratings: serde_json::Value,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// Related ids.
    pub related: Vec<String>,
    /// SHA-256 of its original document.
    pub document_sha256: String,
    /// The document's name (URL, path or `archive!member`).
    pub document_name: Option<String>,
    /// When it was fetched.
    pub fetched_at: String,
    /// What it says is affected.
    pub affected: Vec<AffectedDto>,
}

/// A CISA KEV catalog entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KevDto {
    /// The CVE.
    pub cve: String,
    /// Vendor or project.
    pub vendor_project: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// CISA's name for the vulnerability.
    pub vulnerability_name: Option<String>,
    /// Listed since (YYYY-MM-DD).
    pub date_added: Option<String>,
    /// Due date for US federal agencies.
    pub due_date: Option<String>,
    /// Known use in ransomware campaigns (`Known`, `Unknown`).
    pub ransomware: Option<String>,
    /// The required action.
    pub required_action: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The catalog version.
    pub catalog_version: Option<String>,
}

impl From<&aftercare_store::intel::KevRow> for KevDto {
    fn from(row: &aftercare_store::intel::KevRow) -> KevDto {
        KevDto {
            cve: row.cve.clone(),
            vendor_project: row.vendor_project.clone(),
            product: row.product.clone(),
            vulnerability_name: row.vulnerability_name.clone(),
            date_added: row.date_added.clone(),
            due_date: row.due_date.clone(),
            ransomware: row.ransomware.clone(),
            required_action: row.required_action.clone(),
            notes: row.notes.clone(),
            catalog_version: row.catalog_version.clone(),
        }
    }
}

/// An EPSS score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EpssDto {
    /// The day it is for.
    pub score_date: String,
    /// The probability of exploitation in the next 30 days.
    pub epss: f64,
    /// Its percentile.
    pub percentile: f64,
    /// The model version.
    pub model_version: Option<String>,
}

impl From<&aftercare_store::intel::EpssRow> for EpssDto {
    fn from(row: &aftercare_store::intel::EpssRow) -> EpssDto {
        EpssDto {
            score_date: row.score_date.clone(),
            epss: row.epss,
            percentile: row.percentile,
            model_version: row.model_version.clone(),
        }
    }
}

/// A vulnerability: one identity across aliases, with every source's record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityDto {
    /// The stable row id (findings and cases reference it).
    pub id: i64,
    /// The canonical id: the CVE, else the preferred id.
    pub canonical: String,
    /// `active` or `merged`.
    pub status: String,
    /// Whether every record is withdrawn.
    pub withdrawn: bool,
    /// Earliest publication.
    pub published: Option<String>,
    /// Latest modification.
    pub modified: Option<String>,
    /// A summary.
    pub summary: Option<String>,
    /// The highest severity of its records.
    pub severity: Option<String>,
    /// The ids merged into it.
    pub ids: Vec<String>,
    /// Ids it shares with other vulnerabilities.
    pub shared_ids: Vec<String>,
    /// Related ids (never merged).
    pub related: Vec<String>,
    /// The row id asked for, when it was merged into this one.
    pub redirected_from: Option<i64>,
    /// Its CISA KEV entry.
    pub kev: Option<KevDto>,
    /// Its latest EPSS score.
    pub epss: Option<EpssDto>,
    /// Its EPSS history, oldest first.
    pub epss_history: Vec<EpssDto>,
    /// Every source's record.
    pub records: Vec<RecordDto>,
}

impl From<&aftercare_service::intel::lookup::VulnerabilityDetail> for VulnerabilityDto {
    fn from(detail: &aftercare_service::intel::lookup::VulnerabilityDetail) -> VulnerabilityDto {
        let v = &detail.vulnerability;
        VulnerabilityDto {
            id: v.id,
            canonical: v.canonical.clone(),
            status: v.status.clone(),
            withdrawn: v.withdrawn,
            published: v.published.clone(),
            modified: v.modified.clone(),
            summary: v.summary.clone(),
            severity: detail.severity.clone(),
            ids: detail.ids.clone(),
            shared_ids: detail.shared_ids.clone(),
            related: detail.related.clone(),
            redirected_from: detail.redirected_from,
            kev: detail.kev.as_ref().map(KevDto::from),
            epss: detail.epss.as_ref().map(EpssDto::from),
            epss_history: detail.epss_history.iter().map(EpssDto::from).collect(),
            records: detail
                .records
                .iter()
                .map(|r| {
                    let record = &r.record.record;
                    RecordDto {
                        source: record.source.clone(),
                        id: record.record_id.clone(),
                        feed: r.record.feed.clone(),
                        modified: record.modified.clone(),
                        published: record.published.clone(),
                        withdrawn: record.withdrawn,
                        withdrawn_reason: record.withdrawn_reason.clone(),
                        summary: record.summary.clone(),
                        description: record.description.clone(),
                        severity: record.severity.clone(),
                        ratings: serde_json::from_str(&record.ratings)
                            .unwrap_or(serde_json::Value::Null),
                        aliases: record.aliases.clone(),
                        related: record.related.clone(),
                        document_sha256: r.record.document_sha256.clone(),
                        document_name: r.record.document_name.clone(),
                        fetched_at: record.fetched_at.clone(),
                        affected: r
                            .affected
                            .iter()
                            .map(|a| AffectedDto {
                                kind: a.kind.to_string(),
                                name: a.name.clone(),
                                detail: a.detail.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
        }
    }
}

/// What a name resolves to: one vulnerability, or several when the name is shared (a
/// record aliasing several CVEs).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityLookupDto {
    /// The name asked for.
    pub query: String,
    /// The vulnerabilities it names.
    pub vulnerabilities: Vec<VulnerabilityDto>,
}

/// A vulnerability in a search result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilitySummaryDto {
    /// The stable row id.
    pub id: i64,
    /// The canonical id.
    pub canonical: String,
    /// A summary.
    pub summary: Option<String>,
    /// Earliest publication.
    pub published: Option<String>,
    /// Whether every record is withdrawn.
    pub withdrawn: bool,
    /// The highest severity of its records.
    pub severity: Option<String>,
    /// Whether it is in the KEV catalog.
    pub kev: bool,
    /// Its latest EPSS score.
    pub epss: Option<f64>,
    /// Its records as `source:id`.
    pub records: Vec<String>,
}

impl From<&aftercare_service::intel::lookup::VulnerabilitySummary> for VulnerabilitySummaryDto {
    fn from(
        item: &aftercare_service::intel::lookup::VulnerabilitySummary,
    ) -> VulnerabilitySummaryDto {
        VulnerabilitySummaryDto {
            id: item.vulnerability.id,
            canonical: item.vulnerability.canonical.clone(),
            summary: item.vulnerability.summary.clone(),
            published: item.vulnerability.published.clone(),
            withdrawn: item.vulnerability.withdrawn,
            severity: item.severity.clone(),
            kev: item.kev,
            epss: item.epss,
            records: item.records.clone(),
        }
    }
}

/// A page of vulnerabilities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityPageDto {
    /// This page.
    pub items: Vec<VulnerabilitySummaryDto>,
    /// How many match in all.
    pub total: i64,
    /// The offset of the first item.
    pub offset: i64,
    /// The page size asked for.
    pub limit: i64,
}
