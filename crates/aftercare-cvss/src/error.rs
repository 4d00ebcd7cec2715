//! The crate's one error type.

use crate::version::CvssVersion;

/// Why a CVSS vector could not be read or changed. Every variant names the vector; those about
/// one metric name it too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssError {
    /// The input was empty or only whitespace.
    #[error("empty CVSS vector")]
    Empty,
    /// The vector starts with something that is not a supported version prefix.
    #[error(
        "CVSS vector {vector:?}: unsupported prefix {prefix:?}; supported are CVSS:3.0/, \
         CVSS:3.1/, CVSS:4.0/ and bare or parenthesized CVSS v2.0 vectors"
    )]
    WrongPrefix {
        /// The input.
        vector: String,
        /// The offending prefix.
        prefix: String,
    },
    /// A component is not of the form `METRIC:VALUE` (an empty component, as from a trailing
    /// or doubled slash, included).
    #[error("CVSS vector {vector:?}: component {component:?} is not of the form METRIC:VALUE")]
    MalformedComponent {
        /// The input.
        vector: String,
        /// The offending component.
        component: String,
    },
    /// A metric that the vector's version does not define.
    #[error("CVSS vector {vector:?}: unknown metric {metric:?} for CVSS {version}")]
    UnknownMetric {
        /// The input.
        vector: String,
        /// The version the vector was read as.
        version: CvssVersion,
        /// The offending metric abbreviation.
        metric: String,
    },
    /// A metric given twice; the specifications forbid it.
    #[error("CVSS vector {vector:?}: metric {metric} appears more than once")]
    DuplicateMetric {
        /// The input.
        vector: String,
        /// The repeated metric.
        metric: &'static str,
    },
    /// A mandatory base metric is absent.
    #[error("CVSS vector {vector:?}: mandatory base metric {metric} of CVSS {version} is missing")]
    MissingBaseMetric {
        /// The input.
        vector: String,
        /// The version the vector was read as.
        version: CvssVersion,
        /// The first missing metric in canonical order.
        metric: &'static str,
    },
    /// A value the metric does not allow (base metrics allow no Not Defined value).
    #[error(
        "CVSS vector {vector:?}: value {value:?} is not allowed for metric {metric}; \
         expected one of {expected}"
    )]
    BadValue {
        /// The input.
        vector: String,
        /// The metric.
        metric: &'static str,
        /// The offending value.
        value: String,
        /// The allowed values, comma-separated.
        expected: String,
    },
    /// A rescoring tried to change a base metric.
    #[error(
        "CVSS vector {vector:?}: base metric {metric} cannot be changed by a rescoring; \
         use the modified (M*) environmental metric instead"
    )]
    BaseMetricNotModifiable {
        /// The vector being rescored.
        vector: String,
        /// The base metric.
        metric: &'static str,
    },
}
