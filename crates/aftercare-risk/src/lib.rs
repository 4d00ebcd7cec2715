//! Triage and risk: assessments, exploitability, patient harm, the FDA determination, the
//! medical-device CVSS rubric, policies and regulatory clocks.
//!
//! This crate is the pure core of steps 4 and 5 of the loop in the BRIEF. It never does I/O
//! and never reads the wall clock: policies and rubrics come in as text, every instant comes
//! in as an argument (`now`, an event's `at`), so scenario tests run with fixed dates. Storage,
//! the CLI and the REST API build on it.
//!
//! - [`vex`]: VEX status, justifications (CycloneDX ↔ OpenVEX/CSAF mapping), responses and
//!   CISA's minimum rules.
//! - [`exploitability`]: KEV, EPSS, CVSS exploit maturity and public exploits, judged by the
//!   policy's rule into a level with reasons.
//! - [`harm`]: ISO 14971 severity, safety and essential performance, compensating controls.
//! - [`determination`]: controlled / uncontrolled, with its inputs and their digest.
//! - [`rubric`]: the MITRE/MDIC rubric for CVSS v3.0 in a clinical context.
//! - [`policy`]: the validated policy file and its digest.
//! - [`calendar`]: calendar and working days, deadlines in the policy's time zone.
//! - [`clock`]: the clock state machine and its queries.

#![warn(missing_docs)]

pub mod calendar;
pub mod clock;
pub mod determination;
mod error;
pub mod exploitability;
pub mod harm;
pub mod holiday;
pub mod policy;
pub mod rubric;
pub mod vex;
mod vocabulary;

pub use calendar::{Calendar, DayKind, Deadline};
pub use clock::{
    Awareness, AwarenessBasis, Case, CaseRecord, Change, Clock, ClockKind, ClockRecord, ClockState,
    Event, EventKind, SeriousIncidentCategory, StartBasis, Transition, Waiver, apply, due_within,
    overdue, tick,
};
pub use determination::{
    Determination, MatrixCell, Override, PatchPath, RiskClass, determine, patch_path,
};
pub use error::RiskError;
pub use exploitability::{
    EpssSignal, ExploitMaturity, ExploitabilityAssessment, ExploitabilityLevel,
    ExploitabilityReason, ExploitabilitySignals, KevSignal, assess_exploitability,
};
pub use harm::{CompensatingControl, HarmSeverity, PatientHarm};
pub use policy::{Condition, Policy};
pub use rubric::{Answers, Rubric, RubricResult, answer, parse_extended_vector};
pub use vex::{Justification, OpenVexJustification, Response, VexStatement, VexStatus};
