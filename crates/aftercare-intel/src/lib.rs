//! Vulnerability intelligence readers (OSV, NVD, CVE 5, KEV, EPSS, CSAF) and the alias merge.
//!
//! Bytes in, normalized records and warnings out: this crate does no storage, no HTTP and
//! no async. The feed sync downloads and the store persists; both call into it.
//!
//! * [`read_document`] reads one document of any supported format, told from its content
//!   (gzip and xz are unwrapped first), and returns a [`Parsed`]: its SHA-256, its
//!   [`Format`], its [`Content`] — normalized [`Record`]s, or an enrichment (KEV catalog,
//!   EPSS scores), or a discovery document (ROLIE feed, CSAF provider metadata) — and the
//!   [`Warning`]s about data it could still read.
//! * [`archive`] reads zip archives (the osv.dev `all.zip` layout) and folders (the
//!   `<Ecosystem>/` layout, `--advisories PATH`), with caps against hostile input.
//! * [`alias`] merges records into vulnerabilities under the firm rule that two CVE ids
//!   never merge; [`identity`] keeps the vulnerabilities' stored row ids stable when a merge
//!   or a split regroups them.
//! * [`normalize`] gives a record's digest and the keys the affected index finds it by
//!   (package keys, CPE vendor/product pairs).
//! * [`peek`] looks at an OSV record's ids and packages without reading the rest, so that a
//!   scan reads in full only the records that name its packages.
//!
//! Only input that cannot be read at all is an [`IntelError`]; a bad field is a warning and
//! the record is kept without it, a bad record is a warning and the document is kept without
//! it. See `docs/adr/0005-intelligence-model.md` for the decisions behind the model.
//!
//! ```
//! use aftercare_intel::{Format, read_document};
//!
//! let json = br#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
//!                 "aliases": ["CVE-2024-0001"], "published": "not a date"}"#;
//! let parsed = read_document("GHSA-aaaa-bbbb-cccc.json", json)?;
//! assert_eq!(parsed.format, Format::Osv);
//! let record = &parsed.records()[0];
//! assert_eq!(record.aliases[0].as_str(), "CVE-2024-0001");
//! // A bad field is a warning; the record is kept without it.
//! assert_eq!(record.published, None);
//! assert_eq!(parsed.warnings.len(), 1);
//! # Ok::<(), aftercare_intel::IntelError>(())
//! ```

#![warn(missing_docs)]

mod advisory;
pub mod alias;
pub mod archive;
pub mod csaf;
mod cve5;
mod cvss;
mod date;
mod detect;
pub mod epss;
mod error;
mod field;
pub mod identity;
pub mod kev;
pub mod normalize;
mod nvd;
mod osv;
pub mod peek;
pub mod record;
pub mod rolie;
mod warning;

use std::io::Read;

use aftercare_model::Sha256;

pub use archive::Limits;
pub use detect::Format;
pub use epss::{EpssScore, EpssScores};
pub use error::{IntelError, SUPPORTED};
pub use kev::{KevCatalog, KevEntry};
pub use peek::{Peek, peek};
pub use record::{Record, Source};
pub use warning::{Warning, WarningKind};

use crate::detect::Detected;
use crate::warning::Warnings;

/// What one document contained.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Vulnerability records (OSV, NVD, CVE 5, CSAF).
    Records(Vec<Record>),
    /// The CISA KEV catalog.
    Kev(KevCatalog),
    /// EPSS scores.
    Epss(EpssScores),
    /// A ROLIE feed.
    RolieFeed(rolie::Feed),
    /// A ROLIE service document.
    RolieService(rolie::Service),
    /// A ROLIE category document.
    RolieCategories(rolie::Categories),
    /// CSAF provider metadata.
    ProviderMetadata(csaf::provider::ProviderMetadata),
    /// A CSAF aggregator document.
    Aggregator(csaf::provider::Aggregator),
}

/// One document, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The name it was read under (a file name or an archive member's path).
    pub name: String,
    /// The SHA-256 of the bytes as given (before gzip/xz decompression): storage keeps those
    /// bytes under this digest and detects a re-import by it.
    pub digest: Sha256,
    /// The format detected.
    pub format: Format,
    /// What it contained.
    pub content: Content,
    /// What the reader noticed in data it could still read.
    pub warnings: Vec<Warning>,
}

impl Parsed {
    /// The records, if the document holds records (else an empty slice).
    pub fn records(&self) -> &[Record] {
        match &self.content {
            Content::Records(records) => records,
            _ => &[],
        }
    }

    /// The records, taken out of the document.
    pub fn into_records(self) -> Vec<Record> {
        match self.content {
            Content::Records(records) => records,
            _ => Vec::new(),
        }
    }
}

/// Reads one document of any supported format, with the default [`Limits`].
///
/// The format is told from the content. gzip- and xz-compressed documents are decompressed
/// (within [`Limits::max_document_bytes`]). A JSON array or JSON Lines stream of documents is
/// read element by element, an unreadable element being a warning. OSV records written as
/// YAML are refused with an error that says so.
pub fn read_document(name: &str, bytes: &[u8]) -> Result<Parsed, IntelError> {
    read_document_with(name, bytes, &Limits::default())
}

/// [`read_document`] with explicit limits.
pub fn read_document_with(name: &str, bytes: &[u8], limits: &Limits) -> Result<Parsed, IntelError> {
    let digest = Sha256::of(bytes);
    let decompressed = decompress(name, bytes, limits)?;
    let bytes = decompressed.as_deref().unwrap_or(bytes);
    let mut warnings = Warnings::new(name);
    let (format, content) = read_plain(name, bytes, &mut warnings)?;
    Ok(Parsed {
        name: name.to_string(),
        digest,
        format,
        content,
        warnings: warnings.into_vec(),
    })
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// Decompresses gzip or xz input; `None` when the input is not compressed.
fn decompress(name: &str, bytes: &[u8], limits: &Limits) -> Result<Option<Vec<u8>>, IntelError> {
    let limit = limits.max_document_bytes;
    let too_big = || IntelError::Limit {
        name: name.to_string(),
        what: "the decompressed size".to_string(),
        limit,
    };
    if bytes.starts_with(GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|error| IntelError::Decompress {
                name: name.to_string(),
                reason: error.to_string(),
            })?;
        if out.len() as u64 > limit {
            return Err(too_big());
        }
        limits.check_document(name, bytes.len() as u64, out.len() as u64)?;
        return Ok(Some(out));
    }
    if bytes.starts_with(XZ_MAGIC) {
        let mut out = archive::BoundedWriter::new(limit);
        let result = lzma_rs::xz_decompress(&mut &bytes[..], &mut out);
        if out.exceeded() {
            return Err(too_big());
        }
        result.map_err(|error| IntelError::Decompress {
            name: name.to_string(),
            reason: error.to_string(),
        })?;
        let out = out.into_inner();
        limits.check_document(name, bytes.len() as u64, out.len() as u64)?;
        return Ok(Some(out));
    }
    Ok(None)
}

/// Reads an uncompressed document.
fn read_plain(
    name: &str,
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<(Format, Content), IntelError> {
    let trimmed = trim_start(bytes);
    if epss::looks_like(trimmed) {
        let scores = epss::read(trimmed, warnings).map_err(|reason| IntelError::ReadEpss {
            name: name.to_string(),
            reason,
        })?;
        return Ok((Format::Epss, Content::Epss(scores)));
    }
    match trimmed.first() {
        Some(b'{') => {}
        Some(b'[') => return read_sequence(name, trimmed, warnings, true),
        _ => {
            let reason = if detect::looks_like_yaml(trimmed) {
                "YAML is not supported (OSV records must be JSON; convert YAML advisories first)"
            } else if trimmed.starts_with(b"<") {
                "XML is not supported (CSAF is read as JSON; CVRF is not read)"
            } else if trimmed.is_empty() {
                "the document is empty"
            } else {
                "not a JSON object"
            };
            return Err(IntelError::DetectFormat {
                name: name.to_string(),
                reason: reason.to_string(),
            });
        }
    }
    let detected = match detect::detect(trimmed) {
        Ok(detected) => detected,
        Err(error) if error.to_string().starts_with("trailing characters") => {
            return read_sequence(name, trimmed, warnings, false);
        }
        Err(source) => {
            return Err(IntelError::ParseJson {
                name: name.to_string(),
                source,
            });
        }
    };
    let (format, shape) = match detected {
        Detected::Format(format, shape) => (format, shape),
        Detected::Unknown(reason) => {
            return Err(IntelError::DetectFormat {
                name: name.to_string(),
                reason,
            });
        }
    };
    let content = match read_format(name, trimmed, format, shape, warnings) {
        Ok(content) => content,
        // Several documents one after the other (JSON Lines): read them one by one.
        Err(IntelError::ReadDocument { source, .. })
            if source.to_string().starts_with("trailing characters") =>
        {
            return read_sequence(name, trimmed, warnings, false);
        }
        Err(error) => return Err(error),
    };
    Ok((format, content))
}

/// Reads a document of a known format.
fn read_format(
    name: &str,
    trimmed: &[u8],
    format: Format,
    shape: Option<nvd::Shape>,
    warnings: &mut Warnings<'_>,
) -> Result<Content, IntelError> {
    let schema = |source| IntelError::ReadDocument {
        name: name.to_string(),
        format,
        source,
    };
    let content = match format {
        Format::Osv => Content::Records(osv::read(trimmed, warnings).map_err(schema)?),
        Format::Nvd => {
            let shape = shape.unwrap_or(nvd::Shape::Page);
            Content::Records(nvd::read(trimmed, shape, warnings).map_err(schema)?)
        }
        Format::NvdLegacy => Content::Records(nvd::read_legacy(trimmed, warnings).map_err(schema)?),
        Format::Cve5 => Content::Records(cve5::read(trimmed, warnings).map_err(schema)?),
        Format::Csaf => Content::Records(csaf::read(trimmed, warnings).map_err(schema)?),
        Format::Kev => Content::Kev(kev::read(trimmed, warnings).map_err(schema)?),
        Format::RolieFeed => {
            Content::RolieFeed(rolie::read_feed(trimmed, warnings).map_err(schema)?)
        }
        Format::RolieService => {
            Content::RolieService(rolie::read_service(trimmed).map_err(schema)?)
        }
        Format::RolieCategories => {
            Content::RolieCategories(rolie::read_categories(trimmed).map_err(schema)?)
        }
        Format::ProviderMetadata => Content::ProviderMetadata(
            csaf::provider::read_provider(trimmed, warnings).map_err(schema)?,
        ),
        Format::Aggregator => {
            Content::Aggregator(csaf::provider::read_aggregator(trimmed, warnings).map_err(schema)?)
        }
        // EPSS is CSV and was handled above.
        Format::Epss => {
            return Err(IntelError::DetectFormat {
                name: name.to_string(),
                reason: "EPSS must be CSV, not JSON".to_string(),
            });
        }
    };
    Ok(content)
}

/// Reads a JSON array (`array`) or a JSON Lines stream of documents: each element is read as
/// a document of its own; their records are concatenated.
fn read_sequence(
    name: &str,
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
    array: bool,
) -> Result<(Format, Content), IntelError> {
    let elements: Vec<Box<serde_json::value::RawValue>> = if array {
        serde_json::from_slice(bytes).map_err(|source| IntelError::ParseJson {
            name: name.to_string(),
            source,
        })?
    } else {
        stream(bytes, warnings)
    };
    let mut format = None;
    let mut records = Vec::new();
    for (index, element) in elements.iter().enumerate() {
        let element_name = format!("{name}#{}", index + 1);
        let mut element_warnings = Warnings::new(name);
        match read_plain(
            &element_name,
            element.get().as_bytes(),
            &mut element_warnings,
        ) {
            Ok((found, Content::Records(found_records))) => {
                format.get_or_insert(found);
                records.extend(found_records);
                for warning in element_warnings.into_vec() {
                    warnings.set_record(warning.record);
                    warnings.push(warning.kind, warning.message);
                }
                warnings.set_record(None);
            }
            Ok((found, _)) => warnings.push(
                WarningKind::SkippedRecord,
                format!(
                    "element {} is a {found} document, not a record; skipped",
                    index + 1
                ),
            ),
            Err(error) => warnings.push(
                WarningKind::SkippedRecord,
                format!("element {} skipped: {error}", index + 1),
            ),
        }
    }
    let Some(format) = format else {
        return Err(IntelError::DetectFormat {
            name: name.to_string(),
            reason: "a JSON sequence without a readable record".to_string(),
        });
    };
    Ok((format, Content::Records(records)))
}

/// The values of a JSON stream (JSON Lines). A value that does not parse is a warning, and
/// reading resumes at the next line: one broken line does not lose the others.
fn stream(bytes: &[u8], warnings: &mut Warnings<'_>) -> Vec<Box<serde_json::value::RawValue>> {
    let mut values = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let mut values_here = serde_json::Deserializer::from_slice(rest)
            .into_iter::<Box<serde_json::value::RawValue>>();
        match values_here.next() {
            None => break,
            Some(Ok(value)) => {
                values.push(value);
                offset += values_here.byte_offset();
            }
            Some(Err(error)) => {
                warnings.push(
                    WarningKind::SkippedRecord,
                    format!(
                        "a value at byte {offset} does not parse: {error}; skipped to the next line"
                    ),
                );
                let failed_at = offset + values_here.byte_offset().max(1);
                match bytes
                    .get(failed_at..)
                    .and_then(|tail| tail.iter().position(|b| *b == b'\n'))
                {
                    Some(newline) => offset = failed_at + newline + 1,
                    None => break,
                }
            }
        }
    }
    values
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}
