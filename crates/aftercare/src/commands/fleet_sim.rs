//! `aftercare simulate-fleet`: a simulated fleet of infusion pumps (`aftercare_fleet::simulate`)
//! sending its telemetry through the real HTTP or MQTT path of a running server, as devices
//! do — each with its own DDI token — for the demo, for trying the detectors and for the
//! ingest benchmark.
//!
//! The telemetry covers the last `--days` up to now; each batch holds `--batch-minutes` of one
//! device's lines, every line stamped with its time and the batch marked as a replay, so the
//! server (started with `--trust-device-time`) stores each line at its own time. The devices
//! are registered in the workspace the first time (`sim-000001` …) and their tokens kept in a
//! CSV file for later runs.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use aftercare_fleet::simulate::{self, FaultKind, Fleet, FleetConfig};
use aftercare_fleet::telemetry::to_line;
use aftercare_service::device::{self, NewDeviceRequest};
use anyhow::{Context as _, bail};
use jiff::{SignedDuration, Timestamp};

use crate::Outcome;
use crate::cli::SimulateFleetArgs;

/// One batch to send: the device's index and its lines.
type Outgoing = (usize, String);

#[derive(Debug, Default)]
struct Tally {
    batches: AtomicU64,
    lines: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
}

pub(crate) async fn run(args: SimulateFleetArgs) -> anyhow::Result<Outcome> {
    let (workspace, context, principal) = super::open_as_admin(&args.workspace).await?;
    let tokens_file = match &args.tokens {
        Some(path) => path.clone(),
        None if args.workspace.database_url.is_none() => {
            args.workspace.workspace.join("simulated-devices.csv")
        }
        None => bail!("--tokens FILE is required with --database-url"),
    };
    let target = match (&args.url, &args.mqtt) {
        (Some(url), _) => Target::Http(url.clone()),
        (None, Some(broker)) => Target::Mqtt {
            broker: broker.clone(),
            tenant: args.tenant.clone(),
        },
        (None, None) => bail!("--url or --mqtt is required"),
    };
    simulate(
        &workspace,
        &context,
        &principal,
        &args,
        &tokens_file,
        &target,
    )
    .await?;
    Ok(Outcome::Ok)
}

/// Where the simulated devices send.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A server's base URL.
    Http(String),
    /// A broker, and the DDI tenant of the topics.
    Mqtt {
        /// `mqtt://host:port`.
        broker: String,
        /// The tenant.
        tenant: String,
    },
}

/// Registers the simulated devices if needed and sends their telemetry to `target`.
pub(crate) async fn simulate(
    workspace: &aftercare_service::Workspace,
    context: &aftercare_service::Context,
    principal: &aftercare_service::access::auth::Principal,
    args: &SimulateFleetArgs,
    tokens_file: &std::path::Path,
    target: &Target,
) -> anyhow::Result<()> {
    if args.devices == 0 || args.days == 0 {
        bail!("--devices and --days must be at least 1");
    }
    let (workspace, context, principal) = (workspace, context, principal);
    let tokens_file = tokens_file.to_path_buf();
    let mut tokens = read_tokens(&tokens_file)?;
    let mut fresh = Vec::new();
    for index in 0..args.devices as usize {
        let id = simulate::controller_id(index);
        if tokens.contains_key(&id) {
            continue;
        }
        let registered = device::add(
            workspace,
            context,
            principal,
            &NewDeviceRequest {
                controller_id: id.clone(),
                product: args.product.clone(),
                serial: id.to_uppercase(),
                site: args.site.clone(),
                tags: vec!["simulated".into()],
                release: Some(args.release.clone()),
                ..NewDeviceRequest::default()
            },
        )
        .await
        .with_context(|| {
            format!(
                "registering {id} (a device registered without its token in {} cannot be simulated)",
                tokens_file.display()
            )
        })?;
        let token = registered.token.expose().to_string();
        fresh.push((id.clone(), token.clone()));
        tokens.insert(id, token);
    }
    append_tokens(&tokens_file, &fresh)?;
    if !fresh.is_empty() {
        eprintln!(
            "registered {} simulated devices; their tokens are in {}",
            fresh.len(),
            tokens_file.display()
        );
    }
    let ids: Vec<String> = (0..args.devices as usize)
        .map(simulate::controller_id)
        .collect();
    let device_tokens: Vec<String> = ids.iter().map(|id| tokens[id].clone()).collect();

    let mut config = FleetConfig {
        devices: args.devices,
        days: args.days,
        seed: args.seed,
        release: args.release.clone(),
        ..FleetConfig::default()
    };
    // The run ends now, on a whole interval.
    let now = Timestamp::now().as_second();
    let step = config.interval.as_secs().max(60);
    let end = now - now.rem_euclid(step);
    config.start = Timestamp::from_second(end - i64::from(args.days) * 86_400)?;
    for fault in &args.faults {
        let kind: FaultKind = fault
            .parse()
            .map_err(|error| anyhow::anyhow!("--fault {fault:?}: {error}"))?;
        if kind == FaultKind::BadPatch && config.patch.is_none() {
            config.patch = Some(simulate::Patch {
                release: args.patch.clone(),
                share: 0.2,
                at: Timestamp::from_second(end - i64::from(args.days) * 86_400 * 2 / 3)?,
            });
        }
        config.add_fault(kind);
    }
    let fleet = Fleet::new(&config).map_err(|error| anyhow::anyhow!("{error}"))?;

    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let window = SignedDuration::from_mins(i64::from(args.batch_minutes.max(1)));
    let (sender, receiver) = mpsc::sync_channel::<Outgoing>(1024);
    let producer = std::thread::spawn(move || produce(fleet, window, &sender));
    if let Target::Http(url) = target {
        let url = url.trim_end_matches('/').to_string();
        let receiver = Arc::new(Mutex::new(receiver));
        let ids = Arc::new(ids.clone());
        let tokens = Arc::new(device_tokens.clone());
        let workers: Vec<_> = (0..args.connections.max(1))
            .map(|_| {
                let (receiver, ids, tokens, tally, url) = (
                    receiver.clone(),
                    ids.clone(),
                    tokens.clone(),
                    tally.clone(),
                    url.clone(),
                );
                std::thread::spawn(move || post_worker(&url, &receiver, &ids, &tokens, &tally))
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("an HTTP sender panicked"))??;
        }
    } else if let Target::Mqtt { broker, tenant } = target {
        publish_all(broker, tenant, receiver, &ids, &device_tokens, &tally).await?;
    }
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the simulator panicked"))?;
    let elapsed = started.elapsed().as_secs_f64();
    let lines = tally.lines.load(Ordering::Relaxed);
    eprintln!(
        "sent {} batches, {lines} lines from {} devices over {} days in {elapsed:.2} s ({:.0} lines/s): {} stored, {} refused, {} batches failed",
        tally.batches.load(Ordering::Relaxed),
        args.devices,
        args.days,
        lines as f64 / elapsed.max(1e-9),
        tally.accepted.load(Ordering::Relaxed),
        tally.rejected.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    let failed = tally.failed.load(Ordering::Relaxed);
    if failed > 0 {
        bail!("{failed} batches were not stored");
    }
    Ok(())
}

/// Groups the simulated stream into one batch per device and window, in time order.
fn produce(fleet: Fleet, window: SignedDuration, sender: &mpsc::SyncSender<Outgoing>) {
    let width = window.as_secs().max(60);
    let mut open: BTreeMap<usize, (i64, String)> = BTreeMap::new();
    let mut current_window = i64::MIN;
    for (device, at, events) in fleet.batches() {
        let slot = at.as_second().div_euclid(width);
        if slot != current_window {
            // Every device's previous window is complete.
            for (device, (_, body)) in std::mem::take(&mut open) {
                if sender.send((device, body)).is_err() {
                    return;
                }
            }
            current_window = slot;
        }
        let entry = open.entry(device).or_insert_with(|| (slot, String::new()));
        for event in &events {
            entry.1.push_str(&to_line(event, Some(at)));
            entry.1.push('\n');
        }
    }
    for (device, (_, body)) in open {
        if sender.send((device, body)).is_err() {
            return;
        }
    }
}

fn post_worker(
    url: &str,
    receiver: &Mutex<mpsc::Receiver<Outgoing>>,
    ids: &[String],
    tokens: &[String],
    tally: &Tally,
) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    loop {
        let next = receiver
            .lock()
            .map_err(|_| anyhow::anyhow!("a sender panicked"))?
            .recv();
        let Ok((device, body)) = next else {
            return Ok(());
        };
        let lines = body.lines().count() as u64;
        tally.batches.fetch_add(1, Ordering::Relaxed);
        tally.lines.fetch_add(lines, Ordering::Relaxed);
        let mut response = agent
            .post(format!("{url}/api/v1/devices/{}/telemetry", ids[device]))
            .header("Authorization", format!("TargetToken {}", tokens[device]))
            .header("Content-Type", "application/x-ndjson")
            .header("X-Aftercare-Replay", "true")
            .send(body.as_bytes())
            .with_context(|| format!("posting telemetry to {url}"))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        match status {
            200 | 422 => {
                let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                tally
                    .accepted
                    .fetch_add(answer["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
                tally.rejected.fetch_add(
                    answer["rejected"].as_array().map_or(0, |r| r.len() as u64),
                    Ordering::Relaxed,
                );
            }
            409 => {
                bail!("{url} refuses replays: start it with `aftercare serve --trust-device-time`")
            }
            _ => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                if tally.failed.load(Ordering::Relaxed) <= 3 {
                    eprintln!("{}: HTTP {status}: {text}", ids[device]);
                }
            }
        }
    }
}

async fn publish_all(
    broker: &str,
    tenant: &str,
    receiver: mpsc::Receiver<Outgoing>,
    ids: &[String],
    tokens: &[String],
    tally: &Tally,
) -> anyhow::Result<()> {
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};

    let settings = aftercare_server::mqtt::MqttSettings::from_url(
        broker,
        &format!("aftercare-simulator-{}", std::process::id()),
        "unused",
    )
    .map_err(|message| anyhow::anyhow!("--mqtt {message}"))?;
    let mut options = MqttOptions::new(settings.client_id, settings.host, settings.port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(Some(2 * 1024 * 1024));
    let (client, mut events) = AsyncClient::new(options, 1024);
    let acknowledged = Arc::new(AtomicU64::new(0));
    let counter = acknowledged.clone();
    let poller = tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(error) => {
                    eprintln!("MQTT: {error}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    });
    let receiver = Arc::new(Mutex::new(receiver));
    let mut published = 0u64;
    loop {
        let receiver = receiver.clone();
        let next =
            tokio::task::spawn_blocking(move || receiver.lock().ok().and_then(|r| r.recv().ok()))
                .await?;
        let Some((device, body)) = next else {
            break;
        };
        tally.batches.fetch_add(1, Ordering::Relaxed);
        tally
            .lines
            .fetch_add(body.lines().count() as u64, Ordering::Relaxed);
        let properties = PublishProperties {
            user_properties: vec![
                (
                    "authorization".into(),
                    format!("TargetToken {}", tokens[device]),
                ),
                ("replay".into(), "true".into()),
            ],
            ..PublishProperties::default()
        };
        client
            .publish_with_properties(
                format!("aftercare/{tenant}/{}/telemetry", ids[device]),
                QoS::AtLeastOnce,
                false,
                body,
                properties,
            )
            .await?;
        published += 1;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.load(Ordering::Relaxed) < published {
        if Instant::now() > deadline {
            poller.abort();
            bail!(
                "the broker acknowledged {} of {published} messages",
                acknowledged.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = client.disconnect().await;
    poller.abort();
    eprintln!(
        "the broker acknowledged all {published} messages (the server stores them as they arrive)"
    );
    Ok(())
}

fn read_tokens(path: &std::path::Path) -> anyhow::Result<HashMap<String, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let mut tokens = HashMap::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let Some((id, token)) = line.split_once(',') else {
            bail!(
                "{}, line {}: expected controller_id,token",
                path.display(),
                number + 1
            );
        };
        tokens.insert(id.trim().to_string(), token.trim().to_string());
    }
    Ok(tokens)
}

fn append_tokens(path: &std::path::Path, fresh: &[(String, String)]) -> anyhow::Result<()> {
    if fresh.is_empty() {
        return Ok(());
    }
    let new_file = !path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    if new_file {
        writeln!(file, "controller_id,token")?;
    }
    for (id, token) in fresh {
        writeln!(file, "{id},{token}")?;
    }
    file.sync_all()?;
    Ok(())
}
