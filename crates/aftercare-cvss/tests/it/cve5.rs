//! Every CVSS vector of the shared CVE JSON 5 sample (CISA vulnrichment: CNA containers and
//! CISA's ADP container) against the `baseScore` published beside it.
//!
//! CISA's ADP scores and the CNAs' v2, v3.0 and v4.0 scores all match ours. Some CNAs'
//! v3.1 `baseScore` is not the base score: the test accepts exactly two explained kinds and
//! prints how often each occurs.
//! * The temporal score of a vector with temporal metrics.
//! * The environmental score with every environmental metric Not Defined, as some calculators
//!   show it: for a changed scope, v3.1's ModifiedImpact formula makes it 0.1 higher than the
//!   base score (e.g. `AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:H`: base 8.3, environmental 8.4).

use serde_json::Value;

use crate::parse;

#[test]
fn every_cve5_vector_scores_as_published() {
    let mut checked = 0;
    let mut temporal_as_base = 0;
    let mut environmental_as_base = 0;
    let mut failures = Vec::new();
    for entry in aftercare_testdata::zip_entries("cve5/vulnrichment-sample.zip") {
        if !entry.name.ends_with(".json") {
            continue;
        }
        let record: Value = serde_json::from_slice(&entry.bytes).expect("CVE JSON 5 record");
        let id = record["cveMetadata"]["cveId"].as_str().unwrap_or("?");
        let containers = &record["containers"];
        let adp = containers["adp"].as_array().cloned().unwrap_or_default();
        let all =
            std::iter::once(("cna", &containers["cna"])).chain(adp.iter().map(|c| ("adp", c)));
        for (role, container) in all {
            let Some(metrics) = container["metrics"].as_array() else {
                continue;
            };
            for (kind, data) in metrics.iter().filter_map(Value::as_object).flatten() {
                if !kind.starts_with("cvssV") {
                    continue;
                }
                let (Some(vector), Some(published)) =
                    (data["vectorString"].as_str(), data["baseScore"].as_f64())
                else {
                    continue;
                };
                let cvss = parse(vector);
                checked += 1;
                // A v4.0 "baseScore" is the score of the vector as written (CVSS-B/BT/BE/BTE).
                let ours = if kind == "cvssV4_0" {
                    cvss.score()
                } else {
                    cvss.base_score()
                };
                if ours == published {
                    continue;
                }
                // CR:M weighs 1.0, as Not Defined does, and makes the score computable.
                let all_not_defined = cvss
                    .with_metrics("CR:M")
                    .ok()
                    .and_then(|rescored| rescored.environmental_score());
                if role == "cna" && kind == "cvssV3_1" && cvss.temporal_score() == Some(published) {
                    temporal_as_base += 1;
                } else if role == "cna" && kind == "cvssV3_1" && all_not_defined == Some(published)
                {
                    environmental_as_base += 1;
                } else {
                    failures.push(format!(
                        "{id} {role} {kind} {vector}: published {published}, ours {ours}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 1000, "only {checked} CVE JSON 5 vectors checked");
    println!(
        "{checked} CVE JSON 5 vectors checked; CNA v3.1 baseScore was the temporal score \
         {temporal_as_base} times, the all-Not-Defined environmental score {environmental_as_base} times"
    );
}
