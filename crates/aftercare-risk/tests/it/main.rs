//! Integration tests of aftercare-risk: regulatory clock scenarios with fixed dates, and the
//! path from signals through the determination to the clocks.

#![allow(
    clippy::unwrap_used,
    reason = "shared test helpers: a bad fixture should fail the test loudly"
)]

mod scenario;

use aftercare_risk::{Case, Event, EventKind, Policy, Transition, apply};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// The default policy (US clocks in America/New_York on US federal working days, EU clocks
/// in Europe/Berlin).
pub fn default_policy() -> Policy {
    Policy::builtin().unwrap()
}

/// The default policy with its US calendar replaced: another time zone, no holiday rules,
/// and these dates as closures.
pub fn policy_with_calendar(time_zone: &str, holidays: &[&str]) -> Policy {
    edited_policy(|document| {
        let calendar = table(document, &["jurisdiction", "us"]);
        calendar.insert("time_zone".into(), time_zone.into());
        calendar.insert("holidays".into(), toml::Value::Array(Vec::new()));
        calendar.insert(
            "closures".into(),
            toml::Value::Array(
                holidays
                    .iter()
                    .map(|day| {
                        let mut closure = toml::Table::new();
                        closure.insert("date".into(), (*day).into());
                        closure.insert("reason".into(), "configured for the test".into());
                        closure.into()
                    })
                    .collect(),
            ),
        );
    })
}

/// The default policy after `edit` changed its parsed document.
pub fn edited_policy(edit: impl FnOnce(&mut toml::Table)) -> Policy {
    let mut document: toml::Table =
        toml::from_str(aftercare_risk::policy::DEFAULT_POLICY_TOML).unwrap();
    edit(&mut document);
    Policy::from_toml(&toml::to_string(&document).unwrap(), "edited test policy").unwrap()
}

/// The table at a dotted path of a policy document.
pub fn table<'a>(document: &'a mut toml::Table, path: &[&str]) -> &'a mut toml::Table {
    let mut current = document;
    for key in path {
        current = current.get_mut(*key).unwrap().as_table_mut().unwrap();
    }
    current
}

/// The instant of a civil date-time (`2025-03-03T09:00`) in a time zone.
pub fn instant(time_zone: &str, civil: &str) -> Timestamp {
    civil
        .parse::<DateTime>()
        .unwrap()
        .to_zoned(TimeZone::get(time_zone).unwrap())
        .unwrap()
        .timestamp()
}

/// The instant of a civil date-time in New York, the default policy's time zone.
pub fn new_york(civil: &str) -> Timestamp {
    instant("America/New_York", civil)
}

/// A date.
pub fn day(text: &str) -> Date {
    text.parse().unwrap()
}

/// Applies one event and returns the transition.
pub fn step(case: &Case, policy: &Policy, at: Timestamp, kind: EventKind) -> Transition {
    apply(case, &Event { at, kind }, policy).unwrap()
}
