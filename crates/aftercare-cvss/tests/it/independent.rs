//! Vectors scored by an independent calculator: Red Hat's Python `cvss` package (see
//! `tests/data/generate.py`, which wrote `tests/data/vectors.tsv`).

use crate::{parse, show};

/// Vectors on which we knowingly differ from the Python calculator, with the reason.
/// Each entry is checked to still be in the data and still differ, so the list cannot rot.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn every_generated_vector_scores_as_the_python_calculator() {
    let data = include_str!("../data/vectors.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut known = 0;
    for line in data.lines().filter(|line| !line.starts_with('#')) {
        let columns: Vec<&str> = line.split('\t').collect();
        let [vector, base, temporal, environmental, severity] = columns[..] else {
            panic!("malformed line {line:?}");
        };
        let cvss = parse(vector);
        let actual = [
            show(Some(cvss.base_score())),
            show(cvss.temporal_score().or(cvss.threat_score())),
            show(cvss.environmental_score()),
            cvss.severity().to_string(),
        ];
        let expected = [base, temporal, environmental, severity];
        checked += 1;
        if actual != expected {
            if KNOWN_DIFFERENCES.iter().any(|(known, _)| *known == vector) {
                known += 1;
                continue;
            }
            failures.push(format!(
                "{vector}\n    expected base/temporal-or-threat/environmental/severity {expected:?}\n    actual   {actual:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        known,
        KNOWN_DIFFERENCES.len(),
        "a known difference no longer differs or is gone"
    );
    assert!(checked >= 400, "only {checked} vectors");
}
