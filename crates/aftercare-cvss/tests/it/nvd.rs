//! Every CVSS vector of the shared NVD CVE API 2.0 sample, against the score and severity NVD
//! publishes beside it: an independent check on real data.

use aftercare_cvss::CvssVersion;
use serde_json::Value;

use crate::parse;

#[test]
fn every_nvd_vector_scores_as_nvd_publishes() {
    let data = aftercare_testdata::read("nvd/nvd-api-2.0-cves.jsonl");
    let text = String::from_utf8(data).expect("UTF-8");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).expect("one JSON object per line");
        let id = record["cve"]["id"].as_str().unwrap_or("?");
        let Some(metrics) = record["cve"]["metrics"].as_object() else {
            continue;
        };
        for (kind, entries) in metrics {
            let expected_version = match kind.as_str() {
                "cvssMetricV2" => CvssVersion::V2,
                "cvssMetricV30" => CvssVersion::V3_0,
                "cvssMetricV31" => CvssVersion::V3_1,
                "cvssMetricV40" => CvssVersion::V4_0,
                _ => continue,
            };
            for entry in entries.as_array().expect("metric entries") {
                let data = &entry["cvssData"];
                let vector = data["vectorString"].as_str().expect("vectorString");
                let published = data["baseScore"].as_f64().expect("baseScore");
                // v2 keeps its severity beside cvssData, later versions inside it.
                let severity = data["baseSeverity"]
                    .as_str()
                    .or_else(|| entry["baseSeverity"].as_str())
                    .expect("baseSeverity");
                let cvss = parse(vector);
                checked += 1;
                // NVD's v4.0 "baseScore" is the score of the vector as written (CVSS-B, -BT,
                // -BE or -BTE); for v2 and v3 the vectors are base vectors.
                let actual = cvss.score();
                let actual_severity = cvss.severity().as_str().to_uppercase();
                if cvss.version() != expected_version
                    || actual != published
                    || actual_severity != severity
                {
                    failures.push(format!(
                        "{id} {kind} {vector}: NVD {published} {severity}, ours {} {actual} {actual_severity}",
                        cvss.version()
                    ));
                }
                // A v2 or v3 vector as NVD writes it is already in canonical form.
                if expected_version != CvssVersion::V4_0 {
                    assert_eq!(cvss.vector(), vector, "{id}: normalized form");
                }
                assert_eq!(parse(&cvss.vector()), cvss, "{id}: {vector} round trip");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ from NVD:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 65 v2, 26 v3.0, 158 v3.1 and 1 v4.0 vectors in the sample this was written against; a
    // smaller count means the data was not read as intended.
    assert!(checked >= 200, "only {checked} NVD vectors checked");
    println!("{checked} NVD vectors checked");
}
