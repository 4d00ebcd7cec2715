//! Triage records: decisions (what an analyst decided about a vulnerability in a component,
//! and how far the decision reaches), assessments (which decision applies to a finding,
//! directly or inherited, and whether it needs a re-review) and determinations (the signed
//! controlled / uncontrolled record of a product and a vulnerability).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A decision, as made on one finding.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    /// The id (0 before insertion).
    pub id: i64,
    /// The finding it was made on.
    pub finding_id: i64,
    /// `finding`, `product` or `portfolio`.
    pub scope: String,
    /// The product of that finding.
    pub product_id: i64,
    /// The vulnerability's canonical id.
    pub vulnerability: String,
    /// The component's identity: its package key (`npm/lodash`), else `name:` and its name.
    pub component_key: String,
    /// The versions the decision covers (`=4.17.19`, `>=4.0.0,<4.17.21`, `*`).
    pub versions: String,
    /// VEX status.
    pub status: String,
    /// CycloneDX justification.
    pub justification: Option<String>,
    /// Impact statement.
    pub impact_statement: Option<String>,
    /// Responses, a JSON array.
    pub responses: String,
    /// Action statement.
    pub action_statement: Option<String>,
    /// Whether aftercare generated the action statement from the responses and the fixed
    /// version because none was written (CISA: an `affected` statement carries one).
    pub action_statement_generated: bool,
    /// Details.
    pub details: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// The CVSS vector rescored for the device.
    pub cvss_vector: Option<String>,
    /// Its score.
    pub cvss_score: Option<f64>,
    /// The rubric's extended vector of answers.
    pub rubric_vector: Option<String>,
    /// ISO 14971 harm severity.
    pub harm_severity: Option<String>,
    /// Whether safety and essential performance is affected (FDA 2016 final guidance). The
    /// column keeps the name it got from the draft guidance's "essential clinical
    /// performance" (`ecp`): renaming it would rewrite stored rows for a word.
    pub ecp_affected: Option<bool>,
    /// Compensating controls, a JSON array of {description, evidence, effective, verified_by}.
    pub controls: String,
    /// When.
    pub created_at: String,
    /// Who.
    pub created_by: String,
}

const DECISION_COLUMNS: &str = "id, finding_id, scope, product_id, vulnerability, component_key, \
     versions, status, justification, impact_statement, responses, action_statement, \
     action_statement_generated, details, assignee, cvss_vector, cvss_score, rubric_vector, \
     harm_severity, ecp_affected, controls, created_at, created_by";

fn decision_from_row(row: &AnyRow) -> Result<DecisionRow, sqlx::Error> {
    Ok(DecisionRow {
        id: row.try_get("id")?,
        finding_id: row.try_get("finding_id")?,
        scope: row.try_get("scope")?,
        product_id: row.try_get("product_id")?,
        vulnerability: row.try_get("vulnerability")?,
        component_key: row.try_get("component_key")?,
        versions: row.try_get("versions")?,
        status: row.try_get("status")?,
        justification: row.try_get("justification")?,
        impact_statement: row.try_get("impact_statement")?,
        responses: row.try_get("responses")?,
        action_statement: row.try_get("action_statement")?,
        action_statement_generated: row.try_get::<i64, _>("action_statement_generated")? != 0,
        details: row.try_get("details")?,
        assignee: row.try_get("assignee")?,
        cvss_vector: row.try_get("cvss_vector")?,
        cvss_score: row.try_get("cvss_score")?,
        rubric_vector: row.try_get("rubric_vector")?,
        harm_severity: row.try_get("harm_severity")?,
        ecp_affected: row
            .try_get::<Option<i64>, _>("ecp_affected")?
            .map(|v| v != 0),
        controls: row.try_get("controls")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

/// Stores a decision; returns its id.
pub async fn insert_decision(tx: &mut Tx, d: &DecisionRow) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO decisions (finding_id, scope, product_id, vulnerability, component_key, \
         versions, status, justification, impact_statement, responses, action_statement, \
         details, assignee, cvss_vector, cvss_score, rubric_vector, harm_severity, ecp_affected, \
         controls, created_at, created_by, action_statement_generated) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) \
         RETURNING id",
    )
    // Not cached: an optional float (see `bulk::insert_rows`).
    .persistent(false)
    .bind(d.finding_id)
    .bind(&d.scope)
    .bind(d.product_id)
    .bind(&d.vulnerability)
    .bind(&d.component_key)
    .bind(&d.versions)
    .bind(&d.status)
    .bind(&d.justification)
    .bind(&d.impact_statement)
    .bind(&d.responses)
    .bind(&d.action_statement)
    .bind(&d.details)
    .bind(&d.assignee)
    .bind(&d.cvss_vector)
    .bind(d.cvss_score)
    .bind(&d.rubric_vector)
    .bind(&d.harm_severity)
    .bind(d.ecp_affected.map(i64::from))
    .bind(&d.controls)
    .bind(&d.created_at)
    .bind(&d.created_by)
    .bind(i64::from(d.action_statement_generated))
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("store a decision"))?;
    row.try_get("id")
        .map_err(StoreError::query("store a decision"))
}

/// A decision by id.
pub async fn decision(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<DecisionRow>, StoreError> {
    let sql = format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("read a decision"))?;
    row.as_ref()
        .map(decision_from_row)
        .transpose()
        .map_err(StoreError::query("read a decision"))
}

/// The decisions about some vulnerabilities, newest first (those that may reach a new finding
/// are among them: the same vulnerability and component, made with the portfolio scope or
/// with the product scope in its product).
pub async fn decisions_about(
    tx: &mut Tx,
    vulnerabilities: &[String],
) -> Result<Vec<DecisionRow>, StoreError> {
    let mut out = crate::bulk::select_in(
        tx,
        &format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE vulnerability"),
        "",
        vulnerabilities,
        "find decisions",
        decision_from_row,
    )
    .await?;
    out.sort_by_key(|d| std::cmp::Reverse(d.id));
    Ok(out)
}

/// Which decision applies to a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentRow {
    /// The finding.
    pub finding_id: i64,
    /// The decision.
    pub decision_id: i64,
    /// Whether the decision was made on another finding.
    pub inherited: bool,
    /// Whether the finding needs a re-review (its version left the decision's range).
    pub review_required: bool,
    /// Why.
    pub review_reason: Option<String>,
    /// When it last changed.
    pub updated_at: String,
}

fn assessment_from_row(row: &AnyRow) -> Result<AssessmentRow, sqlx::Error> {
    Ok(AssessmentRow {
        finding_id: row.try_get("finding_id")?,
        decision_id: row.try_get("decision_id")?,
        inherited: row.try_get::<i64, _>("inherited")? != 0,
        review_required: row.try_get::<i64, _>("review_required")? != 0,
        review_reason: row.try_get("review_reason")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Sets the decision of a finding.
pub async fn put_assessment(tx: &mut Tx, a: &AssessmentRow) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM assessments WHERE finding_id = $1")
        .bind(a.finding_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("assess a finding"))?;
    sqlx::query(
        "INSERT INTO assessments (finding_id, decision_id, inherited, review_required, \
         review_reason, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.finding_id)
    .bind(a.decision_id)
    .bind(i64::from(a.inherited))
    .bind(i64::from(a.review_required))
    .bind(&a.review_reason)
    .bind(&a.updated_at)
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("assess a finding"))?;
    Ok(())
}

/// The assessment of a finding.
pub async fn assessment(
    executor: impl sqlx::any::AnyExecutor<'_>,
    finding_id: i64,
) -> Result<Option<AssessmentRow>, StoreError> {
    let row = sqlx::query(
        "SELECT finding_id, decision_id, inherited, review_required, review_reason, updated_at \
         FROM assessments WHERE finding_id = $1",
    )
    .bind(finding_id)
    .fetch_optional(executor)
    .await
    .map_err(StoreError::query("read an assessment"))?;
    row.as_ref()
        .map(assessment_from_row)
        .transpose()
        .map_err(StoreError::query("read an assessment"))
}

/// An open finding a decision may reach: its product, component key parts and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    /// The finding.
    pub finding_id: i64,
    /// Its product.
    pub product_id: i64,
    /// The component's package key.
    pub package_key: Option<String>,
    /// The component's group.
    pub group: Option<String>,
    /// The component's name.
    pub name: String,
    /// The component's version.
    pub version: Option<String>,
    /// The component's purl.
    pub purl: Option<String>,
    /// Whether it has a decision made on itself.
    pub assessed_directly: bool,
}

/// The open findings of a vulnerability (optionally in one product), with what a decision
/// needs to know to reach them.
pub async fn reachable(
    tx: &mut Tx,
    vulnerability: &str,
    product_id: Option<i64>,
) -> Result<Vec<Reachable>, StoreError> {
    let rows = sqlx::query(
        "SELECT f.id, f.product_id, c.package_key, c.grp, c.name, c.version, c.purl, \
         CASE WHEN a.inherited = 0 THEN 1 ELSE 0 END AS direct \
         FROM findings f JOIN components c ON c.id = f.component_id \
         LEFT JOIN assessments a ON a.finding_id = f.id \
         WHERE f.vulnerability = $1 AND f.state = 'open' AND ($2 IS NULL OR f.product_id = $2) \
         ORDER BY f.id",
    )
    .bind(vulnerability)
    .bind(product_id)
    .fetch_all(tx.conn())
    .await
    .map_err(StoreError::query("find the findings a decision reaches"))?;
    rows.iter()
        .map(|row| {
            Ok(Reachable {
                finding_id: row.try_get("id")?,
                product_id: row.try_get("product_id")?,
                package_key: row.try_get("package_key")?,
                group: row.try_get("grp")?,
                name: row.try_get("name")?,
                version: row.try_get("version")?,
                purl: row.try_get("purl")?,
                assessed_directly: row.try_get::<i64, _>("direct")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("find the findings a decision reaches"))
}

/// A determination: the controlled / uncontrolled record of a product and a vulnerability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeterminationRow {
    /// The id (0 before insertion).
    pub id: i64,
    /// The product.
    pub product_id: i64,
    /// The vulnerability.
    pub vulnerability: String,
    /// The decision whose harm assessment it used.
    pub decision_id: Option<i64>,
    /// `controlled` or `uncontrolled` (the override's when overridden).
    pub outcome: String,
    /// What the policy computed.
    pub computed: String,
    /// The exploitability level.
    pub exploitability_level: String,
    /// The rules that fired, JSON.
    pub exploitability_reasons: String,
    /// The harm severity.
    pub harm_severity: String,
    /// Whether safety and essential performance is affected (the column keeps the draft
    /// guidance's name, see [`DecisionRow::ecp_affected`]).
    pub ecp_affected: bool,
    /// The override's rationale.
    pub override_rationale: Option<String>,
    /// The patch path, JSON.
    pub patch_path: String,
    /// The canonical inputs.
    pub inputs: String,
    /// Their SHA-256.
    pub inputs_digest: String,
    /// The policy's digest.
    pub policy_digest: String,
    /// The electronic signature, when signed.
    pub signature_id: Option<i64>,
    /// The compensating controls considered, a JSON array of {description, evidence,
    /// effective, verified_by, counted}.
    pub controls: String,
    /// How the policy went from the inputs to the matrix cell, a JSON array of sentences
    /// (verified controls, the KEV floor, the safety and essential performance gate).
    pub steps: String,
    /// When.
    pub created_at: String,
    /// Who.
    pub created_by: String,
}

const DETERMINATION_COLUMNS: &str = "id, product_id, vulnerability, decision_id, outcome, computed, \
     exploitability_level, exploitability_reasons, harm_severity, ecp_affected, \
     override_rationale, patch_path, inputs, inputs_digest, policy_digest, signature_id, \
     controls, steps, created_at, created_by";

fn determination_from_row(row: &AnyRow) -> Result<DeterminationRow, sqlx::Error> {
    Ok(DeterminationRow {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        vulnerability: row.try_get("vulnerability")?,
        decision_id: row.try_get("decision_id")?,
        outcome: row.try_get("outcome")?,
        computed: row.try_get("computed")?,
        exploitability_level: row.try_get("exploitability_level")?,
        exploitability_reasons: row.try_get("exploitability_reasons")?,
        harm_severity: row.try_get("harm_severity")?,
        ecp_affected: row.try_get::<i64, _>("ecp_affected")? != 0,
        override_rationale: row.try_get("override_rationale")?,
        patch_path: row.try_get("patch_path")?,
        inputs: row.try_get("inputs")?,
        inputs_digest: row.try_get("inputs_digest")?,
        policy_digest: row.try_get("policy_digest")?,
        signature_id: row.try_get("signature_id")?,
        controls: row.try_get("controls")?,
        steps: row.try_get("steps")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

/// Stores a determination; returns its id.
pub async fn insert_determination(tx: &mut Tx, d: &DeterminationRow) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO determinations (product_id, vulnerability, decision_id, outcome, computed, \
         exploitability_level, exploitability_reasons, harm_severity, ecp_affected, \
         override_rationale, patch_path, inputs, inputs_digest, policy_digest, signature_id, \
         created_at, created_by, controls, steps) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(d.product_id)
    .bind(&d.vulnerability)
    .bind(d.decision_id)
    .bind(&d.outcome)
    .bind(&d.computed)
    .bind(&d.exploitability_level)
    .bind(&d.exploitability_reasons)
    .bind(&d.harm_severity)
    .bind(i64::from(d.ecp_affected))
    .bind(&d.override_rationale)
    .bind(&d.patch_path)
    .bind(&d.inputs)
    .bind(&d.inputs_digest)
    .bind(&d.policy_digest)
    .bind(d.signature_id)
    .bind(&d.created_at)
    .bind(&d.created_by)
    .bind(&d.controls)
    .bind(&d.steps)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("store a determination"))?;
    row.try_get("id")
        .map_err(StoreError::query("store a determination"))
}

/// Links a determination to its signature.
pub async fn set_determination_signature(
    tx: &mut Tx,
    id: i64,
    signature_id: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE determinations SET signature_id = $2 WHERE id = $1")
        .bind(id)
        .bind(signature_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("sign a determination"))?;
    Ok(())
}

/// The determinations of a product and a vulnerability, newest first.
pub async fn determinations(
    executor: impl sqlx::any::AnyExecutor<'_>,
    product_id: i64,
    vulnerability: &str,
) -> Result<Vec<DeterminationRow>, StoreError> {
    let sql = format!(
        "SELECT {DETERMINATION_COLUMNS} FROM determinations WHERE product_id = $1 \
         AND vulnerability = $2 ORDER BY id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(product_id)
        .bind(vulnerability)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("read determinations"))?;
    rows.iter()
        .map(determination_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("read determinations"))
}
