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

/// The default policy (America/New_York, US federal holidays).
pub fn default_policy() -> Policy {
    Policy::builtin().unwrap()
}

/// The default policy with its calendar changed.
pub fn policy_with_calendar(time_zone: &str, holidays: &[&str]) -> Policy {
    let mut document: toml::Value =
        toml::from_str(aftercare_risk::policy::DEFAULT_POLICY_TOML).unwrap();
    let calendar = document
        .get_mut("calendar")
        .and_then(toml::Value::as_table_mut)
        .unwrap();
    calendar.insert("time_zone".into(), time_zone.into());
    calendar.insert(
        "holidays".into(),
        toml::Value::Array(holidays.iter().map(|day| (*day).into()).collect()),
    );
    Policy::from_toml(&toml::to_string(&document).unwrap(), "test calendar").unwrap()
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
