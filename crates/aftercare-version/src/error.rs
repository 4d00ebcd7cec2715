//! The crate's one error type: what failed, on which scheme, with which input.

use crate::Scheme;

/// Why a version, a range or version bounds could not be parsed, or a range could not be
/// evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The text is not a valid version of the scheme.
    #[error("{input:?} is not a valid {scheme} version: {reason}")]
    Parse {
        /// The scheme the text was parsed with.
        scheme: Scheme,
        /// The text as given.
        input: String,
        /// What is wrong with it, in words a user can act on.
        reason: String,
    },
    /// A `GIT` range was handed to the range evaluator. Git ranges are decided on the
    /// repository's commit graph, which this crate does not have; the caller skips them.
    #[error(
        "GIT ranges are commit ranges and are not evaluated here; skip them or resolve them on the repository"
    )]
    GitRange,
    /// A version of one scheme was evaluated against a range ordered by another scheme.
    #[error("a {version} version cannot be evaluated against a range ordered by {range}")]
    SchemeMismatch {
        /// The scheme that orders the range.
        range: Scheme,
        /// The scheme the version was parsed with.
        version: Scheme,
    },
    /// Version bounds ([`crate::Bounds`]) held neither `*` nor a single bound.
    #[error("expected `*` or bounds such as `=1.2.3` or `>=1.0,<2.0`")]
    NoBounds,
    /// One bound of version bounds ([`crate::Bounds`]) does not hold a version of the scheme.
    #[error("bound {bound:?}: {source}")]
    Bound {
        /// The bound as written, operator included (`>=1.0`).
        bound: String,
        /// Why its version does not parse.
        #[source]
        source: Box<VersionError>,
    },
}

impl VersionError {
    /// A parse error for `input` under `scheme`.
    pub(crate) fn parse(scheme: Scheme, input: &str, reason: impl Into<String>) -> Self {
        Self::Parse {
            scheme,
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}
