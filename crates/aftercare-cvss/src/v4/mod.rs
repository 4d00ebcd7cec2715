//! CVSS v4.0 scoring: the macrovector algorithm of the v4.0 specification (section 8),
//! as FIRST's reference calculator (`cvss_score.js`) implements it.
//!
//! A vector is mapped to a macrovector of six equivalence-class levels (EQ1–EQ6) whose score
//! is looked up; the score is then lowered by the mean proportional severity distance of the
//! vector from the highest-severity vectors of its macrovector, and rounded half up to one
//! decimal. The calculator stores severity levels as multiples of 0.1; here they are the
//! integers 0, 1, 2, 3, which makes the distances exact.
//!
//! The same function gives the three scores: CVSS-B ignores threat and environmental
//! metrics, CVSS-BT adds the threat metric, CVSS-BE/BTE add the environmental metrics.

mod tables;

use crate::metric::{MetricGroup, Metrics};

// Indexes into `metric::V4`.
const AV: usize = 0;
const AC: usize = 1;
const AT: usize = 2;
const PR: usize = 3;
const UI: usize = 4;
const VC: usize = 5;
const VI: usize = 6;
const VA: usize = 7;
const SC: usize = 8;
const SI: usize = 9;
const SA: usize = 10;
const E: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;
const MAV: usize = 15;
const MAC: usize = 16;
const MAT: usize = 17;
const MPR: usize = 18;
const MUI: usize = 19;
const MVC: usize = 20;
const MVI: usize = 21;
const MVA: usize = 22;
const MSC: usize = 23;
const MSI: usize = 24;
const MSA: usize = 25;

/// The severity level scales, most severe first; a level is the position of a value.
///
/// The value lists of `metric::V4` are ordered so that a stored value minus one is its level,
/// except for the subsequent-system impacts, whose scale starts with Safety (`S`), which only
/// MSI and MSA can take. These lists are also what the generated tables were built from.
#[cfg(test)]
pub(crate) mod level {
    pub(crate) const AV: [&str; 4] = ["N", "A", "L", "P"];
    pub(crate) const PR: [&str; 3] = ["N", "L", "H"];
    pub(crate) const UI: [&str; 3] = ["N", "P", "A"];
    pub(crate) const AC: [&str; 2] = ["L", "H"];
    pub(crate) const AT: [&str; 2] = ["N", "P"];
    pub(crate) const VULNERABLE: [&str; 3] = ["H", "L", "N"];
    pub(crate) const SUBSEQUENT: [&str; 4] = ["S", "H", "L", "N"];
    pub(crate) const REQUIREMENT: [&str; 3] = ["H", "M", "L"];
    pub(crate) const E: [&str; 3] = ["A", "P", "U"];
}

/// The effective severity level of every scored metric, after the calculator's `m()`:
/// a defined modified metric replaces its base metric, E Not Defined counts as Attacked and a
/// security requirement Not Defined counts as High.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Levels {
    av: u8,
    pr: u8,
    ui: u8,
    ac: u8,
    at: u8,
    vc: u8,
    vi: u8,
    va: u8,
    sc: u8,
    si: u8,
    sa: u8,
    e: u8,
    cr: u8,
    ir: u8,
    ar: u8,
}

/// Which metric groups a score takes into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Groups {
    threat: bool,
    environmental: bool,
}

impl Levels {
    fn of(metrics: &Metrics, groups: Groups) -> Levels {
        // Stored values are 1-based positions; levels are 0-based.
        let base = |index: usize| metrics.raw(index).saturating_sub(1);
        let merged = |modified: usize, index: usize| match metrics.raw(modified) {
            raw if raw != 0 && groups.environmental => raw - 1,
            _ => base(index),
        };
        // SC, SI, SA and MSC list H, L, N, which sit one level below Safety.
        let subsequent = |modified: usize, index: usize, modified_has_safety: bool| match metrics
            .raw(modified)
        {
            raw if raw != 0 && groups.environmental => {
                if modified_has_safety {
                    raw - 1
                } else {
                    raw
                }
            }
            _ => metrics.raw(index),
        };
        let optional = |index: usize, enabled: bool| {
            if enabled { base(index) } else { 0 }
        };
        Levels {
            av: merged(MAV, AV),
            pr: merged(MPR, PR),
            ui: merged(MUI, UI),
            ac: merged(MAC, AC),
            at: merged(MAT, AT),
            vc: merged(MVC, VC),
            vi: merged(MVI, VI),
            va: merged(MVA, VA),
            sc: subsequent(MSC, SC, false),
            si: subsequent(MSI, SI, true),
            sa: subsequent(MSA, SA, true),
            // Not Defined (stored 0) saturates to level 0: Attacked, and High for the
            // requirements, the worst case the specification prescribes.
            e: optional(E, groups.threat),
            cr: optional(CR, groups.environmental),
            ir: optional(IR, groups.environmental),
            ar: optional(AR, groups.environmental),
        }
    }

    /// EQ1–EQ6 of the specification's Tables 24–29.
    fn macrovector(&self) -> [u8; 6] {
        let eq1 = if self.av == 0 && self.pr == 0 && self.ui == 0 {
            0
        } else if (self.av == 0 || self.pr == 0 || self.ui == 0) && self.av != 3 {
            1
        } else {
            2
        };
        let eq2 = u8::from(!(self.ac == 0 && self.at == 0));
        let eq3 = if self.vc == 0 && self.vi == 0 {
            0
        } else if self.vc == 0 || self.vi == 0 || self.va == 0 {
            1
        } else {
            2
        };
        let eq4 = if self.si == 0 || self.sa == 0 {
            0
        } else if self.sc == 1 || self.si == 1 || self.sa == 1 {
            1
        } else {
            2
        };
        let eq5 = self.e;
        let eq6 = u8::from(
            !((self.cr == 0 && self.vc == 0)
                || (self.ir == 0 && self.vi == 0)
                || (self.ar == 0 && self.va == 0)),
        );
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

/// Position of a macrovector in `tables::LOOKUP`, or `None` outside the level ranges.
fn macrovector_index(macrovector: [u8; 6]) -> Option<usize> {
    const RANGES: [u8; 6] = [3, 2, 3, 3, 3, 2];
    let mut index = 0;
    for (level, range) in macrovector.into_iter().zip(RANGES) {
        if level >= range {
            return None;
        }
        index = index * usize::from(range) + usize::from(level);
    }
    Some(index)
}

/// The score of a macrovector, `None` if it does not exist.
fn lookup(macrovector: [u8; 6]) -> Option<f64> {
    tables::LOOKUP
        .get(macrovector_index(macrovector)?)
        .copied()
        .flatten()
}

/// The macrovector with one EQ level one step lower in severity.
fn lower(macrovector: [u8; 6], eq: usize) -> [u8; 6] {
    let mut lower = macrovector;
    if let Some(level) = lower.get_mut(eq) {
        *level += 1;
    }
    lower
}

/// Per-metric distances from the first candidate that is at least as severe in every metric;
/// `None` if no candidate is.
fn distances<const N: usize>(vector: [u8; N], candidates: &[[u8; N]]) -> Option<[i32; N]> {
    candidates.iter().find_map(|candidate| {
        let distance: [i32; N] =
            std::array::from_fn(|i| i32::from(vector[i]) - i32::from(candidate[i]));
        distance.iter().all(|d| *d >= 0).then_some(distance)
    })
}

/// Distances from the last candidate, used when some part has no fitting candidate: the
/// calculator's search then ends on the last combination of highest-severity vectors.
fn distances_from_last<const N: usize>(vector: [u8; N], candidates: &[[u8; N]]) -> [i32; N] {
    let last = candidates.last().copied().unwrap_or(vector);
    std::array::from_fn(|i| i32::from(vector[i]) - i32::from(last[i]))
}

/// The score of a vector at the given levels.
fn score(levels: &Levels) -> f64 {
    // No impact on any system: the specification's shortcut to 0.
    if levels.vc == 2
        && levels.vi == 2
        && levels.va == 2
        && levels.sc == 3
        && levels.si == 3
        && levels.sa == 3
    {
        return 0.0;
    }
    let macrovector = levels.macrovector();
    let [eq1, eq2, eq3, eq4, eq5, eq6] = macrovector.map(usize::from);
    // Every reachable macrovector has a score (unit test `every_reachable_macrovector...`).
    let Some(value) = lookup(macrovector) else {
        return 0.0;
    };

    // 1a. The maximal scoring difference to the next lower macrovector of each EQ.
    let lower_eq1 = lookup(lower(macrovector, 0));
    let lower_eq2 = lookup(lower(macrovector, 1));
    let lower_eq3_eq6 = match (eq3, eq6) {
        (0 | 1, 1) => lookup(lower(macrovector, 2)),
        (1, 0) => lookup(lower(macrovector, 5)),
        (0, 0) => {
            // Two paths lead down; the calculator takes the higher-scoring one.
            let left = lookup(lower(macrovector, 5));
            let right = lookup(lower(macrovector, 2));
            match (left, right) {
                (Some(left), Some(right)) if left > right => Some(left),
                _ => right,
            }
        }
        _ => lookup(lower(lower(macrovector, 2), 5)),
    };
    let lower_eq4 = lookup(lower(macrovector, 3));
    let lower_eq5 = lookup(lower(macrovector, 4));

    // 1b. The severity distance from the highest-severity vectors of the macrovector.
    let eq1_vector = [levels.av, levels.pr, levels.ui];
    let eq2_vector = [levels.ac, levels.at];
    let eq3_eq6_vector = [
        levels.vc, levels.vi, levels.va, levels.cr, levels.ir, levels.ar,
    ];
    let eq4_vector = [levels.sc, levels.si, levels.sa];
    let eq1_maxes = tables::EQ1_MAXES.get(eq1).copied().unwrap_or(&[]);
    let eq2_maxes = tables::EQ2_MAXES.get(eq2).copied().unwrap_or(&[]);
    let eq3_eq6_maxes = tables::EQ3_EQ6_MAXES
        .get(eq3)
        .and_then(|row| row.get(eq6))
        .copied()
        .unwrap_or(&[]);
    let eq4_maxes = tables::EQ4_MAXES.get(eq4).copied().unwrap_or(&[]);
    let fitting = (
        distances(eq1_vector, eq1_maxes),
        distances(eq2_vector, eq2_maxes),
        distances(eq3_eq6_vector, eq3_eq6_maxes),
        distances(eq4_vector, eq4_maxes),
    );
    let (distance_eq1, distance_eq2, distance_eq3_eq6, distance_eq4) = match fitting {
        (Some(a), Some(b), Some(c), Some(d)) => (a, b, c, d),
        _ => (
            distances_from_last(eq1_vector, eq1_maxes),
            distances_from_last(eq2_vector, eq2_maxes),
            distances_from_last(eq3_eq6_vector, eq3_eq6_maxes),
            distances_from_last(eq4_vector, eq4_maxes),
        ),
    };

    // 1c, 1d. Each available distance times the proportion of the macrovector's depth.
    let depth_eq1 = tables::EQ1_DEPTH.get(eq1).copied().unwrap_or(1);
    let depth_eq2 = tables::EQ2_DEPTH.get(eq2).copied().unwrap_or(1);
    let depth_eq3_eq6 = tables::EQ3_EQ6_DEPTH
        .get(eq3)
        .and_then(|row| row.get(eq6))
        .copied()
        .flatten()
        .unwrap_or(1);
    let depth_eq4 = tables::EQ4_DEPTH.get(eq4).copied().unwrap_or(1);
    let parts = [
        (lower_eq1, distance_eq1.iter().sum::<i32>(), depth_eq1),
        (lower_eq2, distance_eq2.iter().sum(), depth_eq2),
        (lower_eq3_eq6, distance_eq3_eq6.iter().sum(), depth_eq3_eq6),
        (lower_eq4, distance_eq4.iter().sum(), depth_eq4),
        // EQ5's proportion is always 0, but an existing lower macrovector still counts in
        // the mean.
        (
            lower_eq5,
            0,
            tables::EQ5_DEPTH.get(eq5).copied().unwrap_or(1),
        ),
    ];
    let mut existing = 0_u32;
    let mut total = 0.0;
    for (lower_score, distance, depth) in parts {
        if let Some(lower_score) = lower_score {
            existing += 1;
            total += (value - lower_score) * (f64::from(distance) / f64::from(depth));
        }
    }
    // 2. The mean of the proportional distances; 3. subtracted from the macrovector score.
    let mean = if existing == 0 {
        0.0
    } else {
        total / f64::from(existing)
    };
    round((value - mean).clamp(0.0, 10.0))
}

/// Half up to one decimal, after lifting by 10^-6 as the reference calculator does: the
/// interpolation can land one ulp below a tie such as 5.65.
fn round(value: f64) -> f64 {
    ((value + 1e-6) * 10.0).round() / 10.0
}

/// CVSS-B: the base score.
pub(crate) fn base_score(metrics: &Metrics) -> f64 {
    score(&Levels::of(
        metrics,
        Groups {
            threat: false,
            environmental: false,
        },
    ))
}

/// CVSS-BT: base and threat, when the threat metric is defined.
pub(crate) fn threat_score(metrics: &Metrics) -> Option<f64> {
    metrics.any_defined(MetricGroup::Threat).then(|| {
        score(&Levels::of(
            metrics,
            Groups {
                threat: true,
                environmental: false,
            },
        ))
    })
}

/// CVSS-BE or CVSS-BTE: with the environmental metrics (and the threat metric, if defined),
/// when an environmental metric is defined.
pub(crate) fn environmental_score(metrics: &Metrics) -> Option<f64> {
    metrics.any_defined(MetricGroup::Environmental).then(|| {
        score(&Levels::of(
            metrics,
            Groups {
                threat: true,
                environmental: true,
            },
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The letters of a level list at the given levels, as the calculator writes them.
    fn spell(keys: &[&str], scales: &[&[&str]], levels: &[u8]) -> String {
        keys.iter()
            .zip(scales)
            .zip(levels)
            .map(|((key, scale), level)| format!("{key}:{}/", scale[usize::from(*level)]))
            .collect()
    }

    fn spell_all<const N: usize>(
        keys: &[&str],
        scales: &[&[&str]],
        entries: &[[u8; N]],
    ) -> Vec<String> {
        entries
            .iter()
            .map(|entry| spell(keys, scales, entry))
            .collect()
    }

    fn strings(value: &Value) -> Vec<String> {
        value
            .as_array()
            .expect("array")
            .iter()
            .map(|item| item.as_str().expect("string").to_owned())
            .collect()
    }

    #[test]
    fn tables_equal_the_shared_file() {
        let shared: Value =
            serde_json::from_slice(&aftercare_testdata::read("cvss/cvss-v4-lookup-tables.json"))
                .expect("valid JSON");

        // cvssLookup_global: every key and score, nothing more.
        let expected = shared["cvssLookup_global"].as_object().expect("object");
        let mut embedded = serde_json::Map::new();
        for eq1 in 0..3 {
            for eq2 in 0..2 {
                for eq3 in 0..3 {
                    for eq4 in 0..3 {
                        for eq5 in 0..3 {
                            for eq6 in 0..2 {
                                let macrovector = [eq1, eq2, eq3, eq4, eq5, eq6];
                                if let Some(score) = lookup(macrovector) {
                                    let key: String =
                                        macrovector.iter().map(|l| l.to_string()).collect();
                                    embedded.insert(key, Value::from(score));
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(embedded.len(), 270);
        for (key, score) in expected {
            assert_eq!(
                embedded.get(key).and_then(Value::as_f64),
                score.as_f64(),
                "cvssLookup_global[{key}]"
            );
        }
        assert_eq!(embedded.len(), expected.len());

        // maxComposed.
        let composed = &shared["maxComposed"];
        let eq1_scales: [&[&str]; 3] = [&level::AV, &level::PR, &level::UI];
        for (eq, maxes) in tables::EQ1_MAXES.iter().enumerate() {
            assert_eq!(
                spell_all(&["AV", "PR", "UI"], &eq1_scales, maxes),
                strings(&composed["eq1"][eq.to_string()]),
                "maxComposed.eq1.{eq}"
            );
        }
        for (eq, maxes) in tables::EQ2_MAXES.iter().enumerate() {
            assert_eq!(
                spell_all(&["AC", "AT"], &[&level::AC, &level::AT], maxes),
                strings(&composed["eq2"][eq.to_string()]),
                "maxComposed.eq2.{eq}"
            );
        }
        let eq3_scales: [&[&str]; 6] = [
            &level::VULNERABLE,
            &level::VULNERABLE,
            &level::VULNERABLE,
            &level::REQUIREMENT,
            &level::REQUIREMENT,
            &level::REQUIREMENT,
        ];
        for (eq3, row) in tables::EQ3_EQ6_MAXES.iter().enumerate() {
            for (eq6, maxes) in row.iter().enumerate() {
                let expected = &composed["eq3"][eq3.to_string()][eq6.to_string()];
                let expected = if expected.is_null() {
                    Vec::new()
                } else {
                    strings(expected)
                };
                assert_eq!(
                    spell_all(&["VC", "VI", "VA", "CR", "IR", "AR"], &eq3_scales, maxes),
                    expected,
                    "maxComposed.eq3.{eq3}.{eq6}"
                );
            }
        }
        let eq4_scales: [&[&str]; 3] = [&level::SUBSEQUENT, &level::SUBSEQUENT, &level::SUBSEQUENT];
        for (eq, maxes) in tables::EQ4_MAXES.iter().enumerate() {
            assert_eq!(
                spell_all(&["SC", "SI", "SA"], &eq4_scales, maxes),
                strings(&composed["eq4"][eq.to_string()]),
                "maxComposed.eq4.{eq}"
            );
        }
        for (eq, maxes) in tables::EQ5_MAXES.iter().enumerate() {
            assert_eq!(
                spell_all(&["E"], &[&level::E], maxes),
                strings(&composed["eq5"][eq.to_string()]),
                "maxComposed.eq5.{eq}"
            );
        }
        assert_eq!(composed.as_object().map(|o| o.len()), Some(5));

        // maxSeverity.
        let severity = &shared["maxSeverity"];
        let depth = |value: &Value| value.as_u64().and_then(|d| u8::try_from(d).ok());
        for (eq, expected) in tables::EQ1_DEPTH.iter().enumerate() {
            assert_eq!(depth(&severity["eq1"][eq.to_string()]), Some(*expected));
        }
        for (eq, expected) in tables::EQ2_DEPTH.iter().enumerate() {
            assert_eq!(depth(&severity["eq2"][eq.to_string()]), Some(*expected));
        }
        for (eq3, row) in tables::EQ3_EQ6_DEPTH.iter().enumerate() {
            for (eq6, expected) in row.iter().enumerate() {
                assert_eq!(
                    depth(&severity["eq3eq6"][eq3.to_string()][eq6.to_string()]),
                    *expected,
                    "maxSeverity.eq3eq6.{eq3}.{eq6}"
                );
            }
        }
        for (eq, expected) in tables::EQ4_DEPTH.iter().enumerate() {
            assert_eq!(depth(&severity["eq4"][eq.to_string()]), Some(*expected));
        }
        for (eq, expected) in tables::EQ5_DEPTH.iter().enumerate() {
            assert_eq!(depth(&severity["eq5"][eq.to_string()]), Some(*expected));
        }
    }

    #[test]
    fn every_reachable_macrovector_has_a_score() {
        // EQ6 = 0 needs a high vulnerable-system impact, which EQ3 = 2 excludes; every other
        // combination must be in the table, or `score` would fall back to 0.
        for index in 0..tables::MACROVECTORS {
            let eq6 = index % 2;
            let eq3 = (index / 18) % 3;
            let reachable = !(eq3 == 2 && eq6 == 0);
            assert_eq!(
                tables::LOOKUP[index].is_some(),
                reachable,
                "macrovector index {index}"
            );
        }
    }

    #[test]
    fn macrovector_index_is_row_major_in_eq_order() {
        assert_eq!(macrovector_index([0, 0, 0, 0, 0, 0]), Some(0));
        assert_eq!(macrovector_index([0, 0, 0, 0, 0, 1]), Some(1));
        assert_eq!(macrovector_index([2, 1, 2, 2, 2, 1]), Some(323));
        assert_eq!(macrovector_index([3, 0, 0, 0, 0, 0]), None);
        assert_eq!(macrovector_index([0, 0, 0, 0, 0, 2]), None);
    }
}
