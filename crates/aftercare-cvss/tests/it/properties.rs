//! Properties of arbitrary vectors built from valid metric values of every version.

use aftercare_cvss::{CvssVersion, MetricGroup};
use proptest::prelude::*;

/// A vector of a version from one choice per metric: base metrics take a value; every other
/// metric is left out, written as Not Defined, or takes a value. Returns the written vector
/// (metrics in `order`) and its expected normalized form.
fn build(version: CvssVersion, choices: &[u8], order: &[usize]) -> (String, String) {
    let metrics = version.metrics();
    let mut written: Vec<Option<String>> = vec![None; metrics.len()];
    let mut normalized = Vec::new();
    for (index, (metric, choice)) in metrics.iter().zip(choices).enumerate() {
        let choice = usize::from(*choice);
        let value = if metric.group == MetricGroup::Base {
            Some(metric.values[choice % metric.values.len()])
        } else {
            match choice % (metric.values.len() + 2) {
                n if n == metric.values.len() => {
                    written[index] = Some(format!("{}:{}", metric.key, version.not_defined()));
                    None
                }
                n if n == metric.values.len() + 1 => None,
                n => Some(metric.values[n]),
            }
        };
        if let Some(value) = value {
            written[index] = Some(format!("{}:{value}", metric.key));
            normalized.push(format!("{}:{value}", metric.key));
        }
    }
    let body: Vec<String> = order
        .iter()
        .filter_map(|index| written.get(*index).cloned().flatten())
        .collect();
    let with_prefix = |parts: Vec<String>| match version.prefix() {
        Some(prefix) => format!("{prefix}/{}", parts.join("/")),
        None => parts.join("/"),
    };
    (with_prefix(body), with_prefix(normalized))
}

fn version() -> impl Strategy<Value = CvssVersion> {
    prop::sample::select(CvssVersion::ALL.to_vec())
}

fn in_range(score: f64) -> bool {
    // In range and on a tenth, as every specification rounds.
    (0.0..=10.0).contains(&score) && (score * 10.0).round() / 10.0 == score
}

proptest! {
    #[test]
    fn valid_vectors_parse_print_normalized_and_score_in_range(
        version in version(),
        choices in prop::collection::vec(any::<u8>(), 32),
        shuffle in any::<bool>(),
        order in Just((0..32).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let order = if shuffle { order } else { (0..32).collect() };
        let (written, normalized) = build(version, &choices, &order);
        let cvss = aftercare_cvss::parse(&written)
            .map_err(|error| TestCaseError::fail(format!("{written}: {error}")))?;
        prop_assert_eq!(cvss.version(), version);
        prop_assert_eq!(cvss.vector(), normalized.clone(), "{}", written);
        // The normalized form reads back as the same vector and prints as itself.
        let reread = aftercare_cvss::parse(&normalized)
            .map_err(|error| TestCaseError::fail(format!("{normalized}: {error}")))?;
        prop_assert_eq!(&reread, &cvss);
        prop_assert_eq!(reread.to_string(), normalized.clone());
        for score in [
            Some(cvss.base_score()),
            cvss.temporal_score(),
            cvss.threat_score(),
            cvss.environmental_score(),
            Some(cvss.score()),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(in_range(score), "{} scores {}", written, score);
        }
        prop_assert_eq!(cvss.base().vector().len() <= normalized.len(), true);
    }
}
