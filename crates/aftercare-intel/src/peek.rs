//! A quick look at an OSV record: what the alias merge and a package lookup need, without
//! reading the rest.
//!
//! A one-shot scan reads tens of thousands of records to match a few hundred packages. Most
//! records name none of them, yet every record takes part in the alias merge (a record about
//! another package can still join two ids of a matched one). [`peek`] reads only the ids,
//! the withdrawn mark and the `(ecosystem, name)` of each affected package — skipping the
//! rest of the document without building it — so the caller reads in full
//! ([`crate::read_document`]) only the records whose packages it looks for.
//!
//! The fields are normalized exactly as the OSV reader normalizes them (`upstream` merges
//! like `aliases`, invalid ids are dropped, the own id is not an alias), so the alias entry
//! of a peeked record equals that of the full record: [`Peek::alias_entry`].

use std::borrow::Cow;

use aftercare_model::{Ecosystem, PackageKey, Purl, VulnerabilityId};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::alias::AliasEntry;
use crate::detect::{Detected, Format, detect};

/// What [`peek`] found in an OSV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peek {
    /// The record's id.
    pub id: VulnerabilityId,
    /// Its aliases (with `upstream`), sorted, without duplicates and without the own id.
    pub aliases: Vec<VulnerabilityId>,
    /// Its related ids, sorted, without duplicates, aliases and the own id.
    pub related: Vec<VulnerabilityId>,
    /// Whether the source withdrew it.
    pub withdrawn: bool,
    /// The matching keys of its affected packages, in record order (duplicates kept out).
    pub packages: Vec<PackageKey>,
}

impl Peek {
    /// The record's entry for the alias merge, under the caller's key.
    pub fn alias_entry<K>(&self, key: K) -> AliasEntry<K> {
        AliasEntry {
            key,
            id: self.id.clone(),
            aliases: self.aliases.clone(),
            related: self.related.clone(),
            withdrawn: self.withdrawn,
        }
    }
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    aliases: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow)]
    upstream: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow)]
    related: Option<Vec<Cow<'a, str>>>,
    withdrawn: Option<IgnoredAny>,
    #[serde(default, borrow)]
    affected: Option<Vec<RawAffected<'a>>>,
}

#[derive(Deserialize)]
struct RawAffected<'a> {
    #[serde(default, borrow)]
    package: Option<RawPackage<'a>>,
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(default, borrow)]
    ecosystem: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    purl: Option<Cow<'a, str>>,
}

/// Peeks at a document: `Some` for an uncompressed JSON OSV record with a valid id, `None`
/// for anything else (another format, compressed bytes, broken JSON) — the caller then
/// reads the document in full, which reports what is wrong.
pub fn peek(bytes: &[u8]) -> Option<Peek> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace())?;
    let bytes = &bytes[start..];
    if bytes.first() != Some(&b'{') {
        return None;
    }
    match detect(bytes) {
        Ok(Detected::Format(Format::Osv, _)) => {}
        _ => return None,
    }
    let raw: Raw<'_> = serde_json::from_slice(bytes).ok()?;
    let id: VulnerabilityId = raw.id.as_deref()?.parse().ok()?;
    let parse_all = |list: Option<Vec<Cow<'_, str>>>| -> Vec<VulnerabilityId> {
        list.unwrap_or_default()
            .iter()
            .filter_map(|text| text.parse().ok())
            .collect()
    };
    let mut aliases = parse_all(raw.aliases);
    aliases.extend(parse_all(raw.upstream));
    aliases.sort();
    aliases.dedup();
    aliases.retain(|alias| *alias != id);
    let mut related = parse_all(raw.related);
    related.sort();
    related.dedup();
    related.retain(|other| *other != id && !aliases.contains(other));
    let mut packages: Vec<PackageKey> = Vec::new();
    for affected in raw.affected.unwrap_or_default() {
        let Some(package) = affected.package else {
            continue;
        };
        let key = match (package.ecosystem.as_deref(), package.name.as_deref()) {
            (Some(ecosystem), Some(name)) if !name.is_empty() => {
                Some(PackageKey::new(Ecosystem::from_osv(ecosystem).0, name))
            }
            _ => package
                .purl
                .as_deref()
                .and_then(|text| text.parse::<Purl>().ok())
                .and_then(|purl| PackageKey::from_purl(&purl)),
        };
        if let Some(key) = key
            && !packages.contains(&key)
        {
            packages.push(key);
        }
    }
    Some(Peek {
        id,
        aliases,
        related,
        withdrawn: raw.withdrawn.is_some(),
        packages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_document;

    /// The peek must agree with the full reader on everything it reports.
    fn check(json: &str) {
        let peeked = peek(json.as_bytes()).expect("an OSV record");
        let parsed = read_document("record.json", json.as_bytes()).unwrap();
        let record = &parsed.records()[0];
        assert_eq!(peeked.id, record.id);
        assert_eq!(peeked.aliases, record.aliases);
        assert_eq!(peeked.related, record.related);
        assert_eq!(peeked.withdrawn, record.is_withdrawn());
        let mut keys: Vec<PackageKey> = Vec::new();
        for package in &record.packages {
            if let Some(key) = &package.key
                && !keys.contains(key)
            {
                keys.push(key.clone());
            }
        }
        assert_eq!(peeked.packages, keys);
    }

    #[test]
    fn agrees_with_the_reader() {
        check(
            r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
                "aliases": ["CVE-2024-0001", "GHSA-aaaa-bbbb-cccc", "not an id", "CVE-2024-0001"],
                "upstream": ["CVE-2023-9999"], "related": ["CVE-2024-0001", "PYSEC-2024-1"],
                "affected": [{"package": {"ecosystem": "PyPI", "name": "Django_Rest"}},
                             {"package": {"ecosystem": "Debian:11", "name": "OpenSSL"}},
                             {"package": {"purl": "pkg:npm/%40scope/name"}},
                             {"package": {"ecosystem": "PyPI", "name": "django-rest"}},
                             {"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]}"#,
        );
        check(
            r#"{"id": "PYSEC-2020-1", "modified": "2024-01-01T00:00:00Z",
                "withdrawn": "2024-02-01T00:00:00Z", "aliases": null, "affected": null}"#,
        );
    }

    #[test]
    fn other_documents_are_not_peeked() {
        assert_eq!(peek(br#"{"document": {"category": "csaf_vex"}}"#), None);
        assert_eq!(peek(br#"{"cve": {"id": "CVE-2024-0001"}}"#), None);
        assert_eq!(peek(b"\x1f\x8b\x08"), None);
        assert_eq!(peek(br#"{"id": "", "modified": "x"}"#), None);
        assert_eq!(peek(br#"{"id": "GHSA-x", "modified": "#), None);
    }
}
