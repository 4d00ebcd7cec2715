//! Warnings: what a reader noticed in data it could still read.

use std::fmt;

/// What kind of problem a [`Warning`] reports; tests and the UI group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningKind {
    /// A date or timestamp is not valid; the field is left empty.
    InvalidDate,
    /// A CVSS vector is malformed or incomplete; the rating is kept without its vector.
    InvalidCvss,
    /// A vulnerability id is malformed; it is dropped.
    InvalidId,
    /// A CPE name is malformed; it is dropped.
    InvalidCpe,
    /// A package URL is malformed; it is dropped.
    InvalidPurl,
    /// A number is malformed or out of range; the field is left empty.
    InvalidNumber,
    /// A field the format requires is missing; the record is kept without it.
    MissingField,
    /// A value is not one the format defines; it is kept as written or ignored.
    UnknownValue,
    /// A CSAF product or group id is referenced but never defined.
    UnresolvedProduct,
    /// A record or member could not be read at all and was skipped.
    SkippedRecord,
    /// A member or file is in a format aftercare does not read (for example OSV as YAML).
    Unsupported,
}

/// Something a reader noticed in data it could still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The document (file name or archive member) it was found in.
    pub document: String,
    /// The record it concerns, when there is one.
    pub record: Option<String>,
    /// What kind of problem it is.
    pub kind: WarningKind,
    /// What happened, in words a user can act on.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.record {
            Some(record) => write!(f, "{} ({record}): {}", self.document, self.message),
            None => write!(f, "{}: {}", self.document, self.message),
        }
    }
}

/// Collects warnings for one document while a reader works through it.
#[derive(Debug)]
pub(crate) struct Warnings<'a> {
    document: &'a str,
    record: Option<String>,
    list: Vec<Warning>,
}

impl<'a> Warnings<'a> {
    pub(crate) fn new(document: &'a str) -> Warnings<'a> {
        Warnings {
            document,
            record: None,
            list: Vec::new(),
        }
    }

    /// Sets the record that following warnings concern.
    pub(crate) fn set_record(&mut self, record: Option<String>) {
        self.record = record;
    }

    pub(crate) fn push(&mut self, kind: WarningKind, message: impl Into<String>) {
        self.list.push(Warning {
            document: self.document.to_string(),
            record: self.record.clone(),
            kind,
            message: message.into(),
        });
    }

    pub(crate) fn into_vec(self) -> Vec<Warning> {
        self.list
    }
}
