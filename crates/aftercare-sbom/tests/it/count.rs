//! An independent count of the components of a raw SBOM, written without the reader: the
//! JSON is walked as `serde_json::Value`, the XML with roxmltree, tag-value line by line.
//!
//! It encodes the same rules the reader documents, from the raw document: every package /
//! (nested) component / `metadata.component` counts once; a later object under a
//! reference already taken counts again unless it is an identical repetition (same name,
//! version and purl, or the subject repeated in the component list).

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;

/// Decompresses gzip, bzip2 and xz by magic bytes (one layer is all the corpus has).
pub fn decompress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
    } else if bytes.starts_with(b"BZh") {
        bzip2::read::BzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out).unwrap();
    } else {
        out = bytes.to_vec();
    }
    out
}

/// Identity of a counted object for the repetition rule.
#[derive(Default)]
struct Seen {
    /// reference → (name, version, purl) of the first object that used it.
    first: HashMap<String, (String, String, String)>,
    subject: Option<String>,
    count: usize,
}

impl Seen {
    /// Counts an object unless it repeats an identical one or the subject.
    fn count(&mut self, reference: Option<&str>, identity: (String, String, String)) {
        if let Some(reference) = reference.filter(|r| !r.trim().is_empty()) {
            let reference = reference.trim().to_string();
            if let Some(first) = self.first.get(&reference) {
                if self.subject.as_ref() == Some(&reference) || *first == identity {
                    return;
                }
                // A different component under a taken reference still counts.
                self.count += 1;
                return;
            }
            self.first.insert(reference, identity);
        }
        self.count += 1;
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The first JSON document of the bytes (a later one, as in PowerShell's SBOM with a web
/// page's footer pasted after it, is not part of it).
pub fn first_json(bytes: &[u8]) -> Value {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap()
}

/// The component count of a CycloneDX JSON document.
pub fn cyclonedx_json(root: &Value) -> usize {
    fn walk(component: &Value, seen: &mut Seen) {
        if !component.is_object() {
            return;
        }
        let purl = text(component, "purl");
        seen.count(
            component.get("bom-ref").and_then(Value::as_str),
            (text(component, "name"), text(component, "version"), purl),
        );
        if let Some(Value::Array(children)) = component.get("components") {
            for child in children {
                walk(child, seen);
            }
        }
    }
    let mut seen = Seen::default();
    if let Some(subject) = root.pointer("/metadata/component") {
        seen.subject = subject
            .get("bom-ref")
            .and_then(Value::as_str)
            .map(str::to_string);
        walk(subject, &mut seen);
    }
    if let Some(Value::Array(components)) = root.get("components") {
        for component in components {
            walk(component, &mut seen);
        }
    }
    seen.count
}

/// The package count of an SPDX 2.x JSON document.
pub fn spdx_json(root: &Value) -> usize {
    let mut seen = Seen::default();
    if let Some(Value::Array(packages)) = root.get("packages") {
        for package in packages {
            let purl = package
                .get("externalRefs")
                .and_then(Value::as_array)
                .and_then(|refs| {
                    refs.iter()
                        .find(|r| text(r, "referenceType") == "purl")
                        .map(|r| text(r, "referenceLocator"))
                })
                .unwrap_or_default();
            let version = text(package, "versionInfo");
            let version = if version == "NOASSERTION" {
                String::new()
            } else {
                version
            };
            seen.count(
                package.get("SPDXID").and_then(Value::as_str),
                (text(package, "name"), version, purl),
            );
        }
    }
    seen.count
}

/// The package count of an SPDX 3.0 JSON-LD document: `software_Package` and its
/// specializations in `@graph`.
pub fn spdx3(root: &Value) -> usize {
    root.get("@graph")
        .and_then(Value::as_array)
        .map(|graph| {
            graph
                .iter()
                .filter(|element| {
                    matches!(
                        element.get("type").and_then(Value::as_str),
                        Some("software_Package" | "ai_AIPackage" | "dataset_DatasetPackage")
                    )
                })
                .count()
        })
        .unwrap_or_default()
}

/// The component count of a CycloneDX XML document.
pub fn cyclonedx_xml(text: &str) -> usize {
    let document = roxmltree::Document::parse(text).unwrap();
    let root = document.root_element();
    let named =
        |node: &roxmltree::Node, name: &str| node.is_element() && node.tag_name().name() == name;
    fn child_text(node: roxmltree::Node, name: &str) -> String {
        node.children()
            .find(|child| child.is_element() && child.tag_name().name() == name)
            .and_then(|child| child.text())
            .unwrap_or_default()
            .trim()
            .to_string()
    }
    fn walk(component: roxmltree::Node, seen: &mut Seen) {
        seen.count(
            component.attribute("bom-ref"),
            (
                child_text(component, "name"),
                child_text(component, "version"),
                child_text(component, "purl"),
            ),
        );
        for list in component
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "components")
        {
            for child in list
                .children()
                .filter(|c| c.is_element() && c.tag_name().name() == "component")
            {
                walk(child, seen);
            }
        }
    }
    let mut seen = Seen::default();
    for metadata in root.children().filter(|c| named(c, "metadata")) {
        for subject in metadata.children().filter(|c| named(c, "component")) {
            seen.subject = subject.attribute("bom-ref").map(str::to_string);
            walk(subject, &mut seen);
        }
    }
    for list in root.children().filter(|c| named(c, "components")) {
        for component in list.children().filter(|c| named(c, "component")) {
            walk(component, &mut seen);
        }
    }
    seen.count
}

/// The package count of an SPDX tag-value document: `PackageName:` lines (lines of any
/// ending), repetitions of a package id with the same name and version not counted again.
pub fn tag_value(text: &str) -> usize {
    let mut seen = Seen::default();
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index].trim();
        if let Some(name) = line.strip_prefix("PackageName:") {
            // The package's own tags run until the next element starts.
            let mut id = None;
            let mut version = String::new();
            let mut purl = String::new();
            let mut next = index + 1;
            while next < lines.len() {
                let tag_line = lines[next].trim();
                if [
                    "PackageName:",
                    "FileName:",
                    "SnippetSPDXID:",
                    "LicenseID:",
                    "Relationship:",
                ]
                .iter()
                .any(|tag| tag_line.starts_with(tag))
                {
                    break;
                }
                if let Some(value) = tag_line.strip_prefix("SPDXID:") {
                    id.get_or_insert(value.trim().to_string());
                } else if let Some(value) = tag_line.strip_prefix("PackageVersion:") {
                    version = value.trim().to_string();
                } else if let Some(value) = tag_line.strip_prefix("ExternalRef:")
                    && value.split_whitespace().nth(1) == Some("purl")
                    && purl.is_empty()
                {
                    purl = value
                        .split_whitespace()
                        .nth(2)
                        .unwrap_or_default()
                        .to_string();
                }
                next += 1;
            }
            seen.count(id.as_deref(), (name.trim().to_string(), version, purl));
            index = next;
        } else {
            index += 1;
        }
    }
    seen.count
}
