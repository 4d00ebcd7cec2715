//! Verification and validation evidence of a patch release: its kinds and results, the
//! checks a new item passes before it is stored, supersession, and each item's digest.
//!
//! **Evidence is never edited or deleted.** A correction is a new item that *supersedes* an
//! earlier one; both stay, and only items nobody superseded are *current*
//! ([`current_evidence`]). That is what 21 CFR 11.10(e) asks of records (changes never obscure
//! what was recorded before) and what an approval binds: the digest of every current item
//! ([`crate::approval_binding`]), so that adding or superseding evidence after a signature
//! shows the approval as no longer matching. A correction may change the kind (evidence filed
//! under the wrong kind is corrected like any other mistake); it supersedes only a current
//! item, so that the history is a chain and never a tree.
//!
//! A failed run is not corrected away either: a re-run that passed supersedes the failed
//! record, whose result stays visible. The approval refuses any current item that failed or
//! records a deviation ([`crate::Refusal::EvidenceNotPassed`]).
//!
//! Files are kept by SHA-256 in the database; one file may be at most the policy's
//! `patch.evidence.max_file_bytes` ([`check_file_size`], called before the upload is read
//! whole). An item is dated by the day it was executed, which may not lie after the day it is
//! recorded: evidence of a test is recorded after the test.

use aftercare_model::Sha256;
pub use aftercare_risk::EvidenceKind;
use aftercare_risk::Policy;
use jiff::civil::Date;

use crate::PatchError;
use crate::binding::field;
use crate::impact::ImpactAssessment;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The outcome of the verification or validation activity an item records.
    pub enum EvidenceResult as "evidence result" {
        /// The activity passed.
        Pass = "pass",
        /// The activity failed.
        Fail = "fail",
        /// The activity departed from its protocol; the departure is documented.
        Deviation = "deviation",
    }
}

/// An evidence item's row id, as storage gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EvidenceId(pub i64);

impl std::fmt::Display for EvidenceId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// A file attached to an evidence item, identified by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    /// The file's name, as uploaded.
    pub name: String,
    /// The SHA-256 of its bytes.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Refuses a file larger than the policy's `patch.evidence.max_file_bytes`. The service calls
/// it with the declared or counted size before it reads the whole upload.
pub fn check_file_size(policy: &Policy, name: &str, bytes: u64) -> Result<(), PatchError> {
    let limit = policy.patch().evidence().max_file_bytes();
    if bytes > limit {
        return Err(PatchError::EvidenceFileTooLarge {
            name: name.to_string(),
            bytes,
            limit,
        });
    }
    Ok(())
}

/// What an evidence item records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceContent {
    /// Its kind.
    pub kind: EvidenceKind,
    /// Its title (the protocol or report it records).
    pub title: String,
    /// Its result.
    pub result: EvidenceResult,
    /// Who executed the activity: the accounts (logins) of the people, so that segregation
    /// of duties can compare them with the signer's.
    pub executed_by: Vec<String>,
    /// The day it was executed.
    pub executed_on: Date,
    /// Its files.
    pub files: Vec<EvidenceFile>,
    /// The structured assessment, for (and only for) an `impact_assessment`.
    pub impact: Option<ImpactAssessment>,
    /// The item it corrects, if any.
    pub supersedes: Option<EvidenceId>,
}

/// A stored evidence item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Its id.
    pub id: EvidenceId,
    /// What it records.
    pub content: EvidenceContent,
}

/// The items of a patch release that no other item supersedes, sorted by id.
pub fn current_evidence(all: &[Evidence]) -> Vec<&Evidence> {
    let superseded: std::collections::HashSet<EvidenceId> = all
        .iter()
        .filter_map(|item| item.content.supersedes)
        .collect();
    let mut current: Vec<&Evidence> = all
        .iter()
        .filter(|item| !superseded.contains(&item.id))
        .collect();
    current.sort_by_key(|item| item.id);
    current
}

impl EvidenceContent {
    /// Checks a new item before it is stored: a title, at least one executor, an execution
    /// day not after `recorded_on` (the day of recording in the policy's US calendar), files
    /// with names and within the size limit, an impact assessment exactly for the
    /// `impact_assessment` kind, and a superseded item that is one of `existing` (the patch
    /// release's items) and still current. The first problem is returned.
    pub fn check(
        &self,
        policy: &Policy,
        existing: &[Evidence],
        recorded_on: Date,
    ) -> Result<(), PatchError> {
        if self.title.trim().is_empty() {
            return Err(PatchError::Blank {
                what: "an evidence item's title",
            });
        }
        if self
            .executed_by
            .iter()
            .all(|person| person.trim().is_empty())
        {
            return Err(PatchError::Blank {
                what: "the list of people who executed the evidence",
            });
        }
        if self.executed_on > recorded_on {
            return Err(PatchError::EvidenceDatedAfterRecording {
                executed_on: self.executed_on,
                recorded_on,
            });
        }
        for file in &self.files {
            if file.name.trim().is_empty() {
                return Err(PatchError::Blank {
                    what: "an evidence file's name",
                });
            }
            check_file_size(policy, &file.name, file.bytes)?;
        }
        match (self.kind, &self.impact) {
            (EvidenceKind::ImpactAssessment, None) => {
                return Err(PatchError::ImpactAssessmentMissing);
            }
            (kind, Some(_)) if kind != EvidenceKind::ImpactAssessment => {
                return Err(PatchError::ImpactAssessmentMisplaced { kind });
            }
            _ => {}
        }
        if let Some(target) = self.supersedes {
            if !existing.iter().any(|item| item.id == target) {
                return Err(PatchError::SupersededUnknown { id: target });
            }
            if let Some(by) = existing
                .iter()
                .find(|item| item.content.supersedes == Some(target))
            {
                return Err(PatchError::SupersededTwice {
                    id: target,
                    by: by.id,
                });
            }
        }
        Ok(())
    }

    /// The people who executed it, trimmed, without blanks or repeats, sorted.
    pub fn executors(&self) -> Vec<&str> {
        let mut people: Vec<&str> = self
            .executed_by
            .iter()
            .map(|person| person.trim())
            .filter(|person| !person.is_empty())
            .collect();
        people.sort_unstable();
        people.dedup();
        people
    }

    /// A stable SHA-256 of everything the item records; an approval binds it.
    ///
    /// Encoding, version 1: the line `aftercare-patch-evidence/1`, then one line per field
    /// `name=LENGTH:VALUE` (length in bytes, so that no value can forge a separator), in the
    /// order written in [`EvidenceContent::canonical`]; executors and files as sets (sorted).
    pub fn digest(&self) -> Sha256 {
        Sha256::of(self.canonical().as_bytes())
    }

    /// The canonical encoding hashed by [`EvidenceContent::digest`], for audits and tests.
    pub fn canonical(&self) -> String {
        let mut out = String::from("aftercare-patch-evidence/1\n");
        field(&mut out, "kind", self.kind.as_str());
        field(&mut out, "title", self.title.trim());
        field(&mut out, "result", self.result.as_str());
        for person in self.executors() {
            field(&mut out, "executed_by", person);
        }
        field(&mut out, "executed_on", &self.executed_on.to_string());
        let mut files: Vec<&EvidenceFile> = self.files.iter().collect();
        files.sort_by(|a, b| (&a.name, a.sha256).cmp(&(&b.name, b.sha256)));
        for file in files {
            field(&mut out, "file.name", &file.name);
            field(&mut out, "file.sha256", &file.sha256.to_hex());
            field(&mut out, "file.bytes", &file.bytes.to_string());
        }
        if let Some(impact) = &self.impact {
            let answers = impact.answers();
            field(
                &mut out,
                "impact.safety_and_essential_performance_affected",
                if answers.safety_and_essential_performance_affected {
                    "true"
                } else {
                    "false"
                },
            );
            for reference in &answers.verification_rerun {
                field(&mut out, "impact.verification_rerun", reference);
            }
            field(
                &mut out,
                "impact.regulatory_path",
                answers.regulatory_path.as_str(),
            );
            if let Some(clearance) = &answers.clearance {
                field(&mut out, "impact.clearance", clearance);
            }
            field(&mut out, "impact.rationale", &answers.rationale);
        }
        if let Some(target) = self.supersedes {
            field(&mut out, "supersedes", &target.to_string());
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::impact::{ImpactAnswers, RegulatoryPath};
    use jiff::civil::date;

    /// An impact assessment that passes the default policy.
    pub(crate) fn impact() -> ImpactAssessment {
        ImpactAssessment::new(
            &Policy::builtin().unwrap(),
            ImpactAnswers {
                safety_and_essential_performance_affected: false,
                verification_rerun: vec!["SYS-TEST-41".to_string()],
                regulatory_path: RegulatoryPath::LetterToFile,
                clearance: None,
                rationale: "Only the TLS library changes; dosing is untouched.".to_string(),
            },
        )
        .unwrap()
    }

    /// `KIND RESULT BY[,BY…] [supersedes=N]` → an item with id `id`, executed 2025-03-10.
    pub(crate) fn item(id: i64, line: &str) -> Evidence {
        let mut words = line.split_whitespace();
        let kind: EvidenceKind = words.next().unwrap().parse().unwrap();
        let result = words.next().unwrap().parse().unwrap();
        let executed_by = words
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let supersedes = words
            .next()
            .and_then(|word| word.strip_prefix("supersedes="))
            .map(|id| EvidenceId(id.parse().unwrap()));
        Evidence {
            id: EvidenceId(id),
            content: EvidenceContent {
                kind,
                title: format!("{kind} report {id}"),
                result,
                executed_by,
                executed_on: date(2025, 3, 10),
                files: vec![EvidenceFile {
                    name: format!("report-{id}.pdf"),
                    sha256: Sha256::of(format!("report {id}").as_bytes()),
                    bytes: 1024,
                }],
                impact: (kind == EvidenceKind::ImpactAssessment).then(impact),
                supersedes,
            },
        }
    }

    /// An existing list of items, a new one edited by `edit` → `ok` or the error.
    fn check(
        existing: &[&str],
        line: &str,
        edit: impl FnOnce(&mut EvidenceContent),
        expected: &str,
    ) {
        let policy = Policy::builtin().unwrap();
        let existing: Vec<Evidence> = existing
            .iter()
            .enumerate()
            .map(|(index, line)| item(index as i64 + 1, line))
            .collect();
        let mut new = item(100, line).content;
        edit(&mut new);
        let found = match new.check(&policy, &existing, date(2025, 3, 12)) {
            Ok(()) => "ok".to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{line}");
    }

    #[test]
    #[rustfmt::skip]
    fn a_new_item_is_checked() {
        check(&[], "validation pass vera", |_| {}, "ok");
        check(&[], "impact_assessment pass vera", |_| {}, "ok");
        check(
            &[],
            "validation pass vera",
            |c| c.title = " ".into(),
            "an evidence item's title must not be blank",
        );
        check(
            &[],
            "validation pass vera",
            |c| c.executed_by = vec![" ".into()],
            "the list of people who executed the evidence must not be blank",
        );
        check(
            &[],
            "validation pass vera",
            |c| c.executed_on = date(2025, 3, 12),
            "ok",
        );
        check(
            &[],
            "validation pass vera",
            |c| c.executed_on = date(2025, 3, 13),
            "evidence executed on 2025-03-13 cannot be recorded on 2025-03-12, before it happened",
        );
        check(
            &[],
            "validation pass vera",
            |c| c.files[0].bytes = 268_435_456,
            "ok",
        );
        check(
            &[],
            "validation pass vera",
            |c| c.files[0].bytes = 268_435_457,
            "evidence file \"report-100.pdf\" is 268435457 bytes; the policy accepts at most 268435456 (patch.evidence.max_file_bytes)",
        );
        check(
            &[],
            "validation pass vera",
            |c| c.files[0].name = "".into(),
            "an evidence file's name must not be blank",
        );
        check(
            &[],
            "impact_assessment pass vera",
            |c| c.impact = None,
            "impact_assessment evidence carries the structured impact assessment (safety and essential performance, verification re-run, regulatory path, rationale)",
        );
        check(
            &[],
            "regression pass vera",
            |c| c.impact = Some(impact()),
            "regression evidence carries no impact assessment: record it as impact_assessment evidence",
        );
    }

    #[test]
    #[rustfmt::skip]
    fn supersession_is_a_chain() {
        check(
            &["validation fail vera"],
            "validation pass vera supersedes=1",
            |_| {},
            "ok",
        );
        check(
            &["validation fail vera"],
            "verification pass vera supersedes=1",
            |_| {},
            "ok",
        );
        check(
            &["validation fail vera"],
            "validation pass vera supersedes=2",
            |_| {},
            "evidence 2 is not evidence of this patch release: only its own items can be superseded",
        );
        check(
            &["validation fail vera", "validation pass vera supersedes=1"],
            "validation pass vera supersedes=1",
            |_| {},
            "evidence 1 is already superseded by evidence 2: correct the current item instead",
        );
        check(
            &["validation fail vera", "validation pass vera supersedes=1"],
            "validation pass vera supersedes=2",
            |_| {},
            "ok",
        );
    }

    #[test]
    fn current_items_are_those_nobody_superseded() {
        let items = [
            item(3, "validation pass vera supersedes=1"),
            item(1, "validation fail vera"),
            item(2, "regression pass rob"),
            item(4, "validation pass vera supersedes=3"),
        ];
        let ids: Vec<i64> = current_evidence(&items)
            .iter()
            .map(|item| item.id.0)
            .collect();
        assert_eq!(ids, [2, 4]);
    }

    #[test]
    fn the_digest_covers_every_field_and_nothing_else() {
        let base = item(1, "validation pass vera,rob").content;
        // Executors and files are sets; surrounding blanks are no content.
        let mut same = base.clone();
        same.executed_by = vec![" rob ".into(), "vera".into(), "vera".into()];
        same.title = format!(" {} ", base.title);
        assert_eq!(same.digest(), base.digest());
        type Edit = fn(&mut EvidenceContent);
        let changes: [(&str, Edit); 7] = [
            ("kind", |c| c.kind = EvidenceKind::Regression),
            ("result", |c| c.result = EvidenceResult::Deviation),
            ("executor", |c| c.executed_by.push("eve".into())),
            ("day", |c| c.executed_on = date(2025, 3, 11)),
            ("file", |c| c.files[0].sha256 = Sha256::of(b"other")),
            ("title", |c| c.title = "Validation report, corrected".into()),
            ("supersedes", |c| c.supersedes = Some(EvidenceId(9))),
        ];
        for (what, change) in changes {
            let mut changed = base.clone();
            change(&mut changed);
            assert_ne!(changed.digest(), base.digest(), "{what}");
        }
        let canonical = item(5, "impact_assessment pass vera").content.canonical();
        assert!(
            canonical.starts_with("aftercare-patch-evidence/1\nkind=17:impact_assessment\n"),
            "{canonical}"
        );
        assert!(
            canonical.contains("\nimpact.regulatory_path=14:letter_to_file\n"),
            "{canonical}"
        );
        assert!(canonical.contains("\nfile.bytes=4:1024\n"), "{canonical}");
    }

    #[test]
    fn labels() {
        assert_eq!(
            "deviation".parse::<EvidenceResult>().unwrap(),
            EvidenceResult::Deviation
        );
        assert_eq!(
            "passed".parse::<EvidenceResult>().unwrap_err().to_string(),
            "unknown evidence result \"passed\": expected one of pass, fail, deviation"
        );
    }
}
