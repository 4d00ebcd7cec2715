//! Use cases: each opens a transaction, calls the pure crates and the store, and writes the audit event.
