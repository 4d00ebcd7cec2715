//! Lenient timestamps: the sources write RFC 3339, RFC 3339 without an offset (NVD),
//! bare dates (KEV) and `+0000` offsets (EPSS); all of them mean UTC when no offset is given.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use crate::warning::{WarningKind, Warnings};

/// Parses a timestamp in any of the shapes the sources use; `None` when it is none of them.
pub(crate) fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if let Ok(timestamp) = raw.parse::<Timestamp>() {
        return Some(timestamp);
    }
    // A space instead of `T`, as some YAML-born records write it.
    let normalized = raw.replacen(' ', "T", 1);
    if let Ok(timestamp) = normalized.parse::<Timestamp>() {
        return Some(timestamp);
    }
    // `+0000`: an offset without its colon.
    if let Some(fixed) = colon_in_offset(&normalized)
        && let Ok(timestamp) = fixed.parse::<Timestamp>()
    {
        return Some(timestamp);
    }
    // No offset at all: NVD writes UTC this way.
    if let Ok(datetime) = normalized.parse::<DateTime>() {
        return datetime.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    let date = normalized.parse::<Date>().ok()?;
    date.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// Parses a calendar date (`2025-08-25`); a full timestamp is accepted and its UTC date kept.
pub(crate) fn parse_date(raw: &str) -> Option<Date> {
    let raw = raw.trim();
    if let Ok(date) = raw.parse::<Date>() {
        return Some(date);
    }
    parse_timestamp(raw).map(|timestamp| timestamp.to_zoned(TimeZone::UTC).date())
}

fn colon_in_offset(raw: &str) -> Option<String> {
    // `get` instead of indexing: the input is untrusted and may end inside a multi-byte
    // character.
    let split = raw.len().checked_sub(5)?;
    let sign = raw.get(split..split + 1)?;
    let digits = raw.get(split + 1..)?;
    if (sign == "+" || sign == "-") && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!(
            "{}{}{}:{}",
            raw.get(..split)?,
            sign,
            digits.get(..2)?,
            digits.get(2..)?
        ))
    } else {
        None
    }
}

/// Parses an optional timestamp field, warning when it is present but invalid.
pub(crate) fn timestamp_field(
    warnings: &mut Warnings<'_>,
    field: &str,
    raw: Option<&str>,
) -> Option<Timestamp> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = parse_timestamp(raw);
    if parsed.is_none() {
        warnings.push(
            WarningKind::InvalidDate,
            format!("`{field}` is not a valid timestamp: {raw:?}; left empty"),
        );
    }
    parsed
}

/// Parses an optional date field, warning when it is present but invalid.
pub(crate) fn date_field(
    warnings: &mut Warnings<'_>,
    field: &str,
    raw: Option<&str>,
) -> Option<Date> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = parse_date(raw);
    if parsed.is_none() {
        warnings.push(
            WarningKind::InvalidDate,
            format!("`{field}` is not a valid date: {raw:?}; left empty"),
        );
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Option<&str>) {
        let parsed = parse_timestamp(raw).map(|t| t.to_string());
        assert_eq!(parsed.as_deref(), expected, "{raw}");
    }

    #[test]
    fn timestamps() {
        check("2021-04-14T20:04:52Z", Some("2021-04-14T20:04:52Z"));
        check(
            "2022-06-19T00:00:52.240913Z",
            Some("2022-06-19T00:00:52.240913Z"),
        );
        check("0001-01-01T00:00:00Z", Some("0001-01-01T00:00:00Z"));
        check("2022-12-01T05:15:11.730", Some("2022-12-01T05:15:11.73Z"));
        check("2023-01-04T00:00:00+00:00", Some("2023-01-04T00:00:00Z"));
        check("2023-03-19T00:00:00+0000", Some("2023-03-19T00:00:00Z"));
        check("2023-03-19T02:00:00+0200", Some("2023-03-19T00:00:00Z"));
        check("2025-08-25", Some("2025-08-25T00:00:00Z"));
        check("2021-01-01 10:00:00Z", Some("2021-01-01T10:00:00Z"));
        check("2021-13-01T00:00:00Z", None);
        check("yesterday", None);
        check("", None);
        check("2023-03-19T00:00:00+00é", None);
        check("é", None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2025-09-15").map(|d| d.to_string()).as_deref(),
            Some("2025-09-15")
        );
        assert_eq!(
            parse_date("2025-08-25T17:04:19.9796Z")
                .map(|d| d.to_string())
                .as_deref(),
            Some("2025-08-25")
        );
        assert_eq!(parse_date("2025-02-30"), None);
    }
}
