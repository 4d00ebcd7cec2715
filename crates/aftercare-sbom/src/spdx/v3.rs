//! SPDX 3.0 JSON-LD (the `@graph` form): packages, their identifiers, suppliers, hashes and
//! licenses, the dependency relationships and the document's creation information.
//!
//! SPDX 3.0 documents are small next to the SBOMs of 2.x and CycloneDX, so this reader walks
//! a `serde_json::Value` tree. Elements of types it does not map are named in one warning
//! per type.
//!
//! Relationships that become edges (`from` depends on each `to`): `dependsOn`, `contains`,
//! `hasStaticLink`, `hasDynamicLink`, `hasOptionalDependency`, `hasProvidedDependency`,
//! `hasPrerequisite`. `describes` and the `rootElement` of the `software_Sbom` (or of the
//! `SpdxDocument`) name the subject.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::assemble::Assembly;
use crate::error::SbomError;
use crate::model::{Component, ComponentKind, Encoding, Format, ReadOutcome, Sbom, Warning};
use crate::normalize::{self, Licenses};
use crate::support;

/// Element types read as components: `software_Package` and its specializations.
const PACKAGE_TYPES: &[&str] = &["software_Package", "ai_AIPackage", "dataset_DatasetPackage"];

/// Element types that are understood and are not components.
const OTHER_KNOWN_TYPES: &[&str] = &[
    "CreationInfo",
    "Person",
    "Organization",
    "Tool",
    "SoftwareAgent",
    "Agent",
    "SpdxDocument",
    "software_Sbom",
    "Bom",
    "Bundle",
    "software_File",
    "software_Snippet",
    "Relationship",
    "LifecycleScopedRelationship",
    "Annotation",
    "simplelicensing_LicenseExpression",
    "simplelicensing_SimpleLicensingText",
    "expandedlicensing_CustomLicense",
    "expandedlicensing_ListedLicense",
    "expandedlicensing_ListedLicenseException",
    "expandedlicensing_CustomLicenseAddition",
    "expandedlicensing_ConjunctiveLicenseSet",
    "expandedlicensing_DisjunctiveLicenseSet",
    "expandedlicensing_WithAdditionOperator",
    "expandedlicensing_OrLaterOperator",
];

fn edge_type(kind: &str) -> bool {
    matches!(
        kind,
        "dependsOn"
            | "contains"
            | "hasStaticLink"
            | "hasDynamicLink"
            | "hasOptionalDependency"
            | "hasProvidedDependency"
            | "hasPrerequisite"
    )
}

/// Reads the `@graph` of an SPDX 3.0 JSON-LD document.
pub(crate) fn read(
    file: &str,
    graph: Option<&RawValue>,
    mut warnings: Vec<Warning>,
) -> Result<ReadOutcome, SbomError> {
    let Some(graph) = graph else {
        return Err(SbomError::Unrecognized {
            file: file.to_string(),
            found: "SPDX 3.0 JSON-LD without @graph (only the @graph form is read)".to_string(),
        });
    };
    let elements: Vec<Value> = match serde_json::from_str::<Value>(graph.get()) {
        Ok(Value::Array(elements)) => elements,
        Ok(_) => {
            return Err(SbomError::Unrecognized {
                file: file.to_string(),
                found: "SPDX 3.0 JSON-LD whose @graph is not an array".to_string(),
            });
        }
        Err(error) => return Err(SbomError::json(file, &error)),
    };
    let graph = Graph::new(&elements);
    let mut assembly = Assembly::default();
    assembly.warnings_mut().append(&mut warnings);

    let mut unknown_types: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, element) in elements.iter().enumerate() {
        let kind = text(element, "type").unwrap_or_default();
        if PACKAGE_TYPES.contains(&kind) {
            let location = format!("@graph[{index}]");
            let component = convert(&mut assembly, &graph, element, &location);
            assembly.add(component, &location);
        } else if !OTHER_KNOWN_TYPES.contains(&kind) {
            *unknown_types.entry(kind).or_default() += 1;
        }
    }
    for (kind, count) in unknown_types {
        let kind = if kind.is_empty() { "(none)" } else { kind };
        assembly.warn(
            "@graph",
            None,
            format!("{count} element(s) of type {kind} are not read (no mapping to components)"),
        );
    }

    // Licenses come as relationships to license elements: concluded wins over declared.
    let mut concluded: HashMap<usize, Licenses> = HashMap::new();
    let mut declared: HashMap<usize, Licenses> = HashMap::new();
    let mut described: Vec<usize> = Vec::new();
    for (index, element) in elements.iter().enumerate() {
        let kind = text(element, "type").unwrap_or_default();
        if kind == "Annotation" {
            annotation(&mut assembly, element, &format!("@graph[{index}]"));
            continue;
        }
        if kind != "Relationship" && kind != "LifecycleScopedRelationship" {
            continue;
        }
        let location = format!("@graph[{index}]");
        let relationship = text(element, "relationshipType").unwrap_or_default();
        let Some(from) = text(element, "from") else {
            continue;
        };
        let targets = texts(element, "to");
        match relationship {
            "hasConcludedLicense" | "hasDeclaredLicense" => {
                let Some(package) = assembly.lookup(from) else {
                    continue;
                };
                let slots = if relationship == "hasConcludedLicense" {
                    &mut concluded
                } else {
                    &mut declared
                };
                for target in targets {
                    if let Some(expression) = graph.license(target) {
                        slots.entry(package).or_default().expression(&expression);
                    }
                }
            }
            "describes" => {
                described.extend(targets.iter().filter_map(|target| assembly.lookup(target)));
            }
            kind if edge_type(kind) => {
                let from_index = graph.endpoint(&mut assembly, from, &location);
                for target in targets {
                    let to_index = graph.endpoint(&mut assembly, target, &location);
                    if let (Some(from), Some(to)) = (from_index, to_index) {
                        assembly.edge(from, to);
                    }
                }
            }
            _ => {}
        }
    }
    for (package, licenses) in declared {
        if !concluded.contains_key(&package)
            && let Some(component) = assembly.component_mut(package)
        {
            component.licenses = licenses.finish();
        }
    }
    for (package, licenses) in concluded {
        if let Some(component) = assembly.component_mut(package) {
            component.licenses = licenses.finish();
        }
    }

    // The subject: the root element of the SBOM (or of the document), else `describes`.
    let document = elements
        .iter()
        .find(|element| text(element, "type") == Some("SpdxDocument"));
    let subject = graph
        .root_package(&assembly, "software_Sbom")
        .or_else(|| graph.root_package(&assembly, "SpdxDocument"))
        .or_else(|| described.first().copied());
    if let Some(subject) = subject {
        assembly.set_subject(subject);
    }

    let creation = document
        .and_then(|document| document.get("creationInfo"))
        .or_else(|| {
            elements
                .iter()
                .find_map(|element| element.get("creationInfo"))
        })
        .and_then(|info| graph.resolve(info));
    let spec_version = creation
        .and_then(|info| text(info, "specVersion"))
        .unwrap_or("3.0")
        .to_string();
    if !spec_version.starts_with("3.0") {
        assembly.warn(
            "creationInfo.specVersion",
            None,
            format!("SPDX {spec_version} is not 3.0; read with the 3.0 rules"),
        );
    }
    let created = creation
        .and_then(|info| text(info, "created"))
        .map(str::to_string);
    let authors = creation
        .map(|info| graph.agent_names(info.get("createdBy")))
        .unwrap_or_default();
    let tools = creation
        .map(|info| graph.agent_names(info.get("createdUsing")))
        .unwrap_or_default();

    let assembled = assembly.finish();
    Ok(ReadOutcome {
        sbom: Sbom {
            format: Format::Spdx,
            encoding: Encoding::JsonLd,
            spec_version,
            serial_number: document
                .and_then(|document| id(document))
                .map(str::to_string),
            name: document
                .and_then(|document| text(document, "name"))
                .map(str::to_string),
            created,
            authors,
            tools,
            subject: assembled.subject,
            components: assembled.components,
            dependencies: assembled.dependencies,
        },
        warnings: assembled.warnings,
    })
}

/// The elements by id, and the ids a relationship may name without them being components.
struct Graph<'a> {
    by_id: HashMap<&'a str, &'a Value>,
    imported: HashSet<&'a str>,
    elements: &'a [Value],
}

impl<'a> Graph<'a> {
    fn new(elements: &'a [Value]) -> Graph<'a> {
        let mut by_id = HashMap::new();
        let mut imported = HashSet::new();
        for element in elements {
            if let Some(id) = id(element) {
                by_id.insert(id, element);
            }
            if let Some(Value::Array(imports)) = element.get("import") {
                for import in imports {
                    if let Some(external) = text(import, "externalSpdxId") {
                        imported.insert(external);
                    }
                }
            }
        }
        Graph {
            by_id,
            imported,
            elements,
        }
    }

    /// An inline object, or the element a string names.
    fn resolve(&self, value: &'a Value) -> Option<&'a Value> {
        match value {
            Value::String(id) => self.by_id.get(id.as_str()).copied(),
            Value::Object(_) => Some(value),
            _ => None,
        }
    }

    fn agent_name(&self, value: &'a Value) -> Option<String> {
        let agent = self.resolve(value)?;
        text(agent, "name").map(str::to_string)
    }

    fn agent_names(&self, value: Option<&'a Value>) -> Vec<String> {
        match value {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| self.agent_name(item))
                .collect(),
            Some(item) => self.agent_name(item).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// The expression of a license element.
    fn license(&self, id: &str) -> Option<String> {
        let element = self.by_id.get(id)?;
        text(element, "simplelicensing_licenseExpression")
            .or_else(|| text(element, "name"))
            .map(str::to_string)
            .or_else(|| {
                // A listed license may be named only by its URL.
                id.strip_prefix("https://spdx.org/licenses/")
                    .map(str::to_string)
            })
    }

    fn endpoint(&self, assembly: &mut Assembly, id: &str, location: &str) -> Option<usize> {
        if let Some(index) = assembly.lookup(id) {
            return Some(index);
        }
        if !self.by_id.contains_key(id) && !self.imported.contains(id) {
            assembly.dangling(
                id,
                location,
                format!("{id:?} is neither an element of this document nor imported; the edge is ignored"),
            );
        }
        None
    }

    /// The first root element of the first element of this type that is a package, looking
    /// through an SBOM that is itself the root of the document.
    fn root_package(&self, assembly: &Assembly, kind: &str) -> Option<usize> {
        let holder = self
            .elements
            .iter()
            .find(|element| text(element, "type") == Some(kind))?;
        for root in texts(holder, "rootElement") {
            if let Some(index) = assembly.lookup(root) {
                return Some(index);
            }
            if let Some(element) = self.by_id.get(root)
                && text(element, "type") == Some("software_Sbom")
            {
                for inner in texts(element, "rootElement") {
                    if let Some(index) = assembly.lookup(inner) {
                        return Some(index);
                    }
                }
            }
        }
        None
    }
}

fn id(element: &Value) -> Option<&str> {
    text(element, "spdxId").or_else(|| text(element, "@id"))
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

fn texts<'a>(value: &'a Value, key: &str) -> Vec<&'a str> {
    match value.get(key) {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `operatingSystem` → `operating-system`, the spelling [`ComponentKind::parse`] knows.
fn kebab(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn convert(
    assembly: &mut Assembly,
    graph: &Graph<'_>,
    element: &Value,
    location: &str,
) -> Component {
    let reference = id(element).unwrap_or_default();
    let mut component = Component::new(reference, text(element, "name").unwrap_or_default());
    let reference = id(element);
    if component.name.is_empty() {
        assembly.warn(location, reference, "the package has no name");
    }
    component.version = text(element, "software_packageVersion").map(str::to_string);
    let label = normalize::component_label(&component.name, component.version.as_deref());
    if let Some(purpose) = text(element, "software_primaryPurpose") {
        component.kind = ComponentKind::parse(&kebab(purpose));
    }
    let mut purls: Vec<&str> = text(element, "software_packageUrl").into_iter().collect();
    if let Some(Value::Array(identifiers)) = element.get("externalIdentifier") {
        for identifier in identifiers {
            let Some(value) = text(identifier, "identifier") else {
                continue;
            };
            match text(identifier, "externalIdentifierType").unwrap_or_default() {
                "packageUrl" => purls.push(value),
                "cpe23" | "cpe22" => match normalize::cpe(value) {
                    Ok(cpe) => component.cpes.push(cpe),
                    Err(message) => assembly.warn(
                        format!("{location}.externalIdentifier"),
                        reference,
                        format!("{label}: {message}"),
                    ),
                },
                "swid" => component.swid = Some(value.to_string()),
                _ => {}
            }
        }
    }
    for raw in purls {
        match normalize::purl(raw) {
            Ok(purl) => {
                if component.purl.is_none() {
                    component.purl = Some(purl);
                }
            }
            Err(message) => assembly.warn(location, reference, format!("{label}: {message}")),
        }
    }
    component.group = component
        .purl
        .as_ref()
        .and_then(|purl| purl.namespace())
        .map(str::to_string);
    component.supplier = element
        .get("suppliedBy")
        .and_then(|supplier| graph.agent_name(supplier));
    let originators = graph.agent_names(element.get("originatedBy"));
    if !originators.is_empty() {
        component.author = Some(originators.join(", "));
    }
    if let Some(Value::Array(hashes)) = element.get("verifiedUsing") {
        for hash in hashes {
            if text(hash, "type") != Some("Hash") {
                continue;
            }
            let algorithm = text(hash, "algorithm").unwrap_or_default();
            match normalize::hash(algorithm, text(hash, "hashValue").unwrap_or_default()) {
                Ok(hash) => component.hashes.push(hash),
                Err(message) => assembly.warn(
                    format!("{location}.verifiedUsing"),
                    reference,
                    format!("{label}: {message}"),
                ),
            }
        }
    }
    component
}

fn annotation(assembly: &mut Assembly, element: &Value, location: &str) {
    let (Some(subject), Some(statement)) = (text(element, "subject"), text(element, "statement"))
    else {
        return;
    };
    let Some(index) = assembly.lookup(subject) else {
        return;
    };
    let mut messages = Vec::new();
    if let Some(component) = assembly.component_mut(index) {
        support::apply_comment(component, statement, |message| messages.push(message));
    }
    for message in messages {
        assembly.warn(location, Some(subject), message);
    }
}
