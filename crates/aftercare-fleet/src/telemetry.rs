//! The telemetry a device sends: a batch of JSON lines, one event per line.
//!
//! ```text
//! {"type":"heartbeat","ts":"2026-12-07T10:00:00Z","release":"2.2.1","uptime_s":86400,"firmware_sha256":"9f…"}
//! {"type":"metric","ts":"2026-12-07T10:00:00Z","name":"pump.occlusion_alarms","value":0,"unit":"count"}
//! {"type":"security_event","ts":"2026-12-07T10:00:03Z","event":"auth_failure","count":3,"details":{"service":"ssh"}}
//! ```
//!
//! The same batch arrives over HTTP (`POST /api/v1/devices/{controllerId}/telemetry`) and as
//! one MQTT message; both go through [`parse_batch`]. Every line is checked on its own: a
//! good line is kept, a bad one becomes a [`LineError`] with its number, the field and the
//! reason, and the rest of the batch is unaffected. Only the batch as a whole can be refused
//! ([`BatchError`]): too large, too many lines.
//!
//! **PHI minimisation is in the schema.** There is no field for a patient, a user or a
//! location; unknown fields are refused, not ignored, so a device cannot smuggle one in; free
//! text is bounded ([`MAX_TEXT`]); `details` holds at most [`MAX_DETAIL_KEYS`] flat values
//! and refuses a key that names a person ([`PERSON_WORDS`]).
//!
//! **Time.** `ts` is the device's clock and optional; windows use the server's receive time,
//! which is the argument of [`parse_batch`]. A line more than [`MAX_AHEAD`] ahead of the
//! receive time is refused (a clock that far off would put the event in a window that has not
//! happened yet); one older than [`MAX_BEHIND`] is refused too (older than any window still
//! open). A heartbeat is sent live, so its `ts` against the receive time is the device's clock
//! skew ([`Batch::skew`]); a skew beyond [`SKEW_FLAG`] is flagged ([`Batch::skew_flagged`]).

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest batch accepted, in bytes (HTTP body or MQTT payload).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// The most lines in one batch.
pub const MAX_LINES: usize = 10_000;
/// The longest line, in bytes; a longer one is refused on its own.
pub const MAX_LINE_BYTES: usize = 4096;
/// The longest free text (a release, a unit, a detail value), in characters.
pub const MAX_TEXT: usize = 128;
/// The most keys in a security event's `details`.
pub const MAX_DETAIL_KEYS: usize = 8;
/// The largest `count` of one security event line (a device may aggregate).
pub const MAX_COUNT: u32 = 10_000;
/// How far ahead of the receive time a line's `ts` may be.
pub const MAX_AHEAD: SignedDuration = SignedDuration::from_secs(5 * 60);
/// How far behind the receive time a line's `ts` may be (a device that was offline sends
/// what it buffered).
pub const MAX_BEHIND: SignedDuration = SignedDuration::from_secs(7 * 24 * 3600);
/// A heartbeat's clock skew beyond this is flagged.
pub const SKEW_FLAG: SignedDuration = SignedDuration::from_secs(120);
/// Words that name a person or their record; a `details` key containing one (split on `_`
/// and `.`) is refused.
pub const PERSON_WORDS: &[&str] = &[
    "patient",
    "person",
    "user",
    "username",
    "mrn",
    "ssn",
    "dob",
    "birth",
    "birthdate",
    "firstname",
    "lastname",
    "surname",
    "fullname",
    "email",
    "phone",
    "address",
    "diagnosis",
];

/// One checked event of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The line's number in the batch, from 1.
    pub number: usize,
    /// The device's own time for the event, if it sent one.
    pub sent_at: Option<Timestamp>,
    /// What the line says.
    pub event: Event,
}

/// What a line says.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The device is alive, with what it runs.
    Heartbeat(Heartbeat),
    /// One sample of a named metric.
    Metric(Metric),
    /// A security-relevant event on the device.
    Security(SecurityEvent),
}

impl Event {
    /// The line's `type`.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Heartbeat(_) => EventKind::Heartbeat,
            Self::Metric(_) => EventKind::Metric,
            Self::Security(_) => EventKind::SecurityEvent,
        }
    }
}

/// The three line types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// `heartbeat`
    Heartbeat,
    /// `metric`
    Metric,
    /// `security_event`
    SecurityEvent,
}

impl EventKind {
    /// The label on the wire and in storage.
    pub fn label(self) -> &'static str {
        match self {
            Self::Heartbeat => "heartbeat",
            Self::Metric => "metric",
            Self::SecurityEvent => "security_event",
        }
    }

    /// The kind of a label.
    pub fn from_label(label: &str) -> Option<Self> {
        [Self::Heartbeat, Self::Metric, Self::SecurityEvent]
            .into_iter()
            .find(|kind| kind.label() == label)
    }
}

/// A heartbeat: the release the device says it runs, how long it has been up, and the hash
/// of its firmware image if it knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The release (version) the device reports.
    pub release: String,
    /// Seconds since the device booted.
    pub uptime_s: u64,
    /// The SHA-256 of the running image, lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_sha256: Option<String>,
}

/// One sample of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// The metric's name: lowercase letters, digits, `_` and `.`, starting with a letter, at
    /// most 64 characters (`pump.occlusion_alarms`).
    pub name: String,
    /// The sample; finite.
    pub value: f64,
    /// The unit, as the device names it (`count`, `degC`, `ms`), at most 16 characters.
    #[serde(default)]
    pub unit: String,
}

/// The security events a device reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityKind {
    /// A failed login or a refused credential on the device.
    AuthFailure,
    /// A signature or hash check that failed (an image, a configuration, a boot stage).
    IntegrityFailure,
    /// A connection to or from a peer the device does not expect.
    UnexpectedConnection,
    /// The device's configuration changed.
    ConfigChange,
    /// The enclosure or a debug port was opened.
    Tamper,
}

impl SecurityKind {
    /// Every kind, in order.
    pub const ALL: [Self; 5] = [
        Self::AuthFailure,
        Self::IntegrityFailure,
        Self::UnexpectedConnection,
        Self::ConfigChange,
        Self::Tamper,
    ];

    /// The label on the wire and in storage.
    pub fn label(self) -> &'static str {
        match self {
            Self::AuthFailure => "auth_failure",
            Self::IntegrityFailure => "integrity_failure",
            Self::UnexpectedConnection => "unexpected_connection",
            Self::ConfigChange => "config_change",
            Self::Tamper => "tamper",
        }
    }

    /// The kind of a label.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.label() == label)
    }
}

impl fmt::Display for SecurityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A security event: its kind, how many times it happened (a device may aggregate), and a
/// few flat details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEvent {
    /// What happened.
    pub event: SecurityKind,
    /// How many times, from 1 to [`MAX_COUNT`].
    #[serde(default = "one")]
    pub count: u32,
    /// Flat details: at most [`MAX_DETAIL_KEYS`] keys, values text, number or boolean.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

fn one() -> u32 {
    1
}

/// Why a line was refused: its number, the field (when one field is at fault) and the
/// reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// The line's number in the batch, from 1.
    pub line: usize,
    /// The field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, and what is accepted.
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field `{field}`: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// A batch refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// More bytes than [`MAX_BATCH_BYTES`].
    #[error("the batch is {bytes} bytes; at most {MAX_BATCH_BYTES} bytes are accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// More lines than [`MAX_LINES`].
    #[error("the batch has more than {MAX_LINES} lines; send several batches")]
    TooManyLines,
    /// No line at all.
    #[error("the batch is empty: send one JSON object per line")]
    Empty,
}

/// A checked batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// The good lines, in order.
    pub lines: Vec<Line>,
    /// The refused lines, in order.
    pub rejected: Vec<LineError>,
    /// The device's clock skew (`ts` − receive time) of the batch's last heartbeat with a
    /// `ts`.
    pub skew: Option<SignedDuration>,
}

impl Batch {
    /// Whether [`Batch::skew`] is beyond [`SKEW_FLAG`] either way.
    pub fn skew_flagged(&self) -> bool {
        self.skew.is_some_and(|skew| skew.abs() > SKEW_FLAG)
    }
}

/// Checks a batch line by line against the receive time. Blank lines are skipped; every other
/// line is either kept or reported.
pub fn parse_batch(bytes: &[u8], received_at: Timestamp) -> Result<Batch, BatchError> {
    if bytes.len() > MAX_BATCH_BYTES {
        return Err(BatchError::TooLarge { bytes: bytes.len() });
    }
    let mut batch = Batch::default();
    let mut seen = 0usize;
    for (index, raw) in bytes.split(|byte| *byte == b'\n').enumerate() {
        let number = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        seen += 1;
        if seen > MAX_LINES {
            return Err(BatchError::TooManyLines);
        }
        match parse_line(raw, number, received_at) {
            Ok(line) => {
                if let (Event::Heartbeat(_), Some(sent_at)) = (&line.event, line.sent_at) {
                    batch.skew = Some(sent_at.duration_since(received_at));
                }
                batch.lines.push(line);
            }
            Err(error) => batch.rejected.push(error),
        }
    }
    if seen == 0 {
        return Err(BatchError::Empty);
    }
    Ok(batch)
}

fn refuse(line: usize, field: Option<&str>, reason: impl Into<String>) -> LineError {
    LineError {
        line,
        field: field.map(str::to_string),
        reason: reason.into(),
    }
}

/// Checks one line (without its newline).
pub fn parse_line(raw: &[u8], number: usize, received_at: Timestamp) -> Result<Line, LineError> {
    if raw.len() > MAX_LINE_BYTES {
        return Err(refuse(
            number,
            None,
            format!(
                "the line is {} bytes; at most {MAX_LINE_BYTES} are accepted",
                raw.len()
            ),
        ));
    }
    let mut object: Map<String, Value> = match serde_json::from_slice(raw) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return Err(refuse(number, None, "a line is one JSON object")),
        Err(error) => return Err(refuse(number, None, format!("not JSON: {error}"))),
    };
    let kind = match object.remove("type") {
        Some(Value::String(label)) => EventKind::from_label(&label).ok_or_else(|| {
            refuse(
                number,
                Some("type"),
                format!("unknown type {label:?}: expected heartbeat, metric or security_event"),
            )
        })?,
        Some(_) => return Err(refuse(number, Some("type"), "must be a string")),
        None => {
            return Err(refuse(
                number,
                Some("type"),
                "missing: heartbeat, metric or security_event",
            ));
        }
    };
    let sent_at = match object.remove("ts") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            let at: Timestamp = text.parse().map_err(|_| {
                refuse(
                    number,
                    Some("ts"),
                    format!("{text:?} is not an RFC 3339 time with an offset"),
                )
            })?;
            let ahead = at.duration_since(received_at);
            if ahead > MAX_AHEAD {
                return Err(refuse(
                    number,
                    Some("ts"),
                    format!(
                        "{text} is {}s ahead of the server's time; the device's clock is wrong",
                        ahead.as_secs()
                    ),
                ));
            }
            if -ahead > MAX_BEHIND {
                return Err(refuse(
                    number,
                    Some("ts"),
                    format!(
                        "{text} is older than {} days",
                        MAX_BEHIND.as_secs() / 86_400
                    ),
                ));
            }
            Some(at)
        }
        Some(_) => return Err(refuse(number, Some("ts"), "must be an RFC 3339 string")),
    };
    let event = match kind {
        EventKind::Heartbeat => Event::Heartbeat(check_heartbeat(number, decode(number, object)?)?),
        EventKind::Metric => Event::Metric(check_metric(number, decode(number, object)?)?),
        EventKind::SecurityEvent => {
            Event::Security(check_security(number, decode(number, object)?)?)
        }
    };
    Ok(Line {
        number,
        sent_at,
        event,
    })
}

/// Decodes the rest of a line into its type's fields, naming the field serde names.
fn decode<T: serde::de::DeserializeOwned>(
    number: usize,
    object: Map<String, Value>,
) -> Result<T, LineError> {
    serde_json::from_value(Value::Object(object)).map_err(|error| {
        let message = error.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field `"))
            .map(str::to_string);
        let reason = if message.starts_with("unknown field") {
            format!(
                "{message}; the schema has no other field (no patient or personal data is accepted)"
            )
        } else {
            message
        };
        LineError {
            line: number,
            field,
            reason,
        }
    })
}

fn check_text(
    number: usize,
    field: &str,
    text: &str,
    max: usize,
    empty_ok: bool,
) -> Result<(), LineError> {
    if !empty_ok && text.trim().is_empty() {
        return Err(refuse(number, Some(field), "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(refuse(
            number,
            Some(field),
            format!("longer than {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(refuse(number, Some(field), "holds control characters"));
    }
    Ok(())
}

fn check_heartbeat(number: usize, mut heartbeat: Heartbeat) -> Result<Heartbeat, LineError> {
    check_text(number, "release", &heartbeat.release, 64, false)?;
    heartbeat.release = heartbeat.release.trim().to_string();
    if let Some(hash) = &mut heartbeat.firmware_sha256 {
        if hash.len() != 64 || !hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(refuse(
                number,
                Some("firmware_sha256"),
                "must be 64 hexadecimal digits (a SHA-256)",
            ));
        }
        hash.make_ascii_lowercase();
    }
    Ok(heartbeat)
}

/// Whether a metric name is well formed: a lowercase letter, then lowercase letters, digits,
/// `_` and `.`, at most 64 characters.
pub fn is_metric_name(name: &str) -> bool {
    name.len() <= 64
        && name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && name.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'.'
        })
}

fn check_metric(number: usize, metric: Metric) -> Result<Metric, LineError> {
    if !is_metric_name(&metric.name) {
        return Err(refuse(
            number,
            Some("name"),
            format!(
                "{:?} is not a metric name: a lowercase letter, then lowercase letters, digits, `_` and `.`, at most 64",
                metric.name
            ),
        ));
    }
    if !metric.value.is_finite() {
        return Err(refuse(number, Some("value"), "must be a finite number"));
    }
    check_text(number, "unit", &metric.unit, 16, true)?;
    Ok(metric)
}

/// Whether a `details` key names a person (see [`PERSON_WORDS`]).
pub fn names_a_person(key: &str) -> bool {
    key.split(['_', '.', '-'])
        .any(|word| PERSON_WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

fn check_security(number: usize, event: SecurityEvent) -> Result<SecurityEvent, LineError> {
    if event.count == 0 || event.count > MAX_COUNT {
        return Err(refuse(
            number,
            Some("count"),
            format!("must be from 1 to {MAX_COUNT}"),
        ));
    }
    if event.details.len() > MAX_DETAIL_KEYS {
        return Err(refuse(
            number,
            Some("details"),
            format!("at most {MAX_DETAIL_KEYS} keys"),
        ));
    }
    for (key, value) in &event.details {
        let field = format!("details.{key}");
        let well_formed = !key.is_empty()
            && key.len() <= 32
            && key
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
        if !well_formed {
            return Err(LineError {
                line: number,
                field: Some(field),
                reason: "a detail key is lowercase letters, digits and `_`, at most 32".into(),
            });
        }
        if names_a_person(key) {
            return Err(LineError {
                line: number,
                field: Some(field),
                reason: "names a person: telemetry carries no patient or personal data".into(),
            });
        }
        match value {
            Value::String(text) => check_text(number, &field, text, MAX_TEXT, true)?,
            Value::Number(_) | Value::Bool(_) => {}
            _ => {
                return Err(LineError {
                    line: number,
                    field: Some(field),
                    reason: "a detail is a text, a number or a boolean".into(),
                });
            }
        }
    }
    Ok(event)
}

/// Writes an event as one line of the format [`parse_batch`] reads (no newline).
pub fn to_line(event: &Event, sent_at: Option<Timestamp>) -> String {
    let mut object = match event {
        Event::Heartbeat(heartbeat) => serde_json::to_value(heartbeat),
        Event::Metric(metric) => serde_json::to_value(metric),
        Event::Security(security) => serde_json::to_value(security),
    }
    .ok()
    .and_then(|value| match value {
        Value::Object(object) => Some(object),
        _ => None,
    })
    .unwrap_or_default();
    let mut line = Map::new();
    line.insert("type".into(), Value::String(event.kind().label().into()));
    if let Some(at) = sent_at {
        line.insert("ts".into(), Value::String(at.to_string()));
    }
    line.append(&mut object);
    Value::Object(line).to_string()
}
