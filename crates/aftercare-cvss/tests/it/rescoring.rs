//! Rescoring a published vector for a device's context, and the metric accessors the risk
//! module reads. Expected scores were checked with the Python calculator of
//! `tests/data/generate.py`.

use aftercare_cvss::{AttackVector, CvssError, CvssVersion, ExploitMaturity, MetricGroup};

use crate::parse;

/// Applies a fragment to a vector and checks the normalized result and its scores.
fn check(
    vector: &str,
    fragment: &str,
    rescored: &str,
    temporal_or_threat: Option<f64>,
    environmental: Option<f64>,
) {
    let original = parse(vector);
    let result = original
        .with_metrics(fragment)
        .unwrap_or_else(|error| panic!("{vector} + {fragment}: {error}"));
    assert_eq!(result.vector(), rescored, "{vector} + {fragment}");
    assert_eq!(result.base_score(), original.base_score(), "base stays");
    assert_eq!(
        result.temporal_score().or(result.threat_score()),
        temporal_or_threat,
        "{rescored}"
    );
    assert_eq!(result.environmental_score(), environmental, "{rescored}");
    // The rescored vector reads back as itself.
    assert_eq!(parse(rescored), result);
}

#[test]
fn environmental_rescoring_of_each_version() {
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "MAV:A/CR:L",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/MAV:A",
        None,
        Some(8.4),
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "E:P/MAV:L/MPR:L",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/MAV:L/MPR:L",
        Some(9.3),
        Some(7.4),
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "MAV:L/CR:L/E:A",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/CR:L/MAV:L",
        Some(9.3),
        Some(8.5),
    );
    check(
        "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
        "CDP:H/TD:M",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:H/TD:M",
        None,
        Some(6.6),
    );
}

#[test]
fn not_defined_clears_a_metric() {
    let mut cvss = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/MAV:L");
    cvss.set_metric("MAV", "X").expect("X is allowed");
    cvss.set_metric("E", "X").expect("X is allowed");
    assert_eq!(
        cvss.vector(),
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    );
    assert_eq!(cvss.environmental_score(), None);
    let mut v2 = parse("AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:H");
    v2.set_metric("CDP", "ND").expect("ND is allowed");
    assert_eq!(v2.vector(), "AV:N/AC:L/Au:N/C:P/I:P/A:P");
}

#[test]
fn rescoring_refuses_base_metrics_and_bad_input() {
    let vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let mut cvss = parse(vector);
    assert_eq!(
        cvss.set_metric("AV", "L"),
        Err(CvssError::BaseMetricNotModifiable {
            vector: vector.to_owned(),
            metric: "AV"
        })
    );
    assert_eq!(
        cvss.set_metric("MAV", "Q"),
        Err(CvssError::BadValue {
            vector: vector.to_owned(),
            metric: "MAV",
            value: "Q".to_owned(),
            expected: "N, A, L, P, X".to_owned()
        })
    );
    assert_eq!(
        cvss.set_metric("MAT", "N"),
        Err(CvssError::UnknownMetric {
            vector: vector.to_owned(),
            version: CvssVersion::V3_1,
            metric: "MAT".to_owned()
        })
    );
    assert_eq!(
        cvss.with_metrics("MAV:L/CR"),
        Err(CvssError::MalformedComponent {
            vector: "MAV:L/CR".to_owned(),
            component: "CR".to_owned()
        })
    );
    // A failed rescoring leaves the vector as it was.
    assert_eq!(cvss.vector(), vector);
}

#[test]
fn base_strips_everything_but_the_base_metrics() {
    let cvss = parse(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:L/MAV:P/S:P/U:Red",
    );
    assert_eq!(
        cvss.base().vector(),
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    );
    assert_eq!(cvss.base().score(), cvss.base_score());
}

#[test]
fn metric_accessors() {
    let cases = [
        (
            "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC",
            AttackVector::Network,
            Some(ExploitMaturity::ProofOfConcept),
        ),
        (
            "AV:A/AC:L/Au:N/C:P/I:P/A:P/E:U",
            AttackVector::Adjacent,
            Some(ExploitMaturity::Unproven),
        ),
        ("AV:L/AC:L/Au:N/C:P/I:P/A:P/E:ND", AttackVector::Local, None),
        (
            "CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F",
            AttackVector::Physical,
            Some(ExploitMaturity::Functional),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H",
            AttackVector::Network,
            Some(ExploitMaturity::High),
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P",
            AttackVector::Local,
            Some(ExploitMaturity::ProofOfConcept),
        ),
        (
            "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            AttackVector::Adjacent,
            None,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
            AttackVector::Network,
            Some(ExploitMaturity::Attacked),
        ),
        (
            "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P",
            AttackVector::Physical,
            Some(ExploitMaturity::ProofOfConcept),
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
            AttackVector::Adjacent,
            Some(ExploitMaturity::Unreported),
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X",
            AttackVector::Local,
            None,
        ),
    ];
    for (vector, attack_vector, exploit_maturity) in cases {
        let cvss = parse(vector);
        assert_eq!(cvss.attack_vector(), attack_vector, "{vector}");
        assert_eq!(cvss.exploit_maturity(), exploit_maturity, "{vector}");
    }
    let cvss =
        parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/U:Amber");
    assert_eq!(cvss.metric("MSI"), Some("S"));
    assert_eq!(cvss.metric("U"), Some("Amber"));
    assert_eq!(cvss.metric("MSA"), None, "absent");
    assert_eq!(cvss.metric("RL"), None, "no such metric in v4");
    assert_eq!(cvss.metrics().count(), 13);
}

#[test]
fn version_tables_offer_what_a_rescoring_form_needs() {
    let environmental: Vec<&str> = CvssVersion::V3_1
        .metrics()
        .iter()
        .filter(|metric| metric.group == MetricGroup::Environmental)
        .map(|metric| metric.key)
        .collect();
    assert_eq!(
        environmental,
        [
            "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA"
        ]
    );
    assert_eq!(CvssVersion::V2.not_defined(), "ND");
    assert_eq!(CvssVersion::V4_0.not_defined(), "X");
    assert_eq!(CvssVersion::V4_0.metrics().len(), 32);
}
