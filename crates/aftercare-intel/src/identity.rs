//! Stable vulnerability row ids across alias merges and splits.
//!
//! Storage gives each vulnerability the [`crate::alias`] merge forms a row id, and findings
//! and cases reference vulnerabilities by it, so a re-merge must not renumber them. When a
//! batch of records changes the groups around it, every new group is matched with the old
//! rows it overlaps, and keeps one of their ids:
//!
//! 1. a group whose canonical id is a CVE keeps that CVE's row (two CVEs never merge, so a
//!    CVE's row is never contested: a CVE keeps its row for life);
//! 2. otherwise the old row sharing the most ids with the group is kept (the biggest
//!    overlapping group keeps its id), ties going to the lower row id;
//! 3. each old row is kept by at most one group; a group that keeps none gets a new row.
//!
//! An old row kept by no group is *merged*: it redirects to the groups that took its ids. An
//! old row kept by one group whose ids partly went to other groups *split*: it redirects to
//! those too. Either way an old id still resolves.
//!
//! The rule works on ids and sets only; reading the old rows and writing the new ones and the
//! redirects is the caller's.

use std::collections::{BTreeMap, BTreeSet};

/// An existing vulnerability row around the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldRow {
    /// Its id.
    pub id: i64,
    /// Its canonical id.
    pub canonical: String,
    /// The ids merged into it (not the shared ones).
    pub ids: BTreeSet<String>,
}

/// A group as the alias merge now sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    /// Its canonical id.
    pub canonical: String,
    /// The ids merged into it.
    pub ids: BTreeSet<String>,
}

/// The outcome of [`assign`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// For each new group (same order): the old row it keeps, or `None` for a new row.
    pub kept: Vec<Option<i64>>,
    /// Old rows kept by no group, with the groups (indexes) that took their ids.
    pub merged: Vec<(i64, Vec<usize>)>,
    /// Old rows kept by a group, with the other groups (indexes) that took some of their ids.
    pub split: Vec<(i64, Vec<usize>)>,
}

/// Assigns old row ids to new groups; see the module documentation for the rule.
pub fn assign(old: &[OldRow], new: &[NewGroup]) -> Assignment {
    // (same canonical, overlap, row id, group) for every overlapping pair.
    let mut candidates: Vec<(bool, usize, i64, usize)> = Vec::new();
    for (index, group) in new.iter().enumerate() {
        for row in old {
            let same = row.canonical == group.canonical && group.canonical.starts_with("CVE-");
            let overlap = row.ids.intersection(&group.ids).count();
            if same || overlap > 0 {
                candidates.push((same, overlap, row.id, index));
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let mut kept: Vec<Option<i64>> = vec![None; new.len()];
    let mut taken: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, _, row, index) in candidates {
        if kept[index].is_none() && !taken.contains_key(&row) {
            kept[index] = Some(row);
            taken.insert(row, index);
        }
    }
    let mut merged = Vec::new();
    let mut split = Vec::new();
    for row in old {
        let takers: Vec<usize> = new
            .iter()
            .enumerate()
            .filter(|(_, group)| !row.ids.is_disjoint(&group.ids))
            .map(|(index, _)| index)
            .collect();
        match taken.get(&row.id) {
            None => merged.push((row.id, takers)),
            Some(keeper) => {
                let others: Vec<usize> = takers.into_iter().filter(|i| i != keeper).collect();
                if !others.is_empty() {
                    split.push((row.id, others));
                }
            }
        }
    }
    Assignment {
        kept,
        merged,
        split,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows and groups as `"ID CANONICAL = ids…"` / `"CANONICAL = ids…"`.
    fn row(spec: &str) -> OldRow {
        let (head, ids) = spec.split_once('=').unwrap();
        let mut head = head.split_whitespace();
        OldRow {
            id: head.next().unwrap().parse().unwrap(),
            canonical: head.next().unwrap().to_string(),
            ids: ids.split_whitespace().map(str::to_string).collect(),
        }
    }

    fn group(spec: &str) -> NewGroup {
        let (canonical, ids) = spec.split_once('=').unwrap();
        NewGroup {
            canonical: canonical.trim().to_string(),
            ids: ids.split_whitespace().map(str::to_string).collect(),
        }
    }

    fn check(old: &[&str], new: &[&str], kept: &[Option<i64>], merged: &str, split: &str) {
        let old: Vec<OldRow> = old.iter().map(|s| row(s)).collect();
        let new: Vec<NewGroup> = new.iter().map(|s| group(s)).collect();
        let assignment = assign(&old, &new);
        assert_eq!(assignment.kept, kept, "kept: {old:?} -> {new:?}");
        let render = |list: &[(i64, Vec<usize>)]| {
            list.iter()
                .map(|(id, to)| format!("{id}>{to:?}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(render(&assignment.merged), merged, "merged");
        assert_eq!(render(&assignment.split), split, "split");
    }

    #[test]
    fn new_groups_get_new_rows() {
        check(&[], &["CVE-1 = CVE-1"], &[None], "", "");
    }

    #[test]
    fn a_group_keeps_its_row_when_it_grows() {
        check(
            &["5 CVE-1 = CVE-1"],
            &["CVE-1 = CVE-1 GHSA-a"],
            &[Some(5)],
            "",
            "",
        );
    }

    #[test]
    fn a_renamed_group_keeps_its_row() {
        // A GHSA joins a PYSEC-only group: the canonical changes, the row stays.
        check(
            &["7 PYSEC-1 = PYSEC-1"],
            &["GHSA-a = GHSA-a PYSEC-1"],
            &[Some(7)],
            "",
            "",
        );
    }

    #[test]
    fn a_merge_keeps_the_cve_row_and_redirects_the_other() {
        // GHSA-a (row 3, with PYSEC-1) now aliases CVE-1 (row 9): the CVE keeps its row even
        // though the GHSA group was bigger; row 3 redirects to it.
        check(
            &["3 GHSA-a = GHSA-a PYSEC-1", "9 CVE-1 = CVE-1"],
            &["CVE-1 = CVE-1 GHSA-a PYSEC-1"],
            &[Some(9)],
            "3>[0]",
            "",
        );
        // Two non-CVE groups join: the bigger one keeps its id.
        check(
            &["3 GHSA-a = GHSA-a", "4 GO-1 = GO-1 PYSEC-1"],
            &["GHSA-a = GHSA-a GO-1 PYSEC-1"],
            &[Some(4)],
            "3>[0]",
            "",
        );
    }

    #[test]
    fn a_split_keeps_the_row_for_one_part_and_redirects_to_the_other() {
        check(
            &["4 GHSA-a = GHSA-a PYSEC-1"],
            &["GHSA-a = GHSA-a", "PYSEC-1 = PYSEC-1"],
            &[Some(4), None],
            "",
            "4>[1]",
        );
    }

    #[test]
    fn ties_go_to_the_lower_row_id() {
        check(
            &["8 GO-1 = GO-1", "6 PYSEC-1 = PYSEC-1"],
            &["GHSA-a = GHSA-a GO-1 PYSEC-1"],
            &[Some(6)],
            "8>[0]",
            "",
        );
    }
}
