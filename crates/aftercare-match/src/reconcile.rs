//! The finding comparison: what a match run does to the stored findings of one component.
//!
//! A workspace keeps one finding per (release, component, vulnerability), never deletes one,
//! and remembers when it was first seen (the awareness date of a regulatory case). A match run
//! compares, component by component, the findings stored for it with the matches of this run
//! and decides, for each:
//!
//! * **opened** — a match with no stored finding of its vulnerability: a new finding;
//! * **confirmed** — an open finding whose match is unchanged (same digest of its fields);
//! * **changed** — an open finding whose match changed (severity, fixed versions, reasons,
//!   KEV …); **renamed** when its vulnerability now goes by another canonical id (a GHSA that
//!   learned its CVE), so that its case can follow;
//! * **reopened** — a closed finding that matches again; its first-seen date stays;
//! * **closed** — an open finding that no longer matches, with the reason
//!   ([`close_reason`]); never deleted;
//! * **held** — an open finding the run must not judge: its vulnerability has a record whose
//!   stored document could not be read again, so its absence from this run's matches is not
//!   evidence that it stopped matching, nor its fields evidence of a change. It stays as it is
//!   and is reported.
//!
//! A stored finding belongs to a match of the same vulnerability: first the one stored under
//! the same canonical id, else the one stored under the same vulnerability row (stable across
//! alias merges), else one whose stored id the match now lists among its aliases (the caller
//! says which, [`Found::alias_of`]) — in that order, so that a renamed id never collides with
//! another finding of the same component. Each stored finding pairs with at most one match.
//!
//! A feed delta's run judges only its own vulnerabilities: stored findings that are not *in
//! play* ([`Stored::in_play`]) and match nothing in this run are left alone, because not every
//! record of their vulnerability was loaded.
//!
//! The rule is pure and allocation-free apart from its output: the workspace layer reads the
//! stored findings and this run's matches, calls [`reconcile`] per component, and writes what
//! it returns (`aftercare-service`, `finding/run.rs`).

/// A stored finding of a component, as the comparison needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The canonical id it is stored under, interned by the caller.
    pub name: u32,
    /// The stored vulnerability row it belongs to, when known.
    pub vulnerability: Option<i64>,
    /// Open (not closed).
    pub open: bool,
    /// A digest of its stored match fields.
    pub digest: u128,
    /// Whether this run judges its vulnerability (always, except in a feed delta's run).
    pub in_play: bool,
    /// Whether a record of its vulnerability could not be read again (see the module doc).
    pub held: bool,
}

/// One match of this run for the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The canonical id it matched under, when the caller knows it interned (a name never
    /// stored before is `None`).
    pub name: Option<u32>,
    /// The stored vulnerability row it belongs to, when known.
    pub vulnerability: Option<i64>,
    /// A digest of its match fields (compared with [`Stored::digest`]).
    pub digest: u128,
}

/// What the run does to one stored finding or one match (indices into the slices given to
/// [`reconcile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new finding of `found`.
    Opened {
        /// The match.
        found: usize,
    },
    /// `stored` matches again, unchanged.
    Confirmed {
        /// The stored finding.
        stored: usize,
    },
    /// `stored` matches again as `found`, with other fields.
    Changed {
        /// The stored finding.
        stored: usize,
        /// The match.
        found: usize,
        /// Whether its canonical id changed.
        renamed: bool,
    },
    /// `stored` was closed and matches again as `found`.
    Reopened {
        /// The stored finding.
        stored: usize,
        /// The match.
        found: usize,
    },
    /// `stored` no longer matches.
    Closed {
        /// The stored finding.
        stored: usize,
    },
    /// `stored` is left as it is: a record of its vulnerability could not be read.
    Held {
        /// The stored finding.
        stored: usize,
    },
}

/// Compares the stored findings of one component with this run's matches and appends what
/// the run does to `out` (see the module documentation). `is_alias(f, name)` says whether
/// match `f` lists the interned canonical id `name` among its aliases. `seen` is scratch space
/// the caller may reuse across components.
pub fn reconcile(
    stored: &[Stored],
    found: &[Found],
    is_alias: impl Fn(usize, u32) -> bool,
    seen: &mut Vec<bool>,
    out: &mut Vec<Outcome>,
) {
    seen.clear();
    seen.resize(stored.len(), false);
    for (f, this) in found.iter().enumerate() {
        let free = |i: usize| !seen[i];
        let position = this
            .name
            .and_then(|name| (0..stored.len()).find(|i| free(*i) && stored[*i].name == name))
            .or_else(|| {
                this.vulnerability.and_then(|row| {
                    (0..stored.len()).find(|i| free(*i) && stored[*i].vulnerability == Some(row))
                })
            })
            .or_else(|| (0..stored.len()).find(|i| free(*i) && is_alias(f, stored[*i].name)));
        let Some(s) = position else {
            out.push(Outcome::Opened { found: f });
            continue;
        };
        seen[s] = true;
        let old = stored[s];
        let outcome = if !old.open {
            // Matching again is evidence enough, even from part of the records.
            Outcome::Reopened {
                stored: s,
                found: f,
            }
        } else if old.digest == this.digest {
            Outcome::Confirmed { stored: s }
        } else if old.held {
            // Fields computed from part of the vulnerability's records prove no change.
            Outcome::Held { stored: s }
        } else {
            Outcome::Changed {
                stored: s,
                found: f,
                renamed: this.name != Some(old.name),
            }
        };
        out.push(outcome);
    }
    for (s, old) in stored.iter().enumerate() {
        if seen[s] || !old.open || !old.in_play {
            continue;
        }
        out.push(if old.held {
            Outcome::Held { stored: s }
        } else {
            Outcome::Closed { stored: s }
        });
    }
}

/// Why a finding closed, in words stored with it and shown in its history.
pub fn close_reason(
    vulnerability: &str,
    withdrawn: bool,
    component: &str,
    version: Option<&str>,
) -> String {
    if withdrawn {
        return format!("{vulnerability} was withdrawn by its source");
    }
    let version = version.unwrap_or("(no version)");
    format!("no record of {vulnerability} affects {component} {version} any more")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses one side of a case: `name:row:state:digest` items separated by spaces, where a
    /// name is a small number (its interned id), `-` stands for no row, the state is `open`,
    /// `closed`, `held` (open and held), or for a match `new` (a name not interned yet); a
    /// trailing `~N` on a stored item marks it out of play, on a match `aN` lists an alias.
    fn side(text: &str) -> (Vec<Stored>, Vec<Found>, Vec<Vec<u32>>) {
        let mut stored = Vec::new();
        let mut found = Vec::new();
        let mut aliases = Vec::new();
        for item in text.split_whitespace() {
            let parts: Vec<&str> = item.split(':').collect();
            let name: u32 = parts[0].trim_start_matches('n').parse().unwrap_or(0);
            let row = parts[1].parse::<i64>().ok();
            let state = parts[2];
            let digest: u128 = parts[3].parse().unwrap_or(0);
            let flags = &parts[4..];
            if matches!(state, "open" | "closed" | "held") {
                stored.push(Stored {
                    name,
                    vulnerability: row,
                    open: state != "closed",
                    digest,
                    in_play: !flags.contains(&"out"),
                    held: state == "held",
                });
            } else {
                found.push(Found {
                    name: (state != "new").then_some(name),
                    vulnerability: row,
                    digest,
                });
                aliases.push(
                    flags
                        .iter()
                        .filter_map(|f| f.strip_prefix('a'))
                        .filter_map(|a| a.parse().ok())
                        .collect(),
                );
            }
        }
        (stored, found, aliases)
    }

    fn describe(outcome: &Outcome) -> String {
        match outcome {
            Outcome::Opened { found } => format!("opened f{found}"),
            Outcome::Confirmed { stored } => format!("confirmed s{stored}"),
            Outcome::Changed {
                stored,
                found,
                renamed,
            } => format!(
                "{} s{stored}=f{found}",
                if *renamed { "renamed" } else { "changed" }
            ),
            Outcome::Reopened { stored, found } => format!("reopened s{stored}=f{found}"),
            Outcome::Closed { stored } => format!("closed s{stored}"),
            Outcome::Held { stored } => format!("held s{stored}"),
        }
    }

    /// `stored` and `found` in the notation of [`side`] (stored items have a state of open,
    /// closed or held; matches `m` or `new`); `expect` the outcomes in order.
    #[track_caller]
    fn check(stored: &str, found: &str, expect: &str) {
        let (stored, _, _) = side(stored);
        let (_, found, aliases) = side(found);
        let mut out = Vec::new();
        let is_alias = |f: usize, name: u32| aliases[f].contains(&name);
        reconcile(&stored, &found, is_alias, &mut Vec::new(), &mut out);
        let got: Vec<String> = out.iter().map(describe).collect();
        assert_eq!(got.join(", "), expect);
    }

    #[test]
    fn each_outcome() {
        // Nothing stored, one match: opened.
        check("", "1:10:m:5", "opened f0");
        // Same name, same digest: confirmed; other digest: changed.
        check("1:10:open:5", "1:10:m:5", "confirmed s0");
        check("1:10:open:5", "1:10:m:6", "changed s0=f0");
        // Closed and matching again: reopened, whatever the digest.
        check("1:10:closed:5", "1:10:m:5", "reopened s0=f0");
        check("1:10:closed:5", "1:10:m:6", "reopened s0=f0");
        // Open and no longer matching: closed; already closed: nothing.
        check("1:10:open:5", "", "closed s0");
        check("1:10:closed:5", "", "");
    }

    #[test]
    fn a_delta_judges_only_its_own_vulnerabilities() {
        check("1:10:open:5:out", "", "");
        check("1:10:open:5:out 2:20:open:7", "", "closed s1");
        // Out of play but matched again: compared as usual.
        check("1:10:open:5:out", "1:10:m:6", "changed s0=f0");
    }

    #[test]
    fn renames_follow_the_row_or_the_aliases() {
        // A GHSA (name 1) that learned its CVE (name 2) keeps its vulnerability row.
        check("1:10:open:5", "2:10:m:6", "renamed s0=f0");
        // The new canonical id was never stored: not interned yet.
        check("1:10:open:5", "9:10:new:6", "renamed s0=f0");
        // No row on either side: the old id among the match's aliases.
        check("1:-:open:5", "2:-:m:6:a1", "renamed s0=f0");
        check("1:-:open:5", "2:-:m:6", "opened f0, closed s0");
        // Even with the same digest, a renamed finding is a change (its id is in the digest
        // in practice; here the digest is the caller's business).
        check("1:10:closed:5", "2:10:m:5", "reopened s0=f0");
    }

    #[test]
    fn the_same_name_wins_over_a_shared_row() {
        // Two stored findings of one row (a merge in flight): the match pairs with the one
        // of its own name, the other closes.
        check(
            "1:10:open:5 2:10:open:5",
            "2:10:m:5",
            "confirmed s1, closed s0",
        );
        // Two matches, two stored: each pairs once.
        check(
            "1:10:open:5 2:10:open:6",
            "1:10:m:5 2:10:m:7",
            "confirmed s0, changed s1=f1",
        );
    }

    #[test]
    fn unreadable_records_hold_their_findings() {
        // Not matched any more, but a record could not be read: held, not closed.
        check("1:10:held:5", "", "held s0");
        // Matched with other fields computed from part of the records: held, not changed.
        check("1:10:held:5", "1:10:m:6", "held s0");
        // Matched with the same fields: confirmed.
        check("1:10:held:5", "1:10:m:5", "confirmed s0");
        // A closed finding that matches again reopens even while a record is unreadable
        // (a match is evidence; the stored state "closed" has no held flag to carry).
        check("1:10:closed:5", "1:10:m:6", "reopened s0=f0");
        // Other findings of the component are judged as usual.
        check(
            "1:10:held:5 2:20:open:7",
            "3:30:m:1",
            "opened f0, held s0, closed s1",
        );
    }

    #[test]
    fn close_reasons() {
        assert_eq!(
            close_reason("CVE-2021-23337", false, "lodash", Some("4.17.19")),
            "no record of CVE-2021-23337 affects lodash 4.17.19 any more"
        );
        assert_eq!(
            close_reason("CVE-2021-23337", false, "lodash", None),
            "no record of CVE-2021-23337 affects lodash (no version) any more"
        );
        assert_eq!(
            close_reason("GHSA-29mw-wpgm-hmr9", true, "lodash", Some("4.17.19")),
            "GHSA-29mw-wpgm-hmr9 was withdrawn by its source"
        );
    }
}
