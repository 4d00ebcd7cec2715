//! Debian's real SWUpdate client (suricatta in hawkBit DDI mode) driven from the tests, as in
//! shared/reference/ddi-protocol.md §2.6: a test PKI made with the `openssl` command line, a
//! CMS-signed `.swu` packed with `cpio`, and the client run against a server on 127.0.0.1
//! until a condition holds, then stopped with everything it forked. Nothing is written
//! outside the test's own temporary directory, and nothing but 127.0.0.1 is reached.
//!
//! CI installs the three tools (.ci/run); a machine without them fails these tests, it does
//! not skip them.

mod e2e;

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sha2::Digest;

use crate::describe;

/// The board and revision every client reports (`-H`); every image lists the revision as
/// compatible (`hardware-compatibility`), as the Debian build requires.
pub const HARDWARE: &str = "test-board:1.0";

/// How often `run_until` asks its condition.
const POLL: Duration = Duration::from_millis(200);

/// How long a stopped client has after SIGTERM before its process group gets SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Fails the test: a tool the tests need is not installed.
fn missing(program: &str, error: std::io::Error) -> ! {
    panic!("cannot run {program} ({error}): install Debian's {program}; .ci/run does")
}

/// Runs a command to its end and returns what it printed.
fn run_ok(command: &mut Command) -> Output {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| missing(&program, error));
    assert!(
        output.status.success(),
        "{command:?}: {}",
        describe(&output)
    );
    output
}

/// Runs `openssl` in `dir` with whitespace-separated arguments.
fn openssl(dir: &Path, args: &str) -> Output {
    run_ok(
        Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(dir),
    )
}

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Signer {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A test's keys: the CA a device trusts (its `public-key-file`) and a CMS signer of images.
#[derive(Debug, Clone)]
pub struct Pki {
    pub ca: PathBuf,
    pub signer: Signer,
}

impl Pki {
    /// A CA and a signer it vouches for, with the extended key usage emailProtection that
    /// SWUpdate asks of a signer by default; written into `dir`.
    pub fn create(dir: &Path) -> Pki {
        fs::create_dir_all(dir).unwrap();
        openssl(
            dir,
            "req -x509 -newkey rsa:3072 -nodes -days 30 -keyout ca-key.pem -out ca-cert.pem \
             -subj /O=Example-MedTech-Test/CN=Test-Update-Root-CA \
             -addext basicConstraints=critical,CA:TRUE \
             -addext keyUsage=critical,keyCertSign,cRLSign",
        );
        openssl(
            dir,
            "req -newkey rsa:3072 -nodes -keyout signer-key.pem -out signer.csr \
             -subj /O=Example-MedTech-Test/CN=swu-test-signer",
        );
        fs::write(
            dir.join("signer.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=emailProtection\n",
        )
        .unwrap();
        openssl(
            dir,
            "x509 -req -in signer.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial \
             -days 30 -extfile signer.ext -out signer-cert.pem",
        );
        openssl(
            dir,
            "verify -CAfile ca-cert.pem -purpose smimesign signer-cert.pem",
        );
        Pki {
            ca: dir.join("ca-cert.pem"),
            signer: Signer {
                cert: dir.join("signer-cert.pem"),
                key: dir.join("signer-key.pem"),
            },
        }
    }

    /// A TLS certificate issued by this PKI's CA (`ca-key.pem` beside `ca`): `server` for
    /// 127.0.0.1 (subjectAltName IP, EKU serverAuth), otherwise a client certificate whose
    /// subject CN is `name` (EKU clientAuth). Test only: one CA for signing, TLS servers and
    /// clients; production separates them (ddi-protocol.md §4).
    pub fn issue_tls(&self, name: &str, server: bool) -> Signer {
        let dir = self.ca.parent().unwrap();
        openssl(
            dir,
            &format!(
                "req -newkey rsa:2048 -nodes -keyout {name}-key.pem -out {name}.csr \
                 -subj /O=Example-MedTech-Test/CN={name}"
            ),
        );
        let ext = if server {
            "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        } else {
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n"
        };
        fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        openssl(
            dir,
            &format!(
                "x509 -req -in {name}.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial \
                 -days 30 -extfile {name}.ext -out {name}-cert.pem"
            ),
        );
        Signer {
            cert: dir.join(format!("{name}-cert.pem")),
            key: dir.join(format!("{name}-key.pem")),
        }
    }

    /// A self-signed signer that no test CA vouches for (an attacker's key): its `ca` is
    /// its own certificate. Written into `dir` beside a `create`d one if need be.
    pub fn untrusted(dir: &Path) -> Pki {
        fs::create_dir_all(dir).unwrap();
        openssl(
            dir,
            "req -x509 -newkey rsa:2048 -nodes -days 30 -keyout rogue-key.pem \
             -out rogue-cert.pem -subj /O=Attacker/CN=rogue",
        );
        Pki {
            ca: dir.join("rogue-cert.pem"),
            signer: Signer {
                cert: dir.join("rogue-cert.pem"),
                key: dir.join("rogue-key.pem"),
            },
        }
    }
}

/// A built `.swu` and what a DDI server advertises of it (lowercase hex digests).
#[derive(Debug, Clone)]
#[allow(
    dead_code,
    reason = "the digests are for the DDI server's end-to-end tests"
)]
pub struct SwuImage {
    pub path: PathBuf,
    pub size: u64,
    pub sha1: String,
    pub sha256: String,
    pub md5: String,
}

impl SwuImage {
    /// The file name, which a DDI artifact's `filename` must repeat (SWUpdate takes only
    /// names ending in `.swu`).
    pub fn file_name(&self) -> &str {
        self.path.file_name().unwrap().to_str().unwrap()
    }
}

/// Builds a signed `.swu` at `out`: a `sw-description` for `version`, compatible with
/// [`HARDWARE`], whose one rawfile image writes `hello from update {version}` to
/// `install_to` (keep it under the test's temporary directory); then its CMS signature
/// by `signer`, then the payload, packed in that order with `cpio -H crc`. Creates the
/// directory of `install_to`: SWUpdate 2022.12's rawfile handler fails on a missing one
/// ("I cannot open …"), whatever `create-destination` says.
pub fn build_swu(signer: &Signer, version: &str, install_to: &Path, out: &Path) -> SwuImage {
    assert!(install_to.is_absolute(), "{}", install_to.display());
    fs::create_dir_all(install_to.parent().unwrap()).unwrap();
    let install_to = install_to.to_str().unwrap();
    assert!(!install_to.contains('"'), "{install_to}");
    let revision = HARDWARE.split(':').nth(1).unwrap();
    let work = tempfile::tempdir_in(out.parent().unwrap()).unwrap();
    let w = work.path();
    let payload = format!("hello from update {version}\n");
    fs::write(w.join("payload.txt"), &payload).unwrap();
    let payload_sha256 = hex::encode(sha2::Sha256::digest(payload.as_bytes()));
    fs::write(
        w.join("sw-description"),
        format!(
            r#"software =
{{
    version = "{version}";
    description = "aftercare DDI test package (writes one file in the test's directory)";
    hardware-compatibility = [ "{revision}" ];
    files: (
        {{
            filename = "payload.txt";
            path = "{install_to}";
            sha256 = "{payload_sha256}";
            create-destination = true;
        }}
    );
}};
"#
        ),
    )
    .unwrap();
    run_ok(
        Command::new("openssl")
            .args("cms -sign -in sw-description -out sw-description.sig".split_whitespace())
            .args(["-outform", "DER", "-nosmimecap", "-binary", "-signer"])
            .arg(&signer.cert)
            .arg("-inkey")
            .arg(&signer.key)
            .current_dir(w),
    );
    // Order matters: sw-description first, then its signature, then the images.
    let mut cpio = Command::new("cpio")
        .args(["-o", "-H", "crc", "--quiet"])
        .current_dir(w)
        .stdin(Stdio::piped())
        .stdout(File::create(out).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| missing("cpio", error));
    cpio.stdin
        .take()
        .unwrap()
        .write_all(b"sw-description\nsw-description.sig\npayload.txt\n")
        .unwrap();
    let output = cpio.wait_with_output().unwrap();
    assert!(output.status.success(), "cpio: {}", describe(&output));
    let bytes = fs::read(out).unwrap();
    SwuImage {
        path: out.to_path_buf(),
        size: bytes.len() as u64,
        sha1: hex::encode(sha1::Sha1::digest(&bytes)),
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        md5: hex::encode(md5::Md5::digest(&bytes)),
    }
}

/// How a run of the client went.
#[derive(Debug)]
pub struct Outcome {
    /// The condition held before the timeout.
    pub met: bool,
    /// How the client ended when it ended on its own, before it was stopped.
    pub exited: Option<ExitStatus>,
    /// From the start to the condition, the client's end or the timeout.
    pub elapsed: Duration,
    /// The client's process id, which was also its process group's.
    pub pid: u32,
    /// Everything the client printed in this run, stdout and stderr interleaved.
    pub log: String,
}

impl Outcome {
    /// Fails the test, showing the client's log, unless the condition held.
    #[track_caller]
    pub fn assert_met(&self, condition: &str) {
        assert!(
            self.met,
            "{condition}: not seen within {:.1?} (client exited: {:?})\n--- swupdate log ---\n{}",
            self.elapsed, self.exited, self.log
        );
    }
}

/// The live processes (zombies aside) of a process group, read from /proc.
pub fn group_members(group: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // A process may end between the listing and the read.
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2
            && !matches!(fields[0], "Z" | "X")
            && fields[2].parse::<u32>() == Ok(group)
        {
            members.push(pid);
        }
    }
    members
}

/// Sends a signal to a process group with the `kill` command (the tests forbid unsafe code,
/// so no libc); one that is already gone is not an error.
fn signal_group(signal: &str, group: u32) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A process in a process group of its own, so that what it forks (SWUpdate's suricatta,
/// chunks_downloader and network helpers) is stopped with it; stopped when dropped too, so
/// a panicking test leaves nothing running.
#[derive(Debug)]
struct Group {
    child: Child,
    stopped: bool,
}

impl Group {
    /// Starts `command` with stdout and stderr appended to `log`.
    fn spawn(command: &mut Command, log: &Path) -> Group {
        let program = command.get_program().to_string_lossy().into_owned();
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let err = out.try_clone().unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| missing(&program, error));
        Group {
            child,
            stopped: false,
        }
    }

    /// SIGTERM to the group; up to [`STOP_GRACE`] for the leader and every helper to end;
    /// then SIGKILL to what is left. The leader is reaped; its helpers, orphaned, are reaped
    /// by init.
    fn stop(&mut self) {
        self.stopped = true;
        let group = self.child.id();
        let mut status = self.child.try_wait().unwrap();
        if status.is_none() || !group_members(group).is_empty() {
            signal_group("TERM", group);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if status.is_none() {
                status = self.child.try_wait().unwrap();
            }
            if status.is_some() && group_members(group).is_empty() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        signal_group("KILL", group);
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(1);
        while !group_members(group).is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.stopped {
            self.stop();
        }
    }
}

/// Runs `command` in its own process group, its output appended to `log`, until `until`
/// holds (asked every [`POLL`]), the command ends or `timeout` passes; then stops it.
fn run_until(
    command: &mut Command,
    log: &Path,
    mut until: impl FnMut() -> bool,
    timeout: Duration,
) -> Outcome {
    let offset = {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        writeln!(file, "=== {command:?}").unwrap();
        file.metadata().unwrap().len()
    };
    let start = Instant::now();
    let mut group = Group::spawn(command, log);
    let (met, exited) = loop {
        if until() {
            break (true, None);
        }
        if let Some(status) = group.child.try_wait().unwrap() {
            break (until(), Some(status));
        }
        if start.elapsed() >= timeout {
            break (false, None);
        }
        thread::sleep(POLL);
    };
    let elapsed = start.elapsed();
    let pid = group.child.id();
    group.stop();
    let mut text = Vec::new();
    let mut file = File::open(log).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    file.read_to_end(&mut text).unwrap();
    Outcome {
        met,
        exited,
        elapsed,
        pid,
        log: String::from_utf8_lossy(&text).into_owned(),
    }
}

/// `swupdate -c`, without a server: checks an image against a CA (signature, hashes,
/// hardware compatibility) and installs nothing. Its TMPDIR and log are in `dir`; its
/// condition is never met, `exited` says how it ended. Judge a check by its log: SWUpdate
/// 2022.12 exits 1 after about one good check in three, with the same log as when it
/// exits 0 (a race as it ends its helper processes).
///
/// Now and then (seen once in CI) SWUpdate 2022.12 ends such a run without reading the image
/// at all — no signature check in the log, and "SWUpdate was successful !" from its empty
/// network path. A run whose log shows no signature check at all is therefore run again (at
/// most three times); the outcome judged is always one where the image was read.
pub fn check_offline(image: &Path, ca: &Path, dir: &Path) -> Outcome {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let tmp = dir.join(format!("tmp-{attempt}"));
        fs::create_dir_all(&tmp).unwrap();
        let mut command = Command::new("swupdate");
        command
            .args(["-v", "-c", "-i"])
            .arg(image)
            .arg("-k")
            .arg(ca)
            .args(["-H", HARDWARE])
            .env("TMPDIR", &tmp);
        let outcome = run_until(
            &mut command,
            &dir.join("swupdate-check.log"),
            || false,
            Duration::from_secs(60),
        );
        let read_the_image = outcome.log.contains("Verified OK")
            || outcome.log.contains("signer sequence")
            || outcome.log.contains("signature");
        if read_the_image || attempt == 3 {
            return outcome;
        }
    }
}

/// A device: Debian's `swupdate` with suricatta in hawkBit mode, in a directory of its own
/// (`swupdate.cfg`, `tmp/` as its TMPDIR, where its IPC sockets live, and `swupdate.log`).
/// Each run writes the configuration from the fields, so a test may change them between
/// runs: a new `sw_version` after an install, `-c 2` for the run after the "reboot".
#[derive(Debug, Clone)]
pub struct Client {
    pub dir: PathBuf,
    /// The CA that image signers must chain to (`public-key-file`).
    pub ca: PathBuf,
    /// `http://127.0.0.1:PORT`: scheme, host and port, no path.
    pub url: String,
    pub tenant: String,
    pub controller_id: String,
    /// Sent as `Authorization: TargetToken …`; none sends no `Authorization` at all.
    pub target_token: Option<String>,
    /// Reported in `PUT configData` with `hwRevision` and `swVersion` (`identify`).
    pub serial_no: String,
    pub sw_version: String,
    /// Seconds before the first poll; the server's `config.polling.sleep` rules after it.
    pub poll_delay: u32,
    /// `-n`: no handler runs, nothing is written, and the state is not kept, so the client
    /// downloads and "installs" again at every poll until the server closes the action.
    pub dry_run: bool,
    /// More suricatta options, such as `-c 2` (report the installed update as good, as
    /// after a reboot) or `-c 3` (as failed). SWUpdate splits them on whitespace.
    pub suricatta_args: Vec<String>,
    /// Mutual TLS: the CA the server's certificate is checked against (`cafile`) and the
    /// device's certificate and key (`sslcert`, `sslkey`).
    pub tls: Option<(PathBuf, Signer)>,
}

impl Client {
    /// A device `controller_id` of tenant `DEFAULT` at `url` with a target token, trusting
    /// `ca`, on software 1.0.0, polling after 1 s; its files go in `dir`.
    pub fn new(
        dir: &Path,
        ca: &Path,
        url: &str,
        controller_id: &str,
        target_token: &str,
    ) -> Client {
        Client {
            dir: dir.to_path_buf(),
            ca: ca.to_path_buf(),
            url: url.to_string(),
            tenant: "DEFAULT".to_string(),
            controller_id: controller_id.to_string(),
            target_token: Some(target_token.to_string()),
            serial_no: format!("SN-{controller_id}"),
            sw_version: "1.0.0".to_string(),
            poll_delay: 1,
            dry_run: false,
            suricatta_args: Vec::new(),
            tls: None,
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("swupdate.cfg")
    }

    /// Every run's output, each after a `=== command` line.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("swupdate.log")
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// All the runs' output so far (for a condition that watches the client).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&fs::read(self.log_path()).unwrap_or_default()).into_owned()
    }

    /// `swupdate.cfg` (libconfig) for the current fields.
    pub fn config(&self) -> String {
        let quoted = |value: &str| {
            assert!(!value.contains(['"', '\\', '\n']), "{value}");
            format!("\"{value}\"")
        };
        let revision = HARDWARE.split(':').nth(1).unwrap();
        let mut token = match &self.target_token {
            Some(token) => format!("\ttargettoken = {};\n", quoted(token)),
            None => String::new(),
        };
        if let Some((ca, identity)) = &self.tls {
            token.push_str(&format!(
                "\tcafile = {};\n\tsslcert = {};\n\tsslkey = {};\n",
                quoted(ca.to_str().unwrap()),
                quoted(identity.cert.to_str().unwrap()),
                quoted(identity.key.to_str().unwrap()),
            ));
        }
        format!(
            "globals :\n{{\n\tverbose = true;\n\tloglevel = 6;\n\tpublic-key-file = {ca};\n\
             \tbootloader = \"none\";\n}};\n\
             identify : (\n\t{{ name = \"serialNo\"; value = {serial}; }},\n\
             \t{{ name = \"hwRevision\"; value = {revision}; }},\n\
             \t{{ name = \"swVersion\"; value = {version}; }}\n);\n\
             suricatta :\n{{\n\ttenant = {tenant};\n\tid = {id};\n\turl = {url};\n\
             \tpolldelay = {delay};\n\tretry = 2;\n\tretrywait = 1;\n\tconnection-timeout = 10;\n\
             {token}}};\n",
            ca = quoted(self.ca.to_str().unwrap()),
            serial = quoted(&self.serial_no),
            revision = quoted(revision),
            version = quoted(&self.sw_version),
            tenant = quoted(&self.tenant),
            id = quoted(&self.controller_id),
            url = quoted(&self.url),
            delay = self.poll_delay,
        )
    }

    /// Starts the client (`swupdate -f swupdate.cfg -H test-board:1.0 -v [-n] -u "…"`,
    /// TMPDIR its own) and lets it run until `until` holds (asked every 200 ms), it ends
    /// or `timeout` passes; then stops it and everything it forked.
    pub fn run_until(&self, until: impl FnMut() -> bool, timeout: Duration) -> Outcome {
        fs::create_dir_all(self.tmp_dir()).unwrap();
        fs::write(self.config_path(), self.config()).unwrap();
        let mut command = Command::new("swupdate");
        command
            .arg("-f")
            .arg(self.config_path())
            .args(["-H", HARDWARE, "-v"]);
        if self.dry_run {
            command.arg("-n");
        }
        // Without -u, suricatta does not start, whatever the configuration says.
        command
            .arg("-u")
            .arg(self.suricatta_args.join(" "))
            .env("TMPDIR", self.tmp_dir());
        run_until(&mut command, &self.log_path(), until, timeout)
    }
}

#[test]
fn image_verifies_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::create(&d.join("keys"));
    let installed = d.join("installed/payload.txt");
    let image = build_swu(&pki.signer, "1.0.1", &installed, &d.join("test-1.0.1.swu"));
    assert_eq!(image.file_name(), "test-1.0.1.swu");
    assert_eq!(image.size, fs::metadata(&image.path).unwrap().len());
    let outcome = check_offline(&image.path, &pki.ca, &d.join("check"));
    // Not its exit code, which is 0 or 1 for the same good image (see check_offline).
    assert!(outcome.exited.is_some(), "{}", outcome.log);
    assert!(!outcome.log.contains("[ERROR]"), "{}", outcome.log);
    for line in [
        "Verified OK",
        "Hardware compatibility verified",
        "SWUPDATE successful",
    ] {
        assert!(outcome.log.contains(line), "{line}:\n{}", outcome.log);
    }
    assert!(!installed.exists(), "a check installs nothing");
}

#[test]
fn untrusted_signer_is_refused_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::create(&d.join("keys"));
    let rogue = Pki::untrusted(&d.join("keys"));
    let installed = d.join("installed/payload.txt");
    let image = build_swu(&rogue.signer, "6.6.6", &installed, &d.join("rogue.swu"));
    let outcome = check_offline(&image.path, &pki.ca, &d.join("check"));
    assert!(
        outcome.exited.is_some_and(|status| !status.success()),
        "{:?}\n{}",
        outcome.exited,
        outcome.log
    );
    for line in [
        "Failed to verify certificate 0 in signer sequence",
        "Authentication of all signatures failed",
        "Image invalid or corrupted. Not installing",
    ] {
        assert!(outcome.log.contains(line), "{line}:\n{}", outcome.log);
    }
    assert!(!outcome.log.contains("Verified OK"), "{}", outcome.log);
    assert!(!installed.exists());
}

/// Without a server the client keeps polling; stopped, it leaves no process behind.
#[test]
fn client_without_a_server_retries_and_is_stopped_with_its_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::create(&d.join("keys"));
    // A port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(
        &d.join("device"),
        &pki.ca,
        &format!("http://127.0.0.1:{port}"),
        "dev-0001",
        "s3cr3t-target-token",
    );
    let outcome = client.run_until(
        || client.log().matches("Couldn't connect to server").count() >= 2,
        Duration::from_secs(30),
    );
    outcome.assert_met("two failed connections");
    assert!(
        outcome.exited.is_none(),
        "{:?}\n{}",
        outcome.exited,
        outcome.log
    );
    assert!(
        outcome.log.contains(&format!(
            "URL=http://127.0.0.1:{port}/DEFAULT/controller/v1/dev-0001/configData"
        )),
        "{}",
        outcome.log
    );
    assert_eq!(group_members(outcome.pid), Vec::<u32>::new());
}
