//! Patch management: remediation plans with their findings and events, patch releases with
//! the plans they serve and the decisions about them (approval, rejection, revocation),
//! verification and validation evidence with its files, and distributions.
//!
//! Evidence, decisions and distributions are records of what happened: never updated or
//! deleted (a trigger refuses it on both backends); a correction supersedes an evidence item,
//! and both stay; a new decision follows an old one. Plans and patches carry a state the service moves through the pure rules of
//! `aftercare-patch`; each move is a plan event and an audit event.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A remediation plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    /// The id.
    pub id: i64,
    /// The product.
    pub product_id: i64,
    /// The product's name.
    pub product: String,
    /// The version the fix will ship in.
    pub target_version: String,
    /// `regular` or `out_of_cycle`.
    pub cycle: String,
    /// The owner's login.
    pub owner: String,
    /// The plan's state (`open`, `in_progress`, `patch_built`, `approved`, `distributed`,
    /// `closed`, `cancelled`).
    pub state: String,
    /// Why it was cancelled or closed.
    pub reason: Option<String>,
    /// Change requests, JSON `[{"reference", "url"}]`.
    pub change_requests: String,
    /// Problem reports, JSON `[{"reference", "url"}]`.
    pub problem_reports: String,
    /// New interim compensating controls, JSON `[{"description", "evidence"}]`.
    pub controls: String,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

const PLAN_SELECT: &str = "SELECT p.id, p.product_id, pr.name AS product, p.target_version, \
     p.cycle, p.owner, p.state, p.reason, p.change_requests, p.problem_reports, p.controls, \
     p.created_at, p.updated_at FROM plans p JOIN products pr ON pr.id = p.product_id";

fn plan_from_row(row: &AnyRow) -> Result<PlanRow, sqlx::Error> {
    Ok(PlanRow {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        product: row.try_get("product")?,
        target_version: row.try_get("target_version")?,
        cycle: row.try_get("cycle")?,
        owner: row.try_get("owner")?,
        state: row.try_get("state")?,
        reason: row.try_get("reason")?,
        change_requests: row.try_get("change_requests")?,
        problem_reports: row.try_get("problem_reports")?,
        controls: row.try_get("controls")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a plan (its `id`, `product`, `created_at` and `updated_at` are set here) created
/// `at`; returns its id.
pub async fn insert_plan(tx: &mut Tx, plan: &PlanRow, at: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO plans (product_id, target_version, cycle, owner, state, reason, \
         change_requests, problem_reports, controls, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(plan.product_id)
    .bind(&plan.target_version)
    .bind(&plan.cycle)
    .bind(&plan.owner)
    .bind(&plan.state)
    .bind(&plan.reason)
    .bind(&plan.change_requests)
    .bind(&plan.problem_reports)
    .bind(&plan.controls)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert a plan"))?;
    row.try_get("id")
        .map_err(StoreError::query("insert a plan"))
}

/// Writes a plan's changeable fields (target, cycle, owner, state, reason, references,
/// controls), `at`.
pub async fn update_plan(tx: &mut Tx, plan: &PlanRow, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE plans SET target_version = $1, cycle = $2, owner = $3, state = $4, reason = $5, \
         change_requests = $6, problem_reports = $7, controls = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(&plan.target_version)
    .bind(&plan.cycle)
    .bind(&plan.owner)
    .bind(&plan.state)
    .bind(&plan.reason)
    .bind(&plan.change_requests)
    .bind(&plan.problem_reports)
    .bind(&plan.controls)
    .bind(at)
    .bind(plan.id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("update a plan"))?;
    Ok(())
}

/// A plan by id, locked for update on PostgreSQL when read in a transaction.
pub async fn plan_for_update(tx: &mut Tx, id: i64) -> Result<Option<PlanRow>, StoreError> {
    let suffix = match tx.backend() {
        crate::Backend::Postgres => " FOR UPDATE OF p",
        crate::Backend::Sqlite => "",
    };
    let sql = format!("{PLAN_SELECT} WHERE p.id = $1{suffix}");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::query("read a plan"))?;
    row.as_ref()
        .map(plan_from_row)
        .transpose()
        .map_err(StoreError::query("read a plan"))
}

/// A plan by id.
pub async fn plan(pool: &sqlx::AnyPool, id: i64) -> Result<Option<PlanRow>, StoreError> {
    let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a plan"))?;
    row.as_ref()
        .map(plan_from_row)
        .transpose()
        .map_err(StoreError::query("read a plan"))
}

/// Plans, newest first: of a product, in a state, or every one.
pub async fn plans(
    pool: &sqlx::AnyPool,
    product_id: Option<i64>,
    state: Option<&str>,
) -> Result<Vec<PlanRow>, StoreError> {
    let sql = format!(
        "{PLAN_SELECT} WHERE ($1 IS NULL OR p.product_id = $1) AND ($2 IS NULL OR p.state = $2) \
         ORDER BY p.id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(product_id)
        .bind(state)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list plans"))?;
    rows.iter()
        .map(plan_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list plans"))
}

/// Adds findings to a plan (those already in it are kept once).
pub async fn add_plan_findings(
    tx: &mut Tx,
    plan_id: i64,
    finding_ids: &[i64],
) -> Result<(), StoreError> {
    for finding_id in finding_ids {
        sqlx::query(
            "INSERT INTO plan_findings (plan_id, finding_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(plan_id)
        .bind(finding_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("add a finding to a plan"))?;
    }
    Ok(())
}

/// The findings of a plan, by id.
pub async fn plan_findings(pool: &sqlx::AnyPool, plan_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows =
        sqlx::query("SELECT finding_id FROM plan_findings WHERE plan_id = $1 ORDER BY finding_id")
            .bind(plan_id)
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("read a plan's findings"))?;
    rows.iter()
        .map(|row| row.try_get("finding_id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read a plan's findings"))
}

/// The plans that name a finding, by id.
pub async fn plans_of_finding(
    pool: &sqlx::AnyPool,
    finding_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows =
        sqlx::query("SELECT plan_id FROM plan_findings WHERE finding_id = $1 ORDER BY plan_id")
            .bind(finding_id)
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("read a finding's plans"))?;
    rows.iter()
        .map(|row| row.try_get("plan_id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read a finding's plans"))
}

/// An event in a plan's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEventRow {
    /// When.
    pub at: String,
    /// What (`created`, `state`, `patch_attached`, `approved`, …).
    pub kind: String,
    /// Its details, JSON.
    pub detail: String,
    /// Who.
    pub actor: String,
}

/// Logs an event of a plan.
pub async fn insert_plan_event(
    tx: &mut Tx,
    plan_id: i64,
    event: &PlanEventRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO plan_events (plan_id, at, kind, detail, actor) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(plan_id)
    .bind(&event.at)
    .bind(&event.kind)
    .bind(&event.detail)
    .bind(&event.actor)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("log a plan event"))?;
    Ok(())
}

/// A plan's history, oldest first.
pub async fn plan_events(
    pool: &sqlx::AnyPool,
    plan_id: i64,
) -> Result<Vec<PlanEventRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, kind, detail, actor FROM plan_events WHERE plan_id = $1 ORDER BY id",
    )
    .bind(plan_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read a plan's history"))?;
    rows.iter()
        .map(|row| {
            Ok(PlanEventRow {
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                detail: row.try_get("detail")?,
                actor: row.try_get("actor")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a plan's history"))
}

/// A decision about a patch release: its approval (with the digest it signed), a rejection
/// or a revocation. Decisions are never changed; the gate reads them in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchDecisionRow {
    /// The id.
    pub id: i64,
    /// The patch release.
    pub release_id: i64,
    /// `approved`, `rejected` or `revoked`.
    pub kind: String,
    /// The digest an approval signed (hex).
    pub digest: Option<String>,
    /// Who decided (an approval's signer, by printed name).
    pub decided_by: String,
    /// Why (a rejection or revocation).
    pub reason: Option<String>,
    /// When.
    pub at: String,
}

/// Makes a release a patch release, recorded `at` (nothing happens when it is one already).
pub async fn ensure_patch(tx: &mut Tx, release_id: i64, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO patches (release_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(release_id)
    .bind(at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("record a patch release"))?;
    Ok(())
}

/// Whether a release is a patch release.
pub async fn is_patch(pool: &sqlx::AnyPool, release_id: i64) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT release_id FROM patches WHERE release_id = $1")
        .bind(release_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read a patch"))?;
    Ok(row.is_some())
}

/// Records a decision about a patch release (its `id` is ignored); returns its id.
pub async fn insert_decision(tx: &mut Tx, decision: &PatchDecisionRow) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO patch_decisions (release_id, kind, digest, decided_by, reason, at)          VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(decision.release_id)
    .bind(&decision.kind)
    .bind(&decision.digest)
    .bind(&decision.decided_by)
    .bind(&decision.reason)
    .bind(&decision.at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("record a patch decision"))?;
    row.try_get("id")
        .map_err(StoreError::query("record a patch decision"))
}

/// The decisions about a patch release, in the order they were made.
pub async fn decisions(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Vec<PatchDecisionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, release_id, kind, digest, decided_by, reason, at FROM patch_decisions          WHERE release_id = $1 ORDER BY id",
    )
    .bind(release_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read a patch's decisions"))?;
    rows.iter()
        .map(|row| {
            Ok(PatchDecisionRow {
                id: row.try_get("id")?,
                release_id: row.try_get("release_id")?,
                kind: row.try_get("kind")?,
                digest: row.try_get("digest")?,
                decided_by: row.try_get("decided_by")?,
                reason: row.try_get("reason")?,
                at: row.try_get("at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a patch's decisions"))
}

/// Records that a patch release serves a plan (kept once).
pub async fn attach(tx: &mut Tx, release_id: i64, plan_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO patch_plans (release_id, plan_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(release_id)
    .bind(plan_id)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("attach a patch to a plan"))?;
    Ok(())
}

/// The plans a patch release serves, by id.
pub async fn plans_of_patch(pool: &sqlx::AnyPool, release_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows =
        sqlx::query("SELECT plan_id FROM patch_plans WHERE release_id = $1 ORDER BY plan_id")
            .bind(release_id)
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("read a patch's plans"))?;
    rows.iter()
        .map(|row| row.try_get("plan_id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read a patch's plans"))
}

/// The patch releases of a plan, by release id.
pub async fn patches_of_plan(pool: &sqlx::AnyPool, plan_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows =
        sqlx::query("SELECT release_id FROM patch_plans WHERE plan_id = $1 ORDER BY release_id")
            .bind(plan_id)
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("read a plan's patches"))?;
    rows.iter()
        .map(|row| row.try_get("release_id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read a plan's patches"))
}

/// An item of verification or validation evidence, with its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    /// The id.
    pub id: i64,
    /// The patch release.
    pub release_id: i64,
    /// `verification`, `validation`, `regression`, `security_test` or `impact_assessment`.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// `pass`, `fail` or `deviation`.
    pub result: String,
    /// Who executed it.
    pub executed_by: String,
    /// When (a date, `YYYY-MM-DD`).
    pub executed_on: String,
    /// Kind-specific details, JSON (an impact assessment's answers).
    pub detail: String,
    /// The item it corrects, if any.
    pub supersedes: Option<i64>,
    /// The item's digest (hex), files included.
    pub digest: String,
    /// Who recorded it.
    pub actor: String,
    /// When it was recorded.
    pub created_at: String,
    /// Its files: (document id, name, SHA-256, size).
    pub files: Vec<EvidenceFileRow>,
}

/// A file of an evidence item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFileRow {
    /// The stored document.
    pub document_id: i64,
    /// The file's name as uploaded.
    pub name: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Its size in bytes.
    pub size: i64,
}

/// Inserts an evidence item (its `id`, `created_at` and `files` are ignored), recorded `at`;
/// returns its id.
pub async fn insert_evidence(tx: &mut Tx, item: &EvidenceRow, at: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO evidence (release_id, kind, title, result, executed_by, executed_on, \
         detail, supersedes, digest, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(item.release_id)
    .bind(&item.kind)
    .bind(&item.title)
    .bind(&item.result)
    .bind(&item.executed_by)
    .bind(&item.executed_on)
    .bind(&item.detail)
    .bind(item.supersedes)
    .bind(&item.digest)
    .bind(&item.actor)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("record evidence"))?;
    row.try_get("id")
        .map_err(StoreError::query("record evidence"))
}

/// Links a stored document to an evidence item as one of its files.
pub async fn add_evidence_file(
    tx: &mut Tx,
    evidence_id: i64,
    document_id: i64,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO evidence_files (evidence_id, document_id, name) VALUES ($1, $2, $3)")
        .bind(evidence_id)
        .bind(document_id)
        .bind(name)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("record an evidence file"))?;
    Ok(())
}

/// The patch release an evidence item belongs to.
pub async fn evidence_release(
    pool: &sqlx::AnyPool,
    evidence_id: i64,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT release_id FROM evidence WHERE id = $1")
        .bind(evidence_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("find an evidence item"))?;
    row.map(|row| row.try_get("release_id"))
        .transpose()
        .map_err(StoreError::query("find an evidence item"))
}

/// Every evidence item of a patch release (superseded ones included), oldest first, with
/// their files.
pub async fn evidence_of(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Vec<EvidenceRow>, StoreError> {
    let operation = "read a patch's evidence";
    let rows = sqlx::query(
        "SELECT id, release_id, kind, title, result, executed_by, executed_on, detail, \
         supersedes, digest, actor, created_at FROM evidence WHERE release_id = $1 ORDER BY id",
    )
    .bind(release_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query(operation))?;
    let mut items: Vec<EvidenceRow> = rows
        .iter()
        .map(|row| {
            Ok(EvidenceRow {
                id: row.try_get("id")?,
                release_id: row.try_get("release_id")?,
                kind: row.try_get("kind")?,
                title: row.try_get("title")?,
                result: row.try_get("result")?,
                executed_by: row.try_get("executed_by")?,
                executed_on: row.try_get("executed_on")?,
                detail: row.try_get("detail")?,
                supersedes: row.try_get("supersedes")?,
                digest: row.try_get("digest")?,
                actor: row.try_get("actor")?,
                created_at: row.try_get("created_at")?,
                files: Vec::new(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query(operation))?;
    let files = sqlx::query(
        "SELECT f.evidence_id, f.document_id, f.name, d.sha256, d.size FROM evidence_files f \
         JOIN documents d ON d.id = f.document_id JOIN evidence e ON e.id = f.evidence_id \
         WHERE e.release_id = $1 ORDER BY f.evidence_id, f.name",
    )
    .bind(release_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query(operation))?;
    for row in &files {
        let evidence_id: i64 = row
            .try_get("evidence_id")
            .map_err(StoreError::query(operation))?;
        let file = EvidenceFileRow {
            document_id: row
                .try_get("document_id")
                .map_err(StoreError::query(operation))?,
            name: row.try_get("name").map_err(StoreError::query(operation))?,
            sha256: row
                .try_get("sha256")
                .map_err(StoreError::query(operation))?,
            size: row.try_get("size").map_err(StoreError::query(operation))?,
        };
        if let Some(item) = items.iter_mut().find(|item| item.id == evidence_id) {
            item.files.push(file);
        }
    }
    Ok(items)
}

/// A distribution of a patch release to customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRow {
    /// The id.
    pub id: i64,
    /// The patch release.
    pub release_id: i64,
    /// `field_service`, `customer_download` or `ota`.
    pub channel: String,
    /// The day it was made available (`YYYY-MM-DD`).
    pub distributed_on: String,
    /// The organisation it went to, if one.
    pub organisation: Option<String>,
    /// A stored document as evidence of it, if any.
    pub document_id: Option<i64>,
    /// Who recorded it.
    pub actor: String,
    /// When it was recorded.
    pub created_at: String,
}

/// Records a distribution (its `id` and `created_at` are ignored), `at`; returns its id.
pub async fn insert_distribution(
    tx: &mut Tx,
    distribution: &DistributionRow,
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO distributions (release_id, channel, distributed_on, organisation, \
         document_id, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(distribution.release_id)
    .bind(&distribution.channel)
    .bind(&distribution.distributed_on)
    .bind(&distribution.organisation)
    .bind(distribution.document_id)
    .bind(&distribution.actor)
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("record a distribution"))?;
    row.try_get("id")
        .map_err(StoreError::query("record a distribution"))
}

/// The distributions of a patch release, oldest first.
pub async fn distributions(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Vec<DistributionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, release_id, channel, distributed_on, organisation, document_id, actor, \
         created_at FROM distributions WHERE release_id = $1 ORDER BY id",
    )
    .bind(release_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read a patch's distributions"))?;
    rows.iter()
        .map(|row| {
            Ok(DistributionRow {
                id: row.try_get("id")?,
                release_id: row.try_get("release_id")?,
                channel: row.try_get("channel")?,
                distributed_on: row.try_get("distributed_on")?,
                organisation: row.try_get("organisation")?,
                document_id: row.try_get("document_id")?,
                actor: row.try_get("actor")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a patch's distributions"))
}

/// A finding as the fix evidence reads it: its release, component identity and version, the
/// vulnerability, its fixed versions (JSON) and the VEX status of its assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixFindingRow {
    /// The finding.
    pub id: i64,
    /// Its product.
    pub product_id: i64,
    /// Its release.
    pub release_id: i64,
    /// Its vulnerability's canonical id.
    pub vulnerability: String,
    /// Its component's purl.
    pub purl: Option<String>,
    /// Its component's group.
    pub group: Option<String>,
    /// Its component's name.
    pub name: String,
    /// Its component's version.
    pub version: Option<String>,
    /// The fixed versions its records give, JSON.
    pub fixed_versions: String,
    /// `open` or `closed`.
    pub state: String,
    /// The VEX status of its assessment, if assessed.
    pub status: Option<String>,
    /// The justification of its assessment.
    pub justification: Option<String>,
    /// Its release's version.
    pub release: String,
    /// When it was first seen.
    pub first_seen: String,
    /// Whether its vulnerability is in CISA KEV.
    pub kev: bool,
    /// Its severity label.
    pub severity: String,
    /// Whether a CVSS score gave the severity.
    pub scored: bool,
}

const FIX_SELECT: &str = "SELECT f.id, f.product_id, f.release_id, f.vulnerability, c.purl, \
     c.grp, c.name, c.version, f.fixed_versions, f.state, d.status, d.justification, \
     r.version AS release_version, f.first_seen, f.kev, f.severity, \
     CASE WHEN f.score IS NULL THEN 0 ELSE 1 END AS scored \
     FROM findings f JOIN components c ON c.id = f.component_id \
     JOIN releases r ON r.id = f.release_id \
     LEFT JOIN assessments a ON a.finding_id = f.id LEFT JOIN decisions d ON d.id = a.decision_id";

fn fix_from_row(row: &AnyRow) -> Result<FixFindingRow, sqlx::Error> {
    Ok(FixFindingRow {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        release_id: row.try_get("release_id")?,
        vulnerability: row.try_get("vulnerability")?,
        purl: row.try_get("purl")?,
        group: row.try_get("grp")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        fixed_versions: row.try_get("fixed_versions")?,
        state: row.try_get("state")?,
        status: row.try_get("status")?,
        justification: row.try_get("justification")?,
        release: row.try_get("release_version")?,
        first_seen: row.try_get("first_seen")?,
        kev: row.try_get::<i64, _>("kev")? != 0,
        severity: row.try_get("severity")?,
        scored: row.try_get::<i64, _>("scored")? != 0,
    })
}

/// Which findings [`fix_findings_sqlite`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixSelection {
    /// The findings some plans name, each once ([`fix_findings_of_plans`]).
    Plans(Vec<i64>),
    /// The open findings of a release ([`open_findings_of_release`]).
    OpenOfRelease(i64),
}

/// [`fix_findings_of_plans`] and [`open_findings_of_release`] of a SQLite store, read through
/// rusqlite on a read-only connection of its own, as [`crate::audit::scan_sqlite`] reads the
/// audit trail: sqlx's `Any` driver copies every value several times and hands each row
/// between threads, which made the 10,000 findings of a plan cost about three times the
/// query itself (`patch show`, BENCHMARKS.md). Reads what is committed, like any read
/// outside a transaction. Blocking: call it from `spawn_blocking`.
pub fn fix_findings_sqlite(
    file: &std::path::Path,
    selection: &FixSelection,
) -> Result<Vec<FixFindingRow>, StoreError> {
    use rusqlite::OpenFlags;
    let failed = |source: rusqlite::Error| StoreError::Scan {
        operation: "read findings for their fix evidence",
        message: source.to_string(),
    };
    let connection = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(failed)?;
    let read = |row: &rusqlite::Row<'_>| -> Result<FixFindingRow, rusqlite::Error> {
        Ok(FixFindingRow {
            id: row.get(0)?,
            product_id: row.get(1)?,
            release_id: row.get(2)?,
            vulnerability: row.get(3)?,
            purl: row.get(4)?,
            group: row.get(5)?,
            name: row.get(6)?,
            version: row.get(7)?,
            fixed_versions: row.get(8)?,
            state: row.get(9)?,
            status: row.get(10)?,
            justification: row.get(11)?,
            release: row.get(12)?,
            first_seen: row.get(13)?,
            kev: row.get::<_, i64>(14)? != 0,
            severity: row.get(15)?,
            scored: row.get::<_, i64>(16)? != 0,
        })
    };
    let mut out: Vec<FixFindingRow> = Vec::new();
    match selection {
        FixSelection::Plans(plans) => {
            let sql = format!(
                "{FIX_SELECT} JOIN plan_findings pf ON pf.finding_id = f.id WHERE pf.plan_id = ?1 \
                 ORDER BY f.id"
            );
            let mut statement = connection.prepare(&sql).map_err(failed)?;
            for plan in plans {
                let rows = statement.query_map([plan], read).map_err(failed)?;
                for row in rows {
                    out.push(row.map_err(failed)?);
                }
            }
            out.sort_by_key(|row| row.id);
            out.dedup_by_key(|row| row.id);
        }
        FixSelection::OpenOfRelease(release) => {
            let sql =
                format!("{FIX_SELECT} WHERE f.release_id = ?1 AND f.state = 'open' ORDER BY f.id");
            let mut statement = connection.prepare(&sql).map_err(failed)?;
            for row in statement.query_map([release], read).map_err(failed)? {
                out.push(row.map_err(failed)?);
            }
        }
    }
    Ok(out)
}

/// The findings some plans name, each once, as the fix evidence reads them: one query per
/// plan, joined through `plan_findings` (no list of ids to bind).
pub async fn fix_findings_of_plans(
    pool: &sqlx::AnyPool,
    plan_ids: &[i64],
) -> Result<Vec<FixFindingRow>, StoreError> {
    let sql = format!(
        "{FIX_SELECT} JOIN plan_findings pf ON pf.finding_id = f.id WHERE pf.plan_id = $1 \
         ORDER BY f.id"
    );
    let mut out: Vec<FixFindingRow> = Vec::new();
    for plan in plan_ids {
        let rows = sqlx::query(&sql)
            .bind(plan)
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("read a plan's findings"))?;
        for row in &rows {
            out.push(fix_from_row(row).map_err(StoreError::query("read a plan's findings"))?);
        }
    }
    out.sort_by_key(|row| row.id);
    out.dedup_by_key(|row| row.id);
    Ok(out)
}

/// Some findings by id, as the fix evidence reads them.
pub async fn fix_findings(
    store: &crate::Store,
    ids: &[i64],
) -> Result<Vec<FixFindingRow>, StoreError> {
    crate::bulk::select_in(
        store,
        &format!("{FIX_SELECT} WHERE f.id"),
        "ORDER BY f.id",
        ids,
        "read findings for their fix evidence",
        fix_from_row,
    )
    .await
}

/// The open findings of a release, as the fix evidence reads them.
pub async fn open_findings_of_release(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Vec<FixFindingRow>, StoreError> {
    let sql = format!("{FIX_SELECT} WHERE f.release_id = $1 AND f.state = 'open' ORDER BY f.id");
    let rows = sqlx::query(&sql)
        .bind(release_id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("read a release's open findings"))?;
    rows.iter()
        .map(fix_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read a release's open findings"))
}

/// The components of a release as the fix evidence reads them: (purl, group, name, version).
pub async fn release_components(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Vec<(Option<String>, Option<String>, String, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT purl, grp, name, version FROM components WHERE release_id = $1 ORDER BY position",
    )
    .bind(release_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("read a release's components"))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("purl")?,
                row.try_get("grp")?,
                row.try_get("name")?,
                row.try_get("version")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a release's components"))
}
