//! SPDX: 2.2/2.3 JSON and tag-value share one document shape ([`Parts`]) and one assembly
//! into the normalized SBOM; SPDX 3.0 JSON-LD has its own reader ([`v3`]).
//!
//! Relationships that become dependency edges (`from` depends on `to`):
//!
//! | SPDX 2.x relationship `A TYPE B` | edge |
//! | --- | --- |
//! | `DEPENDS_ON`, `CONTAINS`, `STATIC_LINK`, `DYNAMIC_LINK`, `HAS_PREREQUISITE` | A → B |
//! | `DEPENDENCY_OF`, `CONTAINED_BY`, `RUNTIME_`/`BUILD_`/`DEV_`/`TEST_`/`OPTIONAL_`/`PROVIDED_DEPENDENCY_OF`, `PREREQUISITE_FOR` | B → A |
//!
//! `DESCRIBES` (and `DESCRIBED_BY`, and `documentDescribes`) name the subject. Every other
//! relationship type (`GENERATED_FROM`, `VARIANT_OF`, `OTHER`…) is not a dependency and is
//! left out. Edges to files, snippets, the document itself, `NONE`/`NOASSERTION` and
//! elements of other documents (`DocumentRef-…`) are not between components and are left
//! out without a warning; an edge to an id that nothing in the document declares is a
//! warning.

pub(crate) mod json;
pub(crate) mod tag_value;
pub(crate) mod v3;

use std::collections::HashSet;

use crate::assemble::Assembly;
use crate::model::{Component, ComponentKind, Encoding, Format, ReadOutcome, Sbom, Warning};
use crate::normalize::{self, AgentKind, Licenses};
use crate::support;

/// An SPDX 2.x document as read from either encoding, before assembly.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    pub(crate) spec_version: String,
    pub(crate) document_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) created: Option<String>,
    /// `creationInfo.creators` / `Creator:` values, with where they were read.
    pub(crate) creators: Vec<(String, String)>,
    /// `documentDescribes` entries, with where they were read.
    pub(crate) describes: Vec<(String, String)>,
    pub(crate) packages: Vec<Package>,
    pub(crate) relationships: Vec<Relationship>,
    /// Ids of elements that are not packages (files, snippets): relationships to them are
    /// not dangling.
    pub(crate) other_elements: HashSet<String>,
    /// Annotations that name their target (tag-value `SPDXREF:`).
    pub(crate) annotations: Vec<Annotation>,
    pub(crate) warnings: Vec<Warning>,
}

/// A package as read.
#[derive(Debug, Default)]
pub(crate) struct Package {
    pub(crate) location: String,
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) supplier: Option<String>,
    pub(crate) originator: Option<String>,
    pub(crate) license_concluded: Option<String>,
    pub(crate) license_declared: Option<String>,
    /// (algorithm, value, location).
    pub(crate) checksums: Vec<(String, String, String)>,
    pub(crate) external_refs: Vec<ExternalRef>,
    pub(crate) purpose: Option<String>,
    /// Annotation comments, with where they were read.
    pub(crate) annotations: Vec<(String, String)>,
}

/// An external reference of a package.
#[derive(Debug, Default)]
pub(crate) struct ExternalRef {
    pub(crate) location: String,
    pub(crate) kind: String,
    pub(crate) locator: String,
}

/// A relationship `from kind to`.
#[derive(Debug, Default)]
pub(crate) struct Relationship {
    pub(crate) location: String,
    pub(crate) from: String,
    pub(crate) kind: String,
    pub(crate) to: String,
}

/// An annotation that names its target.
#[derive(Debug, Default)]
pub(crate) struct Annotation {
    pub(crate) location: String,
    pub(crate) target: Option<String>,
    pub(crate) comment: String,
}

/// Which way a relationship type points, as a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
}

fn edge_direction(kind: &str) -> Option<Direction> {
    match kind {
        "DEPENDS_ON" | "CONTAINS" | "STATIC_LINK" | "DYNAMIC_LINK" | "HAS_PREREQUISITE" => {
            Some(Direction::Forward)
        }
        "DEPENDENCY_OF"
        | "CONTAINED_BY"
        | "RUNTIME_DEPENDENCY_OF"
        | "BUILD_DEPENDENCY_OF"
        | "DEV_DEPENDENCY_OF"
        | "TEST_DEPENDENCY_OF"
        | "OPTIONAL_DEPENDENCY_OF"
        | "PROVIDED_DEPENDENCY_OF"
        | "PREREQUISITE_FOR" => Some(Direction::Reverse),
        _ => None,
    }
}

/// Every SPDX 2.3 relationship type, to tell a typo from a type that is simply no edge.
const RELATIONSHIP_TYPES: &[&str] = &[
    "DESCRIBES",
    "DESCRIBED_BY",
    "CONTAINS",
    "CONTAINED_BY",
    "DEPENDS_ON",
    "DEPENDENCY_OF",
    "DEPENDENCY_MANIFEST_OF",
    "BUILD_DEPENDENCY_OF",
    "DEV_DEPENDENCY_OF",
    "OPTIONAL_DEPENDENCY_OF",
    "PROVIDED_DEPENDENCY_OF",
    "TEST_DEPENDENCY_OF",
    "RUNTIME_DEPENDENCY_OF",
    "EXAMPLE_OF",
    "GENERATES",
    "GENERATED_FROM",
    "ANCESTOR_OF",
    "DESCENDANT_OF",
    "VARIANT_OF",
    "DISTRIBUTION_ARTIFACT",
    "PATCH_FOR",
    "PATCH_APPLIED",
    "COPY_OF",
    "FILE_ADDED",
    "FILE_DELETED",
    "FILE_MODIFIED",
    "EXPANDED_FROM_ARCHIVE",
    "DYNAMIC_LINK",
    "STATIC_LINK",
    "DATA_FILE_OF",
    "TEST_CASE_OF",
    "BUILD_TOOL_OF",
    "DEV_TOOL_OF",
    "TEST_OF",
    "TEST_TOOL_OF",
    "DOCUMENTATION_OF",
    "OPTIONAL_COMPONENT_OF",
    "METAFILE_OF",
    "PACKAGE_OF",
    "AMENDS",
    "PREREQUISITE_FOR",
    "HAS_PREREQUISITE",
    "REQUIREMENT_DESCRIPTION_FOR",
    "SPECIFICATION_FOR",
    "OTHER",
];

/// Checks the declared `SPDX-2.x` version: 2.2 and 2.3 are read; 2.0 and 2.1 (whose
/// package fields are a subset) are read with a warning; anything else is an error.
pub(crate) fn check_version(
    file: &str,
    format: &'static str,
    declared: &str,
    location: &str,
    warnings: &mut Vec<Warning>,
) -> Result<String, crate::error::SbomError> {
    let version = declared.trim();
    let number = version
        .strip_prefix("SPDX-")
        .or_else(|| version.strip_prefix("spdx-"))
        .unwrap_or(version);
    match number {
        "2.2" | "2.3" => Ok(number.to_string()),
        "2.0" | "2.1" => {
            warnings.push(Warning {
                location: location.to_string(),
                reference: None,
                message: format!("SPDX {number} is older than 2.2; read with the 2.2 rules"),
            });
            Ok(number.to_string())
        }
        _ => Err(crate::error::SbomError::UnsupportedVersion {
            file: file.to_string(),
            format,
            version: version.to_string(),
        }),
    }
}

/// Assembles the normalized SBOM from the parts of an SPDX 2.x document.
pub(crate) fn assemble(mut parts: Parts, encoding: Encoding) -> ReadOutcome {
    let mut assembly = Assembly::default();
    assembly.warnings_mut().append(&mut parts.warnings);
    let document_id = parts
        .document_id
        .clone()
        .unwrap_or_else(|| "SPDXRef-DOCUMENT".to_string());

    for package in &parts.packages {
        let component = convert(&mut assembly, package);
        assembly.add(component, &package.location);
    }
    for annotation in &parts.annotations {
        apply_annotation(&mut assembly, annotation, &document_id);
    }

    // The subject: `documentDescribes`, then DESCRIBES / DESCRIBED_BY relationships.
    let mut described: Vec<(usize, String)> = Vec::new();
    for (id, location) in &parts.describes {
        if let Some(index) = assembly.lookup(id) {
            described.push((index, location.clone()));
        }
    }

    for relationship in &parts.relationships {
        let mut kind = relationship
            .kind
            .trim()
            .to_ascii_uppercase()
            .replace('-', "_");
        if kind == "DESCRIBE" {
            // Trivy writes this typo; what it means is clear.
            assembly.warn(
                &relationship.location,
                None,
                "relationship type DESCRIBE is not an SPDX type; read as DESCRIBES",
            );
            kind = "DESCRIBES".to_string();
        }
        let (from, to) = (relationship.from.trim(), relationship.to.trim());
        match kind.as_str() {
            "DESCRIBES" => {
                if from == document_id
                    && let Some(index) = assembly.lookup(to)
                {
                    described.push((index, relationship.location.clone()));
                }
                continue;
            }
            "DESCRIBED_BY" => {
                if to == document_id
                    && let Some(index) = assembly.lookup(from)
                {
                    described.push((index, relationship.location.clone()));
                }
                continue;
            }
            _ => {}
        }
        let Some(direction) = edge_direction(&kind) else {
            if !RELATIONSHIP_TYPES.contains(&kind.as_str()) {
                assembly.warn(
                    &relationship.location,
                    None,
                    format!("unknown relationship type {:?}; ignored", relationship.kind),
                );
            }
            continue;
        };
        let from = endpoint(&mut assembly, &parts, &document_id, from, relationship);
        let to = endpoint(&mut assembly, &parts, &document_id, to, relationship);
        if let (Some(from), Some(to)) = (from, to) {
            match direction {
                Direction::Forward => assembly.edge(from, to),
                Direction::Reverse => assembly.edge(to, from),
            }
        }
    }

    let mut distinct: Vec<(usize, String)> = Vec::new();
    for (index, location) in described {
        if !distinct.iter().any(|(seen, _)| *seen == index) {
            distinct.push((index, location));
        }
    }
    if let Some((subject, _)) = distinct.first() {
        assembly.set_subject(*subject);
        if distinct.len() > 1 {
            let names: Vec<String> = distinct
                .iter()
                .map(|(index, _)| {
                    assembly
                        .components()
                        .get(*index)
                        .map(|component| component.reference.clone())
                        .unwrap_or_default()
                })
                .collect();
            let location = distinct[1].1.clone();
            assembly.warn(
                location,
                None,
                format!(
                    "the document describes {} packages ({}); the first is the subject",
                    names.len(),
                    names.join(", ")
                ),
            );
        }
    }

    let mut authors = Vec::new();
    let mut tools = Vec::new();
    for (creator, location) in &parts.creators {
        let (kind, name) = normalize::agent(creator);
        if name.is_empty() {
            continue;
        }
        match kind {
            Some(AgentKind::Tool) => tools.push(name),
            Some(AgentKind::Person | AgentKind::Organization) => authors.push(name),
            None => {
                assembly.warn(
                    location,
                    None,
                    format!(
                        "creator {creator:?} has no Person:, Organization: or Tool: prefix; read as an author"
                    ),
                );
                authors.push(name);
            }
        }
    }

    let assembled = assembly.finish();
    ReadOutcome {
        sbom: Sbom {
            format: Format::Spdx,
            encoding,
            spec_version: parts.spec_version,
            serial_number: parts.namespace,
            name: parts.name,
            created: parts.created,
            authors,
            tools,
            subject: assembled.subject,
            components: assembled.components,
            dependencies: assembled.dependencies,
        },
        warnings: assembled.warnings,
    }
}

/// Resolves a relationship end to a component; see the module documentation for what is
/// silently not a component.
fn endpoint(
    assembly: &mut Assembly,
    parts: &Parts,
    document_id: &str,
    id: &str,
    relationship: &Relationship,
) -> Option<usize> {
    if let Some(index) = assembly.lookup(id) {
        return Some(index);
    }
    let not_a_component = id == document_id
        || parts.other_elements.contains(id)
        || id.starts_with("DocumentRef-")
        || normalize::present(Some(id)).is_none();
    if !not_a_component {
        assembly.dangling(
            id,
            &relationship.location,
            format!(
                "{} {} {}: {id:?} is not an element of this document; the edge is ignored",
                relationship.from, relationship.kind, relationship.to
            ),
        );
    }
    None
}

fn apply_annotation(assembly: &mut Assembly, annotation: &Annotation, document_id: &str) {
    let Some(target) = annotation.target.as_deref() else {
        return;
    };
    if target == document_id {
        return;
    }
    let Some(index) = assembly.lookup(target) else {
        return;
    };
    let mut messages = Vec::new();
    if let Some(component) = assembly.component_mut(index) {
        support::apply_comment(component, &annotation.comment, |message| {
            messages.push(message)
        });
    }
    for message in messages {
        assembly.warn(&annotation.location, Some(target), message);
    }
}

/// Converts one package, warning about each malformed field.
fn convert(assembly: &mut Assembly, package: &Package) -> Component {
    let reference = package.id.clone().unwrap_or_default();
    if reference.is_empty() {
        assembly.warn(
            &package.location,
            None,
            "the package has no SPDXID; relationships cannot name it",
        );
    }
    let name = package.name.clone().unwrap_or_default();
    let mut component = Component::new(reference, name);
    let reference = package.id.as_deref();
    if component.name.is_empty() {
        assembly.warn(&package.location, reference, "the package has no name");
    }
    let label = normalize::component_label(&component.name, package.version.as_deref());
    component.version = normalize::present(package.version.as_deref()).map(str::to_string);
    component.supplier = normalize::present(package.supplier.as_deref())
        .map(|supplier| normalize::agent(supplier).1)
        .filter(|supplier| !supplier.is_empty());
    component.author = normalize::present(package.originator.as_deref())
        .map(|originator| normalize::agent(originator).1)
        .filter(|originator| !originator.is_empty());
    let license = normalize::present(package.license_concluded.as_deref())
        .or_else(|| normalize::present(package.license_declared.as_deref()));
    if let Some(license) = license {
        let mut licenses = Licenses::default();
        if let Some(message) = licenses.expression(license) {
            assembly.warn(&package.location, reference, format!("{label}: {message}"));
        }
        component.licenses = licenses.finish();
    }
    for (algorithm, value, location) in &package.checksums {
        match normalize::hash(algorithm, value) {
            Ok(hash) => component.hashes.push(hash),
            Err(message) => assembly.warn(location, reference, format!("{label}: {message}")),
        }
    }
    for external in &package.external_refs {
        // `http://spdx.org/rdf/references/cpe23Type` is the RDF spelling of `cpe23Type`.
        let kind = external.kind.rsplit(['/', '#']).next().unwrap_or_default();
        match kind.to_ascii_lowercase().as_str() {
            "purl" => match normalize::purl(&external.locator) {
                // The first valid purl is the component's; further ones (Red Hat lists
                // aliases) do not fit the model's single purl.
                Ok(purl) => {
                    if component.purl.is_none() {
                        component.purl = Some(purl);
                    }
                }
                Err(message) => {
                    assembly.warn(&external.location, reference, format!("{label}: {message}"))
                }
            },
            "cpe23type" | "cpe22type" => match normalize::cpe(&external.locator) {
                Ok(cpe) => {
                    if !component.cpes.contains(&cpe) {
                        component.cpes.push(cpe);
                    }
                }
                Err(message) => {
                    assembly.warn(&external.location, reference, format!("{label}: {message}"))
                }
            },
            "swid" if component.swid.is_none() => {
                component.swid = Some(external.locator.trim().to_string());
            }
            _ => {}
        }
    }
    component.group = component
        .purl
        .as_ref()
        .and_then(|purl| purl.namespace())
        .map(str::to_string);
    component.kind = match package
        .purpose
        .as_deref()
        .and_then(|purpose| normalize::present(Some(purpose)))
    {
        Some(purpose) => ComponentKind::parse(purpose),
        None => ComponentKind::Library,
    };
    for (comment, location) in &package.annotations {
        let mut messages = Vec::new();
        support::apply_comment(&mut component, comment, |message| messages.push(message));
        for message in messages {
            assembly.warn(location, reference, format!("{label}: {message}"));
        }
    }
    component
}
