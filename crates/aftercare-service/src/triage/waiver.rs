//! A clock waiver as a signed record (21 CFR 11.50, 11.70): the content its signature is bound
//! to, rebuilt from the stored clock, and the signatures of waived clocks with their state, so
//! that every view of a waived clock can show who signed it, when and with what meaning.
//!
//! The content is the one `case::waive` signs: the clock's id, kind, reference, the end of its
//! deadline and the waiver's rationale, as JSON. A waived clock keeps all of them (its deadline
//! is no longer re-keyed), so the content rebuilt here matches the signed one until someone
//! edits the stored clock.

use std::collections::BTreeMap;

use aftercare_risk::Clock;
use serde_json::json;

use crate::access::signature::{SignatureState, SignatureView};
use crate::{ServiceError, Workspace};

/// The content a waiver's signature is bound to.
pub fn content(
    clock_id: i64,
    kind: &str,
    reference: Option<&str>,
    deadline_end: &str,
    rationale: &str,
) -> String {
    json!({
        "clock": clock_id,
        "kind": kind,
        "reference": reference,
        "deadline_end": deadline_end,
        "rationale": rationale.trim(),
    })
    .to_string()
}

/// The content of a stored waived clock (`None` when it is not waived).
pub fn content_of(clock_id: i64, clock: &Clock) -> Option<String> {
    let waiver = clock.waiver()?;
    Some(content(
        clock_id,
        clock.kind().as_str(),
        clock.reference(),
        &aftercare_store::timestamp_text(clock.deadline().end),
        &waiver.rationale,
    ))
}

/// The waiver signatures of some clocks (id and clock), by clock id, each checked against the
/// clock as stored now. Clocks that are not waived have none and are not looked up.
pub async fn signatures<'a>(
    workspace: &Workspace,
    clocks: impl IntoIterator<Item = (i64, &'a Clock)>,
) -> Result<BTreeMap<i64, Vec<SignatureView>>, ServiceError> {
    let contents: BTreeMap<String, String> = clocks
        .into_iter()
        .filter_map(|(id, clock)| Some((id.to_string(), content_of(id, clock)?)))
        .collect();
    let ids: Vec<String> = contents.keys().cloned().collect();
    let rows =
        aftercare_store::signature::signatures_of_many(workspace.store(), "clock", &ids).await?;
    let mut out: BTreeMap<i64, Vec<SignatureView>> = BTreeMap::new();
    for signature in rows {
        let (Some(content), Ok(id)) = (
            contents.get(&signature.entity_id),
            signature.entity_id.parse::<i64>(),
        ) else {
            continue;
        };
        let state = if signature.content_sha256
            == aftercare_model::Sha256::of(content.as_bytes()).to_hex()
        {
            SignatureState::Valid
        } else {
            SignatureState::ContentChanged
        };
        out.entry(id)
            .or_default()
            .push(SignatureView { signature, state });
    }
    Ok(out)
}

/// The waiver signatures of a case's clocks, by clock id.
pub async fn of_case(
    workspace: &Workspace,
    view: &super::case::CaseView,
) -> Result<BTreeMap<i64, Vec<SignatureView>>, ServiceError> {
    signatures(
        workspace,
        view.clock_ids.iter().copied().zip(view.case.clocks()),
    )
    .await
}
