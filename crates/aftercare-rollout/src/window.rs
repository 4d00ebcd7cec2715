//! Maintenance windows: the text of `--window 'CRON DURATION TZ'` and whether a window is
//! open at a given local time.
//!
//! - **CRON** is five fields, as in crontab(5): minute (0–59), hour (0–23), day of month
//!   (1–31), month (1–12), day of week (0–7, 0 and 7 are Sunday). Each field is `*` or a
//!   comma list of `N` and `A-B`, each of which (and `*`) may take a step `/S`. Names (`MON`,
//!   `JAN`), `L`, `W`, `#` and `?` are not supported. As in Vixie cron, when both the day of
//!   month and the day of week are restricted (the field does not start with `*`), a day
//!   matches if **either** does; otherwise both must.
//! - **DURATION** is `HH:MM` (or hawkBit's `HH:MM:SS` with `00` seconds): how long the window
//!   stays open after each time the schedule fires; more than zero, at most 7 days.
//! - **TZ** is the zone the schedule is read in: an IANA name (`Europe/Berlin`), `UTC`, or an
//!   offset (`+01:00`). It is only checked for its characters here; the service resolves it
//!   (with `jiff`) and converts the instant to the zone's wall-clock time before asking.
//!
//! A window is **open** at local time `t` when the schedule fired at some minute `s` with
//! `t − DURATION < s ≤ t`. Times are wall-clock minutes: across a daylight-saving change a
//! window lasts DURATION on the clock, not in elapsed time, and a start in a skipped hour
//! never fires (as with cron). [`MaintenanceWindow::is_open`] looks back at most 8 days.
//!
//! What a closed window means for the DDI offer is the service's: clients that honour
//! `maintenanceWindow` get `unavailable`; SWUpdate, which ignores it, is not offered the
//! deploymentBase at all (`crate::ClientCapabilities`).

use std::fmt;
use std::str::FromStr;

use crate::RolloutError;

/// The longest window, in minutes (7 days).
pub const MAX_DURATION_MINUTES: u32 = 7 * 24 * 60;

/// One cron field: the values it allows, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    bits: u64,
    /// Whether it was written without a leading `*` (for the day rule).
    restricted: bool,
}

impl Field {
    fn allows(self, value: u32) -> bool {
        value < 64 && self.bits & (1 << value) != 0
    }

    fn values(self) -> impl Iterator<Item = u32> {
        (0..64u32).filter(move |value| self.allows(*value))
    }
}

/// A parsed maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    minute: Field,
    hour: Field,
    day_of_month: Field,
    month: Field,
    day_of_week: Field,
    duration_minutes: u32,
    zone: String,
    text: String,
}

/// A wall-clock minute in the window's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
}

impl LocalTime {
    /// Checks the date and time.
    pub fn new(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
    ) -> Result<LocalTime, RolloutError> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60;
        if !valid {
            return Err(RolloutError::LocalTimeInvalid {
                text: format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}"),
            });
        }
        Ok(LocalTime {
            year,
            month,
            day,
            hour,
            minute,
        })
    }
}

impl MaintenanceWindow {
    /// The zone, as written.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// How long the window stays open, in minutes.
    pub fn duration_minutes(&self) -> u32 {
        self.duration_minutes
    }

    /// Whether the window is open at `now` (wall-clock time in [`MaintenanceWindow::zone`]).
    pub fn is_open(&self, now: LocalTime) -> bool {
        let today = days_from_civil(now.year, now.month, now.day);
        let now_minute = i64::from(now.hour * 60 + now.minute);
        let duration = i64::from(self.duration_minutes);
        // The earliest start that still covers now lies `duration - 1` minutes back.
        let days_back = ((duration - 1 - now_minute).max(0) + 1439) / 1440;
        (0..=days_back).any(|back| {
            let day = today - back;
            self.day_matches(day)
                && self.hour.values().any(|hour| {
                    self.minute.values().any(|minute| {
                        let start = -back * 1440 + i64::from(hour * 60 + minute);
                        let since = now_minute - start;
                        (0..duration).contains(&since)
                    })
                })
        })
    }

    fn day_matches(&self, days: i64) -> bool {
        let (_, month, day) = civil_from_days(days);
        if !self.month.allows(month) {
            return false;
        }
        // 1970-01-01 was a Thursday (4, with Sunday 0).
        let weekday = u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
        let by_month_day = self.day_of_month.allows(day);
        let by_week_day = self.day_of_week.allows(weekday);
        if self.day_of_month.restricted && self.day_of_week.restricted {
            by_month_day || by_week_day
        } else {
            by_month_day && by_week_day
        }
    }
}

impl fmt::Display for MaintenanceWindow {
    /// The text, blanks normalised.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

impl FromStr for MaintenanceWindow {
    type Err = RolloutError;

    fn from_str(text: &str) -> Result<MaintenanceWindow, RolloutError> {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let [
            minute,
            hour,
            day_of_month,
            month,
            day_of_week,
            duration,
            zone,
        ] = tokens[..]
        else {
            return Err(RolloutError::WindowShape {
                text: text.to_string(),
                tokens: tokens.len(),
            });
        };
        let minute = field("minute", minute, 0, 59)?;
        let hour = field("hour", hour, 0, 23)?;
        let day_of_month = field("day of month", day_of_month, 1, 31)?;
        let month = field("month", month, 1, 12)?;
        let mut day_of_week = field("day of week", day_of_week, 0, 7)?;
        // 7 is Sunday, like 0.
        if day_of_week.allows(7) {
            day_of_week.bits = (day_of_week.bits & !(1 << 7)) | 1;
        }
        Ok(MaintenanceWindow {
            minute,
            hour,
            day_of_month,
            month,
            day_of_week,
            duration_minutes: parse_duration(duration)?,
            zone: parse_zone(zone)?,
            text: tokens.join(" "),
        })
    }
}

fn field(name: &'static str, text: &str, low: u32, high: u32) -> Result<Field, RolloutError> {
    let wrong = |problem: String| RolloutError::CronField {
        field: name,
        text: text.to_string(),
        problem,
    };
    let number = |part: &str| -> Result<u32, RolloutError> {
        let value: u32 = part
            .parse()
            .map_err(|_| wrong(format!("{part:?} is not a number")))?;
        if value < low || value > high {
            return Err(wrong(format!("{value} is outside {low}-{high}")));
        }
        Ok(value)
    };
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 =
                    step.parse().ok().filter(|step| *step > 0).ok_or_else(|| {
                        wrong(format!("the step {step:?} is not a positive number"))
                    })?;
                (range, step)
            }
            None => (item, 1),
        };
        let (from, to) = if range == "*" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(wrong(format!("the range {a}-{b} runs backwards")));
            }
            (a, b)
        } else {
            let value = number(range)?;
            // `N/S` means from N to the end, as in Vixie cron.
            (value, if item.contains('/') { high } else { value })
        };
        let mut value = from;
        while value <= to {
            bits |= 1 << value;
            match value.checked_add(step) {
                Some(next) => value = next,
                None => break,
            }
        }
    }
    Ok(Field {
        bits,
        restricted: !text.starts_with('*'),
    })
}

fn parse_duration(text: &str) -> Result<u32, RolloutError> {
    let wrong = || RolloutError::WindowDuration {
        text: text.to_string(),
    };
    let parts: Vec<&str> = text.split(':').collect();
    let (hours, minutes) = match parts[..] {
        [hours, minutes] => (hours, minutes),
        [hours, minutes, "00"] => (hours, minutes),
        _ => return Err(wrong()),
    };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    if !digits(hours) || !digits(minutes) || minutes.len() != 2 {
        return Err(wrong());
    }
    let hours: u32 = hours.parse().map_err(|_| wrong())?;
    let minutes: u32 = minutes.parse().map_err(|_| wrong())?;
    let total = hours
        .checked_mul(60)
        .and_then(|h| h.checked_add(minutes))
        .ok_or_else(wrong)?;
    if minutes > 59 || total == 0 || total > MAX_DURATION_MINUTES {
        return Err(wrong());
    }
    Ok(total)
}

fn parse_zone(text: &str) -> Result<String, RolloutError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+-:".contains(c);
    if text.is_empty() || !text.chars().all(allowed) {
        return Err(RolloutError::WindowZone {
            text: text.to_string(),
        });
    }
    Ok(text.to_string())
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month, day) of days since 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> LocalTime {
        // "2026-03-02 01:30"
        let (date, time) = text.split_once(' ').unwrap();
        let date: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
        let (hour, minute) = time.split_once(':').unwrap();
        LocalTime::new(
            date[0] as i32,
            date[1] as u32,
            date[2] as u32,
            hour.parse().unwrap(),
            minute.parse().unwrap(),
        )
        .unwrap()
    }

    /// window text, local time → open or closed, or the parse error.
    fn check(window: &str, now: &str, expected: &str) {
        let found = match window.parse::<MaintenanceWindow>() {
            Ok(window) => if window.is_open(at(now)) {
                "open"
            } else {
                "closed"
            }
            .to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{window} at {now}");
    }

    #[test]
    #[rustfmt::skip]
    fn a_nightly_window() {
        // 02:00 to 04:00 every night. 2026-03-02 is a Monday.
        let nightly = "0 2 * * * 02:00 Europe/Berlin";
        check(nightly, "2026-03-02 01:59", "closed");
        check(nightly, "2026-03-02 02:00", "open");
        check(nightly, "2026-03-02 03:59", "open");
        check(nightly, "2026-03-02 04:00", "closed");
    }

    #[test]
    #[rustfmt::skip]
    fn windows_across_midnight_and_month_ends() {
        // 23:00 for three hours: open until 01:59 the next day, across a month and a year.
        let late = "0 23 * * * 03:00 UTC";
        check(late, "2026-03-01 00:30", "open");
        check(late, "2026-03-01 02:00", "closed");
        check(late, "2027-01-01 01:59", "open");
        check(late, "2026-12-31 22:59", "closed");
        // Weekdays only: Saturday 2026-03-07 00:30 is still Friday night's window; Sunday's is not.
        let weekdays = "0 23 * * 1-5 03:00 UTC";
        check(weekdays, "2026-03-07 00:30", "open");
        check(weekdays, "2026-03-08 00:30", "closed");
        check(weekdays, "2026-03-07 23:30", "closed");
        // A weekend window of 48 hours from Saturday 00:00 (6), looked back across days.
        let weekend = "0 0 * * 6 48:00 UTC";
        check(weekend, "2026-03-08 23:59", "open");
        check(weekend, "2026-03-09 00:00", "closed");
        // 7 means Sunday, like 0.
        check("30 1 * * 7 01:00 UTC", "2026-03-08 02:00", "open");
        check("30 1 * * 0 01:00 UTC", "2026-03-08 02:30", "closed");
        // 29 February exists in 2028.
        check("0 0 29 2 * 24:00 UTC", "2028-02-29 12:00", "open");
        check("0 0 29 2 * 24:00 UTC", "2027-03-01 12:00", "closed");
    }

    #[test]
    #[rustfmt::skip]
    fn lists_ranges_steps_and_the_day_rule() {
        // Every 15 minutes for 5 minutes.
        check("*/15 * * * * 00:05 UTC", "2026-03-02 10:36", "closed");
        check("*/15 * * * * 00:05 UTC", "2026-03-02 10:49", "open");
        check("0,30 9-17/4 * * * 00:10 UTC", "2026-03-02 13:35", "open");
        check("0,30 9-17/4 * * * 00:10 UTC", "2026-03-02 11:05", "closed");
        check("5/20 * * * * 00:01 UTC", "2026-03-02 10:45", "open");
        check("5/20 * * * * 00:01 UTC", "2026-03-02 10:05", "open");
        check("5/20 * * * * 00:01 UTC", "2026-03-02 10:00", "closed");
        // Day of month 1 OR Monday (both restricted): Monday 2 March is open, Tuesday 3 is not.
        check("0 0 1 * 1 24:00 UTC", "2026-03-02 12:00", "open");
        check("0 0 1 * 1 24:00 UTC", "2026-03-03 12:00", "closed");
        check("0 0 1 * 1 24:00 UTC", "2026-04-01 12:00", "open");
        // Only the month restricted: every day of March.
        check("0 0 * 3 * 24:00 UTC", "2026-03-17 12:00", "open");
        check("0 0 * 3 * 24:00 UTC", "2026-04-17 12:00", "closed");
    }

    #[test]
    #[rustfmt::skip]
    fn errors_say_what_is_wrong() {
        check("0 2 * * *", "2026-03-02 02:00", "the window \"0 2 * * *\" has 5 parts; write 'CRON DURATION TZ' with five cron fields, e.g. '0 2 * * 1-5 02:00 Europe/Berlin'");
        check("60 2 * * * 02:00 UTC", "2026-03-02 02:00", "cron minute \"60\": 60 is outside 0-59");
        check("0 2 0 * * 02:00 UTC", "2026-03-02 02:00", "cron day of month \"0\": 0 is outside 1-31");
        check("0 5-2 * * * 02:00 UTC", "2026-03-02 02:00", "cron hour \"5-2\": the range 5-2 runs backwards");
        check("0 */0 * * * 02:00 UTC", "2026-03-02 02:00", "cron hour \"*/0\": the step \"0\" is not a positive number");
        check("0 2 * * MON 02:00 UTC", "2026-03-02 02:00", "cron day of week \"MON\": \"MON\" is not a number");
        check("0 2 * * * 2h UTC", "2026-03-02 02:00", "the window's duration \"2h\" is not HH:MM (more than 00:00, at most 168:00)");
        check("0 2 * * * 00:00 UTC", "2026-03-02 02:00", "the window's duration \"00:00\" is not HH:MM (more than 00:00, at most 168:00)");
        check("0 2 * * * 168:01 UTC", "2026-03-02 02:00", "the window's duration \"168:01\" is not HH:MM (more than 00:00, at most 168:00)");
        check("0 2 * * * 02:00:30 UTC", "2026-03-02 02:00", "the window's duration \"02:00:30\" is not HH:MM (more than 00:00, at most 168:00)");
        check("0 2 * * * 02:00:00 Europe/Berlin", "2026-03-02 02:00", "open");
        check("0 2 * * * 02:00 Europe/Berlin;", "2026-03-02 02:00", "the window's zone \"Europe/Berlin;\" is not a zone name (Europe/Berlin, UTC) or an offset (+01:00)");
    }

    #[test]
    fn local_times_are_checked() {
        assert!(LocalTime::new(2027, 2, 29, 0, 0).is_err());
        assert!(LocalTime::new(2028, 2, 29, 0, 0).is_ok());
        assert_eq!(
            LocalTime::new(2026, 4, 31, 24, 0).unwrap_err().to_string(),
            "2026-04-31 24:00 is not a local date and time"
        );
    }

    #[test]
    fn the_text_is_kept_with_blanks_normalised() {
        let window: MaintenanceWindow = "  0 2  * * 1-5   02:00 Europe/Berlin ".parse().unwrap();
        assert_eq!(window.to_string(), "0 2 * * 1-5 02:00 Europe/Berlin");
        assert_eq!(window.zone(), "Europe/Berlin");
        assert_eq!(window.duration_minutes(), 120);
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in -1000..100_000 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year as i32, month, day), days);
        }
    }
}
