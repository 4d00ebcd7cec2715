//! JSON documents: one lenient pass reads the fields of every JSON format at once
//! (CycloneDX, SPDX 2.x, the SPDX 3.0 JSON-LD envelope), then the keys present decide the
//! format. One pass, because SPDX writers sort keys and `spdxVersion` often comes last,
//! after megabytes of packages: probing for it first would read the document twice.
//!
//! This module sits above the format readers: it hands each reader only its own top-level
//! fields (`cyclonedx::json::Document`, `spdx::json::Document`), and no reader imports it.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cyclonedx::{self, Version};
use crate::error::{SbomError, json_message};
use crate::lenient::{List, Obj, Text, lenient_struct};
use crate::model::{ReadOutcome, Warning};
use crate::spdx;

lenient_struct! {
    /// The top-level fields of every supported JSON format.
    struct JsonDocument<'a> {
        // CycloneDX.
        "bomFormat" => bom_format: Text<'a>,
        "specVersion" => spec_version: Text<'a>,
        "serialNumber" => serial_number: Text<'a>,
        "metadata" => metadata: Obj<cyclonedx::json::Metadata<'a>>,
        "components" => components: List<Obj<cyclonedx::json::ParsedComponent>>,
        "dependencies" => dependencies: List<Obj<cyclonedx::json::CdxDependency<'a>>>,
        "services" => services: List<Obj<cyclonedx::json::Service<'a>>>,
        // SPDX 2.x.
        "spdxVersion" => spdx_version: Text<'a>,
        "SPDXID" => spdx_id: Text<'a>,
        "name" => name: Text<'a>,
        "documentNamespace" => document_namespace: Text<'a>,
        "creationInfo" => creation_info: Obj<spdx::json::CreationInfo<'a>>,
        "documentDescribes" => document_describes: List<Text<'a>>,
        "packages" => packages: List<Obj<spdx::json::Package<'a>>>,
        "files" => files: List<Obj<spdx::json::Element<'a>>>,
        "snippets" => snippets: List<Obj<spdx::json::Element<'a>>>,
        "relationships" => relationships: List<Obj<spdx::json::Relationship<'a>>>,
        // SPDX 3.0 JSON-LD: only the envelope; the graph is read by its own reader.
        "@context" => context: Option<&'a RawValue>,
        "@graph" => graph: Option<&'a RawValue>,
    }
}

impl<'a> JsonDocument<'a> {
    /// The fields the CycloneDX reader reads.
    fn cyclonedx(self) -> cyclonedx::json::Document<'a> {
        cyclonedx::json::Document {
            serial_number: self.serial_number,
            metadata: self.metadata,
            components: self.components,
            dependencies: self.dependencies,
            services: self.services,
        }
    }

    /// The fields the SPDX 2.x reader reads.
    fn spdx(self) -> spdx::json::Document<'a> {
        spdx::json::Document {
            spdx_id: self.spdx_id,
            name: self.name,
            document_namespace: self.document_namespace,
            creation_info: self.creation_info,
            document_describes: self.document_describes,
            packages: self.packages,
            files: self.files,
            snippets: self.snippets,
            relationships: self.relationships,
        }
    }
}

/// Reads a JSON document of any supported format.
pub(crate) fn read(file: &str, bytes: &[u8]) -> Result<ReadOutcome, SbomError> {
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(SbomError::Unrecognized {
            file: file.to_string(),
            found: "a JSON array; an SBOM is a JSON object".to_string(),
        });
    }
    // Validating UTF-8 once up front is faster than serde_json checking every string of a
    // byte slice on its own.
    let text = crate::input::utf8(file, bytes)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let document = match Obj::<JsonDocument>::deserialize(&mut deserializer) {
        Ok(Obj::Value(document)) => document,
        Ok(_) => {
            return Err(SbomError::Unrecognized {
                file: file.to_string(),
                found: "a JSON value that is not an object".to_string(),
            });
        }
        Err(error) => return Err(SbomError::json(file, &error)),
    };
    let mut warnings = Vec::new();
    // Trailing data after a complete document (a web page's footer pasted after the JSON,
    // as in PowerShell's published SBOMs) does not make the document unreadable: the first
    // document is read, and the rest is reported.
    if let Err(error) = deserializer.end() {
        warnings.push(Warning {
            location: format!("line {}, column {}", error.line(), error.column()),
            reference: None,
            message: format!(
                "data after the end of the JSON document ({}); only the first document is read",
                json_message(&error)
            ),
        });
    }
    dispatch(file, bytes, document, warnings)
}

fn dispatch(
    file: &str,
    bytes: &[u8],
    document: JsonDocument<'_>,
    mut warnings: Vec<Warning>,
) -> Result<ReadOutcome, SbomError> {
    if let Some(format) = document.bom_format.get() {
        if !format.eq_ignore_ascii_case("CycloneDX") {
            return Err(SbomError::Unrecognized {
                file: file.to_string(),
                found: format!("a JSON document with bomFormat {format:?}"),
            });
        }
        return read_cyclonedx(file, bytes, document, warnings);
    }
    if let Some(version) = document.spdx_version.get() {
        let version = spdx::json::version(file, version, &mut warnings)?;
        return Ok(spdx::json::read(document.spdx(), version, warnings));
    }
    if let Some(context) = document.context {
        if context.get().contains("spdx.org/rdf/3") {
            return spdx::v3::read(file, document.graph, warnings);
        }
        return Err(SbomError::Unrecognized {
            file: file.to_string(),
            found: format!("JSON-LD with @context {}", abbreviate(context.get())),
        });
    }
    if document.spec_version.get().is_some() {
        warnings.push(Warning {
            location: "bomFormat".to_string(),
            reference: None,
            message: "bomFormat is missing; read as CycloneDX because specVersion is present"
                .to_string(),
        });
        return read_cyclonedx(file, bytes, document, warnings);
    }
    Err(SbomError::Unrecognized {
        file: file.to_string(),
        found: format!(
            "a JSON object without bomFormat, spdxVersion or @context (keys: {})",
            top_level_keys(bytes)
        ),
    })
}

fn read_cyclonedx(
    file: &str,
    bytes: &[u8],
    document: JsonDocument<'_>,
    mut warnings: Vec<Warning>,
) -> Result<ReadOutcome, SbomError> {
    let declared = document.spec_version.get().unwrap_or_default();
    let version = if declared.is_empty() {
        warnings.push(Warning {
            location: "specVersion".to_string(),
            reference: None,
            message: "specVersion is missing; read with the 1.6 rules".to_string(),
        });
        Version::Known("1.6".to_string())
    } else {
        cyclonedx::version(declared).ok_or_else(|| SbomError::UnsupportedVersion {
            file: file.to_string(),
            format: "CycloneDX JSON",
            version: declared.to_string(),
        })?
    };
    match &version {
        Version::Known(known) if matches!(known.as_str(), "1.0" | "1.1") => {
            warnings.push(Warning {
                location: "specVersion".to_string(),
                reference: None,
                message: format!(
                    "CycloneDX {known} has no JSON encoding (JSON starts with 1.2); read with the 1.2 rules"
                ),
            });
        }
        Version::Known(_) => {}
        Version::Newer(newer) => {
            let unknown = unknown_cyclonedx_fields(bytes);
            warnings.push(Warning {
                location: "specVersion".to_string(),
                reference: None,
                message: cyclonedx::newer_version_message(newer, &unknown),
            });
        }
    }
    Ok(cyclonedx::json::read(
        document.cyclonedx(),
        &version,
        warnings,
    ))
}

/// The fields of a CycloneDX JSON document that 1.6 does not define, as paths
/// (`components[].newField`). Only called for versions newer than 1.6, so the extra pass
/// over a `Value` tree costs nothing for the documents of today.
fn unknown_cyclonedx_fields(bytes: &[u8]) -> Vec<String> {
    use cyclonedx::known;
    use serde_json::Value;

    fn check(value: &Value, known: &[&str], path: &str, unknown: &mut BTreeSet<String>) {
        if let Value::Object(map) = value {
            for key in map.keys() {
                if !known.contains(&key.as_str()) {
                    unknown.insert(format!("{path}{key}"));
                }
            }
        }
    }
    fn components(value: Option<&Value>, path: &str, unknown: &mut BTreeSet<String>) {
        if let Some(Value::Array(items)) = value {
            for item in items {
                check(item, known::COMPONENT, &format!("{path}[]."), unknown);
                components(
                    item.get("components"),
                    &format!("{path}[].components"),
                    unknown,
                );
            }
        }
    }

    let Ok(root) = serde_json::from_slice::<Value>(bytes) else {
        return Vec::new();
    };
    let mut unknown = BTreeSet::new();
    check(&root, known::BOM, "", &mut unknown);
    if let Some(metadata) = root.get("metadata") {
        check(metadata, known::METADATA, "metadata.", &mut unknown);
        if let Some(subject) = metadata.get("component") {
            check(
                subject,
                known::COMPONENT,
                "metadata.component.",
                &mut unknown,
            );
            components(
                subject.get("components"),
                "metadata.component.components",
                &mut unknown,
            );
        }
    }
    components(root.get("components"), "components", &mut unknown);
    if let Some(Value::Array(items)) = root.get("dependencies") {
        for item in items {
            check(item, known::DEPENDENCY, "dependencies[].", &mut unknown);
        }
    }
    unknown.into_iter().collect()
}

/// The first top-level keys of a JSON object, for the message about an unknown document.
fn top_level_keys(bytes: &[u8]) -> String {
    let keys: Vec<String> =
        serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(bytes)
            .map(|map| map.into_keys().take(6).collect())
            .unwrap_or_default();
    if keys.is_empty() {
        "none".to_string()
    } else {
        keys.join(", ")
    }
}

fn abbreviate(text: &str) -> String {
    let mut short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
