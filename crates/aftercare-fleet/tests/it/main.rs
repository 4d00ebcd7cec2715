//! The fleet rules' tests, one module per rule.

mod telemetry;
