//! Incidents' wire types: an incident with its links, timeline and clocks; what opens,
//! classifies, links and closes one; the lessons learned of a period.

use aftercare_service::incident::{self, ClassifyOutcome, IncidentDetail};
use aftercare_store::case::ClockRow;
use aftercare_store::incident::{EntryRow, IncidentRow, LinkRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::SignDto;

/// An incident as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentDto {
    /// The id.
    pub id: i64,
    /// Its number (`INC-7`), the reference of the clocks it opens.
    pub reference: String,
    /// One line.
    pub title: String,
    /// What happened.
    pub description: String,
    /// `open`, `classified` or `closed`.
    pub state: String,
    /// `signal`, `report` or `manual`.
    pub source: String,
    /// The signal's id or the report's reference.
    pub source_reference: Option<String>,
    /// Who opened it.
    pub opened_by: String,
    /// When (RFC 3339, UTC).
    pub opened_at: String,
    /// The day the manufacturer became aware (`YYYY-MM-DD`), day 0 of its clocks.
    pub aware_on: String,
    /// `not_reportable`, or the reportable classification (`fda:death eu:public_health_threat`).
    pub classification: Option<String>,
    /// 21 CFR 803 event type: `death`, `serious_injury` or `malfunction`.
    pub fda: Option<String>,
    /// 21 CFR 803.53: remedial action needed, five work days.
    pub remedial_action: bool,
    /// EU MDR Art. 87 category.
    pub eu: Option<String>,
    /// The classification's rationale.
    pub rationale: Option<String>,
    /// Who classified it.
    pub classified_by: Option<String>,
    /// When.
    pub classified_at: Option<String>,
    /// The classification's signature.
    pub signature_id: Option<i64>,
    /// Root cause.
    pub root_cause: Option<String>,
    /// Corrective and preventive actions (CAPA references).
    pub corrective_actions: Vec<String>,
    /// Lessons learned.
    pub lessons_learned: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// When.
    pub closed_at: Option<String>,
}

impl From<&IncidentRow> for IncidentDto {
    fn from(row: &IncidentRow) -> IncidentDto {
        IncidentDto {
            id: row.id,
            reference: incident::reference(row.id),
            title: row.title.clone(),
            description: row.description.clone(),
            state: row.state.clone(),
            source: row.source.clone(),
            source_reference: row.source_reference.clone(),
            opened_by: row.opened_by.clone(),
            opened_at: row.opened_at.clone(),
            aware_on: row.aware_on.clone(),
            classification: row.classification.clone(),
            fda: row.fda_event_type.clone(),
            remedial_action: row.remedial_action,
            eu: row.eu_category.clone(),
            rationale: row.rationale.clone(),
            classified_by: row.classified_by.clone(),
            classified_at: row.classified_at.clone(),
            signature_id: row.signature_id,
            root_cause: row.root_cause.clone(),
            corrective_actions: incident::corrective_actions(row),
            lessons_learned: row.lessons_learned.clone(),
            closed_by: row.closed_by.clone(),
            closed_at: row.closed_at.clone(),
        }
    }
}

/// A link of an incident.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentLinkDto {
    /// `device`, `finding`, `signal` or `rollout`.
    pub kind: String,
    /// The linked row's id.
    pub target_id: i64,
    /// What a person reads (a controller id, a finding, a signal, a rollout's name).
    pub label: String,
    /// Who linked it.
    pub linked_by: String,
    /// When.
    pub linked_at: String,
}

impl From<&LinkRow> for IncidentLinkDto {
    fn from(row: &LinkRow) -> IncidentLinkDto {
        IncidentLinkDto {
            kind: row.kind.clone(),
            target_id: row.target_id,
            label: row.label.clone(),
            linked_by: row.linked_by.clone(),
            linked_at: row.linked_at.clone(),
        }
    }
}

/// An entry of an incident's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentEntryDto {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// `opened`, `linked`, `classified`, `clock` or `closed`.
    pub kind: String,
    /// What, in words.
    pub text: String,
}

impl From<&EntryRow> for IncidentEntryDto {
    fn from(row: &EntryRow) -> IncidentEntryDto {
        IncidentEntryDto {
            at: row.at.clone(),
            actor: row.actor.clone(),
            kind: row.kind.clone(),
            text: row.text.clone(),
        }
    }
}

/// A clock an incident opened.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentClockDto {
    /// The clock's id (for `clock waive`).
    pub id: i64,
    /// Its kind (`mdr_803`, `eu_mdr_art87_public_health_threat`, …).
    pub kind: String,
    /// `open`, `met`, `missed` or `waived`.
    pub state: String,
    /// Day 0.
    pub start_day: String,
    /// Day N.
    pub deadline_day: String,
    /// The instant the deadline ends.
    pub deadline_end: String,
}

impl From<&ClockRow> for IncidentClockDto {
    fn from(row: &ClockRow) -> IncidentClockDto {
        IncidentClockDto {
            id: row.id,
            kind: row.kind.clone(),
            state: row.state.clone(),
            start_day: row.start_day.clone(),
            deadline_day: row.deadline_day.clone(),
            deadline_end: row.deadline_end.clone(),
        }
    }
}

/// An incident with its links, timeline and clocks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentDetailDto {
    /// The incident.
    pub incident: IncidentDto,
    /// The product whose case holds its clocks.
    pub case_product: Option<String>,
    /// The vulnerability (or the incident's own number) whose case holds its clocks.
    pub case_vulnerability: Option<String>,
    /// Its links.
    pub links: Vec<IncidentLinkDto>,
    /// Its timeline, oldest first.
    pub timeline: Vec<IncidentEntryDto>,
    /// The clocks it opened.
    pub clocks: Vec<IncidentClockDto>,
}

impl From<&IncidentDetail> for IncidentDetailDto {
    fn from(detail: &IncidentDetail) -> IncidentDetailDto {
        IncidentDetailDto {
            incident: IncidentDto::from(&detail.incident),
            case_product: detail.case.as_ref().map(|(product, _)| product.clone()),
            case_vulnerability: detail
                .case
                .as_ref()
                .map(|(_, vulnerability)| vulnerability.clone()),
            links: detail.links.iter().map(IncidentLinkDto::from).collect(),
            timeline: detail.timeline.iter().map(IncidentEntryDto::from).collect(),
            clocks: detail.clocks.iter().map(IncidentClockDto::from).collect(),
        }
    }
}

/// A classification and the clock changes it made.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClassifiedIncidentDto {
    /// The incident after it.
    pub detail: IncidentDetailDto,
    /// The clock changes, in words.
    pub changes: Vec<String>,
}

impl From<&ClassifyOutcome> for ClassifiedIncidentDto {
    fn from(outcome: &ClassifyOutcome) -> ClassifiedIncidentDto {
        ClassifiedIncidentDto {
            detail: IncidentDetailDto::from(&outcome.detail),
            changes: outcome.changes.clone(),
        }
    }
}

/// An incident to open: by hand, from a signal, or from a report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OpenIncidentDto {
    /// One line.
    pub title: String,
    /// What happened.
    pub description: String,
    /// The signal it is opened from (open or acknowledged; it moves to `incident`).
    #[serde(default)]
    pub signal: Option<i64>,
    /// The report it is opened from (its reference).
    #[serde(default)]
    pub report: Option<String>,
    /// The day of awareness, `YYYY-MM-DD` (default: today).
    #[serde(default)]
    pub aware_on: Option<String>,
}

/// A classification: an FDA part, an EU part, or both; or not reportable. Always with the
/// rationale and the electronic signature of a person.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ClassifyIncidentDto {
    /// 21 CFR 803: `death`, `serious_injury` or `malfunction`.
    #[serde(default)]
    pub fda: Option<String>,
    /// 21 CFR 803.53: remedial action needed (or FDA asked): five work days.
    #[serde(default)]
    pub remedial_action: bool,
    /// EU MDR Art. 87: `public_health_threat`, `death_or_serious_deterioration` or
    /// `serious_incident`.
    #[serde(default)]
    pub eu: Option<String>,
    /// A cybersecurity event that is not reportable.
    #[serde(default)]
    pub not_reportable: bool,
    /// Why.
    pub rationale: String,
    /// The product whose case holds the clocks (default: the one product of the links).
    #[serde(default)]
    pub product: Option<String>,
    /// The vulnerability whose case holds the clocks (default: the one of the linked
    /// findings, else the incident's number).
    #[serde(default)]
    pub vulnerability: Option<String>,
    /// Day 0 of the clocks, `YYYY-MM-DD` (default: the incident's day of awareness).
    #[serde(default)]
    pub aware_on: Option<String>,
    /// The electronic signature (required).
    #[serde(default)]
    pub signature: Option<SignDto>,
}

/// A link to make.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkIncidentDto {
    /// `device`, `finding`, `signal` or `rollout`.
    pub kind: String,
    /// A device's controller id, a finding's or signal's id, a rollout's name.
    pub target: String,
}

/// What an incident is closed with; all required.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CloseIncidentDto {
    /// The root cause.
    pub root_cause: String,
    /// The corrective and preventive actions: CAPA references.
    pub corrective_actions: Vec<String>,
    /// The lessons learned.
    pub lessons_learned: String,
}
