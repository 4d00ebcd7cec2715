//! The crate's error: why a document, archive or folder could not be read at all.
//!
//! Bad data *inside* a readable document is never an error but a [`crate::Warning`].

use std::path::PathBuf;

use crate::detect::Format;

/// The formats [`crate::read_document`] reads, for error messages.
pub const SUPPORTED: &str = "OSV JSON, NVD CVE API 2.0 JSON (pages, single CVEs, JSON lines), \
NVD JSON 1.1 feeds, CVE JSON 5, the CISA KEV catalog (JSON), FIRST EPSS CSV, CSAF 2.0 JSON, \
ROLIE feeds and service documents, CSAF provider metadata and aggregators; \
each optionally gzip- or xz-compressed";

/// Why a document, archive or folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// The bytes are not JSON (nor EPSS CSV).
    #[error("{name}: not JSON ({source}); supported: {SUPPORTED}")]
    ParseJson {
        /// The document's name.
        name: String,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// The document is JSON, but of no format aftercare reads.
    #[error("{name}: {reason}; supported: {SUPPORTED}")]
    DetectFormat {
        /// The document's name.
        name: String,
        /// What was found instead.
        reason: String,
    },
    /// The document was recognized but does not have the shape its format requires.
    #[error("{name}: not a valid {format} document: {source}")]
    ReadDocument {
        /// The document's name.
        name: String,
        /// The format it was recognized as.
        format: Format,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// An EPSS CSV file lacks its header.
    #[error("{name}: not an EPSS CSV file: {reason}")]
    ReadEpss {
        /// The document's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A gzip or xz stream could not be decompressed.
    #[error("{name}: cannot decompress: {reason}")]
    Decompress {
        /// The document's name.
        name: String,
        /// What the decoder said.
        reason: String,
    },
    /// A zip archive could not be read (truncated, corrupt, or an unsupported method).
    #[error("{name}: cannot read zip archive: {source}")]
    ReadArchive {
        /// The archive's name.
        name: String,
        /// What the zip reader said.
        #[source]
        source: zip::result::ZipError,
    },
    /// A zip member could not be read completely (truncated or corrupt data).
    #[error("{archive}: cannot read member {member}: {source}")]
    ReadMember {
        /// The archive's name.
        archive: String,
        /// The member's path.
        member: String,
        /// What the reader said.
        #[source]
        source: std::io::Error,
    },
    /// An archive member's path is absolute or climbs out with `..`.
    #[error("{archive}: refusing member {member:?}: absolute paths and `..` are not allowed")]
    UnsafePath {
        /// The archive's name.
        archive: String,
        /// The member's path.
        member: String,
    },
    /// Input exceeds a configured limit (size, count or compression ratio).
    #[error(
        "{name}: {what} exceeds the limit of {limit}; refusing it as a possible decompression bomb"
    )]
    Limit {
        /// The document, archive or member.
        name: String,
        /// Which limit, in words, with the value found.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    ReadPath {
        /// The path.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}
