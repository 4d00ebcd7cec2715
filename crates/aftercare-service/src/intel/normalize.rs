//! From a read [`Record`] to what storage keeps of it: the digest of its normalized content,
//! the searchable fields, its ratings as JSON, and the keys of the affected index.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use aftercare_intel::Record;
use aftercare_intel::record::{Rating, RatingSystem};
use aftercare_model::{Cpe, PackageKey, Severity};
use sha2::Digest as _;

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

/// A `fmt::Write` that feeds a hasher instead of building a string.
struct HashWriter<'a>(&'a mut sha2::Sha256);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.update(text.as_bytes());
        Ok(())
    }
}

/// The digest of a record's normalized content.
///
/// It hashes the record's `Debug` form: the derive covers every field, and the record holds
/// only ordered collections (`Vec`, `BTreeMap`), so equal records give equal digests and any
/// difference in content gives another. A new reader that normalizes differently makes
/// records look updated once, which is what they are: their stored normalization changed.
pub(crate) fn digest(record: &Record) -> String {
    let mut hasher = sha2::Sha256::new();
    let _ = write!(HashWriter(&mut hasher), "{record:?}");
    hex::encode(hasher.finalize())
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

/// The (vendor, product) key of a CPE as the matcher indexes it: literal values, or `*` for
/// both when either is a wildcard, ANY or NA.
pub(crate) fn cpe_pair(cpe: &Cpe) -> (String, String) {
    if cpe.vendor.has_wildcard() || cpe.product.has_wildcard() {
        return ("*".to_string(), "*".to_string());
    }
    match (cpe.vendor.unescaped(), cpe.product.unescaped()) {
        (Some(vendor), Some(product)) => (vendor, product),
        _ => ("*".to_string(), "*".to_string()),
    }
}

/// Normalizes a record for storage.
pub(crate) fn normalize(record: &Record) -> Normalized {
    let time = |t: Option<jiff::Timestamp>| t.map(aftercare_store::timestamp_text);
    let mut ratings: Vec<serde_json::Value> = record
        .ratings
        .iter()
        .map(|r| rating_json(r, None))
        .collect();
    let mut severity = record.highest_severity();
    let mut packages = BTreeSet::new();
    let mut products = BTreeSet::new();
    for package in &record.packages {
        let name = package.key.as_ref().map(ToString::to_string);
        for rating in &package.ratings {
            ratings.push(rating_json(rating, name.as_deref()));
            severity = severity.max(rating.severity);
        }
        if let Some(key) = name {
            packages.insert(key);
        }
        for cpe in &package.cpes {
            products.insert(cpe_pair(cpe));
        }
    }
    for configuration in &record.configurations {
        let mut stack: Vec<&aftercare_intel::record::Node> = configuration.nodes.iter().collect();
        while let Some(node) = stack.pop() {
            for criterion in node.matches.iter().filter(|m| m.vulnerable) {
                products.insert(cpe_pair(&criterion.criteria));
            }
            stack.extend(node.children.iter());
        }
    }
    for product in &record.products {
        if let Some(key) = &product.key {
            packages.insert(key.to_string());
        }
        for cpe in &product.cpes {
            products.insert(cpe_pair(cpe));
        }
    }
    if let Some(advisory) = &record.advisory {
        for product in advisory.products.values() {
            for purl in &product.identification.purls {
                if let Some(key) = PackageKey::from_purl(purl) {
                    packages.insert(key.to_string());
                }
            }
            for cpe in &product.identification.cpes {
                products.insert(cpe_pair(cpe));
            }
        }
    }
    let withdrawn = record.withdrawn.as_ref();
    Normalized {
        digest: digest(record),
        modified: time(record.modified),
        published: time(record.published),
        withdrawn: withdrawn.is_some(),
        withdrawn_at: time(withdrawn.and_then(|w| w.at)),
        withdrawn_reason: withdrawn.and_then(|w| w.reason.clone()),
        summary: record.summary.clone(),
        description: record.description.clone(),
        severity: severity.map(|s| s.as_str().to_string()),
        ratings: serde_json::Value::Array(ratings).to_string(),
        aliases: record.aliases.iter().map(ToString::to_string).collect(),
        related: record.related.iter().map(ToString::to_string).collect(),
        packages,
        products,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, packages: &[&str], products: &[(&str, &str)], severity: Option<&str>) {
        let parsed = aftercare_intel::read_document("test.json", json.as_bytes()).unwrap();
        let record = &parsed.records()[0];
        let normalized = normalize(record);
        let found: Vec<&str> = normalized.packages.iter().map(String::as_str).collect();
        assert_eq!(found, packages, "{json}");
        let found: Vec<(&str, &str)> = normalized
            .products
            .iter()
            .map(|(v, p)| (v.as_str(), p.as_str()))
            .collect();
        assert_eq!(found, products, "{json}");
        assert_eq!(normalized.severity.as_deref(), severity, "{json}");
        assert_eq!(normalized.digest.len(), 64);
    }

    #[test]
    fn affected_keys() {
        check(
            r#"{"id": "GHSA-xvch-5gv4-984h", "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "npm", "name": "minimist"}}]}"#,
            &["npm/minimist"],
            &[],
            None,
        );
        check(
            r#"{"id": "PYSEC-2021-1", "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "Django_REST"}}],
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#,
            &["PyPI/django-rest"],
            &[],
            None,
        );
        check(
            r#"{"cve": {"id": "CVE-2021-0001", "lastModified": "2024-01-01T00:00:00.000",
                "configurations": [{"nodes": [{"operator": "AND", "cpeMatch": [
                  {"vulnerable": true, "criteria": "cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:*"},
                  {"vulnerable": false, "criteria": "cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*"},
                  {"vulnerable": true, "criteria": "cpe:2.3:a:*:anything:*:*:*:*:*:*:*:*"}]}]}]}}"#,
            &[],
            &[("*", "*"), ("acme", "pump_firmware")],
            None,
        );
    }

    #[test]
    fn equal_records_have_equal_digests_and_a_change_shows() {
        let a =
            r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "summary": "x"}"#;
        let b =
            r#"{"summary": "x", "modified": "2024-01-01T00:00:00Z", "id": "GHSA-aaaa-bbbb-cccc"}"#;
        let c =
            r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "summary": "y"}"#;
        let read = |json: &str| {
            aftercare_intel::read_document("t.json", json.as_bytes())
                .unwrap()
                .records()[0]
                .clone()
        };
        assert_eq!(digest(&read(a)), digest(&read(b)));
        assert_ne!(digest(&read(a)), digest(&read(c)));
    }
}
