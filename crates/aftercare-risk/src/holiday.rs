//! Holidays by rule: a holiday is a rule (a fixed date, the n-th weekday of a month, or a
//! number of days from Easter Sunday) with the years it applies to and how a weekend date is
//! observed, so that a calendar never runs out the way a finite list of dates does.
//!
//! The rules are data in the policy (`[jurisdiction.KEY] holidays`); this module evaluates
//! them. Two observances exist because the jurisdictions aftercare serves need two:
//! US federal holidays move off weekends (5 U.S.C. 6103(b) and Executive Order 11582: a holiday
//! on a Saturday is observed on the Friday before, one on a Sunday on the Monday after), while
//! EU Member States keep a holiday on its date. Easter is computed with the anonymous Gregorian
//! algorithm (Meeus/Jones/Butcher), valid for every year of the Gregorian calendar.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

use crate::RiskError;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// How a holiday whose date falls on a weekend is observed.
    pub enum Observance as "holiday observance" {
        /// On its date, whatever the weekday (EU Member States).
        OnTheDay = "on_the_day",
        /// A Saturday holiday on the preceding Friday, a Sunday holiday on the following
        /// Monday (5 U.S.C. 6103(b), Executive Order 11582). The Friday may fall in the year
        /// before: New Year's Day 2028 (a Saturday) is observed on Friday 2027-12-31.
        NearestWeekday = "nearest_weekday",
    }
}

/// Which day of a year a holiday rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayDate {
    /// The same month and day every year (`01-01`).
    Fixed {
        /// 1..=12.
        month: i8,
        /// 1..=31, a day that exists in every year (not February 29).
        day: i8,
    },
    /// The n-th weekday of a month (`third monday of january`); `nth = -1` is the last.
    NthWeekday {
        /// 1..=12.
        month: i8,
        /// The weekday.
        weekday: Weekday,
        /// 1..=5, or -1 for the last.
        nth: i8,
    },
    /// A number of days from Western (Gregorian) Easter Sunday: -2 is Good Friday, 1 Easter
    /// Monday, 39 Ascension Day, 50 Whit Monday.
    Easter {
        /// Days after Easter Sunday (negative: before).
        offset: i16,
    },
}

/// One holiday rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRule {
    name: String,
    date: HolidayDate,
    observance: Observance,
    from_year: Option<i16>,
    until_year: Option<i16>,
}

impl HolidayRule {
    /// A rule; `from_year` and `until_year` (inclusive) bound the years in which the holiday
    /// exists (Juneteenth from 2021), as years of its date before any observed-day shift.
    ///
    /// Refused: an empty name, a fixed date that does not exist every year (February 29 or
    /// April 31), an `nth` outside 1..=5 and -1, an Easter offset beyond ±200 days, and
    /// `from_year` after `until_year`.
    pub fn new(
        name: &str,
        date: HolidayDate,
        observance: Observance,
        from_year: Option<i16>,
        until_year: Option<i16>,
    ) -> Result<HolidayRule, RiskError> {
        let invalid = |problem: String| RiskError::HolidayRuleInvalid {
            name: name.to_string(),
            problem,
        };
        if name.trim().is_empty() {
            return Err(invalid("a holiday needs a name".to_string()));
        }
        match date {
            HolidayDate::Fixed { month, day } => {
                // 2023 is not a leap year: a date valid in it exists in every year.
                if month == 2 && day == 29 || Date::new(2023, month, day).is_err() {
                    return Err(invalid(format!(
                        "{month:02}-{day:02} is not a date of every year"
                    )));
                }
            }
            HolidayDate::NthWeekday { month, nth, .. } => {
                if !(1..=12).contains(&month) {
                    return Err(invalid(format!("month {month} is not 1..=12")));
                }
                if !(nth == -1 || (1..=5).contains(&nth)) {
                    return Err(invalid(format!("nth {nth} is not 1..=5 or -1 (the last)")));
                }
            }
            HolidayDate::Easter { offset } => {
                if !(-200..=200).contains(&offset) {
                    return Err(invalid(format!(
                        "Easter offset {offset} is beyond ±200 days"
                    )));
                }
            }
        }
        if let (Some(from), Some(until)) = (from_year, until_year)
            && from > until
        {
            return Err(invalid(format!(
                "from_year {from} is after until_year {until}"
            )));
        }
        Ok(HolidayRule {
            name: name.trim().to_string(),
            date,
            observance,
            from_year,
            until_year,
        })
    }

    /// The holiday's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The day it names.
    pub fn date(&self) -> HolidayDate {
        self.date
    }

    /// How a weekend date is observed.
    pub fn observance(&self) -> Observance {
        self.observance
    }

    /// The day this rule makes a holiday for the holiday of `year` (after the observed-day
    /// shift, so it may fall in the year before or after), or `None` when the holiday does not
    /// exist in that year (or an n-th weekday that the month does not have).
    pub fn observed_in(&self, year: i16) -> Result<Option<Date>, RiskError> {
        if self.from_year.is_some_and(|from| year < from)
            || self.until_year.is_some_and(|until| year > until)
        {
            return Ok(None);
        }
        let out_of_range = |source| RiskError::DateOutOfRange {
            date: Date::new(year, 1, 1).unwrap_or(Date::MIN),
            source,
        };
        let nominal = match self.date {
            HolidayDate::Fixed { month, day } => {
                Date::new(year, month, day).map_err(out_of_range)?
            }
            HolidayDate::NthWeekday {
                month,
                weekday,
                nth,
            } => {
                let first = Date::new(year, month, 1).map_err(out_of_range)?;
                let found = first.nth_weekday_of_month(nth, weekday);
                match found {
                    Ok(day) => day,
                    // A fifth weekday that this month does not have.
                    Err(_) => return Ok(None),
                }
            }
            HolidayDate::Easter { offset } => easter_sunday(year)?
                .checked_add(i64::from(offset).days())
                .map_err(out_of_range)?,
        };
        let shift = match (self.observance, nominal.weekday()) {
            (Observance::NearestWeekday, Weekday::Saturday) => -1,
            (Observance::NearestWeekday, Weekday::Sunday) => 1,
            _ => 0,
        };
        nominal
            .checked_add(shift.days())
            .map(Some)
            .map_err(|source| RiskError::DateOutOfRange {
                date: nominal,
                source,
            })
    }
}

/// Western Easter Sunday of a Gregorian year, by the anonymous Gregorian algorithm
/// (Meeus, *Astronomical Algorithms*, chapter 8; first published in *Nature*, 1876).
pub fn easter_sunday(year: i16) -> Result<Date, RiskError> {
    if year < 1583 {
        return Err(RiskError::EasterBeforeGregorian { year });
    }
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1..=31 by construction; the conversions cannot fail.
    let month = i8::try_from(month).unwrap_or(4);
    let day = i8::try_from(day).unwrap_or(1);
    Date::new(year, month, day).map_err(|source| RiskError::DateOutOfRange {
        date: Date::new(year, 1, 1).unwrap_or(Date::MIN),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_of_known_years() {
        // Dates from published Easter tables (the earliest possible, 22 March, in 1818 and
        // 2285; the latest, 25 April, in 1943 and 2038).
        for (year, expected) in [
            (1818, date(1818, 3, 22)),
            (1943, date(1943, 4, 25)),
            (2000, date(2000, 4, 23)),
            (2019, date(2019, 4, 21)),
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            (2031, date(2031, 4, 13)),
            (2038, date(2038, 4, 25)),
            (2100, date(2100, 3, 28)),
            (2285, date(2285, 3, 22)),
        ] {
            assert_eq!(easter_sunday(year).unwrap(), expected, "{year}");
            assert_eq!(expected.weekday(), Weekday::Sunday, "{year}");
        }
        assert!(easter_sunday(1582).is_err());
    }

    fn rule(date: HolidayDate, observance: Observance) -> HolidayRule {
        HolidayRule::new("test", date, observance, None, None).unwrap()
    }

    /// A rule, a year → the observed day.
    fn check(rule: &HolidayRule, year: i16, expected: Option<Date>) {
        assert_eq!(rule.observed_in(year).unwrap(), expected, "{rule:?} {year}");
    }

    #[test]
    fn rules_name_their_days() {
        let new_year = rule(
            HolidayDate::Fixed { month: 1, day: 1 },
            Observance::NearestWeekday,
        );
        // 2028-01-01 is a Saturday: observed on Friday 2027-12-31, in the year before.
        check(&new_year, 2028, Some(date(2027, 12, 31)));
        // 2023-01-01 is a Sunday: observed on Monday 2023-01-02.
        check(&new_year, 2023, Some(date(2023, 1, 2)));
        check(&new_year, 2025, Some(date(2025, 1, 1)));
        let kept = rule(
            HolidayDate::Fixed { month: 1, day: 1 },
            Observance::OnTheDay,
        );
        check(&kept, 2028, Some(date(2028, 1, 1)));
        // Memorial Day, the last Monday of May: 2026-05-25 (May 31 is a Sunday).
        let memorial = rule(
            HolidayDate::NthWeekday {
                month: 5,
                weekday: Weekday::Monday,
                nth: -1,
            },
            Observance::NearestWeekday,
        );
        check(&memorial, 2026, Some(date(2026, 5, 25)));
        // A fifth Monday of February exists only some years (2044: Feb 1 is a Monday, leap).
        let fifth = rule(
            HolidayDate::NthWeekday {
                month: 2,
                weekday: Weekday::Monday,
                nth: 5,
            },
            Observance::OnTheDay,
        );
        check(&fifth, 2044, Some(date(2044, 2, 29)));
        check(&fifth, 2025, None);
        // Whit Monday 2027: Easter 2027-03-28 + 50 days = 2027-05-17.
        let whit_monday = rule(HolidayDate::Easter { offset: 50 }, Observance::OnTheDay);
        check(&whit_monday, 2027, Some(date(2027, 5, 17)));
        // Juneteenth exists from 2021; 2021-06-19 was a Saturday, observed on Friday 18.
        let juneteenth = HolidayRule::new(
            "Juneteenth",
            HolidayDate::Fixed { month: 6, day: 19 },
            Observance::NearestWeekday,
            Some(2021),
            None,
        )
        .unwrap();
        check(&juneteenth, 2020, None);
        check(&juneteenth, 2021, Some(date(2021, 6, 18)));
    }

    #[test]
    fn malformed_rules_are_refused() {
        for (date, from, until, problem) in [
            (
                HolidayDate::Fixed { month: 2, day: 29 },
                None,
                None,
                "02-29",
            ),
            (
                HolidayDate::Fixed { month: 4, day: 31 },
                None,
                None,
                "04-31",
            ),
            (
                HolidayDate::NthWeekday {
                    month: 13,
                    weekday: Weekday::Monday,
                    nth: 1,
                },
                None,
                None,
                "month 13",
            ),
            (
                HolidayDate::NthWeekday {
                    month: 1,
                    weekday: Weekday::Monday,
                    nth: 0,
                },
                None,
                None,
                "nth 0",
            ),
            (HolidayDate::Easter { offset: 400 }, None, None, "400"),
            (
                HolidayDate::Fixed { month: 1, day: 1 },
                Some(2030),
                Some(2020),
                "after until_year",
            ),
        ] {
            let error = HolidayRule::new("bad", date, Observance::OnTheDay, from, until)
                .unwrap_err()
                .to_string();
            assert!(error.contains(problem), "{error}");
        }
    }
}
