//! From a read [`Record`] to what storage keeps of it: the record's normalized view from
//! [`aftercare_intel::normalize`] (digest, package keys, CPE vendor/product pairs, highest
//! severity) in the store's column forms, with the dates as stored text and the ratings as
//! JSON. The rules are the intelligence crate's; the column forms are storage's, so they stay
//! here.

use std::collections::BTreeSet;

use aftercare_intel::Record;
use aftercare_intel::record::{Rating, RatingSystem};
use aftercare_model::Severity;

/// What storage keeps of a record besides its document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Normalized {
    /// SHA-256 (hex) of the normalized record.
    pub digest: String,
    /// Last modification, as stored text.
    pub modified: Option<String>,
    /// First publication, as stored text.
    pub published: Option<String>,
    /// Whether the source withdrew it.
    pub withdrawn: bool,
    /// When.
    pub withdrawn_at: Option<String>,
    /// Why.
    pub withdrawn_reason: Option<String>,
    /// The summary.
    pub summary: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The highest severity of its ratings.
    pub severity: Option<String>,
    /// Its ratings as JSON.
    pub ratings: String,
    /// Its aliases as text.
    pub aliases: Vec<String>,
    /// Its related ids as text.
    pub related: Vec<String>,
    /// Package keys it names (`Ecosystem/name`).
    pub packages: BTreeSet<String>,
    /// CPE (vendor, product) pairs it names; `*` stands for a wildcard.
    pub products: BTreeSet<(String, String)>,
}

fn system_name(system: &RatingSystem) -> &str {
    match system {
        RatingSystem::CvssV2 => "CVSS_V2",
        RatingSystem::CvssV30 => "CVSS_V30",
        RatingSystem::CvssV31 => "CVSS_V31",
        RatingSystem::CvssV40 => "CVSS_V40",
        RatingSystem::Label => "label",
        RatingSystem::Other(name) => name,
    }
}

fn rating_json(rating: &Rating, package: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "system": system_name(&rating.system),
        "source": rating.source,
        "primary": rating.primary,
        "vector": rating.vector,
        "base_score": rating.base_score,
        "severity": rating.severity.map(Severity::as_str),
        "label": rating.label,
        "vulnerability": rating.vulnerability.as_ref().map(ToString::to_string),
        "package": package,
    })
}

/// Normalizes a record for storage.
pub(crate) fn normalize(record: &Record) -> Normalized {
    let time = |t: Option<jiff::Timestamp>| t.map(aftercare_store::timestamp_text);
    let view = aftercare_intel::normalize::normalize(record);
    let mut ratings: Vec<serde_json::Value> = record
        .ratings
        .iter()
        .map(|r| rating_json(r, None))
        .collect();
    for package in &record.packages {
        let name = package.key.as_ref().map(ToString::to_string);
        for rating in &package.ratings {
            ratings.push(rating_json(rating, name.as_deref()));
        }
    }
    let withdrawn = record.withdrawn.as_ref();
    Normalized {
        digest: view.digest,
        modified: time(record.modified),
        published: time(record.published),
        withdrawn: withdrawn.is_some(),
        withdrawn_at: time(withdrawn.and_then(|w| w.at)),
        withdrawn_reason: withdrawn.and_then(|w| w.reason.clone()),
        summary: record.summary.clone(),
        description: record.description.clone(),
        severity: view.severity.map(|s| s.as_str().to_string()),
        ratings: serde_json::Value::Array(ratings).to_string(),
        aliases: record.aliases.iter().map(ToString::to_string).collect(),
        related: record.related.iter().map(ToString::to_string).collect(),
        packages: view.packages,
        products: view.products,
    }
}
