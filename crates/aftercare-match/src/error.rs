//! The crate's one error type. Matching itself never fails: a version that cannot be compared
//! is reported on the scan ([`crate::Skipped`]), not raised. Only reading a compiled index
//! file can fail.

/// Why a compiled index file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The file does not start with the index's magic bytes.
    #[error("not an aftercare index file (expected it to start with {expected:?})")]
    NotAnIndex {
        /// The magic bytes expected.
        expected: &'static str,
    },
    /// The file was written by another version of the format.
    #[error(
        "index format version {found} is not supported (this aftercare reads version {supported}); rebuild it with `aftercare index build`"
    )]
    FormatVersion {
        /// The version found in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A section or value ends beyond the data: the file is truncated or corrupt.
    #[error(
        "index file is truncated or corrupt: {what} at byte {offset}; rebuild it with `aftercare index build`"
    )]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Where.
        offset: u64,
    },
    /// Reading bytes of the file failed.
    #[error("cannot read {length} bytes at offset {offset} of the index file")]
    Read {
        /// Where.
        offset: u64,
        /// How many bytes.
        length: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
