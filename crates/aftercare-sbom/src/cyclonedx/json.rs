//! CycloneDX JSON (1.2–1.6): lenient typed structs and their conversion to components.
//!
//! Each component is converted into a [`Component`] the moment its object has been read
//! ([`ParsedComponent`]), so the raw struct of a component never outlives it: a 50,000
//! component document holds its components once, not twice.

use std::collections::HashSet;

use super::{DependencyLocation, Header, RawDependency, Version};
use crate::assemble::{Added, Assembly};
use crate::lenient::{List, Obj, Text, field_problem, lenient_struct};
use crate::model::{Component, ComponentKind, Encoding, ReadOutcome, Warning};
use crate::normalize::{self, Licenses};
use crate::support;

lenient_struct! {
    /// `metadata`.
    pub(crate) struct Metadata<'a> {
        "timestamp" => timestamp: Text<'a>,
        "authors" => authors: List<Obj<Entity<'a>>>,
        "tools" => tools: Option<Tools>,
        "component" => component: Obj<ParsedComponent>,
        "manufacture" => manufacture: Obj<Entity<'a>>,
        "manufacturer" => manufacturer: Obj<Entity<'a>>,
        "supplier" => supplier: Obj<Entity<'a>>,
    }
}

lenient_struct! {
    /// An organizational entity or contact (`supplier`, `manufacturer`, an author).
    pub(crate) struct Entity<'a> {
        "name" => name: Text<'a>,
        "email" => email: Text<'a>,
        "url" => url: List<Text<'a>>,
    }
}

impl Entity<'_> {
    /// The name, else the e-mail, else the first URL: whatever identifies the entity.
    fn label(&self) -> Option<String> {
        self.name
            .owned()
            .or_else(|| self.email.owned())
            .or_else(|| self.url.items.iter().find_map(Text::owned))
    }
}

/// `metadata.tools`: an array of tools (up to 1.4) or an object of `components` and
/// `services` (1.5 and later); both read into one list of labels.
#[derive(Debug, Default)]
pub(crate) struct Tools {
    labels: Vec<String>,
}

lenient_struct! {
    struct Tool<'a> {
        "vendor" => vendor: Text<'a>,
        "group" => group: Text<'a>,
        "name" => name: Text<'a>,
        "version" => version: Text<'a>,
        "provider" => provider: Obj<Entity<'a>>,
    }
}

impl Tool<'_> {
    fn label(&self) -> Option<String> {
        let vendor = self
            .vendor
            .get()
            .or_else(|| self.group.get())
            .map(str::to_string)
            .or_else(|| self.provider.get().and_then(Entity::label));
        super::tool_label(vendor.as_deref(), self.name.get(), self.version.get())
    }
}

lenient_struct! {
    struct ToolsObject<'a> {
        "components" => components: List<Obj<Tool<'a>>>,
        "services" => services: List<Obj<Tool<'a>>>,
    }
}

impl<'de> serde::Deserialize<'de> for Tools {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Tools, D::Error> {
        // Metadata is small: buffering it to try both shapes costs nothing noticeable.
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Shape<'a> {
            Legacy(#[serde(borrow)] Vec<Obj<Tool<'a>>>),
            Modern(#[serde(borrow)] ToolsObject<'a>),
            Other(serde::de::IgnoredAny),
        }
        let tools: Vec<Obj<Tool>> = match Shape::deserialize(deserializer)? {
            Shape::Legacy(tools) => tools,
            Shape::Modern(object) => object
                .components
                .items
                .into_iter()
                .chain(object.services.items)
                .collect(),
            Shape::Other(_) => Vec::new(),
        };
        Ok(Tools {
            labels: tools
                .iter()
                .filter_map(|tool| tool.get().and_then(Tool::label))
                .collect(),
        })
    }
}

lenient_struct! {
    /// A component as written.
    struct CdxComponent<'a> {
        "bom-ref" => bom_ref: Text<'a>,
        "type" => kind: Text<'a>,
        "name" => name: Text<'a>,
        "group" => group: Text<'a>,
        "version" => version: Text<'a>,
        "purl" => purl: Text<'a>,
        "cpe" => cpe: Text<'a>,
        "swid" => swid: Obj<Swid<'a>>,
        "supplier" => supplier: Obj<Entity<'a>>,
        "publisher" => publisher: Text<'a>,
        "author" => author: Text<'a>,
        "authors" => authors: List<Obj<Entity<'a>>>,
        "hashes" => hashes: List<Obj<CdxHash<'a>>>,
        "licenses" => licenses: List<Obj<LicenseChoice<'a>>>,
        "scope" => scope: Text<'a>,
        "properties" => properties: List<Obj<Property<'a>>>,
        "components" => components: List<Obj<ParsedComponent>>,
    }
}

lenient_struct! {
    struct Swid<'a> {
        "tagId" => tag_id: Text<'a>,
    }
}

lenient_struct! {
    struct CdxHash<'a> {
        "alg" => alg: Text<'a>,
        "content" => content: Text<'a>,
    }
}

lenient_struct! {
    struct LicenseChoice<'a> {
        "license" => license: Obj<License<'a>>,
        "expression" => expression: Text<'a>,
    }
}

lenient_struct! {
    struct License<'a> {
        "id" => id: Text<'a>,
        "name" => name: Text<'a>,
    }
}

lenient_struct! {
    struct Property<'a> {
        "name" => name: Text<'a>,
        "value" => value: Text<'a>,
    }
}

lenient_struct! {
    /// A service: only its reference matters (dependencies may name it), and the services
    /// nested in it.
    pub(crate) struct Service<'a> {
        "bom-ref" => bom_ref: Text<'a>,
        "services" => services: List<Obj<Service<'a>>>,
    }
}

lenient_struct! {
    /// A `dependencies` entry.
    pub(crate) struct CdxDependency<'a> {
        "ref" => reference: Text<'a>,
        "dependsOn" => depends_on: List<Text<'a>>,
    }
}

/// A component converted as soon as it was read, with the problems met, and its nested
/// components.
#[derive(Debug)]
pub(crate) struct ParsedComponent {
    component: Component,
    /// `(field, message)`: the field path is relative to the component (`purl`,
    /// `hashes[0]`); the reader prefixes the component's location.
    problems: Vec<(String, String)>,
    children: List<Obj<ParsedComponent>>,
}

impl<'de> serde::Deserialize<'de> for ParsedComponent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = CdxComponent::deserialize(deserializer)?;
        Ok(convert(raw))
    }
}

fn service_references(services: &List<Obj<Service<'_>>>, into: &mut HashSet<String>) {
    for service in services.items.iter().filter_map(Obj::get) {
        if let Some(reference) = service.bom_ref.owned() {
            into.insert(reference);
        }
        service_references(&service.services, into);
    }
}

/// The top-level fields of a CycloneDX JSON document that this reader reads. The one pass
/// over a JSON document reads the fields of every JSON format at once; the JSON dispatcher
/// hands each reader only its own, so that no reader depends on the dispatcher.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    /// `serialNumber`.
    pub(crate) serial_number: Text<'a>,
    /// `metadata`.
    pub(crate) metadata: Obj<Metadata<'a>>,
    /// `components`.
    pub(crate) components: List<Obj<ParsedComponent>>,
    /// `dependencies`.
    pub(crate) dependencies: List<Obj<CdxDependency<'a>>>,
    /// `services`.
    pub(crate) services: List<Obj<Service<'a>>>,
}

/// Reads a CycloneDX JSON document from its top-level fields.
pub(crate) fn read(
    document: Document<'_>,
    version: &Version,
    mut warnings: Vec<Warning>,
) -> ReadOutcome {
    let mut assembly = Assembly::default();
    assembly.reserve(document.components.items.len() + 1);
    assembly.warnings_mut().append(&mut warnings);
    let mut header = Header {
        spec_version: version.as_str().to_string(),
        serial_number: document.serial_number.owned(),
        ..Header::default()
    };
    if let Some(found) = document.metadata.problem() {
        assembly.warn(
            "metadata",
            None,
            format!("expected an object, found {found}; ignored"),
        );
    }
    if let Obj::Value(metadata) = document.metadata {
        header.created = metadata.timestamp.owned();
        for author in &metadata.authors.items {
            header.author(author.get().and_then(Entity::label));
        }
        for entity in [
            &metadata.manufacturer,
            &metadata.manufacture,
            &metadata.supplier,
        ] {
            header.author(entity.get().and_then(|entity| entity.name.owned()));
        }
        if let Some(tools) = metadata.tools {
            header.tools = tools.labels;
        }
        match metadata.component {
            Obj::Value(subject) => {
                let added = add(&mut assembly, subject, "metadata.component", None);
                assembly.set_subject(added.index());
            }
            Obj::Missing => {}
            Obj::Invalid(found) => assembly.warn(
                "metadata.component",
                None,
                format!("expected an object, found {found}; the SBOM has no subject"),
            ),
        }
    }
    if let Some(found) = document.components.invalid {
        assembly.warn(
            "components",
            None,
            format!("expected an array, found {found}; no components read"),
        );
    }
    add_all(&mut assembly, document.components, "components", None);
    let mut dependencies = Vec::with_capacity(document.dependencies.items.len());
    for (index, dependency) in document.dependencies.items.iter().enumerate() {
        let Some(dependency) = dependency.get() else {
            continue;
        };
        let Some(from) = dependency.reference.get() else {
            assembly.warn(
                format!("dependencies[{index}]"),
                None,
                "a dependency without `ref`; ignored",
            );
            continue;
        };
        dependencies.push(RawDependency {
            location: DependencyLocation::Json(index),
            from,
            to: dependency
                .depends_on
                .items
                .iter()
                .filter_map(Text::get)
                .collect(),
        });
    }
    let mut services = HashSet::new();
    service_references(&document.services, &mut services);
    super::finish(header, Encoding::Json, assembly, &dependencies, &services)
}

fn add_all(
    assembly: &mut Assembly,
    components: List<Obj<ParsedComponent>>,
    path: &str,
    parent: Option<usize>,
) {
    for (index, item) in components.items.into_iter().enumerate() {
        let location = format!("{path}[{index}]");
        match item {
            Obj::Value(component) => {
                add(assembly, component, &location, parent);
            }
            Obj::Missing => {}
            Obj::Invalid(found) => assembly.warn(
                location,
                None,
                format!("expected a component object, found {found}; skipped"),
            ),
        }
    }
}

fn add(
    assembly: &mut Assembly,
    parsed: ParsedComponent,
    location: &str,
    parent: Option<usize>,
) -> Added {
    let ParsedComponent {
        mut component,
        problems,
        children,
    } = parsed;
    for (field, message) in problems {
        let reference = Some(component.reference.as_str()).filter(|r| !r.is_empty());
        let at = if field.is_empty() {
            location.to_string()
        } else {
            format!("{location}.{field}")
        };
        assembly.warn(at, reference, message);
    }
    component.parent = parent;
    let reference = children
        .invalid
        .map(|found| (found, component.reference.clone()));
    let added = assembly.add(component, location);
    if let Some((found, reference)) = reference {
        assembly.warn(
            format!("{location}.components"),
            Some(reference.as_str()).filter(|r| !r.is_empty()),
            format!("expected an array, found {found}; no nested components read"),
        );
    }
    if !children.items.is_empty() {
        add_all(
            assembly,
            children,
            &format!("{location}.components"),
            Some(added.index()),
        );
    }
    added
}

/// Converts one component's fields, noting each malformed one.
fn convert(raw: CdxComponent<'_>) -> ParsedComponent {
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut warn = |field: &str, message: String| problems.push((field.to_string(), message));
    if let Some(key) = raw.duplicate {
        warn(
            "",
            format!("the key {key:?} appears twice; its last value is used"),
        );
    }
    for (field, text) in [
        ("bom-ref", &raw.bom_ref),
        ("type", &raw.kind),
        ("name", &raw.name),
        ("group", &raw.group),
        ("version", &raw.version),
        ("purl", &raw.purl),
        ("cpe", &raw.cpe),
        ("publisher", &raw.publisher),
        ("author", &raw.author),
        ("scope", &raw.scope),
    ] {
        if let Some(message) = field_problem(text) {
            warn(field, message);
        }
    }
    let component_name = raw.name.get().unwrap_or_default();
    let mut component = Component::new(raw.bom_ref.get().unwrap_or_default(), component_name);
    if component.name.is_empty() {
        warn("name", "the component has no name".to_string());
    }
    // The label names the component in messages; most components have none.
    let label = || normalize::component_label(component_name, raw.version.get());
    if let Some(kind) = raw.kind.get() {
        component.kind = ComponentKind::parse(kind);
    }
    component.group = raw.group.owned();
    component.version = raw.version.owned();
    if let Some(purl) = raw.purl.get() {
        match normalize::purl(purl) {
            Ok(purl) => component.purl = Some(purl),
            Err(message) => warn("purl", format!("{}: {message}", label())),
        }
    }
    if let Some(cpe) = raw.cpe.get() {
        match normalize::cpe(cpe) {
            Ok(cpe) => component.cpes.push(cpe),
            Err(message) => warn("cpe", format!("{}: {message}", label())),
        }
    }
    component.swid = raw.swid.get().and_then(|swid| swid.tag_id.owned());
    component.supplier = raw
        .supplier
        .get()
        .and_then(Entity::label)
        .or_else(|| raw.publisher.owned());
    let authors: Vec<String> = raw
        .authors
        .items
        .iter()
        .filter_map(|author| author.get().and_then(Entity::label))
        .collect();
    component.author = if authors.is_empty() {
        raw.author.owned()
    } else {
        Some(authors.join(", "))
    };
    for (index, hash) in raw.hashes.items.iter().enumerate() {
        let Some(hash) = hash.get() else { continue };
        match normalize::hash(
            hash.alg.get().unwrap_or_default(),
            hash.content.get().unwrap_or_default(),
        ) {
            Ok(hash) => component.hashes.push(hash),
            Err(message) => warn(
                &format!("hashes[{index}]"),
                format!("{}: {message}", label()),
            ),
        }
    }
    let mut licenses = Licenses::default();
    for (index, choice) in raw.licenses.items.iter().enumerate() {
        let Some(choice) = choice.get() else { continue };
        if let Some(license) = choice.license.get() {
            if let Some(id) = license.id.get() {
                licenses.id(id);
            } else if let Some(name) = license.name.get() {
                licenses.name(name);
            }
        }
        if let Some(expression) = choice.expression.get()
            && let Some(message) = licenses.expression(expression)
        {
            warn(
                &format!("licenses[{index}].expression"),
                format!("{}: {message}", label()),
            );
        }
    }
    component.licenses = licenses.finish();
    if let Some(scope) = raw.scope.get() {
        component.scope = super::scope(scope);
        if component.scope.is_none() {
            warn(
                "scope",
                format!(
                    "{}: unknown scope {scope:?} (expected required, optional or excluded); ignored",
                    label()
                ),
            );
        }
    }
    for (index, property) in raw.properties.items.iter().enumerate() {
        let Some(property) = property.get() else {
            continue;
        };
        let (Some(name), Some(value)) = (property.name.get(), property.value.get()) else {
            continue;
        };
        support::apply(&mut component, name, value, |message| {
            warn(
                &format!("properties[{index}]"),
                format!("{}: {message}", label()),
            );
        });
    }
    ParsedComponent {
        component,
        problems,
        children: raw.components,
    }
}
