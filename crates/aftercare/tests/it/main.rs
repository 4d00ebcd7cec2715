//! The command line end to end: the real binary on a temporary workspace, and the
//! committed CLI reference.

// Test helpers may panic: a failed helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod artifact;
mod ddi;
mod determination;
mod device;
mod finding;
mod incident;
mod intel;
mod inventory;
mod part11;
mod patch;
mod reference;
mod sbom;
mod scan;
mod serve;
mod snapshot;
mod swupdate;
mod triage;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary with arguments in a directory; the administrator password comes from
/// the environment.
pub fn aftercare(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .current_dir(dir)
        .env("AFTERCARE_ADMIN_PASSWORD", "correct horse battery")
        .env_remove("AFTERCARE_WORKSPACE")
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_FORMAT")
        .env_remove("AFTERCARE_ARTIFACT_DIR")
        .output()
        .unwrap()
}

/// The exit code, stdout and stderr of a run, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes a member of a shared-data zip into a directory, returns its path.
pub fn extract(zip: &str, member: &str, dir: &Path, file_name: &str) -> std::path::PathBuf {
    let bytes = aftercare_testdata::zip_entries(zip)
        .into_iter()
        .find(|e| e.name == member)
        .unwrap_or_else(|| panic!("{zip} has no {member}"))
        .bytes;
    let path = dir.join(file_name);
    std::fs::write(&path, bytes).unwrap();
    path
}
