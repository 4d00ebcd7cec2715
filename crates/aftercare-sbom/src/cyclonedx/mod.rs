//! CycloneDX 1.0–1.6 (XML) and 1.2–1.6 (JSON): what both encodings share — versions, the
//! metadata, dependency resolution and the fields of 1.6 (to name those a newer version
//! adds).

pub(crate) mod json;
pub(crate) mod xml;

use std::collections::{HashMap, HashSet};

use crate::assemble::Assembly;
use crate::model::{Encoding, Format, ReadOutcome, Sbom, Scope};

/// The newest CycloneDX minor version (of major version 1) this reader knows.
pub(crate) const NEWEST_MINOR: u32 = 6;

/// A declared `specVersion`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Version {
    /// A version this reader knows.
    Known(String),
    /// `1.x` with x > 6: read with the 1.6 rules, and the fields it did not know named.
    Newer(String),
}

impl Version {
    /// The version as declared.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Version::Known(version) | Version::Newer(version) => version,
        }
    }
}

/// Checks a declared version: `1.0`–`1.6` are known, `1.7` and up are newer, anything else
/// (a major version 2, a word) is not CycloneDX as this reader knows it.
pub(crate) fn version(declared: &str) -> Option<Version> {
    let (major, minor) = declared.trim().split_once('.')?;
    let minor: u32 = minor.parse().ok()?;
    if major != "1" {
        return None;
    }
    if minor <= NEWEST_MINOR {
        Some(Version::Known(declared.trim().to_string()))
    } else {
        Some(Version::Newer(declared.trim().to_string()))
    }
}

/// The fields of CycloneDX 1.6 per object, the same names in JSON keys and XML elements.
pub(crate) mod known {
    /// The root object (`bom`).
    pub(crate) const BOM: &[&str] = &[
        "$schema",
        "bomFormat",
        "specVersion",
        "serialNumber",
        "version",
        "metadata",
        "components",
        "services",
        "externalReferences",
        "dependencies",
        "compositions",
        "properties",
        "vulnerabilities",
        "annotations",
        "formulation",
        "declarations",
        "definitions",
        "signature",
    ];
    /// `metadata`.
    pub(crate) const METADATA: &[&str] = &[
        "timestamp",
        "lifecycles",
        "tools",
        "authors",
        "component",
        "manufacture",
        "manufacturer",
        "supplier",
        "licenses",
        "properties",
    ];
    /// A component.
    pub(crate) const COMPONENT: &[&str] = &[
        "type",
        "mime-type",
        "bom-ref",
        "supplier",
        "manufacturer",
        "authors",
        "author",
        "publisher",
        "group",
        "name",
        "version",
        "description",
        "scope",
        "hashes",
        "licenses",
        "copyright",
        "cpe",
        "purl",
        "omniborId",
        "swhid",
        "swid",
        "modified",
        "pedigree",
        "externalReferences",
        "properties",
        "components",
        "evidence",
        "releaseNotes",
        "modelCard",
        "data",
        "cryptoProperties",
        "signature",
        "tags",
    ];
    /// A dependency.
    pub(crate) const DEPENDENCY: &[&str] = &["ref", "dependsOn", "provides"];
}

/// Parses a `scope`.
pub(crate) fn scope(raw: &str) -> Option<Scope> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "required" => Some(Scope::Required),
        "optional" => Some(Scope::Optional),
        "excluded" => Some(Scope::Excluded),
        _ => None,
    }
}

/// A tool entry: `name version (vendor)`, leaving out what is missing.
pub(crate) fn tool_label(
    vendor: Option<&str>,
    name: Option<&str>,
    version: Option<&str>,
) -> Option<String> {
    let mut label = match (name, version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.to_string(),
        (None, _) => vendor?.to_string(),
    };
    if let (Some(vendor), Some(_)) = (vendor, name) {
        label.push_str(&format!(" ({vendor})"));
    }
    Some(label)
}

/// A `dependencies` entry before its references are resolved.
#[derive(Debug)]
pub(crate) struct RawDependency<'a> {
    /// Where it was read.
    pub(crate) location: DependencyLocation,
    /// `ref`.
    pub(crate) from: &'a str,
    /// `dependsOn`.
    pub(crate) to: Vec<&'a str>,
}

/// Where a dependency entry was read; printed only when a warning needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DependencyLocation {
    /// `dependencies[index]` of a JSON document.
    Json(usize),
    /// A line of an XML document.
    Xml(usize),
}

impl std::fmt::Display for DependencyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DependencyLocation::Json(index) => write!(f, "dependencies[{index}]"),
            DependencyLocation::Xml(line) => write!(f, "line {line}"),
        }
    }
}

/// Resolves `ref`/`dependsOn` to components. A reference no component declares is looked
/// up as a package URL among the components' purls (some generators write the purl where
/// the bom-ref belongs). References to services and BOM-Links into other BOMs
/// (`urn:cdx:…`) are not components and are left out silently; any other reference that
/// names nothing is a warning (one per reference).
pub(crate) fn resolve_dependencies(
    assembly: &mut Assembly,
    dependencies: &[RawDependency<'_>],
    services: &HashSet<String>,
) {
    let mut by_purl: Option<HashMap<String, Option<usize>>> = None;
    let mut resolve =
        |assembly: &mut Assembly, reference: &str, location: DependencyLocation| -> Option<usize> {
            if let Some(index) = assembly.lookup(reference) {
                return Some(index);
            }
            if services.contains(reference) || reference.starts_with("urn:cdx:") {
                return None;
            }
            let purls = by_purl.get_or_insert_with(|| {
                let mut map: HashMap<String, Option<usize>> = HashMap::new();
                for (index, component) in assembly.components().iter().enumerate() {
                    if let Some(purl) = &component.purl {
                        map.entry(purl.to_string())
                            .and_modify(|slot| *slot = None)
                            .or_insert(Some(index));
                    }
                }
                map
            });
            let by_purl = reference
                .parse::<aftercare_model::Purl>()
                .ok()
                .and_then(|purl| purls.get(&purl.to_string()).copied().flatten());
            if by_purl.is_none() {
                assembly.dangling(
                reference,
                &location.to_string(),
                format!(
                    "dependency reference {reference:?} matches no component; the edge is ignored"
                ),
            );
            }
            by_purl
        };
    for dependency in dependencies {
        let Some(from) = resolve(assembly, dependency.from, dependency.location) else {
            continue;
        };
        for to in &dependency.to {
            if let Some(to) = resolve(assembly, to, dependency.location) {
                assembly.edge(from, to);
            }
        }
    }
}

/// Document-level fields of a CycloneDX BOM.
#[derive(Debug, Default)]
pub(crate) struct Header {
    pub(crate) spec_version: String,
    pub(crate) serial_number: Option<String>,
    pub(crate) created: Option<String>,
    pub(crate) authors: Vec<String>,
    pub(crate) tools: Vec<String>,
}

impl Header {
    /// Adds an author unless already listed.
    pub(crate) fn author(&mut self, name: Option<String>) {
        if let Some(name) = name
            && !self.authors.contains(&name)
        {
            self.authors.push(name);
        }
    }
}

/// Assembles the normalized SBOM.
pub(crate) fn finish(
    header: Header,
    encoding: Encoding,
    mut assembly: Assembly,
    dependencies: &[RawDependency<'_>],
    services: &HashSet<String>,
) -> ReadOutcome {
    resolve_dependencies(&mut assembly, dependencies, services);
    let assembled = assembly.finish();
    let name = assembled
        .subject
        .and_then(|subject| assembled.components.get(subject))
        .map(|subject| subject.name.clone())
        .filter(|name| !name.is_empty());
    ReadOutcome {
        sbom: Sbom {
            format: Format::CycloneDx,
            encoding,
            spec_version: header.spec_version,
            serial_number: header.serial_number,
            name,
            created: header.created,
            authors: header.authors,
            tools: header.tools,
            subject: assembled.subject,
            components: assembled.components,
            dependencies: assembled.dependencies,
        },
        warnings: assembled.warnings,
    }
}

/// The warning for a CycloneDX version newer than 1.6.
pub(crate) fn newer_version_message(version: &str, unknown: &[String]) -> String {
    let mut message = format!(
        "CycloneDX {version} is newer than 1.{NEWEST_MINOR}, the newest version this reader knows; read with the 1.{NEWEST_MINOR} rules"
    );
    if unknown.is_empty() {
        message.push_str("; every field was known");
    } else {
        message.push_str("; fields it did not know (ignored): ");
        message.push_str(&unknown.join(", "));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(version("1.4"), Some(Version::Known("1.4".to_string())));
        assert_eq!(version("1.0"), Some(Version::Known("1.0".to_string())));
        assert_eq!(version("1.7"), Some(Version::Newer("1.7".to_string())));
        assert_eq!(version("1.10"), Some(Version::Newer("1.10".to_string())));
        assert_eq!(version("2.0"), None);
        assert_eq!(version("one"), None);
    }

    #[test]
    fn tool_labels() {
        assert_eq!(
            tool_label(Some("anchore"), Some("syft"), Some("0.60.3")).as_deref(),
            Some("syft 0.60.3 (anchore)")
        );
        assert_eq!(
            tool_label(None, Some("cdxgen"), None).as_deref(),
            Some("cdxgen")
        );
        assert_eq!(
            tool_label(Some("Acme"), None, None).as_deref(),
            Some("Acme")
        );
        assert_eq!(tool_label(None, None, Some("1")), None);
    }
}
