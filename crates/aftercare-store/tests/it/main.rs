//! The store suite: every test runs on SQLite, and on PostgreSQL when
//! `AFTERCARE_TEST_POSTGRES_URL` is set (CI sets it and fails without it).

mod audit;
mod inventory;
