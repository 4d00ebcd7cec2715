//! Qualitative severity ratings of CVSS scores.

use std::fmt;

use crate::version::CvssVersion;

/// The qualitative rating of a CVSS score, least severe first.
///
/// CVSS v3.x and v4.0 define None, Low, Medium, High and Critical (v3.1 specification
/// section 5, v4.0 specification section 6). CVSS v2.0 defines no rating; the one everybody
/// uses is NVD's: Low, Medium and High.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// 0.0 (v3.x and v4.0 only).
    None,
    /// 0.1–3.9 (v2: 0.0–3.9).
    Low,
    /// 4.0–6.9.
    Medium,
    /// 7.0–8.9 (v2: 7.0–10.0).
    High,
    /// 9.0–10.0 (v3.x and v4.0 only).
    Critical,
}

impl Severity {
    /// The rating of a score under a version's scale.
    pub fn of(version: CvssVersion, score: f64) -> Severity {
        match version {
            CvssVersion::V2 => {
                if score >= 7.0 {
                    Severity::High
                } else if score >= 4.0 {
                    Severity::Medium
                } else {
                    Severity::Low
                }
            }
            CvssVersion::V3_0 | CvssVersion::V3_1 | CvssVersion::V4_0 => {
                if score >= 9.0 {
                    Severity::Critical
                } else if score >= 7.0 {
                    Severity::High
                } else if score >= 4.0 {
                    Severity::Medium
                } else if score >= 0.1 {
                    Severity::Low
                } else {
                    Severity::None
                }
            }
        }
    }

    /// The rating as the specifications spell it: `None`, `Low`, `Medium`, `High`, `Critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "None",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(version: CvssVersion, score: f64, expected: Severity) {
        assert_eq!(Severity::of(version, score), expected, "{version} {score}");
    }

    #[test]
    fn band_edges() {
        use CvssVersion::*;
        check(V2, 0.0, Severity::Low);
        check(V2, 3.9, Severity::Low);
        check(V2, 4.0, Severity::Medium);
        check(V2, 6.9, Severity::Medium);
        check(V2, 7.0, Severity::High);
        check(V2, 10.0, Severity::High);
        for version in [V3_0, V3_1, V4_0] {
            check(version, 0.0, Severity::None);
            check(version, 0.1, Severity::Low);
            check(version, 3.9, Severity::Low);
            check(version, 4.0, Severity::Medium);
            check(version, 6.9, Severity::Medium);
            check(version, 7.0, Severity::High);
            check(version, 8.9, Severity::High);
            check(version, 9.0, Severity::Critical);
            check(version, 10.0, Severity::Critical);
        }
    }
}
