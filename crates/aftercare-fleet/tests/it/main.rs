//! The fleet rules' tests, one module per rule.

// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod detect;
mod health;
mod simulate;
mod telemetry;
