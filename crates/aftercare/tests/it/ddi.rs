//! The DDI routes of `aftercare serve` on a real port, driven by a simulated fleet: 10,000
//! devices imported from a CSV file (their tokens written once to a 0600 file), two rollouts
//! of the demo's approved pump patch 2.2.1 — one of 8,000 devices in three waves that completes
//! as the simulated clients install, one of 2,000 devices whose canary wave fails and that
//! pauses by itself above its error threshold, the later waves never offered.
//!
//! Each simulated device is a SWUpdate-like client over HTTP/1.1 keep-alive: it polls, fetches
//! the deploymentBase the poll links, sends "proceeding" and then `closed` with `success` or
//! `failure`, and goes on polling. 32 threads share the 10,000 devices (one connection each).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::aftercare;

const PUMP: &str = "VitaFlow IP-300 infusion pump";

/// A keep-alive HTTP/1.1 connection that reads `Content-Length` bodies.
pub struct Http {
    address: String,
    stream: BufReader<TcpStream>,
}

impl Http {
    /// Connects.
    pub fn connect(address: &str) -> Http {
        let stream = TcpStream::connect(address).unwrap();
        stream.set_nodelay(true).unwrap();
        Http {
            address: address.to_string(),
            stream: BufReader::new(stream),
        }
    }

    /// Sends a request with a DDI token; answers the status and body.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> (u16, String) {
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: TargetToken {token}\r\n\
             Content-Type: application/json\r\nAccept: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        self.stream.get_mut().write_all(head.as_bytes()).unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).unwrap();
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {line:?}"));
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
                assert!(
                    !name.eq_ignore_ascii_case("transfer-encoding"),
                    "unexpected chunked answer to {path}"
                );
            }
        }
        let mut bytes = vec![0u8; length];
        self.stream.read_exact(&mut bytes).unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The path of an absolute link (`http://host:port/path` → `/path`).
pub fn path_of(href: &str) -> String {
    let rest = href.split("://").nth(1).unwrap_or(href);
    format!("/{}", rest.split_once('/').map_or("", |(_, p)| p))
}

/// `aftercare serve` on a free port of 127.0.0.1 over a workspace directory.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

impl Server {
    /// Starts it with extra arguments and waits until it listens.
    pub fn start(dir: &Path, workspace: &str, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--workspace", workspace, "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
            .args(&args)
            .current_dir(dir)
            .env_remove("AFTERCARE_WORKSPACE")
            .env("RUST_LOG", "error")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let address = loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "the server exited early"
            );
            if let Some(rest) = line.split("serving http://").nth(1) {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        // Keep draining stderr so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stderr.read_to_string(&mut sink);
        });
        Server { child, address }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn ok(output: std::process::Output) -> std::process::Output {
    assert!(output.status.success(), "{}", crate::describe(&output));
    output
}

fn json(output: std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&ok(output).stdout).unwrap()
}

/// One simulated device: its id, token, and whether its installs fail.
#[derive(Clone)]
struct Simulated {
    id: String,
    token: String,
    fails: bool,
}

/// Polls once and, when the poll links a deployment, fetches it and reports the install;
/// answers whether it reported one.
fn cycle(http: &mut Http, device: &Simulated) -> bool {
    let base = format!("/DEFAULT/controller/v1/{}", device.id);
    let (status, body) = http.request("GET", &base, &device.token, None);
    assert_eq!(status, 200, "{}: {body}", device.id);
    let poll: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(poll["config"]["polling"]["sleep"].is_string(), "{body}");
    let Some(href) = poll["_links"]["deploymentBase"]["href"].as_str() else {
        return false;
    };
    let (status, body) = http.request("GET", &path_of(href), &device.token, None);
    assert_eq!(status, 200, "{}: {body}", device.id);
    let deployment: serde_json::Value = serde_json::from_str(&body).unwrap();
    let action = deployment["id"].as_str().unwrap().to_string();
    let feedback = format!("{base}/deploymentBase/{action}/feedback");
    let progress = format!(
        r#"{{"id": {action}, "time": "20261207T101010", "status": {{"result": {{"progress": {{"cnt": 0, "of": 1}}, "finished": "none"}}, "execution": "proceeding", "details": ["Installing Update Chunk Artifacts."]}}}}"#
    );
    assert_eq!(
        http.request("POST", &feedback, &device.token, Some(&progress))
            .0,
        200
    );
    let (finished, detail) = if device.fails {
        ("failure", "Image invalid or corrupted. Not installing ...")
    } else {
        ("success", "Update Installed.")
    };
    let close = format!(
        r#"{{"id": {action}, "status": {{"result": {{"finished": "{finished}"}}, "execution": "closed", "details": ["{detail}"]}}}}"#
    );
    let (status, body) = http.request("POST", &feedback, &device.token, Some(&close));
    assert_eq!(status, 200, "{}: {body}", device.id);
    true
}

#[test]
fn a_simulated_fleet_of_10000_devices_completes_one_rollout_and_pauses_another() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(aftercare(d, &["demo", "--no-serve", "--workspace", "demo"]));

    // 10,000 pumps on 2.2.0: 8,000 tagged fleet=a, 2,000 fleet=b (whose installs fail).
    let mut csv = String::from("controller_id,serial,product,release,tags,client\n");
    for n in 0..10_000 {
        let group = if n < 8_000 { "a" } else { "b" };
        csv.push_str(&format!(
            "sim-{n:05},SIM-{n:05},{PUMP},2.2.0,fleet={group},swupdate\n"
        ));
    }
    std::fs::write(d.join("fleet.csv"), csv).unwrap();
    ok(aftercare(
        d,
        &[
            "device",
            "import",
            "fleet.csv",
            "--tokens-out",
            "tokens.csv",
            "--workspace",
            "demo",
        ],
    ));
    let tokens = std::fs::read_to_string(d.join("tokens.csv")).unwrap();
    let fleet: Vec<Simulated> = tokens
        .lines()
        .filter(|line| line.starts_with("sim-"))
        .map(|line| {
            let (id, token) = line.split_once(',').unwrap();
            let n: usize = id[4..].parse().unwrap();
            Simulated {
                id: id.to_string(),
                token: token.to_string(),
                fails: n >= 8_000,
            }
        })
        .collect();
    assert_eq!(fleet.len(), 10_000);

    let release = format!("{PUMP}@2.2.1");
    for (name, tag, waves) in [
        ("fleet-a", "fleet=a", "1%,10%,100%"),
        ("fleet-b", "fleet=b", "5%,100%"),
    ] {
        let filter = format!("product=\"{PUMP}\" release=2.2.0 tag=\"{tag}\"");
        ok(aftercare(
            d,
            &[
                "rollout",
                "create",
                name,
                "--release",
                &release,
                "--filter",
                &filter,
                "--waves",
                waves,
                "--success-threshold",
                "100%",
                "--error-threshold",
                "5%",
                "--workspace",
                "demo",
            ],
        ));
        ok(aftercare(
            d,
            &["rollout", "start", name, "--workspace", "demo"],
        ));
    }

    let server = Server::start(d, "demo", &["--rollout-tick-seconds", "1"]);
    let status = |name: &str| {
        json(aftercare(
            d,
            &[
                "rollout",
                "status",
                name,
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        ))
    };
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let shards: Vec<Vec<Simulated>> =
            fleet.chunks(10_000 / 32 + 1).map(<[_]>::to_vec).collect();
        let reported: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = shards
                .iter()
                .map(|shard| {
                    let address = server.address.clone();
                    scope.spawn(move || {
                        let mut http = Http::connect(&address);
                        shard
                            .iter()
                            .filter(|device| cycle(&mut http, device))
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let a = status("fleet-a");
        let b = status("fleet-b");
        if a["state"] == "finished" && b["state"] == "paused" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600) && (reported > 0 || rounds < 20),
            "no progress after {rounds} rounds: {a} {b}"
        );
    }

    let a = status("fleet-a");
    assert_eq!(a["totals"]["finished"], 8_000, "{a}");
    let sizes: Vec<i64> = a["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["devices"].as_i64().unwrap())
        .collect();
    assert_eq!(
        sizes,
        vec![80, 720, 7_200],
        "cumulative 1 %, 10 %, 100 % of 8,000"
    );
    assert!(
        a["distribution_id"].is_i64(),
        "every device was offered: {a}"
    );

    let b = status("fleet-b");
    let reason = b["pause_reason"].as_str().unwrap();
    assert!(reason.contains("wave 1"), "{reason}");
    assert_eq!(b["waves"][0]["devices"], 100, "5 % of 2,000");
    assert_eq!(b["waves"][0]["counts"]["error"], 100, "{b}");
    assert_eq!(b["waves"][1]["counts"]["none"], 1_900, "never offered: {b}");

    // The devices' state follows their last action.
    let failed = json(aftercare(
        d,
        &[
            "device",
            "list",
            "--state",
            "error",
            "--workspace",
            "demo",
            "--format",
            "json",
        ],
    ));
    assert_eq!(failed.as_array().unwrap().len(), 100);
    let synced = json(aftercare(
        d,
        &[
            "device",
            "list",
            "--state",
            "in_sync",
            "--tag",
            "fleet=a",
            "--workspace",
            "demo",
            "--format",
            "json",
        ],
    ));
    assert_eq!(synced.as_array().unwrap().len(), 8_000);
    drop(server);
}
