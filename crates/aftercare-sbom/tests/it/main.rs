//! Integration tests of the SBOM readers: every real SBOM of the shared data, normalized
//! snapshots, quality and diff on real release pairs, support addenda and hand-written
//! edge cases.

// Test helpers outside `#[test]` functions are test code too: a failed unwrap is a failed
// test (clippy.toml's allowances cover only `#[test]` functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod addendum;
mod corpus;
mod count;
mod formats;
mod pairs;
mod snapshots;

use aftercare_sbom::ReadOutcome;

/// The bytes of one member of a zip of the shared SBOM data.
pub fn member(zip: &str, name: &str) -> Vec<u8> {
    aftercare_testdata::zip_entries(&format!("sbom/{zip}"))
        .into_iter()
        .find(|entry| entry.name == name)
        .unwrap_or_else(|| panic!("sbom/{zip} has no member {name}"))
        .bytes
}

/// Reads one member of a zip of the shared SBOM data; it must be readable.
pub fn read_member(zip: &str, name: &str) -> ReadOutcome {
    let bytes = member(zip, name);
    aftercare_sbom::read(name, &bytes).unwrap_or_else(|error| panic!("{error}"))
}
