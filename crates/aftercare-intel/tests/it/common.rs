//! Helpers shared by the integration tests.

use aftercare_intel::archive::{self, Batch, Limits};
use aftercare_intel::{Parsed, read_document};

/// Reads a file or folder of the shared data with the default limits.
pub fn read(relative: &str) -> Batch {
    let path = aftercare_testdata::path(relative);
    archive::read_path(&path, &Limits::default())
        .unwrap_or_else(|error| panic!("reading {relative}: {error}"))
}

/// Reads one member of a zip of the shared data.
pub fn member(zip: &str, name: &str) -> Parsed {
    let entry = aftercare_testdata::zip_entries(zip)
        .into_iter()
        .find(|entry| entry.name == name)
        .unwrap_or_else(|| panic!("{zip} has no member {name}"));
    read_document(name, &entry.bytes).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Reads one file of the shared data.
pub fn file(relative: &str) -> Parsed {
    read_document(relative, &aftercare_testdata::read(relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Parses JSON into a value, for independent counts.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|error| panic!("not JSON: {error}"))
}
