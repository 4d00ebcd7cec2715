//! The workspace's tidy checks: rules about the code base as a whole that no single crate's
//! tests can see (which crate may depend on which, what the pure crates never derive). They
//! live here because this crate is dev-only and builds in seconds.

// Test helpers outside `#[test]` functions are test code too: a failed unwrap is a failed
// test (clippy.toml's allowances cover only `#[test]` functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod tidy;
