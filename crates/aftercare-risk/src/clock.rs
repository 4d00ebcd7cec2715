//! Regulatory clocks: a pure state machine driven by events, with time injected.
//!
//! A [`Case`] holds what the clocks of one (product, vulnerability) depend on — the awareness
//! date, the determination, the recorded start of a correction, the actions taken — and the
//! clocks themselves. [`apply`] takes a case, an [`Event`] and the [`Policy`] and returns the
//! next case with the list of [`Change`]s, for storage to persist and audit. [`tick`] does the
//! same for the passing of time alone (clocks whose deadline ended become missed). Nothing here
//! reads the wall clock: every instant comes in as an argument.
//!
//! # Rules
//!
//! - **Awareness** is the earliest of the first match, the receipt of a report or advisory
//!   naming the vulnerability, and a date an analyst enters with a reason. Automatic sources
//!   only ever move it earlier (re-matching and re-imports never move it later); an analyst
//!   may only move it earlier ([`RiskError::AwarenessMovedLater`] otherwise). Moving it
//!   earlier moves every clock that runs from it.
//! - Clocks run **from awareness**, even when the determination comes later: a determination
//!   on day 25 opens the 30-day customer-communication clock with 5 days left.
//! - **Day 0** is the day of the starting event; a deadline of N days ends at 23:59 of day N
//!   ([`crate::calendar`]). Each clock is counted in its jurisdiction's time zone and on its
//!   working days ([`ClockKind::jurisdiction`]): the EU MDR Art. 87 clocks in
//!   `[jurisdiction.eu]`, every other clock in `[jurisdiction.us]`. An event's instant becomes
//!   a day (the awareness day) in the US zone; the EU clocks start from the date their event
//!   names. When the EU calendar rolls deadlines forward, the clock's deadline records the day
//!   it was rolled from and its citation names the rule.
//! - A clock is **met** when its satisfying action happened at or before the deadline's end,
//!   **missed** when it is still open at any instant after it (evaluated at the injected `now`
//!   or at the next event's time). An action after a miss is recorded on the missed clock
//!   (`satisfied_at`) and leaves it missed. **Waived** needs a written rationale and is only
//!   possible while the clock is open, so that a miss cannot be waived away afterwards.
//! - **Uncontrolled** determination: customer communication (30 days) and remediation (60
//!   days) clocks open from awareness. **Controlled**: the regular patch cycle. A later change
//!   of determination does not close clocks already open; the team waives them with a
//!   rationale, which keeps the record honest.
//! - **ISAO** (FDA 2016, section VII.B, condition 4: a member "provides the ISAO with any
//!   customer communications upon notification of its customers"): for a member
//!   (`[isao] member = true`) the ISAO sharing clock opens when an uncontrolled risk's customer
//!   communication has gone out, day 0 being the communication's day and N the policy's (one
//!   day by default), not a separate clock from awareness. A non-member cannot meet the
//!   condition: its 806 obligation opens at the uncontrolled determination.
//! - **21 CFR 806**: FDA expects no 806 report for an uncontrolled risk only while all four
//!   conditions of its 2016 guidance hold. When a customer-communication, remediation or ISAO
//!   clock is missed, the manufacturer is no ISAO member, or a serious adverse event or death
//!   is associated with the vulnerability (condition 1: recorded directly, through an 803
//!   event of a death or serious injury, or through any EU MDR serious incident on the case),
//!   a `report_806` clock opens, due 10 working days after the **recorded start of the
//!   correction** (806.10(b)) — which may already lie in the past, so the new clock can be
//!   missed at once. Without a recorded start, the clock is **provisional**: it counts from the
//!   first recorded field action (customer communication sent, fix distributed, rollout
//!   started; [`StartBasis::FirstFieldAction`]), or, while there is none, from the day the
//!   exemption was lost ([`StartBasis::Provisional`]), so that the obligation is visible at
//!   once; its note says which. A first field action re-keys the latter, and a recorded
//!   correction start re-keys either, earlier or later, because the regulation counts from the
//!   correction.
//! - **806.10(f)**: an 803 report submitted with the 806.10(c) information (`covers_806`)
//!   meets the case's 806 clock, now or when it opens later. **806.20**: a correction that is
//!   not reported is recorded with its rationale and signer ([`EventKind::CorrectionRecorded`]);
//!   an open 806 clock closes as [`ClockState::Recorded`] ("recorded, not reported").
//! - **21 CFR 803**, **EU MDR Art. 87** and **disclosure acknowledgement** clocks run from
//!   the date given in their event and are identified by the event's reference (the MDR,
//!   incident or report number), so one case can hold several of each.
//! - Events are applied in the order they happened; an event older than the last one applied
//!   is refused ([`RiskError::EventOutOfOrder`]).

use aftercare_model::Sha256;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::RiskError;
use crate::calendar::{DayKind, Deadline, DeadlineRoll};
use crate::policy::{Policy, check_rationale};
pub use crate::vocabulary::ClockKind;
use crate::vocabulary::RiskClass;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The state of a clock.
    pub enum ClockState as "clock state" {
        /// Running.
        Open = "open",
        /// Satisfied at or before the deadline's end.
        Met = "met",
        /// Still open after the deadline's end.
        Missed = "missed",
        /// Waived with a written rationale while open.
        Waived = "waived",
        /// An 806 obligation closed by a record of a correction not reported, with its
        /// rationale and signer (21 CFR 806.20): "recorded, not reported".
        Recorded = "recorded",
    }
}

vocabulary! {
    /// What a clock's day 0 is.
    pub enum StartBasis as "clock start basis" {
        /// The awareness date of the case.
        Awareness = "awareness",
        /// The recorded start of the correction (806).
        CorrectionStart = "correction_start",
        /// Provisional (806): no correction start is recorded, and the first recorded field
        /// action (customer communication sent, fix distributed, rollout started) stands in
        /// for it.
        FirstFieldAction = "first_field_action",
        /// Provisional (806): neither a correction start nor a field action is recorded yet;
        /// counted from the day the exemption was lost, so that the obligation is visible at
        /// once, until either is recorded.
        Provisional = "provisional",
        /// The date given in the event that opened it (report, incident).
        Event = "event",
        /// The day the customer communication went out (ISAO sharing).
        CustomerCommunication = "customer_communication",
    }
}

impl StartBasis {
    /// Whether day 0 is an estimate that a recorded correction start will replace.
    pub fn is_provisional(self) -> bool {
        matches!(self, StartBasis::FirstFieldAction | StartBasis::Provisional)
    }
}

vocabulary! {
    /// What kind of reportable event an 803 report is about (21 CFR 803.3, 803.50).
    pub enum MdrEventType as "MDR event type" {
        /// A death.
        Death = "death",
        /// A serious injury.
        SeriousInjury = "serious_injury",
        /// A malfunction that would be likely to cause or contribute to a death or serious
        /// injury if it recurred; not itself a serious adverse event.
        Malfunction = "malfunction",
    }
}

/// A decision not to report a correction, kept as 21 CFR 806.20 requires: the rationale and
/// the person who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRecord {
    /// Why the correction is not reported (806.20(b)(3)).
    pub rationale: String,
    /// The person who signed the decision (a printed name; the service binds the signature).
    pub signed_by: String,
    /// When it was recorded.
    pub at: Timestamp,
}

vocabulary! {
    /// The category of an EU MDR serious incident (Art. 87(3)–(5)).
    pub enum SeriousIncidentCategory as "serious incident category" {
        /// Any other serious incident: 15 days.
        SeriousIncident = "serious_incident",
        /// A serious public health threat: 2 days.
        PublicHealthThreat = "public_health_threat",
        /// Death or an unanticipated serious deterioration of health: 10 days.
        DeathOrSeriousDeterioration = "death_or_serious_deterioration",
    }
}

/// Why a case has its awareness date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwarenessBasis {
    /// The first match of the vulnerability in a release of the product.
    FirstMatch,
    /// A vulnerability report naming it was received.
    ReportReceived,
    /// A supplier advisory naming it was received.
    AdvisoryReceived,
    /// An analyst entered the date, with a reason.
    Analyst {
        /// Why this date.
        reason: String,
    },
}

impl AwarenessBasis {
    /// The basis's name (`first_match`, `report_received`, `advisory_received`, `analyst`).
    pub fn as_str(&self) -> &'static str {
        match self {
            AwarenessBasis::FirstMatch => "first_match",
            AwarenessBasis::ReportReceived => "report_received",
            AwarenessBasis::AdvisoryReceived => "advisory_received",
            AwarenessBasis::Analyst { .. } => "analyst",
        }
    }
}

/// The awareness date of a case and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awareness {
    /// Day 0 of the clocks that run from awareness.
    pub date: Date,
    /// Its source.
    pub basis: AwarenessBasis,
}

/// A waiver: who decided is the caller's audit record; this keeps why and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The written rationale.
    pub rationale: String,
    /// When it was waived.
    pub at: Timestamp,
}

/// Appended to the citation of a clock whose calendar rolls deadlines forward.
const ROLL_FORWARD_BASIS: &str = "; counted under Regulation (EEC, Euratom) 1182/71 Art. 3(4)-(5) as MDCG 2023-3 Rev.2 Q14 applies it: a last day on a Saturday, Sunday or public holiday moves to the next working day, and a period of two days or more includes two working days";

/// One regulatory deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    kind: ClockKind,
    reference: Option<String>,
    basis: StartBasis,
    start: Date,
    days: u32,
    day_kind: DayKind,
    deadline: Deadline,
    time_zone_name: String,
    time_zone: TimeZone,
    state: ClockState,
    satisfied_at: Option<Timestamp>,
    waiver: Option<Waiver>,
    opened_at: Timestamp,
    note: Option<String>,
    source: String,
    policy_digest: Sha256,
}

impl Clock {
    /// A new open clock of a kind, from day 0 = `start`, with the policy's length.
    pub fn open(
        policy: &Policy,
        kind: ClockKind,
        reference: Option<&str>,
        basis: StartBasis,
        start: Date,
        opened_at: Timestamp,
    ) -> Result<Clock, RiskError> {
        let rule = policy.clock_rule(kind);
        let calendar = policy.calendar_for(kind.jurisdiction());
        let deadline = calendar.deadline(start, rule.days(), rule.day_kind())?;
        // The clock's basis names the counting rule it was computed with, so that a reviewer
        // sees why a deadline moved off a weekend or holiday.
        let mut source = rule.source().to_string();
        if calendar.roll() == DeadlineRoll::NextWorkingDay && rule.day_kind() == DayKind::Calendar {
            source.push_str(ROLL_FORWARD_BASIS);
        }
        Ok(Clock {
            kind,
            reference: reference.map(str::to_string),
            basis,
            start,
            days: rule.days(),
            day_kind: rule.day_kind(),
            deadline,
            time_zone_name: calendar.time_zone_name().to_string(),
            time_zone: calendar.time_zone().clone(),
            state: ClockState::Open,
            satisfied_at: None,
            waiver: None,
            opened_at,
            note: None,
            source,
            policy_digest: policy.digest(),
        })
    }

    /// What the clock is for.
    pub fn kind(&self) -> ClockKind {
        self.kind
    }

    /// The report, incident or MDR number, for clocks that belong to one.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// What day 0 is.
    pub fn basis(&self) -> StartBasis {
        self.basis
    }

    /// Day 0.
    pub fn start(&self) -> Date {
        self.start
    }

    /// N, the number of days.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// Calendar or working days.
    pub fn day_kind(&self) -> DayKind {
        self.day_kind
    }

    /// Day N and the instant the deadline ends (23:59 of day N in the jurisdiction's time
    /// zone), and the day N it was rolled from, if any.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// The jurisdiction's time zone when the clock was computed.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// Open, met, missed or waived.
    pub fn state(&self) -> ClockState {
        self.state
    }

    /// When the satisfying action happened (also on a missed clock, when it came late).
    pub fn satisfied_at(&self) -> Option<Timestamp> {
        self.satisfied_at
    }

    /// The waiver, when waived.
    pub fn waiver(&self) -> Option<&Waiver> {
        self.waiver.as_ref()
    }

    /// When the clock was opened.
    pub fn opened_at(&self) -> Timestamp {
        self.opened_at
    }

    /// Why the clock was opened, when it is not obvious (which 806 condition failed).
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The policy's citation for the clock's rule.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The canonical digest of the policy that computed the deadline.
    pub fn policy_digest(&self) -> Sha256 {
        self.policy_digest
    }

    /// Whether the clock is open and its deadline ended before `now`, or missed and still not
    /// satisfied.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        match self.state {
            ClockState::Open => now > self.deadline.end,
            ClockState::Missed => self.satisfied_at.is_none(),
            ClockState::Met | ClockState::Waived | ClockState::Recorded => false,
        }
    }

    fn is(&self, kind: ClockKind, reference: Option<&str>) -> bool {
        self.kind == kind && self.reference.as_deref() == reference
    }
}

/// A clock's fields as storage keeps them: plain data, to persist a [`Clock`] and to restore
/// it with [`Clock::from_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRecord {
    /// What the clock is for.
    pub kind: ClockKind,
    /// The report, incident or MDR number.
    pub reference: Option<String>,
    /// What day 0 is.
    pub basis: StartBasis,
    /// Day 0.
    pub start: Date,
    /// N.
    pub days: u32,
    /// Calendar or working days.
    pub day_kind: DayKind,
    /// Day N.
    pub deadline_day: Date,
    /// The instant the deadline ends.
    pub deadline_end: Timestamp,
    /// Day N before the calendar moved it off a weekend or holiday, when it did.
    pub deadline_rolled_from: Option<Date>,
    /// The IANA name of the jurisdiction's time zone.
    pub time_zone: String,
    /// Open, met, missed or waived.
    pub state: ClockState,
    /// When the satisfying action happened.
    pub satisfied_at: Option<Timestamp>,
    /// The waiver.
    pub waiver: Option<Waiver>,
    /// When the clock was opened.
    pub opened_at: Timestamp,
    /// Why it was opened, when not obvious.
    pub note: Option<String>,
    /// The policy's citation.
    pub source: String,
    /// The canonical digest of the policy that computed it.
    pub policy_digest: Sha256,
}

impl Clock {
    /// The clock as plain data for storage.
    pub fn to_record(&self) -> ClockRecord {
        ClockRecord {
            kind: self.kind,
            reference: self.reference.clone(),
            basis: self.basis,
            start: self.start,
            days: self.days,
            day_kind: self.day_kind,
            deadline_day: self.deadline.day,
            deadline_end: self.deadline.end,
            deadline_rolled_from: self.deadline.rolled_from,
            time_zone: self.time_zone_name.clone(),
            state: self.state,
            satisfied_at: self.satisfied_at,
            waiver: self.waiver.clone(),
            opened_at: self.opened_at,
            note: self.note.clone(),
            source: self.source.clone(),
            policy_digest: self.policy_digest,
        }
    }

    /// Restores a stored clock. The deadline is taken as stored, not recomputed: it was
    /// computed by the policy recorded in `policy_digest`, which may since have changed.
    pub fn from_record(record: ClockRecord) -> Result<Clock, RiskError> {
        let time_zone =
            TimeZone::get(&record.time_zone).map_err(|source| RiskError::UnknownTimeZone {
                key: "clock.time_zone".to_string(),
                name: record.time_zone.clone(),
                source,
            })?;
        Ok(Clock {
            kind: record.kind,
            reference: record.reference,
            basis: record.basis,
            start: record.start,
            days: record.days,
            day_kind: record.day_kind,
            deadline: Deadline {
                day: record.deadline_day,
                end: record.deadline_end,
                rolled_from: record.deadline_rolled_from,
            },
            time_zone_name: record.time_zone,
            time_zone,
            state: record.state,
            satisfied_at: record.satisfied_at,
            waiver: record.waiver,
            opened_at: record.opened_at,
            note: record.note,
            source: record.source,
            policy_digest: record.policy_digest,
        })
    }
}

/// A case's fields as storage keeps them, to persist a [`Case`] and restore it with
/// [`Case::from_record`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseRecord {
    /// The awareness date and its source.
    pub awareness: Option<Awareness>,
    /// The latest determination's outcome.
    pub risk: Option<RiskClass>,
    /// When the latest determination changed the outcome.
    pub determined_at: Option<Timestamp>,
    /// The recorded start of the correction.
    pub correction_started: Option<Date>,
    /// The 803 report that covers the 806 report (21 CFR 806.10(f)).
    pub report_806_covered_by: Option<String>,
    /// The record of a correction not reported (21 CFR 806.20).
    pub correction_record: Option<CorrectionRecord>,
    /// When a rollout of the fix first started.
    pub rollout_started_at: Option<Timestamp>,
    /// When the customer communication was first sent.
    pub customer_communication_sent_at: Option<Timestamp>,
    /// When the fix was first distributed.
    pub fix_distributed_at: Option<Timestamp>,
    /// When the communication was first shared with the ISAO.
    pub isao_shared_at: Option<Timestamp>,
    /// When the 806 report was first submitted.
    pub report_806_submitted_at: Option<Timestamp>,
    /// When a serious adverse event became known.
    pub serious_adverse_event_at: Option<Timestamp>,
    /// The instant of the last applied event.
    pub last_event_at: Option<Timestamp>,
    /// The clocks, in the order they were opened.
    pub clocks: Vec<ClockRecord>,
}

impl Case {
    /// The case as plain data for storage.
    pub fn to_record(&self) -> CaseRecord {
        let done = |wanted: Action| {
            self.actions
                .iter()
                .find(|(action, _)| *action == wanted)
                .map(|(_, at)| *at)
        };
        CaseRecord {
            awareness: self.awareness.clone(),
            risk: self.risk,
            determined_at: self.determined_at,
            correction_started: self.correction_started,
            report_806_covered_by: self.report_806_covered_by.clone(),
            correction_record: self.correction_record.clone(),
            rollout_started_at: done(Action::RolloutStart),
            customer_communication_sent_at: done(Action::CustomerCommunication),
            fix_distributed_at: done(Action::Fix),
            isao_shared_at: done(Action::IsaoSharing),
            report_806_submitted_at: done(Action::Report806),
            serious_adverse_event_at: self.serious_adverse_event,
            last_event_at: self.last_event_at,
            clocks: self.clocks.iter().map(Clock::to_record).collect(),
        }
    }

    /// Restores a stored case.
    pub fn from_record(record: CaseRecord) -> Result<Case, RiskError> {
        let mut actions: Vec<(Action, Timestamp)> = [
            (
                Action::CustomerCommunication,
                record.customer_communication_sent_at,
            ),
            (Action::Fix, record.fix_distributed_at),
            (Action::IsaoSharing, record.isao_shared_at),
            (Action::Report806, record.report_806_submitted_at),
            (Action::RolloutStart, record.rollout_started_at),
        ]
        .into_iter()
        .filter_map(|(action, at)| at.map(|at| (action, at)))
        .collect();
        actions.sort_by_key(|(_, at)| *at);
        Ok(Case {
            awareness: record.awareness,
            risk: record.risk,
            determined_at: record.determined_at,
            correction_started: record.correction_started,
            report_806_covered_by: record.report_806_covered_by,
            correction_record: record.correction_record,
            actions,
            serious_adverse_event: record.serious_adverse_event_at,
            last_event_at: record.last_event_at,
            clocks: record
                .clocks
                .into_iter()
                .map(Clock::from_record)
                .collect::<Result<Vec<_>, _>>()?,
        })
    }
}

/// Something that happened to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened (or was recorded, for events that carry their own date).
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of events that create and update clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The vulnerability matched a component of a release of the product (an awareness
    /// source).
    FindingFirstSeen,
    /// A supplier advisory naming the vulnerability was received (an awareness source).
    AdvisoryReceived,
    /// A vulnerability report naming it was received: an awareness source, and the start of
    /// the acknowledgement clock.
    ReportReceived {
        /// The report's number.
        reference: String,
    },
    /// The report was acknowledged.
    ReportAcknowledged {
        /// The report's number.
        reference: String,
    },
    /// An analyst entered an awareness date; it may only move the date earlier.
    AwarenessDateEntered {
        /// The date.
        date: Date,
        /// Why (audited).
        reason: String,
    },
    /// The controlled / uncontrolled determination was made or changed.
    DeterminationMade {
        /// Its outcome.
        risk: RiskClass,
    },
    /// The correction (recall, field action, patch campaign) started on this date.
    CorrectionStarted {
        /// The recorded start; it may lie before the event.
        started_on: Date,
    },
    /// The customer communication went out.
    CustomerCommunicationSent,
    /// The validated fix was distributed.
    FixDistributed,
    /// The customer communication was shared with the ISAO.
    IsaoShared,
    /// A serious adverse event or death is known to be associated with the vulnerability.
    SeriousAdverseEventKnown,
    /// A rollout of the fix to fielded devices started: a field action, so a provisional 806
    /// start (see the module documentation).
    RolloutStarted {
        /// The rollout campaign's id.
        reference: String,
    },
    /// The correction is not reported under 806 and is recorded instead (21 CFR 806.20),
    /// closing an open 806 clock as "recorded, not reported".
    CorrectionRecorded {
        /// Why it is not reported (at least the policy's `rationale.min_chars`).
        rationale: String,
        /// Who signed the decision.
        signed_by: String,
    },
    /// The 806 report was submitted to FDA.
    Report806Submitted {
        /// The agency's reference of the report (its correction/removal report number).
        reference: String,
    },
    /// A reportable event under 21 CFR 803 became known on `aware_on`.
    MdrReportableEvent {
        /// The MDR number.
        reference: String,
        /// When the manufacturer became aware of it.
        aware_on: Date,
        /// A death or serious injury is a serious adverse event (the FDA guidance's condition
        /// 1 fails); a malfunction is not.
        event_type: MdrEventType,
        /// Remedial action is needed to prevent an unreasonable risk of substantial harm, or
        /// FDA asked in writing: the five-work-day report applies instead of the 30-day one.
        five_day: bool,
    },
    /// Information for a supplemental 803 report was received on `received_on`.
    MdrSupplementalInformation {
        /// The MDR number.
        reference: String,
        /// When it was received.
        received_on: Date,
    },
    /// An 803 report (initial, five-day or supplemental) was submitted.
    MdrReportSubmitted {
        /// The MDR number.
        reference: String,
        /// The report carries the information 21 CFR 806.10(c) asks for, so it also covers
        /// the 806 report of this case (806.10(f)).
        covers_806: bool,
    },
    /// An EU MDR serious incident became known on `aware_on`.
    SeriousIncident {
        /// The incident number.
        reference: String,
        /// When the manufacturer became aware of it.
        aware_on: Date,
        /// Which Art. 87 deadline applies.
        category: SeriousIncidentCategory,
    },
    /// The EU MDR vigilance report was submitted.
    EuMdrReportSubmitted {
        /// The incident number.
        reference: String,
    },
    /// An open clock is waived.
    ClockWaived {
        /// Its kind.
        kind: ClockKind,
        /// Its reference, when it has one.
        reference: Option<String>,
        /// Why (at least the policy's `rationale.min_chars`).
        rationale: String,
    },
}

impl EventKind {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::FindingFirstSeen => "finding_first_seen",
            EventKind::AdvisoryReceived => "advisory_received",
            EventKind::ReportReceived { .. } => "report_received",
            EventKind::ReportAcknowledged { .. } => "report_acknowledged",
            EventKind::AwarenessDateEntered { .. } => "awareness_date_entered",
            EventKind::DeterminationMade { .. } => "determination_made",
            EventKind::CorrectionStarted { .. } => "correction_started",
            EventKind::CustomerCommunicationSent => "customer_communication_sent",
            EventKind::FixDistributed => "fix_distributed",
            EventKind::IsaoShared => "isao_shared",
            EventKind::SeriousAdverseEventKnown => "serious_adverse_event_known",
            EventKind::RolloutStarted { .. } => "rollout_started",
            EventKind::CorrectionRecorded { .. } => "correction_recorded",
            EventKind::Report806Submitted { .. } => "report_806_submitted",
            EventKind::MdrReportableEvent { .. } => "mdr_reportable_event",
            EventKind::MdrSupplementalInformation { .. } => "mdr_supplemental_information",
            EventKind::MdrReportSubmitted { .. } => "mdr_report_submitted",
            EventKind::SeriousIncident { .. } => "serious_incident",
            EventKind::EuMdrReportSubmitted { .. } => "eu_mdr_report_submitted",
            EventKind::ClockWaived { .. } => "clock_waived",
        }
    }
}

/// An action that satisfies the case-level clocks; remembered so that a clock opened after it
/// (a determination on day 25 after a communication on day 12) opens as met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    CustomerCommunication,
    Fix,
    IsaoSharing,
    Report806,
    RolloutStart,
}

impl Action {
    fn satisfies(self) -> &'static [ClockKind] {
        match self {
            Action::CustomerCommunication => &[ClockKind::CustomerCommunication],
            Action::Fix => &[ClockKind::Remediation, ClockKind::RegularPatchCycle],
            Action::IsaoSharing => &[ClockKind::IsaoSharing],
            Action::Report806 => &[ClockKind::Report806],
            Action::RolloutStart => &[],
        }
    }

    /// A field action: the correction has begun in the field (a provisional 806 start).
    fn is_field_action(self) -> bool {
        matches!(
            self,
            Action::CustomerCommunication | Action::Fix | Action::RolloutStart
        )
    }

    fn event_name(self) -> &'static str {
        match self {
            Action::CustomerCommunication => "customer_communication_sent",
            Action::Fix => "fix_distributed",
            Action::IsaoSharing => "isao_shared",
            Action::Report806 => "report_806_submitted",
            Action::RolloutStart => "rollout_started",
        }
    }
}

/// What one event or tick changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The awareness date was set or moved earlier.
    AwarenessSet {
        /// The awareness before.
        previous: Option<Awareness>,
        /// The awareness now.
        current: Awareness,
    },
    /// The determination's outcome was recorded.
    RiskSet {
        /// The outcome before.
        previous: Option<RiskClass>,
        /// The outcome now.
        current: RiskClass,
    },
    /// The start of the correction was recorded.
    CorrectionStartRecorded {
        /// The date before.
        previous: Option<Date>,
        /// The date now.
        current: Date,
    },
    /// A clock was opened (possibly already met, when its action came first).
    ClockOpened(Clock),
    /// A clock's deadline moved (awareness moved earlier, correction start recorded).
    ClockRescheduled {
        /// The deadline before.
        previous: Deadline,
        /// The clock after.
        clock: Clock,
    },
    /// A clock was met.
    ClockMet(Clock),
    /// A clock was missed.
    ClockMissed(Clock),
    /// The action of a missed clock happened late.
    ClockSatisfiedLate(Clock),
    /// A clock was waived.
    ClockWaived(Clock),
    /// An 806 clock was closed by a record of a correction not reported (21 CFR 806.20).
    ClockRecorded(Clock),
    /// A serious adverse event or death became known (the FDA guidance's condition 1).
    SeriousAdverseEventRecorded {
        /// When it became known.
        known_at: Timestamp,
    },
    /// A correction was recorded as not reported (21 CFR 806.20).
    CorrectionRecorded(CorrectionRecord),
}

impl std::fmt::Display for Change {
    /// The change in words, as a person reads it in a command's output and a case's history
    /// (`clock remediation opened, due 2026-05-01`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clock = |clock: &Clock| match clock.reference() {
            Some(reference) => format!("clock {} ({reference})", clock.kind().as_str()),
            None => format!("clock {}", clock.kind().as_str()),
        };
        match self {
            Change::AwarenessSet { previous, current } => match previous {
                Some(previous) => write!(
                    f,
                    "awareness moved from {} to {} ({})",
                    previous.date,
                    current.date,
                    current.basis.as_str()
                ),
                None => write!(
                    f,
                    "awareness set to {} ({})",
                    current.date,
                    current.basis.as_str()
                ),
            },
            Change::RiskSet { previous, current } => match previous {
                Some(previous) => write!(
                    f,
                    "risk changed from {} to {}",
                    previous.as_str(),
                    current.as_str()
                ),
                None => write!(f, "risk set to {}", current.as_str()),
            },
            Change::CorrectionStartRecorded { current, .. } => {
                write!(f, "correction started on {current}")
            }
            Change::ClockOpened(c) => match c.state() {
                ClockState::Open => write!(f, "{} opened, due {}", clock(c), c.deadline().day),
                state => write!(f, "{} opened, already {}", clock(c), state.as_str()),
            },
            Change::ClockRescheduled { previous, clock: c } => write!(
                f,
                "{} rescheduled from {} to {}",
                clock(c),
                previous.day,
                c.deadline().day
            ),
            Change::ClockMet(c) => write!(f, "{} met", clock(c)),
            Change::ClockMissed(c) => {
                write!(f, "{} missed (was due {})", clock(c), c.deadline().day)
            }
            Change::ClockSatisfiedLate(c) => write!(f, "{} satisfied late", clock(c)),
            Change::ClockWaived(c) => write!(f, "{} waived", clock(c)),
            Change::ClockRecorded(c) => {
                write!(
                    f,
                    "{} closed by a record of a correction not reported",
                    clock(c)
                )
            }
            Change::SeriousAdverseEventRecorded { known_at } => {
                write!(f, "serious adverse event known since {known_at}")
            }
            Change::CorrectionRecorded(record) => write!(
                f,
                "correction recorded as not reported (21 CFR 806.20), signed by {}",
                record.signed_by
            ),
        }
    }
}

/// The clock-relevant state of one (product, vulnerability).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Case {
    awareness: Option<Awareness>,
    risk: Option<RiskClass>,
    determined_at: Option<Timestamp>,
    correction_started: Option<Date>,
    report_806_covered_by: Option<String>,
    correction_record: Option<CorrectionRecord>,
    actions: Vec<(Action, Timestamp)>,
    serious_adverse_event: Option<Timestamp>,
    last_event_at: Option<Timestamp>,
    clocks: Vec<Clock>,
}

/// A case after an event or a tick, with what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The case afterwards.
    pub case: Case,
    /// What changed, in order.
    pub changes: Vec<Change>,
}

impl Case {
    /// An empty case: no awareness, no clocks.
    pub fn new() -> Case {
        Case::default()
    }

    /// The awareness date.
    pub fn awareness(&self) -> Option<&Awareness> {
        self.awareness.as_ref()
    }

    /// The latest determination's outcome.
    pub fn risk(&self) -> Option<RiskClass> {
        self.risk
    }

    /// The recorded start of the correction.
    pub fn correction_started(&self) -> Option<Date> {
        self.correction_started
    }

    /// When a serious adverse event or death became known (the FDA guidance's condition 1).
    pub fn serious_adverse_event(&self) -> Option<Timestamp> {
        self.serious_adverse_event
    }

    /// The 803 report that covers the 806 report (21 CFR 806.10(f)).
    pub fn report_806_covered_by(&self) -> Option<&str> {
        self.report_806_covered_by.as_deref()
    }

    /// The record of a correction not reported (21 CFR 806.20).
    pub fn correction_record(&self) -> Option<&CorrectionRecord> {
        self.correction_record.as_ref()
    }

    /// The clocks, in the order they were opened.
    pub fn clocks(&self) -> &[Clock] {
        &self.clocks
    }

    /// The clock of a kind (and reference).
    pub fn clock(&self, kind: ClockKind, reference: Option<&str>) -> Option<&Clock> {
        self.clocks.iter().find(|clock| clock.is(kind, reference))
    }
}

/// Applies an event to a case (see the module documentation for the rules).
///
/// Time first catches up to the event (clocks that ended before it are missed), then the
/// event is handled, then the same check runs again for deadlines the event moved into the
/// past (an earlier awareness date, an 806 clock keyed to an old correction start).
pub fn apply(case: &Case, event: &Event, policy: &Policy) -> Result<Transition, RiskError> {
    if let Some(last) = case.last_event_at
        && event.at < last
    {
        return Err(RiskError::EventOutOfOrder { at: event.at, last });
    }
    let mut machine = Machine {
        case: case.clone(),
        changes: Vec::new(),
        policy,
    };
    machine.tick(event.at)?;
    machine.handle(event)?;
    machine.tick(event.at)?;
    machine.case.last_event_at = Some(event.at);
    Ok(Transition {
        case: machine.case,
        changes: machine.changes,
    })
}

/// Lets time pass to `now`: open clocks whose deadline ended before `now` become missed, and
/// the 806 clock opens when the FDA exemption is lost.
pub fn tick(case: &Case, now: Timestamp, policy: &Policy) -> Result<Transition, RiskError> {
    let mut machine = Machine {
        case: case.clone(),
        changes: Vec::new(),
        policy,
    };
    machine.tick(now)?;
    Ok(Transition {
        case: machine.case,
        changes: machine.changes,
    })
}

/// Open clocks that are not overdue at `now` and whose deadline day is at most `days` days
/// after today (in each clock's time zone), soonest first.
pub fn due_within(clocks: &[Clock], now: Timestamp, days: u32) -> Vec<&Clock> {
    let mut due: Vec<&Clock> = clocks
        .iter()
        .filter(|clock| clock.state == ClockState::Open && now <= clock.deadline.end)
        .filter(|clock| {
            let today = now.to_zoned(clock.time_zone.clone()).date();
            let horizon = today
                .checked_add(jiff::Span::new().days(i64::from(days)))
                .unwrap_or(Date::MAX);
            clock.deadline.day <= horizon
        })
        .collect();
    due.sort_by_key(|clock| clock.deadline.end);
    due
}

/// Clocks overdue at `now`: open past their deadline's end, or missed and still not
/// satisfied; the longest overdue first.
pub fn overdue(clocks: &[Clock], now: Timestamp) -> Vec<&Clock> {
    let mut late: Vec<&Clock> = clocks
        .iter()
        .filter(|clock| clock.is_overdue(now))
        .collect();
    late.sort_by_key(|clock| clock.deadline.end);
    late
}

struct Machine<'a> {
    case: Case,
    changes: Vec<Change>,
    policy: &'a Policy,
}

/// The clocks an uncontrolled determination opens from awareness. ISAO sharing is not among
/// them: it starts when the customers are notified (see the module documentation).
const UNCONTROLLED_CLOCKS: [ClockKind; 2] =
    [ClockKind::CustomerCommunication, ClockKind::Remediation];

/// The clocks whose miss loses the FDA guidance's exemption from 806 reporting.
const CONDITION_CLOCKS: [ClockKind; 3] = [
    ClockKind::CustomerCommunication,
    ClockKind::Remediation,
    ClockKind::IsaoSharing,
];

impl Machine<'_> {
    fn day(&self, at: Timestamp) -> Date {
        self.policy.calendar().day_of(at)
    }

    fn handle(&mut self, event: &Event) -> Result<(), RiskError> {
        let at = event.at;
        match &event.kind {
            EventKind::FindingFirstSeen => {
                self.awareness(self.day(at), AwarenessBasis::FirstMatch)?;
            }
            EventKind::AdvisoryReceived => {
                self.awareness(self.day(at), AwarenessBasis::AdvisoryReceived)?;
            }
            EventKind::ReportReceived { reference } => {
                let reference = non_empty(reference, event)?;
                self.awareness(self.day(at), AwarenessBasis::ReportReceived)?;
                let day = self.day(at);
                self.open(
                    ClockKind::DisclosureAck,
                    Some(reference),
                    StartBasis::Event,
                    day,
                    at,
                    None,
                )?;
            }
            EventKind::ReportAcknowledged { reference } => {
                let reference = non_empty(reference, event)?;
                self.satisfy(&[ClockKind::DisclosureAck], Some(reference), at);
            }
            EventKind::AwarenessDateEntered { date, reason } => {
                check_rationale(self.policy, "an awareness date change", reason)?;
                if let Some(current) = &self.case.awareness
                    && *date > current.date
                {
                    return Err(RiskError::AwarenessMovedLater {
                        current: current.date,
                        requested: *date,
                    });
                }
                self.awareness(
                    *date,
                    AwarenessBasis::Analyst {
                        reason: reason.trim().to_string(),
                    },
                )?;
            }
            EventKind::DeterminationMade { risk } => {
                let awareness = self
                    .case
                    .awareness
                    .as_ref()
                    .map(|awareness| awareness.date)
                    .ok_or(RiskError::AwarenessMissing {
                        event: "a determination",
                    })?;
                if self.case.risk != Some(*risk) {
                    self.changes.push(Change::RiskSet {
                        previous: self.case.risk,
                        current: *risk,
                    });
                    self.case.risk = Some(*risk);
                    self.case.determined_at = Some(at);
                }
                let kinds: &[ClockKind] = match risk {
                    RiskClass::Uncontrolled => &UNCONTROLLED_CLOCKS,
                    RiskClass::Controlled => &[ClockKind::RegularPatchCycle],
                };
                for kind in kinds {
                    self.open(*kind, None, StartBasis::Awareness, awareness, at, None)?;
                }
                self.open_isao_sharing(at)?;
            }
            EventKind::CorrectionStarted { started_on } => {
                if self.case.correction_started != Some(*started_on) {
                    self.changes.push(Change::CorrectionStartRecorded {
                        previous: self.case.correction_started,
                        current: *started_on,
                    });
                    self.case.correction_started = Some(*started_on);
                }
                self.rekey_806(StartBasis::CorrectionStart, *started_on, None)?;
            }
            EventKind::CustomerCommunicationSent => {
                self.act(Action::CustomerCommunication, at)?;
                self.open_isao_sharing(at)?;
            }
            EventKind::FixDistributed => self.act(Action::Fix, at)?,
            EventKind::IsaoShared => self.act(Action::IsaoSharing, at)?,
            EventKind::Report806Submitted { .. } => self.act(Action::Report806, at)?,
            EventKind::RolloutStarted { reference } => {
                non_empty(reference, event)?;
                self.act(Action::RolloutStart, at)?;
            }
            EventKind::SeriousAdverseEventKnown => self.serious_adverse_event(at),
            EventKind::CorrectionRecorded {
                rationale,
                signed_by,
            } => self.record_correction(rationale, signed_by, at, event)?,
            EventKind::MdrReportableEvent {
                reference,
                aware_on,
                five_day,
                event_type,
            } => {
                let reference = non_empty(reference, event)?;
                // A death or serious injury on this case is a serious adverse event associated
                // with the vulnerability: the FDA guidance's condition 1 fails.
                if *event_type != MdrEventType::Malfunction {
                    let known_at = self.start_of(*aware_on)?;
                    self.serious_adverse_event(known_at.min(at));
                }
                let kind = if *five_day {
                    ClockKind::Mdr803FiveDay
                } else {
                    ClockKind::Mdr803
                };
                self.open(
                    kind,
                    Some(reference),
                    StartBasis::Event,
                    *aware_on,
                    at,
                    None,
                )?;
            }
            EventKind::MdrSupplementalInformation {
                reference,
                received_on,
            } => {
                let reference = non_empty(reference, event)?;
                self.open(
                    ClockKind::Mdr803Supplemental,
                    Some(reference),
                    StartBasis::Event,
                    *received_on,
                    at,
                    None,
                )?;
            }
            EventKind::MdrReportSubmitted {
                reference,
                covers_806,
            } => {
                let reference = non_empty(reference, event)?;
                self.satisfy(
                    &[
                        ClockKind::Mdr803,
                        ClockKind::Mdr803FiveDay,
                        ClockKind::Mdr803Supplemental,
                    ],
                    Some(reference),
                    at,
                );
                if *covers_806 {
                    // 21 CFR 806.10(f): no 806 report is required when the correction was
                    // reported under 803 with the 806.10(c) information.
                    if self.case.report_806_covered_by.is_none() {
                        self.case.report_806_covered_by = Some(reference.to_string());
                    }
                    let note = format!(
                        "covered by 803 report {reference}, which carries the 806.10(c) information (21 CFR 806.10(f))"
                    );
                    for clock in self.case.clocks.iter_mut() {
                        if clock.kind == ClockKind::Report806 && clock.satisfied_at.is_none() {
                            append_note(clock, &note);
                        }
                    }
                    self.act(Action::Report806, at)?;
                }
            }
            EventKind::SeriousIncident {
                reference,
                aware_on,
                category,
            } => {
                let reference = non_empty(reference, event)?;
                // Every Art. 2(65) serious incident led, or might have led, to death or a
                // serious deterioration of health. Treating each as a serious adverse event
                // errs on the side of reporting; a near incident's 806 clock can be waived
                // with a rationale.
                let known_at = self.start_of(*aware_on)?;
                self.serious_adverse_event(known_at.min(at));
                let kind = match category {
                    SeriousIncidentCategory::SeriousIncident => ClockKind::EuMdrArt87,
                    SeriousIncidentCategory::PublicHealthThreat => {
                        ClockKind::EuMdrArt87PublicHealthThreat
                    }
                    SeriousIncidentCategory::DeathOrSeriousDeterioration => {
                        ClockKind::EuMdrArt87DeathOrSeriousDeterioration
                    }
                };
                self.open(
                    kind,
                    Some(reference),
                    StartBasis::Event,
                    *aware_on,
                    at,
                    None,
                )?;
            }
            EventKind::EuMdrReportSubmitted { reference } => {
                let reference = non_empty(reference, event)?;
                self.satisfy(
                    &[
                        ClockKind::EuMdrArt87,
                        ClockKind::EuMdrArt87PublicHealthThreat,
                        ClockKind::EuMdrArt87DeathOrSeriousDeterioration,
                    ],
                    Some(reference),
                    at,
                );
            }
            EventKind::ClockWaived {
                kind,
                reference,
                rationale,
            } => {
                check_rationale(self.policy, "a waiver", rationale)?;
                let reference = reference.as_deref();
                let clock = self
                    .case
                    .clocks
                    .iter_mut()
                    .find(|clock| clock.is(*kind, reference) && clock.state == ClockState::Open)
                    .ok_or_else(|| RiskError::ClockNotOpen {
                        kind: kind.as_str(),
                        reference: reference.map(|r| format!(" for {r}")).unwrap_or_default(),
                    })?;
                clock.state = ClockState::Waived;
                clock.waiver = Some(Waiver {
                    rationale: rationale.trim().to_string(),
                    at,
                });
                self.changes.push(Change::ClockWaived(clock.clone()));
            }
        }
        Ok(())
    }

    /// The first instant of a day in the US zone: when a serious adverse event that became
    /// known "on" a date is dated, so that its day is that date.
    fn start_of(&self, day: Date) -> Result<Timestamp, RiskError> {
        day.to_zoned(self.policy.calendar().time_zone().clone())
            .map(|zoned| zoned.timestamp())
            .map_err(|source| RiskError::DateOutOfRange { date: day, source })
    }

    /// Records that a serious adverse event or death is known (the earliest time wins).
    fn serious_adverse_event(&mut self, known_at: Timestamp) {
        if self
            .case
            .serious_adverse_event
            .is_none_or(|known| known_at < known)
        {
            self.case.serious_adverse_event = Some(known_at);
            self.changes
                .push(Change::SeriousAdverseEventRecorded { known_at });
        }
    }

    /// Opens the ISAO sharing clock of a member once an uncontrolled risk's customers were
    /// notified: day 0 is the day the communication went out (FDA 2016, condition 4: "upon
    /// notification of its customers"). A non-member has no such clock; its 806 obligation
    /// opens at the determination instead.
    fn open_isao_sharing(&mut self, at: Timestamp) -> Result<(), RiskError> {
        if self.case.risk != Some(RiskClass::Uncontrolled) || !self.policy.isao().member() {
            return Ok(());
        }
        let Some(sent_at) = self.done(Action::CustomerCommunication) else {
            return Ok(());
        };
        let day = self.day(sent_at);
        self.open(
            ClockKind::IsaoSharing,
            None,
            StartBasis::CustomerCommunication,
            day,
            at,
            self.policy
                .isao()
                .name()
                .map(|name| format!("share the customer communication with {name}")),
        )
    }

    /// 21 CFR 806.20: a correction not reported is recorded with its rationale and signer; an
    /// open 806 clock closes as "recorded, not reported", a missed one stays missed and notes
    /// the late record.
    fn record_correction(
        &mut self,
        rationale: &str,
        signed_by: &str,
        at: Timestamp,
        event: &Event,
    ) -> Result<(), RiskError> {
        check_rationale(
            self.policy,
            "a record of a correction not reported",
            rationale,
        )?;
        let signed_by = signed_by.trim();
        if signed_by.is_empty() {
            return Err(RiskError::SignerMissing {
                event: event.kind.name(),
            });
        }
        let record = CorrectionRecord {
            rationale: rationale.trim().to_string(),
            signed_by: signed_by.to_string(),
            at,
        };
        self.case.correction_record = Some(record.clone());
        self.changes.push(Change::CorrectionRecorded(record));
        let note = format!("recorded, not reported (21 CFR 806.20), signed by {signed_by}");
        for clock in self.case.clocks.iter_mut() {
            if clock.kind != ClockKind::Report806 || clock.satisfied_at.is_some() {
                continue;
            }
            match clock.state {
                ClockState::Open => {
                    clock.state = ClockState::Recorded;
                    clock.satisfied_at = Some(at);
                    append_note(clock, &note);
                    self.changes.push(Change::ClockRecorded(clock.clone()));
                }
                ClockState::Missed => {
                    clock.satisfied_at = Some(at);
                    append_note(clock, &format!("{note}, after the deadline"));
                    self.changes.push(Change::ClockSatisfiedLate(clock.clone()));
                }
                ClockState::Met | ClockState::Waived | ClockState::Recorded => {}
            }
        }
        Ok(())
    }

    /// When an action first happened.
    fn done(&self, wanted: Action) -> Option<Timestamp> {
        self.case
            .actions
            .iter()
            .find(|(action, _)| *action == wanted)
            .map(|(_, at)| *at)
    }

    /// The first recorded field action, the provisional start of a correction.
    fn first_field_action(&self) -> Option<(Action, Timestamp)> {
        self.case
            .actions
            .iter()
            .filter(|(action, _)| action.is_field_action())
            .min_by_key(|(_, at)| *at)
            .copied()
    }

    /// Sets or moves the awareness date earlier; a later date from an automatic source is
    /// ignored, because re-matching must never move it.
    fn awareness(&mut self, date: Date, basis: AwarenessBasis) -> Result<(), RiskError> {
        if let Some(current) = &self.case.awareness
            && date >= current.date
        {
            return Ok(());
        }
        let current = Awareness { date, basis };
        self.changes.push(Change::AwarenessSet {
            previous: self.case.awareness.clone(),
            current: current.clone(),
        });
        self.case.awareness = Some(current);
        // Every clock that runs from awareness moves with it.
        for index in 0..self.case.clocks.len() {
            let Some(clock) = self.case.clocks.get(index) else {
                continue;
            };
            if clock.basis != StartBasis::Awareness || clock.state == ClockState::Waived {
                continue;
            }
            let mut moved = Clock::open(
                self.policy,
                clock.kind,
                clock.reference.as_deref(),
                StartBasis::Awareness,
                date,
                clock.opened_at,
            )?;
            moved.state = clock.state;
            moved.satisfied_at = clock.satisfied_at;
            moved.note = clock.note.clone();
            // A clock met before the old deadline may have been met after the new one.
            if moved.state == ClockState::Met
                && moved.satisfied_at.is_some_and(|at| at > moved.deadline.end)
            {
                moved.state = ClockState::Missed;
            }
            let previous = clock.deadline;
            if let Some(slot) = self.case.clocks.get_mut(index) {
                *slot = moved.clone();
            }
            self.changes.push(Change::ClockRescheduled {
                previous,
                clock: moved,
            });
        }
        Ok(())
    }

    /// Opens a clock unless one of the same kind and reference exists or the policy disables
    /// the kind; an action that already happened meets (or late-satisfies) it at once.
    fn open(
        &mut self,
        kind: ClockKind,
        reference: Option<&str>,
        basis: StartBasis,
        start: Date,
        at: Timestamp,
        note: Option<String>,
    ) -> Result<(), RiskError> {
        if !self.policy.clock_rule(kind).enabled()
            || self
                .case
                .clocks
                .iter()
                .any(|clock| clock.is(kind, reference))
        {
            return Ok(());
        }
        let mut clock = Clock::open(self.policy, kind, reference, basis, start, at)?;
        clock.note = note;
        let done = self
            .case
            .actions
            .iter()
            .find(|(action, _)| action.satisfies().contains(&kind))
            .map(|(_, done_at)| *done_at);
        if let Some(done_at) = done {
            clock.satisfied_at = Some(done_at);
            clock.state = if done_at <= clock.deadline.end {
                ClockState::Met
            } else {
                ClockState::Missed
            };
        }
        self.changes.push(Change::ClockOpened(clock.clone()));
        self.case.clocks.push(clock);
        Ok(())
    }

    /// Records a case-level action (first occurrence) and satisfies its clocks. A first field
    /// action gives an 806 clock that still counts from the day the exemption was lost its
    /// provisional correction start.
    fn act(&mut self, action: Action, at: Timestamp) -> Result<(), RiskError> {
        if !self.case.actions.iter().any(|(known, _)| *known == action) {
            self.case.actions.push((action, at));
        }
        self.satisfy(action.satisfies(), None, at);
        if action.is_field_action()
            && self.case.correction_started.is_none()
            && let Some((first, first_at)) = self.first_field_action()
            && self.case.clocks.iter().any(|clock| {
                clock.kind == ClockKind::Report806
                    && clock.basis == StartBasis::Provisional
                    && clock.satisfied_at.is_none()
            })
        {
            let day = self.day(first_at);
            self.rekey_806(
                StartBasis::FirstFieldAction,
                day,
                Some(provisional_note(first, day)),
            )?;
        }
        Ok(())
    }

    /// Satisfies the open (or missed, unsatisfied) clocks of these kinds and reference.
    fn satisfy(&mut self, kinds: &[ClockKind], reference: Option<&str>, at: Timestamp) {
        for clock in self.case.clocks.iter_mut() {
            if !kinds.contains(&clock.kind) || clock.reference.as_deref() != reference {
                continue;
            }
            match clock.state {
                ClockState::Open if at <= clock.deadline.end => {
                    clock.state = ClockState::Met;
                    clock.satisfied_at = Some(at);
                    self.changes.push(Change::ClockMet(clock.clone()));
                }
                ClockState::Open => {
                    clock.state = ClockState::Missed;
                    clock.satisfied_at = Some(at);
                    self.changes.push(Change::ClockMissed(clock.clone()));
                    self.changes.push(Change::ClockSatisfiedLate(clock.clone()));
                }
                ClockState::Missed if clock.satisfied_at.is_none() => {
                    clock.satisfied_at = Some(at);
                    self.changes.push(Change::ClockSatisfiedLate(clock.clone()));
                }
                ClockState::Missed
                | ClockState::Met
                | ClockState::Waived
                | ClockState::Recorded => {}
            }
        }
    }

    /// Re-keys an unsatisfied 806 clock to the recorded start of the correction, or to the
    /// first field action for a provisional one; `label` replaces the provisional label of
    /// the note.
    fn rekey_806(
        &mut self,
        basis: StartBasis,
        started_on: Date,
        label: Option<String>,
    ) -> Result<(), RiskError> {
        let Some(index) = self.case.clocks.iter().position(|clock| {
            clock.kind == ClockKind::Report806
                && clock.satisfied_at.is_none()
                && matches!(clock.state, ClockState::Open | ClockState::Missed)
        }) else {
            return Ok(());
        };
        let Some(clock) = self.case.clocks.get(index) else {
            return Ok(());
        };
        if clock.basis == basis && clock.start == started_on {
            return Ok(());
        }
        let mut moved = Clock::open(
            self.policy,
            ClockKind::Report806,
            None,
            basis,
            started_on,
            clock.opened_at,
        )?;
        // The note keeps why the obligation opened; its provisional label is replaced.
        let why = clock.note.as_deref().map(|note| {
            note.split(PROVISIONAL_SEPARATOR)
                .next()
                .unwrap_or(note)
                .to_string()
        });
        moved.note = match (why, label) {
            (Some(why), Some(label)) => Some(format!("{why}{PROVISIONAL_SEPARATOR}{label}")),
            (Some(why), None) => Some(why),
            (None, label) => label,
        };
        let previous = clock.deadline;
        if let Some(slot) = self.case.clocks.get_mut(index) {
            *slot = moved.clone();
        }
        self.changes.push(Change::ClockRescheduled {
            previous,
            clock: moved,
        });
        Ok(())
    }

    fn tick(&mut self, now: Timestamp) -> Result<(), RiskError> {
        for clock in self.case.clocks.iter_mut() {
            if clock.state == ClockState::Open && now > clock.deadline.end {
                clock.state = ClockState::Missed;
                self.changes.push(Change::ClockMissed(clock.clone()));
            }
        }
        self.open_806_if_exemption_lost(now)
    }

    /// Opens the 806 clock when an uncontrolled risk's FDA exemption is lost (see the module
    /// documentation).
    fn open_806_if_exemption_lost(&mut self, now: Timestamp) -> Result<(), RiskError> {
        if self.case.clock(ClockKind::Report806, None).is_some() {
            return Ok(());
        }
        let mut failures: Vec<(Date, String)> = Vec::new();
        if self.case.risk == Some(RiskClass::Uncontrolled) {
            for clock in &self.case.clocks {
                if CONDITION_CLOCKS.contains(&clock.kind) && clock.state == ClockState::Missed {
                    let lost_on = clock.deadline.day.tomorrow().map_err(|source| {
                        RiskError::DateOutOfRange {
                            date: clock.deadline.day,
                            source,
                        }
                    })?;
                    failures.push((lost_on, format!("{} clock missed", clock.kind)));
                }
            }
            if !self.policy.isao().member()
                && let Some(determined_at) = self.case.determined_at
            {
                failures.push((
                    self.day(determined_at),
                    "not a member of an ISAO (policy isao.member = false): condition 4 cannot be met"
                        .to_string(),
                ));
            }
        }
        if let Some(known_at) = self.case.serious_adverse_event {
            failures.push((
                self.day(known_at),
                "serious adverse event or death associated with the vulnerability".to_string(),
            ));
        }
        let Some(lost_on) = failures.iter().map(|(day, _)| *day).min() else {
            return Ok(());
        };
        let why = format!(
            "FDA 2016 exemption from 806 reporting lost: {}",
            failures
                .iter()
                .map(|(_, why)| why.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        let (basis, start, label) = match (self.case.correction_started, self.first_field_action())
        {
            (Some(started_on), _) => (StartBasis::CorrectionStart, started_on, None),
            (None, Some((action, at))) => {
                let day = self.day(at);
                (
                    StartBasis::FirstFieldAction,
                    day,
                    Some(provisional_note(action, day)),
                )
            }
            (None, None) => (
                StartBasis::Provisional,
                lost_on,
                Some(format!(
                    "provisional correction start {lost_on}: no correction start and no field action recorded yet, counted from the day the exemption was lost"
                )),
            ),
        };
        let note = match label {
            Some(label) => format!("{why}{PROVISIONAL_SEPARATOR}{label}"),
            None => why,
        };
        self.open(ClockKind::Report806, None, basis, start, now, Some(note))?;
        // A covering 803 report (806.10(f)) satisfied it in advance.
        if let Some(reference) = self.case.report_806_covered_by.clone()
            && let Some(clock) = self
                .case
                .clocks
                .iter_mut()
                .find(|clock| clock.kind == ClockKind::Report806)
        {
            append_note(
                clock,
                &format!(
                    "covered by 803 report {reference}, which carries the 806.10(c) information (21 CFR 806.10(f))"
                ),
            );
        }
        // A correction started long ago can leave the new clock's deadline in the past.
        if let Some(clock) = self
            .case
            .clocks
            .iter_mut()
            .find(|clock| clock.kind == ClockKind::Report806)
            && clock.state == ClockState::Open
            && now > clock.deadline.end
        {
            clock.state = ClockState::Missed;
            self.changes.push(Change::ClockMissed(clock.clone()));
        }
        Ok(())
    }
}

/// Separates why an 806 obligation opened from the label of its provisional start in a
/// clock's note.
const PROVISIONAL_SEPARATOR: &str = " | ";

fn provisional_note(action: Action, day: Date) -> String {
    format!(
        "provisional correction start {day}: the first recorded field action ({}); record the correction's start to replace it",
        action.event_name()
    )
}

fn append_note(clock: &mut Clock, text: &str) {
    clock.note = Some(match clock.note.take() {
        Some(note) => format!("{note}; {text}"),
        None => text.to_string(),
    });
}

fn non_empty<'a>(reference: &'a str, event: &Event) -> Result<&'a str, RiskError> {
    let trimmed = reference.trim();
    if trimmed.is_empty() {
        Err(RiskError::ReferenceMissing {
            event: event.kind.name(),
        })
    } else {
        Ok(trimmed)
    }
}
