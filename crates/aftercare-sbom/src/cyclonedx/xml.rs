//! CycloneDX XML (1.0–1.6, namespace `http://cyclonedx.org/schema/bom/1.x`), read with
//! roxmltree. Locations in warnings are the line of the offending element.

use roxmltree::{Document, Node};

use super::{DependencyLocation, Header, RawDependency, Version, known};
use crate::assemble::{Added, Assembly};
use crate::error::MAX_XML_DEPTH;
use crate::error::SbomError;
use crate::input::LineIndex;
use crate::model::{Component, ComponentKind, Encoding, ReadOutcome};
use crate::normalize::{self, Licenses};
use crate::support;

/// The namespace prefix of every CycloneDX version.
const NAMESPACE: &str = "http://cyclonedx.org/schema/bom/";

/// Reads a CycloneDX XML document.
pub(crate) fn read(file: &str, text: &str) -> Result<ReadOutcome, SbomError> {
    if let Some(offset) = too_deep(text.as_bytes(), MAX_XML_DEPTH) {
        return Err(SbomError::TooDeep {
            file: file.to_string(),
            line: crate::input::line_of(text.as_bytes(), offset),
            limit: MAX_XML_DEPTH,
        });
    }
    let document = Document::parse(text).map_err(|error| {
        let position = error.pos();
        // roxmltree ends its message with the position, which the error carries already.
        let message = error.to_string();
        let suffix = format!(" at {}:{}", position.row, position.col);
        SbomError::Syntax {
            file: file.to_string(),
            syntax: "XML",
            line: position.row as usize,
            column: position.col as usize,
            message: message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string(),
        }
    })?;
    let root = document.root_element();
    let namespace = root.tag_name().namespace().unwrap_or_default();
    let Some(declared) = namespace.strip_prefix(NAMESPACE) else {
        return Err(SbomError::Unrecognized {
            file: file.to_string(),
            found: format!(
                "XML whose root element is <{}> in namespace {:?}; CycloneDX XML uses {NAMESPACE}1.x",
                root.tag_name().name(),
                namespace
            ),
        });
    };
    let version = super::version(declared).ok_or_else(|| SbomError::UnsupportedVersion {
        file: file.to_string(),
        format: "CycloneDX XML",
        version: declared.to_string(),
    })?;
    let reader = Reader {
        lines: LineIndex::new(text),
        namespace,
    };
    let mut assembly = Assembly::default();
    if root.tag_name().name() != "bom" {
        assembly.warn(
            reader.location(root),
            None,
            format!(
                "the root element is <{}>, not <bom>; read as a BOM",
                root.tag_name().name()
            ),
        );
    }
    if let Version::Newer(newer) = &version {
        let unknown = reader.unknown_fields(root);
        assembly.warn("bom", None, super::newer_version_message(newer, &unknown));
    }
    let mut header = Header {
        spec_version: version.as_str().to_string(),
        serial_number: root.attribute("serialNumber").map(str::to_string),
        ..Header::default()
    };
    if let Some(metadata) = reader.child(root, "metadata") {
        header.created = reader.child_text(metadata, "timestamp");
        if let Some(authors) = reader.child(metadata, "authors") {
            for author in reader.children(authors, "author") {
                header.author(reader.entity_label(author));
            }
        }
        for entity in ["manufacturer", "manufacture", "supplier"] {
            if let Some(node) = reader.child(metadata, entity) {
                header.author(reader.child_text(node, "name"));
            }
        }
        if let Some(tools) = reader.child(metadata, "tools") {
            header.tools = reader.tools(tools);
        }
        if let Some(subject) = reader.child(metadata, "component") {
            let added = reader.add(&mut assembly, subject, None);
            assembly.set_subject(added.index());
        }
    }
    if let Some(components) = reader.child(root, "components") {
        for component in reader.children(components, "component") {
            reader.add(&mut assembly, component, None);
        }
    }
    let mut dependencies = Vec::new();
    if let Some(list) = reader.child(root, "dependencies") {
        for dependency in reader.children(list, "dependency") {
            let Some(from) = dependency
                .attribute("ref")
                .map(str::trim)
                .filter(|r| !r.is_empty())
            else {
                assembly.warn(
                    reader.location(dependency),
                    None,
                    "a dependency without `ref`; ignored",
                );
                continue;
            };
            let to = reader
                .children(dependency, "dependency")
                .filter_map(|inner| inner.attribute("ref"))
                .map(str::trim)
                .filter(|reference| !reference.is_empty())
                .collect();
            dependencies.push(RawDependency {
                location: DependencyLocation::Xml(reader.lines.line(dependency.range().start)),
                from,
                to,
            });
        }
    }
    let mut services = std::collections::HashSet::new();
    let mut lists: Vec<Node> = reader.child(root, "services").into_iter().collect();
    while let Some(list) = lists.pop() {
        for service in reader.children(list, "service") {
            if let Some(reference) = service.attribute("bom-ref") {
                services.insert(reference.trim().to_string());
            }
            lists.extend(reader.child(service, "services"));
        }
    }
    Ok(super::finish(
        header,
        Encoding::Xml,
        assembly,
        &dependencies,
        &services,
    ))
}

struct Reader<'a> {
    lines: LineIndex,
    namespace: &'a str,
}

impl<'a, 'input> Reader<'a> {
    fn is(&self, node: &Node<'a, 'input>, name: &str) -> bool {
        node.is_element()
            && node.tag_name().name() == name
            && node.tag_name().namespace().unwrap_or_default() == self.namespace
    }

    fn child(&self, node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
        node.children().find(|child| self.is(child, name))
    }

    fn children(
        &self,
        node: Node<'a, 'input>,
        name: &'a str,
    ) -> impl Iterator<Item = Node<'a, 'input>> + use<'a, 'input, '_> {
        node.children().filter(move |child| self.is(child, name))
    }

    fn child_text(&self, node: Node<'a, 'input>, name: &str) -> Option<String> {
        self.child(node, name).and_then(text)
    }

    fn location(&self, node: Node<'a, 'input>) -> String {
        format!("line {}", self.lines.line(node.range().start))
    }

    /// The name of an organizational entity or contact, else its e-mail, else its URL.
    fn entity_label(&self, node: Node<'a, 'input>) -> Option<String> {
        self.child_text(node, "name")
            .or_else(|| self.child_text(node, "email"))
            .or_else(|| self.child_text(node, "url"))
    }

    fn tools(&self, tools: Node<'a, 'input>) -> Vec<String> {
        let mut labels = Vec::new();
        // Up to 1.4: <tool> elements; from 1.5: <components> and <services>.
        for tool in self.children(tools, "tool") {
            labels.extend(super::tool_label(
                self.child_text(tool, "vendor").as_deref(),
                self.child_text(tool, "name").as_deref(),
                self.child_text(tool, "version").as_deref(),
            ));
        }
        for (list, item) in [("components", "component"), ("services", "service")] {
            if let Some(list) = self.child(tools, list) {
                for tool in self.children(list, item) {
                    let vendor = self.child_text(tool, "group").or_else(|| {
                        self.child(tool, "provider")
                            .and_then(|p| self.entity_label(p))
                    });
                    labels.extend(super::tool_label(
                        vendor.as_deref(),
                        self.child_text(tool, "name").as_deref(),
                        self.child_text(tool, "version").as_deref(),
                    ));
                }
            }
        }
        labels
    }

    fn add(&self, assembly: &mut Assembly, node: Node<'a, 'input>, parent: Option<usize>) -> Added {
        let location = self.location(node);
        let mut component = self.convert(assembly, node);
        component.parent = parent;
        let added = assembly.add(component, &location);
        if let Some(nested) = self.child(node, "components") {
            for child in self.children(nested, "component") {
                self.add(assembly, child, Some(added.index()));
            }
        }
        added
    }

    fn convert(&self, assembly: &mut Assembly, node: Node<'a, 'input>) -> Component {
        let reference = node
            .attribute("bom-ref")
            .map(str::trim)
            .filter(|reference| !reference.is_empty());
        let mut warn = |at: Node<'a, 'input>, message: String| {
            assembly.warn(self.location(at), reference, message);
        };
        let name = self.child_text(node, "name").unwrap_or_default();
        let mut component = Component::new(reference.unwrap_or_default(), name);
        if component.name.is_empty() {
            warn(node, "the component has no name".to_string());
        }
        component.version = self.child_text(node, "version");
        let label = normalize::component_label(&component.name, component.version.as_deref());
        if let Some(kind) = node.attribute("type") {
            component.kind = ComponentKind::parse(kind);
        }
        component.group = self.child_text(node, "group");
        if let Some(purl) = self.child(node, "purl")
            && let Some(raw) = text(purl)
        {
            match normalize::purl(&raw) {
                Ok(purl) => component.purl = Some(purl),
                Err(message) => warn(purl, format!("{label}: {message}")),
            }
        }
        if let Some(cpe) = self.child(node, "cpe")
            && let Some(raw) = text(cpe)
        {
            match normalize::cpe(&raw) {
                Ok(cpe) => component.cpes.push(cpe),
                Err(message) => warn(cpe, format!("{label}: {message}")),
            }
        }
        component.swid = self
            .child(node, "swid")
            .and_then(|swid| swid.attribute("tagId"))
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_string);
        component.supplier = self
            .child(node, "supplier")
            .and_then(|supplier| self.entity_label(supplier))
            .or_else(|| self.child_text(node, "publisher"));
        let authors: Vec<String> = self
            .child(node, "authors")
            .map(|authors| {
                self.children(authors, "author")
                    .filter_map(|author| self.entity_label(author))
                    .collect()
            })
            .unwrap_or_default();
        component.author = if authors.is_empty() {
            self.child_text(node, "author")
        } else {
            Some(authors.join(", "))
        };
        if let Some(hashes) = self.child(node, "hashes") {
            for hash in self.children(hashes, "hash") {
                let algorithm = hash.attribute("alg").unwrap_or_default();
                match normalize::hash(algorithm, &text(hash).unwrap_or_default()) {
                    Ok(value) => component.hashes.push(value),
                    Err(message) => warn(hash, format!("{label}: {message}")),
                }
            }
        }
        if let Some(list) = self.child(node, "licenses") {
            let mut licenses = Licenses::default();
            for choice in list.children().filter(Node::is_element) {
                if self.is(&choice, "license") {
                    if let Some(id) = self.child_text(choice, "id") {
                        licenses.id(&id);
                    } else if let Some(name) = self.child_text(choice, "name") {
                        licenses.name(&name);
                    }
                } else if self.is(&choice, "expression")
                    && let Some(expression) = text(choice)
                    && let Some(message) = licenses.expression(&expression)
                {
                    warn(choice, format!("{label}: {message}"));
                }
            }
            component.licenses = licenses.finish();
        }
        if let Some(scope) = self.child(node, "scope")
            && let Some(raw) = text(scope)
        {
            component.scope = super::scope(&raw);
            if component.scope.is_none() {
                warn(
                    scope,
                    format!(
                        "{label}: unknown scope {raw:?} (expected required, optional or excluded); ignored"
                    ),
                );
            }
        }
        if let Some(properties) = self.child(node, "properties") {
            for property in self.children(properties, "property") {
                let (Some(name), Some(value)) = (property.attribute("name"), text(property)) else {
                    continue;
                };
                support::apply(&mut component, name, &value, |message| {
                    warn(property, format!("{label}: {message}"));
                });
            }
        }
        component
    }

    /// The elements of a document that 1.6 does not define, as paths.
    fn unknown_fields(&self, root: Node<'a, 'input>) -> Vec<String> {
        let mut unknown = std::collections::BTreeSet::new();
        let mut check = |node: Node<'a, 'input>, known: &[&str], path: &str| {
            for child in node.children().filter(Node::is_element) {
                let name = child.tag_name().name();
                let ours = child.tag_name().namespace().unwrap_or_default() == self.namespace;
                if ours && !known.contains(&name) {
                    unknown.insert(format!("{path}{name}"));
                }
            }
        };
        check(root, known::BOM, "");
        let mut components = Vec::new();
        if let Some(metadata) = self.child(root, "metadata") {
            check(metadata, known::METADATA, "metadata.");
            if let Some(subject) = self.child(metadata, "component") {
                components.push((subject, "metadata.component.".to_string()));
            }
        }
        if let Some(list) = self.child(root, "components") {
            for component in self.children(list, "component") {
                components.push((component, "components[].".to_string()));
            }
        }
        while let Some((component, path)) = components.pop() {
            check(component, known::COMPONENT, &path);
            if let Some(list) = self.child(component, "components") {
                for child in self.children(list, "component") {
                    components.push((child, format!("{path}components[].")));
                }
            }
        }
        if let Some(list) = self.child(root, "dependencies") {
            for dependency in self.children(list, "dependency") {
                check(dependency, &["dependency", "provides"], "dependencies[].");
            }
        }
        unknown.into_iter().collect()
    }
}

/// The byte offset where element nesting first exceeds `limit`, found by a scan that only
/// tells tags apart from comments, CDATA, processing instructions, declarations and quoted
/// attribute values. Malformed XML that fools it is refused by roxmltree anyway.
fn too_deep(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0_usize;
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + found;
        let rest = &bytes[start..];
        let skip_to = |end: &[u8]| memchr::memmem::find(rest, end).map(|i| start + i + end.len());
        if rest.starts_with(b"<!--") {
            at = skip_to(b"-->")?;
        } else if rest.starts_with(b"<![CDATA[") {
            at = skip_to(b"]]>")?;
        } else if rest.starts_with(b"<?") {
            at = skip_to(b"?>")?;
        } else if rest.starts_with(b"<!") {
            at = skip_to(b">")?;
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            at = skip_to(b">")?;
        } else {
            // A start tag: find its end outside quoted attribute values.
            let mut quote = None;
            let mut end = None;
            for (index, byte) in rest.iter().enumerate().skip(1) {
                match (quote, *byte) {
                    (Some(open), byte) if byte == open => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(*byte),
                    (None, b'>') => {
                        end = Some(index);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end?;
            if rest[end - 1] != b'/' {
                depth += 1;
                if depth > limit {
                    return Some(start);
                }
            }
            at = start + end + 1;
        }
    }
    None
}

/// The trimmed text content of an element (text and CDATA children), if not empty.
fn text(node: Node<'_, '_>) -> Option<String> {
    let mut out = String::new();
    for child in node.children().filter(Node::is_text) {
        out.push_str(child.text().unwrap_or_default());
    }
    let trimmed = out.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_depth(xml: &str, limit: usize, expected: Option<usize>) {
        assert_eq!(too_deep(xml.as_bytes(), limit), expected, "{xml}");
    }

    #[test]
    fn nesting_depth() {
        check_depth("<a><b><c/></b></a>", 2, None);
        check_depth("<a><b><c></c></b></a>", 2, Some(6));
        check_depth("<a><!-- <b><c><d> --><b x='>'/></a>", 1, None);
        check_depth(
            "<?xml version='1.0'?><!DOCTYPE a><a><![CDATA[<b><c>]]></a>",
            1,
            None,
        );
        check_depth("<a><b attribute=\"a>b\"><c/></b></a>", 2, None);
        check_depth("<a><b></b><b></b><b></b></a>", 2, None);
    }
}
