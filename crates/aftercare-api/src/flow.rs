//! The outcomes of the service's flows, which chain two slices: an import then its match, a
//! sync then its re-match (`aftercare_service::flow`). They alone combine an area's report
//! with the finding slice's, so that [`crate::inventory`] and [`crate::intel`] never name
//! [`crate::finding`].

use aftercare_service::flow::{Imported, Synced};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::finding::MatchReportDto;
use crate::intel::{SyncDeltaDto, SyncWarningDto};
use crate::inventory::{ReleaseDto, WarningDto};

/// What importing a release (and its SBOM) did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportDto {
    /// The release.
    pub release: ReleaseDto,
    /// Whether these exact bytes were already the release's SBOM (nothing was written).
    pub duplicate: bool,
    /// Problems met while reading the SBOM.
    pub warnings: Vec<WarningDto>,
    /// The imported components matched against the stored intelligence.
    pub matched: Option<MatchReportDto>,
}

impl From<&Imported> for ImportDto {
    fn from(imported: &Imported) -> ImportDto {
        let outcome = &imported.import;
        ImportDto {
            release: ReleaseDto::new(&outcome.release, outcome.sbom.as_ref()),
            duplicate: outcome.duplicate,
            warnings: outcome.warnings.iter().map(WarningDto::from).collect(),
            matched: imported.matched.as_ref().map(MatchReportDto::from),
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncReportDto {
    /// The feed.
    pub feed: String,
    /// The run.
    pub run_id: Option<i64>,
    /// `completed`, `unchanged` or `interrupted`.
    pub status: String,
    /// Whether it resumed an interrupted run.
    pub resumed: bool,
    /// Documents read.
    pub documents: i64,
    /// Records seen for the first time.
    pub new: i64,
    /// Records that changed.
    pub updated: i64,
    /// Records the source withdrew.
    pub withdrawn: i64,
    /// Records already stored as they are.
    pub unchanged: i64,
    /// Warnings in all (the first are listed).
    pub warning_count: i64,
    /// The first warnings.
    pub warnings: Vec<SyncWarningDto>,
    /// What changed.
    pub delta: SyncDeltaDto,
    /// The re-match of the findings the delta touches.
    pub matched: Option<MatchReportDto>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

impl From<&Synced> for SyncReportDto {
    fn from(synced: &Synced) -> SyncReportDto {
        let report = &synced.sync;
        SyncReportDto {
            feed: report.feed.clone(),
            run_id: report.run_id,
            status: report.status.as_str().to_string(),
            resumed: report.resumed,
            documents: report.counts.documents,
            new: report.counts.new,
            updated: report.counts.updated,
            withdrawn: report.counts.withdrawn,
            unchanged: report.counts.unchanged,
            warning_count: report.counts.warnings,
            warnings: report.warnings.iter().map(SyncWarningDto::from).collect(),
            delta: SyncDeltaDto::from(&report.delta),
            matched: synced.matched.as_ref().map(MatchReportDto::from),
            elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}
