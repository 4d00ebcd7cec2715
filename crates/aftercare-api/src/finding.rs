//! The findings' wire types: a finding with why it matched, a page of them, one with its
//! triage, case and history, and what a match run did.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::triage::{CaseDto, TriageDto};

/// What a match run did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MatchReportDto {
    /// Components matched.
    pub components: usize,
    /// Vulnerability records considered.
    pub records: usize,
    /// Findings opened (new pairs).
    pub opened: Vec<i64>,
    /// Closed findings that match again.
    pub reopened: Vec<i64>,
    /// Open findings whose match changed.
    pub changed: Vec<i64>,
    /// Findings that no longer match, closed with the reason.
    pub closed: Vec<i64>,
    /// Findings confirmed unchanged.
    pub confirmed: usize,
    /// Findings left as they were because a record of their vulnerability could not be read
    /// again from its stored document.
    #[serde(default)]
    pub held: Vec<i64>,
    /// The records that could not be read again, in words.
    #[serde(default)]
    pub unreadable: Vec<String>,
    /// Regulatory cases told of a first match.
    pub cases: usize,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

impl From<&aftercare_service::finding::MatchReport> for MatchReportDto {
    fn from(report: &aftercare_service::finding::MatchReport) -> MatchReportDto {
        MatchReportDto {
            components: report.components,
            records: report.records,
            opened: report.opened.clone(),
            reopened: report.reopened.clone(),
            changed: report.changed.clone(),
            closed: report.closed.clone(),
            confirmed: report.confirmed,
            held: report.held.clone(),
            unreadable: report.unreadable.iter().map(ToString::to_string).collect(),
            cases: report.cases,
            elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The component of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingComponentDto {
    /// The component's id.
    pub id: i64,
    /// Its name (`group/name`).
    pub name: String,
    /// Its version.
    pub version: Option<String>,
    /// Its package URL.
    pub purl: Option<String>,
}

/// The vulnerability of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingVulnerabilityDto {
    /// The canonical id (the CVE when there is one).
    pub id: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// The stored vulnerability's row id (`/api/v1/vulnerabilities/{id}`).
    pub row_id: Option<i64>,
    /// Its summary.
    pub summary: Option<String>,
}

/// A finding: a vulnerability matched to a component of a release.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingDto {
    /// The id.
    pub id: i64,
    /// The product.
    pub product: String,
    /// The release's version.
    pub release: String,
    /// The component.
    pub component: FindingComponentDto,
    /// The vulnerability.
    pub vulnerability: FindingVulnerabilityDto,
    /// `open` or `closed`.
    pub state: String,
    /// `critical`, `high`, `medium`, `low`, `none` or `unknown`.
    pub severity: String,
    /// The CVSS base score behind the severity, when a vector gave it.
    pub score: Option<f64>,
    /// Where the severity comes from (`source`: `cvss`, `label` or `none`, with the record,
    /// vector or label).
    #[schema(value_type = Object)]
    pub severity_basis: serde_json::Value,
    /// Whether the vulnerability is in CISA's KEV catalog.
    pub kev: bool,
    /// `high`, `medium` or `low`: how sure the match is.
    pub confidence: String,
    /// The component version that matched.
    pub matched_version: Option<String>,
    /// The versions to upgrade to.
    pub fixed_versions: Vec<String>,
    /// Why it matched: one entry per record and range, CPE criterion or CSAF status (`record`,
    /// `kind`, `text`, `version`, `fixed`, `confidence`).
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<serde_json::Value>,
    /// When it was first matched: the awareness date the regulatory clocks start from.
    pub first_seen: String,
    /// When a match last confirmed it.
    pub last_seen: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Why it was closed.
    pub close_reason: Option<String>,
    /// The VEX status of the decision that applies, when assessed.
    pub vex_status: Option<String>,
    /// Whether that decision was made on another finding (inherited).
    pub inherited: Option<bool>,
    /// Whether the finding needs a re-review (its version left an inherited decision's
    /// range).
    pub review_required: bool,
}

impl From<&aftercare_store::finding::FindingRow> for FindingDto {
    fn from(row: &aftercare_store::finding::FindingRow) -> FindingDto {
        let parse =
            |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
        FindingDto {
            id: row.id,
            product: row.product.clone(),
            release: row.release.clone(),
            component: FindingComponentDto {
                id: row.component_id,
                name: row.component_name.clone(),
                version: row.component_version.clone(),
                purl: row.component_purl.clone(),
            },
            vulnerability: FindingVulnerabilityDto {
                id: row.vulnerability.clone(),
                aliases: serde_json::from_str(&row.aliases).unwrap_or_default(),
                row_id: row.vulnerability_id,
                summary: row.summary.clone(),
            },
            state: row.state.clone(),
            severity: row.severity.clone(),
            score: row.score,
            severity_basis: parse(&row.severity_basis),
            kev: row.kev,
            confidence: row.confidence.clone(),
            matched_version: row.matched_version.clone(),
            fixed_versions: serde_json::from_str(&row.fixed_versions).unwrap_or_default(),
            reasons: serde_json::from_str(&row.reasons).unwrap_or_default(),
            first_seen: row.first_seen.clone(),
            last_seen: row.last_seen.clone(),
            closed_at: row.closed_at.clone(),
            close_reason: row.close_reason.clone(),
            vex_status: row.vex_status.clone(),
            inherited: row.inherited,
            review_required: row.review_required,
        }
    }
}

/// One page of findings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingPageDto {
    /// The findings on this page, most severe first.
    pub items: Vec<FindingDto>,
    /// How many match in all.
    pub total: i64,
    /// The offset of the first item.
    pub offset: i64,
    /// The page size asked for.
    pub limit: i64,
}

/// An event of a finding's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingEventDto {
    /// When.
    pub at: String,
    /// `opened`, `changed`, `closed`, `reopened`, `assessed`, `inherited`, …
    pub kind: String,
    /// What, as recorded.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Who.
    pub actor: String,
}

impl From<&aftercare_store::finding::FindingEvent> for FindingEventDto {
    fn from(event: &aftercare_store::finding::FindingEvent) -> FindingEventDto {
        FindingEventDto {
            at: event.at.clone(),
            kind: event.kind.clone(),
            detail: serde_json::from_str(&event.detail).unwrap_or_default(),
            actor: event.actor.clone(),
        }
    }
}

/// A finding with its triage, its case and its history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingDetailDto {
    /// The finding.
    pub finding: FindingDto,
    /// Its assessment, exploitability signals and determination.
    pub triage: TriageDto,
    /// The regulatory case of the product and the vulnerability: awareness, risk, clocks.
    pub case: Option<CaseDto>,
    /// What happened to it, oldest first.
    pub history: Vec<FindingEventDto>,
    /// Records of its vulnerability that can no longer be read from their stored documents,
    /// in words: while any is listed, match runs leave the finding as it is.
    #[serde(default)]
    pub unreadable: Vec<String>,
    /// The devices that run the release while the finding is open — exposed now — by
    /// controller id (only for callers who may read the device registry).
    #[serde(default)]
    pub exposed_devices: Vec<String>,
}

impl From<&aftercare_service::finding::FindingDetail> for FindingDetailDto {
    fn from(detail: &aftercare_service::finding::FindingDetail) -> FindingDetailDto {
        FindingDetailDto {
            finding: FindingDto::from(&detail.finding),
            triage: TriageDto::from(&detail.triage),
            case: detail.case.as_ref().map(|(view, events)| {
                CaseDto::new(view, events).with_signatures(&detail.waiver_signatures)
            }),
            history: detail.history.iter().map(FindingEventDto::from).collect(),
            unreadable: detail.unreadable.iter().map(ToString::to_string).collect(),
            exposed_devices: Vec::new(),
        }
    }
}
