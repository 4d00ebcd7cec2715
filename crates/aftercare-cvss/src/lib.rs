//! CVSS v2, v3.0, v3.1 and v4.0 vectors: parse, score and print.
//!
//! [`parse`] reads a vector string of any supported version into a [`Cvss`], which gives the
//! scores each version defines (base, temporal or threat, environmental), their qualitative
//! [`Severity`], the normalized vector string and the individual metric values. A vector can
//! be rescored for a device's context by setting its temporal, threat and environmental
//! metrics ([`Cvss::set_metric`], [`Cvss::with_metrics`]); its base metrics stay as published.
//!
//! ```
//! let mut cvss = aftercare_cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")?;
//! assert_eq!(cvss.base_score(), 9.8);
//! // The device is only reachable from an adjacent network and holds no confidential data.
//! cvss.set_metric("MAV", "A")?;
//! cvss.set_metric("CR", "L")?;
//! assert_eq!(cvss.environmental_score(), Some(8.4));
//! assert_eq!(cvss.vector(), "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/MAV:A");
//! # Ok::<(), aftercare_cvss::CvssError>(())
//! ```
//!
//! The crate is pure and synchronous: no I/O, no allocation beyond the vector strings it
//! prints and the errors it returns. Scores are computed on demand from the stored metric
//! values, exactly as each specification defines them (see the version modules for the
//! rounding rules).

#![warn(missing_docs)]

mod error;
mod metric;
mod severity;
mod v2;
mod v3;
mod v4;
mod version;

use std::fmt;
use std::str::FromStr;

pub use error::CvssError;
pub use metric::{Metric, MetricGroup, ParseWarning};
pub use severity::Severity;
pub use version::CvssVersion;

use metric::Metrics;

/// A parsed CVSS vector of any supported version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cvss {
    /// A CVSS v2.0 vector.
    V2(CvssV2),
    /// A CVSS v3.0 or v3.1 vector.
    V3(CvssV3),
    /// A CVSS v4.0 vector.
    V4(CvssV4),
}

/// A CVSS v2.0 vector: base, temporal and environmental metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvssV2 {
    metrics: Metrics,
}

/// A CVSS v3.0 or v3.1 vector: base, temporal and environmental metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvssV3 {
    metrics: Metrics,
}

/// A CVSS v4.0 vector: base, threat, environmental and supplemental metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvssV4 {
    metrics: Metrics,
}

impl CvssV2 {
    /// The base score.
    pub fn base_score(&self) -> f64 {
        v2::base_score(&self.metrics)
    }

    /// The temporal score, when a temporal metric (E, RL, RC) is defined.
    pub fn temporal_score(&self) -> Option<f64> {
        v2::temporal_score(&self.metrics)
    }

    /// The environmental score, when an environmental metric (CDP, TD, CR, IR, AR) is
    /// defined. It includes the temporal metrics.
    pub fn environmental_score(&self) -> Option<f64> {
        v2::environmental_score(&self.metrics)
    }
}

impl CvssV3 {
    /// [`CvssVersion::V3_0`] or [`CvssVersion::V3_1`].
    pub fn version(&self) -> CvssVersion {
        self.metrics.version()
    }

    /// The base score.
    pub fn base_score(&self) -> f64 {
        v3::base_score(self.version(), &self.metrics)
    }

    /// The temporal score, when a temporal metric (E, RL, RC) is defined.
    pub fn temporal_score(&self) -> Option<f64> {
        v3::temporal_score(self.version(), &self.metrics)
    }

    /// The environmental score, when a security requirement or modified base metric is
    /// defined. It includes the temporal metrics.
    pub fn environmental_score(&self) -> Option<f64> {
        v3::environmental_score(self.version(), &self.metrics)
    }
}

impl CvssV4 {
    /// CVSS-B: the score of the base metrics alone.
    pub fn base_score(&self) -> f64 {
        v4::base_score(&self.metrics)
    }

    /// CVSS-BT: base and threat metrics, when the threat metric (E) is defined.
    pub fn threat_score(&self) -> Option<f64> {
        v4::threat_score(&self.metrics)
    }

    /// CVSS-BE, or CVSS-BTE when E is defined too: the score with the environmental metrics,
    /// when one of them is defined.
    pub fn environmental_score(&self) -> Option<f64> {
        v4::environmental_score(&self.metrics)
    }

    /// The nomenclature of the most specific score: `CVSS-B`, `CVSS-BT`, `CVSS-BE` or
    /// `CVSS-BTE` (v4.0 specification section 1.3).
    pub fn nomenclature(&self) -> &'static str {
        match (
            self.metrics.any_defined(MetricGroup::Threat),
            self.metrics.any_defined(MetricGroup::Environmental),
        ) {
            (false, false) => "CVSS-B",
            (true, false) => "CVSS-BT",
            (false, true) => "CVSS-BE",
            (true, true) => "CVSS-BTE",
        }
    }
}

/// The attack vector (v2: access vector) base metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttackVector {
    /// Remotely exploitable over the network (`N`).
    Network,
    /// From an adjacent network only (`A`).
    Adjacent,
    /// With local access only (`L`).
    Local,
    /// With physical access only (`P`; v3 and v4).
    Physical,
}

/// Exploit maturity: v2 Exploitability (E), v3 Exploit Code Maturity (E), v4 Exploit
/// Maturity (E). Variants keep each version's meaning; `Unproven` (v2, v3) and `Unreported`
/// (v4) are different claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExploitMaturity {
    /// v2 and v3 `U`: no exploit code is available, or an exploit is theoretical.
    Unproven,
    /// v2 `POC`, v3 and v4 `P`: proof-of-concept exploit code exists.
    ProofOfConcept,
    /// v2 and v3 `F`: functional exploit code exists.
    Functional,
    /// v2 and v3 `H`: functional autonomous code exists, or no exploit is required.
    High,
    /// v4 `A`: attacks have been reported, or a solution to simplify them is public.
    Attacked,
    /// v4 `U`: neither attacks nor proof-of-concept exploits are known.
    Unreported,
}

/// Parses a vector string of any supported version.
///
/// v2 vectors come bare (`AV:N/AC:L/Au:N/C:P/I:P/A:P`) or in NVD's parentheses; v3 vectors
/// start with `CVSS:3.0/` or `CVSS:3.1/`, v4 vectors with `CVSS:4.0/`. Surrounding whitespace
/// is ignored. Metrics may come in any order; a v4.0 vector out of the specification's order is
/// accepted (see [`parse_with_warnings`] to learn about it). Metric names and values are
/// case-sensitive, as in the specifications.
pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
    parse_with_warnings(vector).map(|(cvss, _)| cvss)
}

/// Parses like [`parse`] and also returns what was accepted but is not as the specification
/// writes it.
pub fn parse_with_warnings(vector: &str) -> Result<(Cvss, Vec<ParseWarning>), CvssError> {
    let input = vector.trim();
    if input.is_empty() {
        return Err(CvssError::Empty);
    }
    let mut warnings = Vec::new();
    let cvss = if let Some(rest) = input.strip_prefix("CVSS:") {
        let (number, body) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = &input[..input.len() - rest.len() + number.len()];
        let version = CvssVersion::from_prefix(prefix).ok_or_else(|| CvssError::WrongPrefix {
            vector: input.to_owned(),
            prefix: prefix.to_owned(),
        })?;
        Cvss::from_metrics(Metrics::parse(version, input, body, &mut warnings)?)
    } else {
        let body = input
            .strip_prefix('(')
            .and_then(|inner| inner.strip_suffix(')'))
            .unwrap_or(input);
        // Without a prefix the vector must be v2; if its first metric is not a v2 metric, say
        // that the prefix is missing rather than that the metric is unknown.
        let first = body.split('/').next().unwrap_or(body);
        let first_key = first.split_once(':').map(|(key, _)| key);
        if !first_key.is_some_and(|key| metric::V2.iter().any(|metric| metric.key == key)) {
            return Err(CvssError::WrongPrefix {
                vector: input.to_owned(),
                prefix: first.to_owned(),
            });
        }
        Cvss::from_metrics(Metrics::parse(CvssVersion::V2, input, body, &mut warnings)?)
    };
    Ok((cvss, warnings))
}

impl Cvss {
    fn from_metrics(metrics: Metrics) -> Cvss {
        match metrics.version() {
            CvssVersion::V2 => Cvss::V2(CvssV2 { metrics }),
            CvssVersion::V3_0 | CvssVersion::V3_1 => Cvss::V3(CvssV3 { metrics }),
            CvssVersion::V4_0 => Cvss::V4(CvssV4 { metrics }),
        }
    }

    fn metrics_ref(&self) -> &Metrics {
        match self {
            Cvss::V2(vector) => &vector.metrics,
            Cvss::V3(vector) => &vector.metrics,
            Cvss::V4(vector) => &vector.metrics,
        }
    }

    fn metrics_mut(&mut self) -> &mut Metrics {
        match self {
            Cvss::V2(vector) => &mut vector.metrics,
            Cvss::V3(vector) => &mut vector.metrics,
            Cvss::V4(vector) => &mut vector.metrics,
        }
    }

    /// The vector's CVSS version.
    pub fn version(&self) -> CvssVersion {
        self.metrics_ref().version()
    }

    /// The base score (v4: CVSS-B).
    pub fn base_score(&self) -> f64 {
        match self {
            Cvss::V2(vector) => vector.base_score(),
            Cvss::V3(vector) => vector.base_score(),
            Cvss::V4(vector) => vector.base_score(),
        }
    }

    /// The temporal score of a v2 or v3 vector with a temporal metric defined; `None`
    /// otherwise, and always for v4 (see [`Cvss::threat_score`]).
    pub fn temporal_score(&self) -> Option<f64> {
        match self {
            Cvss::V2(vector) => vector.temporal_score(),
            Cvss::V3(vector) => vector.temporal_score(),
            Cvss::V4(_) => None,
        }
    }

    /// The threat score (CVSS-BT) of a v4 vector with the threat metric defined; `None`
    /// otherwise, and always for v2 and v3 (see [`Cvss::temporal_score`]).
    pub fn threat_score(&self) -> Option<f64> {
        match self {
            Cvss::V4(vector) => vector.threat_score(),
            Cvss::V2(_) | Cvss::V3(_) => None,
        }
    }

    /// The environmental score, when an environmental metric is defined. It includes the
    /// temporal (v2, v3) or threat (v4: CVSS-BTE) metrics.
    pub fn environmental_score(&self) -> Option<f64> {
        match self {
            Cvss::V2(vector) => vector.environmental_score(),
            Cvss::V3(vector) => vector.environmental_score(),
            Cvss::V4(vector) => vector.environmental_score(),
        }
    }

    /// The most specific score: environmental, else temporal or threat, else base.
    pub fn score(&self) -> f64 {
        self.environmental_score()
            .or_else(|| self.temporal_score())
            .or_else(|| self.threat_score())
            .unwrap_or_else(|| self.base_score())
    }

    /// The rating of the most specific score ([`Cvss::score`]).
    pub fn severity(&self) -> Severity {
        Severity::of(self.version(), self.score())
    }

    /// The rating of the base score.
    pub fn base_severity(&self) -> Severity {
        Severity::of(self.version(), self.base_score())
    }

    /// The normalized vector string: the version prefix (none for v2), then every defined
    /// metric in the specification's canonical order; Not Defined metrics are left out.
    pub fn vector(&self) -> String {
        self.metrics_ref().to_string()
    }

    /// The value abbreviation of a metric (`"N"` for `AV:N`), or `None` when the version has
    /// no such metric or it is Not Defined.
    pub fn metric(&self, metric: &str) -> Option<&'static str> {
        self.metrics_ref().get(metric)
    }

    /// Every defined metric as (abbreviation, value) pairs, in canonical order.
    pub fn metrics(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.metrics_ref().iter()
    }

    /// The attack vector base metric (v2: access vector).
    pub fn attack_vector(&self) -> AttackVector {
        match self.metric("AV") {
            Some("N") => AttackVector::Network,
            Some("A") => AttackVector::Adjacent,
            Some("L") => AttackVector::Local,
            // Parsing guarantees a base value; P is the only one left.
            _ => AttackVector::Physical,
        }
    }

    /// The exploit maturity metric (E), when defined.
    pub fn exploit_maturity(&self) -> Option<ExploitMaturity> {
        let value = self.metric("E")?;
        Some(match (self.version(), value) {
            (CvssVersion::V4_0, "A") => ExploitMaturity::Attacked,
            (CvssVersion::V4_0, "P") => ExploitMaturity::ProofOfConcept,
            (CvssVersion::V4_0, _) => ExploitMaturity::Unreported,
            (_, "U") => ExploitMaturity::Unproven,
            (_, "POC" | "P") => ExploitMaturity::ProofOfConcept,
            (_, "F") => ExploitMaturity::Functional,
            _ => ExploitMaturity::High,
        })
    }

    /// Sets a temporal, threat, environmental or supplemental metric, as when rescoring a
    /// published vector for a device's context; `X` (v2: `ND`) clears it. Base metrics are
    /// refused: set their modified (M*) counterparts instead (v2 has none).
    pub fn set_metric(&mut self, metric: &str, value: &str) -> Result<(), CvssError> {
        self.metrics_mut().set(metric, value)
    }

    /// A copy with every `METRIC:VALUE` of a slash-separated fragment set as by
    /// [`Cvss::set_metric`], e.g. `vector.with_metrics("MAV:A/CR:L")`.
    pub fn with_metrics(&self, fragment: &str) -> Result<Cvss, CvssError> {
        let mut rescored = self.clone();
        for component in fragment.trim().split('/') {
            let Some((metric, value)) = component.split_once(':') else {
                return Err(CvssError::MalformedComponent {
                    vector: fragment.to_owned(),
                    component: component.to_owned(),
                });
            };
            rescored.set_metric(metric, value)?;
        }
        Ok(rescored)
    }

    /// A copy with only the base metrics: the vector as it scores CVSS-B / the base score.
    pub fn base(&self) -> Cvss {
        let metrics = self.metrics_ref().without(&[
            MetricGroup::Temporal,
            MetricGroup::Threat,
            MetricGroup::Environmental,
            MetricGroup::Supplemental,
        ]);
        Cvss::from_metrics(metrics)
    }
}

impl fmt::Display for Cvss {
    /// Writes [`Cvss::vector`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.metrics_ref(), f)
    }
}

impl FromStr for Cvss {
    type Err = CvssError;

    fn from_str(vector: &str) -> Result<Cvss, CvssError> {
        parse(vector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses and checks the version and the normalized form.
    fn check(vector: &str, version: CvssVersion, normalized: &str) {
        let cvss = parse(vector).unwrap_or_else(|error| panic!("{vector}: {error}"));
        assert_eq!(cvss.version(), version, "{vector}");
        assert_eq!(cvss.vector(), normalized, "{vector}");
    }

    #[test]
    fn version_detection_and_normalization() {
        use CvssVersion::*;
        check(
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            V2,
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        );
        check(
            "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
            V2,
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        );
        check(
            "  A:P/AV:N/AC:L/Au:N/C:P/I:P/E:ND \n",
            V2,
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        );
        check(
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X",
            V3_0,
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        );
        check(
            "CVSS:3.1/MAV:L/CR:H/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RC:C",
            V3_1,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RC:C/CR:H/MAV:L",
        );
        check(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Clear/S:X",
            V4_0,
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Clear",
        );
    }

    #[test]
    fn most_specific_score_and_its_severity() {
        let cases = [
            // (vector, score, severity, base severity)
            (
                "AV:N/AC:L/Au:N/C:C/I:C/A:C/E:U",
                8.5,
                Severity::High,
                Severity::High,
            ),
            (
                "AV:N/AC:L/Au:N/C:C/I:C/A:C/TD:N",
                0.0,
                Severity::Low,
                Severity::High,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U",
                7.8,
                Severity::High,
                Severity::Critical,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N",
                0.0,
                Severity::None,
                Severity::Critical,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
                8.1,
                Severity::High,
                Severity::Critical,
            ),
        ];
        for (vector, score, severity, base_severity) in cases {
            let cvss = parse(vector).unwrap_or_else(|error| panic!("{vector}: {error}"));
            assert_eq!(cvss.score(), score, "{vector}");
            assert_eq!(cvss.severity(), severity, "{vector}");
            assert_eq!(cvss.base_severity(), base_severity, "{vector}");
        }
    }
}
