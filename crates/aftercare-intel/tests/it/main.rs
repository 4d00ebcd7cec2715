//! Integration tests of aftercare-intel, mostly on the shared real data.

// Helpers outside `#[test]` functions fail loudly on bad fixtures, like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod alias_real;
mod common;
mod epss;
mod hostile;
mod invalid_upstream;
mod readers;
mod real_data;
mod snapshots;
