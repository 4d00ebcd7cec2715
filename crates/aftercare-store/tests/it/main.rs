//! The store suite: every test runs on SQLite, and on PostgreSQL when
//! `AFTERCARE_TEST_POSTGRES_URL` is set (CI sets it and fails without it).

// Test helpers may panic: a failed helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod artifact;
mod audit;
mod inventory;
mod select_in;
mod time;
