//! Fleet telemetry over HTTP and MQTT, on each backend.
//!
//! HTTP: the device's DDI token, another device's token and an unknown device (401), a
//! mixed batch (200 with each refused line), a batch with no good line (422), a batch over
//! 1 MiB (413), a device over its rate limit (429 with `Retry-After`), and a person reading
//! the device's telemetry and signals back.
//!
//! MQTT: a Mosquitto of the test's own on a port of its own, and two server nodes on one MQTT
//! 5 shared subscription: the same lines sent over MQTT (with Mosquitto's own `mosquitto_pub`)
//! and over HTTP land identically; every message is stored exactly once across the two nodes;
//! a malformed payload and a wrong token are counted and the subscribers go on; after the
//! broker restarts, both nodes subscribe again and the next messages are stored.

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aftercare_server::api::fleet::FleetRuntime;
use aftercare_server::mqtt::{self, MqttSettings, MqttStats};
use aftercare_server::{AppState, Settings};
use aftercare_service::device::{self, NewDeviceRequest};
use aftercare_service::{Context, Workspace, flow};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::Row;

use crate::{apps, get_as, send, token_for};

/// Registers `ids` as pumps on release 2.1.0; returns their tokens.
async fn pumps(workspace: &Workspace, context: &Context, ids: &[&str]) -> Vec<String> {
    aftercare_service::inventory::add_product(workspace, context, "Pump", None)
        .await
        .unwrap();
    flow::import_release(workspace, context, "Pump", "2.1.0", None)
        .await
        .unwrap();
    let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
        .await
        .unwrap()
        .unwrap();
    let admin = aftercare_service::access::auth::Principal::local(&admin).unwrap();
    let mut tokens = Vec::new();
    for id in ids {
        let registered = device::add(
            workspace,
            context,
            &admin,
            &NewDeviceRequest {
                controller_id: (*id).into(),
                product: "Pump".into(),
                serial: format!("SN-{id}"),
                release: Some("2.1.0".into()),
                ..NewDeviceRequest::default()
            },
        )
        .await
        .unwrap();
        tokens.push(registered.token.expose().to_string());
    }
    tokens
}

fn post(id: &str, token: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(format!("/api/v1/devices/{id}/telemetry"))
        .header("authorization", format!("TargetToken {token}"))
        .header("content-type", "application/x-ndjson")
        .body(body.into())
        .unwrap()
}

async fn count(workspace: &Workspace, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(workspace.raw_store().pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

const LINES: &str = concat!(
    r#"{"type":"heartbeat","release":"2.1.0","uptime_s":3600}"#,
    "\n",
    r#"{"type":"metric","name":"pump.occlusion_alarms","value":2,"unit":"count"}"#,
    "\n",
    r#"{"type":"metric","name":"battery.temp","value":31.5,"unit":"degC"}"#,
    "\n",
    r#"{"type":"security_event","event":"auth_failure","count":2,"details":{"service":"ssh"}}"#,
    "\n",
);

#[tokio::test]
async fn telemetry_over_http_keeps_good_lines_and_refuses_what_it_must() {
    for (test, _, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let tokens = pumps(&workspace, &context, &["pump-1", "pump-2"]).await;
        let mut state = AppState::new(workspace.clone(), Settings::default());
        state.fleet = Arc::new(FleetRuntime::new(20));
        let router = aftercare_server::router(state);

        let mixed = format!(
            "{LINES}{{\"type\":\"metric\",\"name\":\"x\",\"value\":1,\"patient\":\"Doe\"}}\n"
        );
        let (status, body) = send(&router, post("pump-1", &tokens[0], mixed)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["accepted"], 4, "{backend}");
        assert_eq!(body["rejected"][0]["line"], 5, "{backend}");
        assert_eq!(body["rejected"][0]["field"], "patient", "{backend}");

        // Another device's token, an unknown device, no token: 401, nothing stored.
        for request in [
            post("pump-1", &tokens[1], LINES),
            post("pump-9", &tokens[0], LINES),
            Request::post("/api/v1/devices/pump-1/telemetry")
                .body(Body::from(LINES))
                .unwrap(),
        ] {
            let (status, _) = send(&router, request).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        }
        let (status, body) = send(
            &router,
            post("pump-2", &tokens[1], "{\"type\":\"metric\"}\nnope\n"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}: {body}"
        );
        assert_eq!(body["rejected"].as_array().unwrap().len(), 2, "{backend}");
        let huge = vec![b'\n'; aftercare_fleet::telemetry::MAX_BATCH_BYTES + 1];
        let (status, _) = send(&router, post("pump-2", &tokens[1], huge)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        assert_eq!(
            count(
                &workspace,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM telemetry_events"
            )
            .await,
            4,
            "{backend}"
        );

        // The limit is 20 lines a minute; pump-1 used 5 (the refused line counts too).
        let lines: String = (0..16)
            .map(|i| format!("{{\"type\":\"metric\",\"name\":\"cpu.load\",\"value\":{i}}}\n"))
            .collect();
        let response =
            tower::ServiceExt::oneshot(router.clone(), post("pump-1", &tokens[0], lines))
                .await
                .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{backend}"
        );
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{backend}: {wait}");

        // A person reads it back.
        let token = token_for(
            &workspace,
            &context,
            "vera",
            &[aftercare_model::Role::Viewer],
        )
        .await;
        let (status, body) = send(
            &router,
            get_as(
                "/api/v1/devices/pump-1/telemetry?grain=hour&hours=2",
                &token,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["reported_release"], "2.1.0", "{backend}");
        assert_eq!(
            (body["events"].as_i64(), body["rejected"].as_i64()),
            (Some(4), Some(1)),
            "{backend}"
        );
        let metrics: Vec<&str> = body["rollups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["metric"].as_str().unwrap())
            .collect();
        assert_eq!(
            metrics,
            vec![
                "battery.temp",
                "pump.occlusion_alarms",
                "security.auth_failure"
            ],
            "{backend}"
        );
        let (status, body) = send(&router, get_as("/api/v1/signals", &token)).await;
        assert_eq!(
            (status, body.as_array().map(Vec::len)),
            (StatusCode::OK, Some(0)),
            "{backend}"
        );
        // A viewer may read signals but not triage them.
        let request = Request::post("/api/v1/signals/1/acknowledge")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, _) = send(&router, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
    }
}

/// A Mosquitto of the test's own, on a free port, without persistence.
struct Broker {
    port: u16,
    config: tempfile::NamedTempFile,
    child: Option<Child>,
}

impl Broker {
    fn start() -> Broker {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            config,
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none"
        )
        .unwrap();
        let mut broker = Broker {
            port,
            config,
            child: None,
        };
        broker.run();
        broker
    }

    fn run(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.config.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (Debian's package) runs; .ci/run installs it");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Publishes each line as one message (QoS 1) with `mosquitto_pub -l`.
    fn publish(&self, controller_id: &str, token: &str, lines: &str) {
        let mut child = Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-V",
                "mqttv5",
                "-q",
                "1",
            ])
            .args([
                "-t",
                &format!("aftercare/DEFAULT/{controller_id}/telemetry"),
            ])
            .args([
                "-D",
                "publish",
                "user-property",
                "authorization",
                &format!("TargetToken {token}"),
            ])
            .arg("-l")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("mosquitto_pub runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn telemetry_over_mqtt_lands_as_over_http_once_across_two_nodes_and_survives_the_broker() {
    for (test, router, workspace, context) in apps(Settings::default()).await {
        let backend = test.backend().as_str();
        let tokens = pumps(&workspace, &context, &["pump-http", "pump-mqtt"]).await;
        let mut broker = Broker::start();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let nodes: Vec<Arc<MqttStats>> = (0..2).map(|_| Arc::new(MqttStats::default())).collect();
        let mut handles = Vec::new();
        for (index, stats) in nodes.iter().enumerate() {
            let settings = MqttSettings::from_url(
                &format!("mqtt://127.0.0.1:{}", broker.port),
                &format!("node-{index}-{backend}"),
                "aftercare",
            )
            .unwrap();
            let state = AppState::new(workspace.clone(), Settings::default());
            handles.push(mqtt::spawn(state, settings, stats.clone(), stopped.clone()));
        }
        let sessions = |at_least: u64| {
            let nodes = nodes.clone();
            move || {
                nodes
                    .iter()
                    .all(|n| n.sessions.load(Ordering::Relaxed) >= at_least)
            }
        };
        wait_for("both nodes to connect", sessions(1)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;

        // The same four lines over HTTP (one batch) and over MQTT (one message each).
        let (status, _) = send(&router, post("pump-http", &tokens[0], LINES)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        broker.publish("pump-mqtt", &tokens[1], LINES);
        let stored = |n: u64| {
            let nodes = nodes.clone();
            move || {
                nodes
                    .iter()
                    .map(|s| s.stored.load(Ordering::Relaxed))
                    .sum::<u64>()
                    >= n
            }
        };
        wait_for("the four MQTT messages", stored(4)).await;
        let rows = |id: &'static str| {
            let workspace = workspace.clone();
            async move {
                let rows = sqlx::query(
                    "SELECT e.kind, e.name, e.value, e.detail FROM telemetry_events e \
                     JOIN devices d ON d.id = e.device_id WHERE d.controller_id = $1 \
                     ORDER BY e.kind, e.name",
                )
                .bind(id)
                .fetch_all(workspace.raw_store().pool())
                .await
                .unwrap();
                rows.iter()
                    .map(|r| {
                        (
                            r.get::<String, _>(0),
                            r.get::<String, _>(1),
                            r.get::<f64, _>(2),
                            r.get::<Option<String>, _>(3),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        let over_http = rows("pump-http").await;
        assert_eq!(over_http.len(), 4, "{backend}");
        assert_eq!(rows("pump-mqtt").await, over_http, "{backend}");

        // A malformed payload and a wrong token: counted, and the subscribers go on.
        broker.publish("pump-mqtt", &tokens[1], "not json\n");
        broker.publish("pump-mqtt", &tokens[0], LINES.lines().next().unwrap());
        wait_for("the refusals to be counted", || {
            nodes
                .iter()
                .map(|s| s.malformed.load(Ordering::Relaxed))
                .sum::<u64>()
                == 1
                && nodes
                    .iter()
                    .map(|s| s.refused.load(Ordering::Relaxed))
                    .sum::<u64>()
                    == 1
        })
        .await;

        // 200 messages through the shared subscription: each stored once, by either node.
        let many: String = (0..200)
            .map(|i| format!("{{\"type\":\"metric\",\"name\":\"cpu.load\",\"value\":{i}}}\n"))
            .collect();
        broker.publish("pump-mqtt", &tokens[1], &many);
        wait_for("the 200 messages", stored(204)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sql = "SELECT CAST(COUNT(*) AS BIGINT) FROM telemetry_events e JOIN devices d ON d.id = e.device_id \
                   WHERE d.controller_id = 'pump-mqtt' AND e.name = 'cpu.load'";
        assert_eq!(count(&workspace, sql).await, 200, "{backend}");
        let distinct = "SELECT CAST(COUNT(DISTINCT e.value) AS BIGINT) FROM telemetry_events e \
                        JOIN devices d ON d.id = e.device_id WHERE d.controller_id = 'pump-mqtt' AND e.name = 'cpu.load'";
        assert_eq!(count(&workspace, distinct).await, 200, "{backend}");
        for (index, node) in nodes.iter().enumerate() {
            assert!(
                node.stored.load(Ordering::Relaxed) > 0,
                "{backend}: node {index} took no share of the subscription"
            );
        }

        // The broker restarts: both nodes come back and the next message is stored.
        broker.stop();
        broker.run();
        wait_for("both nodes to reconnect", sessions(2)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        broker.publish(
            "pump-mqtt",
            &tokens[1],
            r#"{"type":"metric","name":"after.restart","value":1}"#,
        );
        wait_for("the message after the restart", stored(205)).await;

        let _ = stop.send(true);
        for handle in handles {
            handle.await.unwrap();
        }
    }
}
