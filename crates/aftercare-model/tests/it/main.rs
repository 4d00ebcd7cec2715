//! Integration tests of the model crate against external conformance data.

mod purl_suite;
