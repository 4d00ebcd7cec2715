//! Regulatory cases and their clocks: one case per (product, vulnerability). Events (a first
//! match, a determination, a customer communication, a correction's start …) go through the
//! pure state machine of `aftercare-risk` with the policy in force; the resulting case, its
//! clocks, the event and the audit trail of every change are written in one transaction.
//! Time is always a parameter.

use aftercare_model::Permission;
use aftercare_risk::clock::MdrEventType;
use aftercare_risk::event_time::{Backdating, EventTime, RecordedEvent};
use aftercare_risk::{Case, CaseRecord, Clock, ClockKind, ClockState, Event, EventKind};
use aftercare_store::case::codec::{
    case_from_json, case_json, clock_from_json, clock_json, corrupt,
};
use aftercare_store::case::{self as stored, CaseRow, ClockFilter, ClockListing, ClockRow};
use aftercare_store::product;
use aftercare_store::timestamp_text as time;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::policy;
use crate::access::auth::{AccessSettings, Principal};
use crate::access::signature::{self, SignRequest, Signable};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// A case as read back.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// The stored row.
    pub row: CaseRow,
    /// The product's name.
    pub product: String,
    /// The case's state.
    pub case: Case,
    /// Its clocks' stored ids, in the case's order.
    pub clock_ids: Vec<i64>,
}

async fn load(
    tx: &mut aftercare_store::Tx,
    row: CaseRow,
    product: String,
) -> Result<CaseView, ServiceError> {
    let clock_rows = stored::clocks_of(tx.conn(), row.id).await?;
    let mut records = Vec::with_capacity(clock_rows.len());
    for clock in &clock_rows {
        let value: Value = serde_json::from_str(&clock.record)
            .map_err(|e| corrupt("clock", clock.id, e.to_string()))?;
        records.push(clock_from_json(&value, clock.id)?);
    }
    let record = case_from_json(&row, records)?;
    let case = Case::from_record(record).map_err(|e| corrupt("case", row.id, e.to_string()))?;
    Ok(CaseView {
        clock_ids: clock_rows.iter().map(|c| c.id).collect(),
        row,
        product,
        case,
    })
}

/// What an event changed, for the caller to report.
#[derive(Debug, Clone)]
pub struct EventOutcome {
    /// The case after the event.
    pub view: CaseView,
    /// The changes, in words (`clock remediation opened, due 2026-05-01`).
    pub changes: Vec<String>,
}

/// Records an event a person or a client enters on the case of (product, vulnerability),
/// opening the case if needed, with the policy in force. The case, its clocks, the event log
/// and the audit trail of every change are written in one transaction.
///
/// The generic entry is bounded by what the law asks to be signed:
/// * a determination changes a case's risk class only through the signed assessment
///   (`aftercare finding assess … --harm`); `determination_made` is refused here;
/// * a report submitted to an agency (806, 803, EU MDR) and the 21 CFR 806.20 record of a
///   correction not reported are accepted only with the agency's reference (the record's
///   rationale) and the electronic signature of a person (never a token);
/// * every event needs a reason (Part 11: a regulatory edit says why), and its claimed time is
///   judged against the time it is recorded (`context.now`): one in the future is refused,
///   one more than the policy's threshold in the past needs the reason and an evidence
///   reference, both kept with the event.
pub async fn record_event(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product_key: &str,
    vulnerability: &str,
    input: &EventInput,
    sign: Option<&SignRequest>,
) -> Result<EventOutcome, ServiceError> {
    principal.require(Permission::FindingAssess)?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ServiceError::invalid(
                "reason",
                "a regulatory case event needs a reason: say why it is recorded (21 CFR 11.10(e))",
            )
        })?
        .to_string();
    let product = crate::inventory::product(workspace, product_key).await?;
    let vulnerability = vulnerability.trim();
    let mut event = input.to_event(context.now)?;
    let signer = match signed_kind(&event.kind) {
        Some(what) => {
            let request = sign.ok_or_else(|| ServiceError::SignatureRefused {
                reason: format!("{what} is recorded only with your electronic signature"),
            })?;
            let content = signed_content(&product.name, vulnerability, &event);
            let entity_id = format!("{}:{vulnerability}:{}", product.id, event.kind.name());
            let signable = Signable {
                entity_type: "case_event",
                entity_id: entity_id.clone(),
                content: content.as_bytes(),
                author_account_id: None,
            };
            let signer = signature::verify_signer(
                workspace,
                context,
                principal,
                &signable,
                request,
                context.now,
            )
            .await?;
            if let EventKind::CorrectionRecorded { signed_by, .. } = &mut event.kind {
                *signed_by = signer.printed_name().to_string();
            }
            Some((signer, content, entity_id))
        }
        None => None,
    };
    let backdating = input.backdating();
    let current = policy::current(workspace).await?;
    let context = context.clone().with_reason(Some(reason));
    let mut tx = workspace.store().begin().await?;
    let outcome = record_in(
        &mut tx,
        &context,
        &current.policy,
        (product.id, &product.name),
        vulnerability,
        &event,
        context.now,
        backdating.as_ref(),
    )
    .await?;
    if let Some((signer, content, entity_id)) = &signer {
        let signable = Signable {
            entity_type: "case_event",
            entity_id: entity_id.clone(),
            content: content.as_bytes(),
            author_account_id: None,
        };
        signature::record(&mut tx, &context, signer, &signable).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Applies an event to a case as the pipeline's own steps do (a first match, a signed
/// determination): with no signature, no reason and no check of its time. Only for tests that
/// build a case's history directly (feature `testing`, which the shells never enable).
#[cfg(feature = "testing")]
pub async fn apply_unchecked(
    workspace: &Workspace,
    context: &Context,
    product_key: &str,
    vulnerability: &str,
    event: Event,
) -> Result<EventOutcome, ServiceError> {
    let product = crate::inventory::product(workspace, product_key).await?;
    let current = policy::current(workspace).await?;
    let mut tx = workspace.store().begin().await?;
    let context = Context {
        now: event.at,
        ..context.clone()
    };
    let outcome = apply_in(
        &mut tx,
        &context,
        &current.policy,
        product.id,
        &product.name,
        vulnerability,
        &event,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The events recorded only with an electronic signature and the agency's reference (or, for
/// the 806.20 record, its rationale): the report submissions and the record of a correction
/// not reported.
pub const SIGNED_EVENTS: &[&str] = &[
    "report_806_submitted",
    "mdr_report_submitted",
    "eu_mdr_report_submitted",
    "correction_recorded",
];

/// What a kind of event records that the law asks to be signed, in words, or `None`.
fn signed_kind(kind: &EventKind) -> Option<&'static str> {
    match kind {
        EventKind::Report806Submitted { .. } => Some("a 21 CFR 806 report's submission"),
        EventKind::MdrReportSubmitted { .. } => Some("a 21 CFR 803 report's submission"),
        EventKind::EuMdrReportSubmitted { .. } => Some("an EU MDR vigilance report's submission"),
        EventKind::CorrectionRecorded { .. } => {
            Some("a 21 CFR 806.20 record of a correction not reported")
        }
        _ => None,
    }
}

/// The canonical content a signed case event binds its signature to.
fn signed_content(product: &str, vulnerability: &str, event: &Event) -> String {
    json!({
        "product": product,
        "vulnerability": vulnerability,
        "event": event.kind.name(),
        "at": time(event.at),
        "detail": event_detail(&event.kind),
    })
    .to_string()
}

/// Applies an event inside the caller's transaction (for use cases that record a case
/// event together with their own change, such as a determination or a first match).
pub(crate) async fn apply_in(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    policy: &aftercare_risk::Policy,
    product_id: i64,
    product_name: &str,
    vulnerability: &str,
    event: &Event,
) -> Result<EventOutcome, ServiceError> {
    // The pipeline's own steps record their events when they happen.
    record_in(
        tx,
        context,
        policy,
        (product_id, product_name),
        vulnerability,
        event,
        event.at,
        None,
    )
    .await
}

/// [`apply_in`] for an event recorded at `recorded_at`, with the justification of a backdated
/// one: the event's claimed time is judged against the time it is recorded by the policy's
/// rule, and both times and the justification are kept with the event.
#[allow(
    clippy::too_many_arguments,
    reason = "one transaction's inputs, named at the call"
)]
pub(crate) async fn record_in(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    policy: &aftercare_risk::Policy,
    (product_id, product_name): (i64, &str),
    vulnerability: &str,
    event: &Event,
    recorded_at: Timestamp,
    backdating: Option<&Backdating>,
) -> Result<EventOutcome, ServiceError> {
    let vulnerability = vulnerability.trim();
    if vulnerability.is_empty() {
        return Err(ServiceError::invalid("vulnerability", "cannot be empty"));
    }
    let existing = stored::case_for_update(tx, product_id, vulnerability).await?;
    let (row, case) = match existing {
        Some(row) => {
            let view = load(tx, row, product_name.to_string()).await?;
            (view.row, view.case)
        }
        None => (
            CaseRow {
                id: 0,
                product_id,
                vulnerability: vulnerability.to_string(),
                record: String::new(),
                awareness_date: None,
                risk: None,
                created_at: String::new(),
                updated_at: String::new(),
            },
            Case::new(),
        ),
    };
    let recorded = RecordedEvent {
        event: event.clone(),
        recorded_at,
        backdating: backdating.cloned(),
    };
    let (transition, times) = aftercare_risk::event_time::apply_recorded(&case, &recorded, policy)
        .map_err(|error| ServiceError::rule("event", error))?;
    let before = case.to_record();
    save(
        tx,
        context,
        row,
        product_name,
        &before,
        &transition,
        Some((event, &times)),
    )
    .await
}

#[allow(
    clippy::too_many_arguments,
    reason = "one transaction's inputs, named at the call"
)]
async fn save(
    tx: &mut aftercare_store::Tx,
    context: &Context,
    mut row: CaseRow,
    product_name: &str,
    before: &CaseRecord,
    transition: &aftercare_risk::Transition,
    event: Option<(&Event, &EventTime)>,
) -> Result<EventOutcome, ServiceError> {
    let record = transition.case.to_record();
    row.record = case_json(&record).to_string();
    row.awareness_date = record.awareness.as_ref().map(|a| a.date.to_string());
    row.risk = record.risk.map(|r| r.as_str().to_string());
    let opened = row.id == 0;
    let at = context.at();
    row.id = stored::save_case(tx, &row, &at).await?;
    if opened {
        row.created_at.clone_from(&at);
    }
    row.updated_at.clone_from(&at);
    let clocks: Vec<ClockRow> = record
        .clocks
        .iter()
        .enumerate()
        .map(|(position, clock)| ClockRow {
            id: 0,
            case_id: row.id,
            position: i64::try_from(position).unwrap_or(i64::MAX),
            kind: clock.kind.as_str().to_string(),
            reference: clock.reference.clone(),
            state: clock.state.as_str().to_string(),
            start_day: clock.start.to_string(),
            deadline_day: clock.deadline_day.to_string(),
            deadline_end: time(clock.deadline_end),
            record: clock_json(clock).to_string(),
        })
        .collect();
    stored::save_clocks(tx, row.id, &clocks).await?;
    if let Some((event, times)) = event {
        // The claimed time is the event's; the recorded time (the context's instant) is kept
        // beside it, with the justification of a backdated event.
        let mut detail = event_detail(&event.kind);
        if let (Value::Object(map), Some(backdating)) = (&mut detail, &times.backdating) {
            map.insert(
                "backdating".into(),
                json!({"reason": backdating.reason, "evidence": backdating.evidence}),
            );
        }
        stored::insert_event(
            tx,
            row.id,
            &time(event.at),
            event.kind.name(),
            &detail.to_string(),
            &context.actor.to_string(),
            &time(times.recorded),
        )
        .await?;
    }
    let changes: Vec<String> = transition.changes.iter().map(ToString::to_string).collect();
    let entity_id = Some(row.id.to_string());
    if opened {
        audit::record(
            tx,
            context,
            Change {
                action: AuditAction::CaseOpen,
                entity_type: "case",
                entity_id: entity_id.clone(),
                old_value: None,
                new_value: Some(
                    json!({"product": product_name, "vulnerability": row.vulnerability}),
                ),
            },
        )
        .await?;
    }
    // Part 11.10(e): the trail shows the values before and after, as data, never obscuring
    // what was recorded before.
    let mut after = audit_state(&record);
    if let Value::Object(map) = &mut after {
        map.insert("product".into(), json!(product_name));
        map.insert("vulnerability".into(), json!(row.vulnerability));
        map.insert("changes".into(), json!(changes));
        if let Some((event, times)) = event {
            map.insert(
                "event".into(),
                json!({
                    "kind": event.kind.name(),
                    "at": time(event.at),
                    "recorded_at": time(times.recorded),
                    "detail": event_detail(&event.kind),
                    "backdating": times.backdating.as_ref().map(|b| json!({"reason": b.reason, "evidence": b.evidence})),
                }),
            );
        }
    }
    audit::record(
        tx,
        context,
        Change {
            action: match event {
                Some(_) => AuditAction::CaseEvent,
                None => AuditAction::CaseTick,
            },
            entity_type: "case",
            entity_id,
            old_value: (!opened).then(|| audit_state(before)),
            new_value: Some(after),
        },
    )
    .await?;
    let ids = stored::clocks_of(tx.conn(), row.id).await?;
    let case = transition.case.clone();
    Ok(EventOutcome {
        view: CaseView {
            clock_ids: ids.iter().map(|c| c.id).collect(),
            row,
            product: product_name.to_string(),
            case,
        },
        changes,
    })
}

/// What the audit trail keeps of a case's state: awareness, risk, correction start, and each
/// clock's kind, reference, state and deadline.
fn audit_state(record: &CaseRecord) -> Value {
    json!({
        "awareness": record.awareness.as_ref().map(|a| json!({"date": a.date.to_string(), "basis": a.basis.as_str()})),
        "risk": record.risk.map(|r| r.as_str()),
        "correction_started": record.correction_started.map(|d| d.to_string()),
        "clocks": record.clocks.iter().map(|c| json!({
            "kind": c.kind.as_str(),
            "reference": c.reference,
            "state": c.state.as_str(),
            "deadline_day": c.deadline_day.to_string(),
            "deadline_end": time(c.deadline_end),
        })).collect::<Vec<_>>(),
    })
}

fn event_detail(kind: &EventKind) -> Value {
    match kind {
        EventKind::ReportReceived { reference }
        | EventKind::ReportAcknowledged { reference }
        | EventKind::EuMdrReportSubmitted { reference }
        | EventKind::Report806Submitted { reference }
        | EventKind::RolloutStarted { reference } => json!({"reference": reference}),
        EventKind::MdrReportSubmitted {
            reference,
            covers_806,
        } => json!({"reference": reference, "covers_806": covers_806}),
        EventKind::CorrectionRecorded {
            rationale,
            signed_by,
        } => json!({"rationale": rationale, "signed_by": signed_by}),
        EventKind::AwarenessDateEntered { date, reason } => {
            json!({"date": date.to_string(), "reason": reason})
        }
        EventKind::DeterminationMade { risk } => json!({"risk": risk.as_str()}),
        EventKind::CorrectionStarted { started_on } => {
            json!({"started_on": started_on.to_string()})
        }
        EventKind::MdrReportableEvent {
            reference,
            aware_on,
            five_day,
            event_type,
        } => {
            json!({"reference": reference, "aware_on": aware_on.to_string(), "five_day": five_day, "event_type": event_type.as_str()})
        }
        EventKind::MdrSupplementalInformation {
            reference,
            received_on,
        } => json!({"reference": reference, "received_on": received_on.to_string()}),
        EventKind::SeriousIncident {
            reference,
            aware_on,
            category,
        } => {
            json!({"reference": reference, "aware_on": aware_on.to_string(), "category": category.as_str()})
        }
        EventKind::ClockWaived {
            kind,
            reference,
            rationale,
        } => json!({"kind": kind.as_str(), "reference": reference, "rationale": rationale}),
        _ => json!({}),
    }
}

/// Lets time pass: every case with an open clock whose deadline ended before `now` is
/// re-evaluated (clocks become missed, an 806 clock may open), as `system:clock-tick`.
/// Returns how many cases changed.
pub async fn tick(workspace: &Workspace, now: Timestamp) -> Result<usize, ServiceError> {
    let context = Context::new(aftercare_model::Actor::system("clock-tick"), now);
    let current = policy::current(workspace).await?;
    let due = stored::cases_with_lapsed_clocks(workspace.store().pool(), &time(now)).await?;
    let mut changed = 0;
    for case_id in due {
        let mut tx = workspace.store().begin().await?;
        let Some(found) = stored::case_by_id(tx.conn(), case_id).await? else {
            continue;
        };
        // Lock the case (PostgreSQL) and read it again: another node may have ticked it.
        let Some(row) =
            stored::case_for_update(&mut tx, found.product_id, &found.vulnerability).await?
        else {
            continue;
        };
        let product = product::by_id(tx.conn(), row.product_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let view = load(&mut tx, row, product.clone()).await?;
        let transition = aftercare_risk::tick(&view.case, now, &current.policy)
            .map_err(|error| ServiceError::rule("tick", error))?;
        if transition.changes.is_empty() {
            continue;
        }
        let before = view.case.to_record();
        save(
            &mut tx,
            &context,
            view.row,
            &product,
            &before,
            &transition,
            None,
        )
        .await?;
        tx.commit().await?;
        changed += 1;
    }
    Ok(changed)
}

/// Every regulatory case, or a product's (by name or id).
pub async fn cases(
    workspace: &Workspace,
    product_key: Option<&str>,
) -> Result<Vec<CaseRow>, ServiceError> {
    let product_id = match product_key {
        Some(key) => Some(crate::inventory::product(workspace, key).await?.id),
        None => None,
    };
    Ok(stored::cases(workspace.store().pool(), product_id).await?)
}

/// The case of (product, vulnerability).
pub async fn case(
    workspace: &Workspace,
    product_key: &str,
    vulnerability: &str,
) -> Result<(CaseView, Vec<stored::CaseEventRow>), ServiceError> {
    let product = crate::inventory::product(workspace, product_key).await?;
    let mut tx = workspace.store().begin().await?;
    let row = stored::case_for_update(&mut tx, product.id, vulnerability.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "case",
            key: format!("{} {}", product.name, vulnerability),
        })?;
    let view = load(&mut tx, row, product.name.clone()).await?;
    let events = stored::events_of(tx.conn(), view.row.id).await?;
    tx.rollback().await?;
    Ok((view, events))
}

/// Which clocks to list.
#[derive(Debug, Clone, Default)]
pub struct ClockQuery {
    /// Only open clocks due within this many days from now.
    pub due_within_days: Option<i64>,
    /// Only clocks whose deadline has ended without the action they wait for: open ones not
    /// yet ticked, and missed ones still unsatisfied.
    pub overdue: bool,
    /// Only clocks in this state.
    pub state: Option<ClockState>,
    /// Only clocks of this product.
    pub product: Option<String>,
}

/// A listed clock.
#[derive(Debug, Clone)]
pub struct ClockView {
    /// The stored listing.
    pub listing: ClockListing,
    /// The clock.
    pub clock: Clock,
}

/// Clocks matching a query, soonest deadline first.
pub async fn clocks(
    workspace: &Workspace,
    query: &ClockQuery,
    now: Timestamp,
) -> Result<Vec<ClockView>, ServiceError> {
    let product_id = match &query.product {
        Some(key) => Some(crate::inventory::product(workspace, key).await?.id),
        None => None,
    };
    let mut filter = ClockFilter {
        state: query.state.map(|s| s.as_str().to_string()),
        deadline_before: None,
        product_id,
    };
    if query.overdue {
        filter.deadline_before = Some(time(now));
    } else if let Some(days) = query.due_within_days {
        filter.state = Some(ClockState::Open.as_str().to_string());
        filter.deadline_before = Some(time(now + SignedDuration::from_hours(24 * days.max(0))));
    }
    let listings = stored::list_clocks(workspace.store().pool(), &filter).await?;
    let mut out = Vec::with_capacity(listings.len());
    for listing in listings {
        let value: Value = serde_json::from_str(&listing.clock.record)
            .map_err(|e| corrupt("clock", listing.clock.id, e.to_string()))?;
        let clock = Clock::from_record(clock_from_json(&value, listing.clock.id)?)
            .map_err(|e| corrupt("clock", listing.clock.id, e.to_string()))?;
        if query.overdue {
            let waiting = match clock.state() {
                ClockState::Open => true,
                ClockState::Missed => clock.satisfied_at().is_none(),
                ClockState::Met | ClockState::Waived | ClockState::Recorded => false,
            };
            let in_state = query.state.is_none_or(|state| state == clock.state());
            if !waiting || !in_state {
                continue;
            }
        }
        out.push(ClockView { listing, clock });
    }
    Ok(out)
}

/// Waives an open clock with a written rationale and, when the workspace requires it (the
/// default), the waiver's electronic signature.
pub async fn waive(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    clock_id: i64,
    rationale: &str,
    sign: Option<&SignRequest>,
    now: Timestamp,
) -> Result<EventOutcome, ServiceError> {
    principal.require(Permission::ClockWaive)?;
    let listing = stored::list_clocks(workspace.store().pool(), &ClockFilter::default())
        .await?
        .into_iter()
        .find(|l| l.clock.id == clock_id)
        .ok_or_else(|| ServiceError::NotFound {
            entity: "clock",
            key: clock_id.to_string(),
        })?;
    let kind = listing
        .clock
        .kind
        .parse::<ClockKind>()
        .map_err(|e| corrupt("clock", clock_id, e.to_string()))?;
    let event = Event {
        at: now,
        kind: EventKind::ClockWaived {
            kind,
            reference: listing.clock.reference.clone(),
            rationale: rationale.trim().to_string(),
        },
    };
    let settings = AccessSettings::load(workspace).await?;
    let content = super::waiver::content(
        clock_id,
        kind.as_str(),
        listing.clock.reference.as_deref(),
        &listing.clock.deadline_end,
        rationale,
    );
    let signable = Signable {
        entity_type: "clock",
        entity_id: clock_id.to_string(),
        content: content.as_bytes(),
        author_account_id: None,
    };
    let signer = if settings
        .signature_required_for
        .iter()
        .any(|a| a == "clock.waive")
    {
        let request = sign.ok_or_else(|| ServiceError::SignatureRefused {
            reason: "waiving a clock requires your electronic signature".into(),
        })?;
        Some(
            signature::verify_signer(workspace, context, principal, &signable, request, now)
                .await?,
        )
    } else {
        None
    };
    let current = policy::current(workspace).await?;
    let mut tx = workspace.store().begin().await?;
    let outcome = apply_in(
        &mut tx,
        &context
            .clone()
            .with_reason(Some(rationale.trim().to_string())),
        &current.policy,
        listing.product_id,
        &listing.product_name,
        &listing.vulnerability,
        &event,
    )
    .await?;
    if let Some(signer) = &signer {
        signature::record(&mut tx, context, signer, &signable).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// An event as a person or a client describes it, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    /// The event's kind (`customer_communication_sent`, `correction_started`, …).
    pub kind: String,
    /// When it happened (default: now).
    pub at: Option<Timestamp>,
    /// The date it carries, when it carries one.
    pub date: Option<Date>,
    /// The report, MDR or incident number.
    pub reference: Option<String>,
    /// Why (an awareness date needs one).
    pub reason: Option<String>,
    /// 803: the five-work-day report applies.
    pub five_day: bool,
    /// EU MDR serious-incident category.
    pub category: Option<String>,
    /// A reference to the evidence of the claimed time (a document id, a ticket, a sent-mail
    /// record): an event dated more than the policy's threshold in the past needs it, with the
    /// reason.
    pub evidence: Option<String>,
    /// 803: the event's type (`death`, `serious_injury`, `malfunction`).
    pub event_type: Option<String>,
    /// 803 report: it carries the data 21 CFR 806.10(c) lists, so it covers the 806 report
    /// (806.10(f)).
    pub covers_806: bool,
}

impl EventInput {
    /// The justification of a backdated event: the reason with an evidence reference.
    pub fn backdating(&self) -> Option<Backdating> {
        let evidence = self
            .evidence
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())?;
        Some(Backdating {
            reason: self
                .reason
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_string(),
            evidence: evidence.to_string(),
        })
    }

    /// The event, with `now` as its time when none is given; missing fields are named.
    pub fn to_event(&self, now: Timestamp) -> Result<Event, ServiceError> {
        let need_date = || {
            self.date.ok_or_else(|| {
                ServiceError::invalid("date", format!("a `{}` event needs a date", self.kind))
            })
        };
        let need_reference = || {
            self.reference
                .clone()
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "reference",
                        format!(
                            "a `{}` event needs a reference (report, MDR or incident number)",
                            self.kind
                        ),
                    )
                })
        };
        let kind = match self.kind.trim().replace('-', "_").as_str() {
            "finding_first_seen" => EventKind::FindingFirstSeen,
            "advisory_received" => EventKind::AdvisoryReceived,
            "report_received" => EventKind::ReportReceived {
                reference: need_reference()?,
            },
            "report_acknowledged" => EventKind::ReportAcknowledged {
                reference: need_reference()?,
            },
            "awareness_date_entered" | "awareness" => EventKind::AwarenessDateEntered {
                date: need_date()?,
                reason: self.reason.clone().unwrap_or_default(),
            },
            "determination_made" | "determination" => {
                return Err(ServiceError::invalid(
                    "event kind",
                    "a case's risk class changes only through a signed determination: assess the \
                     finding with the harm severity (`aftercare finding assess ID --status affected \
                     --harm …`, PUT /api/v1/findings/{id}/assessment with a signature)",
                ));
            }
            "correction_started" => EventKind::CorrectionStarted {
                started_on: need_date()?,
            },
            "customer_communication_sent" => EventKind::CustomerCommunicationSent,
            "fix_distributed" => EventKind::FixDistributed,
            "isao_shared" => EventKind::IsaoShared,
            "serious_adverse_event_known" => EventKind::SeriousAdverseEventKnown,
            "report_806_submitted" => EventKind::Report806Submitted {
                reference: need_reference()?,
            },
            "rollout_started" => EventKind::RolloutStarted {
                reference: need_reference()?,
            },
            "correction_recorded" => EventKind::CorrectionRecorded {
                rationale: self
                    .reason
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                // The signer's printed name, filled in once the signature is verified.
                signed_by: String::new(),
            },
            "mdr_reportable_event" => EventKind::MdrReportableEvent {
                reference: need_reference()?,
                aware_on: need_date()?,
                five_day: self.five_day,
                // A death or serious injury fails the FDA guidance's condition 1; a
                // malfunction does not: the person says which.
                event_type: self
                    .event_type
                    .as_deref()
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "event type",
                            "an 803 reportable event is a death, a serious_injury or a malfunction",
                        )
                    })?
                    .parse::<MdrEventType>()
                    .map_err(|e| ServiceError::rule("event type", e))?,
            },
            "mdr_supplemental_information" => EventKind::MdrSupplementalInformation {
                reference: need_reference()?,
                received_on: need_date()?,
            },
            "mdr_report_submitted" => EventKind::MdrReportSubmitted {
                reference: need_reference()?,
                covers_806: self.covers_806,
            },
            "serious_incident" => EventKind::SeriousIncident {
                reference: need_reference()?,
                aware_on: need_date()?,
                category: self
                    .category
                    .as_deref()
                    .unwrap_or("serious_incident")
                    .parse()
                    .map_err(|e: aftercare_risk::RiskError| ServiceError::rule("category", e))?,
            },
            "eu_mdr_report_submitted" => EventKind::EuMdrReportSubmitted {
                reference: need_reference()?,
            },
            other => {
                return Err(ServiceError::invalid(
                    "event kind",
                    format!(
                        "unknown event {other:?}: expected finding_first_seen, advisory_received, \
                         report_received, report_acknowledged, awareness_date_entered, \
                         correction_started, customer_communication_sent, fix_distributed, \
                         rollout_started, isao_shared, serious_adverse_event_known, \
                         report_806_submitted, correction_recorded, mdr_reportable_event, \
                         mdr_supplemental_information, mdr_report_submitted, serious_incident or \
                         eu_mdr_report_submitted"
                    ),
                ));
            }
        };
        Ok(Event {
            at: self.at.unwrap_or(now),
            kind,
        })
    }
}
