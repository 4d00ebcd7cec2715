//! The error type of the detectors, the health gate and the simulator: every refusal names
//! the setting or value it concerns and says what is accepted. (A telemetry batch refused as
//! a whole is [`crate::telemetry::BatchError`], which stays with its format.)

/// Everything the detectors, the health gate and the simulator refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// A metric sample that is not finite or too large to be a measurement.
    #[error(
        "the sample {value} of {metric:?} is refused: a detector takes finite values within ±{max:e}; scale the unit"
    )]
    SampleOutOfRange {
        /// The metric.
        metric: String,
        /// The value as given (may be NaN or infinite).
        value: f64,
        /// The largest magnitude taken.
        max: f64,
    },

    /// A detector setting out of range (from the policy file's `[fleet.detectors]`).
    #[error("detector setting `{setting}` = {value}: {problem}")]
    DetectorSetting {
        /// The setting's path, e.g. `metrics."cpu.load".step_h`.
        setting: String,
        /// The value as given.
        value: String,
        /// What is accepted.
        problem: String,
    },

    /// A health-gate rule setting out of range.
    #[error("health rule for {metric:?}, `{setting}` = {value}: {problem}")]
    HealthSetting {
        /// The rule's metric.
        metric: String,
        /// The setting.
        setting: &'static str,
        /// The value as given.
        value: String,
        /// What is accepted.
        problem: String,
    },

    /// A `--fault` that the simulator does not know.
    #[error("unknown fault {text:?}: expected step, drift, auth-burst, silence or bad-patch")]
    UnknownFault {
        /// The text.
        text: String,
    },

    /// A simulated metric that the catalogue does not have.
    #[error("unknown simulated metric {name:?}: expected one of {expected}")]
    UnknownMetric {
        /// The name.
        name: String,
        /// The catalogue's names, comma-separated.
        expected: String,
    },

    /// A simulation setting out of range.
    #[error("simulation setting `{setting}` = {value}: {problem}")]
    SimulationSetting {
        /// The setting.
        setting: &'static str,
        /// The value as given.
        value: String,
        /// What is accepted.
        problem: String,
    },
}
