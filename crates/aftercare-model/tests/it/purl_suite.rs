//! The official package-url test suite (`purl/test-suite-data.json`), case by case.

use aftercare_model::Purl;

#[test]
fn every_case_of_the_official_purl_test_suite() {
    let suite: serde_json::Value =
        serde_json::from_slice(&aftercare_testdata::read("purl/test-suite-data.json")).unwrap();
    let cases = suite.as_array().unwrap();
    assert_eq!(cases.len(), 59, "the legacy suite has 59 cases");
    let mut failures = Vec::new();
    for case in cases {
        let input = case["purl"].as_str().unwrap();
        let invalid = case["is_invalid"].as_bool().unwrap();
        let parsed = input.parse::<Purl>();
        match (invalid, parsed) {
            (true, Ok(purl)) => {
                failures.push(format!("{input}: accepted as {purl}, should be invalid"))
            }
            (true, Err(_)) => {}
            (false, Err(error)) => failures.push(format!("{input}: rejected ({error})")),
            (false, Ok(purl)) => {
                let field = |name: &str| case[name].as_str().map(str::to_string);
                let expected = field("canonical_purl").unwrap();
                if purl.to_string() != expected {
                    failures.push(format!("{input}: canonical {purl}, expected {expected}"));
                }
                if Some(purl.ty().to_string()) != field("type") {
                    failures.push(format!("{input}: type {}", purl.ty()));
                }
                if purl.namespace().map(str::to_string) != field("namespace") {
                    failures.push(format!("{input}: namespace {:?}", purl.namespace()));
                }
                if Some(purl.name().to_string()) != field("name") {
                    failures.push(format!("{input}: name {}", purl.name()));
                }
                if purl.version().map(str::to_string) != field("version") {
                    failures.push(format!("{input}: version {:?}", purl.version()));
                }
                // Two legacy cases list the subpath with its `.`/`..` segments still in it while
                // their canonical form drops them; the canonical form is the rule we follow.
                let expected_subpath = field("subpath").map(|s| {
                    s.split('/')
                        .filter(|seg| *seg != "." && *seg != "..")
                        .collect::<Vec<_>>()
                        .join("/")
                });
                if purl.subpath().map(str::to_string) != expected_subpath {
                    failures.push(format!("{input}: subpath {:?}", purl.subpath()));
                }
                let expected_qualifiers: Vec<(String, String)> = case["qualifiers"]
                    .as_object()
                    .map(|map| {
                        let mut pairs: Vec<_> = map
                            .iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect();
                        pairs.sort();
                        pairs
                    })
                    .unwrap_or_default();
                if purl.qualifiers() != expected_qualifiers.as_slice() {
                    failures.push(format!("{input}: qualifiers {:?}", purl.qualifiers()));
                }
                // The canonical form is a fixed point.
                let again: Purl = expected.parse().unwrap();
                if again.to_string() != expected {
                    failures.push(format!("{expected}: not a fixed point ({again})"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "purl test suite failures:\n{}",
        failures.join("\n")
    );
}
