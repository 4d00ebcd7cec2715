//! SPDX 2.2/2.3 JSON: lenient typed structs, converted into the shared [`Parts`].

use super::{ExternalRef, Package as PackageParts, Parts, Relationship as RelationshipParts};
use crate::lenient::{List, Obj, Text, field_problem, lenient_struct};
use crate::model::{Encoding, ReadOutcome, Warning};

lenient_struct! {
    /// `creationInfo`.
    pub(crate) struct CreationInfo<'a> {
        "created" => created: Text<'a>,
        "creators" => creators: List<Text<'a>>,
    }
}

lenient_struct! {
    /// Any element of which only the id matters (files, snippets).
    pub(crate) struct Element<'a> {
        "SPDXID" => id: Text<'a>,
    }
}

lenient_struct! {
    /// A package.
    pub(crate) struct Package<'a> {
        "SPDXID" => id: Text<'a>,
        "name" => name: Text<'a>,
        "versionInfo" => version_info: Text<'a>,
        "supplier" => supplier: Text<'a>,
        "originator" => originator: Text<'a>,
        "licenseConcluded" => license_concluded: Text<'a>,
        "licenseDeclared" => license_declared: Text<'a>,
        "checksums" => checksums: List<Obj<Checksum<'a>>>,
        "externalRefs" => external_refs: List<Obj<ExternalReference<'a>>>,
        "primaryPackagePurpose" => primary_package_purpose: Text<'a>,
        "annotations" => annotations: List<Obj<Annotation<'a>>>,
    }
}

lenient_struct! {
    pub(crate) struct Checksum<'a> {
        "algorithm" => algorithm: Text<'a>,
        "checksumValue" => checksum_value: Text<'a>,
    }
}

lenient_struct! {
    pub(crate) struct ExternalReference<'a> {
        "referenceType" => reference_type: Text<'a>,
        "referenceLocator" => reference_locator: Text<'a>,
    }
}

lenient_struct! {
    pub(crate) struct Annotation<'a> {
        "comment" => comment: Text<'a>,
    }
}

lenient_struct! {
    /// A relationship.
    pub(crate) struct Relationship<'a> {
        "spdxElementId" => from: Text<'a>,
        "relationshipType" => kind: Text<'a>,
        "relatedSpdxElement" => to: Text<'a>,
    }
}

/// Checks `spdxVersion` (see [`super::check_version`]).
pub(crate) fn version(
    file: &str,
    declared: &str,
    warnings: &mut Vec<Warning>,
) -> Result<String, crate::error::SbomError> {
    super::check_version(file, "SPDX JSON", declared, "spdxVersion", warnings)
}

/// The top-level fields of an SPDX 2.x JSON document that this reader reads. The one pass
/// over a JSON document reads the fields of every JSON format at once; the JSON dispatcher
/// hands each reader only its own, so that no reader depends on the dispatcher.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    /// `SPDXID`.
    pub(crate) spdx_id: Text<'a>,
    /// `name`.
    pub(crate) name: Text<'a>,
    /// `documentNamespace`.
    pub(crate) document_namespace: Text<'a>,
    /// `creationInfo`.
    pub(crate) creation_info: Obj<CreationInfo<'a>>,
    /// `documentDescribes`.
    pub(crate) document_describes: List<Text<'a>>,
    /// `packages`.
    pub(crate) packages: List<Obj<Package<'a>>>,
    /// `files`.
    pub(crate) files: List<Obj<Element<'a>>>,
    /// `snippets`.
    pub(crate) snippets: List<Obj<Element<'a>>>,
    /// `relationships`.
    pub(crate) relationships: List<Obj<Relationship<'a>>>,
}

/// Reads an SPDX 2.x JSON document from its top-level fields.
pub(crate) fn read(
    document: Document<'_>,
    spec_version: String,
    warnings: Vec<Warning>,
) -> ReadOutcome {
    let mut parts = Parts {
        spec_version,
        document_id: document.spdx_id.owned(),
        name: document.name.owned(),
        namespace: document.document_namespace.owned(),
        warnings,
        ..Parts::default()
    };
    if let Some(info) = document.creation_info.get() {
        parts.created = info.created.owned();
        for (index, creator) in info.creators.items.iter().enumerate() {
            if let Some(creator) = creator.owned() {
                parts
                    .creators
                    .push((creator, format!("creationInfo.creators[{index}]")));
            }
        }
    }
    for (index, described) in document.document_describes.items.iter().enumerate() {
        if let Some(id) = described.owned() {
            parts
                .describes
                .push((id, format!("documentDescribes[{index}]")));
        }
    }
    for list in [&document.files, &document.snippets] {
        for element in &list.items {
            if let Some(id) = element.get().and_then(|element| element.id.owned()) {
                parts.other_elements.insert(id);
            }
        }
    }
    if let Some(found) = document.packages.invalid {
        parts.warnings.push(warning(
            "packages".to_string(),
            None,
            format!("expected an array, found {found}; no packages read"),
        ));
    }
    for (index, item) in document.packages.items.iter().enumerate() {
        let location = format!("packages[{index}]");
        match item {
            Obj::Value(package) => {
                let package = convert(package, location, &mut parts.warnings);
                parts.packages.push(package);
            }
            Obj::Missing => {}
            Obj::Invalid(found) => parts.warnings.push(warning(
                location,
                None,
                format!("expected a package object, found {found}; skipped"),
            )),
        }
    }
    for (index, relationship) in document.relationships.items.iter().enumerate() {
        let location = format!("relationships[{index}]");
        let Some(relationship) = relationship.get() else {
            continue;
        };
        match (
            relationship.from.owned(),
            relationship.kind.owned(),
            relationship.to.owned(),
        ) {
            (Some(from), Some(kind), Some(to)) => parts.relationships.push(RelationshipParts {
                location,
                from,
                kind,
                to,
            }),
            _ => parts.warnings.push(warning(
                location,
                None,
                "a relationship needs spdxElementId, relationshipType and relatedSpdxElement; ignored"
                    .to_string(),
            )),
        }
    }
    super::assemble(parts, Encoding::Json)
}

fn warning(location: String, reference: Option<&str>, message: String) -> Warning {
    Warning {
        location,
        reference: reference.map(str::to_string),
        message,
    }
}

fn convert(raw: &Package<'_>, location: String, warnings: &mut Vec<Warning>) -> PackageParts {
    let reference = raw.id.get();
    if let Some(key) = raw.duplicate {
        warnings.push(warning(
            location.clone(),
            reference,
            format!("the key {key:?} appears twice; its last value is used"),
        ));
    }
    for (field, text) in [
        ("SPDXID", &raw.id),
        ("name", &raw.name),
        ("versionInfo", &raw.version_info),
        ("supplier", &raw.supplier),
        ("originator", &raw.originator),
        ("licenseConcluded", &raw.license_concluded),
        ("licenseDeclared", &raw.license_declared),
        ("primaryPackagePurpose", &raw.primary_package_purpose),
    ] {
        if let Some(message) = field_problem(text) {
            warnings.push(warning(format!("{location}.{field}"), reference, message));
        }
    }
    let mut package = PackageParts {
        id: raw.id.owned(),
        name: raw.name.owned(),
        version: raw.version_info.owned(),
        supplier: raw.supplier.owned(),
        originator: raw.originator.owned(),
        license_concluded: raw.license_concluded.owned(),
        license_declared: raw.license_declared.owned(),
        purpose: raw.primary_package_purpose.owned(),
        ..PackageParts::default()
    };
    for (index, checksum) in raw.checksums.items.iter().enumerate() {
        if let Some(checksum) = checksum.get() {
            package.checksums.push((
                checksum.algorithm.owned().unwrap_or_default(),
                checksum.checksum_value.owned().unwrap_or_default(),
                format!("{location}.checksums[{index}]"),
            ));
        }
    }
    for (index, external) in raw.external_refs.items.iter().enumerate() {
        if let Some(external) = external.get()
            && let (Some(kind), Some(locator)) = (
                external.reference_type.owned(),
                external.reference_locator.owned(),
            )
        {
            package.external_refs.push(ExternalRef {
                location: format!("{location}.externalRefs[{index}]"),
                kind,
                locator,
            });
        }
    }
    for (index, annotation) in raw.annotations.items.iter().enumerate() {
        if let Some(comment) = annotation
            .get()
            .and_then(|annotation| annotation.comment.owned())
        {
            package
                .annotations
                .push((comment, format!("{location}.annotations[{index}]")));
        }
    }
    package.location = location;
    package
}
