//! The `aftercare` command line: one-shot SBOM tools and workspace administration.
//!
//! A library target so that the CLI reference can be generated and checked by tests; the
//! binary in `main.rs` only parses arguments and maps errors to exit codes.

pub mod cli;
mod commands;
pub mod demo;
pub mod heap;
pub mod output;
pub mod reference;

use std::process::ExitCode;

pub use commands::{run, run_local};

/// The exit code for success.
pub const EXIT_OK: u8 = 0;
/// The exit code when a policy failed (`--fail-on`, `--require`).
pub const EXIT_POLICY: u8 = 1;
/// The exit code for an error.
pub const EXIT_ERROR: u8 = 2;

/// What a command decided: everything fine, or a policy it was asked to enforce failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success.
    Ok,
    /// The data was produced, but a requested policy check failed.
    PolicyFailed,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Ok => ExitCode::from(EXIT_OK),
            Outcome::PolicyFailed => ExitCode::from(EXIT_POLICY),
        }
    }
}
