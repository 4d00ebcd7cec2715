//! The `aftercare` binary.

fn main() {}
