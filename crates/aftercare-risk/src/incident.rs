//! Incidents' rules (issue 15): the states of an investigation and its regulatory
//! classification — what 21 CFR 803 and EU MDR Art. 87 make of it — turned into the events of
//! the clock machine ([`crate::clock`]), so that an incident opens its clocks exactly as a
//! case event entered by hand would. No clock is computed here: the classification only says
//! which events happen; lengths, day kinds and time zones stay the policy's.
//!
//! - **21 CFR 803** (manufacturers, 803.50, 803.53): a death, a serious injury or a
//!   malfunction that would be likely to cause or contribute to one if it recurred is
//!   reported within 30 calendar days of awareness (`mdr_803`); when remedial action is needed
//!   to prevent an unreasonable risk of substantial harm to the public health, or FDA asked in
//!   writing, within 5 work days instead (`mdr_803_5day`).
//! - **EU MDR Art. 87(3)–(5)**: a serious public health threat within 2 days
//!   (`eu_mdr_art87_public_health_threat`), a death or an unanticipated serious deterioration
//!   in a person's state of health within 10 days (`…_death_or_serious_deterioration`), any
//!   other serious incident within 15 days (`eu_mdr_art87`).
//! - An incident may be reportable under both (a device marketed in the US and the EU), so a
//!   classification holds an FDA part, an EU part, or both — or says the incident is **not
//!   reportable** (a cybersecurity event without death, injury, a reportable malfunction or a
//!   serious incident), which opens no clock. Every classification carries a written
//!   rationale of at least the policy's `rationale.min_chars`: the decision not to report is
//!   the one an auditor asks about first.
//! - States: `open` → `classified` (again while not closed: a reclassification adds the
//!   clocks the new class needs; clocks already open stay, and are waived with a rationale
//!   if they no longer apply) → `closed`, only once classified; a closed incident never
//!   changes.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::RiskError;
use crate::clock::{Event, EventKind, MdrEventType, SeriousIncidentCategory};
use crate::policy::{Policy, check_rationale};
use crate::vocabulary::{ClockKind, vocabulary};

vocabulary! {
    /// Where an investigation stands.
    pub enum IncidentState as "incident state" {
        /// Opened, not yet classified.
        Open = "open",
        /// Classified (reportable or not); its clocks, if any, run.
        Classified = "classified",
        /// Closed with its root cause, corrective actions and lessons learned.
        Closed = "closed",
    }
}

vocabulary! {
    /// How an incident came to be opened.
    pub enum IncidentSource as "incident source" {
        /// From a fleet signal, which moves to the state `incident`.
        Signal = "signal",
        /// From a report (a customer's complaint, a researcher's report, a field report).
        Report = "report",
        /// By hand.
        Manual = "manual",
    }
}

vocabulary! {
    /// What may be linked to an incident.
    pub enum LinkKind as "incident link kind" {
        /// A fielded device (by controller id).
        Device = "device",
        /// A finding (by id).
        Finding = "finding",
        /// A fleet signal (by id).
        Signal = "signal",
        /// A rollout (by name).
        Rollout = "rollout",
    }
}

/// A step of an incident's life, for [`next_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentStep {
    /// Classify or reclassify.
    Classify,
    /// Link a device, finding, signal or rollout.
    Link,
    /// Close.
    Close,
}

impl IncidentStep {
    fn as_str(self) -> &'static str {
        match self {
            IncidentStep::Classify => "classified",
            IncidentStep::Link => "linked",
            IncidentStep::Close => "closed",
        }
    }
}

/// The state after a step, or why the step is refused: a closed incident never changes, and
/// only a classified incident closes (the reportability decision comes first).
pub fn next_state(state: IncidentState, step: IncidentStep) -> Result<IncidentState, RiskError> {
    let refused = |why: &str| RiskError::IncidentStep {
        state: state.as_str(),
        step: step.as_str(),
        why: why.to_string(),
    };
    match (state, step) {
        (IncidentState::Closed, _) => Err(refused("a closed incident is a record; open a new one")),
        (IncidentState::Open, IncidentStep::Close) => Err(refused(
            "classify it first (reportable under 21 CFR 803 / EU MDR Art. 87, or not reportable with the rationale)",
        )),
        (_, IncidentStep::Classify) => Ok(IncidentState::Classified),
        (state, IncidentStep::Link) => Ok(state),
        (IncidentState::Classified, IncidentStep::Close) => Ok(IncidentState::Closed),
    }
}

/// An incident's regulatory classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// 21 CFR 803: the reportable event's type, if reportable to FDA.
    pub fda: Option<MdrEventType>,
    /// 21 CFR 803.53: remedial action is needed to prevent an unreasonable risk of
    /// substantial harm to the public health, or FDA asked in writing — five work days.
    pub remedial_action: bool,
    /// EU MDR Art. 87: the serious incident's category, if reportable in the EU.
    pub eu: Option<SeriousIncidentCategory>,
    /// Why (always required).
    pub rationale: String,
}

impl Classification {
    /// A reportable classification: an FDA part, an EU part or both.
    pub fn reportable(
        policy: &Policy,
        fda: Option<MdrEventType>,
        remedial_action: bool,
        eu: Option<SeriousIncidentCategory>,
        rationale: &str,
    ) -> Result<Classification, RiskError> {
        if fda.is_none() && eu.is_none() {
            return Err(RiskError::IncidentClassification {
                field: "classification",
                problem: "a reportable incident names its 21 CFR 803 event type (death, serious_injury, malfunction), its EU MDR Art. 87 category (public_health_threat, death_or_serious_deterioration, serious_incident), or both; otherwise classify it not_reportable with the rationale".into(),
            });
        }
        if remedial_action && fda.is_none() {
            return Err(RiskError::IncidentClassification {
                field: "remedial_action",
                problem: "the five-work-day report (21 CFR 803.53) is an FDA report: name the 803 event type too".into(),
            });
        }
        check_rationale(policy, "an incident's classification", rationale)?;
        Ok(Classification {
            fda,
            remedial_action,
            eu,
            rationale: rationale.trim().to_string(),
        })
    }

    /// A cybersecurity event that is not reportable, with the mandatory rationale.
    pub fn not_reportable(policy: &Policy, rationale: &str) -> Result<Classification, RiskError> {
        check_rationale(policy, "an incident classified not reportable", rationale)?;
        Ok(Classification {
            fda: None,
            remedial_action: false,
            eu: None,
            rationale: rationale.trim().to_string(),
        })
    }

    /// Whether any clock runs.
    pub fn is_reportable(&self) -> bool {
        self.fda.is_some() || self.eu.is_some()
    }

    /// The classification in one label: `not_reportable`, or its parts
    /// (`fda:death+remedial_action eu:public_health_threat`).
    pub fn label(&self) -> String {
        if !self.is_reportable() {
            return "not_reportable".into();
        }
        let mut parts = Vec::new();
        if let Some(fda) = self.fda {
            parts.push(if self.remedial_action {
                format!("fda:{fda}+remedial_action")
            } else {
                format!("fda:{fda}")
            });
        }
        if let Some(eu) = self.eu {
            parts.push(format!("eu:{eu}"));
        }
        parts.join(" ")
    }

    /// The clocks this classification opens, in the order of [`Classification::events`].
    pub fn clock_kinds(&self) -> Vec<ClockKind> {
        let mut kinds = Vec::new();
        if self.fda.is_some() {
            kinds.push(if self.remedial_action {
                ClockKind::Mdr803FiveDay
            } else {
                ClockKind::Mdr803
            });
        }
        if let Some(eu) = self.eu {
            kinds.push(match eu {
                SeriousIncidentCategory::SeriousIncident => ClockKind::EuMdrArt87,
                SeriousIncidentCategory::PublicHealthThreat => {
                    ClockKind::EuMdrArt87PublicHealthThreat
                }
                SeriousIncidentCategory::DeathOrSeriousDeterioration => {
                    ClockKind::EuMdrArt87DeathOrSeriousDeterioration
                }
            });
        }
        kinds
    }

    /// The case events that open this classification's clocks: an 803 reportable event and
    /// an EU serious incident, each referenced by the incident's number and dated from the
    /// day the manufacturer became aware (`aware_on`), recorded at `at`. None when not
    /// reportable.
    pub fn events(&self, reference: &str, aware_on: Date, at: Timestamp) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(event_type) = self.fda {
            events.push(Event {
                at,
                kind: EventKind::MdrReportableEvent {
                    reference: reference.to_string(),
                    aware_on,
                    event_type,
                    five_day: self.remedial_action,
                },
            });
        }
        if let Some(category) = self.eu {
            events.push(Event {
                at,
                kind: EventKind::SeriousIncident {
                    reference: reference.to_string(),
                    aware_on,
                    category,
                },
            });
        }
        events
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn policy() -> Policy {
        Policy::builtin().unwrap()
    }

    fn check(
        fda: Option<&str>,
        remedial: bool,
        eu: Option<&str>,
        expect: Result<(&str, &[ClockKind]), &str>,
    ) {
        let policy = policy();
        let got = Classification::reportable(
            &policy,
            fda.map(|f| f.parse().unwrap()),
            remedial,
            eu.map(|e| e.parse().unwrap()),
            "Two pumps rebooted mid-infusion after the auth burst.",
        );
        match (got, expect) {
            (Ok(c), Ok((label, kinds))) => {
                assert_eq!(c.label(), label);
                assert_eq!(c.clock_kinds(), kinds);
                assert_eq!(
                    c.events(
                        "INC-1",
                        Date::constant(2026, 3, 2),
                        "2026-03-02T10:00:00Z".parse().unwrap()
                    )
                    .len(),
                    kinds.len()
                );
            }
            (Err(e), Err(field)) => assert!(
                matches!(&e, RiskError::IncidentClassification { field: f, .. } if *f == field),
                "{e}"
            ),
            (got, expect) => panic!("{got:?} vs {expect:?}"),
        }
    }

    #[test]
    fn classifications_open_the_clocks_of_the_law() {
        use ClockKind::*;
        check(Some("death"), false, None, Ok(("fda:death", &[Mdr803])));
        check(
            Some("malfunction"),
            true,
            None,
            Ok(("fda:malfunction+remedial_action", &[Mdr803FiveDay])),
        );
        check(
            None,
            false,
            Some("public_health_threat"),
            Ok(("eu:public_health_threat", &[EuMdrArt87PublicHealthThreat])),
        );
        check(
            None,
            false,
            Some("death_or_serious_deterioration"),
            Ok((
                "eu:death_or_serious_deterioration",
                &[EuMdrArt87DeathOrSeriousDeterioration],
            )),
        );
        check(
            Some("serious_injury"),
            false,
            Some("serious_incident"),
            Ok((
                "fda:serious_injury eu:serious_incident",
                &[Mdr803, EuMdrArt87],
            )),
        );
        check(None, false, None, Err("classification"));
        check(None, true, Some("serious_incident"), Err("remedial_action"));
    }

    #[test]
    fn not_reportable_needs_a_rationale_and_opens_nothing() {
        let policy = policy();
        assert!(matches!(
            Classification::not_reportable(&policy, "  "),
            Err(RiskError::RationaleTooShort { .. })
        ));
        let c = Classification::not_reportable(
            &policy,
            "Port scan from the hospital's own vulnerability scanner; no device function affected.",
        )
        .unwrap();
        assert_eq!(c.label(), "not_reportable");
        assert!(c.clock_kinds().is_empty());
    }

    #[test]
    fn states_move_one_way() {
        use IncidentState::*;
        use IncidentStep::*;
        assert_eq!(next_state(Open, Classify).unwrap(), Classified);
        assert_eq!(next_state(Classified, Classify).unwrap(), Classified);
        assert_eq!(next_state(Open, Link).unwrap(), Open);
        assert_eq!(next_state(Classified, Close).unwrap(), Closed);
        assert!(next_state(Open, Close).is_err());
        for step in [Classify, Link, Close] {
            assert!(next_state(Closed, step).is_err());
        }
    }
}
