//! Deadline arithmetic in the policy's time zone: calendar and working days, weekends,
//! holidays, and the instant a deadline ends.
//!
//! The rules (BRIEF, step 5): day 0 is the day of the event that starts the clock, in the
//! policy's time zone; a deadline of N days ends at 23:59 of day N — the whole minute 23:59
//! belongs to it, so its last instant is 23:59:59.999999999 local time. Calendar-day deadlines
//! are not moved off weekends or holidays. Working-day deadlines count only days that are
//! neither weekend days nor holidays; day 0 itself need not be a working day (a report received
//! on a Saturday with a 5-working-day deadline is due the following Friday).

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::RiskError;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// How a deadline counts its days.
    pub enum DayKind as "day kind" {
        /// Every day counts; a deadline on a Sunday stays on the Sunday.
        Calendar = "calendar",
        /// Only days that are neither weekend days nor holidays count.
        Working = "working",
    }
}

/// The policy's calendar: time zone, weekend days and holidays.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    time_zone_name: String,
    time_zone: TimeZone,
    weekend: Vec<Weekday>,
    holidays: BTreeSet<Date>,
}

/// The end of a deadline: its day and the instant it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline {
    /// Day N, in the policy's time zone.
    pub day: Date,
    /// 23:59:59.999999999 of day N in the policy's time zone.
    pub end: Timestamp,
}

impl Calendar {
    /// A calendar for an IANA time zone name (looked up in the system or bundled tz
    /// database), weekend days and holidays.
    pub fn new(
        time_zone_name: &str,
        weekend: &[Weekday],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Calendar, RiskError> {
        let time_zone =
            TimeZone::get(time_zone_name).map_err(|source| RiskError::UnknownTimeZone {
                key: "calendar.time_zone",
                name: time_zone_name.to_string(),
                source,
            })?;
        let mut weekend = weekend.to_vec();
        weekend.sort_by_key(|day| day.to_monday_one_offset());
        weekend.dedup();
        Ok(Calendar {
            time_zone_name: time_zone_name.to_string(),
            time_zone,
            weekend,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// The IANA name of the time zone.
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The weekend days, Monday first.
    pub fn weekend(&self) -> &[Weekday] {
        &self.weekend
    }

    /// The holidays.
    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.holidays
    }

    /// Whether a day is neither a weekend day nor a holiday.
    pub fn is_working_day(&self, day: Date) -> bool {
        !self.weekend.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    /// The day an instant falls on in the policy's time zone.
    pub fn day_of(&self, instant: Timestamp) -> Date {
        instant.to_zoned(self.time_zone.clone()).date()
    }

    /// Day N counted from day 0 = `start`.
    pub fn add_days(&self, start: Date, days: u32, kind: DayKind) -> Result<Date, RiskError> {
        match kind {
            DayKind::Calendar => start.checked_add(i64::from(days).days()).map_err(|source| {
                RiskError::DateOutOfRange {
                    date: start,
                    source,
                }
            }),
            DayKind::Working => {
                let mut day = start;
                let mut counted = 0;
                while counted < days {
                    day = day
                        .tomorrow()
                        .map_err(|source| RiskError::DateOutOfRange { date: day, source })?;
                    if self.is_working_day(day) {
                        counted += 1;
                    }
                }
                Ok(day)
            }
        }
    }

    /// The last instant of a day in the policy's time zone (23:59:59.999999999).
    pub fn end_of_day(&self, day: Date) -> Result<Timestamp, RiskError> {
        day.at(23, 59, 59, 999_999_999)
            .to_zoned(self.time_zone.clone())
            .map(|zoned| zoned.timestamp())
            .map_err(|source| RiskError::DateOutOfRange { date: day, source })
    }

    /// The deadline N days (of a kind) after day 0 = `start`.
    pub fn deadline(&self, start: Date, days: u32, kind: DayKind) -> Result<Deadline, RiskError> {
        let day = self.add_days(start, days, kind)?;
        Ok(Deadline {
            day,
            end: self.end_of_day(day)?,
        })
    }
}

/// Parses a weekday name as the policy writes it (`saturday`).
pub(crate) fn parse_weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn calendar(holidays: &[Date]) -> Calendar {
        Calendar::new(
            "Europe/Berlin",
            &[Weekday::Saturday, Weekday::Sunday],
            holidays.iter().copied(),
        )
        .unwrap()
    }

    /// Start date, days, kind → expected day N.
    fn check(calendar: &Calendar, start: Date, days: u32, kind: DayKind, expected: Date) {
        assert_eq!(
            calendar.add_days(start, days, kind).unwrap(),
            expected,
            "{start} + {days} {kind}"
        );
    }

    #[test]
    fn day_arithmetic() {
        let plain = calendar(&[]);
        // 2025-03-07 is a Friday.
        check(
            &plain,
            date(2025, 3, 7),
            0,
            DayKind::Calendar,
            date(2025, 3, 7),
        );
        check(
            &plain,
            date(2025, 3, 7),
            1,
            DayKind::Calendar,
            date(2025, 3, 8),
        );
        check(
            &plain,
            date(2025, 3, 7),
            30,
            DayKind::Calendar,
            date(2025, 4, 6),
        );
        check(
            &plain,
            date(2025, 3, 7),
            0,
            DayKind::Working,
            date(2025, 3, 7),
        );
        check(
            &plain,
            date(2025, 3, 7),
            1,
            DayKind::Working,
            date(2025, 3, 10),
        );
        check(
            &plain,
            date(2025, 3, 7),
            5,
            DayKind::Working,
            date(2025, 3, 14),
        );
        check(
            &plain,
            date(2025, 3, 8),
            5,
            DayKind::Working,
            date(2025, 3, 14),
        );
        check(
            &plain,
            date(2025, 3, 7),
            10,
            DayKind::Working,
            date(2025, 3, 21),
        );
        let easter = calendar(&[date(2025, 4, 18), date(2025, 4, 21)]);
        // Thursday before Good Friday: Fri and Mon are holidays.
        check(
            &easter,
            date(2025, 4, 17),
            1,
            DayKind::Working,
            date(2025, 4, 22),
        );
        check(
            &easter,
            date(2025, 4, 17),
            5,
            DayKind::Working,
            date(2025, 4, 28),
        );
        // Calendar days ignore holidays.
        check(
            &easter,
            date(2025, 4, 17),
            1,
            DayKind::Calendar,
            date(2025, 4, 18),
        );
    }

    #[test]
    fn working_day_deadlines_hold_their_invariants_over_a_whole_year() {
        // Exhaustive instead of random: every start day of 2025 and every N up to 40.
        let calendar = calendar(&[date(2025, 4, 18), date(2025, 4, 21), date(2025, 12, 25)]);
        let mut start = date(2025, 1, 1);
        while start.year() == 2025 {
            let mut previous = start;
            for days in 0..=40 {
                let due = calendar.add_days(start, days, DayKind::Working).unwrap();
                assert!(due >= previous, "monotonic: {start} + {days}");
                if days > 0 {
                    assert!(calendar.is_working_day(due), "{start} + {days} = {due}");
                    let mut counted = 0;
                    let mut day = start.tomorrow().unwrap();
                    while day <= due {
                        counted += u32::from(calendar.is_working_day(day));
                        day = day.tomorrow().unwrap();
                    }
                    assert_eq!(counted, days, "{start} + {days} = {due}");
                }
                let calendar_due = calendar.add_days(start, days, DayKind::Calendar).unwrap();
                assert_eq!(start.until(calendar_due).unwrap().get_days(), days as i32);
                previous = due;
            }
            start = start.tomorrow().unwrap();
        }
    }

    #[test]
    fn end_of_day_is_local() {
        let berlin = calendar(&[]);
        let end = berlin.end_of_day(date(2025, 1, 15)).unwrap();
        assert_eq!(end.to_string(), "2025-01-15T22:59:59.999999999Z");
        // Summer time: UTC+2.
        let end = berlin.end_of_day(date(2025, 7, 15)).unwrap();
        assert_eq!(end.to_string(), "2025-07-15T21:59:59.999999999Z");
        assert_eq!(berlin.day_of(end), date(2025, 7, 15));
        assert!(Calendar::new("Mars/Olympus_Mons", &[], []).is_err());
    }
}
