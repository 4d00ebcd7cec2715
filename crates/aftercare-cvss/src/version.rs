//! CVSS versions and their vector-string prefixes.
//!
//! This module is the bottom of the crate: the metric tables and the error name versions, and
//! a version knows nothing of them (its metric list, [`CvssVersion::metrics`], is defined
//! beside the tables in `metric.rs`).

use std::fmt;

/// A version of the CVSS specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CvssVersion {
    /// CVSS v2.0 (2007); vectors have no prefix.
    V2,
    /// CVSS v3.0 (2015), prefix `CVSS:3.0/`.
    V3_0,
    /// CVSS v3.1 (2019), prefix `CVSS:3.1/`.
    V3_1,
    /// CVSS v4.0 (2023), prefix `CVSS:4.0/`.
    V4_0,
}

impl CvssVersion {
    /// Every supported version, oldest first.
    pub const ALL: [CvssVersion; 4] = [
        CvssVersion::V2,
        CvssVersion::V3_0,
        CvssVersion::V3_1,
        CvssVersion::V4_0,
    ];

    /// The version number as written in vector prefixes and NVD records: `2.0`, `3.0`, `3.1`,
    /// `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }

    /// The vector prefix without its trailing slash; `None` for v2, whose vectors have none.
    pub fn prefix(self) -> Option<&'static str> {
        match self {
            CvssVersion::V2 => None,
            CvssVersion::V3_0 => Some("CVSS:3.0"),
            CvssVersion::V3_1 => Some("CVSS:3.1"),
            CvssVersion::V4_0 => Some("CVSS:4.0"),
        }
    }

    /// The value that spells Not Defined: `X`, or `ND` in v2.
    pub fn not_defined(self) -> &'static str {
        match self {
            CvssVersion::V2 => "ND",
            _ => "X",
        }
    }

    /// The version named by a `CVSS:x.y` prefix.
    pub(crate) fn from_prefix(prefix: &str) -> Option<CvssVersion> {
        CvssVersion::ALL
            .into_iter()
            .find(|version| version.prefix() == Some(prefix))
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.as_str())
    }
}
