//! Fleet monitoring, the pure rules (step 8 of the loop in the BRIEF, issue 15): the
//! telemetry a device sends, how each line is checked, and — in the modules that follow it —
//! the detectors that turn metric series and security events into signals, the health gate a
//! rollout's wave must pass, and the simulator that produces a realistic fleet.
//!
//! - [`telemetry`]: the JSON-lines batch format (`heartbeat`, `metric`, `security_event`),
//!   checked line by line ([`telemetry::parse_batch`]): good lines kept, each bad one reported
//!   with its number and reason; bounded free text and no field for patient data (PHI
//!   minimisation is in the schema: unknown fields are refused, detail keys that name a person
//!   are refused); clock skew measured against the server's receive time.
//! - [`detect`]: the detectors, incremental and compact (one small state per device and
//!   metric): a robust baseline with step and drift CUSUMs per metric series, rate windows
//!   per security event kind, silence; configured by [`detect::DetectorConfig`] (the policy
//!   file's `[fleet.detectors]`), each returning a [`detect::Signal`] with its evidence.
//! - [`health`]: the rollout health gate, a wave's patched cohort against the unpatched
//!   devices on a metric over a soak ([`health::evaluate`]: pass, breach, not enough data).
//! - [`simulate`]: a deterministic fleet of infusion pumps with documented metric
//!   distributions and injectable faults ([`simulate::Fleet`]), for `aftercare
//!   simulate-fleet`, the demo and the detectors' tests.
//!
//! Like `aftercare-rollout` it does no I/O, never reads the wall clock (the receive time is an
//! argument) and never panics on input. The service stores what these functions accept.

#![warn(missing_docs)]

pub mod detect;
mod error;
pub mod health;
mod random;
pub mod simulate;
pub mod telemetry;

pub use error::FleetError;
