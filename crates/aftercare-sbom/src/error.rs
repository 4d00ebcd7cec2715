//! The one error type of this crate: a document that cannot be read at all.
//!
//! Everything less than that is a [`crate::Warning`]. Every message names the file, says
//! where (line and column when the syntax is broken) and what is supported, so that a user
//! who uploaded the wrong file knows what to upload instead.

/// What this crate reads, as shown in every error message.
pub const SUPPORTED: &str = "supported: CycloneDX 1.0–1.6 XML, CycloneDX 1.2–1.6 JSON, \
     SPDX 2.2/2.3 JSON and tag-value, SPDX 3.0 JSON-LD; .gz/.bz2/.xz compressed";

/// The largest decompressed document this crate reads (512 MiB): a compressed upload that
/// expands beyond it is refused instead of exhausting memory.
pub const MAX_DECOMPRESSED_BYTES: u64 = 512 * 1024 * 1024;

/// The deepest XML element nesting read. A real CycloneDX BOM nests a few dozen levels;
/// roxmltree parses recursively, and tens of thousands of levels overflow the stack.
pub const MAX_XML_DEPTH: usize = 256;

/// Why a document (an SBOM or a support addendum) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The document is empty or holds only whitespace.
    #[error("{file}: the document is empty ({SUPPORTED})")]
    Empty {
        /// The file name given by the caller.
        file: String,
    },

    /// The content is none of the supported formats.
    #[error("{file}: not a recognized SBOM: {found} ({SUPPORTED})")]
    Unrecognized {
        /// The file name given by the caller.
        file: String,
        /// What the content looks like instead, in words.
        found: String,
    },

    /// JSON or XML whose syntax is broken.
    #[error("{file}: line {line}, column {column}: invalid {syntax}: {message} ({SUPPORTED})")]
    Syntax {
        /// The file name given by the caller.
        file: String,
        /// `JSON` or `XML`.
        syntax: &'static str,
        /// The line, counted from 1.
        line: usize,
        /// The column, counted from 1.
        column: usize,
        /// What the parser found wrong.
        message: String,
    },

    /// Text that is not valid UTF-8 (or UTF-16 with a byte-order mark).
    #[error("{file}: line {line}: the text is not valid UTF-8 ({SUPPORTED})")]
    Encoding {
        /// The file name given by the caller.
        file: String,
        /// The line of the first invalid byte, counted from 1.
        line: usize,
    },

    /// A gzip, bzip2 or xz stream that does not decompress.
    #[error("{file}: the {compression} stream does not decompress: {source} ({SUPPORTED})")]
    Decompress {
        /// The file name given by the caller.
        file: String,
        /// `gzip`, `bzip2` or `xz`.
        compression: &'static str,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },

    /// A compressed document that expands beyond [`MAX_DECOMPRESSED_BYTES`].
    #[error(
        "{file}: the {compression} stream expands beyond {limit} bytes, the largest document read ({SUPPORTED})"
    )]
    TooLarge {
        /// The file name given by the caller.
        file: String,
        /// `gzip`, `bzip2` or `xz`.
        compression: &'static str,
        /// The limit in bytes.
        limit: u64,
    },

    /// XML nested deeper than [`MAX_XML_DEPTH`] elements: no SBOM is, and parsing it would
    /// exhaust the stack.
    #[error(
        "{file}: line {line}: the XML nests deeper than {limit} elements; no SBOM does ({SUPPORTED})"
    )]
    TooDeep {
        /// The file name given by the caller.
        file: String,
        /// The line where the limit was crossed.
        line: usize,
        /// The limit.
        limit: usize,
    },

    /// A recognized format in a version or encoding this crate does not read.
    #[error("{file}: {format} {version} is not supported ({SUPPORTED})")]
    UnsupportedVersion {
        /// The file name given by the caller.
        file: String,
        /// The format and encoding, for example `CycloneDX XML`.
        format: &'static str,
        /// The version the document declares.
        version: String,
    },

    /// A support addendum (CSV or JSON) that cannot be read.
    #[error(
        "{file}: {location}: {message} (a support addendum is CSV with a header row or a JSON array of objects; see docs/sbom-support-fields.md)"
    )]
    Addendum {
        /// The file name given by the caller.
        file: String,
        /// Where: `line 3`, `line 1, column 7`.
        location: String,
        /// What is wrong.
        message: String,
    },
}

impl SbomError {
    /// The file name the error is about.
    pub fn file(&self) -> &str {
        match self {
            SbomError::Empty { file }
            | SbomError::Unrecognized { file, .. }
            | SbomError::Syntax { file, .. }
            | SbomError::Encoding { file, .. }
            | SbomError::Decompress { file, .. }
            | SbomError::TooLarge { file, .. }
            | SbomError::TooDeep { file, .. }
            | SbomError::UnsupportedVersion { file, .. }
            | SbomError::Addendum { file, .. } => file,
        }
    }

    /// A JSON syntax error, with serde_json's line and column.
    pub(crate) fn json(file: &str, error: &serde_json::Error) -> SbomError {
        SbomError::Syntax {
            file: file.to_string(),
            syntax: "JSON",
            line: error.line(),
            column: error.column(),
            message: json_message(error),
        }
    }
}

/// serde_json's message without its own " at line L column C" suffix, which the error
/// already carries in its own fields.
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_string(),
        None => message,
    }
}
