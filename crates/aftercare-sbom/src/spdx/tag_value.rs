//! SPDX 2.x tag-value: `Tag: value` lines, multi-line `<text>…</text>` values, elements that
//! start with their first tag (`PackageName:`, `FileName:`, `SnippetSPDXID:`, `LicenseID:`)
//! and run until the next one; converted into the shared [`Parts`].

use super::{Annotation, ExternalRef, Package, Parts, Relationship};
use crate::error::SbomError;
use crate::model::{Encoding, ReadOutcome, Warning};

/// The element the next tags belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    Document,
    Package(usize),
    File,
    Snippet,
    License,
}

/// One `Tag: value` pair with the line it starts on.
struct Pair<'a> {
    line: usize,
    tag: &'a str,
    value: String,
}

/// Splits the text into pairs; lines that are neither a pair, a comment nor blank become
/// warnings.
fn pairs<'a>(text: &'a str, warnings: &mut Vec<Warning>) -> Vec<Pair<'a>> {
    let mut pairs = Vec::new();
    let mut lines = split_lines(text).into_iter().enumerate();
    while let Some((index, line)) = lines.next() {
        let line_number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = trimmed.split_once(':') else {
            warnings.push(Warning {
                location: format!("line {line_number}"),
                reference: None,
                message: format!(
                    "{:?} is not a `Tag: value` line; ignored",
                    abbreviate(trimmed)
                ),
            });
            continue;
        };
        let value = value.trim();
        let value = match value.strip_prefix("<text>") {
            Some(rest) => match rest.split_once("</text>") {
                Some((inner, _)) => inner.to_string(),
                None => {
                    let mut collected = rest.to_string();
                    let mut closed = false;
                    for (_, next) in lines.by_ref() {
                        collected.push('\n');
                        if let Some((inner, _)) = next.split_once("</text>") {
                            collected.push_str(inner);
                            closed = true;
                            break;
                        }
                        collected.push_str(next);
                    }
                    if !closed {
                        warnings.push(Warning {
                            location: format!("line {line_number}"),
                            reference: None,
                            message: format!(
                                "the <text> value of {tag} is never closed by </text>; read to the end of the document"
                            ),
                        });
                    }
                    collected
                }
            },
            None => value.to_string(),
        };
        pairs.push(Pair {
            line: line_number,
            tag: tag.trim(),
            value,
        });
    }
    pairs
}

/// Lines ended by `\n`, `\r\n` or a lone `\r` (some generators write old Mac endings).
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\n' => {
                lines.push(&text[start..index]);
                start = index + 1;
            }
            b'\r' => {
                lines.push(&text[start..index]);
                if bytes.get(index + 1) == Some(&b'\n') {
                    index += 1;
                }
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn abbreviate(text: &str) -> String {
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// Reads an SPDX 2.x tag-value document.
pub(crate) fn read(file: &str, text: &str) -> Result<ReadOutcome, SbomError> {
    let mut warnings = Vec::new();
    let pairs = pairs(text, &mut warnings);
    let mut parts = Parts::default();
    let mut current = Current::Document;
    let mut version_seen = false;
    let mut annotation: Option<Annotation> = None;

    for pair in &pairs {
        let location = format!("line {}", pair.line);
        let value = pair.value.trim();
        match pair.tag {
            "SPDXVersion" => {
                if version_seen {
                    parts.warnings.push(Warning {
                        location,
                        reference: None,
                        message: "a second SPDX document starts here; only the first is read"
                            .to_string(),
                    });
                    break;
                }
                version_seen = true;
                parts.spec_version =
                    super::check_version(file, "SPDX tag-value", value, &location, &mut warnings)?;
            }
            "DocumentName" => parts.name = non_empty(value),
            "DocumentNamespace" => parts.namespace = non_empty(value),
            "Creator" => {
                if !value.is_empty() {
                    parts.creators.push((value.to_string(), location));
                }
            }
            "Created" => parts.created = non_empty(value),
            "SPDXID" => match current {
                Current::Document => parts.document_id = non_empty(value),
                Current::Package(index) => parts.packages[index].id = non_empty(value),
                Current::File | Current::Snippet => {
                    parts.other_elements.insert(value.to_string());
                }
                Current::License => {}
            },
            "PackageName" => {
                parts.packages.push(Package {
                    location,
                    name: non_empty(value),
                    ..Package::default()
                });
                current = Current::Package(parts.packages.len() - 1);
            }
            "FileName" => current = Current::File,
            "SnippetSPDXID" => {
                current = Current::Snippet;
                parts.other_elements.insert(value.to_string());
            }
            "LicenseID" => current = Current::License,
            "Relationship" => {
                let fields: Vec<&str> = value.split_whitespace().collect();
                if let [from, kind, to] = fields[..] {
                    parts.relationships.push(Relationship {
                        location,
                        from: from.to_string(),
                        kind: kind.to_string(),
                        to: to.to_string(),
                    });
                } else {
                    parts.warnings.push(Warning {
                        location,
                        reference: None,
                        message: format!(
                            "Relationship {value:?} is not `<id> <TYPE> <id>`; ignored"
                        ),
                    });
                }
            }
            "Annotator" => {
                if let Some(done) = annotation.take() {
                    parts.annotations.push(done);
                }
                // Without `SPDXREF:` an annotation is about the element it appears in.
                let target = match current {
                    Current::Package(index) => parts.packages[index].id.clone(),
                    Current::Document => parts.document_id.clone(),
                    Current::File | Current::Snippet | Current::License => None,
                };
                annotation = Some(Annotation {
                    location,
                    target,
                    comment: String::new(),
                });
            }
            "SPDXREF" => {
                if let Some(annotation) = annotation.as_mut() {
                    annotation.target = non_empty(value);
                }
            }
            "AnnotationComment" => {
                if let Some(annotation) = annotation.as_mut() {
                    annotation.comment = value.to_string();
                }
            }
            tag => package_tag(&mut parts, current, tag, value, location),
        }
    }
    if let Some(done) = annotation.take() {
        parts.annotations.push(done);
    }
    if !version_seen {
        return Err(SbomError::Unrecognized {
            file: file.to_string(),
            found: "tag-value text without SPDXVersion".to_string(),
        });
    }
    parts.warnings.splice(0..0, warnings);
    Ok(super::assemble(parts, Encoding::TagValue))
}

/// The tags of a package; outside a package they are a warning.
fn package_tag(parts: &mut Parts, current: Current, tag: &str, value: &str, location: String) {
    let field_of_package = matches!(
        tag,
        "PackageVersion"
            | "PackageSupplier"
            | "PackageOriginator"
            | "PackageLicenseConcluded"
            | "PackageLicenseDeclared"
            | "PackageChecksum"
            | "ExternalRef"
            | "PrimaryPackagePurpose"
    );
    if !field_of_package {
        return;
    }
    let Current::Package(index) = current else {
        parts.warnings.push(Warning {
            location,
            reference: None,
            message: format!("{tag} outside a package (no PackageName before it); ignored"),
        });
        return;
    };
    let package = &mut parts.packages[index];
    match tag {
        "PackageVersion" => package.version = non_empty(value),
        "PackageSupplier" => package.supplier = non_empty(value),
        "PackageOriginator" => package.originator = non_empty(value),
        "PackageLicenseConcluded" => package.license_concluded = non_empty(value),
        "PackageLicenseDeclared" => package.license_declared = non_empty(value),
        "PrimaryPackagePurpose" => package.purpose = non_empty(value),
        "PackageChecksum" => match value.split_once(':') {
            Some((algorithm, digest)) => package.checksums.push((
                algorithm.trim().to_string(),
                digest.trim().to_string(),
                location,
            )),
            None => parts.warnings.push(Warning {
                location,
                reference: package.id.clone(),
                message: format!("PackageChecksum {value:?} is not `ALGORITHM: value`; ignored"),
            }),
        },
        "ExternalRef" => {
            let mut fields = value.split_whitespace();
            match (fields.next(), fields.next(), fields.next()) {
                (Some(_category), Some(kind), Some(locator)) => {
                    package.external_refs.push(ExternalRef {
                        location,
                        kind: kind.to_string(),
                        locator: locator.to_string(),
                    })
                }
                _ => parts.warnings.push(Warning {
                    location,
                    reference: package.id.clone(),
                    message: format!(
                        "ExternalRef {value:?} is not `CATEGORY TYPE LOCATOR`; ignored"
                    ),
                }),
            }
        }
        _ => {}
    }
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;

    const SAMPLE: &str = "\
SPDXVersion: SPDX-2.2
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: sample
DocumentNamespace: https://example.com/sample
DocumentComment: <text>A comment
over two lines: with a colon</text>
Creator: Organization: Example Inc.
Creator: Tool: generator-1.0
Created: 2024-01-02T03:04:05Z

## The application
PackageName: app
SPDXID: SPDXRef-app
PackageVersion: 1.0
PackageSupplier: Organization: Example Inc.
PackageLicenseConcluded: NOASSERTION
PackageLicenseDeclared: MIT
PackageChecksum: SHA256: ABCDEF
ExternalRef: PACKAGE-MANAGER purl pkg:npm/app@1.0
PackageDescription: <text>multi
line</text>

PackageName: lib
SPDXID: SPDXRef-lib
PackageVersion: 2.0
PackageOriginator: Person: Jane
ExternalRef: SECURITY cpe23Type cpe:2.3:a:example:lib:2.0:*:*:*:*:*:*:*
ExternalRef: PACKAGE-MANAGER purl not-a-purl

FileName: ./lib.so
SPDXID: SPDXRef-file
FileChecksum: SHA1: 0000

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app
Relationship: SPDXRef-app DEPENDS_ON SPDXRef-lib
Relationship: SPDXRef-app CONTAINS SPDXRef-file
Relationship: SPDXRef-lib DEPENDS_ON SPDXRef-missing

Annotator: Person: QA
AnnotationDate: 2024-01-02T03:04:05Z
AnnotationType: REVIEW
SPDXREF: SPDXRef-lib
AnnotationComment: <text>level_of_support: community
end_of_support: 2026-12-31</text>
";

    #[test]
    fn reads_packages_relationships_and_annotations() {
        let outcome = read("sample.spdx", SAMPLE).unwrap();
        let sbom = &outcome.sbom;
        assert_eq!(sbom.format, Format::Spdx);
        assert_eq!(sbom.encoding, Encoding::TagValue);
        assert_eq!(sbom.spec_version, "2.2");
        assert_eq!(sbom.name.as_deref(), Some("sample"));
        assert_eq!(sbom.authors, ["Example Inc."]);
        assert_eq!(sbom.tools, ["generator-1.0"]);
        assert_eq!(sbom.components.len(), 2);
        let app = &sbom.components[0];
        assert_eq!(app.reference, "SPDXRef-app");
        assert_eq!(app.licenses.as_deref(), Some("MIT"));
        assert_eq!(app.supplier.as_deref(), Some("Example Inc."));
        assert_eq!(app.hashes[0].algorithm, "SHA-256");
        assert_eq!(
            app.purl.as_ref().map(ToString::to_string).as_deref(),
            Some("pkg:npm/app@1.0")
        );
        let lib = &sbom.components[1];
        assert_eq!(lib.author.as_deref(), Some("Jane"));
        assert_eq!(lib.cpes.len(), 1);
        assert_eq!(lib.purl, None);
        assert_eq!(lib.level_of_support.as_deref(), Some("community"));
        assert_eq!(lib.end_of_support.as_deref(), Some("2026-12-31"));
        assert_eq!(sbom.subject, Some(0));
        assert_eq!(lib.direct, Some(true));
        assert_eq!(sbom.dependencies.len(), 1);
        let locations: Vec<&str> = outcome
            .warnings
            .iter()
            .map(|w| w.location.as_str())
            .collect();
        assert_eq!(locations, ["line 29", "line 38"], "{:#?}", outcome.warnings);
        assert!(outcome.warnings[0].message.contains("not-a-purl"));
        assert!(outcome.warnings[1].message.contains("SPDXRef-missing"));
    }

    fn check_warning(text: &str, location: &str, part: &str) {
        let outcome = read("x.spdx", text).unwrap();
        assert!(
            outcome
                .warnings
                .iter()
                .any(|w| w.location == location && w.message.contains(part)),
            "{:#?}",
            outcome.warnings
        );
    }

    #[test]
    fn malformed_lines_are_warnings() {
        check_warning(
            "SPDXVersion: SPDX-2.3\nthis is no pair\n",
            "line 2",
            "not a `Tag: value`",
        );
        check_warning(
            "SPDXVersion: SPDX-2.3\nPackageVersion: 1\n",
            "line 2",
            "outside a package",
        );
        check_warning(
            "SPDXVersion: SPDX-2.3\nPackageName: a\nExternalRef: purl\n",
            "line 3",
            "CATEGORY TYPE LOCATOR",
        );
        check_warning(
            "SPDXVersion: SPDX-2.3\nRelationship: a b\n",
            "line 2",
            "<id> <TYPE> <id>",
        );
        check_warning(
            "SPDXVersion: SPDX-2.3\nDocumentComment: <text>never closed\n",
            "line 2",
            "never closed",
        );
        check_warning(
            "SPDXVersion: SPDX-2.3\nSPDXVersion: SPDX-2.3\n",
            "line 2",
            "second SPDX document",
        );
        check_warning("SPDXVersion: SPDX-2.1\n", "line 1", "older than 2.2");
    }

    #[test]
    fn every_line_ending_counts() {
        assert_eq!(split_lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\r\n\r\nb\n"), ["a", "", "b"]);
        let outcome = read(
            "mac.spdx",
            "SPDXVersion: SPDX-2.2\rPackageName: a\rSPDXID: SPDXRef-a\r",
        )
        .unwrap();
        assert_eq!(outcome.sbom.components[0].reference, "SPDXRef-a");
    }

    #[test]
    fn unsupported_version_is_an_error() {
        let error = read("x.spdx", "SPDXVersion: SPDX-3.0\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("SPDX tag-value SPDX-3.0 is not supported"),
            "{error}"
        );
    }
}
