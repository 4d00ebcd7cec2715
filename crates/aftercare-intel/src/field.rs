//! Turning raw field values into typed ones: ids, CPEs, purls and CVSS ratings, each with a
//! warning when the value is invalid, plus the null-tolerant deserializer the readers share.

use aftercare_model::{Cpe, Purl, Severity, VulnerabilityId};
use serde::{Deserialize, Deserializer};

use crate::cvss::check_vector;
use crate::record::{Rating, RatingSystem};
use crate::warning::{WarningKind, Warnings};

/// Deserializes `null` as the type's default: real feeds write `"aliases": null`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A vulnerability id, or a warning naming the field.
pub(crate) fn id(warnings: &mut Warnings<'_>, field: &str, raw: &str) -> Option<VulnerabilityId> {
    match raw.parse::<VulnerabilityId>() {
        Ok(id) => Some(id),
        Err(error) => {
            warnings.push(
                WarningKind::InvalidId,
                format!("`{field}`: {error}; dropped"),
            );
            None
        }
    }
}

/// Every valid id of a list; invalid ones are dropped with a warning.
pub(crate) fn ids<'a>(
    warnings: &mut Warnings<'_>,
    field: &str,
    raws: impl IntoIterator<Item = &'a String>,
) -> Vec<VulnerabilityId> {
    raws.into_iter()
        .filter_map(|raw| id(warnings, field, raw))
        .collect()
}

/// A CPE name, or a warning.
pub(crate) fn cpe(warnings: &mut Warnings<'_>, field: &str, raw: &str) -> Option<Cpe> {
    match raw.parse::<Cpe>() {
        Ok(cpe) => Some(cpe),
        Err(error) => {
            warnings.push(
                WarningKind::InvalidCpe,
                format!("`{field}`: invalid CPE {raw:?}: {error}; dropped"),
            );
            None
        }
    }
}

/// A package URL, or a warning.
pub(crate) fn purl(warnings: &mut Warnings<'_>, field: &str, raw: &str) -> Option<Purl> {
    match raw.parse::<Purl>() {
        Ok(purl) => Some(purl),
        Err(error) => {
            warnings.push(
                WarningKind::InvalidPurl,
                format!("`{field}`: invalid package URL {raw:?}: {error}; dropped"),
            );
            None
        }
    }
}

/// A qualitative label (`HIGH`, `Moderate`, `Important`) as a severity, if it is one.
pub(crate) fn severity_label(raw: &str) -> Option<Severity> {
    raw.parse::<Severity>().ok()
}

/// What a source states about one CVSS rating.
#[derive(Debug, Default)]
pub(crate) struct CvssInput<'a> {
    /// The system the source declares (from a type field or a version field).
    pub declared: Option<RatingSystem>,
    pub vector: Option<&'a str>,
    pub base_score: Option<f64>,
    pub label: Option<&'a str>,
    pub source: Option<String>,
    pub primary: bool,
}

/// Builds a CVSS rating, checking the vector's shape. An invalid vector is dropped with a
/// warning; the rating is kept when a score or label remains, else dropped.
pub(crate) fn cvss_rating(
    warnings: &mut Warnings<'_>,
    field: &str,
    input: CvssInput<'_>,
) -> Option<Rating> {
    let mut system = input.declared;
    let mut vector = None;
    if let Some(raw) = input.vector.map(str::trim).filter(|raw| !raw.is_empty()) {
        match check_vector(raw) {
            Ok(found) => {
                system = Some(found);
                vector = Some(
                    raw.trim_start_matches('(')
                        .trim_end_matches(')')
                        .to_string(),
                );
            }
            Err(error) => warnings.push(
                WarningKind::InvalidCvss,
                format!("`{field}`: invalid CVSS vector {raw:?}: {error}; vector dropped"),
            ),
        }
    }
    let base_score = match input.base_score {
        Some(score) if (0.0..=10.0).contains(&score) => Some(score),
        Some(score) => {
            warnings.push(
                WarningKind::InvalidNumber,
                format!("`{field}`: CVSS base score {score} is outside 0–10; dropped"),
            );
            None
        }
        None => None,
    };
    let label = input.label.map(str::trim).filter(|label| !label.is_empty());
    if vector.is_none() && base_score.is_none() && label.is_none() {
        if input.vector.is_none() {
            warnings.push(
                WarningKind::MissingField,
                format!("`{field}`: a severity without vector, score or label; dropped"),
            );
        }
        return None;
    }
    let system = system.unwrap_or(RatingSystem::Label);
    // CVSS v2 has no `critical`: derive a label from the score only for v3 and v4.
    let derived = match (&system, base_score) {
        (RatingSystem::CvssV30 | RatingSystem::CvssV31 | RatingSystem::CvssV40, Some(score)) => {
            Some(Severity::from_score(score))
        }
        _ => None,
    };
    let mut rating = Rating::new(system);
    rating.source = input.source;
    rating.primary = input.primary;
    rating.vector = vector;
    rating.base_score = base_score;
    rating.severity = label.and_then(severity_label).or(derived);
    rating.label = label.map(str::to_string);
    Some(rating)
}

/// The English text of a list of `(lang, value)` pairs, else the first one.
pub(crate) fn english<'a>(
    texts: impl IntoIterator<Item = (Option<&'a str>, &'a str)>,
) -> Option<String> {
    let mut first = None;
    for (lang, value) in texts {
        if value.trim().is_empty() {
            continue;
        }
        if lang.is_none_or(|lang| {
            lang.eq_ignore_ascii_case("en") || lang.to_ascii_lowercase().starts_with("en-")
        }) {
            return Some(value.to_string());
        }
        if first.is_none() {
            first = Some(value.to_string());
        }
    }
    first
}
