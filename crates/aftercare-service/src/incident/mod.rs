//! Incidents (issue 15): investigations opened by hand, from a fleet signal or from a report;
//! linked to devices, findings, signals and rollouts; classified under 21 CFR 803 and EU MDR
//! Art. 87 — which opens the fitting clock through the existing clock machine
//! (`triage::case`), on the case of the incident's (product, vulnerability) — or as not
//! reportable with the rationale; closed with the root cause, the corrective actions (CAPA
//! references) and the lessons learned, which [`lessons`] lists for the annual review.
//!
//! - Reading needs `finding.read` (an incident shows regulatory clocks and findings, which
//!   that permission already covers, and customers never hold it); every change needs
//!   `signal.triage` (whose meaning already includes opening incidents from signals).
//! - A classification is a regulated decision — it starts a reporting deadline or records
//!   the decision not to report — so it is recorded only with the electronic signature of a
//!   person (21 CFR Part 11, as a determination or an 803 report's submission), bound to the
//!   classification's content.
//! - Every step writes a timeline entry and an audit event in its one transaction; the rows
//!   are never deleted (migration 14's triggers).

use aftercare_model::Permission;
use aftercare_risk::clock::{MdrEventType, SeriousIncidentCategory};
use aftercare_risk::incident::{
    Classification, IncidentSource, IncidentState, IncidentStep, LinkKind, next_state,
};
use aftercare_store::case::{self as cases, ClockRow};
use aftercare_store::incident::{
    self as stored, Classified, Closure, EntryRow, IncidentRow, LinkRow, NewIncident,
};
use aftercare_store::{Tx, fleet as signals};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;

use crate::access::auth::Principal;
use crate::access::signature::{self, SignRequest, Signable};
use crate::audit::{self, AuditAction, Change};
use crate::triage::{case, policy};
use crate::{Context, ServiceError, Workspace};

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest free text (description, rationale, root cause, lessons), in characters.
pub const TEXT_MAX: usize = 20_000;

/// An incident's number as people and clocks name it (`INC-7`): the reference of the clocks
/// it opens.
pub fn reference(id: i64) -> String {
    format!("INC-{id}")
}

/// An incident's id from `INC-7` or `7`.
pub fn parse_reference(text: &str) -> Result<i64, ServiceError> {
    let text = text.trim();
    let digits = text
        .strip_prefix("INC-")
        .or_else(|| text.strip_prefix("inc-"))
        .unwrap_or(text);
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ServiceError::invalid(
                "incident",
                format!("{text:?} is not an incident number (INC-7 or 7)"),
            )
        })
}

/// How an incident is opened.
#[derive(Debug, Clone, Default)]
pub struct OpenRequest {
    /// One line.
    pub title: String,
    /// What happened.
    pub description: String,
    /// Opened from this fleet signal (open or acknowledged): it moves to `incident` and is
    /// linked, with its device and rollout.
    pub signal: Option<i64>,
    /// Opened from this report (a complaint, a researcher's report, a field report).
    pub report: Option<String>,
    /// The day the manufacturer became aware of the event, day 0 of its clocks (default: the
    /// day it is opened, in the US zone of the policy, as every case event's day).
    pub aware_on: Option<Date>,
}

/// An incident as shown: the row, its links, its timeline and the clocks it opened.
#[derive(Debug, Clone)]
pub struct IncidentDetail {
    /// The row.
    pub incident: IncidentRow,
    /// Its links.
    pub links: Vec<LinkRow>,
    /// Its timeline, oldest first.
    pub timeline: Vec<EntryRow>,
    /// The clocks it opened (on its case, with its reference), and the case's 806 clock,
    /// which a serious adverse event opens.
    pub clocks: Vec<ClockRow>,
    /// The case's (product, vulnerability) key, when a classification opened clocks.
    pub case: Option<(String, String)>,
}

fn bounded(field: &'static str, text: &str, max: usize) -> Result<String, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "cannot be empty"));
    }
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(text.to_string())
}

fn not_found(id: i64) -> ServiceError {
    ServiceError::NotFound {
        entity: "incident",
        key: reference(id),
    }
}

fn step(state: &str, step: IncidentStep) -> Result<IncidentState, ServiceError> {
    let state = state
        .parse::<IncidentState>()
        .map_err(|e| ServiceError::rule("state", e))?;
    next_state(state, step).map_err(|e| ServiceError::rule("state", e))
}

async fn entry(
    tx: &mut Tx,
    context: &Context,
    id: i64,
    kind: &str,
    text: &str,
) -> Result<(), ServiceError> {
    stored::insert_entry(
        tx,
        id,
        &context.at(),
        &context.actor.to_string(),
        kind,
        text,
    )
    .await?;
    Ok(())
}

/// Opens an incident (`signal.triage`): by hand, from a signal (which moves to `incident`
/// and is linked with its device and rollout) or from a report.
pub async fn open(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    request: &OpenRequest,
) -> Result<IncidentDetail, ServiceError> {
    principal.require(Permission::SignalTriage)?;
    let title = bounded("title", &request.title, TITLE_MAX)?;
    let description = bounded("description", &request.description, TEXT_MAX)?;
    let report = match request.report.as_deref().map(str::trim) {
        Some("") => return Err(ServiceError::invalid("report", "cannot be empty")),
        Some(report) => Some(bounded("report", report, TITLE_MAX)?),
        None => None,
    };
    let source = match (request.signal, &report) {
        (Some(_), Some(_)) => {
            return Err(ServiceError::invalid(
                "source",
                "an incident is opened from a signal or from a report, not both: link the other afterwards",
            ));
        }
        (Some(_), None) => IncidentSource::Signal,
        (None, Some(_)) => IncidentSource::Report,
        (None, None) => IncidentSource::Manual,
    };
    let current = policy::current(workspace).await?;
    let today = current.policy.calendar().day_of(context.now);
    let aware_on = request.aware_on.unwrap_or(today);
    if aware_on > today {
        return Err(ServiceError::invalid(
            "aware_on",
            format!("{aware_on} is after today ({today}): awareness cannot lie in the future"),
        ));
    }
    let source_reference = match (request.signal, &report) {
        (Some(signal), _) => Some(signal.to_string()),
        (None, Some(report)) => Some(report.clone()),
        (None, None) => None,
    };
    let actor = context.actor.to_string();
    let at = context.at();
    let mut tx = workspace.store().begin().await?;
    let id = stored::insert_incident(
        &mut tx,
        &NewIncident {
            title: &title,
            description: &description,
            source: source.as_str(),
            source_reference: source_reference.as_deref(),
            opened_by: &actor,
            aware_on: &aware_on.to_string(),
        },
        &at,
    )
    .await?;
    let opened = match (request.signal, &report) {
        (Some(signal), _) => format!("opened from signal #{signal}: {title}"),
        (None, Some(report)) => format!("opened from report {report}: {title}"),
        (None, None) => format!("opened by hand: {title}"),
    };
    entry(
        &mut tx,
        context,
        id,
        "opened",
        &format!("{opened} (aware on {aware_on})"),
    )
    .await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::IncidentOpen,
            entity_type: "incident",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "reference": reference(id),
                "title": title,
                "source": source.as_str(),
                "source_reference": source_reference,
                "aware_on": aware_on.to_string(),
            })),
        },
    )
    .await?;
    if let Some(signal_id) = request.signal {
        let signal = signals::signal(tx.conn(), signal_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "signal",
                key: signal_id.to_string(),
            })?;
        if !escalate(&mut tx, context, id, &signal).await? {
            return Err(ServiceError::invalid(
                "signal",
                format!(
                    "signal {signal_id} is {}: only an open or acknowledged signal opens an incident; open one by hand and link the signal",
                    signal.state
                ),
            ));
        }
        link_in(&mut tx, context, id, signal_link(&signal, context)).await?;
        if let (Some(device_id), Some(controller_id)) = (signal.device_id, &signal.controller_id) {
            link_in(
                &mut tx,
                context,
                id,
                LinkRow {
                    kind: LinkKind::Device.as_str().into(),
                    target_id: device_id,
                    label: controller_id.clone(),
                    linked_by: actor.clone(),
                    linked_at: at.clone(),
                },
            )
            .await?;
        }
        if let Some(rollout_id) = signal.rollout_id
            && let Some(rollout) =
                aftercare_store::rollout::rollout_by_id(tx.conn(), rollout_id).await?
        {
            link_in(
                &mut tx,
                context,
                id,
                LinkRow {
                    kind: LinkKind::Rollout.as_str().into(),
                    target_id: rollout.id,
                    label: rollout.name.clone(),
                    linked_by: actor.clone(),
                    linked_at: at.clone(),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    detail(workspace, id).await
}

fn signal_link(signal: &signals::SignalRow, context: &Context) -> LinkRow {
    LinkRow {
        kind: LinkKind::Signal.as_str().into(),
        target_id: signal.id,
        label: match &signal.controller_id {
            Some(device) => format!(
                "#{} {} {} on {device}",
                signal.id, signal.kind, signal.subject
            ),
            None => format!("#{} {} {}", signal.id, signal.kind, signal.subject),
        },
        linked_by: context.actor.to_string(),
        linked_at: context.at(),
    }
}

/// Moves an open or acknowledged signal to `incident`, audited; `false` when it is in
/// another state (dismissed, or already an incident's).
async fn escalate(
    tx: &mut Tx,
    context: &Context,
    id: i64,
    signal: &signals::SignalRow,
) -> Result<bool, ServiceError> {
    let reason = format!("investigated in incident {}", reference(id));
    let actor = context.actor.to_string();
    let at = context.at();
    let moved = match signal.state.as_str() {
        "open" => {
            signals::decide_signal(tx, signal.id, "incident", &actor, &at, Some(&reason)).await?
        }
        "acknowledged" => {
            stored::escalate_acknowledged_signal(tx, signal.id, &actor, &at, &reason).await?
        }
        _ => false,
    };
    if moved {
        audit::record(
            tx,
            context,
            Change {
                action: AuditAction::SignalIncident,
                entity_type: "signal",
                entity_id: Some(signal.id.to_string()),
                old_value: Some(json!({ "state": signal.state })),
                new_value: Some(json!({ "state": "incident", "incident": reference(id) })),
            },
        )
        .await?;
    }
    Ok(moved)
}

/// Writes a link with its timeline entry and audit event; a link already there is left as
/// it is (`false`).
async fn link_in(
    tx: &mut Tx,
    context: &Context,
    id: i64,
    link: LinkRow,
) -> Result<bool, ServiceError> {
    if !stored::insert_link(tx, id, &link).await? {
        return Ok(false);
    }
    entry(
        tx,
        context,
        id,
        "linked",
        &format!("linked {} {}", link.kind, link.label),
    )
    .await?;
    audit::record(
        tx,
        context,
        Change {
            action: AuditAction::IncidentLink,
            entity_type: "incident",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "reference": reference(id),
                "kind": link.kind,
                "target_id": link.target_id,
                "label": link.label,
            })),
        },
    )
    .await?;
    Ok(true)
}

/// Incidents, newest first, narrowed by state (`finding.read`).
pub async fn list(
    workspace: &Workspace,
    principal: &Principal,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<IncidentRow>, ServiceError> {
    principal.require(Permission::FindingRead)?;
    let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
        Some(state) => Some(
            state
                .parse::<IncidentState>()
                .map_err(|e| ServiceError::rule("state", e))?,
        ),
        None => None,
    };
    Ok(stored::incidents(
        workspace.store().pool(),
        state.map(IncidentState::as_str),
        limit.clamp(1, 10_000),
    )
    .await?)
}

/// One incident with its links, timeline and clocks (`finding.read`).
pub async fn show(
    workspace: &Workspace,
    principal: &Principal,
    id: i64,
) -> Result<IncidentDetail, ServiceError> {
    principal.require(Permission::FindingRead)?;
    detail(workspace, id).await
}

async fn detail(workspace: &Workspace, id: i64) -> Result<IncidentDetail, ServiceError> {
    let pool = workspace.store().pool();
    let incident = stored::incident(pool, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let links = stored::links(pool, id).await?;
    let timeline = stored::entries(pool, id).await?;
    let (clocks, case) = match incident.case_id {
        Some(case_id) => {
            let number = reference(id);
            let clocks = cases::clocks_of(pool, case_id)
                .await?
                .into_iter()
                // Its own clocks, and the case's 806 clock: a death, a serious injury or an EU
                // serious incident is a serious adverse event, which opens (provisionally) the
                // case's correction report (ADR 0006).
                .filter(|clock| match clock.reference.as_deref() {
                    Some(reference) => reference == number,
                    None => clock.kind == aftercare_risk::ClockKind::Report806.as_str(),
                })
                .collect();
            let case = match cases::case_by_id(pool, case_id).await? {
                Some(row) => {
                    let product = aftercare_store::product::by_id(pool, row.product_id)
                        .await?
                        .map(|p| p.name)
                        .unwrap_or_default();
                    Some((product, row.vulnerability))
                }
                None => None,
            };
            (clocks, case)
        }
        None => (Vec::new(), None),
    };
    Ok(IncidentDetail {
        incident,
        links,
        timeline,
        clocks,
        case,
    })
}

/// Links a device (controller id), finding (id), signal (id) or rollout (name) to an
/// incident (`signal.triage`). A linked open or acknowledged signal moves to `incident`.
pub async fn link(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    kind: &str,
    target: &str,
) -> Result<IncidentDetail, ServiceError> {
    principal.require(Permission::SignalTriage)?;
    let kind = kind
        .trim()
        .parse::<LinkKind>()
        .map_err(|e| ServiceError::rule("kind", e))?;
    let target = target.trim();
    if target.is_empty() {
        return Err(ServiceError::invalid("target", "cannot be empty"));
    }
    let number = || {
        target.trim_start_matches('#').parse::<i64>().map_err(|_| {
            ServiceError::invalid(
                "target",
                format!("a {kind} is named by its id, not {target:?}"),
            )
        })
    };
    let pool = workspace.store().pool();
    let actor = context.actor.to_string();
    let at = context.at();
    let missing = |entity: &'static str| ServiceError::NotFound {
        entity,
        key: target.to_string(),
    };
    let mut signal = None;
    let (target_id, label) = match kind {
        LinkKind::Device => {
            let device = aftercare_store::device::device_untagged(pool, target)
                .await?
                .ok_or_else(|| missing("device"))?;
            (device.id, device.controller_id)
        }
        LinkKind::Finding => {
            let finding = aftercare_store::finding::by_id(pool, number()?)
                .await?
                .ok_or_else(|| missing("finding"))?;
            (
                finding.id,
                format!(
                    "#{} {} in {} {} ({})",
                    finding.id,
                    finding.vulnerability,
                    finding.product,
                    finding.release,
                    finding.component_name
                ),
            )
        }
        LinkKind::Signal => {
            let found = signals::signal(pool, number()?)
                .await?
                .ok_or_else(|| missing("signal"))?;
            let label = signal_link(&found, context).label;
            let target_id = found.id;
            signal = Some(found);
            (target_id, label)
        }
        LinkKind::Rollout => {
            let rollout = aftercare_store::rollout::rollout(pool, target)
                .await?
                .ok_or_else(|| missing("rollout"))?;
            (rollout.id, rollout.name)
        }
    };
    let mut tx = workspace.store().begin().await?;
    let incident = stored::incident_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    step(&incident.state, IncidentStep::Link)?;
    let linked = link_in(
        &mut tx,
        context,
        id,
        LinkRow {
            kind: kind.as_str().into(),
            target_id,
            label: label.clone(),
            linked_by: actor,
            linked_at: at.clone(),
        },
    )
    .await?;
    if !linked {
        return Err(ServiceError::AlreadyExists {
            entity: "incident link",
            key: format!("{} {kind} {label}", reference(id)),
        });
    }
    if let Some(signal) = &signal {
        // Linking a signal that is still open or acknowledged puts it under this
        // investigation; a dismissed one keeps its state and its reason.
        escalate(&mut tx, context, id, signal).await?;
    }
    stored::touch(&mut tx, id, &at).await?;
    tx.commit().await?;
    detail(workspace, id).await
}

/// A classification as a person or a client states it.
#[derive(Debug, Clone, Default)]
pub struct ClassifyRequest {
    /// 21 CFR 803 event type: `death`, `serious_injury` or `malfunction`.
    pub fda: Option<String>,
    /// 21 CFR 803.53: remedial action is needed to prevent an unreasonable risk of
    /// substantial harm to the public health, or FDA asked in writing (five work days).
    pub remedial_action: bool,
    /// EU MDR Art. 87 category: `public_health_threat`, `death_or_serious_deterioration` or
    /// `serious_incident`.
    pub eu: Option<String>,
    /// A cybersecurity event that is not reportable.
    pub not_reportable: bool,
    /// Why (always required; at least the policy's `rationale.min_chars`).
    pub rationale: String,
    /// The product whose case holds the clocks (default: the one product of the links).
    pub product: Option<String>,
    /// The vulnerability whose case holds the clocks (default: the one vulnerability of the
    /// linked findings, else the incident's own number).
    pub vulnerability: Option<String>,
    /// Day 0 of the clocks (default: the incident's awareness day).
    pub aware_on: Option<Date>,
}

/// What a classification did.
#[derive(Debug, Clone)]
pub struct ClassifyOutcome {
    /// The incident after it.
    pub detail: IncidentDetail,
    /// The clock changes, in words (`clock mdr_803 (INC-1) opened, due 2026-04-01`).
    pub changes: Vec<String>,
}

impl ClassifyRequest {
    fn classification(
        &self,
        policy: &aftercare_risk::Policy,
    ) -> Result<Classification, ServiceError> {
        let fda = match self.fda.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => Some(
                text.parse::<MdrEventType>()
                    .map_err(|e| ServiceError::rule("fda", e))?,
            ),
            None => None,
        };
        let eu = match self.eu.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => Some(
                text.parse::<SeriousIncidentCategory>()
                    .map_err(|e| ServiceError::rule("eu", e))?,
            ),
            None => None,
        };
        if self.not_reportable {
            if fda.is_some() || eu.is_some() || self.remedial_action {
                return Err(ServiceError::invalid(
                    "not_reportable",
                    "an incident is either not reportable or reportable under 21 CFR 803 / EU MDR Art. 87, not both",
                ));
            }
            return Classification::not_reportable(policy, &self.rationale)
                .map_err(|e| ServiceError::rule("rationale", e));
        }
        Classification::reportable(policy, fda, self.remedial_action, eu, &self.rationale).map_err(
            |e| {
                let field = match &e {
                    aftercare_risk::RiskError::IncidentClassification { field, .. } => *field,
                    _ => "rationale",
                };
                ServiceError::rule(field, e)
            },
        )
    }
}

/// The canonical content a classification's signature binds.
fn signed_content(
    incident: &IncidentRow,
    classification: &Classification,
    aware_on: Date,
    case: Option<&(i64, String, String)>,
) -> String {
    json!({
        "incident": reference(incident.id),
        "title": incident.title,
        "classification": classification.label(),
        "fda": classification.fda.map(|f| f.as_str()),
        "remedial_action": classification.remedial_action,
        "eu": classification.eu.map(|e| e.as_str()),
        "rationale": classification.rationale,
        "aware_on": aware_on.to_string(),
        "case": case.map(|(_, product, vulnerability)| json!({"product": product, "vulnerability": vulnerability})),
    })
    .to_string()
}

/// The case that holds a reportable incident's clocks: (product id, product name,
/// vulnerability key).
async fn case_key(
    workspace: &Workspace,
    incident: &IncidentRow,
    request: &ClassifyRequest,
) -> Result<(i64, String, String), ServiceError> {
    let pool = workspace.store().pool();
    let links = stored::links(pool, incident.id).await?;
    let mut products = std::collections::BTreeSet::new();
    let mut vulnerabilities = std::collections::BTreeSet::new();
    for link in &links {
        match link.kind.parse::<LinkKind>() {
            Ok(LinkKind::Device) => {
                if let Some(device) =
                    aftercare_store::device::device_untagged(pool, &link.label).await?
                {
                    products.insert(device.product);
                }
            }
            Ok(LinkKind::Finding) => {
                if let Some(finding) = aftercare_store::finding::by_id(pool, link.target_id).await?
                {
                    products.insert(finding.product);
                    vulnerabilities.insert(finding.vulnerability);
                }
            }
            Ok(LinkKind::Rollout) => {
                if let Some(rollout) =
                    aftercare_store::rollout::rollout_by_id(pool, link.target_id).await?
                {
                    products.insert(rollout.product);
                }
            }
            Ok(LinkKind::Signal) | Err(_) => {}
        }
    }
    let product_key = match request
        .product
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(product) => product.to_string(),
        None => {
            let mut found = products.iter();
            match (found.next(), found.next()) {
                (Some(product), None) => product.clone(),
                (None, _) => {
                    return Err(ServiceError::invalid(
                        "product",
                        "a reportable incident's clocks run on a product's case: name the product, or link a device, finding or rollout first",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(ServiceError::invalid(
                        "product",
                        format!(
                            "the links name several products ({}): name the one whose case holds the clocks",
                            products.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let product = crate::inventory::product(workspace, &product_key).await?;
    let vulnerability = match request
        .vulnerability
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(vulnerability) => vulnerability.to_string(),
        None => {
            let mut found = vulnerabilities.iter();
            match (found.next(), found.next()) {
                (Some(vulnerability), None) => vulnerability.clone(),
                // Not traced to one vulnerability (yet): the incident's own case.
                _ => reference(incident.id),
            }
        }
    };
    Ok((product.id, product.name, vulnerability))
}

/// Classifies an incident (`signal.triage`, signed by a person holding `record.sign`):
/// reportable under 21 CFR 803 and/or EU MDR Art. 87, which opens the clock that fits on the
/// case of the incident's (product, vulnerability) through the clock machine, or not
/// reportable with the rationale, which opens none. A reclassification adds the clocks the
/// new class needs; clocks already open stay (waive one with `clock waive` if it no longer
/// applies).
pub async fn classify(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    request: &ClassifyRequest,
    sign: Option<&SignRequest>,
) -> Result<ClassifyOutcome, ServiceError> {
    principal.require(Permission::SignalTriage)?;
    let current = policy::current(workspace).await?;
    let classification = request.classification(&current.policy)?;
    let incident = stored::incident(workspace.store().pool(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    step(&incident.state, IncidentStep::Classify)?;
    let aware_on = match request.aware_on {
        Some(day) => day,
        None => incident.aware_on.parse::<Date>().map_err(|e| {
            ServiceError::invalid(
                "aware_on",
                format!("stored day {:?}: {e}", incident.aware_on),
            )
        })?,
    };
    let today = current.policy.calendar().day_of(context.now);
    if aware_on > today {
        return Err(ServiceError::invalid(
            "aware_on",
            format!("{aware_on} is after today ({today}): awareness cannot lie in the future"),
        ));
    }
    let case = if classification.is_reportable() {
        Some(case_key(workspace, &incident, request).await?)
    } else {
        None
    };
    let content = signed_content(&incident, &classification, aware_on, case.as_ref());
    let signable = Signable {
        entity_type: "incident",
        entity_id: id.to_string(),
        content: content.as_bytes(),
        author_account_id: None,
    };
    let request_sign = sign.ok_or_else(|| ServiceError::SignatureRefused {
        reason: "an incident's classification decides whether and when it is reported (21 CFR 803, EU MDR Art. 87): it is recorded only with your electronic signature".into(),
    })?;
    let signer = signature::verify_signer(
        workspace,
        context,
        principal,
        &signable,
        request_sign,
        context.now,
    )
    .await?;
    let context = context
        .clone()
        .with_reason(Some(classification.rationale.clone()));
    let number = reference(id);
    let mut tx = workspace.store().begin().await?;
    let locked = stored::incident_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    step(&locked.state, IncidentStep::Classify)?;
    let mut changes = Vec::new();
    let mut case_id = None;
    if let Some((product_id, product_name, vulnerability)) = &case {
        for event in classification.events(&number, aware_on, context.now) {
            let outcome = case::record_in(
                &mut tx,
                &context,
                &current.policy,
                (*product_id, product_name),
                vulnerability,
                &event,
                context.now,
                None,
            )
            .await?;
            case_id = Some(outcome.view.row.id);
            changes.extend(outcome.changes);
        }
    }
    let signature = signature::record(&mut tx, &context, &signer, &signable).await?;
    let label = classification.label();
    stored::classify(
        &mut tx,
        id,
        &Classified {
            classification: &label,
            fda_event_type: classification.fda.map(|f| f.as_str()),
            remedial_action: classification.remedial_action,
            eu_category: classification.eu.map(|e| e.as_str()),
            rationale: &classification.rationale,
            by: &context.actor.to_string(),
            signature_id: Some(signature.id),
            case_id,
        },
        &context.at(),
    )
    .await?;
    let verb = if locked.state == IncidentState::Classified.as_str() {
        "reclassified"
    } else {
        "classified"
    };
    entry(
        &mut tx,
        &context,
        id,
        "classified",
        &format!(
            "{verb} {label}, signed by {} ({}): {}",
            signer.printed_name(),
            request_sign.meaning,
            classification.rationale
        ),
    )
    .await?;
    for change in &changes {
        entry(&mut tx, &context, id, "clock", change).await?;
    }
    audit::record(
        &mut tx,
        &context,
        Change {
            action: AuditAction::IncidentClassify,
            entity_type: "incident",
            entity_id: Some(id.to_string()),
            old_value: Some(json!({
                "state": locked.state,
                "classification": locked.classification,
            })),
            new_value: Some(json!({
                "reference": number,
                "state": IncidentState::Classified.as_str(),
                "classification": label,
                "rationale": classification.rationale,
                "aware_on": aware_on.to_string(),
                "case": case.as_ref().map(|(_, product, vulnerability)| json!({"product": product, "vulnerability": vulnerability})),
                "clocks": classification.clock_kinds().iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                "signature_id": signature.id,
                "changes": changes,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ClassifyOutcome {
        detail: detail(workspace, id).await?,
        changes,
    })
}

/// How an incident is closed: all three are required.
#[derive(Debug, Clone, Default)]
pub struct CloseRequest {
    /// The root cause found (ISO 14971 / CAPA investigation).
    pub root_cause: String,
    /// The corrective and preventive actions, as CAPA references (`CAPA-2026-014`).
    pub corrective_actions: Vec<String>,
    /// The lessons learned, listed by the annual review.
    pub lessons_learned: String,
}

/// Closes a classified incident with its root cause, corrective actions (CAPA references)
/// and lessons learned (`signal.triage`). Refused while a clock the incident opened is still
/// running: submit the report (`clock event … --reference INC-n`) or waive the clock first.
pub async fn close(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    id: i64,
    request: &CloseRequest,
) -> Result<IncidentDetail, ServiceError> {
    principal.require(Permission::SignalTriage)?;
    let root_cause = bounded("root_cause", &request.root_cause, TEXT_MAX)?;
    let mut capa: Vec<String> = Vec::new();
    for action in &request.corrective_actions {
        let action = bounded("corrective_actions", action, TITLE_MAX)?;
        if !capa.contains(&action) {
            capa.push(action);
        }
    }
    if capa.is_empty() {
        return Err(ServiceError::invalid(
            "corrective_actions",
            "an incident closes with its corrective and preventive actions: at least one CAPA reference",
        ));
    }
    let lessons = bounded("lessons_learned", &request.lessons_learned, TEXT_MAX)?;
    let at = context.at();
    let mut tx = workspace.store().begin().await?;
    let incident = stored::incident_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    step(&incident.state, IncidentStep::Close)?;
    if let Some(case_id) = incident.case_id {
        let number = reference(id);
        let running: Vec<String> = cases::clocks_of(tx.conn(), case_id)
            .await?
            .into_iter()
            .filter(|clock| {
                clock.reference.as_deref() == Some(number.as_str()) && clock.state == "open"
            })
            .map(|clock| format!("{} due {}", clock.kind, clock.deadline_day))
            .collect();
        if !running.is_empty() {
            return Err(ServiceError::invalid(
                "state",
                format!(
                    "{number} still has running clocks ({}): record the report's submission with its reference {number} (`aftercare clock event`) or waive the clock with a rationale first",
                    running.join(", ")
                ),
            ));
        }
    }
    let corrective_actions = json!(capa).to_string();
    stored::close(
        &mut tx,
        id,
        &Closure {
            root_cause: &root_cause,
            corrective_actions: &corrective_actions,
            lessons_learned: &lessons,
            by: &context.actor.to_string(),
        },
        &at,
    )
    .await?;
    // The entry is written after the row: the closed row never changes again, the timeline
    // only grows.
    entry(
        &mut tx,
        context,
        id,
        "closed",
        &format!(
            "closed: root cause: {root_cause}; corrective actions: {}; lessons learned: {lessons}",
            capa.join(", ")
        ),
    )
    .await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::IncidentClose,
            entity_type: "incident",
            entity_id: Some(id.to_string()),
            old_value: Some(json!({ "state": incident.state })),
            new_value: Some(json!({
                "reference": reference(id),
                "state": IncidentState::Closed.as_str(),
                "root_cause": root_cause,
                "corrective_actions": capa,
                "lessons_learned": lessons,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    detail(workspace, id).await
}

/// The incidents closed in `[from, to)` with their lessons learned, oldest first: what the
/// annual cybersecurity review lists (`finding.read`). No annual review exists in the code
/// yet; it reads this.
pub async fn lessons(
    workspace: &Workspace,
    principal: &Principal,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<IncidentRow>, ServiceError> {
    principal.require(Permission::FindingRead)?;
    if to <= from {
        return Err(ServiceError::invalid(
            "to",
            "the period ends after it starts",
        ));
    }
    Ok(stored::closed_between(
        workspace.store().pool(),
        &aftercare_store::timestamp_text(from),
        &aftercare_store::timestamp_text(to),
    )
    .await?)
}

/// An incident's corrective actions (CAPA references) as stored.
pub fn corrective_actions(incident: &IncidentRow) -> Vec<String> {
    incident
        .corrective_actions
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}
