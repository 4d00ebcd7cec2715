//! The integration tests of aftercare-cvss, one binary: the specifications' worked examples,
//! vectors scored by an independent calculator, the scores NVD and CVE JSON 5 records publish,
//! the rustsec `cvss` crate, malformed vectors, rescoring and properties of arbitrary vectors.

// clippy's allow-panic-in-tests covers `#[test]` functions only; the `check` helpers here are
// test code too, and failing the test is what they are for.
#![allow(clippy::panic)]

mod cve5;
mod independent;
mod nvd;
mod parse_errors;
mod properties;
mod rescoring;
mod rustsec;
mod spec_examples;

use aftercare_cvss::Cvss;

/// Parses a vector that must be valid, naming it on failure.
#[track_caller]
fn parse(vector: &str) -> Cvss {
    aftercare_cvss::parse(vector).unwrap_or_else(|error| panic!("{vector}: {error}"))
}

/// A score as the specifications print it, so that failures read like the documents.
fn show(score: Option<f64>) -> String {
    score.map_or_else(|| "-".to_owned(), |score| format!("{score:.1}"))
}
