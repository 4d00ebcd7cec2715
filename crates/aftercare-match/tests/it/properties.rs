//! Property tests: the matcher's OSV range evaluation agrees with a naive reference.
//!
//! The reference restates the schema's evaluation without walking sorted events: of the
//! events that apply to a version (an `introduced` or `fixed` at or below it, a
//! `last_affected` strictly below it), the one that sorts last by (version, position in the
//! record) decides; the version is affected when that event is an `introduced`. `limit`s,
//! when present, cap the range. Several ranges and the `versions` list are OR-ed.

use aftercare_match::{Component, Index};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Event {
    Introduced(Option<u32>),
    Fixed(u32),
    LastAffected(u32),
    Limit(u32),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => prop::option::weighted(0.8, 0u32..8).prop_map(Event::Introduced),
        2 => (0u32..8).prop_map(Event::Fixed),
        1 => (0u32..8).prop_map(Event::LastAffected),
        1 => (1u32..9).prop_map(Event::Limit),
    ]
}

fn text(version: u32) -> String {
    format!("{version}.0.0")
}

fn json_range(events: &[Event]) -> String {
    let events: Vec<String> = events
        .iter()
        .map(|event| match event {
            Event::Introduced(None) => r#"{"introduced": "0"}"#.to_string(),
            Event::Introduced(Some(v)) => format!(r#"{{"introduced": "{}"}}"#, text(*v)),
            Event::Fixed(v) => format!(r#"{{"fixed": "{}"}}"#, text(*v)),
            Event::LastAffected(v) => format!(r#"{{"last_affected": "{}"}}"#, text(*v)),
            Event::Limit(v) => format!(r#"{{"limit": "{}"}}"#, text(*v)),
        })
        .collect();
    format!(r#"{{"type": "SEMVER", "events": [{}]}}"#, events.join(", "))
}

/// The reference: see the module documentation.
fn reference_range(events: &[Event], version: u32) -> bool {
    let limits: Vec<u32> = events
        .iter()
        .filter_map(|event| match event {
            Event::Limit(limit) => Some(*limit),
            _ => None,
        })
        .collect();
    if !limits.is_empty() && !limits.iter().any(|limit| version < *limit) {
        return false;
    }
    // (sort key, is introduced) of each applying event; "0" sorts before everything.
    let applying = events
        .iter()
        .enumerate()
        .filter_map(|(position, event)| match event {
            Event::Introduced(None) => Some(((0i64, position), true)),
            Event::Introduced(Some(v)) if *v <= version => {
                Some(((i64::from(*v) + 1, position), true))
            }
            Event::Fixed(v) if *v <= version => Some(((i64::from(*v) + 1, position), false)),
            Event::LastAffected(v) if *v < version => Some(((i64::from(*v) + 1, position), false)),
            _ => None,
        });
    applying
        .max_by_key(|(key, _)| *key)
        .is_some_and(|(_, introduced)| introduced)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn range_evaluation_agrees_with_the_reference(
        ranges in prop::collection::vec(prop::collection::vec(event(), 0..6), 1..3),
        listed in prop::collection::vec(0u32..9, 0..3),
        version in 0u32..9,
    ) {
        let ranges_json: Vec<String> = ranges.iter().map(|events| json_range(events)).collect();
        let listed_json: Vec<String> = listed.iter().map(|v| format!("\"{}\"", text(*v))).collect();
        let record = format!(
            r#"{{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
                "affected": [{{"package": {{"ecosystem": "npm", "name": "left-pad"}},
                               "ranges": [{}], "versions": [{}]}}]}}"#,
            ranges_json.join(", "),
            listed_json.join(", ")
        );
        let records = aftercare_intel::read_document("record.json", record.as_bytes())
            .unwrap()
            .into_records();
        let index = Index::build(records);
        let component = Component::from_purl(format!("pkg:npm/left-pad@{}", text(version)).parse().unwrap());
        let matched = !index.scan(&[component], &[]).findings.is_empty();
        let expected = ranges.iter().any(|events| {
            // A range without introduced or with only limits affects nothing.
            reference_range(events, version)
        }) || listed.contains(&version);
        prop_assert_eq!(matched, expected, "{}", record);
    }
}
