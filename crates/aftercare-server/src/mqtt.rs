//! Fleet telemetry over MQTT 5 (issue 15).
//!
//! A device publishes a batch of telemetry lines — the same JSON lines as
//! `POST /api/v1/devices/{controllerId}/telemetry` — to `aftercare/{tenant}/{controllerId}/telemetry`
//! with its DDI token in the MQTT 5 user property `authorization` (`TargetToken …`), so it
//! authenticates exactly as on HTTP: the broker's own client authentication is the broker's
//! business, the device's identity is aftercare's. Every `aftercare serve` node subscribes
//! through the shared subscription `$share/{group}/aftercare/{tenant}/+/telemetry`: the broker
//! hands each message to one node of the group, so the broker (Mosquitto here, a clustered
//! broker at a large manufacturer) is the scale-out engine.
//!
//! Delivery is QoS 1, acknowledged by the client on receipt: rumqttc's manual acknowledgement
//! (ack after the commit) stalled the subscription under load — 368 of 500 batches stored,
//! then nothing, and the node no longer stopped — so a node that dies with messages in hand
//! loses those (at most the ones it has received and not yet stored); no message is stored
//! twice. A refused device, a malformed payload or a wrong topic is counted and logged, never
//! retried, never fatal. When the broker goes away
//! the subscriber retries with a capped backoff and subscribes again on every new session.
//!
//! A message with the user property `replay: true` is stored at its lines' own times when the
//! server trusts device time (`--trust-device-time`), as over HTTP; otherwise at its receive
//! time.
//!
//! When a batch has refused lines (or the device is over its rate limit), the result is
//! published to `aftercare/{tenant}/{controllerId}/telemetry/result` (QoS 0), the body the
//! HTTP route would answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aftercare_api::fleet::IngestedDto;
use aftercare_service::device::{self, DeviceToken};
use aftercare_service::{Context, fleet};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::api::fleet::count_lines;

/// Where and as whom a node subscribes.
#[derive(Debug, Clone)]
pub struct MqttSettings {
    /// The broker's host.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// This node's MQTT client id (unique per node).
    pub client_id: String,
    /// The shared subscription's group: every node of one deployment uses the same.
    pub group: String,
}

impl MqttSettings {
    /// Settings from a broker URL `mqtt://host[:port]` (port 1883 by default).
    pub fn from_url(url: &str, client_id: &str, group: &str) -> Result<MqttSettings, String> {
        let rest = url
            .strip_prefix("mqtt://")
            .ok_or_else(|| format!("{url:?}: expected mqtt://HOST[:PORT]"))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("{url:?}: the port {port:?} is not a number"))?,
            ),
            None => (rest, 1883),
        };
        if host.is_empty() {
            return Err(format!("{url:?}: no host"));
        }
        Ok(MqttSettings {
            host: host.to_string(),
            port,
            client_id: client_id.to_string(),
            group: group.to_string(),
        })
    }
}

/// What a subscriber saw, for logs and tests.
#[derive(Debug, Default)]
pub struct MqttStats {
    /// Messages received.
    pub received: AtomicU64,
    /// Batches stored (one line or more kept).
    pub stored: AtomicU64,
    /// Messages whose device was refused (no, a wrong or another device's token).
    pub refused: AtomicU64,
    /// Messages that were not a batch (a wrong topic, a payload refused as a whole, no line
    /// kept, over the rate limit).
    pub malformed: AtomicU64,
    /// Sessions the subscriber opened (1 + reconnections).
    pub sessions: AtomicU64,
}

/// The topic filter a node subscribes to.
pub fn filter(group: &str, tenant: &str) -> String {
    format!("$share/{group}/aftercare/{tenant}/+/telemetry")
}

/// The controller id of a telemetry topic of `tenant`, if the topic is one.
pub fn controller_of<'t>(topic: &'t str, tenant: &str) -> Option<&'t str> {
    let mut parts = topic.split('/');
    let (Some("aftercare"), Some(t), Some(id), Some("telemetry"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    (t.eq_ignore_ascii_case(tenant) && !id.is_empty()).then_some(id)
}

/// Starts the subscriber; it runs until `shutdown` turns true.
pub fn spawn(
    state: AppState,
    settings: MqttSettings,
    stats: Arc<MqttStats>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut options = MqttOptions::new(
            settings.client_id.clone(),
            settings.host.clone(),
            settings.port,
        );
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_start(true);
        options.set_max_packet_size(Some(2 * 1024 * 1024));
        let (client, mut events) = AsyncClient::new(options, 256);
        let tenant = state.ddi.settings.tenant.clone();
        let topic = filter(&settings.group, &tenant);
        let mut backoff = Duration::from_millis(200);
        loop {
            let event = tokio::select! {
                event = events.poll() => event,
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        let _ = client.try_disconnect();
                        break;
                    }
                    continue;
                }
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff = Duration::from_millis(200);
                    stats.sessions.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(broker = %settings.host, port = settings.port, topic, "MQTT subscriber connected");
                    if let Err(error) = client.subscribe(topic.clone(), QoS::AtLeastOnce).await {
                        tracing::error!(%error, "MQTT subscribe failed");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    stats.received.fetch_add(1, Ordering::Relaxed);
                    handle(&state, &client, &tenant, &publish, &stats).await;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "MQTT connection lost; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        changed = shutdown.changed() => {
                            if changed.is_err() || *shutdown.borrow() {
                                break;
                            }
                        }
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    })
}

async fn handle(
    state: &AppState,
    client: &AsyncClient,
    tenant: &str,
    publish: &Publish,
    stats: &MqttStats,
) {
    let topic = String::from_utf8_lossy(&publish.topic);
    let Some(controller_id) = controller_of(&topic, tenant) else {
        stats.malformed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%topic, "MQTT message on a topic that is not a device's telemetry");
        return;
    };
    let token = publish.properties.as_ref().and_then(|properties| {
        properties
            .user_properties
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| value.trim().strip_prefix("TargetToken "))
            .map(str::trim)
    });
    let Some(token) = token else {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            controller_id,
            "MQTT telemetry without a TargetToken user property"
        );
        return;
    };
    let device =
        match device::authenticate(&state.workspace, controller_id, &DeviceToken::new(token)).await
        {
            Ok(device) => device,
            Err(error) => {
                stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(controller_id, %error, "MQTT telemetry refused");
                return;
            }
        };
    let reply = format!("aftercare/{tenant}/{controller_id}/telemetry/result");
    if let Err(wait) = state.fleet.admit(device.id, count_lines(&publish.payload)) {
        stats.malformed.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::json!({ "error": { "code": "rate_limited", "message": format!("over the limit per minute: retry in {wait} s") } });
        let _ = client.try_publish(reply, QoS::AtMostOnce, false, body.to_string());
        return;
    }
    let context = Context::new(
        aftercare_model::Actor::system(&format!("device:{}", device.controller_id)),
        jiff::Timestamp::now(),
    );
    let replay = state.fleet.trust_device_time
        && publish.properties.as_ref().is_some_and(|properties| {
            properties
                .user_properties
                .iter()
                .any(|(key, value)| key.eq_ignore_ascii_case("replay") && value.trim() == "true")
        });
    let stored = if replay {
        fleet::replay(
            &state.workspace,
            &context,
            &state.fleet.detectors,
            &device,
            &publish.payload,
        )
        .await
    } else {
        fleet::ingest(
            &state.workspace,
            &context,
            &state.fleet.detectors,
            &device,
            &publish.payload,
        )
        .await
    };
    match stored {
        Ok(ingested) => {
            if ingested.accepted > 0 {
                stats.stored.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.malformed.fetch_add(1, Ordering::Relaxed);
            }
            if !ingested.rejected.is_empty() {
                let body = serde_json::to_string(&IngestedDto::from(&ingested)).unwrap_or_default();
                let _ = client.try_publish(reply, QoS::AtMostOnce, false, body);
            }
        }
        Err(error) => {
            stats.malformed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(controller_id, %error, "MQTT telemetry batch refused");
            let body = serde_json::json!({ "error": { "code": "invalid_input", "message": error.to_string() } });
            let _ = client.try_publish(reply, QoS::AtMostOnce, false, body.to_string());
        }
    }
}
