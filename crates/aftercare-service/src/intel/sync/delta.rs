//! What a sync run changed, for the matching layer to re-match only that: the typed
//! [`SyncDelta`], read once from the `(kind, value)` pairs a run stores in
//! `sync_run_changes` (the batches write them: `state` and `enrichment`; the store adds the
//! records a run wrote last), with the kinds parsed into an enum first so that every known
//! word is matched once and exhaustively.

/// The kind of one stored change of a run (the `kind` column of `sync_run_changes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChangeKind {
    /// A vulnerability's row id: new, changed, or merged into others.
    Vulnerability,
    /// A record's row id (the store reads these from the records a run wrote last).
    Record,
    /// A package key (`Ecosystem/name`).
    Package,
    /// A CPE `vendor:product` pair.
    Product,
    /// A CVE whose KEV entry changed.
    Kev,
    /// An EPSS score date.
    Epss,
}

impl ChangeKind {
    /// Every kind.
    const ALL: [ChangeKind; 6] = [
        ChangeKind::Vulnerability,
        ChangeKind::Record,
        ChangeKind::Package,
        ChangeKind::Product,
        ChangeKind::Kev,
        ChangeKind::Epss,
    ];

    /// The stored word.
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Vulnerability => "vulnerability",
            ChangeKind::Record => "record",
            ChangeKind::Package => "package",
            ChangeKind::Product => "product",
            ChangeKind::Kev => "kev",
            ChangeKind::Epss => "epss",
        }
    }

    /// The kind a stored word names; `None` for a word this build does not know (a newer
    /// build's kind is ignored, not an error, so an older build can still read the delta).
    fn parse(word: &str) -> Option<ChangeKind> {
        ChangeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == word)
    }
}

/// What changed in a run, for the matching layer to re-match only that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncDelta {
    /// Row ids of vulnerabilities that are new, changed, or merged into others.
    pub vulnerabilities: Vec<i64>,
    /// Row ids of records that are new or changed (withdrawn included) and not changed by a
    /// later run.
    pub records: Vec<i64>,
    /// Package keys (`Ecosystem/name`) named by a new or changed record, before or after.
    pub packages: Vec<String>,
    /// CPE (vendor, product) pairs named by a new or changed record, before or after (`*`
    /// stands for a wildcard).
    pub products: Vec<(String, String)>,
    /// CVEs whose KEV entry was added, changed or removed.
    pub kev: Vec<String>,
    /// EPSS score dates applied.
    pub epss: Vec<String>,
}

impl SyncDelta {
    /// The delta from stored (kind, value) pairs.
    pub fn from_changes(changes: &[(String, String)]) -> SyncDelta {
        let mut delta = SyncDelta::default();
        for (kind, value) in changes {
            let Some(kind) = ChangeKind::parse(kind) else {
                continue;
            };
            match kind {
                ChangeKind::Vulnerability => {
                    delta.vulnerabilities.extend(value.parse::<i64>().ok());
                }
                ChangeKind::Record => delta.records.extend(value.parse::<i64>().ok()),
                ChangeKind::Package => delta.packages.push(value.clone()),
                ChangeKind::Product => {
                    if let Some((vendor, product)) = value.split_once(':') {
                        delta
                            .products
                            .push((vendor.to_string(), product.to_string()));
                    }
                }
                ChangeKind::Kev => delta.kev.push(value.clone()),
                ChangeKind::Epss => delta.epss.push(value.clone()),
            }
        }
        delta.vulnerabilities.sort_unstable();
        delta.vulnerabilities.dedup();
        delta.records.sort_unstable();
        delta.records.dedup();
        delta
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == SyncDelta::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(changes: &[(&str, &str)], expected: SyncDelta) {
        let changes: Vec<(String, String)> = changes
            .iter()
            .map(|(kind, value)| (kind.to_string(), value.to_string()))
            .collect();
        assert_eq!(SyncDelta::from_changes(&changes), expected, "{changes:?}");
    }

    #[test]
    fn every_kind_reads_back_from_its_word() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ChangeKind::parse("Package"), None);
    }

    #[test]
    fn changes_read_into_the_delta() {
        check(&[], SyncDelta::default());
        check(
            &[
                ("vulnerability", "7"),
                ("vulnerability", "3"),
                ("vulnerability", "7"),
            ],
            SyncDelta {
                vulnerabilities: vec![3, 7],
                ..SyncDelta::default()
            },
        );
        check(
            &[("record", "2"), ("record", "1"), ("record", "x")],
            SyncDelta {
                records: vec![1, 2],
                ..SyncDelta::default()
            },
        );
        check(
            &[("product", "vendor:product"), ("product", "no-colon")],
            SyncDelta {
                products: vec![("vendor".into(), "product".into())],
                ..SyncDelta::default()
            },
        );
        check(
            &[
                ("package", "PyPI/django"),
                ("kev", "CVE-2024-1"),
                ("epss", "2024-05-01"),
                ("unknown", "ignored"),
            ],
            SyncDelta {
                packages: vec!["PyPI/django".into()],
                kev: vec!["CVE-2024-1".into()],
                epss: vec!["2024-05-01".into()],
                ..SyncDelta::default()
            },
        );
    }
}
