//! Debian's real SWUpdate (suricatta, hawkBit mode) against `aftercare serve`, each scenario
//! on its own demo workspace and port: a deployment confirmed after the simulated reboot; a
//! canceled action acknowledged; an image whose signer the device does not trust reported as
//! failed, nothing installed; a wrong token refused and counted; an offer fetched after its
//! maintenance window closed answered "Skipped Update." and recorded as skipped. In each, the
//! device's state and action history in aftercare show the outcome.
//!
//! The patch is the demo's approved pump release 2.2.1; its `.swu` is signed by this test's
//! signer, whose CA the product trusts (`product trust-ca`), and stored with `artifact add`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Client, Pki, SwuImage, build_swu};
use crate::aftercare;
use crate::ddi::Server;

const PUMP: &str = "VitaFlow IP-300 infusion pump";
const DEVICE: &str = "swu-pump-01";

fn ok(output: std::process::Output) -> std::process::Output {
    assert!(output.status.success(), "{}", crate::describe(&output));
    output
}

fn json(output: std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&ok(output).stdout).unwrap()
}

/// A demo workspace with the signed image of Pump 2.2.1 stored, one SWUpdate pump on 2.2.0,
/// and a rollout of 2.2.1 to it, created and started.
struct Stage {
    dir: tempfile::TempDir,
    pki: Pki,
    token: String,
    installed: PathBuf,
    image: SwuImage,
}

impl Stage {
    fn new(window: Option<&str>) -> Stage {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        ok(aftercare(d, &["demo", "--no-serve", "--workspace", "demo"]));
        let pki = Pki::create(&d.join("keys"));
        let ca = pki.ca.to_string_lossy().into_owned();
        ok(aftercare(
            d,
            &["product", "trust-ca", PUMP, &ca, "--workspace", "demo"],
        ));
        let installed = d.join("installed").join("payload.txt");
        std::fs::create_dir_all(d.join("www")).unwrap();
        let image = build_swu(
            &pki.signer,
            "2.2.1",
            &installed,
            &d.join("www/pump-2.2.1.swu"),
        );
        let release = format!("{PUMP}@2.2.1");
        let path = image.path.to_string_lossy().into_owned();
        ok(aftercare(
            d,
            &["artifact", "add", &release, &path, "--workspace", "demo"],
        ));
        let registered = json(aftercare(
            d,
            &[
                "device",
                "add",
                DEVICE,
                "--product",
                PUMP,
                "--serial",
                "SN-swu-01",
                "--release",
                "2.2.0",
                "--client",
                "swupdate",
                "--tag",
                "e2e",
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        ));
        let token = registered["token"].as_str().unwrap().to_string();
        let filter = format!("product=\"{PUMP}\" tag=e2e");
        let mut create = vec![
            "rollout",
            "create",
            "e2e",
            "--release",
            &release,
            "--filter",
            &filter,
            "--waves",
            "100%",
            "--success-threshold",
            "100%",
            "--workspace",
            "demo",
        ];
        if let Some(window) = window {
            create.extend_from_slice(&["--window", window]);
        }
        ok(aftercare(d, &create));
        ok(aftercare(
            d,
            &["rollout", "start", "e2e", "--workspace", "demo"],
        ));
        Stage {
            dir,
            pki,
            token,
            installed,
            image,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    fn serve_with(&self, extra: &[&str]) -> Server {
        let mut args = vec![
            "--ddi-poll-sleep",
            "00:00:01",
            "--rollout-tick-seconds",
            "1",
        ];
        args.extend_from_slice(extra);
        Server::start(self.path(), "demo", &args)
    }

    fn client(&self, server: &Server, ca: &Path, token: &str) -> Client {
        let mut client = Client::new(
            &self.path().join("client"),
            ca,
            &format!("http://{}", server.address),
            DEVICE,
            token,
        );
        client.sw_version = "2.2.0".into();
        client
    }

    /// The device's actions, newest first.
    fn history(&self) -> serde_json::Value {
        json(aftercare(
            self.path(),
            &[
                "device",
                "history",
                DEVICE,
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        ))
    }

    fn device(&self) -> serde_json::Value {
        json(aftercare(
            self.path(),
            &[
                "device",
                "show",
                DEVICE,
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        ))
    }

    fn rollout(&self) -> serde_json::Value {
        json(aftercare(
            self.path(),
            &[
                "rollout",
                "status",
                "e2e",
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        ))
    }

    /// Whether the device's latest action holds a status line containing `text`.
    fn said(&self, text: &str) -> bool {
        self.history()[0]["statuses"]
            .as_array()
            .is_some_and(|statuses| {
                statuses.iter().any(|status| {
                    status["details"].as_array().is_some_and(|lines| {
                        lines
                            .iter()
                            .any(|l| l.as_str().unwrap_or("").contains(text))
                    })
                })
            })
    }

    fn latest_state(&self) -> String {
        self.history()[0]["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

#[test]
fn a_deployment_is_installed_then_confirmed_after_the_reboot() {
    let stage = Stage::new(None);
    let server = stage.serve();
    let mut client = stage.client(&server, &stage.pki.ca, &stage.token);
    let run = client.run_until(
        || stage.said("All Chunks Installed."),
        Duration::from_secs(120),
    );
    run.assert_met("the server records All Chunks Installed.");
    assert_eq!(
        std::fs::read_to_string(&stage.installed).unwrap(),
        "hello from update 2.2.1\n",
        "the rawfile handler installed the payload"
    );
    // Installed, testing pending: the action stays open until the device confirms.
    assert_eq!(stage.latest_state(), "running", "{}", stage.history());
    assert_eq!(stage.device()["installed_release"], "2.2.0");

    // The reboot: a fresh SWUpdate reports the state given by -c 2 ("Update Installed.").
    client.suricatta_args = vec!["-c".into(), "2".into()];
    client.sw_version = "2.2.1".into();
    let run = client.run_until(
        || stage.latest_state() == "finished" && stage.device()["reported_version"] == "2.2.1",
        Duration::from_secs(60),
    );
    run.assert_met("the action finished and the device reported 2.2.1");
    let device = stage.device();
    assert_eq!(device["installed_release"], "2.2.1", "{device}");
    assert_eq!(device["installed_source"], "action");
    assert_eq!(device["state"], "in_sync");
    assert!(device["disagreement"].is_null(), "{device}");
    assert!(
        device["last_poll_at"].is_string(),
        "polls are recorded: {device}"
    );
    assert!(stage.said("Update Installed."));
    // The artifact it downloaded is the one stored: the server offered its digests.
    let history = stage.history();
    assert!(
        history[0]["statuses"].as_array().unwrap().len() >= 4,
        "{history}"
    );
    // One wave, all installed: the rollout finishes at the next tick, and it had already
    // recorded the distribution when it offered the patch to its only device.
    for _ in 0..50 {
        if stage.rollout()["state"] == "finished" {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let rollout = stage.rollout();
    assert_eq!(rollout["state"], "finished", "{rollout}");
    assert!(rollout["distribution_id"].is_i64(), "{rollout}");
    assert_eq!(stage.image.file_name(), "pump-2.2.1.swu");
}

#[test]
fn a_canceled_action_is_acknowledged_and_nothing_installed() {
    let stage = Stage::new(None);
    ok(aftercare(
        stage.path(),
        &[
            "rollout",
            "cancel",
            "e2e",
            "--reason",
            "wrong image",
            "--workspace",
            "demo",
        ],
    ));
    assert_eq!(stage.latest_state(), "canceling");
    let server = stage.serve();
    let client = stage.client(&server, &stage.pki.ca, &stage.token);
    let run = client.run_until(
        || stage.latest_state() == "canceled",
        Duration::from_secs(60),
    );
    run.assert_met("the device acknowledged the cancellation");
    assert!(
        stage.said("cancellation acknowledged."),
        "{}",
        stage.history()
    );
    let history = stage.history();
    let last = history[0]["statuses"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["channel"], "cancel", "{last}");
    assert!(!stage.installed.exists(), "nothing installed");
    assert_eq!(stage.device()["installed_release"], "2.2.0");
}

#[test]
fn an_image_the_device_does_not_trust_is_reported_as_failed() {
    let stage = Stage::new(None);
    // The device trusts another CA (a key rotation the image missed): it refuses the image.
    let other = Pki::create(&stage.path().join("other-keys"));
    let server = stage.serve();
    let client = stage.client(&server, &other.ca, &stage.token);
    let run = client.run_until(|| stage.latest_state() == "error", Duration::from_secs(120));
    run.assert_met("the device reported the failure");
    assert!(
        stage.said("signature") || stage.said("Image invalid"),
        "{}",
        stage.history()
    );
    assert!(!stage.installed.exists(), "nothing installed");
    let device = stage.device();
    assert_eq!(device["state"], "error", "{device}");
    assert_eq!(device["installed_release"], "2.2.0");
}

#[test]
fn a_wrong_token_is_refused_and_counted() {
    let stage = Stage::new(None);
    let server = stage.serve();
    let client = stage.client(&server, &stage.pki.ca, "not-the-device-token");
    let refused = || {
        let events = json(aftercare(
            stage.path(),
            &[
                "audit",
                "list",
                "--entity-type",
                "device",
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        ));
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "device.credential_refused")
            .map(|e| {
                // The trail keeps the value as the JSON text it chained.
                let value: serde_json::Value =
                    serde_json::from_str(e["new_value"].as_str().unwrap_or("{}")).unwrap();
                value["refused"].as_i64().unwrap_or(0)
            })
            .sum::<i64>()
    };
    let run = client.run_until(|| refused() >= 3, Duration::from_secs(60));
    run.assert_met("refused credentials are counted in the audit trail");
    let device = stage.device();
    assert!(
        device["last_poll_at"].is_null(),
        "a refused poll is no poll: {device}"
    );
    assert_eq!(stage.latest_state(), "running", "its action is untouched");
    drop(server);
}

#[test]
fn an_offer_fetched_after_its_window_closed_is_skipped_not_installed() {
    // A window that is open this minute only (UTC): the rollout starts inside it, the device
    // first asks after it closed.
    let mut now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    if now.second() > 45 {
        std::thread::sleep(Duration::from_secs(
            61 - u64::try_from(now.second()).unwrap(),
        ));
        now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    }
    let window = format!("{} {} * * * 00:01 UTC", now.minute(), now.hour());
    let stage = Stage::new(Some(&window));
    assert_eq!(stage.latest_state(), "running", "offered inside the window");
    let close = jiff::Timestamp::from_second(now.timestamp().as_second() / 60 * 60 + 61).unwrap();
    while jiff::Timestamp::now() < close {
        std::thread::sleep(Duration::from_millis(200));
    }
    let server = stage.serve();
    let client = stage.client(&server, &stage.pki.ca, &stage.token);
    let run = client.run_until(
        || stage.latest_state() == "skipped",
        Duration::from_secs(60),
    );
    run.assert_met("SWUpdate's Skipped Update. is recorded as skipped");
    assert!(stage.said("Skipped Update."), "{}", stage.history());
    assert!(!stage.installed.exists(), "nothing installed");
    let device = stage.device();
    assert_eq!(
        device["installed_release"], "2.2.0",
        "skipped is not installed: {device}"
    );
    // Outside the window nothing is offered again.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(stage.history().as_array().unwrap().len(), 1);
}

/// nginx in front of `aftercare serve`: TLS with a required client certificate; the device's
/// CN and a fixed issuer name forwarded as `X-Controller-Id` and `X-Authority`.
struct Proxy {
    child: std::process::Child,
    port: u16,
}

impl Proxy {
    /// A free port of 127.0.0.1 for the proxy to listen on.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn start(dir: &Path, port: u16, upstream: &str, ca: &Path, server: &super::Signer) -> Proxy {
        std::fs::create_dir_all(dir).unwrap();
        let p = |path: &Path| path.to_string_lossy().into_owned();
        let config = format!(
            "daemon off;\nmaster_process off;\nuser root;\npid {dir}/nginx.pid;\n\
             error_log {dir}/error.log warn;\nevents {{}}\nhttp {{\n\
             access_log {dir}/access.log;\nclient_body_temp_path {dir}/body;\n\
             proxy_temp_path {dir}/proxy;\nfastcgi_temp_path {dir}/fastcgi;\n\
             uwsgi_temp_path {dir}/uwsgi;\nscgi_temp_path {dir}/scgi;\n\
             map $ssl_client_s_dn $device {{ \"~CN=(?<cn>[^,/]+)\" $cn; default \"\"; }}\n\
             server {{\n listen 127.0.0.1:{port} ssl;\n ssl_certificate {cert};\n\
             ssl_certificate_key {key};\n ssl_client_certificate {ca};\n\
             ssl_verify_client on;\n location / {{\n  proxy_pass http://{upstream};\n\
             proxy_set_header Host $http_host;\n  proxy_set_header Authorization \"\";\n\
             proxy_set_header X-Controller-Id $device;\n\
             proxy_set_header X-Authority \"test-update-root-ca\";\n }}\n}}\n}}\n",
            dir = dir.display(),
            cert = p(&server.cert),
            key = p(&server.key),
            ca = p(ca),
        );
        std::fs::write(dir.join("nginx.conf"), config).unwrap();
        let child = std::process::Command::new("nginx")
            .args(["-c", &p(&dir.join("nginx.conf")), "-p", &p(dir)])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx (Debian's nginx-light; .ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy { child, port }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mutual_tls_through_a_reverse_proxy_authenticates_the_device_by_its_certificate() {
    let stage = Stage::new(None);
    let server_cert = stage.pki.issue_tls("proxy", true);
    let device_cert = stage.pki.issue_tls(DEVICE, false);
    // aftercare trusts the certificate headers only from the proxy, with its issuer name, and
    // builds its links with the proxy's address.
    let port = Proxy::free_port();
    let base = format!("https://127.0.0.1:{port}");
    let server = stage.serve_with(&[
        "--ddi-trusted-proxy",
        "127.0.0.1",
        "--ddi-authority",
        "test-update-root-ca",
        "--ddi-public-url",
        &base,
    ]);
    let proxy = Proxy::start(
        &stage.path().join("nginx"),
        port,
        &server.address,
        &stage.pki.ca,
        &server_cert,
    );
    let mut client = Client::new(
        &stage.path().join("client"),
        &stage.pki.ca,
        &format!("https://127.0.0.1:{}", proxy.port),
        DEVICE,
        "unused",
    );
    client.target_token = None;
    client.sw_version = "2.2.0".into();
    client.tls = Some((stage.pki.ca.clone(), device_cert));
    let run = client.run_until(
        || stage.said("All Chunks Installed."),
        Duration::from_secs(120),
    );
    run.assert_met("the device installed through the proxy, known by its certificate");
    assert_eq!(
        std::fs::read_to_string(&stage.installed).unwrap(),
        "hello from update 2.2.1\n"
    );
    assert!(stage.device()["last_poll_at"].is_string());
    drop(proxy);
    drop(server);
}
