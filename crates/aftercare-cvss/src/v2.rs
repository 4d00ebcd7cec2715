//! CVSS v2.0 scoring: the base, temporal and environmental equations of the v2 guide
//! (FIRST, "A Complete Guide to the Common Vulnerability Scoring System Version 2.0",
//! section 3.2).
//!
//! The guide's `round_to_1_decimal` is meant on exact decimal values, and binary floating
//! point lands ties such as 9.15 one ulp below them (its own worked example CVE-2002-0392
//! then comes out 9.1 instead of the guide's 9.2). Every v2 weight has at most three decimals,
//! so the equations are evaluated exactly in scaled `i128` integers instead, and rounded half
//! up like the guide.

use crate::metric::{MetricGroup, Metrics};

// Indexes into `metric::V2`.
const AV: usize = 0;
const AC: usize = 1;
const AU: usize = 2;
const C: usize = 3;
const I: usize = 4;
const A: usize = 5;
const E: usize = 6;
const RL: usize = 7;
const RC: usize = 8;
const CDP: usize = 9;
const TD: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;

// Weights in the order of the value lists of `metric::V2`, scaled to integers. The first
// entry of the temporal and environmental tables is the Not Defined weight.
/// Access vector L, A, N; thousandths.
const ACCESS_VECTOR: [i128; 3] = [395, 646, 1000];
/// Access complexity H, M, L; hundredths.
const ACCESS_COMPLEXITY: [i128; 3] = [35, 61, 71];
/// Authentication M, S, N; thousandths.
const AUTHENTICATION: [i128; 3] = [450, 560, 704];
/// Impact N, P, C; thousandths.
const IMPACT: [i128; 3] = [0, 275, 660];
/// Exploitability ND, U, POC, F, H; hundredths.
const EXPLOITABILITY: [i128; 5] = [100, 85, 90, 95, 100];
/// Remediation level ND, OF, TF, W, U; hundredths.
const REMEDIATION_LEVEL: [i128; 5] = [100, 87, 90, 95, 100];
/// Report confidence ND, UC, UR, C; hundredths.
const REPORT_CONFIDENCE: [i128; 4] = [100, 90, 95, 100];
/// Collateral damage potential ND, N, L, LM, MH, H; hundredths.
const COLLATERAL_DAMAGE: [i128; 6] = [0, 0, 10, 30, 40, 50];
/// Target distribution ND, N, L, M, H; hundredths.
const TARGET_DISTRIBUTION: [i128; 5] = [100, 0, 25, 75, 100];
/// Security requirement ND, L, M, H; hundredths.
const REQUIREMENT: [i128; 4] = [100, 50, 100, 151];

/// 10^n as i128.
const fn ten_to(n: u32) -> i128 {
    10_i128.pow(n)
}

/// A weight of a base metric (which is never Not Defined); `table` lists defined values only.
fn base_weight(metrics: &Metrics, index: usize, table: &[i128]) -> i128 {
    let raw = usize::from(metrics.raw(index));
    table.get(raw.saturating_sub(1)).copied().unwrap_or(0)
}

/// A weight of an optional metric; `table` starts with the Not Defined weight.
fn optional_weight(metrics: &Metrics, index: usize, table: &[i128]) -> i128 {
    table
        .get(usize::from(metrics.raw(index)))
        .copied()
        .unwrap_or(0)
}

/// `numerator / denominator` rounded half away from zero, for a positive denominator.
fn round_half_up(numerator: i128, denominator: i128) -> i128 {
    if numerator >= 0 {
        (numerator + denominator / 2) / denominator
    } else {
        -((-numerator + denominator / 2) / denominator)
    }
}

/// Tenths to a score.
fn score(tenths: i128) -> f64 {
    // Scores are at most 100 tenths, so the conversion is exact.
    let tenths = i32::try_from(tenths.clamp(0, 100)).unwrap_or(0);
    f64::from(tenths) / 10.0
}

/// Impact, unscaled by 10^-17: 10.41 × (1 − (1 − C·CR)(1 − I·IR)(1 − A·AR)). With all
/// requirements at 1.0 this is the base Impact; the adjusted impact is capped at 10.
fn impact_e17(metrics: &Metrics, requirements: [i128; 3]) -> i128 {
    let [confidentiality, integrity, availability] = requirements;
    // Each factor is a thousandths weight times a hundredths requirement: 10^-5.
    let unaffected = (ten_to(5) - base_weight(metrics, C, &IMPACT) * confidentiality)
        * (ten_to(5) - base_weight(metrics, I, &IMPACT) * integrity)
        * (ten_to(5) - base_weight(metrics, A, &IMPACT) * availability); // 10^-15
    1041 * (ten_to(15) - unaffected) // 10.41 is 1041 × 10^-2
}

/// The base equation, with the impact given (base or adjusted), in tenths:
/// round_to_1_decimal(((0.6 × Impact) + (0.4 × Exploitability) − 1.5) × f(Impact)).
fn base_equation_tenths(metrics: &Metrics, impact_e17: i128) -> i128 {
    let exploitability_e8 = 20
        * base_weight(metrics, AV, &ACCESS_VECTOR)
        * base_weight(metrics, AC, &ACCESS_COMPLEXITY)
        * base_weight(metrics, AU, &AUTHENTICATION);
    let inner_e18 = 6 * impact_e17 + 4 * exploitability_e8 * ten_to(9) - 15 * ten_to(17);
    let f_impact_e3 = if impact_e17 == 0 { 0 } else { 1176 };
    round_half_up(inner_e18 * f_impact_e3, ten_to(20))
}

/// round_to_1_decimal(Base × E × RL × RC), in tenths.
fn temporal_equation_tenths(metrics: &Metrics, base_tenths: i128) -> i128 {
    let product_e7 = base_tenths
        * optional_weight(metrics, E, &EXPLOITABILITY)
        * optional_weight(metrics, RL, &REMEDIATION_LEVEL)
        * optional_weight(metrics, RC, &REPORT_CONFIDENCE);
    round_half_up(product_e7, ten_to(6))
}

/// The base score.
pub(crate) fn base_score(metrics: &Metrics) -> f64 {
    let impact = impact_e17(metrics, [100, 100, 100]);
    score(base_equation_tenths(metrics, impact))
}

/// The temporal score, when a temporal metric is defined.
pub(crate) fn temporal_score(metrics: &Metrics) -> Option<f64> {
    if !metrics.any_defined(MetricGroup::Temporal) {
        return None;
    }
    let impact = impact_e17(metrics, [100, 100, 100]);
    let base = base_equation_tenths(metrics, impact);
    Some(score(temporal_equation_tenths(metrics, base)))
}

/// The environmental score, when an environmental metric is defined.
pub(crate) fn environmental_score(metrics: &Metrics) -> Option<f64> {
    if !metrics.any_defined(MetricGroup::Environmental) {
        return None;
    }
    let requirements = [CR, IR, AR].map(|index| optional_weight(metrics, index, &REQUIREMENT));
    let adjusted_impact = impact_e17(metrics, requirements).min(10 * ten_to(17));
    let adjusted_base = base_equation_tenths(metrics, adjusted_impact);
    let adjusted_temporal = temporal_equation_tenths(metrics, adjusted_base);
    let collateral_damage = optional_weight(metrics, CDP, &COLLATERAL_DAMAGE);
    let target_distribution = optional_weight(metrics, TD, &TARGET_DISTRIBUTION);
    // (AdjustedTemporal + (10 − AdjustedTemporal) × CDP) × TD, scaled 10^-5.
    let environmental_e5 = (adjusted_temporal * 100
        + (100 - adjusted_temporal) * collateral_damage)
        * target_distribution;
    Some(score(round_half_up(environmental_e5, ten_to(4))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::CvssVersion;

    fn check(vector: &str, base: f64, temporal: Option<f64>, environmental: Option<f64>) {
        let mut warnings = Vec::new();
        let metrics = Metrics::parse(CvssVersion::V2, vector, vector, &mut warnings)
            .unwrap_or_else(|error| panic!("{vector}: {error}"));
        assert_eq!(
            (
                base_score(&metrics),
                temporal_score(&metrics),
                environmental_score(&metrics)
            ),
            (base, temporal, environmental),
            "{vector}"
        );
    }

    #[test]
    fn exact_decimal_rounding() {
        // 8.5 × 1.176 = 9.996 → 10.0; the adjusted temporal 10.0 × 0.95 × 0.87 = 8.265 → 8.3;
        // (8.3 + 1.7 × 0.5) × 1.0 = 9.15 → 9.2, where binary floating point gives 9.1.
        check(
            "AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H",
            7.8,
            Some(6.4),
            Some(9.2),
        );
        // Temporal 9.0 × 0.95 = 8.55 exactly → 8.6; in floats 8.549999… → 8.5.
        check("AV:N/AC:L/Au:S/C:C/I:C/A:C/E:F", 9.0, Some(8.6), None);
    }

    #[test]
    fn extremes() {
        check("AV:L/AC:H/Au:M/C:N/I:N/A:N", 0.0, None, None);
        check("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, None, None);
        // Collateral damage alone scores: (0 + (10 − 0) × 0.5) × 1.0.
        check(
            "AV:N/AC:L/Au:N/C:N/I:N/A:N/CDP:H/TD:H/CR:H",
            0.0,
            None,
            Some(5.0),
        );
        // Target distribution None zeroes the environmental score.
        check("AV:N/AC:L/Au:N/C:C/I:C/A:C/TD:N", 10.0, None, Some(0.0));
    }
}
