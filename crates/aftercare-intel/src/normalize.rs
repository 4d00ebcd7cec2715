//! A record's normalized view: the digest of its content, the keys the affected index finds
//! it by, and its highest severity.
//!
//! Storage keeps one row per record and re-reads a record only when its digest changed; the
//! matcher asks the affected index for the records that name a component's package key or
//! CPE (vendor, product). Both rules are here so that every caller computes them alike:
//!
//! * the **digest** hashes the record's normalized content (see [`digest`]);
//! * the **package keys** are those of OSV packages, CVE 5 products and CSAF purls;
//! * the **CPE pairs** are those of OSV packages, the *vulnerable* criteria of NVD
//!   configurations (at any depth), CVE 5 products and CSAF products, each as [`cpe_pair`]
//!   keys it;
//! * the **severity** is the highest qualitative severity of every rating, the packages'
//!   included.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use aftercare_model::{Cpe, PackageKey, Severity};
use sha2::Digest as _;

use crate::record::{Node, Record};

/// What a record is keyed and found by; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// SHA-256 (hex) of the record's normalized content.
    pub digest: String,
    /// The highest severity of its ratings, the packages' included.
    pub severity: Option<Severity>,
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

/// The digest of a record's normalized content: SHA-256, in hex.
///
/// It hashes the record's `Debug` form: the derive covers every field, and the record holds
/// only ordered collections (`Vec`, `BTreeMap`), so equal records give equal digests and any
/// difference in content gives another. A new reader that normalizes differently makes
/// records look updated once, which is what they are: their stored normalization changed.
pub fn digest(record: &Record) -> String {
    let mut hasher = sha2::Sha256::new();
    // Writing into a hasher cannot fail: `HashWriter::write_str` always returns `Ok`.
    let _ = write!(HashWriter(&mut hasher), "{record:?}");
    hex::encode(hasher.finalize())
}

/// The (vendor, product) key of a CPE as the matcher indexes it: literal values, or `*` for
/// both when either is a wildcard, ANY or NA.
pub fn cpe_pair(cpe: &Cpe) -> (String, String) {
    if cpe.vendor.has_wildcard() || cpe.product.has_wildcard() {
        return ("*".to_string(), "*".to_string());
    }
    match (cpe.vendor.unescaped(), cpe.product.unescaped()) {
        (Some(vendor), Some(product)) => (vendor, product),
        _ => ("*".to_string(), "*".to_string()),
    }
}

/// Normalizes a record: its digest, severity, package keys and CPE pairs.
pub fn normalize(record: &Record) -> Normalized {
    let mut severity = record.highest_severity();
    let mut packages = BTreeSet::new();
    let mut products = BTreeSet::new();
    for package in &record.packages {
        for rating in &package.ratings {
            severity = severity.max(rating.severity);
        }
        if let Some(key) = &package.key {
            packages.insert(key.to_string());
        }
        for cpe in &package.cpes {
            products.insert(cpe_pair(cpe));
        }
    }
    for configuration in &record.configurations {
        let mut stack: Vec<&Node> = configuration.nodes.iter().collect();
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
    Normalized {
        digest: digest(record),
        severity,
        packages,
        products,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, packages: &[&str], products: &[(&str, &str)], severity: Option<&str>) {
        let parsed = crate::read_document("test.json", json.as_bytes()).unwrap();
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
        assert_eq!(
            normalized.severity.map(Severity::as_str),
            severity,
            "{json}"
        );
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
            crate::read_document("t.json", json.as_bytes())
                .unwrap()
                .records()[0]
                .clone()
        };
        assert_eq!(digest(&read(a)), digest(&read(b)));
        assert_ne!(digest(&read(a)), digest(&read(c)));
    }
}
