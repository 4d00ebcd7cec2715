//! Maven: `ComparableVersion` from maven-artifact 3.9.
//!
//! A version is split at `.`, `-` and at every switch between digits and other
//! characters; a `-` (and a switch) opens a nested list. Numbers compare numerically,
//! qualifiers by rank (`alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` <
//! `""` = `ga` = `final` = `release` < `sp` < any other qualifier, those alphabetically),
//! and trailing "null" items (`0`, `""`, empty lists) are dropped, so `1` = `1.0` =
//! `1.0.0` = `1-ga`. `a1`, `b1` and `m1` stand for `alpha-1`, `beta-1`, `milestone-1`.
//!
//! This is a transcription of the Java algorithm (items, lists, the comparison against
//! "null" padding), not of the simplified description in the POM reference, because the
//! two disagree on edge cases and Maven resolves ranges with the code.
//!
//! Differences from Java, all outside real version strings: only ASCII digits count as
//! digits, and unknown qualifiers compare by code point instead of UTF-16 unit.

use std::cmp::Ordering;
use std::fmt;

use crate::VersionError;
use crate::number::Number;

/// Qualifier ranks; `RELEASE` is the empty qualifier, equal to no qualifier at all.
const KNOWN_QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: Qualifier = Qualifier::Known(5);

/// A qualifier's rank: a known one by its position, any other after them, by text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Qualifier {
    Known(u8),
    Unknown(Box<str>),
}

#[derive(Debug, Clone)]
enum Item {
    Number(Number),
    Text { rank: Qualifier, text: Box<str> },
    List(Vec<Item>),
}

impl Item {
    fn text(value: &str, followed_by_digit: bool) -> Item {
        let value = match value {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        let rank = match KNOWN_QUALIFIERS.iter().position(|known| *known == value) {
            // The list has seven entries, so the position fits in a u8.
            Some(position) => Qualifier::Known(position as u8),
            None => Qualifier::Unknown(value.into()),
        };
        Item::Text {
            rank,
            text: value.into(),
        }
    }

    fn parse(is_digit: bool, buffer: &str) -> Item {
        if is_digit {
            Item::Number(Number::from_digits(buffer))
        } else {
            Item::text(buffer, false)
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Number(number) => number.is_zero(),
            Item::Text { rank, .. } => *rank == RELEASE,
            Item::List(items) => items.is_empty(),
        }
    }

    /// Java's `Item.compareTo(Item)`, where `None` is Java's `null` (padding).
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Number(number), None) => {
                if number.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Number(left), Some(Item::Number(right))) => left.cmp(right),
            (Item::Number(_), Some(_)) => Ordering::Greater,
            (Item::Text { rank, .. }, None) => rank.cmp(&RELEASE),
            (Item::Text { .. }, Some(Item::Number(_) | Item::List(_))) => Ordering::Less,
            (Item::Text { rank: left, .. }, Some(Item::Text { rank: right, .. })) => {
                left.cmp(right)
            }
            (Item::List(items), None) => items
                .iter()
                .map(|item| item.compare(None))
                .find(|ordering| ordering.is_ne())
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Number(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Text { .. })) => Ordering::Greater,
            (Item::List(left), Some(Item::List(right))) => compare_lists(left, right),
        }
    }
}

fn compare_lists(left: &[Item], right: &[Item]) -> Ordering {
    for index in 0..left.len().max(right.len()) {
        let ordering = match (left.get(index), right.get(index)) {
            (Some(item), other) => item.compare(other),
            (None, Some(item)) => item.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ordering.is_ne() {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Java's `ListItem.normalize()`: drop null items from the end, looking past trailing
/// non-empty lists.
fn normalize(items: &mut Vec<Item>) {
    let mut index = items.len();
    while index > 0 {
        index -= 1;
        if items[index].is_null() {
            items.remove(index);
        } else if !matches!(items[index], Item::List(_)) {
            break;
        }
    }
}

/// A Maven artifact version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    items: Vec<Item>,
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

impl fmt::Display for MavenVersion {
    /// Maven's canonical form (`ComparableVersion.getCanonical()`), e.g. `1-rc-1` for
    /// `1.0.0.CR1`. Like Maven's, it is lossy on odd inputs (`.a-` is written `0.a`,
    /// which Maven parses differently), so [`crate::Version::canonical`] checks it.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(&self.items, formatter)
    }
}

fn write_list(items: &[Item], formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            formatter.write_str(if matches!(item, Item::List(_)) {
                "-"
            } else {
                "."
            })?;
        }
        match item {
            Item::Number(number) => write!(formatter, "{number}")?,
            Item::Text { text, .. } => formatter.write_str(text)?,
            Item::List(nested) => write_list(nested, formatter)?,
        }
    }
    Ok(())
}

/// The lists being filled while parsing: the last one is the current list, and each list
/// belongs at the end of the one before it.
struct Stack {
    lists: Vec<Vec<Item>>,
}

impl Stack {
    fn current(&mut self) -> &mut Vec<Item> {
        if self.lists.is_empty() {
            self.lists.push(Vec::new());
        }
        let last = self.lists.len() - 1;
        &mut self.lists[last]
    }

    fn push(&mut self, item: Item) {
        self.current().push(item);
    }

    fn open(&mut self) {
        self.lists.push(Vec::new());
    }

    fn is_current_empty(&mut self) -> bool {
        self.current().is_empty()
    }

    /// Normalizes the innermost list first and hangs each list at the end of its parent,
    /// as Java does when it pops its stack.
    fn finish(mut self) -> Vec<Item> {
        let mut finished = self.lists.pop().unwrap_or_default();
        normalize(&mut finished);
        while let Some(mut parent) = self.lists.pop() {
            parent.push(Item::List(finished));
            normalize(&mut parent);
            finished = parent;
        }
        finished
    }
}

/// Parses a Maven version. Every string is a Maven version; only the empty string is
/// refused, because it names no release.
pub fn parse(input: &str) -> Result<MavenVersion, VersionError> {
    if input.trim().is_empty() {
        return Err(VersionError::parse(
            crate::Scheme::Maven,
            input,
            "the version is empty",
        ));
    }
    let lowered = input.to_lowercase();
    let version = lowered.as_str();
    let mut stack = Stack {
        lists: vec![Vec::new()],
    };
    let mut is_digit = false;
    let mut start = 0;
    for (index, character) in version.char_indices() {
        match character {
            '.' | '-' => {
                if index == start {
                    stack.push(Item::Number(Number::ZERO));
                } else {
                    stack.push(Item::parse(is_digit, &version[start..index]));
                }
                start = index + 1;
                if character == '-' {
                    stack.open();
                }
            }
            '0'..='9' => {
                if !is_digit && index > start {
                    // "1.0.0.X1 < 1.0.0-X2": a qualifier followed by digits is its own list.
                    if !stack.is_current_empty() {
                        stack.open();
                    }
                    stack.push(Item::text(&version[start..index], true));
                    start = index;
                    stack.open();
                }
                is_digit = true;
            }
            _ => {
                if is_digit && index > start {
                    stack.push(Item::parse(true, &version[start..index]));
                    start = index;
                    stack.open();
                }
                is_digit = false;
            }
        }
    }
    if version.len() > start {
        // "Treat .X as -X for any string qualifier X."
        if !is_digit && !stack.is_current_empty() {
            stack.open();
        }
        stack.push(Item::parse(is_digit, &version[start..]));
    }
    Ok(MavenVersion {
        items: stack.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> MavenVersion {
        parse(text).unwrap()
    }

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (version(left), version(right));
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
        assert_eq!(a == b, expected == Ordering::Equal);
    }

    fn check_increasing(versions: &[&str]) {
        for (index, low) in versions.iter().enumerate() {
            for high in &versions[index + 1..] {
                check(low, high, Ordering::Less);
            }
        }
    }

    fn check_canonical(input: &str, expected: &str) {
        assert_eq!(version(input).to_string(), expected, "{input}");
    }

    // The lists and pairs below are maven-artifact's own ComparableVersionTest.
    #[test]
    fn qualifiers_in_order() {
        check_increasing(&[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ]);
    }

    #[test]
    fn numbers_in_order() {
        check_increasing(&[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ]);
    }

    #[test]
    fn equal_versions() {
        for (left, right) in [
            ("1", "1"),
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1.0", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.0-0"),
            ("1.0", "1.0-0"),
            ("1a", "1-a"),
            ("1a", "1.0-a"),
            ("1a", "1.0.0-a"),
            ("1.0a", "1-a"),
            ("1.0.0a", "1-a"),
            ("1x", "1-x"),
            ("1x", "1.0-x"),
            ("1x", "1.0.0-x"),
            ("1.0x", "1-x"),
            ("1.0.0x", "1-x"),
            ("1cr", "1rc"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1X", "1x"),
            ("1A", "1a"),
            ("1B", "1b"),
            ("1M", "1m"),
            ("1Ga", "1"),
            ("1GA", "1"),
            ("1RELEASE", "1"),
            ("1release", "1"),
            ("1RELeaSE", "1"),
            ("1Final", "1"),
            ("1FinaL", "1"),
            ("1FINAL", "1"),
            ("1Cr", "1Rc"),
            ("1cR", "1rC"),
            ("1m3", "1Milestone3"),
            ("1m3", "1MileStone3"),
            ("1m3", "1MILESTONE3"),
            ("2.0.9.RELEASE", "2.0.9"),
            ("4.1.99.Final", "4.1.99"),
        ] {
            check(left, right, Ordering::Equal);
        }
    }

    #[test]
    fn separators_and_regressions() {
        // MNG-5568: transitivity.
        check("6.1.0rc3", "6.1.0", Ordering::Less);
        check("6.1.0", "6.1H.5-beta", Ordering::Less);
        check("6.1.0rc3", "6.1H.5-beta", Ordering::Less);
        // MNG-6572: big numbers.
        check_increasing(&[
            "20190126.230843",
            "1234567890.12345",
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
        ]);
        // MNG-6964: a list compared with nothing looks at all its items.
        check("1-0.alpha", "1", Ordering::Less);
        check("1-0.beta", "1", Ordering::Less);
        check("1-0.alpha", "1-0.beta", Ordering::Less);
        // MNG-7644: a qualifier after `.` sorts like one after `-`.
        check("1.0.0.RC1", "1.0.0-RC2", Ordering::Less);
        check("1.0.0.alpha1", "1.0.0-alpha2", Ordering::Less);
        check("1.0.0.X1", "1.0.0-X2", Ordering::Less);
        check("1.0.0-X1", "1.0.0.X2", Ordering::Less);
        check("1.0.0-SNAPSHOT", "1.0.0", Ordering::Less);
        check("3.8.0.CR1", "3.8.0", Ordering::Less);
        check("3.2.11.Final", "3.2.11", Ordering::Equal);
        check("2.13.2.1", "2.13.2", Ordering::Greater);
        check("25.0-jre", "32.0.0", Ordering::Less);
        check("32.0.0-android", "32.0.0-jre", Ordering::Less);
        check("9.4.1208", "42.2.25", Ordering::Less);
    }

    #[test]
    fn canonical_forms() {
        check_canonical("1.0.0", "1");
        check_canonical("1.0.0.CR1", "1-rc-1");
        check_canonical("1a1", "1-alpha-1");
        check_canonical("2.0.9.RELEASE", "2.0.9");
        check_canonical("1.0-SNAPSHOT", "1-snapshot");
        check_canonical("25.0-jre", "25-jre");
    }

    #[test]
    fn empty_is_refused() {
        assert!(parse("").is_err());
        assert!(parse("  ").is_err());
        assert!(parse("-").is_ok());
    }
}
