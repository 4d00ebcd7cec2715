//! Integration tests of aftercare-match: one test binary, one module per subject, on the
//! shared real data.

// Helpers outside `#[test]` functions report broken test data by panicking, like tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod cpe;
mod csaf;
mod file;
mod osv;
mod properties;
mod sbom;
