//! The one error type of this crate: every failure names the operation, the key, label,
//! question or clock it concerns, so that a user can act on the message.

use jiff::civil::Date;

/// Everything that can go wrong in triage, rubric scoring, policy loading and clock keeping.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RiskError {
    /// A label of a fixed vocabulary (VEX status, justification, response, harm severity,
    /// risk class, clock kind, …) is not one of its values.
    #[error("unknown {vocabulary} {value:?}: expected one of {expected}")]
    UnknownLabel {
        /// Which vocabulary was parsed, e.g. `VEX status`.
        vocabulary: &'static str,
        /// The rejected input.
        value: String,
        /// The accepted values, comma-separated.
        expected: String,
    },

    /// A `not_affected` VEX statement without a justification or an impact statement
    /// (CISA, *Minimum Requirements for VEX*: one of the two is required).
    #[error("a not_affected statement needs a justification or an impact statement")]
    VexJustificationMissing,

    /// An `affected` VEX statement without an action statement or a response (CISA,
    /// *Minimum Requirements for VEX*: an affected statement carries an action statement).
    #[error("an affected statement needs an action statement or at least one response")]
    VexActionMissing,

    /// A `not_affected` statement for a product whose latest determination is uncontrolled.
    #[error(
        "not_affected contradicts {determination}, which is uncontrolled: revise the determination (signed) or state affected with an action statement"
    )]
    VexContradictsDetermination {
        /// The determination, in words the caller can find it by (its id, product and
        /// vulnerability).
        determination: String,
    },

    /// A justification given with a status other than `not_affected`.
    #[error("a justification belongs to a not_affected statement, not to one with status {status}")]
    VexJustificationNotAllowed {
        /// The statement's status.
        status: &'static str,
    },

    /// An EPSS score or percentile outside 0..=1, or not a number.
    #[error("invalid EPSS {what} {value}: expected a number from 0 to 1")]
    InvalidEpss {
        /// `score`, `percentile` or `history score`.
        what: &'static str,
        /// The rejected value.
        value: f64,
    },

    /// A CVSS vector whose exploit maturity (E) metric could not be read.
    #[error("cannot read the exploit maturity of CVSS vector {vector:?}: {problem}")]
    InvalidCvssVector {
        /// The vector as given.
        vector: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A compensating control without a description, an evidence reference or a verifier.
    #[error(
        "a compensating control needs a non-empty {field}: a control is evidence, not a checkbox, and lowers a determination only with an evidence reference and a person who verified it"
    )]
    CompensatingControlIncomplete {
        /// `description`, `evidence` or `verified_by`.
        field: &'static str,
    },

    /// An override or a clock waiver whose written rationale is shorter than the policy asks.
    #[error(
        "the rationale of {what} is {length} characters long; the policy asks for at least {minimum}"
    )]
    RationaleTooShort {
        /// `an override` or `a waiver`.
        what: &'static str,
        /// Characters given (after trimming).
        length: usize,
        /// Characters required.
        minimum: usize,
    },

    /// A policy file that is not TOML or does not have the policy's shape.
    #[error("cannot read policy {origin}: {source}")]
    PolicySyntax {
        /// Where the policy came from (a path, or `built-in default`).
        origin: String,
        /// The TOML parser's error, which names the key and line (boxed: it is large).
        #[source]
        source: Box<toml::de::Error>,
    },

    /// A policy that parses but breaks a rule of `policy/policy.schema.json` or a rule the
    /// schema cannot express (for example, a matrix row for an undefined level).
    #[error("invalid policy: key `{key}`: {problem}")]
    PolicyInvalid {
        /// The dotted key, e.g. `clock.remediation.days`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },

    /// An exploitability level that the policy does not define.
    #[error("exploitability level {level:?} is not defined by the policy (levels: {expected})")]
    UnknownExploitabilityLevel {
        /// The rejected level id.
        level: String,
        /// The policy's levels, comma-separated.
        expected: String,
    },

    /// A rubric file that is not TOML or does not have the rubric's shape.
    #[error("cannot read rubric {origin}: {source}")]
    RubricSyntax {
        /// Where the rubric came from.
        origin: String,
        /// The TOML parser's error (boxed: it is large).
        #[source]
        source: Box<toml::de::Error>,
    },

    /// A rubric whose questions do not form a valid decision flow.
    #[error("invalid rubric: {location}: {problem}")]
    RubricInvalid {
        /// The question, metric or key concerned.
        location: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A question on the decision path has no answer.
    #[error("rubric question {question} is not answered: {text}")]
    RubricAnswerMissing {
        /// The question id, e.g. `XAVN`.
        question: String,
        /// The question's text, so that the message says what to answer.
        text: String,
    },

    /// An answer to a question the rubric does not have.
    #[error("rubric has no question {question}")]
    RubricUnknownQuestion {
        /// The rejected question id.
        question: String,
    },

    /// An answer that is not one of the question's options.
    #[error("{answer:?} is not an answer to rubric question {question} (options: {expected})")]
    RubricUnknownOption {
        /// The question id.
        question: String,
        /// The rejected answer code.
        answer: String,
        /// The question's option codes, comma-separated.
        expected: String,
    },

    /// An answer to a question that the other answers do not lead to; kept out so that the
    /// stored extended vector says exactly which path was taken.
    #[error(
        "rubric question {question} was answered but is not on the path the other answers take"
    )]
    RubricAnswerOffPath {
        /// The question id.
        question: String,
    },

    /// An extended rubric vector that cannot be parsed.
    #[error("invalid extended rubric vector {vector:?}: {problem}")]
    ExtendedVector {
        /// The vector as given.
        vector: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A time zone name that the time zone database does not know.
    #[error("unknown time zone {name:?} at key `{key}`")]
    UnknownTimeZone {
        /// The policy key (`jurisdiction.eu.time_zone`) or the stored clock's field.
        key: String,
        /// The rejected IANA name.
        name: String,
        /// The time zone database's error.
        #[source]
        source: jiff::Error,
    },

    /// A working-day count or a roll forward needed a day outside the years for which the
    /// calendar's holiday rules are known: an error, never a guess.
    #[error(
        "{day} is outside the coverage of calendar `{calendar}` (holidays are known for {first}..={last}); extend the coverage in the policy if the rules hold for that year"
    )]
    CalendarCoverage {
        /// The calendar's policy key (`jurisdiction.us`).
        calendar: String,
        /// The day whose status was asked for.
        day: Date,
        /// The first covered year.
        first: i16,
        /// The last covered year.
        last: i16,
    },

    /// A holiday rule that cannot name a day.
    #[error("holiday rule {name:?}: {problem}")]
    HolidayRuleInvalid {
        /// The rule's name.
        name: String,
        /// What is wrong with it.
        problem: String,
    },

    /// Easter was asked for before the Gregorian calendar existed.
    #[error("Easter is computed for Gregorian years from 1583 on, not {year}")]
    EasterBeforeGregorian {
        /// The year asked for.
        year: i16,
    },

    /// Date arithmetic that left the supported range (years -9999..=9999).
    #[error("date arithmetic failed for {date}: {source}")]
    DateOutOfRange {
        /// The date being moved.
        date: Date,
        /// jiff's error.
        #[source]
        source: jiff::Error,
    },

    /// An analyst tried to move the awareness date later; it may only move earlier.
    #[error("the awareness date may only move earlier: it is {current}, {requested} was asked for")]
    AwarenessMovedLater {
        /// The current awareness date.
        current: Date,
        /// The rejected later date.
        requested: Date,
    },

    /// An event that needs an awareness date (a determination) arrived before any.
    #[error("{event} needs an awareness date first: record the finding, report or advisory")]
    AwarenessMissing {
        /// The event's name.
        event: &'static str,
    },

    /// An event older than the last one applied; events are applied in the order they happened.
    #[error("event at {at} is older than the last applied event at {last}")]
    EventOutOfOrder {
        /// The rejected event's time.
        at: jiff::Timestamp,
        /// The last applied event's time.
        last: jiff::Timestamp,
    },

    /// An event claims a time after the time it is recorded, beyond the policy's tolerance.
    #[error(
        "an event dated {claimed} is in the future: it was recorded at {recorded} (tolerance: {tolerance_minutes} minutes)"
    )]
    EventInFuture {
        /// The claimed time.
        claimed: jiff::Timestamp,
        /// The time it was recorded.
        recorded: jiff::Timestamp,
        /// The policy's `event_time.future_tolerance_minutes`.
        tolerance_minutes: u32,
    },

    /// An event dated long before it was recorded, without a reason or evidence.
    #[error(
        "an event dated {claimed} but recorded at {recorded}, more than {hours} hours later, needs {missing}; both are kept with the event"
    )]
    BackdatedWithoutEvidence {
        /// The claimed time.
        claimed: jiff::Timestamp,
        /// The time it was recorded.
        recorded: jiff::Timestamp,
        /// The policy's `event_time.backdating_after_hours`.
        hours: u32,
        /// What is missing: `a reason`, `an evidence reference` or both.
        missing: &'static str,
    },

    /// An event names a day after the day it is recorded.
    #[error("{event} names {date}, after the day it is recorded ({today})")]
    EventDateInFuture {
        /// The event's name.
        event: &'static str,
        /// The date it names.
        date: Date,
        /// The day it is recorded, in the date's jurisdiction.
        today: Date,
    },

    /// A simulated event lies after the simulation's `now`.
    #[error("event {index} at {at} lies after the simulation's now ({now})")]
    SimulatedEventAfterNow {
        /// Its position in the list (0-based).
        index: usize,
        /// Its time.
        at: jiff::Timestamp,
        /// The simulation's now.
        now: jiff::Timestamp,
    },

    /// The clock engine refused a simulated event.
    #[error("event {index} ({event}) is refused: {source}")]
    SimulatedEventRefused {
        /// Its position in the list (0-based).
        index: usize,
        /// Its kind.
        event: &'static str,
        /// Why (boxed: the enum is recursive).
        #[source]
        source: Box<RiskError>,
    },

    /// A waiver for a clock that does not exist or is no longer open.
    #[error("no open {kind} clock{reference} to waive")]
    ClockNotOpen {
        /// The clock kind.
        kind: &'static str,
        /// ` for REFERENCE`, or empty.
        reference: String,
    },

    /// An event that needs a signer (a record of a correction not reported) got none.
    #[error("{event} needs the name of the person who signed it")]
    SignerMissing {
        /// The event's name.
        event: &'static str,
    },

    /// An event that needs a reference (report, incident) got an empty one.
    #[error("{event} needs a non-empty reference")]
    ReferenceMissing {
        /// The event's name.
        event: &'static str,
    },

    /// An incident's classification that the law's categories do not allow.
    #[error("cannot classify the incident ({field}): {problem}")]
    IncidentClassification {
        /// The input at fault (`classification`, `remedial_action`).
        field: &'static str,
        /// What is wrong and what to do.
        problem: String,
    },

    /// A step an incident's state does not allow.
    #[error("an incident that is {state} cannot be {step}: {why}")]
    IncidentStep {
        /// The incident's state.
        state: &'static str,
        /// The step (`classified`, `linked`, `closed`).
        step: &'static str,
        /// Why, and what to do instead.
        why: String,
    },
}

impl aftercare_model::label::UnknownLabel for RiskError {
    fn unknown_label(vocabulary: &'static str, value: &str, expected: String) -> Self {
        RiskError::UnknownLabel {
            vocabulary,
            value: value.to_string(),
            expected,
        }
    }
}
