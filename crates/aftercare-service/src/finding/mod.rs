//! Findings in the workspace: every release's components matched against the stored
//! intelligence, one finding per (release, component, vulnerability).
//!
//! A match run ([`rematch`]) takes a scope — one release after its SBOM import, the
//! components a feed sync's delta touches, or everything — and for each component in it:
//! finds the candidate records (by package key and CPE vendor/product, then every record of
//! the vulnerabilities those belong to, for severity and aliases), matches with
//! `aftercare-match`, and compares with the stored findings of the component. New pairs are
//! opened with `first_seen` = the run's time (the awareness date: the product's regulatory
//! case is opened or told with a `finding_first_seen` event); pairs that match again are
//! confirmed, changed ones updated; open findings that no longer match are closed with the
//! reason, never deleted. Every change goes to the finding's history, and one audit event
//! sums up the run — all in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use aftercare_match::{Basis, Component, Finding, Index, Reason, RecordKey};
use aftercare_model::{Cpe, Severity};
use aftercare_risk::{Event, EventKind};
use aftercare_store::assessment::Reachable;
use aftercare_store::finding::{
    self as stored, FindingEvent, FindingFilter, FindingRow, MatchFields, NewFinding,
};
use aftercare_store::intel::{self, Membership};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::audit::{self, Change};
use crate::intel::lookup;
use crate::intel::normalize::cpe_pair;
use crate::intel::sync::SyncDelta;
use crate::triage::{case, policy};
use crate::{Context, ServiceError, Workspace};

mod mirror;

pub use mirror::MatchState;
use mirror::{Identity, Mirror, Mirrored, Touched, WarmIndex};

/// Which components a match run covers.
#[derive(Debug, Clone, Copy)]
pub enum MatchScope<'a> {
    /// Every component of every release (`aftercare match --all`).
    All,
    /// One release (after its SBOM import).
    Release(i64),
    /// What a feed sync changed: components of the changed package keys and CPE
    /// vendor/products, and those with findings of the changed vulnerabilities.
    Delta(&'a SyncDelta),
}

/// What a match run did.
#[derive(Debug, Clone, Default)]
pub struct MatchReport {
    /// Components matched.
    pub components: usize,
    /// Records considered.
    pub records: usize,
    /// Findings opened (new pairs), by id.
    pub opened: Vec<i64>,
    /// Closed findings that match again.
    pub reopened: Vec<i64>,
    /// Open findings whose match changed (severity, fixed versions, reasons, KEV).
    pub changed: Vec<i64>,
    /// Findings that no longer match, closed.
    pub closed: Vec<i64>,
    /// Findings confirmed unchanged.
    pub confirmed: usize,
    /// Regulatory cases told of a first match.
    pub cases: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl MatchReport {
    /// Whether anything changed.
    pub fn changed_anything(&self) -> bool {
        !(self.opened.is_empty()
            && self.reopened.is_empty()
            && self.changed.is_empty()
            && self.closed.is_empty())
    }
}

/// The same workspace keeping the matcher warm for its life and its clones' (a server): match
/// runs compare with an in-memory copy of the components and findings instead of reading
/// their scope again (see [`MatchState`]). The first run loads it.
pub fn keep_warm(workspace: Workspace) -> Workspace {
    workspace.with_warm(std::sync::Arc::new(MatchState::new()))
}

/// Runs a match over a scope at `now`, as the context's actor. A workspace that keeps its
/// matcher warm ([`keep_warm`], the server) compares with its
/// [`MatchState`]; otherwise the run reads its scope from the store.
pub async fn rematch(
    workspace: &Workspace,
    context: &Context,
    scope: MatchScope<'_>,
    now: Timestamp,
) -> Result<MatchReport, ServiceError> {
    let started = Instant::now();
    let report = match workspace.warm::<MatchState>() {
        Some(state) => {
            let mut guard = state.inner.lock().await;
            // Taken out while the run works: a run that fails leaves nothing to trust, and the
            // next one loads the workspace again.
            let mut mirror = guard.take().unwrap_or_default();
            let report = run(workspace, context, scope, now, Some(&mut mirror)).await?;
            *guard = Some(mirror);
            report
        }
        None => run(workspace, context, scope, now, None).await?,
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
        elapsed_ms = report.elapsed.as_millis() as u64,
        "matched"
    );
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

/// A change a run makes to a stored finding: (row in the mirror, position in its findings,
/// what matches now).
type Update = (usize, usize, MatchFields);

async fn run(
    workspace: &Workspace,
    context: &Context,
    scope: MatchScope<'_>,
    now: Timestamp,
    warm: Option<&mut Mirror>,
) -> Result<MatchReport, ServiceError> {
    let at = aftercare_store::timestamp_text(now);
    let mut tx = workspace.store().begin().await?;
    let previous = stored::begin_matching(&mut tx).await?;
    let is_warm = warm.is_some();
    // A feed delta re-evaluates its own vulnerabilities only (those of the changed records,
    // merged into others, or with a changed KEV entry): every record of theirs, and the
    // findings of theirs; the other findings of the same components stay as they are.
    // A delta that names packages or products but no records (its records were written again
    // by a later run, or it was made by hand), or a very large one (a first sync), re-matches
    // its components against every candidate record, as a release's run does.
    let in_play = match scope {
        MatchScope::Delta(delta) if stored::has_components(&mut tx).await? => {
            Some(InPlay::of(workspace, delta).await?)
        }
        _ => None,
    };
    let restricted = match scope {
        MatchScope::Delta(delta) => {
            in_play.is_some()
                && delta.records.len() <= RESTRICTED_DELTA
                && (!delta.records.is_empty()
                    || (delta.packages.is_empty() && delta.products.is_empty()))
        }
        _ => false,
    };
    // Components with a finding of those vulnerabilities are in the delta's scope.
    let touched = match &in_play {
        Some(in_play) => Touched {
            ids: in_play.ids.iter().copied().collect(),
            names: in_play.names.iter().cloned().collect(),
        },
        None => Touched::default(),
    };
    let in_play = in_play.filter(|_| restricted);
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
    let mut wanted = vec![false; mirror.identities.len()];
    for row in &rows {
        wanted[mirror.rows[*row].identity as usize] = true;
    }
    let identities: Vec<u32> = (0..wanted.len() as u32)
        .filter(|i| wanted[*i as usize])
        .collect();
    let mut report = MatchReport {
        components: rows.len(),
        ..MatchReport::default()
    };

    // The records: a warm full re-match keeps its index while the intelligence and the
    // identities stay the same; other runs prepare the candidates of their identities.
    let keeps_index = is_warm && matches!(scope, MatchScope::All);
    let intel_generation = if keeps_index {
        Some(intel::generation(workspace.store().pool()).await?)
    } else {
        None
    };
    let kept = mirror.index.take().filter(|kept| {
        Some(kept.intel_generation) == intel_generation
            && kept.identities == mirror.identities.len()
    });
    let cache = if is_warm {
        Some(&mut mirror.records)
    } else {
        None
    };
    let prepared = match (kept, &in_play) {
        (Some(kept), _) => kept.prepared,
        // Nothing in scope: no records to read.
        (None, _) if identities.is_empty() => CandidateIndex {
            index: Index::build(std::iter::empty()),
            records: 0,
            memberships: Vec::new(),
            vulnerability_of: HashMap::new(),
        },
        (None, Some(in_play)) => {
            let ids: Vec<i64> = in_play.ids.iter().copied().collect();
            let memberships = intel::records_of_vulnerabilities(workspace.store(), &ids).await?;
            let record_ids: Vec<i64> = memberships.iter().map(|m| m.record_id).collect();
            index_of(workspace, record_ids, memberships, cache).await?
        }
        (None, None) => {
            let components: Vec<Component> = identities
                .iter()
                .map(|i| mirror.identities[*i as usize].component.clone())
                .collect();
            let keys: Vec<String> = identities
                .iter()
                .filter_map(|i| mirror.identities[*i as usize].package_key.clone())
                .collect();
            prepare(workspace, &components, &keys, cache).await?
        }
    };
    report.records = prepared.records;
    let kev = kev_cves(workspace).await?;

    // Match each identity once, grouped by platform (NVD "running on" configurations look for
    // theirs among the CPEs of the same release).
    let mut by_platform: HashMap<&[Cpe], Vec<u32>> = HashMap::new();
    for identity in &identities {
        let platform = mirror.identities[*identity as usize].platform.as_slice();
        by_platform.entry(platform).or_default().push(*identity);
    }
    let mut scans: Vec<(Vec<u32>, aftercare_match::Scan)> = Vec::new();
    for (platform, members) in by_platform {
        let components: Vec<Component> = members
            .iter()
            .map(|i| mirror.identities[*i as usize].component.clone())
            .collect();
        let scan = prepared.index.scan(&components, platform);
        scans.push((members, scan));
    }
    // The stored vulnerability of each matched id: the one the id belongs to (not merely
    // shares), else the one its first record belongs to.
    let canonical_ids: Vec<String> = scans
        .iter()
        .flat_map(|(_, scan)| scan.findings.iter().map(|f| f.vulnerability.to_string()))
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let mut by_alias: HashMap<String, i64> = HashMap::new();
    for (alias, id, _shared) in intel::aliases_in(workspace.store(), &canonical_ids).await? {
        by_alias.entry(alias).or_insert(id);
    }
    let mut canonical_of: HashMap<i64, String> = prepared
        .memberships
        .iter()
        .map(|m| (m.vulnerability_id, m.canonical.clone()))
        .collect();
    for id in by_alias.values() {
        if !canonical_of.contains_key(id)
            && let Some(row) = intel::vulnerability(workspace.store().pool(), *id).await?
        {
            canonical_of.insert(*id, row.canonical);
        }
    }
    let resolved = Resolved {
        by_alias: &by_alias,
        canonical_of: &canonical_of,
        prepared: &prepared,
        kev: &kev,
    };
    let mut matched: HashMap<u32, Vec<MatchFields>> = HashMap::new();
    for (members, scan) in &scans {
        for finding in &scan.findings {
            let found = fields(finding, &resolved);
            if let Some(in_play) = &in_play
                && found
                    .vulnerability_id
                    .is_some_and(|id| !in_play.ids.contains(&id))
            {
                // Another vulnerability a shared record also belongs to: not re-evaluated
                // here (not every record of it is loaded).
                continue;
            }
            let list = matched.entry(members[finding.component]).or_default();
            // Two matcher vulnerabilities the store keeps as one are one finding.
            match list
                .iter_mut()
                .find(|f| f.vulnerability == found.vulnerability)
            {
                Some(existing) => merge(existing, found),
                None => list.push(found),
            }
        }
    }
    // By identity, each with its digest and its canonical id as the mirror knows it.
    let mut by_identity: Vec<Vec<(MatchFields, u128, Option<u32>)>> =
        vec![Vec::new(); mirror.identities.len()];
    for (identity, list) in matched {
        by_identity[identity as usize] = list
            .into_iter()
            .map(|f| {
                let digest = mirror::digest_value(&f.digest());
                let name = mirror.interned(&f.vulnerability);
                (f, digest, name)
            })
            .collect();
    }
    // A delta's vulnerabilities, as interned canonical ids and sorted row ids.
    let in_play = in_play.map(|in_play| {
        let mut names = vec![false; mirror.name_count()];
        for name in &in_play.names {
            if let Some(id) = mirror.interned(name) {
                names[id as usize] = true;
            }
        }
        let mut ids: Vec<i64> = in_play.ids.iter().copied().collect();
        ids.sort_unstable();
        (ids, names)
    });

    // Compare with what is stored.
    let mut new_findings: Vec<NewFinding> = Vec::new();
    let mut new_rows: Vec<usize> = Vec::new();
    let mut reopen: Vec<Update> = Vec::new();
    let mut change: Vec<Update> = Vec::new();
    let mut close: Vec<(usize, usize)> = Vec::new();
    let mut confirmed: Vec<i64> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    for r in &rows {
        let row = mirror.rows[*r];
        let stored_list = &mirror.findings[*r];
        seen.clear();
        seen.resize(stored_list.len(), false);
        for (found, digest, name) in &by_identity[row.identity as usize] {
            // The row of the same canonical id first, so that a renamed id never collides.
            let name = *name;
            let position = stored_list
                .iter()
                .enumerate()
                .position(|(i, m)| !seen[i] && Some(m.name) == name)
                .or_else(|| {
                    stored_list.iter().enumerate().position(|(i, m)| {
                        !seen[i]
                            && same_vulnerability(mirror.name(m.name), m.vulnerability_id, found)
                    })
                });
            match position {
                Some(p) => {
                    seen[p] = true;
                    let m = stored_list[p];
                    if !m.open {
                        reopen.push((*r, p, found.clone()));
                    } else if m.digest != *digest {
                        change.push((*r, p, found.clone()));
                    } else {
                        confirmed.push(m.id);
                    }
                }
                None => {
                    new_findings.push(NewFinding {
                        product_id: row.product_id,
                        release_id: row.release_id,
                        component_id: row.id,
                        fields: found.clone(),
                    });
                    new_rows.push(*r);
                }
            }
        }
        for (p, m) in stored_list.iter().enumerate() {
            if seen[p] || !m.open {
                continue;
            }
            let evaluated = match &in_play {
                Some((ids, names)) => {
                    names.get(m.name as usize).copied().unwrap_or(false)
                        || m.vulnerability_id
                            .is_some_and(|id| ids.binary_search(&id).is_ok())
                }
                None => true,
            };
            if evaluated {
                close.push((*r, p));
            }
        }
    }

    let mut events: Vec<FindingEvent> = Vec::new();
    let event = |finding_id: i64, kind: &str, detail: Value| FindingEvent {
        id: 0,
        finding_id,
        at: at.clone(),
        kind: kind.to_string(),
        detail: detail.to_string(),
        actor: context.actor.to_string(),
    };
    let before_ids: Vec<i64> = reopen
        .iter()
        .chain(&change)
        .map(|(r, p, _)| mirror.findings[*r][*p].id)
        .collect();
    let before: HashMap<i64, (MatchFields, Option<String>)> =
        stored::match_fields(&mut tx, &before_ids)
            .await?
            .into_iter()
            .map(|(id, fields, reason)| (id, (fields, reason)))
            .collect();
    for (r, p, found) in &reopen {
        let id = mirror.findings[*r][*p].id;
        let closed_because = before.get(&id).and_then(|(_, reason)| reason.clone());
        stored::update_match(&mut tx, id, found, &at).await?;
        events.push(event(
            id,
            "reopened",
            json!({"reasons": summary_of(found), "closed_because": closed_because}),
        ));
        report.reopened.push(id);
    }
    for (r, p, found) in &change {
        let id = mirror.findings[*r][*p].id;
        let Some((old, _)) = before.get(&id) else {
            continue;
        };
        if old == found {
            // Equal fields under another digest (one kept by an older build): rewritten.
            stored::update_match(&mut tx, id, found, &at).await?;
            confirmed.push(id);
            continue;
        }
        if old.vulnerability != found.vulnerability {
            // The case follows its vulnerability's new canonical id.
            aftercare_store::case::rename_case(
                &mut tx,
                mirror.rows[*r].product_id,
                &old.vulnerability,
                &found.vulnerability,
                &at,
            )
            .await?;
        }
        stored::update_match(&mut tx, id, found, &at).await?;
        events.push(event(id, "changed", differences(old, found)));
        report.changed.push(id);
    }
    let mut withdrawn: HashMap<i64, bool> = HashMap::new();
    let mut closes: Vec<(i64, String)> = Vec::with_capacity(close.len());
    for (r, p) in &close {
        let m = mirror.findings[*r][*p];
        let identity = &mirror.identities[mirror.rows[*r].identity as usize];
        let reason = close_reason(
            workspace,
            &mut withdrawn,
            mirror.name(m.name),
            m.vulnerability_id,
            identity,
        )
        .await?;
        events.push(event(m.id, "closed", json!({"reason": reason})));
        report.closed.push(m.id);
        closes.push((m.id, reason));
    }
    stored::close_many(&mut tx, &closes, &at).await?;
    // A full re-match confirms every finding it leaves alone with one row; a release's run
    // touches its own (a feed delta's run confirms nothing: its records' findings that stay
    // are confirmed by the next full re-match).
    match scope {
        MatchScope::All => stored::confirm_all(&mut tx, &at).await?,
        MatchScope::Release(_) => stored::touch(&mut tx, &confirmed, &at).await?,
        MatchScope::Delta(_) => {}
    }
    report.confirmed = confirmed.len();
    let ids = stored::insert(&mut tx, &new_findings, &at).await?;
    for (id, new) in ids.iter().zip(&new_findings) {
        events.push(event(
            *id,
            "opened",
            json!({"vulnerability": new.fields.vulnerability, "reasons": summary_of(&new.fields)}),
        ));
    }
    // Decisions made on other releases reach the new findings (inherited, or flagged for a
    // re-review when the version left the decision's range).
    let reachable: Vec<(i64, i64, String, Reachable)> = ids
        .iter()
        .zip(&new_findings)
        .zip(&new_rows)
        .map(|((id, new), r)| {
            let c = &mirror.identities[mirror.rows[*r].identity as usize];
            (
                *id,
                new.product_id,
                new.fields.vulnerability.clone(),
                Reachable {
                    finding_id: *id,
                    product_id: new.product_id,
                    package_key: c.package_key.clone(),
                    group: c.group.clone(),
                    name: c.name.clone(),
                    version: c.version.clone(),
                    purl: c.purl.clone(),
                    assessed_directly: false,
                },
            )
        })
        .collect();
    let actor = context.actor.to_string();
    events.extend(crate::triage::assessment::inherit_new(&mut tx, &reachable, &at, &actor).await?);
    report.opened = ids.clone();
    stored::insert_events(&mut tx, &events).await?;

    // A first match is an awareness source of the product's regulatory case.
    let first: BTreeMap<(i64, String), ()> = new_findings
        .iter()
        .map(|f| ((f.product_id, f.fields.vulnerability.clone()), ()))
        .collect();
    let products: Vec<i64> = first
        .keys()
        .map(|(product, _)| *product)
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    let with_case = aftercare_store::case::case_keys(&mut tx, &products).await?;
    let mut product_names: HashMap<i64, String> = HashMap::new();
    // The policy is read when a case is to be told (most runs tell none).
    let mut current_policy: Option<aftercare_risk::Policy> = None;
    for key in first.keys() {
        if with_case.contains(key) {
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
        if current_policy.is_none() {
            current_policy = Some(policy::current(workspace).await?.policy);
        }
        let Some(current_policy) = &current_policy else {
            continue;
        };
        case::apply_in(
            &mut tx,
            context,
            current_policy,
            *product_id,
            &name,
            vulnerability,
            &Event {
                at: now,
                kind: EventKind::FindingFirstSeen,
            },
        )
        .await?;
        report.cases += 1;
    }

    if report.changed_anything() {
        audit::record(
            &mut tx,
            context,
            Change {
                action: "finding.match",
                entity_type: "finding",
                entity_id: None,
                old_value: None,
                new_value: Some(json!({
                    "scope": scope_json(scope),
                    "components": report.components,
                    "records": report.records,
                    "opened": report.opened.len(),
                    "reopened": report.reopened.len(),
                    "changed": report.changed.len(),
                    "closed": report.closed.len(),
                    "confirmed": report.confirmed,
                    "cases": report.cases,
                })),
            },
        )
        .await?;
    }
    let last_event = stored::last_event(&mut tx).await?;
    tx.commit().await?;

    // The mirror follows what was committed.
    for (r, p, found) in reopen.iter().chain(&change) {
        let name = mirror.intern(&found.vulnerability);
        let id = mirror.findings[*r][*p].id;
        mirror.put(
            *r,
            Mirrored {
                id,
                name,
                vulnerability_id: found.vulnerability_id,
                open: true,
                digest: mirror::digest_value(&found.digest()),
            },
        );
    }
    for (r, p) in &close {
        mirror.findings[*r][*p].open = false;
    }
    for ((id, new), r) in ids.iter().zip(&new_findings).zip(&new_rows) {
        let name = mirror.intern(&new.fields.vulnerability);
        mirror.put(
            *r,
            Mirrored {
                id: *id,
                name,
                vulnerability_id: new.fields.vulnerability_id,
                open: true,
                digest: mirror::digest_value(&new.fields.digest()),
            },
        );
    }
    mirror.generation = Some(previous + 1);
    mirror.last_event = last_event;
    if let Some(intel_generation) = intel_generation {
        mirror.index = Some(WarmIndex {
            intel_generation,
            identities: mirror.identities.len(),
            prepared,
        });
    }
    Ok(report)
}
/// The records that may affect some components, prepared for matching: the candidates of
/// the affected index (by package key and CPE vendor/product) and every other record of their
/// vulnerabilities (so that severity and aliases are those of the whole vulnerability),
/// re-read from their documents and indexed in record order.
#[derive(Debug)]
pub struct CandidateIndex {
    /// The index.
    pub index: Index,
    /// How many records it holds.
    pub records: usize,
    memberships: Vec<Membership>,
    /// Record → position in `memberships`.
    vulnerability_of: HashMap<RecordKey, usize>,
}

impl CandidateIndex {
    /// The stored vulnerability a record is attached to.
    fn membership(&self, record: &RecordKey) -> Option<&Membership> {
        self.vulnerability_of
            .get(record)
            .and_then(|position| self.memberships.get(*position))
    }
}

/// Prepares the candidate records of some components (`package_keys` adds keys the
/// components' purls do not give, such as stored ones).
pub async fn candidate_index(
    workspace: &Workspace,
    components: &[Component],
    package_keys: &[String],
) -> Result<CandidateIndex, ServiceError> {
    prepare(workspace, components, package_keys, None).await
}

/// [`candidate_index`], through a server's record cache when there is one.
async fn prepare(
    workspace: &Workspace,
    components: &[Component],
    package_keys: &[String],
    cache: Option<&mut lookup::RecordCache>,
) -> Result<CandidateIndex, ServiceError> {
    let mut keys: BTreeSet<String> = package_keys.iter().cloned().collect();
    let mut products: BTreeSet<(String, String)> = BTreeSet::new();
    for component in components {
        if let Some(key) = component.package_key() {
            keys.insert(key.to_string());
        }
        for cpe in &component.cpes {
            products.insert(cpe_pair(cpe));
        }
    }
    let keys: Vec<String> = keys.into_iter().collect();
    let products: Vec<(String, String)> = products.into_iter().collect();
    let candidates = if components.is_empty() {
        lookup::Candidates::default()
    } else {
        lookup::candidates(workspace, &keys, &products).await?
    };
    let memberships = intel::sibling_records(workspace.store(), &candidates.record_ids()).await?;
    let mut record_ids: Vec<i64> = candidates.record_ids();
    record_ids.extend(memberships.iter().map(|m| m.record_id));
    index_of(workspace, record_ids, memberships, cache).await
}

/// The index of some records, re-read from their documents (through a server's cache), with
/// the vulnerabilities they are attached to.
async fn index_of(
    workspace: &Workspace,
    mut record_ids: Vec<i64>,
    memberships: Vec<Membership>,
    cache: Option<&mut lookup::RecordCache>,
) -> Result<CandidateIndex, ServiceError> {
    record_ids.sort_unstable();
    record_ids.dedup();
    let records = match cache {
        Some(cache) => lookup::reread_cached(workspace, &record_ids, cache).await?,
        None => lookup::reread(workspace, &record_ids).await?,
    };
    let by_row: HashMap<i64, usize> = memberships
        .iter()
        .enumerate()
        .map(|(position, m)| (m.record_id, position))
        .collect();
    let mut vulnerability_of = HashMap::new();
    for (row_id, record) in &records {
        if let Some(position) = by_row.get(row_id) {
            vulnerability_of.insert(RecordKey::of(record), *position);
        }
    }
    // In row order: what a finding says must not depend on a hash map's order.
    let mut records: Vec<(i64, aftercare_intel::Record)> = records.into_iter().collect();
    records.sort_by_key(|(id, _)| *id);
    let count = records.len();
    let index = Index::build(records.into_iter().map(|(_, record)| record));
    Ok(CandidateIndex {
        index,
        records: count,
        memberships,
        vulnerability_of,
    })
}

/// What a feed delta's run re-evaluates: its vulnerabilities — those of the changed records,
/// those the alias merge changed or retired, those of the changed KEV entries — (row ids, and
/// canonical ids for findings stored without one) and every record of theirs.
struct InPlay {
    ids: HashSet<i64>,
    names: HashSet<String>,
}

/// Deltas of more records than this (a first sync) re-match their components against every
/// candidate record, as a release's run does, instead of every record of their vulnerabilities.
const RESTRICTED_DELTA: usize = 5_000;

impl InPlay {
    async fn of(workspace: &Workspace, delta: &SyncDelta) -> Result<InPlay, ServiceError> {
        let mut ids: BTreeSet<i64> = delta.vulnerabilities.iter().copied().collect();
        let mut names: HashSet<String> = delta.kev.iter().cloned().collect();
        // The vulnerabilities of the changed records (whose alias groups did not change).
        let mut known: HashSet<i64> = HashSet::new();
        for m in intel::sibling_records(workspace.store(), &delta.records).await? {
            ids.insert(m.vulnerability_id);
            known.insert(m.vulnerability_id);
            names.insert(m.canonical);
        }
        for (_, id, _) in intel::aliases_in(workspace.store(), &delta.kev).await? {
            ids.insert(id);
        }
        // The others (merged into another, keeping no records; or a KEV entry's) by their
        // canonical id too.
        for id in ids.iter().filter(|id| !known.contains(id)) {
            if let Some(row) = intel::vulnerability(workspace.store().pool(), *id).await? {
                names.insert(row.canonical);
            }
        }
        Ok(InPlay {
            ids: ids.into_iter().collect(),
            names,
        })
    }
}

/// The CVEs of the stored KEV catalog.
pub async fn kev_cves(workspace: &Workspace) -> Result<HashSet<String>, ServiceError> {
    Ok(intel::kev_entries(workspace.store().pool())
        .await?
        .into_iter()
        .map(|entry| entry.cve)
        .collect())
}

fn scope_json(scope: MatchScope<'_>) -> Value {
    match scope {
        MatchScope::All => json!("all"),
        MatchScope::Release(id) => json!({"release": id}),
        MatchScope::Delta(delta) => json!({
            "vulnerabilities": delta.vulnerabilities.len(),
            "packages": delta.packages.len(),
            "products": delta.products.len(),
            "kev": delta.kev.len(),
        }),
    }
}

/// Whether a stored finding is the same vulnerability as a new match: the same stored
/// vulnerability row (stable across alias merges), the same canonical id, or the stored id
/// now among the match's aliases.
fn same_vulnerability(stored: &str, stored_id: Option<i64>, found: &MatchFields) -> bool {
    if let (Some(a), Some(b)) = (stored_id, found.vulnerability_id)
        && a == b
    {
        return true;
    }
    // A row merged into another since (its id redirected) still names the same ids.
    stored == found.vulnerability
        || serde_json::from_str::<Vec<String>>(&found.aliases)
            .is_ok_and(|aliases| aliases.iter().any(|alias| alias == stored))
}

fn summary_of(fields: &MatchFields) -> Value {
    let reasons: Value = serde_json::from_str(&fields.reasons).unwrap_or(Value::Null);
    json!({
        "severity": fields.severity,
        "kev": fields.kev,
        "fixed_versions": serde_json::from_str::<Value>(&fields.fixed_versions).unwrap_or(Value::Null),
        "reasons": reasons
            .as_array()
            .map(|list| list.iter().filter_map(|r| r.get("text").cloned()).collect::<Vec<_>>()),
    })
}

fn differences(before: &MatchFields, after: &MatchFields) -> Value {
    let mut out = serde_json::Map::new();
    let mut put = |name: &str, old: Value, new: Value| {
        if old != new {
            out.insert(name.to_string(), json!({"from": old, "to": new}));
        }
    };
    put(
        "vulnerability",
        json!(before.vulnerability),
        json!(after.vulnerability),
    );
    put("severity", json!(before.severity), json!(after.severity));
    put("score", json!(before.score), json!(after.score));
    put("kev", json!(before.kev), json!(after.kev));
    put(
        "confidence",
        json!(before.confidence),
        json!(after.confidence),
    );
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    put(
        "fixed_versions",
        parse(&before.fixed_versions),
        parse(&after.fixed_versions),
    );
    put("aliases", parse(&before.aliases), parse(&after.aliases));
    if before.reasons != after.reasons {
        out.insert("reasons".into(), summary_of(after)["reasons"].clone());
    }
    if before.summary != after.summary {
        out.insert("summary".into(), json!({"to": after.summary}));
    }
    Value::Object(out)
}

async fn close_reason(
    workspace: &Workspace,
    withdrawn: &mut HashMap<i64, bool>,
    vulnerability: &str,
    vulnerability_id: Option<i64>,
    component: &Identity,
) -> Result<String, ServiceError> {
    let version = component.version.as_deref().unwrap_or("(no version)");
    if let Some(id) = vulnerability_id {
        let gone = match withdrawn.get(&id) {
            Some(gone) => *gone,
            None => {
                let gone = intel::vulnerability(workspace.store().pool(), id)
                    .await?
                    .is_some_and(|v| v.withdrawn);
                withdrawn.insert(id, gone);
                gone
            }
        };
        if gone {
            return Ok(format!("{vulnerability} was withdrawn by its source"));
        }
    }
    Ok(format!(
        "no record of {vulnerability} affects {} {version} any more",
        component.full_name()
    ))
}

fn reason_json(reason: &Reason) -> Value {
    json!({
        "record": reason.record.to_string(),
        "source": reason.record.source.as_str(),
        "id": reason.record.id.to_string(),
        "kind": reason.kind(),
        "text": reason.describe(),
        "about": reason.about.as_ref().map(ToString::to_string),
        "version": reason.version,
        "fixed": reason.fixed,
        "confidence": reason.confidence.as_str(),
    })
}

/// How matcher ids map onto stored vulnerabilities.
struct Resolved<'a> {
    /// Alias → the stored vulnerability it belongs to.
    by_alias: &'a HashMap<String, i64>,
    /// Stored vulnerability → its canonical id.
    canonical_of: &'a HashMap<i64, String>,
    /// Records → the stored vulnerabilities they are attached to.
    prepared: &'a CandidateIndex,
    /// CVEs in the KEV catalog.
    kev: &'a HashSet<String>,
}

fn confidence_rank(confidence: &str) -> usize {
    ["high", "medium", "low"]
        .iter()
        .position(|s| *s == confidence)
        .unwrap_or(2)
}

/// Merges a second match of the same stored vulnerability into the first: the union of
/// aliases, reasons and fixed versions, the worse severity, KEV if either says so, the
/// higher confidence.
fn merge(into: &mut MatchFields, other: MatchFields) {
    let list = |text: &str| serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
    let union = |a: &str, b: &str| {
        let mut out = list(a);
        for item in list(b) {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        Value::Array(out).to_string()
    };
    into.aliases = union(&into.aliases, &other.aliases);
    into.reasons = sorted_reasons(list(&union(&into.reasons, &other.reasons)));
    into.fixed_versions = union(&into.fixed_versions, &other.fixed_versions);
    let severity = |label: &str| label.parse::<Severity>().unwrap_or(Severity::Unknown);
    if severity(&other.severity) > severity(&into.severity) {
        into.severity = other.severity;
        into.score = other.score;
        into.severity_basis = other.severity_basis;
    }
    into.kev |= other.kev;
    if confidence_rank(&other.confidence) < confidence_rank(&into.confidence) {
        into.confidence = other.confidence;
    }
    if into.summary.is_none() {
        into.summary = other.summary;
    }
    if into.vulnerability_id.is_none() {
        into.vulnerability_id = other.vulnerability_id;
    }
}

/// Reasons in a stable order (record, then what matched), as stored JSON.
fn sorted_reasons(mut reasons: Vec<Value>) -> String {
    reasons.sort_by(|a, b| {
        (a["record"].as_str(), a["text"].as_str()).cmp(&(b["record"].as_str(), b["text"].as_str()))
    });
    Value::Array(reasons).to_string()
}

/// What a matcher finding says, as stored.
fn fields(finding: &Finding, resolved: &Resolved<'_>) -> MatchFields {
    let canonical = finding.vulnerability.to_string();
    let row = resolved.by_alias.get(&canonical).copied().or_else(|| {
        finding
            .reasons
            .iter()
            .find_map(|reason| resolved.prepared.membership(&reason.record))
            .map(|m| m.vulnerability_id)
    });
    let vulnerability = row
        .and_then(|id| resolved.canonical_of.get(&id).cloned())
        .unwrap_or_else(|| canonical.clone());
    let kev = resolved.kev;
    let mut aliases: BTreeSet<String> = finding.aliases.iter().map(ToString::to_string).collect();
    aliases.insert(canonical);
    aliases.remove(&vulnerability);
    let in_kev = finding.kev
        || kev.contains(&vulnerability)
        || aliases.iter().any(|alias| kev.contains(alias));
    let (score, basis) = match &finding.severity.basis {
        Basis::Cvss {
            record,
            version,
            vector,
            score,
        } => (
            Some(*score),
            json!({"source": "cvss", "record": record.to_string(), "version": version.as_str(), "vector": vector, "score": score}),
        ),
        Basis::Label { record, label } => (
            None,
            json!({"source": "label", "record": record.to_string(), "label": label}),
        ),
        Basis::Unknown => (None, json!({"source": "none"})),
    };
    MatchFields {
        vulnerability,
        vulnerability_id: row,
        aliases: json!(aliases).to_string(),
        summary: finding.summary.clone(),
        severity: finding.severity.severity.as_str().to_string(),
        score,
        severity_basis: basis.to_string(),
        kev: in_kev,
        confidence: finding.confidence.as_str().to_string(),
        matched_version: finding.reasons.iter().find_map(|r| r.version.clone()),
        fixed_versions: json!(finding.fixed_versions).to_string(),
        reasons: sorted_reasons(finding.reasons.iter().map(reason_json).collect()),
    }
}

/// A page of findings.
#[derive(Debug, Clone)]
pub struct FindingPage {
    /// The findings.
    pub findings: Vec<FindingRow>,
    /// How many match the filter.
    pub total: i64,
}

/// A finding list query, as people and clients write it.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// A product by name or id.
    pub product: Option<String>,
    /// A release version (with `product`).
    pub release: Option<String>,
    /// Severities (`critical`, `high`, `medium`, `low`, `none`, `unknown`).
    pub severities: Vec<String>,
    /// Only KEV findings (true) or only the others (false).
    pub kev: Option<bool>,
    /// `open` (the default when `None` is not asked for), `closed` or `all`.
    pub state: Option<String>,
    /// A vulnerability by any of its ids.
    pub vulnerability: Option<String>,
    /// Text in the component or vulnerability.
    pub search: Option<String>,
    /// `unassessed`, `assessed`, `needs_review`, or a VEX status (`not_affected` …).
    pub assessment: Option<String>,
    /// Skip this many.
    pub offset: i64,
    /// At most this many.
    pub limit: i64,
}

const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "none", "unknown"];

/// Lists findings.
pub async fn list(
    workspace: &Workspace,
    query: &FindingQuery,
) -> Result<FindingPage, ServiceError> {
    let mut filter = FindingFilter::default();
    if let Some(product) = query.product.as_deref().filter(|p| !p.trim().is_empty()) {
        let product = crate::inventory::product(workspace, product).await?;
        filter.product_id = Some(product.id);
        if let Some(version) = query.release.as_deref().filter(|v| !v.trim().is_empty()) {
            let release = crate::inventory::release(workspace, &product.name, version).await?;
            filter.release_id = Some(release.id);
        }
    } else if query.release.is_some() {
        return Err(ServiceError::invalid(
            "release",
            "a release is named with its product (--product)",
        ));
    }
    for severity in &query.severities {
        let severity = severity.trim().to_ascii_lowercase();
        if !SEVERITIES.contains(&severity.as_str()) {
            return Err(ServiceError::invalid(
                "severity",
                format!("{severity:?}: expected one of {}", SEVERITIES.join(", ")),
            ));
        }
        filter.severities.push(severity);
    }
    filter.kev = query.kev;
    filter.state = match query.state.as_deref().map(str::trim) {
        None | Some("") | Some("open") => Some("open".into()),
        Some("closed") => Some("closed".into()),
        Some("all") => None,
        Some(other) => {
            return Err(ServiceError::invalid(
                "state",
                format!("{other:?}: expected open, closed or all"),
            ));
        }
    };
    if let Some(name) = query
        .vulnerability
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let canonical = match lookup::resolve(workspace, None, name).await {
            Ok(found) if !found.is_empty() => {
                intel::vulnerability(workspace.store().pool(), found[0].0)
                    .await?
                    .map(|v| v.canonical)
            }
            _ => None,
        };
        filter.vulnerability = Some(canonical.unwrap_or_else(|| name.trim().to_string()));
    }
    filter.search = query.search.clone();
    if let Some(assessment) = query
        .assessment
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let known = ["unassessed", "assessed", "needs_review"].contains(&assessment)
            || assessment.parse::<aftercare_risk::VexStatus>().is_ok();
        if !known {
            return Err(ServiceError::invalid(
                "assessment",
                format!(
                    "{assessment:?}: expected unassessed, assessed, needs_review, not_affected, \
                     affected, fixed or under_investigation"
                ),
            ));
        }
        filter.assessment = Some(assessment.to_string());
    }
    let limit = if query.limit <= 0 {
        100
    } else {
        query.limit.min(10_000)
    };
    let (findings, total) = stored::list(
        workspace.store().pool(),
        &filter,
        query.offset.max(0),
        limit,
    )
    .await?;
    Ok(FindingPage { findings, total })
}

/// A finding with its triage, its product's regulatory case and its history.
#[derive(Debug, Clone)]
pub struct FindingDetail {
    /// The finding.
    pub finding: FindingRow,
    /// Assessment, signals, exploitability and determination.
    pub triage: crate::triage::assessment::Triage,
    /// The regulatory case of the product and the vulnerability, with its events.
    pub case: Option<(
        crate::triage::case::CaseView,
        Vec<aftercare_store::case::CaseEventRow>,
    )>,
    /// What happened to it, oldest first.
    pub history: Vec<FindingEvent>,
}

/// One finding: why it matched, its triage, its case and clocks, and its history.
pub async fn show(workspace: &Workspace, id: i64) -> Result<FindingDetail, ServiceError> {
    let pool = workspace.store().pool();
    let finding = stored::by_id(pool, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "finding",
            key: id.to_string(),
        })?;
    let history = stored::events_of(pool, id).await?;
    let triage = crate::triage::assessment::triage(workspace, &finding).await?;
    let case = match case::case(workspace, &finding.product, &finding.vulnerability).await {
        Ok(found) => Some(found),
        Err(ServiceError::NotFound { .. }) => None,
        Err(error) => return Err(error),
    };
    Ok(FindingDetail {
        finding,
        triage,
        case,
        history,
    })
}
