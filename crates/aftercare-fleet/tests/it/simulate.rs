//! The fleet simulator: the same seed gives the same stream, every event it writes reads
//! back through the telemetry format, the stream is in time order, and the faults do what
//! they say.

use aftercare_fleet::simulate::{
    FaultKind, Fleet, FleetConfig, METRICS, Reading, controller_id, metric_index,
};
use aftercare_fleet::telemetry::{Event, parse_batch, to_line};
use jiff::SignedDuration;

fn small(seed: u64) -> FleetConfig {
    let mut config = FleetConfig {
        devices: 20,
        days: 2,
        seed,
        ..FleetConfig::default()
    };
    for kind in FaultKind::ALL {
        config.add_fault(kind);
    }
    config
}

#[test]
fn the_same_seed_gives_the_same_stream() {
    let first: Vec<_> = Fleet::new(&small(7)).unwrap().collect();
    let again: Vec<_> = Fleet::new(&small(7)).unwrap().collect();
    assert_eq!(first.len(), again.len());
    assert!(first == again);
    let other: Vec<_> = Fleet::new(&small(8)).unwrap().take(1000).collect();
    assert!(first[..1000] != other[..]);
}

#[test]
fn every_event_reads_back_through_the_telemetry_format() {
    let mut last = None;
    let mut kinds = [0usize; 3];
    for (device, at, event) in Fleet::new(&small(11)).unwrap() {
        assert!(device < 20);
        assert!(last.is_none_or(|last| at >= last), "time order");
        last = Some(at);
        let line = to_line(&event, Some(at));
        let batch = parse_batch(line.as_bytes(), at).unwrap();
        assert!(batch.rejected.is_empty(), "{line}: {:?}", batch.rejected);
        assert_eq!(batch.lines[0].event, event, "{line}");
        kinds[match event {
            Event::Heartbeat(_) => 0,
            Event::Metric(_) => 1,
            Event::Security(_) => 2,
        }] += 1;
    }
    assert!(kinds.iter().all(|count| *count > 0), "{kinds:?}");
    assert_eq!(controller_id(0), "sim-000001");
    assert_eq!(controller_id(999), "sim-001000");
}

#[test]
fn each_device_sends_every_interval_and_faults_apply() {
    let config = small(3);
    let mut fleet = Fleet::new(&config).unwrap();
    let heartbeats_per_device = 2 * 288;
    let mut heartbeats = [0usize; 20];
    let mut releases = std::collections::BTreeSet::new();
    let mut last_of_silent = None;
    let mut burst = 0u32;
    while let Some(record) = fleet.next_record() {
        match record.reading {
            Reading::Heartbeat { release, .. } => {
                heartbeats[record.device as usize] += 1;
                releases.insert(fleet.release(release).to_string());
                if record.device == 3 {
                    last_of_silent = Some(record.at);
                }
            }
            Reading::Security { count, .. } if record.device == 2 => burst += count,
            _ => {}
        }
    }
    // Device 3 is silent from half-way; the others lose a batch now and then.
    assert!(heartbeats[3] < heartbeats_per_device / 2 + 1);
    let half = config.start + SignedDuration::from_hours(24);
    assert!(last_of_silent.unwrap() < half);
    for (device, count) in heartbeats.iter().enumerate() {
        if device != 3 {
            assert!(*count > heartbeats_per_device - 15 && *count <= heartbeats_per_device);
        }
    }
    assert!(burst >= 25);
    assert_eq!(
        releases.into_iter().collect::<Vec<_>>(),
        vec!["2.2.0", "2.2.1"]
    );
}

#[test]
fn the_catalogue_is_documented_and_the_faults_parse() {
    assert!(METRICS.len() >= 5 && METRICS.len() <= 10);
    for spec in METRICS {
        assert!(aftercare_fleet::telemetry::is_metric_name(spec.name));
        assert!(!spec.why.is_empty());
    }
    for kind in FaultKind::ALL {
        assert_eq!(kind.label().parse::<FaultKind>().unwrap(), kind);
    }
    assert!("meltdown".parse::<FaultKind>().is_err());
    assert!(metric_index("battery.temp").is_ok());
    let mut config = FleetConfig {
        metrics: vec!["nope".into()],
        ..FleetConfig::default()
    };
    assert!(Fleet::new(&config).is_err());
    config.metrics.clear();
    config.devices = 0;
    assert!(Fleet::new(&config).is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// Any seed and fleet size: the stream is in time order and every line reads back.
    #[test]
    fn any_seed_gives_lines_that_read_back(seed in proptest::prelude::any::<u64>(), devices in 1u32..6) {
        let mut config = FleetConfig { devices, days: 1, seed, ..FleetConfig::default() };
        for kind in FaultKind::ALL {
            config.add_fault(kind);
        }
        let mut last = None;
        for (device, at, event) in Fleet::new(&config).unwrap() {
            proptest::prop_assert!(device < devices as usize);
            proptest::prop_assert!(last.is_none_or(|last| at >= last));
            last = Some(at);
            let line = to_line(&event, Some(at));
            let batch = parse_batch(line.as_bytes(), at).unwrap();
            proptest::prop_assert!(batch.rejected.is_empty(), "{}", line);
        }
    }
}

#[test]
fn the_batches_are_the_stream_grouped_and_read_back_whole() {
    let events: Vec<_> = Fleet::new(&small(5)).unwrap().collect();
    let mut flattened = Vec::new();
    let mut batches = 0;
    for (device, at, batch) in Fleet::new(&small(5)).unwrap().batches() {
        batches += 1;
        let body: Vec<String> = batch.iter().map(|event| to_line(event, Some(at))).collect();
        let parsed = parse_batch(body.join("\n").as_bytes(), at).unwrap();
        assert!(parsed.rejected.is_empty());
        assert_eq!(parsed.lines.len(), batch.len());
        flattened.extend(batch.into_iter().map(|event| (device, at, event)));
    }
    assert!(flattened == events);
    // About one batch per device and interval, plus the burst's lines.
    assert!(
        batches > 20 * 2 * 288 - 400 && batches < 20 * 2 * 288 + 40,
        "{batches}"
    );
}
