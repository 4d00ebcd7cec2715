//! A match run: read its scope and the records in play, match, compare with the stored
//! findings by the pure rule (`aftercare_match::reconcile`), write what it decided — one
//! transaction, one audit event.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use aftercare_match::reconcile::{self, Found, Outcome, Stored};
use aftercare_risk::{Event, EventKind};
use aftercare_store::Tx;
use aftercare_store::assessment::Reachable;
use aftercare_store::finding::{self as stored, FindingEvent, MatchFields, NewFinding};
use aftercare_store::intel;
use serde_json::{Value, json};

use super::candidates::{self, InPlay, RESTRICTED_DELTA};
use super::fields::{self, Matched};
use super::mirror::{self, MatchState, Mirror, Mirrored, Touched};
use super::{MatchReport, MatchScope};
use crate::audit::{self, AuditAction, Change};
use crate::triage::{assessment, case, policy};
use crate::{Context, ServiceError, Workspace};

/// Runs a match over a scope at the context's instant (`context.now`: the first-seen date
/// of the findings it opens), as the context's actor. A workspace that keeps its matcher
/// warm ([`super::keep_warm`], the server) compares with its [`MatchState`]; otherwise the run
/// reads its scope from the store.
pub async fn rematch(
    workspace: &Workspace,
    context: &Context,
    scope: MatchScope<'_>,
) -> Result<MatchReport, ServiceError> {
    let started = Instant::now();
    let report = match workspace.warm::<MatchState>() {
        Some(state) => {
            let mut guard = state.inner.lock().await;
            // Taken out while the run works: a run that fails leaves nothing to trust, and the
            // next one loads the workspace again.
            let mut mirror = guard.take().unwrap_or_default();
            let report = run(workspace, context, scope, Some(&mut mirror)).await?;
            *guard = Some(mirror);
            report
        }
        None => run(workspace, context, scope, None).await?,
    };
    let report = MatchReport {
        elapsed: started.elapsed(),
        ..report
    };
    tracing::debug!(
        components = report.components,
        records = report.records,
        opened = report.opened.len(),
        closed = report.closed.len(),
        held = report.held.len(),
        elapsed_ms = report.elapsed.as_millis() as u64,
        "matched"
    );
    for unreadable in &report.unreadable {
        tracing::warn!(%unreadable, "its vulnerability's findings are held as they are");
    }
    Ok(report)
}

/// Loads a warm matcher's copy of the workspace now (a server at start), so that the first
/// import or sync does not wait for it; returns how many components and findings it holds.
/// Does nothing for a workspace that keeps no warm state.
pub async fn warm_up(workspace: &Workspace) -> Result<(usize, usize), ServiceError> {
    let Some(state) = workspace.warm::<MatchState>() else {
        return Ok((0, 0));
    };
    let mut guard = state.inner.lock().await;
    let mut mirror = guard.take().unwrap_or_default();
    let mut tx = workspace.store().begin().await?;
    let previous = stored::begin_matching(&mut tx).await?;
    mirror.refresh(workspace, &mut tx, previous).await?;
    tx.commit().await?;
    mirror.generation = Some(previous + 1);
    let held = (
        mirror.rows.len(),
        mirror.findings.iter().map(Vec::len).sum(),
    );
    *guard = Some(mirror);
    Ok(held)
}

async fn run(
    workspace: &Workspace,
    context: &Context,
    scope: MatchScope<'_>,
    warm: Option<&mut Mirror>,
) -> Result<MatchReport, ServiceError> {
    let at = aftercare_store::timestamp_text(context.now);
    let mut tx = workspace.store().begin().await?;
    let previous = stored::begin_matching(&mut tx).await?;
    let is_warm = warm.is_some();
    let (in_play, touched) = delta_scope(workspace, &mut tx, scope).await?;
    let mut cold: Mirror;
    let mirror: &mut Mirror = match warm {
        Some(mirror) => {
            mirror.refresh(workspace, &mut tx, previous).await?;
            mirror
        }
        None => {
            cold = Mirror::of_scope(workspace, &mut tx, scope, &touched).await?;
            &mut cold
        }
    };
    let rows: Vec<usize> = if is_warm {
        mirror.select(scope, &touched)
    } else {
        (0..mirror.rows.len()).collect()
    };
    let identities = mirror.identities_of(&rows);

    // A warm full re-match keeps its index while the intelligence and the identities stay.
    let intel_generation = if is_warm && matches!(scope, MatchScope::All) {
        Some(intel::generation(workspace.store().pool()).await?)
    } else {
        None
    };
    let prepared = candidates::for_run(
        workspace,
        mirror,
        &identities,
        in_play.as_ref(),
        intel_generation,
        is_warm,
    )
    .await?;
    let matched =
        fields::matches(workspace, mirror, &prepared, &identities, in_play.as_ref()).await?;
    let plan = compare(mirror, &rows, &matched, in_play.as_ref(), &prepared.held());
    let mut report = MatchReport {
        components: rows.len(),
        records: prepared.records,
        unreadable: prepared.unreadable.clone(),
        ..MatchReport::default()
    };
    let opened = write(
        &mut tx,
        workspace,
        context,
        &at,
        mirror,
        &plan,
        scope,
        &mut report,
    )
    .await?;
    tell_cases(
        &mut tx,
        workspace,
        context,
        scope,
        &plan.new_findings,
        &mut report,
    )
    .await?;
    if report.changed_anything() {
        audit::record(&mut tx, context, run_event(scope, &report)).await?;
    }
    let last_event = stored::last_event(&mut tx).await?;
    tx.commit().await?;

    follow(mirror, &plan, &opened);
    mirror.generation = Some(previous + 1);
    mirror.last_event = last_event;
    if let Some(intel_generation) = intel_generation {
        candidates::keep(mirror, intel_generation, prepared);
    }
    Ok(report)
}

/// What a feed delta's run re-evaluates (`None` for other scopes, and for a delta that names
/// packages or products but no records — its records were written again by a later run, or
/// it was made by hand — or a very large one, a first sync: those re-match their components
/// against every candidate record, as a release's run does), and the vulnerabilities whose
/// findings put their components in the delta's scope.
async fn delta_scope(
    workspace: &Workspace,
    tx: &mut Tx,
    scope: MatchScope<'_>,
) -> Result<(Option<InPlay>, Touched), ServiceError> {
    let MatchScope::Delta(delta) = scope else {
        return Ok((None, Touched::default()));
    };
    if !stored::has_components(tx).await? {
        return Ok((None, Touched::default()));
    }
    let in_play = InPlay::of(workspace, delta).await?;
    let touched = Touched {
        ids: in_play.ids.iter().copied().collect(),
        names: in_play.names.iter().cloned().collect(),
    };
    let restricted = delta.records.len() <= RESTRICTED_DELTA
        && (!delta.records.is_empty() || (delta.packages.is_empty() && delta.products.is_empty()));
    Ok((restricted.then_some(in_play), touched))
}

/// A change a run makes to a stored finding: row in the mirror, position in its findings,
/// what matches now, and whether its canonical id changed.
struct Update {
    row: usize,
    position: usize,
    fields: MatchFields,
    renamed: bool,
}

/// What the comparison decided, per stored finding and match.
#[derive(Default)]
struct Plan {
    new_findings: Vec<NewFinding>,
    /// The mirror row of each new finding.
    new_rows: Vec<usize>,
    reopen: Vec<Update>,
    change: Vec<Update>,
    /// (row, position) of findings to close.
    close: Vec<(usize, usize)>,
    held: Vec<i64>,
    confirmed: Vec<i64>,
}

/// Compares each row's stored findings with its identity's matches (the pure rule), and
/// gathers what to write.
fn compare(
    mirror: &Mirror,
    rows: &[usize],
    matched: &[Vec<Matched>],
    in_play: Option<&InPlay>,
    held: &(HashSet<i64>, HashSet<String>),
) -> Plan {
    // A delta's vulnerabilities, and the held ones, as interned canonical ids.
    let interned = |names: &mut dyn Iterator<Item = &String>| -> HashSet<u32> {
        names.filter_map(|name| mirror.interned(name)).collect()
    };
    let play_names = in_play.map(|p| interned(&mut p.names.iter()));
    let held_names = interned(&mut held.1.iter());
    let mut plan = Plan::default();
    let (mut stored_list, mut found_list) = (Vec::new(), Vec::new());
    let (mut seen, mut outcomes) = (Vec::new(), Vec::new());
    for r in rows {
        let row = mirror.rows[*r];
        let mirrored = &mirror.findings[*r];
        let matches = &matched[row.identity as usize];
        stored_list.clear();
        stored_list.extend(mirrored.iter().map(|m| {
            let is = |ids: &HashSet<i64>, names: &HashSet<u32>| {
                names.contains(&m.name) || m.vulnerability_id.is_some_and(|id| ids.contains(&id))
            };
            Stored {
                name: m.name,
                vulnerability: m.vulnerability_id,
                open: m.open,
                digest: m.digest,
                in_play: match (in_play, &play_names) {
                    (Some(in_play), Some(names)) => is(&in_play.ids, names),
                    _ => true,
                },
                held: is(&held.0, &held_names),
            }
        }));
        found_list.clear();
        found_list.extend(matches.iter().map(|m| Found {
            name: m.name,
            vulnerability: m.fields.vulnerability_id,
            digest: m.digest,
        }));
        outcomes.clear();
        let is_alias =
            |f: usize, name: u32| fields::lists_alias(&matches[f].fields, mirror.name(name));
        reconcile::reconcile(
            &stored_list,
            &found_list,
            is_alias,
            &mut seen,
            &mut outcomes,
        );
        for outcome in &outcomes {
            match *outcome {
                Outcome::Opened { found } => {
                    plan.new_findings.push(NewFinding {
                        product_id: row.product_id,
                        release_id: row.release_id,
                        component_id: row.id,
                        fields: matches[found].fields.clone(),
                    });
                    plan.new_rows.push(*r);
                }
                Outcome::Confirmed { stored } => plan.confirmed.push(mirrored[stored].id),
                Outcome::Changed {
                    stored,
                    found,
                    renamed,
                } => plan.change.push(Update {
                    row: *r,
                    position: stored,
                    fields: matches[found].fields.clone(),
                    renamed,
                }),
                Outcome::Reopened { stored, found } => plan.reopen.push(Update {
                    row: *r,
                    position: stored,
                    fields: matches[found].fields.clone(),
                    renamed: false,
                }),
                Outcome::Closed { stored } => plan.close.push((*r, stored)),
                Outcome::Held { stored } => plan.held.push(mirrored[stored].id),
            }
        }
    }
    plan
}

/// Writes what the comparison decided, each change with its finding event; lets decisions
/// made on other releases reach the new findings. Returns the new findings' ids.
#[allow(
    clippy::too_many_arguments,
    reason = "one transaction's inputs, named at the call"
)]
async fn write(
    tx: &mut Tx,
    workspace: &Workspace,
    context: &Context,
    at: &str,
    mirror: &Mirror,
    plan: &Plan,
    scope: MatchScope<'_>,
    report: &mut MatchReport,
) -> Result<Vec<i64>, ServiceError> {
    let mut events: Vec<FindingEvent> = Vec::new();
    let event = |finding_id: i64, kind: &str, detail: Value| FindingEvent {
        id: 0,
        finding_id,
        at: at.to_string(),
        kind: kind.to_string(),
        detail: detail.to_string(),
        actor: context.actor.to_string(),
    };
    let id_of = |update: &Update| mirror.findings[update.row][update.position].id;
    let before_ids: Vec<i64> = plan.reopen.iter().chain(&plan.change).map(id_of).collect();
    let before: HashMap<i64, (MatchFields, Option<String>)> = stored::match_fields(tx, &before_ids)
        .await?
        .into_iter()
        .map(|(id, fields, reason)| (id, (fields, reason)))
        .collect();
    for update in &plan.reopen {
        let id = id_of(update);
        let closed_because = before.get(&id).and_then(|(_, reason)| reason.clone());
        stored::update_match(tx, id, &update.fields, at).await?;
        let reasons = fields::summary_of(&update.fields);
        events.push(event(
            id,
            "reopened",
            json!({"reasons": reasons, "closed_because": closed_because}),
        ));
        report.reopened.push(id);
    }
    let mut confirmed = plan.confirmed.clone();
    for update in &plan.change {
        let id = id_of(update);
        let Some((old, _)) = before.get(&id) else {
            continue;
        };
        if *old == update.fields {
            // Equal fields under another digest (one kept by an older build): rewritten.
            stored::update_match(tx, id, &update.fields, at).await?;
            confirmed.push(id);
            continue;
        }
        if update.renamed {
            // The case follows its vulnerability's new canonical id.
            let product = mirror.rows[update.row].product_id;
            let (from, to) = (&old.vulnerability, &update.fields.vulnerability);
            aftercare_store::case::rename_case(tx, product, from, to, at).await?;
        }
        stored::update_match(tx, id, &update.fields, at).await?;
        events.push(event(
            id,
            "changed",
            fields::differences(old, &update.fields),
        ));
        report.changed.push(id);
    }
    let mut withdrawn: HashMap<i64, bool> = HashMap::new();
    let mut closes: Vec<(i64, String)> = Vec::with_capacity(plan.close.len());
    for (r, p) in &plan.close {
        let m = mirror.findings[*r][*p];
        let identity = &mirror.identities[mirror.rows[*r].identity as usize];
        let gone = match m.vulnerability_id {
            Some(id) => is_withdrawn(workspace, &mut withdrawn, id).await?,
            None => false,
        };
        let name = identity.full_name();
        let reason = reconcile::close_reason(
            mirror.name(m.name),
            gone,
            &name,
            identity.version.as_deref(),
        );
        events.push(event(m.id, "closed", json!({"reason": reason})));
        report.closed.push(m.id);
        closes.push((m.id, reason));
    }
    stored::close_many(tx, &closes, at).await?;
    // A full re-match confirms every finding it leaves alone with one row; a release's run
    // touches its own (a feed delta's run confirms nothing: its records' findings that stay
    // are confirmed by the next full re-match).
    // A run that covers a release whole records it (fix evidence tells a patch release never
    // matched from one that has no finding).
    match scope {
        MatchScope::All => {
            stored::confirm_all(tx, at).await?;
            aftercare_store::sbom::mark_all_matched(tx, at).await?;
        }
        MatchScope::Release(release) => {
            stored::touch(tx, &confirmed, at).await?;
            aftercare_store::sbom::mark_matched(tx, release, at).await?;
        }
        MatchScope::Delta(_) => {}
    }
    report.confirmed = confirmed.len();
    report.held = plan.held.clone();
    let ids = stored::insert(tx, &plan.new_findings, at).await?;
    for (id, new) in ids.iter().zip(&plan.new_findings) {
        let reasons = fields::summary_of(&new.fields);
        events.push(event(
            *id,
            "opened",
            json!({"vulnerability": new.fields.vulnerability, "reasons": reasons}),
        ));
    }
    // Decisions made on other releases reach the new findings (inherited, or flagged for a
    // re-review when the version left the decision's range).
    let reachable: Vec<(i64, i64, String, Reachable)> = ids
        .iter()
        .zip(&plan.new_findings)
        .zip(&plan.new_rows)
        .map(|((id, new), r)| {
            let c = &mirror.identities[mirror.rows[*r].identity as usize];
            let reach = Reachable {
                finding_id: *id,
                product_id: new.product_id,
                package_key: c.package_key.clone(),
                group: c.group.clone(),
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl.clone(),
                assessed_directly: false,
            };
            (*id, new.product_id, new.fields.vulnerability.clone(), reach)
        })
        .collect();
    let actor = context.actor.to_string();
    events.extend(assessment::inherit_new(tx, &reachable, at, &actor).await?);
    report.opened = ids.clone();
    stored::insert_events(tx, &events).await?;
    Ok(ids)
}

/// Whether a stored vulnerability was withdrawn by its source (looked up once per run).
async fn is_withdrawn(
    workspace: &Workspace,
    known: &mut HashMap<i64, bool>,
    id: i64,
) -> Result<bool, ServiceError> {
    if let Some(gone) = known.get(&id) {
        return Ok(*gone);
    }
    let gone = intel::vulnerability(workspace.store().pool(), id)
        .await?
        .is_some_and(|v| v.withdrawn);
    known.insert(id, gone);
    Ok(gone)
}

/// A first match is an awareness source of the product's regulatory case: every case of the
/// new findings' (product, vulnerability) pairs that has no awareness date yet — no case, or
/// one opened by another event (an incident, a report) — is told. A match made by a supplier's
/// CSAF advisory tells it that the advisory was received (the awareness basis says so); such a
/// match arriving with a feed sync is recorded on a case that is already aware, too.
async fn tell_cases(
    tx: &mut Tx,
    workspace: &Workspace,
    context: &Context,
    scope: MatchScope<'_>,
    new_findings: &[NewFinding],
    report: &mut MatchReport,
) -> Result<(), ServiceError> {
    // (product, vulnerability) → whether a supplier advisory made one of its new findings.
    let mut first: BTreeMap<(i64, String), bool> = BTreeMap::new();
    for finding in new_findings {
        let by_advisory = finding.fields.reasons.contains(r#""source":"csaf""#);
        *first
            .entry((finding.product_id, finding.fields.vulnerability.clone()))
            .or_default() |= by_advisory;
    }
    if first.is_empty() {
        return Ok(());
    }
    let products: Vec<i64> = first
        .keys()
        .map(|(product, _)| *product)
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    let aware = aftercare_store::case::cases_with_awareness(tx, &products).await?;
    let mut product_names: BTreeMap<i64, String> = BTreeMap::new();
    // The policy is read when a case is to be told (most runs tell none).
    let mut current_policy: Option<aftercare_risk::Policy> = None;
    for (key, by_advisory) in &first {
        let kind = if *by_advisory {
            EventKind::AdvisoryReceived
        } else {
            EventKind::FindingFirstSeen
        };
        let received_now = *by_advisory && matches!(scope, MatchScope::Delta(_));
        if aware.contains(key) && !received_now {
            continue;
        }
        let (product_id, vulnerability) = key;
        if !product_names.contains_key(product_id) {
            let name = aftercare_store::product::by_id(tx.conn(), *product_id)
                .await?
                .map_or_else(|| product_id.to_string(), |p| p.name);
            product_names.insert(*product_id, name);
        }
        let name = product_names.get(product_id).cloned().unwrap_or_default();
        let policy = match &current_policy {
            Some(policy) => policy,
            None => current_policy.insert(policy::current(workspace).await?.policy),
        };
        let event = Event {
            at: context.now,
            kind,
        };
        case::apply_in(
            tx,
            context,
            policy,
            *product_id,
            &name,
            vulnerability,
            &event,
        )
        .await?;
        report.cases += 1;
    }
    Ok(())
}

/// The run's audit event: its scope and counts.
fn run_event(scope: MatchScope<'_>, report: &MatchReport) -> Change<'static> {
    let scope = match scope {
        MatchScope::All => json!("all"),
        MatchScope::Release(id) => json!({"release": id}),
        MatchScope::Delta(delta) => json!({
            "vulnerabilities": delta.vulnerabilities.len(),
            "packages": delta.packages.len(),
            "products": delta.products.len(),
            "kev": delta.kev.len(),
        }),
    };
    Change {
        action: AuditAction::FindingMatch,
        entity_type: "finding",
        entity_id: None,
        old_value: None,
        new_value: Some(json!({
            "scope": scope,
            "components": report.components,
            "records": report.records,
            "opened": report.opened.len(),
            "reopened": report.reopened.len(),
            "changed": report.changed.len(),
            "closed": report.closed.len(),
            "confirmed": report.confirmed,
            "held": report.held.len(),
            "cases": report.cases,
        })),
    }
}

/// The mirror follows what was committed.
fn follow(mirror: &mut Mirror, plan: &Plan, opened: &[i64]) {
    for update in plan.reopen.iter().chain(&plan.change) {
        let name = mirror.intern(&update.fields.vulnerability);
        let id = mirror.findings[update.row][update.position].id;
        let mirrored = Mirrored {
            id,
            name,
            vulnerability_id: update.fields.vulnerability_id,
            open: true,
            digest: mirror::digest_value(&update.fields.digest()),
        };
        mirror.put(update.row, mirrored);
    }
    for (r, p) in &plan.close {
        mirror.findings[*r][*p].open = false;
    }
    for ((id, new), r) in opened.iter().zip(&plan.new_findings).zip(&plan.new_rows) {
        let name = mirror.intern(&new.fields.vulnerability);
        let mirrored = Mirrored {
            id: *id,
            name,
            vulnerability_id: new.fields.vulnerability_id,
            open: true,
            digest: mirror::digest_value(&new.fields.digest()),
        };
        mirror.put(*r, mirrored);
    }
}
