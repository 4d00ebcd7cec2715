//! SBOM readers (CycloneDX, SPDX), the normalized SBOM, its quality check and the diff of two SBOMs.
//!
//! Bytes in, [`ReadOutcome`] out: no I/O beyond the byte slice, no storage, no async. A
//! malformed component is a [`Warning`] and the rest is read; only a document that cannot be
//! read at all is an error ([`SbomError`]).
//!
//! The format is detected from the content, never from the file name: gzip, bzip2 and xz
//! are decompressed first; then `{` is JSON (CycloneDX by `bomFormat`/`specVersion`, SPDX
//! 2.x by `spdxVersion`, SPDX 3.0 by an `@context` of spdx.org/rdf/3), `<` is XML (CycloneDX
//! by its namespace), and a line starting with `SPDXVersion:` is SPDX tag-value.
//!
//! Beyond reading: [`quality()`] checks an SBOM against the NTIA minimum elements and the
//! FDA's support fields, [`diff()`] compares two releases' components, and
//! [`read_addendum`]/[`apply_addendum`] bring in the support fields a generator could not
//! write. The decisions behind the readers (duplicates, dangling references, trailing data,
//! newer versions) are in `docs/adr/0002-sbom-readers.md`; the accepted support field names
//! in `docs/sbom-support-fields.md`.
//!
//! ```
//! let json = br#"{"bomFormat":"CycloneDX","specVersion":"1.6",
//!   "components":[{"type":"library","name":"lodash","version":"4.17.21",
//!                  "purl":"pkg:npm/lodash@4.17.21"}]}"#;
//! let outcome = aftercare_sbom::read("bom.json", json).unwrap();
//! assert_eq!(outcome.sbom.components[0].name, "lodash");
//! assert!(outcome.warnings.is_empty());
//! ```

pub mod addendum;
mod assemble;
mod cyclonedx;
pub mod diff;
pub mod error;
mod input;
mod json;
mod lenient;
pub mod model;
mod normalize;
pub mod quality;
mod spdx;
mod support;

pub use addendum::{SupportEntry, SupportTarget, apply_addendum, read_addendum};
pub use diff::{
    EcosystemOrder, NaturalOrder, SbomDiff, VersionChange, VersionOrder, diff, diff_with,
};
pub use error::{SUPPORTED, SbomError};
pub use model::{
    Component, ComponentKind, Dependency, Encoding, Format, Hash, ReadOutcome, Sbom, Scope, Warning,
};
pub use quality::{Coverage, Element, QualityReport, Requirement, quality};

/// Reads an SBOM of any supported format (see [`SUPPORTED`]).
///
/// `name` is the file name, used only in messages. Compressed input (gzip, bzip2, xz) is
/// decompressed up to [`error::MAX_DECOMPRESSED_BYTES`].
pub fn read(name: &str, bytes: &[u8]) -> Result<ReadOutcome, SbomError> {
    let bytes = input::decompress(name, bytes)?;
    let bytes = input::unmark(name, bytes)?;
    let Some(syntax) = input::sniff(&bytes) else {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(SbomError::Empty {
                file: name.to_string(),
            });
        }
        return Err(SbomError::Unrecognized {
            file: name.to_string(),
            found: input::describe(&bytes),
        });
    };
    match syntax {
        input::Syntax::Json => json::read(name, &bytes),
        input::Syntax::Xml => cyclonedx::xml::read(name, input::utf8(name, &bytes)?),
        input::Syntax::TagValue => spdx::tag_value::read(name, input::utf8(name, &bytes)?),
    }
}
