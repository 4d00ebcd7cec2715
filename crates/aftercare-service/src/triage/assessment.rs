//! Triage of findings: assessments, their reach across releases and products, exploitability
//! signals, and the signed FDA determination.
//!
//! An analyst's **decision** about a finding holds the VEX statement (status, justification,
//! impact, responses, action), the device-context CVSS vector (typed, or answered through the
//! MITRE/MDIC rubric), the patient-harm side (ISO 14971 severity, safety and essential
//! performance, compensating controls) and its **scope**: this finding only, every release of
//! the product, or every product — for the same component (package) and the versions the
//! decision covers (`=4.17.19` by default: the version it was made on). A decision reaches
//! the other open findings of its scope at once, and every finding a later import or sync
//! opens: inside the versions it is inherited, outside it the finding is flagged for a
//! re-review. A decision made on a finding itself always wins over an inherited one.
//!
//! When the harm side is given, the **determination** of the product and the vulnerability
//! is made with the policy (exploitability from KEV, EPSS and the vector's exploit maturity;
//! the policy's matrix; an override only with a rationale), stored with its canonical inputs,
//! signed when the workspace requires it (the default), and told to the regulatory case —
//! which starts the clocks.

use std::collections::BTreeMap;

use aftercare_model::{PackageKey, Permission, Purl, Severity};
use aftercare_risk::{
    CompensatingControl, EpssSignal, Event, EventKind, ExploitMaturity, ExploitabilityAssessment,
    ExploitabilitySignals, ExportedStatement, HarmSeverity, Justification, KevSignal, Override,
    PatchPath, PatientHarm, Policy, Response, RiskClass, Rubric, VexStatement, VexStatus,
};
use aftercare_store::assessment::{
    self as stored, AssessmentRow, DecisionRow, DeterminationRow, Reachable,
};
use aftercare_store::finding::{self as findings, FindingEvent, FindingRow};
use aftercare_store::intel;
use aftercare_version::{Bounds, Scheme};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{case, policy};
use crate::access::auth::{AccessSettings, Principal};
use crate::access::signature::{self, SignRequest, Signable, VerifiedSigner};
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// A compensating control as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlInput {
    /// What it is.
    pub description: String,
    /// Where the evidence is.
    pub evidence: String,
    /// Whether it prevents or substantially hinders exploitation.
    pub effective: bool,
}

/// An assessment as people and clients enter it.
#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    /// One of the nine CycloneDX justifications (for `not_affected`).
    pub justification: Option<String>,
    /// Why the product is not affected, in words.
    pub impact_statement: Option<String>,
    /// `can_not_fix`, `will_not_fix`, `update`, `rollback`, `workaround_available`.
    pub responses: Vec<String>,
    /// What users should do, in words.
    pub action_statement: Option<String>,
    /// Notes.
    pub details: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// `finding` (default), `product` or `portfolio`.
    pub scope: Option<String>,
    /// The versions of the component the decision covers (default: exactly the finding's).
    pub versions: Option<String>,
    /// The CVSS vector rescored for the device.
    pub cvss_vector: Option<String>,
    /// The MITRE/MDIC rubric's extended vector of answers (gives the vector when none is
    /// typed).
    pub rubric: Option<String>,
    /// ISO 14971 harm severity: with it, the determination is made.
    pub harm: Option<String>,
    /// Whether the device's safety and essential performance is affected (default: yes when
    /// harm is given). FDA's final 2016 guidance; the January 2016 draft called it "essential
    /// clinical performance".
    pub safety_and_essential_performance_affected: Option<bool>,
    /// Compensating controls.
    pub controls: Vec<ControlInput>,
    /// An override of the determination's outcome (`controlled`, `uncontrolled`).
    pub override_risk: Option<String>,
    /// The override's written rationale.
    pub override_rationale: Option<String>,
}

/// What an assessment did.
#[derive(Debug, Clone, Default)]
pub struct AssessOutcome {
    /// The decisions made, one per finding assessed.
    pub decisions: Vec<i64>,
    /// Other findings that inherited a decision.
    pub inherited: Vec<i64>,
    /// Other findings flagged for a re-review.
    pub flagged: Vec<i64>,
    /// The determinations made.
    pub determinations: Vec<DeterminationRow>,
    /// What aftercare added or the reader should know, in words: an action statement it
    /// generated for an `affected` statement, controls that lowered nothing.
    pub notes: Vec<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, message)
}

/// The identity a decision follows across releases: the package key, else the name.
pub fn component_key(purl: Option<&str>, group: Option<&str>, name: &str) -> String {
    if let Some(key) = purl
        .and_then(|p| p.parse::<Purl>().ok())
        .as_ref()
        .and_then(PackageKey::from_purl)
    {
        return key.to_string();
    }
    format!("name:{}", aftercare_store::sbom::full_name(group, name))
}

fn scheme_of(purl: Option<&str>) -> Scheme {
    purl.and_then(|p| p.parse::<Purl>().ok())
        .and_then(|p| Scheme::from_purl_type(p.ty()))
        .unwrap_or(Scheme::Generic)
}

/// Checks a version range in a component's scheme (the rule is [`Bounds`]'s).
fn check_versions(versions: &str, purl: Option<&str>) -> Result<(), ServiceError> {
    Bounds::parse(scheme_of(purl), versions)
        .map(drop)
        .map_err(|e| ServiceError::rule("versions", e))
}

/// Whether a version lies in a range (`*`: any version; unknown versions never do).
pub fn in_range(versions: &str, version: Option<&str>, purl: Option<&str>) -> bool {
    Bounds::parse(scheme_of(purl), versions).is_ok_and(|bounds| bounds.contains_text(version))
}

fn parse_list<T: std::str::FromStr>(
    field: &'static str,
    values: &[String],
) -> Result<Vec<T>, ServiceError>
where
    T::Err: Into<crate::RuleError>,
{
    values
        .iter()
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|e| ServiceError::rule(field, e))
        })
        .collect()
}

/// The checked parts of an input, shared by every finding it is applied to.
struct Checked {
    vex: VexStatement,
    scope: &'static str,
    cvss_vector: Option<String>,
    cvss_score: Option<f64>,
    rubric_vector: Option<String>,
    harm: Option<PatientHarm>,
    override_: Option<Override>,
}

fn check(input: &AssessmentInput) -> Result<Checked, ServiceError> {
    let status: VexStatus = input
        .status
        .trim()
        .parse()
        .map_err(|e| ServiceError::rule("status", e))?;
    let justification: Option<Justification> = input
        .justification
        .as_deref()
        .filter(|j| !j.trim().is_empty())
        .map(|j| {
            j.trim()
                .parse()
                .map_err(|e| ServiceError::rule("justification", e))
        })
        .transpose()?;
    let responses: Vec<Response> = parse_list("response", &input.responses)?;
    let vex = VexStatement::new(
        status,
        justification,
        input.impact_statement.as_deref(),
        &responses,
        input.action_statement.as_deref(),
    )
    .map_err(|e| ServiceError::rule("assessment", e))?;
    let scope = match input.scope.as_deref().map(str::trim) {
        None | Some("") | Some("finding") => "finding",
        Some("product") => "product",
        Some("portfolio") => "portfolio",
        Some(other) => {
            return Err(invalid(
                "scope",
                format!("{other:?}: expected finding, product or portfolio"),
            ));
        }
    };
    let mut rubric_vector = None;
    let mut cvss_vector = input
        .cvss_vector
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    if let Some(extended) = input.rubric.as_deref().filter(|r| !r.trim().is_empty()) {
        let rubric = Rubric::mitre_2020().map_err(|e| ServiceError::rule("rubric", e))?;
        let answers = aftercare_risk::parse_extended_vector(&rubric, extended.trim())
            .map_err(|e| ServiceError::rule("rubric", e))?;
        let result = aftercare_risk::answer(&rubric, &answers)
            .map_err(|e| ServiceError::rule("rubric", e))?;
        rubric_vector = Some(result.extended_vector);
        if cvss_vector.is_none() {
            cvss_vector = Some(result.base_vector);
        }
    }
    let cvss_score = match &cvss_vector {
        Some(vector) => Some(
            aftercare_cvss::parse(vector)
                .map_err(|e| ServiceError::rule("cvss vector", e))?
                .score(),
        ),
        None => None,
    };
    let harm = match input.harm.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(harm) => {
            let severity: HarmSeverity = harm
                .trim()
                .parse()
                .map_err(|e| ServiceError::rule("harm", e))?;
            let controls = input
                .controls
                .iter()
                .map(|c| {
                    CompensatingControl::new(&c.description, &c.evidence, c.effective)
                        .map_err(|e| ServiceError::rule("control", e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(PatientHarm {
                severity,
                safety_and_essential_performance_affected: input
                    .safety_and_essential_performance_affected
                    .unwrap_or(true),
                compensating_controls: controls,
            })
        }
        None => {
            if !input.controls.is_empty() || input.override_risk.is_some() {
                return Err(invalid(
                    "harm",
                    "compensating controls and an override belong to a determination: give the harm severity too",
                ));
            }
            None
        }
    };
    let override_ = match input
        .override_risk
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        Some(risk) => {
            let risk: RiskClass = risk
                .trim()
                .parse()
                .map_err(|e| ServiceError::rule("override", e))?;
            Some(Override::new(
                risk,
                input.override_rationale.as_deref().unwrap_or_default(),
            ))
        }
        None => None,
    };
    Ok(Checked {
        vex,
        scope,
        cvss_vector,
        cvss_score,
        rubric_vector,
        harm,
        override_,
    })
}

/// The exploitability signals of a vulnerability: KEV, EPSS (with its history) and the
/// exploit maturity of a device-context vector.
pub async fn signals(
    workspace: &Workspace,
    finding: &FindingRow,
    vector: Option<&str>,
) -> Result<ExploitabilitySignals, ServiceError> {
    let pool = workspace.store().pool();
    let mut ids: Vec<String> = vec![finding.vulnerability.clone()];
    ids.extend(serde_json::from_str::<Vec<String>>(&finding.aliases).unwrap_or_default());
    let cves: Vec<&String> = ids.iter().filter(|id| id.starts_with("CVE-")).collect();
    let mut out = ExploitabilitySignals::default();
    for cve in &cves {
        if out.kev.is_none()
            && let Some(entry) = intel::kev_entry(pool, cve).await?
            && let Some(date) = entry.date_added.as_deref().and_then(|d| d.parse().ok())
        {
            out.kev = Some(KevSignal {
                date_added: date,
                known_ransomware_use: entry
                    .ransomware
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case("known")),
            });
        }
        if out.epss.is_none()
            && let Some(score) = intel::epss_score(pool, cve).await?
            && let Ok(date) = score.score_date.get(..10).unwrap_or("").parse()
        {
            let history: Vec<(jiff::civil::Date, f64)> = intel::epss_history(pool, cve)
                .await?
                .into_iter()
                .filter_map(|row| Some((row.score_date.get(..10)?.parse().ok()?, row.epss)))
                .collect();
            out.epss = EpssSignal::new(score.epss, score.percentile, date, &history).ok();
        }
    }
    if let Some(vector) = vector {
        out.exploit_maturity = ExploitMaturity::from_vector(vector).ok().flatten();
    }
    // The CVSS exploitability metrics: the device-context vector when assessed, else the
    // base vector the finding's severity came from.
    let base = serde_json::from_str::<Value>(&finding.severity_basis)
        .ok()
        .and_then(|basis| basis.get("vector")?.as_str().map(str::to_string));
    out.cvss = aftercare_risk::exploitability::CvssSignal::choose(vector, base.as_deref());
    if let Some(id) = finding.vulnerability_id {
        let rows: Vec<i64> = intel::records_of(pool, id)
            .await?
            .iter()
            .map(|attached| attached.record.id)
            .collect();
        let records = crate::intel::lookup::reread(workspace, &rows).await?;
        out.public_exploit_references =
            u32::try_from(exploit_references(records.records.values())).unwrap_or(u32::MAX);
    }
    Ok(out)
}

/// How many distinct public exploit references some records give: links tagged as an
/// exploit (OSV `EXPLOIT`, NVD and CVE 5 `Exploit` / `exploit`) or pointing at an exploit
/// archive (Exploit-DB, Packet Storm, Metasploit modules).
pub fn exploit_references<'a>(
    records: impl IntoIterator<Item = &'a aftercare_intel::Record>,
) -> usize {
    const ARCHIVES: [&str; 4] = [
        "exploit-db.com/",
        "packetstormsecurity.com/files/",
        "github.com/rapid7/metasploit-framework/",
        "metasploit.com/modules/",
    ];
    let mut urls = std::collections::BTreeSet::new();
    for record in records {
        for reference in &record.references {
            let tagged = reference
                .tags
                .iter()
                .any(|tag| tag.eq_ignore_ascii_case("exploit"));
            let archived = ARCHIVES.iter().any(|a| reference.url.contains(a));
            if tagged || archived {
                urls.insert(reference.url.trim_end_matches('/').to_string());
            }
        }
    }
    urls.len()
}

/// Assesses findings with one input (bulk when several), as a person or a client with
/// `finding.assess`; with a harm severity, makes and (when required) signs the
/// determination of each (product, vulnerability).
pub async fn assess(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    finding_ids: &[i64],
    input: &AssessmentInput,
    sign: Option<&SignRequest>,
    now: Timestamp,
) -> Result<AssessOutcome, ServiceError> {
    principal.require(Permission::FindingAssess)?;
    if finding_ids.is_empty() {
        return Err(invalid("findings", "name at least one finding"));
    }
    let checked = check(input)?;
    let pool = workspace.store().pool();
    let mut rows = Vec::new();
    for id in finding_ids {
        let row = findings::by_id(pool, *id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "finding",
                key: id.to_string(),
            })?;
        let versions = match input.versions.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => row
                .component_version
                .as_ref()
                .map_or_else(|| "*".to_string(), |v| format!("={v}")),
        };
        check_versions(&versions, row.component_purl.as_deref())?;
        rows.push((row, versions));
    }
    let current = policy::current(workspace).await?;
    let policy = &current.policy;

    // The determinations, one per (product, vulnerability), computed and — when the
    // workspace requires it — their signers verified before anything is written. The signer
    // is verified first: a compensating control counts only once a person verified it, and
    // the signer of the determination (a person; tokens cannot sign) is that person.
    let settings = AccessSettings::load(workspace).await?;
    let signing = settings
        .signature_required_for
        .iter()
        .any(|a| a == "determination");
    let mut planned: BTreeMap<(i64, String), (aftercare_risk::Determination, &FindingRow)> =
        BTreeMap::new();
    let mut signers: BTreeMap<(i64, String), VerifiedSigner> = BTreeMap::new();
    let mut outcome_notes = Vec::new();
    if let Some(harm) = &checked.harm {
        for (row, _) in &rows {
            let key = (row.product_id, row.vulnerability.clone());
            if planned.contains_key(&key) {
                continue;
            }
            let signer = if signing {
                let request = sign.ok_or_else(|| ServiceError::SignatureRefused {
                    reason: "a determination requires your electronic signature".into(),
                })?;
                // Verifying needs the record's kind, name and author; its content is bound
                // when the signature is recorded, once the verified controls are in it.
                let signable = Signable {
                    entity_type: "determination",
                    entity_id: format!("{}/{}", row.product, row.vulnerability),
                    content: &[],
                    author_account_id: Some(principal.account_id),
                };
                Some(
                    signature::verify_signer(
                        workspace, context, principal, &signable, request, now,
                    )
                    .await?,
                )
            } else {
                None
            };
            let harm = verified(harm, signer.as_ref())?;
            let signals = signals(workspace, row, checked.cvss_vector.as_deref()).await?;
            let exploitability = aftercare_risk::assess_exploitability(policy, &signals);
            let determination = aftercare_risk::determine(
                policy,
                &exploitability,
                &harm,
                checked.override_.clone(),
            )
            .map_err(|e| ServiceError::rule("determination", e))?;
            planned.insert(key.clone(), (determination, row));
            if let Some(signer) = signer {
                signers.insert(key, signer);
            }
        }
    }

    if !signing
        && checked
            .harm
            .as_ref()
            .is_some_and(|h| h.compensating_controls.iter().any(|c| c.effective()))
    {
        outcome_notes.push(
            "the determination is not signed, so nobody verified its compensating controls: \
             they lower nothing"
                .to_string(),
        );
    }

    // VEX coherence: `not_affected` cannot stand beside an uncontrolled determination of the
    // same product and vulnerability — the one this assessment makes, else the latest stored.
    if checked.vex.status() == VexStatus::NotAffected {
        for (row, _) in &rows {
            let key = (row.product_id, row.vulnerability.clone());
            let determination = match planned.get(&key) {
                Some((made, _)) => Some((
                    made.outcome(),
                    format!(
                        "the determination this assessment makes for {} and {}",
                        row.product, row.vulnerability
                    ),
                )),
                None => stored::determinations(pool, row.product_id, &row.vulnerability)
                    .await?
                    .first()
                    .map(|latest| {
                        (
                            latest
                                .outcome
                                .parse::<RiskClass>()
                                .unwrap_or(RiskClass::Uncontrolled),
                            format!(
                                "determination {} of {} for {} (made {} by {})",
                                latest.id,
                                row.product,
                                row.vulnerability,
                                latest.created_at,
                                latest.created_by
                            ),
                        )
                    }),
            };
            aftercare_risk::check_against_determination(
                checked.vex.status(),
                determination
                    .as_ref()
                    .map(|(risk, named)| (*risk, named.as_str())),
            )
            .map_err(|e| ServiceError::rule("status", e))?;
        }
    }

    let at = aftercare_store::timestamp_text(now);
    let actor = context.actor.to_string();
    let mut outcome = AssessOutcome {
        notes: outcome_notes,
        ..AssessOutcome::default()
    };
    let mut tx = workspace.store().begin().await?;
    let mut events = Vec::new();
    let mut decision_of: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for (row, versions) in &rows {
        // An `affected` statement carries an action statement (CISA's minimum requirements;
        // OpenVEX and SPDX 3: it MUST): the one written, else the one generated from the
        // responses and the version that fixes this finding — stored, and said so.
        let (action_statement, action_statement_generated) = match checked.vex.action_statement() {
            Some(written) => (Some(written.to_string()), false),
            None if checked.vex.status() == VexStatus::Affected => {
                let fixed = fixed_version(row);
                let generated =
                    aftercare_risk::action_statement(checked.vex.responses(), fixed.as_deref());
                if let Some(text) = &generated {
                    let from = match fixed.as_deref() {
                        Some(version) => format!("the response and the fixed version {version}"),
                        None => "the response".to_string(),
                    };
                    outcome.notes.push(format!(
                        "finding {}: no action statement was written for this affected \
                         statement; aftercare generated one from {from}: {text:?}",
                        row.id
                    ));
                }
                let made = generated.is_some();
                (generated, made)
            }
            None => (None, false),
        };
        // The controls as the determination considered them (verified by its signer), else
        // as entered.
        let controls: Vec<CompensatingControl> =
            match planned.get(&(row.product_id, row.vulnerability.clone())) {
                Some((determination, _)) => determination.compensating_controls().to_vec(),
                None => checked
                    .harm
                    .as_ref()
                    .map(|h| h.compensating_controls.clone())
                    .unwrap_or_default(),
            };
        let decision = DecisionRow {
            id: 0,
            finding_id: row.id,
            scope: checked.scope.to_string(),
            product_id: row.product_id,
            vulnerability: row.vulnerability.clone(),
            component_key: component_key(row.component_purl.as_deref(), None, &row.component_name),
            versions: versions.clone(),
            status: checked.vex.status().as_str().to_string(),
            justification: checked.vex.justification().map(|j| j.as_str().to_string()),
            impact_statement: checked.vex.impact_statement().map(str::to_string),
            responses: json!(
                checked
                    .vex
                    .responses()
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
            )
            .to_string(),
            action_statement,
            action_statement_generated,
            details: input
                .details
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            assignee: input
                .assignee
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            cvss_vector: checked.cvss_vector.clone(),
            cvss_score: checked.cvss_score,
            rubric_vector: checked.rubric_vector.clone(),
            harm_severity: checked
                .harm
                .as_ref()
                .map(|h| h.severity.as_str().to_string()),
            // Stored in the `ecp_affected` column, named after the draft guidance's term.
            ecp_affected: checked
                .harm
                .as_ref()
                .map(|h| h.safety_and_essential_performance_affected),
            controls: controls_json(&controls).to_string(),
            created_at: at.clone(),
            created_by: actor.clone(),
        };
        let previous = stored::assessment(tx.conn(), row.id).await?;
        let decision_id = stored::insert_decision(&mut tx, &decision).await?;
        decision_of.insert((row.product_id, row.vulnerability.clone()), decision_id);
        stored::put_assessment(
            &mut tx,
            &AssessmentRow {
                finding_id: row.id,
                decision_id,
                inherited: false,
                review_required: false,
                review_reason: None,
                updated_at: at.clone(),
            },
        )
        .await?;
        let summary = decision_json(&decision);
        events.push(FindingEvent {
            id: 0,
            finding_id: row.id,
            at: at.clone(),
            kind: "assessed".into(),
            detail: json!({"decision": decision_id, "assessment": summary, "replaces": previous.map(|p| p.decision_id)}).to_string(),
            actor: actor.clone(),
        });
        audit::record(
            &mut tx,
            context,
            Change {
                action: AuditAction::FindingAssess,
                entity_type: "finding",
                entity_id: Some(row.id.to_string()),
                old_value: None,
                new_value: Some(json!({"decision": decision_id, "assessment": summary})),
            },
        )
        .await?;
        outcome.decisions.push(decision_id);
        if checked.scope != "finding" {
            let product = (checked.scope == "product").then_some(row.product_id);
            let reachable = stored::reachable(&mut tx, &row.vulnerability, product).await?;
            let assessed: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
            for other in reachable {
                if other.finding_id == row.id
                    || assessed.contains(&other.finding_id)
                    || other.assessed_directly
                {
                    continue;
                }
                if let Some(event) =
                    reach(&mut tx, &decision, decision_id, &other, &at, &actor).await?
                {
                    if event.kind == "inherited" {
                        outcome.inherited.push(other.finding_id);
                    } else {
                        outcome.flagged.push(other.finding_id);
                    }
                    events.push(event);
                }
            }
        }
    }
    findings::insert_events(&mut tx, &events).await?;

    for ((product_id, vulnerability), (determination, row)) in &planned {
        let kev = row.kev;
        let severity: Severity = row.severity.parse().unwrap_or(Severity::Unknown);
        let patch = aftercare_risk::patch_path(policy, determination.outcome(), kev, severity);
        let mut record = DeterminationRow {
            id: 0,
            product_id: *product_id,
            vulnerability: vulnerability.clone(),
            decision_id: decision_of
                .get(&(*product_id, vulnerability.clone()))
                .copied(),
            outcome: determination.outcome().as_str().to_string(),
            computed: determination.computed().as_str().to_string(),
            exploitability_level: determination.exploitability_level().id().to_string(),
            exploitability_reasons: json!(
                determination
                    .exploitability_reasons()
                    .iter()
                    .map(|r| json!({"rule": r.rule, "level": r.level, "detail": r.detail}))
                    .collect::<Vec<_>>()
            )
            .to_string(),
            harm_severity: determination.harm_severity().as_str().to_string(),
            // The `ecp_affected` column, named after the draft guidance's term.
            ecp_affected: determination.safety_and_essential_performance_affected(),
            override_rationale: determination.override_().map(|o| o.rationale().to_string()),
            patch_path: patch_json(&patch).to_string(),
            inputs: determination.canonical_inputs(),
            inputs_digest: determination.inputs_digest().to_hex(),
            policy_digest: determination.policy_digest().to_hex(),
            signature_id: None,
            controls: controls_json(determination.compensating_controls()).to_string(),
            steps: json!(determination.steps()).to_string(),
            created_at: at.clone(),
            created_by: actor.clone(),
        };
        record.id = stored::insert_determination(&mut tx, &record).await?;
        if let Some(signer) = signers.get(&(*product_id, vulnerability.clone())) {
            let content = determination_content(&row.product, vulnerability, determination);
            let signed = signature::record(
                &mut tx,
                context,
                signer,
                &Signable {
                    entity_type: "determination",
                    entity_id: record.id.to_string(),
                    content: content.as_bytes(),
                    author_account_id: Some(principal.account_id),
                },
            )
            .await?;
            stored::set_determination_signature(&mut tx, record.id, signed.id).await?;
            record.signature_id = Some(signed.id);
        }
        audit::record(
            &mut tx,
            context,
            Change {
                action: AuditAction::DeterminationMake,
                entity_type: "determination",
                entity_id: Some(record.id.to_string()),
                old_value: None,
                new_value: Some(json!({
                    "product": row.product,
                    "vulnerability": vulnerability,
                    "outcome": record.outcome,
                    "computed": record.computed,
                    "exploitability": record.exploitability_level,
                    "harm": record.harm_severity,
                    "inputs_sha256": record.inputs_digest,
                    "policy_sha256": record.policy_digest,
                    "signature_id": record.signature_id,
                    "controls": controls_json(determination.compensating_controls()),
                    "steps": determination.steps(),
                })),
            },
        )
        .await?;
        case::apply_in(
            &mut tx,
            context,
            policy,
            *product_id,
            &row.product,
            vulnerability,
            &Event {
                at: now,
                kind: EventKind::DeterminationMade {
                    risk: determination.outcome(),
                },
            },
        )
        .await?;
        outcome.determinations.push(record);
    }
    tx.commit().await?;
    Ok(outcome)
}

/// What is signed: the determination's canonical inputs, bound to the product, the
/// vulnerability and the outcome.
fn determination_content(
    product: &str,
    vulnerability: &str,
    determination: &aftercare_risk::Determination,
) -> String {
    format!(
        "{}product={product}\nvulnerability={vulnerability}\noutcome={}\n",
        determination.canonical_inputs(),
        determination.outcome().as_str()
    )
}

/// The harm side with its controls verified by the determination's signer (a printed name
/// and login), or as entered when nobody signs: an unverified control lowers nothing.
fn verified(
    harm: &PatientHarm,
    signer: Option<&VerifiedSigner>,
) -> Result<PatientHarm, ServiceError> {
    let Some(signer) = signer else {
        return Ok(harm.clone());
    };
    let verifier = format!("{} ({})", signer.printed_name(), signer.login());
    let compensating_controls = harm
        .compensating_controls
        .iter()
        .map(|control| {
            control
                .clone()
                .verify(&verifier)
                .map_err(|e| ServiceError::rule("control", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PatientHarm {
        compensating_controls,
        ..harm.clone()
    })
}

/// Compensating controls as stored: what they are, their evidence, the claim, who verified
/// it and whether the control counted (lowered the determination).
fn controls_json(controls: &[CompensatingControl]) -> Value {
    json!(
        controls
            .iter()
            .map(|c| json!({
                "description": c.description(),
                "evidence": c.evidence(),
                "effective": c.effective(),
                "verified_by": c.verified_by(),
                "counted": c.counts(),
            }))
            .collect::<Vec<_>>()
    )
}

/// The version that fixes a finding, for a generated action statement: the lowest fixed
/// version above the component's version in its scheme, else the lowest one known.
fn fixed_version(finding: &FindingRow) -> Option<String> {
    let fixed: Vec<String> = serde_json::from_str(&finding.fixed_versions).unwrap_or_default();
    let scheme = scheme_of(finding.component_purl.as_deref());
    let current = finding
        .component_version
        .as_deref()
        .and_then(|v| aftercare_version::parse(scheme, v).ok());
    let above = current.and_then(|current| {
        fixed.iter().find(|candidate| {
            aftercare_version::parse(scheme, candidate).is_ok_and(|version| version > current)
        })
    });
    above.or_else(|| fixed.first()).cloned()
}

fn patch_json(path: &PatchPath) -> Value {
    match path {
        PatchPath::RegularCycle => json!({"path": "regular_cycle"}),
        PatchPath::OutOfCycleCandidate { reasons } => {
            json!({"path": "out_of_cycle_candidate", "reasons": reasons})
        }
        PatchPath::OutOfCycleRequired => json!({"path": "out_of_cycle_required"}),
    }
}

/// A decision in JSON, for history and audit.
pub fn decision_json(d: &DecisionRow) -> Value {
    json!({
        "scope": d.scope,
        "versions": d.versions,
        "status": d.status,
        "justification": d.justification,
        "impact_statement": d.impact_statement,
        "responses": serde_json::from_str::<Value>(&d.responses).unwrap_or_default(),
        "action_statement": d.action_statement,
        "action_statement_generated": d.action_statement_generated,
        "details": d.details,
        "assignee": d.assignee,
        "cvss_vector": d.cvss_vector,
        "cvss_score": d.cvss_score,
        "rubric_vector": d.rubric_vector,
        "harm_severity": d.harm_severity,
        "safety_and_essential_performance_affected": d.ecp_affected,
        "controls": serde_json::from_str::<Value>(&d.controls).unwrap_or_default(),
    })
}

/// Applies a decision to a finding it reaches: inherited inside its versions, flagged for a
/// re-review outside. Returns the finding's history event.
async fn reach(
    tx: &mut aftercare_store::Tx,
    decision: &DecisionRow,
    decision_id: i64,
    other: &Reachable,
    at: &str,
    actor: &str,
) -> Result<Option<FindingEvent>, ServiceError> {
    let key = component_key(other.purl.as_deref(), other.group.as_deref(), &other.name);
    if key != decision.component_key {
        return Ok(None);
    }
    let inside = in_range(
        &decision.versions,
        other.version.as_deref(),
        other.purl.as_deref(),
    );
    let reason = (!inside).then(|| {
        format!(
            "version {} is outside {} covered by the decision made on finding {}",
            other.version.as_deref().unwrap_or("(none)"),
            decision.versions,
            decision.finding_id
        )
    });
    stored::put_assessment(
        tx,
        &AssessmentRow {
            finding_id: other.finding_id,
            decision_id,
            inherited: true,
            review_required: !inside,
            review_reason: reason.clone(),
            updated_at: at.to_string(),
        },
    )
    .await?;
    Ok(Some(FindingEvent {
        id: 0,
        finding_id: other.finding_id,
        at: at.to_string(),
        kind: if inside {
            "inherited"
        } else {
            "review_flagged"
        }
        .into(),
        detail: json!({
            "decision": decision_id,
            "from_finding": decision.finding_id,
            "status": decision.status,
            "versions": decision.versions,
            "reason": reason,
        })
        .to_string(),
        actor: actor.to_string(),
    }))
}

/// Gives new findings the decisions that reach them (a later release bringing the component
/// again), inside the caller's transaction; returns their history events.
pub(crate) async fn inherit_new(
    tx: &mut aftercare_store::Tx,
    new: &[(i64, i64, String, Reachable)],
    at: &str,
    actor: &str,
) -> Result<Vec<FindingEvent>, ServiceError> {
    let mut events = Vec::new();
    if new.is_empty() {
        return Ok(events);
    }
    // The decisions about their vulnerabilities, read at once (an import opens thousands).
    let vulnerabilities: Vec<String> = new
        .iter()
        .map(|(_, _, vulnerability, _)| vulnerability.clone())
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    let about = stored::decisions_about(tx, &vulnerabilities).await?;
    for (finding_id, product_id, vulnerability, reachable) in new {
        let key = component_key(
            reachable.purl.as_deref(),
            reachable.group.as_deref(),
            &reachable.name,
        );
        // The same vulnerability and component, made with the portfolio scope or the product
        // scope in this product; the newest.
        let reaching = about.iter().find(|d| {
            d.vulnerability == *vulnerability
                && d.component_key == key
                && (d.scope == "portfolio" || (d.scope == "product" && d.product_id == *product_id))
        });
        if let Some(decision) = reaching {
            let mut target = reachable.clone();
            target.finding_id = *finding_id;
            if let Some(event) = reach(tx, decision, decision.id, &target, at, actor).await? {
                events.push(event);
            }
        }
    }
    Ok(events)
}

/// The triage of one finding: its assessment and decision, the determination of its
/// product and vulnerability, the exploitability signals and the level the policy gives them.
#[derive(Debug, Clone)]
pub struct Triage {
    /// Which decision applies, and how.
    pub assessment: Option<AssessmentRow>,
    /// The decision.
    pub decision: Option<DecisionRow>,
    /// The signals.
    pub signals: ExploitabilitySignals,
    /// The policy's exploitability level for them.
    pub exploitability: ExploitabilityAssessment,
    /// The latest determination of the product and vulnerability.
    pub determination: Option<DeterminationRow>,
    /// Earlier determinations, newest first.
    pub earlier_determinations: Vec<DeterminationRow>,
    /// The signatures of the latest determination, each checked against its stored content.
    pub determination_signatures: Vec<signature::SignatureView>,
    /// The decision's VEX statement as it would be published under the policy in force
    /// (OpenVEX, CSAF): a `not_affected` resting on the customer's controls becomes `affected`
    /// with a compensating-control note unless the policy allows it; an `affected` one always
    /// has an action statement.
    pub published: Option<ExportedStatement>,
}

/// A stored decision's VEX statement as it would be published under a policy (`None` when
/// the stored words no longer parse).
fn published(
    policy: &Policy,
    decision: &DecisionRow,
    finding: &FindingRow,
) -> Option<ExportedStatement> {
    let status: VexStatus = decision.status.parse().ok()?;
    let justification = match decision.justification.as_deref() {
        Some(text) => Some(text.parse::<Justification>().ok()?),
        None => None,
    };
    let responses: Vec<Response> = serde_json::from_str::<Vec<String>>(&decision.responses)
        .ok()?
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()
        .ok()?;
    let statement = VexStatement::new(
        status,
        justification,
        decision.impact_statement.as_deref(),
        &responses,
        decision.action_statement.as_deref(),
    )
    .ok()?;
    let mut exported = statement.export(policy, fixed_version(finding).as_deref());
    // A stored action statement aftercare generated is still a generated one.
    exported.action_statement_generated |= decision.action_statement_generated;
    Some(exported)
}

/// The content a determination's signature is bound to, rebuilt from the stored record.
pub fn stored_determination_content(product: &str, d: &DeterminationRow) -> String {
    format!(
        "{}product={product}\nvulnerability={}\noutcome={}\n",
        d.inputs, d.vulnerability, d.outcome
    )
}

/// The triage state of a finding.
pub async fn triage(workspace: &Workspace, finding: &FindingRow) -> Result<Triage, ServiceError> {
    let pool = workspace.store().pool();
    let assessment = stored::assessment(pool, finding.id).await?;
    let decision = match &assessment {
        Some(a) => stored::decision(pool, a.decision_id).await?,
        None => None,
    };
    let vector = decision.as_ref().and_then(|d| d.cvss_vector.clone());
    let signals = signals(workspace, finding, vector.as_deref()).await?;
    let current = policy::current(workspace).await?;
    let exploitability = aftercare_risk::assess_exploitability(&current.policy, &signals);
    let mut determinations =
        stored::determinations(pool, finding.product_id, &finding.vulnerability).await?;
    let determination = if determinations.is_empty() {
        None
    } else {
        Some(determinations.remove(0))
    };
    let determination_signatures = match &determination {
        Some(d) => {
            let content = stored_determination_content(&finding.product, d);
            signature::signatures(
                workspace,
                "determination",
                &d.id.to_string(),
                content.as_bytes(),
            )
            .await?
        }
        None => Vec::new(),
    };
    let published = decision
        .as_ref()
        .and_then(|d| published(&current.policy, d, finding));
    Ok(Triage {
        assessment,
        decision,
        signals,
        exploitability,
        determination,
        earlier_determinations: determinations,
        determination_signatures,
        published,
    })
}

/// The rubric's answers, given as its extended vector, scored: (extended vector as stored,
/// CVSS base vector, base score, severity).
pub fn score_rubric(extended: &str) -> Result<(String, String, f64, String), ServiceError> {
    let rubric = Rubric::mitre_2020().map_err(|e| ServiceError::rule("rubric", e))?;
    let answers = aftercare_risk::parse_extended_vector(&rubric, extended.trim())
        .map_err(|e| ServiceError::rule("rubric", e))?;
    let result =
        aftercare_risk::answer(&rubric, &answers).map_err(|e| ServiceError::rule("rubric", e))?;
    let cvss =
        aftercare_cvss::parse(&result.base_vector).map_err(|e| ServiceError::rule("rubric", e))?;
    Ok((
        result.extended_vector,
        result.base_vector,
        cvss.base_score(),
        cvss.base_severity().as_str().to_lowercase(),
    ))
}
