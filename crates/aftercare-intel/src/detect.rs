//! Format detection from content: which reader a JSON object (or CSV text) is for, told by
//! the keys at its top level, never by the file name.

use std::fmt;

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The formats aftercare reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// An OSV record.
    Osv,
    /// NVD CVE API 2.0: a response page, a single-CVE response, `{"cve": …}` or a bare cve
    /// object.
    Nvd,
    /// The NVD JSON 1.1 data feed (`CVE_Items`).
    NvdLegacy,
    /// A CVE JSON 5 record.
    Cve5,
    /// The CISA KEV catalog.
    Kev,
    /// A FIRST EPSS CSV file.
    Epss,
    /// A CSAF 2.0 advisory.
    Csaf,
    /// A ROLIE feed.
    RolieFeed,
    /// A ROLIE service document.
    RolieService,
    /// A ROLIE category document.
    RolieCategories,
    /// CSAF provider metadata.
    ProviderMetadata,
    /// A CSAF aggregator (or lister) document.
    Aggregator,
}

impl Format {
    /// A short name for messages and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Osv => "OSV",
            Format::Nvd => "NVD CVE API 2.0",
            Format::NvdLegacy => "NVD JSON 1.1",
            Format::Cve5 => "CVE JSON 5",
            Format::Kev => "CISA KEV",
            Format::Epss => "FIRST EPSS",
            Format::Csaf => "CSAF 2.0",
            Format::RolieFeed => "ROLIE feed",
            Format::RolieService => "ROLIE service",
            Format::RolieCategories => "ROLIE categories",
            Format::ProviderMetadata => "CSAF provider metadata",
            Format::Aggregator => "CSAF aggregator",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What detection found in a JSON object.
pub(crate) enum Detected {
    /// A format, with the NVD shape when it is NVD.
    Format(Format, Option<crate::nvd::Shape>),
    /// None: the message says what was found.
    Unknown(String),
}

/// The top-level keys that tell the formats apart; values are skipped, not built.
#[derive(Deserialize)]
struct Probe {
    id: Option<IgnoredAny>,
    modified: Option<IgnoredAny>,
    affected: Option<IgnoredAny>,
    aliases: Option<IgnoredAny>,
    schema_version: Option<IgnoredAny>,
    details: Option<IgnoredAny>,
    summary: Option<IgnoredAny>,
    vulnerabilities: Option<IgnoredAny>,
    #[serde(rename = "resultsPerPage")]
    results_per_page: Option<IgnoredAny>,
    format: Option<IgnoredAny>,
    cve: Option<IgnoredAny>,
    #[serde(rename = "sourceIdentifier")]
    source_identifier: Option<IgnoredAny>,
    #[serde(rename = "vulnStatus")]
    vuln_status: Option<IgnoredAny>,
    descriptions: Option<IgnoredAny>,
    #[serde(rename = "CVE_Items")]
    cve_items: Option<IgnoredAny>,
    #[serde(rename = "cveMetadata")]
    cve_metadata: Option<IgnoredAny>,
    #[serde(rename = "catalogVersion")]
    catalog_version: Option<IgnoredAny>,
    document: Option<IgnoredAny>,
    feed: Option<IgnoredAny>,
    service: Option<IgnoredAny>,
    categories: Option<IgnoredAny>,
    distributions: Option<IgnoredAny>,
    metadata_version: Option<IgnoredAny>,
    canonical_url: Option<IgnoredAny>,
    aggregator: Option<IgnoredAny>,
    csaf_providers: Option<IgnoredAny>,
}

/// Detects the format of one JSON object.
///
/// A quick scan of the top-level keys, in document order, usually decides after the first
/// key or two (an OSV record starts with `id`, `schema_version` or `modified`); only when it
/// cannot decide is the whole object probed with serde.
pub(crate) fn detect(bytes: &[u8]) -> Result<Detected, serde_json::Error> {
    if let Some(found) = scan(bytes) {
        return Ok(found);
    }
    let probe: Probe = serde_json::from_slice(bytes)?;
    let has = |field: &Option<IgnoredAny>| field.is_some();
    let found = if has(&probe.cve_metadata) {
        Detected::Format(Format::Cve5, None)
    } else if has(&probe.cve_items) {
        Detected::Format(Format::NvdLegacy, None)
    } else if has(&probe.catalog_version) {
        Detected::Format(Format::Kev, None)
    } else if has(&probe.document) {
        Detected::Format(Format::Csaf, None)
    } else if has(&probe.vulnerabilities) && (has(&probe.results_per_page) || has(&probe.format)) {
        Detected::Format(Format::Nvd, Some(crate::nvd::Shape::Page))
    } else if has(&probe.cve) {
        Detected::Format(Format::Nvd, Some(crate::nvd::Shape::Item))
    } else if has(&probe.feed) {
        Detected::Format(Format::RolieFeed, None)
    } else if has(&probe.service) {
        Detected::Format(Format::RolieService, None)
    } else if has(&probe.categories) {
        Detected::Format(Format::RolieCategories, None)
    } else if has(&probe.aggregator) || has(&probe.csaf_providers) {
        Detected::Format(Format::Aggregator, None)
    } else if has(&probe.distributions)
        || (has(&probe.metadata_version) && has(&probe.canonical_url))
    {
        Detected::Format(Format::ProviderMetadata, None)
    } else if has(&probe.id)
        && (has(&probe.source_identifier)
            || has(&probe.vuln_status)
            || (has(&probe.descriptions) && !has(&probe.modified)))
    {
        Detected::Format(Format::Nvd, Some(crate::nvd::Shape::Bare))
    } else if has(&probe.id)
        && (has(&probe.modified)
            || has(&probe.affected)
            || has(&probe.aliases)
            || has(&probe.schema_version)
            || has(&probe.details)
            || has(&probe.summary))
    {
        Detected::Format(Format::Osv, None)
    } else if has(&probe.vulnerabilities) {
        Detected::Format(Format::Nvd, Some(crate::nvd::Shape::Page))
    } else {
        let keys: std::collections::BTreeMap<String, IgnoredAny> = serde_json::from_slice(bytes)?;
        let keys: Vec<&str> = keys.keys().take(8).map(String::as_str).collect();
        Detected::Unknown(format!(
            "a JSON object with none of the keys that identify a supported format (found: {})",
            keys.join(", ")
        ))
    };
    Ok(found)
}

/// Whether bytes look like YAML rather than JSON (for a helpful error).
pub(crate) fn looks_like_yaml(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    let first = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'));
    first.is_some_and(|line| {
        line == "---"
            || line.split_once(':').is_some_and(|(key, _)| {
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    })
}

/// The format a top-level key alone decides, if any.
fn decisive(key: &[u8]) -> Option<Detected> {
    use crate::nvd::Shape;
    let found = match key {
        b"cveMetadata" | b"dataType" => Detected::Format(Format::Cve5, None),
        b"CVE_Items" => Detected::Format(Format::NvdLegacy, None),
        b"catalogVersion" => Detected::Format(Format::Kev, None),
        b"document" => Detected::Format(Format::Csaf, None),
        b"resultsPerPage" | b"totalResults" => Detected::Format(Format::Nvd, Some(Shape::Page)),
        b"cve" => Detected::Format(Format::Nvd, Some(Shape::Item)),
        b"sourceIdentifier" | b"vulnStatus" | b"lastModified" | b"cveTags" => {
            Detected::Format(Format::Nvd, Some(Shape::Bare))
        }
        b"feed" => Detected::Format(Format::RolieFeed, None),
        b"service" => Detected::Format(Format::RolieService, None),
        b"categories" => Detected::Format(Format::RolieCategories, None),
        b"aggregator" | b"csaf_providers" => Detected::Format(Format::Aggregator, None),
        b"distributions" | b"metadata_version" => Detected::Format(Format::ProviderMetadata, None),
        b"schema_version" | b"modified" | b"affected" | b"aliases" | b"withdrawn" | b"details" => {
            Detected::Format(Format::Osv, None)
        }
        _ => return None,
    };
    Some(found)
}

/// Scans the top-level keys of an object until one decides the format. `None` when none
/// does or the bytes are not a well-formed object (the serde probe then decides, and
/// reports JSON errors properly).
fn scan(bytes: &[u8]) -> Option<Detected> {
    let mut position = skip_space(bytes, 0);
    if bytes.get(position) != Some(&b'{') {
        return None;
    }
    position += 1;
    loop {
        position = skip_space(bytes, position);
        if bytes.get(position) != Some(&b'"') {
            return None;
        }
        let end = string_end(bytes, position)?;
        if let Some(found) = decisive(&bytes[position + 1..end]) {
            return Some(found);
        }
        position = skip_space(bytes, end + 1);
        if bytes.get(position) != Some(&b':') {
            return None;
        }
        position = skip_value(bytes, skip_space(bytes, position + 1))?;
        position = skip_space(bytes, position);
        match bytes.get(position) {
            Some(b',') => position += 1,
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut position: usize) -> usize {
    while bytes
        .get(position)
        .is_some_and(|byte| byte.is_ascii_whitespace())
    {
        position += 1;
    }
    position
}

/// The index of the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut position = start + 1;
    loop {
        match bytes.get(position)? {
            b'"' => return Some(position),
            b'\\' => position += 2,
            _ => position += 1,
        }
    }
}

/// The index just after the value starting at `start`.
fn skip_value(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => string_end(bytes, start).map(|end| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut position = start;
            loop {
                match bytes.get(position)? {
                    b'"' => position = string_end(bytes, position)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(position + 1);
                        }
                    }
                    _ => {}
                }
                position += 1;
            }
        }
        _ => {
            let mut position = start;
            while bytes.get(position).is_some_and(|byte| {
                !matches!(byte, b',' | b'}' | b']') && !byte.is_ascii_whitespace()
            }) {
                position += 1;
            }
            (position > start).then_some(position)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, expected: Option<Format>) {
        let found = match detect(json.as_bytes()) {
            Ok(Detected::Format(format, _)) => Some(format),
            _ => None,
        };
        assert_eq!(found, expected, "{json}");
    }

    #[test]
    fn formats() {
        check(
            r#"{"id": "GHSA-x", "modified": "2021-01-01T00:00:00Z"}"#,
            Some(Format::Osv),
        );
        check(r#"{"id": "CVE-2021-1", "summary": "x"}"#, Some(Format::Osv));
        check(
            r#"{"id": "CVE-2021-1", "published": "x", "sourceIdentifier": "a"}"#,
            Some(Format::Nvd),
        );
        check(
            r#"{"id": "CVE-2021-1", "descriptions": [{"a": "}"}]}"#,
            Some(Format::Nvd),
        );
        check(r#"{"cve": {"id": "CVE-2021-1"}}"#, Some(Format::Nvd));
        check(
            r#"{"vulnerabilities": [], "format": "NVD_CVE"}"#,
            Some(Format::Nvd),
        );
        check(r#"{"vulnerabilities": [{"cve": {}}]}"#, Some(Format::Nvd));
        check(
            r#"{"title": "x", "vulnerabilities": [], "catalogVersion": "1"}"#,
            Some(Format::Kev),
        );
        check(
            r#"{"vulnerabilities": [], "document": {}}"#,
            Some(Format::Csaf),
        );
        check(
            r#"{"dataType": "CVE_RECORD", "cveMetadata": {}}"#,
            Some(Format::Cve5),
        );
        check(
            r#"{"CVE_data_type": "CVE", "CVE_Items": []}"#,
            Some(Format::NvdLegacy),
        );
        check(r#"{"feed": {"entry": []}}"#, Some(Format::RolieFeed));
        check(
            r#"{"canonical_url": "x", "distributions": []}"#,
            Some(Format::ProviderMetadata),
        );
        check(
            r#"{"aggregator": {}, "csaf_providers": []}"#,
            Some(Format::Aggregator),
        );
        check(r#"{"bomFormat": "CycloneDX"}"#, None);
        check(
            r#"{"id": "x\"}", "nested": {"a": [1, 2, {"b": "]"}]}, "affected": []}"#,
            Some(Format::Osv),
        );
    }
}
