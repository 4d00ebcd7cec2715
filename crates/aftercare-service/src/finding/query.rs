//! Reading findings: the filtered, paged list, and one finding with its triage, its
//! regulatory case and its history.

use aftercare_store::finding::{self as stored, FindingEvent, FindingFilter, FindingRow};
use aftercare_store::intel;

use crate::intel::lookup::{self, UnreadableRecord};
use crate::triage;
use crate::{ServiceError, Workspace};

/// A page of findings.
#[derive(Debug, Clone)]
pub struct FindingPage {
    /// The findings.
    pub findings: Vec<FindingRow>,
    /// How many match the filter.
    pub total: i64,
}

/// A finding list query, as people and clients write it.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// A product by name or id.
    pub product: Option<String>,
    /// A release version (with `product`).
    pub release: Option<String>,
    /// Severities (`critical`, `high`, `medium`, `low`, `none`, `unknown`).
    pub severities: Vec<String>,
    /// Only KEV findings (true) or only the others (false).
    pub kev: Option<bool>,
    /// `open` (the default when `None` is not asked for), `closed` or `all`.
    pub state: Option<String>,
    /// A vulnerability by any of its ids.
    pub vulnerability: Option<String>,
    /// Text in the component or vulnerability.
    pub search: Option<String>,
    /// `unassessed`, `assessed`, `needs_review`, or a VEX status (`not_affected` …).
    pub assessment: Option<String>,
    /// Skip this many.
    pub offset: i64,
    /// At most this many.
    pub limit: i64,
}

const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "none", "unknown"];

/// Lists findings.
pub async fn list(
    workspace: &Workspace,
    query: &FindingQuery,
) -> Result<FindingPage, ServiceError> {
    let mut filter = FindingFilter::default();
    if let Some(product) = query.product.as_deref().filter(|p| !p.trim().is_empty()) {
        let product = crate::inventory::product(workspace, product).await?;
        filter.product_id = Some(product.id);
        if let Some(version) = query.release.as_deref().filter(|v| !v.trim().is_empty()) {
            let release = crate::inventory::release(workspace, &product.name, version).await?;
            filter.release_id = Some(release.id);
        }
    } else if query.release.is_some() {
        return Err(ServiceError::invalid(
            "release",
            "a release is named with its product (--product)",
        ));
    }
    for severity in &query.severities {
        let severity = severity.trim().to_ascii_lowercase();
        if !SEVERITIES.contains(&severity.as_str()) {
            return Err(ServiceError::invalid(
                "severity",
                format!("{severity:?}: expected one of {}", SEVERITIES.join(", ")),
            ));
        }
        filter.severities.push(severity);
    }
    filter.kev = query.kev;
    filter.state = match query.state.as_deref().map(str::trim) {
        None | Some("") | Some("open") => Some("open".into()),
        Some("closed") => Some("closed".into()),
        Some("all") => None,
        Some(other) => {
            return Err(ServiceError::invalid(
                "state",
                format!("{other:?}: expected open, closed or all"),
            ));
        }
    };
    if let Some(name) = query
        .vulnerability
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let canonical = match lookup::resolve(workspace, None, name).await {
            Ok(found) if !found.is_empty() => {
                intel::vulnerability(workspace.store().pool(), found[0].0)
                    .await?
                    .map(|v| v.canonical)
            }
            _ => None,
        };
        filter.vulnerability = Some(canonical.unwrap_or_else(|| name.trim().to_string()));
    }
    filter.search = query.search.clone();
    if let Some(assessment) = query
        .assessment
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let known = ["unassessed", "assessed", "needs_review"].contains(&assessment)
            || assessment.parse::<aftercare_risk::VexStatus>().is_ok();
        if !known {
            return Err(ServiceError::invalid(
                "assessment",
                format!(
                    "{assessment:?}: expected unassessed, assessed, needs_review, not_affected, \
                     affected, fixed or under_investigation"
                ),
            ));
        }
        filter.assessment = Some(assessment.to_string());
    }
    let limit = if query.limit <= 0 {
        100
    } else {
        query.limit.min(10_000)
    };
    let (findings, total) = stored::list(
        workspace.store().pool(),
        &filter,
        query.offset.max(0),
        limit,
    )
    .await?;
    Ok(FindingPage { findings, total })
}

/// A finding with its triage, its product's regulatory case and its history.
#[derive(Debug, Clone)]
pub struct FindingDetail {
    /// The finding.
    pub finding: FindingRow,
    /// Assessment, signals, exploitability and determination.
    pub triage: triage::assessment::Triage,
    /// The regulatory case of the product and the vulnerability, with its events.
    pub case: Option<(
        triage::case::CaseView,
        Vec<aftercare_store::case::CaseEventRow>,
    )>,
    /// The signatures of the case's waived clocks, by clock id (21 CFR 11.50).
    pub waiver_signatures:
        std::collections::BTreeMap<i64, Vec<crate::access::signature::SignatureView>>,
    /// What happened to it, oldest first.
    pub history: Vec<FindingEvent>,
    /// Records of its vulnerability that can no longer be read from their stored documents:
    /// while any is listed, match runs leave the finding as it is (see `finding::candidates`).
    pub unreadable: Vec<UnreadableRecord>,
}

/// One finding: why it matched, its triage, its case and clocks, and its history.
pub async fn show(workspace: &Workspace, id: i64) -> Result<FindingDetail, ServiceError> {
    let pool = workspace.store().pool();
    let finding = stored::by_id(pool, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "finding",
            key: id.to_string(),
        })?;
    let history = stored::events_of(pool, id).await?;
    let triage = triage::assessment::triage(workspace, &finding).await?;
    let case = match triage::case::case(workspace, &finding.product, &finding.vulnerability).await {
        Ok(found) => Some(found),
        Err(ServiceError::NotFound { .. }) => None,
        Err(error) => return Err(error),
    };
    let waiver_signatures = match &case {
        Some((view, _)) => triage::waiver::of_case(workspace, view).await?,
        None => std::collections::BTreeMap::new(),
    };
    let unreadable = match finding.vulnerability_id {
        Some(id) => {
            let rows: Vec<i64> = intel::records_of(pool, id)
                .await?
                .iter()
                .map(|attached| attached.record.id)
                .collect();
            lookup::reread(workspace, &rows).await?.unreadable
        }
        None => Vec::new(),
    };
    Ok(FindingDetail {
        finding,
        triage,
        case,
        waiver_signatures,
        history,
        unreadable,
    })
}
