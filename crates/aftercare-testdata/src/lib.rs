//! Test support: the one place that knows where the shared real-world data lives.
//!
//! Tests never copy `../shared/data` into the repository; they read it through [`dir`],
//! which honours `AFTERCARE_SHARED_DATA` so the same tests can run on another sample of
//! the same sources. A missing folder fails the test loudly instead of skipping it: a
//! green run must mean the real data was read.
//!
//! [`redact`] holds the one set of rules by which the JSON snapshots of the API and the CLI
//! hide what differs from one run or backend to the next.

#![allow(clippy::panic, clippy::expect_used)]

pub mod redact;

use std::io::Read;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the data folder.
pub const ENV: &str = "AFTERCARE_SHARED_DATA";

/// The shared data folder: `$AFTERCARE_SHARED_DATA`, else `../shared/data` relative to the
/// workspace root.
pub fn dir() -> PathBuf {
    let dir = match std::env::var_os(ENV) {
        Some(value) => PathBuf::from(value),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if !dir.is_dir() {
        panic!(
            "the shared test data folder {} does not exist; set {ENV} to its location",
            dir.display()
        );
    }
    dir
}

/// A file or folder inside the shared data folder; panics when it is missing.
pub fn path(relative: &str) -> PathBuf {
    let path = dir().join(relative);
    assert!(
        path.exists(),
        "shared test data {} is missing",
        path.display()
    );
    path
}

/// Reads a whole file of the shared data folder.
pub fn read(relative: &str) -> Vec<u8> {
    let path = path(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// One member of a zip archive.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The member's path inside the archive.
    pub name: String,
    /// The member's bytes, as stored (not decompressed beyond the zip layer).
    pub bytes: Vec<u8>,
}

/// Every file member of a zip archive of the shared data folder, in archive order.
pub fn zip_entries(relative: &str) -> Vec<Entry> {
    let path = path(relative);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|error| panic!("opening {}: {error}", path.display()));
    let mut archive = zip::ZipArchive::new(file)
        .unwrap_or_else(|error| panic!("reading zip {}: {error}", path.display()));
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut member = archive
            .by_index(index)
            .unwrap_or_else(|error| panic!("{} member {index}: {error}", path.display()));
        if member.is_dir() {
            continue;
        }
        let mut bytes = Vec::with_capacity(member.size() as usize);
        member
            .read_to_end(&mut bytes)
            .unwrap_or_else(|error| panic!("{} member {index}: {error}", path.display()));
        entries.push(Entry {
            name: member.name().to_string(),
            bytes,
        });
    }
    entries
}

/// The zip archives (`*.zip`) directly inside a folder of the shared data, sorted by name.
pub fn zips_in(relative_dir: &str) -> Vec<String> {
    let folder = path(relative_dir);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("listing {}: {error}", folder.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".zip"))
        .map(|name| format!("{relative_dir}/{name}"))
        .collect();
    names.sort();
    names
}
