//! The integration tests of `aftercare-patch`: the whole chain through the public API, as the
//! service will call it.

#![allow(
    clippy::unwrap_used,
    reason = "shared test helpers: a bad fixture should fail the test loudly"
)]

mod chain;
