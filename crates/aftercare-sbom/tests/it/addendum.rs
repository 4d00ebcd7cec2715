//! addendum
