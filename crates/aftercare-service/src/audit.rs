//! The one function every mutation writes its audit event through.

use aftercare_store::Tx;
use aftercare_store::audit::{self, NewAuditEvent};

use crate::{Context, ServiceError};

/// The audit vocabulary: every kind of change the trail records, in one reviewable list (21
/// CFR Part 11.10(e): who did what, when). The text form is what the chain stores; a new
/// action is a new variant here, never a string literal at the call.
macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// What a change did. See the list below for each action's meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            /// Every action, in the order of the list.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stored text form (`release.create`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $text,)*
                }
            }
        }
    };
}

actions! {
    /// A request refused for a missing permission (21 CFR 11.300(d): unauthorized attempts are recorded).
    AccessDenied = "access.denied",
    /// An account created, with its roles.
    AccountCreate = "account.create",
    /// An account changed (roles, name, enabled).
    AccountUpdate = "account.update",
    /// A completed training recorded for an account (11.10(i)).
    AccountTrainingAdd = "account.training.add",
    /// A person logged in: a session began.
    AuthLogin = "auth.login",
    /// A login refused (wrong password, locked or disabled account).
    AuthLoginFailed = "auth.login_failed",
    /// A session ended.
    AuthLogout = "auth.logout",
    /// A regulatory case opened for a (product, vulnerability).
    CaseOpen = "case.open",
    /// An event applied to a regulatory case, with the clock changes it made.
    CaseEvent = "case.event",
    /// Time passed over a case: clocks became missed, an 806 clock may have opened.
    CaseTick = "case.tick",
    /// A controlled/uncontrolled determination made, with its inputs and their digest.
    DeterminationMake = "determination.make",
    /// A vulnerability feed added.
    FeedAdd = "feed.add",
    /// A feed removed (its records stay).
    FeedRemove = "feed.remove",
    /// A feed synced: one event per run, with its counts and delta digest.
    FeedSync = "feed.sync",
    /// An assessment of findings: VEX status, justification, response, scope.
    FindingAssess = "finding.assess",
    /// A match run changed findings: opened, reopened, changed, closed, held.
    FindingMatch = "finding.match",
    /// A new policy revision, e-signed.
    PolicyChange = "policy.change",
    /// The built-in policy stored by a new workspace.
    PolicyInit = "policy.init",
    /// A product added.
    ProductCreate = "product.create",
    /// A release added.
    ReleaseCreate = "release.create",
    /// A release's SBOM imported, with its digest.
    ReleaseImportSbom = "release.import_sbom",
    /// A support addendum applied to a release's components (level of support, end of support).
    ReleaseSupportAddendum = "release.support_addendum",
    /// A security alert raised (lock-out, repeated failed signatures) (11.300(d)).
    SecurityAlert = "security.alert",
    /// The access settings changed.
    SettingsAccessUpdate = "settings.access.update",
    /// An e-signature refused: wrong credentials or not allowed (11.300(d)).
    SignatureRefused = "signature.refused",
    /// An e-signature recorded: signer, meaning, time, and the signed content's digest (11.50, 11.70).
    SignatureSign = "signature.sign",
    /// An API token created (its secret shown once, stored hashed).
    TokenCreate = "token.create",
    /// An API token revoked.
    TokenRevoke = "token.revoke",
    /// A workspace initialized with its local administrator.
    WorkspaceInit = "workspace.init",
    /// A remediation plan created: its findings, target, cycle and owner.
    PlanCreate = "plan.create",
    /// A remediation plan changed: owner, target, cycle, references, controls, findings.
    PlanUpdate = "plan.update",
    /// A remediation plan moved to another state (work started, patch built, approved,
    /// distributed, closed, cancelled with its reason).
    PlanTransition = "plan.transition",
    /// A release attached as the patch of remediation plans.
    PatchAttach = "patch.attach",
    /// Verification or validation evidence recorded for a patch release (never edited: a
    /// correction supersedes it).
    PatchEvidenceAdd = "patch.evidence.add",
    /// A patch release approved for distribution, e-signed, binding its SBOM, fix evidence and
    /// every evidence item.
    PatchApprove = "patch.approve",
    /// A patch release rejected, with the reason.
    PatchReject = "patch.reject",
    /// A patch release revoked (recalled), with the reason.
    PatchRevoke = "patch.revoke",
    /// A patch release distributed to customers, as the gate allowed.
    PatchDistribute = "patch.distribute",
    /// An organisation that owns devices added.
    OrganisationAdd = "organisation.add",
    /// A site of an organisation added.
    SiteAdd = "site.add",
    /// A device registered (its token's digest, never the token).
    DeviceAdd = "device.add",
    /// Devices registered from a CSV file in one transaction: one event with the count, the
    /// file's digest and the controller ids.
    DeviceImport = "device.import",
    /// A device changed: site, organisation, tags, installed release (with its source).
    DeviceUpdate = "device.update",
    /// A device decommissioned, with the reason (never deleted; its token stops working).
    DeviceDecommission = "device.decommission",
    /// A rollout created (release, filter, waves, thresholds, update type, window), after the
    /// approval gate.
    RolloutCreate = "rollout.create",
    /// A rollout started: the gate checked again, the plan of waves written, the first wave
    /// offered.
    RolloutStart = "rollout.start",
    /// A rollout paused, by a person (with the reason) or by itself (a threshold, the gate).
    RolloutPause = "rollout.pause",
    /// A paused rollout resumed.
    RolloutResume = "rollout.resume",
    /// A rollout canceled, by a person or by a revoked patch: its open actions are canceled.
    RolloutCancel = "rollout.cancel",
    /// The failed devices of a rollout offered the release again.
    RolloutRetry = "rollout.retry_failed",
    /// The signed go or no-go at a rollout's hold point.
    RolloutDecide = "rollout.decide",
    /// A rollout's next wave started, by itself once the previous one reached its threshold.
    RolloutWave = "rollout.wave",
    /// A rollout finished: every wave reached its success threshold.
    RolloutFinish = "rollout.finish",
    /// A device closed an action (installed, failed, skipped or canceled): one event per
    /// action, never one per poll or progress message.
    ActionClose = "action.close",
    /// Device credentials refused by the DDI routes (a wrong or unknown token, untrusted
    /// certificate headers): one security event with the count since the last one.
    DeviceCredentialRefused = "device.credential_refused",
    /// A product's update CA set: the certificates (subjects, SHA-256 fingerprints) a `.swu`'s
    /// signer must chain to, with the ones they replace.
    ProductTrustCa = "product.trust_ca",
    /// An artifact added to a release: its file name, size, digests and, for a `.swu`, the
    /// signer its signature was verified against.
    ArtifactAdd = "artifact.add",
    /// A fleet signal raised by a detector, with its evidence (a repeat of an open signal is
    /// counted on it, not recorded again).
    SignalRaise = "signal.raise",
    /// A signal acknowledged by a person.
    SignalAcknowledge = "signal.acknowledge",
    /// A signal dismissed by a person, with the reason.
    SignalDismiss = "signal.dismiss",
    /// A rollout's health rules set (the metrics its patched devices are compared on).
    RolloutHealth = "rollout.health",
    /// An incident opened (by hand, from a signal or from a report), with its awareness day.
    IncidentOpen = "incident.open",
    /// A device, finding, signal or rollout linked to an incident.
    IncidentLink = "incident.link",
    /// An incident classified (21 CFR 803, EU MDR Art. 87, or not reportable with the
    /// rationale), signed, with the clocks it opened.
    IncidentClassify = "incident.classify",
    /// An incident closed with its root cause, corrective actions (CAPA) and lessons learned.
    IncidentClose = "incident.close",
    /// A signal moved to `incident`: an incident was opened from it or linked it.
    SignalIncident = "signal.incident",
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An audit record of one change, before it is chained.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// What was done.
    pub action: AuditAction,
    /// The kind of record.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: Option<String>,
    /// The value before (JSON).
    pub old_value: Option<serde_json::Value>,
    /// The value after (JSON).
    pub new_value: Option<serde_json::Value>,
}

/// Appends the audit event of a change in the caller's transaction, at the use case's instant
/// (`context.now`).
pub async fn record(
    tx: &mut Tx,
    context: &Context,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    audit::append(
        tx,
        NewAuditEvent {
            actor: context.actor.to_string(),
            action: change.action.as_str().to_string(),
            entity_type: change.entity_type.to_string(),
            entity_id: change.entity_id,
            old_value: change.old_value.map(|v| v.to_string()),
            new_value: change.new_value.map(|v| v.to_string()),
            reason: context.reason.clone(),
            request_id: context.request_id.clone(),
        },
        &context.at(),
    )
    .await?;
    Ok(())
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The sequence number of the first event that does not verify (for a removed tail, the
    /// head's sequence number).
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

/// A signature row that its chained `signature.sign` event does not vouch for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The signature's id (for an event whose row is gone, the id the event names).
    pub signature_id: i64,
    /// The kind of signed record.
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// What differs, naming the stored and the recorded value.
    pub reason: String,
}

/// The result of walking the audit chain and checking the signatures against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Events checked.
    pub events: i64,
    /// The head kept outside the events table.
    pub head: aftercare_store::audit::AuditHead,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
    /// Signatures checked against their `signature.sign` events.
    pub signatures_checked: i64,
    /// The signatures that do not match their event (edited, inserted or removed in the
    /// database).
    pub signature_mismatches: Vec<SignatureMismatch>,
}

impl Verification {
    /// Whether the whole chain verified and every signature matches its chained event.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none() && self.signature_mismatches.is_empty()
    }
}

/// Compares every signature row with the `signature.sign` event written in the same
/// transaction (21 CFR 11.70: a signature is linked to its record so that it cannot be
/// altered): signer, meaning, time, signed record and content digest. The row has no hash of
/// its own; the event is chained, so an edit of the row (or a row added without its event, or
/// a row removed) shows as a difference with the event. Events written before the event
/// carried the signer's account and login are compared through their actor (`user:LOGIN`,
/// the signer: only people sign).
pub async fn verify_signatures(
    workspace: &crate::Workspace,
) -> Result<(i64, Vec<SignatureMismatch>), ServiceError> {
    let events = audit::of_action(
        workspace.store().pool(),
        AuditAction::SignatureSign.as_str(),
    )
    .await?;
    compare_signatures(workspace, &events).await
}

/// [`verify_signatures`] against the `signature.sign` events a chain walk has already read
/// (a walk of every event sees them all; reading them again by action would scan the table
/// a second time).
async fn compare_signatures(
    workspace: &crate::Workspace,
    events: &[audit::StoredAuditEvent],
) -> Result<(i64, Vec<SignatureMismatch>), ServiceError> {
    let pool = workspace.store().pool();
    let rows = aftercare_store::signature::all_signatures(pool).await?;
    let mut by_signature = std::collections::BTreeMap::new();
    for stored in events {
        let value: Option<serde_json::Value> = stored
            .event
            .new_value
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        if let Some(value) = value
            && let Some(id) = value
                .get("signature_id")
                .and_then(serde_json::Value::as_i64)
        {
            by_signature.insert(id, (stored, value));
        }
    }
    let mut mismatches = Vec::new();
    for row in &rows {
        let mismatch = |reason: String| SignatureMismatch {
            signature_id: row.id,
            entity_type: row.entity_type.clone(),
            entity_id: row.entity_id.clone(),
            reason,
        };
        let Some((stored, value)) = by_signature.remove(&row.id) else {
            mismatches.push(mismatch(format!(
                "signature {} of {} {} has no signature.sign event in the audit trail: it was not recorded by aftercare",
                row.id, row.entity_type, row.entity_id
            )));
            continue;
        };
        let event = &stored.event;
        let recorded = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
        let mut differences = Vec::new();
        let mut compare = |what: &str, stored_value: &str, recorded_value: Option<&str>| {
            if let Some(recorded_value) = recorded_value
                && recorded_value != stored_value
            {
                differences.push(format!(
                    "{what} is {stored_value:?} but the event recorded {recorded_value:?}"
                ));
            }
        };
        compare(
            "the signed record's kind",
            &row.entity_type,
            Some(&event.entity_type),
        );
        compare(
            "the signed record's id",
            &row.entity_id,
            event.entity_id.as_deref(),
        );
        compare(
            "the printed name",
            &row.printed_name,
            recorded("printed_name"),
        );
        compare("the meaning", &row.meaning, recorded("meaning"));
        compare("the time", &row.signed_at, recorded("signed_at"));
        compare(
            "the content digest",
            &row.content_sha256,
            recorded("content_sha256"),
        );
        match (
            recorded("login"),
            value.get("account_id").and_then(serde_json::Value::as_i64),
        ) {
            (Some(login), account) => {
                compare("the signer's login", &row.login, Some(login));
                if let Some(account) = account
                    && account != row.account_id
                {
                    differences.push(format!(
                        "the signer's account is {} but the event recorded {account}",
                        row.account_id
                    ));
                }
            }
            (None, _) => compare(
                "the signer",
                &format!("user:{}", row.login),
                Some(&event.actor),
            ),
        }
        if !differences.is_empty() {
            mismatches.push(mismatch(format!(
                "signature {} of {} {} does not match its signature.sign event {}: {}",
                row.id,
                row.entity_type,
                row.entity_id,
                event.seq,
                differences.join("; ")
            )));
        }
    }
    // Events whose signature row is gone: a removed signature.
    for (id, (stored, _)) in by_signature {
        mismatches.push(SignatureMismatch {
            signature_id: id,
            entity_type: stored.event.entity_type.clone(),
            entity_id: stored.event.entity_id.clone().unwrap_or_default(),
            reason: format!(
                "signature {id} of {} {}, recorded by audit event {}, is missing from the signatures",
                stored.event.entity_type,
                stored.event.entity_id.as_deref().unwrap_or(""),
                stored.event.seq
            ),
        });
    }
    mismatches.sort_by_key(|m| m.signature_id);
    Ok((i64::try_from(rows.len()).unwrap_or(i64::MAX), mismatches))
}

/// Audit events matching a filter, oldest first.
pub async fn list(
    workspace: &crate::Workspace,
    filter: &audit::AuditFilter,
) -> Result<Vec<audit::StoredAuditEvent>, ServiceError> {
    Ok(audit::list(workspace.store().pool(), filter).await?)
}

/// Walks the whole audit chain: every event's hash is recomputed from its stored fields and
/// the previous hash; sequence numbers must be contiguous (a deleted event leaves a gap);
/// the last event must be the head kept outside the table (removing the newest events is
/// caught there). Reports the first broken link.
///
/// The chain is checked in segments concurrently (each on its own connection, hashing off
/// the async runtime), then the segments' seams are checked: segment k must start right
/// after segment k-1 ends, and its first event must link to the hash recomputed for the last
/// event of segment k-1. That is the same check as one sequential walk.
///
/// Then every signature is compared with its chained event ([`verify_signatures`]).
pub async fn verify(workspace: &crate::Workspace) -> Result<Verification, ServiceError> {
    let (mut verification, signed) = verify_chain(workspace).await?;
    let (checked, mismatches) = match signed {
        Some(events) => compare_signatures(workspace, &events).await?,
        None => verify_signatures(workspace).await?,
    };
    verification.signatures_checked = checked;
    verification.signature_mismatches = mismatches;
    Ok(verification)
}

/// The chain's part of [`verify`], and the `signature.sign` events when the walk read every
/// event in one pass (`None` when it read them in segments).
async fn verify_chain(
    workspace: &crate::Workspace,
) -> Result<(Verification, Option<Vec<audit::StoredAuditEvent>>), ServiceError> {
    const SEGMENTS: i64 = 4;
    const SEQUENTIAL_BELOW: i64 = 40_000;
    if let Some(file) = workspace.store().sqlite_file() {
        let file = file.to_path_buf();
        return verify_streamed(workspace, move |checker| {
            audit::scan_sqlite(&file, |event| checker.push(&event)).map_err(ServiceError::from)
        })
        .await;
    }
    if workspace.store().backend() == aftercare_store::Backend::Postgres {
        let store = workspace.store().clone();
        return verify_streamed(workspace, move |checker| {
            // The copy stream is async; drive it on a runtime of this blocking thread so
            // that parsing and hashing stay off the server's runtime.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|_| ServiceError::Background {
                    operation: "verify the audit chain",
                })?;
            runtime
                .block_on(audit::scan_postgres(&store, |event| checker.push(&event)))
                .map_err(ServiceError::from)
        })
        .await;
    }
    let last = audit::max_seq(workspace.store().pool()).await?;
    let segments = if last < SEQUENTIAL_BELOW { 1 } else { SEGMENTS };
    Ok((verify_in_segments(workspace, segments).await?, None))
}

/// One sequential walk over every event read by `scan` (a bulk read of the backend), on a
/// blocking thread, then the comparison with the head.
async fn verify_streamed(
    workspace: &crate::Workspace,
    scan: impl FnOnce(&mut Checker) -> Result<(), ServiceError> + Send + 'static,
) -> Result<(Verification, Option<Vec<audit::StoredAuditEvent>>), ServiceError> {
    let head = aftercare_store::audit::head(workspace.store().pool()).await?;
    let (checked, signed) = tokio::task::spawn_blocking(move || {
        let mut checker = Checker::new(0, aftercare_model::audit::GENESIS_HASH.to_string());
        checker.keep_signatures = true;
        scan(&mut checker)?;
        let signed = std::mem::take(&mut checker.signed);
        Ok::<_, ServiceError>((checker.finish(), signed))
    })
    .await
    .map_err(|_| ServiceError::Background {
        operation: "verify the audit chain",
    })??;
    if checked.broken.is_some() {
        return Ok((
            Verification {
                events: checked.count,
                head,
                broken: checked.broken,
                signatures_checked: 0,
                signature_mismatches: Vec::new(),
            },
            // The walk stopped at the break: the signatures are read by their action.
            None,
        ));
    }
    let broken =
        (head.seq != checked.last_seq || head.hash != checked.last_hash).then(|| BrokenLink {
            seq: head.seq,
            reason: format!(
                "the chain ends at event {} but its head (kept outside the events table) says \
                 {}: events were removed from the end or the head was altered",
                checked.last_seq, head.seq
            ),
        });
    Ok((
        Verification {
            events: checked.count,
            head,
            broken,
            signatures_checked: 0,
            signature_mismatches: Vec::new(),
        },
        Some(signed),
    ))
}

/// The chain walk of [`verify`] with a given number of segments, without the signatures
/// (tests check that every split gives the same answer as one sequential walk).
pub async fn verify_in_segments(
    workspace: &crate::Workspace,
    segments: i64,
) -> Result<Verification, ServiceError> {
    let segments = segments.max(1);
    let pool = workspace.store().pool();
    let head = aftercare_store::audit::head(pool).await?;
    let last = audit::max_seq(pool).await?.max(head.seq);
    let size = (last + segments - 1) / segments.max(1);
    let mut tasks = Vec::new();
    for index in 0..segments {
        let after = index * size;
        let until = if index + 1 == segments {
            i64::MAX
        } else {
            (index + 1) * size
        };
        let store = workspace.store().clone();
        tasks.push(tokio::spawn(async move {
            check_segment(&store, after, until).await
        }));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        let result = task.await.map_err(|_| ServiceError::Background {
            operation: "verify the audit chain",
        })??;
        results.push(result);
    }
    let mut events = 0;
    let mut previous_seq = 0;
    let mut previous_hash = aftercare_model::audit::GENESIS_HASH.to_string();
    for segment in results {
        // The seam with the previous segment (or the genesis).
        if let Some((first_seq, first_prev)) = &segment.first {
            if *first_seq != previous_seq + 1 {
                return Ok(broken(
                    events,
                    head,
                    *first_seq,
                    format!(
                        "event {} is missing: the chain jumps from {previous_seq} to {first_seq}",
                        previous_seq + 1
                    ),
                ));
            }
            if *first_prev != previous_hash {
                return Ok(broken(
                    events,
                    head,
                    *first_seq,
                    format!(
                        "event {first_seq} does not link to event {previous_seq}: its stored \
                     previous hash differs from that event's hash"
                    ),
                ));
            }
        }
        events += segment.checked.count;
        if let Some(link) = segment.checked.broken {
            return Ok(Verification {
                events,
                head,
                broken: Some(link),
                signatures_checked: 0,
                signature_mismatches: Vec::new(),
            });
        }
        if segment.first.is_some() {
            previous_seq = segment.checked.last_seq;
            previous_hash = segment.checked.last_hash;
        }
    }
    let broken_link = if head.seq != previous_seq || head.hash != previous_hash {
        Some(BrokenLink {
            seq: head.seq,
            reason: format!(
                "the chain ends at event {previous_seq} but its head (kept outside the events \
                 table) says {}: events were removed from the end or the head was altered",
                head.seq
            ),
        })
    } else {
        None
    };
    Ok(Verification {
        events,
        head,
        broken: broken_link,
        signatures_checked: 0,
        signature_mismatches: Vec::new(),
    })
}

fn broken(
    events: i64,
    head: aftercare_store::audit::AuditHead,
    seq: i64,
    reason: String,
) -> Verification {
    Verification {
        events,
        head,
        broken: Some(BrokenLink { seq, reason }),
        signatures_checked: 0,
        signature_mismatches: Vec::new(),
    }
}

/// One segment's result: its first event (seq and stored previous hash) and the check of
/// the links inside it.
struct Segment {
    first: Option<(i64, String)>,
    checked: CheckedPage,
}

async fn check_segment(
    store: &aftercare_store::Store,
    after: i64,
    until: i64,
) -> Result<Segment, ServiceError> {
    const PAGE: i64 = 20_000;
    let mut first = None;
    let mut cursor = after;
    let mut total = CheckedPage {
        count: 0,
        last_seq: after,
        last_hash: String::new(),
        broken: None,
    };
    loop {
        let page = audit::range_page(store.pool(), cursor, until, PAGE).await?;
        let Some(head) = page.first() else { break };
        if first.is_none() {
            first = Some((head.event.seq, head.prev_hash.clone()));
            // Inside the segment the walk starts from the first event's own claim; the seam
            // check compares that claim with the previous segment.
            total.last_seq = head.event.seq - 1;
            total.last_hash = head.prev_hash.clone();
        }
        let (start_seq, start_hash) = (total.last_seq, total.last_hash.clone());
        let checked = tokio::task::spawn_blocking(move || check_page(&page, start_seq, start_hash))
            .await
            .map_err(|_| ServiceError::Background {
                operation: "verify the audit chain",
            })?;
        total.count += checked.count;
        total.last_seq = checked.last_seq;
        total.last_hash = checked.last_hash;
        if checked.broken.is_some() {
            total.broken = checked.broken;
            break;
        }
        cursor = total.last_seq;
    }
    Ok(Segment {
        first,
        checked: total,
    })
}

struct CheckedPage {
    count: i64,
    last_seq: i64,
    last_hash: String,
    broken: Option<BrokenLink>,
}

/// Checks events one after another: contiguous sequence numbers, links, recomputed hashes.
struct Checker {
    state: CheckedPage,
    /// Whether to keep the `signature.sign` events it checks (a walk of the whole chain).
    keep_signatures: bool,
    /// Those events, in chain order.
    signed: Vec<aftercare_store::audit::StoredAuditEvent>,
}

impl Checker {
    fn new(previous_seq: i64, previous_hash: String) -> Checker {
        Checker {
            state: CheckedPage {
                count: 0,
                last_seq: previous_seq,
                last_hash: previous_hash,
                broken: None,
            },
            keep_signatures: false,
            signed: Vec::new(),
        }
    }

    /// Checks the next event; `false` once the chain is broken (stop reading).
    fn push(&mut self, stored: &aftercare_store::audit::StoredAuditEvent) -> bool {
        let state = &mut self.state;
        state.count += 1;
        let seq = stored.event.seq;
        let previous_seq = state.last_seq;
        let reason = if seq != previous_seq + 1 {
            Some(format!(
                "event {} is missing: the chain jumps from {previous_seq} to {seq}",
                previous_seq + 1
            ))
        } else if stored.prev_hash != state.last_hash {
            Some(format!(
                "event {seq} does not link to event {previous_seq}: its stored previous hash \
                 differs from that event's hash"
            ))
        } else {
            let recomputed = stored.event.chain_hash(&state.last_hash);
            if recomputed != stored.hash {
                Some(format!(
                    "event {seq} was altered: its content no longer gives its stored hash"
                ))
            } else {
                state.last_seq = seq;
                state.last_hash = recomputed;
                None
            }
        };
        if reason.is_none()
            && self.keep_signatures
            && stored.event.action == AuditAction::SignatureSign.as_str()
        {
            self.signed.push(stored.clone());
        }
        match reason {
            Some(reason) => {
                state.broken = Some(BrokenLink { seq, reason });
                false
            }
            None => true,
        }
    }

    fn finish(self) -> CheckedPage {
        self.state
    }
}

fn check_page(
    page: &[aftercare_store::audit::StoredAuditEvent],
    previous_seq: i64,
    previous_hash: String,
) -> CheckedPage {
    let mut checker = Checker::new(previous_seq, previous_hash);
    for stored in page {
        if !checker.push(stored) {
            break;
        }
    }
    checker.finish()
}

/// Audits a refused request (an unauthorized attempt) in its own transaction.
pub async fn access_denied(
    workspace: &crate::Workspace,
    context: &Context,
    detail: serde_json::Value,
) -> Result<(), ServiceError> {
    let mut tx = workspace.store().begin().await?;
    record(
        &mut tx,
        context,
        Change {
            action: AuditAction::AccessDenied,
            entity_type: "request",
            entity_id: None,
            old_value: None,
            new_value: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod vocabulary_tests {
    use super::AuditAction;

    #[test]
    fn every_action_has_one_distinct_dotted_name() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert!(names.iter().all(|n| {
            n.contains('.')
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
        }));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "two actions share a name");
    }
}
