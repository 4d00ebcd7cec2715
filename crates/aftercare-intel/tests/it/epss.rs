//! EPSS, on the synthetic fixture in `tests/data` (no real EPSS file is available; see the
//! README there), plain and gzipped.

use std::io::Write;

use aftercare_intel::{Content, Format, read_document};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/epss-synthetic.csv");

fn check(name: &str, bytes: &[u8]) {
    let parsed = read_document(name, bytes).unwrap();
    assert_eq!(parsed.format, Format::Epss, "{name}");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let Content::Epss(scores) = parsed.content else {
        panic!("{name}")
    };
    assert_eq!(scores.model_version.as_deref(), Some("v2023.03.01"));
    assert_eq!(
        scores.score_date.map(|date| date.to_string()).as_deref(),
        Some("2023-03-19T00:00:00Z")
    );
    let rows: Vec<(String, f64, f64)> = scores
        .scores
        .iter()
        .map(|score| (score.cve.to_string(), score.epss, score.percentile))
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1], ("CVE-2021-44228".to_string(), 0.975, 0.9999));
}

#[test]
fn synthetic_fixture_plain_and_gzipped() {
    let bytes = std::fs::read(FIXTURE).unwrap();
    check("epss-synthetic.csv", &bytes);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&bytes).unwrap();
    let gzipped = encoder.finish().unwrap();
    check("epss-synthetic.csv.gz", &gzipped);
}
