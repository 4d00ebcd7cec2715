//! Triage and risk: assessments, exploitability, patient harm, the FDA determination, the
//! medical-device CVSS rubric, policies and regulatory clocks.
//!
//! This crate is the pure core of steps 4 and 5 of the loop in the BRIEF. It never does I/O
//! and never reads the wall clock: policies and rubrics come in as text, every instant comes
//! in as an argument (`now`, an event's `at`), so scenario tests run with fixed dates. Storage,
//! the CLI and the REST API build on it.
//!
//! - [`vex`]: VEX status, justifications (CycloneDX ↔ OpenVEX/CSAF mapping), responses,
//!   CISA's minimum rules, action statements, the export of statements resting on customer
//!   controls, and coherence with the determination.
//! - [`exploitability`]: KEV, EPSS, the CVSS exploitability metrics of the device-context or
//!   base vector, exploit maturity and public exploits, judged by the policy's rule into a
//!   level with reasons (a reasonable worst case when nothing is known).
//! - [`harm`]: ISO 14971 severity, safety and essential performance, compensating controls.
//! - [`determination`]: controlled / uncontrolled, with its inputs and their digest.
//! - [`rubric`]: the MITRE/MDIC rubric for CVSS v3.0 in a clinical context.
//! - [`policy`]: the validated policy file and its digest.
//! - [`calendar`]: calendar and working days, deadlines in each jurisdiction's time zone,
//!   coverage, the EU roll forward.
//! - [`holiday`]: holidays by rule (fixed dates with observed days, n-th weekdays, Easter).
//! - [`clock`]: the clock state machine and its queries.
//! - [`incident`]: an incident's states and its classification under 21 CFR 803 and EU MDR
//!   Art. 87 (or not reportable), turned into the clock machine's own events.
//! - [`simulation`]: what-if: the clock engine on a list of events, every clock at a `now`.
//! - [`event_time`]: an event's claimed time against its recording: future times refused,
//!   backdated ones justified.

#![warn(missing_docs)]

pub mod calendar;
pub mod clock;
pub mod determination;
mod error;
pub mod event_time;
pub mod exploitability;
pub mod harm;
pub mod holiday;
pub mod incident;
pub mod policy;
pub mod rubric;
pub mod simulation;
pub mod vex;
mod vocabulary;

pub use calendar::{Calendar, CalendarRules, Closure, DayKind, Deadline, DeadlineRoll};
pub use clock::{
    Awareness, AwarenessBasis, Case, CaseRecord, Change, Clock, ClockKind, ClockRecord, ClockState,
    CorrectionRecord, Event, EventKind, MdrEventType, SeriousIncidentCategory, StartBasis,
    Transition, Waiver, apply, due_within, overdue, tick,
};
pub use determination::{
    Determination, MatrixCell, Override, PatchPath, RiskClass, determine, patch_path,
};
pub use error::RiskError;
pub use event_time::{Backdating, EventTime, RecordedEvent, apply_recorded, check_event_time};
pub use exploitability::{
    CvssSignal, EpssSignal, ExploitMaturity, ExploitabilityAssessment, ExploitabilityLevel,
    ExploitabilityMetric, ExploitabilityReason, ExploitabilitySignals, KevSignal, VectorSource,
    assess_exploitability,
};
pub use harm::{CompensatingControl, HarmSeverity, PatientHarm};
pub use holiday::{HolidayDate, HolidayRule, Observance, easter_sunday};
pub use policy::{Condition, FixDistributed, PatchEvidencePolicy, PatchPolicy, Policy};
pub use rubric::{Answers, Rubric, RubricResult, answer, parse_extended_vector};
pub use simulation::{SimulatedClock, Simulation, simulate};
pub use vex::{
    ExportedStatement, Justification, OpenVexJustification, Response, VexStatement, VexStatus,
    action_statement, check_against_determination,
};
pub use vocabulary::{EvidenceKind, Jurisdiction};
