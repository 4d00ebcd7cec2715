//! Integration tests of aftercare-version: one test binary, one module per subject.

// Helpers outside `#[test]` functions report broken test data by panicking, like tests do.
#![allow(clippy::panic)]

mod osv;
