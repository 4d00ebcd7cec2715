//! Waves: the text of `--waves` and how the targeted devices are split into waves.
//!
//! `--waves` lists **cumulative** targets, separated by commas, all of one kind:
//! - percentages, `1%,10%,100%`: wave 1 up to 1 % of the devices, wave 2 up to 10 %, wave 3
//!   the rest;
//! - counts, `10,100,all`: wave 1 up to 10 devices, wave 2 up to 100, wave 3 the rest.
//!
//! Counts are cumulative like percentages, so that `10,100,all` and `1%,10%,100%` read the
//! same way. The targets must grow strictly, and the last one must be `100%` or `all` (so
//! that every targeted device is in a wave); `all` may end a list of percentages too. A
//! target of 0 is refused (the wave would be empty by design). At most [`MAX_WAVES`].
//!
//! Explicit lists come from the command line one wave per `--wave dev-1,dev-2` option
//! ([`WaveSpec::explicit`]): each listed device must be targeted, none may be listed twice,
//! and the targeted devices that no list names form one last wave when `rest` is asked for;
//! otherwise they are refused.
//!
//! **Planning** ([`plan_waves`]) takes the N targeted devices in a stable order (the service
//! orders them by controller id) and W cumulative targets; the cumulative size of wave k is
//! - for a percentage p: ⌈p × N⌉ — rounding **up**, so the canary wave has at least one device;
//! - for a count c: c; for `all`: N;
//!
//! then clamped so that **no wave is empty when N ≥ W**: at least one more than the wave
//! before, and at most N minus one per wave still to come. "N is small" means N < W: then
//! waves 1 to N get one device each and the rest are empty (an empty wave advances at once;
//! a hold point after it still holds). Every device is in exactly one wave, and the same
//! devices and spec give the same waves.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use crate::RolloutError;
use crate::filter::ControllerId;
use crate::threshold::Percent;

/// At most this many waves.
pub const MAX_WAVES: usize = 100;

/// One cumulative target of `--waves`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveTarget {
    /// Up to this share of the devices.
    Percent(Percent),
    /// Up to this many devices.
    Count(u64),
    /// Every device.
    All,
}

impl fmt::Display for WaveTarget {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaveTarget::Percent(percent) => write!(formatter, "{percent}"),
            WaveTarget::Count(count) => write!(formatter, "{count}"),
            WaveTarget::All => formatter.write_str("all"),
        }
    }
}

/// How a rollout's devices are split into waves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaveSpec {
    /// Cumulative targets (`1%,10%,100%`, `10,100,all`).
    Cumulative(Vec<WaveTarget>),
    /// Explicit lists of devices, and whether the others form a last wave.
    Explicit {
        /// One list per wave.
        lists: Vec<Vec<ControllerId>>,
        /// Whether the targeted devices no list names form a last wave.
        rest: bool,
    },
}

impl WaveSpec {
    /// Explicit lists (one per `--wave` option): none empty, no device in two lists.
    pub fn explicit(lists: Vec<Vec<ControllerId>>, rest: bool) -> Result<WaveSpec, RolloutError> {
        let waves = lists.len() + usize::from(rest);
        if waves == 0 || waves > MAX_WAVES {
            return Err(RolloutError::WaveCount { waves });
        }
        let mut seen: HashMap<&ControllerId, usize> = HashMap::new();
        for (index, list) in lists.iter().enumerate() {
            if list.is_empty() {
                return Err(RolloutError::WaveListEmpty { wave: index + 1 });
            }
            for device in list {
                if let Some(first) = seen.insert(device, index + 1) {
                    return Err(RolloutError::WaveListDuplicate {
                        device: device.clone(),
                        first,
                        second: index + 1,
                    });
                }
            }
        }
        Ok(WaveSpec::Explicit { lists, rest })
    }

    /// How many waves the spec makes.
    pub fn waves(&self) -> usize {
        match self {
            WaveSpec::Cumulative(targets) => targets.len(),
            WaveSpec::Explicit { lists, rest } => lists.len() + usize::from(*rest),
        }
    }
}

impl FromStr for WaveSpec {
    type Err = RolloutError;

    /// Reads `--waves` (the rules in the module docs).
    fn from_str(text: &str) -> Result<WaveSpec, RolloutError> {
        let entries: Vec<&str> = text.split(',').map(str::trim).collect();
        if entries.len() > MAX_WAVES {
            return Err(RolloutError::WaveCount {
                waves: entries.len(),
            });
        }
        let mut targets = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let wrong = |problem: &str| RolloutError::WaveEntry {
                wave: index + 1,
                entry: entry.to_string(),
                problem: problem.to_string(),
            };
            let target = if entry.eq_ignore_ascii_case("all") {
                WaveTarget::All
            } else if entry.ends_with('%') {
                let percent: Percent = entry
                    .parse()
                    .map_err(|e: RolloutError| wrong(&e.to_string()))?;
                if percent.hundredths() == 0 {
                    return Err(wrong("a wave of 0% is empty"));
                }
                WaveTarget::Percent(percent)
            } else if !entry.is_empty() && entry.chars().all(|c| c.is_ascii_digit()) {
                let count: u64 = entry
                    .parse()
                    .map_err(|_| wrong("too large a count; write all"))?;
                if count == 0 {
                    return Err(wrong("a wave of 0 devices is empty"));
                }
                WaveTarget::Count(count)
            } else {
                return Err(wrong(
                    "write a percentage (10%), a count of devices (100) or all",
                ));
            };
            if let Some(previous) = targets.last() {
                match (previous, &target) {
                    (WaveTarget::All, _) => {
                        return Err(wrong("all ends the list"));
                    }
                    (WaveTarget::Percent(a), WaveTarget::Percent(b)) if b <= a => {
                        return Err(wrong(&format!(
                            "the targets are cumulative and must grow: {b} follows {a}"
                        )));
                    }
                    (WaveTarget::Count(a), WaveTarget::Count(b)) if b <= a => {
                        return Err(wrong(&format!(
                            "the targets are cumulative and must grow: {b} follows {a}"
                        )));
                    }
                    (WaveTarget::Percent(_), WaveTarget::Count(_))
                    | (WaveTarget::Count(_), WaveTarget::Percent(_)) => {
                        return Err(wrong("percentages and counts do not mix in one --waves"));
                    }
                    _ => {}
                }
            }
            targets.push(target);
        }
        match targets.last() {
            Some(WaveTarget::All) => {}
            Some(WaveTarget::Percent(percent)) if *percent == Percent::FULL => {}
            _ => {
                return Err(RolloutError::WavesIncomplete {
                    last: entries.last().unwrap_or(&"").to_string(),
                });
            }
        }
        Ok(WaveSpec::Cumulative(targets))
    }
}

/// The size of each wave for `devices` devices and cumulative targets (the rule in the
/// module docs). The sizes add up to `devices`.
pub fn wave_sizes(devices: usize, targets: &[WaveTarget]) -> Vec<usize> {
    let waves = targets.len();
    let n = devices as u128;
    let mut sizes = Vec::with_capacity(waves);
    let mut before = 0usize;
    for (index, target) in targets.iter().enumerate() {
        let raw: usize = match target {
            WaveTarget::Percent(percent) => {
                // ⌈p × N / 10000⌉, at most N because p ≤ 10000.
                let product = u128::from(percent.hundredths()) * n;
                usize::try_from(product.div_ceil(10_000)).unwrap_or(devices)
            }
            WaveTarget::Count(count) => usize::try_from(*count).unwrap_or(devices),
            WaveTarget::All => devices,
        };
        let cumulative = if devices >= waves {
            let still_to_come = waves - 1 - index;
            raw.max(before + 1).min(devices - still_to_come)
        } else {
            (index + 1).min(devices)
        };
        let cumulative = if index + 1 == waves {
            devices
        } else {
            cumulative
        };
        sizes.push(cumulative - before);
        before = cumulative;
    }
    sizes
}

/// Splits the targeted devices (in a stable order, each once) into waves.
pub fn plan_waves(
    devices: &[ControllerId],
    spec: &WaveSpec,
) -> Result<Vec<Vec<ControllerId>>, RolloutError> {
    let mut seen = HashSet::new();
    if let Some(device) = devices.iter().find(|device| !seen.insert(*device)) {
        return Err(RolloutError::DeviceTwice {
            device: device.clone(),
        });
    }
    match spec {
        WaveSpec::Cumulative(targets) => {
            let mut rest = devices;
            let mut waves = Vec::new();
            for size in wave_sizes(devices.len(), targets) {
                let (wave, after) = rest.split_at(size.min(rest.len()));
                waves.push(wave.to_vec());
                rest = after;
            }
            Ok(waves)
        }
        WaveSpec::Explicit { lists, rest } => {
            let unknown: Vec<String> = lists
                .iter()
                .flatten()
                .filter(|device| !seen.contains(device))
                .map(ToString::to_string)
                .collect();
            if !unknown.is_empty() {
                return Err(RolloutError::WaveListNotTargeted { devices: unknown });
            }
            let listed: HashSet<&ControllerId> = lists.iter().flatten().collect();
            let others: Vec<ControllerId> = devices
                .iter()
                .filter(|device| !listed.contains(device))
                .cloned()
                .collect();
            let mut waves = lists.clone();
            if *rest {
                waves.push(others);
            } else if let Some(first) = others.first() {
                return Err(RolloutError::WaveListsIncomplete {
                    unlisted: others.len(),
                    first: first.clone(),
                });
            }
            Ok(waves)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// N, spec text → the wave sizes, or the error.
    fn check(devices: usize, spec: &str, expected: &str) {
        let found = match spec.parse::<WaveSpec>() {
            Ok(WaveSpec::Cumulative(targets)) => format!("{:?}", wave_sizes(devices, &targets)),
            Ok(other) => format!("{other:?}"),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{devices} devices, {spec}");
    }

    #[test]
    #[rustfmt::skip]
    fn percentages() {
        // 1 % of 1000 is 10, 10 % is 100.
        check(1000, "1%,10%,100%", "[10, 90, 900]");
        // 1 % of 250 is 2.5: up to 3; 10 % is 25.
        check(250, "1%,10%,100%", "[3, 22, 225]");
        // 1 % of 50 is 0.5: the canary has 1; 10 % is 5.
        check(50, "1%,10%,100%", "[1, 4, 45]");
        // 1 % and 10 % of 5 both round up to 1: wave 2 takes one more device.
        check(5, "1%,10%,100%", "[1, 1, 3]");
        // N = W: one each.
        check(3, "1%,10%,100%", "[1, 1, 1]");
        // N < W: the first N waves get one each.
        check(2, "1%,10%,100%", "[1, 1, 0]");
        check(0, "1%,10%,100%", "[0, 0, 0]");
        check(7, "100%", "[7]");
        check(10, "33.33%,all", "[4, 6]");
        check(4, "50%,75%,100%", "[2, 1, 1]");
    }

    #[test]
    #[rustfmt::skip]
    fn counts() {
        check(500, "10,100,all", "[10, 90, 400]");
        // 50 devices: wave 2 would take all 40 left; the last wave keeps one.
        check(50, "10,100,all", "[10, 39, 1]");
        check(10, "10,100,all", "[8, 1, 1]");
        check(2, "10,100,all", "[1, 1, 0]");
        check(20, "5,ALL", "[5, 15]");
    }

    #[test]
    #[rustfmt::skip]
    fn spec_errors() {
        check(9, "1%,10%", "the last wave is \"10%\": it must be 100% or all, so that every targeted device is in a wave");
        check(9, "10,100", "the last wave is \"100\": it must be 100% or all, so that every targeted device is in a wave");
        check(9, "10%,5%,100%", "wave 2 (\"5%\"): the targets are cumulative and must grow: 5% follows 10%");
        check(9, "10%,10%,100%", "wave 2 (\"10%\"): the targets are cumulative and must grow: 10% follows 10%");
        check(9, "100,10,all", "wave 2 (\"10\"): the targets are cumulative and must grow: 10 follows 100");
        check(9, "10,50%,all", "wave 2 (\"50%\"): percentages and counts do not mix in one --waves");
        check(9, "all,100%", "wave 2 (\"100%\"): all ends the list");
        check(9, "0%,100%", "wave 1 (\"0%\"): a wave of 0% is empty");
        check(9, "0,all", "wave 1 (\"0\"): a wave of 0 devices is empty");
        check(9, "1%,,100%", "wave 2 (\"\"): write a percentage (10%), a count of devices (100) or all");
        check(9, "ten,all", "wave 1 (\"ten\"): write a percentage (10%), a count of devices (100) or all");
        check(9, "150%", "wave 1 (\"150%\"): \"150%\" is more than 100%");
        check(9, "", "wave 1 (\"\"): write a percentage (10%), a count of devices (100) or all");
        check(9, &vec!["all"; 101].join(","), "a rollout has 1 to 100 waves, not 101");
    }

    fn ids(names: &[&str]) -> Vec<ControllerId> {
        names
            .iter()
            .map(|name| ControllerId::new(name).unwrap())
            .collect()
    }

    #[test]
    fn devices_keep_their_order() {
        let devices = ids(&["a", "b", "c", "d", "e"]);
        let waves = plan_waves(&devices, &"1%,10%,100%".parse().unwrap()).unwrap();
        assert_eq!(waves, [ids(&["a"]), ids(&["b"]), ids(&["c", "d", "e"])]);
        let twice = ids(&["a", "b", "a"]);
        assert_eq!(
            plan_waves(&twice, &"all".parse().unwrap())
                .unwrap_err()
                .to_string(),
            "device a is listed twice among the targeted devices"
        );
    }

    #[test]
    fn explicit_lists() {
        let devices = ids(&["a", "b", "c", "d"]);
        let spec = WaveSpec::explicit(vec![ids(&["c"]), ids(&["a", "d"])], true).unwrap();
        assert_eq!(
            plan_waves(&devices, &spec).unwrap(),
            [ids(&["c"]), ids(&["a", "d"]), ids(&["b"])]
        );
        let no_rest = WaveSpec::explicit(vec![ids(&["c"]), ids(&["a", "d"])], false).unwrap();
        assert_eq!(
            plan_waves(&devices, &no_rest).unwrap_err().to_string(),
            "1 targeted device is in no wave (the first is b): list it, or add a last wave for the rest"
        );
        let unknown = WaveSpec::explicit(vec![ids(&["c", "x", "y"])], true).unwrap();
        assert_eq!(
            plan_waves(&devices, &unknown).unwrap_err().to_string(),
            "devices x, y are listed in a wave but not targeted by the rollout's filter"
        );
        assert_eq!(
            WaveSpec::explicit(vec![ids(&["a"]), ids(&["b", "a"])], true)
                .unwrap_err()
                .to_string(),
            "device a is listed in wave 1 and in wave 2"
        );
        assert_eq!(
            WaveSpec::explicit(vec![ids(&["a"]), vec![]], true)
                .unwrap_err()
                .to_string(),
            "wave 2 lists no device"
        );
        assert_eq!(
            WaveSpec::explicit(vec![], false).unwrap_err().to_string(),
            "a rollout has 1 to 100 waves, not 0"
        );
    }
}
