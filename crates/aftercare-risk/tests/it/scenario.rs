//! Scenarios with fixed dates: the rules of BRIEF step 5 end to end.

use aftercare_risk::clock::MdrEventType;
use aftercare_risk::{
    Case, Change, ClockKind, ClockState, CompensatingControl, DayKind, Event, EventKind,
    ExploitabilitySignals, HarmSeverity, KevSignal, PatientHarm, RiskClass, RiskError,
    SeriousIncidentCategory, StartBasis, apply, assess_exploitability, determine, due_within,
    overdue, tick,
};

use crate::{day, default_policy, instant, new_york, policy_with_calendar, step};

/// An uncontrolled KEV finding first seen on Monday 2025-03-03 (day 0) in New York, with the
/// determination made the same day.
fn uncontrolled_kev_case() -> Case {
    let policy = default_policy();
    let signals = ExploitabilitySignals {
        kev: Some(KevSignal {
            date_added: day("2025-02-27"),
            known_ransomware_use: false,
        }),
        ..ExploitabilitySignals::default()
    };
    let exploitability = assess_exploitability(&policy, &signals);
    assert_eq!(exploitability.level.id(), "high");
    let harm = PatientHarm {
        severity: HarmSeverity::Critical,
        safety_and_essential_performance_affected: true,
        compensating_controls: vec![
            CompensatingControl::new("Pump network isolated by VLAN", "IFU-12 section 4", false)
                .unwrap(),
        ],
    };
    let determination = determine(&policy, &exploitability, &harm, None).unwrap();
    assert_eq!(determination.outcome(), RiskClass::Uncontrolled);

    let first_seen = step(
        &Case::new(),
        &policy,
        new_york("2025-03-03T09:00"),
        EventKind::FindingFirstSeen,
    );
    step(
        &first_seen.case,
        &policy,
        new_york("2025-03-03T16:30"),
        EventKind::DeterminationMade {
            risk: determination.outcome(),
        },
    )
    .case
}

#[test]
fn uncontrolled_kev_finding_on_day_0_opens_clocks_due_at_day_30_and_60() {
    let case = uncontrolled_kev_case();
    assert_eq!(case.awareness().unwrap().date, day("2025-03-03"));
    let communication = case.clock(ClockKind::CustomerCommunication, None).unwrap();
    assert_eq!(communication.deadline().day, day("2025-04-02"));
    // 23:59 of day 30 in New York, daylight saving time (UTC-4) by then.
    assert_eq!(
        communication.deadline().end.to_string(),
        "2025-04-03T03:59:59.999999999Z"
    );
    assert_eq!(communication.state(), ClockState::Open);
    assert_eq!(communication.basis(), StartBasis::Awareness);
    assert_eq!(communication.policy_digest(), default_policy().digest());
    let remediation = case.clock(ClockKind::Remediation, None).unwrap();
    assert_eq!(remediation.deadline().day, day("2025-05-02"));
    assert_eq!(
        remediation.deadline().end,
        new_york("2025-05-02T23:59:59.999999999")
    );
    // ISAO sharing is due when customers are notified, not 30 days from awareness (issue 12,
    // item 5): no clock until the communication goes out.
    assert!(case.clock(ClockKind::IsaoSharing, None).is_none());
    assert!(case.clock(ClockKind::Report806, None).is_none());
    assert!(case.clock(ClockKind::RegularPatchCycle, None).is_none());
}

#[test]
fn communication_on_day_12_meets_the_30_day_clock() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let sent = step(
        &case,
        &policy,
        new_york("2025-03-15T11:00"),
        EventKind::CustomerCommunicationSent,
    );
    assert!(matches!(
        sent.changes.as_slice(),
        [Change::ClockMet(met), Change::ClockOpened(opened)]
            if met.kind() == ClockKind::CustomerCommunication
                && opened.kind() == ClockKind::IsaoSharing
    ));
    // The member's ISAO sharing starts on the communication's day, Saturday 2025-03-15, and
    // is due one calendar day later, Sunday 2025-03-16.
    let isao = sent.case.clock(ClockKind::IsaoSharing, None).unwrap();
    assert_eq!(isao.basis(), StartBasis::CustomerCommunication);
    assert_eq!(isao.start(), day("2025-03-15"));
    assert_eq!(isao.deadline().day, day("2025-03-16"));
    assert!(isao.note().unwrap().contains("Health-ISAC"));
    let clock = sent
        .case
        .clock(ClockKind::CustomerCommunication, None)
        .unwrap();
    assert_eq!(clock.state(), ClockState::Met);
    assert_eq!(clock.satisfied_at(), Some(new_york("2025-03-15T11:00")));
    // Nothing else changed.
    assert_eq!(
        sent.case
            .clock(ClockKind::Remediation, None)
            .unwrap()
            .state(),
        ClockState::Open
    );
}

#[test]
fn no_fix_by_day_61_misses_remediation_and_opens_the_806_clock() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let case = step(
        &case,
        &policy,
        new_york("2025-03-15T11:00"),
        EventKind::CustomerCommunicationSent,
    )
    .case;
    let case = step(
        &case,
        &policy,
        new_york("2025-03-15T11:05"),
        EventKind::IsaoShared,
    )
    .case;

    // The last instant of day 60 is still in time.
    let last_minute = tick(&case, new_york("2025-05-02T23:59:59"), &policy).unwrap();
    assert!(last_minute.changes.is_empty(), "{:?}", last_minute.changes);

    // Day 61: remediation missed, the FDA exemption is lost, the 806 clock opens. Its
    // provisional start is the first recorded field action, the customer communication of
    // Saturday 2025-03-15 (issue 12, item 6; it used to be the day after the missed deadline):
    // 10 working days are Mon 17 .. Fri 21 (5), Mon 24 .. Fri 28 (10), so it is due Friday
    // 2025-03-28, long past, and missed at once.
    let day_61 = tick(&case, new_york("2025-05-03T00:00:01"), &policy).unwrap();
    let kinds: Vec<(&str, ClockKind)> = day_61
        .changes
        .iter()
        .map(|change| match change {
            Change::ClockMissed(clock) => ("missed", clock.kind()),
            Change::ClockOpened(clock) => ("opened", clock.kind()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("missed", ClockKind::Remediation),
            ("opened", ClockKind::Report806),
            ("missed", ClockKind::Report806),
        ]
    );
    let report = day_61.case.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::FirstFieldAction);
    assert!(report.basis().is_provisional());
    assert_eq!(report.start(), day("2025-03-15"));
    assert_eq!(report.deadline().day, day("2025-03-28"));
    assert_eq!(report.day_kind(), DayKind::Working);
    assert_eq!(report.state(), ClockState::Missed);
    let note = report.note().unwrap();
    assert!(note.contains("remediation clock missed"), "{note}");
    assert!(
        note.contains("provisional correction start 2025-03-15: the first recorded field action (customer_communication_sent)"),
        "{note}"
    );

    // The correction is recorded as started on Sunday 2025-04-20: 10 working days later is
    // Friday 2025-05-02, already past, so the re-keyed clock is missed at once.
    let started = step(
        &day_61.case,
        &policy,
        new_york("2025-05-05T10:00"),
        EventKind::CorrectionStarted {
            started_on: day("2025-04-20"),
        },
    );
    let report = started.case.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::CorrectionStart);
    assert_eq!(report.deadline().day, day("2025-05-02"));
    assert_eq!(report.state(), ClockState::Missed);
    // The recorded start replaces the provisional label; why the obligation opened stays.
    let note = report.note().unwrap();
    assert!(
        note.contains("remediation clock missed") && !note.contains("provisional"),
        "{note}"
    );
    assert!(
        started
            .changes
            .iter()
            .any(|c| matches!(c, Change::ClockRescheduled { .. }))
    );

    // A fix distributed late is recorded on the missed clock, which stays missed.
    let fixed = step(
        &started.case,
        &policy,
        new_york("2025-05-09T12:00"),
        EventKind::FixDistributed,
    );
    let remediation = fixed.case.clock(ClockKind::Remediation, None).unwrap();
    assert_eq!(remediation.state(), ClockState::Missed);
    assert_eq!(
        remediation.satisfied_at(),
        Some(new_york("2025-05-09T12:00"))
    );
    assert!(matches!(
        fixed.changes.as_slice(),
        [Change::ClockSatisfiedLate(_)]
    ));
}

#[test]
fn report_806_from_a_recorded_correction_start_across_a_weekend_and_a_configured_holiday() {
    // A manufacturer in Berlin that closes on 2025-12-24 besides the weekend.
    let policy = policy_with_calendar("Europe/Berlin", &["2025-12-24", "2025-12-25", "2025-12-26"]);
    let berlin = |civil: &str| instant("Europe/Berlin", civil);
    let case = step(
        &Case::new(),
        &policy,
        berlin("2025-10-01T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    let case = step(
        &case,
        &policy,
        berlin("2025-10-01T10:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Uncontrolled,
        },
    )
    .case;
    let case = step(
        &case,
        &policy,
        berlin("2025-12-19T09:00"),
        EventKind::CorrectionStarted {
            started_on: day("2025-12-19"),
        },
    )
    .case;
    // Communication (day 30) was never sent: the 806 clock opened when it was missed.
    let missed = tick(&case, berlin("2025-12-20T08:00"), &policy).unwrap();
    let report = missed.case.clock(ClockKind::Report806, None).unwrap();
    // Friday 2025-12-19 + 10 working days: 22, 23, (24, 25, 26 holidays, 27-28 weekend),
    // 29, 30, 31, Jan 1, 2, (3-4 weekend), 5, 6, 7 → Wednesday 2026-01-07. 2026-01-01 is not
    // a configured holiday in this policy, so it counts.
    assert_eq!(report.basis(), StartBasis::CorrectionStart);
    assert_eq!(report.deadline().day, day("2026-01-07"));
    assert_eq!(report.state(), ClockState::Open);
    assert_eq!(
        report.deadline().end.to_string(),
        "2026-01-07T22:59:59.999999999Z"
    );
}

#[test]
fn determination_on_day_25_leaves_5_days() {
    let policy = default_policy();
    let case = step(
        &Case::new(),
        &policy,
        new_york("2025-03-03T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    // Re-matching and re-imports later never move the awareness date.
    let case = step(
        &case,
        &policy,
        new_york("2025-03-20T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    assert_eq!(case.awareness().unwrap().date, day("2025-03-03"));
    let decided = step(
        &case,
        &policy,
        new_york("2025-03-28T15:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Uncontrolled,
        },
    );
    let clock = decided
        .case
        .clock(ClockKind::CustomerCommunication, None)
        .unwrap();
    assert_eq!(clock.start(), day("2025-03-03"));
    assert_eq!(clock.deadline().day, day("2025-04-02"));
    let left = day("2025-03-28")
        .until(clock.deadline().day)
        .unwrap()
        .get_days();
    assert_eq!(left, 5);
    let clocks = decided.case.clocks().to_vec();
    let due: Vec<ClockKind> = due_within(&clocks, new_york("2025-03-28T15:00"), 5)
        .iter()
        .map(|clock| clock.kind())
        .collect();
    assert_eq!(due, [ClockKind::CustomerCommunication]);
    assert!(due_within(&clocks, new_york("2025-03-28T15:00"), 4).is_empty());
}

#[test]
fn communication_sent_before_the_determination_opens_the_clock_met() {
    let policy = default_policy();
    let case = step(
        &Case::new(),
        &policy,
        new_york("2025-03-03T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    let case = step(
        &case,
        &policy,
        new_york("2025-03-15T09:00"),
        EventKind::CustomerCommunicationSent,
    )
    .case;
    let decided = step(
        &case,
        &policy,
        new_york("2025-03-28T15:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Uncontrolled,
        },
    );
    let clock = decided
        .case
        .clock(ClockKind::CustomerCommunication, None)
        .unwrap();
    assert_eq!(clock.state(), ClockState::Met);
    assert_eq!(
        decided
            .case
            .clock(ClockKind::Remediation, None)
            .unwrap()
            .state(),
        ClockState::Open
    );
}

#[test]
fn analyst_moves_awareness_earlier_and_deadlines_follow_but_never_later() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let moved = step(
        &case,
        &policy,
        new_york("2025-03-10T09:00"),
        EventKind::AwarenessDateEntered {
            date: day("2025-02-20"),
            reason: "Supplier e-mail of 2025-02-20 already named this CVE (ticket SEC-88).".into(),
        },
    );
    let awareness = moved.case.awareness().unwrap();
    assert_eq!(awareness.date, day("2025-02-20"));
    assert!(
        matches!(&awareness.basis, aftercare_risk::AwarenessBasis::Analyst { reason } if reason.contains("SEC-88"))
    );
    assert_eq!(
        moved
            .case
            .clock(ClockKind::CustomerCommunication, None)
            .unwrap()
            .deadline()
            .day,
        day("2025-03-22")
    );
    assert_eq!(
        moved
            .case
            .clock(ClockKind::Remediation, None)
            .unwrap()
            .deadline()
            .day,
        day("2025-04-21")
    );
    let rescheduled = moved
        .changes
        .iter()
        .filter(|change| matches!(change, Change::ClockRescheduled { .. }))
        .count();
    // Customer communication and remediation; ISAO sharing does not run from awareness.
    assert_eq!(rescheduled, 2);

    // Moving it later is refused, and so is a reason that is too short.
    let later = apply(
        &moved.case,
        &Event {
            at: new_york("2025-03-11T09:00"),
            kind: EventKind::AwarenessDateEntered {
                date: day("2025-02-25"),
                reason: "Entered the wrong date before, correcting it.".into(),
            },
        },
        &policy,
    )
    .unwrap_err();
    assert!(
        matches!(later, RiskError::AwarenessMovedLater { .. }),
        "{later}"
    );
    assert!(later.to_string().contains("2025-02-20"));
    let terse = apply(
        &moved.case,
        &Event {
            at: new_york("2025-03-11T09:00"),
            kind: EventKind::AwarenessDateEntered {
                date: day("2025-02-01"),
                reason: "earlier".into(),
            },
        },
        &policy,
    )
    .unwrap_err();
    assert!(
        matches!(terse, RiskError::RationaleTooShort { .. }),
        "{terse}"
    );
}

#[test]
fn awareness_moved_past_a_deadline_misses_the_clock_at_once() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let moved = step(
        &case,
        &policy,
        new_york("2025-03-10T09:00"),
        EventKind::AwarenessDateEntered {
            date: day("2025-01-20"),
            reason: "Penetration test report PT-2025-01 described the flaw on this date.".into(),
        },
    );
    // 2025-01-20 + 30 days = 2025-02-19, before 2025-03-10.
    let clock = moved
        .case
        .clock(ClockKind::CustomerCommunication, None)
        .unwrap();
    assert_eq!(clock.deadline().day, day("2025-02-19"));
    assert_eq!(clock.state(), ClockState::Missed);
    // Missing the communication loses the exemption: the 806 clock opens.
    assert!(moved.case.clock(ClockKind::Report806, None).is_some());
}

#[test]
fn the_same_deadline_ends_at_different_instants_in_new_york_and_berlin() {
    let new_york_policy = default_policy();
    let berlin_policy = policy_with_calendar("Europe/Berlin", &[]);
    let open = |policy: &aftercare_risk::Policy, at| {
        let case = step(&Case::new(), policy, at, EventKind::FindingFirstSeen).case;
        step(
            &case,
            policy,
            at,
            EventKind::DeterminationMade {
                risk: RiskClass::Uncontrolled,
            },
        )
        .case
        .clock(ClockKind::CustomerCommunication, None)
        .unwrap()
        .clone()
    };
    let in_new_york = open(
        &new_york_policy,
        instant("America/New_York", "2025-03-03T09:00"),
    );
    let in_berlin = open(&berlin_policy, instant("Europe/Berlin", "2025-03-03T09:00"));
    assert_eq!(in_new_york.deadline().day, in_berlin.deadline().day);
    assert_eq!(
        in_new_york.deadline().end.to_string(),
        "2025-04-03T03:59:59.999999999Z"
    );
    assert_eq!(
        in_berlin.deadline().end.to_string(),
        "2025-04-02T21:59:59.999999999Z"
    );
    assert_ne!(in_new_york.deadline().end, in_berlin.deadline().end);
    // One instant, two days 0: 02:00 UTC on 2025-03-03 is still March 2 in New York.
    let instant_utc = instant("UTC", "2025-03-03T02:00");
    assert_eq!(
        open(&new_york_policy, instant_utc).start(),
        day("2025-03-02")
    );
    assert_eq!(open(&berlin_policy, instant_utc).start(), day("2025-03-03"));
}

#[test]
fn mdr_803_five_work_days_thirty_days_and_supplemental() {
    let policy = default_policy();
    let case = Case::new();
    // Aware on Wednesday 2025-11-26, the day before Thanksgiving (a federal holiday).
    let five_day = step(
        &case,
        &policy,
        new_york("2025-11-26T17:00"),
        EventKind::MdrReportableEvent {
            reference: "MDR-2025-017".into(),
            aware_on: day("2025-11-26"),
            five_day: true,
            event_type: MdrEventType::Malfunction,
        },
    )
    .case;
    let clock = five_day
        .clock(ClockKind::Mdr803FiveDay, Some("MDR-2025-017"))
        .unwrap();
    // Nov 27 holiday; Fri 28 (1), Mon Dec 1 (2), 2 (3), 3 (4), 4 (5).
    assert_eq!(clock.deadline().day, day("2025-12-04"));
    assert!(
        five_day
            .clock(ClockKind::Mdr803, Some("MDR-2025-017"))
            .is_none()
    );

    let thirty = step(
        &five_day,
        &policy,
        new_york("2025-11-27T09:00"),
        EventKind::MdrReportableEvent {
            reference: "MDR-2025-018".into(),
            aware_on: day("2025-11-26"),
            five_day: false,
            event_type: MdrEventType::Malfunction,
        },
    )
    .case;
    let clock = thirty
        .clock(ClockKind::Mdr803, Some("MDR-2025-018"))
        .unwrap();
    // Calendar days: not moved off the holiday season or weekends.
    assert_eq!(clock.deadline().day, day("2025-12-26"));

    let submitted = step(
        &thirty,
        &policy,
        new_york("2025-12-03T10:00"),
        EventKind::MdrReportSubmitted {
            reference: "MDR-2025-017".into(),
            covers_806: false,
        },
    )
    .case;
    assert_eq!(
        submitted
            .clock(ClockKind::Mdr803FiveDay, Some("MDR-2025-017"))
            .unwrap()
            .state(),
        ClockState::Met
    );
    assert_eq!(
        submitted
            .clock(ClockKind::Mdr803, Some("MDR-2025-018"))
            .unwrap()
            .state(),
        ClockState::Open
    );
    let supplemental = step(
        &submitted,
        &policy,
        new_york("2026-01-05T10:00"),
        EventKind::MdrSupplementalInformation {
            reference: "MDR-2025-017".into(),
            received_on: day("2026-01-02"),
        },
    )
    .case;
    let clock = supplemental
        .clock(ClockKind::Mdr803Supplemental, Some("MDR-2025-017"))
        .unwrap();
    assert_eq!(clock.deadline().day, day("2026-02-01"));
    // The 30-day report for MDR-2025-018 was never sent: missed by 2026-01-05.
    assert_eq!(
        supplemental
            .clock(ClockKind::Mdr803, Some("MDR-2025-018"))
            .unwrap()
            .state(),
        ClockState::Missed
    );
}

#[test]
fn eu_mdr_article_87_two_ten_and_fifteen_days() {
    let policy = policy_with_calendar("Europe/Berlin", &[]);
    let berlin = |civil: &str| instant("Europe/Berlin", civil);
    let mut case = Case::new();
    for (reference, category) in [
        ("EU-1", SeriousIncidentCategory::PublicHealthThreat),
        ("EU-2", SeriousIncidentCategory::DeathOrSeriousDeterioration),
        ("EU-3", SeriousIncidentCategory::SeriousIncident),
    ] {
        case = step(
            &case,
            &policy,
            berlin("2025-06-06T18:00"),
            EventKind::SeriousIncident {
                reference: reference.into(),
                aware_on: day("2025-06-06"),
                category,
            },
        )
        .case;
    }
    let due = |kind, reference| case.clock(kind, Some(reference)).unwrap().deadline().day;
    // Aware on Friday 2025-06-06. Calendar days are not moved off weekends: day 2 is a Sunday,
    // day 15 a Saturday.
    assert_eq!(
        due(ClockKind::EuMdrArt87PublicHealthThreat, "EU-1"),
        day("2025-06-08")
    );
    assert_eq!(
        due(ClockKind::EuMdrArt87DeathOrSeriousDeterioration, "EU-2"),
        day("2025-06-16")
    );
    assert_eq!(due(ClockKind::EuMdrArt87, "EU-3"), day("2025-06-21"));
    let reported = step(
        &case,
        &policy,
        berlin("2025-06-08T23:59:30"),
        EventKind::EuMdrReportSubmitted {
            reference: "EU-1".into(),
        },
    )
    .case;
    assert_eq!(
        reported
            .clock(ClockKind::EuMdrArt87PublicHealthThreat, Some("EU-1"))
            .unwrap()
            .state(),
        ClockState::Met
    );
    let late = tick(&case, berlin("2025-06-09T00:00:00"), &policy).unwrap();
    assert_eq!(
        late.case
            .clock(ClockKind::EuMdrArt87PublicHealthThreat, Some("EU-1"))
            .unwrap()
            .state(),
        ClockState::Missed
    );
}

#[test]
fn disclosure_acknowledgement_within_5_business_days() {
    let policy = default_policy();
    // Received Thursday 2025-07-03; Friday 2025-07-04 is a federal holiday.
    let received = step(
        &Case::new(),
        &policy,
        new_york("2025-07-03T14:00"),
        EventKind::ReportReceived {
            reference: "VR-2025-0042".into(),
        },
    )
    .case;
    // A report naming the vulnerability is also an awareness source.
    assert_eq!(received.awareness().unwrap().date, day("2025-07-03"));
    let clock = received
        .clock(ClockKind::DisclosureAck, Some("VR-2025-0042"))
        .unwrap();
    // Mon 7 (1), 8, 9, 10, Fri 11 (5).
    assert_eq!(clock.deadline().day, day("2025-07-11"));
    let acknowledged = step(
        &received,
        &policy,
        new_york("2025-07-11T23:59"),
        EventKind::ReportAcknowledged {
            reference: "VR-2025-0042".into(),
        },
    )
    .case;
    assert_eq!(
        acknowledged
            .clock(ClockKind::DisclosureAck, Some("VR-2025-0042"))
            .unwrap()
            .state(),
        ClockState::Met
    );
    let empty = apply(
        &received,
        &Event {
            at: new_york("2025-07-04T09:00"),
            kind: EventKind::ReportAcknowledged {
                reference: " ".into(),
            },
        },
        &policy,
    )
    .unwrap_err();
    assert!(
        empty
            .to_string()
            .contains("report_acknowledged needs a non-empty reference")
    );
}

#[test]
fn controlled_determination_opens_the_regular_patch_cycle() {
    let policy = default_policy();
    let case = step(
        &Case::new(),
        &policy,
        new_york("2025-01-10T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    let decided = step(
        &case,
        &policy,
        new_york("2025-01-20T09:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Controlled,
        },
    )
    .case;
    let clock = decided.clock(ClockKind::RegularPatchCycle, None).unwrap();
    assert_eq!(clock.deadline().day, day("2025-07-09"));
    assert!(
        decided
            .clock(ClockKind::CustomerCommunication, None)
            .is_none()
    );
    let fixed = step(
        &decided,
        &policy,
        new_york("2025-06-01T09:00"),
        EventKind::FixDistributed,
    )
    .case;
    assert_eq!(
        fixed
            .clock(ClockKind::RegularPatchCycle, None)
            .unwrap()
            .state(),
        ClockState::Met
    );
}

#[test]
fn serious_adverse_event_opens_the_806_clock() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let known = step(
        &case,
        &policy,
        new_york("2025-03-05T09:00"),
        EventKind::SeriousAdverseEventKnown,
    )
    .case;
    let report = known.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.start(), day("2025-03-05"));
    assert_eq!(report.deadline().day, day("2025-03-19"));
    assert!(report.note().unwrap().contains("serious adverse event"));
    let submitted = step(
        &known,
        &policy,
        new_york("2025-03-18T09:00"),
        EventKind::Report806Submitted {
            reference: "3001234567-2025-001".into(),
        },
    )
    .case;
    assert_eq!(
        submitted.clock(ClockKind::Report806, None).unwrap().state(),
        ClockState::Met
    );
}

#[test]
fn waiving_needs_a_rationale_and_an_open_clock() {
    let policy = default_policy();
    // The communication goes out on 2025-03-15: the ISAO sharing clock is due 2025-03-16.
    let case = step(
        &uncontrolled_kev_case(),
        &policy,
        new_york("2025-03-15T09:00"),
        EventKind::CustomerCommunicationSent,
    )
    .case;
    let waive = |case: &Case, rationale: &str| {
        apply(
            case,
            &Event {
                at: new_york("2025-03-16T09:00"),
                kind: EventKind::ClockWaived {
                    kind: ClockKind::IsaoSharing,
                    reference: None,
                    rationale: rationale.into(),
                },
            },
            &policy,
        )
    };
    let short = waive(&case, "no").unwrap_err();
    assert!(
        short
            .to_string()
            .contains("rationale of a waiver is 2 characters"),
        "{short}"
    );
    let waived = waive(
        &case,
        "Determination revised to controlled after the field test FT-3 (see DET-9).",
    )
    .unwrap();
    let clock = waived.case.clock(ClockKind::IsaoSharing, None).unwrap();
    assert_eq!(clock.state(), ClockState::Waived);
    assert!(clock.waiver().unwrap().rationale.contains("FT-3"));
    let again = waive(
        &waived.case,
        "Determination revised to controlled after the field test FT-3 (see DET-9).",
    )
    .unwrap_err();
    assert!(
        again.to_string().contains("no open isao_sharing clock"),
        "{again}"
    );
    // A waived clock is not a missed one: no 806 clock when its deadline passes.
    let later = tick(&waived.case, new_york("2025-04-10T09:00"), &policy).unwrap();
    assert!(later.case.clock(ClockKind::Report806, None).is_none());
}

#[test]
fn determination_needs_awareness_and_events_come_in_order() {
    let policy = default_policy();
    let error = apply(
        &Case::new(),
        &Event {
            at: new_york("2025-03-03T09:00"),
            kind: EventKind::DeterminationMade {
                risk: RiskClass::Uncontrolled,
            },
        },
        &policy,
    )
    .unwrap_err();
    assert!(
        matches!(error, RiskError::AwarenessMissing { .. }),
        "{error}"
    );
    let case = uncontrolled_kev_case();
    let error = apply(
        &case,
        &Event {
            at: new_york("2025-03-02T09:00"),
            kind: EventKind::FixDistributed,
        },
        &policy,
    )
    .unwrap_err();
    assert!(
        matches!(error, RiskError::EventOutOfOrder { .. }),
        "{error}"
    );
}

#[test]
fn overdue_and_due_within_queries() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let clocks = case.clocks().to_vec();
    let now = new_york("2025-04-05T12:00");
    let late: Vec<ClockKind> = overdue(&clocks, now).iter().map(|c| c.kind()).collect();
    assert_eq!(late, [ClockKind::CustomerCommunication]);
    let due: Vec<ClockKind> = due_within(&clocks, now, 30)
        .iter()
        .map(|c| c.kind())
        .collect();
    assert_eq!(due, [ClockKind::Remediation]);
    assert!(due_within(&clocks, now, 26).is_empty());
    // The missed communication loses the exemption. No field action is recorded yet, so the
    // 806 clock counts provisionally from the day the exemption was lost, Thursday
    // 2025-04-03: Fri 4 (1), Mon 7 .. Fri 11 (2..6), Mon 14 .. Thu 17 (7..10).
    let ticked = tick(&case, now, &policy).unwrap().case;
    let report = ticked.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::Provisional);
    assert_eq!(report.deadline().day, day("2025-04-17"));
    assert!(
        report
            .note()
            .unwrap()
            .contains("no field action recorded yet")
    );
    // Once marked missed and then satisfied late, a clock is no longer overdue. The late
    // communication of Sunday 2025-04-06 is the first field action: the provisional 806
    // start moves to it, Mon 7 .. Fri 11 (5), Mon 14 .. Fri 18 (10).
    let sent = step(
        &ticked,
        &policy,
        new_york("2025-04-06T09:00"),
        EventKind::CustomerCommunicationSent,
    )
    .case;
    let report = sent.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::FirstFieldAction);
    assert_eq!(report.deadline().day, day("2025-04-18"));
    let late: Vec<ClockKind> = overdue(sent.clocks(), new_york("2025-04-06T10:00"))
        .iter()
        .map(|c| c.kind())
        .collect();
    assert!(late.is_empty(), "{late:?}");
}

#[test]
fn a_case_survives_storage_as_records() {
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    let case = step(
        &case,
        &policy,
        new_york("2025-03-15T11:00"),
        EventKind::CustomerCommunicationSent,
    )
    .case;
    let case = tick(&case, new_york("2025-05-03T08:00"), &policy)
        .unwrap()
        .case;
    let record = case.to_record();
    assert_eq!(
        record.customer_communication_sent_at,
        Some(new_york("2025-03-15T11:00"))
    );
    assert_eq!(record.clocks.len(), 4);
    assert_eq!(record.clocks[0].time_zone, "America/New_York");
    let restored = Case::from_record(record.clone()).unwrap();
    assert_eq!(restored, case);
    // The restored case goes on exactly like the original.
    let event = Event {
        at: new_york("2025-05-05T10:00"),
        kind: EventKind::CorrectionStarted {
            started_on: day("2025-05-05"),
        },
    };
    assert_eq!(
        apply(&restored, &event, &policy).unwrap(),
        apply(&case, &event, &policy).unwrap()
    );
    let mut broken = record;
    broken.clocks[0].time_zone = "Nowhere/Atlantis".into();
    assert!(Case::from_record(broken).is_err());
}

// ---------------------------------------------------------------------------------------------
// Calendars by rule, jurisdictions and time zones. Every expected date below is counted by hand
// from the rules in the comment next to it (weekdays, holidays skipped), not taken from the
// code.

/// One deadline case: events applied in order to a new case under a policy, then the clock of
/// `kind` (and `reference`) must end on `day` at the UTC instant `end`.
fn check_deadline(
    policy: &aftercare_risk::Policy,
    events: &[(jiff::Timestamp, EventKind)],
    kind: ClockKind,
    reference: Option<&str>,
    day_expected: &str,
    end_expected: &str,
) {
    let mut case = Case::new();
    for (at, kind) in events {
        case = step(&case, policy, *at, kind.clone()).case;
    }
    assert!(
        case.clock(kind, reference).is_some(),
        "no {kind} clock in {:?}",
        case.clocks()
    );
    let clock = case.clock(kind, reference).unwrap();
    assert_eq!(
        (
            clock.deadline().day.to_string(),
            clock.deadline().end.to_string()
        ),
        (day_expected.to_string(), end_expected.to_string()),
        "{kind} from {}",
        clock.start()
    );
}

#[test]
fn report_806_across_memorial_day() {
    let policy = default_policy();
    // Correction started Thursday 2026-05-21. 10 working days: Fri 22 (1), Sat 23, Sun 24,
    // Mon 25 = Memorial Day (the last Monday of May: May 31 is a Sunday), Tue 26 (2), Wed 27
    // (3), Thu 28 (4), Fri 29 (5), Mon Jun 1 (6), Tue 2 (7), Wed 3 (8), Thu 4 (9), Fri 5 (10).
    // 23:59:59 EDT (UTC-4) on Friday 2026-06-05 is 03:59:59 UTC on June 6.
    check_deadline(
        &policy,
        &[
            (new_york("2026-05-01T09:00"), EventKind::FindingFirstSeen),
            (
                new_york("2026-05-01T10:00"),
                EventKind::DeterminationMade {
                    risk: RiskClass::Uncontrolled,
                },
            ),
            (
                new_york("2026-05-21T10:00"),
                EventKind::CorrectionStarted {
                    started_on: day("2026-05-21"),
                },
            ),
            (
                new_york("2026-05-22T10:00"),
                EventKind::SeriousAdverseEventKnown,
            ),
        ],
        ClockKind::Report806,
        None,
        "2026-06-05",
        "2026-06-06T03:59:59.999999999Z",
    );
}

#[test]
fn report_806_ends_in_eastern_standard_time_after_the_fall_back() {
    let policy = default_policy();
    // Correction started Wednesday 2025-10-29 (EDT). 10 working days: Thu 30 (1), Fri 31 (2),
    // [Sun Nov 2: clocks fall back to EST], Mon 3 (3), Tue 4 (4), Wed 5 (5), Thu 6 (6), Fri 7
    // (7), Mon 10 (8), Tue 11 = Veterans Day, Wed 12 (9), Thu 13 (10). 23:59:59 EST (UTC-5)
    // on Thursday 2025-11-13 is 04:59:59 UTC on November 14.
    check_deadline(
        &policy,
        &[
            (new_york("2025-10-20T09:00"), EventKind::FindingFirstSeen),
            (
                new_york("2025-10-20T10:00"),
                EventKind::DeterminationMade {
                    risk: RiskClass::Uncontrolled,
                },
            ),
            (
                new_york("2025-10-29T10:00"),
                EventKind::CorrectionStarted {
                    started_on: day("2025-10-29"),
                },
            ),
            (
                new_york("2025-10-30T10:00"),
                EventKind::SeriousAdverseEventKnown,
            ),
        ],
        ClockKind::Report806,
        None,
        "2025-11-13",
        "2025-11-14T04:59:59.999999999Z",
    );
}

#[test]
fn five_work_day_803_across_the_year_end_with_an_observed_new_year() {
    let policy = default_policy();
    // Aware on Monday 2027-12-27. 1 January 2028 is a Saturday, so New Year's Day is observed
    // on Friday 2027-12-31 (5 U.S.C. 6103(b)). Tue 28 (1), Wed 29 (2), Thu 30 (3), Fri 31
    // holiday, Sat 1, Sun 2, Mon 2028-01-03 (4), Tue 4 (5). EST: 04:59:59 UTC on January 5.
    check_deadline(
        &policy,
        &[(
            new_york("2027-12-27T16:00"),
            EventKind::MdrReportableEvent {
                reference: "MDR-2027-090".into(),
                aware_on: day("2027-12-27"),
                five_day: true,
                event_type: MdrEventType::Malfunction,
            },
        )],
        ClockKind::Mdr803FiveDay,
        Some("MDR-2027-090"),
        "2028-01-04",
        "2028-01-05T04:59:59.999999999Z",
    );
}

/// The default policy with the EU calendar rolling deadlines forward (MDCG 2023-3 Q14).
fn eu_roll_forward_policy() -> aftercare_risk::Policy {
    crate::edited_policy(|document| {
        crate::table(document, &["jurisdiction", "eu"]).insert(
            "deadline_on_non_working_day".into(),
            "next_working_day".into(),
        );
    })
}

fn incident(
    reference: &str,
    aware_on: &str,
    category: SeriousIncidentCategory,
) -> (jiff::Timestamp, EventKind) {
    (
        instant("Europe/Berlin", &format!("{aware_on}T18:00")),
        EventKind::SeriousIncident {
            reference: reference.into(),
            aware_on: day(aware_on),
            category,
        },
    )
}

#[test]
fn eu_clocks_count_in_berlin_across_the_spring_change_and_easter_under_a_us_zoned_policy() {
    // The default policy counts FDA clocks in New York and EU clocks in Berlin. Easter 2027 is
    // Sunday 28 March, also the night Berlin moves from CET (UTC+1) to CEST (UTC+2): Good
    // Friday is the 26th, Easter Monday the 29th.
    let keep = default_policy();
    let roll = eu_roll_forward_policy();
    for (policy, category, aware_on, day_expected, end_expected) in [
        // Aware Friday 2027-03-19, 10 days: Monday 2027-03-29, Easter Monday. Kept there
        // (the default), it ends at 23:59:59 CEST = 21:59:59 UTC.
        (
            &keep,
            SeriousIncidentCategory::DeathOrSeriousDeterioration,
            "2027-03-19",
            "2027-03-29",
            "2027-03-29T21:59:59.999999999Z",
        ),
        // Rolled forward: Easter Monday is a public holiday, Tuesday the 30th is a working day.
        (
            &roll,
            SeriousIncidentCategory::DeathOrSeriousDeterioration,
            "2027-03-19",
            "2027-03-30",
            "2027-03-30T21:59:59.999999999Z",
        ),
        // Aware Friday 2027-03-12, 15 days: Saturday 2027-03-27; Sunday 28, Easter Monday 29
        // are not working days either, so Tuesday the 30th.
        (
            &roll,
            SeriousIncidentCategory::SeriousIncident,
            "2027-03-12",
            "2027-03-30",
            "2027-03-30T21:59:59.999999999Z",
        ),
        // Aware Thursday 2027-03-25, 2 days: Saturday the 27th, rolled to Tuesday the 30th.
        // The period 26..30 holds one working day only (Good Friday, the weekend and Easter
        // Monday are not), and a period of two days or more includes two (Reg. 1182/71
        // Art. 3(5)): Wednesday the 31st.
        (
            &roll,
            SeriousIncidentCategory::PublicHealthThreat,
            "2027-03-25",
            "2027-03-31",
            "2027-03-31T21:59:59.999999999Z",
        ),
        // Aware Friday 2027-03-19 in CET, 2 days: Sunday the 21st, kept; still CET, so the
        // deadline ends at 22:59:59 UTC.
        (
            &keep,
            SeriousIncidentCategory::PublicHealthThreat,
            "2027-03-19",
            "2027-03-21",
            "2027-03-21T22:59:59.999999999Z",
        ),
    ] {
        let kind = match category {
            SeriousIncidentCategory::SeriousIncident => ClockKind::EuMdrArt87,
            SeriousIncidentCategory::PublicHealthThreat => ClockKind::EuMdrArt87PublicHealthThreat,
            SeriousIncidentCategory::DeathOrSeriousDeterioration => {
                ClockKind::EuMdrArt87DeathOrSeriousDeterioration
            }
        };
        check_deadline(
            policy,
            &[incident("EU-2027-7", aware_on, category)],
            kind,
            Some("EU-2027-7"),
            day_expected,
            end_expected,
        );
    }
    // The rolled clock says what it was rolled from and under which rule.
    let case = step(
        &Case::new(),
        &roll,
        instant("Europe/Berlin", "2027-03-19T18:00"),
        incident(
            "EU-2027-8",
            "2027-03-19",
            SeriousIncidentCategory::DeathOrSeriousDeterioration,
        )
        .1,
    )
    .case;
    let clock = case
        .clock(
            ClockKind::EuMdrArt87DeathOrSeriousDeterioration,
            Some("EU-2027-8"),
        )
        .unwrap();
    assert_eq!(clock.deadline().rolled_from, Some(day("2027-03-29")));
    assert!(
        clock.source().contains("MDCG 2023-3 Rev.2 Q14"),
        "{}",
        clock.source()
    );
    assert_eq!(clock.to_record().time_zone, "Europe/Berlin");
    // The same policy counts an 803 report from the same day in New York, calendar days kept:
    // 2027-03-19 + 30 = Sunday 2027-04-18, EDT.
    check_deadline(
        &roll,
        &[(
            new_york("2027-03-19T12:00"),
            EventKind::MdrReportableEvent {
                reference: "MDR-2027-1".into(),
                aware_on: day("2027-03-19"),
                five_day: false,
                event_type: MdrEventType::Malfunction,
            },
        )],
        ClockKind::Mdr803,
        Some("MDR-2027-1"),
        "2027-04-18",
        "2027-04-19T03:59:59.999999999Z",
    );
}

#[test]
fn us_federal_holidays_are_generated_for_any_covered_year() {
    let policy = default_policy();
    let calendar = policy.calendar();
    // Counted by hand from 5 U.S.C. 6103 (third Monday of January and February, last Monday
    // of May, first Monday of September, second Monday of October, fourth Thursday of
    // November; fixed dates on a Saturday observed on the Friday before, on a Sunday on the
    // Monday after).
    for (year, expected) in [
        // 2027-01-01 is a Friday. Juneteenth (Sat) → Fri 18; July 4 (Sun) → Mon 5; Christmas
        // (Sat) → Fri 24; and 2028-01-01 is a Saturday → Fri 2027-12-31.
        (
            2027,
            &[
                "2027-01-01",
                "2027-01-18",
                "2027-02-15",
                "2027-05-31",
                "2027-06-18",
                "2027-07-05",
                "2027-09-06",
                "2027-10-11",
                "2027-11-11",
                "2027-11-25",
                "2027-12-24",
                "2027-12-31",
            ][..],
        ),
        // 2031-01-01 is a Wednesday; no fixed date falls on a weekend (June 19 Thu, July 4
        // Fri, November 11 Tue, December 25 Thu; 2032-01-01 is a Thursday).
        (
            2031,
            &[
                "2031-01-01",
                "2031-01-20",
                "2031-02-17",
                "2031-05-26",
                "2031-06-19",
                "2031-07-04",
                "2031-09-01",
                "2031-10-13",
                "2031-11-11",
                "2031-11-27",
                "2031-12-25",
            ][..],
        ),
        // 2100-01-01 is a Friday (2100 is not a leap year): the same pattern as 2027.
        (
            2100,
            &[
                "2100-01-01",
                "2100-01-18",
                "2100-02-15",
                "2100-05-31",
                "2100-06-18",
                "2100-07-05",
                "2100-09-06",
                "2100-10-11",
                "2100-11-11",
                "2100-11-25",
                "2100-12-24",
                "2100-12-31",
            ][..],
        ),
    ] {
        let found: Vec<String> = calendar
            .holidays_in(year)
            .unwrap()
            .iter()
            .map(|(date, _)| date.to_string())
            .collect();
        assert_eq!(found, expected, "{year}");
    }
    assert_eq!(
        calendar.holiday(day("2027-12-31")).unwrap(),
        Some("New Year's Day")
    );
    // Past the coverage (1971..=2199) a working-day count is an error, not a guess.
    let error = calendar
        .deadline(day("2199-12-24"), 10, DayKind::Working)
        .unwrap_err();
    assert!(
        matches!(
            error,
            RiskError::CalendarCoverage {
                first: 1971,
                last: 2199,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("2200-01-01"), "{error}");
    assert!(calendar.holidays_in(1970).is_err());
    // Calendar days need no holidays: the same count in calendar days is fine.
    assert_eq!(
        calendar
            .deadline(day("2199-12-24"), 10, DayKind::Calendar)
            .unwrap()
            .day,
        day("2200-01-03")
    );
}

// ---------------------------------------------------------------------------------------------
// Exploitability and compensating controls through to the determination.

#[test]
fn a_network_vector_without_threat_intelligence_is_not_low() {
    let policy = default_policy();
    let harm = |controls: Vec<CompensatingControl>| PatientHarm {
        severity: HarmSeverity::Serious,
        safety_and_essential_performance_affected: true,
        compensating_controls: controls,
    };
    // (device-context vector, level, rules that fired, outcome for serious harm)
    for (vector, level, rules, outcome) in [
        (
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            "high",
            &["cvss_network_no_barrier", "cvss_remote"][..],
            RiskClass::Uncontrolled,
        ),
        (
            Some("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"),
            "low",
            &["cvss_local_or_physical"][..],
            RiskClass::Controlled,
        ),
        // Nothing known at all: the reasonable worst case, and the reasons say so.
        (None, "high", &["default"][..], RiskClass::Uncontrolled),
    ] {
        let signals = ExploitabilitySignals {
            cvss: vector.and_then(|vector| {
                aftercare_risk::exploitability::CvssSignal::choose(Some(vector), None)
            }),
            ..ExploitabilitySignals::default()
        };
        let exploitability = assess_exploitability(&policy, &signals);
        let fired: Vec<&str> = exploitability
            .reasons
            .iter()
            .map(|reason| reason.rule.as_str())
            .collect();
        assert_eq!(
            (exploitability.level.id(), fired.as_slice()),
            (level, rules),
            "{vector:?}"
        );
        let determination = determine(&policy, &exploitability, &harm(Vec::new()), None).unwrap();
        assert_eq!(determination.outcome(), outcome, "{vector:?}");
    }
    // A KEV-listed vulnerability with a control claimed effective but verified by nobody
    // stays uncontrolled; verified, the default lowers it one step to the KEV floor (medium).
    let kev = assess_exploitability(
        &policy,
        &ExploitabilitySignals {
            kev: Some(KevSignal {
                date_added: day("2025-02-27"),
                known_ransomware_use: false,
            }),
            ..ExploitabilitySignals::default()
        },
    );
    let claimed = CompensatingControl::new("Pump VLAN", "NET-7", true).unwrap();
    let unverified = determine(&policy, &kev, &harm(vec![claimed.clone()]), None).unwrap();
    assert_eq!(unverified.outcome(), RiskClass::Uncontrolled);
    let verified = determine(
        &policy,
        &kev,
        &harm(vec![claimed.verify("Rita Reviewer").unwrap()]),
        None,
    )
    .unwrap();
    assert_eq!(verified.cell().exploitability.id(), "medium");
    assert_eq!(verified.outcome(), RiskClass::Controlled);
}

// ---------------------------------------------------------------------------------------------
// The ISAO condition and 21 CFR 806 in full (issue 12, items 5 and 6).

/// The default policy for a manufacturer that is not an ISAO member.
fn non_member_policy() -> aftercare_risk::Policy {
    crate::edited_policy(|document| {
        let isao = crate::table(document, &["isao"]);
        isao.insert("member".into(), false.into());
        isao.remove("name");
    })
}

#[test]
fn a_non_member_loses_the_806_exemption_at_the_uncontrolled_determination() {
    let policy = non_member_policy();
    let case = step(
        &Case::new(),
        &policy,
        new_york("2025-03-03T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    let decided = step(
        &case,
        &policy,
        new_york("2025-03-10T10:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Uncontrolled,
        },
    )
    .case;
    // The obligation opens on the determination's day, Monday 2025-03-10, not 31 days later.
    // No correction or field action yet: provisional from that day. Tue 11 (1) .. Fri 14 (4),
    // Mon 17 .. Fri 21 (5..9), Mon 24 (10).
    let report = decided.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::Provisional);
    assert_eq!(report.start(), day("2025-03-10"));
    assert_eq!(report.deadline().day, day("2025-03-24"));
    assert!(
        report.note().unwrap().contains("not a member of an ISAO"),
        "{:?}",
        report.note()
    );
    // A non-member has nothing to share with an ISAO: no sharing clock, even after notifying.
    // The communication of Wednesday 2025-03-12 is the first field action: Thu 13 (1), Fri 14
    // (2), Mon 17 .. Fri 21 (3..7), Mon 24 (8), Tue 25 (9), Wed 26 (10).
    let sent = step(
        &decided,
        &policy,
        new_york("2025-03-12T10:00"),
        EventKind::CustomerCommunicationSent,
    )
    .case;
    assert!(sent.clock(ClockKind::IsaoSharing, None).is_none());
    let report = sent.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::FirstFieldAction);
    assert_eq!(report.deadline().day, day("2025-03-26"));
    // The recorded start of the correction, Friday 2025-03-14, replaces the estimate:
    // Mon 17 .. Fri 21 (5), Mon 24 .. Fri 28 (10).
    let started = step(
        &sent,
        &policy,
        new_york("2025-03-14T16:00"),
        EventKind::CorrectionStarted {
            started_on: day("2025-03-14"),
        },
    )
    .case;
    let report = started.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.basis(), StartBasis::CorrectionStart);
    assert!(!report.basis().is_provisional());
    assert_eq!(report.deadline().day, day("2025-03-28"));
    // A member's uncontrolled determination opens no 806 clock by itself.
    let member = step(
        &case,
        &default_policy(),
        new_york("2025-03-10T10:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Uncontrolled,
        },
    )
    .case;
    assert!(member.clock(ClockKind::Report806, None).is_none());
}

/// A case with an uncontrolled determination on Monday 2025-06-02.
fn uncontrolled_since_june() -> Case {
    let policy = default_policy();
    let case = step(
        &Case::new(),
        &policy,
        new_york("2025-06-02T09:00"),
        EventKind::FindingFirstSeen,
    )
    .case;
    step(
        &case,
        &policy,
        new_york("2025-06-02T10:00"),
        EventKind::DeterminationMade {
            risk: RiskClass::Uncontrolled,
        },
    )
    .case
}

fn mdr_event(event_type: MdrEventType) -> EventKind {
    EventKind::MdrReportableEvent {
        reference: "MDR-2025-031".into(),
        aware_on: day("2025-06-04"),
        five_day: false,
        event_type,
    }
}

#[test]
fn a_death_reported_under_803_fails_condition_1_and_the_803_report_covers_the_806() {
    let policy = default_policy();
    // A malfunction is not a serious adverse event: no 806 obligation.
    let malfunction = step(
        &uncontrolled_since_june(),
        &policy,
        new_york("2025-06-04T15:00"),
        mdr_event(MdrEventType::Malfunction),
    )
    .case;
    assert!(malfunction.clock(ClockKind::Report806, None).is_none());
    assert_eq!(malfunction.serious_adverse_event(), None);
    // A death, known on Wednesday 2025-06-04: condition 1 fails that day. Provisional 806
    // from 2025-06-04: Thu 5 (1), Fri 6 (2), Mon 9 .. Fri 13 (3..7), Mon 16 (8), Tue 17 (9),
    // Wed 18 (10). The 803 report is due 30 calendar days later, Friday 2025-07-04.
    let death = step(
        &uncontrolled_since_june(),
        &policy,
        new_york("2025-06-04T15:00"),
        mdr_event(MdrEventType::Death),
    )
    .case;
    assert_eq!(
        death
            .serious_adverse_event()
            .map(|at| policy.calendar().day_of(at)),
        Some(day("2025-06-04"))
    );
    let report = death.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.start(), day("2025-06-04"));
    assert_eq!(report.deadline().day, day("2025-06-18"));
    assert!(report.note().unwrap().contains("serious adverse event"));
    assert_eq!(
        death
            .clock(ClockKind::Mdr803, Some("MDR-2025-031"))
            .unwrap()
            .deadline()
            .day,
        day("2025-07-04")
    );
    // The 803 report carries the 806.10(c) information: it meets the 803 clock and covers
    // the 806 report (21 CFR 806.10(f)).
    let submitted = step(
        &death,
        &policy,
        new_york("2025-06-10T11:00"),
        EventKind::MdrReportSubmitted {
            reference: "MDR-2025-031".into(),
            covers_806: true,
        },
    )
    .case;
    let report = submitted.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.state(), ClockState::Met);
    assert!(
        report.note().unwrap().contains("806.10(f)"),
        "{:?}",
        report.note()
    );
    assert_eq!(submitted.report_806_covered_by(), Some("MDR-2025-031"));
    assert_eq!(
        submitted
            .clock(ClockKind::Mdr803, Some("MDR-2025-031"))
            .unwrap()
            .state(),
        ClockState::Met
    );
    // Without the 806.10(c) information the 806 clock stays open.
    let plain = step(
        &death,
        &policy,
        new_york("2025-06-10T11:00"),
        EventKind::MdrReportSubmitted {
            reference: "MDR-2025-031".into(),
            covers_806: false,
        },
    )
    .case;
    assert_eq!(
        plain.clock(ClockKind::Report806, None).unwrap().state(),
        ClockState::Open
    );
}

#[test]
fn an_eu_serious_incident_fails_condition_1() {
    let policy = default_policy();
    let case = step(
        &uncontrolled_since_june(),
        &policy,
        instant("Europe/Berlin", "2025-06-05T09:00"),
        EventKind::SeriousIncident {
            reference: "EU-2025-4".into(),
            aware_on: day("2025-06-05"),
            category: SeriousIncidentCategory::DeathOrSeriousDeterioration,
        },
    )
    .case;
    // Every EU serious incident is taken as a serious adverse event. Known on Thursday
    // 2025-06-05: Fri 6 (1), Mon 9 .. Fri 13 (2..6), Mon 16 (7), Tue 17 (8), Wed 18 (9),
    // Thursday 19 is Juneteenth (a federal holiday), Fri 20 (10).
    let report = case.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.start(), day("2025-06-05"));
    assert_eq!(report.deadline().day, day("2025-06-20"));
}

#[test]
fn a_correction_not_reported_is_recorded_with_its_rationale_and_signer() {
    let policy = default_policy();
    let case = step(
        &uncontrolled_since_june(),
        &policy,
        new_york("2025-06-03T09:00"),
        EventKind::SeriousAdverseEventKnown,
    )
    .case;
    let record = |case: &Case, rationale: &str, signed_by: &str| {
        apply(
            case,
            &Event {
                at: new_york("2025-06-05T09:00"),
                kind: EventKind::CorrectionRecorded {
                    rationale: rationale.into(),
                    signed_by: signed_by.into(),
                },
            },
            &policy,
        )
    };
    let rationale = "The event was traced to a use error, not to the vulnerability (CAPA-77); \
                     the correction is not a report under 806.10.";
    assert!(matches!(
        record(&case, "not needed", "Rita Reviewer").unwrap_err(),
        RiskError::RationaleTooShort { .. }
    ));
    assert!(matches!(
        record(&case, rationale, " ").unwrap_err(),
        RiskError::SignerMissing { .. }
    ));
    let recorded = record(&case, rationale, "Rita Reviewer").unwrap().case;
    let report = recorded.clock(ClockKind::Report806, None).unwrap();
    assert_eq!(report.state(), ClockState::Recorded);
    assert!(!report.is_overdue(new_york("2025-07-01T09:00")));
    assert!(
        report
            .note()
            .unwrap()
            .contains("recorded, not reported (21 CFR 806.20)")
    );
    let kept = recorded.correction_record().unwrap();
    assert_eq!(kept.signed_by, "Rita Reviewer");
    assert!(kept.rationale.contains("CAPA-77"));
    // The record survives storage.
    let restored = Case::from_record(recorded.to_record()).unwrap();
    assert_eq!(restored, recorded);
}

// ---------------------------------------------------------------------------------------------
// Event times (issue 12, item 4).

#[test]
fn a_backdated_communication_is_refused_without_evidence() {
    use aftercare_risk::{Backdating, RecordedEvent, apply_recorded};
    let policy = default_policy();
    let case = uncontrolled_kev_case();
    // Entered on 2025-04-10, after the 30-day deadline of 2025-04-02, claiming 2025-03-15.
    let late_entry = |backdating: Option<Backdating>| RecordedEvent {
        event: Event {
            at: new_york("2025-03-15T11:00"),
            kind: EventKind::CustomerCommunicationSent,
        },
        recorded_at: new_york("2025-04-10T09:00"),
        backdating,
    };
    let refused = apply_recorded(&case, &late_entry(None), &policy).unwrap_err();
    assert!(
        matches!(
            refused,
            RiskError::BackdatedWithoutEvidence { hours: 24, .. }
        ),
        "{refused}"
    );
    let reason_only = apply_recorded(
        &case,
        &late_entry(Some(Backdating {
            reason: "Sent by the field team from the customer site, entered on return.".into(),
            evidence: String::new(),
        })),
        &policy,
    )
    .unwrap_err();
    assert!(
        reason_only.to_string().contains("an evidence reference"),
        "{reason_only}"
    );
    // With a reason and the evidence, the claim stands and meets the clock; both are kept.
    let (transition, time) = apply_recorded(
        &case,
        &late_entry(Some(Backdating {
            reason: "Sent by the field team from the customer site, entered on return.".into(),
            evidence: "MAIL-2025-0315-ADVISORY".into(),
        })),
        &policy,
    )
    .unwrap();
    assert_eq!(
        transition
            .case
            .clock(ClockKind::CustomerCommunication, None)
            .unwrap()
            .state(),
        ClockState::Met
    );
    assert_eq!(time.recorded, new_york("2025-04-10T09:00"));
    assert_eq!(time.backdating.unwrap().evidence, "MAIL-2025-0315-ADVISORY");
    // A claim in the future, or a correction said to start tomorrow, is refused.
    let future = RecordedEvent {
        event: Event {
            at: new_york("2025-03-20T09:10"),
            kind: EventKind::FixDistributed,
        },
        recorded_at: new_york("2025-03-20T09:00"),
        backdating: None,
    };
    assert!(matches!(
        apply_recorded(&case, &future, &policy).unwrap_err(),
        RiskError::EventInFuture { .. }
    ));
    let tomorrow = RecordedEvent {
        event: Event {
            at: new_york("2025-03-20T09:00"),
            kind: EventKind::CorrectionStarted {
                started_on: day("2025-03-21"),
            },
        },
        recorded_at: new_york("2025-03-20T09:00"),
        backdating: None,
    };
    assert!(matches!(
        apply_recorded(&case, &tomorrow, &policy).unwrap_err(),
        RiskError::EventDateInFuture { .. }
    ));
}
