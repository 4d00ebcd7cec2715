//! Snapshots of normalized SBOMs, one small real document per reader. Each snapshot was
//! reviewed against its source file by hand; nothing in a reader's output is volatile, so
//! nothing is redacted.
//!
//! The view below prints references instead of indices (`subject`, `parent`, edges) so
//! that a reviewer can check it against the document, and leaves out empty fields.

use aftercare_sbom::{Component, ReadOutcome};
use serde_json::{Map, Value, json};

use crate::read_member;

fn component(component: &Component, all: &[Component]) -> Value {
    let mut out = Map::new();
    let mut put = |key: &str, value: Value| {
        let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
        if !empty {
            out.insert(key.to_string(), value);
        }
    };
    put("reference", json!(component.reference));
    put("kind", json!(component.kind.as_str()));
    put("name", json!(component.name));
    put("group", json!(component.group));
    put("version", json!(component.version));
    put(
        "purl",
        json!(component.purl.as_ref().map(ToString::to_string)),
    );
    put(
        "cpes",
        json!(
            component
                .cpes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ),
    );
    put("swid", json!(component.swid));
    put("supplier", json!(component.supplier));
    put("author", json!(component.author));
    put(
        "hashes",
        json!(
            component
                .hashes
                .iter()
                .map(|hash| format!("{}:{}", hash.algorithm, hash.value))
                .collect::<Vec<_>>()
        ),
    );
    put("licenses", json!(component.licenses));
    put("scope", json!(component.scope.map(|scope| scope.as_str())));
    put("level_of_support", json!(component.level_of_support));
    put("end_of_support", json!(component.end_of_support));
    put(
        "parent",
        json!(component.parent.map(|parent| all[parent].reference.clone())),
    );
    put("direct", json!(component.direct));
    Value::Object(out)
}

fn view(outcome: &ReadOutcome) -> Value {
    let sbom = &outcome.sbom;
    let reference = |index: usize| sbom.components[index].reference.clone();
    json!({
        "format": sbom.format.as_str(),
        "encoding": sbom.encoding.as_str(),
        "spec_version": sbom.spec_version,
        "serial_number": sbom.serial_number,
        "name": sbom.name,
        "created": sbom.created,
        "authors": sbom.authors,
        "tools": sbom.tools,
        "subject": sbom.subject.map(reference),
        "components": sbom.components.iter().map(|c| component(c, &sbom.components)).collect::<Vec<_>>(),
        "dependencies": sbom
            .dependencies
            .iter()
            .map(|edge| format!("{} -> {}", reference(edge.from), reference(edge.to)))
            .collect::<Vec<_>>(),
        "warnings": outcome.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

#[test]
fn cyclonedx_1_6_json() {
    let outcome = read_member(
        "dependency-track-test-boms.zip",
        "apiserver/src/test/resources/unit/cyclonedx/valid-bom-1.6.json",
    );
    insta::assert_json_snapshot!(view(&outcome));
}

#[test]
fn cyclonedx_1_5_xml() {
    let outcome = read_member(
        "dependency-track-test-boms.zip",
        "apiserver/src/test/resources/unit/bom-1.xml",
    );
    insta::assert_json_snapshot!(view(&outcome));
}

#[test]
fn cyclonedx_1_0_xml_nested() {
    let outcome = read_member(
        "dependency-track-test-boms.zip",
        "apiserver/src/test/resources/unit/cyclonedx/valid-bom-1.0.xml",
    );
    insta::assert_json_snapshot!(view(&outcome));
}

#[test]
fn spdx_2_3_json() {
    let outcome = read_member(
        "spdx-examples.zip",
        "software/example11/spdx2.3/sbom.spdx.json",
    );
    insta::assert_json_snapshot!(view(&outcome));
}

#[test]
fn spdx_2_2_tag_value() {
    let outcome = read_member(
        "spdx-examples.zip",
        "software/example4/spdx2.2/example4-bin.spdx",
    );
    insta::assert_json_snapshot!(view(&outcome));
}

#[test]
fn spdx_3_0_json_ld() {
    let outcome = read_member(
        "spdx-examples.zip",
        "software/example11/spdx3.0/sbom.spdx3.json",
    );
    insta::assert_json_snapshot!(view(&outcome));
}
