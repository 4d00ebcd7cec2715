//! The `/api/v1` handlers, one module per area of the brief.

pub mod access;
pub mod artifact;
pub mod device;
pub mod finding;
pub mod fleet;
pub mod incident;
pub mod intel;
pub mod inventory;
pub mod patch;
pub mod rollout;
pub mod triage;
