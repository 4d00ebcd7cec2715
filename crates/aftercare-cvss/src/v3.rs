//! CVSS v3.0 and v3.1 scoring: the base, temporal and environmental equations of the
//! v3.1 specification (section 7) and of the v3.0 specification (section 8).
//!
//! The two minor versions differ in exactly two places, both implemented here as their
//! specifications write them:
//! * Roundup. v3.0 (section 8.1) defines it as the smallest one-decimal number equal to or
//!   higher than the input: a ceiling of the exact value. v3.1 (Appendix A) redefines it on
//!   `x × 100 000` rounded to an integer, which also treats values less than 0.000 005 above a
//!   tenth as that tenth. See [`roundup`] for how the v3.0 ceiling stays exact in binary
//!   floating point.
//! * The environmental ModifiedImpact when the modified scope is changed: v3.0 uses
//!   `7.52 × (MISS − 0.029) − 3.25 × (MISS − 0.02)^15`, v3.1 uses
//!   `7.52 × (MISS − 0.029) − 3.25 × (MISS × 0.9731 − 0.02)^13`.

use crate::metric::{MetricGroup, Metrics};
use crate::version::CvssVersion;

// Indexes into `metric::V3`.
const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;
const E: usize = 8;
const RL: usize = 9;
const RC: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;
const MAV: usize = 14;
const MAC: usize = 15;
const MPR: usize = 16;
const MUI: usize = 17;
const MS: usize = 18;
const MC: usize = 19;
const MI: usize = 20;
const MA: usize = 21;

// Weights of the v3.1 specification's Table 16, in the order of the value lists of
// `metric::V3`. Base tables list defined values; the tables of optional metrics start with the
// Not Defined weight.
/// Attack vector N, A, L, P.
const ATTACK_VECTOR: [f64; 4] = [0.85, 0.62, 0.55, 0.2];
/// Attack complexity L, H.
const ATTACK_COMPLEXITY: [f64; 2] = [0.77, 0.44];
/// Privileges required N, L, H when the scope is unchanged.
const PRIVILEGES_SCOPE_UNCHANGED: [f64; 3] = [0.85, 0.62, 0.27];
/// Privileges required N, L, H when the scope is changed.
const PRIVILEGES_SCOPE_CHANGED: [f64; 3] = [0.85, 0.68, 0.5];
/// User interaction N, R.
const USER_INTERACTION: [f64; 2] = [0.85, 0.62];
/// Confidentiality, integrity and availability impact H, L, N.
const IMPACT: [f64; 3] = [0.56, 0.22, 0.0];
/// Exploit code maturity X, U, P, F, H.
const EXPLOIT_CODE_MATURITY: [f64; 5] = [1.0, 0.91, 0.94, 0.97, 1.0];
/// Remediation level X, O, T, W, U.
const REMEDIATION_LEVEL: [f64; 5] = [1.0, 0.95, 0.96, 0.97, 1.0];
/// Report confidence X, U, R, C.
const REPORT_CONFIDENCE: [f64; 4] = [1.0, 0.92, 0.96, 1.0];
/// Security requirement X, L, M, H.
const REQUIREMENT: [f64; 4] = [1.0, 0.5, 1.0, 1.5];
/// The value position (plus one) of Changed in the scope's value list `U, C`.
const CHANGED: u8 = 2;

/// The weight of a stored base value (1-based) in a table of defined values.
fn weight(table: &[f64], raw: u8) -> f64 {
    table
        .get(usize::from(raw).wrapping_sub(1))
        .copied()
        .unwrap_or(0.0)
}

/// The weight of an optional metric in a table that starts with Not Defined.
fn optional_weight(metrics: &Metrics, index: usize, table: &[f64]) -> f64 {
    table
        .get(usize::from(metrics.raw(index)))
        .copied()
        .unwrap_or(1.0)
}

/// The value of a modified metric, falling back to its base metric when Not Defined.
fn modified(metrics: &Metrics, modified_index: usize, base_index: usize) -> u8 {
    match metrics.raw(modified_index) {
        0 => metrics.raw(base_index),
        raw => raw,
    }
}

/// Below this distance (in tenths) a float is taken to be exactly on a tenth in v3.0's
/// Roundup. Every v3.0 equation except the scope-changed powers works on decimals of at most
/// eleven places, so exact values are either on a tenth or at least 10^-10 tenths away from it,
/// while the float error of a score below 10 is around 10^-14.
const V3_0_TENTH_TOLERANCE: f64 = 1e-11;

/// The specification's Roundup for a minor version.
pub(crate) fn roundup(version: CvssVersion, input: f64) -> f64 {
    if version == CvssVersion::V3_0 {
        // The ceiling of the exact value. A plain `ceil(x × 10)` lifts exact tenths that
        // binary floating point puts one ulp above them (5.0 × 0.92 = 4.6000000000000005 → 4.7),
        // the calculator error that made v3.1 redefine Roundup; so a float within the
        // tolerance of a tenth is that tenth.
        let tenths = input * 10.0;
        let nearest = tenths.round();
        let tenths = if (tenths - nearest).abs() < V3_0_TENTH_TOLERANCE {
            nearest
        } else {
            tenths.ceil()
        };
        return tenths / 10.0;
    }
    // Appendix A of the v3.1 specification. The inputs are scores between 0 and 10, so the
    // scaled value fits an i64 easily.
    let int_input = (input * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        (int_input / 10_000) as f64 / 10.0
    } else {
        (int_input / 10_000 + 1) as f64 / 10.0
    }
}

/// The base score.
pub(crate) fn base_score(version: CvssVersion, metrics: &Metrics) -> f64 {
    let changed = metrics.raw(S) == CHANGED;
    let impact_sub_score = 1.0
        - (1.0 - weight(&IMPACT, metrics.raw(C)))
            * (1.0 - weight(&IMPACT, metrics.raw(I)))
            * (1.0 - weight(&IMPACT, metrics.raw(A)));
    let impact = if changed {
        7.52 * (impact_sub_score - 0.029) - 3.25 * (impact_sub_score - 0.02).powf(15.0)
    } else {
        6.42 * impact_sub_score
    };
    let privileges = if changed {
        &PRIVILEGES_SCOPE_CHANGED
    } else {
        &PRIVILEGES_SCOPE_UNCHANGED
    };
    let exploitability = 8.22
        * weight(&ATTACK_VECTOR, metrics.raw(AV))
        * weight(&ATTACK_COMPLEXITY, metrics.raw(AC))
        * weight(privileges, metrics.raw(PR))
        * weight(&USER_INTERACTION, metrics.raw(UI));
    if impact <= 0.0 {
        0.0
    } else if changed {
        roundup(version, (1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup(version, (impact + exploitability).min(10.0))
    }
}

/// E × RL × RC.
fn temporal_multiplier(metrics: &Metrics) -> f64 {
    optional_weight(metrics, E, &EXPLOIT_CODE_MATURITY)
        * optional_weight(metrics, RL, &REMEDIATION_LEVEL)
        * optional_weight(metrics, RC, &REPORT_CONFIDENCE)
}

/// The temporal score, when a temporal metric is defined.
pub(crate) fn temporal_score(version: CvssVersion, metrics: &Metrics) -> Option<f64> {
    if !metrics.any_defined(MetricGroup::Temporal) {
        return None;
    }
    Some(roundup(
        version,
        base_score(version, metrics) * temporal_multiplier(metrics),
    ))
}

/// The environmental score, when an environmental metric is defined.
pub(crate) fn environmental_score(version: CvssVersion, metrics: &Metrics) -> Option<f64> {
    if !metrics.any_defined(MetricGroup::Environmental) {
        return None;
    }
    let changed = modified(metrics, MS, S) == CHANGED;
    let impact_part = |index: usize, modified_index: usize, base_index: usize| {
        1.0 - optional_weight(metrics, index, &REQUIREMENT)
            * weight(&IMPACT, modified(metrics, modified_index, base_index))
    };
    let modified_impact_sub_score =
        (1.0 - impact_part(CR, MC, C) * impact_part(IR, MI, I) * impact_part(AR, MA, A)).min(0.915);
    let modified_impact = match (changed, version) {
        (false, _) => 6.42 * modified_impact_sub_score,
        (true, CvssVersion::V3_0) => {
            7.52 * (modified_impact_sub_score - 0.029)
                - 3.25 * (modified_impact_sub_score - 0.02).powf(15.0)
        }
        (true, _) => {
            7.52 * (modified_impact_sub_score - 0.029)
                - 3.25 * (modified_impact_sub_score * 0.9731 - 0.02).powf(13.0)
        }
    };
    let privileges = if changed {
        &PRIVILEGES_SCOPE_CHANGED
    } else {
        &PRIVILEGES_SCOPE_UNCHANGED
    };
    let modified_exploitability = 8.22
        * weight(&ATTACK_VECTOR, modified(metrics, MAV, AV))
        * weight(&ATTACK_COMPLEXITY, modified(metrics, MAC, AC))
        * weight(privileges, modified(metrics, MPR, PR))
        * weight(&USER_INTERACTION, modified(metrics, MUI, UI));
    if modified_impact <= 0.0 {
        return Some(0.0);
    }
    let unweighted = if changed {
        roundup(
            version,
            (1.08 * (modified_impact + modified_exploitability)).min(10.0),
        )
    } else {
        roundup(
            version,
            (modified_impact + modified_exploitability).min(10.0),
        )
    };
    Some(roundup(version, unweighted * temporal_multiplier(metrics)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(version: CvssVersion, input: f64, expected: f64) {
        assert_eq!(
            roundup(version, input),
            expected,
            "{version} roundup({input})"
        );
    }

    #[test]
    fn roundup_of_both_minor_versions() {
        // The examples of the v3.0 specification section 8.1 and v3.1 Appendix A.
        for version in [CvssVersion::V3_0, CvssVersion::V3_1] {
            check(version, 4.02, 4.1);
            check(version, 4.00, 4.0);
            check(version, 0.0, 0.0);
            check(version, 10.0, 10.0);
        }
        // Exact tenths that binary floating point puts just above themselves stay.
        for version in [CvssVersion::V3_0, CvssVersion::V3_1] {
            check(version, 5.0 * 0.92, 4.6);
            check(version, 4.000_000_000_000_001, 4.0);
        }
        // Less than 0.000 005 above a tenth is that tenth in v3.1, the next tenth in v3.0.
        check(CvssVersion::V3_1, 4.000_004, 4.0);
        check(CvssVersion::V3_0, 4.000_004, 4.1);
        check(CvssVersion::V3_1, 4.000_006, 4.1);
        check(CvssVersion::V3_0, 4.000_006, 4.1);
    }
}
