//! Findings: one row per (release, component, vulnerability), kept for ever — a finding that
//! stops matching is closed with its reason, never deleted — and the log of what happened to
//! each (opened, changed, closed, reopened, assessed …).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::bulk::{self, Value};
use crate::{StoreError, Tx};

/// A stored finding, with the names of its product, release and component.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    /// The id.
    pub id: i64,
    /// The product.
    pub product_id: i64,
    /// The product's name.
    pub product: String,
    /// The release.
    pub release_id: i64,
    /// The release's version.
    pub release: String,
    /// The component.
    pub component_id: i64,
    /// The component's name (with its group, `group/name`).
    pub component_name: String,
    /// The component's version.
    pub component_version: Option<String>,
    /// The component's purl.
    pub component_purl: Option<String>,
    /// The vulnerability's canonical id when it matched.
    pub vulnerability: String,
    /// The stored vulnerability it belongs to, when the intelligence store knows it.
    pub vulnerability_id: Option<i64>,
    /// Its other ids, a JSON array.
    pub aliases: String,
    /// Its summary.
    pub summary: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// `critical`, `high`, `medium`, `low`, `none` or `unknown`.
    pub severity: String,
    /// The score behind the severity, when a CVSS vector gave it.
    pub score: Option<f64>,
    /// Where the severity comes from, JSON.
    pub severity_basis: String,
    /// Whether the vulnerability is in CISA's KEV catalog.
    pub kev: bool,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// The component version that matched.
    pub matched_version: Option<String>,
    /// The versions that fix it, a JSON array.
    pub fixed_versions: String,
    /// Why it matched, a JSON array of reasons.
    pub reasons: String,
    /// When it was first matched: the awareness date the clocks start from.
    pub first_seen: String,
    /// When a match last confirmed it.
    pub last_seen: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Why it was closed.
    pub close_reason: Option<String>,
    /// The VEX status of the decision that applies, when assessed.
    pub vex_status: Option<String>,
    /// Whether that decision was made on another finding.
    pub inherited: Option<bool>,
    /// Whether the finding needs a re-review.
    pub review_required: bool,
}

/// What a match says about a finding: the columns a re-match may change.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchFields {
    /// The vulnerability's canonical id.
    pub vulnerability: String,
    /// The stored vulnerability.
    pub vulnerability_id: Option<i64>,
    /// Other ids, a JSON array.
    pub aliases: String,
    /// Summary.
    pub summary: Option<String>,
    /// Severity label.
    pub severity: String,
    /// Score.
    pub score: Option<f64>,
    /// Severity basis, JSON.
    pub severity_basis: String,
    /// In KEV.
    pub kev: bool,
    /// Confidence.
    pub confidence: String,
    /// The version that matched.
    pub matched_version: Option<String>,
    /// Fixed versions, a JSON array.
    pub fixed_versions: String,
    /// Reasons, a JSON array.
    pub reasons: String,
}

/// A finding to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    /// The product.
    pub product_id: i64,
    /// The release.
    pub release_id: i64,
    /// The component.
    pub component_id: i64,
    /// What matched.
    pub fields: MatchFields,
}

const FINDING_SELECT: &str = "SELECT f.id, f.product_id, p.name AS product, f.release_id, \
     r.version AS release_version, f.component_id, c.grp AS component_group, \
     c.name AS component_name, c.version AS component_version, c.purl AS component_purl, \
     f.vulnerability, f.vulnerability_id, f.aliases, f.summary, f.state, f.severity, f.score, \
     f.severity_basis, f.kev, f.confidence, f.matched_version, f.fixed_versions, f.reasons, \
     f.first_seen, CASE WHEN f.state = 'open' AND ms.confirmed_at > f.last_seen \
     THEN ms.confirmed_at ELSE f.last_seen END AS last_seen, f.closed_at, f.close_reason, \
     d.status AS vex_status, a.inherited AS a_inherited, a.review_required AS a_review \
     FROM findings f JOIN match_state ms ON ms.id = 1 JOIN products p ON p.id = f.product_id \
     JOIN releases r ON r.id = f.release_id JOIN components c ON c.id = f.component_id \
     LEFT JOIN assessments a ON a.finding_id = f.id LEFT JOIN decisions d ON d.id = a.decision_id";

fn finding_from_row(row: &AnyRow) -> Result<FindingRow, sqlx::Error> {
    let group: Option<String> = row.try_get("component_group")?;
    let name: String = row.try_get("component_name")?;
    Ok(FindingRow {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        product: row.try_get("product")?,
        release_id: row.try_get("release_id")?,
        release: row.try_get("release_version")?,
        component_id: row.try_get("component_id")?,
        component_name: crate::sbom::full_name(group.as_deref(), &name),
        component_version: row.try_get("component_version")?,
        component_purl: row.try_get("component_purl")?,
        vulnerability: row.try_get("vulnerability")?,
        vulnerability_id: row.try_get("vulnerability_id")?,
        aliases: row.try_get("aliases")?,
        summary: row.try_get("summary")?,
        state: row.try_get("state")?,
        severity: row.try_get("severity")?,
        score: row.try_get("score")?,
        severity_basis: row.try_get("severity_basis")?,
        kev: row.try_get::<i64, _>("kev")? != 0,
        confidence: row.try_get("confidence")?,
        matched_version: row.try_get("matched_version")?,
        fixed_versions: row.try_get("fixed_versions")?,
        reasons: row.try_get("reasons")?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        closed_at: row.try_get("closed_at")?,
        close_reason: row.try_get("close_reason")?,
        vex_status: row.try_get("vex_status")?,
        inherited: row
            .try_get::<Option<i64>, _>("a_inherited")?
            .map(|v| v != 0),
        review_required: row.try_get::<Option<i64>, _>("a_review")?.unwrap_or(0) != 0,
    })
}

/// The ids of components that have a finding of one of these vulnerabilities (row ids or
/// canonical ids), open or closed.
pub async fn components_with_vulnerabilities(
    tx: &mut Tx,
    vulnerability_ids: &[i64],
    canonical: &[String],
) -> Result<Vec<i64>, StoreError> {
    let operation = "find findings of vulnerabilities";
    let component = |row: &AnyRow| row.try_get::<i64, _>("component_id");
    let mut out = bulk::select_in(
        &mut *tx,
        "SELECT DISTINCT component_id FROM findings WHERE vulnerability_id",
        "",
        vulnerability_ids,
        operation,
        component,
    )
    .await?;
    out.extend(
        bulk::select_in(
            tx,
            "SELECT DISTINCT component_id FROM findings WHERE vulnerability",
            "",
            canonical,
            operation,
            component,
        )
        .await?,
    );
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Inserts new open findings first seen at `at`; returns their ids, in the order given.
pub async fn insert(
    tx: &mut Tx,
    findings: &[NewFinding],
    at: &str,
) -> Result<Vec<i64>, StoreError> {
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let digests: Vec<String> = findings.iter().map(|f| f.fields.digest()).collect();
    let rows: Vec<Vec<Value<'_>>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                Value::Int(f.product_id),
                Value::Int(f.release_id),
                Value::Int(f.component_id),
                Value::Text(&f.fields.vulnerability),
                Value::OptInt(f.fields.vulnerability_id),
                Value::Text(&f.fields.aliases),
                Value::OptText(f.fields.summary.as_deref()),
                Value::Text("open"),
                Value::Text(&f.fields.severity),
                Value::OptFloat(f.fields.score),
                Value::Text(&f.fields.severity_basis),
                Value::Int(i64::from(f.fields.kev)),
                Value::Text(&f.fields.confidence),
                Value::OptText(f.fields.matched_version.as_deref()),
                Value::Text(&f.fields.fixed_versions),
                Value::Text(&f.fields.reasons),
                Value::Text(at),
                Value::Text(at),
                Value::Text(&digests[i]),
            ]
        })
        .collect();
    let returned = bulk::insert_returning(
        tx,
        "INSERT INTO findings (product_id, release_id, component_id, vulnerability, \
         vulnerability_id, aliases, summary, state, severity, score, severity_basis, kev, \
         confidence, matched_version, fixed_versions, reasons, first_seen, last_seen, \
         match_digest)",
        19,
        "id, component_id, vulnerability",
        &rows,
        "insert findings",
    )
    .await?;
    let mut ids = std::collections::HashMap::with_capacity(returned.len());
    for row in &returned {
        let read = || -> Result<((i64, String), i64), sqlx::Error> {
            Ok((
                (row.try_get("component_id")?, row.try_get("vulnerability")?),
                row.try_get("id")?,
            ))
        };
        let (key, id) = read().map_err(StoreError::query("read new finding ids"))?;
        ids.insert(key, id);
    }
    findings
        .iter()
        .map(|f| {
            ids.get(&(f.component_id, f.fields.vulnerability.clone()))
                .copied()
                .ok_or_else(|| StoreError::Corrupt {
                    entity: "finding",
                    id: format!("{}/{}", f.component_id, f.fields.vulnerability),
                    field: "id",
                    message: "not returned by its insertion".into(),
                })
        })
        .collect()
}

/// Records that a match confirmed these findings at `at`.
pub async fn touch(tx: &mut Tx, ids: &[i64], at: &str) -> Result<(), StoreError> {
    let head = format!(
        "UPDATE findings SET last_seen = '{}' WHERE id",
        at.replace('\'', "")
    );
    bulk::execute_in(tx, &head, ids, "confirm findings").await?;
    Ok(())
}

/// Replaces what a match says about a finding (its canonical id included: a GHSA id that
/// learned its CVE), and reopens it if it was closed.
pub async fn update_match(
    tx: &mut Tx,
    id: i64,
    fields: &MatchFields,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE findings SET vulnerability_id = $2, aliases = $3, summary = $4, severity = $5, \
         score = $6, severity_basis = $7, kev = $8, confidence = $9, matched_version = $10, \
         fixed_versions = $11, reasons = $12, last_seen = $13, state = 'open', closed_at = NULL, \
         close_reason = NULL, vulnerability = $14, match_digest = $15 WHERE id = $1",
    )
    // Not cached: an optional float (see `bulk::insert_rows`).
    .persistent(false)
    .bind(id)
    .bind(fields.vulnerability_id)
    .bind(&fields.aliases)
    .bind(&fields.summary)
    .bind(&fields.severity)
    .bind(fields.score)
    .bind(&fields.severity_basis)
    .bind(i64::from(fields.kev))
    .bind(&fields.confidence)
    .bind(&fields.matched_version)
    .bind(&fields.fixed_versions)
    .bind(&fields.reasons)
    .bind(at)
    .bind(&fields.vulnerability)
    .bind(fields.digest())
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("update a finding"))?;
    Ok(())
}

/// Closes open findings, each with its reason, at `at`: (finding, reason).
pub async fn close_many(tx: &mut Tx, closes: &[(i64, String)], at: &str) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = closes
        .iter()
        .map(|(id, reason)| vec![Value::Int(*id), Value::Text(reason), Value::Text(at)])
        .collect();
    // `UPDATE … FROM (VALUES …)`: SQLite and PostgreSQL both name the columns column1….
    bulk::insert_rows(
        tx,
        "UPDATE findings SET state = 'closed', closed_at = v.column3, close_reason = v.column2, \
         last_seen = CASE WHEN (SELECT confirmed_at FROM match_state WHERE id = 1) > \
         findings.last_seen THEN (SELECT confirmed_at FROM match_state WHERE id = 1) \
         ELSE findings.last_seen END FROM (",
        3,
        ") AS v WHERE findings.id = v.column1 AND findings.state = 'open'",
        &rows,
        "close findings",
    )
    .await?;
    Ok(())
}

/// The last event of any finding's history (0 when none).
pub async fn last_event(tx: &mut Tx) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM finding_events")
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::query("read the last finding event"))?;
    row.try_get("id")
        .map_err(StoreError::query("read the last finding event"))
}

/// The findings a match changed (opened, changed, closed, reopened) after an event, and the
/// last event. Match runs write under the matcher's lock ([`begin_matching`]), so a run that
/// holds it sees every such event of the runs before.
pub async fn matched_since(tx: &mut Tx, event: i64) -> Result<(Vec<i64>, i64), StoreError> {
    let operation = "read the findings matched since";
    let rows =
        sqlx::query("SELECT id, finding_id, kind FROM finding_events WHERE id > $1 ORDER BY id")
            .bind(event)
            .fetch_all(tx.conn())
            .await
            .map_err(StoreError::query(operation))?;
    let mut ids = std::collections::BTreeSet::new();
    let mut last = event;
    for row in &rows {
        let read = || -> Result<(i64, i64, String), sqlx::Error> {
            Ok((
                row.try_get("id")?,
                row.try_get("finding_id")?,
                row.try_get("kind")?,
            ))
        };
        let (id, finding, kind) = read().map_err(StoreError::query(operation))?;
        last = last.max(id);
        if ["opened", "changed", "closed", "reopened"].contains(&kind.as_str()) {
            ids.insert(finding);
        }
    }
    Ok((ids.into_iter().collect(), last))
}

impl MatchFields {
    /// A digest of what the match says (every field, in order): a match run compares it with
    /// the stored one instead of reading the fields back.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut text = |value: Option<&str>| {
            match value {
                Some(value) => {
                    hasher.update((value.len() as u64).to_le_bytes());
                    hasher.update(value.as_bytes());
                }
                None => hasher.update(u64::MAX.to_le_bytes()),
            };
        };
        text(Some(&self.vulnerability));
        text(self.vulnerability_id.map(|id| id.to_string()).as_deref());
        text(Some(&self.aliases));
        text(self.summary.as_deref());
        text(Some(&self.severity));
        text(self.score.map(|s| s.to_bits().to_string()).as_deref());
        text(Some(&self.severity_basis));
        text(Some(if self.kev { "kev" } else { "" }));
        text(Some(&self.confidence));
        text(self.matched_version.as_deref());
        text(Some(&self.fixed_versions));
        text(Some(&self.reasons));
        hex::encode(&hasher.finalize()[..16])
    }
}

/// Takes the matcher's lock for the transaction (finding writers from several processes or
/// nodes queue behind it) and moves its generation on; returns the generation before. A
/// process whose in-memory copy of the findings was made at another generation reloads it.
pub async fn begin_matching(tx: &mut Tx) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "UPDATE match_state SET generation = generation + 1 WHERE id = 1 RETURNING generation",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("take the matcher's lock"))?;
    let generation: i64 = row
        .try_get("generation")
        .map_err(StoreError::query("take the matcher's lock"))?;
    Ok(generation - 1)
}

/// Records that a full match confirmed every open finding it did not change at `at` (one
/// row instead of one update per finding; see `last_seen` in [`FindingRow`]).
pub async fn confirm_all(tx: &mut Tx, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE match_state SET confirmed_at = $1 WHERE id = 1")
        .bind(at)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("confirm the findings"))?;
    Ok(())
}

/// What a match run needs of a stored finding: its identity, state and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRow {
    /// The finding.
    pub id: i64,
    /// The component.
    pub component_id: i64,
    /// The canonical id it was stored with.
    pub vulnerability: String,
    /// The stored vulnerability.
    pub vulnerability_id: Option<i64>,
    /// Whether it is open.
    pub open: bool,
    /// [`MatchFields::digest`], computed for rows stored before digests were kept.
    pub digest: String,
}

/// Which findings a match run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedSelection<'a> {
    /// Every finding.
    All,
    /// The findings of these components.
    Components(&'a [i64]),
    /// These findings.
    Ids(&'a [i64]),
}

/// Findings, open and closed, as a match run compares them.
pub async fn matched_rows(
    tx: &mut Tx,
    selection: MatchedSelection<'_>,
) -> Result<Vec<MatchedRow>, StoreError> {
    let operation = "read findings";
    let head = "SELECT id, component_id, vulnerability, vulnerability_id, state, match_digest \
                FROM findings";
    // The digest is read apart: rows stored before digests were kept have none.
    let read = |row: &AnyRow| -> Result<(MatchedRow, Option<String>), sqlx::Error> {
        let state: String = row.try_get("state")?;
        Ok((
            MatchedRow {
                id: row.try_get("id")?,
                component_id: row.try_get("component_id")?,
                vulnerability: row.try_get("vulnerability")?,
                vulnerability_id: row.try_get("vulnerability_id")?,
                open: state == "open",
                digest: String::new(),
            },
            row.try_get("match_digest")?,
        ))
    };
    let rows = match selection {
        MatchedSelection::All => sqlx::query(head)
            .fetch_all(tx.conn())
            .await
            .and_then(|rows| rows.iter().map(read).collect::<Result<Vec<_>, _>>())
            .map_err(StoreError::query(operation))?,
        MatchedSelection::Components(ids) => {
            bulk::select_in(
                &mut *tx,
                &format!("{head} WHERE component_id"),
                "",
                ids,
                operation,
                read,
            )
            .await?
        }
        MatchedSelection::Ids(ids) => {
            bulk::select_in(
                &mut *tx,
                &format!("{head} WHERE id"),
                "",
                ids,
                operation,
                read,
            )
            .await?
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut undigested: Vec<usize> = Vec::new();
    for (mut matched, digest) in rows {
        match digest {
            Some(digest) => matched.digest = digest,
            None => undigested.push(out.len()),
        }
        out.push(matched);
    }
    // Rows stored before digests were kept: computed once and written back.
    if !undigested.is_empty() {
        let ids: Vec<i64> = undigested.iter().map(|i| out[*i].id).collect();
        let fields = match_fields(tx, &ids).await?;
        for (position, (id, found, _)) in undigested.iter().zip(&fields) {
            let digest = found.digest();
            sqlx::query("UPDATE findings SET match_digest = $2 WHERE id = $1")
                .bind(*id)
                .bind(&digest)
                .execute(tx.conn())
                .await
                .map_err(StoreError::query("keep a finding's digest"))?;
            out[*position].digest = digest;
        }
    }
    Ok(out)
}

/// What the match says of some findings, and why closed ones were closed, in the order of
/// `ids`.
pub async fn match_fields(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<Vec<(i64, MatchFields, Option<String>)>, StoreError> {
    let operation = "read what findings matched";
    let rows = bulk::select_in(
        tx,
        "SELECT id, vulnerability, vulnerability_id, aliases, summary, severity, score, \
         severity_basis, kev, confidence, matched_version, fixed_versions, reasons, \
         close_reason FROM findings WHERE id",
        "",
        ids,
        operation,
        |row| -> Result<(i64, MatchFields, Option<String>), sqlx::Error> {
            Ok((
                row.try_get("id")?,
                MatchFields {
                    vulnerability: row.try_get("vulnerability")?,
                    vulnerability_id: row.try_get("vulnerability_id")?,
                    aliases: row.try_get("aliases")?,
                    summary: row.try_get("summary")?,
                    severity: row.try_get("severity")?,
                    score: row.try_get("score")?,
                    severity_basis: row.try_get("severity_basis")?,
                    kev: row.try_get::<i64, _>("kev")? != 0,
                    confidence: row.try_get("confidence")?,
                    matched_version: row.try_get("matched_version")?,
                    fixed_versions: row.try_get("fixed_versions")?,
                    reasons: row.try_get("reasons")?,
                },
                row.try_get("close_reason")?,
            ))
        },
    )
    .await?;
    let mut by_id: std::collections::HashMap<i64, (MatchFields, Option<String>)> = rows
        .into_iter()
        .map(|(id, fields, reason)| (id, (fields, reason)))
        .collect();
    ids.iter()
        .map(|id| {
            by_id
                .remove(id)
                .map(|(fields, reason)| (*id, fields, reason))
                .ok_or_else(|| StoreError::Corrupt {
                    entity: "finding",
                    id: id.to_string(),
                    field: "id",
                    message: "not found".into(),
                })
        })
        .collect()
}

/// A component as the matcher reads it: what identifies it for matching, with its release
/// and product. The CPE and hash lists are the stored JSON text (components that share them
/// are one identity, parsed once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherRow {
    /// The component.
    pub id: i64,
    /// Its SBOM.
    pub sbom_id: i64,
    /// Its release.
    pub release_id: i64,
    /// Its product.
    pub product_id: i64,
    /// Its position in the SBOM.
    pub position: i64,
    /// Name.
    pub name: String,
    /// Group.
    pub group: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
    /// Package key.
    pub package_key: Option<String>,
    /// CPEs, a JSON array.
    pub cpes: String,
    /// Hashes, a JSON array of `algorithm:value`.
    pub hashes: String,
}

impl MatcherRow {
    /// The CPEs.
    pub fn cpe_list(&self) -> Result<Vec<String>, StoreError> {
        crate::sbom::parse_list(&self.cpes, self.id, "cpes")
    }

    /// The hashes, as (algorithm, value).
    pub fn hash_list(&self) -> Result<Vec<(String, String)>, StoreError> {
        crate::sbom::parse_hashes(&self.hashes, self.id)
    }

    /// The name with its group, `group/name`.
    pub fn full_name(&self) -> String {
        crate::sbom::full_name(self.group.as_deref(), &self.name)
    }
}

/// Which components the matcher reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatcherSelection<'a> {
    /// The components of these SBOMs.
    Sboms(&'a [i64]),
    /// The components of one release.
    Release(i64),
    /// Components by id.
    Ids(&'a [i64]),
    /// Components whose package key is one of these.
    PackageKeys(&'a [String]),
    /// Components with CPEs (in these releases, or in every release with `None`).
    WithCpes(Option<&'a [i64]>),
}

/// Components as the matcher reads them, in release then document order.
pub async fn matcher_rows(
    tx: &mut Tx,
    selection: MatcherSelection<'_>,
) -> Result<Vec<MatcherRow>, StoreError> {
    let operation = "read the components to match";
    let base = "SELECT c.id, c.sbom_id, c.release_id, r.product_id, c.position, c.name, c.grp, \
                c.version, c.purl, c.package_key, c.cpes, c.hashes FROM components c \
                JOIN releases r ON r.id = c.release_id";
    let read = |row: &AnyRow| -> Result<MatcherRow, sqlx::Error> {
        Ok(MatcherRow {
            id: row.try_get("id")?,
            sbom_id: row.try_get("sbom_id")?,
            release_id: row.try_get("release_id")?,
            product_id: row.try_get("product_id")?,
            position: row.try_get("position")?,
            name: row.try_get("name")?,
            group: row.try_get("grp")?,
            version: row.try_get("version")?,
            purl: row.try_get("purl")?,
            package_key: row.try_get("package_key")?,
            cpes: row.try_get("cpes")?,
            hashes: row.try_get("hashes")?,
        })
    };
    let all = |rows: Vec<AnyRow>| rows.iter().map(read).collect::<Result<Vec<_>, _>>();
    let mut out = match selection {
        MatcherSelection::Release(id) => sqlx::query(&format!("{base} WHERE c.release_id = $1"))
            .bind(id)
            .fetch_all(tx.conn())
            .await
            .and_then(all)
            .map_err(StoreError::query(operation))?,
        MatcherSelection::WithCpes(None) => sqlx::query(&format!("{base} WHERE c.cpes <> '[]'"))
            .fetch_all(tx.conn())
            .await
            .and_then(all)
            .map_err(StoreError::query(operation))?,
        MatcherSelection::WithCpes(Some(releases)) => {
            let head = format!("{base} WHERE c.cpes <> '[]' AND c.release_id");
            bulk::select_in(tx, &head, "", releases, operation, read).await?
        }
        MatcherSelection::Sboms(ids) => {
            let head = format!("{base} WHERE c.sbom_id");
            bulk::select_in(tx, &head, "", ids, operation, read).await?
        }
        MatcherSelection::Ids(ids) => {
            let head = format!("{base} WHERE c.id");
            bulk::select_in(tx, &head, "", ids, operation, read).await?
        }
        MatcherSelection::PackageKeys(keys) => {
            let head = format!("{base} WHERE c.package_key");
            bulk::select_in(tx, &head, "", keys, operation, read).await?
        }
    };
    out.sort_by_key(|row| (row.release_id, row.position));
    Ok(out)
}

const MATCHER_ALL: &str = "SELECT c.id, c.sbom_id, c.release_id, r.product_id, c.position, \
     c.name, c.grp, c.version, c.purl, c.package_key, c.cpes, c.hashes FROM components c \
     JOIN releases r ON r.id = c.release_id ORDER BY c.release_id, c.position";
const MATCHED_ALL: &str =
    "SELECT id, component_id, vulnerability, vulnerability_id, state, match_digest FROM findings";

/// Every component as the matcher reads it, through rusqlite: sqlx's SQLite driver costs
/// about ten times as much per row, which a server's first load of a large workspace feels
/// (see `audit::scan_sqlite`). Blocking: call it from `spawn_blocking`.
pub fn all_matcher_rows_sqlite(file: &std::path::Path) -> Result<Vec<MatcherRow>, StoreError> {
    let failed = |source: rusqlite::Error| StoreError::Scan {
        operation: "read the components to match",
        message: source.to_string(),
    };
    let connection = open_read_only(file).map_err(failed)?;
    let mut statement = connection.prepare(MATCHER_ALL).map_err(failed)?;
    let rows = statement
        .query_map([], |row| {
            Ok(MatcherRow {
                id: row.get(0)?,
                sbom_id: row.get(1)?,
                release_id: row.get(2)?,
                product_id: row.get(3)?,
                position: row.get(4)?,
                name: row.get(5)?,
                group: row.get(6)?,
                version: row.get(7)?,
                purl: row.get(8)?,
                package_key: row.get(9)?,
                cpes: row.get(10)?,
                hashes: row.get(11)?,
            })
        })
        .map_err(failed)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(failed)
}

/// Every finding as a match run compares it, through rusqlite (see
/// [`all_matcher_rows_sqlite`]); a finding stored without a digest has an empty one.
pub fn all_matched_rows_sqlite(file: &std::path::Path) -> Result<Vec<MatchedRow>, StoreError> {
    let failed = |source: rusqlite::Error| StoreError::Scan {
        operation: "read findings",
        message: source.to_string(),
    };
    let connection = open_read_only(file).map_err(failed)?;
    let mut statement = connection.prepare(MATCHED_ALL).map_err(failed)?;
    let rows = statement
        .query_map([], |row| {
            let state: String = row.get(4)?;
            Ok(MatchedRow {
                id: row.get(0)?,
                component_id: row.get(1)?,
                vulnerability: row.get(2)?,
                vulnerability_id: row.get(3)?,
                open: state == "open",
                digest: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
            })
        })
        .map_err(failed)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(failed)
}

fn open_read_only(file: &std::path::Path) -> Result<rusqlite::Connection, rusqlite::Error> {
    use rusqlite::OpenFlags;
    rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Every component as the matcher reads it, on a native PostgreSQL connection (the `Any`
/// driver's per-row cost is several times higher).
pub async fn all_matcher_rows_postgres(
    store: &crate::Store,
) -> Result<Vec<MatcherRow>, StoreError> {
    use sqlx::Connection;
    let operation = "read the components to match";
    let mut connection = sqlx::postgres::PgConnection::connect(store.url())
        .await
        .map_err(StoreError::query(operation))?;
    let rows = sqlx::query(MATCHER_ALL)
        .fetch_all(&mut connection)
        .await
        .map_err(StoreError::query(operation))?;
    rows.iter()
        .map(|row| -> Result<MatcherRow, sqlx::Error> {
            Ok(MatcherRow {
                id: row.try_get(0)?,
                sbom_id: row.try_get(1)?,
                release_id: row.try_get(2)?,
                product_id: row.try_get(3)?,
                position: row.try_get(4)?,
                name: row.try_get(5)?,
                group: row.try_get(6)?,
                version: row.try_get(7)?,
                purl: row.try_get(8)?,
                package_key: row.try_get(9)?,
                cpes: row.try_get(10)?,
                hashes: row.try_get(11)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::query(operation))
}

/// Every finding as a match run compares it, on a native PostgreSQL connection; a finding
/// stored without a digest has an empty one.
pub async fn all_matched_rows_postgres(
    store: &crate::Store,
) -> Result<Vec<MatchedRow>, StoreError> {
    use sqlx::Connection;
    let operation = "read findings";
    let mut connection = sqlx::postgres::PgConnection::connect(store.url())
        .await
        .map_err(StoreError::query(operation))?;
    let rows = sqlx::query(MATCHED_ALL)
        .fetch_all(&mut connection)
        .await
        .map_err(StoreError::query(operation))?;
    rows.iter()
        .map(|row| -> Result<MatchedRow, sqlx::Error> {
            let state: String = row.try_get(4)?;
            Ok(MatchedRow {
                id: row.try_get(0)?,
                component_id: row.try_get(1)?,
                vulnerability: row.try_get(2)?,
                vulnerability_id: row.try_get(3)?,
                open: state == "open",
                digest: row.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::query(operation))
}

/// Whether any component is stored.
pub async fn has_components(tx: &mut Tx) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT id FROM components LIMIT 1) c",
    )
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("look for components"))?;
    let count: i64 = row
        .try_get("n")
        .map_err(StoreError::query("look for components"))?;
    Ok(count > 0)
}

/// Every SBOM's id.
pub async fn sbom_ids(tx: &mut Tx) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query("SELECT id FROM sboms")
        .fetch_all(tx.conn())
        .await
        .map_err(StoreError::query("list SBOMs"))?;
    rows.iter()
        .map(|row| row.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list SBOMs"))
}

/// An event of a finding's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingEvent {
    /// The id (0 before insertion).
    pub id: i64,
    /// The finding.
    pub finding_id: i64,
    /// When.
    pub at: String,
    /// `opened`, `changed`, `closed`, `reopened`, `assessed` …
    pub kind: String,
    /// What, as JSON.
    pub detail: String,
    /// Who.
    pub actor: String,
}

/// Logs events of findings.
pub async fn insert_events(tx: &mut Tx, events: &[FindingEvent]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value<'_>>> = events
        .iter()
        .map(|e| {
            vec![
                Value::Int(e.finding_id),
                Value::Text(&e.at),
                Value::Text(&e.kind),
                Value::Text(&e.detail),
                Value::Text(&e.actor),
            ]
        })
        .collect();
    bulk::insert_rows(
        tx,
        "INSERT INTO finding_events (finding_id, at, kind, detail, actor)",
        5,
        "",
        &rows,
        "log finding events",
    )
    .await?;
    Ok(())
}

/// The history of a finding, oldest first.
pub async fn events_of(
    executor: impl sqlx::any::AnyExecutor<'_>,
    finding_id: i64,
) -> Result<Vec<FindingEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, finding_id, at, kind, detail, actor FROM finding_events \
         WHERE finding_id = $1 ORDER BY id",
    )
    .bind(finding_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("read a finding's history"))?;
    rows.iter()
        .map(|row| {
            Ok(FindingEvent {
                id: row.try_get("id")?,
                finding_id: row.try_get("finding_id")?,
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                detail: row.try_get("detail")?,
                actor: row.try_get("actor")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("read a finding's history"))
}

/// A finding by id.
pub async fn by_id(
    executor: impl sqlx::any::AnyExecutor<'_>,
    id: i64,
) -> Result<Option<FindingRow>, StoreError> {
    let sql = format!("{FINDING_SELECT} WHERE f.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a finding"))?;
    row.as_ref()
        .map(finding_from_row)
        .transpose()
        .map_err(StoreError::query("find a finding"))
}

/// Filters of a finding list; `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    /// One product.
    pub product_id: Option<i64>,
    /// One release.
    pub release_id: Option<i64>,
    /// These severities.
    pub severities: Vec<String>,
    /// Only KEV (true) or only not KEV (false).
    pub kev: Option<bool>,
    /// `open` or `closed`.
    pub state: Option<String>,
    /// One vulnerability (canonical id).
    pub vulnerability: Option<String>,
    /// Findings whose component name, purl or vulnerability contains this text.
    pub search: Option<String>,
    /// `unassessed`, `assessed` (and not needing a re-review), `needs_review`, or a VEX
    /// status of the decision that applies.
    pub assessment: Option<String>,
}

/// A page of findings (most severe first, then vulnerability, product, release, component)
/// and the count of all that match the filter.
pub async fn list(
    pool: &sqlx::AnyPool,
    filter: &FindingFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<FindingRow>, i64), StoreError> {
    let mut conditions = vec!["1 = 1".to_string()];
    let mut texts: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
    // Integers first, then texts, so the placeholders can be numbered in order.
    if let Some(id) = filter.product_id {
        ints.push(id);
        conditions.push(format!("f.product_id = ${}", ints.len()));
    }
    if let Some(id) = filter.release_id {
        ints.push(id);
        conditions.push(format!("f.release_id = ${}", ints.len()));
    }
    if let Some(kev) = filter.kev {
        ints.push(i64::from(kev));
        conditions.push(format!("f.kev = ${}", ints.len()));
    }
    let base = ints.len();
    if !filter.severities.is_empty() {
        let mut marks = Vec::new();
        for severity in &filter.severities {
            texts.push(severity.clone());
            marks.push(format!("${}", base + texts.len()));
        }
        conditions.push(format!("f.severity IN ({})", marks.join(", ")));
    }
    if let Some(state) = &filter.state {
        texts.push(state.clone());
        conditions.push(format!("f.state = ${}", base + texts.len()));
    }
    if let Some(vulnerability) = &filter.vulnerability {
        texts.push(vulnerability.clone());
        conditions.push(format!("f.vulnerability = ${}", base + texts.len()));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        texts.push(format!("%{}%", search.trim().to_lowercase()));
        let mark = format!("${}", base + texts.len());
        conditions.push(format!(
            "(LOWER(c.name) LIKE {mark} OR LOWER(COALESCE(c.purl, '')) LIKE {mark} \
             OR LOWER(f.vulnerability) LIKE {mark} OR LOWER(f.aliases) LIKE {mark})"
        ));
    }
    match filter.assessment.as_deref() {
        None => {}
        Some("unassessed") => conditions.push("a.finding_id IS NULL".into()),
        Some("needs_review") => conditions.push("a.review_required = 1".into()),
        Some("assessed") => {
            conditions.push("a.finding_id IS NOT NULL AND a.review_required = 0".into())
        }
        Some(status) => {
            texts.push(status.to_string());
            conditions.push(format!(
                "d.status = ${} AND a.review_required = 0",
                base + texts.len()
            ));
        }
    }
    let filter_sql = conditions.join(" AND ");
    let order = "ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 \
                 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 WHEN 'none' THEN 4 ELSE 5 END, \
                 f.kev DESC, f.vulnerability, p.name, f.release_id, c.name, f.id";
    let n = base + texts.len();
    let sql = format!(
        "{FINDING_SELECT} WHERE {filter_sql} {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query(&sql);
    for value in &ints {
        query = query.bind(*value);
    }
    for value in &texts {
        query = query.bind(value.as_str());
    }
    let rows = query
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list findings"))?;
    let count_sql = format!(
        "SELECT COUNT(*) AS n FROM findings f JOIN products p ON p.id = f.product_id \
         JOIN components c ON c.id = f.component_id \
         LEFT JOIN assessments a ON a.finding_id = f.id \
         LEFT JOIN decisions d ON d.id = a.decision_id WHERE {filter_sql}"
    );
    let mut count = sqlx::query(&count_sql);
    for value in &ints {
        count = count.bind(*value);
    }
    for value in &texts {
        count = count.bind(value.as_str());
    }
    let total: i64 = count
        .fetch_one(pool)
        .await
        .and_then(|row| row.try_get("n"))
        .map_err(StoreError::query("count findings"))?;
    let findings = rows
        .iter()
        .map(finding_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("list findings"))?;
    Ok((findings, total))
}

/// Counts of open findings per severity, for one product or all.
pub async fn open_counts(
    pool: &sqlx::AnyPool,
    product_id: Option<i64>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT severity, COUNT(*) AS n FROM findings WHERE state = 'open' \
         AND ($1 IS NULL OR product_id = $1) GROUP BY severity",
    )
    .bind(product_id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("count findings"))?;
    rows.iter()
        .map(|row| Ok((row.try_get("severity")?, row.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("count findings"))
}
