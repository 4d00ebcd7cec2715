//! NVD CVE records: CVE API 2.0 JSON (response pages, single-CVE responses, bare `{"cve": …}`
//! items and bare cve objects as the fkie-cad mirror stores them) and the retired JSON 1.1
//! data feeds (`CVE_Items`).

use serde::Deserialize;

use crate::date::{date_field, timestamp_field};
use crate::field::{self, CvssInput, nullable};
use crate::record::{
    AffectedProduct, Configuration, Container, CpeMatch, KevMark, Node, Operator, Rating,
    RatingSystem, Record, Reference, Source, Ssvc, VersionBound, Withdrawn,
};
use crate::warning::{WarningKind, Warnings};

/// A response page or single-CVE response: `{"vulnerabilities": [{"cve": …}]}`.
#[derive(Deserialize)]
struct Page {
    #[serde(default, deserialize_with = "nullable")]
    vulnerabilities: Vec<Item>,
}

/// One item of a page: `{"cve": …}`.
#[derive(Deserialize)]
struct Item {
    cve: Cve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cve {
    id: Option<String>,
    source_identifier: Option<String>,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    descriptions: Vec<Text>,
    #[serde(default, deserialize_with = "nullable")]
    metrics: Metrics,
    #[serde(default, deserialize_with = "nullable")]
    weaknesses: Vec<Weakness>,
    #[serde(default, deserialize_with = "nullable")]
    configurations: Vec<RawConfiguration>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<RawReference>,
    #[serde(default, deserialize_with = "nullable")]
    affected: Vec<RawAffected>,
    cisa_exploit_add: Option<String>,
    cisa_action_due: Option<String>,
    cisa_required_action: Option<String>,
    cisa_vulnerability_name: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    lang: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
struct Metrics {
    #[serde(rename = "cvssMetricV2", default, deserialize_with = "nullable")]
    v2: Vec<Metric>,
    #[serde(rename = "cvssMetricV30", default, deserialize_with = "nullable")]
    v30: Vec<Metric>,
    #[serde(rename = "cvssMetricV31", default, deserialize_with = "nullable")]
    v31: Vec<Metric>,
    #[serde(rename = "cvssMetricV40", default, deserialize_with = "nullable")]
    v40: Vec<Metric>,
    #[serde(rename = "ssvcV203", default, deserialize_with = "nullable")]
    ssvc: Vec<SsvcMetric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    cvss_data: Option<CvssData>,
    /// CVSS v2 keeps its label beside `cvssData`.
    base_severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    vector_string: Option<String>,
    base_score: Option<f64>,
    base_severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SsvcMetric {
    ssvc_data: Option<SsvcData>,
}

#[derive(Deserialize)]
struct SsvcData {
    role: Option<String>,
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    options: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Weakness {
    #[serde(default, deserialize_with = "nullable")]
    description: Vec<Text>,
}

#[derive(Deserialize)]
struct RawConfiguration {
    operator: Option<String>,
    #[serde(default)]
    negate: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    nodes: Vec<RawNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNode {
    operator: Option<String>,
    #[serde(default)]
    negate: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    cpe_match: Vec<RawMatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMatch {
    vulnerable: Option<bool>,
    criteria: Option<String>,
    version_start_including: Option<String>,
    version_start_excluding: Option<String>,
    version_end_including: Option<String>,
    version_end_excluding: Option<String>,
    match_criteria_id: Option<String>,
}

#[derive(Deserialize)]
struct RawReference {
    url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAffected {
    source: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    affected_data: Vec<AffectedData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AffectedData {
    vendor: Option<String>,
    product: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    versions: Vec<crate::cve5::RawVersion>,
}

/// The shapes of an API 2.0 document.
pub(crate) enum Shape {
    /// `{"vulnerabilities": [{"cve": …}, …]}`.
    Page,
    /// `{"cve": {…}}`.
    Item,
    /// `{"id": "CVE-…", …}`.
    Bare,
}

/// Reads an API 2.0 document of the given shape.
pub(crate) fn read(
    bytes: &[u8],
    shape: Shape,
    warnings: &mut Warnings<'_>,
) -> Result<Vec<Record>, serde_json::Error> {
    let cves = match shape {
        Shape::Page => serde_json::from_slice::<Page>(bytes)?
            .vulnerabilities
            .into_iter()
            .map(|item| item.cve)
            .collect(),
        Shape::Item => vec![serde_json::from_slice::<Item>(bytes)?.cve],
        Shape::Bare => vec![serde_json::from_slice::<Cve>(bytes)?],
    };
    Ok(cves
        .into_iter()
        .filter_map(|cve| convert(cve, warnings))
        .collect())
}

fn convert(cve: Cve, warnings: &mut Warnings<'_>) -> Option<Record> {
    let Some(raw_id) = cve.id.as_deref() else {
        warnings.set_record(None);
        warnings.push(WarningKind::SkippedRecord, "NVD CVE without `id`; skipped");
        return None;
    };
    warnings.set_record(Some(raw_id.to_string()));
    let Some(id) = field::id(warnings, "id", raw_id) else {
        warnings.push(
            WarningKind::SkippedRecord,
            "NVD CVE with an invalid `id`; skipped",
        );
        return None;
    };
    let mut record = Record::new(Source::Nvd, id);
    record.assigner = cve.source_identifier;
    record.published = timestamp_field(warnings, "published", cve.published.as_deref());
    record.modified = timestamp_field(warnings, "lastModified", cve.last_modified.as_deref());
    if cve.vuln_status.as_deref() == Some("Rejected") {
        record.withdrawn = Some(Withdrawn {
            at: record.modified,
            reason: None,
        });
    }
    record.status = cve.vuln_status;
    record.description = field::english(
        cve.descriptions
            .iter()
            .filter_map(|text| Some((text.lang.as_deref(), text.value.as_deref()?))),
    );
    let metrics = cve.metrics;
    for (declared, list, name) in [
        (RatingSystem::CvssV2, &metrics.v2, "cvssMetricV2"),
        (RatingSystem::CvssV30, &metrics.v30, "cvssMetricV30"),
        (RatingSystem::CvssV31, &metrics.v31, "cvssMetricV31"),
        (RatingSystem::CvssV40, &metrics.v40, "cvssMetricV40"),
    ] {
        for metric in list {
            if let Some(rating) = metric_rating(warnings, name, declared.clone(), metric) {
                record.ratings.push(rating);
            }
        }
    }
    for metric in &metrics.ssvc {
        if let Some(data) = &metric.ssvc_data {
            record.ssvc.push(ssvc(warnings, data));
        }
    }
    for weakness in &cve.weaknesses {
        for text in &weakness.description {
            if let Some(value) = text.value.as_deref().filter(|v| !v.trim().is_empty()) {
                record.weaknesses.push(value.to_string());
            }
        }
    }
    for configuration in cve.configurations {
        record.configurations.push(Configuration {
            operator: operator(warnings, configuration.operator.as_deref()),
            negate: configuration.negate.unwrap_or(false),
            nodes: configuration
                .nodes
                .into_iter()
                .map(|node| Node {
                    operator: operator(warnings, node.operator.as_deref()),
                    negate: node.negate.unwrap_or(false),
                    matches: node
                        .cpe_match
                        .into_iter()
                        .filter_map(|raw| cpe_match(warnings, raw))
                        .collect(),
                    children: Vec::new(),
                })
                .collect(),
        });
    }
    for reference in cve.references {
        if let Some(url) = reference.url.filter(|url| !url.trim().is_empty()) {
            record.references.push(Reference {
                url,
                tags: reference.tags,
                summary: None,
            });
        }
    }
    for affected in cve.affected {
        let source = affected.source.unwrap_or_default();
        for data in affected.affected_data {
            record.products.push(AffectedProduct {
                container: Container::Nvd(source.clone()),
                vendor: data.vendor,
                product: data.product,
                package_name: None,
                collection_url: None,
                key: None,
                repo: None,
                cpes: Vec::new(),
                platforms: Vec::new(),
                versions: data
                    .versions
                    .into_iter()
                    .filter_map(crate::cve5::version_statement)
                    .collect(),
                default_status: None,
            });
        }
    }
    if cve.cisa_exploit_add.is_some() || cve.cisa_vulnerability_name.is_some() {
        record.kev = Some(KevMark {
            date_added: date_field(warnings, "cisaExploitAdd", cve.cisa_exploit_add.as_deref()),
            due_date: date_field(warnings, "cisaActionDue", cve.cisa_action_due.as_deref()),
            required_action: cve.cisa_required_action,
            name: cve.cisa_vulnerability_name,
            reference: None,
        });
    }
    warnings.set_record(None);
    Some(record.finish())
}

fn metric_rating(
    warnings: &mut Warnings<'_>,
    name: &str,
    declared: RatingSystem,
    metric: &Metric,
) -> Option<Rating> {
    let data = metric.cvss_data.as_ref()?;
    field::cvss_rating(
        warnings,
        name,
        CvssInput {
            declared: Some(declared),
            vector: data.vector_string.as_deref(),
            base_score: data.base_score,
            label: data
                .base_severity
                .as_deref()
                .or(metric.base_severity.as_deref()),
            source: metric.source.clone(),
            primary: metric.kind.as_deref() != Some("Secondary"),
        },
    )
}

fn ssvc(warnings: &mut Warnings<'_>, data: &SsvcData) -> Ssvc {
    let option = |wanted: &str| {
        data.options.iter().find_map(|option| {
            option.iter().find_map(|(key, value)| {
                let key: String = key.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                (key.eq_ignore_ascii_case(wanted))
                    .then(|| value.as_str().map(str::to_string))
                    .flatten()
            })
        })
    };
    Ssvc {
        role: data.role.clone(),
        exploitation: option("exploitation"),
        automatable: option("automatable"),
        technical_impact: option("technicalimpact"),
        timestamp: timestamp_field(warnings, "ssvc timestamp", data.timestamp.as_deref()),
    }
}

fn operator(warnings: &mut Warnings<'_>, raw: Option<&str>) -> Operator {
    match raw.map(str::to_ascii_uppercase).as_deref() {
        Some("AND") => Operator::And,
        Some("OR") | None => Operator::Or,
        Some(other) => {
            warnings.push(
                WarningKind::UnknownValue,
                format!("unknown configuration operator {other:?}; read as OR"),
            );
            Operator::Or
        }
    }
}

fn cpe_match(warnings: &mut Warnings<'_>, raw: RawMatch) -> Option<CpeMatch> {
    let criteria = raw.criteria.as_deref()?;
    let criteria = field::cpe(warnings, "cpeMatch.criteria", criteria)?;
    Some(CpeMatch {
        vulnerable: raw.vulnerable.unwrap_or(true),
        criteria,
        version_start: bound(raw.version_start_including, raw.version_start_excluding),
        version_end: bound(raw.version_end_including, raw.version_end_excluding),
        match_criteria_id: raw.match_criteria_id,
    })
}

fn bound(including: Option<String>, excluding: Option<String>) -> Option<VersionBound> {
    match (including, excluding) {
        (Some(version), _) if !version.is_empty() => Some(VersionBound::Including(version)),
        (_, Some(version)) if !version.is_empty() => Some(VersionBound::Excluding(version)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The retired JSON 1.1 feed.

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct LegacyFeed {
    #[serde(rename = "CVE_Items", default, deserialize_with = "nullable")]
    cve_items: Vec<LegacyItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyItem {
    cve: LegacyCve,
    #[serde(default, deserialize_with = "nullable")]
    configurations: LegacyConfigurations,
    #[serde(default, deserialize_with = "nullable")]
    impact: LegacyImpact,
    published_date: Option<String>,
    last_modified_date: Option<String>,
}

#[derive(Deserialize)]
struct LegacyCve {
    #[serde(rename = "CVE_data_meta")]
    meta: LegacyMeta,
    #[serde(default, deserialize_with = "nullable")]
    problemtype: LegacyProblemTypes,
    #[serde(default, deserialize_with = "nullable")]
    references: LegacyReferences,
    #[serde(default, deserialize_with = "nullable")]
    description: LegacyDescription,
}

#[derive(Deserialize)]
struct LegacyMeta {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "ASSIGNER")]
    assigner: Option<String>,
}

#[derive(Deserialize, Default)]
struct LegacyProblemTypes {
    #[serde(default, deserialize_with = "nullable")]
    problemtype_data: Vec<Weakness>,
}

#[derive(Deserialize, Default)]
struct LegacyReferences {
    #[serde(default, deserialize_with = "nullable")]
    reference_data: Vec<LegacyReference>,
}

#[derive(Deserialize)]
struct LegacyReference {
    url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
}

#[derive(Deserialize, Default)]
struct LegacyDescription {
    #[serde(default, deserialize_with = "nullable")]
    description_data: Vec<Text>,
}

#[derive(Deserialize, Default)]
struct LegacyConfigurations {
    #[serde(default, deserialize_with = "nullable")]
    nodes: Vec<LegacyNode>,
}

#[derive(Deserialize)]
struct LegacyNode {
    operator: Option<String>,
    #[serde(default)]
    negate: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    children: Vec<LegacyNode>,
    #[serde(default, deserialize_with = "nullable")]
    cpe_match: Vec<LegacyMatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyMatch {
    vulnerable: Option<bool>,
    cpe23_uri: Option<String>,
    version_start_including: Option<String>,
    version_start_excluding: Option<String>,
    version_end_including: Option<String>,
    version_end_excluding: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LegacyImpact {
    base_metric_v3: Option<LegacyV3>,
    base_metric_v2: Option<LegacyV2>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyV3 {
    cvss_v3: Option<CvssData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyV2 {
    cvss_v2: Option<CvssData>,
    severity: Option<String>,
}

/// Reads a JSON 1.1 feed.
pub(crate) fn read_legacy(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<Vec<Record>, serde_json::Error> {
    let feed: LegacyFeed = serde_json::from_slice(bytes)?;
    Ok(feed
        .cve_items
        .into_iter()
        .filter_map(|item| convert_legacy(item, warnings))
        .collect())
}

fn convert_legacy(item: LegacyItem, warnings: &mut Warnings<'_>) -> Option<Record> {
    let raw_id = item.cve.meta.id.as_deref()?;
    warnings.set_record(Some(raw_id.to_string()));
    let id = field::id(warnings, "CVE_data_meta.ID", raw_id)?;
    let mut record = Record::new(Source::NvdLegacy, id);
    record.assigner = item.cve.meta.assigner;
    record.published = timestamp_field(warnings, "publishedDate", item.published_date.as_deref());
    record.modified = timestamp_field(
        warnings,
        "lastModifiedDate",
        item.last_modified_date.as_deref(),
    );
    record.description = field::english(
        item.cve
            .description
            .description_data
            .iter()
            .filter_map(|text| Some((text.lang.as_deref(), text.value.as_deref()?))),
    );
    if record
        .description
        .as_deref()
        .is_some_and(|text| text.starts_with("** REJECT **"))
    {
        record.withdrawn = Some(Withdrawn {
            at: record.modified,
            reason: record.description.clone(),
        });
    }
    for problem in &item.cve.problemtype.problemtype_data {
        for text in &problem.description {
            if let Some(value) = text.value.as_deref().filter(|v| !v.trim().is_empty()) {
                record.weaknesses.push(value.to_string());
            }
        }
    }
    for reference in item.cve.references.reference_data {
        if let Some(url) = reference.url.filter(|url| !url.trim().is_empty()) {
            record.references.push(Reference {
                url,
                tags: reference.tags,
                summary: None,
            });
        }
    }
    if let Some(data) = item.impact.base_metric_v3.and_then(|metric| metric.cvss_v3) {
        let rating = field::cvss_rating(
            warnings,
            "baseMetricV3",
            CvssInput {
                declared: Some(RatingSystem::CvssV31),
                vector: data.vector_string.as_deref(),
                base_score: data.base_score,
                label: data.base_severity.as_deref(),
                source: None,
                primary: true,
            },
        );
        record.ratings.extend(rating);
    }
    if let Some(metric) = item.impact.base_metric_v2
        && let Some(data) = metric.cvss_v2
    {
        let rating = field::cvss_rating(
            warnings,
            "baseMetricV2",
            CvssInput {
                declared: Some(RatingSystem::CvssV2),
                vector: data.vector_string.as_deref(),
                base_score: data.base_score,
                label: metric.severity.as_deref(),
                source: None,
                primary: true,
            },
        );
        record.ratings.extend(rating);
    }
    // The 1.1 feed has one implicit configuration whose top-level nodes are OR-ed.
    let nodes: Vec<Node> = item
        .configurations
        .nodes
        .into_iter()
        .map(|node| legacy_node(warnings, node))
        .collect();
    if !nodes.is_empty() {
        record.configurations.push(Configuration {
            operator: Operator::Or,
            negate: false,
            nodes,
        });
    }
    warnings.set_record(None);
    Some(record.finish())
}

fn legacy_node(warnings: &mut Warnings<'_>, node: LegacyNode) -> Node {
    Node {
        operator: operator(warnings, node.operator.as_deref()),
        negate: node.negate.unwrap_or(false),
        matches: node
            .cpe_match
            .into_iter()
            .filter_map(|raw| {
                let criteria = field::cpe(warnings, "cpe23Uri", raw.cpe23_uri.as_deref()?)?;
                Some(CpeMatch {
                    vulnerable: raw.vulnerable.unwrap_or(true),
                    criteria,
                    version_start: bound(raw.version_start_including, raw.version_start_excluding),
                    version_end: bound(raw.version_end_including, raw.version_end_excluding),
                    match_criteria_id: None,
                })
            })
            .collect(),
        children: node
            .children
            .into_iter()
            .map(|child| legacy_node(warnings, child))
            .collect(),
    }
}
