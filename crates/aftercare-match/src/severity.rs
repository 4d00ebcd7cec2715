//! A vulnerability's severity from its records (BRIEF step 3): the highest CVSS base severity
//! among the records' vectors, else the source's label, else `unknown`.
//!
//! Two choices the brief leaves open, decided here (see `docs/adr/0007-matching.md`):
//!
//! * Vectors are scored by `aftercare-cvss` from the vector itself; a score a source states
//!   without a vector is not a vector and counts as a label.
//! * CVSS v2 rates on another scale (no Critical; High from 7.0 is partly v3's Critical and
//!   partly its Medium). A v2 vector counts only when no record of the vulnerability has a
//!   v3.0, v3.1 or v4.0 vector, the way NVD itself stopped showing v2 next to v3.
//!
//! A CSAF rating that names the vulnerability it belongs to counts only for that one.

use aftercare_intel::record::{Rating as RecordRating, RatingSystem};
use aftercare_model::{Severity, VulnerabilityId};

/// A CVSS version, as far as the severity rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CvssVersion {
    /// CVSS v2.0.
    V2,
    /// CVSS v3.0.
    V3_0,
    /// CVSS v3.1.
    V3_1,
    /// CVSS v4.0.
    V4_0,
}

impl CvssVersion {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

/// One rating of a record, as the severity rule reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Rating {
    /// A CVSS vector, scored.
    Cvss {
        /// Its version.
        version: CvssVersion,
        /// The vector, normalized by `aftercare-cvss`.
        vector: String,
        /// The base score computed from the vector.
        score: f64,
        /// The base score's rating.
        severity: Severity,
        /// For CSAF: the vulnerability the score is about.
        vulnerability: Option<VulnerabilityId>,
    },
    /// A qualitative label (GitHub `MODERATE`, Red Hat `Important`), or a score without a
    /// vector.
    Label {
        /// The label as the source wrote it.
        label: String,
        /// Its severity.
        severity: Severity,
        /// For CSAF: the vulnerability the label is about.
        vulnerability: Option<VulnerabilityId>,
    },
}

impl Rating {
    /// The ratings of a record's rating list that say something about severity: vectors
    /// that `aftercare-cvss` scores, and labels that map onto a severity.
    pub fn from_record(ratings: &[RecordRating]) -> Vec<Rating> {
        let mut out = Vec::new();
        for rating in ratings {
            if rating.system.is_cvss()
                && let Some(vector) = &rating.vector
                && let Ok(cvss) = aftercare_cvss::parse(vector)
            {
                let version = match cvss.version() {
                    aftercare_cvss::CvssVersion::V2 => CvssVersion::V2,
                    aftercare_cvss::CvssVersion::V3_0 => CvssVersion::V3_0,
                    aftercare_cvss::CvssVersion::V3_1 => CvssVersion::V3_1,
                    aftercare_cvss::CvssVersion::V4_0 => CvssVersion::V4_0,
                };
                let score = cvss.base_score();
                let severity = match cvss.base_severity() {
                    aftercare_cvss::Severity::None => Severity::None,
                    aftercare_cvss::Severity::Low => Severity::Low,
                    aftercare_cvss::Severity::Medium => Severity::Medium,
                    aftercare_cvss::Severity::High => Severity::High,
                    aftercare_cvss::Severity::Critical => Severity::Critical,
                };
                out.push(Rating::Cvss {
                    version,
                    vector: cvss.vector(),
                    score,
                    severity,
                    vulnerability: rating.vulnerability.clone(),
                });
                continue;
            }
            if let Some(severity) = rating.severity.filter(|s| *s != Severity::Unknown) {
                let label = rating
                    .label
                    .clone()
                    .or_else(|| rating.base_score.map(|score| format!("{score:.1}")))
                    .unwrap_or_else(|| severity.as_str().to_string());
                out.push(Rating::Label {
                    label,
                    severity,
                    vulnerability: rating.vulnerability.clone(),
                });
            } else if matches!(rating.system, RatingSystem::Label)
                && let Some(label) = &rating.label
                && let Ok(severity) = label.parse::<Severity>()
            {
                out.push(Rating::Label {
                    label: label.clone(),
                    severity,
                    vulnerability: rating.vulnerability.clone(),
                });
            }
        }
        out
    }

    fn vulnerability(&self) -> Option<&VulnerabilityId> {
        match self {
            Rating::Cvss { vulnerability, .. } | Rating::Label { vulnerability, .. } => {
                vulnerability.as_ref()
            }
        }
    }
}

/// Where a vulnerability's severity comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    /// The highest CVSS base score among the records' vectors.
    Cvss {
        /// The record whose vector it is.
        record: VulnerabilityId,
        /// The CVSS version.
        version: CvssVersion,
        /// The vector.
        vector: String,
        /// The base score.
        score: f64,
    },
    /// No vector: the highest label a source gave.
    Label {
        /// The record whose label it is.
        record: VulnerabilityId,
        /// The label as written.
        label: String,
    },
    /// No record rates it.
    Unknown,
}

/// A vulnerability's severity and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The severity; [`Severity::Unknown`] when no record rates the vulnerability.
    pub severity: Severity,
    /// Where it comes from.
    pub basis: Basis,
}

impl Assessment {
    /// The unknown severity.
    pub fn unknown() -> Assessment {
        Assessment {
            severity: Severity::Unknown,
            basis: Basis::Unknown,
        }
    }
}

/// Applies the rule to the ratings of a vulnerability's records, given as (record id,
/// ratings). `ids` are the vulnerability's ids: a rating about another vulnerability (CSAF)
/// is skipped.
pub fn assess<'a>(
    records: impl IntoIterator<Item = (&'a VulnerabilityId, &'a [Rating])>,
    ids: &dyn Fn(&VulnerabilityId) -> bool,
) -> Assessment {
    let mut best_modern: Option<(Severity, f64, &VulnerabilityId, &Rating)> = None;
    let mut best_v2: Option<(Severity, f64, &VulnerabilityId, &Rating)> = None;
    let mut best_label: Option<(Severity, &VulnerabilityId, &Rating)> = None;
    for (record, ratings) in records {
        for rating in ratings {
            if rating.vulnerability().is_some_and(|about| !ids(about)) {
                continue;
            }
            match rating {
                Rating::Cvss {
                    version,
                    score,
                    severity,
                    ..
                } => {
                    let slot = if *version == CvssVersion::V2 {
                        &mut best_v2
                    } else {
                        &mut best_modern
                    };
                    let better = slot.as_ref().is_none_or(|(_, best, _, _)| *score > *best);
                    if better {
                        *slot = Some((*severity, *score, record, rating));
                    }
                }
                Rating::Label { severity, .. } => {
                    if best_label
                        .as_ref()
                        .is_none_or(|(best, _, _)| severity > best)
                    {
                        best_label = Some((*severity, record, rating));
                    }
                }
            }
        }
    }
    if let Some((
        severity,
        score,
        record,
        Rating::Cvss {
            version, vector, ..
        },
    )) = best_modern.or(best_v2)
    {
        return Assessment {
            severity,
            basis: Basis::Cvss {
                record: record.clone(),
                version: *version,
                vector: vector.clone(),
                score,
            },
        };
    }
    if let Some((severity, record, Rating::Label { label, .. })) = best_label {
        return Assessment {
            severity,
            basis: Basis::Label {
                record: record.clone(),
                label: label.clone(),
            },
        };
    }
    Assessment::unknown()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> VulnerabilityId {
        text.parse().unwrap()
    }

    fn cvss(vector: &str) -> Rating {
        let mut rating = RecordRating::new(RatingSystem::CvssV31);
        rating.vector = Some(vector.to_string());
        Rating::from_record(&[rating]).remove(0)
    }

    fn label(text: &str) -> Rating {
        let mut rating = RecordRating::new(RatingSystem::Label);
        rating.label = Some(text.to_string());
        rating.severity = text.parse().ok();
        Rating::from_record(&[rating]).remove(0)
    }

    fn check(records: &[(&str, Vec<Rating>)], expected: Severity) {
        let ids: Vec<(VulnerabilityId, Vec<Rating>)> = records
            .iter()
            .map(|(record, ratings)| (id(record), ratings.clone()))
            .collect();
        let assessment = assess(
            ids.iter()
                .map(|(record, ratings)| (record, ratings.as_slice())),
            &|_| true,
        );
        assert_eq!(assessment.severity, expected, "{records:?}");
    }

    #[test]
    fn rule() {
        let critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        let medium = "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:L";
        let v2_high = "AV:N/AC:L/Au:N/C:P/I:P/A:P";
        check(
            &[("GHSA-aaaa-bbbb-cccc", vec![cvss(medium)])],
            Severity::Medium,
        );
        check(
            &[
                ("GHSA-aaaa-bbbb-cccc", vec![cvss(medium), label("LOW")]),
                ("CVE-2020-0001", vec![cvss(critical)]),
            ],
            Severity::Critical,
        );
        // A label never beats a vector, even a higher label.
        check(
            &[("GHSA-aaaa-bbbb-cccc", vec![cvss(medium), label("CRITICAL")])],
            Severity::Medium,
        );
        // v2 only when there is no newer vector.
        check(&[("CVE-2020-0001", vec![cvss(v2_high)])], Severity::High);
        check(
            &[("CVE-2020-0001", vec![cvss(v2_high), cvss(medium)])],
            Severity::Medium,
        );
        check(
            &[("PYSEC-2020-1", vec![label("moderate")])],
            Severity::Medium,
        );
        check(&[("PYSEC-2020-1", vec![])], Severity::Unknown);
    }

    #[test]
    fn ratings_about_another_vulnerability_are_skipped() {
        let mut rating = RecordRating::new(RatingSystem::CvssV31);
        rating.vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into());
        rating.vulnerability = Some(id("CVE-2020-0002"));
        let ratings = Rating::from_record(&[rating]);
        let record = id("RHSA-2020:1");
        let assessment = assess([(&record, ratings.as_slice())], &|other| {
            other.as_str() == "CVE-2020-0001"
        });
        assert_eq!(assessment, Assessment::unknown());
    }
}
