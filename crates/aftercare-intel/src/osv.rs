//! OSV records (schema 1.x): osv.dev dumps, GitHub advisories, PyPA, RustSec, Go, Bitnami,
//! OSS-Fuzz … One JSON object is one record.

use aftercare_model::{Ecosystem, PackageKey};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::date::timestamp_field;
use crate::field::{self, CvssInput, nullable};
use crate::record::{
    AffectedPackage, Credit, Range, RangeEvent, RangeKind, Rating, RatingSystem, Record, Reference,
    Source, Withdrawn,
};
use crate::warning::{WarningKind, Warnings};

#[derive(Deserialize)]
struct Raw {
    id: Option<String>,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    related: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    upstream: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<RawSeverity>,
    #[serde(default, deserialize_with = "nullable")]
    affected: Vec<RawAffected>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<RawReference>,
    #[serde(default, deserialize_with = "nullable")]
    credits: Vec<RawCredit>,
    database_specific: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: Option<String>,
    score: Option<String>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<RawSeverity>,
    #[serde(default, deserialize_with = "nullable")]
    ranges: Vec<RawRange>,
    #[serde(default, deserialize_with = "nullable")]
    versions: Vec<String>,
    ecosystem_specific: Option<Box<RawValue>>,
    database_specific: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: Option<String>,
    name: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: Option<String>,
    repo: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    events: Vec<RawEvent>,
    database_specific: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct RawEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawCredit {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    contact: Vec<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The fields of `database_specific` that carry meaning across databases: GitHub's and
/// Bitnami's severity label, Bitnami's CPEs, GitHub's and PyPA's CWE ids.
#[derive(Deserialize, Default)]
struct DatabaseSpecific {
    severity: Option<serde_json::Value>,
    cpes: Option<serde_json::Value>,
    cwe_ids: Option<serde_json::Value>,
}

/// Reads one OSV record.
pub(crate) fn read(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<Vec<Record>, serde_json::Error> {
    let raw: Raw = serde_json::from_slice(bytes)?;
    Ok(convert(raw, warnings).into_iter().collect())
}

fn convert(raw: Raw, warnings: &mut Warnings<'_>) -> Option<Record> {
    let Some(raw_id) = raw.id.as_deref().filter(|id| !id.trim().is_empty()) else {
        warnings.push(
            WarningKind::SkippedRecord,
            "OSV record without `id`; skipped",
        );
        return None;
    };
    warnings.set_record(Some(raw_id.to_string()));
    let Some(id) = field::id(warnings, "id", raw_id) else {
        warnings.push(
            WarningKind::SkippedRecord,
            "OSV record with an invalid `id`; skipped",
        );
        return None;
    };
    let mut record = Record::new(Source::Osv, id);
    if raw.modified.is_none() {
        warnings.push(
            WarningKind::MissingField,
            "`modified` is missing (OSV requires it)",
        );
    }
    record.modified = timestamp_field(warnings, "modified", raw.modified.as_deref());
    record.published = timestamp_field(warnings, "published", raw.published.as_deref());
    if let Some(withdrawn) = raw.withdrawn.as_deref() {
        record.withdrawn = Some(Withdrawn {
            at: timestamp_field(warnings, "withdrawn", Some(withdrawn)),
            reason: None,
        });
    }
    // `upstream` ids name the same vulnerability one level up (a distribution's record of
    // an upstream CVE), so they merge like aliases.
    record.aliases = field::ids(warnings, "aliases", raw.aliases.iter().chain(&raw.upstream));
    record.related = field::ids(warnings, "related", &raw.related);
    record.summary = raw.summary.filter(|text| !text.trim().is_empty());
    record.description = raw.details.filter(|text| !text.trim().is_empty());
    for (index, severity) in raw.severity.iter().enumerate() {
        let field = format!("severity[{index}]");
        if let Some(rating) = severity_rating(warnings, &field, severity) {
            record.ratings.push(rating);
        }
    }
    let database = database_specific(raw.database_specific.as_deref());
    record.database_specific = raw
        .database_specific
        .as_ref()
        .map(|raw| raw.get().to_string());
    if let Some(label) = database.severity.as_ref().and_then(|value| value.as_str())
        && !label.trim().is_empty()
    {
        let mut rating = Rating::new(RatingSystem::Label);
        rating.source = Some(database_name(&record));
        rating.severity = field::severity_label(label);
        rating.label = Some(label.to_string());
        record.ratings.push(rating);
    }
    record.weaknesses = strings(database.cwe_ids.as_ref());
    let record_cpes = strings(database.cpes.as_ref());
    for (index, affected) in raw.affected.into_iter().enumerate() {
        let mut package = affected_package(warnings, index, affected);
        // Bitnami lists the CPEs of its (single) package at the record level.
        for cpe in &record_cpes {
            if let Some(cpe) = field::cpe(warnings, "database_specific.cpes", cpe) {
                package.cpes.push(cpe);
            }
        }
        record.packages.push(package);
    }
    for reference in raw.references {
        match reference.url {
            Some(url) if !url.trim().is_empty() => record.references.push(Reference {
                url,
                tags: reference.kind.into_iter().collect(),
                summary: None,
            }),
            _ => warnings.push(
                WarningKind::MissingField,
                "a reference without `url`; dropped",
            ),
        }
    }
    for credit in raw.credits {
        if let Some(name) = credit.name.filter(|name| !name.trim().is_empty()) {
            record.credits.push(Credit {
                name,
                role: credit.kind,
                contact: credit.contact,
            });
        }
    }
    warnings.set_record(None);
    Some(record.finish())
}

fn severity_rating(
    warnings: &mut Warnings<'_>,
    field: &str,
    severity: &RawSeverity,
) -> Option<Rating> {
    let declared = match severity.kind.as_deref() {
        Some("CVSS_V2") => Some(RatingSystem::CvssV2),
        Some("CVSS_V3") => Some(RatingSystem::CvssV31),
        Some("CVSS_V4") => Some(RatingSystem::CvssV40),
        Some(other) => Some(RatingSystem::Other(other.to_string())),
        None => None,
    };
    match (&declared, severity.score.as_deref()) {
        // A non-CVSS system (`Ubuntu`) states a label in `score`.
        (Some(RatingSystem::Other(_)), Some(score)) => {
            let mut rating = Rating::new(declared.clone().unwrap_or(RatingSystem::Label));
            rating.severity = field::severity_label(score);
            rating.label = Some(score.to_string());
            Some(rating)
        }
        (_, score) => field::cvss_rating(
            warnings,
            field,
            CvssInput {
                declared,
                vector: score,
                primary: true,
                ..CvssInput::default()
            },
        ),
    }
}

fn affected_package(
    warnings: &mut Warnings<'_>,
    index: usize,
    affected: RawAffected,
) -> AffectedPackage {
    let package = affected.package;
    let ecosystem_raw = package.as_ref().and_then(|p| p.ecosystem.clone());
    let name = package.as_ref().and_then(|p| p.name.clone());
    let purl = package
        .as_ref()
        .and_then(|p| p.purl.as_deref())
        .and_then(|raw| field::purl(warnings, "affected.package.purl", raw));
    let (key, release) = match (ecosystem_raw.as_deref(), name.as_deref()) {
        (Some(ecosystem), Some(name)) if !name.is_empty() => {
            let (ecosystem, release) = Ecosystem::from_osv(ecosystem);
            (
                Some(PackageKey::new(ecosystem, name)),
                release.map(str::to_string),
            )
        }
        _ => (purl.as_ref().and_then(PackageKey::from_purl), None),
    };
    let mut ratings = Vec::new();
    for (severity_index, severity) in affected.severity.iter().enumerate() {
        let field = format!("affected[{index}].severity[{severity_index}]");
        if let Some(rating) = severity_rating(warnings, &field, severity) {
            ratings.push(rating);
        }
    }
    let ranges = affected
        .ranges
        .into_iter()
        .map(|range| convert_range(warnings, range))
        .collect();
    AffectedPackage {
        key,
        ecosystem: ecosystem_raw,
        ecosystem_release: release,
        name,
        purl,
        ranges,
        versions: affected.versions,
        ratings,
        cpes: Vec::new(),
        ecosystem_specific: affected.ecosystem_specific.map(|raw| raw.get().to_string()),
        database_specific: affected.database_specific.map(|raw| raw.get().to_string()),
    }
}

fn convert_range(warnings: &mut Warnings<'_>, range: RawRange) -> Range {
    let kind = match range.kind.as_deref() {
        Some("SEMVER") => RangeKind::Semver,
        Some("ECOSYSTEM") => RangeKind::Ecosystem,
        Some("GIT") => RangeKind::Git,
        Some(other) => {
            warnings.push(
                WarningKind::UnknownValue,
                format!("unknown range type {other:?}"),
            );
            RangeKind::Other(other.to_string())
        }
        None => {
            warnings.push(
                WarningKind::MissingField,
                "a range without `type`; read as ECOSYSTEM",
            );
            RangeKind::Ecosystem
        }
    };
    let mut events = Vec::with_capacity(range.events.len());
    for event in range.events {
        let converted = match event {
            RawEvent {
                introduced: Some(version),
                ..
            } => RangeEvent::Introduced(version),
            RawEvent {
                fixed: Some(version),
                ..
            } => RangeEvent::Fixed(version),
            RawEvent {
                last_affected: Some(version),
                ..
            } => RangeEvent::LastAffected(version),
            RawEvent {
                limit: Some(version),
                ..
            } => RangeEvent::Limit(version),
            _ => {
                warnings.push(
                    WarningKind::UnknownValue,
                    "a range event of no known kind; dropped",
                );
                continue;
            }
        };
        events.push(converted);
    }
    Range {
        kind,
        repo: range.repo,
        events,
        database_specific: range.database_specific.map(|raw| raw.get().to_string()),
    }
}

fn database_specific(raw: Option<&RawValue>) -> DatabaseSpecific {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default()
}

/// The strings of a JSON array (other shapes give nothing).
fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    value
        .and_then(|value| value.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The name of the database a record comes from, by its id's prefix, for the source of its
/// `database_specific.severity` label.
fn database_name(record: &Record) -> String {
    let id = record.id.as_str();
    id.split_once('-')
        .map(|(prefix, _)| prefix.to_string())
        .unwrap_or_else(|| id.to_string())
}
