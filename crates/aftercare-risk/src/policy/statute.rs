//! The statutory limits of the clocks the law sets, and the check that keeps a policy within
//! them: a manufacturer may be stricter than the law, never laxer without saying why.
//!
//! A policy is laxer than the law when a statutory clock is disabled, longer than the law's
//! number of days, or counted in working days where the law counts calendar days (N working
//! days are never fewer than N calendar days). Such a policy is refused unless the clock's
//! `deviation_rationale` gives at least `rationale.min_chars` characters; with it, the policy
//! loads and [`crate::Policy::warnings`] reports the deviation, so that `policy check` shows it
//! before anyone signs the change.

use crate::RiskError;
use crate::calendar::DayKind;
use crate::policy::{ClockRule, PolicyWarning};
use crate::vocabulary::ClockKind;

/// A clock length the law sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatutoryLimit {
    /// The law's number of days.
    pub days: u32,
    /// How the law counts them.
    pub day_kind: DayKind,
    /// Where the law says so.
    pub citation: &'static str,
}

/// The law's limit for a clock kind; `None` for the clocks that are guidance or the
/// manufacturer's own (customer communication, remediation and ISAO sharing are conditions of
/// FDA's exemption from 806, not deadlines of a regulation; the patch cycle and the disclosure
/// acknowledgement are the manufacturer's).
pub fn statutory_limit(kind: ClockKind) -> Option<StatutoryLimit> {
    let limit = |days, day_kind, citation| {
        Some(StatutoryLimit {
            days,
            day_kind,
            citation,
        })
    };
    match kind {
        ClockKind::Report806 => limit(10, DayKind::Working, "21 CFR 806.10(b)"),
        ClockKind::Mdr803 => limit(30, DayKind::Calendar, "21 CFR 803.50(a)"),
        ClockKind::Mdr803FiveDay => limit(5, DayKind::Working, "21 CFR 803.53"),
        ClockKind::Mdr803Supplemental => limit(30, DayKind::Calendar, "21 CFR 803.56"),
        ClockKind::EuMdrArt87 => limit(15, DayKind::Calendar, "MDR 2017/745 Art. 87(3)"),
        ClockKind::EuMdrArt87PublicHealthThreat => {
            limit(2, DayKind::Calendar, "MDR 2017/745 Art. 87(4)")
        }
        ClockKind::EuMdrArt87DeathOrSeriousDeterioration => {
            limit(10, DayKind::Calendar, "MDR 2017/745 Art. 87(5)")
        }
        ClockKind::CustomerCommunication
        | ClockKind::Remediation
        | ClockKind::IsaoSharing
        | ClockKind::RegularPatchCycle
        | ClockKind::DisclosureAck => None,
    }
}

/// Checks one clock rule against the law: `Ok` with no warning when within it, `Ok` with a
/// warning when a rationale justifies the deviation, an error naming the key otherwise.
pub(crate) fn check(
    kind: ClockKind,
    rule: &ClockRule,
    rationale_min_chars: usize,
) -> Result<Option<PolicyWarning>, RiskError> {
    let Some(law) = statutory_limit(kind) else {
        return Ok(None);
    };
    let law_text = format!("{} {} days ({})", law.days, law.day_kind, law.citation);
    let deviation = if !rule.enabled() {
        Some((
            "enabled",
            format!("the clock is disabled, though the law sets {law_text}"),
        ))
    } else if rule.days() > law.days {
        Some((
            "days",
            format!("{} days is longer than the law's {law_text}", rule.days()),
        ))
    } else if rule.day_kind() == DayKind::Working && law.day_kind == DayKind::Calendar {
        Some((
            "day_kind",
            format!("working days are longer than the law's {law_text}"),
        ))
    } else {
        None
    };
    let Some((field, problem)) = deviation else {
        return Ok(None);
    };
    let key = format!("clock.{kind}.{field}");
    let length = rule
        .deviation_rationale()
        .map_or(0, |text| text.chars().count());
    if length < rationale_min_chars.max(1) {
        return Err(RiskError::PolicyInvalid {
            key,
            problem: format!(
                "{problem}; a policy may deviate from the law only with clock.{kind}.deviation_rationale (at least {} characters; {length} given)",
                rationale_min_chars.max(1)
            ),
        });
    }
    Ok(Some(PolicyWarning {
        key,
        message: format!(
            "{problem}; deviation rationale: {}",
            rule.deviation_rationale().unwrap_or_default()
        ),
    }))
}
