//! Thresholds: when a wave's outcome advances the rollout, pauses it, or waits.
//!
//! A wave's devices are counted by the state of each device's **latest** action in this
//! rollout ([`WaveCounts::tally`]); a device without one yet counts as `scheduled`, so the
//! counts always add up to the wave's size. The **measure** of a wave is its size minus the
//! canceled devices (a canceled action will not install, and must not hold the wave back).
//!
//! [`evaluate`] decides, in this order, with integer arithmetic in hundredths of a percent
//! (no rounding anywhere):
//! 1. **Pause** when the errors are *more than* the error threshold of the measure:
//!    `errors × 10000 > error_threshold × measure`. `--error-threshold 5%` tolerates 5 % and
//!    pauses above it; `0%` pauses at the first error.
//! 2. **Advance** when the finished devices *reach* the success threshold of the measure:
//!    `finished × 10000 ≥ success_threshold × measure`. An empty measure advances (nothing is
//!    left to update).
//! 3. **Pause** when nothing is pending any more (no device running, scheduled or skipped —
//!    a skipped device is offered again) and the success threshold was not reached: the wave
//!    can no longer advance by itself, and a person must look.
//! 4. Otherwise **wait**.
//!
//! The error check comes first: a wave that reached its success threshold while its errors
//! tripped pauses (a rollout does not outrun its failures).

use std::fmt;
use std::str::FromStr;

use crate::RolloutError;
use crate::action::{ActionState, UpdateType};

/// A percentage with two decimals, held in hundredths of a percent (0 to 10000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u16);

impl Percent {
    /// 100 %.
    pub const FULL: Percent = Percent(10_000);

    /// From hundredths of a percent (`9550` is 95.5 %).
    pub fn from_hundredths(hundredths: u16) -> Result<Percent, RolloutError> {
        if hundredths > 10_000 {
            return Err(RolloutError::PercentOutOfRange {
                text: format!("{}%", Percent(hundredths)),
            });
        }
        Ok(Percent(hundredths))
    }

    /// Hundredths of a percent.
    pub fn hundredths(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        if fraction == 0 {
            write!(formatter, "{whole}%")
        } else if fraction % 10 == 0 {
            write!(formatter, "{whole}.{}%", fraction / 10)
        } else {
            write!(formatter, "{whole}.{fraction:02}%")
        }
    }
}

impl FromStr for Percent {
    type Err = RolloutError;

    /// Reads `95%`, `99.5%` or `0.25%` (the `%` may be left out): at most two decimals, from
    /// 0 to 100.
    fn from_str(text: &str) -> Result<Percent, RolloutError> {
        let invalid = || RolloutError::PercentInvalid {
            text: text.to_string(),
        };
        let number = text.trim();
        let number = number.strip_suffix('%').unwrap_or(number).trim_end();
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
            return Err(invalid());
        }
        if number.ends_with('.') {
            return Err(invalid());
        }
        // Too many digits for a u64 is far more than 100 % all the same.
        let whole: u64 = whole.parse().unwrap_or(u64::MAX);
        let fraction: u64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<u64>().map_err(|_| invalid())? * 10,
            _ => fraction.parse().map_err(|_| invalid())?,
        };
        let hundredths = whole
            .checked_mul(100)
            .and_then(|h| h.checked_add(fraction))
            .filter(|h| *h <= 10_000)
            .ok_or_else(|| RolloutError::PercentOutOfRange {
                text: text.trim().to_string(),
            })?;
        // At most 10000, so it fits.
        Ok(Percent(u16::try_from(hundredths).map_err(|_| invalid())?))
    }
}

/// A rollout's two thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// The share of a wave that must finish before the next wave starts.
    pub success: Percent,
    /// The share of a wave that may fail; more pauses the rollout.
    pub error: Percent,
}

/// How many devices of a wave are where, by their latest action in the rollout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaveCounts {
    /// Installed (or, for a download-only rollout, downloaded).
    pub finished: u64,
    /// Failed.
    pub error: u64,
    /// Skipped, nothing installed; offered again when the window opens.
    pub skipped: u64,
    /// Offered and not ended (running, retrieved, downloading, downloaded, canceling).
    pub running: u64,
    /// Not offered yet: no action yet, or a `scheduled` one.
    pub scheduled: u64,
    /// Canceled.
    pub canceled: u64,
}

impl WaveCounts {
    /// Counts a wave: one entry per device, its latest action's state in this rollout
    /// (`None` when it has none yet).
    pub fn tally(
        latest: impl IntoIterator<Item = Option<ActionState>>,
        update_type: UpdateType,
    ) -> WaveCounts {
        let mut counts = WaveCounts::default();
        for state in latest {
            let slot = match state {
                None | Some(ActionState::Scheduled) => &mut counts.scheduled,
                Some(ActionState::Finished) => &mut counts.finished,
                Some(ActionState::Downloaded) if update_type == UpdateType::DownloadOnly => {
                    &mut counts.finished
                }
                Some(
                    ActionState::Running
                    | ActionState::Retrieved
                    | ActionState::Downloading
                    | ActionState::Downloaded
                    | ActionState::Canceling,
                ) => &mut counts.running,
                Some(ActionState::Error) => &mut counts.error,
                Some(ActionState::Skipped) => &mut counts.skipped,
                Some(ActionState::Canceled) => &mut counts.canceled,
            };
            *slot += 1;
        }
        counts
    }

    /// Every device of the wave.
    pub fn total(&self) -> u64 {
        self.finished + self.error + self.skipped + self.running + self.scheduled + self.canceled
    }

    /// The devices the thresholds are measured against: all but the canceled.
    pub fn measure(&self) -> u64 {
        self.total() - self.canceled
    }

    /// Devices that may still finish: running, scheduled or skipped.
    pub fn pending(&self) -> u64 {
        self.running + self.scheduled + self.skipped
    }
}

/// Why a wave stops the rollout by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdTrip {
    /// More devices failed than the error threshold allows.
    ErrorThreshold {
        /// Failed devices.
        errors: u64,
        /// The wave's measure.
        measure: u64,
        /// The error threshold.
        threshold: Percent,
    },
    /// Nothing is pending and the success threshold was not reached.
    SuccessUnreachable {
        /// Finished devices.
        finished: u64,
        /// The wave's measure.
        measure: u64,
        /// The success threshold.
        threshold: Percent,
    },
}

impl fmt::Display for ThresholdTrip {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThresholdTrip::ErrorThreshold {
                errors,
                measure,
                threshold,
            } => write!(
                formatter,
                "{errors} of {measure} devices failed, more than the error threshold of {threshold}"
            ),
            ThresholdTrip::SuccessUnreachable {
                finished,
                measure,
                threshold,
            } => write!(
                formatter,
                "only {finished} of {measure} devices finished and none is pending: the success threshold of {threshold} cannot be reached"
            ),
        }
    }
}

/// What a wave's counts say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The success threshold is reached: the next wave may start.
    Advance,
    /// The rollout pauses by itself, with the reason.
    Pause(ThresholdTrip),
    /// Not decided yet.
    Wait,
}

/// The verdict on a wave (the rule in the module docs).
pub fn evaluate(counts: &WaveCounts, thresholds: &Thresholds) -> Verdict {
    let measure = counts.measure();
    let share = |count: u64| u128::from(count) * 10_000;
    let of_measure = |percent: Percent| u128::from(percent.0) * u128::from(measure);
    if share(counts.error) > of_measure(thresholds.error) {
        return Verdict::Pause(ThresholdTrip::ErrorThreshold {
            errors: counts.error,
            measure,
            threshold: thresholds.error,
        });
    }
    if share(counts.finished) >= of_measure(thresholds.success) {
        return Verdict::Advance;
    }
    if counts.pending() == 0 {
        return Verdict::Pause(ThresholdTrip::SuccessUnreachable {
            finished: counts.finished,
            measure,
            threshold: thresholds.success,
        });
    }
    Verdict::Wait
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_percent(text: &str, expected: &str) {
        let found = match text.parse::<Percent>() {
            Ok(percent) => format!("{} ({})", percent, percent.hundredths()),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{text}");
    }

    #[test]
    #[rustfmt::skip]
    fn percents() {
        check_percent("95%", "95% (9500)");
        check_percent("95", "95% (9500)");
        check_percent(" 99.5% ", "99.5% (9950)");
        check_percent("0.25%", "0.25% (25)");
        check_percent("0.05%", "0.05% (5)");
        check_percent("0%", "0% (0)");
        check_percent("100%", "100% (10000)");
        check_percent("100.00%", "100% (10000)");
        check_percent("100.01%", "\"100.01%\" is more than 100%");
        check_percent("250%", "\"250%\" is more than 100%");
        check_percent("99999999999%", "\"99999999999%\" is more than 100%");
        check_percent("95.125%", "\"95.125%\" is not a percentage: write it like 95% or 99.5% (at most two decimals)");
        check_percent("-5%", "\"-5%\" is not a percentage: write it like 95% or 99.5% (at most two decimals)");
        check_percent("5.%", "\"5.%\" is not a percentage: write it like 95% or 99.5% (at most two decimals)");
        check_percent("%", "\"%\" is not a percentage: write it like 95% or 99.5% (at most two decimals)");
        check_percent("", "\"\" is not a percentage: write it like 95% or 99.5% (at most two decimals)");
    }

    fn counts(
        finished: u64,
        error: u64,
        skipped: u64,
        running: u64,
        scheduled: u64,
        canceled: u64,
    ) -> WaveCounts {
        WaveCounts {
            finished,
            error,
            skipped,
            running,
            scheduled,
            canceled,
        }
    }

    /// counts (finished, error, skipped, running, scheduled, canceled), thresholds → verdict.
    fn check(counts: WaveCounts, success: &str, error: &str, expected: &str) {
        let thresholds = Thresholds {
            success: success.parse().unwrap(),
            error: error.parse().unwrap(),
        };
        let found = match evaluate(&counts, &thresholds) {
            Verdict::Advance => "advance".to_string(),
            Verdict::Wait => "wait".to_string(),
            Verdict::Pause(trip) => format!("pause: {trip}"),
        };
        assert_eq!(found, expected, "{counts:?}");
    }

    #[test]
    #[rustfmt::skip]
    fn verdicts() {
        // 100 devices, 95 % / 5 %: 95 finished advance, 94 wait while 1 is pending.
        check(counts(95, 5, 0, 0, 0, 0), "95%", "5%", "advance");
        check(counts(94, 5, 0, 1, 0, 0), "95%", "5%", "wait");
        // 6 errors of 100 is more than 5 %: pause, even with 94 finished.
        check(counts(94, 6, 0, 0, 0, 0), "95%", "5%", "pause: 6 of 100 devices failed, more than the error threshold of 5%");
        // The error check comes first.
        check(counts(3, 1, 0, 0, 0, 0), "50%", "20%", "pause: 1 of 4 devices failed, more than the error threshold of 20%");
        // Nothing pending and short of the success threshold.
        check(counts(97, 3, 0, 0, 0, 0), "99%", "5%", "pause: only 97 of 100 devices finished and none is pending: the success threshold of 99% cannot be reached");
        // A skipped device is still pending.
        check(counts(97, 0, 3, 0, 0, 0), "99%", "5%", "wait");
        // Canceled devices leave the measure: 19 of 19.
        check(counts(19, 0, 0, 0, 0, 1), "100%", "0%", "advance");
        // All canceled, or an empty wave: nothing left to update.
        check(counts(0, 0, 0, 0, 0, 4), "95%", "5%", "advance");
        check(counts(0, 0, 0, 0, 0, 0), "95%", "5%", "advance");
        // 0 % error threshold: the first error pauses.
        check(counts(0, 1, 0, 9, 0, 0), "100%", "0%", "pause: 1 of 10 devices failed, more than the error threshold of 0%");
        // 0 % success threshold: advance at once.
        check(counts(0, 0, 0, 0, 10, 0), "0%", "5%", "advance");
        // Two decimals: 1 of 200 is 0.5 %, not more than 0.5 %; 2 of 200 is.
        check(counts(0, 1, 0, 199, 0, 0), "100%", "0.5%", "wait");
        check(counts(0, 2, 0, 198, 0, 0), "100%", "0.5%", "pause: 2 of 200 devices failed, more than the error threshold of 0.5%");
    }

    #[test]
    fn tally_counts_the_latest_action_of_every_device() {
        use ActionState::*;
        let latest = [
            None,
            Some(Scheduled),
            Some(Running),
            Some(Retrieved),
            Some(Downloading),
            Some(Downloaded),
            Some(Canceling),
            Some(Finished),
            Some(Error),
            Some(Skipped),
            Some(Canceled),
        ];
        assert_eq!(
            WaveCounts::tally(latest, UpdateType::Forced),
            counts(1, 1, 1, 5, 2, 1)
        );
        // A download-only rollout's goal is the download.
        assert_eq!(
            WaveCounts::tally(latest, UpdateType::DownloadOnly),
            counts(2, 1, 1, 4, 2, 1)
        );
    }
}
