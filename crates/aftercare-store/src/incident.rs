//! Incidents (issue 15): investigations with their links (devices, findings, signals,
//! rollouts) and their timeline. Regulated records: an incident is never deleted, a link or a
//! timeline entry is never changed or deleted, and a closed incident never changes (triggers
//! on both backends, migration 14). The regulatory clocks an incident opens live on a case
//! (`case`); the incident names the case.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, StoreError, Tx};

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    /// The id (the incident's number is `INC-<id>`).
    pub id: i64,
    /// One line.
    pub title: String,
    /// What happened, as first reported.
    pub description: String,
    /// `open`, `classified` or `closed`.
    pub state: String,
    /// `signal`, `report` or `manual`.
    pub source: String,
    /// The signal's id or the report's reference, when opened from one.
    pub source_reference: Option<String>,
    /// Who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: String,
    /// The day the manufacturer became aware of the event (`YYYY-MM-DD`), day 0 of its clocks.
    pub aware_on: String,
    /// `not_reportable` or the reportable classification's label
    /// (`fda:death eu:public_health_threat`).
    pub classification: Option<String>,
    /// 21 CFR 803 event type: `death`, `serious_injury`, `malfunction`.
    pub fda_event_type: Option<String>,
    /// 21 CFR 803.53: remedial action needed (five work days).
    pub remedial_action: bool,
    /// EU MDR Art. 87 category.
    pub eu_category: Option<String>,
    /// The classification's rationale.
    pub rationale: Option<String>,
    /// Who classified it.
    pub classified_by: Option<String>,
    /// When.
    pub classified_at: Option<String>,
    /// The classification's signature.
    pub signature_id: Option<i64>,
    /// The regulatory case that holds its clocks.
    pub case_id: Option<i64>,
    /// Root cause (ISO 14971 / CAPA investigation).
    pub root_cause: Option<String>,
    /// Corrective and preventive actions: CAPA references, a JSON array of strings.
    pub corrective_actions: Option<String>,
    /// Lessons learned, for the annual review.
    pub lessons_learned: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// When.
    pub closed_at: Option<String>,
    /// When it last changed.
    pub updated_at: String,
}

const INCIDENT_COLUMNS: &str = "id, title, description, state, source, source_reference, \
     opened_by, opened_at, aware_on, classification, fda_event_type, remedial_action, \
     eu_category, rationale, classified_by, classified_at, signature_id, case_id, root_cause, \
     corrective_actions, lessons_learned, closed_by, closed_at, updated_at";

fn incident_of(row: &AnyRow) -> Result<IncidentRow, sqlx::Error> {
    Ok(IncidentRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        state: row.try_get("state")?,
        source: row.try_get("source")?,
        source_reference: row.try_get("source_reference")?,
        opened_by: row.try_get("opened_by")?,
        opened_at: row.try_get("opened_at")?,
        aware_on: row.try_get("aware_on")?,
        classification: row.try_get("classification")?,
        fda_event_type: row.try_get("fda_event_type")?,
        remedial_action: row.try_get::<i64, _>("remedial_action")? != 0,
        eu_category: row.try_get("eu_category")?,
        rationale: row.try_get("rationale")?,
        classified_by: row.try_get("classified_by")?,
        classified_at: row.try_get("classified_at")?,
        signature_id: row.try_get("signature_id")?,
        case_id: row.try_get("case_id")?,
        root_cause: row.try_get("root_cause")?,
        corrective_actions: row.try_get("corrective_actions")?,
        lessons_learned: row.try_get("lessons_learned")?,
        closed_by: row.try_get("closed_by")?,
        closed_at: row.try_get("closed_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// An incident to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident<'a> {
    /// One line.
    pub title: &'a str,
    /// What happened.
    pub description: &'a str,
    /// `signal`, `report` or `manual`.
    pub source: &'a str,
    /// The signal's id or the report's reference.
    pub source_reference: Option<&'a str>,
    /// Who opens it.
    pub opened_by: &'a str,
    /// The awareness day.
    pub aware_on: &'a str,
}

/// Opens an incident in the state `open`; returns its id.
pub async fn insert_incident(
    tx: &mut Tx,
    incident: &NewIncident<'_>,
    at: &str,
) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO incidents (title, description, state, source, source_reference, opened_by, \
         opened_at, aware_on, remedial_action, updated_at) \
         VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, 0, $6) RETURNING id",
    )
    .bind(incident.title)
    .bind(incident.description)
    .bind(incident.source)
    .bind(incident.source_reference)
    .bind(incident.opened_by)
    .bind(at)
    .bind(incident.aware_on)
    .fetch_one(tx.conn())
    .await
    .and_then(|row| row.try_get("id"))
    .map_err(StoreError::query("open an incident"))
}

/// One incident.
pub async fn incident(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<IncidentRow>, StoreError> {
    sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await
    .and_then(|row| row.as_ref().map(incident_of).transpose())
    .map_err(StoreError::query("read an incident"))
}

/// One incident, locked for the rest of the transaction on PostgreSQL (SQLite's write
/// transaction already excludes other writers).
pub async fn incident_for_update(tx: &mut Tx, id: i64) -> Result<Option<IncidentRow>, StoreError> {
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .and_then(|row| row.as_ref().map(incident_of).transpose())
    .map_err(StoreError::query("read an incident"))
}

/// Incidents, newest first, narrowed by state; at most `limit`.
pub async fn incidents(
    pool: &sqlx::AnyPool,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<IncidentRow>, StoreError> {
    sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE ($1 IS NULL OR state = $1) \
         ORDER BY id DESC LIMIT $2"
    ))
    .bind(state)
    .bind(limit)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(incident_of).collect())
    .map_err(StoreError::query("list incidents"))
}

/// Closed incidents whose closing time lies in `[from, to)`, oldest first: the lessons the
/// annual review lists.
pub async fn closed_between(
    pool: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<IncidentRow>, StoreError> {
    sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE state = 'closed' AND closed_at >= $1 \
         AND closed_at < $2 ORDER BY closed_at, id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows.iter().map(incident_of).collect())
    .map_err(StoreError::query("list closed incidents"))
}

/// A classification to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified<'a> {
    /// Its label.
    pub classification: &'a str,
    /// 21 CFR 803 event type.
    pub fda_event_type: Option<&'a str>,
    /// Five work days.
    pub remedial_action: bool,
    /// EU MDR Art. 87 category.
    pub eu_category: Option<&'a str>,
    /// Why.
    pub rationale: &'a str,
    /// Who.
    pub by: &'a str,
    /// The signature.
    pub signature_id: Option<i64>,
    /// The case that holds its clocks (kept when a reclassification opens none).
    pub case_id: Option<i64>,
}

/// Records a classification (state `classified`).
pub async fn classify(
    tx: &mut Tx,
    id: i64,
    classified: &Classified<'_>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE incidents SET state = 'classified', classification = $1, fda_event_type = $2, \
         remedial_action = $3, eu_category = $4, rationale = $5, classified_by = $6, \
         classified_at = $7, signature_id = $8, case_id = COALESCE($9, case_id), \
         updated_at = $7 WHERE id = $10",
    )
    .bind(classified.classification)
    .bind(classified.fda_event_type)
    .bind(i64::from(classified.remedial_action))
    .bind(classified.eu_category)
    .bind(classified.rationale)
    .bind(classified.by)
    .bind(at)
    .bind(classified.signature_id)
    .bind(classified.case_id)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("classify an incident"))?;
    Ok(())
}

/// What an incident is closed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure<'a> {
    /// Root cause.
    pub root_cause: &'a str,
    /// CAPA references, a JSON array of strings.
    pub corrective_actions: &'a str,
    /// Lessons learned.
    pub lessons_learned: &'a str,
    /// Who.
    pub by: &'a str,
}

/// Closes an incident.
pub async fn close(
    tx: &mut Tx,
    id: i64,
    closure: &Closure<'_>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE incidents SET state = 'closed', root_cause = $1, corrective_actions = $2, \
         lessons_learned = $3, closed_by = $4, closed_at = $5, updated_at = $5 WHERE id = $6",
    )
    .bind(closure.root_cause)
    .bind(closure.corrective_actions)
    .bind(closure.lessons_learned)
    .bind(closure.by)
    .bind(at)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("close an incident"))?;
    Ok(())
}

/// Marks an incident as changed (a link, an entry).
pub async fn touch(tx: &mut Tx, id: i64, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("touch an incident"))?;
    Ok(())
}

/// A link of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    /// `device`, `finding`, `signal` or `rollout`.
    pub kind: String,
    /// The linked row's id.
    pub target_id: i64,
    /// What a person reads: a controller id, `#12 CVE-… in Pump 2.1.0`, a rollout's name.
    pub label: String,
    /// Who linked it.
    pub linked_by: String,
    /// When.
    pub linked_at: String,
}

/// Links a row to an incident; `false` when it was already linked.
pub async fn insert_link(
    tx: &mut Tx,
    incident_id: i64,
    link: &LinkRow,
) -> Result<bool, StoreError> {
    let exists = sqlx::query(
        "SELECT 1 AS one FROM incident_links WHERE incident_id = $1 AND kind = $2 AND target_id = $3",
    )
    .bind(incident_id)
    .bind(&link.kind)
    .bind(link.target_id)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::query("find an incident's link"))?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO incident_links (incident_id, kind, target_id, label, linked_by, linked_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(incident_id)
    .bind(&link.kind)
    .bind(link.target_id)
    .bind(&link.label)
    .bind(&link.linked_by)
    .bind(&link.linked_at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("link to an incident"))?;
    Ok(true)
}

/// An incident's links, in the order they were made.
pub async fn links(
    executor: impl sqlx::any::AnyExecutor<'_>,
    incident_id: i64,
) -> Result<Vec<LinkRow>, StoreError> {
    sqlx::query(
        "SELECT kind, target_id, label, linked_by, linked_at FROM incident_links \
         WHERE incident_id = $1 ORDER BY linked_at, kind, target_id",
    )
    .bind(incident_id)
    .fetch_all(executor)
    .await
    .and_then(|rows| {
        rows.iter()
            .map(|row| {
                Ok(LinkRow {
                    kind: row.try_get("kind")?,
                    target_id: row.try_get("target_id")?,
                    label: row.try_get("label")?,
                    linked_by: row.try_get("linked_by")?,
                    linked_at: row.try_get("linked_at")?,
                })
            })
            .collect()
    })
    .map_err(StoreError::query("read an incident's links"))
}

/// An entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    /// The id.
    pub id: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// `opened`, `linked`, `classified`, `clock`, `closed`.
    pub kind: String,
    /// What, in words.
    pub text: String,
}

/// Appends an entry to an incident's timeline.
pub async fn insert_entry(
    tx: &mut Tx,
    incident_id: i64,
    at: &str,
    actor: &str,
    kind: &str,
    text: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO incident_entries (incident_id, at, actor, kind, text) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(incident_id)
    .bind(at)
    .bind(actor)
    .bind(kind)
    .bind(text)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("add to an incident's timeline"))?;
    Ok(())
}

/// An incident's timeline, oldest first.
pub async fn entries(
    executor: impl sqlx::any::AnyExecutor<'_>,
    incident_id: i64,
) -> Result<Vec<EntryRow>, StoreError> {
    sqlx::query(
        "SELECT id, at, actor, kind, text FROM incident_entries WHERE incident_id = $1 \
         ORDER BY id",
    )
    .bind(incident_id)
    .fetch_all(executor)
    .await
    .and_then(|rows| {
        rows.iter()
            .map(|row| {
                Ok(EntryRow {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    kind: row.try_get("kind")?,
                    text: row.try_get("text")?,
                })
            })
            .collect()
    })
    .map_err(StoreError::query("read an incident's timeline"))
}

/// Moves an *acknowledged* signal to `incident` (an open one goes through
/// `fleet::decide_signal`); returns whether it was acknowledged. A person who acknowledged a
/// signal and kept watching may later find it is an incident.
pub async fn escalate_acknowledged_signal(
    tx: &mut Tx,
    signal_id: i64,
    by: &str,
    at: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE signals SET state = 'incident', decided_by = $1, decided_at = $2, reason = $3 \
         WHERE id = $4 AND state = 'acknowledged'",
    )
    .bind(by)
    .bind(at)
    .bind(reason)
    .bind(signal_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("open an incident from a signal"))?;
    Ok(result.rows_affected() == 1)
}
