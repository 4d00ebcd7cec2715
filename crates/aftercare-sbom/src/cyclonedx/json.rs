//! CycloneDX JSON (1.2–1.6): lenient typed structs and their conversion to components.

use serde::Deserialize;

use super::{Header, RawDependency, Version};
use crate::assemble::{Added, Assembly};
use crate::json::{JsonDocument, field_problem, item_failure};
use crate::lenient::{Item, List, Obj, Text};
use crate::model::{Component, ComponentKind, Encoding, ReadOutcome};
use crate::normalize::{self, Licenses};
use crate::support;

/// `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Metadata<'a> {
    #[serde(borrow)]
    timestamp: Text<'a>,
    #[serde(borrow)]
    authors: List<Obj<Entity<'a>>>,
    #[serde(borrow)]
    tools: Tools<'a>,
    #[serde(borrow)]
    component: Item<'a, CdxComponent<'a>>,
    #[serde(borrow)]
    manufacture: Obj<Entity<'a>>,
    #[serde(borrow)]
    manufacturer: Obj<Entity<'a>>,
    #[serde(borrow)]
    supplier: Obj<Entity<'a>>,
}

/// An organizational entity or contact (`supplier`, `manufacturer`, an author).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Entity<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    email: Text<'a>,
    #[serde(borrow)]
    url: List<Text<'a>>,
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
/// `services` (1.5 and later); both read into one list.
#[derive(Debug, Default)]
pub(crate) struct Tools<'a> {
    labels: Vec<Option<String>>,
    _borrowed: std::marker::PhantomData<&'a ()>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Tool<'a> {
    #[serde(borrow)]
    vendor: Text<'a>,
    #[serde(borrow)]
    group: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
    #[serde(borrow)]
    provider: Obj<Entity<'a>>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ToolsObject<'a> {
    #[serde(borrow)]
    components: List<Obj<Tool<'a>>>,
    #[serde(borrow)]
    services: List<Obj<Tool<'a>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Tools<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Tools<'a>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape<'a> {
            Legacy(#[serde(borrow)] Vec<Obj<Tool<'a>>>),
            Modern(#[serde(borrow)] ToolsObject<'a>),
            Other(serde::de::IgnoredAny),
        }
        let labels = match Shape::deserialize(deserializer)? {
            Shape::Legacy(tools) => tools
                .iter()
                .map(|tool| tool.get().and_then(Tool::label))
                .collect(),
            Shape::Modern(object) => object
                .components
                .items
                .iter()
                .chain(object.services.items.iter())
                .map(|tool| tool.get().and_then(Tool::label))
                .collect(),
            Shape::Other(_) => Vec::new(),
        };
        Ok(Tools {
            labels,
            _borrowed: std::marker::PhantomData,
        })
    }
}

/// A component.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CdxComponent<'a> {
    #[serde(rename = "bom-ref", borrow)]
    bom_ref: Text<'a>,
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    group: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
    #[serde(borrow)]
    purl: Text<'a>,
    #[serde(borrow)]
    cpe: Text<'a>,
    #[serde(borrow)]
    swid: Obj<Swid<'a>>,
    #[serde(borrow)]
    supplier: Obj<Entity<'a>>,
    #[serde(borrow)]
    publisher: Text<'a>,
    #[serde(borrow)]
    author: Text<'a>,
    #[serde(borrow)]
    authors: List<Obj<Entity<'a>>>,
    #[serde(borrow)]
    hashes: List<Obj<CdxHash<'a>>>,
    #[serde(borrow)]
    licenses: List<Obj<LicenseChoice<'a>>>,
    #[serde(borrow)]
    scope: Text<'a>,
    #[serde(borrow)]
    properties: List<Obj<Property<'a>>>,
    #[serde(borrow)]
    components: List<Item<'a, CdxComponent<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Swid<'a> {
    #[serde(rename = "tagId", borrow)]
    tag_id: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CdxHash<'a> {
    #[serde(borrow)]
    alg: Text<'a>,
    #[serde(borrow)]
    content: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LicenseChoice<'a> {
    #[serde(borrow)]
    license: Obj<License<'a>>,
    #[serde(borrow)]
    expression: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct License<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Property<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    value: Text<'a>,
}

/// A service: only its reference matters (dependencies may name it), and the services
/// nested in it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Service<'a> {
    #[serde(rename = "bom-ref", borrow)]
    bom_ref: Text<'a>,
    #[serde(borrow)]
    services: List<Obj<Service<'a>>>,
}

fn service_references(
    services: &List<Obj<Service<'_>>>,
    into: &mut std::collections::HashSet<String>,
) {
    for service in services.items.iter().filter_map(Obj::get) {
        if let Some(reference) = service.bom_ref.owned() {
            into.insert(reference);
        }
        service_references(&service.services, into);
    }
}

/// A `dependencies` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CdxDependency<'a> {
    #[serde(rename = "ref", borrow)]
    reference: Text<'a>,
    #[serde(rename = "dependsOn", borrow)]
    depends_on: List<Text<'a>>,
}

/// Reads a CycloneDX JSON document already parsed into the shared JSON document.
pub(crate) fn read(
    document: &JsonDocument<'_>,
    bytes: &[u8],
    version: &Version,
    mut warnings: Vec<crate::model::Warning>,
) -> ReadOutcome {
    let mut assembly = Assembly::default();
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
    if let Some(metadata) = document.metadata.get() {
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
        header.tools = metadata.tools.labels.iter().flatten().cloned().collect();
        match &metadata.component {
            Item::Read(Obj::Value(subject)) => {
                let added = add(&mut assembly, subject, "metadata.component", None, bytes);
                assembly.set_subject(added.index());
            }
            Item::Read(Obj::Missing) => {}
            Item::Read(Obj::Invalid(found)) => assembly.warn(
                "metadata.component",
                None,
                format!("expected an object, found {found}; the SBOM has no subject"),
            ),
            Item::Failed(raw, error) => {
                let message = item_failure(bytes, raw, error, "the SBOM has no subject");
                assembly.warn("metadata.component", None, message);
            }
        }
    }
    if let Some(found) = document.components.invalid {
        assembly.warn(
            "components",
            None,
            format!("expected an array, found {found}; no components read"),
        );
    }
    add_all(
        &mut assembly,
        &document.components,
        "components",
        None,
        bytes,
    );
    let mut dependencies = Vec::with_capacity(document.dependencies.items.len());
    for (index, dependency) in document.dependencies.items.iter().enumerate() {
        let location = format!("dependencies[{index}]");
        let Some(dependency) = dependency.get() else {
            continue;
        };
        let Some(from) = dependency.reference.owned() else {
            assembly.warn(location, None, "a dependency without `ref`; ignored");
            continue;
        };
        dependencies.push(RawDependency {
            location,
            from,
            to: dependency
                .depends_on
                .items
                .iter()
                .filter_map(Text::owned)
                .collect(),
        });
    }
    let mut services = std::collections::HashSet::new();
    service_references(&document.services, &mut services);
    super::finish(header, Encoding::Json, assembly, &dependencies, &services)
}

fn add_all(
    assembly: &mut Assembly,
    components: &List<Item<'_, CdxComponent<'_>>>,
    path: &str,
    parent: Option<usize>,
    bytes: &[u8],
) {
    for (index, item) in components.items.iter().enumerate() {
        let location = format!("{path}[{index}]");
        match item {
            Item::Read(Obj::Value(component)) => {
                add(assembly, component, &location, parent, bytes);
            }
            Item::Read(Obj::Missing) => {}
            Item::Read(Obj::Invalid(found)) => assembly.warn(
                location,
                None,
                format!("expected a component object, found {found}; skipped"),
            ),
            Item::Failed(raw, error) => {
                let message = item_failure(bytes, raw, error, "this component is skipped");
                assembly.warn(location, None, message);
            }
        }
    }
}

fn add(
    assembly: &mut Assembly,
    raw: &CdxComponent<'_>,
    location: &str,
    parent: Option<usize>,
    bytes: &[u8],
) -> Added {
    let mut component = convert(assembly, raw, location);
    component.parent = parent;
    let added = assembly.add(component, location);
    if let Some(found) = raw.components.invalid {
        assembly.warn(
            format!("{location}.components"),
            raw.bom_ref.get(),
            format!("expected an array, found {found}; no nested components read"),
        );
    }
    add_all(
        assembly,
        &raw.components,
        &format!("{location}.components"),
        Some(added.index()),
        bytes,
    );
    added
}

/// Converts one component's fields, warning about each that is malformed.
fn convert(assembly: &mut Assembly, raw: &CdxComponent<'_>, location: &str) -> Component {
    let reference = raw.bom_ref.get();
    let mut warn = |field: &str, message: String| {
        assembly.warn(format!("{location}.{field}"), reference, message);
    };
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
    let name = raw.name.owned().unwrap_or_default();
    let mut component = Component::new(reference.unwrap_or_default(), name);
    if component.name.is_empty() {
        warn("name", "the component has no name".to_string());
    }
    let label = component_label(&component.name, raw.version.get());
    if let Some(kind) = raw.kind.get() {
        component.kind = ComponentKind::parse(kind);
    }
    component.group = raw.group.owned();
    component.version = raw.version.owned();
    if let Some(purl) = raw.purl.get() {
        match normalize::purl(purl) {
            Ok(purl) => component.purl = Some(purl),
            Err(message) => warn("purl", format!("{label}: {message}")),
        }
    }
    if let Some(cpe) = raw.cpe.get() {
        match normalize::cpe(cpe) {
            Ok(cpe) => component.cpes.push(cpe),
            Err(message) => warn("cpe", format!("{label}: {message}")),
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
            Err(message) => warn(&format!("hashes[{index}]"), format!("{label}: {message}")),
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
                format!("{label}: {message}"),
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
                    "{label}: unknown scope {scope:?} (expected required, optional or excluded); ignored"
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
                format!("{label}: {message}"),
            );
        });
    }
    component
}

/// `name version` for messages.
pub(crate) fn component_label(name: &str, version: Option<&str>) -> String {
    match version {
        Some(version) => format!("component {name:?} {version}"),
        None => format!("component {name:?}"),
    }
}
