//! Malformed vectors: each names the vector and the offending metric or component.

use aftercare_cvss::{CvssError, CvssVersion, ParseWarning};

const V31: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const V40: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
const V2: &str = "AV:N/AC:L/Au:N/C:P/I:P/A:P";

fn check(vector: &str, expected: CvssError) {
    match aftercare_cvss::parse(vector) {
        Ok(cvss) => panic!("{vector:?} parsed as {cvss}, expected {expected}"),
        Err(error) => assert_eq!(error, expected, "{vector:?}"),
    }
}

fn wrong_prefix(vector: &str, prefix: &str) -> CvssError {
    CvssError::WrongPrefix {
        vector: vector.to_owned(),
        prefix: prefix.to_owned(),
    }
}

fn malformed(vector: &str, component: &str) -> CvssError {
    CvssError::MalformedComponent {
        vector: vector.to_owned(),
        component: component.to_owned(),
    }
}

fn unknown(vector: &str, version: CvssVersion, metric: &str) -> CvssError {
    CvssError::UnknownMetric {
        vector: vector.to_owned(),
        version,
        metric: metric.to_owned(),
    }
}

fn duplicate(vector: &str, metric: &'static str) -> CvssError {
    CvssError::DuplicateMetric {
        vector: vector.to_owned(),
        metric,
    }
}

fn missing(vector: &str, version: CvssVersion, metric: &'static str) -> CvssError {
    CvssError::MissingBaseMetric {
        vector: vector.to_owned(),
        version,
        metric,
    }
}

fn bad(vector: &str, metric: &'static str, value: &str, expected: &str) -> CvssError {
    CvssError::BadValue {
        vector: vector.to_owned(),
        metric,
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

#[test]
fn empty() {
    check("", CvssError::Empty);
    check("  \t", CvssError::Empty);
}

#[test]
fn wrong_prefixes() {
    let cases = [
        ("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.2"),
        ("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSS:2.0"),
        ("CVSS:4/AV:N", "CVSS:4"),
        ("CVSS:", "CVSS:"),
        ("cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss:3.1"),
        ("CVSS3.1/AV:N", "CVSS3.1"),
        ("garbage", "garbage"),
        // An unclosed parenthesis is not NVD's v2 form.
        ("(AV:N/AC:L/Au:N/C:P/I:P/A:P", "(AV:N"),
    ];
    for (vector, prefix) in cases {
        check(vector, wrong_prefix(vector, prefix));
    }
}

#[test]
fn malformed_components() {
    let trailing = format!("{V31}/");
    check(&trailing, malformed(&trailing, ""));
    let doubled = "CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    check(doubled, malformed(doubled, ""));
    let two_colons = "CVSS:3.1/AV:N:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    check(two_colons, malformed(two_colons, "AV:N:L"));
    let no_colon = "CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    check(no_colon, malformed(no_colon, "AVN"));
    let no_key = format!("{V40}/:A");
    check(&no_key, malformed(&no_key, ":A"));
    let v2_trailing = format!("{V2}/");
    check(&v2_trailing, malformed(&v2_trailing, ""));
}

#[test]
fn unknown_metrics() {
    // A v3 vector without its prefix reads as v2, which has no PR.
    let unprefixed = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    check(unprefixed, unknown(unprefixed, CvssVersion::V2, "PR"));
    let cases = [
        (format!("{V31}/MSI:S"), CvssVersion::V3_1, "MSI"),
        (format!("{V31}/AT:N"), CvssVersion::V3_1, "AT"),
        (format!("{V31}/av:N"), CvssVersion::V3_1, "av"),
        (format!("{V40}/RL:O"), CvssVersion::V4_0, "RL"),
        (format!("{V40}/CVSS:4.0"), CvssVersion::V4_0, "CVSS"),
        (format!("{V2}/MAV:N"), CvssVersion::V2, "MAV"),
        (format!("{V2}/au:N"), CvssVersion::V2, "au"),
        (format!("{V2}/A\0:N"), CvssVersion::V2, "A\0"),
        (format!("{V31}/MODIFIED:X"), CvssVersion::V3_1, "MODIFIED"),
    ];
    for (vector, version, metric) in cases {
        check(&vector, unknown(&vector, version, metric));
    }
}

#[test]
fn duplicate_metrics() {
    let cases = [
        (format!("{V31}/A:H"), "A"),
        (format!("{V31}/A:L"), "A"),
        // An explicit Not Defined still counts as the metric's one appearance.
        (format!("{V31}/E:X/E:P"), "E"),
        (format!("{V40}/AV:N"), "AV"),
        (format!("{V40}/U:Red/U:Red"), "U"),
        (format!("{V2}/RL:ND/RL:OF"), "RL"),
    ];
    for (vector, metric) in cases {
        check(&vector, duplicate(&vector, metric));
    }
}

#[test]
fn missing_base_metrics() {
    let cases = [
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            CvssVersion::V3_1,
            "A",
        ),
        (
            "CVSS:3.0/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            CvssVersion::V3_0,
            "AV",
        ),
        ("CVSS:3.1", CvssVersion::V3_1, "AV"),
        ("CVSS:3.1/", CvssVersion::V3_1, "AV"),
        ("CVSS:3.1/E:P/RL:O/RC:C", CvssVersion::V3_1, "AV"),
        (
            "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            CvssVersion::V4_0,
            "AT",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
            CvssVersion::V4_0,
            "SA",
        ),
        ("AV:N/AC:L/Au:N/C:P/I:P", CvssVersion::V2, "A"),
        ("(AV:N/AC:L/C:P/I:P/A:P)", CvssVersion::V2, "Au"),
    ];
    for (vector, version, metric) in cases {
        check(vector, missing(vector, version, metric));
    }
}

#[test]
fn bad_values() {
    let cases = [
        (
            "CVSS:3.1/AV:Z/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
            "AV",
            "Z",
            "N, A, L, P",
        ),
        // Base metrics have no Not Defined value.
        (
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
            "AV",
            "X",
            "N, A, L, P",
        ),
        // Values are case-sensitive.
        (
            "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
            "AV",
            "n",
            "N, A, L, P",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:".to_owned(),
            "A",
            "",
            "H, L, N",
        ),
        (format!("{V31}/E:A"), "E", "A", "U, P, F, H, X"),
        (format!("{V31}/MS:Y"), "MS", "Y", "U, C, X"),
        // Safety is a value of the modified subsequent-system metrics only.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N".to_owned(),
            "SI",
            "S",
            "H, L, N",
        ),
        (format!("{V40}/MSC:S"), "MSC", "S", "H, L, N, X"),
        (format!("{V40}/E:F"), "E", "F", "A, P, U, X"),
        (
            format!("{V40}/U:red"),
            "U",
            "red",
            "Clear, Green, Amber, Red, X",
        ),
        (format!("{V40}/AU:ND"), "AU", "ND", "N, Y, X"),
        (format!("{V2}/E:P"), "E", "P", "U, POC, F, H, ND"),
        (format!("{V2}/CDP:X"), "CDP", "X", "N, L, LM, MH, H, ND"),
        (
            format!("{V40}/U:Clear\0"),
            "U",
            "Clear\0",
            "Clear, Green, Amber, Red, X",
        ),
        (
            format!("{V40}/U:ClearClear"),
            "U",
            "ClearClear",
            "Clear, Green, Amber, Red, X",
        ),
    ];
    for (vector, metric, value, expected) in cases {
        check(&vector, bad(&vector, metric, value, expected));
    }
}

#[test]
fn messages_name_the_vector_and_the_metric() {
    let vector = format!("{V31}/E:A");
    let error = aftercare_cvss::parse(&vector).expect_err("bad value");
    assert_eq!(
        error.to_string(),
        format!(
            "CVSS vector \"{vector}\": value \"A\" is not allowed for metric E; expected one of U, P, F, H, X"
        )
    );
    let error = aftercare_cvss::parse("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect_err("v2");
    assert_eq!(
        error.to_string(),
        "CVSS vector \"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\": unknown metric \"PR\" for CVSS v2.0"
    );
}

#[test]
fn out_of_order_v4_metrics_are_accepted_with_a_warning() {
    let vector = "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:H/E:A";
    let (cvss, warnings) = aftercare_cvss::parse_with_warnings(vector).expect("valid");
    assert_eq!(
        warnings,
        [
            ParseWarning::OutOfOrder { metric: "AV" },
            ParseWarning::OutOfOrder { metric: "E" }
        ]
    );
    assert_eq!(
        cvss.vector(),
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/CR:H"
    );
    // v3.1 readers must accept any order (specification section 6): no warning.
    let (_, warnings) =
        aftercare_cvss::parse_with_warnings("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N")
            .expect("valid");
    assert!(warnings.is_empty());
    let (_, warnings) = aftercare_cvss::parse_with_warnings(V40).expect("valid");
    assert!(warnings.is_empty());
}
